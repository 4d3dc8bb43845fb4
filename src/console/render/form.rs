//! Draws a [`Form`]: a label and a value per field, the focused one marked
//! with an arrow and holding the cursor, and under a refused field its
//! reason. Used by the add-user popup and, one tab at a time, by the user
//! editor.

use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::popups::{centered, popup_block, question};
use crate::console::action::Action;
use crate::console::form::{Form, Value};
use crate::console::input::KeyCode;
use crate::console::keymap::Keymap;
use crate::console::state::ConsoleState;
use crate::console::user_editor::{UserEditor, FOLLOW_ME, FORWARDINGS, SIP, TABS};
use crate::console::user_form::UserForm;

/// The tab names as the tab bar shows them, short enough for 80 columns.
const TAB_BAR: [&str; 6] = ["General", "Forwardings", "Follow Me", "Keys", "SIP", "Permissions"];

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
    let cursor = draw_form(&user.form, true, false, frame, inner);
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

/// Draws the fields into `area`, scrolled so the focused field shows;
/// returns where the cursor belongs, if the focused field is text and
/// visible. Secret fields show as dots unless `reveal`; the focused field is
/// marked only while the form is `active` (has the keys).
pub(super) fn draw_form(
    form: &Form,
    active: bool,
    reveal: bool,
    frame: &mut Frame,
    area: Rect,
) -> Option<Position> {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let quiet = Style::new().add_modifier(Modifier::DIM | Modifier::ITALIC);
    let label_width = label_width(form);
    let value_width = usize::from(area.width).saturating_sub(label_width).max(1);
    let mut lines = Vec::new();
    let mut cursor = None;
    let mut focus_line = 0;

    for (index, field) in form.fields().iter().enumerate() {
        let focused = active && index == form.focus();
        let marker = if focused { "› " } else { "  " };
        let label = format!("{marker}{:<width$}", field.label, width = label_width - 2);
        let label = Span::styled(label, if focused { bold } else { Style::new() });

        if focused {
            focus_line = lines.len();
        }
        let value = match &field.value {
            Value::Text(input) | Value::Secret(input)
                if input.value().is_empty() && !field.hint.is_empty() =>
            {
                Span::styled(field.hint.to_string(), quiet)
            }
            Value::Secret(input) if !reveal => {
                Span::raw("•".repeat(input.value().chars().count().min(value_width)))
            }
            Value::Secret(input) => {
                let scroll = input.visual_scroll(value_width);
                Span::raw(input.value().chars().skip(scroll).take(value_width).collect::<String>())
            }
            Value::Slider { value, min, max, unit, .. } => {
                Span::raw(slider(*value, *min, *max, unit))
            }
            Value::Choice { options, index } => {
                Span::raw(format!("‹ {} ›", options.get(*index).copied().unwrap_or("")))
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
            if let Value::Text(input) | Value::Secret(input) = &field.value {
                let column = input.visual_cursor().saturating_sub(input.visual_scroll(value_width));
                let x = area.x + u16::try_from(label_width + column).unwrap_or(u16::MAX);
                let row = lines.len().saturating_sub(first_line(form, area));
                let y = area.y + u16::try_from(row).unwrap_or(u16::MAX);
                if x < area.right() && y < area.bottom() {
                    cursor = Some(Position::new(x, y));
                }
            }
        }
        lines.push(Line::from(vec![label, value]));

        if let Some(error) = &field.error {
            let indent = " ".repeat(label_width);
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

    // Fields are one line each (values are cut, not wrapped), so scrolling
    // by lines keeps the focused field and its mark in view.
    let scroll = focus_line.saturating_sub(usize::from(area.height).saturating_sub(2));
    let scroll = u16::try_from(scroll).unwrap_or(u16::MAX);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }).scroll((scroll, 0)), area);
    cursor
}

/// The first line shown when the focused field must be in view: the same
/// scroll [`draw_form`] uses, worked out before the lines are built.
fn first_line(form: &Form, area: Rect) -> usize {
    let focus_line = form.fields()[..form.focus().min(form.fields().len())]
        .iter()
        .map(|field| 1 + usize::from(field.error.is_some()))
        .sum::<usize>();
    focus_line.saturating_sub(usize::from(area.height).saturating_sub(2))
}

/// Columns for the focus arrow and the labels: [`LABEL_WIDTH`], or more
/// for a form with longer labels.
fn label_width(form: &Form) -> usize {
    let longest = form.fields().iter().map(|field| field.label.chars().count()).max();
    (longest.unwrap_or(0) + 3).max(LABEL_WIDTH)
}

/// A slider as text: a bar that fills from `min` to `max`, then the value.
fn slider(value: u32, min: u32, max: u32, unit: &str) -> String {
    const WIDTH: u32 = 12;
    let span = max.saturating_sub(min).max(1);
    let filled = (value.saturating_sub(min) * WIDTH).div_ceil(span).min(WIDTH);
    let bar: String = (0..WIDTH).map(|cell| if cell < filled { '█' } else { '░' }).collect();
    if unit.is_empty() {
        format!("◂ {bar} ▸ {value}")
    } else {
        format!("◂ {bar} ▸ {value} {unit}")
    }
}

/// The first key of an action that a form does not take as typing: in a
/// form "y" types a y, so Enter is what saves.
pub(super) fn form_key(keymap: &Keymap, action: Action) -> String {
    keymap
        .keys(action)
        .iter()
        .find(|key| {
            let modifiers = key.modifiers();
            !matches!(key.code(), KeyCode::Char(_)) || modifiers.ctrl || modifiers.alt
        })
        .map_or_else(|| action.name().to_string(), ToString::to_string)
}

