//! Digest authentication on the server side (RFC 3261 §22, RFC 2617 with
//! qop=auth, RFC 8760 for SHA-256): issuing challenges, keeping nonces and
//! their counts, and checking credentials.
//!
//! The registrar and the call handler both ask [`Authenticator::check`]. An
//! unknown user and a wrong password give the same [`Verdict`], so nothing
//! outside can tell which extensions exist.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use md5::Md5;
use rand::Rng;
use sha2::{Digest as _, Sha256};

/// At most this many nonces are remembered; the oldest go first. A client
/// whose nonce was forgotten is simply challenged again with stale=true.
const MAX_NONCES: usize = 100_000;

/// What a request's credentials amount to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The credentials are right for this user.
    Accepted { user: String },
    /// No credentials for our realm: challenge.
    Missing,
    /// The credentials were right but the nonce expired or is unknown:
    /// challenge again with stale=true (RFC 2617 §3.2.1).
    Stale,
    /// Wrong password, unknown user, replayed nonce count or malformed
    /// credentials. Deliberately one answer for all of them.
    Refused,
}

struct NonceState {
    issued: Instant,
    /// The highest nonce count accepted so far; counts must increase.
    last_count: u32,
}

/// Issues nonces and checks credentials against them.
pub struct Authenticator {
    realm: String,
    ttl: Duration,
    /// Nonces are 128 random bits, written as 32 hexadecimal digits.
    nonces: HashMap<u128, NonceState>,
    order: VecDeque<u128>,
}

impl Authenticator {
    pub fn new(realm: &str, ttl: Duration) -> Self {
        Self { realm: realm.to_string(), ttl, nonces: HashMap::new(), order: VecDeque::new() }
    }

    pub fn realm(&self) -> &str {
        &self.realm
    }

    /// The realm follows the domain setting; nonces stay valid across a change
    /// only if the realm did not move.
    pub fn set_realm(&mut self, realm: &str) {
        if self.realm != realm {
            self.realm = realm.to_string();
            self.nonces.clear();
            self.order.clear();
        }
    }

    /// A WWW-Authenticate / Proxy-Authenticate value with a fresh nonce.
    pub fn challenge(&mut self, now: Instant, stale: bool) -> String {
        let nonce = self.issue_nonce(now);
        let stale = if stale { ", stale=true" } else { "" };
        format!(
            "Digest realm=\"{}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"{stale}",
            self.realm
        )
    }

    fn issue_nonce(&mut self, now: Instant) -> String {
        let nonce: u128 = rand::rng().random();
        while self.order.len() >= MAX_NONCES {
            if let Some(oldest) = self.order.pop_front() {
                self.nonces.remove(&oldest);
            }
        }
        self.nonces.insert(nonce, NonceState { issued: now, last_count: 0 });
        self.order.push_back(nonce);
        format!("{nonce:032x}")
    }

    /// Checks the credentials of `header_value` (an Authorization or
    /// Proxy-Authorization value) for `method`, with `password_of` giving the
    /// SIP password of an existing user.
    pub fn check(
        &mut self,
        header_value: Option<&str>,
        method: &str,
        now: Instant,
        password_of: impl Fn(&str) -> Option<String>,
    ) -> Verdict {
        let Some(credentials) = header_value.and_then(Credentials::parse) else {
            return Verdict::Missing;
        };
        if credentials.realm != self.realm {
            return Verdict::Missing;
        }

        // An unknown user is hashed against a password nobody has, so that it
        // costs the same and ends the same as a wrong password.
        let known = password_of(&credentials.username);
        let password = known.clone().unwrap_or_else(|| "\u{0}no such user\u{0}".to_string());
        let expected = credentials.expected_response(&password, method);
        let matches = expected
            .as_deref()
            .is_some_and(|expected| expected.eq_ignore_ascii_case(&credentials.response));
        if !matches || known.is_none() {
            return Verdict::Refused;
        }

        let issued = (credentials.nonce.len() == 32)
            .then(|| u128::from_str_radix(&credentials.nonce, 16).ok())
            .flatten()
            .and_then(|nonce| self.nonces.get_mut(&nonce));
        let Some(state) = issued else {
            return Verdict::Stale;
        };
        if now.duration_since(state.issued) > self.ttl {
            return Verdict::Stale;
        }
        if credentials.qop.is_some() {
            let Some(count) = credentials.count else { return Verdict::Refused };
            if count <= state.last_count {
                return Verdict::Refused;
            }
            state.last_count = count;
        }
        Verdict::Accepted { user: credentials.username }
    }
}

