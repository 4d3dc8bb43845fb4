//! Editing one user in a form with six tabs (General, Forwardings, Follow
//! Me, Keys, SIP identifiers, Permissions). The form starts from the user as
//! staged ([`Command::UserConfig`]), saving sends every tab as one
//! [`Command::SetUser`], and the engine's refusal marks the field it names,
//! on whichever tab holds it. `update` routes keys and replies here while the
//! editor is open; `render` draws it.

use crate::config::tabs::{KEYS_MAX, RING_SECONDS_DEFAULT, RING_SECONDS_MAX, RING_SECONDS_MIN};
use crate::config::{Key as PhoneKey, Preset, Right, Ring, RingTarget, User};
use crate::control::api::{Command, ControlError, PendingChange, Reply, UserEdit};

use super::action::Action;
use super::form::{Field, Form};
use super::input::{Key, KeyCode};
use super::state::{ConsoleState, Pane, Popup};
use super::update::Effect;

/// The tabs, in the order they are shown and numbered (1 to 6).
pub const TABS: [&str; 6] =
    ["General", "Forwardings", "Follow Me", "Keys", "SIP identifiers", "Permissions"];
pub const GENERAL: usize = 0;
pub const FORWARDINGS: usize = 1;
pub const FOLLOW_ME: usize = 2;
pub const KEYS: usize = 3;
pub const SIP: usize = 4;
pub const PERMISSIONS: usize = 5;

/// Field keys of the ring lists; each destination is a text field with this
/// key followed by a slider with the same key.
const NO_ANSWER: &str = "forward_no_answer";
const BUSY: &str = "forward_busy";
const FOLLOW: &str = "follow_me_destinations";

const PRESETS: &[&str] = &["keep", "administrator", "operator", "user"];

/// The user editor popup.
#[derive(Debug, Clone, PartialEq)]
pub struct UserEditor {
    pub extension: String,
    pub name: String,
    /// One form per tab; empty until the user has arrived.
    pub tabs: Vec<Form>,
    pub tab: usize,
    /// The focus is on the tab bar, where Left/Right and 1–6 switch tabs.
    pub on_tabs: bool,
    /// The SIP password as revealed on request; never sent back.
    pub revealed_password: Option<String>,
    pub revealing: bool,
    pub saving: bool,
    pub asking_leave: bool,
    /// Why the user could not be read, or an error of no tab.
    pub error: Option<String>,
    /// The preset last picked, so picking another resets the checkboxes.
    preset: usize,
}

impl UserEditor {
    /// An editor waiting for the user's configuration.
    pub fn loading(extension: String, name: String) -> Self {
        Self {
            extension,
            name,
            tabs: Vec::new(),
            tab: GENERAL,
            on_tabs: true,
            revealed_password: None,
            revealing: false,
            saving: false,
            asking_leave: false,
            error: None,
            preset: 0,
        }
    }

    /// Fills every tab from the user as staged.
    pub fn load(&mut self, user: &User) {
        self.name.clone_from(&user.name);
        self.tabs = vec![
            general(user),
            rings_tab(&[
                (NO_ANSWER, "No answer", &user.forwardings.no_answer),
                (BUSY, "Busy", &user.forwardings.busy),
            ]),
            Form::new(vec![Field::toggle(
                "follow_me",
                "Follow Me enabled",
                user.follow_me.enabled,
            )]),
            keys_tab(&user.keys.0),
            Form::new(vec![Field::secret(
                "sip_password",
                "New SIP password",
                "unchanged; type to replace",
            )]),
            permissions(user),
        ];
        // The voicemail flag sits between the two lists of Forwardings.
        let busy_start = position(&self.tabs[FORWARDINGS], BUSY);
        self.tabs[FORWARDINGS].insert(
            busy_start,
            Field::toggle(
                "voicemail_last_resort",
                "Voicemail last",
                user.forwardings.voicemail_last_resort,
            ),
        );
        for ring in rings_fields(FOLLOW, "Destination", &user.follow_me.destinations) {
            self.tabs[FOLLOW_ME].push(ring);
        }
    }

    pub fn is_loaded(&self) -> bool {
        !self.tabs.is_empty()
    }

    /// Whether anything was changed on any tab.
    pub fn is_edited(&self) -> bool {
        self.tabs.iter().any(Form::is_edited)
    }

