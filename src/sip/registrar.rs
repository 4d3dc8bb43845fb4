//! The registrar's rules (RFC 3261 §10.3) and the location service they keep:
//! which contacts each user is reachable at, until when, and over which flow.
//!
//! Authentication happens before this module is asked; it only sees requests
//! from the user they concern. It does no I/O and takes the time as input.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::deadlines::Deadlines;
use super::message::{NameAddr, StartLine};
use super::{Flow, Message};

/// A user may have at most this many contacts. A new one beyond that pushes
/// out the one that would expire first, so a phone that restarts often does not
/// lock itself out.
pub const MAX_CONTACTS_PER_USER: usize = 10;

/// Used when a REGISTER names no expiry at all (RFC 3261 §10.2.1.1).
const DEFAULT_EXPIRES: u32 = 3600;

/// One contact of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The Contact URI as the phone sent it.
    pub contact: String,
    pub call_id: String,
    pub cseq: u32,
    pub expires_at: Instant,
    /// The flow the REGISTER came over; requests to this contact use it.
    pub flow: Flow,
    pub user_agent: Option<String>,
}

/// A binding as kept across a stop of the PBX, so phones stay reachable
/// after a restart without waiting to register again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedBinding {
    pub user: String,
    pub contact: String,
    pub call_id: String,
    pub cseq: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Where the phone registered from (UDP).
    pub peer: SocketAddr,
    pub user_agent: Option<String>,
}

/// Limits an administrator sets on the expiry phones may ask for.
#[derive(Debug, Clone, Copy)]
pub struct ExpiryLimits {
    pub min: u32,
    pub max: u32,
}

/// Why a REGISTER was refused, as the status and headers to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub reason: &'static str,
    /// Extra headers for the response, e.g. Min-Expires with 423.
    pub headers: Vec<(&'static str, String)>,
}

impl Refusal {
    fn bad_request(reason: &'static str) -> Self {
        Refusal { code: 400, reason, headers: Vec::new() }
    }
}

/// What changed for the user, and the bindings to list in the 200 OK.
#[derive(Debug)]
pub struct Registered {
    pub changed: bool,
    /// Each current binding with its remaining seconds.
    pub bindings: Vec<(String, u32)>,
}

/// The location service: every user's bindings.
#[derive(Debug, Default)]
pub struct Location {
    bindings: HashMap<String, Vec<Binding>>,
    /// When each user's earliest binding expires.
    deadlines: Deadlines<String>,
}

impl Location {
    /// The live bindings of a user.
    pub fn bindings(&self, user: &str, now: Instant) -> Vec<&Binding> {
        self.bindings
            .get(user)
            .map(|list| list.iter().filter(|binding| binding.expires_at > now).collect())
            .unwrap_or_default()
    }

    /// Every live binding, by user.
    pub fn all(&self, now: Instant) -> impl Iterator<Item = (&str, &Binding)> {
        self.bindings.iter().flat_map(move |(user, list)| {
            list.iter().filter(move |b| b.expires_at > now).map(move |b| (user.as_str(), b))
        })
    }

    /// Removes expired bindings; returns the users whose list changed.
    pub fn expire(&mut self, now: Instant) -> Vec<String> {
        let mut changed: Vec<String> = Vec::new();
        for user in self.deadlines.pop_due(now) {
            let Some(list) = self.bindings.get_mut(&user) else { continue };
            let before = list.len();
            list.retain(|binding| binding.expires_at > now);
            let next = list.iter().map(|binding| binding.expires_at).min();
            if list.len() != before && !changed.contains(&user) {
                changed.push(user.clone());
            }
            match next {
                Some(at) => self.deadlines.schedule(at, user),
                None => {
                    self.bindings.remove(&user);
                }
            }
        }
        changed
    }

