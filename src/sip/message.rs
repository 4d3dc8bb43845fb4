//! SIP messages as the rest of switchboard sees them: a start line, an ordered
//! list of headers and a body.
//!
//! Parsing goes through rsipstack's `sip` module; in front of it sit the checks
//! that parser does not make (framing against Content-Length, comma-joined
//! header lists, extension methods). Building goes back through rsipstack's
//! types so that what goes on the wire is serialised in one place.

use rsipstack::sip as rsip;

/// Why bytes could not be read as a SIP message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("message has no blank line after its headers")]
    Unterminated,
    #[error("Content-Length {declared} but the body has {actual} bytes")]
    ShortBody { declared: usize, actual: usize },
    #[error("bad Content-Length")]
    BadContentLength,
    #[error("method {0} is not supported")]
    UnknownMethod(String),
    #[error("missing or bad {0} header")]
    MissingHeader(&'static str),
    #[error("SIP version {0} is not supported")]
    Version(String),
    #[error("unparseable message: {0}")]
    Syntax(String),
}

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    Request { method: String, uri: String },
    Response { code: u16, reason: String },
}

/// A parsed or locally built SIP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    /// Header names in their canonical spelling (compact forms expanded), one
    /// entry per value: comma-joined lists are split on arrival.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Methods switchboard knows. Anything else gets 501 (RFC 3261 §8.2.1).
pub const KNOWN_METHODS: &[&str] = &[
    "INVITE",
    "ACK",
    "BYE",
    "CANCEL",
    "REGISTER",
    "OPTIONS",
    "INFO",
    "UPDATE",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
    "MESSAGE",
    "PUBLISH",
];

/// Headers whose values may be joined by commas on one line (RFC 3261 §7.3.1).
const LIST_HEADERS: &[&str] = &["Via", "Contact", "Route", "Record-Route"];

/// Where the header section ends: the index just past the blank line.
pub fn header_end(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4)
}

/// Reads the Content-Length of a header section without parsing the rest;
/// stream transports use it to frame messages.
pub fn content_length(head: &[u8]) -> Result<usize, ParseError> {
    let text = std::str::from_utf8(head).map_err(|_| ParseError::BadContentLength)?;
    for line in text.split("\r\n").skip(1) {
        let Some((name, value)) = line.split_once(':') else { continue };
        let name = name.trim();
        if name.eq_ignore_ascii_case("Content-Length") || name.eq_ignore_ascii_case("l") {
            return value.trim().parse().map_err(|_| ParseError::BadContentLength);
        }
    }
    Ok(0)
}

impl Message {
    /// Parses one whole message, as a datagram or as framed from a stream.
    /// Extra bytes after the declared body are ignored (RFC 3261 §18.3);
    /// fewer than declared is an error.
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        let end = header_end(bytes).ok_or(ParseError::Unterminated)?;
        let declared = content_length(&bytes[..end])?;
        let actual = bytes.len() - end;
        if declared > actual {
            return Err(ParseError::ShortBody { declared, actual });
        }
        let framed = &bytes[..end + declared];

        if let Some(method) = request_method(framed) {
            if !KNOWN_METHODS.contains(&method.as_str()) {
                return Err(ParseError::UnknownMethod(method));
            }
        }
        check_version(framed)?;