    /// Whether Follow Me is on as the form stands: Forwardings are then kept
    /// but inactive.
    pub fn follow_me_on(&self) -> bool {
        self.tabs.get(FOLLOW_ME).is_some_and(|form| form.is_on("follow_me"))
    }

    pub fn form(&self) -> Option<&Form> {
        self.tabs.get(self.tab)
    }

    fn switch_to(&mut self, tab: usize) {
        if tab < TABS.len() {
            self.tab = tab;
        }
    }

    /// The changes as the form stands, or the fields that cannot be read
    /// (a key that is not one), with why.
    pub fn edit(&self) -> Result<UserEdit, Vec<(usize, &'static str, String)>> {
        let [general, forwardings, follow_me, keys, sip, permissions] = &self.tabs[..] else {
            return Err(Vec::new());
        };
        let count = keys.number("key_count").map_or(1, |count| count as usize);
        let mut problems = Vec::new();
        let mut phone_keys = Vec::new();
        for (index, field) in keys.fields().iter().filter(|f| f.key == "keys").enumerate() {
            if index >= count {
                break;
            }
            let text = match &field.value {
                super::form::Value::Text(input) => input.value().trim().to_string(),
                _ => String::new(),
            };
            let text = if text.is_empty() { "none".to_string() } else { text };
            match text.parse::<PhoneKey>() {
                Ok(key) => phone_keys.push((index + 1, key)),
                Err(error) => problems.push((KEYS, "keys", error.to_string())),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let preset = permissions.choice("preset").and_then(|name| name.parse::<Preset>().ok());
        let rights = permissions
            .fields()
            .iter()
            .filter(|field| field.key == "rights")
            .zip(Right::ALL)
            .map(|(field, right)| (right, matches!(field.value, super::form::Value::Toggle(true))))
            .collect();
        Ok(UserEdit {
            name: Some(general.text("name")),
            email: Some(general.text("email")),
            gsm: Some(general.text("gsm")),
            voicemail: Some(general.is_on("voicemail")),
            outgoing_number: Some(general.text("outgoing_number")),
            directory: Some(general.text("directory")),
            multiple_calls: Some(general.is_on("multiple_calls")),
            must_log_in: Some(general.is_on("must_log_in")),
            forward_no_answer: Some(rings(forwardings, NO_ANSWER)),
            voicemail_last_resort: Some(forwardings.is_on("voicemail_last_resort")),
            forward_busy: Some(rings(forwardings, BUSY)),
            follow_me: Some(follow_me.is_on("follow_me")),
            follow_me_destinations: Some(rings(follow_me, FOLLOW)),
            key_count: Some(count),
            keys: phone_keys,
            sip_password: sip.optional_text("sip_password"),
            console_username: Some(permissions.text("console_username")),
            console_password: permissions.optional_text("console_password"),
            preset,
            rights,
        })
    }

    /// Marks the field the engine named on the tab that holds it, and shows
    /// that tab; an error of no shown field goes to the current tab.
    pub fn mark(&mut self, key: Option<&str>, message: String) {
        let tab = key.and_then(|key| {
            self.tabs.iter().position(|form| form.fields().iter().any(|field| field.key == key))
        });
        if let Some(tab) = tab {
            self.tab = tab;
            self.on_tabs = false;
        }
        if let Some(form) = self.tabs.get_mut(self.tab) {
            form.mark(key, message);
        } else {
            self.error = Some(message);
        }
    }

    /// After an edit: a list whose last destination was filled gets a new
    /// empty one, the key fields follow the key count, a new preset resets
    /// the rights.
    fn follow_edit(&mut self) {
        match self.tab {
            FORWARDINGS => {
                grow(&mut self.tabs[FORWARDINGS], NO_ANSWER);
                grow(&mut self.tabs[FORWARDINGS], BUSY);
            }
            FOLLOW_ME => grow(&mut self.tabs[FOLLOW_ME], FOLLOW),
            KEYS => {
                let form = &mut self.tabs[KEYS];
                let count = form.number("key_count").map_or(1, |count| count as usize);
                let shown = form.fields().len() - 1;
                if count < shown {
                    form.truncate(count + 1);
                }
                for number in shown..count {
                    form.push(key_field(number + 1, ""));
                }
            }
            PERMISSIONS => {
                let form = &mut self.tabs[PERMISSIONS];
                let picked = PRESETS.iter().position(|name| Some(*name) == form.choice("preset"));
                let picked = picked.unwrap_or(0);
                if picked != self.preset {
                    self.preset = picked;
                    if let Ok(preset) = PRESETS[picked].parse::<Preset>() {
                        set_rights(form, &preset.rights());
                    }
                }
            }
            _ => {}
        }
    }
}

fn general(user: &User) -> Form {
    let optional = |value: &Option<String>| value.clone().unwrap_or_default();
    Form::new(vec![
        Field::filled("name", "Name", "", &user.name),
        Field::filled("email", "Email", "optional", &optional(&user.email)),
        Field::filled("gsm", "GSM number", "optional, +32475123456", &optional(&user.gsm)),
        Field::toggle("voicemail", "Voicemail", user.voicemail),
        Field::filled(
            "outgoing_number",
            "Outgoing number",
            "optional, +3225550100",
            &optional(&user.outgoing_number),
        ),
        Field::filled("directory", "Directory", "none", &optional(&user.directory)),
        Field::toggle("multiple_calls", "Several calls at once", user.multiple_calls),
        Field::toggle("must_log_in", "Must log in to call", user.must_log_in),
    ])
}

/// Destination and ring time fields for each ring, and an empty pair to
/// add one more.
fn rings_fields(key: &'static str, label: &str, rings: &[Ring]) -> Vec<Field> {
    let mut fields = Vec::new();
    let empty = Ring { target: RingTarget::User(String::new()), seconds: RING_SECONDS_DEFAULT };
    for (index, ring) in rings.iter().chain(std::iter::once(&empty)).enumerate() {
        fields.extend(ring_pair(key, label, index + 1, ring));
    }
    fields
}

fn ring_pair(key: &'static str, label: &str, number: usize, ring: &Ring) -> [Field; 2] {
    let target = Field::filled(key, "", "extension or +number", &ring.target.to_string())
        .labelled(format!("{label} {number}"));
    let range = (RING_SECONDS_MIN, RING_SECONDS_MAX);
    let seconds =
        Field::slider(key, "", range, 5, ring.seconds, "s").labelled("  rings for".into());
    [target, seconds]
}

fn rings_tab(lists: &[(&'static str, &str, &[Ring])]) -> Form {
    let fields = lists.iter().flat_map(|(key, label, rings)| rings_fields(key, label, rings));
    Form::new(fields.collect())
}

/// The rings of one list as the form stands; empty destinations are left out.
fn rings(form: &Form, key: &str) -> Vec<Ring> {
    let fields: Vec<&Field> = form.fields().iter().filter(|field| field.key == key).collect();
    fields
        .chunks(2)
        .filter_map(|pair| {
            let [target, seconds] = pair else { return None };
            let target = match &target.value {
                super::form::Value::Text(input) => input.value().trim().to_string(),
                _ => return None,
            };
            let seconds = match seconds.value {
                super::form::Value::Slider { value, .. } => value,
                _ => RING_SECONDS_DEFAULT,
            };
            (!target.is_empty()).then(|| Ring { target: RingTarget::parse(&target), seconds })
        })
        .collect()
}

/// Where the fields of `key` start, or the end of the form.
fn position(form: &Form, key: &str) -> usize {
    form.fields().iter().position(|field| field.key == key).unwrap_or(form.fields().len())
}

/// Adds an empty destination after the last one of `key` once that is filled.
fn grow(form: &mut Form, key: &'static str) {
    let Some(last) = form.fields().iter().rposition(|field| field.key == key) else { return };
    let Some(target) = last.checked_sub(1).and_then(|index| form.fields().get(index)) else {
        return;
    };
    let filled = matches!(&target.value, super::form::Value::Text(input) if !input.value().trim().is_empty());
    if !filled {
        return;
    }
    let label = target.label.rsplit_once(' ').map_or("Destination", |(label, _)| label).to_string();
    let number = form.fields().iter().filter(|field| field.key == key).count() / 2 + 1;
    let empty = Ring { target: RingTarget::User(String::new()), seconds: RING_SECONDS_DEFAULT };
    let [target, seconds] = ring_pair(key, &label, number, &empty);
    form.insert(last + 1, seconds);
    form.insert(last + 1, target);
}

fn keys_tab(keys: &[PhoneKey]) -> Form {
    let count = u32::try_from(keys.len()).unwrap_or(1);
    let mut fields =
        vec![Field::slider("key_count", "Number of keys", (1, KEYS_MAX as u32), 1, count, "")];
    for (index, key) in keys.iter().enumerate() {
        fields.push(key_field(index + 1, &key.to_string()));
    }
    Form::new(fields)
}

fn key_field(number: usize, text: &str) -> Field {
    let text = if text == "none" { "" } else { text };
    Field::filled("keys", "", "none, blf:, quick_call:, line:, switch, pickup:", text)
        .labelled(format!("Key {number}"))
}

fn permissions(user: &User) -> Form {
    let username = user.permissions.console_username.clone().unwrap_or_default();
    let mut form = Form::new(vec![
        Field::filled("console_username", "Console username", "none", &username),
        Field::secret("console_password", "Console password", "unchanged; 8 characters or more"),
        Field::choice("preset", "Start from preset", PRESETS, 0),
    ]);
    for right in Right::ALL {
        form.push(
            Field::toggle("rights", "", user.permissions.rights.contains(&right))
                .labelled(right.label()),
        );
    }
    form
}

fn set_rights(form: &mut Form, rights: &std::collections::BTreeSet<Right>) {
    let Some(first) = form.fields().iter().position(|field| field.key == "rights") else {
        return;
    };
    for (offset, right) in Right::ALL.into_iter().enumerate() {
        if let Some(field) = form.field_mut(first + offset) {
            field.value = super::form::Value::Toggle(rights.contains(&right));
        }
    }
}

/// Opens the editor on the user selected in the Users pane and asks for
/// the user's configuration.
pub fn open(state: &mut ConsoleState) -> Vec<Effect> {
    let user = (state.focus == Pane::Users)
        .then(|| state.visible_user(state.selected(Pane::Users)))
        .flatten();
    let Some(user) = user else {
        state.notice = Some("Select a user in Users first.".to_string());
        return Vec::new();
    };
    let (extension, name) = (user.extension.clone(), user.name.clone());
    if state.pending_user(&extension) == Some(PendingChange::Removed) {
        state.notice = Some(removal_staged(&extension));
        return Vec::new();
    }
    state.popup = Some(Popup::EditUser(Box::new(UserEditor::loading(extension.clone(), name))));
    vec![Effect::Request(Command::UserConfig { extension })]
}

/// Why a user whose removal is staged cannot be edited or removed again.
pub(crate) fn removal_staged(extension: &str) -> String {
    format!("User {extension}'s removal is staged: discard the pending changes to keep it.")
}

/// Offers a key to the editor before the keymap: tab switching on the tab
/// bar, typing in the focused field. True when it was used.
pub fn edit_key(editor: &mut UserEditor, key: Key) -> bool {
    if editor.asking_leave || !editor.is_loaded() {
        return false;
    }
    if editor.on_tabs {
        let modifiers = key.modifiers();
        if modifiers.ctrl || modifiers.alt {
            return false;
        }
        match key.code() {
            KeyCode::Left => editor.switch_to((editor.tab + TABS.len() - 1) % TABS.len()),
            KeyCode::Right => editor.switch_to((editor.tab + 1) % TABS.len()),
            KeyCode::Char(digit @ '1'..='6') => {
                editor.switch_to(usize::from(digit as u8 - b'1'));
            }
            _ => return false,
        }
        return true;
    }
    let tab = editor.tab;
    let used = editor.tabs.get_mut(tab).is_some_and(|form| form.edit(key));
    if used {
        editor.follow_edit();
    }
    used
}

/// An action in the editor: the popup that stays open, and the requests.
pub fn update(mut editor: Box<UserEditor>, action: Action) -> (Option<Popup>, Vec<Effect>) {
    if editor.asking_leave {
        return match action {
            Action::Confirm => (None, Vec::new()),
            Action::Cancel => {
                editor.asking_leave = false;
                (Some(Popup::EditUser(editor)), Vec::new())
            }
            _ => (Some(Popup::EditUser(editor)), Vec::new()),
        };
    }
    let fields = editor.form().map_or(0, |form| form.fields().len());
    match action {
        Action::Cancel | Action::Quit if editor.is_edited() => editor.asking_leave = true,
        Action::Cancel | Action::Quit => return (None, Vec::new()),
        Action::FocusNext | Action::Down if editor.on_tabs && fields > 0 => {
            editor.on_tabs = false;
            if let Some(form) = editor.tabs.get_mut(editor.tab) {
                while form.focus() != 0 {
                    form.focus_next();
                }
            }
        }
        Action::FocusNext | Action::Down => {
            if let Some(form) = editor.tabs.get_mut(editor.tab) {
                form.focus_next();
                editor.on_tabs = form.focus() == 0;
            }
        }
        Action::FocusPrevious | Action::Up if !editor.on_tabs => {
            if let Some(form) = editor.tabs.get_mut(editor.tab) {
                editor.on_tabs = form.focus() == 0;
                if !editor.on_tabs {
                    form.focus_previous();
                }
            }
        }
        Action::Reveal if editor.tab == SIP && editor.revealed_password.is_some() => {
            editor.revealed_password = None;
        }
        Action::Reveal if editor.tab == SIP && !editor.revealing => {
            editor.revealing = true;
            let extension = editor.extension.clone();
            let request = Effect::Request(Command::ShowUser { extension, reveal: true });
            return (Some(Popup::EditUser(editor)), vec![request]);
        }
        Action::Confirm if !editor.saving && editor.is_loaded() => {
            for form in &mut editor.tabs {
                form.clear_errors();
            }
            editor.error = None;
            match editor.edit() {
                Ok(edit) => {
                    editor.saving = true;
                    let extension = editor.extension.clone();
                    let edit = Box::new(edit);
                    let request = Effect::Request(Command::SetUser { extension, edit });
                    return (Some(Popup::EditUser(editor)), vec![request]);
                }
                Err(problems) => {
                    for (tab, key, message) in problems.into_iter().rev() {
                        editor.tab = tab;
                        editor.mark(Some(key), message);
                    }
                }
            }
        }
        _ => {}
    }
    (Some(Popup::EditUser(editor)), Vec::new())
}

/// Applies a reply meant for the editor. `None` when it is not one.
pub fn apply_reply(
    state: &mut ConsoleState,
    command: &Command,
    result: &Result<Reply, ControlError>,
) -> Option<Vec<Effect>> {
    let editor = match &mut state.popup {
        Some(Popup::EditUser(editor)) => editor,
        _ => {
            return match command {
                Command::UserConfig { .. } => Some(Vec::new()),
                Command::SetUser { extension, .. } => {
                    state.notice = Some(match result {
                        Ok(_) => format!("User {extension} staged: apply to make it live."),
                        Err(error) => format!("User {extension} was not changed: {error}"),
                    });
                    Some(Vec::new())
                }
                _ => None,
            };
        }
    };
    match (command, result) {
        (Command::UserConfig { extension }, result) if *extension == editor.extension => {
            match result {
                Ok(Reply::UserConfig { user }) => editor.load(user),
                Ok(_) => editor.error = Some("The PBX gave an unexpected answer.".to_string()),
                Err(error) => editor.error = Some(error.to_string()),
            }
        }
        (Command::ShowUser { extension, reveal: true }, result)
            if *extension == editor.extension =>
        {
            editor.revealing = false;
            match result {
                Ok(Reply::User { sip, .. }) => editor.revealed_password.clone_from(&sip.password),
                Ok(_) => editor.error = Some("The PBX gave an unexpected answer.".to_string()),
                Err(error) => editor.error = Some(error.to_string()),
            }
        }
        (Command::SetUser { extension, .. }, Ok(_)) => {
            state.popup = None;
            state.notice = Some(format!("User {extension} staged: apply to make it live."));
        }
        (Command::SetUser { .. }, Err(error)) => {
            editor.saving = false;
            editor.mark(error.field.as_deref(), error.message.clone());
        }
        (Command::UserConfig { .. } | Command::ShowUser { .. }, _) => {}
        _ => return None,
    }
    Some(Vec::new())
}

#[cfg(test)]
#[path = "user_editor_tests.rs"]
pub(crate) mod tests;
