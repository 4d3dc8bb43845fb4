//! The registrar, from outside: SIPp phones register, refresh and unregister
//! against a running switchboard, and `status --json` shows what it kept.
//! RFC 3261 §10 and RFC 2617 digest authentication are the reference.

mod support;

use std::net::SocketAddr;

use support::pbx::{Pbx, User};
use support::ports;
use support::sip::{self, Challenge, Register, UdpClient};
use support::sipp::{Sipp, Transport};
use support::SHORT;

const USER: &str = "1001";
const PASSWORD: &str = "correct-horse-1001";

fn pbx() -> Pbx {
    Pbx::with_users(&[User::new(USER, PASSWORD)])
}

/// A SIPp phone of `USER` running `scenario` with the right password.
fn phone(scenario: &str, pbx: &Pbx) -> Sipp {
    Sipp::client(scenario, pbx.udp()).credentials(USER, PASSWORD).key("expires", 600)
}

/// Registers `USER` from `port` for 600 s and checks it worked.
fn register_from(pbx: &Pbx, port: u16) {
    phone("register.xml", pbx).port(port).run().assert_success("registering");
}

fn contacts(pbx: &Pbx) -> Vec<String> {
    pbx.registrations_of(USER).into_iter().map(|r| r.contact).collect()
}

#[test]
fn register_with_digest_auth_binds_the_contact() {
    let pbx = pbx();
    let port = ports::block(4).first;
    let run = phone("register.xml", &pbx).port(port).run();
    run.assert_success("REGISTER with the right password");
    assert_eq!(run.logged("granted"), ["600"], "{}", run.report());

    let registrations = pbx.registrations_of(USER);
    assert_eq!(registrations.len(), 1, "{registrations:#?}");
    let binding = &registrations[0];
    assert!(binding.contact.contains(&format!("127.0.0.1:{port}")), "{binding:#?}");
    assert!(binding.transport.eq_ignore_ascii_case("udp"), "{binding:#?}");
    assert!((590..=600).contains(&binding.expires_in()), "{binding:#?}");
}

#[test]
fn register_over_tcp_records_the_tcp_transport() {
    let pbx = pbx();
    let run = phone("register.xml", &pbx).transport(Transport::Tcp).run();
    run.assert_success("REGISTER over TCP");

    let registrations = pbx.registrations_of(USER);
    assert_eq!(registrations.len(), 1, "{registrations:#?}");
    assert!(registrations[0].transport.eq_ignore_ascii_case("tcp"), "{registrations:#?}");
}

#[test]
fn wrong_password_is_refused_and_nothing_is_registered() {
    let pbx = pbx();
    let run = Sipp::client("register_refused.xml", pbx.udp())
        .credentials(USER, "not-the-password")
        .key("expires", 600)
        .run();
    run.assert_success("REGISTER with a wrong password");
    let final_code = run.logged("final");
    assert!(final_code == ["401"] || final_code == ["403"], "{}", run.report());
    assert!(pbx.status().registrations.is_empty(), "{:#?}", pbx.status());
}

#[test]
fn unknown_user_gets_the_same_answer_as_a_wrong_password() {
    let pbx = pbx();
    let refused = |user: &str, password: &str| {
        let run = Sipp::client("register_refused.xml", pbx.udp())
            .credentials(user, password)
            .key("expires", 600)
            .run();
        run.assert_success(&format!("REGISTER as {user}"));
        (run.logged("challenge"), run.logged("final"))
    };

    let wrong_password = refused(USER, "not-the-password");
    let unknown_user = refused("7777", "not-the-password");
    assert_eq!(unknown_user, wrong_password, "(challenge, final answer) must not tell them apart");
    assert!(pbx.status().registrations.is_empty(), "{:#?}", pbx.status());
}