        let parsed = rsip::SipMessage::try_from(framed)
            .map_err(|error| ParseError::Syntax(error.to_string()))?;
        let message = Message::from_rsip(parsed);
        message.check_mandatory()?;
        Ok(message)
    }

    fn from_rsip(parsed: rsip::SipMessage) -> Message {
        let (start, headers, body) = match parsed {
            rsip::SipMessage::Request(request) => (
                StartLine::Request {
                    method: request.method.to_string(),
                    uri: request.uri.to_string(),
                },
                request.headers,
                request.body,
            ),
            rsip::SipMessage::Response(response) => (
                StartLine::Response {
                    code: response.status_code.code(),
                    reason: response
                        .wire_reason
                        .clone()
                        .unwrap_or_else(|| reason_phrase(response.status_code.code()).to_string()),
                },
                response.headers,
                response.body,
            ),
        };
        let mut list = Vec::new();
        for header in headers.iter() {
            let name = header.name().to_string();
            let value = header.value().trim();
            if LIST_HEADERS.iter().any(|list_name| list_name.eq_ignore_ascii_case(&name)) {
                for part in split_list(value) {
                    list.push((name.clone(), part.to_string()));
                }
            } else {
                list.push((name, value.to_string()));
            }
        }
        Message { start, headers: list, body }
    }

    /// RFC 3261 §8.1.1: every request and response carries these.
    fn check_mandatory(&self) -> Result<(), ParseError> {
        for name in ["Via", "From", "To", "Call-ID"] {
            if self.header(name).is_none() {
                return Err(ParseError::MissingHeader(name));
            }
        }
        if self.cseq().is_none() {
            return Err(ParseError::MissingHeader("CSeq"));
        }
        if self.is_request() {
            if self.branch().is_none() {
                return Err(ParseError::MissingHeader("Via"));
            }
            // RFC 3261 §8.1.1.5: CSeq names the request's own method.
            let cseq_method = self.cseq().map(|(_, method)| method);
            if let StartLine::Request { method, .. } = &self.start {
                if cseq_method != Some(method.as_str()) {
                    return Err(ParseError::MissingHeader("CSeq"));
                }
            }
            if self.max_forwards().is_none() {
                return Err(ParseError::MissingHeader("Max-Forwards"));
            }
        }
        Ok(())
    }

    /// A request with these headers and no body yet.
    pub fn request(method: &str, uri: &str) -> Message {
        Message {
            start: StartLine::Request { method: method.to_string(), uri: uri.to_string() },
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response to `request`, copying what RFC 3261 §8.2.6.2 says to copy.
    /// `to_tag` is added to To when it has none.
    pub fn response_to(request: &Message, code: u16, to_tag: Option<&str>) -> Message {
        let mut response = Message {
            start: StartLine::Response { code, reason: reason_phrase(code).to_string() },
            headers: Vec::new(),
            body: Vec::new(),
        };
        for via in request.header_values("Via") {
            response.push("Via", via);
        }
        for name in ["From", "Call-ID", "CSeq"] {
            if let Some(value) = request.header(name) {
                response.push(name, value);
            }
        }
        if let Some(to) = request.header("To") {
            let to = match to_tag {
                Some(tag) if tag_of(to).is_none() => format!("{to};tag={tag}"),
                _ => to.to_string(),
            };
            response.push("To", to);
        }
        response
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    /// The method of a request, or the method in CSeq for a response.
    pub fn method(&self) -> &str {
        match &self.start {
            StartLine::Request { method, .. } => method,
            StartLine::Response { .. } => self.cseq().map(|(_, method)| method).unwrap_or(""),
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self.start {
            StartLine::Response { code, .. } => Some(code),
            StartLine::Request { .. } => None,
        }
    }

    pub fn request_uri(&self) -> Option<&str> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.headers.push((name.to_string(), value.into()));
    }

    pub fn remove(&mut self, name: &str) {
        self.headers.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.remove(name);
        self.push(name, value);
    }

    pub fn call_id(&self) -> &str {
        self.header("Call-ID").unwrap_or("")
    }

    /// CSeq as number and method.
    pub fn cseq(&self) -> Option<(u32, &str)> {
        let (number, method) = self.header("CSeq")?.trim().split_once(char::is_whitespace)?;
        Some((number.trim().parse().ok()?, method.trim()))
    }

    /// The branch parameter of the top Via.
    pub fn branch(&self) -> Option<&str> {
        param(self.header("Via")?, "branch")
    }

    pub fn from_tag(&self) -> Option<&str> {
        tag_of(self.header("From")?)
    }

    pub fn to_tag(&self) -> Option<&str> {
        tag_of(self.header("To")?)
    }

    /// Max-Forwards, 70 when absent (RFC 3261 §8.1.1.6).
    pub fn max_forwards(&self) -> Option<u32> {
        match self.header("Max-Forwards") {
            Some(value) => value.trim().parse().ok(),
            None => Some(70),
        }
    }

    /// The user part of a header's URI (From, To), e.g. "1001".
    pub fn user_of(&self, name: &str) -> Option<String> {
        let value = self.header(name)?;
        Some(NameAddr::parse(value).uri_user()?.to_string())
    }

    /// Serialises through rsipstack's message types, with Content-Length set
    /// from the body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut headers: Vec<rsip::Header> = self
            .headers
            .iter()
            .filter(|(name, _)| !name.eq_ignore_ascii_case("Content-Length"))
            .map(|(name, value)| rsip::headers::make_header(name, value.clone()))
            .collect();
        headers.push(rsip::headers::make_header("Content-Length", self.body.len().to_string()));
        let headers = rsip::Headers::from(headers);

        let built = match &self.start {
            StartLine::Request { method, uri } => {
                match (method.parse::<rsip::Method>(), rsip::parse_uri(uri)) {
                    (Ok(method), Ok(uri)) => Some(
                        rsip::Request {
                            method,
                            uri,
                            version: rsip::Version::V2,
                            headers: headers.clone(),
                            body: self.body.clone(),
                        }
                        .to_bytes(),
                    ),
                    _ => None,
                }
            }
            StartLine::Response { code, .. } => Some(
                rsip::Response {
                    status_code: rsip::StatusCode::from(*code),
                    wire_reason: None,
                    version: rsip::Version::V2,
                    headers: headers.clone(),
                    body: self.body.clone(),
                }
                .to_bytes(),
            ),
        };
        // A start line rsipstack cannot represent (an extension method echoed
        // back) is written as it is.
        built.unwrap_or_else(|| self.write_plain(&headers))
    }

    fn write_plain(&self, headers: &rsip::Headers) -> Vec<u8> {
        let line = match &self.start {
            StartLine::Request { method, uri } => format!("{method} {uri} SIP/2.0"),
            StartLine::Response { code, reason } => format!("SIP/2.0 {code} {reason}"),
        };
        let mut bytes = format!("{line}\r\n{headers}\r\n\r\n").into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

/// The method of a request line, if the bytes start with one.
fn request_method(bytes: &[u8]) -> Option<String> {
    let line_end = bytes.iter().position(|&b| b == b'\r')?;
    let line = std::str::from_utf8(&bytes[..line_end]).ok()?;
    if line.starts_with("SIP/") {
        return None;
    }
    let method = line.split(' ').next()?;
    Some(method.to_ascii_uppercase())
}

/// Only SIP/2.0 is spoken (RFC 3261 §8.2.x answers others with 505).
fn check_version(bytes: &[u8]) -> Result<(), ParseError> {
    let line_end = bytes.iter().position(|&b| b == b'\r').unwrap_or(bytes.len());
    let line = String::from_utf8_lossy(&bytes[..line_end]);
    let version = if line.starts_with("SIP/") {
        line.split(' ').next().unwrap_or_default().to_string()
    } else {
        line.rsplit(' ').next().unwrap_or_default().to_string()
    };
    if version == "SIP/2.0" {
        Ok(())
    } else {
        Err(ParseError::Version(version))
    }
}

/// Splits a header value on the commas that separate list elements, leaving
/// commas inside quotes and angle brackets alone.
pub fn split_list(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut in_quotes, mut in_angle, mut start) = (false, false, 0);
    let mut escaped = false;
    for (at, ch) in value.char_indices() {
        match ch {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' if !in_quotes && !in_angle => {
                parts.push(value[start..at].trim());
                start = at + 1;
            }
            _ => {}
        }
    }
    parts.push(value[start..].trim());
    parts.retain(|part| !part.is_empty());
    parts
}

/// The value of `;name=value` in a header value, outside any `<…>`.
pub fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    let outside = match value.rfind('>') {
        Some(at) => &value[at + 1..],
        None => value,
    };
    outside.split(';').skip(1).find_map(|pair| {
        let (key, val) = pair.split_once('=').unwrap_or((pair, ""));
        key.trim().eq_ignore_ascii_case(name).then(|| val.trim().trim_matches('"'))
    })
}

