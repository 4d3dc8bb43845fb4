//! The configuration as a TOML file a person reads and edits: what
//! `switchboard export` writes and `switchboard import` reads.
//!
//! The file is the stored [`Config`] itself, so nothing is lost between the
//! two, with a comment at the top. Reading keeps where each table and key
//! sits in the file, so a rule broken by the whole configuration (found later
//! by [`super::validate_config`]) can be reported at its line. The CLI talks
//! to this module; the control service never sees the text.

use std::collections::BTreeMap;
use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::Config;

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the configuration as TOML: {0}")]
pub struct ExportError(#[from] toml::ser::Error);

/// One problem with an import file. `line` is 1-based; None when the
/// problem has no place in the file (a rule about something it leaves out).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FileError {
    pub line: Option<usize>,
    pub message: String,
}

/// The text of an export. Without `with_secrets`, SIP passwords and console
/// password hashes are left out (the comment at the top says so).
pub fn export(config: &Config, with_secrets: bool) -> Result<String, ExportError> {
    let mut config = config.clone();
    if !with_secrets {
        for user in config.users.values_mut() {
            user.sip_password.clear();
            user.permissions.password_hash = None;
        }
    }
    let mut text = String::from(
        "# switchboard configuration: settings, users, incoming numbers, user groups\n\
         # and pickup groups.\n\
         # `switchboard import FILE` stages it; `switchboard apply` makes it live.\n",
    );
    if with_secrets {
        text.push_str("# It holds SIP passwords and console password hashes: keep it private.\n");
    } else {
        text.push_str(
            "# SIP passwords and console password hashes are left out: importing keeps\n\
             # those of existing users and generates a SIP password for each new one.\n",
        );
    }
    text.push('\n');
    text.push_str(&toml::to_string_pretty(&config)?);
    Ok(text)
}

/// A configuration read from a file, with where each part of it sits.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub config: Config,
    /// Subject ("user 1003") → path inside it ("" for the entry itself,
    /// "forwardings.no_answer") → line.
    lines: BTreeMap<String, BTreeMap<String, usize>>,
}

impl ConfigFile {
    /// The line of the file that a broken rule points at: the field's line
    /// when the file has it, else the line of its subject, else none.
    pub fn line_of(&self, subject: &str, field: &str) -> Option<usize> {
        let paths = self.lines.get(subject)?;
        field_paths(field)
            .iter()
            .find_map(|path| paths.get(*path))
            .or_else(|| paths.get(""))
            .copied()
    }
}

/// Reads an import file: TOML syntax, then every table and key against the
/// ones a configuration has (a misspelt key is an error, not ignored), then
/// the values. Syntax and value errors stop at the first one, as TOML
/// parsing does; unknown keys are all reported.
pub fn parse(text: &str) -> Result<ConfigFile, Vec<FileError>> {
    let at = |span: Option<Range<usize>>| span.map(|s| line_at(text, s.start));
    let table = DeTable::parse(text)
        .map_err(|e| vec![FileError { line: at(e.span()), message: e.message().to_string() }])?;

    let mut errors = Vec::new();
    let mut lines = BTreeMap::new();
    walk_top(text, table.get_ref(), &mut lines, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }

    let config: Config = toml::from_str(text)
        .map_err(|e| vec![FileError { line: at(e.span()), message: e.message().to_string() }])?;
    Ok(ConfigFile { config, lines })
}

/// Where in an entry a field of the validation rules is written.
fn field_paths(field: &str) -> &'static [&'static str] {
    match field {
        "extension" => &["extension"],
        "name" => &["name"],
        "email" => &["email"],
        "gsm" => &["gsm"],
        "outgoing_number" => &["outgoing_number"],
        "sip_password" => &["sip_password"],
        "domain" => &["domain"],
        "directory" => &["directory"],
        "forward_no_answer" => &["forwardings.no_answer", "forwardings"],
        "voicemail_last_resort" => &["forwardings.voicemail_last_resort", "forwardings"],
        "forward_busy" => &["forwardings.busy", "forwardings"],
        "follow_me" => &["follow_me.destinations", "follow_me.enabled", "follow_me"],
        "keys" => &["keys"],
        "console_username" => &["permissions.console_username", "permissions"],
        "console_password" => &["permissions.password_hash", "permissions"],
        "rights" => &["permissions.rights", "permissions"],
        "number" => &["number"],
        "sms" => &["sms"],
        "destination" => &["destination"],
        "group_name" => &["name"],
        "members" => &["members"],
        _ => &[],
    }
}