#[test]
fn contact_expires_parameter_is_honoured_without_an_expires_header() {
    let pbx = pbx();
    let run = phone("register_contact_expires.xml", &pbx).key("expires", 120).run();
    run.assert_success("REGISTER with ;expires=120 on Contact");
    assert_eq!(run.logged("granted"), ["120"], "{}", run.report());

    let registrations = pbx.registrations_of(USER);
    assert_eq!(registrations.len(), 1, "{registrations:#?}");
    assert!((110..=120).contains(&registrations[0].expires_in()), "{registrations:#?}");
}

#[test]
fn refreshing_a_binding_grants_the_same_time_each_time() {
    let pbx = pbx();
    let run = phone("register_refresh.xml", &pbx).key("expires", 300).run();
    run.assert_success("REGISTER then two refreshes");
    assert_eq!(run.logged("granted"), ["300", "300", "300"], "{}", run.report());
    assert_eq!(pbx.registrations_of(USER).len(), 1, "{:#?}", pbx.status());
}

#[test]
fn expiry_below_the_minimum_gets_423_with_min_expires() {
    let pbx = Pbx::builder().user(User::new(USER, PASSWORD)).min_expires(60).start();
    let run = phone("register_too_brief.xml", &pbx).key("expires", 10).run();
    run.assert_success("REGISTER for 10 s with a 60 s minimum");
    assert_eq!(run.logged("min"), ["60"], "{}", run.report());
    assert!(pbx.status().registrations.is_empty(), "{:#?}", pbx.status());
}

#[test]
fn expiry_above_the_maximum_is_lowered_to_the_maximum() {
    let pbx = Pbx::builder().user(User::new(USER, PASSWORD)).max_expires(600).start();
    let run = phone("register.xml", &pbx).key("expires", 7200).run();
    run.assert_success("REGISTER for 7200 s with a 600 s maximum");
    assert_eq!(run.logged("granted"), ["600"], "{}", run.report());

    let registrations = pbx.registrations_of(USER);
    assert_eq!(registrations.len(), 1, "{registrations:#?}");
    assert!((590..=600).contains(&registrations[0].expires_in()), "{registrations:#?}");
}

#[test]
fn unregistering_one_contact_keeps_the_other() {
    let pbx = pbx();
    let desk = ports::block(4).first;
    let softphone = ports::block(4).first;
    register_from(&pbx, desk);
    register_from(&pbx, softphone);
    assert_eq!(pbx.registrations_of(USER).len(), 2, "{:#?}", pbx.status());

    phone("unregister.xml", &pbx).port(desk).run().assert_success("unregistering the desk phone");

    let left = contacts(&pbx);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].contains(&format!(":{softphone}")), "the softphone must stay: {left:?}");
}

#[test]
fn star_contact_with_expires_zero_removes_every_binding() {
    let pbx = pbx();
    register_from(&pbx, ports::block(4).first);
    register_from(&pbx, ports::block(4).first);
    assert_eq!(pbx.registrations_of(USER).len(), 2, "{:#?}", pbx.status());

    phone("unregister_all.xml", &pbx).run().assert_success("Contact: * with Expires: 0");
    assert!(pbx.registrations_of(USER).is_empty(), "{:#?}", pbx.status());
}

#[test]
fn star_contact_with_a_non_zero_expiry_is_rejected_and_changes_nothing() {
    let pbx = pbx();
    register_from(&pbx, ports::block(4).first);

    phone("star_with_expiry.xml", &pbx).run().assert_success("Contact: * with Expires: 3600");
    assert_eq!(pbx.registrations_of(USER).len(), 1, "{:#?}", pbx.status());
}

#[test]
fn star_contact_beside_another_contact_is_rejected_and_changes_nothing() {
    let pbx = pbx();
    let port = ports::block(4).first;
    register_from(&pbx, port);

    phone("star_with_contact.xml", &pbx)
        .port(port)
        .run()
        .assert_success("Contact: * beside a Contact");
    assert_eq!(pbx.registrations_of(USER).len(), 1, "{:#?}", pbx.status());
}