    /// The earliest moment a binding may expire.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.deadlines.next()
    }

    /// The live bindings worth keeping over a restart: UDP ones, since a TCP
    /// binding dies with its connection. `wall` is the wall-clock time at `now`.
    pub fn save(&self, now: Instant, wall: OffsetDateTime) -> Vec<SavedBinding> {
        self.all(now)
            .filter(|(_, binding)| binding.flow.transport == super::Transport::Udp)
            .map(|(user, binding)| SavedBinding {
                user: user.to_string(),
                contact: binding.contact.clone(),
                call_id: binding.call_id.clone(),
                cseq: binding.cseq,
                expires_at: wall + binding.expires_at.saturating_duration_since(now),
                peer: binding.flow.peer,
                user_agent: binding.user_agent.clone(),
            })
            .collect()
    }

    /// Takes back saved bindings that have not expired, for users that still
    /// exist; `flow_to` gives the flow towards each phone's address. Returns
    /// the users that got bindings back.
    pub fn restore(
        &mut self,
        saved: Vec<SavedBinding>,
        now: Instant,
        wall: OffsetDateTime,
        exists: impl Fn(&str) -> bool,
        flow_to: impl Fn(SocketAddr) -> Flow,
    ) -> Vec<String> {
        let mut users = Vec::new();
        for binding in saved {
            let left = binding.expires_at - wall;
            if !left.is_positive() || !exists(&binding.user) {
                continue;
            }
            let expires_at = now + Duration::try_from(left).unwrap_or_default();
            let list = self.bindings.entry(binding.user.clone()).or_default();
            if list.len() >= MAX_CONTACTS_PER_USER {
                continue;
            }
            list.push(Binding {
                contact: binding.contact,
                call_id: binding.call_id,
                cseq: binding.cseq,
                expires_at,
                flow: flow_to(binding.peer),
                user_agent: binding.user_agent,
            });
            self.deadlines.schedule(expires_at, binding.user.clone());
            if !users.contains(&binding.user) {
                users.push(binding.user);
            }
        }
        users
    }

    /// Drops every binding of users that no longer exist.
    pub fn retain_users(&mut self, exists: impl Fn(&str) -> bool) -> Vec<String> {
        let gone: Vec<String> =
            self.bindings.keys().filter(|user| !exists(user)).cloned().collect();
        for user in &gone {
            self.bindings.remove(user);
        }
        gone
    }

    /// Applies an authenticated REGISTER for `user`. Either every contact in
    /// it takes effect or, on a refusal, none does.
    pub fn register(
        &mut self,
        user: &str,
        request: &Message,
        flow: &Flow,
        limits: ExpiryLimits,
        now: Instant,
    ) -> Result<Registered, Refusal> {
        let updates = read_contacts(request, limits)?;
        let call_id = request.call_id().to_string();
        let cseq = request.cseq().map(|(number, _)| number).unwrap_or(0);
        let user_agent = request.header("User-Agent").map(str::to_string);

        let list = self.bindings.entry(user.to_string()).or_default();
        list.retain(|binding| binding.expires_at > now);
        let mut changed = false;

        match updates {
            Contacts::Query => {}
            Contacts::RemoveAll => {
                // RFC 3261 §10.3 step 6: an older request must not undo a newer one.
                if list.iter().any(|b| b.call_id == call_id && cseq <= b.cseq) {
                    return Err(Refusal::bad_request("CSeq out of order"));
                }
                changed = !list.is_empty();
                list.clear();
            }
            Contacts::Update(contacts) => {
                // Step 7: check every contact before changing any.
                for (uri, _) in &contacts {
                    let stale = list.iter().any(|b| {
                        same_contact(&b.contact, uri) && b.call_id == call_id && cseq <= b.cseq
                    });
                    if stale {
                        return Err(Refusal::bad_request("CSeq out of order"));
                    }
                }
                for (uri, expires) in contacts {
                    let existing = list.iter().position(|b| same_contact(&b.contact, &uri));
                    match (existing, expires) {
                        (Some(at), 0) => {
                            list.remove(at);
                            changed = true;
                        }
                        (None, 0) => {}
                        (Some(at), seconds) => {
                            let binding = &mut list[at];
                            changed |= binding.flow != *flow;
                            binding.call_id = call_id.clone();
                            binding.cseq = cseq;
                            binding.expires_at = now + Duration::from_secs(seconds.into());
                            binding.flow = flow.clone();
                            binding.user_agent = user_agent.clone();
                        }
                        (None, seconds) => {
                            if list.len() >= MAX_CONTACTS_PER_USER {
                                evict_soonest(list);
                            }
                            list.push(Binding {
                                contact: uri,
                                call_id: call_id.clone(),
                                cseq,
                                expires_at: now + Duration::from_secs(seconds.into()),
                                flow: flow.clone(),
                                user_agent: user_agent.clone(),
                            });
                            changed = true;
                        }
                    }
                }
            }
        }

        let bindings = list.iter().map(|b| (b.contact.clone(), remaining(b, now))).collect();
        match list.iter().map(|binding| binding.expires_at).min() {
            Some(at) => self.deadlines.schedule(at, user.to_string()),
            None => {
                self.bindings.remove(user);
            }
        }
        Ok(Registered { changed, bindings })
    }
}

enum Contacts {
    /// No Contact: the phone asks what is registered.
    Query,
    /// `Contact: *` with `Expires: 0`.
    RemoveAll,
    /// Contact URIs with their granted expiry (0 removes).
    Update(Vec<(String, u32)>),
}

