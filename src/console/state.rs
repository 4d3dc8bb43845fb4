//! Everything the console knows and shows: the PBX's state as received
//! (snapshot plus events), and the console's own (focus, selection, popups).
//! The run loop feeds it snapshots, events and replies; `update` changes it
//! on user actions; `render` only reads it.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::groups_screen::GroupsView;
use super::keymap::Keymap;
use super::numbers_screen::NumbersView;
use super::review::{ChangesView, HistoryView};
use super::user_editor::UserEditor;
use super::user_form::UserForm;
use crate::control::api::{
    CallState, Event, LiveCall, PendingChange, Problem, RegistrationView, SipIdentifiers, Snapshot,
    UserRow,
};

/// The four panes of the main screen, in focus order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Users,
    Calls,
    Queues,
    Connected,
}

impl Pane {
    pub const ALL: [Pane; 4] = [Pane::Users, Pane::Calls, Pane::Queues, Pane::Connected];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Users => "Users",
            Pane::Calls => "Live calls",
            Pane::Queues => "Queues",
            Pane::Connected => "Connected users",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Pane::Users => 0,
            Pane::Calls => 1,
            Pane::Queues => 2,
            Pane::Connected => 3,
        }
    }

    pub fn next(self) -> Pane {
        Pane::ALL[(self.index() + 1) % Pane::ALL.len()]
    }

    pub fn previous(self) -> Pane {
        Pane::ALL[(self.index() + Pane::ALL.len() - 1) % Pane::ALL.len()]
    }
}

/// What stands in front of the panes, taking the keys.
#[derive(Debug, Clone, PartialEq)]
pub enum Popup {
    /// The list of active keys; `scroll` is the first line shown.
    Help {
        scroll: u16,
    },
    Sip(SipPopup),
    /// "Quitting ends N calls": asked before leaving while calls are live.
    ConfirmQuit {
        calls: usize,
    },
    /// The pending changes, staged against live, to apply or discard.
    Changes(ChangesView),
    /// Apply was refused: every error the engine gave. Closing it goes back
    /// to the pending changes.
    ApplyRefused {
        errors: Vec<String>,
        changes: ChangesView,
    },
    /// The applied revisions, to roll back to one.
    History(HistoryView),
    AddUser(UserForm),
    /// The six tabs of one user.
    EditUser(Box<UserEditor>),
    /// The incoming numbers screen.
    Numbers(NumbersView),
    /// The user groups screen.
    Groups(GroupsView),
    /// "Remove user N?": asked before staging a removal.
    ConfirmRemove {
        extension: String,
        name: String,
    },
}

/// The SIP identifiers of one user, as far as they have arrived.
#[derive(Debug, Clone, PartialEq)]
pub struct SipPopup {
    pub extension: String,
    pub name: String,
    /// `None` until the engine answers.
    pub sip: Option<SipIdentifiers>,
    /// A reveal was asked for and its answer has not come yet.
    pub revealing: bool,
    pub error: Option<String>,
}

/// How the console stands with the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Connection {
    /// Waiting for the first snapshot, or for a new one after a loss.
    Connecting,
    Live,
    /// The link failed; the loop keeps trying to subscribe again.
    Lost {
        reason: String,
    },
}

/// A user's live state, derived from registrations and calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Presence {
    Offline,
    Registered { devices: usize },
    Ringing,
    OnCall,
}

