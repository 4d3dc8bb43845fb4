//! The vocabulary of the keymap: every action a key can trigger, with the name
//! used in the keymap files and the sentence the help overlay shows. The
//! keymap turns keys into these; `update` gives them meaning.

/// Where a key binding applies: on the main screen, or inside a popup (help,
/// SIP identifiers, a yes/no question). A popup looks in its own section
/// first and then falls back to the screen's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    Screen,
    Popup,
}

impl Section {
    /// The TOML table that holds this section's keys.
    pub fn table(self) -> &'static str {
        match self {
            Section::Screen => "screen",
            Section::Popup => "popup",
        }
    }
}

/// Something the user asks the console to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    FocusNext,
    FocusPrevious,
    Zoom,
    Up,
    Down,
    PageUp,
    PageDown,
    First,
    Last,
    ShowSip,
    LoadDemo,
    Refresh,
    Confirm,
    Cancel,
    Reveal,
    AddUser,
    EditUser,
    RemoveUser,
    Filter,
    Sort,
    Numbers,
    Groups,
    Diff,
    History,
    Apply,
    Discard,
    Rollback,
}

impl Action {
    /// Every action, in the order the help overlay lists them.
    pub const ALL: [Action; 29] = [
        Action::Quit,
        Action::Help,
        Action::FocusNext,
        Action::FocusPrevious,
        Action::Zoom,
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::First,
        Action::Last,
        Action::ShowSip,
        Action::LoadDemo,
        Action::AddUser,
        Action::EditUser,
        Action::RemoveUser,
        Action::Filter,
        Action::Sort,
        Action::Numbers,
        Action::Groups,
        Action::Diff,
        Action::History,
        Action::Refresh,
        Action::Confirm,
        Action::Cancel,
        Action::Reveal,
        Action::Apply,
        Action::Discard,
        Action::Rollback,
    ];

    /// The name used in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::FocusNext => "focus_next",
            Action::FocusPrevious => "focus_previous",
            Action::Zoom => "zoom",
            Action::Up => "up",
            Action::Down => "down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::First => "first",
            Action::Last => "last",
            Action::ShowSip => "show_sip",
            Action::LoadDemo => "load_demo",
            Action::Refresh => "refresh",
            Action::Confirm => "confirm",
            Action::Cancel => "cancel",
            Action::Reveal => "reveal",
            Action::AddUser => "add_user",
            Action::EditUser => "edit_user",
            Action::Filter => "filter",
            Action::Sort => "sort",
            Action::Numbers => "numbers",
            Action::Groups => "groups",
            Action::RemoveUser => "remove_user",
            Action::Diff => "diff",
            Action::History => "history",
            Action::Apply => "apply",
            Action::Discard => "discard",
            Action::Rollback => "rollback",
        }
    }

    /// What the help overlay says the action does.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit the console",
            Action::Help => "show or hide this help",
            Action::FocusNext => "focus the next pane",
            Action::FocusPrevious => "focus the previous pane",
            Action::Zoom => "zoom the focused pane to full screen, or back",
            Action::Up => "select the row above",
            Action::Down => "select the row below",
            Action::PageUp => "move the selection up a page",
            Action::PageDown => "move the selection down a page",
            Action::First => "select the first row",
            Action::Last => "select the last row",
            Action::ShowSip => "show the selected user's SIP identifiers",
            Action::LoadDemo => "load the demo office (empty store only)",
            Action::Refresh => "reload everything from the PBX",
            Action::Confirm => "answer yes, or save the form",
            Action::Cancel => "answer no, or close the popup",
            Action::Reveal => "reveal the SIP password",
            Action::AddUser => "add a user (staged until applied)",
            Action::EditUser => "edit the selected user, all six tabs",
            Action::Filter => "filter users as you type (Esc clears)",
            Action::Sort => "sort users by the next column and direction",
            Action::Numbers => "incoming numbers: add, edit, remove",
            Action::Groups => "user groups: add, edit, remove",
            Action::RemoveUser => "remove the selected user (asks first)",
            Action::Diff => "show the pending changes, to apply or discard",
            Action::History => "show the applied revisions, to roll back",
            Action::Apply => "apply the pending changes (in the changes)",
            Action::Discard => "discard the pending changes (asks first)",
            Action::Rollback => "stage the selected revision (in the history)",
        }
    }

    /// The keymap section the action is bound in.
    pub fn section(self) -> Section {
        match self {
            Action::Confirm
            | Action::Cancel
            | Action::Reveal
            | Action::Apply
            | Action::Discard
            | Action::Rollback => Section::Popup,
            _ => Section::Screen,
        }
    }

    /// The action a keymap file names, if any.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|action| action.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_found_by_its_own_name() {
        for action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(action));
        }
        assert_eq!(Action::from_name("launch_rockets"), None);
    }
}
