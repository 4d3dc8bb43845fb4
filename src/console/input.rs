//! What the console reads from its user, in its own terms: key presses with
//! modifiers, mouse clicks and wheel turns, and resizes. A local terminal feeds
//! these through [`Input::from_crossterm`]; a remote session or a test builds
//! them directly, so the console never depends on where its keys come from.

use std::fmt;

use crossterm::event as ct;

/// One thing the user did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Key(Key),
    Mouse(Mouse),
    /// The screen is now this size, in cells.
    Resize {
        width: u16,
        height: u16,
    },
}

/// A key with the modifiers held while it was pressed.
///
/// Keys are normalised on construction so that a keymap entry and a press
/// compare equal: a printable character carries its shift in the character
/// itself (`Q`, not Shift+q), and Shift+Tab is [`KeyCode::BackTab`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    code: KeyCode,
    modifiers: Modifiers,
}

/// A key on the keyboard, without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    /// A function key, F1 to F24.
    F(u8),
}

/// Modifier keys held with a key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Modifiers {
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

/// A mouse action at a screen cell (column and row from the top left, 0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mouse {
    pub kind: MouseKind,
    pub column: u16,
    pub row: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseKind {
    /// The left button went down.
    Click,
    ScrollUp,
    ScrollDown,
}

impl Key {
    /// A key with modifiers, normalised (see [`Key`]).
    pub fn new(code: KeyCode, modifiers: Modifiers) -> Self {
        let mut modifiers = modifiers;
        let mut code = code;
        match code {
            KeyCode::Char(c) if modifiers.shift && c.is_ascii_lowercase() => {
                code = KeyCode::Char(c.to_ascii_uppercase());
                modifiers.shift = false;
            }
            KeyCode::Char(_) => modifiers.shift = false,
            KeyCode::Tab if modifiers.shift => {
                code = KeyCode::BackTab;
                modifiers.shift = false;
            }
            KeyCode::BackTab => modifiers.shift = false,
            _ => {}
        }
        Self { code, modifiers }
    }

    /// A key pressed without modifiers.
    pub fn plain(code: KeyCode) -> Self {
        Self::new(code, Modifiers::default())
    }

    /// A printable character, as typed.
    pub fn char(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }

    /// The character with Ctrl held.
    pub fn ctrl(c: char) -> Self {
        Self::new(KeyCode::Char(c), Modifiers { ctrl: true, ..Modifiers::default() })
    }

    pub fn code(&self) -> KeyCode {
        self.code
    }

    pub fn modifiers(&self) -> Modifiers {
        self.modifiers
    }
}

/// Keys print the way the keymap files spell them, capitalised for reading:
/// `q`, `?`, `Ctrl-c`, `Shift-Tab`, `F10`, `PageDown`.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.modifiers.alt {
            f.write_str("Alt-")?;
        }
        if self.modifiers.shift {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Delete"),
            KeyCode::Insert => f.write_str("Insert"),
            KeyCode::Up => f.write_str("Up"),
            KeyCode::Down => f.write_str("Down"),
            KeyCode::Left => f.write_str("Left"),
            KeyCode::Right => f.write_str("Right"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::PageUp => f.write_str("PageUp"),
            KeyCode::PageDown => f.write_str("PageDown"),
            KeyCode::F(n) => write!(f, "F{n}"),
        }
    }
}

impl Input {
    /// Converts a crossterm event, or returns `None` for what the console
    /// ignores (key releases, focus changes, pastes, mouse moves).
    pub fn from_crossterm(event: &ct::Event) -> Option<Self> {
        match event {
            ct::Event::Key(key) if key.kind != ct::KeyEventKind::Release => {
                let code = key_code(key.code)?;
                let modifiers = Modifiers {
                    ctrl: key.modifiers.contains(ct::KeyModifiers::CONTROL),
                    alt: key.modifiers.contains(ct::KeyModifiers::ALT),
                    shift: key.modifiers.contains(ct::KeyModifiers::SHIFT),
                };
                Some(Input::Key(Key::new(code, modifiers)))
            }
            ct::Event::Mouse(mouse) => {
                let kind = match mouse.kind {
                    ct::MouseEventKind::Down(ct::MouseButton::Left) => MouseKind::Click,
                    ct::MouseEventKind::ScrollUp => MouseKind::ScrollUp,
                    ct::MouseEventKind::ScrollDown => MouseKind::ScrollDown,
                    _ => return None,
                };
                Some(Input::Mouse(Mouse { kind, column: mouse.column, row: mouse.row }))
            }
            ct::Event::Resize(width, height) => {
                Some(Input::Resize { width: *width, height: *height })
            }
            _ => None,
        }
    }
}

