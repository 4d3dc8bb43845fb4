//! SIPp runs: a scenario from `tests/sipp/`, an injection CSV with credentials,
//! keywords, all in a fresh directory where SIPp also leaves its logs.
//!
//! SIPp always binds 127.0.0.1 (`-i`), on ports from [`super::ports`], and is
//! bounded twice: by its own `-timeout` and by `timeout(1)` around it. A run
//! that fails carries SIPp's message trace, error log and `<log>` output, so an
//! assertion message shows the SIP exchange that went wrong.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use super::ports;
use super::process;

/// Where the scenarios live in the source tree.
pub fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("sipp")
}

/// Transport SIPp uses towards its peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// A SIPp invocation being put together.
#[derive(Debug, Clone)]
pub struct Sipp {
    scenario: String,
    /// One of SIPp's embedded scenarios (`-sn`) rather than a file.
    builtin: bool,
    remote: Option<SocketAddr>,
    transport: Transport,
    port: u16,
    calls: u32,
    timeout: Duration,
    keys: Vec<(String, String)>,
    credentials: Vec<(String, String)>,
    extra: Vec<String>,
}

impl Sipp {
    /// A client run of `tests/sipp/<scenario>` against `remote`: it starts
    /// `calls` calls (one by default) and ends when they end.
    pub fn client(scenario: &str, remote: SocketAddr) -> Sipp {
        Sipp::new(scenario, Some(remote))
    }

    /// A server run: waits for `calls` incoming calls on its port.
    pub fn server(scenario: &str) -> Sipp {
        Sipp::new(scenario, None)
    }

    /// One of SIPp's embedded scenarios (`-sn uas`, `-sn uac`…), e.g. an echo
    /// far end with `.arg("-rtp_echo")`.
    pub fn builtin(scenario: &str, remote: Option<SocketAddr>) -> Sipp {
        Sipp { builtin: true, ..Sipp::new(scenario, remote) }
    }

    fn new(scenario: &str, remote: Option<SocketAddr>) -> Sipp {
        Sipp {
            builtin: false,
            scenario: scenario.to_string(),
            remote,
            transport: Transport::Udp,
            port: ports::block(4).first,
            calls: 1,
            timeout: Duration::from_secs(20),
            keys: Vec::new(),
            credentials: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// The local SIP port (`-p`); a fresh free one unless set.
    pub fn port(mut self, port: u16) -> Sipp {
        self.port = port;
        self
    }

    /// Which port SIPp will use.
    pub fn local_port(&self) -> u16 {
        self.port
    }

    pub fn transport(mut self, transport: Transport) -> Sipp {
        self.transport = transport;
        self
    }

    /// Number of calls before SIPp exits (`-m`).
    pub fn calls(mut self, calls: u32) -> Sipp {
        self.calls = calls;
        self
    }

    /// How long the whole run may take before it counts as failed.
    pub fn timeout(mut self, timeout: Duration) -> Sipp {
        self.timeout = timeout;
        self
    }

    /// A `[keyword]` for the scenario (`-key`); a later value replaces an
    /// earlier one (SIPp itself would keep the first).
    pub fn key(mut self, name: &str, value: impl ToString) -> Sipp {
        self.keys.retain(|(existing, _)| existing != name);
        self.keys.push((name.to_string(), value.to_string()));
        self
    }

    /// A line of the injection CSV: `[field0]` user, `[field1]` password,
    /// `[field2]` the `[authentication …]` keyword for them (SIPp mangles
    /// fields nested inside that keyword, so it travels whole).
    pub fn credentials(mut self, user: &str, password: &str) -> Sipp {
        self.credentials.push((user.to_string(), password.to_string()));
        self
    }

    /// Any other SIPp argument.
    pub fn arg(mut self, arg: impl ToString) -> Sipp {
        self.extra.push(arg.to_string());
        self
    }

    /// Runs SIPp to the end.
    pub fn run(self) -> SippRun {
        self.spawn().wait()
    }

    /// Starts SIPp in the background; [`RunningSipp::wait`] collects the result.
    pub fn spawn(self) -> RunningSipp {
        let dir =
            tempfile::Builder::new().prefix("sipp-").tempdir().expect("create a SIPp directory");
        if !self.builtin {
            let source = scenario_dir().join(&self.scenario);
            fs::copy(&source, dir.path().join(&self.scenario))
                .unwrap_or_else(|err| panic!("copy scenario {}: {err}", source.display()));
        }

        let media = ports::block(4).first;
        let control = ports::one();
        let seconds = self.timeout.as_secs().max(1);
        let mut args: Vec<String> = vec![
            // Outer bound in case SIPp ignores its own -timeout.
            (seconds + 5).to_string(),
            "sipp".into(),
        ];
        if let Some(remote) = self.remote {
            args.push(remote.to_string());
        }
        args.extend(
            [
                if self.builtin { "-sn" } else { "-sf" },
                &self.scenario,
                "-i",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-mp",
                &media.to_string(),
                "-cp",
                &control.to_string(),
                "-m",
                &self.calls.to_string(),
                "-t",
                match self.transport {
                    Transport::Udp => "u1",
                    Transport::Tcp => "t1",
                },
                "-nostdin",
                "-timeout",
                &format!("{seconds}s"),
                "-timeout_error",
                "-trace_msg",
                "-message_file",
                "messages.log",
                "-trace_err",
                "-error_file",
                "errors.log",
                "-trace_logs",
                "-log_file",
                "actions.log",
                "-trace_screen",
                "-screen_file",
                "screen.log",
            ]
            .map(String::from),
        );
        if !self.credentials.is_empty() {
            let mut csv = String::from("SEQUENTIAL\n");
            for (user, password) in &self.credentials {
                csv.push_str(&format!(
                    "{user};{password};[authentication username={user} password={password}]\n"
                ));
            }
            fs::write(dir.path().join("users.csv"), csv).expect("write the injection CSV");
            args.extend(["-inf", "users.csv"].map(String::from));
        }
        for (name, value) in &self.keys {
            args.extend(["-key".to_string(), name.clone(), value.clone()]);
        }
        args.extend(self.extra.iter().cloned());

        let stdout = fs::File::create(dir.path().join("stdout.log")).expect("create stdout log");
        let stderr = fs::File::create(dir.path().join("stderr.log")).expect("create stderr log");
        let child = Command::new("timeout")
            .args(&args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start sipp (is sip-tester installed?): {err}"));

        RunningSipp {
            child: Some(child),
            dir,
            scenario: self.scenario,
            port: self.port,
            deadline: self.timeout + Duration::from_secs(10),
            command: args.join(" "),
        }
    }
}

/// A SIPp process in the background. Dropping it kills it.
pub struct RunningSipp {
    child: Option<Child>,
    dir: tempfile::TempDir,
    scenario: String,
    port: u16,
    deadline: Duration,
    command: String,
}

impl RunningSipp {
    /// SIPp's SIP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// SIPp's address, e.g. for a Contact.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Waits for SIPp to end by itself (it is killed past its deadline).
    pub fn wait(mut self) -> SippRun {
        let status = match self.child.take() {
            Some(mut child) => match process::wait_exit(&mut child, self.deadline) {
                Some(status) => Some(status),
                None => {
                    let _ = child.kill();
                    let _ = child.wait();
                    None
                }
            },
            None => None,
        };
        SippRun::collect(status, &self)
    }
}

impl Drop for RunningSipp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            process::stop(&mut child, Duration::from_secs(2));
        }
    }
}

