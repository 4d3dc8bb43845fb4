//! Transactions (RFC 3261 §17): retransmitting over UDP, absorbing
//! retransmissions from the far end, and ending on the timers the RFC names.
//!
//! Server transactions remember the last response so a retransmitted request
//! gets it again without reaching the layers above. Client transactions
//! retransmit requests until a response comes and send the ACK for a failed
//! INVITE themselves (§17.1.1.3). Nothing here does I/O; time is an input.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::deadlines::Deadlines;
use super::{Flow, Message, Outbound, Transport};

/// RFC 3261 §17.1.1.1 timer values.
pub const T1: Duration = Duration::from_millis(500);
pub const T2: Duration = Duration::from_secs(4);
pub const T4: Duration = Duration::from_secs(5);

/// Outsiders can open transactions at will. Past this many, the oldest
/// finished one (kept only to absorb retransmissions) makes room; when none is
/// finished, new requests are refused with 503.
pub const MAX_TRANSACTIONS: usize = 100_000;

/// A transaction is named by the branch of the top Via and its method, with
/// ACK folded into INVITE (§17.2.3). The pair is kept as a 128-bit
/// fingerprint under keys chosen at random when the process starts: tens of
/// thousands of transactions are open under load, and a fingerprint costs no
/// allocation wherever it is stored, while outsiders cannot aim collisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(u128);

impl Key {
    pub fn of(message: &Message) -> Option<Key> {
        let method = match message.method() {
            "ACK" => "INVITE",
            other => other,
        };
        Some(Key::new(message.branch()?, method))
    }

    pub fn new(branch: &str, method: &str) -> Key {
        use std::hash::BuildHasher;
        static SEEDS: std::sync::OnceLock<[std::collections::hash_map::RandomState; 2]> =
            std::sync::OnceLock::new();
        let [high, low] = SEEDS.get_or_init(Default::default);
        let half = |seed: &std::collections::hash_map::RandomState| seed.hash_one((branch, method));
        Key((u128::from(half(high)) << 64) | u128::from(half(low)))
    }
}

/// Retransmission schedule: next time, current interval and when to give up.
#[derive(Debug, Clone)]
struct Resend {
    at: Instant,
    interval: Duration,
    cap: Duration,
}

impl Resend {
    fn start(now: Instant, cap: Duration) -> Self {
        Resend { at: now + T1, interval: T1, cap }
    }

    fn advance(&mut self, now: Instant) {
        self.interval = (self.interval * 2).min(self.cap);
        self.at = now + self.interval;
    }
}

struct ServerTransaction {
    flow: Flow,
    last_response: Option<Vec<u8>>,
    /// Set for an INVITE answered with a failure, until its ACK (timer G).
    resend: Option<Resend>,
    /// When the transaction is forgotten (timers H, I, J, or a safety limit).
    ends_at: Instant,
    acked: bool,
}

/// What a request amounts to for the transaction layer.
#[derive(Debug, PartialEq, Eq)]
pub enum Arrival {
    /// A new request for the layers above.
    New,
    /// A retransmission; resend this, if anything was answered yet.
    Retransmission(Option<Outbound>),
    /// The ACK of a failure response: the transaction absorbs it.
    AckAbsorbed,
    /// An ACK no server transaction owns: the ACK of a 2xx, for the dialog.
    AckForDialog,
    /// Too many transactions open; answer 503 without keeping state.
    Overloaded,
}

/// All server transactions.
#[derive(Default)]
pub struct ServerTransactions {
    open: HashMap<Key, ServerTransaction>,
    deadlines: Deadlines<Key>,
    /// Finished transactions, oldest first: the first to go when full.
    finished: VecDeque<Key>,
}

impl ServerTransactions {
    pub fn receive(&mut self, request: &Message, flow: &Flow, now: Instant) -> Arrival {
        let Some(key) = Key::of(request) else { return Arrival::New };
        let is_ack = request.method() == "ACK";
        let full = self.open.len() >= MAX_TRANSACTIONS && !self.open.contains_key(&key) && {
            !is_ack && !self.evict_finished()
        };
        match self.open.get_mut(&key) {
            Some(transaction) if is_ack => {
                if transaction.resend.take().is_some() || transaction.acked {
                    transaction.acked = true;
                    // Timer I: linger to absorb ACK retransmissions.
                    transaction.ends_at = now + linger(flow, T4);
                    self.deadlines.schedule(transaction.ends_at, key);
                    Arrival::AckAbsorbed
                } else {
                    Arrival::AckForDialog
                }
            }
            Some(transaction) => Arrival::Retransmission(
                transaction
                    .last_response
                    .clone()
                    .map(|bytes| Outbound { flow: transaction.flow.clone(), bytes }),
            ),
            None if is_ack => Arrival::AckForDialog,
            None if full => Arrival::Overloaded,
            None => {
                self.deadlines.schedule(now + 64 * T1, key);
                self.open.insert(
                    key,
                    ServerTransaction {
                        flow: flow.clone(),
                        last_response: None,
                        resend: None,
                        // A request never answered is dropped after timer B's span.
                        ends_at: now + 64 * T1,
                        acked: false,
                    },
                );
                Arrival::New
            }
        }
    }

