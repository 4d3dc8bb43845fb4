//! What the configuration list screens (incoming numbers, user groups) have
//! in common: a staged list to move through, a form to add or edit one
//! entry, a question before a removal, and the replies that fill the list
//! or close the form. Each screen says through [`ListKind`] what it lists
//! and through [`EntryForm`] how its form turns into a command; `update`
//! and the reply handling call in here.

use std::fmt::Debug;

use crate::control::api::{Command, ControlError, Reply};

use super::action::Action;
use super::form::Form;
use super::state::{ConsoleState, Popup};
use super::update::Effect;

/// One kind of configuration entry a list screen shows.
pub trait ListKind: Debug + Clone + PartialEq + Sized {
    type Item: Debug + Clone + PartialEq;
    type Form: EntryForm<Item = Self::Item> + Debug + Clone + PartialEq;

    /// The request that reads the staged list.
    fn list() -> Command;
    /// The request that stages the removal of the entry named `name`.
    fn remove(name: String) -> Command;
    /// What the entry is stored under, for the removal question.
    fn name(item: &Self::Item) -> &str;
    /// True for every request this screen sends, so its reply comes back here.
    fn sent_by_screen(command: &Command) -> bool;
    /// The list in a reply, when the reply is one.
    fn items(reply: &Reply) -> Option<&Vec<Self::Item>>;
    /// The popup that shows this screen.
    fn into_popup(view: ListView<Self>) -> Popup;
    /// This screen, when it is the popup that is open.
    fn view_mut(popup: &mut Popup) -> Option<&mut ListView<Self>>;
}

/// The form that adds (no `existing`) or edits one entry of a list.
pub trait EntryForm: Sized {
    type Item;

    /// An empty form to add an entry, or one filled from `item` to edit it.
    fn new(item: Option<&Self::Item>) -> Self;
    /// The parts every entry form has, to read and change in place.
    fn parts(&mut self) -> EntryParts<'_>;
    /// Something was typed, chosen, added or taken away: leaving asks first.
    fn is_edited(&self) -> bool;
    /// The add or set request, or the field that keeps it from being one.
    fn command(&self) -> Result<Command, ControlError>;
    /// A chance to use an action before it moves the focus or saves; true
    /// when it was used.
    fn own_action(&mut self, _action: Action) -> bool {
        false
    }
}

/// The fields of an entry form the list screen itself reads and sets.
pub struct EntryParts<'a> {
    pub form: &'a mut Form,
    /// The name of the entry being edited; it stays as it is.
    pub existing: Option<&'a str>,
    pub saving: &'a mut bool,
    pub asking_leave: &'a mut bool,
}

/// The screen, its list and whatever is open over it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListView<K: ListKind> {
    /// `None` until the list arrives.
    pub items: Option<Vec<K::Item>>,
    pub selected: usize,
    pub editing: Option<K::Form>,
    /// The entry whose removal waits for yes or no.
    pub removing: Option<String>,
    pub error: Option<String>,
}

// Written out: a derived `Default` would ask the items and forms for one.
impl<K: ListKind> Default for ListView<K> {
    fn default() -> Self {
        Self { items: None, selected: 0, editing: None, removing: None, error: None }
    }
}

/// Opens the screen and asks for the list.
pub fn open<K: ListKind>(state: &mut ConsoleState) -> Vec<Effect> {
    state.popup = Some(K::into_popup(ListView::default()));
    vec![Effect::Request(K::list())]
}

/// The open form when keys may be typed into it: not while it asks whether
/// to leave, and not in the name of an existing entry, which names it.
pub fn typing_form<K: ListKind>(view: &mut ListView<K>) -> Option<&mut K::Form> {
    let editing = view.editing.as_mut()?;
    let parts = editing.parts();
    let on_name = parts.existing.is_some() && parts.form.focus() == 0;
    if *parts.asking_leave || on_name {
        return None;
    }
    Some(editing)
}

