//! Running `switchboard` commands against a data directory with no PBX, as
//! a script would, and reading exit status, stdout and stderr.

use std::path::Path;
use std::process::Command;

/// What one command did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `switchboard --data DATA ARGS…` with logging left at its default.
pub fn switchboard(data: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("SWITCHBOARD_LOG")
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Succeeds; returns stdout.
pub fn ok(data: &Path, args: &[&str]) -> String {
    let run = switchboard(data, args);
    assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
    run.stdout
}

/// Refused with exit 1 and exactly one line on stderr, which is returned.
pub fn refused(data: &Path, args: &[&str]) -> String {
    let run = switchboard(data, args);
    assert_eq!(run.code, 1, "{args:?} should be refused; stdout: {}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "one line on stderr: {:?}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run.stderr.trim_end().to_string()
}
