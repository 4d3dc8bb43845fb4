//! What Save changes in the console before Apply: the Users pane lists the
//! staged users marked against live, and a refused Apply marks the lines of
//! the users, incoming numbers and groups it found problems with.

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::fixtures::{console_with, office_snapshot, staged_office_snapshot, NOW};
use super::input::{Input, Key, KeyCode};
use super::render::render;
use super::state::{ConsoleState, Followup, Pane, Popup};
use super::update::{apply_reply, handle_input, Effect};
use crate::control::api::{
    Change, Command, ControlError, ErrorKind, Event, PendingChange, Problem, Reply,
};

fn press(state: &mut ConsoleState, key: Key) -> Vec<Effect> {
    handle_input(state, Input::Key(key))
}

fn draw(state: &mut ConsoleState, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    let frame = terminal.draw(|frame| render(state, frame, NOW)).expect("draws");
    state.screen = frame.area;
    terminal.backend().to_string()
}

fn listed(state: &ConsoleState) -> Vec<(String, Option<PendingChange>)> {
    (0..state.row_count(Pane::Users))
        .filter_map(|row| state.visible_user(row))
        .map(|user| (user.extension.clone(), state.pending_user(&user.extension)))
        .collect()
}

fn select_user(state: &mut ConsoleState, extension: &str) {
    press(state, Key::char('g'));
    for _ in 0..state.row_count(Pane::Users) {
        if state.visible_user(state.selected(Pane::Users)).map(|u| u.extension.as_str())
            == Some(extension)
        {
            return;
        }
        press(state, Key::plain(KeyCode::Down));
    }
    panic!("user {extension} is not listed");
}

fn problem(subject: &str, field: &str, message: &str) -> Problem {
    Problem { subject: subject.into(), field: field.into(), message: message.into(), index: None }
}

fn refusal() -> ControlError {
    ControlError {
        kind: ErrorKind::Invalid,
        field: Some("forward_no_answer".into()),
        message: "the staged configuration cannot be applied".into(),
        problems: vec![
            problem(
                "user 1006",
                "forward_no_answer",
                "forwarding on no answer: there is no user 1009",
            ),
            problem("user 1006", "keys", "key 2: there is no user 1004"),
            problem("incoming number +3225550100", "destination", "there is no user 1007"),
            problem("group sales", "members", "there is no user 1004"),
        ],
    }
}

/// The staged office with the pending changes open and Apply refused.
fn refused() -> ConsoleState {
    let mut state = console_with(staged_office_snapshot());
    press(&mut state, Key::char('c'));
    let changes = vec![Change { subject: "user 1006".into(), description: "added".into() }];
    apply_reply(&mut state, Command::Diff, Ok(Reply::Diff { changes }));
    assert_eq!(press(&mut state, Key::char('a')), [Effect::Request(Command::Apply)]);
    apply_reply(&mut state, Command::Apply, Err(refusal()));
    assert!(matches!(state.popup, Some(Popup::ApplyRefused { .. })), "{:?}", state.popup);
    press(&mut state, Key::plain(KeyCode::Esc));
    press(&mut state, Key::plain(KeyCode::Esc));
    assert_eq!(state.popup, None);
    state
}

#[test]
fn saved_users_are_listed_at_once_each_marked_against_live() {
    let state = console_with(staged_office_snapshot());
    assert_eq!(
        listed(&state),
        [
            ("1001".to_string(), None),
            ("1002".to_string(), Some(PendingChange::Changed)),
            ("1003".to_string(), None),
            ("1004".to_string(), Some(PendingChange::Removed)),
            ("1005".to_string(), None),
            ("1006".to_string(), Some(PendingChange::Added)),
        ]
    );
    let renamed = state.users.iter().find(|u| u.extension == "1002").expect("listed");
    assert_eq!(renamed.name, "Bruno Kell", "the staged name, not the live one");
}

#[test]
fn a_user_added_but_not_applied_opens_in_the_editor() {
    let mut state = console_with(staged_office_snapshot());
    select_user(&mut state, "1006");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert_eq!(effects, [Effect::Request(Command::UserConfig { extension: "1006".into() })]);
}

#[test]
fn a_user_whose_removal_is_staged_is_neither_edited_nor_removed_again() {
    let mut state = console_with(staged_office_snapshot());
    select_user(&mut state, "1004");
    assert_eq!(press(&mut state, Key::plain(KeyCode::Enter)), []);
    assert_eq!(state.popup, None);
    let notice = state.notice.clone().expect("a notice says why");
    assert!(notice.contains("1004") && notice.contains("removal is staged"), "{notice}");
    assert_eq!(press(&mut state, Key::char('x')), []);
    assert_eq!(state.popup, None);
}

