use super::*;

fn problem_at(result: Result<Keymap, KeymapError>) -> (usize, Problem, String) {
    match result {
        Err(error @ KeymapError::Invalid { .. }) => {
            let message = error.to_string();
            let KeymapError::Invalid { line, problem, .. } = error else {
                unreachable!("matched above")
            };
            (line, problem, message)
        }
        other => panic!("expected an invalid keymap, got {other:?}"),
    }
}

#[test]
fn the_default_map_binds_every_action() {
    let keymap = Keymap::default_map().expect("default keymap parses");
    for action in Action::ALL {
        assert!(!keymap.keys(action).is_empty(), "{} has no key", action.name());
    }
    assert_eq!(keymap.action(Section::Screen, Key::char('q')), Some(Action::Quit));
    assert_eq!(keymap.action(Section::Screen, Key::ctrl('c')), Some(Action::Quit));
    assert_eq!(
        keymap.action(Section::Screen, Key::plain(KeyCode::BackTab)),
        Some(Action::FocusPrevious)
    );
    assert_eq!(keymap.action(Section::Screen, Key::char('G')), Some(Action::Last));
}

#[test]
fn the_alternative_map_binds_every_action_with_function_keys() {
    let keymap = Keymap::alternative_map().expect("alternative keymap parses");
    for action in Action::ALL {
        assert!(!keymap.keys(action).is_empty(), "{} has no key", action.name());
    }
    assert_eq!(keymap.action(Section::Screen, Key::plain(KeyCode::F(10))), Some(Action::Quit));
    assert_eq!(keymap.action(Section::Screen, Key::char('q')), None);
}

#[test]
fn popups_fall_back_to_screen_keys_they_do_not_bind() {
    let keymap = Keymap::default_map().expect("default keymap parses");
    assert_eq!(keymap.action(Section::Popup, Key::plain(KeyCode::Enter)), Some(Action::Confirm));
    assert_eq!(keymap.action(Section::Screen, Key::plain(KeyCode::Enter)), Some(Action::EditUser));
    assert_eq!(keymap.action(Section::Popup, Key::plain(KeyCode::Down)), Some(Action::Down));
}

#[test]
fn an_override_replaces_only_the_actions_it_lists() {
    let text = "[screen]\nquit = [\"x\"]\n";
    let keymap = Keymap::with_override("keymap.toml", text).expect("override applies");
    assert_eq!(keymap.keys(Action::Quit), &[Key::char('x')]);
    assert_eq!(keymap.action(Section::Screen, Key::char('q')), None);
    assert_eq!(keymap.keys(Action::Help), &[Key::char('?')]);
}

#[test]
fn a_key_taken_by_an_override_leaves_its_old_action() {
    let text = "[screen]\nquit = [\"q\", \"j\"]\n";
    let keymap = Keymap::with_override("keymap.toml", text).expect("override applies");
    assert_eq!(keymap.action(Section::Screen, Key::char('j')), Some(Action::Quit));
    assert_eq!(keymap.keys(Action::Down), &[Key::plain(KeyCode::Down)]);
}

#[test]
fn an_override_can_build_on_the_alternative_map() {
    let text = "base = \"alternative\"\n[popup]\nreveal = [\"v\"]\n";
    let keymap = Keymap::with_override("keymap.toml", text).expect("override applies");
    assert_eq!(keymap.action(Section::Screen, Key::plain(KeyCode::F(3))), Some(Action::ShowSip));
    assert_eq!(keymap.keys(Action::Reveal), &[Key::char('v')]);
}

#[test]
fn a_missing_override_file_means_the_default_map() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let keymap = Keymap::load(Some(&dir.path().join("keymap.toml"))).expect("loads");
    assert_eq!(keymap, Keymap::default_map().expect("default keymap parses"));
}

#[test]
fn an_override_file_on_disk_is_read() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("keymap.toml");
    std::fs::write(&path, "[screen]\nhelp = [\"F1\"]\n").expect("write override");
    let keymap = Keymap::load(Some(&path)).expect("loads");
    assert_eq!(keymap.keys(Action::Help), &[Key::plain(KeyCode::F(1))]);
}

#[test]
fn an_unknown_action_is_reported_at_its_line() {
    let text = "# my keys\n[screen]\nhelp = [\"h\"]\nlaunch = [\"l\"]\n";
    let (line, problem, message) = problem_at(Keymap::with_override("keymap.toml", text));
    assert_eq!(line, 4);
    assert_eq!(problem, Problem::UnknownAction("launch".to_string()));
    assert_eq!(message, "keymap.toml, line 4: unknown action \"launch\"");
}

#[test]
fn a_bad_key_is_reported_at_its_line() {
    let text = "[screen]\n\nhelp = [\"F1\",\n  \"Hyper-x\"]\n";
    let (line, problem, _) = problem_at(Keymap::with_override("keymap.toml", text));
    assert_eq!(line, 4);
    assert_eq!(problem, Problem::BadKey("Hyper-x".to_string()));
}

#[test]
fn a_key_bound_twice_in_an_override_is_refused() {
    let text = "[screen]\nhelp = [\"h\"]\nquit = [\"h\"]\n";
    let (line, problem, message) = problem_at(Keymap::with_override("keymap.toml", text));
    assert_eq!(line, 3);
    assert!(matches!(problem, Problem::Conflict { .. }), "{problem:?}");
    assert!(message.contains("key h is bound to both"), "{message}");
}

#[test]
fn an_action_in_the_wrong_section_is_refused() {
    let text = "[screen]\nreveal = [\"v\"]\n";
    let (line, problem, _) = problem_at(Keymap::with_override("keymap.toml", text));
    assert_eq!(line, 2);
    assert_eq!(problem, Problem::WrongSection { action: Action::Reveal, section: Section::Popup });
}

#[test]
fn quit_cannot_be_left_without_a_key() {
    let text = "[screen]\nquit = []\n";
    let (line, problem, _) = problem_at(Keymap::with_override("keymap.toml", text));
    assert_eq!(line, 2);
    assert_eq!(problem, Problem::Unbound(Action::Quit));
}

#[test]
fn broken_toml_is_reported_at_its_line() {
    let text = "[screen]\nhelp = [\"h\"\nquit = [\"q\"]\n";
    let (line, problem, _) = problem_at(Keymap::with_override("keymap.toml", text));
    assert!(matches!(problem, Problem::Syntax(_)), "{problem:?}");
    assert!((2..=3).contains(&line), "line {line}");
}

#[test]
fn an_unknown_base_is_refused() {
    let text = "base = \"emacs\"\n";
    let (line, problem, _) = problem_at(Keymap::with_override("keymap.toml", text));
    assert_eq!(line, 1);
    assert_eq!(problem, Problem::UnknownBase("emacs".to_string()));
}

#[test]
fn key_names_are_read_in_any_case_and_print_back_readably() {
    assert_eq!(
        parse_key("ctrl-C"),
        Some(Key::new(KeyCode::Char('C'), Modifiers { ctrl: true, ..Modifiers::default() }))
    );
    assert_eq!(parse_key("PAGEDOWN"), Some(Key::plain(KeyCode::PageDown)));
    assert_eq!(parse_key("shift-tab"), Some(Key::plain(KeyCode::BackTab)));
    assert_eq!(parse_key("-"), Some(Key::char('-')));
    assert_eq!(parse_key("F25"), None);
    assert_eq!(parse_key(""), None);
    assert_eq!(parse_key("Shift-Tab").map(|key| key.to_string()), Some("Shift-Tab".to_string()));
    assert_eq!(parse_key("space").map(|key| key.to_string()), Some("Space".to_string()));
}
