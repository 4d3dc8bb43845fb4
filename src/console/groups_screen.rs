//! The user groups screen: the staged list, a form to add or edit one (its
//! name, and members added by typing the first letters of a name and
//! picking from the matches), and removal after a question. A staged change
//! closes the form and reads the list again.

use crate::config::UserGroup;
use crate::control::api::{Command, ControlError, Reply, UserRow};

use super::action::Action;
use super::form::{Field, Form};
use super::input::{Key, KeyCode};
use super::list_screen::{self, EntryForm, EntryParts, ListKind, ListView};
use super::state::{ConsoleState, Popup};
use super::update::Effect;

/// Most matches offered at once while typing a member's name.
const MATCHES: usize = 5;

/// The screen, its list and whatever is open over it.
pub type GroupsView = ListView<GroupList>;

/// The user groups, as a list screen shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupList;

impl ListKind for GroupList {
    type Item = UserGroup;
    type Form = GroupForm;

    fn list() -> Command {
        Command::ListGroups
    }

    fn remove(name: String) -> Command {
        Command::RemoveGroup { name }
    }

    fn name(item: &UserGroup) -> &str {
        &item.name
    }

    fn sent_by_screen(command: &Command) -> bool {
        matches!(
            command,
            Command::ListGroups
                | Command::AddGroup { .. }
                | Command::SetGroup { .. }
                | Command::RemoveGroup { .. }
        )
    }

    fn items(reply: &Reply) -> Option<&Vec<UserGroup>> {
        match reply {
            Reply::Groups { groups } => Some(groups),
            _ => None,
        }
    }

    fn into_popup(view: GroupsView) -> Popup {
        Popup::Groups(view)
    }

    fn view_mut(popup: &mut Popup) -> Option<&mut GroupsView> {
        match popup {
            Popup::Groups(view) => Some(view),
            _ => None,
        }
    }
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

impl EntryForm for GroupForm {
    type Item = UserGroup;

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

    fn parts(&mut self) -> EntryParts<'_> {
        EntryParts {
            form: &mut self.form,
            existing: self.existing.as_deref(),
            saving: &mut self.saving,
            asking_leave: &mut self.asking_leave,
        }
    }

    fn is_edited(&self) -> bool {
        self.form.is_edited() || self.members_changed
    }

    fn command(&self) -> Result<Command, ControlError> {
        Ok(match &self.existing {
            Some(name) => Command::SetGroup { name: name.clone(), members: self.members.clone() },
            None => Command::AddGroup {
                group: UserGroup {
                    name: self.form.text("group_name"),
                    members: self.members.clone(),
                },
            },
        })
    }

    /// While matches are offered, the arrows move the pick and Enter adds it.
    fn own_action(&mut self, action: Action) -> bool {
        if self.matches.is_empty() {
            return false;
        }
        match action {
            Action::Down => self.pick = (self.pick + 1).min(self.matches.len() - 1),
            Action::Up => self.pick = self.pick.saturating_sub(1),
            Action::Confirm => self.add_pick(),
            _ => return false,
        }
        true
    }
}

impl GroupForm {
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
}

fn search_field() -> Field {
    Field::text("members", "Add member", "type the first letters of a name")
}

/// Opens the screen and asks for the list.
pub fn open(state: &mut ConsoleState) -> Vec<Effect> {
    list_screen::open::<GroupList>(state)
}

/// Offers a key to the open form before the keymap; true when it was used.
/// Backspace in an empty search takes the last member away.
pub fn edit_key(view: &mut GroupsView, key: Key, users: &[UserRow]) -> bool {
    let Some(editing) = list_screen::typing_form(view) else { return false };
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

#[cfg(test)]
#[path = "groups_screen_tests.rs"]
pub(crate) mod tests;
