//! The contents of the four panes, each drawn inside the frame `render` gave
//! it. Only the rows that fit are built, so a store with thousands of users
//! costs no more per frame than one with ten.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Text};
use ratatui::widgets::{Block, Cell, Padding, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;
use time::{Duration, OffsetDateTime};

use crate::console::action::Action;
use crate::console::layout;
use crate::console::state::{call_duration, Connection, ConsoleState, Pane, Presence, UserColumn};
use crate::control::api::{CallState, PendingChange};

const HIGHLIGHT: &str = "› ";

pub(super) fn users(state: &ConsoleState, frame: &mut Frame, area: Rect, focused: bool) {
    if let Some(message) = not_loaded(state) {
        return notice(frame, area, message);
    }
    if state.users.is_empty() {
        let message = if state.demo_loading {
            "Loading the demo office…".to_string()
        } else {
            format!(
                "The store is empty: there are no users yet.\n\n\
                 Press {} to load the demo office, a believable small office \
                 to explore and to configure phones against, or {} to create \
                 the first user.",
                state.keymap.hint(Action::LoadDemo),
                state.keymap.hint(Action::AddUser)
            )
        };
        return notice(frame, area, message);
    }

    let [filter_area, table_area] = if state.filtering || !state.filter.is_empty() {
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area)
    } else {
        [Rect::default(), area]
    };
    // The selected user's broken rules, from the last refused Apply, on a
    // line of their own below the rows.
    let selected = state.visible_user(state.selected(Pane::Users));
    let detail = selected.and_then(|user| problem_line(state, &format!("user {}", user.extension)));
    let [table_area, detail_area] = match detail {
        Some(_) => Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(table_area),
        None => [table_area, Rect::default()],
    };
    // The Pending column takes room from names, so it shows only while
    // something is staged or refused.
    let marked = !state.pending_users.is_empty() || !state.apply_problems.is_empty();
    let presence = state.presence();
    let rows = window(state, Pane::Users, table_area).filter_map(|index| {
        let user = state.visible_user(index)?;
        let state_cell =
            presence.get(user.extension.as_str()).copied().unwrap_or(Presence::Offline);
        let mut cells = vec![
            Cell::from(user.extension.clone()),
            Cell::from(user.name.clone()),
            Cell::from(if user.voicemail { "yes" } else { "no" }),
            Cell::from(user.outgoing_number.clone().unwrap_or_else(|| "-".to_string())),
            presence_cell(state_cell),
        ];
        if marked {
            cells.push(pending_cell(state, &user.extension));
        }
        Some(Row::new(cells))
    });
    let mut widths = vec![
        Constraint::Length(6),
        Constraint::Fill(1),
        Constraint::Length(9),
        Constraint::Length(14),
        Constraint::Length(14),
    ];
    let mut header: Vec<String> =
        ["Ext", "Name", "Voicemail", "Outgoing", "State"].map(String::from).to_vec();
    if marked {
        widths.push(Constraint::Length(9));
        header.push("Pending".to_string());
    }
    let sorted = match state.sort.column {
        UserColumn::Extension => 0,
        UserColumn::Name => 1,
        UserColumn::Voicemail => 2,
        UserColumn::Outgoing => 3,
        UserColumn::State => 4,
    };
    header[sorted].push_str(if state.sort.descending { " ▼" } else { " ▲" });
    let rows: Vec<Row> = rows.collect();
    if filter_area.height > 0 {
        let cursor = if state.filtering { "▏" } else { "" };
        let line = format!(
            "/{}{cursor}  ({} of {})",
            state.filter,
            state.user_view.len(),
            state.users.len()
        );
        frame.render_widget(Paragraph::new(line), filter_area);
    }
    table(state, frame, table_area, Pane::Users, focused, rows, &widths, header);
    if let Some(detail) = detail {
        frame.render_widget(
            Paragraph::new(detail).style(Style::new().add_modifier(Modifier::BOLD)),
            detail_area,
        );
    }
}

/// How a user as staged differs from live, in a word, after "!" when the
/// last refused Apply found a problem with it.
fn pending_cell(state: &ConsoleState, extension: &str) -> Cell<'static> {
    let word = match state.pending_user(extension) {
        Some(PendingChange::Added) => "new",
        Some(PendingChange::Changed) => "changed",
        Some(PendingChange::Removed) => "removed",
        None => "",
    };
    let broken = state.problems_of(&format!("user {extension}")).next().is_some();
    match (broken, word) {
        (true, "") => Cell::from("!"),
        (true, word) => Cell::from(format!("! {word}")),
        (false, word) => Cell::from(word),
    }
}