fn key_code(code: ct::KeyCode) -> Option<KeyCode> {
    Some(match code {
        ct::KeyCode::Char(c) => KeyCode::Char(c),
        ct::KeyCode::Enter => KeyCode::Enter,
        ct::KeyCode::Esc => KeyCode::Esc,
        ct::KeyCode::Tab => KeyCode::Tab,
        ct::KeyCode::BackTab => KeyCode::BackTab,
        ct::KeyCode::Backspace => KeyCode::Backspace,
        ct::KeyCode::Delete => KeyCode::Delete,
        ct::KeyCode::Insert => KeyCode::Insert,
        ct::KeyCode::Up => KeyCode::Up,
        ct::KeyCode::Down => KeyCode::Down,
        ct::KeyCode::Left => KeyCode::Left,
        ct::KeyCode::Right => KeyCode::Right,
        ct::KeyCode::Home => KeyCode::Home,
        ct::KeyCode::End => KeyCode::End,
        ct::KeyCode::PageUp => KeyCode::PageUp,
        ct::KeyCode::PageDown => KeyCode::PageDown,
        ct::KeyCode::F(n) => KeyCode::F(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: ct::KeyCode, modifiers: ct::KeyModifiers) -> ct::Event {
        ct::Event::Key(ct::KeyEvent::new(code, modifiers))
    }

    #[test]
    fn shifted_letters_carry_the_shift_in_the_character() {
        let event = press(ct::KeyCode::Char('Q'), ct::KeyModifiers::SHIFT);
        assert_eq!(Input::from_crossterm(&event), Some(Input::Key(Key::char('Q'))));
    }

    #[test]
    fn shift_tab_becomes_back_tab_whichever_way_the_terminal_reports_it() {
        let back_tab = press(ct::KeyCode::BackTab, ct::KeyModifiers::SHIFT);
        let shift_tab = Key::new(KeyCode::Tab, Modifiers { shift: true, ..Modifiers::default() });
        assert_eq!(Input::from_crossterm(&back_tab), Some(Input::Key(shift_tab)));
        assert_eq!(shift_tab, Key::plain(KeyCode::BackTab));
    }

    #[test]
    fn control_keys_keep_their_modifier() {
        let event = press(ct::KeyCode::Char('c'), ct::KeyModifiers::CONTROL);
        assert_eq!(Input::from_crossterm(&event), Some(Input::Key(Key::ctrl('c'))));
        assert_eq!(Key::ctrl('c').to_string(), "Ctrl-c");
    }

    #[test]
    fn key_releases_are_ignored() {
        let mut release = ct::KeyEvent::new(ct::KeyCode::Char('q'), ct::KeyModifiers::NONE);
        release.kind = ct::KeyEventKind::Release;
        assert_eq!(Input::from_crossterm(&ct::Event::Key(release)), None);
    }

    #[test]
    fn resizes_and_wheel_turns_are_converted() {
        assert_eq!(
            Input::from_crossterm(&ct::Event::Resize(80, 24)),
            Some(Input::Resize { width: 80, height: 24 })
        );
        let wheel = ct::Event::Mouse(ct::MouseEvent {
            kind: ct::MouseEventKind::ScrollDown,
            column: 3,
            row: 4,
            modifiers: ct::KeyModifiers::NONE,
        });
        assert_eq!(
            Input::from_crossterm(&wheel),
            Some(Input::Mouse(Mouse { kind: MouseKind::ScrollDown, column: 3, row: 4 }))
        );
    }
}
