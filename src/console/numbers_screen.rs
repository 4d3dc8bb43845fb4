//! The incoming numbers screen: the staged list, and a form to add or edit
//! one (number, SMS note, destination type and the second choice that the
//! type needs, which changes with it), and removal after a question. A
//! staged change closes the form and reads the list again.

use crate::config::{Destination, DestinationType, IncomingNumber};
use crate::control::api::{Command, ControlError, Reply};

use super::action::Action;
use super::form::{Field, Form};
use super::input::Key;
use super::state::{ConsoleState, Popup};
use super::update::Effect;

/// The destination types in the order the choice cycles through them.
const TYPES: [DestinationType; 6] = [
    DestinationType::NotConfigured,
    DestinationType::Extension,
    DestinationType::DialPlan,
    DestinationType::Voicemail,
    DestinationType::HangUp,
    DestinationType::Conference,
];
const TYPE_NAMES: &[&str] =
    &["not configured", "extension", "dial plan", "voicemail", "hang up", "conference"];

/// The screen, its list and whatever is open over it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NumbersView {
    /// `None` until the list arrives.
    pub numbers: Option<Vec<IncomingNumber>>,
    pub selected: usize,
    pub editing: Option<NumberForm>,
    /// The number whose removal waits for yes or no.
    pub removing: Option<String>,
    pub error: Option<String>,
}

/// Adding (no `existing`) or editing one incoming number.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberForm {
    pub form: Form,
    pub existing: Option<String>,
    pub saving: bool,
    pub asking_leave: bool,
}

impl NumberForm {
    fn new(number: Option<&IncomingNumber>) -> Self {
        let kind = number.map_or(DestinationType::NotConfigured, |n| n.destination.kind());
        let index = TYPES.iter().position(|t| *t == kind).unwrap_or(0);
        let text = |value: Option<&str>| value.unwrap_or_default().to_string();
        let mut form = Form::new(vec![
            Field::filled(
                "number",
                "Number",
                "+3225550100",
                &text(number.map(|n| n.number.as_str())),
            ),
            Field::filled(
                "sms",
                "SMS note",
                "optional",
                &text(number.and_then(|n| n.sms.as_deref())),
            ),
            Field::choice("destination", "Destination type", TYPE_NAMES, index),
        ]);
        if let Some(field) = target_field(kind, number.and_then(|n| n.destination.target())) {
            form.push(field);
        }
        if number.is_some() {
            // The number names the entry and stays: start on what can change.
            form.focus_next();
        }
        Self {
            form,
            existing: number.map(|n| n.number.clone()),
            saving: false,
            asking_leave: false,
        }
    }

    fn kind(&self) -> DestinationType {
        let name = self.form.choice("destination");
        TYPE_NAMES.iter().position(|n| Some(*n) == name).map_or(TYPES[0], |index| TYPES[index])
    }

    /// Puts the second field in line with the type: its label follows the
    /// type, and a type that needs none has none.
    fn follow_type(&mut self) {
        let kind = self.kind();
        let current = self.form.fields().get(3).map(|field| field.label.to_string());
        let wanted = target_label(kind);
        if current.as_deref() == wanted {
            return;
        }
        self.form.truncate(3);
        if let Some(field) = target_field(kind, None) {
            self.form.push(field);
        }
    }

    fn command(&self) -> Result<Command, ControlError> {
        let target = self.form.optional_text("target");
        let destination = Destination::new(self.kind(), target.as_deref())
            .map_err(|error| ControlError::invalid("target", error.to_string()))?;
        let sms = self.form.optional_text("sms");
        Ok(match &self.existing {
            Some(number) => Command::SetNumber {
                number: number.clone(),
                destination: Some(destination),
                sms: Some(sms.unwrap_or_default()),
            },
            None => Command::AddNumber {
                number: IncomingNumber { number: self.form.text("number"), sms, destination },
            },
        })
    }
}

fn target_label(kind: DestinationType) -> Option<&'static str> {
    match kind {
        DestinationType::Extension => Some("User"),
        DestinationType::DialPlan => Some("Dial plan"),
        DestinationType::Voicemail => Some("Voicemail box"),
        DestinationType::Conference => Some("Conference room"),
        DestinationType::NotConfigured | DestinationType::HangUp => None,
    }
}

fn target_field(kind: DestinationType, target: Option<&str>) -> Option<Field> {
    let label = target_label(kind)?;
    Some(Field::filled("target", label, "name or extension", target.unwrap_or_default()))
}

/// Opens the screen and asks for the list.
pub fn open(state: &mut ConsoleState) -> Vec<Effect> {
    state.popup = Some(Popup::Numbers(NumbersView::default()));
    vec![Effect::Request(Command::ListNumbers)]
}

