//! A small form: labelled fields (text or yes/no), one of them focused, each
//! with an optional mark saying why its value was refused. Popups that edit
//! something (the add-user form now, tabbed forms later) hold a [`Form`],
//! feed it the editing keys, and mark fields from a reply's
//! [`ControlError::field`](crate::control::api::ControlError::field).
//! It knows nothing of users or of the engine.

use std::borrow::Cow;

use tui_input::{Input as TextInput, InputRequest};

use super::input::{Key, KeyCode};

/// What a field holds and how it is edited.
#[derive(Debug, Clone)]
pub enum Value {
    /// Free text, edited in place with a cursor.
    Text(TextInput),
    /// Yes or no, switched with Space or the left and right arrows.
    Toggle(bool),
    /// A whole number between `min` and `max`, moved by `step` with the left
    /// and right arrows, like a slider.
    Slider { value: u32, min: u32, max: u32, step: u32, unit: &'static str },
    /// One of a fixed list, cycled with Space or the left and right arrows.
    Choice { options: &'static [&'static str], index: usize },
    /// Text that is shown as dots unless the form is told to reveal it.
    Secret(TextInput),
}

// The text input compares by what it shows: its text and where the cursor is.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Text(a), Value::Text(b)) => a.value() == b.value() && a.cursor() == b.cursor(),
            (Value::Secret(a), Value::Secret(b)) => {
                a.value() == b.value() && a.cursor() == b.cursor()
            }
            (Value::Toggle(a), Value::Toggle(b)) => a == b,
            (
                Value::Slider { value: a, min: a_min, max: a_max, step: a_step, .. },
                Value::Slider { value: b, min: b_min, max: b_max, step: b_step, .. },
            ) => (a, a_min, a_max, a_step) == (b, b_min, b_max, b_step),
            (Value::Choice { options: a, index: i }, Value::Choice { options: b, index: j }) => {
                a == b && i == j
            }
            _ => false,
        }
    }
}

/// One labelled field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The name the engine uses for this input in its errors.
    pub key: &'static str,
    pub label: Cow<'static, str>,
    /// A short note shown beside the field (what form the value takes).
    pub hint: &'static str,
    pub value: Value,
    /// Why the last attempt to save refused this field, in plain words.
    pub error: Option<String>,
}

impl Field {
    /// An empty text field.
    pub fn text(key: &'static str, label: &'static str, hint: &'static str) -> Self {
        Self {
            key,
            label: label.into(),
            hint,
            value: Value::Text(TextInput::default()),
            error: None,
        }
    }

    /// A yes/no field, starting at `on`.
    pub fn toggle(key: &'static str, label: &'static str, on: bool) -> Self {
        Self { key, label: label.into(), hint: "", value: Value::Toggle(on), error: None }
    }

    /// The same field under a label made at run time.
    pub fn labelled(self, label: String) -> Self {
        Self { label: label.into(), ..self }
    }

    /// A text field holding `text`, the cursor at its end.
    pub fn filled(key: &'static str, label: &'static str, hint: &'static str, text: &str) -> Self {
        Self {
            value: Value::Text(TextInput::new(text.to_string())),
            ..Self::text(key, label, hint)
        }
    }

    /// A hidden text field, starting empty.
    pub fn secret(key: &'static str, label: &'static str, hint: &'static str) -> Self {
        Self {
            key,
            label: label.into(),
            hint,
            value: Value::Secret(TextInput::default()),
            error: None,
        }
    }

    /// A slider from `min` to `max` by `step`, starting at `value` (kept in
    /// range), its value shown followed by `unit`.
    pub fn slider(
        key: &'static str,
        label: &'static str,
        range: (u32, u32),
        step: u32,
        value: u32,
        unit: &'static str,
    ) -> Self {
        let (min, max) = range;
        let value =
            Value::Slider { value: value.clamp(min, max), min, max, step: step.max(1), unit };
        Self { key, label: label.into(), hint: "", value, error: None }
    }

    /// A choice among `options`, starting at `index`.
    pub fn choice(
        key: &'static str,
        label: &'static str,
        options: &'static [&'static str],
        index: usize,
    ) -> Self {
        let index = index.min(options.len().saturating_sub(1));
        Self {
            key,
            label: label.into(),
            hint: "",
            value: Value::Choice { options, index },
            error: None,
        }
    }
}

/// Fields, the focused one, and whether anything was edited.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    fields: Vec<Field>,
    focus: usize,
    /// An error that belongs to no single field.
    pub error: Option<String>,
    edited: bool,
}

