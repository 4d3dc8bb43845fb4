//! The popups drawn over the panes: the help overlay (built from the active
//! keymap, so it lists the keys that really work), a user's SIP identifiers,
//! and the question asked before quitting ends calls.

use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Padding, Paragraph, Wrap};
use ratatui::Frame;

use crate::console::action::{Action, Section};
use crate::console::keymap::Keymap;
use crate::console::state::{ConsoleState, Popup, SipPopup};

use super::{form, lists, review};

pub(super) fn render(state: &ConsoleState, frame: &mut Frame, area: Rect) {
    match &state.popup {
        None => {}
        Some(Popup::Help { scroll }) => help(&state.keymap, *scroll, frame, area),
        Some(Popup::Sip(popup)) => sip(state, popup, frame, area),
        Some(Popup::ConfirmQuit { calls }) => confirm_quit(&state.keymap, *calls, frame, area),
        Some(Popup::Changes(view)) => review::changes(state, view, frame, area),
        Some(Popup::ApplyRefused { errors, .. }) => {
            review::apply_refused(&state.keymap, errors, frame, area);
        }
        Some(Popup::History(view)) => review::history(state, view, frame, area),
        Some(Popup::AddUser(form)) => form::add_user(&state.keymap, form, frame, area),
        Some(Popup::EditUser(editor)) => form::edit_user(state, editor, frame, area),
        Some(Popup::Numbers(view)) => lists::numbers(state, view, frame, area),
        Some(Popup::Groups(view)) => lists::groups(state, view, frame, area),
        Some(Popup::ConfirmRemove { extension, name }) => {
            let text = format!("Remove user {extension} {name}?");
            let detail = "The removal is staged: it goes live when you apply.";
            question(&state.keymap, " Remove user? ", &[&text, detail], frame, area);
        }
    }
}

/// How many lines the help overlay has, for keeping its scroll in range.
pub(crate) fn help_line_count() -> u16 {
    // A heading per section, a blank line between sections, a line per action.
    let lines = Action::ALL.len() + 2 + 1;
    u16::try_from(lines).unwrap_or(u16::MAX)
}

fn help(keymap: &Keymap, scroll: u16, frame: &mut Frame, area: Rect) {
    let heading = Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    let mut lines = Vec::new();
    for (section, title) in
        [(Section::Screen, "On the main screen"), (Section::Popup, "In a popup")]
    {
        if !lines.is_empty() {
            lines.push(Line::default());
        }
        lines.push(Line::styled(title, heading));
        for action in Action::ALL.into_iter().filter(|action| action.section() == section) {
            let keys: Vec<String> = keymap.keys(action).iter().map(ToString::to_string).collect();
            let keys = if keys.is_empty() { "(none)".to_string() } else { keys.join(", ") };
            lines.push(Line::from(vec![
                Span::styled(format!("{keys:<18} "), Style::new().add_modifier(Modifier::BOLD)),
                Span::raw(action.description()),
            ]));
        }
    }

    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_add(2);
    let close = format!(" {} closes ", keymap.hint(Action::Cancel));
    let block = popup_block(" Keys ").title_bottom(Line::from(close).right_aligned());
    let area = centered(area, 70, height);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
}

fn sip(state: &ConsoleState, popup: &SipPopup, frame: &mut Frame, area: Rect) {
    let label = |text: &'static str| {
        Span::styled(format!("{text:<10}"), Style::new().add_modifier(Modifier::BOLD))
    };
    let reveal = state.keymap.hint(Action::Reveal);
    let mut lines = Vec::new();

    match &popup.sip {
        None if popup.error.is_none() => lines.push(Line::from("Asking the PBX…")),
        None => {}
        Some(sip) => {
            let password = match (&sip.password, popup.revealing) {
                (Some(password), _) => password.clone(),
                (None, true) => "revealing…".to_string(),
                (None, false) => format!("hidden ({reveal} reveals)"),
            };
            lines.push(Line::from(vec![label("Username"), Span::raw(sip.username.clone())]));
            lines.push(Line::from(vec![label("Domain"), Span::raw(sip.domain.clone())]));
            lines.push(Line::from(vec![label("Proxy"), Span::raw(sip.proxy.clone())]));
            lines.push(Line::from(vec![label("Password"), Span::raw(password)]));
        }
    }
    if let Some(error) = &popup.error {
        lines.push(Line::default());
        lines.push(Line::from(vec![label("Refused"), Span::raw(error.clone())]));
    }

    let title = if popup.name.is_empty() {
        format!(" SIP identifiers: {} ", popup.extension)
    } else {
        format!(" SIP identifiers: {} {} ", popup.extension, popup.name)
    };
    let keys = format!(" {reveal} reveal/hide · {} close ", state.keymap.hint(Action::Cancel));
    let block = popup_block(&title).title_bottom(Line::from(keys).right_aligned());
    let height = u16::try_from(lines.len()).unwrap_or(u16::MAX).saturating_add(2);
    let area = centered(area, 62, height);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), area);
}

fn confirm_quit(keymap: &Keymap, calls: usize, frame: &mut Frame, area: Rect) {
    let calls = if calls == 1 { "1 call".to_string() } else { format!("{calls} calls") };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let lines = vec![
        Line::from(format!("Quitting ends {calls} in progress.")),
        Line::default(),
        Line::from(vec![
            Span::styled(keymap.hints(Action::Confirm), bold),
            Span::raw(" yes, quit    "),
            Span::styled(keymap.hints(Action::Cancel), bold),
            Span::raw(" no, stay"),
        ]),
    ];
    let area = centered(area, 48, 5);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(popup_block(" Quit? ")).centered(), area);
}

/// A yes/no question over whatever is below: its lines, then the keys.
pub(super) fn question(keymap: &Keymap, title: &str, text: &[&str], frame: &mut Frame, area: Rect) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = text.iter().map(|line| Line::from(line.to_string())).collect();
    lines.push(Line::default());
    lines.push(Line::from(vec![
        Span::styled(keymap.hints(Action::Confirm), bold),
        Span::raw(" yes    "),
        Span::styled(keymap.hints(Action::Cancel), bold),
        Span::raw(" no"),
    ]));
    let width = 60.min(area.width);
    // Each line may wrap once inside the borders and padding.
    let inner = usize::from(width.saturating_sub(4)).max(1);
    let rows: usize = lines.iter().map(|line| line.width().div_ceil(inner).max(1)).sum();
    let height = u16::try_from(rows).unwrap_or(u16::MAX).saturating_add(2);
    let area = centered(area, width, height);
    frame.render_widget(Clear, area);
    let paragraph = Paragraph::new(lines).block(popup_block(title)).wrap(Wrap { trim: false });
    frame.render_widget(paragraph.centered(), area);
}

pub(super) fn popup_block(title: &str) -> Block<'static> {
    Block::bordered()
        .border_type(BorderType::Double)
        .padding(Padding::horizontal(1))
        .title(Span::styled(title.to_string(), Style::new().add_modifier(Modifier::BOLD)))
}

/// A rectangle of at most this size in the middle of `area`.
pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}
