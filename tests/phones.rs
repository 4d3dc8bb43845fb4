//! Real phones on switchboard: baresip instances register with digest
//! authentication and call each other by extension; the callee must hear the
//! caller's spoken prompt, and every call must leave the right call record.

mod support;

use std::time::Duration;

use support::audio;
use support::baresip::{Phone, PhoneSettings};
use support::pbx::{CallRecord, Pbx, User};
use support::sipp::Sipp;
use support::wait;

/// Each user's SIP password; switchboard wants them all different.
fn password(extension: &str) -> String {
    format!("phone-{extension}-secret")
}

/// Alice and Bob with phones; Dan calls from SIPp; Carol never registers.
fn office() -> Pbx {
    Pbx::with_users(&[
        User::new("1001", &password("1001")),
        User::new("2001", &password("2001")),
        User::new("2002", &password("2002")),
        User::new("1003", &password("1003")),
    ])
}

fn registered_phone(pbx: &Pbx, settings: PhoneSettings) -> Phone {
    let user = settings.user.clone();
    let phone = Phone::start(settings);
    assert!(
        phone.wait_registered(Duration::from_secs(10)),
        "{user} did not register: {}\n{}",
        phone.reginfo(),
        phone.log()
    );
    assert!(
        pbx.wait_for_registrations(&user, 1, Duration::from_secs(5)),
        "status --json does not list {user}: {:#?}",
        pbx.status()
    );
    phone
}

fn alice(pbx: &Pbx) -> Phone {
    registered_phone(
        pbx,
        PhoneSettings::registered("1001", &password("1001"), pbx.udp())
            .saying("Hello Bob. This is Alice, calling you through switchboard."),
    )
}

fn record_between(pbx: &Pbx, from: &str, to: &str) -> CallRecord {
    pbx.wait_for_call_record(Duration::from_secs(5), |r| r.caller == from && r.callee == to)
}

#[test]
fn phones_call_each_other_by_extension_and_the_callee_hears_the_caller() {
    let pbx = office();
    let bob =
        registered_phone(&pbx, PhoneSettings::registered("2001", &password("2001"), pbx.udp()));
    let alice = alice(&pbx);

    alice.dial("2001");
    bob.expect_event("CALL_ESTABLISHED", Duration::from_secs(10));
    alice.expect_event("CALL_ESTABLISHED", Duration::from_secs(5));
    // The prompt lasts about three seconds.
    std::thread::sleep(Duration::from_secs(5));
    alice.hangup();
    bob.expect_event("CALL_CLOSED", Duration::from_secs(10));

    let heard = bob.recordings_heard();
    let recording = heard.last().unwrap_or_else(|| panic!("Bob recorded nothing\n{}", bob.log()));
    let loudness = audio::loudness(recording);
    assert!(
        loudness.rms >= audio::SPEECH_RMS,
        "Bob heard silence ({loudness:?}) in {}",
        recording.display()
    );

    let record = record_between(&pbx, "1001", "2001");
    assert_eq!(record.outcome, "answered", "{record:#?}");
    assert!(record.answered_at.is_some(), "{record:#?}");
}

#[test]
fn caller_hanging_up_while_it_rings_cancels_the_call() {
    let pbx = office();
    let bob = registered_phone(
        &pbx,
        PhoneSettings::registered("2001", &password("2001"), pbx.udp()).ringing_until_accepted(),
    );
    let alice = alice(&pbx);

    alice.dial("2001");
    bob.expect_event("CALL_INCOMING", Duration::from_secs(10));
    alice.expect_event("CALL_RINGING", Duration::from_secs(5));
    alice.hangup();

    // The PBX cancels Bob's ringing phone.
    bob.expect_event("CALL_CLOSED", Duration::from_secs(10));
    assert!(
        bob.events().iter().all(|event| event.kind != "CALL_ESTABLISHED"),
        "{:#?}",
        bob.events()
    );
    let record = record_between(&pbx, "1001", "2001");
    assert_eq!(record.outcome, "cancelled", "{record:#?}");
    assert!(record.answered_at.is_none(), "{record:#?}");
}

#[test]
fn calling_a_phone_already_on_a_call_gives_busy() {
    let pbx = office();
    let bob =
        registered_phone(&pbx, PhoneSettings::registered("2001", &password("2001"), pbx.udp()));
    let alice = alice(&pbx);

    // Dan (SIPp) keeps Bob busy.
    let dan = Sipp::client("uac_call.xml", pbx.udp())
        .credentials("1003", &password("1003"))
        .key("callee", "2001")
        .arg("-auth_uri")
        .arg(format!("2001@{}", pbx.udp()))
        .arg("-d")
        .arg(8000)
        .timeout(Duration::from_secs(30))
        .spawn();
    bob.expect_event("CALL_ESTABLISHED", Duration::from_secs(10));

    alice.dial("2001");
    let closed = alice.expect_event("CALL_CLOSED", Duration::from_secs(10));
    assert!(closed.param.contains("486"), "Alice's call ended with {closed:?}");

    dan.wait().assert_success("Dan's call to Bob");
    assert_eq!(record_between(&pbx, "1001", "2001").outcome, "busy");
    assert_eq!(record_between(&pbx, "1003", "2001").outcome, "answered");
}

#[test]
fn calling_an_extension_with_no_phone_gives_480() {
    let pbx = office();
    let alice = alice(&pbx);

    alice.dial("2002");
    let closed = alice.expect_event("CALL_CLOSED", Duration::from_secs(10));
    assert!(closed.param.contains("480"), "the call ended with {closed:?}");
    assert_eq!(record_between(&pbx, "1001", "2002").outcome, "unavailable");
}

#[test]
fn calling_an_unknown_number_gives_404() {
    let pbx = office();
    let alice = alice(&pbx);

    alice.dial("9999");
    let closed = alice.expect_event("CALL_CLOSED", Duration::from_secs(10));
    assert!(closed.param.contains("404"), "the call ended with {closed:?}");
    assert_eq!(record_between(&pbx, "1001", "9999").outcome, "not_found");
}

#[test]
fn a_phone_that_quits_unregisters() {
    let pbx = office();
    let bob =
        registered_phone(&pbx, PhoneSettings::registered("2001", &password("2001"), pbx.udp()));

    bob.quit();
    assert!(
        pbx.wait_for_registrations("2001", 0, Duration::from_secs(5)),
        "Bob's binding outlived his phone: {:#?}",
        pbx.status()
    );
}

#[test]
fn registered_phones_are_listed_with_their_user_agent() {
    let pbx = office();
    let _bob =
        registered_phone(&pbx, PhoneSettings::registered("2001", &password("2001"), pbx.udp()));

    let registrations = pbx.registrations_of("2001");
    assert_eq!(registrations.len(), 1, "{registrations:#?}");
    let agent = registrations[0].user_agent.clone().unwrap_or_default();
    assert!(agent.to_ascii_lowercase().contains("baresip"), "{registrations:#?}");
    assert!(
        wait::for_condition(Duration::from_secs(1), || pbx.registrations_of("1001").is_empty()),
        "nobody registered as 1001"
    );
}
