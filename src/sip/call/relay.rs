//! Requests within a connected call (re-INVITE, UPDATE, INFO, …) passed from
//! one side to the other, and their answers passed back.

use super::leg::ack_for_answer;
use super::{Call, Io};
use crate::sip::dialog::copy_body;
use crate::sip::transaction::Leg;
use crate::sip::{Message, Outbound};

/// A request relayed from one side to the other, waiting for its answer.
pub(super) struct Relay {
    pub(super) request: Message,
    pub(super) from: Leg,
}

/// The far side answered a relayed request: answer the side that sent it.
pub(super) fn finish_relay(
    io: &mut Io,
    call: &mut Call,
    answered_by: Leg,
    relay: Relay,
    response: &Message,
) {
    let code = response.status().unwrap_or(500);
    if code < 200 {
        // Still waiting: put it back for the final answer.
        if let Some(branch) = response.branch() {
            call.relays.insert(branch.to_string(), relay);
        }
        return;
    }
    if response.method() == "INVITE" && code < 300 {
        if let Some(dialog) = call.dialog_mut(answered_by) {
            let ack = ack_for_answer(dialog, io.advertise);
            io.out.push(Outbound { flow: dialog.flow.clone(), bytes: ack });
        }
    }
    let Some(origin) = call.dialog_mut(relay.from) else { return };
    let mut answer = Message::response_to(&relay.request, code, None);
    if code < 300 && relay.request.method() == "INVITE" {
        answer.push("Contact", origin.contact.clone());
    }
    copy_body(response, &mut answer);
    let flow = origin.flow.clone();
    io.out.push(io.server.respond(&relay.request, &answer, &flow, io.now));
}
