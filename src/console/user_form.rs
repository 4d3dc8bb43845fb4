//! Adding and removing users from the console. The add-user popup is a
//! [`Form`] with the fields a user has today; saving stages the user through
//! [`Command::AddUser`] and the engine's refusal marks the field it names.
//! Removing asks first, then stages [`Command::RemoveUser`]. Both go live
//! only with Apply.

use super::action::Action;
use super::form::{Field, Form};
use super::input::Key;
use super::state::{ConsoleState, Pane, Popup};
use super::update::Effect;
use crate::control::api::{Command, ControlError, NewUser, PendingChange, Reply};

/// The add-user popup.
#[derive(Debug, Clone, PartialEq)]
pub struct UserForm {
    pub form: Form,
    /// The user was sent to the engine and its answer has not come yet.
    pub saving: bool,
    /// Leaving with edits was asked for and waits for yes or no.
    pub asking_leave: bool,
}

impl UserForm {
    /// An empty form for a new user, focused on the extension.
    pub fn new() -> Self {
        let fields = vec![
            Field::text("extension", "Extension", "2 to 8 digits"),
            Field::text("name", "Name", ""),
            Field::text("email", "Email", "optional"),
            Field::text("gsm", "GSM number", "optional, +32475123456"),
            Field::toggle("voicemail", "Voicemail", true),
            Field::text("outgoing_number", "Outgoing number", "optional, +3225550100"),
            Field::toggle("multiple_calls", "Several calls at once", false),
        ];
        Self { form: Form::new(fields), saving: false, asking_leave: false }
    }

    /// The user as the form stands; the engine checks every field. The SIP
    /// password is left to the engine, which generates a strong one.
    pub fn new_user(&self) -> NewUser {
        let form = &self.form;
        NewUser {
            extension: form.text("extension"),
            name: form.text("name"),
            email: form.optional_text("email"),
            gsm: form.optional_text("gsm"),
            voicemail: form.is_on("voicemail"),
            outgoing_number: form.optional_text("outgoing_number"),
            multiple_calls: form.is_on("multiple_calls"),
            sip_password: None,
        }
    }
}

impl Default for UserForm {
    fn default() -> Self {
        Self::new()
    }
}

/// Opens the empty add-user form.
pub fn open_add(state: &mut ConsoleState) {
    if !state.loaded {
        state.notice = Some("Not connected to the PBX yet.".to_string());
        return;
    }
    state.popup = Some(Popup::AddUser(UserForm::new()));
}

/// Asks whether to remove the user selected in the Users pane.
pub fn ask_remove(state: &mut ConsoleState) {
    let user = (state.focus == Pane::Users)
        .then(|| state.visible_user(state.selected(Pane::Users)))
        .flatten();
    let Some(user) = user else {
        state.notice = Some("Select a user in Users first.".to_string());
        return;
    };
    if state.pending_user(&user.extension) == Some(PendingChange::Removed) {
        state.notice = Some(super::user_editor::removal_staged(&user.extension));
        return;
    }
    state.popup =
        Some(Popup::ConfirmRemove { extension: user.extension.clone(), name: user.name.clone() });
}

/// Offers a key to the form's focused field; true when it was used there,
/// so the keymap must not see it.
pub fn edit(form: &mut UserForm, key: Key) -> bool {
    !form.asking_leave && form.form.edit(key)
}

/// An action in the add-user popup: the popup that stays open, and the
/// requests to send.
pub fn update_form(mut form: UserForm, action: Action) -> (Option<Popup>, Vec<Effect>) {
    if form.asking_leave {
        return match action {
            Action::Confirm => (None, Vec::new()),
            Action::Cancel => {
                form.asking_leave = false;
                (Some(Popup::AddUser(form)), Vec::new())
            }
            _ => (Some(Popup::AddUser(form)), Vec::new()),
        };
    }

    match action {
        Action::Cancel | Action::Quit if form.form.is_edited() => form.asking_leave = true,
        Action::Cancel | Action::Quit => return (None, Vec::new()),
        Action::FocusNext | Action::Down => form.form.focus_next(),
        Action::FocusPrevious | Action::Up => form.form.focus_previous(),
        Action::Confirm if !form.saving => {
            form.form.clear_errors();
            form.saving = true;
            let request = Effect::Request(Command::AddUser { user: form.new_user() });
            return (Some(Popup::AddUser(form)), vec![request]);
        }
        _ => {}
    }
    (Some(Popup::AddUser(form)), Vec::new())
}

/// Applies the reply to adding or removing a user. Returns `None` when the
/// command is neither, so the caller handles it.
pub fn apply_reply(
    state: &mut ConsoleState,
    command: &Command,
    result: &Result<Reply, ControlError>,
) -> Option<Vec<Effect>> {
    match (command, result) {
        (Command::AddUser { .. }, Ok(Reply::UserAdded { extension, .. })) => {
            if matches!(state.popup, Some(Popup::AddUser(_))) {
                state.popup = None;
            }
            state.notice = Some(format!("User {extension} staged: apply to make it live."));
        }
        (Command::AddUser { .. }, Err(error)) => match &mut state.popup {
            Some(Popup::AddUser(form)) => {
                form.saving = false;
                form.form.mark(error.field.as_deref(), error.message.clone());
            }
            _ => state.notice = Some(format!("The user was not added: {error}")),
        },
        (Command::RemoveUser { .. }, Ok(Reply::UserRemoved { extension })) => {
            state.notice =
                Some(format!("Removal of user {extension} staged: apply to make it live."));
        }
        (Command::RemoveUser { extension }, Err(error)) => {
            state.notice = Some(format!("User {extension} was not removed: {error}"));
        }
        _ => return None,
    }
    Some(Vec::new())
}

#[cfg(test)]
#[path = "user_form_tests.rs"]
mod tests;
