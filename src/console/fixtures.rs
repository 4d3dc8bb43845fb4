//! A small office at a fixed moment, shared by the console's tests: five
//! users, two registered phones, one answered and one ringing call.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::keymap::Keymap;
use super::state::ConsoleState;
use crate::control::api::{
    CallState, LiveCall, PendingChange, RegistrationView, Snapshot, StagedUser, UserRow,
};

/// The moment every fixture is taken at, and the tests' clock.
pub const NOW: OffsetDateTime = datetime!(2025-03-14 10:00:00 UTC);

pub fn user(extension: &str, name: &str, voicemail: bool, outgoing: Option<&str>) -> UserRow {
    UserRow {
        extension: extension.to_string(),
        name: name.to_string(),
        email: None,
        gsm: None,
        voicemail,
        outgoing_number: outgoing.map(str::to_string),
        multiple_calls: false,
    }
}

pub fn registration(
    user: &str,
    contact: &str,
    transport: &str,
    agent: &str,
    left: i64,
) -> RegistrationView {
    RegistrationView {
        user: user.to_string(),
        contact: contact.to_string(),
        transport: transport.to_string(),
        user_agent: Some(agent.to_string()),
        expires_at: NOW + Duration::seconds(left),
    }
}

pub fn call(id: &str, caller: &str, callee: &str, state: CallState, age: i64) -> LiveCall {
    let started_at = NOW - Duration::seconds(age);
    let answered_at = (state == CallState::Answered).then(|| started_at + Duration::seconds(9));
    LiveCall {
        id: id.to_string(),
        caller: caller.to_string(),
        callee: callee.to_string(),
        state,
        started_at,
        answered_at,
    }
}

pub fn office_users() -> Vec<UserRow> {
    vec![
        user("1001", "Alice Martin", true, Some("+3225550100")),
        user("1002", "Bruno Keller", false, None),
        user("1003", "Chloé Dubois", true, Some("+3225550103")),
        user("1004", "David Osei", true, None),
        user("1005", "Reception", true, Some("+3225550100")),
    ]
}

/// `users` as staged exactly as they are live.
pub fn unchanged(users: &[UserRow]) -> Vec<StagedUser> {
    users.iter().map(|user| StagedUser { user: user.clone(), pending: None }).collect()
}

pub fn office_snapshot() -> Snapshot {
    Snapshot {
        taken_at: NOW,
        pbx_running: true,
        domain: "pbx.example.com".to_string(),
        proxy: "pbx.example.com:5060".to_string(),
        revision: 7,
        pending_changes: 2,
        users: office_users(),
        staged_users: unchanged(&office_users()),
        registrations: vec![
            registration(
                "1001",
                "sip:1001@192.168.1.21:5060",
                "UDP",
                "Yealink SIP-T46U 108.86",
                1805,
            ),
            registration(
                "1003",
                "sip:1003@192.168.1.34:51234;transport=tcp",
                "TCP",
                "Grandstream GXP2170",
                45,
            ),
        ],
        calls: vec![
            call("c-answered", "1001", "+3225550199", CallState::Answered, 139),
            call("c-ringing", "+3225550142", "1003", CallState::Ringing, 8),
        ],
    }
}

/// The office with changes saved but not applied: 1006 added, 1002
/// renamed, 1004's removal staged.
pub fn staged_office_snapshot() -> Snapshot {
    let mut staged = unchanged(&office_users());
    staged[1].user.name = "Bruno Kell".to_string();
    staged[1].pending = Some(PendingChange::Changed);
    staged[3].pending = Some(PendingChange::Removed);
    staged.push(StagedUser {
        user: user("1006", "Emma Novak", false, None),
        pending: Some(PendingChange::Added),
    });
    Snapshot { pending_changes: 3, staged_users: staged, ..office_snapshot() }
}

pub fn empty_snapshot() -> Snapshot {
    Snapshot {
        users: Vec::new(),
        staged_users: Vec::new(),
        registrations: Vec::new(),
        calls: Vec::new(),
        revision: 0,
        pending_changes: 0,
        ..office_snapshot()
    }
}

/// A console with the default keys that has taken `snapshot`.
pub fn console_with(snapshot: Snapshot) -> ConsoleState {
    let keymap = Keymap::default_map().expect("default keymap parses");
    let mut state = ConsoleState::new(keymap, true);
    state.apply_subscription(snapshot);
    state
}
