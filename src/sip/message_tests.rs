use super::*;

const REGISTER: &str = "REGISTER sip:example.com SIP/2.0\r\n\
    Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2\r\n\
    From: <sip:1001@example.com>;tag=abc\r\n\
    To: <sip:1001@example.com>\r\n\
    Call-ID: reg-1\r\n\
    CSeq: 2 REGISTER\r\n\
    Contact: <sip:1001@127.0.0.1:5070>;expires=60, \"A, B\" <sip:1001@127.0.0.1:5071>\r\n\
    Content-Length: 0\r\n\r\n";

#[test]
fn comma_joined_vias_and_contacts_are_split() {
    let message = Message::parse(REGISTER.as_bytes()).expect("parses");
    assert_eq!(message.header_values("Via").count(), 2);
    let contacts: Vec<_> = message.header_values("Contact").collect();
    assert_eq!(
        contacts,
        ["<sip:1001@127.0.0.1:5070>;expires=60", "\"A, B\" <sip:1001@127.0.0.1:5071>"]
    );
    assert_eq!(message.branch(), Some("z9hG4bK1"));
    assert_eq!(message.cseq(), Some((2, "REGISTER")));
    assert_eq!(message.from_tag(), Some("abc"));
    assert_eq!(message.to_tag(), None);
    assert_eq!(message.user_of("To").as_deref(), Some("1001"));
}

#[test]
fn a_body_shorter_than_content_length_is_refused() {
    let text = REGISTER.replace("Content-Length: 0", "Content-Length: 10");
    assert_eq!(
        Message::parse(text.as_bytes()),
        Err(ParseError::ShortBody { declared: 10, actual: 0 })
    );
}

#[test]
fn an_extension_method_is_reported_as_unknown() {
    let text = REGISTER.replacen("REGISTER sip", "NEWMETHOD sip", 1);
    assert_eq!(Message::parse(text.as_bytes()), Err(ParseError::UnknownMethod("NEWMETHOD".into())));
}

#[test]
fn another_sip_version_a_mismatched_cseq_and_bad_max_forwards_are_refused() {
    let text = REGISTER.replacen("SIP/2.0\r\n", "SIP/3.0\r\n", 1);
    assert_eq!(Message::parse(text.as_bytes()), Err(ParseError::Version("SIP/3.0".into())));
    let text = REGISTER.replace("CSeq: 2 REGISTER", "CSeq: 2 INVITE");
    assert_eq!(Message::parse(text.as_bytes()), Err(ParseError::MissingHeader("CSeq")));
    let text = REGISTER.replace("Call-ID: reg-1\r\n", "Call-ID: reg-1\r\nMax-Forwards: zz\r\n");
    assert_eq!(Message::parse(text.as_bytes()), Err(ParseError::MissingHeader("Max-Forwards")));
}

#[test]
fn a_missing_call_id_is_refused() {
    let text = REGISTER.replace("Call-ID: reg-1\r\n", "");
    assert_eq!(Message::parse(text.as_bytes()), Err(ParseError::MissingHeader("Call-ID")));
}

#[test]
fn a_response_copies_the_dialog_headers_and_adds_a_to_tag() {
    let request = Message::parse(REGISTER.as_bytes()).expect("parses");
    let response = Message::response_to(&request, 200, Some("xyz"));
    let reparsed = Message::parse(&response.to_bytes()).expect("round trip");
    assert_eq!(reparsed.status(), Some(200));
    assert_eq!(reparsed.header_values("Via").count(), 2);
    assert_eq!(reparsed.to_tag(), Some("xyz"));
    assert_eq!(reparsed.call_id(), "reg-1");
}

#[test]
fn name_addr_reads_uri_and_params() {
    let contact = NameAddr::parse("\"Ann\" <sip:1001@10.0.0.1:5060;transport=tcp>;expires=30");
    assert_eq!(contact.uri, "sip:1001@10.0.0.1:5060;transport=tcp");
    assert_eq!(contact.param("expires"), Some("30"));
    assert_eq!(contact.uri_user(), Some("1001"));
    let bare = NameAddr::parse("sip:1002@host;expires=0");
    assert_eq!(bare.uri, "sip:1002@host");
    assert_eq!(bare.param("expires"), Some("0"));
}

#[test]
fn contact_addresses_are_read_from_ip_literals_only() {
    let addr = |text: &str| text.parse::<std::net::SocketAddr>().ok();
    assert_eq!(uri_socket_addr("sip:1001@127.0.0.1:5070;transport=udp"), addr("127.0.0.1:5070"));
    assert_eq!(uri_socket_addr("sip:1001@10.1.2.3"), addr("10.1.2.3:5060"));
    assert_eq!(uri_socket_addr("sip:1001@[::1]:5062"), addr("[::1]:5062"));
    assert_eq!(uri_socket_addr("sip:1001@phone.example.com:5060"), None);
}

#[test]
fn tcp_framing_reads_content_length_and_compact_form() {
    assert_eq!(content_length(b"INVITE x SIP/2.0\r\nl: 12\r\n\r\n"), Ok(12));
    assert_eq!(content_length(b"INVITE x SIP/2.0\r\nVia: a\r\n\r\n"), Ok(0));
    assert!(content_length(b"INVITE x SIP/2.0\r\nContent-Length: x\r\n\r\n").is_err());
}