/// The console's whole state.
#[derive(Debug, Clone)]
pub struct ConsoleState {
    pub(crate) keymap: Keymap,
    pub(crate) quit_ends_calls: bool,
    pub(crate) connection: Connection,
    /// Whether any snapshot has arrived; until then the panes say so.
    pub(crate) loaded: bool,
    pub(crate) pbx_running: bool,
    pub(crate) domain: String,
    pub(crate) proxy: String,
    pub(crate) revision: u64,
    pub(crate) pending_changes: usize,
    /// The users as staged, staged removals included: what Save changed is
    /// seen at once, while live state still comes from registrations and calls.
    pub(crate) users: Vec<UserRow>,
    /// How each user that differs from live differs, by extension.
    pub(crate) pending_users: HashMap<String, PendingChange>,
    /// Every broken rule of the last refused Apply, kept until an Apply
    /// succeeds (or finds nothing to apply) or the staged changes are dropped,
    /// so each list can mark the lines that cause them.
    pub(crate) apply_problems: Vec<Problem>,
    /// The Users pane's rows: indexes into `users` that pass the filter, in
    /// the chosen order. Worked out when users, filter or order change, never
    /// while drawing.
    pub(crate) user_view: Vec<usize>,
    /// What the Users pane is filtered by (extension or name contains it,
    /// case aside).
    pub(crate) filter: String,
    /// The filter line takes the keys.
    pub(crate) filtering: bool,
    pub(crate) sort: UserSort,
    /// Sorted by user, then contact.
    pub(crate) registrations: Vec<RegistrationView>,
    /// Sorted by start time.
    pub(crate) calls: Vec<LiveCall>,
    pub(crate) focus: Pane,
    pub(crate) zoomed: bool,
    /// The selected row of each pane, by [`Pane::index`].
    pub(crate) selected: [usize; 4],
    pub(crate) popup: Option<Popup>,
    /// A one-line message for the status line, cleared by the next key.
    pub(crate) notice: Option<String>,
    pub(crate) demo_loading: bool,
    /// The size of the last frame drawn, for mapping mouse clicks to panes.
    pub(crate) screen: ratatui::layout::Rect,
}

impl ConsoleState {
    /// A console that has not heard from the engine yet.
    pub fn new(keymap: Keymap, quit_ends_calls: bool) -> Self {
        Self {
            keymap,
            quit_ends_calls,
            connection: Connection::Connecting,
            loaded: false,
            pbx_running: false,
            domain: String::new(),
            proxy: String::new(),
            revision: 0,
            pending_changes: 0,
            users: Vec::new(),
            pending_users: HashMap::new(),
            apply_problems: Vec::new(),
            user_view: Vec::new(),
            filter: String::new(),
            filtering: false,
            sort: UserSort::default(),
            registrations: Vec::new(),
            calls: Vec::new(),
            focus: Pane::Users,
            zoomed: false,
            selected: [0; 4],
            popup: None,
            notice: None,
            demo_loading: false,
            screen: ratatui::layout::Rect::default(),
        }
    }

    /// Takes a subscription's snapshot: everything is replaced, since the
    /// events that follow build on exactly this state.
    pub fn apply_subscription(&mut self, snapshot: Snapshot) {
        self.registrations = snapshot.registrations.clone();
        self.registrations.sort_by(|a, b| (&a.user, &a.contact).cmp(&(&b.user, &b.contact)));
        self.calls = snapshot.calls.clone();
        sort_calls(&mut self.calls);
        self.apply_configuration(snapshot);
        self.connection = Connection::Live;
    }

    /// Takes the configuration part of a snapshot asked for after a change
    /// (users, domain, revision). Live registrations and calls are left to
    /// the event stream, which may already be newer than this snapshot.
    pub fn apply_configuration(&mut self, snapshot: Snapshot) {
        self.loaded = true;
        self.pbx_running = snapshot.pbx_running;
        self.domain = snapshot.domain;
        self.proxy = snapshot.proxy;
        self.revision = snapshot.revision;
        self.pending_changes = snapshot.pending_changes;
        self.pending_users = snapshot
            .staged_users
            .iter()
            .filter_map(|staged| staged.pending.map(|p| (staged.user.extension.clone(), p)))
            .collect();
        self.users = snapshot.staged_users.into_iter().map(|staged| staged.user).collect();
        self.refresh_user_view();
    }

    /// How a user as staged differs from live; `None` when it does not.
    pub fn pending_user(&self, extension: &str) -> Option<PendingChange> {
        self.pending_users.get(extension).copied()
    }

