use super::*;
use crate::console::fixtures::{console_with, office_snapshot};
use crate::console::input::Input;
use crate::console::update::{apply_reply as reply, handle_input};

fn press(state: &mut ConsoleState, key: Key) -> Vec<Effect> {
    handle_input(state, Input::Key(key))
}

fn type_text(state: &mut ConsoleState, text: &str) {
    for c in text.chars() {
        assert_eq!(press(state, Key::char(c)), []);
    }
}

fn sales() -> Vec<UserGroup> {
    vec![UserGroup { name: "sales".into(), members: vec!["1001".into(), "1003".into()] }]
}

/// A console showing the user groups screen with one group.
pub(crate) fn showing_groups() -> ConsoleState {
    let mut state = console_with(office_snapshot());
    let effects = press(&mut state, Key::char('u'));
    assert_eq!(effects, [Effect::Request(Command::ListGroups)]);
    reply(&mut state, Command::ListGroups, Ok(Reply::Groups { groups: sales() }));
    state
}

fn editing(state: &ConsoleState) -> &GroupForm {
    match &state.popup {
        Some(Popup::Groups(GroupsView { editing: Some(editing), .. })) => editing,
        other => panic!("no group form: {other:?}"),
    }
}

/// The group form open on "sales", searching for a member by "d".
pub(crate) fn searching_in_sales() -> ConsoleState {
    let mut state = showing_groups();
    press(&mut state, Key::plain(KeyCode::Enter));
    type_text(&mut state, "d");
    state
}

#[test]
fn the_first_letters_of_a_name_offer_the_users_not_yet_members() {
    let state = searching_in_sales();
    // Chloé Dubois is a member already; David Osei is not.
    let matches: Vec<&str> = editing(&state).matches.iter().map(|(ext, _)| ext.as_str()).collect();
    assert_eq!(matches, ["1004"]);
}

#[test]
fn enter_adds_the_picked_match_and_a_second_enter_saves() {
    let mut state = searching_in_sales();
    assert_eq!(press(&mut state, Key::plain(KeyCode::Enter)), []);
    assert_eq!(editing(&state).members, ["1001", "1003", "1004"]);
    assert!(editing(&state).matches.is_empty());
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let members = vec!["1001".into(), "1003".into(), "1004".into()];
    assert_eq!(effects, [Effect::Request(Command::SetGroup { name: "sales".into(), members })]);
}

#[test]
fn the_arrows_move_the_pick_among_several_matches() {
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('u'));
    reply(&mut state, Command::ListGroups, Ok(Reply::Groups { groups: Vec::new() }));
    press(&mut state, Key::char('a'));
    type_text(&mut state, "support");
    press(&mut state, Key::plain(KeyCode::Tab));
    type_text(&mut state, "100");
    assert_eq!(editing(&state).matches.len(), 5);
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::plain(KeyCode::Enter));
    assert_eq!(editing(&state).members, ["1003"]);
}

#[test]
fn backspace_in_an_empty_search_drops_the_last_member() {
    let mut state = showing_groups();
    press(&mut state, Key::plain(KeyCode::Enter));
    press(&mut state, Key::plain(KeyCode::Backspace));
    assert_eq!(editing(&state).members, ["1001"]);
    press(&mut state, Key::plain(KeyCode::Esc));
    assert!(editing(&state).asking_leave);
}

#[test]
fn removing_a_group_asks_then_sends() {
    let mut state = showing_groups();
    press(&mut state, Key::char('x'));
    let effects = press(&mut state, Key::char('y'));
    assert_eq!(effects, [Effect::Request(Command::RemoveGroup { name: "sales".into() })]);
}

#[test]
fn a_staged_group_closes_the_form_and_reads_the_list_again() {
    let mut state = showing_groups();
    press(&mut state, Key::char('a'));
    type_text(&mut state, "support");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let group = UserGroup { name: "support".into(), members: Vec::new() };
    assert_eq!(effects, [Effect::Request(Command::AddGroup { group: group.clone() })]);
    let command = Command::AddGroup { group };
    let staged = Ok(Reply::Staged { subject: "group support".into() });
    assert_eq!(reply(&mut state, command, staged), [Effect::Request(Command::ListGroups)]);
    assert!(matches!(&state.popup, Some(Popup::Groups(GroupsView { editing: None, .. }))));
}

#[test]
fn a_refused_group_marks_the_form_and_keeps_it_open() {
    let mut state = showing_groups();
    press(&mut state, Key::char('a'));
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let [Effect::Request(command)] = &effects[..] else { panic!("{effects:?}") };
    let error = ControlError::invalid("group_name", "a group needs a name");
    reply(&mut state, command.clone(), Err(error));
    let form = editing(&state);
    assert!(!form.saving);
    assert_eq!(form.form.fields()[0].error.as_deref(), Some("a group needs a name"));
}
