use super::*;
use crate::console::fixtures::{console_with, office_snapshot, NOW};
use crate::console::input::{Input, Key};
use crate::console::update::{apply_reply as reply, handle_input};
use crate::control::api::{ErrorKind, Problem};

fn press(state: &mut ConsoleState, key: Key) -> Vec<Effect> {
    handle_input(state, Input::Key(key))
}

pub(crate) fn two_changes() -> Vec<Change> {
    vec![
        Change { subject: "user 1006".into(), description: "added".into() },
        Change {
            subject: "user 1002".into(),
            description: "name: Bruno Keller → Bruno Kell".into(),
        },
    ]
}

pub(crate) fn three_revisions() -> Vec<HistoryEntry> {
    (5..=7)
        .map(|revision| HistoryEntry {
            revision,
            applied_at: NOW - time::Duration::hours(i64::try_from(8 - revision).unwrap_or(0)),
            applied_by: if revision == 6 { "anne".into() } else { "admin".into() },
        })
        .collect()
}

fn with_changes() -> ConsoleState {
    let mut state = console_with(office_snapshot());
    assert_eq!(press(&mut state, Key::char('c')), [Effect::Request(Command::Diff)]);
    reply(&mut state, Command::Diff, Ok(Reply::Diff { changes: two_changes() }));
    state
}

#[test]
fn the_diff_key_opens_the_changes_and_asks_for_them() {
    let state = with_changes();
    let Some(Popup::Changes(view)) = &state.popup else { panic!("{:?}", state.popup) };
    assert_eq!(view.changes.as_deref(), Some(two_changes().as_slice()));
}

#[test]
fn apply_sends_apply_once_and_success_closes_with_the_revision() {
    let mut state = with_changes();
    assert_eq!(press(&mut state, Key::char('a')), [Effect::Request(Command::Apply)]);
    assert_eq!(press(&mut state, Key::char('a')), []);
    let effects = reply(&mut state, Command::Apply, Ok(Reply::Applied { revision: 8 }));
    assert_eq!(effects, [Effect::Request(Command::Snapshot)]);
    assert_eq!(state.popup, None);
    assert_eq!(state.notice.as_deref(), Some("Applied revision 8."));
}

#[test]
fn a_refused_apply_lists_every_error_and_goes_back_to_the_changes() {
    let mut state = with_changes();
    press(&mut state, Key::char('a'));
    let problem = |subject: &str, field: &str, message: &str| Problem {
        subject: subject.into(),
        field: field.into(),
        message: message.into(),
        index: None,
    };
    let error = ControlError {
        kind: ErrorKind::Invalid,
        field: Some("extension".into()),
        message: "cannot apply: …".into(),
        problems: vec![
            problem("user 1006", "extension", "extension 1006 is already taken"),
            problem("user 1007", "name", "name must not be empty"),
        ],
    };
    reply(&mut state, Command::Apply, Err(error));
    let Some(Popup::ApplyRefused { errors, .. }) = &state.popup else {
        panic!("{:?}", state.popup)
    };
    assert_eq!(
        errors,
        &[
            "user 1006: extension 1006 is already taken".to_string(),
            "user 1007: name must not be empty".to_string(),
        ]
    );

    press(&mut state, Key::plain(crate::console::input::KeyCode::Esc));
    let Some(Popup::Changes(view)) = &state.popup else { panic!("{:?}", state.popup) };
    assert!(!view.waiting, "apply can be tried again");
}

#[test]
fn discard_asks_first_and_no_keeps_the_changes() {
    let mut state = with_changes();
    assert_eq!(press(&mut state, Key::char('x')), []);
    assert_eq!(press(&mut state, Key::char('n')), []);
    let Some(Popup::Changes(view)) = &state.popup else { panic!("{:?}", state.popup) };
    assert!(!view.asking_discard);
    press(&mut state, Key::char('x'));
    assert_eq!(press(&mut state, Key::char('y')), [Effect::Request(Command::Discard)]);
    reply(&mut state, Command::Discard, Ok(Reply::Discarded { dropped: 2 }));
    assert_eq!(state.popup, None);
    assert_eq!(state.notice.as_deref(), Some("Discarded 2 pending changes."));
}

#[test]
fn discard_with_nothing_pending_does_not_ask() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('c'));
    reply(&mut state, Command::Diff, Ok(Reply::Diff { changes: Vec::new() }));
    press(&mut state, Key::char('x'));
    let Some(Popup::Changes(view)) = &state.popup else { panic!("{:?}", state.popup) };
    assert!(!view.asking_discard);
}

fn with_history() -> ConsoleState {
    let mut state = console_with(office_snapshot());
    assert_eq!(press(&mut state, Key::char('H')), [Effect::Request(Command::History)]);
    let revisions = three_revisions();
    reply(&mut state, Command::History, Ok(Reply::History { revisions }));
    state
}

#[test]
fn history_is_shown_newest_first_whatever_order_it_came_in() {
    let state = with_history();
    let Some(Popup::History(view)) = &state.popup else { panic!("{:?}", state.popup) };
    let order: Vec<u64> = view.revisions.iter().flatten().map(|e| e.revision).collect();
    assert_eq!(order, [7, 6, 5]);
}

#[test]
fn rollback_of_the_selected_revision_asks_then_stages_it() {
    let mut state = with_history();
    press(&mut state, Key::char('j'));
    assert_eq!(press(&mut state, Key::char('b')), []);
    let Some(Popup::History(view)) = &state.popup else { panic!("{:?}", state.popup) };
    assert_eq!(view.asking_rollback, Some(6));

    let effects = press(&mut state, Key::char('y'));
    assert_eq!(effects, [Effect::Request(Command::Rollback { revision: 6 })]);
    let command = Command::Rollback { revision: 6 };
    reply(&mut state, command, Ok(Reply::RolledBack { revision: 6, pending_changes: 3 }));
    assert_eq!(state.popup, None);
    assert_eq!(
        state.notice.as_deref(),
        Some("Revision 6 staged (3 changes): apply to make it live.")
    );
}

#[test]
fn declining_a_rollback_sends_nothing() {
    let mut state = with_history();
    press(&mut state, Key::char('b'));
    assert_eq!(press(&mut state, Key::char('n')), []);
    let Some(Popup::History(view)) = &state.popup else { panic!("{:?}", state.popup) };
    assert_eq!(view.asking_rollback, None);
}

#[test]
fn a_history_that_arrives_after_closing_is_dropped() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('H'));
    press(&mut state, Key::plain(crate::console::input::KeyCode::Esc));
    let revisions = three_revisions();
    reply(&mut state, Command::History, Ok(Reply::History { revisions }));
    assert_eq!(state.popup, None);
}

#[test]
fn a_refusal_without_broken_rules_shows_its_message() {
    let mut state = with_changes();
    press(&mut state, Key::char('a'));
    let error = ControlError::new(ErrorKind::Forbidden, "you may not apply changes");
    reply(&mut state, Command::Apply, Err(error));
    let Some(Popup::ApplyRefused { errors, .. }) = &state.popup else {
        panic!("{:?}", state.popup)
    };
    assert_eq!(errors, &["you may not apply changes".to_string()]);
}
