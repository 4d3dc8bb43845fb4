//! A [`Link`] to a [`Service`] in the same process: what the all-in-one
//! console uses. Commands run on a blocking thread (the store writes to disk),
//! so the console's event loop never waits on them.

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc};

use super::api::{Command, ControlError, ErrorKind, Event, Reply, Snapshot};
use super::{Caller, Link, Service};

/// How many events a subscriber may have unread before the link stops
/// reading for it (and the broadcast channel then reports it lagged).
pub const SUBSCRIBER_QUEUE: usize = 256;

/// An in-process link, acting for one caller.
#[derive(Clone)]
pub struct LocalLink {
    service: Arc<Service>,
    caller: Caller,
}

impl LocalLink {
    /// A link acting as the account this process runs as.
    pub fn new(service: Arc<Service>) -> LocalLink {
        LocalLink::with_caller(service, Caller::this_process())
    }

    /// A link acting as `caller`, whose rights every command is checked against.
    pub fn with_caller(service: Arc<Service>, caller: Caller) -> LocalLink {
        LocalLink { service, caller }
    }
}

impl Link for LocalLink {
    async fn request(&self, command: Command) -> Result<Reply, ControlError> {
        let service = self.service.clone();
        let caller = self.caller.clone();
        tokio::task::spawn_blocking(move || service.execute(&caller, command))
            .await
            .map_err(|e| ControlError::new(ErrorKind::Internal, format!("command failed: {e}")))?
    }

    async fn subscribe(&self) -> Result<(Snapshot, mpsc::Receiver<Event>), ControlError> {
        // Subscribing before the snapshot is taken means an event may repeat
        // what the snapshot already shows, but none can be missed.
        let events = self.service.subscribe_events();
        let service = self.service.clone();
        let caller = self.caller.clone();
        let snapshot =
            tokio::task::spawn_blocking(move || service.snapshot(&caller)).await.map_err(
                |e| ControlError::new(ErrorKind::Internal, format!("snapshot failed: {e}")),
            )??;

        let (sender, receiver) = mpsc::channel(SUBSCRIBER_QUEUE);
        tokio::spawn(forward(events, sender));
        Ok((snapshot, receiver))
    }
}

/// Copies broadcast events to one subscriber until it goes away or the
/// service shuts down. A subscriber that fell behind is told with
/// [`Event::Lagged`] and then gets the events that follow.
pub(super) async fn forward(mut events: broadcast::Receiver<Event>, sender: mpsc::Sender<Event>) {
    loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(_)) => Event::Lagged,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if sender.send(event).await.is_err() {
            return;
        }
    }
}
