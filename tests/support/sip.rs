//! Just enough SIP, written by hand, for tests that need exact control over the
//! bytes: framing and garbage over raw UDP and TCP sockets, and digest
//! authentication where the same nonce count is sent twice on purpose, which no
//! well-behaved tool will do.
//!
//! This is a test client, not a SIP stack: it parses what switchboard sends
//! back (status line, headers, a body framed by Content-Length) and builds the
//! few requests the tests send.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use md5::{Digest, Md5};

/// A SIP message as received.
#[derive(Debug, Clone)]
pub struct Message {
    /// `SIP/2.0 200 OK` or `INVITE sip:… SIP/2.0`.
    pub start_line: String,
    /// Header names as sent; values trimmed.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Why bytes are not (yet) a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// More bytes are needed (TCP).
    Incomplete,
    /// These bytes can never be a SIP message.
    Invalid(String),
}

impl Message {
    /// Parses one message from the start of `bytes`; returns it and how many
    /// bytes it took. On a stream the rest belongs to the next message.
    pub fn parse(bytes: &[u8]) -> Result<(Message, usize), Framing> {
        let Some(head_end) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            return Err(Framing::Incomplete);
        };
        let head = std::str::from_utf8(&bytes[..head_end])
            .map_err(|_| Framing::Invalid("header is not UTF-8".into()))?;
        let mut lines = head.split("\r\n");
        let start_line = lines.next().unwrap_or_default().to_string();

        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                // RFC 3261 §7.3.1: a line starting with white space continues the previous one.
                if let Some((_, value)) = headers.last_mut() {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                continue;
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| Framing::Invalid(format!("header line without colon: {line}")))?;
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }

        let mut message = Message { start_line, headers, body: Vec::new() };
        let length: usize = match message.header("Content-Length") {
            Some(value) => {
                value.parse().map_err(|_| Framing::Invalid(format!("Content-Length {value}")))?
            }
            None => 0,
        };
        let body_start = head_end + 4;
        if bytes.len() < body_start + length {
            return Err(Framing::Incomplete);
        }
        message.body = bytes[body_start..body_start + length].to_vec();
        Ok((message, body_start + length))
    }

    /// The status code of a response; `None` for a request.
    pub fn status(&self) -> Option<u16> {
        let rest = self.start_line.strip_prefix("SIP/2.0 ")?;
        rest.get(..3)?.parse().ok()
    }

    /// The first value of a header, by full or compact name, any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers_named(name).into_iter().next()
    }

    /// Every value of a header, in order, split at top-level commas is left to
    /// the caller: values are as they appeared on each line.
    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        let compact = compact_form(name);
        self.headers
            .iter()
            .filter(|(n, _)| {
                n.eq_ignore_ascii_case(name) || compact.is_some_and(|c| n.eq_ignore_ascii_case(c))
            })
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The number in CSeq.
    pub fn cseq(&self) -> Option<u32> {
        self.header("CSeq")?.split_whitespace().next()?.parse().ok()
    }

    /// The whole message as text, for assertion messages.
    pub fn to_text(&self) -> String {
        let mut text = self.start_line.clone();
        for (name, value) in &self.headers {
            text.push_str(&format!("\r\n{name}: {value}"));
        }
        text.push_str("\r\n\r\n");
        text.push_str(&String::from_utf8_lossy(&self.body));
        text
    }
}

/// RFC 3261 §7.3.3 compact header names.
fn compact_form(name: &str) -> Option<&'static str> {
    let forms = [
        ("Call-ID", "i"),
        ("Contact", "m"),
        ("Content-Length", "l"),
        ("Content-Type", "c"),
        ("From", "f"),
        ("To", "t"),
        ("Via", "v"),
    ];
    forms.iter().find(|(full, _)| full.eq_ignore_ascii_case(name)).map(|(_, short)| *short)
}

/// A digest challenge from WWW-Authenticate or Proxy-Authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub qop: Option<String>,
    pub algorithm: Option<String>,
    pub stale: bool,
}