fn read_contacts(request: &Message, limits: ExpiryLimits) -> Result<Contacts, Refusal> {
    let contacts: Vec<&str> = request.header_values("Contact").collect();
    if contacts.is_empty() {
        return Ok(Contacts::Query);
    }
    let header_expires = match request.header("Expires") {
        Some(value) => {
            Some(value.trim().parse::<u32>().map_err(|_| Refusal::bad_request("Bad Expires"))?)
        }
        None => None,
    };

    if contacts.iter().any(|contact| contact.trim() == "*") {
        // RFC 3261 §10.3 step 6: "*" only alone and only with Expires: 0.
        if contacts.len() != 1 || header_expires != Some(0) {
            return Err(Refusal::bad_request("Contact * needs Expires 0 and no other Contact"));
        }
        return Ok(Contacts::RemoveAll);
    }

    let mut updates = Vec::with_capacity(contacts.len());
    for contact in contacts {
        let name_addr = NameAddr::parse(contact);
        if !name_addr.uri.starts_with("sip:") && !name_addr.uri.starts_with("sips:") {
            return Err(Refusal::bad_request("Bad Contact"));
        }
        let asked = match name_addr.param("expires") {
            Some(value) => {
                value.parse::<u32>().map_err(|_| Refusal::bad_request("Bad Contact expires"))?
            }
            None => header_expires.unwrap_or(DEFAULT_EXPIRES),
        };
        if asked != 0 && asked < limits.min {
            return Err(Refusal {
                code: 423,
                reason: "Interval Too Brief",
                headers: vec![("Min-Expires", limits.min.to_string())],
            });
        }
        updates.push((name_addr.uri.to_string(), asked.min(limits.max)));
    }
    Ok(Contacts::Update(updates))
}

