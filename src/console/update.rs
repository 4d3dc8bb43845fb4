//! What the console does about user actions and the engine's replies: it
//! changes the [`ConsoleState`] and says which requests to send, as
//! [`Effect`]s the run loop carries out. Nothing here waits or draws.

use super::action::{Action, Section};
use super::groups_screen::{self, GroupList};
use super::input::{Input, Key, KeyCode, Modifiers, Mouse, MouseKind};
use super::layout;
use super::list_screen;
use super::numbers_screen::{self, NumberList};
use super::render::help_line_count;
use super::state::{ConsoleState, Followup, Pane, Popup, SipPopup};
use super::{review, user_editor, user_form, ExitReason};
use crate::control::api::{Command, ControlError, Reply};

/// Work for the run loop.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send this command; its reply comes back through [`apply_reply`].
    Request(Command),
    /// Drop the event stream and subscribe again, for a whole fresh state.
    Resubscribe,
    Quit(ExitReason),
}

impl From<Followup> for Effect {
    fn from(followup: Followup) -> Self {
        match followup {
            Followup::ReadConfiguration => Effect::Request(Command::Snapshot),
            Followup::Resubscribe => Effect::Resubscribe,
        }
    }
}

/// Turns one input into actions through the keymap and applies them.
pub fn handle_input(state: &mut ConsoleState, input: Input) -> Vec<Effect> {
    match input {
        Input::Key(key) => {
            state.notice = None;
            handle_key(state, key)
        }
        Input::Mouse(mouse) => {
            handle_mouse(state, mouse);
            Vec::new()
        }
        Input::Resize { .. } => Vec::new(),
    }
}

fn handle_key(state: &mut ConsoleState, key: Key) -> Vec<Effect> {
    // In a form, keys that type go to the field before the keymap sees them.
    if let Some(Popup::AddUser(form)) = &mut state.popup {
        if user_form::edit(form, key) {
            return Vec::new();
        }
    }
    if let Some(Popup::EditUser(editor)) = &mut state.popup {
        if user_editor::edit_key(editor, key) {
            return Vec::new();
        }
    }
    if let Some(Popup::Numbers(view)) = &mut state.popup {
        if numbers_screen::edit_key(view, key) {
            return Vec::new();
        }
    }
    if let Some(Popup::Groups(view)) = &mut state.popup {
        if groups_screen::edit_key(view, key, &state.users) {
            return Vec::new();
        }
    }
    if state.filtering && state.popup.is_none() && filter_key(state, key) {
        return Vec::new();
    }

    let section = if state.popup.is_some() { Section::Popup } else { Section::Screen };
    if let Some(action) = state.keymap.action(section, key) {
        return update(state, action);
    }

    // A terminal sends Esc as a lone byte, so Esc and the next key arriving
    // in one read (typed quickly, or batched over SSH) come out as that key
    // with Alt. When nothing binds the Alt key, it was the two keys.
    let modifiers = key.modifiers();
    if !modifiers.alt {
        return Vec::new();
    }
    let unmodified = Key::new(key.code(), Modifiers { alt: false, ..modifiers });
    let mut effects = handle_key(state, Key::plain(KeyCode::Esc));
    effects.extend(handle_key(state, unmodified));
    effects
}

/// Applies one action.
pub fn update(state: &mut ConsoleState, action: Action) -> Vec<Effect> {
    match state.popup.take() {
        Some(popup) => update_popup(state, popup, action),
        None => update_screen(state, action),
    }
}