/// The result of a finished SIPp run.
#[derive(Debug, Clone)]
pub struct SippRun {
    /// `None` when SIPp had to be killed.
    pub status: Option<ExitStatus>,
    /// What the scenario's `<log>` actions wrote.
    pub logs: String,
    pub messages: String,
    pub errors: String,
    pub screen: String,
    pub stderr: String,
    scenario: String,
    command: String,
}

impl SippRun {
    fn collect(status: Option<ExitStatus>, running: &RunningSipp) -> SippRun {
        let read =
            |name: &str| fs::read_to_string(running.dir.path().join(name)).unwrap_or_default();
        SippRun {
            status,
            logs: read("actions.log"),
            messages: read("messages.log"),
            errors: read("errors.log"),
            screen: read("screen.log"),
            stderr: read("stderr.log"),
            scenario: running.scenario.clone(),
            command: running.command.clone(),
        }
    }

    /// SIPp's exit code: 0 every call succeeded, 1 some failed, others fatal.
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|status| status.code())
    }

    pub fn succeeded(&self) -> bool {
        self.code() == Some(0)
    }

    /// The values logged as `name=VALUE` by the scenario's `<log>` actions.
    pub fn logged(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}=");
        self.logs
            .split_whitespace()
            .filter_map(|word| word.strip_prefix(&prefix))
            .map(str::to_string)
            .collect()
    }

    /// Everything useful to understand a failed run.
    pub fn report(&self) -> String {
        format!(
            "scenario {} exited {:?}\ncommand: {}\n--- errors\n{}\n--- stderr\n{}\n--- logs\n{}\n\
             --- messages\n{}",
            self.scenario,
            self.code(),
            self.command,
            self.errors,
            self.stderr,
            self.logs,
            self.messages
        )
    }

    /// Fails the test with [`SippRun::report`] unless every call succeeded.
    pub fn assert_success(&self, what: &str) {
        assert!(self.succeeded(), "{what}: SIPp did not succeed\n{}", self.report());
    }

    /// Fails the test unless at least one call failed (exit code 1).
    pub fn assert_failure(&self, what: &str) {
        assert_eq!(
            self.code(),
            Some(1),
            "{what}: SIPp should have failed a call\n{}",
            self.report()
        );
    }
}
