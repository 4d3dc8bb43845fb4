//! The switchboard under test: the real binary running `serve` on loopback with
//! a temporary data directory, plus its CLI pointed at the same directory.
//!
//! Every test gets its own PBX on port 0; the port it actually bound is read
//! from the one line `serve` prints once it accepts traffic. Dropping a [`Pbx`]
//! stops it (SIGTERM, then SIGKILL) and, when the test is failing, prints the
//! PBX's log so the failure can be understood from the test output alone.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;

use super::process::{self, Finished};
use super::wait;

/// How long `serve` may take to print its listening line.
const STARTUP: Duration = Duration::from_secs(20);

/// How long a CLI command may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(30);

/// How long `serve` gets to stop after SIGTERM before it is killed.
const SHUTDOWN: Duration = Duration::from_secs(5);

/// The binary under test. Cargo names it at build time once the crate has a
/// `switchboard` binary target.
pub fn binary() -> PathBuf {
    match option_env!("CARGO_BIN_EXE_switchboard") {
        Some(path) => PathBuf::from(path),
        None => panic!("this crate has no `switchboard` binary target yet: nothing to test"),
    }
}

/// A phone user to create before or while the PBX runs.
#[derive(Debug, Clone)]
pub struct User {
    pub extension: String,
    pub name: String,
    pub password: String,
    pub multiple_calls: bool,
}

impl User {
    /// A user who accepts one call at a time.
    pub fn new(extension: &str, password: &str) -> Self {
        Self {
            extension: extension.to_string(),
            name: format!("User {extension}"),
            password: password.to_string(),
            multiple_calls: false,
        }
    }

    /// The same user, accepting several calls at once.
    pub fn with_multiple_calls(mut self) -> Self {
        self.multiple_calls = true;
        self
    }
}

/// Options of `serve`, and the users the store starts with.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    users: Vec<User>,
    nonce_ttl: Option<u64>,
    min_expires: Option<u32>,
    max_expires: Option<u32>,
}

impl Builder {
    /// Adds a user, created with the CLI on the store before `serve` starts.
    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    pub fn nonce_ttl(mut self, seconds: u64) -> Self {
        self.nonce_ttl = Some(seconds);
        self
    }

    pub fn min_expires(mut self, seconds: u32) -> Self {
        self.min_expires = Some(seconds);
        self
    }

    pub fn max_expires(mut self, seconds: u32) -> Self {
        self.max_expires = Some(seconds);
        self
    }

    /// Provisions the users, starts `serve` and waits until it listens.
    ///
    /// Panics (failing the test) when a CLI command fails or `serve` does not
    /// report its addresses in time; the message carries the output.
    pub fn start(self) -> Pbx {
        let data = tempfile::Builder::new()
            .prefix("switchboard-test-")
            .tempdir()
            .expect("create a temporary data directory");

        if !self.users.is_empty() {
            for user in &self.users {
                expect_ok(&run_cli(data.path(), &user_add_args(user)), "user add");
            }
            expect_ok(&run_cli(data.path(), &["apply"]), "apply");
        }

        let mut args: Vec<String> = vec![
            "--data".into(),
            data.path().display().to_string(),
            "serve".into(),
            "--sip".into(),
            "127.0.0.1:0".into(),
        ];
        let numeric = [
            ("--nonce-ttl", self.nonce_ttl),
            ("--min-expires", self.min_expires.map(u64::from)),
            ("--max-expires", self.max_expires.map(u64::from)),
        ];
        for (flag, value) in numeric {
            if let Some(value) = value {
                args.push(flag.into());
                args.push(value.to_string());
            }
        }
        Pbx::spawn(data, &args)
    }
}