impl Challenge {
    /// Parses `Digest realm="…", nonce="…", …`.
    pub fn parse(header: &str) -> Option<Challenge> {
        let params = header.trim().strip_prefix("Digest")?;
        let mut realm = None;
        let mut nonce = None;
        let mut challenge = Challenge {
            realm: String::new(),
            nonce: String::new(),
            opaque: None,
            qop: None,
            algorithm: None,
            stale: false,
        };
        for (name, value) in auth_params(params) {
            match name.to_ascii_lowercase().as_str() {
                "realm" => realm = Some(value),
                "nonce" => nonce = Some(value),
                "opaque" => challenge.opaque = Some(value),
                "qop" => challenge.qop = Some(value),
                "algorithm" => challenge.algorithm = Some(value),
                "stale" => challenge.stale = value.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        challenge.realm = realm?;
        challenge.nonce = nonce?;
        Some(challenge)
    }

    /// Whether the server offers qop=auth.
    pub fn offers_auth_qop(&self) -> bool {
        self.qop.as_deref().is_some_and(|qop| qop.split(',').any(|q| q.trim() == "auth"))
    }

    /// The Authorization value answering this challenge (MD5, qop=auth when
    /// offered) for `method` on `uri` with the given nonce count and cnonce.
    pub fn answer(
        &self,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
        nc: u32,
        cnonce: &str,
    ) -> String {
        let ha1 = md5_hex(&format!("{username}:{}:{password}", self.realm));
        let ha2 = md5_hex(&format!("{method}:{uri}"));
        let mut value = format!(
            "Digest username=\"{username}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", \
             algorithm=MD5",
            self.realm, self.nonce
        );
        let response = if self.offers_auth_qop() {
            let nc = format!("{nc:08x}");
            value.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
            md5_hex(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce))
        } else {
            md5_hex(&format!("{ha1}:{}:{ha2}", self.nonce))
        };
        value.push_str(&format!(", response=\"{response}\""));
        if let Some(opaque) = &self.opaque {
            value.push_str(&format!(", opaque=\"{opaque}\""));
        }
        value
    }
}

/// `name=value` pairs of an auth header, values unquoted; commas inside quotes
/// do not split.
fn auth_params(params: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in params.chars().chain(std::iter::once(',')) {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => {
                if let Some((name, value)) = current.split_once('=') {
                    pairs.push((
                        name.trim().to_string(),
                        value.trim().trim_matches('"').to_string(),
                    ));
                }
                current.clear();
            }
            _ => current.push(c),
        }
    }
    pairs
}

/// Lower-case hex MD5 of `text`.
pub fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A REGISTER as a phone would send it.
#[derive(Debug, Clone)]
pub struct Register {
    pub user: String,
    /// `host:port` of the registrar; used in the Request-URI and To/From.
    pub registrar: String,
    /// `host:port` this client sends from, for Via and Contact.
    pub local: String,
    /// `udp` or `tcp`.
    pub transport: &'static str,
    pub call_id: String,
    pub from_tag: String,
    pub cseq: u32,
    /// Contact header value, e.g. `<sip:1001@127.0.0.1:5070>` or `*`.
    pub contact: String,
    pub expires: Option<u32>,
    pub authorization: Option<String>,
}

impl Register {
    /// A REGISTER for `user` from `local`, contact at `local`, new Call-ID.
    pub fn new(user: &str, registrar: SocketAddr, local: SocketAddr) -> Register {
        Register {
            user: user.to_string(),
            registrar: registrar.to_string(),
            local: local.to_string(),
            transport: "udp",
            call_id: format!("{}@127.0.0.1", token()),
            from_tag: token(),
            cseq: 1,
            contact: format!("<sip:{user}@{local}>"),
            expires: Some(3600),
            authorization: None,
        }
    }

    /// The Request-URI, which is also the digest `uri`.
    pub fn uri(&self) -> String {
        format!("sip:{}", self.registrar)
    }

    /// The request as bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let transport = self.transport.to_ascii_uppercase();
        let mut text = format!(
            "REGISTER {uri} SIP/2.0\r\n\
             Via: SIP/2.0/{transport} {local};branch=z9hG4bK{branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{user}@{registrar}>;tag={tag}\r\n\
             To: <sip:{user}@{registrar}>\r\n\
             Call-ID: {call_id}\r\n\
             CSeq: {cseq} REGISTER\r\n\
             Contact: {contact}\r\n\
             User-Agent: switchboard-tests\r\n",
            uri = self.uri(),
            local = self.local,
            branch = token(),
            user = self.user,
            registrar = self.registrar,
            tag = self.from_tag,
            call_id = self.call_id,
            cseq = self.cseq,
            contact = self.contact,
        );
        if let Some(expires) = self.expires {
            text.push_str(&format!("Expires: {expires}\r\n"));
        }
        if let Some(authorization) = &self.authorization {
            text.push_str(&format!("Authorization: {authorization}\r\n"));
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        text.into_bytes()
    }
}

