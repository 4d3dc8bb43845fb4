//! Whole-screen pictures of the console at fixed sizes, at a fixed moment,
//! for a fixed office. A change to any pane shows up here for review.

use ratatui::backend::TestBackend;
use ratatui::Terminal;

use super::fixtures::{console_with, empty_snapshot, office_snapshot, office_users, NOW};
use super::input::{Input, Key, KeyCode};
use super::keymap::Keymap;
use super::render::render;
use super::state::{ConsoleState, Pane};
use super::update::{apply_reply, handle_input};
use crate::control::api::{
    Change, Command, ControlError, ErrorKind, HistoryEntry, NewUser, Problem, Reply, SipIdentifiers,
};

fn draw(state: &mut ConsoleState, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    let frame = terminal.draw(|frame| render(state, frame, NOW)).expect("draws");
    state.screen = frame.area;
    terminal
}

fn press(state: &mut ConsoleState, key: Key) {
    handle_input(state, Input::Key(key));
}

fn screen_text(terminal: &Terminal<TestBackend>) -> String {
    terminal.backend().to_string()
}

#[test]
fn office_at_80_by_24() {
    let mut state = console_with(office_snapshot());
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn office_at_120_by_40() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::plain(KeyCode::Tab));
    insta::assert_snapshot!(screen_text(&draw(&mut state, 120, 40)));
}

#[test]
fn empty_store_offers_the_demo_office() {
    let mut state = console_with(empty_snapshot());
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn before_the_first_snapshot_panes_say_they_are_connecting() {
    let keymap = Keymap::default_map().expect("default keymap parses");
    let mut state = ConsoleState::new(keymap, true);
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn help_overlay_fits_at_80_by_24() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('?'));
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn help_overlay_lists_the_keys_of_the_active_map() {
    let keymap = Keymap::alternative_map().expect("alternative keymap parses");
    let mut state = ConsoleState::new(keymap, true);
    state.apply_subscription(office_snapshot());
    handle_input(&mut state, Input::Key(Key::plain(KeyCode::F(1))));
    let text = screen_text(&draw(&mut state, 80, 24));
    assert!(text.contains("F10, Ctrl-q"), "{text}");
    assert!(text.contains("F3 "), "{text}");
    assert!(!text.contains("q, Ctrl-c"), "{text}");
}

fn with_sip_popup(password: Option<&str>) -> ConsoleState {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('s'));
    let sip = SipIdentifiers {
        username: "1001".into(),
        domain: "pbx.example.com".into(),
        password: None,
        proxy: "pbx.example.com:5060".into(),
    };
    let user = office_users().remove(0);
    let command = Command::ShowUser { extension: "1001".into(), reveal: false };
    apply_reply(&mut state, command, Ok(Reply::User { user: user.clone(), sip: sip.clone() }));
    if let Some(password) = password {
        press(&mut state, Key::char('r'));
        let sip = SipIdentifiers { password: Some(password.to_string()), ..sip };
        let command = Command::ShowUser { extension: "1001".into(), reveal: true };
        apply_reply(&mut state, command, Ok(Reply::User { user, sip }));
    }
    state
}

#[test]
fn sip_identifiers_with_the_password_hidden() {
    let mut state = with_sip_popup(None);
    let text = screen_text(&draw(&mut state, 80, 24));
    assert!(!text.contains("Tr0mbone-Kiwi-42"));
    insta::assert_snapshot!(text);
}

#[test]
fn sip_identifiers_with_the_password_revealed() {
    let mut state = with_sip_popup(Some("Tr0mbone-Kiwi-42"));
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn zoomed_live_calls() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::plain(KeyCode::Tab));
    press(&mut state, Key::char('z'));
    assert_eq!(state.focus, Pane::Calls);
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn quitting_with_live_calls_asks_first() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('q'));
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn a_long_user_list_keeps_the_selection_in_view() {
    let mut snapshot = office_snapshot();
    snapshot.users = (0..10_000)
        .map(|n| {
            super::fixtures::user(&format!("{}", 10_000 + n), &format!("User {n}"), false, None)
        })
        .collect();
    snapshot.staged_users = super::fixtures::unchanged(&snapshot.users);
    let mut state = console_with(snapshot);
    press(&mut state, Key::char('G'));
    let text = screen_text(&draw(&mut state, 80, 24));
    assert!(text.contains("19999"), "{text}");
    assert!(!text.contains("10000 "), "{text}");
}