/// The fields of a Digest credentials header.
#[derive(Debug, Default)]
struct Credentials {
    username: String,
    realm: String,
    nonce: String,
    uri: String,
    response: String,
    algorithm: Option<String>,
    qop: Option<String>,
    /// The nonce count, read as the 8 hexadecimal digits it is on the wire.
    count: Option<u32>,
    nc_text: String,
    cnonce: String,
}

impl Credentials {
    fn parse(value: &str) -> Option<Credentials> {
        let rest = value.trim();
        let scheme_end = rest.find(char::is_whitespace)?;
        if !rest[..scheme_end].eq_ignore_ascii_case("Digest") {
            return None;
        }
        let mut credentials = Credentials::default();
        for (key, val) in auth_params(&rest[scheme_end..]) {
            match key.to_ascii_lowercase().as_str() {
                "username" => credentials.username = val,
                "realm" => credentials.realm = val,
                "nonce" => credentials.nonce = val,
                "uri" => credentials.uri = val,
                "response" => credentials.response = val,
                "algorithm" => credentials.algorithm = Some(val),
                "qop" => credentials.qop = Some(val),
                "nc" => {
                    credentials.count = u32::from_str_radix(&val, 16).ok();
                    credentials.nc_text = val;
                }
                "cnonce" => credentials.cnonce = val,
                _ => {}
            }
        }
        let complete = !credentials.username.is_empty()
            && !credentials.nonce.is_empty()
            && !credentials.response.is_empty();
        complete.then_some(credentials)
    }

    /// The response a client that knows `password` would send; None for an
    /// algorithm or qop switchboard does not offer.
    fn expected_response(&self, password: &str, method: &str) -> Option<String> {
        let hash: fn(&str) -> String = match self.algorithm.as_deref() {
            None => md5_hex,
            Some(name) if name.eq_ignore_ascii_case("MD5") => md5_hex,
            Some(name) if name.eq_ignore_ascii_case("SHA-256") => sha256_hex,
            Some(_) => return None,
        };
        let ha1 = hash(&format!("{}:{}:{password}", self.username, self.realm));
        // The URI is hashed exactly as the client sent it.
        let ha2 = hash(&format!("{method}:{}", self.uri));
        match self.qop.as_deref() {
            None => Some(hash(&format!("{ha1}:{}:{ha2}", self.nonce))),
            Some(qop) if qop.eq_ignore_ascii_case("auth") => Some(hash(&format!(
                "{ha1}:{}:{}:{}:{qop}:{ha2}",
                self.nonce, self.nc_text, self.cnonce
            ))),
            Some(_) => None,
        }
    }
}

/// Splits `a="x, y", b=z` into pairs, honouring quotes and escapes.
fn auth_params(text: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.trim().is_empty() {
            break;
        }
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    _ => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        pairs.push((key.trim().to_string(), value.trim().to_string()));
    }
    pairs
}