    /// Sends `response` within the transaction of `request` and remembers it.
    /// `flow` is where the request came from; a response outside any
    /// transaction (a stateless 400 or 503) goes back along it.
    pub fn respond(
        &mut self,
        request: &Message,
        response: &Message,
        flow: &Flow,
        now: Instant,
    ) -> Outbound {
        let bytes = with_received(response, flow).to_bytes();
        let code = response.status().unwrap_or(500);
        let Some((key, transaction)) =
            Key::of(request).and_then(|key| self.open.get_mut(&key).map(|t| (key, t)))
        else {
            // A response outside any transaction (e.g. to a stateless 400).
            return Outbound { flow: flow.clone(), bytes };
        };
        transaction.last_response = Some(bytes.clone());
        let is_invite = request.method() == "INVITE";
        if code >= 200 {
            if is_invite && code >= 300 {
                // Timer G retransmits until the ACK; timer H gives up.
                if transaction.flow.transport == Transport::Udp {
                    transaction.resend = Some(Resend::start(now, T2));
                } else {
                    // Nothing to resend over TCP, but the ACK is still awaited.
                    transaction.resend = Some(Resend { at: now + 64 * T1, interval: T1, cap: T2 });
                }
                transaction.ends_at = now + 64 * T1;
            } else if is_invite {
                // A 2xx ends the INVITE transaction; the dialog layer
                // retransmits it (§13.3.1.4). Keep it briefly for retransmitted INVITEs.
                transaction.ends_at = now + 64 * T1;
                self.finished.push_back(key);
            } else {
                // Timer J.
                transaction.ends_at = now + linger(&transaction.flow, 64 * T1);
                self.finished.push_back(key);
            }
            self.deadlines.schedule(transaction.next_deadline(), key);
        }
        Outbound { flow: transaction.flow.clone(), bytes }
    }

    /// Resends failure responses whose ACK has not come and forgets ended
    /// transactions.
    pub fn on_timer(&mut self, now: Instant, out: &mut Vec<Outbound>) {
        for key in self.deadlines.pop_due(now) {
            let Some(transaction) = self.open.get_mut(&key) else { continue };
            if transaction.ends_at <= now {
                self.open.remove(&key);
                continue;
            }
            if let Some(resend) = transaction.resend.as_mut() {
                if resend.at <= now {
                    if transaction.flow.transport == Transport::Udp {
                        if let Some(bytes) = &transaction.last_response {
                            let flow = transaction.flow.clone();
                            out.push(Outbound { flow, bytes: bytes.clone() });
                        }
                    }
                    resend.advance(now);
                }
            }
            self.deadlines.schedule(transaction.next_deadline(), key);
        }
        // Finished transactions end in about the order they finished.
        while self.finished.front().is_some_and(|key| !self.open.contains_key(key)) {
            self.finished.pop_front();
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.next()
    }

    /// Forgets the oldest finished transaction; false when there is none.
    fn evict_finished(&mut self) -> bool {
        while let Some(key) = self.finished.pop_front() {
            let finished = self.open.get(&key).is_some_and(|t| t.resend.is_none());
            if finished {
                self.open.remove(&key);
                return true;
            }
        }
        false
    }

    pub fn len(&self) -> usize {
        self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

impl ServerTransaction {
    fn next_deadline(&self) -> Instant {
        self.resend.as_ref().map_or(self.ends_at, |resend| resend.at.min(self.ends_at))
    }
}

/// RFC 3581 §4: a request whose top Via asks with `rport` learns the address
/// and port it was seen from.
fn with_received<'a>(response: &'a Message, flow: &Flow) -> std::borrow::Cow<'a, Message> {
    let Some(top) = response.header("Via") else { return std::borrow::Cow::Borrowed(response) };
    let asks = top.split(';').skip(1).any(|param| param.trim().eq_ignore_ascii_case("rport"));
    if !asks {
        return std::borrow::Cow::Borrowed(response);
    }
    let stamped: Vec<String> = top
        .split(';')
        .map(|param| {
            if param.trim().eq_ignore_ascii_case("rport") {
                format!("rport={};received={}", flow.peer.port(), flow.peer.ip())
            } else {
                param.to_string()
            }
        })
        .collect();
    let mut response = response.clone();
    if let Some(via) =
        response.headers.iter_mut().find(|(name, _)| name.eq_ignore_ascii_case("Via"))
    {
        via.1 = stamped.join(";");
    }
    std::borrow::Cow::Owned(response)
}

/// Unreliable transports linger to absorb retransmissions; TCP does not need to.
fn linger(flow: &Flow, span: Duration) -> Duration {
    match flow.transport {
        Transport::Udp => span,
        Transport::Tcp => Duration::ZERO,
    }
}

/// Who a client transaction works for, so its responses find their way back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Owner {
    pub call: u64,
    pub leg: Leg,
}

