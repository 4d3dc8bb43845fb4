//! switchboard: a small-office phone system (an embedded SIP PBX kept in sled)
//! and its terminal operator console, in one library that `main.rs` drives.
//!
//! The map of the crate:
//! - [`config`]: the configuration model (users, settings) and its validation rules.
//! - [`store`]: the sled store: staged and live configuration, revisions, call records.
//! - [`sip`]: SIP messages, transports, transactions, registrar and calls.
//! - [`engine`]: runs the PBX: binds the transports and keeps the live state.
//! - [`control`]: the only way in from outside: commands with replies, a snapshot of
//!   live state and a stream of events, in-process or over the control socket.
//! - [`console`]: the ratatui operator console; it talks only to [`control`].
//! - [`cli`]: the command line and the scriptable commands.
//! - [`run`]: starts the PBX, alone or with the console.

pub mod cli;
pub mod config;
pub mod console;
pub mod control;
pub mod engine;
pub mod run;
pub mod sip;
pub mod store;
