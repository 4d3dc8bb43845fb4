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
