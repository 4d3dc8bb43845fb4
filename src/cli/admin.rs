//! The administration commands: each becomes one or two control commands,
//! sent over the control socket when a PBX runs on the data directory and to
//! a service on the store otherwise, and its reply is printed for a person or,
//! with `--json`, in the stable JSON shapes of [`crate::control::api`].

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use time::macros::format_description;
use time::OffsetDateTime;

use super::{AddUserArgs, AdminCommand, UserCommand, YesNo};
use crate::control::api::{
    CallRecord, Command, ControlError, ErrorKind, HistoryEntry, NewUser, Reply, Status, UserRow,
};
use crate::control::{event_channel, Link, LocalLink, Service, SocketLink};
use crate::store::{Store, StoreError};

/// Why an administration command failed; printed as one line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start: {0}")]
    Runtime(io::Error),
    #[error("cannot write the output: {0}")]
    Output(io::Error),
    #[error(transparent)]
    Invalid(#[from] crate::config::ValidationError),
    #[error("the PBX gave an unexpected answer to {0}")]
    UnexpectedReply(&'static str),
    #[error("cannot {action} {path}: {error}")]
    File { action: &'static str, path: String, error: io::Error },
    #[error(transparent)]
    Export(#[from] crate::config::file::ExportError),
    /// Each problem was printed on stderr, one a line, before this.
    #[error("nothing staged: {count} problem(s) in {path}")]
    Rejected { path: String, count: usize },
}

/// Runs one administration command against the switchboard on `data`.
/// `sip` is where a PBX on this store would listen, for the proxy address of
/// SIP identifiers when no PBX is running to say so.
pub fn run(data: &Path, sip: SocketAddr, command: AdminCommand) -> Result<(), CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?;
    runtime.block_on(async {
        if let Some(link) = SocketLink::connect(data).await? {
            return execute(&link, command).await;
        }
        // No PBX runs here: this process owns the store for the command.
        let store = Arc::new(Store::open(data)?);
        let service = Arc::new(Service::new(store, None, event_channel()));
        service.set_sip_address(sip);
        execute(&LocalLink::new(service), command).await
    })
}

async fn execute<L: Link>(link: &L, command: AdminCommand) -> Result<(), CliError> {
    match command {
        AdminCommand::User(UserCommand::Add(args)) => add_user(link, args).await,
        AdminCommand::User(UserCommand::List { json }) => list_users(link, json).await,
        AdminCommand::User(UserCommand::Show { extension, reveal, json }) => {
            super::show::show_user(link, &extension, reveal, json).await
        }
        AdminCommand::User(UserCommand::Rm { extension }) => {
            match link.request(Command::RemoveUser { extension }).await? {
                Reply::UserRemoved { extension } => print(&format!(
                    "staged the removal of user {extension}; `switchboard apply` makes it live\n"
                )),
                _ => Err(CliError::UnexpectedReply("user rm")),
            }
        }
        AdminCommand::User(UserCommand::Import { file }) => {
            super::files::import_users(link, &file).await
        }
        AdminCommand::Export { file, with_secrets, live } => {
            super::files::export(link, &file, with_secrets, live).await
        }
        AdminCommand::Import { file } => super::files::import(link, &file).await,
        AdminCommand::User(UserCommand::Set(args)) => {
            listed(link, super::edit::set_user(*args)?, false).await
        }
        AdminCommand::Number(command) => {
            let (command, json) = super::edit::number(command)?;
            listed(link, command, json).await
        }
        AdminCommand::Group(command) => {
            let (command, json) = super::edit::group(command);
            listed(link, command, json).await
        }
        AdminCommand::PickupGroup(command) => {
            let (command, json) = super::edit::pickup_group(command);
            listed(link, command, json).await
        }
        AdminCommand::Diff => match link.request(Command::Diff).await? {
            Reply::Diff { changes } if changes.is_empty() => print("nothing staged\n"),
            Reply::Diff { changes } => print(
                &changes
                    .iter()
                    .map(|c| format!("{}: {}\n", c.subject, c.description))
                    .collect::<String>(),
            ),
            _ => Err(CliError::UnexpectedReply("diff")),
        },
        AdminCommand::Apply => match link.request(Command::Apply).await? {
            Reply::Applied { revision } => print(&format!("applied revision {revision}\n")),
            Reply::NothingToApply => print("nothing to apply\n"),
            _ => Err(CliError::UnexpectedReply("apply")),
        },
        AdminCommand::Demo => match link.request(Command::LoadDemo).await? {
            Reply::DemoLoaded { revision, users } => print(&format!(
                "loaded the demo office: {users} users, live as revision {revision}\n\
                 `switchboard user show EXT --reveal` gives a phone's SIP password\n"
            )),
            _ => Err(CliError::UnexpectedReply("demo")),
        },
        AdminCommand::Status { json } => match link.request(Command::Status).await? {
            Reply::Status { status } if json => print_json(&status),
            Reply::Status { status } => print(&show_status(&status)),
            _ => Err(CliError::UnexpectedReply("status")),
        },
        AdminCommand::Calls { json, limit } => {
            match link.request(Command::Calls { limit }).await? {
                Reply::Calls { calls } if json => print_json(&calls),
                Reply::Calls { calls } => print(&show_calls(&calls)),
                _ => Err(CliError::UnexpectedReply("calls")),
            }
        }
        AdminCommand::History { json } => match link.request(Command::History).await? {
            Reply::History { revisions } if json => print_json(&revisions),
            Reply::History { revisions } => print(&show_history(&revisions)),
            _ => Err(CliError::UnexpectedReply("history")),
        },
        AdminCommand::Rollback { revision } => {
            match link.request(Command::Rollback { revision }).await? {
                Reply::RolledBack { revision, pending_changes } => {
                    print(&rolled_back(revision, pending_changes))
                }
                _ => Err(CliError::UnexpectedReply("rollback")),
            }
        }
        AdminCommand::Discard => match link.request(Command::Discard).await? {
            Reply::Discarded { dropped: 0 } => print("nothing staged to discard\n"),
            Reply::Discarded { dropped } => {
                print(&format!("discarded {dropped} staged change(s)\n"))
            }
            _ => Err(CliError::UnexpectedReply("discard")),
        },
    }
}

fn show_history(revisions: &[HistoryEntry]) -> String {
    if revisions.is_empty() {
        return "no revision applied yet\n".to_string();
    }
    let rows: Vec<[String; 3]> = revisions
        .iter()
        .map(|r| [r.revision.to_string(), clock(r.applied_at), r.applied_by.clone()])
        .collect();
    table(["REVISION", "APPLIED (UTC)", "BY"], &rows)
}

fn rolled_back(revision: u64, pending_changes: usize) -> String {
    if pending_changes == 0 {
        return format!("revision {revision} is what is live; nothing is staged\n");
    }
    format!(
        "staged revision {revision}: {pending_changes} change(s) against live; \
         `switchboard diff` shows them, `switchboard apply` makes them live\n"
    )
}

/// Prints what a staging or listing command answered. Listings show the
/// live configuration, as `user list` does, with a note on stderr when
/// staged changes would alter them.
async fn listed<L: Link>(link: &L, command: Command, json: bool) -> Result<(), CliError> {
    let listing =
        matches!(command, Command::ListNumbers | Command::ListGroups | Command::ListPickupGroups);
    let reply = match command {
        Command::ListNumbers => Reply::Numbers {
            numbers: live_config(link).await?.incoming_numbers.into_values().collect(),
        },
        Command::ListGroups => {
            Reply::Groups { groups: live_config(link).await?.groups.into_values().collect() }
        }
        Command::ListPickupGroups => Reply::PickupGroups {
            groups: live_config(link).await?.pickup_groups.into_values().collect(),
        },
        command => link.request(command).await?,
    };
    show_listed(reply, json)?;
    if listing && !json {
        note_staged(link).await;
    }
    Ok(())
}

/// The live configuration, without secrets.
async fn live_config<L: Link>(link: &L) -> Result<crate::config::Config, CliError> {
    match link.request(Command::ExportConfig { with_secrets: false, live: true }).await? {
        Reply::Config { config } => Ok(*config),
        _ => Err(CliError::UnexpectedReply("a listing")),
    }
}

/// Says on stderr that a listing of live configuration leaves out staged
/// changes, when there are some.
pub(super) async fn note_staged<L: Link>(link: &L) {
    if let Ok(Reply::Diff { changes }) = link.request(Command::Diff).await {
        if !changes.is_empty() {
            eprintln!(
                "note: {} staged change(s) not live yet; see `switchboard diff`",
                changes.len()
            );
        }
    }
}

fn show_listed(reply: Reply, json: bool) -> Result<(), CliError> {
    match reply {
        Reply::Staged { subject } => {
            print(&format!("staged a change to {subject}; `switchboard apply` makes it live\n"))
        }
        Reply::Numbers { numbers } if json => print_json(&numbers),
        Reply::Numbers { numbers } if numbers.is_empty() => print("no incoming numbers\n"),
        Reply::Numbers { numbers } => {
            let rows: Vec<[String; 3]> = numbers
                .iter()
                .map(|n| {
                    let destination = n.destination.to_string().replacen(':', " ", 1);
                    [
                        n.number.clone(),
                        destination.replace('_', " "),
                        n.sms.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            print(&table(["NUMBER", "DESTINATION", "SMS NOTE"], &rows))
        }
        Reply::Groups { groups } if json => print_json(&groups),
        Reply::Groups { groups } if groups.is_empty() => print("no user groups\n"),
        Reply::Groups { groups } => {
            let rows: Vec<[String; 2]> =
                groups.iter().map(|g| [g.name.clone(), g.members.join(", ")]).collect();
            print(&table(["GROUP", "MEMBERS"], &rows))
        }
        Reply::PickupGroups { groups } if json => print_json(&groups),
        Reply::PickupGroups { groups } if groups.is_empty() => print("no pickup groups\n"),
        Reply::PickupGroups { groups } => {
            let rows: Vec<[String; 2]> =
                groups.iter().map(|g| [g.name.clone(), g.members.join(", ")]).collect();
            print(&table(["PICKUP GROUP", "MEMBERS"], &rows))
        }
        _ => Err(CliError::UnexpectedReply("a staging command")),
    }
}

async fn add_user<L: Link>(link: &L, args: AddUserArgs) -> Result<(), CliError> {
    let user = NewUser {
        extension: args.extension,
        name: args.name,
        email: args.email,
        gsm: args.gsm,
        voicemail: args.voicemail == YesNo::Yes,
        outgoing_number: args.outgoing_number,
        multiple_calls: args.multiple_calls,
        sip_password: args.sip_password,
    };
    let Reply::UserAdded { extension, generated_password } =
        link.request(Command::AddUser { user }).await?
    else {
        return Err(CliError::UnexpectedReply("user add"));
    };
    let mut text = format!("staged user {extension}; `switchboard apply` makes it live\n");
    if let Some(password) = generated_password {
        text.push_str(&format!("SIP password for {extension}: {password}\n"));
    }
    print(&text)
}

async fn list_users<L: Link>(link: &L, json: bool) -> Result<(), CliError> {
    let Reply::Users { users } = link.request(Command::ListUsers).await? else {
        return Err(CliError::UnexpectedReply("user list"));
    };
    if json {
        return print_json(&users);
    }
    print(&users_table(&users))?;

    // The list shows live users only; say so when staged changes would alter it.
    note_staged(link).await;
    Ok(())
}

fn users_table(users: &[UserRow]) -> String {
    if users.is_empty() {
        return "no users yet: `switchboard user add` or `switchboard demo`\n".to_string();
    }
    let rows: Vec<[String; 4]> = users
        .iter()
        .map(|u| {
            [
                u.extension.clone(),
                u.name.clone(),
                yes_no(u.voicemail).to_string(),
                u.outgoing_number.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(["NUMBER", "NAME", "VOICEMAIL", "OUTGOING NUMBER"], &rows)
}

fn show_status(status: &Status) -> String {
    let mut text = String::new();
    if status.registrations.is_empty() {
        text.push_str("no phone registered\n");
    } else {
        let rows: Vec<[String; 5]> = status
            .registrations
            .iter()
            .map(|r| {
                [
                    r.user.clone(),
                    r.contact.clone(),
                    r.transport.clone(),
                    r.user_agent.clone().unwrap_or_default(),
                    clock(r.expires_at),
                ]
            })
            .collect();
        text.push_str(&table(["USER", "CONTACT", "TRANSPORT", "PHONE", "EXPIRES (UTC)"], &rows));
    }
    text.push('\n');
    if status.calls.is_empty() {
        text.push_str("no call in progress\n");
    } else {
        let rows: Vec<[String; 4]> = status
            .calls
            .iter()
            .map(|c| [clock(c.started_at), c.caller.clone(), c.callee.clone(), snake(&c.state)])
            .collect();
        text.push_str(&table(["STARTED (UTC)", "CALLER", "CALLEE", "STATE"], &rows));
    }
    text
}

fn show_calls(calls: &[CallRecord]) -> String {
    if calls.is_empty() {
        return "no calls yet\n".to_string();
    }
    let rows: Vec<[String; 5]> = calls
        .iter()
        .map(|c| {
            // An unanswered call has no talk time, which is not a zero one.
            let talked = c.answered_at.map_or_else(
                || "-".to_string(),
                |answered| {
                    let seconds = (c.ended_at - answered).whole_seconds();
                    format!("{}:{:02}", seconds / 60, seconds % 60)
                },
            );
            [clock(c.started_at), c.caller.clone(), c.callee.clone(), snake(&c.outcome), talked]
        })
        .collect();
    table(["STARTED (UTC)", "CALLER", "CALLEE", "OUTCOME", "TALKED"], &rows)
}

/// Columns padded to their widest cell, two spaces apart.
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> =
            cells.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        format!("{}\n", padded.join("  ").trim_end())
    };
    let mut text = line(header.to_vec());
    for row in rows {
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

fn clock(at: OffsetDateTime) -> String {
    at.format(format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"))
        .unwrap_or_else(|_| at.to_string())
}

/// An enum's JSON name ("no_answer"), which is also how people read it.
fn snake<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

pub(super) fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

pub(super) fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Control(ControlError::new(ErrorKind::Internal, e.to_string())))?;
    text.push('\n');
    print(&text)
}

/// Writes to stdout; a reader that went away (`| head`) is not a failure.
pub(super) fn print(text: &str) -> Result<(), CliError> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(CliError::Output(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_columns_to_the_widest_cell() {
        let rows = [["1001".to_string(), "Émilie Laurent".to_string()]];
        assert_eq!(table(["NUMBER", "NAME"], &rows), "NUMBER  NAME\n1001    Émilie Laurent\n");
    }

    #[test]
    fn outcomes_read_as_words() {
        assert_eq!(snake(&crate::control::api::CallOutcome::NoAnswer), "no answer");
    }
}