/// RFC 3261 §19.1.4 compares URIs by component; the scheme and host are
/// case-insensitive, which is what phones vary in practice.
fn same_contact(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn evict_soonest(list: &mut Vec<Binding>) {
    if let Some(at) = list.iter().enumerate().min_by_key(|(_, b)| b.expires_at).map(|(at, _)| at) {
        list.remove(at);
    }
}

/// Remaining seconds, rounded to the nearest second so that a binding just
/// refreshed reports exactly what was granted.
fn remaining(binding: &Binding, now: Instant) -> u32 {
    let left = binding.expires_at.saturating_duration_since(now);
    (left.as_millis() as u64).div_ceil(1000).min(u32::MAX.into()) as u32
}

/// Whether a message is a REGISTER request.
pub fn is_register(message: &Message) -> bool {
    matches!(&message.start, StartLine::Request { method, .. } if method == "REGISTER")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sip::Transport;

    const LIMITS: ExpiryLimits = ExpiryLimits { min: 60, max: 3600 };

    fn flow(port: u16) -> Flow {
        Flow {
            transport: Transport::Udp,
            peer: ([127, 0, 0, 1], port).into(),
            local: ([127, 0, 0, 1], 5060).into(),
            connection: None,
        }
    }

    fn register(call_id: &str, cseq: u32, contacts: &[&str], expires: Option<u32>) -> Message {
        let mut message = Message::request("REGISTER", "sip:office");
        message.push("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx");
        message.push("From", "<sip:1001@office>;tag=a");
        message.push("To", "<sip:1001@office>");
        message.push("Call-ID", call_id);
        message.push("CSeq", format!("{cseq} REGISTER"));
        for contact in contacts {
            message.push("Contact", *contact);
        }
        if let Some(expires) = expires {
            message.push("Expires", expires.to_string());
        }
        message
    }

    fn apply(
        location: &mut Location,
        message: &Message,
        now: Instant,
    ) -> Result<Registered, Refusal> {
        location.register("1001", message, &flow(5070), LIMITS, now)
    }

    #[test]
    fn a_contact_expires_param_is_honoured_without_an_expires_header() {
        let mut location = Location::default();
        let now = Instant::now();
        let done =
            apply(&mut location, &register("c1", 1, &["<sip:1001@a>;expires=120"], None), now)
                .expect("registered");
        assert_eq!(done.bindings, vec![("sip:1001@a".to_string(), 120)]);
    }

    #[test]
    fn refreshing_grants_the_same_time_every_time() {
        let mut location = Location::default();
        let mut now = Instant::now();
        for cseq in 1..20 {
            now += Duration::from_millis(1_337);
            let done =
                apply(&mut location, &register("c1", cseq, &["<sip:1001@a>"], Some(600)), now)
                    .expect("registered");
            assert_eq!(done.bindings, vec![("sip:1001@a".to_string(), 600)]);
        }
    }

    #[test]
    fn too_short_is_423_and_too_long_is_lowered() {
        let mut location = Location::default();
        let now = Instant::now();
        let refusal = apply(&mut location, &register("c1", 1, &["<sip:1001@a>"], Some(10)), now)
            .expect_err("too brief");
        assert_eq!(refusal.code, 423);
        assert_eq!(refusal.headers, vec![("Min-Expires", "60".to_string())]);
        assert!(location.bindings("1001", now).is_empty());
        let done = apply(&mut location, &register("c1", 2, &["<sip:1001@a>"], Some(99_999)), now)
            .expect("registered");
        assert_eq!(done.bindings[0].1, 3600);
    }

    #[test]
    fn unregistering_one_contact_keeps_the_other() {
        let mut location = Location::default();
        let now = Instant::now();
        apply(&mut location, &register("phone-a", 1, &["<sip:1001@a>"], Some(600)), now).unwrap();
        apply(&mut location, &register("phone-b", 1, &["<sip:1001@b>"], Some(600)), now).unwrap();
        apply(&mut location, &register("phone-a", 2, &["<sip:1001@a>;expires=0"], None), now)
            .unwrap();
        let left: Vec<_> =
            location.bindings("1001", now).iter().map(|b| b.contact.clone()).collect();
        assert_eq!(left, ["sip:1001@b"]);
    }

    #[test]
    fn star_removes_all_only_with_expires_zero_and_alone() {
        let mut location = Location::default();
        let now = Instant::now();
        apply(&mut location, &register("a", 1, &["<sip:1001@a>"], Some(600)), now).unwrap();
        apply(&mut location, &register("b", 1, &["<sip:1001@b>"], Some(600)), now).unwrap();
        let wrong = apply(&mut location, &register("a", 2, &["*"], Some(60)), now).unwrap_err();
        assert_eq!(wrong.code, 400);
        let mixed = apply(&mut location, &register("a", 3, &["*", "<sip:1001@c>"], Some(0)), now);
        assert_eq!(mixed.unwrap_err().code, 400);
        assert_eq!(location.bindings("1001", now).len(), 2);
        apply(&mut location, &register("a", 4, &["*"], Some(0)), now).unwrap();
        assert!(location.bindings("1001", now).is_empty());
    }

    #[test]
    fn an_older_cseq_on_the_same_call_id_changes_nothing() {
        let mut location = Location::default();
        let now = Instant::now();
        apply(&mut location, &register("a", 5, &["<sip:1001@a>"], Some(600)), now).unwrap();
        let replay =
            apply(&mut location, &register("a", 4, &["<sip:1001@a>;expires=0"], None), now);
        assert_eq!(replay.unwrap_err().code, 400);
        assert_eq!(location.bindings("1001", now).len(), 1);
    }

    #[test]
    fn contacts_per_user_are_bounded() {
        let mut location = Location::default();
        let now = Instant::now();
        for phone in 0..(MAX_CONTACTS_PER_USER + 5) {
            let contact = format!("<sip:1001@10.0.0.{phone}>");
            let call_id = format!("phone-{phone}");
            apply(&mut location, &register(&call_id, 1, &[contact.as_str()], Some(600)), now)
                .unwrap();
        }
        assert_eq!(location.bindings("1001", now).len(), MAX_CONTACTS_PER_USER);
    }

    #[test]
    fn saved_bindings_come_back_with_the_time_they_had_left() {
        let mut location = Location::default();
        let now = Instant::now();
        let wall = OffsetDateTime::now_utc();
        apply(&mut location, &register("a", 1, &["<sip:1001@a>"], Some(600)), now).unwrap();
        let saved = location.save(now + Duration::from_secs(100), wall);
        assert_eq!(saved.len(), 1);

        let mut restarted = Location::default();
        let later = Instant::now();
        // Restarted 50 s after saving: 450 s are left.
        let users = restarted.restore(
            saved.clone(),
            later,
            wall + Duration::from_secs(50),
            |user| user == "1001",
            |_| flow(5070),
        );
        assert_eq!(users, ["1001"]);
        let left = restarted.bindings("1001", later)[0].expires_at - later;
        assert_eq!(left.as_secs(), 450);

        let mut gone = Location::default();
        assert!(gone
            .restore(saved, later, wall + Duration::from_secs(600), |_| true, |_| flow(5070))
            .is_empty());
    }

    #[test]
    fn bindings_expire() {
        let mut location = Location::default();
        let now = Instant::now();
        apply(&mut location, &register("a", 1, &["<sip:1001@a>"], Some(60)), now).unwrap();
        assert!(location.expire(now + Duration::from_secs(59)).is_empty());
        assert_eq!(location.expire(now + Duration::from_secs(61)), ["1001"]);
        assert!(location.bindings("1001", now).is_empty());
    }
}
