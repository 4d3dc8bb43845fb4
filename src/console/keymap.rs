//! Which key triggers which [`Action`]. The default and alternative maps are
//! the files in `keymaps/`, built into the binary; an installation may add an
//! override file (`keymap.toml` in the data directory) that changes single
//! actions. The console asks a [`Keymap`] for the action of each key press,
//! and the help overlay lists its bindings, so help cannot go stale.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::action::{Action, Section};
use super::input::{Key, KeyCode, Modifiers};

const DEFAULT_MAP: &str = include_str!("../../keymaps/default.toml");
const ALTERNATIVE_MAP: &str = include_str!("../../keymaps/alternative.toml");

/// Actions that must keep at least one key, or the console could not be left.
const REQUIRED: [Action; 2] = [Action::Quit, Action::Cancel];

/// The active key bindings.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<Key>>,
    lookup: HashMap<(Section, Key), Action>,
}

/// A keymap file that cannot be used; the message names the file and line.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    #[error("cannot read keymap {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}, line {line}: {problem}")]
    Invalid { origin: String, line: usize, problem: Problem },
}

/// What is wrong at a line of a keymap file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file is not valid TOML, or not shaped like a keymap.
    Syntax(String),
    UnknownAction(String),
    /// An action listed in the other section.
    WrongSection {
        action: Action,
        section: Section,
    },
    BadKey(String),
    /// One key bound to two actions of the same section.
    Conflict {
        key: Key,
        first: Action,
        second: Action,
    },
    UnknownBase(String),
    /// An action that must have a key (such as quit) was left without one.
    Unbound(Action),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Syntax(message) => f.write_str(message.trim_end()),
            Problem::UnknownAction(name) => write!(f, "unknown action \"{name}\""),
            Problem::WrongSection { action, section } => {
                write!(f, "action \"{}\" belongs in [{}]", action.name(), section.table())
            }
            Problem::BadKey(spec) => write!(f, "\"{spec}\" is not a key"),
            Problem::Conflict { key, first, second } => write!(
                f,
                "key {key} is bound to both \"{}\" and \"{}\"",
                first.name(),
                second.name()
            ),
            Problem::UnknownBase(name) => {
                write!(f, "unknown base keymap \"{name}\" (use \"default\" or \"alternative\")")
            }
            Problem::Unbound(action) => write!(f, "\"{}\" needs at least one key", action.name()),
        }
    }
}

/// A keymap file as written, with the position of everything in it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeymapFile {
    base: Option<Spanned<String>>,
    #[serde(default)]
    screen: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
    #[serde(default)]
    popup: BTreeMap<Spanned<String>, Vec<Spanned<String>>>,
}

/// One `action = [keys]` line, checked.
struct Entry {
    action: Action,
    keys: Vec<Key>,
    line: usize,
}

/// A parsed file: its base and its entries.
struct Parsed {
    base: Option<(String, usize)>,
    entries: Vec<Entry>,
}

impl Keymap {
    /// The built-in default map (`keymaps/default.toml`).
    pub fn default_map() -> Result<Self, KeymapError> {
        Self::built_in("keymaps/default.toml", DEFAULT_MAP)
    }

    /// The built-in alternative map (`keymaps/alternative.toml`).
    pub fn alternative_map() -> Result<Self, KeymapError> {
        Self::built_in("keymaps/alternative.toml", ALTERNATIVE_MAP)
    }

