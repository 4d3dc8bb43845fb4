//! Draws the configuration lists that open over the panes: the incoming
//! numbers with their destinations, and the form that adds or edits one.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::form::{draw_form, form_key};
use super::popups::{centered, popup_block, question};
use crate::console::action::Action;
use crate::console::numbers_screen::{destination_text, NumbersView};
use crate::console::state::ConsoleState;

pub(super) fn numbers(state: &ConsoleState, view: &NumbersView, frame: &mut Frame, area: Rect) {
    let keymap = &state.keymap;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let keys = format!(
        " {} add · {} edit · {} remove · {} close ",
        keymap.hint(Action::AddUser),
        form_key(keymap, Action::EditUser),
        keymap.hint(Action::RemoveUser),
        keymap.hint(Action::Cancel)
    );
    let block = popup_block(" Incoming numbers ").title_bottom(Line::from(keys).right_aligned());
    let area = centered(area, 78, 20);
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines = vec![Line::styled(
        format!("  {:<16} {:<32} {}", "Number", "Destination", "SMS note"),
        bold.add_modifier(Modifier::UNDERLINED),
    )];
    match &view.numbers {
        None => lines.push(Line::from("Asking the PBX…")),
        Some(numbers) if numbers.is_empty() => {
            lines.push(Line::from("No incoming numbers yet."));
        }
        Some(numbers) => {
            let rows = usize::from(inner.height).saturating_sub(3).max(1);
            let first = view.selected.saturating_sub(rows - 1);
            for (index, number) in numbers.iter().enumerate().skip(first).take(rows) {
                let marker = if index == view.selected { "› " } else { "  " };
                let text = format!(
                    "{marker}{:<16} {:<32} {}",
                    number.number,
                    destination_text(&number.destination),
                    number.sms.as_deref().unwrap_or("-")
                );
                lines.push(if index == view.selected {
                    Line::styled(text, bold)
                } else {
                    Line::from(text)
                });
            }
        }
    }
    if let Some(error) = &view.error {
        lines.push(Line::default());
        lines.push(Line::from(vec![Span::styled("Refused: ", bold), Span::raw(error.clone())]));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    if let Some(number) = &view.removing {
        let text = format!("Remove incoming number {number}?");
        let detail = "The removal is staged: it goes live when you apply.";
        question(keymap, " Remove number? ", &[&text, detail], frame, area);
    }
    let Some(editing) = &view.editing else { return };
    let title = match &editing.existing {
        Some(number) => format!(" Incoming number {number} "),
        None => " New incoming number ".to_string(),
    };
    let keys = if editing.saving {
        " saving… ".to_string()
    } else {
        format!(
            " {} save · {} next field · {} leave ",
            form_key(keymap, Action::Confirm),
            form_key(keymap, Action::FocusNext),
            form_key(keymap, Action::Cancel)
        )
    };
    let block = popup_block(&title).title_bottom(Line::from(keys).right_aligned());
    let form_area = centered(area, 70, 9);
    frame.render_widget(Clear, form_area);
    let inner = block.inner(form_area);
    frame.render_widget(block, form_area);
    let cursor = draw_form(&editing.form, true, false, frame, inner);
    if editing.asking_leave {
        let detail = "What was typed in this form is lost.";
        question(keymap, " Leave? ", &["Leave without saving?", detail], frame, form_area);
    } else if let Some(cursor) = cursor {
        frame.set_cursor_position(cursor);
    }
}