#[test]
fn live_state_still_comes_from_registrations_and_calls() {
    let state = console_with(staged_office_snapshot());
    let presence = state.presence();
    assert!(presence.contains_key("1001"), "1001 is registered and on a call");
    assert!(!presence.contains_key("1006"), "a user not yet applied has no phone");
}

#[test]
fn each_config_change_reads_the_users_and_their_marks_again() {
    let mut state = console_with(office_snapshot());
    assert!(state.pending_users.is_empty());
    let followup = state.apply_event(Event::ConfigChanged { revision: 7, pending_changes: 3 });
    assert_eq!(followup, Some(Followup::ReadConfiguration));
    let snapshot = staged_office_snapshot();
    apply_reply(&mut state, Command::Snapshot, Ok(Reply::Snapshot { snapshot }));
    assert_eq!(state.row_count(Pane::Users), 6);
    assert_eq!(state.pending_user("1006"), Some(PendingChange::Added));

    // Once applied, the new snapshot has nothing staged: the marks go.
    state.apply_event(Event::ConfigChanged { revision: 8, pending_changes: 0 });
    let mut applied = office_snapshot();
    applied.staged_users.retain(|staged| staged.user.extension != "1004");
    apply_reply(&mut state, Command::Snapshot, Ok(Reply::Snapshot { snapshot: applied }));
    assert!(state.pending_users.is_empty());
    assert_eq!(state.row_count(Pane::Users), 4);
}

#[test]
fn a_refused_apply_marks_its_lines_until_an_apply_succeeds() {
    let mut state = refused();
    assert_eq!(state.problems_of("user 1006").count(), 2);
    assert_eq!(state.problems_of("group sales").count(), 1);
    assert_eq!(state.problems_of("user 1001").count(), 0);

    // A new refusal replaces the marks with its own.
    let again = ControlError {
        problems: vec![problem("group sales", "members", "there is no user 1004")],
        ..refusal()
    };
    apply_reply(&mut state, Command::Apply, Err(again));
    assert_eq!(state.problems_of("user 1006").count(), 0);
    assert_eq!(state.problems_of("group sales").count(), 1);

    apply_reply(&mut state, Command::Apply, Ok(Reply::Applied { revision: 8 }));
    assert!(state.apply_problems.is_empty());
}

#[test]
fn discarding_the_staged_changes_drops_the_marks() {
    let mut state = refused();
    apply_reply(&mut state, Command::Discard, Ok(Reply::Discarded { dropped: 3 }));
    assert!(state.apply_problems.is_empty());
}

#[test]
fn a_refusal_with_no_problem_in_particular_marks_nothing() {
    let mut state = refused();
    let busy = ControlError::new(ErrorKind::Internal, "the store could not be written");
    apply_reply(&mut state, Command::Apply, Err(busy));
    assert!(state.apply_problems.is_empty());
}

#[test]
fn users_pane_marks_staged_users_and_says_why_the_selected_one_was_refused() {
    let mut state = refused();
    select_user(&mut state, "1006");
    let text = draw(&mut state, 100, 24);
    assert!(text.contains("! new"), "{text}");
    assert!(text.contains("! forwarding on no answer: there is no user 1009 (+1 more)"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn users_pane_with_saved_changes_before_any_apply() {
    let mut state = console_with(staged_office_snapshot());
    insta::assert_snapshot!(draw(&mut state, 80, 24));
}

#[test]
fn incoming_numbers_screen_marks_the_refused_number_and_says_why() {
    let mut state = refused();
    press(&mut state, Key::char('i'));
    let numbers = super::numbers_screen::tests::two_numbers();
    apply_reply(&mut state, Command::ListNumbers, Ok(Reply::Numbers { numbers }));
    let text = draw(&mut state, 80, 24);
    assert!(text.contains("› ! +3225550100"), "{text}");
    assert!(text.contains("! there is no user 1007"), "{text}");
    insta::assert_snapshot!(text);

    // Another line selected: its mark stays, the reason goes with the selection.
    press(&mut state, Key::plain(KeyCode::Down));
    let text = draw(&mut state, 80, 24);
    assert!(text.contains("  ! +3225550100"), "{text}");
    assert!(!text.contains("there is no user 1007"), "{text}");
}

#[test]
fn groups_screen_marks_the_refused_group_and_says_why() {
    let mut state = refused();
    press(&mut state, Key::char('u'));
    let groups = vec![crate::config::UserGroup {
        name: "sales".into(),
        members: vec!["1001".into(), "1004".into()],
    }];
    apply_reply(&mut state, Command::ListGroups, Ok(Reply::Groups { groups }));
    let text = draw(&mut state, 80, 24);
    assert!(text.contains("› ! sales"), "{text}");
    assert!(text.contains("! there is no user 1004"), "{text}");
    insta::assert_snapshot!(text);
}
