//! The user groups screen: the staged list, a form to add or edit one (its
//! name, and members added by typing the first letters of a name and
//! picking from the matches), and removal after a question. A staged change
//! closes the form and reads the list again.

use crate::config::UserGroup;
use crate::control::api::{Command, ControlError, Reply, UserRow};

use super::action::Action;
use super::form::{Field, Form};
use super::input::{Key, KeyCode};
use super::state::{ConsoleState, Popup};
use super::update::Effect;

/// Most matches offered at once while typing a member's name.
const MATCHES: usize = 5;

/// The screen, its list and whatever is open over it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupsView {
    /// `None` until the list arrives.
    pub groups: Option<Vec<UserGroup>>,
    pub selected: usize,
    pub editing: Option<GroupForm>,
    /// The group whose removal waits for yes or no.
    pub removing: Option<String>,
    pub error: Option<String>,
}

/// Adding (no `existing`) or editing one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupForm {
    /// The name, then the member being looked for.
    pub form: Form,
    pub existing: Option<String>,
    /// Extensions, in the order they were added.
    pub members: Vec<String>,
    /// Users whose name or extension starts with what was typed: extension
    /// and name.
    pub matches: Vec<(String, String)>,
    /// The match Enter adds.
    pub pick: usize,
    pub saving: bool,
    pub asking_leave: bool,
    /// Members were added or taken away.
    members_changed: bool,
}

impl GroupForm {
    fn new(group: Option<&UserGroup>) -> Self {
        let mut form = Form::new(vec![
            Field::filled("group_name", "Name", "sales", group.map_or("", |g| g.name.as_str())),
            search_field(),
        ]);
        if group.is_some() {
            // The name is what the group is stored under: it stays.
            form.focus_next();
        }
        Self {
            form,
            existing: group.map(|g| g.name.clone()),
            members: group.map(|g| g.members.clone()).unwrap_or_default(),
            matches: Vec::new(),
            pick: 0,
            saving: false,
            asking_leave: false,
            members_changed: false,
        }
    }

    pub fn is_edited(&self) -> bool {
        self.form.is_edited() || self.members_changed
    }

    fn find(&mut self, users: &[UserRow]) {
        let typed = self.form.text("members");
        self.pick = 0;
        self.matches.clear();
        if typed.is_empty() {
            return;
        }
        let starts = |text: &str| {
            text.len() >= typed.len()
                && text.is_char_boundary(typed.len())
                && text[..typed.len()].eq_ignore_ascii_case(&typed)
        };
        let found = users.iter().filter(|user| {
            !self.members.contains(&user.extension)
                && (starts(&user.extension) || user.name.split_whitespace().any(starts))
        });
        self.matches
            .extend(found.take(MATCHES).map(|user| (user.extension.clone(), user.name.clone())));
    }

    /// Adds the picked match and clears the search.
    fn add_pick(&mut self) {
        if let Some((extension, _)) = self.matches.get(self.pick) {
            self.members.push(extension.clone());
            self.members_changed = true;
        }
        self.matches.clear();
        self.pick = 0;
        if let Some(search) = self.form.field_mut(1) {
            *search = search_field();
        }
    }

    fn command(&self) -> Command {
        match &self.existing {
            Some(name) => Command::SetGroup { name: name.clone(), members: self.members.clone() },
            None => Command::AddGroup {
                group: UserGroup {
                    name: self.form.text("group_name"),
                    members: self.members.clone(),
                },
            },
        }
    }
}

fn search_field() -> Field {
    Field::text("members", "Add member", "type the first letters of a name")
}

/// Opens the screen and asks for the list.
pub fn open(state: &mut ConsoleState) -> Vec<Effect> {
    state.popup = Some(Popup::Groups(GroupsView::default()));
    vec![Effect::Request(Command::ListGroups)]
}