/// The user editor: the tab bar, what the tab needs said above its fields,
/// the fields, and the user's live registrations at the foot.
pub(super) fn edit_user(state: &ConsoleState, editor: &UserEditor, frame: &mut Frame, area: Rect) {
    let keymap = &state.keymap;
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let quiet = Style::new().add_modifier(Modifier::DIM | Modifier::ITALIC);
    let keys = if editor.saving {
        " saving… ".to_string()
    } else if editor.on_tabs {
        format!(
            " ←/→ or 1–6 tab · ↓ fields · {} save · {} leave ",
            form_key(keymap, Action::Confirm),
            form_key(keymap, Action::Cancel)
        )
    } else {
        format!(
            " {} save · {} next field · {} leave ",
            form_key(keymap, Action::Confirm),
            form_key(keymap, Action::FocusNext),
            form_key(keymap, Action::Cancel)
        )
    };
    let title = format!(" User {} {} ", editor.extension, editor.name);
    let block = popup_block(&title).title_bottom(Line::from(keys).right_aligned());
    let area = centered(area, 78, 22);
    frame.render_widget(Clear, area);
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let mut bar = Vec::new();
    for (index, name) in TAB_BAR.iter().enumerate() {
        if index > 0 {
            bar.push(Span::raw("│"));
        }
        let text = format!(" {} {name} ", index + 1);
        bar.push(if index == editor.tab {
            Span::styled(text, bold.add_modifier(Modifier::REVERSED))
        } else {
            Span::raw(text)
        });
    }
    let mut head = vec![Line::from(bar)];
    if !editor.is_loaded() {
        let text = editor.error.clone().unwrap_or_else(|| "Reading the user…".to_string());
        head.push(Line::default());
        head.push(Line::from(text));
        frame.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), inner);
        return;
    }
    head.push(Line::styled(
        format!("{}{}", if editor.on_tabs { "› " } else { "  " }, TABS[editor.tab]),
        bold,
    ));
    match editor.tab {
        FORWARDINGS if editor.follow_me_on() => {
            head.push(Line::styled("Inactive while Follow Me is enabled: kept as they are.", quiet))
        }
        FOLLOW_ME => {
            head.push(Line::styled("Rings these in turn instead of the user's own phones.", quiet))
        }
        SIP => {
            let label = |text: &str| Span::styled(format!("  {text:<22}"), bold);
            let password = match (&editor.revealed_password, editor.revealing) {
                (Some(password), _) => password.clone(),
                (None, true) => "revealing…".to_string(),
                (None, false) => {
                    format!("hidden ({} on the tab bar reveals)", keymap.hint(Action::Reveal))
                }
            };
            head.push(Line::from(vec![label("SIP username"), Span::raw(editor.extension.clone())]));
            head.push(Line::from(vec![label("Domain"), Span::raw(state.domain.clone())]));
            head.push(Line::from(vec![label("Proxy"), Span::raw(state.proxy.clone())]));
            head.push(Line::from(vec![label("SIP password"), Span::raw(password)]));
        }
        _ => {}
    }

    let live = live_line(state, &editor.extension);
    let head_height = u16::try_from(head.len()).unwrap_or(u16::MAX);
    let [head_area, form_area, foot_area] = Layout::vertical([
        Constraint::Length(head_height),
        Constraint::Fill(1),
        Constraint::Length(2),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(head), head_area);
    let mut foot = vec![live];
    if let Some(error) = &editor.error {
        foot.push(Line::from(vec![Span::styled("Refused: ", bold), Span::raw(error.clone())]));
    }
    frame.render_widget(Paragraph::new(foot), foot_area);

    let cursor = editor.form().and_then(|form| {
        let reveal = editor.tab == SIP && editor.revealed_password.is_some();
        let cursor = draw_form(form, !editor.on_tabs, reveal, frame, form_area);
        cursor.filter(|_| !editor.on_tabs)
    });
    if editor.asking_leave {
        let text = "Leave without saving?";
        let detail = "The changes made in this form are lost.";
        question(keymap, " Leave? ", &[text, detail], frame, area);
    } else if let Some(cursor) = cursor {
        frame.set_cursor_position(cursor);
    }
}

/// "Live: …" with each registered contact of the user, from the console's
/// live state.
fn live_line(state: &ConsoleState, extension: &str) -> Line<'static> {
    let contacts: Vec<String> = state
        .registrations
        .iter()
        .filter(|registration| state.extension_of(&registration.user) == Some(extension))
        .map(|registration| {
            format!("{} ({})", contact_address(&registration.contact), registration.transport)
        })
        .collect();
    let text = match contacts.len() {
        0 => "not registered".to_string(),
        1 => format!("1 device: {}", contacts[0]),
        n => format!("{n} devices: {}", contacts.join(", ")),
    };
    Line::from(vec![
        Span::styled("Live: ", Style::new().add_modifier(Modifier::BOLD)),
        Span::raw(text),
    ])
}

/// The host and port of a contact URI, which tell a user's phones apart.
fn contact_address(contact: &str) -> &str {
    let rest = contact.split_once('@').map_or(contact, |(_, host)| host);
    rest.split(';').next().unwrap_or(rest).trim_end_matches('>')
}