#[test]
fn register_replayed_with_a_lower_cseq_is_refused_and_changes_nothing() {
    let pbx = pbx();
    let run = phone("register_lower_cseq.xml", &pbx).run();
    run.assert_success("REGISTER replayed with a lower CSeq");
    let replay = run.logged("replay");
    assert!(replay == ["400"] || replay == ["500"], "{}", run.report());
    assert_eq!(
        pbx.registrations_of(USER).len(),
        1,
        "the replay asked to remove the binding; it must still be there: {:#?}",
        pbx.status()
    );
}

#[test]
fn expired_nonce_is_challenged_again_with_stale_true() {
    let pbx = Pbx::builder().user(User::new(USER, PASSWORD)).nonce_ttl(2).start();
    // SIPp's -d is the scenario's pause: longer than the nonce lives.
    let run = phone("register_stale_nonce.xml", &pbx).arg("-d").arg(3500).run();
    run.assert_success("REGISTER with a nonce older than its lifetime");
    assert_eq!(run.logged("stale"), ["true"], "{}", run.report());
    assert_eq!(pbx.registrations_of(USER).len(), 1, "{:#?}", pbx.status());
}

/// Sends `request` and returns the final answer, failing the test on silence.
fn answer(client: &UdpClient, request: &Register) -> sip::Message {
    client
        .request(&request.to_bytes(), SHORT)
        .unwrap_or_else(|| panic!("no answer to\n{}", String::from_utf8_lossy(&request.to_bytes())))
}

fn challenge_of(response: &sip::Message) -> Challenge {
    let header = response
        .header("WWW-Authenticate")
        .unwrap_or_else(|| panic!("401 without WWW-Authenticate:\n{}", response.to_text()));
    Challenge::parse(header).unwrap_or_else(|| panic!("not a digest challenge: {header}"))
}

#[test]
fn replayed_nonce_count_is_refused() {
    let pbx = pbx();
    let client = UdpClient::new(pbx.udp());
    let local = client.local_addr();
    let mut request = Register::new(USER, pbx.udp(), local);

    let challenged = answer(&client, &request);
    assert_eq!(challenged.status(), Some(401), "{}", challenged.to_text());
    let challenge = challenge_of(&challenged);
    assert!(challenge.offers_auth_qop(), "qop=auth expected: {challenge:?}");

    let credentials = challenge.answer(USER, PASSWORD, "REGISTER", &request.uri(), 1, "c0ffee01");
    request.cseq = 2;
    request.authorization = Some(credentials.clone());
    let accepted = answer(&client, &request);
    assert_eq!(accepted.status(), Some(200), "{}", accepted.to_text());

    // The very same credentials (nonce, nc=00000001, cnonce) for another contact.
    let intruder: SocketAddr = ([127, 0, 0, 1], ports::block(4).first).into();
    request.cseq = 3;
    request.contact = format!("<sip:{USER}@{intruder}>");
    let replayed = answer(&client, &request);
    assert_ne!(replayed.status(), Some(200), "replayed nc accepted:\n{}", replayed.to_text());

    let contacts = contacts(&pbx);
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert!(contacts[0].contains(&local.to_string()), "{contacts:?}");
}

#[test]
fn unauthenticated_register_is_challenged_with_md5_and_qop_auth() {
    let pbx = pbx();
    let client = UdpClient::new(pbx.udp());
    let request = Register::new(USER, pbx.udp(), client.local_addr());

    let challenged = answer(&client, &request);
    assert_eq!(challenged.status(), Some(401), "{}", challenged.to_text());
    let challenge = challenge_of(&challenged);
    assert!(challenge.offers_auth_qop(), "{challenge:?}");
    assert!(
        challenge.algorithm.as_deref().is_none_or(|a| a.eq_ignore_ascii_case("MD5")),
        "{challenge:?}"
    );
    assert!(!challenge.stale, "a first challenge is not stale: {challenge:?}");
    assert!(pbx.status().registrations.is_empty());
}
