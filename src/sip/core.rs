//! The SIP core: takes every message that arrives, in order, and decides what
//! it is (a retransmission, a registration, a new call, a step of a call in
//! progress) and what to send back. It owns the registrar's location service,
//! the nonces, the transactions and the calls.
//!
//! The engine feeds it bytes with the flow they came on and the current time,
//! calls [`Core::on_timer`] at [`Core::next_deadline`], and drains what to send
//! and what to report. Nothing here touches a socket or a clock.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::call::{CallEvent, Calls, Io, Parties, Target};
use super::dialog::{self, ALLOW};
use super::digest::{Authenticator, Verdict};
use super::message::{self, uri_user, ParseError};
use super::registrar::{ExpiryLimits, Location, SavedBinding};
use super::transaction::{Arrival, ClientTransactions, Key, ResponseFor, ServerTransactions};
use super::{Flow, Message, Outbound, Transport};
use crate::config::Config;
use crate::control::api::{CallOutcome, CallRecord, LiveCall, RegistrationView};

/// How the core behaves; fixed for the life of the PBX.
#[derive(Debug, Clone)]
pub struct CoreOptions {
    pub nonce_ttl: Duration,
    pub expiry: ExpiryLimits,
    /// Replaces the local address in Via and Contact.
    pub advertise: Option<SocketAddr>,
}

/// Something the engine reports to consoles.
#[derive(Debug, Clone, PartialEq)]
pub enum CoreEvent {
    /// This user's registrations changed.
    Registrations(String),
    Call(CallEvent),
}

pub struct Core {
    config: Arc<Config>,
    options: CoreOptions,
    auth: Authenticator,
    location: Location,
    server: ServerTransactions,
    client: ClientTransactions,
    calls: Calls,
    /// Maps the monotonic clock to wall-clock time for what consoles see.
    origin: (Instant, OffsetDateTime),
    out: Vec<Outbound>,
    events: Vec<CoreEvent>,
    call_events: Vec<CallEvent>,
}

/// Builds the [`Io`] a call step works with from the core's own fields.
macro_rules! io {
    ($core:ident, $now:expr) => {
        Io {
            server: &mut $core.server,
            client: &mut $core.client,
            out: &mut $core.out,
            events: &mut $core.call_events,
            now: $now,
            wall: $core.origin.1 + $now.saturating_duration_since($core.origin.0),
            advertise: $core.options.advertise,
        }
    };
}

impl Core {
    pub fn new(config: Arc<Config>, options: CoreOptions, now: Instant) -> Self {
        let auth = Authenticator::new(&config.settings.domain, options.nonce_ttl);
        Core {
            config,
            options,
            auth,
            location: Location::default(),
            server: ServerTransactions::default(),
            client: ClientTransactions::default(),
            calls: Calls::default(),
            origin: (now, OffsetDateTime::now_utc()),
            out: Vec::new(),
            events: Vec::new(),
            call_events: Vec::new(),
        }
    }

    /// Switches to a newly applied configuration. Calls in progress go on;
    /// registrations of users that no longer exist are dropped.
    pub fn set_config(&mut self, config: Arc<Config>) {
        self.auth.set_realm(&config.settings.domain);
        let gone = self.location.retain_users(|user| config.users.contains_key(user));
        self.events.extend(gone.into_iter().map(CoreEvent::Registrations));
        self.config = config;
    }

    fn wall(&self, at: Instant) -> OffsetDateTime {
        self.origin.1 + at.saturating_duration_since(self.origin.0)
    }

    /// Takes what is to be sent and reported since the last call.
    pub fn drain(&mut self) -> (Vec<Outbound>, Vec<CoreEvent>) {
        let mut events = std::mem::take(&mut self.events);
        events.extend(self.call_events.drain(..).map(CoreEvent::Call));
        (std::mem::take(&mut self.out), events)
    }