/// An OPTIONS request with a new Call-ID and the given CSeq.
pub fn options(server: SocketAddr, local: SocketAddr, transport: &str, cseq: u32) -> String {
    format!(
        "OPTIONS sip:{server} SIP/2.0\r\n\
         Via: SIP/2.0/{transport} {local};branch=z9hG4bK{branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:probe@{local}>;tag={tag}\r\n\
         To: <sip:{server}>\r\n\
         Call-ID: {call_id}@127.0.0.1\r\n\
         CSeq: {cseq} OPTIONS\r\n\
         Accept: application/sdp\r\n\
         Content-Length: 0\r\n\r\n",
        transport = transport.to_ascii_uppercase(),
        branch = token(),
        tag = token(),
        call_id = token(),
    )
}

/// A random token for branches, tags, Call-IDs and cnonces.
pub fn token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// A UDP socket on loopback talking to one SIP server.
pub struct UdpClient {
    socket: UdpSocket,
    server: SocketAddr,
}

impl UdpClient {
    /// Binds an ephemeral loopback port.
    pub fn new(server: SocketAddr) -> UdpClient {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback UDP socket");
        UdpClient { socket, server }
    }

    /// Binds a chosen loopback port, so a Contact there can receive requests.
    pub fn bind(port: u16, server: SocketAddr) -> UdpClient {
        let socket = UdpSocket::bind(("127.0.0.1", port))
            .unwrap_or_else(|err| panic!("bind 127.0.0.1:{port}: {err}"));
        UdpClient { socket, server }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.socket.local_addr().expect("a bound socket has an address")
    }

    pub fn send(&self, bytes: &[u8]) {
        self.socket.send_to(bytes, self.server).expect("send a datagram on loopback");
    }

    /// The next message, or `None` after `timeout`. Datagrams that do not
    /// parse are reported as a failed test: switchboard must send valid SIP.
    pub fn recv(&self, timeout: Duration) -> Option<Message> {
        if timeout.is_zero() {
            return None;
        }
        let mut buffer = vec![0u8; 65_536];
        self.socket.set_read_timeout(Some(timeout)).ok()?;
        let (len, _) = self.socket.recv_from(&mut buffer).ok()?;
        match Message::parse(&buffer[..len]) {
            Ok((message, _)) => Some(message),
            Err(err) => panic!(
                "switchboard sent a datagram that is not SIP ({err:?}):\n{}",
                String::from_utf8_lossy(&buffer[..len])
            ),
        }
    }

    /// Sends a request and returns the first final (non-1xx) response.
    pub fn request(&self, bytes: &[u8], timeout: Duration) -> Option<Message> {
        self.send(bytes);
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            let message = self.recv(left)?;
            if message.status().is_some_and(|code| code >= 200) {
                return Some(message);
            }
        }
    }
}

/// A TCP connection to a SIP server that frames what comes back.
pub struct TcpClient {
    stream: TcpStream,
    received: Vec<u8>,
}

impl TcpClient {
    pub fn connect(server: SocketAddr) -> TcpClient {
        let stream = TcpStream::connect_timeout(&server, Duration::from_secs(5))
            .unwrap_or_else(|err| panic!("connect to {server}: {err}"));
        stream.set_nodelay(true).expect("set TCP_NODELAY");
        TcpClient { stream, received: Vec::new() }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.stream.local_addr().expect("a connected socket has an address")
    }

    /// Writes bytes as one write call.
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// The next message, or `None` after `timeout` or when the server closes.
    pub fn recv(&mut self, timeout: Duration) -> Option<Message> {
        let deadline = Instant::now() + timeout;
        let mut chunk = [0u8; 8192];
        loop {
            // RFC 5626 keep-alive CRLFs may precede a message.
            while self.received.starts_with(b"\r\n") {
                self.received.drain(..2);
            }
            match Message::parse(&self.received) {
                Ok((message, used)) => {
                    self.received.drain(..used);
                    return Some(message);
                }
                Err(Framing::Invalid(reason)) => {
                    panic!("switchboard sent bytes that are not SIP over TCP: {reason}")
                }
                Err(Framing::Incomplete) => {}
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            if left.is_zero() {
                return None;
            }
            self.stream.set_read_timeout(Some(left)).ok()?;
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(len) => self.received.extend_from_slice(&chunk[..len]),
            }
        }
    }

    /// Whether the server closed the connection (reads end of stream within
    /// `timeout`, ignoring anything it sent before closing).
    pub fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut chunk = [0u8; 8192];
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                return false;
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(err) => {
                    return !matches!(
                        err.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    )
                }
            }
        }
    }
}