/// A leg of a call: the caller's side or one of the callee's contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Leg {
    Caller,
    Callee(usize),
}

struct ClientTransaction {
    owner: Owner,
    flow: Flow,
    request: Vec<u8>,
    /// The ACK sent for a failure, resent if the failure is retransmitted.
    ack: Option<Vec<u8>>,
    method: String,
    is_invite: bool,
    answered: bool,
    resend: Option<Resend>,
    /// Timer B or F while waiting; timer D or K once completed.
    ends_at: Instant,
}

/// What a response means once the client transaction has seen it.
#[derive(Debug)]
pub enum ResponseFor {
    /// The first sight of this response: for the owner.
    Owner(Owner),
    /// A retransmission the transaction absorbed.
    Absorbed,
    /// No transaction knows it (a retransmitted 2xx to INVITE, or garbage).
    Unknown,
}

/// A transaction that ended without a final response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedOut {
    pub owner: Owner,
    pub method: String,
}

/// All client transactions.
#[derive(Default)]
pub struct ClientTransactions {
    open: HashMap<Key, ClientTransaction>,
    deadlines: Deadlines<Key>,
}

impl ClientTransactions {
    /// Starts a transaction for `request` and returns the first send.
    pub fn send(&mut self, request: &Message, flow: &Flow, owner: Owner, now: Instant) -> Outbound {
        let bytes = request.to_bytes();
        let is_invite = request.method() == "INVITE";
        let resend = (flow.transport == Transport::Udp)
            .then(|| Resend::start(now, if is_invite { Duration::MAX } else { T2 }));
        if let Some(key) = Key::of(request) {
            let first = resend.as_ref().map_or(now + 64 * T1, |resend: &Resend| resend.at);
            self.deadlines.schedule(first, key);
            self.open.insert(
                key,
                ClientTransaction {
                    owner,
                    flow: flow.clone(),
                    request: bytes.clone(),
                    ack: None,
                    method: request.method().to_string(),
                    is_invite,
                    answered: false,
                    resend,
                    ends_at: now + 64 * T1,
                },
            );
        }
        Outbound { flow: flow.clone(), bytes }
    }

    /// Matches a response to its transaction (§17.1.3) and moves it along.
    /// For a failed INVITE the ACK to send is pushed to `out`.
    pub fn receive(
        &mut self,
        response: &Message,
        now: Instant,
        out: &mut Vec<Outbound>,
    ) -> ResponseFor {
        let Some(key) = Key::of(response) else { return ResponseFor::Unknown };
        let code = response.status().unwrap_or(0);
        let Some(transaction) = self.open.get_mut(&key) else { return ResponseFor::Unknown };

        if let Some(ack) = &transaction.ack {
            out.push(Outbound { flow: transaction.flow.clone(), bytes: ack.clone() });
            return ResponseFor::Absorbed;
        }
        if transaction.answered && code >= 200 && !transaction.is_invite {
            return ResponseFor::Absorbed;
        }
        let owner = transaction.owner;

        if code < 200 {
            // Proceeding: an INVITE stops retransmitting; a non-INVITE keeps at T2.
            if transaction.is_invite {
                transaction.resend = None;
                // Timer C spirit: a phone that rings forever is given up on by the call layer.
                transaction.ends_at = now + Duration::from_secs(300);
                self.deadlines.schedule(transaction.ends_at, key);
            }
            return ResponseFor::Owner(owner);
        }

        transaction.answered = true;
        transaction.resend = None;
        if transaction.is_invite && code >= 300 {
            let ack = ack_for_failure(&transaction.request, response);
            if let Some(ack) = ack {
                out.push(Outbound { flow: transaction.flow.clone(), bytes: ack.clone() });
                transaction.ack = Some(ack);
            }
            // Timer D.
            transaction.ends_at = now + linger(&transaction.flow, Duration::from_secs(32));
        } else if transaction.is_invite {
            // A 2xx ends the client INVITE transaction; the call ACKs it.
            self.open.remove(&key);
        } else {
            // Timer K.
            transaction.ends_at = now + linger(&transaction.flow, T4);
        }
        if let Some(transaction) = self.open.get(&key) {
            self.deadlines.schedule(transaction.ends_at, key);
        }
        ResponseFor::Owner(owner)
    }

