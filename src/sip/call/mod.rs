//! Calls between users, as a back-to-back user agent: the caller's INVITE is
//! answered by switchboard, and a new leg rings every contact of the callee at
//! once. The first contact to answer is connected; the others get CANCEL.
//! Session descriptions are copied from leg to leg unchanged, so media flows
//! between the phones.
//!
//! The core hands this module authenticated INVITEs, responses of its client
//! transactions and requests within known dialogs. Nothing here does I/O.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

mod leg;
mod relay;

use leg::{ack_for_answer, cancel_leg, hang_up_orphan, send_cancel, CalleeLeg, LegState};
use relay::{finish_relay, Relay};

use super::deadlines::Deadlines;
use super::dialog::{self, copy_body, Dialog, ALLOW};
use super::transaction::{ClientTransactions, Key, Leg, Owner, ServerTransactions, T1, T2};
use super::{Flow, Message, Outbound};
use crate::control::api::{CallOutcome, CallRecord, CallState, LiveCall};

/// Calls beyond this many are refused with 503: every call holds state.
pub const MAX_CALLS: usize = 2_000;

/// A call nobody answers is given up after this long.
const RING_LIMIT: Duration = Duration::from_secs(120);

/// What the call layer reports upward.
#[derive(Debug, Clone, PartialEq)]
pub enum CallEvent {
    Updated(LiveCall),
    Ended(CallRecord),
}

/// Everything a call step may touch besides the call itself.
pub struct Io<'a> {
    pub server: &'a mut ServerTransactions,
    pub client: &'a mut ClientTransactions,
    pub out: &'a mut Vec<Outbound>,
    pub events: &'a mut Vec<CallEvent>,
    pub now: Instant,
    pub wall: OffsetDateTime,
    pub advertise: Option<SocketAddr>,
}

/// A contact of the callee to ring.
#[derive(Debug, Clone)]
pub struct Target {
    pub contact: String,
    pub flow: Flow,
}

/// Who calls whom, as the core established it.
#[derive(Debug, Clone)]
pub struct Parties {
    pub caller: String,
    pub caller_name: String,
    pub callee: String,
    pub domain: String,
}

/// The 2xx to the caller, resent until its ACK (RFC 3261 §13.3.1.4).
struct PendingOk {
    bytes: Vec<u8>,
    at: Instant,
    interval: Duration,
    give_up: Instant,
}

struct Call {
    record_id: String,
    parties: Parties,
    started_at: OffsetDateTime,
    answered_at: Option<OffsetDateTime>,
    ring_deadline: Instant,
    invite: Message,
    caller: Dialog,
    legs: Vec<CalleeLeg>,
    answered: Option<usize>,
    /// A final response went to the caller: nothing more may answer it.
    final_sent: bool,
    pending_ok: Option<PendingOk>,
    relays: HashMap<String, Relay>,
}

impl Call {
    fn live(&self) -> LiveCall {
        let state = match (self.answered, self.legs.iter().any(|l| l.state == LegState::Ringing)) {
            (Some(_), _) => CallState::Answered,
            (None, true) => CallState::Ringing,
            (None, false) => CallState::Calling,
        };
        LiveCall {
            id: self.record_id.clone(),
            caller: self.parties.caller.clone(),
            callee: self.parties.callee.clone(),
            state,
            started_at: self.started_at,
            answered_at: self.answered_at,
        }
    }

    fn dialog_mut(&mut self, leg: Leg) -> Option<&mut Dialog> {
        match leg {
            Leg::Caller => Some(&mut self.caller),
            Leg::Callee(at) => self.legs.get_mut(at).map(|leg| &mut leg.dialog),
        }
    }

    /// The side a request from `leg` is relayed to, once the call is answered.
    fn other_side(&self, leg: Leg) -> Option<Leg> {
        let answered = self.answered?;
        match leg {
            Leg::Caller => Some(Leg::Callee(answered)),
            Leg::Callee(at) if at == answered => Some(Leg::Caller),
            Leg::Callee(_) => None,
        }
    }
}

