use super::*;
use crate::config::{Forwardings, Keys};
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

fn editor(state: &ConsoleState) -> &UserEditor {
    match &state.popup {
        Some(Popup::EditUser(editor)) => editor,
        other => panic!("no editor: {other:?}"),
    }
}

/// Alice as staged: one no-answer destination, Follow Me off.
pub(crate) fn alice() -> User {
    User {
        extension: "1001".into(),
        name: "Alice Martin".into(),
        voicemail: true,
        forwardings: Forwardings {
            no_answer: vec!["1002:20".parse().expect("ring")],
            voicemail_last_resort: true,
            busy: Vec::new(),
        },
        keys: Keys(vec![PhoneKey::Blf("1002".into()), PhoneKey::NotConfigured]),
        ..User::default()
    }
}

/// A console with Alice's editor open and loaded.
pub(crate) fn editing_alice() -> ConsoleState {
    let mut state = console_with(office_snapshot());
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let command = Command::UserConfig { extension: "1001".into() };
    assert_eq!(effects, [Effect::Request(command.clone())]);
    reply(&mut state, command, Ok(Reply::UserConfig { user: alice() }));
    state
}

fn sent_edit(effects: &[Effect]) -> &UserEdit {
    match effects {
        [Effect::Request(Command::SetUser { edit, .. })] => edit,
        other => panic!("no SetUser: {other:?}"),
    }
}

#[test]
fn enter_on_a_user_opens_the_editor_and_e_does_too() {
    let state = editing_alice();
    assert!(editor(&state).is_loaded());
    let mut state = console_with(office_snapshot());
    press(&mut state, Key::char('j'));
    let effects = press(&mut state, Key::char('e'));
    assert_eq!(effects, [Effect::Request(Command::UserConfig { extension: "1002".into() })]);
}

#[test]
fn arrows_and_digits_on_the_tab_bar_switch_tabs() {
    let mut state = editing_alice();
    press(&mut state, Key::plain(KeyCode::Right));
    assert_eq!(editor(&state).tab, FORWARDINGS);
    press(&mut state, Key::plain(KeyCode::Left));
    press(&mut state, Key::plain(KeyCode::Left));
    assert_eq!(editor(&state).tab, PERMISSIONS);
    press(&mut state, Key::char('3'));
    assert_eq!(editor(&state).tab, FOLLOW_ME);
}

#[test]
fn a_ring_time_slides_by_five_seconds_within_5_to_120() {
    let mut state = editing_alice();
    press(&mut state, Key::char('2'));
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::plain(KeyCode::Down));
    for _ in 0..3 {
        press(&mut state, Key::plain(KeyCode::Right));
    }
    let edit = editor(&state).edit().expect("readable");
    assert_eq!(edit.forward_no_answer, Some(vec!["1002:35".parse().expect("ring")]));
    for _ in 0..30 {
        press(&mut state, Key::plain(KeyCode::Left));
    }
    let edit = editor(&state).edit().expect("readable");
    assert_eq!(edit.forward_no_answer, Some(vec!["1002:5".parse().expect("ring")]));
}

#[test]
fn filling_the_empty_destination_offers_another() {
    let mut state = editing_alice();
    press(&mut state, Key::char('2'));
    // Destination 1, its time, then the empty destination 2.
    for _ in 0..3 {
        press(&mut state, Key::plain(KeyCode::Down));
    }
    type_text(&mut state, "+33612345678");
    let form = editor(&state).form().expect("loaded");
    let labels: Vec<&str> = form.fields().iter().map(|field| field.label.as_ref()).collect();
    assert!(labels.contains(&"No answer 3"), "{labels:?}");
    let edit = editor(&state).edit().expect("readable");
    let rings = edit.forward_no_answer.expect("sent");
    assert_eq!(rings.len(), 2);
    assert_eq!(rings[1].target, RingTarget::External("+33612345678".into()));
}

