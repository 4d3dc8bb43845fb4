//! Draws a [`Form`]: a label and a value per field, the focused one marked
//! with an arrow and holding the cursor, and under a refused field its
//! reason. Used by the add-user popup; a tabbed form draws one of these per
//! tab.

use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::popups::{centered, popup_block, question};
use crate::console::action::Action;
use crate::console::form::{Form, Value};
use crate::console::input::KeyCode;
use crate::console::keymap::Keymap;
use crate::console::user_form::UserForm;

/// Columns taken by the focus arrow and the label.
const LABEL_WIDTH: usize = 24;

pub(super) fn add_user(keymap: &Keymap, user: &UserForm, frame: &mut Frame, area: Rect) {
    let keys = if user.saving {
        " saving… ".to_string()
    } else {
        format!(
            " {} save · {} next field · {} leave ",
            form_key(keymap, Action::Confirm),
            form_key(keymap, Action::FocusNext),
            form_key(keymap, Action::Cancel)
        )
    };
    let block = popup_block(" New user ").title_bottom(Line::from(keys).right_aligned());
    let height = form_height(&user.form).saturating_add(2);
    let area = centered(area, 72, height);
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cursor = draw_form(&user.form, frame, inner);
    if user.asking_leave {
        let text = "Leave without saving?";
        let detail = "What was typed in this form is lost.";
        question(keymap, " Leave? ", &[text, detail], frame, area);
    } else if let Some(cursor) = cursor {
        frame.set_cursor_position(cursor);
    }
}

/// Rows the form needs: a line per field, one per marked field, and two for
/// an error of the whole form.
fn form_height(form: &Form) -> u16 {
    let marks = form.fields().iter().filter(|field| field.error.is_some()).count();
    let general = if form.error.is_some() { 2 } else { 0 };
    u16::try_from(form.fields().len() + marks + general).unwrap_or(u16::MAX)
}

/// Draws the fields into `area`; returns where the cursor belongs, if the
/// focused field is text and visible.
fn draw_form(form: &Form, frame: &mut Frame, area: Rect) -> Option<Position> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let quiet = Style::new().add_modifier(Modifier::DIM | Modifier::ITALIC);
    let value_width = usize::from(area.width).saturating_sub(LABEL_WIDTH).max(1);
    let mut lines = Vec::new();
    let mut cursor = None;

    for (index, field) in form.fields().iter().enumerate() {
        let focused = index == form.focus();
        let marker = if focused { "› " } else { "  " };
        let label = format!("{marker}{:<width$}", field.label, width = LABEL_WIDTH - 2);
        let label = Span::styled(label, if focused { bold } else { Style::new() });

        let value = match &field.value {
            Value::Text(input) if input.value().is_empty() && !field.hint.is_empty() => {
                Span::styled(field.hint.to_string(), quiet)
            }
            Value::Text(input) => {
                let scroll = input.visual_scroll(value_width);
                let shown: String = input.value().chars().skip(scroll).take(value_width).collect();
                Span::raw(shown)
            }
            Value::Toggle(true) => Span::raw("[x] yes"),
            Value::Toggle(false) => Span::raw("[ ] no"),
        };
        if focused {
            if let Value::Text(input) = &field.value {
                let column = input.visual_cursor().saturating_sub(input.visual_scroll(value_width));
                let x = area.x + u16::try_from(LABEL_WIDTH + column).unwrap_or(u16::MAX);
                let y = area.y + u16::try_from(lines.len()).unwrap_or(u16::MAX);
                if x < area.right() && y < area.bottom() {
                    cursor = Some(Position::new(x, y));
                }
            }
        }
        lines.push(Line::from(vec![label, value]));

        if let Some(error) = &field.error {
            let indent = " ".repeat(LABEL_WIDTH);
            lines.push(Line::from(vec![
                Span::raw(indent),
                Span::styled(format!("! {error}"), bold),
            ]));
        }
    }
    if let Some(error) = &form.error {
        lines.push(Line::default());
        lines.push(Line::from(vec![Span::styled("Refused: ", bold), Span::raw(error.clone())]));
    }

    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    cursor
}

/// The first key of an action that a form does not take as typing: in a
/// form "y" types a y, so Enter is what saves.
fn form_key(keymap: &Keymap, action: Action) -> String {
    keymap
        .keys(action)
        .iter()
        .find(|key| {
            let modifiers = key.modifiers();
            !matches!(key.code(), KeyCode::Char(_)) || modifiers.ctrl || modifiers.alt
        })
        .map_or_else(|| action.name().to_string(), ToString::to_string)
}