/// Every call in progress, and the indexes that find them.
#[derive(Default)]
pub struct Calls {
    calls: HashMap<u64, Call>,
    /// Call-ID of either side → the call and the side.
    by_call_id: HashMap<String, (u64, Leg)>,
    /// The caller's INVITE transaction → the call, for CANCEL.
    by_invite: HashMap<Key, u64>,
    /// When each call next needs its timer looked at.
    deadlines: Deadlines<u64>,
    next_id: u64,
}

impl Calls {
    pub fn live(&self) -> Vec<LiveCall> {
        let mut calls: Vec<LiveCall> = self.calls.values().map(Call::live).collect();
        calls.sort_by_key(|call| call.started_at);
        calls
    }

    pub fn is_full(&self) -> bool {
        self.calls.len() >= MAX_CALLS
    }

    /// Whether `user` is in an answered call.
    pub fn in_answered_call(&self, user: &str) -> bool {
        self.calls.values().any(|call| {
            call.answered.is_some() && (call.parties.caller == user || call.parties.callee == user)
        })
    }

    /// Whether a request belongs to a dialog of a call in progress.
    pub fn knows(&self, call_id: &str) -> bool {
        self.by_call_id.contains_key(call_id)
    }

    /// Whether a caller's INVITE transaction belongs to a call in progress.
    pub fn knows_invite(&self, key: &Key) -> bool {
        self.by_invite.contains_key(key)
    }

    /// Starts ringing `targets` for an authenticated INVITE. The 100 Trying
    /// has been sent by the caller of this function.
    pub fn start(
        &mut self,
        io: &mut Io,
        invite: Message,
        caller_flow: Flow,
        parties: Parties,
        targets: Vec<Target>,
    ) {
        self.next_id += 1;
        let id = self.next_id;
        let max_forwards = invite.max_forwards().unwrap_or(70).saturating_sub(1);

        let caller = Dialog {
            call_id: invite.call_id().to_string(),
            local: format!("{};tag={}", invite.header("To").unwrap_or(""), dialog::token()),
            remote: invite.header("From").unwrap_or("").to_string(),
            remote_target: dialog::contact_uri(&invite).unwrap_or_default(),
            contact: dialog::contact(&parties.callee, &caller_flow, io.advertise),
            flow: caller_flow,
            local_cseq: 0,
        };

        let mut legs = Vec::with_capacity(targets.len());
        for (at, target) in targets.into_iter().enumerate() {
            let mut leg_dialog = Dialog {
                call_id: format!("{}@switchboard", dialog::token()),
                local: format!(
                    "\"{}\" <sip:{}@{}>;tag={}",
                    parties.caller_name.replace('"', ""),
                    parties.caller,
                    parties.domain,
                    dialog::token()
                ),
                remote: format!("<sip:{}@{}>", parties.callee, parties.domain),
                remote_target: target.contact,
                contact: dialog::contact(&parties.caller, &target.flow, io.advertise),
                flow: target.flow,
                local_cseq: 0,
            };
            let mut leg_invite = leg_dialog.request("INVITE", io.advertise);
            leg_invite.set("Max-Forwards", max_forwards.to_string());
            leg_invite.push("Allow", ALLOW);
            leg_invite.push("User-Agent", "switchboard");
            copy_body(&invite, &mut leg_invite);

            let owner = Owner { call: id, leg: Leg::Callee(at) };
            io.out.push(io.client.send(&leg_invite, &leg_dialog.flow, owner, io.now));
            self.by_call_id.insert(leg_dialog.call_id.clone(), (id, Leg::Callee(at)));
            legs.push(CalleeLeg {
                invite: leg_invite,
                dialog: leg_dialog,
                state: LegState::Trying,
                ack: None,
            });
        }

        if let Some(key) = Key::of(&invite) {
            self.by_invite.insert(key, id);
        }
        self.by_call_id.insert(caller.call_id.clone(), (id, Leg::Caller));
        let call = Call {
            record_id: format!("{}{:04x}", dialog::token(), id & 0xffff),
            parties,
            started_at: io.wall,
            answered_at: None,
            ring_deadline: io.now + RING_LIMIT,
            invite,
            caller,
            legs,
            answered: None,
            final_sent: false,
            pending_ok: None,
            relays: HashMap::new(),
        };
        tracing::info!(
            call = %call.record_id,
            call_id = call.caller.call_id,
            caller = %call.parties.caller,
            callee = %call.parties.callee,
            "call started"
        );
        io.events.push(CallEvent::Updated(call.live()));
        self.deadlines.schedule(call.ring_deadline, id);
        self.calls.insert(id, call);
    }

