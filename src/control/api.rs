//! The vocabulary of the control interface: the commands a console or the CLI
//! sends, the replies they get, the snapshot of live state and the events that
//! follow it. The same types travel in-process and, as JSON, over the control
//! socket, so nothing here may hold a handle or a channel.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use super::edit::UserEdit;
use crate::config::{Config, Destination, IncomingNumber, PickupGroup, User, UserGroup};

/// A request to the engine. Each one gets exactly one [`Reply`] or a [`ControlError`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Users of the live configuration, in extension order.
    ListUsers,
    /// One user's details and SIP identifiers; the password only with `reveal`.
    ShowUser { extension: String, reveal: bool },
    /// Stages a new user. Without a password a strong one is generated.
    AddUser { user: NewUser },
    /// Stages the removal of a user.
    RemoveUser { extension: String },
    /// Stages changes to any tab of a user (live or staged).
    SetUser { extension: String, edit: Box<UserEdit> },
    /// Every tab of a user as staged, without SIP password or console
    /// password hash: what a user form starts from.
    UserConfig { extension: String },
    /// Incoming numbers as staged, in number order.
    ListNumbers,
    /// Stages a new incoming number.
    AddNumber { number: IncomingNumber },
    /// Stages changes to an incoming number.
    SetNumber { number: String, destination: Option<Destination>, sms: Option<String> },
    /// Stages the removal of an incoming number.
    RemoveNumber { number: String },
    /// User groups as staged, in name order.
    ListGroups,
    /// Stages a new user group.
    AddGroup { group: UserGroup },
    /// Stages a group's new member list.
    SetGroup { name: String, members: Vec<String> },
    /// Stages the removal of a user group.
    RemoveGroup { name: String },
    /// Pickup groups as staged, in name order.
    ListPickupGroups,
    /// Stages a new pickup group.
    AddPickupGroup { group: PickupGroup },
    /// Stages a pickup group's new member list.
    SetPickupGroup { name: String, members: Vec<String> },
    /// Stages the removal of a pickup group; Pickup keys naming it are
    /// refused at Apply until they change too.
    RemovePickupGroup { name: String },
    /// What is staged, against the live configuration.
    Diff,
    /// Validates the staged configuration and promotes it as a new revision.
    Apply,
    /// On an empty store, stages and applies the demo office.
    LoadDemo,
    /// Registrations and live calls of the running PBX.
    Status,
    /// Call records, newest first.
    Calls { limit: Option<usize> },
    /// The whole live state at once; what a console starts from.
    Snapshot,
    /// Who applied each revision and when, newest first.
    History,
    /// Stages the configuration of an earlier revision in place of whatever is
    /// staged; it goes live with the next [`Command::Apply`], as a new revision.
    Rollback { revision: u64 },
    /// Drops every staged change.
    Discard,
    /// The whole staged configuration (live when nothing is staged), or with
    /// `live` the live one; SIP passwords and console password hashes only
    /// with `with_secrets`.
    ExportConfig { with_secrets: bool, live: bool },
    /// Checks a whole configuration with every rule and stages it in place of
    /// whatever is staged; nothing is staged when a rule is broken. Users
    /// without a SIP password or console password hash keep those already
    /// staged for their extension; a new user without one gets a generated
    /// SIP password.
    ImportConfig { config: Box<Config> },
    /// Stages new users all at once, each with a generated SIP password unless
    /// one is given; when any is refused, none is staged and every refusal is
    /// listed with its position in `users`.
    ImportUsers { users: Vec<NewUser> },
}

/// The fields a new user is created with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewUser {
    pub extension: String,
    pub name: String,
    pub email: Option<String>,
    pub gsm: Option<String>,
    pub voicemail: bool,
    pub outgoing_number: Option<String>,
    pub multiple_calls: bool,
    pub sip_password: Option<String>,
}

/// The answer to a [`Command`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub enum Reply {
    Users {
        users: Vec<UserRow>,
    },
    User {
        user: UserRow,
        sip: SipIdentifiers,
    },
    /// A user was staged; `generated_password` is set when switchboard chose it.
    UserAdded {
        extension: String,
        generated_password: Option<String>,
    },
    UserRemoved {
        extension: String,
    },
    UserConfig {
        user: User,
    },
    Numbers {
        numbers: Vec<IncomingNumber>,
    },
    Groups {
        groups: Vec<UserGroup>,
    },
    PickupGroups {
        groups: Vec<PickupGroup>,
    },
    /// A change was staged; `subject` is in the diff's words ("user 1003",
    /// "incoming number +33199001000", "group sales", "pickup group reception").
    Staged {
        subject: String,
    },
    Diff {
        changes: Vec<Change>,
    },
    Applied {
        revision: u64,
    },
    NothingToApply,
    DemoLoaded {
        revision: u64,
        users: usize,
    },
    Status {
        status: Status,
    },
    Calls {
        calls: Vec<CallRecord>,
    },
    Snapshot {
        snapshot: Snapshot,
    },
    History {
        revisions: Vec<HistoryEntry>,
    },
    /// `revision`'s configuration is staged; `pending_changes` is how many
    /// changes it makes against live (0 when it is the live revision).
    RolledBack {
        revision: u64,
        pending_changes: usize,
    },
    /// Every staged change was dropped; `dropped` says how many there were.
    Discarded {
        dropped: usize,
    },
    Config {
        config: Box<Config>,
    },
    /// An import was staged; `generated` lists the SIP passwords switchboard
    /// chose, which are shown this once.
    Imported {
        pending_changes: usize,
        generated: Vec<GeneratedPassword>,
    },
}

