use super::*;
use crate::console::fixtures::{console_with, empty_snapshot, office_snapshot};
use crate::console::input::{Input, KeyCode};
use crate::console::update::{apply_reply as reply, handle_input};
use crate::control::api::ErrorKind;

fn press(state: &mut ConsoleState, key: Key) -> Vec<Effect> {
    handle_input(state, Input::Key(key))
}

fn type_text(state: &mut ConsoleState, text: &str) {
    for c in text.chars() {
        assert_eq!(press(state, Key::char(c)), []);
    }
}

fn form(state: &ConsoleState) -> &UserForm {
    match &state.popup {
        Some(Popup::AddUser(form)) => form,
        other => panic!("no form: {other:?}"),
    }
}

#[test]
fn letters_that_are_keys_elsewhere_type_in_the_form() {
    let mut state = console_with(empty_snapshot());
    press(&mut state, Key::char('a'));
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "Quincy yanks");
    assert_eq!(form(&state).form.text("name"), "Quincy yanks");
}

#[test]
fn saving_sends_the_typed_user() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('a'));
    type_text(&mut state, "1006");
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "Eva Lind");
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::plain(KeyCode::Down));
    type_text(&mut state, "+32475123456");
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::char(' '));

    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let user = NewUser {
        extension: "1006".into(),
        name: "Eva Lind".into(),
        gsm: Some("+32475123456".into()),
        voicemail: false,
        ..NewUser::default()
    };
    assert_eq!(effects, [Effect::Request(Command::AddUser { user: user.clone() })]);
    assert_eq!(press(&mut state, Key::plain(KeyCode::Enter)), [], "one save at a time");

    let added = Reply::UserAdded { extension: "1006".into(), generated_password: None };
    reply(&mut state, Command::AddUser { user }, Ok(added));
    assert_eq!(state.popup, None);
    assert_eq!(state.notice.as_deref(), Some("User 1006 staged: apply to make it live."));
}

#[test]
fn a_refusal_marks_the_field_it_names_and_focuses_it() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('a'));
    type_text(&mut state, "1001");
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "Eva");
    let user = form(&state).new_user();
    press(&mut state, Key::plain(KeyCode::Enter));

    let error = ControlError::invalid("extension", "extension 1001 is already taken");
    reply(&mut state, Command::AddUser { user }, Err(error));
    let form = form(&state);
    assert!(!form.saving);
    assert_eq!(form.form.focus(), 0);
    assert_eq!(form.form.fields()[0].error.as_deref(), Some("extension 1001 is already taken"));
}

#[test]
fn leaving_an_edited_form_asks_and_no_keeps_it() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('a'));
    type_text(&mut state, "10");
    press(&mut state, Key::plain(KeyCode::Esc));
    assert!(form(&state).asking_leave);
    press(&mut state, Key::char('n'));
    assert!(!form(&state).asking_leave);
    assert_eq!(form(&state).form.text("extension"), "10", "the typing is kept");

    press(&mut state, Key::plain(KeyCode::Esc));
    press(&mut state, Key::char('y'));
    assert_eq!(state.popup, None);
}

#[test]
fn leaving_an_untouched_form_does_not_ask() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('a'));
    press(&mut state, Key::plain(KeyCode::Tab));
    press(&mut state, Key::plain(KeyCode::Esc));
    assert_eq!(state.popup, None);
}

#[test]
fn removing_the_selected_user_asks_first() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('j'));
    assert_eq!(press(&mut state, Key::char('x')), []);
    let asked = Popup::ConfirmRemove { extension: "1002".into(), name: "Bruno Keller".into() };
    assert_eq!(state.popup, Some(asked));
    let effects = press(&mut state, Key::char('y'));
    assert_eq!(effects, [Effect::Request(Command::RemoveUser { extension: "1002".into() })]);

    let removed = Reply::UserRemoved { extension: "1002".into() };
    reply(&mut state, Command::RemoveUser { extension: "1002".into() }, Ok(removed));
    assert!(state.notice.as_deref().is_some_and(|n| n.contains("1002")), "{:?}", state.notice);
}

#[test]
fn declining_a_removal_sends_nothing() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('x'));
    assert_eq!(press(&mut state, Key::char('n')), []);
    assert_eq!(state.popup, None);
}

#[test]
fn removal_needs_a_user_selected_in_users() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::plain(KeyCode::Tab));
    press(&mut state, Key::char('x'));
    assert_eq!(state.popup, None);
    assert!(state.notice.is_some());
}

#[test]
fn an_error_without_a_field_is_shown_for_the_whole_form() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('a'));
    let user = form(&state).new_user();
    press(&mut state, Key::plain(KeyCode::Enter));
    let error = ControlError::new(ErrorKind::Forbidden, "you may not manage users");
    reply(&mut state, Command::AddUser { user }, Err(error));
    assert_eq!(form(&state).form.error.as_deref(), Some("you may not manage users"));
}
