//! Checks of the test harness itself, without switchboard: the parsers it
//! relies on, digest answers against RFC 2617's worked example, and a baresip
//! phone calling a SIPp echo far end, which proves the phone set-up, the
//! ctrl_tcp client, the SIPp runner and the loudness check together. When one
//! of these fails, the other suites' failures say nothing about switchboard.

mod support;

use std::time::Duration;

use support::audio;
use support::baresip::{Phone, PhoneSettings};
use support::ctrl::take_netstring;
use support::pbx::parse_listening;
use support::sip::{Challenge, Framing, Message};
use support::sipp::Sipp;

#[test]
fn listening_line_gives_both_addresses_even_after_a_log_prefix() {
    let line = "\u{1b}[2m2025-01-01T00:00:00Z\u{1b}[0m  INFO switchboard: listening on udp \
                127.0.0.1:40001, tcp 127.0.0.1:40002";
    let (udp, tcp) = parse_listening(line).expect("the line names both addresses");
    assert_eq!(udp.to_string(), "127.0.0.1:40001");
    assert_eq!(tcp.to_string(), "127.0.0.1:40002");
    assert!(parse_listening("opening the store").is_none());
    let fields = "INFO PBX listening udp=127.0.0.1:5062 tcp=127.0.0.1:5062";
    assert_eq!(parse_listening(fields).map(|(udp, _)| udp.port()), Some(5062));
}

#[test]
fn digest_answer_matches_the_rfc_2617_example() {
    let challenge = Challenge::parse(
        "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
         nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
    )
    .expect("a digest challenge");
    let answer =
        challenge.answer("Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b");
    assert!(answer.contains("response=\"6629fae49393a05397450978507c4ef1\""), "{answer}");
    assert!(answer.contains("nc=00000001"), "{answer}");
    assert!(answer.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""), "{answer}");
}

#[test]
fn stale_flag_is_read_from_a_challenge() {
    let fresh =
        Challenge::parse("Digest realm=\"pbx\", nonce=\"abc\", qop=\"auth\"").expect("parsed");
    let stale = Challenge::parse("Digest realm=\"pbx\",nonce=\"def\",stale=TRUE,algorithm=MD5")
        .expect("parsed");
    assert!(!fresh.stale);
    assert!(stale.stale);
    assert_eq!(stale.nonce, "def");
}

#[test]
fn two_messages_in_one_buffer_are_framed_by_content_length() {
    let bytes = b"SIP/2.0 200 OK\r\nCall-ID: a\r\nl: 5\r\n\r\nhelloSIP/2.0 486 Busy Here\r\n\
                  i: b\r\nContent-Length: 0\r\n\r\nSIP/2.0 1";
    let (first, used) = Message::parse(bytes).expect("first message");
    assert_eq!(first.status(), Some(200));
    assert_eq!(first.body, b"hello");
    let (second, used_second) = Message::parse(&bytes[used..]).expect("second message");
    assert_eq!(second.status(), Some(486));
    assert_eq!(second.header("Call-ID"), Some("b"));
    assert_eq!(Message::parse(&bytes[used + used_second..]).err(), Some(Framing::Incomplete));
}

#[test]
fn netstrings_are_taken_whole_or_not_at_all() {
    let (payload, used) = take_netstring(b"5:hello,3:ab").expect("one whole netstring");
    assert_eq!(payload, b"hello");
    assert_eq!(used, 8);
    assert!(take_netstring(b"3:ab").is_none());
}

#[test]
fn baresip_phone_hears_its_prompt_echoed_by_a_sipp_far_end() {
    let echo = Sipp::builtin("uas", None).arg("-rtp_echo").timeout(Duration::from_secs(40)).spawn();

    let phone = Phone::start(PhoneSettings {
        user: "alice".to_string(),
        password: String::new(),
        registrar: None,
        prompt: Some("Hello from the harness check.".to_string()),
        audio_seconds: 20,
        auto_answer: true,
    });
    phone.dial(&format!("sip:echo@{}", echo.addr()));
    phone.expect_event("CALL_ESTABLISHED", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(4));
    phone.hangup();
    phone.expect_event("CALL_CLOSED", Duration::from_secs(10));

    let echoed = echo.wait();
    echoed.assert_success("SIPp echo far end");

    let recordings = phone.recordings_heard();
    let heard = recordings.last().unwrap_or_else(|| {
        panic!("the phone recorded nothing in {}\n{}", phone.dir().display(), phone.log())
    });
    let loudness = audio::loudness(heard);
    assert!(
        loudness.rms >= audio::SPEECH_RMS,
        "the echoed prompt is silent: {loudness:?} in {}",
        heard.display()
    );
}

#[test]
fn baresip_reports_the_final_response_of_a_refused_call() {
    let busy = Sipp::server("uas_busy.xml").timeout(Duration::from_secs(20)).spawn();
    let phone = Phone::start(PhoneSettings {
        user: "alice".to_string(),
        password: String::new(),
        registrar: None,
        prompt: None,
        audio_seconds: 10,
        auto_answer: true,
    });
    phone.dial(&format!("sip:bob@{}", busy.addr()));
    let closed = phone.expect_event("CALL_CLOSED", Duration::from_secs(10));
    busy.wait().assert_success("SIPp busy phone");
    assert!(closed.param.contains("486"), "{closed:?}");
}

#[test]
fn baresip_cancels_a_call_that_still_rings() {
    let ringing = Sipp::server("uas_ring.xml").timeout(Duration::from_secs(20)).spawn();
    let phone = Phone::start(PhoneSettings {
        user: "alice".to_string(),
        password: String::new(),
        registrar: None,
        prompt: None,
        audio_seconds: 10,
        auto_answer: true,
    });
    phone.dial(&format!("sip:bob@{}", ringing.addr()));
    phone.expect_event("CALL_RINGING", Duration::from_secs(10));
    phone.hangup();
    let run = ringing.wait();
    run.assert_success("SIPp ringing phone");
    assert_eq!(run.logged("cancel"), ["received"]);
}