pub fn md5_hex(text: &str) -> String {
    hex(&Md5::digest(text.as_bytes()))
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonce_of(challenge: &str) -> String {
        auth_params(challenge.trim_start_matches("Digest"))
            .into_iter()
            .find(|(key, _)| key == "nonce")
            .map(|(_, value)| value)
            .expect("nonce")
    }

    fn authorization(user: &str, password: &str, nonce: &str, nc: &str) -> String {
        let ha1 = md5_hex(&format!("{user}:office:{password}"));
        let ha2 = md5_hex("REGISTER:sip:office");
        let response = md5_hex(&format!("{ha1}:{nonce}:{nc}:cn:auth:{ha2}"));
        format!(
            "Digest username=\"{user}\", realm=\"office\", nonce=\"{nonce}\", \
             uri=\"sip:office\", response=\"{response}\", qop=auth, nc={nc}, cnonce=\"cn\""
        )
    }

    fn password(user: &str) -> Option<String> {
        (user == "1001").then(|| "secret-1001".to_string())
    }

    #[test]
    fn right_credentials_are_accepted_and_counts_must_increase() {
        let mut auth = Authenticator::new("office", Duration::from_secs(300));
        let now = Instant::now();
        let nonce = nonce_of(&auth.challenge(now, false));
        let first = authorization("1001", "secret-1001", &nonce, "00000001");
        assert_eq!(
            auth.check(Some(&first), "REGISTER", now, password),
            Verdict::Accepted { user: "1001".into() }
        );
        assert_eq!(auth.check(Some(&first), "REGISTER", now, password), Verdict::Refused);
        // nc is hexadecimal: 0000000a is ten, above nine.
        let ninth = authorization("1001", "secret-1001", &nonce, "00000009");
        let tenth = authorization("1001", "secret-1001", &nonce, "0000000a");
        assert!(matches!(
            auth.check(Some(&ninth), "REGISTER", now, password),
            Verdict::Accepted { .. }
        ));
        assert!(matches!(
            auth.check(Some(&tenth), "REGISTER", now, password),
            Verdict::Accepted { .. }
        ));
    }

    #[test]
    fn unknown_user_and_wrong_password_look_the_same() {
        let mut auth = Authenticator::new("office", Duration::from_secs(300));
        let now = Instant::now();
        let nonce = nonce_of(&auth.challenge(now, false));
        let wrong = authorization("1001", "guess", &nonce, "00000001");
        let unknown = authorization("9999", "guess", &nonce, "00000001");
        assert_eq!(auth.check(Some(&wrong), "REGISTER", now, password), Verdict::Refused);
        assert_eq!(auth.check(Some(&unknown), "REGISTER", now, password), Verdict::Refused);
    }

    #[test]
    fn an_expired_nonce_with_right_credentials_is_stale() {
        let mut auth = Authenticator::new("office", Duration::from_secs(5));
        let start = Instant::now();
        let nonce = nonce_of(&auth.challenge(start, false));
        let late = start + Duration::from_secs(6);
        let header = authorization("1001", "secret-1001", &nonce, "00000001");
        assert_eq!(auth.check(Some(&header), "REGISTER", late, password), Verdict::Stale);
        let forgotten = authorization("1001", "secret-1001", "unknown", "00000001");
        assert_eq!(auth.check(Some(&forgotten), "REGISTER", start, password), Verdict::Stale);
        assert!(auth.challenge(late, true).ends_with("stale=true"));
    }

    #[test]
    fn no_credentials_or_another_realm_asks_for_a_challenge() {
        let mut auth = Authenticator::new("office", Duration::from_secs(5));
        assert_eq!(auth.check(None, "REGISTER", Instant::now(), password), Verdict::Missing);
        let other =
            "Digest username=\"1001\", realm=\"elsewhere\", nonce=\"n\", uri=\"u\", response=\"r\"";
        assert_eq!(auth.check(Some(other), "REGISTER", Instant::now(), password), Verdict::Missing);
    }

    #[test]
    fn quoted_commas_stay_in_their_value() {
        let pairs = auth_params(" username=\"a,b\", qop=auth,nc=00000001");
        assert_eq!(pairs[0], ("username".into(), "a,b".into()));
        assert_eq!(pairs[1], ("qop".into(), "auth".into()));
        assert_eq!(pairs[2], ("nc".into(), "00000001".into()));
    }
}