    pub fn on_timer(
        &mut self,
        now: Instant,
        out: &mut Vec<Outbound>,
        timeouts: &mut Vec<TimedOut>,
    ) {
        for key in self.deadlines.pop_due(now) {
            let Some(transaction) = self.open.get_mut(&key) else { continue };
            if transaction.ends_at <= now {
                if !transaction.answered {
                    let owner = transaction.owner;
                    let method = transaction.method.clone();
                    timeouts.push(TimedOut { owner, method });
                }
                self.open.remove(&key);
                continue;
            }
            if let Some(resend) = transaction.resend.as_mut() {
                if resend.at <= now {
                    let flow = transaction.flow.clone();
                    out.push(Outbound { flow, bytes: transaction.request.clone() });
                    resend.advance(now);
                }
            }
            let ends_at = transaction.ends_at;
            let next = transaction.resend.as_ref().map_or(ends_at, |r| r.at.min(ends_at));
            self.deadlines.schedule(next, key);
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.next()
    }
}

/// The ACK for a non-2xx final response: same branch, Request-URI, Call-ID,
/// From and CSeq number as the INVITE, To from the response (§17.1.1.3).
fn ack_for_failure(invite_bytes: &[u8], response: &Message) -> Option<Vec<u8>> {
    let invite = Message::parse(invite_bytes).ok()?;
    let mut ack = Message::request("ACK", invite.request_uri()?);
    ack.push("Via", invite.header("Via")?);
    for name in ["Route", "Max-Forwards", "From"] {
        for value in invite.header_values(name) {
            ack.push(name, value);
        }
    }
    ack.push("To", response.header("To")?);
    ack.push("Call-ID", invite.call_id());
    ack.push("CSeq", format!("{} ACK", invite.cseq()?.0));
    Some(ack.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow() -> Flow {
        Flow {
            transport: Transport::Udp,
            peer: ([127, 0, 0, 1], 5071).into(),
            local: ([127, 0, 0, 1], 5060).into(),
            connection: None,
        }
    }

    fn options(branch: &str) -> Message {
        let mut request = Message::request("OPTIONS", "sip:office");
        request.push("Via", format!("SIP/2.0/UDP 127.0.0.1:5070;branch={branch};rport"));
        request.push("From", "<sip:a@office>;tag=1");
        request.push("To", "<sip:office>");
        request.push("Call-ID", branch);
        request.push("CSeq", "1 OPTIONS");
        request
    }

    #[test]
    fn when_full_the_oldest_finished_transaction_makes_room() {
        let mut server = ServerTransactions::default();
        let now = Instant::now();
        for n in 0..MAX_TRANSACTIONS {
            let request = options(&format!("z9hG4bK{n}"));
            assert_eq!(server.receive(&request, &flow(), now), Arrival::New);
            let ok = Message::response_to(&request, 200, Some("t"));
            server.respond(&request, &ok, &flow(), now);
        }
        let late = options("z9hG4bKlate");
        assert_eq!(server.receive(&late, &flow(), now), Arrival::New);
        assert_eq!(server.len(), MAX_TRANSACTIONS);
        // The first one was forgotten, so its retransmission is new again.
        assert_eq!(server.receive(&options("z9hG4bK0"), &flow(), now), Arrival::New);
    }

    #[test]
    fn a_retransmission_gets_the_stored_answer_with_received_and_rport() {
        let mut server = ServerTransactions::default();
        let now = Instant::now();
        let request = options("z9hG4bKa");
        server.receive(&request, &flow(), now);
        let ok = Message::response_to(&request, 200, Some("t"));
        let first = server.respond(&request, &ok, &flow(), now);
        let sent = Message::parse(&first.bytes).expect("valid");
        assert_eq!(
            sent.header("Via"),
            Some("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa;rport=5071;received=127.0.0.1")
        );
        match server.receive(&request, &flow(), now) {
            Arrival::Retransmission(Some(again)) => assert_eq!(again.bytes, first.bytes),
            other => panic!("expected the stored answer, got {other:?}"),
        }
        server.on_timer(now + 64 * T1 + Duration::from_millis(1), &mut Vec::new());
        assert!(server.is_empty(), "timer J ends it");
    }
}
