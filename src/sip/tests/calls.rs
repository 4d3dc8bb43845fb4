use std::time::{Duration, Instant};

use super::phone::{config, core, register, send, sent, Phone, DOMAIN, EVENTS};
use crate::control::api::{CallOutcome, CallState};
use crate::sip::call::CallEvent;
use crate::sip::core::{Core, CoreEvent};
use crate::sip::Message;

const SDP: &[u8] = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";

/// The caller's authenticated INVITE; returns what the core sent for it.
fn invite(
    core: &mut Core,
    caller: &mut Phone,
    callee: &str,
    call_id: &str,
    now: Instant,
) -> Vec<(u16, Message)> {
    let uri = format!("sip:{callee}@{DOMAIN}");
    let to = format!("<{uri}>");
    let mut first = caller.request("INVITE", &uri, call_id, &to);
    first.push("Content-Type", "application/sdp");
    first.body = SDP.to_vec();
    let challenge = send(core, caller, &first, now).remove(0).1;
    assert_eq!(challenge.status(), Some(407));
    let mut ack = Message::request("ACK", &uri);
    for name in ["Via", "From", "Call-ID"] {
        ack.push(name, first.header(name).unwrap());
    }
    ack.push("To", challenge.header("To").unwrap());
    ack.push("CSeq", format!("{} ACK", first.cseq().unwrap().0));
    assert!(send(core, caller, &ack, now).is_empty(), "the ACK of a 407 is absorbed");

    let mut second = caller.request("INVITE", &uri, call_id, &to);
    second.push("Content-Type", "application/sdp");
    second.body = SDP.to_vec();
    caller.authorize(&mut second, &challenge);
    send(core, caller, &second, now)
}

fn answer(request: &Message, code: u16, phone: &Phone) -> Message {
    let mut response = Message::response_to(request, code, Some(&format!("callee{}", phone.port)));
    response.push("Contact", format!("<{}>", phone.contact()));
    if code == 200 {
        response.push("Content-Type", "application/sdp");
        response.body = SDP.to_vec();
    }
    response
}

fn ended(core: &mut Core) -> Vec<CallOutcome> {
    sent(core);
    EVENTS
        .with(|kept| std::mem::take(&mut *kept.borrow_mut()))
        .into_iter()
        .filter_map(|event| match event {
            CoreEvent::Call(CallEvent::Ended(record)) => Some(record.outcome),
            _ => None,
        })
        .collect()
}

fn office(now: Instant) -> (Core, Phone, Phone) {
    let mut core = core(config(&[("1001", false), ("1002", false), ("1003", false)]), now);
    let mut alice = Phone::new("1001", 5101);
    let mut bob = Phone::new("1002", 5102);
    register(&mut core, &mut alice, now);
    register(&mut core, &mut bob, now);
    ended(&mut core);
    (core, alice, bob)
}

