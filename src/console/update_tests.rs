use super::*;
use crate::console::fixtures::{console_with, empty_snapshot, office_snapshot, office_users};
use crate::console::input::{Key, KeyCode, Modifiers};
use crate::console::keymap::Keymap;
use crate::control::api::{ErrorKind, SipIdentifiers, UserRow};
use ratatui::layout::Rect;

fn press(state: &mut ConsoleState, key: Key) -> Vec<Effect> {
    handle_input(state, Input::Key(key))
}

fn identifiers(password: Option<&str>) -> SipIdentifiers {
    SipIdentifiers {
        username: "1001".into(),
        domain: "pbx.example.com".into(),
        password: password.map(str::to_string),
        proxy: "pbx.example.com:5060".into(),
    }
}

fn alice() -> UserRow {
    office_users().remove(0)
}

#[test]
fn tab_visits_every_pane_and_comes_back() {
    let mut state = console_with(office_snapshot());
    let mut seen = vec![state.focus];
    for _ in 0..4 {
        press(&mut state, Key::plain(KeyCode::Tab));
        seen.push(state.focus);
    }
    assert_eq!(seen, [Pane::Users, Pane::Calls, Pane::Queues, Pane::Connected, Pane::Users]);
    press(&mut state, Key::plain(KeyCode::BackTab));
    assert_eq!(state.focus, Pane::Connected);
}

#[test]
fn zoom_toggles_and_follows_focus() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('z'));
    assert!(state.zoomed);
    press(&mut state, Key::plain(KeyCode::Tab));
    assert!(state.zoomed && state.focus == Pane::Calls);
    press(&mut state, Key::char('z'));
    assert!(!state.zoomed);
}

#[test]
fn the_selection_moves_within_the_rows() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('k'));
    assert_eq!(state.selected(Pane::Users), 0);
    for _ in 0..10 {
        press(&mut state, Key::char('j'));
    }
    assert_eq!(state.selected(Pane::Users), 4);
    press(&mut state, Key::char('g'));
    assert_eq!(state.selected(Pane::Users), 0);
    press(&mut state, Key::char('G'));
    assert_eq!(state.selected(Pane::Users), 4);
}

#[test]
fn quitting_without_live_calls_leaves_at_once() {
    let mut state = console_with(empty_snapshot());
    assert_eq!(press(&mut state, Key::char('q')), vec![Effect::Quit(ExitReason::Quit)]);
}

#[test]
fn quitting_with_live_calls_asks_first_and_no_stays() {
    let mut state = console_with(office_snapshot());
    assert_eq!(press(&mut state, Key::char('q')), Vec::new());
    assert_eq!(state.popup, Some(Popup::ConfirmQuit { calls: 2 }));

    assert_eq!(press(&mut state, Key::char('n')), Vec::new());
    assert_eq!(state.popup, None);

    press(&mut state, Key::char('q'));
    assert_eq!(press(&mut state, Key::char('y')), vec![Effect::Quit(ExitReason::Quit)]);
}

#[test]
fn quit_works_over_the_help_and_the_sip_identifiers() {
    let mut state = console_with(empty_snapshot());
    press(&mut state, Key::char('?'));
    assert_eq!(press(&mut state, Key::char('q')), vec![Effect::Quit(ExitReason::Quit)]);

    let mut state = console_with(office_snapshot());
    state.quit_ends_calls = false;
    press(&mut state, Key::char('s'));
    assert!(matches!(state.popup, Some(Popup::Sip(_))), "{:?}", state.popup);
    assert_eq!(press(&mut state, Key::ctrl('c')), vec![Effect::Quit(ExitReason::Quit)]);
}

#[test]
fn quit_over_the_help_still_asks_while_calls_are_live() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('?'));
    assert_eq!(press(&mut state, Key::char('q')), Vec::new());
    assert_eq!(state.popup, Some(Popup::ConfirmQuit { calls: 2 }));
}

