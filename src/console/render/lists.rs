//! Draws the configuration lists that open over the panes: the incoming
//! numbers with their destinations and the user groups with their members,
//! each with the form that adds or edits one.

use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui::Frame;

use super::form::{draw_form, form_key};
use super::popups::{centered, popup_block, question};
use crate::console::action::Action;
use crate::console::groups_screen::{GroupForm, GroupsView};
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
        format!("    {:<16} {:<32} {}", "Number", "Destination", "SMS note"),
        bold.add_modifier(Modifier::UNDERLINED),
    )];
    match &view.numbers {
        None => lines.push(Line::from("Asking the PBX…")),
        Some(numbers) if numbers.is_empty() => {
            lines.push(Line::from("No incoming numbers yet."));
        }
        Some(numbers) => {
            let details = numbers
                .get(view.selected)
                .map(|n| problem_lines(state, &format!("incoming number {}", n.number)))
                .unwrap_or_default();
            let rows = usize::from(inner.height).saturating_sub(3 + details.len()).max(1);
            let first = view.selected.saturating_sub(rows - 1);
            for (index, number) in numbers.iter().enumerate().skip(first).take(rows) {
                let marker = if index == view.selected { "› " } else { "  " };
                let broken = broken_mark(state, &format!("incoming number {}", number.number));
                let text = format!(
                    "{marker}{broken}{:<16} {:<32} {}",
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
            lines.extend(details);
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

pub(super) fn groups(state: &ConsoleState, view: &GroupsView, frame: &mut Frame, area: Rect) {
    let keymap = &state.keymap;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let keys = format!(
        " {} add · {} edit · {} remove · {} close ",
        keymap.hint(Action::AddUser),
        form_key(keymap, Action::EditUser),
        keymap.hint(Action::RemoveUser),
        keymap.hint(Action::Cancel)
    );
    let block = popup_block(" User groups ").title_bottom(Line::from(keys).right_aligned());
    let area = centered(area, 78, 20);
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut lines = vec![Line::styled(
        format!("    {:<16} {}", "Name", "Members"),
        bold.add_modifier(Modifier::UNDERLINED),
    )];
    match &view.groups {
        None => lines.push(Line::from("Asking the PBX…")),
        Some(groups) if groups.is_empty() => lines.push(Line::from("No user groups yet.")),
        Some(groups) => {
            let details = groups
                .get(view.selected)
                .map(|g| problem_lines(state, &format!("group {}", g.name)))
                .unwrap_or_default();
            let rows = usize::from(inner.height).saturating_sub(3 + details.len()).max(1);
            let first = view.selected.saturating_sub(rows - 1);
            for (index, group) in groups.iter().enumerate().skip(first).take(rows) {
                let marker = if index == view.selected { "› " } else { "  " };
                let broken = broken_mark(state, &format!("group {}", group.name));
                let members = member_names(state, &group.members);
                let text = format!("{marker}{broken}{:<16} {members}", group.name);
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
        let text = format!("Remove user group {name}?");
        let detail = "The removal is staged: it goes live when you apply.";
        question(keymap, " Remove group? ", &[&text, detail], frame, area);
    }
    if let Some(editing) = &view.editing {
        group_form(state, editing, frame, area);
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
    let block = popup_block(&title).title_bottom(Line::from(keys).right_aligned());
    let form_area = centered(area, 72, 14);
    frame.render_widget(Clear, form_area);
    let inner = block.inner(form_area);
    frame.render_widget(block, form_area);

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

    if editing.asking_leave {
        let detail = "What was typed in this form is lost.";
        question(keymap, " Leave? ", &["Leave without saving?", detail], frame, form_area);
    } else if let Some(cursor) = cursor {
        frame.set_cursor_position(cursor);
    }
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
