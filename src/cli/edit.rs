//! `user set`, `number …`, `group …` and `pickup-group …`: their flags, and how they become
//! control commands. Flag values are parsed with the configuration's own
//! parsers, so a bad value is refused (exit 1) with the same words as in the
//! console.

use clap::Args;

use super::{GroupCommand, NumberCommand, PickupGroupCommand, YesNo};
use crate::config::tabs::parse_rings;
use crate::config::ValidationError;
use crate::config::{Destination, DestinationType, IncomingNumber, Key, PickupGroup, UserGroup};
use crate::control::api::{Command, UserEdit};

/// Every field of every tab of a user; only the flags given change.
#[derive(Debug, Args)]
pub struct SetUserArgs {
    pub extension: String,
    #[arg(long)]
    pub name: Option<String>,
    /// An empty value clears it
    #[arg(long, value_name = "ADDR")]
    pub email: Option<String>,
    #[arg(long, value_name = "+NUMBER")]
    pub gsm: Option<String>,
    #[arg(long, value_enum)]
    pub voicemail: Option<YesNo>,
    #[arg(long, value_name = "+NUMBER")]
    pub outgoing_number: Option<String>,
    /// A named directory, or an empty value for none
    #[arg(long, value_name = "NAME")]
    pub directory: Option<String>,
    #[arg(long, value_enum)]
    pub multiple_calls: Option<YesNo>,
    #[arg(long, value_enum)]
    pub must_log_in: Option<YesNo>,
    /// Ordered destinations, e.g. 1002:20,+33612345678:30 (empty: none)
    #[arg(long, value_name = "DEST:SECS,…", allow_hyphen_values = true)]
    pub forward_no_answer: Option<String>,
    #[arg(long, value_enum)]
    pub voicemail_last_resort: Option<YesNo>,
    /// Destinations on busy, e.g. 1002:20
    #[arg(long, value_name = "DEST:SECS,…")]
    pub forward_busy: Option<String>,
    #[arg(long, value_enum, value_name = "on|off")]
    pub follow_me: Option<OnOff>,
    #[arg(long, value_name = "DEST:SECS,…")]
    pub follow_me_destinations: Option<String>,
    /// Number of keys, 1 to 20
    #[arg(long, value_name = "N")]
    pub keys: Option<usize>,
    /// One key, e.g. 3=blf:1002, 4=quick_call:+33612345678, 5=switch, 6=none
    #[arg(long, value_name = "N=KEY")]
    pub key: Vec<String>,
    #[arg(long, value_name = "PASS", allow_hyphen_values = true)]
    pub sip_password: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub console_username: Option<String>,
    /// At least 8 characters; stored only as a hash
    #[arg(long, value_name = "PASS", allow_hyphen_values = true)]
    pub console_password: Option<String>,
    /// administrator, operator or user; applied before --right
    #[arg(long, value_name = "PRESET")]
    pub preset: Option<String>,
    /// One right, e.g. call_list=on
    #[arg(long, value_name = "NAME=on|off")]
    pub right: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

/// The control command `user set` sends.
pub fn set_user(args: SetUserArgs) -> Result<Command, ValidationError> {
    let yes = |value: Option<YesNo>| value.map(|v| v == YesNo::Yes);
    let rings = |text: Option<String>| text.map(|t| parse_rings(&t)).transpose();
    let keys = args
        .key
        .iter()
        .map(|text| {
            let (index, key) = text
                .split_once('=')
                .ok_or_else(|| ValidationError::KeyFormat { text: text.clone() })?;
            let index = index
                .trim()
                .parse()
                .map_err(|_| ValidationError::KeyFormat { text: text.clone() })?;
            Ok((index, key.parse::<Key>()?))
        })
        .collect::<Result<_, ValidationError>>()?;
    let rights = args
        .right
        .iter()
        .map(|text| match text.split_once('=') {
            Some((name, "on")) => Ok((name.parse()?, true)),
            Some((name, "off")) => Ok((name.parse()?, false)),
            _ => Err(ValidationError::UnknownRight { name: text.clone() }),
        })
        .collect::<Result<_, ValidationError>>()?;
    let edit = UserEdit {
        name: args.name,
        email: args.email,
        gsm: args.gsm,
        voicemail: yes(args.voicemail),
        outgoing_number: args.outgoing_number,
        directory: args.directory,
        multiple_calls: yes(args.multiple_calls),
        must_log_in: yes(args.must_log_in),
        forward_no_answer: rings(args.forward_no_answer)?,
        voicemail_last_resort: yes(args.voicemail_last_resort),
        forward_busy: rings(args.forward_busy)?,
        follow_me: args.follow_me.map(|v| v == OnOff::On),
        follow_me_destinations: rings(args.follow_me_destinations)?,
        key_count: args.keys,
        keys,
        sip_password: args.sip_password,
        console_username: args.console_username,
        console_password: args.console_password,
        preset: args.preset.map(|p| p.parse()).transpose()?,
        rights,
    };
    Ok(Command::SetUser { extension: args.extension, edit: Box::new(edit) })
}

/// The control command a `number …` subcommand sends, and whether it lists
/// as JSON.
pub fn number(command: NumberCommand) -> Result<(Command, bool), ValidationError> {
    let destination = |kind: &str, target: Option<&str>| {
        Destination::new(kind.parse::<DestinationType>()?, target)
    };
    Ok(match command {
        NumberCommand::Add { number, destination: kind, target, sms } => {
            let destination = destination(&kind, target.as_deref())?;
            (Command::AddNumber { number: IncomingNumber { number, sms, destination } }, false)
        }
        NumberCommand::Set { number, destination: kind, target, sms } => {
            let destination = kind.map(|k| destination(&k, target.as_deref())).transpose()?;
            (Command::SetNumber { number, destination, sms }, false)
        }
        NumberCommand::Rm { number } => (Command::RemoveNumber { number }, false),
        NumberCommand::List { json } => (Command::ListNumbers, json),
    })
}

/// The control command a `group …` subcommand sends, and whether it lists
/// as JSON.
pub fn group(command: GroupCommand) -> (Command, bool) {
    match command {
        GroupCommand::Add { name, members } => {
            (Command::AddGroup { group: UserGroup { name, members } }, false)
        }
        GroupCommand::Set { name, members } => (Command::SetGroup { name, members }, false),
        GroupCommand::Rm { name } => (Command::RemoveGroup { name }, false),
        GroupCommand::List { json } => (Command::ListGroups, json),
    }
}

/// The control command a `pickup-group …` subcommand sends, and whether it
/// lists as JSON.
pub fn pickup_group(command: PickupGroupCommand) -> (Command, bool) {
    match command {
        PickupGroupCommand::Add { name, members } => {
            (Command::AddPickupGroup { group: PickupGroup { name, members } }, false)
        }
        PickupGroupCommand::Set { name, members } => {
            (Command::SetPickupGroup { name, members }, false)
        }
        PickupGroupCommand::Rm { name } => (Command::RemovePickupGroup { name }, false),
        PickupGroupCommand::List { json } => (Command::ListPickupGroups, json),
    }
}