    /// The last refused Apply's problems with `subject` ("user 1003",
    /// "incoming number +3225550100", "group sales").
    pub fn problems_of<'a>(&'a self, subject: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.apply_problems.iter().filter(move |problem| problem.subject == subject)
    }

    /// Records that the link failed, so the status line says so.
    pub fn connection_lost(&mut self, reason: impl Into<String>) {
        self.connection = Connection::Lost { reason: reason.into() };
    }

    /// Applies one event. Returns what the console must do about it, if
    /// anything: re-read the configuration, or subscribe again.
    pub fn apply_event(&mut self, event: Event) -> Option<Followup> {
        match event {
            Event::Registrations { user, mut registrations } => {
                self.registrations.retain(|registration| registration.user != user);
                self.registrations.append(&mut registrations);
                self.registrations
                    .sort_by(|a, b| (&a.user, &a.contact).cmp(&(&b.user, &b.contact)));
            }
            Event::CallUpdated { call } => {
                match self.calls.iter_mut().find(|known| known.id == call.id) {
                    Some(known) => *known = call,
                    None => self.calls.push(call),
                }
                sort_calls(&mut self.calls);
            }
            Event::CallEnded { record } => self.calls.retain(|call| call.id != record.id),
            Event::ConfigChanged { revision, pending_changes } => {
                self.revision = revision;
                self.pending_changes = pending_changes;
                return Some(Followup::ReadConfiguration);
            }
            Event::Lagged => {
                self.connection = Connection::Connecting;
                return Some(Followup::Resubscribe);
            }
        }
        // Only registrations and calls get here; they move rows sorted by state.
        if self.sort.column == UserColumn::State {
            self.refresh_user_view();
        }
        self.clamp_selection();
        None
    }

    /// The live state of every user that has registrations or calls; users
    /// not in the map are offline.
    pub fn presence(&self) -> HashMap<&str, Presence> {
        let mut presence: HashMap<&str, Presence> = HashMap::new();
        for registration in &self.registrations {
            let entry = presence.entry(registration.user.as_str()).or_insert(Presence::Offline);
            *entry = match *entry {
                Presence::Offline => Presence::Registered { devices: 1 },
                Presence::Registered { devices } => Presence::Registered { devices: devices + 1 },
                other => other,
            };
        }
        for call in &self.calls {
            let callee = if call.state == CallState::Answered {
                Presence::OnCall
            } else {
                Presence::Ringing
            };
            for (party, state) in [(&call.caller, Presence::OnCall), (&call.callee, callee)] {
                // Parties that are not users (external numbers) are never
                // looked up, so they may sit in the map harmlessly.
                let entry = presence.entry(party_user(party)).or_insert(Presence::Offline);
                *entry = (*entry).max(state);
            }
        }
        presence
    }

    /// The user a call party is, if it is one: parties come as a bare
    /// extension or as a SIP URI whose user part is the extension.
    pub fn extension_of<'a>(&'a self, party: &str) -> Option<&'a str> {
        let user_part = party_user(party);
        self.users
            .iter()
            .find(|user| user.extension == user_part)
            .map(|user| user.extension.as_str())
    }

    /// How many rows a pane lists.
    pub fn row_count(&self, pane: Pane) -> usize {
        match pane {
            Pane::Users => self.user_view.len(),
            Pane::Calls => self.calls.len(),
            Pane::Queues => 0,
            Pane::Connected => self.registrations.len(),
        }
    }

    /// The selected row of a pane, kept within its rows.
    pub fn selected(&self, pane: Pane) -> usize {
        let count = self.row_count(pane);
        self.selected[pane.index()].min(count.saturating_sub(1))
    }

    /// The user on row `row` of the Users pane, as filtered and sorted.
    pub fn visible_user(&self, row: usize) -> Option<&UserRow> {
        self.user_view.get(row).and_then(|&index| self.users.get(index))
    }

    /// Works out the Users pane's rows again after the users, the filter or
    /// the order changed.
    pub fn refresh_user_view(&mut self) {
        let filter = self.filter.trim();
        self.user_view.clear();
        self.user_view.extend((0..self.users.len()).filter(|&index| {
            let user = &self.users[index];
            filter.is_empty()
                || contains_ignoring_case(&user.extension, filter)
                || contains_ignoring_case(&user.name, filter)
        }));
        // Taken out while sorting: presence borrows the whole state.
        let mut view = std::mem::take(&mut self.user_view);
        let users = &self.users;
        let sort = self.sort;
        // Presence is worked out once per refresh, and only when it orders the rows.
        let presence = match sort.column {
            UserColumn::State => self.presence(),
            _ => HashMap::new(),
        };
        let state_of = |user: &UserRow| {
            presence.get(user.extension.as_str()).copied().unwrap_or(Presence::Offline)
        };
        // Extensions are numbers: 99 before 1001.
        let extension_order = |a: &UserRow, b: &UserRow| {
            (a.extension.len(), &a.extension).cmp(&(b.extension.len(), &b.extension))
        };
        view.sort_by(|&a, &b| {
            let (a, b) = (&users[a], &users[b]);
            let order = match sort.column {
                UserColumn::Extension => extension_order(a, b),
                UserColumn::State => state_of(a).cmp(&state_of(b)),
                UserColumn::Name => a
                    .name
                    .chars()
                    .flat_map(char::to_lowercase)
                    .cmp(b.name.chars().flat_map(char::to_lowercase)),
                UserColumn::Voicemail => a.voicemail.cmp(&b.voicemail),
                UserColumn::Outgoing => a.outgoing_number.cmp(&b.outgoing_number),
            };
            let order = order.then_with(|| extension_order(a, b));
            if sort.descending {
                order.reverse()
            } else {
                order
            }
        });
        drop(presence);
        self.user_view = view;
        self.clamp_selection();
    }

    /// Whether live calls would be ended by quitting now.
    pub fn quitting_ends_calls(&self) -> bool {
        self.quit_ends_calls && !self.calls.is_empty()
    }

    /// Whether anything on screen changes with time alone (call durations,
    /// registrations' time left), so the one-second tick must redraw.
    pub fn shows_time(&self) -> bool {
        !self.calls.is_empty() || !self.registrations.is_empty()
    }

    fn clamp_selection(&mut self) {
        for pane in Pane::ALL {
            self.selected[pane.index()] = self.selected(pane);
        }
    }
}