fn update_screen(state: &mut ConsoleState, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit if state.quitting_ends_calls() => {
            state.popup = Some(Popup::ConfirmQuit { calls: state.calls.len() });
        }
        Action::Quit => return vec![Effect::Quit(ExitReason::Quit)],
        Action::Help => state.popup = Some(Popup::Help { scroll: 0 }),
        Action::FocusNext => state.focus = state.focus.next(),
        Action::FocusPrevious => state.focus = state.focus.previous(),
        Action::Zoom => state.zoomed = !state.zoomed,
        Action::Up => move_selection(state, state.focus, -1),
        Action::Down => move_selection(state, state.focus, 1),
        Action::PageUp => move_selection(state, state.focus, -page(state)),
        Action::PageDown => move_selection(state, state.focus, page(state)),
        Action::First => state.selected[state.focus.index()] = 0,
        Action::Last => {
            state.selected[state.focus.index()] = state.row_count(state.focus).saturating_sub(1);
        }
        Action::ShowSip => return show_sip(state),
        Action::LoadDemo => return load_demo(state),
        Action::AddUser => user_form::open_add(state),
        Action::EditUser if state.focus == Pane::Users => return user_editor::open(state),
        // Elsewhere the key that edits a user zooms, as it did before users
        // could be edited.
        Action::EditUser => state.zoomed = !state.zoomed,
        Action::RemoveUser => user_form::ask_remove(state),
        Action::Filter => {
            state.focus = Pane::Users;
            state.filtering = true;
        }
        Action::Numbers => return numbers_screen::open(state),
        Action::Groups => return groups_screen::open(state),
        Action::Sort => {
            state.sort = state.sort.next();
            state.refresh_user_view();
        }
        Action::Diff => return review::open_changes(state),
        Action::History => return review::open_history(state),
        Action::Refresh => {
            state.notice = Some("Reloading from the PBX…".to_string());
            return vec![Effect::Resubscribe];
        }
        Action::Confirm
        | Action::Cancel
        | Action::Reveal
        | Action::Apply
        | Action::Discard
        | Action::Rollback => {}
    }
    Vec::new()
}

fn update_popup(state: &mut ConsoleState, popup: Popup, action: Action) -> Vec<Effect> {
    let mut effects = Vec::new();
    state.popup = match (popup, action) {
        // The quit key works over the popups that only show something, as
        // the help bar promises; live calls still make it ask first.
        (Popup::Help { .. } | Popup::Sip(_), Action::Quit) => {
            return update_screen(state, Action::Quit);
        }
        (Popup::Help { .. }, Action::Help | Action::Cancel | Action::Confirm) => None,
        (Popup::Help { scroll }, action) => {
            let last = help_line_count().saturating_sub(1);
            let scroll = match action {
                Action::Up => scroll.saturating_sub(1),
                Action::Down => scroll.saturating_add(1),
                Action::PageUp => scroll.saturating_sub(10),
                Action::PageDown => scroll.saturating_add(10),
                Action::First => 0,
                Action::Last => last,
                _ => scroll,
            };
            Some(Popup::Help { scroll: scroll.min(last) })
        }
        (Popup::Sip(_), Action::Cancel | Action::Confirm) => None,
        (Popup::Sip(mut sip), Action::Reveal) => {
            match &mut sip.sip {
                // Revealing again hides the password.
                Some(identifiers) if identifiers.password.is_some() => identifiers.password = None,
                Some(_) if !sip.revealing => {
                    sip.revealing = true;
                    sip.error = None;
                    let extension = sip.extension.clone();
                    effects.push(Effect::Request(Command::ShowUser { extension, reveal: true }));
                }
                _ => {}
            }
            Some(Popup::Sip(sip))
        }
        (Popup::ConfirmQuit { .. }, Action::Confirm) => {
            effects.push(Effect::Quit(ExitReason::Quit));
            None
        }
        (Popup::ConfirmQuit { .. }, Action::Cancel) => None,
        (Popup::Changes(view), action) => {
            let (popup, more) = review::update_changes(view, action);
            effects = more;
            popup
        }
        (Popup::ApplyRefused { changes, .. }, Action::Cancel | Action::Confirm) => {
            Some(Popup::Changes(changes))
        }
        (Popup::History(view), action) => {
            let (popup, more) = review::update_history(view, action);
            effects = more;
            popup
        }
        (Popup::AddUser(form), action) => {
            let (popup, more) = user_form::update_form(form, action);
            effects = more;
            popup
        }
        (Popup::Numbers(view), action) => {
            let (popup, more) = list_screen::update(view, action);
            effects = more;
            popup
        }
        (Popup::Groups(view), action) => {
            let (popup, more) = list_screen::update(view, action);
            effects = more;
            popup
        }
        (Popup::EditUser(editor), action) => {
            let (popup, more) = user_editor::update(editor, action);
            effects = more;
            popup
        }
        (Popup::ConfirmRemove { extension, .. }, Action::Confirm) => {
            effects.push(Effect::Request(Command::RemoveUser { extension }));
            None
        }
        (Popup::ConfirmRemove { .. }, Action::Cancel) => None,
        (popup, _) => Some(popup),
    };
    effects
}

