//! `export`, `import` and `user import`: the commands that move configuration
//! between the store and files. The files are read and written here; the
//! control service checks and stages what they hold, and every problem it
//! finds is printed as `FILE:LINE: …`, one a line, before the command fails.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use super::admin::{note_staged, print, CliError};
use crate::config::file::{self, ConfigFile, FileError};
use crate::control::api::{Command, ControlError, GeneratedPassword, NewUser, Reply};
use crate::control::Link;

/// The CSV columns of `user import`, in the order a file without a header
/// line gives them.
const CSV_COLUMNS: [&str; 4] = ["extension", "name", "email", "gsm"];

pub(super) async fn export<L: Link>(
    link: &L,
    path: &Path,
    with_secrets: bool,
    live: bool,
) -> Result<(), CliError> {
    let Reply::Config { config } =
        link.request(Command::ExportConfig { with_secrets, live }).await?
    else {
        return Err(CliError::UnexpectedReply("export"));
    };
    let text = file::export(&config, with_secrets)?;

    if path == Path::new("-") {
        print(&text)?;
    } else {
        write_private(path, &text, with_secrets).map_err(|error| CliError::File {
            action: "write",
            path: path.display().to_string(),
            error,
        })?;
        print(&format!(
            "exported {} user(s), {} incoming number(s), {} group(s) and {} pickup \
             group(s) to {}{}\n",
            config.users.len(),
            config.incoming_numbers.len(),
            config.groups.len(),
            config.pickup_groups.len(),
            path.display(),
            if with_secrets { ", with secrets" } else { "" },
        ))?;
    }
    if !live {
        note_staged(link).await;
    }
    Ok(())
}

/// Writes `text` to `path`; a file with secrets is readable by its owner only.
fn write_private(path: &Path, text: &str, secret: bool) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mode = if secret { 0o600 } else { 0o644 };
    let mut out =
        fs::OpenOptions::new().write(true).create(true).truncate(true).mode(mode).open(path)?;
    out.write_all(text.as_bytes())?;
    out.sync_all()
}

pub(super) async fn import<L: Link>(link: &L, path: &Path) -> Result<(), CliError> {
    let name = path.display().to_string();
    let text = read(path)?;
    let parsed: ConfigFile = match file::parse(&text) {
        Ok(parsed) => parsed,
        Err(errors) => return Err(rejected(&name, errors)),
    };

    let command = Command::ImportConfig { config: Box::new(parsed.config.clone()) };
    match link.request(command).await {
        Ok(Reply::Imported { pending_changes, generated }) => {
            let mut text = format!(
                "staged {name}: {pending_changes} change(s) against live; \
                 `switchboard diff` shows them, `switchboard apply` makes them live\n"
            );
            text.push_str(&passwords(&generated, " (new user)"));
            print(&text)
        }
        Ok(_) => Err(CliError::UnexpectedReply("import")),
        Err(error) if !error.problems.is_empty() => {
            let errors = error
                .problems
                .iter()
                .map(|p| FileError {
                    line: parsed.line_of(&p.subject, &p.field),
                    message: format!("{}: {}", p.subject, p.message),
                })
                .collect();
            Err(rejected(&name, errors))
        }
        Err(error) => Err(error.into()),
    }
}

pub(super) async fn import_users<L: Link>(link: &L, path: &Path) -> Result<(), CliError> {
    let name = path.display().to_string();
    let text = read(path)?;
    let (users, lines) = read_csv(&text).map_err(|errors| rejected(&name, errors))?;
    let count = users.len();

    match link.request(Command::ImportUsers { users }).await {
        Ok(Reply::Imported { generated, .. }) => {
            let mut text = format!(
                "staged {count} user(s) from {name}; `switchboard apply` makes them live\n"
            );
            text.push_str(&passwords(&generated, ""));
            print(&text)
        }
        Ok(_) => Err(CliError::UnexpectedReply("user import")),
        Err(error) if !error.problems.is_empty() => Err(rejected(&name, row_errors(error, &lines))),
        Err(error) => Err(error.into()),
    }
}

/// Each refused row at the line the file has it on.
fn row_errors(error: ControlError, lines: &[usize]) -> Vec<FileError> {
    error
        .problems
        .into_iter()
        .map(|p| FileError {
            line: p.index.and_then(|i| lines.get(i).copied()),
            message: format!("{}: {}", p.subject, p.message),
        })
        .collect()
}

