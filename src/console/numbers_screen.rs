//! The incoming numbers screen: the staged list, and a form to add or edit
//! one (number, SMS note, destination type and the second choice that the
//! type needs, which changes with it), and removal after a question. A
//! staged change closes the form and reads the list again.

use crate::config::{Destination, DestinationType, IncomingNumber};
use crate::control::api::{Command, ControlError, Reply};

use super::form::{Field, Form};
use super::input::Key;
use super::list_screen::{self, EntryForm, EntryParts, ListKind, ListView};
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
pub type NumbersView = ListView<NumberList>;

/// The incoming numbers, as a list screen shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberList;

impl ListKind for NumberList {
    type Item = IncomingNumber;
    type Form = NumberForm;

    fn list() -> Command {
        Command::ListNumbers
    }

    fn remove(number: String) -> Command {
        Command::RemoveNumber { number }
    }

    fn name(item: &IncomingNumber) -> &str {
        &item.number
    }

    fn sent_by_screen(command: &Command) -> bool {
        matches!(
            command,
            Command::ListNumbers
                | Command::AddNumber { .. }
                | Command::SetNumber { .. }
                | Command::RemoveNumber { .. }
        )
    }

    fn items(reply: &Reply) -> Option<&Vec<IncomingNumber>> {
        match reply {
            Reply::Numbers { numbers } => Some(numbers),
            _ => None,
        }
    }

    fn into_popup(view: NumbersView) -> Popup {
        Popup::Numbers(view)
    }

    fn view_mut(popup: &mut Popup) -> Option<&mut NumbersView> {
        match popup {
            Popup::Numbers(view) => Some(view),
            _ => None,
        }
    }
}

/// Adding (no `existing`) or editing one incoming number.
#[derive(Debug, Clone, PartialEq)]
pub struct NumberForm {
    pub form: Form,
    pub existing: Option<String>,
    pub saving: bool,
    pub asking_leave: bool,
}

impl EntryForm for NumberForm {
    type Item = IncomingNumber;

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

    fn parts(&mut self) -> EntryParts<'_> {
        EntryParts {
            form: &mut self.form,
            existing: self.existing.as_deref(),
            saving: &mut self.saving,
            asking_leave: &mut self.asking_leave,
        }
    }

    fn is_edited(&self) -> bool {
        self.form.is_edited()
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

impl NumberForm {
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
    list_screen::open::<NumberList>(state)
}

/// Offers a key to the open form before the keymap; true when it typed.
pub fn edit_key(view: &mut NumbersView, key: Key) -> bool {
    let Some(editing) = list_screen::typing_form(view) else { return false };
    let used = editing.form.edit(key);
    if used {
        editing.follow_type();
    }
    used
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
