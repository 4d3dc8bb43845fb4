//! The control socket's framing: one JSON object per line, each way.
//!
//! A request is a [`Command`] (`{"command":"list_users"}`) or
//! `{"command":"subscribe"}`. Each command gets one response line,
//! `{"ok":{…reply…}}` or `{"error":{…}}`; a subscription gets
//! `{"snapshot":{…}}` and then one `{"event":{…}}` line per event until the
//! client closes the connection.

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

use super::api::{Command, ControlError, Event, Reply, Snapshot};

/// Longest request line a server reads; commands are small.
pub const MAX_REQUEST_LINE: usize = 64 * 1024;
/// Longest response line a client reads: a snapshot of a large office.
pub const MAX_RESPONSE_LINE: usize = 64 * 1024 * 1024;

/// What a client asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Command(Command),
    Subscribe,
}

impl Request {
    pub fn parse(line: &[u8]) -> Result<Request, serde_json::Error> {
        let value: serde_json::Value = serde_json::from_slice(line)?;
        if value.get("command").and_then(|c| c.as_str()) == Some("subscribe") {
            return Ok(Request::Subscribe);
        }
        serde_json::from_value(value).map(Request::Command)
    }

    /// The request as one line, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        let value = match self {
            Request::Command(command) => serde_json::to_value(command),
            Request::Subscribe => Ok(serde_json::json!({ "command": "subscribe" })),
        };
        // Commands hold only strings, numbers and booleans: always encodable.
        let mut line = value.map(|v| v.to_string()).expect("commands encode as JSON").into_bytes();
        line.push(b'\n');
        line
    }
}

/// What the server answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Response {
    Ok(Reply),
    Error(ControlError),
    Snapshot(Snapshot),
    Event(Event),
}

impl Response {
    /// The response as one line, newline included.
    pub fn to_line(&self) -> Vec<u8> {
        // Replies, snapshots and events hold only strings, numbers, booleans
        // and string-keyed maps: always encodable.
        let mut line = serde_json::to_vec(self).expect("responses encode as JSON");
        line.push(b'\n');
        line
    }
}

/// Why a line could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    #[error("line longer than {max} bytes")]
    TooLong { max: usize },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Reads one line of at most `max` bytes (newline excluded), without the
/// newline. None at the end of the stream. Reading stops at `max + 1` bytes,
/// so a peer cannot make this buffer grow without bound.
pub async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    max: usize,
) -> Result<Option<Vec<u8>>, LineError> {
    let mut line = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let read = (&mut *reader).take(limit).read_until(b'\n', &mut line).await?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    if line.len() > max {
        return Err(LineError::TooLong { max });
    }
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_read_one_at_a_time_and_end_with_none() {
        let mut input: &[u8] = b"first\nsecond\n";
        assert_eq!(read_line(&mut input, 16).await.ok().flatten(), Some(b"first".to_vec()));
        assert_eq!(read_line(&mut input, 16).await.ok().flatten(), Some(b"second".to_vec()));
        assert!(matches!(read_line(&mut input, 16).await, Ok(None)));
    }

    #[tokio::test]
    async fn a_line_over_the_limit_is_refused() {
        let mut input: &[u8] = b"0123456789\n";
        assert!(matches!(read_line(&mut input, 9).await, Err(LineError::TooLong { max: 9 })));
        let mut exact: &[u8] = b"0123456789\n";
        assert_eq!(read_line(&mut exact, 10).await.ok().flatten(), Some(b"0123456789".to_vec()));
    }

    #[test]
    fn requests_round_trip_through_their_line_form() {
        for request in [Request::Subscribe, Request::Command(Command::Calls { limit: Some(3) })] {
            let line = request.to_line();
            assert_eq!(line.last(), Some(&b'\n'));
            assert_eq!(Request::parse(&line[..line.len() - 1]).ok(), Some(request));
        }
        assert!(Request::parse(br#"{"command":"launch_rockets"}"#).is_err());
    }
}