fn with_changes() -> ConsoleState {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('c'));
    let changes = vec![
        Change { subject: "user 1006".into(), description: "added".into() },
        Change {
            subject: "user 1002".into(), description: "name: Bruno Keller → Bruno K.".into()
        },
        Change { subject: "user 1004".into(), description: "voicemail: yes → no".into() },
    ];
    apply_reply(&mut state, Command::Diff, Ok(Reply::Diff { changes }));
    state
}

#[test]
fn pending_changes_field_by_field() {
    let mut state = with_changes();
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn a_refused_apply_lists_its_errors() {
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
            problem("user 1002", "gsm", "GSM number must start with + instead of 00"),
        ],
    };
    apply_reply(&mut state, Command::Apply, Err(error));
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn history_newest_first_with_the_live_revision_marked() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('H'));
    let revisions = (5..=7)
        .map(|revision| HistoryEntry {
            revision,
            applied_at: NOW - time::Duration::minutes(90 * i64::from(8 - revision as u8)),
            applied_by: if revision == 6 { "anne".into() } else { "admin".into() },
        })
        .collect();
    apply_reply(&mut state, Command::History, Ok(Reply::History { revisions }));
    press(&mut state, Key::char('j'));
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn the_empty_add_user_form() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('a'));
    let terminal = draw(&mut state, 80, 24);
    insta::assert_snapshot!(screen_text(&terminal));
}

#[test]
fn the_add_user_form_marks_a_refused_field() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('a'));
    for c in "1001".chars() {
        press(&mut state, Key::char(c));
    }
    press(&mut state, Key::plain(KeyCode::Tab));
    for c in "Eva Lind".chars() {
        press(&mut state, Key::char(c));
    }
    press(&mut state, Key::plain(KeyCode::Enter));
    let command = Command::AddUser { user: NewUser::default() };
    let error = ControlError::invalid("extension", "extension 1001 is already taken");
    apply_reply(&mut state, command, Err(error));
    let mut terminal = draw(&mut state, 80, 24);
    let cursor = terminal.get_cursor_position().expect("cursor");
    let text = screen_text(&terminal);
    insta::assert_snapshot!(text);
    // The refused field has the focus, and the cursor sits after its text.
    let line: Vec<&str> = text.lines().collect();
    let row = line[usize::from(cursor.y)];
    assert!(row.contains("› Extension"), "{row}");
}

#[test]
fn user_editor_tabs() {
    for (tab, name) in ["general", "forwardings", "follow_me", "keys", "sip", "permissions"]
        .into_iter()
        .enumerate()
    {
        let mut state = super::user_editor::tests::editing_alice();
        let digit = char::from(b'1' + u8::try_from(tab).expect("six tabs"));
        press(&mut state, Key::char(digit));
        insta::assert_snapshot!(
            format!("user_editor_tab_{name}"),
            screen_text(&draw(&mut state, 80, 24))
        );
    }
}

#[test]
fn forwardings_show_as_inactive_while_follow_me_is_on() {
    let mut state = super::user_editor::tests::editing_alice();
    press(&mut state, Key::char('3'));
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::char(' '));
    press(&mut state, Key::plain(KeyCode::Up));
    press(&mut state, Key::plain(KeyCode::Left));
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn users_filtered_and_sorted_by_name_descending() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('/'));
    for c in "d".chars() {
        press(&mut state, Key::char(c));
    }
    press(&mut state, Key::plain(KeyCode::Enter));
    press(&mut state, Key::char('o'));
    press(&mut state, Key::char('o'));
    press(&mut state, Key::char('o'));
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn incoming_numbers_with_their_destinations() {
    let mut state = super::numbers_screen::tests::showing_numbers();
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn an_incoming_number_being_edited() {
    let mut state = super::numbers_screen::tests::showing_numbers();
    press(&mut state, Key::plain(KeyCode::Enter));
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn user_groups_with_their_members() {
    let mut state = super::groups_screen::tests::showing_groups();
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}

#[test]
fn a_group_member_found_by_the_first_letters() {
    let mut state = super::groups_screen::tests::searching_in_sales();
    insta::assert_snapshot!(screen_text(&draw(&mut state, 80, 24)));
}