/// A running `switchboard serve`.
pub struct Pbx {
    child: Child,
    data: tempfile::TempDir,
    args: Vec<String>,
    udp: SocketAddr,
    tcp: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Pbx {
    /// Options and users to start with.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A PBX with the given users and default options.
    pub fn with_users(users: &[User]) -> Pbx {
        users.iter().cloned().fold(Builder::default(), Builder::user).start()
    }

    fn spawn(data: tempfile::TempDir, args: &[String]) -> Pbx {
        let mut child = Command::new(binary())
            .args(args)
            .env("RUST_LOG", "debug")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {}: {err}", binary().display()));

        let log = Arc::new(Mutex::new(String::new()));
        let (lines_tx, lines_rx) = mpsc::channel::<String>();
        if let Some(stderr) = child.stderr.take() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(mut log) = log.lock() {
                        log.push_str(&line);
                        log.push('\n');
                    }
                    // The receiver goes away once the listening line was seen.
                    let _ = lines_tx.send(line);
                }
            });
        }

        let listening = wait::until(STARTUP, || {
            match lines_rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => parse_listening(&line).map(Ok),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                // stderr closed: the process is gone.
                Err(mpsc::RecvTimeoutError::Disconnected) => Some(Err(())),
            }
        });
        let log_now = || log.lock().map(|log| log.clone()).unwrap_or_default();
        let (udp, tcp) = match listening {
            Some(Ok(addrs)) => addrs,
            Some(Err(())) => {
                let status = process::wait_exit(&mut child, Duration::from_secs(2));
                panic!("switchboard serve exited before listening ({status:?}):\n{}", log_now());
            }
            None => {
                process::stop(&mut child, SHUTDOWN);
                panic!(
                    "switchboard serve printed no listening line in {STARTUP:?}:\n{}",
                    log_now()
                );
            }
        };

        Pbx { child, data, args: args.to_vec(), udp, tcp, log }
    }

    /// Where SIP over UDP is answered.
    pub fn udp(&self) -> SocketAddr {
        self.udp
    }

    /// Where SIP over TCP is answered.
    pub fn tcp(&self) -> SocketAddr {
        self.tcp
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.data.path()
    }

    /// PID of the `serve` process, e.g. to read its CPU time.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether `serve` is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Everything `serve` logged so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// Runs `switchboard --data DIR ARGS…` and returns what it printed.
    pub fn cli(&self, args: &[&str]) -> Finished {
        run_cli(self.data.path(), args)
    }

    /// Stages a user and applies it while the PBX runs.
    pub fn add_user(&self, user: &User) {
        expect_ok(&self.cli(&user_add_args(user)), "user add");
        expect_ok(&self.cli(&["apply"]), "apply");
    }

    /// `status --json`, parsed.
    pub fn status(&self) -> Status {
        let out = self.cli(&["status", "--json"]);
        expect_ok(&out, "status --json");
        serde_json::from_str(&out.stdout).unwrap_or_else(|err| {
            panic!("status --json is not the expected JSON ({err}):\n{}", out.stdout)
        })
    }

    /// `calls --json`, parsed.
    pub fn calls(&self) -> Vec<CallRecord> {
        let out = self.cli(&["calls", "--json"]);
        expect_ok(&out, "calls --json");
        serde_json::from_str(&out.stdout).unwrap_or_else(|err| {
            panic!("calls --json is not the expected JSON ({err}):\n{}", out.stdout)
        })
    }

    /// The registrations of one user, from `status --json`.
    pub fn registrations_of(&self, user: &str) -> Vec<Registration> {
        self.status().registrations.into_iter().filter(|r| r.user == user).collect()
    }

    /// Polls `status --json` until `user` has `count` registrations.
    pub fn wait_for_registrations(&self, user: &str, count: usize, timeout: Duration) -> bool {
        wait::for_condition(timeout, || self.registrations_of(user).len() == count)
    }

    /// Polls `calls --json` until a record satisfies `matches`, and returns it.
    ///
    /// Panics with every record seen when none does within `timeout`.
    pub fn wait_for_call_record(
        &self,
        timeout: Duration,
        matches: impl Fn(&CallRecord) -> bool,
    ) -> CallRecord {
        let mut seen = Vec::new();
        let found = wait::until(timeout, || {
            seen = self.calls();
            seen.iter().find(|record| matches(record)).cloned()
        });
        found
            .unwrap_or_else(|| panic!("no matching call record in {timeout:?}; records: {seen:#?}"))
    }

    /// Stops `serve` with SIGTERM and returns how it exited (`None`: it had to be
    /// killed).
    pub fn stop(mut self) -> Option<ExitStatus> {
        self.terminate_and_wait()
    }

    /// Kills the PBX with SIGKILL, as a crash or power cut would, and starts
    /// it again on the same data directory (on new ports).
    pub fn crash_and_restart(mut self) -> Pbx {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.start_again()
    }

    /// Stops the PBX as an administrator would (SIGTERM) and starts it
    /// again on the same data directory (on new ports).
    pub fn restart(mut self) -> Pbx {
        let status = self.terminate_and_wait();
        assert!(status.is_some_and(|s| s.success()), "serve did not stop cleanly: {status:?}");
        self.start_again()
    }

    fn start_again(mut self) -> Pbx {
        let placeholder = tempfile::tempdir().expect("create a temporary directory");
        let data = std::mem::replace(&mut self.data, placeholder);
        let args = self.args.clone();
        drop(self);
        Pbx::spawn(data, &args)
    }

    /// Like [`Pbx::stop`], keeping the data directory for the CLI to read.
    pub fn stop_in_place(&mut self) -> Option<ExitStatus> {
        self.terminate_and_wait()
    }

    fn terminate_and_wait(&mut self) -> Option<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Some(status);
        }
        process::terminate(self.child.id());
        let exited = process::wait_exit(&mut self.child, SHUTDOWN);
        if exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        exited
    }
}