fn tag_of(value: &str) -> Option<&str> {
    param(value, "tag").filter(|tag| !tag.is_empty())
}

/// `"Display" <uri>;params` or `uri;params`, as in From, To and Contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr<'a> {
    pub uri: &'a str,
    /// Header parameters after the URI, e.g. `;tag=…` or `;expires=60`.
    pub params: &'a str,
}

impl<'a> NameAddr<'a> {
    pub fn parse(value: &'a str) -> NameAddr<'a> {
        match (value.find('<'), value.find('>')) {
            (Some(open), Some(close)) if open < close => {
                NameAddr { uri: value[open + 1..close].trim(), params: &value[close + 1..] }
            }
            // Without angle brackets, parameters belong to the header (§20.10).
            _ => match value.find(';') {
                Some(at) => NameAddr { uri: value[..at].trim(), params: &value[at..] },
                None => NameAddr { uri: value.trim(), params: "" },
            },
        }
    }

    /// The user part of a sip: or sips: URI.
    pub fn uri_user(&self) -> Option<&'a str> {
        uri_user(self.uri)
    }

    pub fn param(&self, name: &str) -> Option<&'a str> {
        self.params.split(';').skip(1).find_map(|pair| {
            let (key, val) = pair.split_once('=').unwrap_or((pair, ""));
            key.trim().eq_ignore_ascii_case(name).then(|| val.trim())
        })
    }
}

/// The user part of a sip:/sips:/tel: URI, without parameters.
pub fn uri_user(uri: &str) -> Option<&str> {
    let rest = uri
        .strip_prefix("sip:")
        .or_else(|| uri.strip_prefix("sips:"))
        .or_else(|| uri.strip_prefix("tel:"))?;
    let user = match rest.find('@') {
        Some(at) => &rest[..at],
        None if uri.starts_with("tel:") => rest,
        None => return None,
    };
    let user = user.split([';', ':']).next()?;
    (!user.is_empty()).then_some(user)
}

/// The address of a sip: URI whose host is an IP literal (port 5060 when
/// none is given); None for host names, which would need DNS.
pub fn uri_socket_addr(uri: &str) -> Option<std::net::SocketAddr> {
    let rest = uri.strip_prefix("sip:")?;
    let host_port = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host_port = host_port.split([';', '?']).next()?;
    if let Ok(addr) = host_port.parse::<std::net::SocketAddr>() {
        return Some(addr);
    }
    let ip = host_port.trim_start_matches('[').trim_end_matches(']');
    ip.parse::<std::net::IpAddr>().ok().map(|ip| std::net::SocketAddr::new(ip, 5060))
}

/// The standard reason phrase for the codes switchboard sends.
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Trying",
        180 => "Ringing",
        183 => "Session Progress",
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        505 => "Version Not Supported",
        503 => "Service Unavailable",
        603 => "Decline",
        _ => "Unknown",
    }
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
