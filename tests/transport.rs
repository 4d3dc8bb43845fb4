//! SIP transports from outside: UDP and TCP on one port, stream framing by
//! Content-Length (RFC 3261 §18.3), malformed input (400 or silence, never a
//! crash), OPTIONS and unknown methods, and a clean stop on SIGTERM.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::pbx::{Pbx, User};
use support::sip::{self, Message, TcpClient, UdpClient};
use support::sipp::{Sipp, Transport};
use support::SHORT;

fn pbx() -> Pbx {
    Pbx::with_users(&[User::new("1001", "pass-word-42")])
}

/// OPTIONS over UDP gets 200: the PBX is alive and answering.
fn assert_answers_options_over_udp(pbx: &mut Pbx) {
    assert!(pbx.is_running(), "switchboard serve has exited");
    let client = UdpClient::new(pbx.udp());
    let request = sip::options(pbx.udp(), client.local_addr(), "udp", 1);
    let answer = client.request(request.as_bytes(), SHORT).expect("an answer to OPTIONS");
    assert_eq!(answer.status(), Some(200), "{}", answer.to_text());
}

/// OPTIONS on a new TCP connection gets 200.
fn assert_answers_options_over_tcp(pbx: &Pbx) {
    let mut client = TcpClient::connect(pbx.tcp());
    let request = sip::options(pbx.tcp(), client.local_addr(), "tcp", 1);
    client.write(request.as_bytes()).expect("write OPTIONS");
    let answer = client.recv(SHORT).expect("an answer to OPTIONS over TCP");
    assert_eq!(answer.status(), Some(200), "{}", answer.to_text());
}

#[test]
fn udp_and_tcp_listen_on_the_same_port() {
    let pbx = pbx();
    assert_eq!(pbx.udp().port(), pbx.tcp().port());
    assert!(pbx.udp().ip().is_loopback());
}

#[test]
fn options_is_answered_200_over_udp_and_tcp() {
    let pbx = pbx();
    Sipp::client("options.xml", pbx.udp()).run().assert_success("OPTIONS over UDP");
    Sipp::client("options.xml", pbx.tcp())
        .transport(Transport::Tcp)
        .run()
        .assert_success("OPTIONS over TCP");
}

#[test]
fn unknown_method_gets_501() {
    let pbx = pbx();
    Sipp::client("unknown_method.xml", pbx.udp())
        .credentials("1001", "pass-word-42")
        .run()
        .assert_success("FROBNICATE");
}

/// Datagrams and stream chunks that are not valid SIP requests.
fn garbage() -> Vec<Vec<u8>> {
    let mut inputs: Vec<Vec<u8>> = vec![
        b"\x00\x01\x02\x03\xff\xfe\xfd".to_vec(),
        b"INVITE".to_vec(),
        b"INVITE sip:2001@127.0.0.1 SIP/2.0\r\n\r\n".to_vec(),
        b"OPTIONS sip:127.0.0.1 SIP/3.0\r\nVia: SIP/3.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\n\r\n"
            .to_vec(),
        b"REGISTER sip:127.0.0.1 SIP/2.0\r\nthis line has no colon\r\n\r\n".to_vec(),
        b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKy\r\n\
          From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: g1\r\n\
          CSeq: banana OPTIONS\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
        b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKz\r\n\
          From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: g2\r\n\
          CSeq: 1 OPTIONS\r\nContent-Length: -5\r\n\r\n"
            .to_vec(),
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnone\r\n\
          Call-ID: nobody\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
            .to_vec(),
        "REGISTER sip:\u{1F4DE} SIP/2.0\r\nVia: \u{0}\u{0}\r\n\r\n".as_bytes().to_vec(),
    ];
    let mut huge = b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nX-Long: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 60_000));
    huge.extend_from_slice(b"\r\n\r\n");
    inputs.push(huge);

    // A fixed pseudo-random sequence, so a failure can be replayed.
    let mut state: u32 = 0x2545_f491;
    for len in [1usize, 17, 300, 1400] {
        let bytes = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state.to_le_bytes()[0]
            })
            .collect();
        inputs.push(bytes);
    }
    inputs
}

#[test]
fn garbage_over_udp_gets_400_or_silence_and_the_pbx_keeps_answering() {
    let mut pbx = pbx();
    let client = UdpClient::new(pbx.udp());
    for input in garbage() {
        client.send(&input);
        // Any answer must be a 400; silence is fine too.
        if let Some(answer) = client.recv(Duration::from_millis(300)) {
            assert_eq!(
                answer.status(),
                Some(400),
                "answer to {:?}:\n{}",
                String::from_utf8_lossy(&input),
                answer.to_text()
            );
        }
    }
    assert_answers_options_over_udp(&mut pbx);
    assert_answers_options_over_tcp(&pbx);
}

