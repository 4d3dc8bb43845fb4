//! Draws the configuration lists that open over the panes: the incoming
//! numbers with their destinations and the user groups with their members,
//! each with the form that adds or edits one.

use ratatui::layout::{Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::form::{draw_form, form_key};
use super::popups::{centered, popup_block, question};
use crate::config::{IncomingNumber, UserGroup};
use crate::console::action::Action;
use crate::console::groups_screen::{GroupForm, GroupsView};
use crate::console::list_screen::{ListKind, ListView};
use crate::console::numbers_screen::{destination_text, NumbersView};
use crate::console::state::ConsoleState;

/// What sets one list screen apart when it is drawn.
struct ListLook<'a, T> {
    title: &'a str,
    /// The column names after the marks.
    header: String,
    empty: &'a str,
    /// The name under which the last refused Apply reports problems.
    subject: &'a dyn Fn(&T) -> String,
    /// The columns of one entry, after the marks.
    row: &'a dyn Fn(&T) -> String,
    /// The removal question: its title, and how it names the entry.
    remove_title: &'a str,
    remove_noun: &'a str,
}

pub(super) fn numbers(state: &ConsoleState, view: &NumbersView, frame: &mut Frame, area: Rect) {
    let look = ListLook {
        title: " Incoming numbers ",
        header: format!("{:<16} {:<32} {}", "Number", "Destination", "SMS note"),
        empty: "No incoming numbers yet.",
        subject: &|number: &IncomingNumber| format!("incoming number {}", number.number),
        row: &|number: &IncomingNumber| {
            format!(
                "{:<16} {:<32} {}",
                number.number,
                destination_text(&number.destination),
                number.sms.as_deref().unwrap_or("-")
            )
        },
        remove_title: " Remove number? ",
        remove_noun: "incoming number",
    };
    let area = list(state, view, &look, frame, area);
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
            form_key(&state.keymap, Action::Confirm),
            form_key(&state.keymap, Action::FocusNext),
            form_key(&state.keymap, Action::Cancel)
        )
    };
    let (form_area, inner) = form_frame(&title, keys, (70, 9), frame, area);
    let cursor = draw_form(&editing.form, true, false, frame, inner);
    form_end(state, editing.asking_leave, cursor, frame, form_area);
}

pub(super) fn groups(state: &ConsoleState, view: &GroupsView, frame: &mut Frame, area: Rect) {
    let look = ListLook {
        title: " User groups ",
        header: format!("{:<16} {}", "Name", "Members"),
        empty: "No user groups yet.",
        subject: &|group: &UserGroup| format!("group {}", group.name),
        row: &|group: &UserGroup| {
            format!("{:<16} {}", group.name, member_names(state, &group.members))
        },
        remove_title: " Remove group? ",
        remove_noun: "user group",
    };
    let area = list(state, view, &look, frame, area);
    if let Some(editing) = &view.editing {
        group_form(state, editing, frame, area);
    }
}

/// Draws the list popup with its marks, keys and removal question; returns
/// the popup's area, over which the form opens.
fn list<K: ListKind>(
    state: &ConsoleState,
    view: &ListView<K>,
    look: &ListLook<'_, K::Item>,
    frame: &mut Frame,
    area: Rect,
) -> Rect {
    let keymap = &state.keymap;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let keys = format!(
        " {} add · {} edit · {} remove · {} close ",
        keymap.hint(Action::AddUser),
        form_key(keymap, Action::EditUser),
        keymap.hint(Action::RemoveUser),
        keymap.hint(Action::Cancel)
    );
    let block = popup_block(look.title).title_bottom(Line::from(keys).right_aligned());
    let area = centered(area, 78, 20);
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines =
        vec![Line::styled(format!("    {}", look.header), bold.add_modifier(Modifier::UNDERLINED))];
    match &view.items {
        None => lines.push(Line::from("Asking the PBX…")),
        Some(items) if items.is_empty() => lines.push(Line::from(look.empty)),
        Some(items) => {
            let details = items
                .get(view.selected)
                .map(|item| problem_lines(state, &(look.subject)(item)))
                .unwrap_or_default();
            let rows = usize::from(inner.height).saturating_sub(3 + details.len()).max(1);
            let first = view.selected.saturating_sub(rows - 1);
            for (index, item) in items.iter().enumerate().skip(first).take(rows) {
                let marker = if index == view.selected { "› " } else { "  " };
                let broken = broken_mark(state, &(look.subject)(item));
                let text = format!("{marker}{broken}{}", (look.row)(item));
                lines.push(if index == view.selected {
                    Line::styled(text, bold)
                } else {
                    Line::from(text)
                });
            }
            lines.extend(details);
        }
    }
    if let Some(error) = &view.error {
        lines.push(Line::default());
        lines.push(Line::from(vec![Span::styled("Refused: ", bold), Span::raw(error.clone())]));
    }
    frame.render_widget(Paragraph::new(lines), inner);

    if let Some(name) = &view.removing {
        let text = format!("Remove {} {name}?", look.remove_noun);
        let detail = "The removal is staged: it goes live when you apply.";
        question(keymap, look.remove_title, &[&text, detail], frame, area);
    }
    area
}