#[test]
fn a_call_is_answered_and_hung_up_by_the_caller() {
    let now = Instant::now();
    let (mut core, mut alice, bob) = office(now);

    let out = invite(&mut core, &mut alice, "1002", "call-1", now);
    assert_eq!(out[0].0, 5101);
    assert_eq!(out[0].1.status(), Some(100));
    let (port, leg) = &out[1];
    assert_eq!((*port, leg.method()), (5102, "INVITE"));
    assert_eq!(leg.body, SDP, "the offer is copied unchanged");
    assert_eq!(leg.header("Max-Forwards"), Some("69"));

    let ringing = send(&mut core, &bob, &answer(leg, 180, &bob), now);
    assert_eq!(ringing[0].1.status(), Some(180));
    assert_eq!(core.live_calls()[0].state, CallState::Ringing);

    let answered = send(&mut core, &bob, &answer(leg, 200, &bob), now);
    let ack = answered.iter().find(|(p, m)| *p == 5102 && m.method() == "ACK");
    assert!(ack.is_some(), "the callee's 2xx is acknowledged");
    let ok = answered
        .iter()
        .find(|(p, m)| *p == 5101 && m.status() == Some(200))
        .expect("200 to caller");
    assert_eq!(ok.1.body, SDP);
    assert_eq!(core.live_calls()[0].state, CallState::Answered);

    // Without the caller's ACK the 200 is sent again.
    core.on_timer(now + Duration::from_millis(600));
    assert!(sent(&mut core).iter().any(|(p, m)| *p == 5101 && m.status() == Some(200)));

    let to = ok.1.header("To").unwrap().to_string();
    let caller_ack = alice.request("ACK", &bob.contact(), "call-1", &to);
    assert!(send(&mut core, &alice, &caller_ack, now).is_empty());
    core.on_timer(now + Duration::from_secs(2));
    assert!(sent(&mut core).is_empty(), "the ACK stops the retransmissions");

    let bye = alice.request("BYE", &bob.contact(), "call-1", &to);
    core.on_message(&bye.to_bytes(), alice.flow(), now);
    let (out, events) = core.drain();
    let out: Vec<(u16, Message)> =
        out.into_iter().map(|o| (o.flow.peer.port(), Message::parse(&o.bytes).unwrap())).collect();
    assert!(out.iter().any(|(p, m)| *p == 5101 && m.status() == Some(200)));
    assert!(out.iter().any(|(p, m)| *p == 5102 && m.method() == "BYE"));
    assert!(events.iter().any(
        |e| matches!(e, CoreEvent::Call(CallEvent::Ended(r)) if r.outcome == CallOutcome::Answered)
    ));
    assert!(core.live_calls().is_empty());
}

#[test]
fn cancelling_while_ringing_gives_487_and_cancels_the_callee() {
    let now = Instant::now();
    let (mut core, mut alice, bob) = office(now);
    let out = invite(&mut core, &mut alice, "1002", "call-2", now);
    let leg = out[1].1.clone();
    send(&mut core, &bob, &answer(&leg, 180, &bob), now);

    let invite = Message::parse(&core_last_invite(&out)).unwrap();
    let mut cancel = Message::request("CANCEL", invite.request_uri().unwrap());
    for name in ["Via", "From", "To", "Call-ID"] {
        cancel.push(name, invite.header(name).unwrap());
    }
    cancel.push("CSeq", format!("{} CANCEL", invite.cseq().unwrap().0));
    core.on_message(&cancel.to_bytes(), alice.flow(), now);
    let (out, events) = core.drain();
    let out: Vec<(u16, Message)> =
        out.into_iter().map(|o| (o.flow.peer.port(), Message::parse(&o.bytes).unwrap())).collect();
    assert_eq!(out[0].1.status(), Some(200), "CANCEL answered first");
    assert!(out.iter().any(|(p, m)| *p == 5101 && m.status() == Some(487)));
    assert!(out.iter().any(|(p, m)| *p == 5102 && m.method() == "CANCEL"));
    assert!(events.iter().any(
        |e| matches!(e, CoreEvent::Call(CallEvent::Ended(r)) if r.outcome == CallOutcome::Cancelled)
    ));
}

/// The caller's authenticated INVITE as the test sent it, rebuilt from the
/// 100 Trying that echoes its Via.
fn core_last_invite(out: &[(u16, Message)]) -> Vec<u8> {
    let trying = &out[0].1;
    let mut invite = Message::request("INVITE", &format!("sip:1002@{DOMAIN}"));
    for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
        invite.push(name, trying.header(name).unwrap());
    }
    invite.to_bytes()
}

