//! The Save-then-Apply workflow in the console: the pending-changes screen
//! (staged against live, to apply or discard) and the history screen (the
//! applied revisions, to roll back to one). `update` hands these popups their
//! actions and the engine's replies; `render` draws them.

use super::action::Action;
use super::state::{ConsoleState, Popup};
use super::update::Effect;
use crate::control::api::{Change, Command, ControlError, HistoryEntry, Reply};

/// The pending changes, as far as they have arrived.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangesView {
    /// `None` until the engine answers.
    pub changes: Option<Vec<Change>>,
    /// The first change shown.
    pub scroll: u16,
    /// Discarding was asked for and waits for yes or no.
    pub asking_discard: bool,
    /// An apply or discard was sent and its answer has not come yet.
    pub waiting: bool,
    pub error: Option<String>,
}

/// The applied revisions, newest first, with one selected.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryView {
    /// `None` until the engine answers.
    pub revisions: Option<Vec<HistoryEntry>>,
    pub selected: usize,
    /// Rolling back to this revision waits for yes or no.
    pub asking_rollback: Option<u64>,
    pub waiting: bool,
    pub error: Option<String>,
}

/// Opens the pending-changes screen and asks for the diff.
pub fn open_changes(state: &mut ConsoleState) -> Vec<Effect> {
    state.popup = Some(Popup::Changes(ChangesView::default()));
    vec![Effect::Request(Command::Diff)]
}

/// Opens the history screen and asks for the revisions.
pub fn open_history(state: &mut ConsoleState) -> Vec<Effect> {
    state.popup = Some(Popup::History(HistoryView::default()));
    vec![Effect::Request(Command::History)]
}

/// An action on the pending-changes screen: the popup that stays open, and
/// the requests to send.
pub fn update_changes(mut view: ChangesView, action: Action) -> (Option<Popup>, Vec<Effect>) {
    if view.asking_discard {
        match action {
            Action::Confirm => {
                view.asking_discard = false;
                view.waiting = true;
                return (Some(Popup::Changes(view)), vec![Effect::Request(Command::Discard)]);
            }
            Action::Cancel => view.asking_discard = false,
            _ => {}
        }
        return (Some(Popup::Changes(view)), Vec::new());
    }

    let count = view.changes.as_ref().map_or(0, Vec::len);
    let last = u16::try_from(count.saturating_sub(1)).unwrap_or(u16::MAX);
    match action {
        Action::Cancel | Action::Diff => return (None, Vec::new()),
        Action::Apply if !view.waiting => {
            view.waiting = true;
            view.error = None;
            return (Some(Popup::Changes(view)), vec![Effect::Request(Command::Apply)]);
        }
        Action::Discard if !view.waiting && count > 0 => view.asking_discard = true,
        Action::Up => view.scroll = view.scroll.saturating_sub(1),
        Action::Down => view.scroll = view.scroll.saturating_add(1).min(last),
        Action::PageUp => view.scroll = view.scroll.saturating_sub(10),
        Action::PageDown => view.scroll = view.scroll.saturating_add(10).min(last),
        Action::First => view.scroll = 0,
        Action::Last => view.scroll = last,
        _ => {}
    }
    (Some(Popup::Changes(view)), Vec::new())
}

/// An action on the history screen.
pub fn update_history(mut view: HistoryView, action: Action) -> (Option<Popup>, Vec<Effect>) {
    if let Some(revision) = view.asking_rollback {
        match action {
            Action::Confirm => {
                view.asking_rollback = None;
                view.waiting = true;
                let request = Effect::Request(Command::Rollback { revision });
                return (Some(Popup::History(view)), vec![request]);
            }
            Action::Cancel => view.asking_rollback = None,
            _ => {}
        }
        return (Some(Popup::History(view)), Vec::new());
    }

    let count = view.revisions.as_ref().map_or(0, Vec::len);
    let last = count.saturating_sub(1);
    match action {
        Action::Cancel | Action::History => return (None, Vec::new()),
        Action::Rollback if !view.waiting => {
            let selected = view.revisions.as_ref().and_then(|r| r.get(view.selected));
            view.asking_rollback = selected.map(|entry| entry.revision);
        }
        Action::Up => view.selected = view.selected.saturating_sub(1),
        Action::Down => view.selected = (view.selected + 1).min(last),
        Action::PageUp => view.selected = view.selected.saturating_sub(10),
        Action::PageDown => view.selected = (view.selected + 10).min(last),
        Action::First => view.selected = 0,
        Action::Last => view.selected = last,
        _ => {}
    }
    (Some(Popup::History(view)), Vec::new())
}

