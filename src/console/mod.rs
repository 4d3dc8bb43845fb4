//! The operator console: a ratatui screen with the Users, Live calls, Queues
//! and Connected users panes, kept live by the engine's events. It talks to
//! the engine only through [`crate::control::Link`], so it runs the same
//! in-process, attached to a daemon, or over SSH.
//!
//! The flow is one-way: an [`Input`] becomes an [`Action`] through the
//! [`Keymap`]; [`update`] changes the [`ConsoleState`] and names the requests
//! to send; [`render`] draws the state and changes nothing. [`run`] is the
//! loop around them for any ratatui backend; [`run_in_terminal`] sets up the
//! local terminal and calls it.

mod action;
mod clock;
mod form;
mod groups_screen;
mod input;
mod keymap;
mod layout;
mod list_screen;
mod numbers_screen;
mod render;
mod review;
mod run;
mod state;
mod terminal;
mod update;
mod user_editor;
mod user_form;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod pending_tests;
#[cfg(test)]
mod screen_tests;

use std::path::PathBuf;
use std::sync::Arc;

pub use action::{Action, Section};
pub use clock::{Clock, FixedClock, SystemClock};
pub use input::{Input, Key, KeyCode, Modifiers, Mouse, MouseKind};
pub use keymap::{parse_key, Keymap, KeymapError, Problem};
pub use render::render;
pub use run::run;
pub use state::{ConsoleState, Pane, Popup, Presence};
pub use terminal::run_in_terminal;
pub use update::{apply_reply, handle_input, update, Effect};

/// How a console is set up.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// The installation's keymap override (`DATA_DIR/keymap.toml`). A path
    /// that does not exist means the default keys.
    pub keymap_file: Option<PathBuf>,
    /// Whether leaving the console ends calls in progress (true in the
    /// all-in-one binary, where the PBX stops with it): quitting then asks.
    pub quit_ends_calls: bool,
    /// Where "now" comes from for durations and time left.
    pub clock: Arc<dyn Clock>,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        Self { keymap_file: None, quit_ends_calls: false, clock: Arc::new(SystemClock) }
    }
}

/// Why the console ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitReason {
    /// The user quit (after confirming, if calls were live).
    Quit,
    /// The input stream ended: the terminal or the remote session went away.
    InputClosed,
    /// The process was asked to stop (SIGTERM, SIGHUP or SIGINT) while the
    /// console had the terminal.
    Signal,
}

/// Why the console could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("{0}")]
    Keymap(#[from] KeymapError),
    #[error("cannot draw the console: {0}")]
    Draw(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("cannot set up the terminal: {0}")]
    Terminal(#[source] std::io::Error),
}