    /// The default map with the override file at `path` applied, if it exists.
    /// A missing file is not an error: most installations have none.
    pub fn load(path: Option<&Path>) -> Result<Self, KeymapError> {
        let Some(path) = path else {
            return Self::default_map();
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::with_override(&path.display().to_string(), &text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Self::default_map(),
            Err(source) => Err(KeymapError::Read { path: path.to_path_buf(), source }),
        }
    }

    /// A built-in map with an override applied; `origin` names the override
    /// in error messages. Each action the override lists replaces that
    /// action's keys, and its keys are taken away from any other action.
    pub fn with_override(origin: &str, text: &str) -> Result<Self, KeymapError> {
        let parsed = parse(origin, text)?;
        let mut keymap = match &parsed.base {
            None => Self::default_map()?,
            Some((name, _)) if name == "default" => Self::default_map()?,
            Some((name, _)) if name == "alternative" => Self::alternative_map()?,
            Some((name, line)) => {
                let problem = Problem::UnknownBase(name.clone());
                return Err(invalid(origin, *line, problem));
            }
        };

        // Keys the override binds leave the actions it does not mention; two
        // entries of the override binding one key is a conflict, found below.
        for entry in &parsed.entries {
            let section = entry.action.section();
            for (action, keys) in keymap.bindings.iter_mut() {
                let overridden = parsed.entries.iter().any(|other| other.action == *action);
                if action.section() == section && !overridden {
                    keys.retain(|key| !entry.keys.contains(key));
                }
            }
        }
        for entry in &parsed.entries {
            keymap.bindings.insert(entry.action, entry.keys.clone());
        }

        let last_line = text.lines().count().max(1);
        keymap.index(origin, |action| {
            parsed.entries.iter().find(|e| e.action == action).map_or(last_line, |e| e.line)
        })?;
        Ok(keymap)
    }

    /// The action of a key pressed in `section`. Inside a popup, keys the
    /// popup section leaves free keep their screen meaning.
    pub fn action(&self, section: Section, key: Key) -> Option<Action> {
        let own = self.lookup.get(&(section, key)).copied();
        match section {
            Section::Popup => own.or_else(|| self.lookup.get(&(Section::Screen, key)).copied()),
            Section::Screen => own,
        }
    }

    /// The keys bound to an action, in the order the map lists them.
    pub fn keys(&self, action: Action) -> &[Key] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// How to mention an action in a hint: its first key, or its name when
    /// it has none.
    pub fn hint(&self, action: Action) -> String {
        self.keys(action).first().map_or_else(|| action.name().to_string(), Key::to_string)
    }

    /// Every key of an action for a prompt, as `y/Enter`.
    pub fn hints(&self, action: Action) -> String {
        let keys: Vec<String> = self.keys(action).iter().map(Key::to_string).collect();
        if keys.is_empty() {
            action.name().to_string()
        } else {
            keys.join("/")
        }
    }

    fn built_in(origin: &str, text: &str) -> Result<Self, KeymapError> {
        let parsed = parse(origin, text)?;
        let mut keymap = Keymap { bindings: BTreeMap::new(), lookup: HashMap::new() };
        for entry in &parsed.entries {
            keymap.bindings.insert(entry.action, entry.keys.clone());
        }
        let lines: HashMap<Action, usize> =
            parsed.entries.iter().map(|entry| (entry.action, entry.line)).collect();
        let last_line = text.lines().count().max(1);
        keymap.index(origin, |action| lines.get(&action).copied().unwrap_or(last_line))?;
        Ok(keymap)
    }

    /// Builds the lookup table, refusing a key bound twice in one section or
    /// a required action without keys. `line_of` says where to point.
    fn index(
        &mut self,
        origin: &str,
        line_of: impl Fn(Action) -> usize,
    ) -> Result<(), KeymapError> {
        self.lookup.clear();
        for (&action, keys) in &self.bindings {
            for &key in keys {
                if let Some(&first) = self.lookup.get(&(action.section(), key)) {
                    // Point at whichever of the two bindings comes later.
                    let (first, second) = if line_of(first) <= line_of(action) {
                        (first, action)
                    } else {
                        (action, first)
                    };
                    let problem = Problem::Conflict { key, first, second };
                    return Err(invalid(origin, line_of(second), problem));
                }
                self.lookup.insert((action.section(), key), action);
            }
        }
        for action in REQUIRED {
            if self.keys(action).is_empty() {
                return Err(invalid(origin, line_of(action), Problem::Unbound(action)));
            }
        }
        Ok(())
    }
}

fn parse(origin: &str, text: &str) -> Result<Parsed, KeymapError> {
    let file: KeymapFile = toml::from_str(text).map_err(|error| {
        let line = error.span().map_or(1, |span| line_at(text, span.start));
        invalid(origin, line, Problem::Syntax(error.message().to_string()))
    })?;

    let base = file.base.map(|base| (base.get_ref().clone(), line_at(text, base.span().start)));
    let mut entries = Vec::new();
    for (section, table) in [(Section::Screen, file.screen), (Section::Popup, file.popup)] {
        for (name, specs) in table {
            let line = line_at(text, name.span().start);
            let action = Action::from_name(name.get_ref()).ok_or_else(|| {
                invalid(origin, line, Problem::UnknownAction(name.get_ref().clone()))
            })?;
            if action.section() != section {
                let problem = Problem::WrongSection { action, section: action.section() };
                return Err(invalid(origin, line, problem));
            }
            let mut keys = Vec::new();
            for spec in specs {
                let key = parse_key(spec.get_ref()).ok_or_else(|| {
                    let line = line_at(text, spec.span().start);
                    invalid(origin, line, Problem::BadKey(spec.get_ref().clone()))
                })?;
                if !keys.contains(&key) {
                    keys.push(key);
                }
            }
            entries.push(Entry { action, keys, line });
        }
    }
    entries.sort_by_key(|entry| entry.line);
    tracing::debug!(origin, entries = entries.len(), "keymap parsed");
    Ok(Parsed { base, entries })
}

/// Reads a key as keymap files spell it: `q`, `?`, `Ctrl-c`, `Shift-Tab`, `F5`.
pub fn parse_key(spec: &str) -> Option<Key> {
    let mut modifiers = Modifiers::default();
    let mut rest = spec;
    // A lone character is always itself, so "-" binds the minus key.
    while rest.chars().count() > 1 {
        let lower = rest.to_ascii_lowercase();
        if lower.starts_with("ctrl-") {
            modifiers.ctrl = true;
            rest = &rest[5..];
        } else if lower.starts_with("alt-") {
            modifiers.alt = true;
            rest = &rest[4..];
        } else if lower.starts_with("shift-") {
            modifiers.shift = true;
            rest = &rest[6..];
        } else {
            break;
        }
    }

    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) => KeyCode::Char(c),
        (None, _) => return None,
        (Some(_), Some(_)) => named_key(&rest.to_ascii_lowercase())?,
    };
    Some(Key::new(code, modifiers))
}

fn named_key(name: &str) -> Option<KeyCode> {
    Some(match name {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "insert" | "ins" => KeyCode::Insert,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "space" => KeyCode::Char(' '),
        _ => {
            let number: u8 = name.strip_prefix('f')?.parse().ok()?;
            if !(1..=24).contains(&number) {
                return None;
            }
            KeyCode::F(number)
        }
    })
}

fn invalid(origin: &str, line: usize, problem: Problem) -> KeymapError {
    KeymapError::Invalid { origin: origin.to_string(), line, problem }
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&byte| byte == b'\n').count() + 1
}

#[cfg(test)]
#[path = "keymap_tests.rs"]
mod tests;
