//! One side of a call as a SIP dialog (RFC 3261 §12): the headers that name
//! it and what is needed to send requests within it. The call layer keeps one
//! dialog towards the caller and one towards each contact of the callee.

use std::net::SocketAddr;

use rand::Rng;

use super::message::NameAddr;
use super::{Flow, Message, Transport};

/// The methods switchboard answers, for Allow headers.
pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE, REGISTER";

/// A dialog, seen from switchboard's end.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub call_id: String,
    /// Our end as it appears in the From of requests we send (with our tag).
    pub local: String,
    /// The far end as it appears in the To of requests we send (with its tag).
    pub remote: String,
    /// Where requests go: the far end's Contact URI.
    pub remote_target: String,
    pub flow: Flow,
    pub local_cseq: u32,
    /// Our Contact header value.
    pub contact: String,
}

impl Dialog {
    /// A request within the dialog, with a fresh branch and the next CSeq.
    pub fn request(&mut self, method: &str, advertise: Option<SocketAddr>) -> Message {
        self.local_cseq += 1;
        let mut request = Message::request(method, &self.remote_target);
        request.push("Via", via(&self.flow, advertise));
        request.push("Max-Forwards", "70");
        request.push("From", self.local.clone());
        request.push("To", self.remote.clone());
        request.push("Call-ID", self.call_id.clone());
        request.push("CSeq", format!("{} {method}", self.local_cseq));
        if method != "BYE" && method != "ACK" {
            request.push("Contact", self.contact.clone());
        }
        request
    }
}

/// A Via for a request we originate along `flow`.
pub fn via(flow: &Flow, advertise: Option<SocketAddr>) -> String {
    let host = advertise.unwrap_or(flow.local);
    format!("SIP/2.0/{} {host};branch=z9hG4bK{};rport", flow.transport.via_name(), token())
}

/// Our Contact for `user` along `flow`; TCP flows say so, so that requests
/// within the dialog come back over the same transport.
pub fn contact(user: &str, flow: &Flow, advertise: Option<SocketAddr>) -> String {
    let host = advertise.unwrap_or(flow.local);
    match flow.transport {
        Transport::Udp => format!("<sip:{user}@{host}>"),
        Transport::Tcp => format!("<sip:{user}@{host};transport=tcp>"),
    }
}

/// A random token for tags, branches and Call-IDs.
pub fn token() -> String {
    format!("{:016x}", rand::rng().random::<u64>())
}

/// The Contact URI of a message, if it has one.
pub fn contact_uri(message: &Message) -> Option<String> {
    message.header("Contact").map(|value| NameAddr::parse(value).uri.to_string())
}

/// Copies the session description, if any, from one message to another.
pub fn copy_body(from: &Message, to: &mut Message) {
    if from.body.is_empty() {
        return;
    }
    if let Some(content_type) = from.header("Content-Type") {
        to.push("Content-Type", content_type);
    }
    to.body = from.body.clone();
}