/// "! message" for the first problem `subject` has, saying how many more
/// there are; `None` when it has none.
pub(super) fn problem_line(state: &ConsoleState, subject: &str) -> Option<String> {
    let mut problems = state.problems_of(subject);
    let first = problems.next()?;
    let more = problems.count();
    Some(match more {
        0 => format!("! {}", first.message),
        n => format!("! {} (+{n} more)", first.message),
    })
}

pub(super) fn calls(
    state: &ConsoleState,
    frame: &mut Frame,
    area: Rect,
    focused: bool,
    now: OffsetDateTime,
) {
    if nothing_live(state, frame, area, state.calls.is_empty(), "No calls in progress.") {
        return;
    }

    let rows = window(state, Pane::Calls, area).map(|index| {
        let call = &state.calls[index];
        let (word, style) = match call.state {
            CallState::Calling => ("calling", Style::new().fg(Color::Yellow)),
            CallState::Ringing => ("ringing", Style::new().fg(Color::Yellow)),
            CallState::Answered => ("answered", Style::new().fg(Color::Green)),
        };
        Row::new(vec![
            Cell::from(party(state, &call.caller)),
            Cell::from(party(state, &call.callee)),
            Cell::from(word).style(style),
            Cell::from(clock_time(call_duration(call, now))),
        ])
    });
    let widths =
        [Constraint::Fill(1), Constraint::Fill(1), Constraint::Length(8), Constraint::Length(8)];
    let header = ["From", "To", "State", "Time"];
    table(state, frame, area, Pane::Calls, focused, rows.collect(), &widths, header.to_vec());
}

/// Draws why a live pane has no rows, if it has none: still loading, no PBX
/// running on the store, or `empty_message`. True when it drew something.
fn nothing_live(
    state: &ConsoleState,
    frame: &mut Frame,
    area: Rect,
    empty: bool,
    empty_message: &str,
) -> bool {
    if let Some(message) = not_loaded(state) {
        notice(frame, area, message);
        return true;
    }
    if !empty {
        return false;
    }
    let message =
        if state.pbx_running { empty_message } else { "No PBX is running on this store." };
    notice(frame, area, message.to_string());
    true
}

pub(super) fn queues(frame: &mut Frame, area: Rect) {
    notice(frame, area, "No queues are configured yet.".to_string());
}

pub(super) fn connected(
    state: &ConsoleState,
    frame: &mut Frame,
    area: Rect,
    focused: bool,
    now: OffsetDateTime,
) {
    let empty = state.registrations.is_empty();
    if nothing_live(state, frame, area, empty, "No phone is registered.") {
        return;
    }

    let rows = window(state, Pane::Connected, area).map(|index| {
        let registration = &state.registrations[index];
        Row::new(vec![
            Cell::from(registration.user.clone()),
            Cell::from(contact_address(&registration.contact)),
            Cell::from(registration.transport.clone()),
            Cell::from(registration.user_agent.clone().unwrap_or_else(|| "-".to_string())),
            Cell::from(time_left(registration.expires_at - now)),
        ])
    });
    let widths = [
        Constraint::Length(6),
        Constraint::Fill(3),
        Constraint::Length(9),
        Constraint::Fill(2),
        Constraint::Length(11),
    ];
    let header = ["User", "Contact", "Transport", "User agent", "Expires in"];
    table(state, frame, area, Pane::Connected, focused, rows.collect(), &widths, header.to_vec());
}

/// Draws a table of the rows in view, with the selection marked when the
/// pane has focus.
#[allow(clippy::too_many_arguments)]
fn table(
    state: &ConsoleState,
    frame: &mut Frame,
    area: Rect,
    pane: Pane,
    focused: bool,
    rows: Vec<Row<'static>>,
    widths: &[Constraint],
    header: Vec<impl Into<Cell<'static>>>,
) {
    let header =
        Row::new(header).style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));
    let table = Table::new(rows, widths.to_vec())
        .header(header)
        .column_spacing(1)
        .highlight_symbol(HIGHLIGHT)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always);

    let first = layout::first_row(state.selected(pane), layout::table_rows(area_with_border(area)));
    let selected = focused.then(|| state.selected(pane) - first);
    let mut table_state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut table_state);
}