impl Drop for Pbx {
    fn drop(&mut self) {
        self.terminate_and_wait();
        if std::thread::panicking() {
            // libtest shows this only for the failing test.
            eprintln!("---- switchboard serve log ----\n{}", self.log());
        }
    }
}

/// `status --json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    pub registrations: Vec<Registration>,
    pub calls: Vec<LiveCall>,
}

/// One binding of a user to a contact.
#[derive(Debug, Clone, Deserialize)]
pub struct Registration {
    pub user: String,
    pub contact: String,
    pub transport: String,
    pub user_agent: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl Registration {
    /// Seconds from now until the binding expires (negative once past).
    pub fn expires_in(&self) -> i64 {
        (self.expires_at - OffsetDateTime::now_utc()).whole_seconds()
    }
}

/// A call in progress.
#[derive(Debug, Clone, Deserialize)]
pub struct LiveCall {
    pub id: String,
    pub caller: String,
    pub callee: String,
    pub state: String,
}

/// A finished call, from `calls --json`.
#[derive(Debug, Clone, Deserialize)]
pub struct CallRecord {
    pub id: String,
    pub caller: String,
    pub callee: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub answered_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub ended_at: OffsetDateTime,
    /// answered, busy, cancelled, no_answer, not_found, unavailable or failed.
    pub outcome: String,
}

/// Reads `listening on udp 127.0.0.1:PORT, tcp 127.0.0.1:PORT` anywhere in a
/// log line (a timestamp or level may come before it). Structured fields
/// (`udp=127.0.0.1:PORT`) after the word "listening" are read as well.
pub fn parse_listening(line: &str) -> Option<(SocketAddr, SocketAddr)> {
    let line = strip_ansi(line);
    let rest = &line[line.find("listening")?..];
    let address_after = |keyword: &str| -> Option<SocketAddr> {
        rest.match_indices(keyword).find_map(|(at, _)| {
            let after = rest[at + keyword.len()..].strip_prefix([' ', '='])?;
            let token = after.split([',', ' ']).find(|part| !part.is_empty())?;
            token.parse().ok()
        })
    };
    Some((address_after("udp")?, address_after("tcp")?))
}

/// The line without terminal colour sequences (`ESC [ … letter`), in case the
/// log is coloured.
fn strip_ansi(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
}

fn user_add_args(user: &User) -> Vec<&str> {
    let mut args = vec![
        "user",
        "add",
        user.extension.as_str(),
        "--name",
        user.name.as_str(),
        "--sip-password",
        user.password.as_str(),
    ];
    if user.multiple_calls {
        args.push("--multiple-calls");
    }
    args
}

fn run_cli(data: &Path, args: &[&str]) -> Finished {
    let mut command = Command::new(binary());
    command.arg("--data").arg(data).args(args).env("NO_COLOR", "1");
    process::run_bounded(&mut command, CLI_TIMEOUT)
}

fn expect_ok(out: &Finished, what: &str) {
    assert!(out.success(), "switchboard {what} failed: {}", out.describe());
}
