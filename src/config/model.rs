//! Users and global settings as they are stored and applied.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A whole configuration: what one revision holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub settings: Settings,
    /// Users by extension.
    pub users: BTreeMap<String, User>,
}

/// Settings shared by every user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The SIP domain, also the digest realm.
    pub domain: String,
    /// The address phones are told to use as their proxy; empty means
    /// "the address switchboard listens on".
    pub proxy: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self { domain: default_domain(), proxy: String::new() }
    }
}

/// The machine's host name, which is the domain until an administrator sets one.
pub fn default_domain() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "switchboard.local".to_string())
}

/// One phone user: the General tab and the SIP identifiers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub extension: String,
    pub name: String,
    pub email: Option<String>,
    /// Mobile number in international form, e.g. +33612345678.
    pub gsm: Option<String>,
    pub voicemail: bool,
    /// The number shown to outside callees, in international form.
    pub outgoing_number: Option<String>,
    /// Whether a second call may ring while one is answered (else 486 Busy).
    pub multiple_calls: bool,
    /// Kept readable: an administrator types it into the phone.
    pub sip_password: String,
}
