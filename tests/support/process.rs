//! Stopping the processes a test started: by their own PID only, politely first
//! (SIGTERM), then for good (SIGKILL) when they linger.

use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use super::wait;

/// Sends SIGTERM to `pid` with the shell's `kill` builtin, which exists on every
/// machine with `/bin/sh`, so the harness needs no unsafe code.
pub fn terminate(pid: u32) {
    // Failure means the process is already gone, which is what we want.
    let _ = Command::new("sh")
        .args(["-c", "kill -s TERM \"$1\" 2>/dev/null", "sh", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// SIGTERM, up to `grace` to exit, then SIGKILL. Returns how it ended, when known.
pub fn stop(child: &mut Child, grace: Duration) -> Option<ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        return Some(status);
    }
    terminate(child.id());
    if let Some(status) = wait::until(grace, || child.try_wait().ok().flatten()) {
        return Some(status);
    }
    // Child::kill sends SIGKILL to this child's PID.
    let _ = child.kill();
    child.wait().ok()
}

/// Waits up to `timeout` for `child` to exit by itself.
pub fn wait_exit(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    wait::until(timeout, || child.try_wait().ok().flatten())
}

/// What a finished command printed and how it ended.
#[derive(Debug, Clone)]
pub struct Finished {
    /// `None` when it had to be killed at the deadline.
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// Whether it exited by itself with status 0.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }

    /// Status, stdout and stderr in one block, for assertion messages.
    pub fn describe(&self) -> String {
        let status = match self.status {
            Some(status) => status.to_string(),
            None => "killed at the deadline".to_string(),
        };
        format!("{status}\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
    }
}

/// Runs `command` to completion with its output captured, killing it when it
/// has not finished after `timeout`.
///
/// Panics when the program cannot be started at all (not installed).
pub fn run_bounded(command: &mut Command, timeout: Duration) -> Finished {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {command:?}: {err}"));

    // Drained on their own threads so a chatty program never blocks on a full pipe.
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);

    let status = match wait_exit(&mut child, timeout) {
        Some(status) => Some(status),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    };

    let collect = |reader: Option<std::thread::JoinHandle<String>>| {
        reader.and_then(|handle| handle.join().ok()).unwrap_or_default()
    };
    Finished { status, stdout: collect(stdout), stderr: collect(stderr) }
}

fn drain(mut pipe: impl std::io::Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
