//! Users, incoming numbers, user groups, pickup groups and global settings as they are
//! stored, applied and exported. Fields added after the first release carry
//! serde defaults, so stores written before them still read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::numbers::{IncomingNumber, PickupGroup, UserGroup};
use super::tabs::{FollowMe, Forwardings, Keys, Permissions, Ring};

/// A whole configuration: what one revision holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub settings: Settings,
    /// Users by extension.
    #[serde(default)]
    pub users: BTreeMap<String, User>,
    /// Incoming numbers by number.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub incoming_numbers: BTreeMap<String, IncomingNumber>,
    /// User groups by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub groups: BTreeMap<String, UserGroup>,
    /// Pickup groups by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pickup_groups: BTreeMap<String, PickupGroup>,
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

/// One phone user, with the six tabs of the user form. The domain and proxy
/// of the SIP identifiers come from [`Settings`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub extension: String,
    pub name: String,
    pub email: Option<String>,
    /// Mobile number in international form, e.g. +33612345678.
    pub gsm: Option<String>,
    #[serde(default)]
    pub voicemail: bool,
    /// The number shown to outside callees, in international form.
    pub outgoing_number: Option<String>,
    /// Whether a second call may ring while one is answered (else 486 Busy).
    #[serde(default)]
    pub multiple_calls: bool,
    /// Kept readable: an administrator types it into the phone. Empty only in
    /// an export made without secrets.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sip_password: String,
    /// The named directory a dial plan's dial-by-name searches, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<String>,
    /// Hot-desking: the user signs in on a desk phone before calling out.
    #[serde(default)]
    pub must_log_in: bool,
    #[serde(default)]
    pub forwardings: Forwardings,
    #[serde(default)]
    pub follow_me: FollowMe,
    #[serde(default)]
    pub keys: Keys,
    #[serde(default)]
    pub permissions: Permissions,
}

impl User {
    /// The forwardings that take effect: none while Follow Me is enabled,
    /// which replaces them without erasing them.
    pub fn active_forwardings(&self) -> Option<&Forwardings> {
        (!self.follow_me.enabled).then_some(&self.forwardings)
    }

    /// Every ring destination the user's tabs hold, with the tab's name.
    pub fn rings(&self) -> impl Iterator<Item = (&'static str, &Ring)> {
        let no_answer = self.forwardings.no_answer.iter().map(|r| ("forwarding on no answer", r));
        let busy = self.forwardings.busy.iter().map(|r| ("forwarding on busy", r));
        let follow_me = self.follow_me.destinations.iter().map(|r| ("Follow Me", r));
        no_answer.chain(busy).chain(follow_me)
    }
}