/// A column of the Users pane that rows can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserColumn {
    #[default]
    Extension,
    Name,
    Voicemail,
    Outgoing,
    /// Offline, registered, ringing, on a call: follows live events.
    State,
}

/// How the Users pane is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserSort {
    pub column: UserColumn,
    pub descending: bool,
}

impl UserSort {
    /// The next order: each column up, then down, then the next column.
    pub fn next(self) -> UserSort {
        if !self.descending {
            return UserSort { descending: true, ..self };
        }
        let column = match self.column {
            UserColumn::Extension => UserColumn::Name,
            UserColumn::Name => UserColumn::Voicemail,
            UserColumn::Voicemail => UserColumn::Outgoing,
            UserColumn::Outgoing => UserColumn::State,
            UserColumn::State => UserColumn::Extension,
        };
        UserSort { column, descending: false }
    }
}

/// Whether `text` contains `needle`, comparing letters without case, with
/// no allocation (the filter runs over every user on each key typed).
fn contains_ignoring_case(text: &str, needle: &str) -> bool {
    let needle: &[u8] = needle.as_bytes();
    if needle.is_empty() {
        return true;
    }
    if text.is_ascii() && needle.is_ascii() {
        return text
            .as_bytes()
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle));
    }
    // Beyond ASCII, case folding may change lengths: compare folded chars.
    let needle = std::str::from_utf8(needle).unwrap_or_default();
    let folded = |text: &str| text.chars().flat_map(char::to_lowercase).collect::<Vec<char>>();
    let (text, needle) = (folded(text), folded(needle));
    text.windows(needle.len()).any(|window| window == needle.as_slice())
}

/// Work an event asks of the run loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followup {
    /// Ask for a fresh snapshot to re-read users and settings.
    ReadConfiguration,
    /// Events were lost: take a whole new subscription.
    Resubscribe,
}

/// The user part of a call party: the party itself, or the user of a SIP URI.
fn party_user(party: &str) -> &str {
    party
        .strip_prefix("sips:")
        .or_else(|| party.strip_prefix("sip:"))
        .map_or(party, |rest| rest.split('@').next().unwrap_or(rest))
}

fn sort_calls(calls: &mut [LiveCall]) {
    calls.sort_by(|a, b| a.started_at.cmp(&b.started_at).then_with(|| a.id.cmp(&b.id)));
}

/// A call's duration for display: time talking once answered, time since it
/// started before that. Never negative, even if clocks disagree.
pub fn call_duration(call: &LiveCall, now: OffsetDateTime) -> time::Duration {
    let since = call.answered_at.unwrap_or(call.started_at);
    (now - since).max(time::Duration::ZERO)
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