#[test]
fn a_second_call_to_a_busy_user_gets_486_and_unknown_numbers_404() {
    let now = Instant::now();
    let (mut core, mut alice, bob) = office(now);
    let out = invite(&mut core, &mut alice, "1002", "call-3", now);
    send(&mut core, &bob, &answer(&out[1].1, 200, &bob), now);
    ended(&mut core);

    let mut carol = Phone::new("1003", 5103);
    register(&mut core, &mut carol, now);
    let busy = invite(&mut core, &mut carol, "1002", "call-4", now);
    assert_eq!(busy[0].1.status(), Some(486));
    assert_eq!(ended(&mut core), [CallOutcome::Busy]);

    // The 486 is retransmitted until its ACK.
    core.on_timer(now + Duration::from_millis(600));
    assert!(sent(&mut core).iter().any(|(p, m)| *p == 5103 && m.status() == Some(486)));

    let unknown = invite(&mut core, &mut carol, "4444", "call-5", now);
    assert_eq!(unknown[0].1.status(), Some(404));
    assert_eq!(ended(&mut core), [CallOutcome::NotFound]);
}

#[test]
fn a_user_without_phones_gets_480() {
    let now = Instant::now();
    let (mut core, mut alice, _bob) = office(now);
    let out = invite(&mut core, &mut alice, "1003", "call-6", now);
    assert_eq!(out[0].1.status(), Some(480));
    assert_eq!(ended(&mut core), [CallOutcome::Unavailable]);
}

#[test]
fn a_retransmitted_register_gets_the_same_answer_without_reprocessing() {
    let now = Instant::now();
    let mut core = core(config(&[("1001", false)]), now);
    let mut alice = Phone::new("1001", 5101);
    let to = format!("<sip:1001@{DOMAIN}>");
    let first = alice.request("REGISTER", &format!("sip:{DOMAIN}"), "r", &to);
    let one = send(&mut core, &alice, &first, now);
    let two = send(&mut core, &alice, &first, now);
    assert_eq!(one, two, "the stored 401 is resent");
}

/// The ACK a caller sends for a failure: same branch, the response's To.
fn ack_for(failure: &Message) -> Message {
    let mut ack = Message::request("ACK", &format!("sip:1003@{DOMAIN}"));
    for name in ["Via", "From", "To", "Call-ID"] {
        ack.push(name, failure.header(name).unwrap());
    }
    ack.push("CSeq", format!("{} ACK", failure.cseq().unwrap().0));
    ack
}

fn resent(core: &mut Core, at: Instant) -> usize {
    core.on_timer(at);
    sent(core).iter().filter(|(port, m)| *port == 5101 && m.status() == Some(480)).count()
}

#[test]
fn a_failure_to_the_caller_is_resent_until_its_ack_then_stops() {
    let now = Instant::now();
    let (mut core, mut alice, _bob) = office(now);
    let failure = invite(&mut core, &mut alice, "1003", "call-7", now).remove(0).1;
    assert_eq!(failure.status(), Some(480));
    assert_eq!(resent(&mut core, now + Duration::from_millis(501)), 1, "timer G");

    assert!(send(&mut core, &alice, &ack_for(&failure), now).is_empty(), "the ACK is absorbed");
    assert_eq!(resent(&mut core, now + Duration::from_secs(3)), 0, "the ACK stops it");
    assert!(
        send(&mut core, &alice, &ack_for(&failure), now).is_empty(),
        "and so is a repeated ACK"
    );
}

#[test]
fn a_failure_never_acknowledged_is_given_up_on_timer_h() {
    let now = Instant::now();
    let (mut core, mut alice, _bob) = office(now);
    invite(&mut core, &mut alice, "1003", "call-8", now);
    let mut total = 0;
    for tenth in 1..=400 {
        total += resent(&mut core, now + Duration::from_millis(100 * tenth));
    }
    // 0.5, 1.5, 3.5, 7.5, then every 4 s (T2) until 32 s.
    assert!((8..=12).contains(&total), "resent {total} times");
    assert_eq!(resent(&mut core, now + Duration::from_secs(60)), 0);
}

#[test]
fn an_invite_with_no_hops_left_gets_483() {
    let now = Instant::now();
    let (mut core, mut alice, _bob) = office(now);
    let uri = format!("sip:1002@{DOMAIN}");
    let mut looping = alice.request("INVITE", &uri, "call-9", &format!("<{uri}>"));
    looping.set("Max-Forwards", "0");
    assert_eq!(send(&mut core, &alice, &looping, now)[0].1.status(), Some(483));
}
