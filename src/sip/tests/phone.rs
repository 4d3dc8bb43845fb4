//! A scripted phone for driving the core: it writes requests as a SIP phone
//! would, answers challenges with digest credentials and reads what the core
//! sent to it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::config::{Config, Settings, User};
use crate::sip::core::{Core, CoreEvent, CoreOptions};
use crate::sip::digest::md5_hex;
use crate::sip::message::param;
use crate::sip::registrar::ExpiryLimits;
use crate::sip::{Flow, Message, Transport};

pub const DOMAIN: &str = "office.test";

pub fn config(users: &[(&str, bool)]) -> Arc<Config> {
    let mut map = BTreeMap::new();
    for (extension, multiple_calls) in users {
        map.insert(
            extension.to_string(),
            User {
                extension: extension.to_string(),
                name: format!("User {extension}"),
                email: None,
                gsm: None,
                voicemail: false,
                outgoing_number: None,
                multiple_calls: *multiple_calls,
                sip_password: format!("pw-{extension}"),
                ..User::default()
            },
        );
    }
    Arc::new(Config {
        settings: Settings { domain: DOMAIN.into(), proxy: String::new() },
        users: map,
        ..Config::default()
    })
}

pub fn core(config: Arc<Config>, start: Instant) -> Core {
    let options = CoreOptions {
        nonce_ttl: Duration::from_secs(300),
        expiry: ExpiryLimits { min: 60, max: 3600 },
        advertise: None,
    };
    Core::new(config, options, start)
}

/// One phone of one user, at its own UDP port.
pub struct Phone {
    pub user: String,
    pub port: u16,
    cseq: u32,
    nc: u32,
}

impl Phone {
    pub fn new(user: &str, port: u16) -> Self {
        Phone { user: user.into(), port, cseq: 0, nc: 0 }
    }

    pub fn flow(&self) -> Flow {
        Flow {
            transport: Transport::Udp,
            peer: SocketAddr::from(([127, 0, 0, 1], self.port)),
            local: SocketAddr::from(([127, 0, 0, 1], 5060)),
            connection: None,
        }
    }

    pub fn contact(&self) -> String {
        format!("sip:{}@127.0.0.1:{}", self.user, self.port)
    }

    /// A request from this phone with a fresh branch and the next CSeq.
    pub fn request(&mut self, method: &str, uri: &str, call_id: &str, to: &str) -> Message {
        self.cseq += 1;
        let mut request = Message::request(method, uri);
        request.push(
            "Via",
            format!("SIP/2.0/UDP 127.0.0.1:{};branch=z9hG4bK{}{}", self.port, call_id, self.cseq),
        );
        request.push("Max-Forwards", "70");
        request.push("From", format!("<sip:{}@{DOMAIN}>;tag=t{}", self.user, self.port));
        request.push("To", to.to_string());
        request.push("Call-ID", call_id);
        request.push("CSeq", format!("{} {method}", self.cseq));
        request.push("Contact", format!("<{}>", self.contact()));
        request
    }

    /// Adds credentials answering `challenge` (a 401 or 407).
    pub fn authorize(&mut self, request: &mut Message, challenge: &Message) {
        let (header, answer) = match challenge.status() {
            Some(401) => ("WWW-Authenticate", "Authorization"),
            _ => ("Proxy-Authenticate", "Proxy-Authorization"),
        };
        let value = challenge.header(header).expect("challenge header");
        let nonce =
            param(&format!(";{}", value.replace(", ", ";").trim_start_matches("Digest ")), "nonce")
                .expect("nonce")
                .to_string();
        self.nc += 1;
        let nc = format!("{:08x}", self.nc);
        let uri = request.request_uri().expect("request").to_string();
        let ha1 = md5_hex(&format!("{}:{DOMAIN}:pw-{}", self.user, self.user));
        let ha2 = md5_hex(&format!("{}:{uri}", request.method()));
        let response = md5_hex(&format!("{ha1}:{nonce}:{nc}:c0ffee:auth:{ha2}"));
        request.push(
            answer,
            format!(
                "Digest username=\"{}\", realm=\"{DOMAIN}\", nonce=\"{nonce}\", uri=\"{uri}\", \
                 response=\"{response}\", algorithm=MD5, qop=auth, nc={nc}, cnonce=\"c0ffee\"",
                self.user
            ),
        );
    }
}

/// Feeds a message to the core and returns what it sent, as parsed messages
/// with the port each went to.
pub fn send(core: &mut Core, from: &Phone, message: &Message, now: Instant) -> Vec<(u16, Message)> {
    core.on_message(&message.to_bytes(), from.flow(), now);
    sent(core)
}

thread_local! {
    /// Events the core reported while a test read what it sent.
    pub static EVENTS: std::cell::RefCell<Vec<CoreEvent>> = const { std::cell::RefCell::new(Vec::new()) };
}

pub fn sent(core: &mut Core) -> Vec<(u16, Message)> {
    let (out, events) = core.drain();
    EVENTS.with(|kept| kept.borrow_mut().extend(events));
    out.into_iter()
        .map(|o| (o.flow.peer.port(), Message::parse(&o.bytes).expect("core sends valid SIP")))
        .collect()
}

/// Registers a phone, answering the challenge.
pub fn register(core: &mut Core, phone: &mut Phone, now: Instant) {
    let to = format!("<sip:{}@{DOMAIN}>", phone.user);
    let call_id = format!("reg-{}", phone.port);
    let first = phone.request("REGISTER", &format!("sip:{DOMAIN}"), &call_id, &to);
    let challenge = send(core, phone, &first, now).remove(0).1;
    assert_eq!(challenge.status(), Some(401));
    let mut second = phone.request("REGISTER", &format!("sip:{DOMAIN}"), &call_id, &to);
    phone.authorize(&mut second, &challenge);
    let ok = send(core, phone, &second, now).remove(0).1;
    assert_eq!(ok.status(), Some(200), "registration of {}", phone.user);
}
