//! The black-box test harness: switchboard's real binary on loopback, driven by
//! real SIP tools (SIPp, baresip) and by hand-made SIP where bytes matter.
//!
//! Each integration test file includes it with `mod support;`. Everything it
//! starts binds 127.0.0.1 only, is bounded in time, and is stopped by PID when
//! its handle drops, also when the test fails.
//!
//! - [`pbx`]: `switchboard serve` on port 0 and the CLI on the same data directory.
//! - [`sipp`]: SIPp runs of the scenarios in `tests/sipp/`.
//! - [`baresip`] and [`ctrl`]: headless phones and their control connection.
//! - [`audio`]: spoken prompts and loudness of recordings.
//! - [`sip`]: raw SIP over UDP and TCP sockets, with digest authentication.
//! - [`ports`], [`process`], [`wait`]: ports for the tools, stopping processes,
//!   bounded polling.

// Every test file uses a different part of the harness.
#![allow(dead_code)]

pub mod audio;
pub mod baresip;
pub mod cli;
pub mod ctrl;
pub mod pbx;
pub mod ports;
pub mod process;
pub mod sip;
pub mod sipp;
pub mod wait;

use std::time::Duration;

/// Long enough for anything on loopback; short enough for a stuck test to
/// fail quickly.
pub const SHORT: Duration = Duration::from_secs(5);