/// Offers a key to the open form before the keymap; true when it typed.
pub fn edit_key(view: &mut NumbersView, key: Key) -> bool {
    let Some(editing) = &mut view.editing else { return false };
    if editing.asking_leave {
        return false;
    }
    // The number of an existing entry is what names it: it stays.
    if editing.existing.is_some() && editing.form.focus() == 0 {
        return false;
    }
    let used = editing.form.edit(key);
    if used {
        editing.follow_type();
    }
    used
}

/// An action on the screen: the popup that stays open, and the requests.
pub fn update(mut view: NumbersView, action: Action) -> (Option<Popup>, Vec<Effect>) {
    let mut effects = Vec::new();
    if let Some(mut editing) = view.editing.take() {
        match action {
            _ if editing.asking_leave => match action {
                Action::Confirm => {}
                Action::Cancel => {
                    editing.asking_leave = false;
                    view.editing = Some(editing);
                }
                _ => view.editing = Some(editing),
            },
            Action::Cancel | Action::Quit if editing.form.is_edited() => {
                editing.asking_leave = true;
                view.editing = Some(editing);
            }
            Action::Cancel | Action::Quit => {}
            Action::FocusNext | Action::Down => {
                editing.form.focus_next();
                view.editing = Some(editing);
            }
            Action::FocusPrevious | Action::Up => {
                editing.form.focus_previous();
                view.editing = Some(editing);
            }
            Action::Confirm if !editing.saving => {
                editing.form.clear_errors();
                match editing.command() {
                    Ok(command) => {
                        editing.saving = true;
                        effects.push(Effect::Request(command));
                    }
                    Err(error) => editing.form.mark(error.field.as_deref(), error.message),
                }
                view.editing = Some(editing);
            }
            _ => view.editing = Some(editing),
        }
        return (Some(Popup::Numbers(view)), effects);
    }
    if let Some(number) = view.removing.take() {
        if action == Action::Confirm {
            effects.push(Effect::Request(Command::RemoveNumber { number }));
        }
        return (Some(Popup::Numbers(view)), effects);
    }

    let count = view.numbers.as_ref().map_or(0, Vec::len);
    let chosen = view.numbers.as_ref().and_then(|numbers| numbers.get(view.selected));
    match action {
        Action::Cancel | Action::Quit => return (None, effects),
        Action::Up => view.selected = view.selected.saturating_sub(1),
        Action::Down => view.selected = (view.selected + 1).min(count.saturating_sub(1)),
        // In a popup the add key may be bound to apply first.
        Action::AddUser | Action::Apply if view.numbers.is_some() => {
            view.editing = Some(NumberForm::new(None));
        }
        Action::EditUser | Action::Confirm if chosen.is_some() => {
            view.editing = Some(NumberForm::new(chosen));
        }
        Action::RemoveUser | Action::Discard if chosen.is_some() => {
            view.removing = chosen.map(|number| number.number.clone());
        }
        _ => {}
    }
    (Some(Popup::Numbers(view)), effects)
}

/// Applies a reply meant for this screen; `None` when it is not one.
pub fn apply_reply(
    state: &mut ConsoleState,
    command: &Command,
    result: &Result<Reply, ControlError>,
) -> Option<Vec<Effect>> {
    if !matches!(
        command,
        Command::ListNumbers
            | Command::AddNumber { .. }
            | Command::SetNumber { .. }
            | Command::RemoveNumber { .. }
    ) {
        return None;
    }
    let Some(Popup::Numbers(view)) = &mut state.popup else { return Some(Vec::new()) };
    match result {
        Ok(Reply::Numbers { numbers }) => {
            view.selected = view.selected.min(numbers.len().saturating_sub(1));
            view.numbers = Some(numbers.clone());
            view.error = None;
        }
        Ok(Reply::Staged { subject }) => {
            view.editing = None;
            state.notice = Some(format!("{subject} staged: apply to make it live."));
            return Some(vec![Effect::Request(Command::ListNumbers)]);
        }
        Ok(_) => view.error = Some("The PBX gave an unexpected answer.".to_string()),
        Err(error) => match &mut view.editing {
            Some(editing) => {
                editing.saving = false;
                editing.form.mark(error.field.as_deref(), error.message.clone());
            }
            None => view.error = Some(error.to_string()),
        },
    }
    Some(Vec::new())
}

/// The destination as the list shows it: the type, then the second choice.
pub fn destination_text(destination: &Destination) -> String {
    let kind = destination.kind();
    let name = TYPES.iter().position(|t| *t == kind).map_or("", |index| TYPE_NAMES[index]);
    match destination.target() {
        Some(target) => format!("{name} {target}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
#[path = "numbers_screen_tests.rs"]
pub(crate) mod tests;