impl Form {
    /// A form focused on its first field.
    pub fn new(fields: Vec<Field>) -> Self {
        Self { fields, focus: 0, error: None, edited: false }
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The index of the focused field.
    pub fn focus(&self) -> usize {
        self.focus
    }

    /// Whether anything was typed or switched since the form opened.
    pub fn is_edited(&self) -> bool {
        self.edited
    }

    /// Moves the focus to the next field, from the last back to the first.
    pub fn focus_next(&mut self) {
        if !self.fields.is_empty() {
            self.focus = (self.focus + 1) % self.fields.len();
        }
    }

    /// Moves the focus to the previous field, from the first to the last.
    pub fn focus_previous(&mut self) {
        if !self.fields.is_empty() {
            self.focus = (self.focus + self.fields.len() - 1) % self.fields.len();
        }
    }

    /// Offers a key to the focused field. Returns whether the field used it;
    /// keys it does not use (Tab, Enter, Esc, Ctrl-…) are for the keymap.
    pub fn edit(&mut self, key: Key) -> bool {
        let Some(field) = self.fields.get_mut(self.focus) else { return false };
        let modifiers = key.modifiers();
        if modifiers.ctrl || modifiers.alt {
            return false;
        }

        match &mut field.value {
            Value::Text(input) | Value::Secret(input) => {
                let request = match key.code() {
                    KeyCode::Char(c) => InputRequest::InsertChar(c),
                    KeyCode::Backspace => InputRequest::DeletePrevChar,
                    KeyCode::Delete => InputRequest::DeleteNextChar,
                    KeyCode::Left => InputRequest::GoToPrevChar,
                    KeyCode::Right => InputRequest::GoToNextChar,
                    KeyCode::Home => InputRequest::GoToStart,
                    KeyCode::End => InputRequest::GoToEnd,
                    _ => return false,
                };
                let response = input.handle(request);
                if response.is_some_and(|change| change.value) {
                    self.edited = true;
                    field.error = None;
                }
                true
            }
            Value::Toggle(on) => match key.code() {
                KeyCode::Char(' ') | KeyCode::Left | KeyCode::Right => {
                    *on = !*on;
                    self.edited = true;
                    field.error = None;
                    true
                }
                _ => false,
            },
            Value::Slider { value, min, max, step, .. } => {
                let moved = match key.code() {
                    KeyCode::Left => value.saturating_sub(*step).max(*min),
                    KeyCode::Right => value.saturating_add(*step).min(*max),
                    KeyCode::Home => *min,
                    KeyCode::End => *max,
                    _ => return false,
                };
                if moved != *value {
                    *value = moved;
                    self.edited = true;
                    field.error = None;
                }
                true
            }
            Value::Choice { options, index } => {
                let count = options.len().max(1);
                let moved = match key.code() {
                    KeyCode::Char(' ') | KeyCode::Right => (*index + 1) % count,
                    KeyCode::Left => (*index + count - 1) % count,
                    _ => return false,
                };
                if moved != *index {
                    *index = moved;
                    self.edited = true;
                    field.error = None;
                }
                true
            }
        }
    }

    /// The text of a field, trimmed; empty for a toggle or an unknown key.
    pub fn text(&self, key: &str) -> String {
        match self.field(key).map(|field| &field.value) {
            Some(Value::Text(input) | Value::Secret(input)) => input.value().trim().to_string(),
            _ => String::new(),
        }
    }

    /// The text of a field, or `None` when it was left blank.
    pub fn optional_text(&self, key: &str) -> Option<String> {
        Some(self.text(key)).filter(|text| !text.is_empty())
    }

    /// Whether a toggle is on; false for a text field or an unknown key.
    pub fn is_on(&self, key: &str) -> bool {
        matches!(self.field(key).map(|field| &field.value), Some(Value::Toggle(true)))
    }

    /// The number a slider stands at; `None` for any other field.
    pub fn number(&self, key: &str) -> Option<u32> {
        match self.field(key).map(|field| &field.value) {
            Some(Value::Slider { value, .. }) => Some(*value),
            _ => None,
        }
    }

    /// The option a choice stands at; `None` for any other field.
    pub fn choice(&self, key: &str) -> Option<&'static str> {
        match self.field(key).map(|field| &field.value) {
            Some(Value::Choice { options, index }) => options.get(*index).copied(),
            _ => None,
        }
    }

    /// Adds a field at the end.
    pub fn push(&mut self, field: Field) {
        self.fields.push(field);
    }

    /// Puts a field at `index`, moving the ones from there down.
    pub fn insert(&mut self, index: usize, field: Field) {
        let index = index.min(self.fields.len());
        self.fields.insert(index, field);
        if index <= self.focus && self.fields.len() > 1 {
            self.focus += 1;
        }
    }

    /// Drops the fields from `len` on, keeping the focus on a field.
    pub fn truncate(&mut self, len: usize) {
        self.fields.truncate(len);
        self.focus = self.focus.min(self.fields.len().saturating_sub(1));
    }

