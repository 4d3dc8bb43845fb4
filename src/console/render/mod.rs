//! Draws the console from its state: the four panes, the status line and
//! whatever popup is open. Drawing reads the state and changes nothing; the
//! time is passed in so durations come from the console's clock.
//!
//! Meaning never rests on colour alone: the focused pane has a thick border
//! and an inverted title, the selected row an arrow, states are words.

mod form;
mod lists;
mod panes;
mod popups;
mod review;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph};
use ratatui::Frame;
use time::OffsetDateTime;

use super::action::Action;
use super::layout;
use super::state::{Connection, ConsoleState, Pane};

pub(crate) use popups::help_line_count;

/// Draws the whole screen for the time `now`.
pub fn render(state: &ConsoleState, frame: &mut Frame, now: OffsetDateTime) {
    let (panes_area, status_area) = layout::split_screen(frame.area());

    for (pane, area) in layout::pane_areas(panes_area, state.focus, state.zoomed) {
        let block = pane_block(state, pane);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let focused = pane == state.focus;
        match pane {
            Pane::Users => panes::users(state, frame, inner, focused),
            Pane::Calls => panes::calls(state, frame, inner, focused, now),
            Pane::Queues => panes::queues(frame, inner),
            Pane::Connected => panes::connected(state, frame, inner, focused, now),
        }
    }

    status_line(state, frame, status_area);
    popups::render(state, frame, panes_area);
}

/// A pane's frame: its title with a count, thicker and inverted when focused.
fn pane_block(state: &ConsoleState, pane: Pane) -> Block<'static> {
    let count = match pane {
        Pane::Queues => String::new(),
        _ if !state.loaded => String::new(),
        _ => format!(" ({})", state.row_count(pane)),
    };
    let zoom = if state.zoomed { " [zoomed]" } else { "" };
    let title = format!(" {}{count}{zoom} ", pane.title());

    let block = Block::bordered();
    if pane == state.focus {
        block.border_type(BorderType::Thick).title(Span::styled(
            title,
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
        ))
    } else {
        block.border_type(BorderType::Plain).title(title)
    }
}

/// The bottom line: domain, revision, pending changes, link state, then a
/// notice or the keys for help and quitting.
fn status_line(state: &ConsoleState, frame: &mut Frame, area: Rect) {
    let separator = " │ ";
    let mut left = vec![Span::raw(" ")];
    if state.loaded {
        let domain = if state.domain.is_empty() { "no domain" } else { state.domain.as_str() };
        let pending = match state.pending_changes {
            0 => "no pending changes".to_string(),
            1 => "1 pending change".to_string(),
            n => format!("{n} pending changes"),
        };
        left.push(Span::styled(domain.to_string(), Style::new().add_modifier(Modifier::BOLD)));
        left.push(Span::raw(separator));
        left.push(Span::raw(format!("rev {}", state.revision)));
        left.push(Span::raw(separator));
        left.push(Span::raw(pending));
    }
    let link = match &state.connection {
        Connection::Live if !state.pbx_running && state.loaded => {
            Some("no PBX running".to_string())
        }
        Connection::Live => None,
        Connection::Connecting => Some("connecting…".to_string()),
        Connection::Lost { reason } => Some(format!("disconnected: {reason}")),
    };
    if let Some(link) = link {
        if state.loaded {
            left.push(Span::raw(separator));
        }
        left.push(Span::styled(link, Style::new().add_modifier(Modifier::BOLD)));
    }
    left.push(Span::raw(" "));
    let left = Line::from(left);

    let right = match &state.notice {
        Some(notice) => Line::from(Span::styled(
            format!("{notice} "),
            Style::new().add_modifier(Modifier::BOLD),
        )),
        None => Line::from(format!(
            "{} help  {} quit ",
            state.keymap.hint(Action::Help),
            state.keymap.hint(Action::Quit)
        )),
    };

    let left_width = u16::try_from(left.width()).unwrap_or(u16::MAX).min(area.width);
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Length(left_width), Constraint::Fill(1)]).areas(area);
    // Right-aligned when it fits; otherwise its start matters more than its end.
    let right =
        if right.width() <= usize::from(right_area.width) { right.right_aligned() } else { right };
    let bar = Style::new().add_modifier(Modifier::REVERSED);
    frame.render_widget(Paragraph::new(left).style(bar), left_area);
    frame.render_widget(Paragraph::new(right).style(bar), right_area);
}
