//! switchboard's SIP layer: messages, digest authentication, the registrar,
//! transactions and the back-to-back user agent that connects calls.
//!
//! Everything here is a state machine that takes the current time as input
//! and returns what to send; the engine does the socket I/O around it.

pub mod call;
pub mod core;
pub mod deadlines;
pub mod dialog;
pub mod digest;
pub mod message;
pub mod registrar;
pub mod transaction;

use std::net::SocketAddr;

pub use message::Message;

#[cfg(test)]
mod tests;

/// The transport a message came over or leaves on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    /// As written in a Via header.
    pub fn via_name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

/// Identifies one accepted or opened TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectionId(pub u64);

/// The path a message travels: transport, the far end, the local address that
/// faces it and, for TCP, the connection to reuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub transport: Transport,
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub connection: Option<ConnectionId>,
}

/// Bytes to send along a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub flow: Flow,
    pub bytes: Vec<u8>,
}