    /// A response of one of the call's client transactions.
    pub fn on_response(&mut self, io: &mut Io, owner: Owner, response: &Message, flow: &Flow) {
        let Some(call) = self.calls.get_mut(&owner.call) else {
            hang_up_orphan(io, response, flow);
            return;
        };
        let code = response.status().unwrap_or(0);

        if let Some(branch) = response.branch() {
            if let Some(relay) = call.relays.remove(branch) {
                finish_relay(io, call, owner.leg, relay, response);
                return;
            }
        }
        if response.method() != "INVITE" {
            return;
        }
        let Leg::Callee(at) = owner.leg else { return };

        match code {
            100 => {}
            101..=199 => self.on_ringing(io, owner.call, at, response),
            200..=299 => self.on_answer(io, owner.call, at, response),
            _ => {
                if let Some(leg) = call.legs.get_mut(at) {
                    leg.state = LegState::Failed(code);
                }
                self.settle_if_all_failed(io, owner.call);
            }
        }
    }

    /// A 2xx no client transaction owns any more: a retransmission. The ACK
    /// we sent for it is lost, so it goes again.
    pub fn on_stray_response(&mut self, io: &mut Io, response: &Message) {
        let Some(&(id, Leg::Callee(at))) = self.by_call_id.get(response.call_id()) else {
            return;
        };
        let Some(leg) = self.calls.get(&id).and_then(|call| call.legs.get(at)) else { return };
        if let Some(ack) = &leg.ack {
            io.out.push(Outbound { flow: leg.dialog.flow.clone(), bytes: ack.clone() });
        }
    }