/// An action on the screen: the popup that stays open, and the requests.
pub fn update<K: ListKind>(mut view: ListView<K>, action: Action) -> (Option<Popup>, Vec<Effect>) {
    let mut effects = Vec::new();
    if let Some(mut editing) = view.editing.take() {
        let stays = update_form(&mut editing, action, &mut effects);
        if stays {
            view.editing = Some(editing);
        }
        return (Some(K::into_popup(view)), effects);
    }
    if let Some(name) = view.removing.take() {
        if action == Action::Confirm {
            effects.push(Effect::Request(K::remove(name)));
        }
        return (Some(K::into_popup(view)), effects);
    }

    let count = view.items.as_ref().map_or(0, Vec::len);
    let chosen = view.items.as_ref().and_then(|items| items.get(view.selected));
    match action {
        Action::Cancel | Action::Quit => return (None, effects),
        Action::Up => view.selected = view.selected.saturating_sub(1),
        Action::Down => view.selected = (view.selected + 1).min(count.saturating_sub(1)),
        // In a popup the add key may be bound to apply first.
        Action::AddUser | Action::Apply if view.items.is_some() => {
            view.editing = Some(K::Form::new(None));
        }
        Action::EditUser | Action::Confirm if chosen.is_some() => {
            view.editing = Some(K::Form::new(chosen));
        }
        Action::RemoveUser | Action::Discard if chosen.is_some() => {
            view.removing = chosen.map(|item| K::name(item).to_string());
        }
        _ => {}
    }
    (Some(K::into_popup(view)), effects)
}

/// An action on the open form; false when the form closes.
fn update_form<F: EntryForm>(editing: &mut F, action: Action, effects: &mut Vec<Effect>) -> bool {
    if *editing.parts().asking_leave {
        match action {
            Action::Confirm => return false,
            Action::Cancel => *editing.parts().asking_leave = false,
            _ => {}
        }
        return true;
    }
    match action {
        Action::Cancel | Action::Quit if editing.is_edited() => {
            *editing.parts().asking_leave = true;
        }
        Action::Cancel | Action::Quit => return false,
        _ if editing.own_action(action) => {}
        Action::FocusNext | Action::Down => editing.parts().form.focus_next(),
        Action::FocusPrevious | Action::Up => editing.parts().form.focus_previous(),
        Action::Confirm if !*editing.parts().saving => {
            editing.parts().form.clear_errors();
            match editing.command() {
                Ok(command) => {
                    *editing.parts().saving = true;
                    effects.push(Effect::Request(command));
                }
                Err(error) => editing.parts().form.mark(error.field.as_deref(), error.message),
            }
        }
        _ => {}
    }
    true
}

/// Applies a reply meant for this screen; `None` when it is not one.
pub fn apply_reply<K: ListKind>(
    state: &mut ConsoleState,
    command: &Command,
    result: &Result<Reply, ControlError>,
) -> Option<Vec<Effect>> {
    if !K::sent_by_screen(command) {
        return None;
    }
    let Some(view) = state.popup.as_mut().and_then(K::view_mut) else {
        return Some(Vec::new());
    };
    let items = result.as_ref().ok().and_then(K::items);
    match (result, items) {
        (_, Some(items)) => {
            view.selected = view.selected.min(items.len().saturating_sub(1));
            view.items = Some(items.clone());
            view.error = None;
        }
        (Ok(Reply::Staged { subject }), _) => {
            view.editing = None;
            state.notice = Some(format!("{subject} staged: apply to make it live."));
            return Some(vec![Effect::Request(K::list())]);
        }
        (Ok(_), _) => view.error = Some("The PBX gave an unexpected answer.".to_string()),
        (Err(error), _) => match &mut view.editing {
            Some(editing) => {
                let parts = editing.parts();
                *parts.saving = false;
                parts.form.mark(error.field.as_deref(), error.message.clone());
            }
            None => view.error = Some(error.to_string()),
        },
    }
    Some(Vec::new())
}