/// The indices of a pane's rows that fit in its inner area.
fn window(state: &ConsoleState, pane: Pane, inner: Rect) -> std::ops::Range<usize> {
    let rows = layout::table_rows(area_with_border(inner));
    let first = layout::first_row(state.selected(pane), rows);
    first..(first + rows).min(state.row_count(pane))
}

/// The pane's outer area again, for the row arithmetic `layout` shares with
/// mouse handling (which sees outer areas).
fn area_with_border(inner: Rect) -> Rect {
    Rect { height: inner.height + 2, ..inner }
}

/// A message in place of a pane's rows.
fn notice(frame: &mut Frame, area: Rect, message: String) {
    let text =
        Text::from(message.lines().map(|line| Line::from(line.to_string())).collect::<Vec<_>>());
    let padded = Block::new().padding(Padding::horizontal(1));
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }).block(padded), area);
}

/// Before the first snapshot, every pane says why it is empty.
fn not_loaded(state: &ConsoleState) -> Option<String> {
    if state.loaded {
        return None;
    }
    Some(match &state.connection {
        Connection::Lost { reason } => format!("Not connected to the PBX: {reason}"),
        _ => "Connecting to the PBX…".to_string(),
    })
}

fn presence_cell(presence: Presence) -> Cell<'static> {
    match presence {
        Presence::Offline => Cell::from("offline").style(Style::new().add_modifier(Modifier::DIM)),
        Presence::Registered { devices: 1 } => {
            Cell::from("registered").style(Style::new().fg(Color::Green))
        }
        Presence::Registered { devices } => {
            Cell::from(format!("registered ({devices})")).style(Style::new().fg(Color::Green))
        }
        Presence::Ringing => Cell::from("ringing").style(Style::new().fg(Color::Yellow)),
        Presence::OnCall => {
            Cell::from("on a call").style(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD))
        }
    }
}

/// A call party with the user's name when it is one of ours.
fn party(state: &ConsoleState, party: &str) -> String {
    let name = state
        .extension_of(party)
        .and_then(|extension| state.users.iter().find(|user| user.extension == extension))
        .map(|user| user.name.as_str());
    match name {
        Some(name) if !name.is_empty() => format!("{party} {name}"),
        _ => party.to_string(),
    }
}

/// `m:ss`, or `h:mm:ss` from an hour on.
pub(super) fn clock_time(duration: Duration) -> String {
    let seconds = duration.whole_seconds().max(0);
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}:{minutes:02}:{seconds:02}")
    } else {
        format!("{minutes}:{seconds:02}")
    }
}

/// A registration's time left: `59m 58s`, `1h 05m`, or `expired`.
pub(super) fn time_left(left: Duration) -> String {
    let seconds = left.whole_seconds();
    if seconds <= 0 {
        return "expired".to_string();
    }
    let (hours, minutes, seconds) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m {seconds:02}s")
    } else {
        format!("{seconds}s")
    }
}

/// What tells two phones of one user apart: the address and port of the
/// contact. The scheme, the user part (the extension, or a phone's own
/// token) and the parameters are left out.
fn contact_address(contact: &str) -> String {
    let without_scheme = contact.split_once(':').map_or(contact, |(_, rest)| rest);
    let host = without_scheme.rsplit_once('@').map_or(without_scheme, |(_, host)| host);
    host.split(';').next().unwrap_or(host).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_times_read_like_a_clock() {
        assert_eq!(clock_time(Duration::seconds(0)), "0:00");
        assert_eq!(clock_time(Duration::seconds(75)), "1:15");
        assert_eq!(clock_time(Duration::seconds(3_725)), "1:02:05");
        assert_eq!(clock_time(Duration::seconds(-4)), "0:00");
    }

    #[test]
    fn time_left_says_expired_once_past() {
        assert_eq!(time_left(Duration::seconds(3_599)), "59m 59s");
        assert_eq!(time_left(Duration::seconds(3_900)), "1h 05m");
        assert_eq!(time_left(Duration::seconds(42)), "42s");
        assert_eq!(time_left(Duration::seconds(0)), "expired");
        assert_eq!(time_left(Duration::seconds(-10)), "expired");
    }
}