/// A key typed on the filter line: letters narrow the Users pane at once,
/// Enter keeps the filter and gives the keys back, Esc clears it.
fn filter_key(state: &mut ConsoleState, key: Key) -> bool {
    let modifiers = key.modifiers();
    if modifiers.ctrl || modifiers.alt {
        return false;
    }
    match key.code() {
        KeyCode::Char(c) => state.filter.push(c),
        KeyCode::Backspace => {
            state.filter.pop();
        }
        KeyCode::Enter => state.filtering = false,
        KeyCode::Esc => {
            state.filtering = false;
            state.filter.clear();
        }
        _ => return false,
    }
    state.selected[Pane::Users.index()] = 0;
    state.refresh_user_view();
    true
}

fn show_sip(state: &mut ConsoleState) -> Vec<Effect> {
    let extension = match state.focus {
        Pane::Users => state.visible_user(state.selected(Pane::Users)).map(|u| u.extension.clone()),
        Pane::Connected => state
            .registrations
            .get(state.selected(Pane::Connected))
            .and_then(|registration| state.extension_of(&registration.user))
            .map(str::to_string),
        Pane::Calls | Pane::Queues => None,
    };
    let Some(extension) = extension else {
        state.notice = Some("Select a user in Users or Connected users first.".to_string());
        return Vec::new();
    };

    let name = state
        .users
        .iter()
        .find(|user| user.extension == extension)
        .map_or_else(String::new, |user| user.name.clone());
    state.popup = Some(Popup::Sip(SipPopup {
        extension: extension.clone(),
        name,
        sip: None,
        revealing: false,
        error: None,
    }));
    vec![Effect::Request(Command::ShowUser { extension, reveal: false })]
}

fn load_demo(state: &mut ConsoleState) -> Vec<Effect> {
    if !state.loaded {
        state.notice = Some("Not connected to the PBX yet.".to_string());
    } else if !state.users.is_empty() {
        state.notice = Some("The demo office loads only into an empty store.".to_string());
    } else if !state.demo_loading {
        state.demo_loading = true;
        state.notice = Some("Loading the demo office…".to_string());
        return vec![Effect::Request(Command::LoadDemo)];
    }
    Vec::new()
}

fn move_selection(state: &mut ConsoleState, pane: Pane, by: isize) {
    let count = state.row_count(pane);
    let current = state.selected(pane);
    let moved = current.saturating_add_signed(by).min(count.saturating_sub(1));
    state.selected[pane.index()] = moved;
}

/// How far a page moves: the rows the focused pane shows.
fn page(state: &ConsoleState) -> isize {
    let rows = layout::pane_area(state.screen, state.focus, state.focus, state.zoomed)
        .map_or(10, layout::table_rows);
    isize::try_from(rows).unwrap_or(10)
}

/// A click focuses the pane under it and selects the row; the wheel moves
/// the selection of the pane under the pointer.
fn handle_mouse(state: &mut ConsoleState, mouse: Mouse) {
    if state.popup.is_some() {
        return;
    }
    let (panes, _) = layout::split_screen(state.screen);
    let point = ratatui::layout::Position::new(mouse.column, mouse.row);
    let Some((pane, area)) = layout::pane_areas(panes, state.focus, state.zoomed)
        .into_iter()
        .find(|(_, area)| area.contains(point))
    else {
        return;
    };

    state.focus = pane;
    match mouse.kind {
        MouseKind::ScrollUp => move_selection(state, pane, -1),
        MouseKind::ScrollDown => move_selection(state, pane, 1),
        MouseKind::Click => {
            // Data rows start below the top border and the column headings.
            let Some(row) = mouse.row.checked_sub(area.y + 2) else { return };
            let first = layout::first_row(state.selected(pane), layout::table_rows(area));
            let clicked = first + usize::from(row);
            if clicked < state.row_count(pane) {
                state.selected[pane.index()] = clicked;
            }
        }
    }
}

