//! Runs the PBX: binds the SIP transports, feeds the SIP core, keeps live state
//! (registrations, calls) and reports it as control events.

use std::net::SocketAddr;
use std::time::Duration;

use crate::control::api::{CallRecord, LiveCall};

/// How the PBX listens and what limits it enforces.
#[derive(Debug, Clone)]
pub struct PbxOptions {
    /// Where SIP listens, UDP and TCP on the same port (port 0: any free port).
    pub sip_addr: SocketAddr,
    /// The address put in Via, Contact and Record-Route instead of the local one.
    pub advertise: Option<SocketAddr>,
    pub nonce_ttl: Duration,
    pub min_expires: u32,
    pub max_expires: u32,
}

impl Default for PbxOptions {
    fn default() -> Self {
        Self {
            sip_addr: "0.0.0.0:5060".parse().expect("valid default address"),
            advertise: None,
            nonce_ttl: Duration::from_secs(300),
            min_expires: 60,
            max_expires: 3600,
        }
    }
}

/// Where calls are written; the store implements it.
pub trait CallLog: Send + Sync {
    /// A call began or was answered; until its record comes, it is open.
    fn in_progress(&self, call: &LiveCall);
    /// A call ended.
    fn record(&self, call: &CallRecord);
}

mod pbx;
pub mod transport;

pub use pbx::{EngineError, Pbx};