/// The keys each table of the file may hold; a key naming a table lists
/// the keys of that table.
enum Keys {
    Leaf,
    Table(&'static [(&'static str, Keys)]),
}

const SETTINGS: Keys = Keys::Table(&[("domain", Keys::Leaf), ("proxy", Keys::Leaf)]);
const USER: Keys = Keys::Table(&[
    ("extension", Keys::Leaf),
    ("name", Keys::Leaf),
    ("email", Keys::Leaf),
    ("gsm", Keys::Leaf),
    ("voicemail", Keys::Leaf),
    ("outgoing_number", Keys::Leaf),
    ("multiple_calls", Keys::Leaf),
    ("sip_password", Keys::Leaf),
    ("directory", Keys::Leaf),
    ("must_log_in", Keys::Leaf),
    (
        "forwardings",
        Keys::Table(&[
            ("no_answer", Keys::Leaf),
            ("voicemail_last_resort", Keys::Leaf),
            ("busy", Keys::Leaf),
        ]),
    ),
    ("follow_me", Keys::Table(&[("enabled", Keys::Leaf), ("destinations", Keys::Leaf)])),
    ("keys", Keys::Leaf),
    (
        "permissions",
        Keys::Table(&[
            ("console_username", Keys::Leaf),
            ("password_hash", Keys::Leaf),
            ("rights", Keys::Leaf),
        ]),
    ),
]);
const INCOMING_NUMBER: Keys =
    Keys::Table(&[("number", Keys::Leaf), ("sms", Keys::Leaf), ("destination", Keys::Leaf)]);
const GROUP: Keys = Keys::Table(&[("name", Keys::Leaf), ("members", Keys::Leaf)]);

/// The collections of the file: their key, and how an entry is named.
const COLLECTIONS: [(&str, &str, Keys); 4] = [
    ("users", "user", USER),
    ("incoming_numbers", "incoming number", INCOMING_NUMBER),
    ("groups", "group", GROUP),
    ("pickup_groups", "pickup group", GROUP),
];

type Lines = BTreeMap<String, BTreeMap<String, usize>>;

fn walk_top(text: &str, table: &DeTable<'_>, lines: &mut Lines, errors: &mut Vec<FileError>) {
    for (key, value) in table {
        let line = line_at(text, key.span().start);
        let name = key.get_ref().as_ref();
        if name == "settings" {
            lines.entry("settings".to_string()).or_default().insert(String::new(), line);
            walk_entry(text, value, &SETTINGS, "", "settings", lines, errors);
            continue;
        }
        let Some((_, entry_name, keys)) = COLLECTIONS.iter().find(|(k, _, _)| *k == name) else {
            errors.push(unknown(line, name, "the file"));
            continue;
        };
        // A collection that is not a table is left for deserialization to report.
        let DeValue::Table(entries) = value.get_ref() else { continue };
        for (entry_key, entry) in entries {
            let subject = format!("{entry_name} {}", entry_key.get_ref());
            let line = line_at(text, entry_key.span().start);
            lines.entry(subject.clone()).or_default().insert(String::new(), line);
            walk_entry(text, entry, keys, "", &subject, lines, errors);
        }
    }
}

fn walk_entry(
    text: &str,
    value: &Spanned<DeValue<'_>>,
    keys: &Keys,
    prefix: &str,
    subject: &str,
    lines: &mut Lines,
    errors: &mut Vec<FileError>,
) {
    let (Keys::Table(known), DeValue::Table(table)) = (keys, value.get_ref()) else { return };
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        let line = line_at(text, key.span().start);
        let Some((_, inner)) = known.iter().find(|(k, _)| *k == name) else {
            errors.push(unknown(line, name, subject));
            continue;
        };
        let path = if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") };
        lines.entry(subject.to_string()).or_default().insert(path.clone(), line);
        walk_entry(text, value, inner, &path, subject, lines, errors);
    }
}

fn unknown(line: usize, key: &str, place: &str) -> FileError {
    FileError { line: Some(line), message: format!("{place}: there is no setting {key:?}") }
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() + 1
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
