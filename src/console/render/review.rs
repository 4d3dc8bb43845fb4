//! Draws the Save-then-Apply screens: the pending changes (staged against
//! live, one line per change in the product's words), the errors of a
//! refused apply, and the history of applied revisions.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;
use time::macros::format_description;

use super::popups::{centered, popup_block, question};
use crate::console::action::Action;
use crate::console::keymap::Keymap;
use crate::console::review::{ChangesView, HistoryView};
use crate::console::state::ConsoleState;

/// The widest subject column; longer subjects are cut.
const SUBJECT_WIDTH: usize = 24;

pub(super) fn changes(state: &ConsoleState, view: &ChangesView, frame: &mut Frame, area: Rect) {
    let keymap = &state.keymap;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines = Vec::new();
    if let Some(error) = &view.error {
        lines.push(Line::from(vec![Span::styled("Refused: ", bold), Span::raw(error.clone())]));
        lines.push(Line::default());
    }
    let title = match &view.changes {
        None => {
            lines.push(Line::from("Asking the PBX…"));
            " Pending changes ".to_string()
        }
        Some(changes) if changes.is_empty() => {
            lines.push(Line::from("No changes are pending: what is saved is what is live."));
            " Pending changes: none ".to_string()
        }
        Some(changes) => {
            let width = changes
                .iter()
                .map(|change| change.subject.chars().count())
                .max()
                .unwrap_or(0)
                .min(SUBJECT_WIDTH);
            for change in changes.iter().skip(usize::from(view.scroll)) {
                let subject: String = change.subject.chars().take(width).collect();
                lines.push(Line::from(vec![
                    Span::styled(format!("{subject:<width$}  "), bold),
                    Span::raw(change.description.clone()),
                ]));
            }
            format!(
                " Pending changes: {} (staged against live revision {}) ",
                changes.len(),
                state.revision
            )
        }
    };

    let keys = if view.waiting {
        " working… ".to_string()
    } else {
        format!(
            " {} apply · {} discard · {} close ",
            keymap.hint(Action::Apply),
            keymap.hint(Action::Discard),
            keymap.hint(Action::Cancel)
        )
    };
    let block = popup_block(&title).title_bottom(Line::from(keys).right_aligned());
    let screen = area;
    frame.render_widget(Clear, screen);
    frame.render_widget(Paragraph::new(lines).block(block), screen);

    if view.asking_discard {
        let count = view.changes.as_ref().map_or(0, Vec::len);
        let text = match count {
            1 => "Discard the pending change?".to_string(),
            n => format!("Discard all {n} pending changes?"),
        };
        let detail = "The staged configuration goes back to what is live.";
        question(keymap, " Discard? ", &[&text, detail], frame, area);
    }
}

pub(super) fn apply_refused(keymap: &Keymap, errors: &[String], frame: &mut Frame, area: Rect) {
    let mut lines =
        vec![Line::from("Nothing was applied. Correct these, then apply again:"), Line::default()];
    for error in errors {
        lines.push(Line::from(format!("• {error}")));
    }
    let back = format!(" {} back to the changes ", keymap.hint(Action::Cancel));
    let block = popup_block(" Apply refused ").title_bottom(Line::from(back).right_aligned());
    let width = 70.min(area.width);
    let inner = usize::from(width.saturating_sub(4)).max(1);
    let rows: usize = lines.iter().map(|line| line.width().div_ceil(inner).max(1)).sum();
    let area = centered(area, width, u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}

pub(super) fn history(state: &ConsoleState, view: &HistoryView, frame: &mut Frame, area: Rect) {
    let keymap = &state.keymap;
    let keys = if view.waiting {
        " working… ".to_string()
    } else {
        format!(
            " {} roll back to the selected · {} close ",
            keymap.hint(Action::Rollback),
            keymap.hint(Action::Cancel)
        )
    };
    let block = popup_block(" History ").title_bottom(Line::from(keys).right_aligned());
    let screen = area;
    frame.render_widget(Clear, screen);
    let inner = block.inner(screen);
    frame.render_widget(block, screen);

    let message = match (&view.revisions, &view.error) {
        (_, Some(error)) => Some(format!("Refused: {error}")),
        (None, None) => Some("Asking the PBX…".to_string()),
        (Some(revisions), None) if revisions.is_empty() => {
            Some("No revision has been applied yet.".to_string())
        }
        (Some(_), None) => None,
    };
    if let Some(message) = message {
        frame.render_widget(Paragraph::new(message).wrap(Wrap { trim: false }), inner);
        return;
    }

    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    let rows = view.revisions.iter().flatten().map(|entry| {
        let at = entry
            .applied_at
            .to_offset(time::UtcOffset::UTC)
            .format(format)
            .unwrap_or_else(|_| entry.applied_at.to_string());
        let revision = if entry.revision == state.revision {
            format!("{} (live)", entry.revision)
        } else {
            entry.revision.to_string()
        };
        Row::new(vec![revision, at, entry.applied_by.clone()])
    });
    let widths = [Constraint::Length(12), Constraint::Length(24), Constraint::Fill(1)];
    let header = Row::new(["Revision", "Applied at", "Applied by"])
        .style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));
    let table = Table::new(rows, widths)
        .header(header)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_symbol("› ");
    let mut table_state = TableState::default().with_selected(Some(view.selected));
    frame.render_stateful_widget(table, inner, &mut table_state);

    if let Some(revision) = view.asking_rollback {
        let text = format!("Stage revision {revision}?");
        let detail = "Its configuration replaces whatever is staged now. It goes live \
                      only when you apply it, as a new revision.";
        question(keymap, " Roll back? ", &[&text, detail], frame, area);
    }
}