/// A SIP password switchboard generated for a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedPassword {
    pub extension: String,
    pub password: String,
}

/// Why a command was not carried out. `field` names the offending input, when
/// there is one, so a form can mark it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ControlError {
    pub kind: ErrorKind,
    pub field: Option<String>,
    pub message: String,
    /// Every broken rule when several are found at once (Apply, import),
    /// so a screen can show each next to the line that causes it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<Problem>,
}

/// One broken rule of a whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Where, in the words of the diff: "user 1003", "group sales".
    pub subject: String,
    /// The field's stable key, as in [`ControlError::field`].
    pub field: String,
    pub message: String,
    /// For a list sent at once ([`Command::ImportUsers`]), the position of
    /// the entry that causes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The input breaks a rule (bad extension, duplicate, …).
    Invalid,
    /// The thing named does not exist.
    NotFound,
    /// Refused in this state (a non-empty store for the demo, no PBX running, …).
    Refused,
    /// The caller lacks the right for this command.
    Forbidden,
    /// The store or the engine failed.
    Internal,
}

impl ControlError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, field: None, message: message.into(), problems: Vec::new() }
    }

    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Invalid,
            field: Some(field.to_string()),
            message: message.into(),
            problems: Vec::new(),
        }
    }
}

/// A user as the users list shows it; also the JSON shape of `user list --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub extension: String,
    pub name: String,
    pub email: Option<String>,
    pub gsm: Option<String>,
    pub voicemail: bool,
    pub outgoing_number: Option<String>,
    pub multiple_calls: bool,
}

/// What a phone needs to be configured for a user (the SIP identifiers tab).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SipIdentifiers {
    pub username: String,
    pub domain: String,
    /// Only present when revealing was asked for.
    pub password: Option<String>,
    pub proxy: String,
}

/// One difference between staged and live configuration, in the product's words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// What changed, e.g. "user 1003".
    pub subject: String,
    /// How, e.g. "added", "removed", "name: Ann → Anne".
    pub description: String,
}

/// One applied revision in the history; also the JSON shape of `history --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub revision: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub applied_at: OffsetDateTime,
    /// The user name of whoever applied it.
    pub applied_by: String,
}

/// A binding of a user to a contact address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationView {
    pub user: String,
    pub contact: String,
    pub transport: String,
    pub user_agent: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// The caller is being challenged or the callee's phones are being tried.
    Calling,
    Ringing,
    Answered,
}

/// A call in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveCall {
    pub id: String,
    pub caller: String,
    pub callee: String,
    pub state: CallState,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    Answered,
    Busy,
    Cancelled,
    NoAnswer,
    NotFound,
    Unavailable,
    Failed,
}

/// A finished call, as kept in the store; also the JSON shape of `calls --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub id: String,
    pub caller: String,
    pub callee: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub ended_at: OffsetDateTime,
    pub outcome: CallOutcome,
}

/// The JSON shape of `status --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub registrations: Vec<RegistrationView>,
    pub calls: Vec<LiveCall>,
}

/// Everything a console shows, at one moment. Events then keep it current.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(with = "time::serde::rfc3339")]
    pub taken_at: OffsetDateTime,
    /// Whether a PBX is running on this store (false when the CLI opened it alone).
    pub pbx_running: bool,
    pub domain: String,
    pub proxy: String,
    pub revision: u64,
    pub pending_changes: usize,
    /// Users of the live configuration.
    pub users: Vec<UserRow>,
    /// Users as staged, plus those whose removal is staged, in extension
    /// order, each with how it differs from live: what a users list shows
    /// right after Save. Equal to `users` when nothing is staged.
    #[serde(default)]
    pub staged_users: Vec<StagedUser>,
    pub registrations: Vec<RegistrationView>,
    pub calls: Vec<LiveCall>,
}

/// A user as staged, with how that differs from live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagedUser {
    /// The staged fields; for a staged removal, the live ones.
    #[serde(flatten)]
    pub user: UserRow,
    /// `None` when the user is live exactly as staged.
    pub pending: Option<PendingChange>,
}

/// How a staged user differs from live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingChange {
    Added,
    /// Any tab differs, passwords included.
    Changed,
    Removed,
}

/// Something that happened after a snapshot. A subscriber that falls behind
/// gets [`Event::Lagged`] and should take a fresh snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// The full, current list of one user's registrations.
    Registrations { user: String, registrations: Vec<RegistrationView> },
    /// A call started or changed state.
    CallUpdated { call: LiveCall },
    /// A call ended; its record is in the store.
    CallEnded { record: CallRecord },
    /// Staged or live configuration changed; users and counts should be re-read.
    ConfigChanged { revision: u64, pending_changes: usize },
    /// Events were lost; take a fresh snapshot.
    Lagged,
}