#[test]
fn saving_sends_every_tab_as_one_set_user() {
    let mut state = editing_alice();
    press(&mut state, Key::char('3'));
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::char(' '));
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let edit = sent_edit(&effects);
    assert_eq!(edit.follow_me, Some(true));
    assert_eq!(edit.name.as_deref(), Some("Alice Martin"));
    assert_eq!(edit.key_count, Some(2));
    assert_eq!(edit.keys[0], (1, PhoneKey::Blf("1002".into())));
    // Secrets are sent only when typed.
    assert_eq!(edit.sip_password, None);
    assert_eq!(edit.console_password, None);
    assert_eq!(edit.rights.len(), Right::ALL.len());
}

#[test]
fn a_key_that_is_not_one_is_marked_before_anything_is_sent() {
    let mut state = editing_alice();
    press(&mut state, Key::char('4'));
    for _ in 0..3 {
        press(&mut state, Key::plain(KeyCode::Down));
    }
    type_text(&mut state, "blf");
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    assert_eq!(effects, []);
    let form = editor(&state).form().expect("loaded");
    assert!(form.fields()[form.focus()].error.is_some());
}

#[test]
fn the_key_count_shows_as_many_key_fields() {
    let mut state = editing_alice();
    press(&mut state, Key::char('4'));
    press(&mut state, Key::plain(KeyCode::Down));
    press(&mut state, Key::plain(KeyCode::Right));
    press(&mut state, Key::plain(KeyCode::Right));
    let form = editor(&state).form().expect("loaded");
    assert_eq!(form.fields().len(), 5);
    press(&mut state, Key::plain(KeyCode::Home));
    let form = editor(&state).form().expect("loaded");
    assert_eq!(form.fields().len(), 2);
}

#[test]
fn a_preset_sets_the_rights_checkboxes() {
    let mut state = editing_alice();
    press(&mut state, Key::char('6'));
    for _ in 0..3 {
        press(&mut state, Key::plain(KeyCode::Down));
    }
    press(&mut state, Key::plain(KeyCode::Right));
    let edit = editor(&state).edit().expect("readable");
    assert!(edit.rights.iter().all(|(_, on)| *on));
    assert_eq!(edit.preset, Some(Preset::Administrator));
}

#[test]
fn a_refusal_marks_the_field_on_its_own_tab() {
    let mut state = editing_alice();
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let [Effect::Request(command)] = &effects[..] else { panic!("{effects:?}") };
    let error = ControlError::invalid("forward_busy", "ring time must be 5 to 120 seconds");
    reply(&mut state, command.clone(), Err(error));
    let editor = editor(&state);
    assert_eq!(editor.tab, FORWARDINGS);
    assert!(!editor.saving);
    let form = editor.form().expect("loaded");
    assert_eq!(form.fields()[form.focus()].key, "forward_busy");
    assert!(form.fields()[form.focus()].error.is_some());
}

#[test]
fn a_staged_change_closes_the_editor() {
    let mut state = editing_alice();
    let effects = press(&mut state, Key::plain(KeyCode::Enter));
    let [Effect::Request(command)] = &effects[..] else { panic!("{effects:?}") };
    reply(&mut state, command.clone(), Ok(Reply::Staged { subject: "user 1001".into() }));
    assert_eq!(state.popup, None);
}

#[test]
fn leaving_with_edits_asks_and_leaving_untouched_does_not() {
    let mut state = editing_alice();
    press(&mut state, Key::plain(KeyCode::Esc));
    assert_eq!(state.popup, None);

    let mut state = editing_alice();
    press(&mut state, Key::plain(KeyCode::Down));
    type_text(&mut state, "e");
    press(&mut state, Key::plain(KeyCode::Esc));
    assert!(editor(&state).asking_leave);
    press(&mut state, Key::plain(KeyCode::Esc));
    assert!(!editor(&state).asking_leave);
}

#[test]
fn reveal_on_the_sip_tab_asks_for_the_password() {
    let mut state = editing_alice();
    press(&mut state, Key::char('5'));
    let effects = press(&mut state, Key::char('r'));
    assert_eq!(
        effects,
        [Effect::Request(Command::ShowUser { extension: "1001".into(), reveal: true })]
    );
}