    /// One message off the wire: a datagram, or one framed from a stream.
    pub fn on_message(&mut self, bytes: &[u8], flow: Flow, now: Instant) {
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return; // keep-alive (RFC 5626 §3.5.1)
        }
        match Message::parse(bytes) {
            Ok(message) if message.is_request() => self.on_request(message, flow, now),
            Ok(message) => self.on_response(message, flow, now),
            Err(error) => self.refuse_unparseable(bytes, &error, &flow),
        }
    }

    /// A request we cannot parse gets 501 for an unknown method and 400
    /// otherwise, when enough headers survive to address a response;
    /// anything else is dropped.
    fn refuse_unparseable(&mut self, bytes: &[u8], error: &ParseError, flow: &Flow) {
        tracing::debug!(peer = %flow.peer, %error, "unparseable message");
        let code = match error {
            ParseError::UnknownMethod(_) => 501,
            ParseError::Version(_) => 505,
            _ => 400,
        };
        if let Some(response) = salvage_response(bytes, code) {
            self.out.push(Outbound { flow: flow.clone(), bytes: response.to_bytes() });
        }
    }

    fn on_request(&mut self, request: Message, flow: Flow, now: Instant) {
        match self.server.receive(&request, &flow, now) {
            Arrival::New => {}
            Arrival::Retransmission(resend) => {
                self.out.extend(resend);
                return;
            }
            Arrival::AckAbsorbed => return,
            Arrival::AckForDialog => {
                self.calls.on_request(&mut io!(self, now), &request, &flow);
                return;
            }
            Arrival::Overloaded => {
                self.respond(&request, 503, &flow, now);
                return;
            }
        }

        let in_dialog = request.to_tag().is_some();
        match request.method() {
            "REGISTER" => self.register(&request, &flow, now),
            "OPTIONS" if !in_dialog => {
                let mut ok = self.response(&request, 200);
                ok.push("Allow", ALLOW);
                ok.push("Accept", "application/sdp");
                self.send_response(&request, &ok, &flow, now);
            }
            "CANCEL" => self.cancel(&request, &flow, now),
            "INVITE" if !in_dialog => self.invite(request, flow, now),
            _ if self.calls.knows(request.call_id()) => {
                self.calls.on_request(&mut io!(self, now), &request, &flow)
            }
            "SUBSCRIBE" => self.respond(&request, 489, &flow, now),
            "MESSAGE" | "PUBLISH" | "REFER" | "NOTIFY" => {
                let mut refusal = self.response(&request, 405);
                refusal.push("Allow", ALLOW);
                self.send_response(&request, &refusal, &flow, now);
            }
            _ => self.respond(&request, 481, &flow, now),
        }
    }

    fn on_response(&mut self, response: Message, flow: Flow, now: Instant) {
        match self.client.receive(&response, now, &mut self.out) {
            ResponseFor::Owner(owner) => {
                self.calls.on_response(&mut io!(self, now), owner, &response, &flow)
            }
            ResponseFor::Absorbed => {}
            ResponseFor::Unknown => self.calls.on_stray_response(&mut io!(self, now), &response),
        }
    }

    fn register(&mut self, request: &Message, flow: &Flow, now: Instant) {
        let Some(aor) = request.user_of("To") else {
            return self.respond(request, 400, flow, now);
        };
        let Some(user) = self.authenticate(request, "Authorization", flow, now) else { return };
        if user != aor {
            return self.respond(request, 403, flow, now);
        }

        let result = self.location.register(&aor, request, flow, self.options.expiry, now);
        match result {
            Ok(registered) => {
                let mut ok = self.response(request, 200);
                for (contact, seconds) in &registered.bindings {
                    ok.push("Contact", format!("<{contact}>;expires={seconds}"));
                }
                self.send_response(request, &ok, flow, now);
                if registered.changed {
                    tracing::info!(user = %aor, peer = %flow.peer, "registration changed");
                }
                // A refresh moves the expiry, which consoles count down.
                self.events.push(CoreEvent::Registrations(aor));
            }
            Err(refusal) => {
                let mut response = self.response(request, refusal.code);
                for (name, value) in refusal.headers {
                    response.push(name, value);
                }
                response.push("Warning", format!("399 switchboard \"{}\"", refusal.reason));
                self.send_response(request, &response, flow, now);
            }
        }
    }

    /// Checks credentials; answers the challenge or refusal itself and
    /// returns the user only when the request may go on.
    fn authenticate(
        &mut self,
        request: &Message,
        header: &str,
        flow: &Flow,
        now: Instant,
    ) -> Option<String> {
        let users = &self.config.users;
        let credentials = request.header(header).or_else(|| request.header(other_header(header)));
        let verdict = self.auth.check(credentials, request.method(), now, |name| {
            users.get(name).map(|user| user.sip_password.clone())
        });
        let (challenge_code, challenge_header) = if header == "Authorization" {
            (401, "WWW-Authenticate")
        } else {
            (407, "Proxy-Authenticate")
        };
        match verdict {
            Verdict::Accepted { user } => Some(user),
            Verdict::Missing | Verdict::Stale => {
                let challenge = self.auth.challenge(now, verdict == Verdict::Stale);
                let mut response = self.response(request, challenge_code);
                response.push(challenge_header, challenge);
                self.send_response(request, &response, flow, now);
                None
            }
            Verdict::Refused => {
                tracing::info!(peer = %flow.peer, method = request.method(), "authentication refused");
                self.respond(request, 403, flow, now);
                None
            }
        }
    }

    fn cancel(&mut self, request: &Message, flow: &Flow, now: Instant) {
        let Some(branch) = request.branch() else { return };
        let key = Key::new(branch, "INVITE");
        // RFC 3261 §9.2: the CANCEL is answered first, then the INVITE with 487.
        if self.calls.knows_invite(&key) {
            self.respond(request, 200, flow, now);
            self.calls.on_cancel(&mut io!(self, now), &key);
        } else {
            self.respond(request, 481, flow, now);
        }
    }

    fn invite(&mut self, request: Message, flow: Flow, now: Instant) {
        if request.max_forwards() == Some(0) {
            return self.respond(&request, 483, &flow, now);
        }
        let Some(caller) = self.authenticate(&request, "Proxy-Authorization", &flow, now) else {
            return;
        };
        let callee = request.request_uri().and_then(uri_user).unwrap_or_default().to_string();

        let Some(callee_user) = self.config.users.get(&callee) else {
            self.refuse_call(&request, &flow, now, (&caller, &callee), 404, CallOutcome::NotFound);
            return;
        };
        if self.calls.is_full() {
            return self.respond(&request, 503, &flow, now);
        }
        if !callee_user.multiple_calls && self.calls.in_answered_call(&callee) {
            self.refuse_call(&request, &flow, now, (&caller, &callee), 486, CallOutcome::Busy);
            return;
        }
        let targets: Vec<Target> = self
            .location
            .bindings(&callee, now)
            .into_iter()
            // Calling your own number does not ring the phone you call from.
            .filter(|binding| binding.flow.peer != flow.peer)
            .map(|binding| Target {
                contact: binding.contact.clone(),
                flow: toward_contact(&binding.flow, &binding.contact),
            })
            .collect();
        if targets.is_empty() {
            let outcome = CallOutcome::Unavailable;
            self.refuse_call(&request, &flow, now, (&caller, &callee), 480, outcome);
            return;
        }

        let trying = Message::response_to(&request, 100, None);
        self.out.push(self.server.respond(&request, &trying, &flow, now));
        let parties = Parties {
            caller_name: self.config.users.get(&caller).map(|u| u.name.clone()).unwrap_or_default(),
            caller,
            callee,
            domain: self.config.settings.domain.clone(),
        };
        self.calls.start(&mut io!(self, now), request, flow, parties, targets);
    }

    /// Answers a call attempt that cannot go anywhere and records it.
    fn refuse_call(
        &mut self,
        request: &Message,
        flow: &Flow,
        now: Instant,
        (caller, callee): (&str, &str),
        code: u16,
        outcome: CallOutcome,
    ) {
        self.respond(request, code, flow, now);
        let at = self.wall(now);
        self.call_events.push(CallEvent::Ended(CallRecord {
            id: format!("{}0000", dialog::token()),
            caller: caller.to_string(),
            callee: callee.to_string(),
            started_at: at,
            answered_at: None,
            ended_at: at,
            outcome,
        }));
    }

    /// A response with a To tag of ours, as every final answer needs.
    fn response(&self, request: &Message, code: u16) -> Message {
        let mut response = Message::response_to(request, code, Some(&dialog::token()));
        response.push("Server", "switchboard");
        response
    }

    fn respond(&mut self, request: &Message, code: u16, flow: &Flow, now: Instant) {
        let response = self.response(request, code);
        self.send_response(request, &response, flow, now);
    }

    fn send_response(&mut self, request: &Message, response: &Message, flow: &Flow, now: Instant) {
        self.out.push(self.server.respond(request, response, flow, now));
    }

    /// Retransmissions, timeouts and expiries that are due.
    pub fn on_timer(&mut self, now: Instant) {
        self.server.on_timer(now, &mut self.out);
        let mut timeouts = Vec::new();
        self.client.on_timer(now, &mut self.out, &mut timeouts);
        for timeout in timeouts {
            self.calls.on_timeout(&mut io!(self, now), timeout.owner, &timeout.method);
        }
        self.calls.on_timer(&mut io!(self, now));
        let expired = self.location.expire(now);
        self.events.extend(expired.into_iter().map(CoreEvent::Registrations));
    }

    /// When [`Core::on_timer`] next has something to do.
    pub fn next_deadline(&self) -> Option<Instant> {
        [
            self.server.next_deadline(),
            self.client.next_deadline(),
            self.calls.next_deadline(),
            self.location.next_expiry(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Ends every call, for a clean stop.
    pub fn end_all_calls(&mut self, now: Instant) {
        self.calls.end_all(&mut io!(self, now));
    }

    pub fn registrations(&self, now: Instant) -> Vec<RegistrationView> {
        let mut list: Vec<RegistrationView> =
            self.location.all(now).map(|(user, binding)| self.view(user, binding)).collect();
        list.sort_by(|a, b| (&a.user, &a.contact).cmp(&(&b.user, &b.contact)));
        list
    }

    pub fn registrations_of(&self, user: &str, now: Instant) -> Vec<RegistrationView> {
        self.location.bindings(user, now).into_iter().map(|b| self.view(user, b)).collect()
    }

    fn view(&self, user: &str, binding: &super::registrar::Binding) -> RegistrationView {
        RegistrationView {
            user: user.to_string(),
            contact: binding.contact.clone(),
            transport: match binding.flow.transport {
                Transport::Udp => "udp".to_string(),
                Transport::Tcp => "tcp".to_string(),
            },
            user_agent: binding.user_agent.clone(),
            expires_at: self.wall(binding.expires_at),
        }
    }

    /// The registrations to keep over a stop (see [`Location::save`]).
    pub fn save_registrations(&self, now: Instant) -> Vec<SavedBinding> {
        self.location.save(now, self.wall(now))
    }

    /// Takes back registrations kept by an earlier run.
    pub fn restore_registrations(
        &mut self,
        saved: Vec<SavedBinding>,
        now: Instant,
        flow_to: impl Fn(SocketAddr) -> Flow,
    ) {
        let users = &self.config.users;
        let restored = self.location.restore(
            saved,
            now,
            self.wall(now),
            |user| users.contains_key(user),
            flow_to,
        );
        self.events.extend(restored.into_iter().map(CoreEvent::Registrations));
    }

    pub fn live_calls(&self) -> Vec<LiveCall> {
        self.calls.live()
    }
}

/// Where to send requests for a binding. Over UDP, a phone whose Contact
/// names the very address it registered from (no NAT between us) is reached at
/// the port its Contact gives, which may differ from the port it sent from;
/// behind NAT, only the address it registered from is reachable. TCP always
/// reuses the phone's connection.
fn toward_contact(flow: &Flow, contact: &str) -> Flow {
    if flow.transport != Transport::Udp {
        return flow.clone();
    }
    match message::uri_socket_addr(contact) {
        Some(addr) if addr.ip() == flow.peer.ip() => Flow { peer: addr, ..flow.clone() },
        _ => flow.clone(),
    }
}

/// Proxy-Authorization answers a 407, Authorization a 401; phones sometimes
/// answer one with the other, and either is accepted.
fn other_header(header: &str) -> &'static str {
    if header == "Authorization" {
        "Proxy-Authorization"
    } else {
        "Authorization"
    }
}

/// Builds a response to a request that did not parse, from the headers that
/// can still be read line by line. None when it is not a request or lacks
/// what a response must copy.
fn salvage_response(bytes: &[u8], code: u16) -> Option<Message> {
    let text = String::from_utf8_lossy(bytes);
    let head = text.split("\r\n\r\n").next()?;
    let mut lines = head.split("\r\n");
    let first = lines.next()?;
    if first.starts_with("SIP/") || !first.contains(" SIP/") {
        return None;
    }
    let mut response = Message {
        start: message::StartLine::Response {
            code,
            reason: message::reason_phrase(code).to_string(),
        },
        headers: Vec::new(),
        body: Vec::new(),
    };
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let name = match name.trim() {
            "v" => "Via",
            "f" => "From",
            "t" => "To",
            "i" => "Call-ID",
            other => other,
        };
        for wanted in ["Via", "From", "To", "Call-ID", "CSeq"] {
            if name.eq_ignore_ascii_case(wanted) {
                response.push(wanted, value.trim());
            }
        }
    }
    let complete =
        ["Via", "From", "To", "Call-ID", "CSeq"].iter().all(|name| response.header(name).is_some());
    complete.then_some(response)
}