/// Applies the reply to a command sent earlier. Replies that no longer
/// matter (a popup closed meanwhile) are dropped.
pub fn apply_reply(
    state: &mut ConsoleState,
    command: Command,
    result: Result<Reply, ControlError>,
) -> Vec<Effect> {
    if let Some(effects) = review::apply_reply(state, &command, &result) {
        return effects;
    }
    if let Some(effects) = list_screen::apply_reply::<GroupList>(state, &command, &result) {
        return effects;
    }
    if let Some(effects) = list_screen::apply_reply::<NumberList>(state, &command, &result) {
        return effects;
    }
    if let Some(effects) = user_editor::apply_reply(state, &command, &result) {
        return effects;
    }
    if let Some(effects) = user_form::apply_reply(state, &command, &result) {
        return effects;
    }
    match (command, result) {
        (Command::Snapshot, Ok(Reply::Snapshot { snapshot })) => {
            state.apply_configuration(snapshot);
        }
        (Command::LoadDemo, Ok(Reply::DemoLoaded { revision, users })) => {
            state.demo_loading = false;
            state.notice = Some(format!("Demo office loaded: {users} users, revision {revision}."));
            return vec![Effect::Request(Command::Snapshot)];
        }
        (Command::LoadDemo, Err(error)) => {
            state.demo_loading = false;
            state.notice = Some(format!("The demo office was not loaded: {error}"));
        }
        (Command::ShowUser { extension, reveal }, result) => {
            let Some(Popup::Sip(popup)) = &mut state.popup else { return Vec::new() };
            if popup.extension != extension {
                return Vec::new();
            }
            if reveal {
                popup.revealing = false;
            }
            match result {
                Ok(Reply::User { sip, .. }) => {
                    popup.sip = Some(sip);
                    popup.error = None;
                }
                Ok(other) => popup.error = Some(unexpected(&other)),
                Err(error) => popup.error = Some(error.to_string()),
            }
        }
        (_, Err(error)) => {
            tracing::debug!(%error, "request refused");
            state.notice = Some(error.to_string());
        }
        (command, Ok(reply)) => {
            // The reply's kind only: a `User` reply may carry a password.
            tracing::warn!(
                ?command,
                reply = reply_kind(&reply),
                "reply does not match its command"
            );
            state.notice = Some(unexpected(&reply));
        }
    }
    Vec::new()
}

fn unexpected(reply: &Reply) -> String {
    format!("The PBX gave an unexpected answer ({}).", reply_kind(reply))
}

fn reply_kind(reply: &Reply) -> &'static str {
    match reply {
        Reply::Users { .. } => "users",
        Reply::User { .. } => "user",
        Reply::UserAdded { .. } => "user added",
        Reply::UserRemoved { .. } => "user removed",
        Reply::UserConfig { .. } => "user configuration",
        Reply::Numbers { .. } => "incoming numbers",
        Reply::Groups { .. } => "groups",
        Reply::PickupGroups { .. } => "pickup groups",
        Reply::Staged { .. } => "staged",
        Reply::Diff { .. } => "diff",
        Reply::Applied { .. } => "applied",
        Reply::NothingToApply => "nothing to apply",
        Reply::DemoLoaded { .. } => "demo loaded",
        Reply::Status { .. } => "status",
        Reply::Calls { .. } => "calls",
        Reply::Snapshot { .. } => "snapshot",
        Reply::History { .. } => "history",
        Reply::RolledBack { .. } => "rolled back",
        Reply::Discarded { .. } => "discarded",
        Reply::Config { .. } => "configuration",
        Reply::Imported { .. } => "imported",
    }
}

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