/// Offers a key to the open form before the keymap; true when it was used.
/// Backspace in an empty search takes the last member away.
pub fn edit_key(view: &mut GroupsView, key: Key, users: &[UserRow]) -> bool {
    let Some(editing) = &mut view.editing else { return false };
    if editing.asking_leave || (editing.existing.is_some() && editing.form.focus() == 0) {
        return false;
    }
    let searching = editing.form.focus() == 1;
    if searching && key.code() == KeyCode::Backspace && editing.form.text("members").is_empty() {
        editing.members_changed |= editing.members.pop().is_some();
        return true;
    }
    let used = editing.form.edit(key);
    if used && searching {
        editing.find(users);
    }
    used
}

/// An action on the screen: the popup that stays open, and the requests.
pub fn update(mut view: GroupsView, action: Action) -> (Option<Popup>, Vec<Effect>) {
    let mut effects = Vec::new();
    if let Some(mut editing) = view.editing.take() {
        let matching = !editing.matches.is_empty();
        match action {
            _ if editing.asking_leave => match action {
                Action::Confirm => {}
                Action::Cancel => {
                    editing.asking_leave = false;
                    view.editing = Some(editing);
                }
                _ => view.editing = Some(editing),
            },
            Action::Cancel | Action::Quit if editing.is_edited() => {
                editing.asking_leave = true;
                view.editing = Some(editing);
            }
            Action::Cancel | Action::Quit => {}
            Action::Down if matching => {
                editing.pick = (editing.pick + 1).min(editing.matches.len() - 1);
                view.editing = Some(editing);
            }
            Action::Up if matching => {
                editing.pick = editing.pick.saturating_sub(1);
                view.editing = Some(editing);
            }
            Action::Confirm if matching => {
                editing.add_pick();
                view.editing = Some(editing);
            }
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
                editing.saving = true;
                effects.push(Effect::Request(editing.command()));
                view.editing = Some(editing);
            }
            _ => view.editing = Some(editing),
        }
        return (Some(Popup::Groups(view)), effects);
    }
    if let Some(name) = view.removing.take() {
        if action == Action::Confirm {
            effects.push(Effect::Request(Command::RemoveGroup { name }));
        }
        return (Some(Popup::Groups(view)), effects);
    }

    let count = view.groups.as_ref().map_or(0, Vec::len);
    let chosen = view.groups.as_ref().and_then(|groups| groups.get(view.selected));
    match action {
        Action::Cancel | Action::Quit => return (None, effects),
        Action::Up => view.selected = view.selected.saturating_sub(1),
        Action::Down => view.selected = (view.selected + 1).min(count.saturating_sub(1)),
        // In a popup the add key may be bound to apply first.
        Action::AddUser | Action::Apply if view.groups.is_some() => {
            view.editing = Some(GroupForm::new(None));
        }
        Action::EditUser | Action::Confirm if chosen.is_some() => {
            view.editing = Some(GroupForm::new(chosen));
        }
        Action::RemoveUser | Action::Discard if chosen.is_some() => {
            view.removing = chosen.map(|group| group.name.clone());
        }
        _ => {}
    }
    (Some(Popup::Groups(view)), effects)
}

/// Applies a reply meant for this screen; `None` when it is not one.
pub fn apply_reply(
    state: &mut ConsoleState,
    command: &Command,
    result: &Result<Reply, ControlError>,
) -> Option<Vec<Effect>> {
    if !matches!(
        command,
        Command::ListGroups
            | Command::AddGroup { .. }
            | Command::SetGroup { .. }
            | Command::RemoveGroup { .. }
    ) {
        return None;
    }
    let Some(Popup::Groups(view)) = &mut state.popup else { return Some(Vec::new()) };
    match result {
        Ok(Reply::Groups { groups }) => {
            view.selected = view.selected.min(groups.len().saturating_sub(1));
            view.groups = Some(groups.clone());
            view.error = None;
        }
        Ok(Reply::Staged { subject }) => {
            view.editing = None;
            state.notice = Some(format!("{subject} staged: apply to make it live."));
            return Some(vec![Effect::Request(Command::ListGroups)]);
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

#[cfg(test)]
#[path = "groups_screen_tests.rs"]
pub(crate) mod tests;
