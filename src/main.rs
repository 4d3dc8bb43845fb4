//! The `switchboard` binary: parses the command line and hands it to the
//! library ([`switchboard::cli::run`]).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A panic is a bug, but the person at the terminal gets one plain line,
    // not a backtrace. Whoever owns the terminal (the console) installs its
    // own hook on top of this one to restore the screen first.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        let place = info.location().map(|l| format!(" at {}:{}", l.file(), l.line()));
        eprintln!("error: internal failure{}: {what}", place.unwrap_or_default());
    }));

    let cli = switchboard::cli::Cli::parse();
    if matches!(cli.command, Some(switchboard::cli::CliCommand::Admin(_))) {
        init_admin_logging();
    }
    switchboard::cli::run(cli)
}

/// Administration commands log warnings to stderr (SWITCHBOARD_LOG changes
/// the level); the PBX sets up its own logging.
fn init_admin_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SWITCHBOARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .without_time()
        .try_init();
}