#[test]
fn quitting_an_attached_console_does_not_ask() {
    let mut state = console_with(office_snapshot());
    state.quit_ends_calls = false;
    assert_eq!(press(&mut state, Key::char('q')), vec![Effect::Quit(ExitReason::Quit)]);
}

#[test]
fn showing_sip_identifiers_asks_for_the_selected_user_without_the_password() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('j'));
    let effects = press(&mut state, Key::char('s'));
    assert_eq!(
        effects,
        vec![Effect::Request(Command::ShowUser { extension: "1002".into(), reveal: false })]
    );
    assert!(
        matches!(&state.popup, Some(Popup::Sip(p)) if p.extension == "1002" && p.sip.is_none())
    );
}

#[test]
fn revealing_asks_again_with_reveal_and_a_second_press_hides() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('s'));
    let shown = Ok(Reply::User { user: alice(), sip: identifiers(None) });
    apply_reply(&mut state, Command::ShowUser { extension: "1001".into(), reveal: false }, shown);

    let effects = press(&mut state, Key::char('r'));
    assert_eq!(
        effects,
        vec![Effect::Request(Command::ShowUser { extension: "1001".into(), reveal: true })]
    );
    assert_eq!(press(&mut state, Key::char('r')), Vec::new(), "one reveal at a time");

    let revealed = Ok(Reply::User { user: alice(), sip: identifiers(Some("s3cret-Pa55")) });
    apply_reply(&mut state, Command::ShowUser { extension: "1001".into(), reveal: true }, revealed);
    let Some(Popup::Sip(popup)) = &state.popup else { panic!("popup closed") };
    assert_eq!(popup.sip.as_ref().and_then(|s| s.password.as_deref()), Some("s3cret-Pa55"));

    press(&mut state, Key::char('r'));
    let Some(Popup::Sip(popup)) = &state.popup else { panic!("popup closed") };
    assert_eq!(popup.sip.as_ref().and_then(|s| s.password.clone()), None);
}

#[test]
fn a_refused_reveal_is_shown_in_the_popup() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('s'));
    let command = Command::ShowUser { extension: "1001".into(), reveal: false };
    apply_reply(&mut state, command, Ok(Reply::User { user: alice(), sip: identifiers(None) }));
    press(&mut state, Key::char('r'));

    let refused = Err(ControlError::new(ErrorKind::Forbidden, "phone management right needed"));
    apply_reply(&mut state, Command::ShowUser { extension: "1001".into(), reveal: true }, refused);
    let Some(Popup::Sip(popup)) = &state.popup else { panic!("popup closed") };
    assert_eq!(popup.error.as_deref(), Some("phone management right needed"));
    assert!(!popup.revealing);
}

#[test]
fn a_reply_for_a_closed_popup_is_dropped() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('s'));
    press(&mut state, Key::plain(KeyCode::Esc));
    let late = Ok(Reply::User { user: alice(), sip: identifiers(Some("s3cret-Pa55")) });
    apply_reply(&mut state, Command::ShowUser { extension: "1001".into(), reveal: true }, late);
    assert_eq!(state.popup, None);
}

#[test]
fn the_demo_office_is_offered_only_on_an_empty_store() {
    let mut office = console_with(office_snapshot());
    assert_eq!(press(&mut office, Key::char('d')), Vec::new());
    assert!(office.notice.is_some());

    let mut empty = console_with(empty_snapshot());
    assert_eq!(press(&mut empty, Key::char('d')), vec![Effect::Request(Command::LoadDemo)]);
    assert_eq!(press(&mut empty, Key::char('d')), Vec::new(), "already loading");
}

