//! The control interface between the engine and everything that drives it.

pub mod api;

use crate::config::Config;
use api::{LiveCall, RegistrationView};

/// What the running PBX tells the control service about itself. With no PBX
/// running (the CLI on a store alone) there is none, and live lists are empty.
pub trait LiveState: Send + Sync {
    fn registrations(&self) -> Vec<RegistrationView>;
    fn calls(&self) -> Vec<LiveCall>;
    /// Called once a revision is applied, so the PBX switches to it without a
    /// restart and without dropping calls in progress.
    fn config_applied(&self, revision: u64, config: &Config);
}

use std::future::Future;

use api::{Command, ControlError, Event, Reply, Snapshot};
use tokio::sync::mpsc;

/// A connection to the engine, as the console and the CLI see it: in-process
/// in the all-in-one binary, over the control socket otherwise. The console is
/// written against this trait only.
pub trait Link: Send + Sync + 'static {
    /// Sends one command and waits for its reply.
    fn request(&self, command: Command)
        -> impl Future<Output = Result<Reply, ControlError>> + Send;

    /// A snapshot of live state, then every event after it, in order. The
    /// receiver is bounded: a subscriber that falls behind gets
    /// [`Event::Lagged`] and should subscribe again.
    fn subscribe(
        &self,
    ) -> impl Future<Output = Result<(Snapshot, mpsc::Receiver<Event>), ControlError>> + Send;
}
