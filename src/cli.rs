//! The command line: what `switchboard` accepts and where each command goes.
//!
//! With no subcommand switchboard runs the PBX and its console together;
//! `serve` runs the PBX alone (both in [`crate::run`]). Every other command
//! administers the store ([`admin`]): through the control socket when a PBX
//! runs on the data directory, else on the store directly, with the same
//! control service either way. Exit status: 0 success, 1 refused or failed
//! (one line on stderr), 2 bad usage (clap's own).

mod admin;
mod edit;
mod files;
mod show;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::engine::PbxOptions;

pub use admin::CliError;

/// A small-office phone system (SIP PBX) and its operator console.
#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about)]
pub struct Cli {
    /// Data directory [default: $XDG_DATA_HOME/switchboard, else
    /// ~/.local/share/switchboard]
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,

    /// Address SIP listens on, UDP and TCP
    #[arg(long, global = true, value_name = "ADDR", default_value = "0.0.0.0:5060")]
    pub sip: SocketAddr,

    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Run the PBX alone, as a daemon (logs to stderr or --log-file)
    Serve(ServeArgs),
    #[command(flatten)]
    Admin(AdminCommand),
}

/// The commands that administer the store.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Manage phone users
    #[command(subcommand)]
    User(UserCommand),
    /// Manage incoming numbers
    #[command(subcommand)]
    Number(NumberCommand),
    /// Manage user groups
    #[command(subcommand)]
    Group(GroupCommand),
    /// Manage pickup groups, which Pickup keys may name
    #[command(subcommand)]
    PickupGroup(PickupGroupCommand),
    /// Show what is staged, against the live configuration
    Diff,
    /// Validate the staged configuration and make it live
    Apply,
    /// Fill an empty store with a demo office
    Demo,
    /// Registrations and calls of the running PBX
    Status {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Call records, newest first
    Calls {
        /// Print JSON
        #[arg(long)]
        json: bool,
        /// Show at most this many
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Applied revisions, who applied them and when, newest first
    History {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Stage an earlier revision's configuration (apply makes it live)
    Rollback {
        /// A revision number from `switchboard history`
        revision: u64,
    },
    /// Drop every staged change
    Discard,
    /// Write the staged configuration (live when nothing is staged) as TOML
    Export {
        /// Where to write it; - for standard output
        file: PathBuf,
        /// Include SIP passwords and console password hashes
        #[arg(long)]
        with_secrets: bool,
        /// Export the live configuration, without staged changes
        #[arg(long)]
        live: bool,
    },
    /// Check a TOML configuration file and stage it in place of what is staged
    Import {
        /// A file written by `switchboard export`, maybe edited
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Stage a new user
    Add(AddUserArgs),
    /// List the users of the live configuration
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Show every tab of a user, as staged when changes are staged
    Show {
        extension: String,
        /// Also show the SIP password
        #[arg(long)]
        reveal: bool,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Stage the removal of a user
    Rm { extension: String },
    /// Stage changes to any tab of a user
    Set(Box<edit::SetUserArgs>),
    /// Stage new users from a CSV file: extension, name, email, gsm
    Import {
        /// One user a row; a header line naming the columns is optional
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum NumberCommand {
    /// Stage a new incoming number
    Add {
        /// In international form, e.g. +33199001000
        number: String,
        /// not_configured, extension, dial_plan, voicemail, hang_up or conference
        #[arg(long, value_name = "TYPE")]
        destination: String,
        /// The user, plan or room the destination type needs
        #[arg(long, value_name = "X")]
        target: Option<String>,
        /// A note about SMS to this number
        #[arg(long, value_name = "NOTE")]
        sms: Option<String>,
    },
    /// Stage changes to an incoming number
    Set {
        number: String,
        #[arg(long, value_name = "TYPE")]
        destination: Option<String>,
        #[arg(long, value_name = "X", requires = "destination")]
        target: Option<String>,
        /// An empty note clears it
        #[arg(long, value_name = "NOTE")]
        sms: Option<String>,
    },
    /// Stage the removal of an incoming number
    Rm { number: String },
    /// List the incoming numbers of the live configuration
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Stage a new user group
    Add {
        name: String,
        /// Extensions, comma-separated
        #[arg(long, value_name = "EXT,EXT…", value_delimiter = ',')]
        members: Vec<String>,
    },
    /// Stage a group's new member list
    Set {
        name: String,
        /// Extensions, comma-separated; the whole new list
        #[arg(long, value_name = "EXT,EXT…", value_delimiter = ',', required = true)]
        members: Vec<String>,
    },
    /// Stage the removal of a user group
    Rm { name: String },
    /// List the user groups of the live configuration
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PickupGroupCommand {
    /// Stage a new pickup group
    Add {
        name: String,
        /// Extensions, comma-separated
        #[arg(long, value_name = "EXT,EXT…", value_delimiter = ',')]
        members: Vec<String>,
    },
    /// Stage a pickup group's new member list
    Set {
        name: String,
        /// Extensions, comma-separated; the whole new list
        #[arg(long, value_name = "EXT,EXT…", value_delimiter = ',', required = true)]
        members: Vec<String>,
    },
    /// Stage the removal of a pickup group
    Rm { name: String },
    /// List the pickup groups of the live configuration
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddUserArgs {
    /// Extension: 2 to 8 digits
    pub extension: String,
    #[arg(long)]
    pub name: String,
    #[arg(long, value_name = "ADDR")]
    pub email: Option<String>,
    /// Mobile number in international form, e.g. +33612345678
    #[arg(long, value_name = "+NUMBER")]
    pub gsm: Option<String>,
    #[arg(long, value_enum, default_value = "no")]
    pub voicemail: YesNo,
    /// Number shown to outside callees, in international form
    #[arg(long, value_name = "+NUMBER")]
    pub outgoing_number: Option<String>,
    /// Let a second call ring while one is answered
    #[arg(long)]
    pub multiple_calls: bool,
    /// SIP password (at least 8 characters); generated when left out
    #[arg(long, value_name = "PASS", allow_hyphen_values = true)]
    pub sip_password: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum YesNo {
    Yes,
    No,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Seconds a digest nonce stays valid
    #[arg(long, value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub nonce_ttl: u64,
    /// Shortest registration accepted, in seconds (shorter gets 423)
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub min_expires: u32,
    /// Longest registration granted, in seconds
    #[arg(long, value_name = "SECS", default_value_t = 3600)]
    pub max_expires: u32,
    /// Write logs to FILE instead of stderr
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// Address to put in Via, Contact and Record-Route instead of the local one
    #[arg(long, value_name = "ADDR")]
    pub advertise: Option<SocketAddr>,
}

/// What `switchboard serve` runs with.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub data: PathBuf,
    pub pbx: PbxOptions,
    /// None: log to stderr.
    pub log_file: Option<PathBuf>,
}

/// What `switchboard` (PBX and console together) runs with.
#[derive(Debug, Clone)]
pub struct AllInOneOptions {
    pub data: PathBuf,
    pub pbx: PbxOptions,
}

/// Runs a parsed command line and says how the process should exit.
pub fn run(cli: Cli) -> ExitCode {
    let data = match cli.data.clone().map(Ok).unwrap_or_else(default_data_dir) {
        Ok(data) => data,
        Err(error) => return fail(&error),
    };
    let pbx = PbxOptions { sip_addr: cli.sip, ..PbxOptions::default() };

    let outcome = match cli.command {
        None => crate::run::all_in_one(AllInOneOptions { data, pbx }).map_err(eyre_text),
        Some(CliCommand::Serve(args)) => {
            if args.min_expires > args.max_expires {
                Cli::command()
                    .error(
                        clap::error::ErrorKind::ArgumentConflict,
                        "--min-expires must not be more than --max-expires",
                    )
                    .exit();
            }
            let pbx = PbxOptions {
                advertise: args.advertise,
                nonce_ttl: Duration::from_secs(args.nonce_ttl),
                min_expires: args.min_expires,
                max_expires: args.max_expires,
                ..pbx
            };
            crate::run::serve(ServeOptions { data, pbx, log_file: args.log_file })
                .map_err(eyre_text)
        }
        Some(CliCommand::Admin(command)) => {
            admin::run(&data, cli.sip, command).map_err(|e| e.to_string())
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => fail(&message),
    }
}

/// `$XDG_DATA_HOME/switchboard`, else `~/.local/share/switchboard` (the XDG
/// base directory rule: a relative XDG_DATA_HOME is ignored).
pub fn default_data_dir() -> Result<PathBuf, String> {
    let absolute =
        |name: &str| std::env::var_os(name).map(PathBuf::from).filter(|path| path.is_absolute());
    if let Some(data_home) = absolute("XDG_DATA_HOME") {
        return Ok(data_home.join("switchboard"));
    }
    absolute("HOME")
        .map(|home| home.join(".local/share/switchboard"))
        .ok_or_else(|| "no home directory to keep data in; give one with --data DIR".to_string())
}

/// The whole chain of causes, on one line.
fn eyre_text(error: color_eyre::eyre::Report) -> String {
    error.chain().map(ToString::to_string).collect::<Vec<_>>().join(": ")
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {}", message.replace('\n', " "));
    ExitCode::FAILURE
}