    fn on_ringing(&mut self, io: &mut Io, id: u64, at: usize, response: &Message) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        if at >= call.legs.len() {
            return;
        }
        let was_ringing = call.legs.iter().any(|l| l.state == LegState::Ringing);
        let leg = &mut call.legs[at];
        match leg.state {
            LegState::Trying => leg.state = LegState::Ringing,
            LegState::Cancelling { sent: false } => {
                send_cancel(io, id, at, leg);
                return;
            }
            _ => return,
        }
        if call.final_sent {
            return;
        }
        let code = response.status().unwrap_or(180);
        let mut ringing = Message::response_to(&call.invite, code, tag_of(&call.caller.local));
        ringing.push("Contact", call.caller.contact.clone());
        copy_body(response, &mut ringing);
        io.out.push(io.server.respond(&call.invite, &ringing, &call.caller.flow, io.now));
        if !was_ringing {
            io.events.push(CallEvent::Updated(call.live()));
        }
    }

    fn on_answer(&mut self, io: &mut Io, id: u64, at: usize, response: &Message) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let Some(leg) = call.legs.get_mut(at) else { return };
        if leg.state == LegState::Answered {
            return;
        }

        leg.dialog.remote = response.header("To").unwrap_or("").to_string();
        if let Some(target) = dialog::contact_uri(response) {
            leg.dialog.remote_target = target;
        }
        let ack = ack_for_answer(&mut leg.dialog, io.advertise);
        io.out.push(Outbound { flow: leg.dialog.flow.clone(), bytes: ack.clone() });
        leg.ack = Some(ack);

        if call.final_sent {
            // Answered too late (after CANCEL or another contact): hang it up.
            leg.state = LegState::Failed(200);
            let bye = leg.dialog.request("BYE", io.advertise);
            let owner = Owner { call: id, leg: Leg::Callee(at) };
            io.out.push(io.client.send(&bye, &leg.dialog.flow, owner, io.now));
            return;
        }
        leg.state = LegState::Answered;
        call.answered = Some(at);
        call.answered_at = Some(io.wall);
        call.final_sent = true;

        for other in 0..call.legs.len() {
            if other != at {
                cancel_leg(io, id, other, &mut call.legs[other]);
            }
        }

        let mut ok = Message::response_to(&call.invite, 200, tag_of(&call.caller.local));
        ok.push("Contact", call.caller.contact.clone());
        ok.push("Allow", ALLOW);
        copy_body(response, &mut ok);
        let sent = io.server.respond(&call.invite, &ok, &call.caller.flow, io.now);
        call.pending_ok = Some(PendingOk {
            bytes: sent.bytes.clone(),
            at: io.now + T1,
            interval: T1,
            give_up: io.now + 64 * T1,
        });
        self.deadlines.schedule(io.now + T1, id);
        io.out.push(sent);
        io.events.push(CallEvent::Updated(call.live()));
    }

    /// Once every contact has failed, the caller gets one final answer.
    fn settle_if_all_failed(&mut self, io: &mut Io, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        if call.final_sent {
            return;
        }
        let codes: Vec<u16> = call
            .legs
            .iter()
            .map(|leg| match leg.state {
                LegState::Failed(code) => Some(code),
                _ => None,
            })
            .collect::<Option<Vec<u16>>>()
            .unwrap_or_default();
        if codes.is_empty() {
            return;
        }
        let (code, outcome) = if codes.iter().any(|c| matches!(c, 486 | 600)) {
            (486, CallOutcome::Busy)
        } else if codes.iter().all(|c| matches!(c, 408 | 480)) {
            (480, CallOutcome::NoAnswer)
        } else if codes.iter().any(|c| matches!(c, 603)) {
            (603, CallOutcome::Busy)
        } else {
            (480, CallOutcome::Unavailable)
        };
        self.refuse_caller(io, id, code, outcome);
    }

    /// Sends the caller a final failure and ends the call.
    fn refuse_caller(&mut self, io: &mut Io, id: u64, code: u16, outcome: CallOutcome) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        if !call.final_sent {
            call.final_sent = true;
            let response = Message::response_to(&call.invite, code, tag_of(&call.caller.local));
            io.out.push(io.server.respond(&call.invite, &response, &call.caller.flow, io.now));
        }
        for at in 0..call.legs.len() {
            cancel_leg(io, id, at, &mut call.legs[at]);
        }
        self.end(io, id, outcome);
    }

    /// The caller sent CANCEL for the INVITE with this transaction key.
    /// Returns false when no call matches (the core answers 481).
    pub fn on_cancel(&mut self, io: &mut Io, invite_key: &Key) -> bool {
        let Some(&id) = self.by_invite.get(invite_key) else { return false };
        let final_sent = self.calls.get(&id).is_some_and(|call| call.final_sent);
        if !final_sent {
            self.refuse_caller(io, id, 487, CallOutcome::Cancelled);
        }
        true
    }

    /// A request within a known dialog (BYE, ACK, re-INVITE, INFO, …).
    pub fn on_request(&mut self, io: &mut Io, request: &Message, flow: &Flow) {
        let Some(&(id, leg)) = self.by_call_id.get(request.call_id()) else { return };
        let Some(call) = self.calls.get_mut(&id) else { return };
        let method = request.method().to_string();

        if method == "ACK" {
            if leg == Leg::Caller {
                call.pending_ok = None;
            }
            return;
        }
        if method == "BYE" {
            let ok = Message::response_to(request, 200, None);
            io.out.push(io.server.respond(request, &ok, flow, io.now));
            match (call.answered, call.other_side(leg)) {
                (Some(_), Some(other)) => {
                    if let Some(dialog) = call.dialog_mut(other) {
                        let bye = dialog.request("BYE", io.advertise);
                        let owner = Owner { call: id, leg: other };
                        io.out.push(io.client.send(&bye, &dialog.flow, owner, io.now));
                    }
                    self.end(io, id, CallOutcome::Answered);
                }
                (None, _) if leg == Leg::Caller => {
                    self.refuse_caller(io, id, 487, CallOutcome::Cancelled)
                }
                _ => {
                    if let Leg::Callee(at) = leg {
                        call.legs[at].state = LegState::Failed(487);
                    }
                    self.settle_if_all_failed(io, id);
                }
            }
            return;
        }

        // Anything else is relayed to the other side once connected.
        let Some(other) = call.other_side(leg) else {
            let refusal = Message::response_to(request, 481, None);
            io.out.push(io.server.respond(request, &refusal, flow, io.now));
            return;
        };
        let Some(dialog) = call.dialog_mut(other) else { return };
        let mut relayed = dialog.request(&method, io.advertise);
        copy_body(request, &mut relayed);
        let branch = relayed.branch().unwrap_or_default().to_string();
        io.out.push(io.client.send(&relayed, &dialog.flow, Owner { call: id, leg: other }, io.now));
        call.relays.insert(branch, Relay { request: request.clone(), from: leg });
    }

    /// A client transaction of this call ended without an answer.
    pub fn on_timeout(&mut self, io: &mut Io, owner: Owner, method: &str) {
        let Some(call) = self.calls.get_mut(&owner.call) else { return };
        match (method, owner.leg) {
            ("INVITE", Leg::Callee(at)) => {
                if let Some(leg) = call.legs.get_mut(at) {
                    if leg.state != LegState::Answered {
                        leg.state = LegState::Failed(408);
                    }
                }
                self.settle_if_all_failed(io, owner.call);
            }
            _ => {
                call.relays.retain(|_, relay| relay.from == owner.leg);
            }
        }
    }

    /// Resends unacknowledged 2xx to callers and gives up on calls that ring
    /// too long or whose 2xx is never acknowledged.
    pub fn on_timer(&mut self, io: &mut Io) {
        for id in self.deadlines.pop_due(io.now) {
            let Some(call) = self.calls.get_mut(&id) else { continue };
            if call.answered.is_none() && call.ring_deadline <= io.now {
                self.refuse_caller(io, id, 480, CallOutcome::NoAnswer);
                continue;
            }
            let Some(pending) = call.pending_ok.as_mut() else { continue };
            if pending.give_up <= io.now {
                self.hang_up(io, id, CallOutcome::Failed);
                continue;
            }
            if pending.at <= io.now {
                if call.caller.flow.transport == super::Transport::Udp {
                    let flow = call.caller.flow.clone();
                    io.out.push(Outbound { flow, bytes: pending.bytes.clone() });
                }
                pending.interval = (pending.interval * 2).min(T2);
                pending.at = io.now + pending.interval;
            }
            self.deadlines.schedule(pending.at.min(pending.give_up), id);
        }
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.next()
    }

    /// Ends every call: BYE to both sides of answered ones, a final failure
    /// to callers still waiting. Used when the PBX stops.
    pub fn end_all(&mut self, io: &mut Io) {
        let ids: Vec<u64> = self.calls.keys().copied().collect();
        for id in ids {
            let answered = self.calls.get(&id).is_some_and(|call| call.answered.is_some());
            if answered {
                self.hang_up(io, id, CallOutcome::Answered);
            } else {
                self.refuse_caller(io, id, 480, CallOutcome::Cancelled);
            }
        }
    }

    /// Sends BYE to both sides of an answered call and ends it.
    fn hang_up(&mut self, io: &mut Io, id: u64, outcome: CallOutcome) {
        let Some(call) = self.calls.get_mut(&id) else { return };
        let mut sides = vec![Leg::Caller];
        sides.extend(call.answered.map(Leg::Callee));
        for side in sides {
            if let Some(dialog) = call.dialog_mut(side) {
                let bye = dialog.request("BYE", io.advertise);
                let flow = dialog.flow.clone();
                io.out.push(io.client.send(&bye, &flow, Owner { call: id, leg: side }, io.now));
            }
        }
        self.end(io, id, outcome);
    }

    fn end(&mut self, io: &mut Io, id: u64, outcome: CallOutcome) {
        let Some(call) = self.calls.remove(&id) else { return };
        self.by_call_id.retain(|_, (call_id, _)| *call_id != id);
        self.by_invite.retain(|_, call_id| *call_id != id);
        io.events.push(CallEvent::Ended(CallRecord {
            id: call.record_id,
            caller: call.parties.caller,
            callee: call.parties.callee,
            started_at: call.started_at,
            answered_at: call.answered_at,
            ended_at: io.wall,
            outcome,
        }));
    }
}

fn tag_of(header: &str) -> Option<&str> {
    super::message::param(header, "tag")
}