    /// The field at `index`, to change its value from outside (a preset
    /// setting checkboxes); the change counts as an edit.
    pub fn field_mut(&mut self, index: usize) -> Option<&mut Field> {
        self.edited = true;
        self.fields.get_mut(index)
    }

    /// Clears every mark before a new attempt to save.
    pub fn clear_errors(&mut self) {
        self.error = None;
        for field in &mut self.fields {
            field.error = None;
        }
    }

    /// Marks the field the engine named and moves the focus to it; an error
    /// for no field, or for one this form does not show, goes to the form.
    pub fn mark(&mut self, key: Option<&str>, message: impl Into<String>) {
        let message = message.into();
        match key.and_then(|key| self.fields.iter().position(|field| field.key == key)) {
            Some(index) => {
                self.fields[index].error = Some(message);
                self.focus = index;
            }
            None => self.error = Some(message),
        }
    }

    fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|field| field.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> Form {
        Form::new(vec![
            Field::text("name", "Name", ""),
            Field::toggle("voicemail", "Voicemail", false),
        ])
    }

    fn type_text(form: &mut Form, text: &str) {
        for c in text.chars() {
            assert!(form.edit(Key::char(c)));
        }
    }

    #[test]
    fn typing_fills_the_focused_field_and_counts_as_an_edit() {
        let mut form = form();
        assert!(!form.is_edited());
        type_text(&mut form, " Ann ");
        assert_eq!(form.text("name"), "Ann");
        assert!(form.is_edited());
    }

    #[test]
    fn the_cursor_keys_edit_inside_the_text() {
        let mut form = form();
        type_text(&mut form, "Ane");
        form.edit(Key::plain(KeyCode::Left));
        type_text(&mut form, "n");
        form.edit(Key::plain(KeyCode::Home));
        form.edit(Key::plain(KeyCode::Delete));
        assert_eq!(form.text("name"), "nne");
    }

    #[test]
    fn space_switches_a_toggle_and_letters_do_nothing_there() {
        let mut form = form();
        form.focus_next();
        assert!(form.edit(Key::char(' ')));
        assert!(form.is_on("voicemail"));
        assert!(!form.edit(Key::char('x')));
        assert!(form.is_on("voicemail"));
    }

    #[test]
    fn keys_with_ctrl_and_form_keys_are_left_to_the_keymap() {
        let mut form = form();
        assert!(!form.edit(Key::ctrl('c')));
        assert!(!form.edit(Key::plain(KeyCode::Tab)));
        assert!(!form.edit(Key::plain(KeyCode::Enter)));
        assert!(!form.is_edited());
    }

    #[test]
    fn focus_wraps_around_both_ways() {
        let mut form = form();
        form.focus_previous();
        assert_eq!(form.focus(), 1);
        form.focus_next();
        assert_eq!(form.focus(), 0);
    }

    #[test]
    fn a_mark_lands_on_the_named_field_and_editing_it_clears_the_mark() {
        let mut form = form();
        form.mark(Some("voicemail"), "no");
        assert_eq!(form.focus(), 1);
        assert_eq!(form.fields()[1].error.as_deref(), Some("no"));
        form.edit(Key::char(' '));
        assert_eq!(form.fields()[1].error, None);
    }

    #[test]
    fn a_slider_moves_by_its_step_and_stops_at_its_ends() {
        let mut form = Form::new(vec![Field::slider("ring", "Ring", (5, 120), 5, 115, "s")]);
        form.edit(Key::plain(KeyCode::Right));
        assert_eq!(form.number("ring"), Some(120));
        form.edit(Key::plain(KeyCode::Right));
        assert_eq!(form.number("ring"), Some(120));
        form.edit(Key::plain(KeyCode::Home));
        form.edit(Key::plain(KeyCode::Left));
        assert_eq!(form.number("ring"), Some(5));
        assert!(form.is_edited());
    }

    #[test]
    fn a_choice_cycles_both_ways() {
        const KINDS: &[&str] = &["none", "blf", "switch"];
        let mut form = Form::new(vec![Field::choice("kind", "Kind", KINDS, 0)]);
        form.edit(Key::plain(KeyCode::Left));
        assert_eq!(form.choice("kind"), Some("switch"));
        form.edit(Key::char(' '));
        assert_eq!(form.choice("kind"), Some("none"));
    }

    #[test]
    fn a_mark_for_an_unknown_field_goes_to_the_form() {
        let mut form = form();
        form.mark(Some("sip_password"), "too short");
        form.mark(None, "store failed");
        assert_eq!(form.error.as_deref(), Some("store failed"));
        assert!(form.fields().iter().all(|field| field.error.is_none()));
    }
}
