use super::*;
use crate::console::fixtures::{console_with, office_snapshot};
use crate::console::input::{Input, KeyCode};
use crate::console::update::{apply_reply as reply, handle_input};

fn press(state: &mut ConsoleState, key: Key) -> Vec<Effect> {
    handle_input(state, Input::Key(key))
}

fn type_text(state: &mut ConsoleState, text: &str) {
    for c in text.chars() {
        assert_eq!(press(state, Key::char(c)), []);
    }
}

pub(crate) fn two_numbers() -> Vec<IncomingNumber> {
    vec![
        IncomingNumber {
            number: "+3225550100".into(),
            sms: Some("reception reads them".into()),
            destination: Destination::Extension("1005".into()),
        },
        IncomingNumber {
            number: "+3225550199".into(),
            sms: None,
            destination: Destination::HangUp,
        },
    ]
}

/// A console showing the incoming numbers screen with two numbers.
pub(crate) fn showing_numbers() -> ConsoleState {
    let mut state = console_with(office_snapshot());
    let effects = press(&mut state, Key::char('i'));
    assert_eq!(effects, [Effect::Request(Command::ListNumbers)]);
    reply(&mut state, Command::ListNumbers, Ok(Reply::Numbers { numbers: two_numbers() }));
    state
}

fn view(state: &ConsoleState) -> &NumbersView {
    match &state.popup {
        Some(Popup::Numbers(view)) => view,
        other => panic!("no numbers screen: {other:?}"),
    }
}

#[test]
fn the_second_field_follows_the_destination_type() {
    let mut state = showing_numbers();
    press(&mut state, Key::char('a'));
    for _ in 0..2 {
        press(&mut state, Key::plain(KeyCode::Down));
    }
    // not configured → extension: a User field appears.
    press(&mut state, Key::plain(KeyCode::Right));
    let form = &view(&state).editing.as_ref().expect("form").form;
    assert_eq!(form.fields().len(), 4);
    assert_eq!(form.fields()[3].label, "User");
    // extension → dial plan: the same place asks for the plan.
    press(&mut state, Key::plain(KeyCode::Right));
    let form = &view(&state).editing.as_ref().expect("form").form;
    assert_eq!(form.fields()[3].label, "Dial plan");
    // → voicemail → hang up: nothing to choose.
    press(&mut state, Key::plain(KeyCode::Right));
    press(&mut state, Key::plain(KeyCode::Right));
    let form = &view(&state).editing.as_ref().expect("form").form;
    assert_eq!(form.fields().len(), 3);
}

#[test]
fn adding_sends_the_number_with_its_destination() {
    let mut state = showing_numbers();
    press(&mut state, Key::char('a'));
    type_text(&mut state, "+3225550123");
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::plain(KeyCode::Right));
    press(&mut state, Key::plain(KeyCode::Down));
    type_text(&mut state, "1002");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let number = IncomingNumber {
        number: "+3225550123".into(),
        sms: None,
        destination: Destination::Extension("1002".into()),
    };
    assert_eq!(effects, [Effect::Request(Command::AddNumber { number })]);
}

#[test]
fn a_type_without_its_second_choice_is_marked_before_sending() {
    let mut state = showing_numbers();
    press(&mut state, Key::char('a'));
    type_text(&mut state, "+3225550123");
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::plain(KeyCode::Right));
    assert_eq!(press(&mut state, Key::plain(KeyCode::Enter)), []);
    let form = &view(&state).editing.as_ref().expect("form").form;
    assert!(form.fields()[3].error.is_some());
}

#[test]
fn editing_keeps_the_number_and_sends_a_set() {
    let mut state = showing_numbers();
    press(&mut state, Key::plain(KeyCode::Enter));
    // The number names the entry: typing there changes nothing.
    press(&mut state, Key::plain(KeyCode::Up));
    press(&mut state, Key::char('9'));
    press(&mut state, Key::plain(KeyCode::Down));
    type_text(&mut state, "!");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let command = Command::SetNumber {
        number: "+3225550100".into(),
        destination: Some(Destination::Extension("1005".into())),
        sms: Some("reception reads them!".into()),
    };
    assert_eq!(effects, [Effect::Request(command.clone())]);
    let subject = "incoming number +3225550100".to_string();
    let effects = reply(&mut state, command, Ok(Reply::Staged { subject }));
    assert_eq!(view(&state).editing, None);
    assert_eq!(effects, [Effect::Request(Command::ListNumbers)]);
}

#[test]
fn removing_asks_then_sends() {
    let mut state = showing_numbers();
    press(&mut state, Key::plain(KeyCode::Down));
    assert_eq!(press(&mut state, Key::char('x')), []);
    assert_eq!(view(&state).removing.as_deref(), Some("+3225550199"));
    let effects = press(&mut state, Key::char('y'));
    assert_eq!(effects, [Effect::Request(Command::RemoveNumber { number: "+3225550199".into() })]);
}