#[test]
fn garbage_over_tcp_gets_400_or_a_closed_connection_and_the_pbx_keeps_answering() {
    let mut pbx = pbx();
    for input in garbage() {
        let mut client = TcpClient::connect(pbx.tcp());
        if client.write(&input).is_err() {
            continue;
        }
        // End the stream so a half-read message cannot wait for more.
        let _ = client.write(b"\r\n\r\n");
        if let Some(answer) = client.recv(Duration::from_millis(300)) {
            assert_eq!(
                answer.status(),
                Some(400),
                "answer to {:?}:\n{}",
                String::from_utf8_lossy(&input),
                answer.to_text()
            );
        }
    }
    assert_answers_options_over_udp(&mut pbx);
    assert_answers_options_over_tcp(&pbx);
}

/// The CSeq numbers of the next `count` responses on `client`.
fn answered_cseqs(client: &mut TcpClient, count: usize) -> BTreeSet<u32> {
    let mut answered = BTreeSet::new();
    for _ in 0..count {
        let Some(answer) = client.recv(SHORT) else { break };
        assert_eq!(answer.status(), Some(200), "{}", answer.to_text());
        answered.extend(answer.cseq());
    }
    answered
}

#[test]
fn several_requests_in_one_tcp_write_each_get_an_answer() {
    let mut pbx = pbx();
    let mut client = TcpClient::connect(pbx.tcp());
    let local = client.local_addr();
    let batch: String = (1..=3).map(|cseq| sip::options(pbx.tcp(), local, "tcp", cseq)).collect();
    client.write(batch.as_bytes()).expect("write three requests at once");

    assert_eq!(answered_cseqs(&mut client, 3), BTreeSet::from([1, 2, 3]));
    assert_answers_options_over_udp(&mut pbx);
}

#[test]
fn request_split_across_tcp_writes_is_reassembled() {
    let mut pbx = pbx();
    let mut client = TcpClient::connect(pbx.tcp());
    let request = sip::options(pbx.tcp(), client.local_addr(), "tcp", 7);
    let bytes = request.as_bytes();
    // Cut in the start line, in a header, and inside the blank line.
    let cuts = [5, bytes.len() / 2, bytes.len() - 3, bytes.len()];
    let mut from = 0;
    for to in cuts {
        client.write(&bytes[from..to]).expect("write part of a request");
        std::thread::sleep(Duration::from_millis(150));
        from = to;
    }

    let answer = client.recv(SHORT).expect("an answer once the request is whole");
    assert_eq!(answer.status(), Some(200), "{}", answer.to_text());
    assert_eq!(answer.cseq(), Some(7));
    assert_answers_options_over_udp(&mut pbx);
}

#[test]
fn content_length_separates_a_body_from_the_next_request_on_tcp() {
    let mut pbx = pbx();
    let mut client = TcpClient::connect(pbx.tcp());
    let local = client.local_addr();
    // The body holds what looks like a request line: only Content-Length
    // says it is not one.
    let body = "OPTIONS sip:nobody SIP/2.0\r\n\r\n";
    let with_body = sip::options(pbx.tcp(), local, "tcp", 1).replace(
        "Content-Length: 0\r\n",
        &format!("Content-Type: text/plain\r\nContent-Length: {}\r\n", body.len()),
    ) + body;
    let next = sip::options(pbx.tcp(), local, "tcp", 2);
    let stream = format!("{with_body}{next}");

    // Split inside the body, then send the rest with the next request.
    let split = with_body.len() - 10;
    client.write(&stream.as_bytes()[..split]).expect("write up to the middle of the body");
    std::thread::sleep(Duration::from_millis(150));
    client.write(&stream.as_bytes()[split..]).expect("write the rest");

    assert_eq!(answered_cseqs(&mut client, 2), BTreeSet::from([1, 2]));
    // Nothing more: the body was not taken for a third request.
    let extra: Option<Message> = client.recv(Duration::from_millis(500));
    assert!(extra.is_none(), "unexpected third answer: {extra:?}");
    assert_answers_options_over_udp(&mut pbx);
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let pbx = pbx();
    let status = pbx.stop();
    assert!(status.is_some_and(|s| s.success()), "serve did not exit 0 on SIGTERM: {status:?}");
}
