//! The control interface between the engine and everything that drives it.
//!
//! - [`api`]: the vocabulary (commands, replies, snapshot, events);
//! - [`Service`]: carries out commands against the store and the live PBX;
//! - [`LocalLink`]: a [`Link`] to a service in the same process (the
//!   all-in-one console);
//! - [`ControlSocket`] and [`SocketLink`]: the same over the Unix socket
//!   `DIR/control.sock`, for `switchboard console` and the CLI.
//!
//! Wiring a running PBX (the engine does this):
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use switchboard::control::{event_channel, ControlSocket, LocalLink, LiveState, Service};
//! # use switchboard::store::Store;
//! # async fn wire(dir: &std::path::Path, live: Arc<dyn LiveState>,
//! #     sip: std::net::SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(Store::open(dir)?);
//! let events = event_channel();
//! let service = Arc::new(Service::new(store.clone(), Some(live), events.clone()));
//! service.set_sip_address(sip);
//! let socket = ControlSocket::bind(dir)?;
//! tokio::spawn(socket.serve(service.clone(), std::future::pending()));
//! let console_link = LocalLink::new(service);
//! # Ok(()) }
//! ```
//!
//! The engine publishes its own events (registrations, calls) on `events`.

pub mod api;
mod caller;
mod client;
mod demo;
pub mod edit;
mod import;
mod local;
mod service;
mod socket;
mod staging;
mod wire;

pub use caller::Caller;
pub use client::SocketLink;
pub use local::LocalLink;
pub use service::{event_channel, Service, EVENT_CAPACITY};
pub use socket::{socket_path, ControlSocket, SocketError};

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