/// The users of a CSV file and the line each starts on. A first row with a
/// cell that names a column ("extension", "Name", …) is a header: it names
/// the columns, in any order.
fn read_csv(text: &str) -> Result<(Vec<NewUser>, Vec<usize>), Vec<FileError>> {
    // Spreadsheets often start a UTF-8 file with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());

    let mut columns: Vec<&str> = CSV_COLUMNS.to_vec();
    let mut users = Vec::new();
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map(|p| p.line() as usize);
                errors.push(FileError { line, message: csv_message(&error) });
                continue;
            }
        };
        let line = record.position().map_or(index + 1, |p| p.line() as usize);
        let names_a_column = |cell: &str| CSV_COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(cell));
        if index == 0 && record.iter().any(names_a_column) {
            match header(&record) {
                Ok(header) => columns = header,
                Err(message) => errors.push(FileError { line: Some(line), message }),
            }
            continue;
        }
        if record.len() > columns.len() {
            errors.push(FileError {
                line: Some(line),
                message: format!(
                    "{} columns where there are {}: {}",
                    record.len(),
                    columns.len(),
                    columns.join(", ")
                ),
            });
            continue;
        }
        let cell = |name: &str| {
            columns.iter().position(|c| *c == name).and_then(|i| record.get(i)).unwrap_or("")
        };
        let optional = |name: &str| Some(cell(name).to_string()).filter(|v| !v.is_empty());
        users.push(NewUser {
            extension: cell("extension").to_string(),
            name: cell("name").to_string(),
            email: optional("email"),
            gsm: optional("gsm"),
            ..NewUser::default()
        });
        lines.push(line);
    }
    if errors.is_empty() {
        Ok((users, lines))
    } else {
        Err(errors)
    }
}

/// The columns a header line names; each must be one of [`CSV_COLUMNS`], once.
fn header(record: &csv::StringRecord) -> Result<Vec<&'static str>, String> {
    let mut columns = Vec::new();
    for cell in record {
        let known = CSV_COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(cell));
        match known {
            Some(column) if !columns.contains(column) => columns.push(*column),
            Some(column) => return Err(format!("column {column} is named twice")),
            None => {
                return Err(format!(
                    "there is no column {cell:?}: the columns are {}",
                    CSV_COLUMNS.join(", ")
                ))
            }
        }
    }
    if !columns.contains(&"extension") || !columns.contains(&"name") {
        return Err("the header must name the extension and name columns".to_string());
    }
    Ok(columns)
}

/// A CSV error without its position, which the line number already gives.
fn csv_message(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8 text".to_string(),
        _ => error.to_string(),
    }
}

fn passwords(generated: &[GeneratedPassword], note: &str) -> String {
    generated
        .iter()
        .map(|g| format!("SIP password for {}{note}: {}\n", g.extension, g.password))
        .collect()
}

fn read(path: &Path) -> Result<String, CliError> {
    fs::read_to_string(path).map_err(|error| CliError::File {
        action: "read",
        path: path.display().to_string(),
        error,
    })
}

/// Prints each problem as `FILE:LINE: message` on stderr and gives the error
/// that ends the command.
fn rejected(path: &str, mut errors: Vec<FileError>) -> CliError {
    // In file order; problems without a line come last.
    errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
    let mut stderr = io::stderr().lock();
    for error in &errors {
        // Losing stderr leaves nothing better to report to.
        let _ = match error.line {
            Some(line) => writeln!(stderr, "{path}:{line}: {}", error.message),
            None => writeln!(stderr, "{path}: {}", error.message),
        };
    }
    CliError::Rejected { path: path.to_string(), count: errors.len() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_read_with_or_without_a_header_and_with_quoted_commas() {
        let text = "1001,\"Martin, Anne\",anne@example.com,+33612345678\n1002,Bob\n";
        let (users, lines) = read_csv(text).expect("valid");
        assert_eq!(users[0].name, "Martin, Anne");
        assert_eq!(users[0].gsm.as_deref(), Some("+33612345678"));
        assert_eq!(users[1].email, None);
        assert_eq!(lines, [1, 2]);

        let text = "\u{feff}name,extension\n\"Bob\",1002\n";
        let (users, lines) = read_csv(text).expect("valid");
        assert_eq!((users[0].extension.as_str(), users[0].name.as_str()), ("1002", "Bob"));
        assert_eq!(lines, [2]);
    }

    #[test]
    fn csv_rows_with_too_many_columns_or_an_unknown_header_are_refused_at_their_line() {
        let errors = read_csv("1001,Anne,,,extra\n").expect_err("five columns");
        assert_eq!(errors[0].line, Some(1));
        let errors = read_csv("extension,name,phone\n1001,Anne,1\n").expect_err("unknown");
        assert_eq!(errors[0].line, Some(1));
        assert!(errors[0].message.contains("\"phone\""), "{}", errors[0].message);
    }
}