#[test]
fn a_loaded_demo_office_is_read_back() {
    let mut state = console_with(empty_snapshot());
    press(&mut state, Key::char('d'));
    let effects =
        apply_reply(&mut state, Command::LoadDemo, Ok(Reply::DemoLoaded { revision: 1, users: 5 }));
    assert_eq!(effects, vec![Effect::Request(Command::Snapshot)]);
    assert!(!state.demo_loading);

    apply_reply(&mut state, Command::Snapshot, Ok(Reply::Snapshot { snapshot: office_snapshot() }));
    assert_eq!(state.users.len(), 5);
}

#[test]
fn a_refused_demo_is_reported() {
    let mut state = console_with(empty_snapshot());
    press(&mut state, Key::char('d'));
    let refused = Err(ControlError::new(ErrorKind::Refused, "the store is not empty"));
    assert_eq!(apply_reply(&mut state, Command::LoadDemo, refused), Vec::new());
    assert!(!state.demo_loading);
    assert_eq!(
        state.notice.as_deref(),
        Some("The demo office was not loaded: the store is not empty")
    );
}

#[test]
fn help_opens_scrolls_within_its_lines_and_closes() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('?'));
    assert_eq!(state.popup, Some(Popup::Help { scroll: 0 }));
    for _ in 0..100 {
        press(&mut state, Key::char('j'));
    }
    assert_eq!(state.popup, Some(Popup::Help { scroll: help_line_count() - 1 }));
    press(&mut state, Key::char('?'));
    assert_eq!(state.popup, None);
}

fn alt(code: KeyCode) -> Key {
    Key::new(code, Modifiers { alt: true, ..Modifiers::default() })
}

#[test]
fn esc_and_a_key_read_together_as_alt_act_as_both_keys() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('?'));
    press(&mut state, alt(KeyCode::Tab));
    assert_eq!(state.popup, None);
    assert_eq!(state.focus, Pane::Calls);

    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('?'));
    press(&mut state, alt(KeyCode::Char('s')));
    assert!(matches!(state.popup, Some(Popup::Sip(_))), "{:?}", state.popup);
}

#[test]
fn an_alt_key_that_the_keymap_binds_keeps_its_own_action() {
    let mut state = console_with(office_snapshot());
    state.keymap = Keymap::with_override("test", "[screen]\nhelp = [\"Alt-h\"]\n").expect("keymap");
    press(&mut state, alt(KeyCode::Char('h')));
    assert_eq!(state.popup, Some(Popup::Help { scroll: 0 }));
}

#[test]
fn keys_without_an_action_change_nothing_but_clear_the_notice() {
    let mut state = console_with(office_snapshot());
    state.notice = Some("old news".into());
    assert_eq!(press(&mut state, Key::char('x')), Vec::new());
    assert_eq!(state.notice, None);
    assert_eq!(state.focus, Pane::Users);
}

#[test]
fn a_click_focuses_the_pane_and_selects_the_row_under_it() {
    let mut state = console_with(office_snapshot());
    state.screen = Rect::new(0, 0, 80, 24);
    let calls = layout::pane_area(state.screen, Pane::Calls, Pane::Users, false).expect("shown");
    // The second call is on the second data row: border, headings, first call.
    let click = Mouse { kind: MouseKind::Click, column: calls.x + 3, row: calls.y + 3 };
    handle_input(&mut state, Input::Mouse(click));
    assert_eq!(state.focus, Pane::Calls);
    assert_eq!(state.selected(Pane::Calls), 1);
}

#[test]
fn the_wheel_moves_the_selection_of_the_pane_under_the_pointer() {
    let mut state = console_with(office_snapshot());
    state.screen = Rect::new(0, 0, 80, 24);
    let users = layout::pane_area(state.screen, Pane::Users, Pane::Users, false).expect("shown");
    let wheel = Mouse { kind: MouseKind::ScrollDown, column: users.x + 2, row: users.y + 2 };
    handle_input(&mut state, Input::Mouse(wheel));
    handle_input(&mut state, Input::Mouse(wheel));
    assert_eq!(state.selected(Pane::Users), 2);
}
