//! One contact of the callee being rung: its state, and the requests that
//! move it along outside the normal answer (CANCEL, the ACK of a 2xx, and the
//! hang-up of an answer that came too late).

use std::net::SocketAddr;

use super::Io;
use crate::sip::dialog::{self, Dialog};
use crate::sip::transaction::{Leg, Owner};
use crate::sip::{Flow, Message, Outbound};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LegState {
    Trying,
    Ringing,
    /// CANCEL asked for; sent once the leg has answered provisionally.
    Cancelling {
        sent: bool,
    },
    Answered,
    Failed(u16),
}

pub(super) struct CalleeLeg {
    pub(super) invite: Message,
    pub(super) dialog: Dialog,
    pub(super) state: LegState,
    /// The ACK sent for its 2xx, resent if the 2xx is retransmitted.
    pub(super) ack: Option<Vec<u8>>,
}

/// Asks a ringing leg to stop: CANCEL now if it has answered provisionally,
/// else as soon as it does (RFC 3261 §9.1).
pub(super) fn cancel_leg(io: &mut Io, id: u64, at: usize, leg: &mut CalleeLeg) {
    match leg.state {
        LegState::Ringing => send_cancel(io, id, at, leg),
        LegState::Trying => leg.state = LegState::Cancelling { sent: false },
        _ => {}
    }
}

pub(super) fn send_cancel(io: &mut Io, id: u64, at: usize, leg: &mut CalleeLeg) {
    leg.state = LegState::Cancelling { sent: true };
    let invite = &leg.invite;
    let mut cancel = Message::request("CANCEL", invite.request_uri().unwrap_or_default());
    for name in ["Via", "Max-Forwards", "From", "To", "Call-ID"] {
        if let Some(value) = invite.header(name) {
            cancel.push(name, value);
        }
    }
    let number = invite.cseq().map(|(number, _)| number).unwrap_or(1);
    cancel.push("CSeq", format!("{number} CANCEL"));
    let owner = Owner { call: id, leg: Leg::Callee(at) };
    io.out.push(io.client.send(&cancel, &leg.dialog.flow, owner, io.now));
}

/// The ACK for a 2xx: a new transaction with the INVITE's CSeq number.
pub(super) fn ack_for_answer(dialog: &mut Dialog, advertise: Option<SocketAddr>) -> Vec<u8> {
    let invite_cseq = dialog.local_cseq;
    let mut ack = dialog.request("ACK", advertise);
    dialog.local_cseq = invite_cseq;
    ack.set("CSeq", format!("{invite_cseq} ACK"));
    ack.to_bytes()
}

/// A 2xx for a call that no longer exists: acknowledge it and hang up, so the
/// phone that answered does not stay off-hook alone.
pub(super) fn hang_up_orphan(io: &mut Io, response: &Message, flow: &Flow) {
    if response.method() != "INVITE" || !matches!(response.status(), Some(200..=299)) {
        return;
    }
    let (Some(from), Some(to), Some(target)) =
        (response.header("From"), response.header("To"), dialog::contact_uri(response))
    else {
        return;
    };
    let mut orphan = Dialog {
        call_id: response.call_id().to_string(),
        local: from.to_string(),
        remote: to.to_string(),
        remote_target: target,
        flow: flow.clone(),
        local_cseq: response.cseq().map(|(number, _)| number).unwrap_or(1),
        contact: String::new(),
    };
    let ack = ack_for_answer(&mut orphan, io.advertise);
    io.out.push(Outbound { flow: flow.clone(), bytes: ack });
    let bye = orphan.request("BYE", io.advertise);
    io.out.push(Outbound { flow: flow.clone(), bytes: bye.to_bytes() });
}