/// Clears a form's box of `size` over `area` and draws its frame; returns
/// the box and the space inside it.
fn form_frame(
    title: &str,
    keys: String,
    (width, height): (u16, u16),
    frame: &mut Frame,
    area: Rect,
) -> (Rect, Rect) {
    let block = popup_block(title).title_bottom(Line::from(keys).right_aligned());
    let form_area = centered(area, width, height);
    frame.render_widget(Clear, form_area);
    let inner = block.inner(form_area);
    frame.render_widget(block, form_area);
    (form_area, inner)
}

/// The question before leaving an edited form, or else the typing cursor.
fn form_end(
    state: &ConsoleState,
    asking_leave: bool,
    cursor: Option<Position>,
    frame: &mut Frame,
    form_area: Rect,
) {
    if asking_leave {
        let detail = "What was typed in this form is lost.";
        let lines = ["Leave without saving?", detail];
        question(&state.keymap, " Leave? ", &lines, frame, form_area);
    } else if let Some(cursor) = cursor {
        frame.set_cursor_position(cursor);
    }
}

fn group_form(state: &ConsoleState, editing: &GroupForm, frame: &mut Frame, area: Rect) {
    let keymap = &state.keymap;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let title = match &editing.existing {
        Some(name) => format!(" User group {name} "),
        None => " New user group ".to_string(),
    };
    let keys = if editing.saving {
        " saving… ".to_string()
    } else if editing.matches.is_empty() {
        format!(
            " {} save · ⌫ drops the last member · {} leave ",
            form_key(keymap, Action::Confirm),
            form_key(keymap, Action::Cancel)
        )
    } else {
        format!(" ↑/↓ pick · {} adds the picked user ", form_key(keymap, Action::Confirm))
    };
    let (form_area, inner) = form_frame(&title, keys, (72, 14), frame, area);

    let [fields, rest] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(3),
        ratatui::layout::Constraint::Fill(1),
    ])
    .areas(inner);
    let cursor = draw_form(&editing.form, true, false, frame, fields);
    let members = if editing.members.is_empty() {
        "none yet".to_string()
    } else {
        member_names(state, &editing.members)
    };
    let mut lines = vec![Line::from(vec![Span::styled("Members  ", bold), Span::raw(members)])];
    if !editing.matches.is_empty() {
        lines.push(Line::default());
        lines.push(Line::styled("Matches", bold));
        for (index, (extension, name)) in editing.matches.iter().enumerate() {
            let picked = index == editing.pick;
            let text = format!("{}{extension} {name}", if picked { "› " } else { "  " });
            lines.push(if picked { Line::styled(text, bold) } else { Line::from(text) });
        }
    }
    frame.render_widget(Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: false }), rest);
    form_end(state, editing.asking_leave, cursor, frame, form_area);
}

/// "! " before a line the last refused Apply found a problem with.
fn broken_mark(state: &ConsoleState, subject: &str) -> &'static str {
    if state.problems_of(subject).next().is_some() {
        "! "
    } else {
        "  "
    }
}

/// Each problem the last refused Apply found with `subject`, for the
/// selected line, below the list.
fn problem_lines(state: &ConsoleState, subject: &str) -> Vec<Line<'static>> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let problems: Vec<Line<'static>> = state
        .problems_of(subject)
        .map(|problem| Line::styled(format!("  ! {}", problem.message), bold))
        .collect();
    if problems.is_empty() {
        return problems;
    }
    let mut lines =
        vec![Line::default(), Line::styled(format!("  Refused at Apply: {subject}"), bold)];
    lines.extend(problems);
    lines
}

/// Members as "1001 Alice Martin, 1002 Bruno Keller"; an extension with no
/// user (yet) shows alone.
fn member_names(state: &ConsoleState, members: &[String]) -> String {
    let names: Vec<String> = members
        .iter()
        .map(|extension| match state.users.iter().find(|user| &user.extension == extension) {
            Some(user) => format!("{extension} {}", user.name),
            None => extension.clone(),
        })
        .collect();
    names.join(", ")
}