/// Applies the reply to a workflow command. Returns `None` when the command
/// is not one of this screen's, so the caller handles it.
pub fn apply_reply(
    state: &mut ConsoleState,
    command: &Command,
    result: &Result<Reply, ControlError>,
) -> Option<Vec<Effect>> {
    let reread = vec![Effect::Request(Command::Snapshot)];
    match (command, result) {
        (Command::Diff, Ok(Reply::Diff { changes })) => {
            if let Some(Popup::Changes(view)) = &mut state.popup {
                view.changes = Some(changes.clone());
                view.scroll = 0;
            }
        }
        (Command::History, Ok(Reply::History { revisions })) => {
            if let Some(Popup::History(view)) = &mut state.popup {
                let mut revisions = revisions.clone();
                revisions.sort_by_key(|entry| std::cmp::Reverse(entry.revision));
                view.selected = view.selected.min(revisions.len().saturating_sub(1));
                view.revisions = Some(revisions);
            }
        }
        (Command::Apply, Ok(Reply::Applied { revision })) => {
            close_changes(state);
            state.apply_problems.clear();
            state.notice = Some(format!("Applied revision {revision}."));
            return Some(reread);
        }
        (Command::Apply, Ok(Reply::NothingToApply)) => {
            close_changes(state);
            state.apply_problems.clear();
            state.notice = Some("Nothing to apply: no changes are pending.".to_string());
        }
        (Command::Apply, Err(error)) => {
            // The lists mark these lines until the next Apply settles them.
            state.apply_problems = error.problems.clone();
            // Every broken rule on its own line, next to what breaks it; a
            // refusal that is not about the configuration has only its message.
            let errors = if error.problems.is_empty() {
                vec![error.message.clone()]
            } else {
                error
                    .problems
                    .iter()
                    .map(|problem| format!("{}: {}", problem.subject, problem.message))
                    .collect()
            };
            let changes = match state.popup.take() {
                Some(Popup::Changes(view)) => ChangesView { waiting: false, ..view },
                other => {
                    state.popup = other;
                    state.notice = Some(format!("Apply was refused: {error}"));
                    return Some(Vec::new());
                }
            };
            state.popup = Some(Popup::ApplyRefused { errors, changes });
        }
        (Command::Discard, Ok(Reply::Discarded { dropped })) => {
            close_changes(state);
            // Live is valid, so nothing staged is broken any more.
            state.apply_problems.clear();
            state.notice = Some(match dropped {
                1 => "Discarded 1 pending change.".to_string(),
                n => format!("Discarded {n} pending changes."),
            });
            return Some(reread);
        }
        (Command::Rollback { .. }, Ok(Reply::RolledBack { revision, pending_changes })) => {
            if matches!(state.popup, Some(Popup::History(_))) {
                state.popup = None;
            }
            state.notice = Some(match pending_changes {
                0 => format!("Revision {revision} is what is live: nothing to apply."),
                1 => format!("Revision {revision} staged (1 change): apply to make it live."),
                n => format!("Revision {revision} staged ({n} changes): apply to make it live."),
            });
            return Some(reread);
        }
        (Command::Diff | Command::Discard, Err(error)) => match &mut state.popup {
            Some(Popup::Changes(view)) => {
                view.waiting = false;
                view.error = Some(error.message.clone());
            }
            _ => state.notice = Some(error.message.clone()),
        },
        (Command::History | Command::Rollback { .. }, Err(error)) => match &mut state.popup {
            Some(Popup::History(view)) => {
                view.waiting = false;
                view.error = Some(error.message.clone());
            }
            _ => state.notice = Some(error.message.clone()),
        },
        _ => return None,
    }
    Some(Vec::new())
}

fn close_changes(state: &mut ConsoleState) {
    if matches!(state.popup, Some(Popup::Changes(_) | Popup::ApplyRefused { .. })) {
        state.popup = None;
    }
}

#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;
