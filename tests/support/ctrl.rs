//! A client for baresip's `ctrl_tcp` module: commands as netstring-framed JSON
//! (`LEN:{"command":…,"params":…,"token":…},`), one reply per command, and the
//! events baresip sends to every connection (call ringing, established,
//! closed…), which are kept so a test can wait for them.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::wait;

/// Why a command got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("cannot connect to ctrl_tcp at {addr}: {source}")]
    Connect { addr: SocketAddr, source: std::io::Error },
    #[error("ctrl_tcp connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("no reply to `{command}` within {timeout:?}")]
    Timeout { command: String, timeout: Duration },
    #[error("ctrl_tcp connection closed")]
    Closed,
}

/// The reply to one command.
#[derive(Debug, Clone)]
pub struct Reply {
    pub ok: bool,
    /// The command's text output (e.g. the registration list for `reginfo`).
    pub data: String,
}

/// Something that happened on the phone, as baresip reported it.
#[derive(Debug, Clone)]
pub struct PhoneEvent {
    /// e.g. `CALL_ESTABLISHED`, `CALL_CLOSED`, `REGISTER_OK`.
    pub kind: String,
    /// For `CALL_CLOSED`, the reason (e.g. the final response of a failed call).
    pub param: String,
    /// The whole event, for assertion messages.
    pub raw: String,
}

/// One ctrl_tcp connection.
pub struct Control {
    link: Mutex<Link>,
    events: Arc<Mutex<Vec<PhoneEvent>>>,
}

struct Link {
    writer: TcpStream,
    replies: Receiver<Value>,
    next_token: u64,
}

impl Control {
    /// Connects, retrying until `timeout` while baresip starts up.
    pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<Control, ControlError> {
        let mut last_error = None;
        let stream = wait::until(timeout, || match TcpStream::connect(addr) {
            Ok(stream) => Some(stream),
            Err(err) => {
                last_error = Some(err);
                None
            }
        });
        let stream = match stream {
            Some(stream) => stream,
            None => {
                let source = last_error.unwrap_or_else(|| std::io::ErrorKind::TimedOut.into());
                return Err(ControlError::Connect { addr, source });
            }
        };

        let reader = stream.try_clone()?;
        let (replies_tx, replies) = mpsc::channel();
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        std::thread::spawn(move || read_frames(reader, replies_tx, sink));

        Ok(Control { link: Mutex::new(Link { writer: stream, replies, next_token: 1 }), events })
    }

    /// Sends `command params` and waits up to `timeout` for its reply.
    pub fn command(
        &self,
        command: &str,
        params: &str,
        timeout: Duration,
    ) -> Result<Reply, ControlError> {
        let mut link = self.link.lock().map_err(|_| ControlError::Closed)?;
        let token = format!("t{}", link.next_token);
        link.next_token += 1;

        let body =
            serde_json::json!({ "command": command, "params": params, "token": token }).to_string();
        let frame = format!("{}:{body},", body.len());
        link.writer.write_all(frame.as_bytes())?;

        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match link.replies.recv_timeout(left) {
                Ok(reply) if reply["token"].as_str() == Some(token.as_str()) => {
                    return Ok(Reply {
                        ok: reply["ok"].as_bool().unwrap_or(false),
                        data: reply["data"].as_str().unwrap_or_default().to_string(),
                    });
                }
                // A late reply to an earlier command that timed out.
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(ControlError::Timeout {
                        command: format!("{command} {params}"),
                        timeout,
                    })
                }
                Err(RecvTimeoutError::Disconnected) => return Err(ControlError::Closed),
            }
        }
    }

    /// Every event received so far, oldest first.
    pub fn events(&self) -> Vec<PhoneEvent> {
        self.events.lock().map(|events| events.clone()).unwrap_or_default()
    }

    /// Waits for an event of `kind` that arrived after the first `skip` events.
    pub fn wait_event(&self, kind: &str, skip: usize, timeout: Duration) -> Option<PhoneEvent> {
        wait::until(timeout, || {
            self.events().into_iter().skip(skip).find(|event| event.kind == kind)
        })
    }
}

/// Reads netstrings until the connection closes; replies go to the command
/// waiting for them, events into the shared list.
fn read_frames(
    mut stream: TcpStream,
    replies: mpsc::Sender<Value>,
    events: Arc<Mutex<Vec<PhoneEvent>>>,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while let Some((frame, used)) = take_netstring(&buffer) {
            buffer.drain(..used);
            let Ok(value) = serde_json::from_slice::<Value>(&frame) else { continue };
            if value["response"].as_bool() == Some(true) {
                let _ = replies.send(value);
            } else if value["event"].as_bool() == Some(true) {
                let event = PhoneEvent {
                    kind: value["type"].as_str().unwrap_or_default().to_string(),
                    param: value["param"].as_str().unwrap_or_default().to_string(),
                    raw: value.to_string(),
                };
                if let Ok(mut events) = events.lock() {
                    events.push(event);
                }
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(len) => buffer.extend_from_slice(&chunk[..len]),
        }
    }
}

/// One complete netstring at the start of `buffer`: its payload and the bytes
/// it took. Bytes that cannot start a netstring are skipped one at a time.
pub fn take_netstring(buffer: &[u8]) -> Option<(Vec<u8>, usize)> {
    let colon = buffer.iter().position(|&b| b == b':')?;
    let digits = std::str::from_utf8(&buffer[..colon]).ok()?;
    let Ok(len) = digits.trim().parse::<usize>() else {
        // Not a length: resynchronise after the colon.
        return Some((Vec::new(), colon + 1));
    };
    let end = colon + 1 + len;
    if buffer.len() < end + 1 {
        return None;
    }
    Some((buffer[colon + 1..end].to_vec(), end + 1))
}
