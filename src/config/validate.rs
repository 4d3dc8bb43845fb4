//! The rules every user field and every whole configuration must follow.
//!
//! One set of rules serves the CLI, the console's forms, the control service and
//! import, so an input refused in one place is refused everywhere with the same
//! words. Field checks return the value as it is stored (trimmed, separators
//! removed from phone numbers); [`validate_config`] checks a whole configuration
//! before it is applied.

use std::fmt;

use rand::distr::Alphanumeric;
use rand::Rng;

use super::tabs::{
    Key, PickupTarget, Ring, RingTarget, KEYS_MAX, RING_SECONDS_MAX, RING_SECONDS_MIN,
};
use super::User;

pub use super::whole::{validate_config, validate_new_user, ConfigError, ConfigErrors};

/// Longest name accepted, in characters: enough for "Reception — ground floor".
pub const NAME_MAX_CHARS: usize = 64;
/// Shortest SIP password accepted.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest SIP password accepted; phones rarely take more.
pub const PASSWORD_MAX_CHARS: usize = 64;
/// Shortest console password accepted.
pub const CONSOLE_PASSWORD_MIN_CHARS: usize = 8;
/// Longest console password accepted; hashing far longer input only costs time.
pub const CONSOLE_PASSWORD_MAX_CHARS: usize = 128;
/// Longest SMS note of an incoming number, in characters.
pub const SMS_MAX_CHARS: usize = 160;
/// Length of a generated SIP password: 20 alphanumerics carry about 119 bits.
pub const GENERATED_PASSWORD_CHARS: usize = 20;

/// The user field a rule is about; its [`Field::key`] is what forms and the
/// control interface use to mark the offending input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Extension,
    Name,
    Email,
    Gsm,
    OutgoingNumber,
    SipPassword,
    Domain,
    Directory,
    ForwardNoAnswer,
    VoicemailLastResort,
    ForwardBusy,
    FollowMe,
    /// A ring destination whose tab is not known yet (while parsing).
    Rings,
    Keys,
    ConsoleUsername,
    ConsolePassword,
    Rights,
    Number,
    Sms,
    Destination,
    GroupName,
    Members,
}

impl Field {
    /// The stable identifier of the field, as in the JSON shapes.
    pub fn key(self) -> &'static str {
        match self {
            Field::Extension => "extension",
            Field::Name => "name",
            Field::Email => "email",
            Field::Gsm => "gsm",
            Field::OutgoingNumber => "outgoing_number",
            Field::SipPassword => "sip_password",
            Field::Domain => "domain",
            Field::Directory => "directory",
            Field::ForwardNoAnswer => "forward_no_answer",
            Field::VoicemailLastResort => "voicemail_last_resort",
            Field::ForwardBusy => "forward_busy",
            Field::FollowMe => "follow_me",
            Field::Rings => "rings",
            Field::Keys => "keys",
            Field::ConsoleUsername => "console_username",
            Field::ConsolePassword => "console_password",
            Field::Rights => "rights",
            Field::Number => "number",
            Field::Sms => "sms",
            Field::Destination => "destination",
            Field::GroupName => "group_name",
            Field::Members => "members",
        }
    }
}

impl fmt::Display for Field {
    /// The field as an administrator reads it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Field::Extension => "extension",
            Field::Name => "name",
            Field::Email => "email",
            Field::Gsm => "GSM number",
            Field::OutgoingNumber => "outgoing number",
            Field::SipPassword => "SIP password",
            Field::Domain => "domain",
            Field::Directory => "directory",
            Field::ForwardNoAnswer => "forwarding on no answer",
            Field::VoicemailLastResort => "voicemail as a last resort",
            Field::ForwardBusy => "forwarding on busy",
            Field::FollowMe => "Follow Me",
            Field::Rings => "ring destination",
            Field::Keys => "keys",
            Field::ConsoleUsername => "console username",
            Field::ConsolePassword => "console password",
            Field::Rights => "rights",
            Field::Number => "number",
            Field::Sms => "SMS note",
            Field::Destination => "destination",
            Field::GroupName => "group name",
            Field::Members => "members",
        })
    }
}

/// A broken rule, with a plain reason that names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("extension must be 2 to 8 digits")]
    ExtensionFormat,
    #[error("extension {extension} is already taken")]
    ExtensionTaken { extension: String },
    #[error("user {key} is stored with extension {extension}; they must match")]
    ExtensionMismatch { key: String, extension: String },
    #[error("name must not be empty")]
    NameEmpty,
    #[error("name must be at most {NAME_MAX_CHARS} characters")]
    NameTooLong,
    #[error("name must not contain control characters")]
    NameControlCharacter,
    #[error("email must be an address like anne@example.com, or empty")]
    EmailFormat,
    #[error(
        "{field} needs the country code: write it as + then the country code, e.g. +33612345678"
    )]
    NumberWithoutCountryCode { field: Field },
    #[error("{field} must start with + instead of 00, e.g. +33612345678")]
    NumberWithDoubleZero { field: Field },
    #[error("{field} must be + then 6 to 15 digits, the first not 0, e.g. +33612345678")]
    NumberFormat { field: Field },
    #[error("SIP password must be at least {PASSWORD_MIN_CHARS} characters")]
    PasswordTooShort,
    #[error("SIP password must be at most {PASSWORD_MAX_CHARS} characters")]
    PasswordTooLong,
    #[error("SIP password must use printable characters only, without spaces")]
    PasswordNotPrintable,
    #[error("SIP password is already used by another user; each user needs their own")]
    PasswordTaken,
    #[error("domain must be a host name like pbx.example.com, or an IP address")]
    DomainFormat,
    #[error("directory must be a name of 1 to {NAME_MAX_CHARS} characters, or none")]
    DirectoryFormat,
    #[error("{text:?} is not a ring destination: write EXTENSION:SECONDS or +NUMBER:SECONDS")]
    RingFormat { text: String },
    #[error("{field}: ring time of {target} must be {RING_SECONDS_MIN} to {RING_SECONDS_MAX} seconds, not {seconds}")]
    RingSeconds { field: Field, target: String, seconds: u32 },
    #[error("{field}: {target} is neither an extension (2 to 8 digits) nor a number in international form (+ then digits)")]
    RingTarget { field: Field, target: String },
    #[error("{field}: a user cannot ring themselves")]
    RingsItself { field: Field },
    #[error("{field}: there is no user {extension}")]
    UnknownUser { field: Field, extension: String },
    #[error("voicemail as a last resort needs the user's voicemail to be on")]
    LastResortWithoutVoicemail,
    #[error("Follow Me is enabled but has no destinations")]
    FollowMeEmpty,
    #[error("number of keys must be 1 to {KEYS_MAX}, not {count}")]
    KeyCount { count: usize },
    #[error("{text:?} is not a key: write none, blf:EXT, quick_call:+NUMBER, line:EXT, switch or pickup:EXT|GROUP")]
    KeyFormat { text: String },
    #[error("a {kind} key needs a target")]
    KeyTargetMissing { kind: String },
    #[error("key {index}: {reason}")]
    KeyTarget { index: usize, reason: String },
    #[error("key {index}: there is no pickup group {group}")]
    UnknownPickupGroup { index: usize, group: String },
    #[error(
        "console username must be 3 to 32 lower-case letters, digits, dots, dashes or underscores"
    )]
    ConsoleUsernameFormat,
    #[error("console username {username} is already taken")]
    ConsoleUsernameTaken { username: String },
    #[error("console password must be at least {CONSOLE_PASSWORD_MIN_CHARS} characters")]
    ConsolePasswordTooShort,
    #[error("console password must be at most {CONSOLE_PASSWORD_MAX_CHARS} characters")]
    ConsolePasswordTooLong,
    #[error("console password is stored in a form that cannot be read; set it again")]
    ConsolePasswordHash,
    #[error("a console password needs a console username")]
    ConsolePasswordWithoutUsername,
    #[error("there is no right {name:?}; rights are named like user_management or call_list")]
    UnknownRight { name: String },
    #[error("there is no preset {name:?}: choose administrator, operator or user")]
    UnknownPreset { name: String },
    #[error("incoming number {number} is already configured")]
    NumberTaken { number: String },
    #[error("SMS note must be at most {SMS_MAX_CHARS} characters without control characters")]
    SmsFormat,
    #[error("{text:?} is not a destination type: choose not_configured, extension, dial_plan, voicemail, hang_up or conference")]
    DestinationType { text: String },
    #[error("a {kind} destination needs a target")]
    DestinationTargetMissing { kind: &'static str },
    #[error("a {kind} destination takes no target")]
    DestinationTargetUnwanted { kind: &'static str },
    #[error("destination: there is no {what} {name}")]
    UnknownDestination { what: &'static str, name: String },
    #[error("destination: user {extension} has no voicemail")]
    DestinationWithoutVoicemail { extension: String },
    #[error("group name must be 1 to {NAME_MAX_CHARS} characters, not only digits, without control characters")]
    GroupNameFormat,
    #[error("group {name} already exists")]
    GroupTaken { name: String },
    #[error("pickup group {name} already exists")]
    PickupGroupTaken { name: String },
    #[error("members: user {extension} is listed twice")]
    DuplicateMember { extension: String },
    #[error("{what} {key} is stored as {value}; they must match")]
    KeyMismatch { what: &'static str, key: String, value: String },
}

impl ValidationError {
    /// The field to mark in a form.
    pub fn field(&self) -> Field {
        match self {
            ValidationError::ExtensionFormat
            | ValidationError::ExtensionTaken { .. }
            | ValidationError::ExtensionMismatch { .. } => Field::Extension,
            ValidationError::NameEmpty
            | ValidationError::NameTooLong
            | ValidationError::NameControlCharacter => Field::Name,
            ValidationError::EmailFormat => Field::Email,
            ValidationError::NumberWithoutCountryCode { field }
            | ValidationError::NumberWithDoubleZero { field }
            | ValidationError::NumberFormat { field } => *field,
            ValidationError::PasswordTooShort
            | ValidationError::PasswordTooLong
            | ValidationError::PasswordNotPrintable
            | ValidationError::PasswordTaken => Field::SipPassword,
            ValidationError::DomainFormat => Field::Domain,
            ValidationError::DirectoryFormat => Field::Directory,
            ValidationError::RingFormat { .. } => Field::Rings,
            ValidationError::RingSeconds { field, .. }
            | ValidationError::RingTarget { field, .. }
            | ValidationError::RingsItself { field }
            | ValidationError::UnknownUser { field, .. } => *field,
            ValidationError::LastResortWithoutVoicemail => Field::VoicemailLastResort,
            ValidationError::FollowMeEmpty => Field::FollowMe,
            ValidationError::KeyCount { .. }
            | ValidationError::KeyFormat { .. }
            | ValidationError::KeyTargetMissing { .. }
            | ValidationError::KeyTarget { .. }
            | ValidationError::UnknownPickupGroup { .. } => Field::Keys,
            ValidationError::ConsoleUsernameFormat
            | ValidationError::ConsoleUsernameTaken { .. } => Field::ConsoleUsername,
            ValidationError::ConsolePasswordTooShort
            | ValidationError::ConsolePasswordTooLong
            | ValidationError::ConsolePasswordHash
            | ValidationError::ConsolePasswordWithoutUsername => Field::ConsolePassword,
            ValidationError::UnknownRight { .. } | ValidationError::UnknownPreset { .. } => {
                Field::Rights
            }
            ValidationError::NumberTaken { .. } => Field::Number,
            ValidationError::SmsFormat => Field::Sms,
            ValidationError::DestinationType { .. }
            | ValidationError::DestinationTargetMissing { .. }
            | ValidationError::DestinationTargetUnwanted { .. }
            | ValidationError::UnknownDestination { .. }
            | ValidationError::DestinationWithoutVoicemail { .. } => Field::Destination,
            ValidationError::GroupNameFormat
            | ValidationError::GroupTaken { .. }
            | ValidationError::PickupGroupTaken { .. } => Field::GroupName,
            ValidationError::DuplicateMember { .. } => Field::Members,
            ValidationError::KeyMismatch { .. } => Field::Extension,
        }
    }
}

/// Checks an extension: 2 to 8 digits. Returns it trimmed.
pub fn check_extension(input: &str) -> Result<String, ValidationError> {
    let extension = input.trim();
    let digits_only = extension.bytes().all(|b| b.is_ascii_digit());
    if !(2..=8).contains(&extension.len()) || !digits_only {
        return Err(ValidationError::ExtensionFormat);
    }
    Ok(extension.to_string())
}

/// Checks a name: not empty, no control characters, at most [`NAME_MAX_CHARS`].
/// Returns it trimmed.
pub fn check_name(input: &str) -> Result<String, ValidationError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(ValidationError::NameEmpty);
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::NameControlCharacter);
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(ValidationError::NameTooLong);
    }
    Ok(name.to_string())
}

/// Checks an email address: empty (None) or a plausible `local@domain.tld`.
pub fn check_email(input: &str) -> Result<Option<String>, ValidationError> {
    let email = input.trim();
    if email.is_empty() {
        return Ok(None);
    }
    if is_plausible_email(email) {
        Ok(Some(email.to_string()))
    } else {
        Err(ValidationError::EmailFormat)
    }
}

// RFC 5321 §4.5.3.1 caps a path at 256 octets; anything this rule lets through
// must also fit in a SIP header and a terminal column without surprise.
fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.chars().all(|c| c.is_ascii_graphic() && !"@<>()[]\\,;:\"".contains(c));
    email.len() <= 254 && local_ok && is_host_name(domain) && domain.contains('.')
}

/// A domain: a host name or an IP address.
pub fn is_domain(domain: &str) -> bool {
    is_host_name(domain) || domain.parse::<std::net::IpAddr>().is_ok()
}

/// A DNS host name: dot-separated labels of letters, digits and inner hyphens,
/// ending in a label that is not all digits.
fn is_host_name(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let last_ok = labels.last().is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()));
    host.len() <= 253 && labels.iter().all(label_ok) && last_ok
}

/// Checks a phone number in international form (E.164: + then 6 to 15 digits,
/// the first not 0). Spaces, dots, dashes and brackets people type between
/// digit groups are removed. Empty input is None.
pub fn check_number(field: Field, input: &str) -> Result<Option<String>, ValidationError> {
    let number: String =
        input.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')')).collect();
    if number.is_empty() {
        return Ok(None);
    }

    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let Some(digits) = number.strip_prefix('+') else {
        if number.starts_with("00") && all_digits(&number) {
            return Err(ValidationError::NumberWithDoubleZero { field });
        }
        if all_digits(&number) {
            return Err(ValidationError::NumberWithoutCountryCode { field });
        }
        return Err(ValidationError::NumberFormat { field });
    };

    if !all_digits(digits) || !(6..=15).contains(&digits.len()) || digits.starts_with('0') {
        return Err(ValidationError::NumberFormat { field });
    }
    Ok(Some(number))
}

/// Checks a SIP password: [`PASSWORD_MIN_CHARS`] to [`PASSWORD_MAX_CHARS`]
/// printable ASCII characters without spaces, which every phone's keypad and
/// web form can take.
pub fn check_sip_password(input: &str) -> Result<String, ValidationError> {
    if !input.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ValidationError::PasswordNotPrintable);
    }
    if input.len() < PASSWORD_MIN_CHARS {
        return Err(ValidationError::PasswordTooShort);
    }
    if input.len() > PASSWORD_MAX_CHARS {
        return Err(ValidationError::PasswordTooLong);
    }
    Ok(input.to_string())
}

/// A strong SIP password: [`GENERATED_PASSWORD_CHARS`] random letters and
/// digits from the operating system's generator.
pub fn generate_sip_password() -> String {
    rand::rng().sample_iter(Alphanumeric).take(GENERATED_PASSWORD_CHARS).map(char::from).collect()
}

/// Checks every field of one user on its own (not uniqueness, not whether
/// the users it names exist): the first broken rule.
pub fn validate_user(user: &User) -> Result<(), ValidationError> {
    match user_errors(user).into_iter().next() {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Every rule one user's own fields break, tab by tab.
pub fn user_errors(user: &User) -> Vec<ValidationError> {
    let mut errors = Vec::new();
    let mut check = |result: Result<(), ValidationError>| {
        if let Err(error) = result {
            errors.push(error);
        }
    };

    check(check_extension(&user.extension).map(drop));
    check(check_name(&user.name).map(drop));
    if let Some(email) = &user.email {
        check(check_email(email).and_then(|e| e.ok_or(ValidationError::EmailFormat)).map(drop));
    }
    for (field, number) in [(Field::Gsm, &user.gsm), (Field::OutgoingNumber, &user.outgoing_number)]
    {
        if let Some(number) = number {
            check(check_canonical(field, number));
        }
    }
    if let Some(directory) = &user.directory {
        check(check_directory(directory).map(drop));
    }
    check(check_sip_password(&user.sip_password).map(drop));

    for (field, rings) in [
        (Field::ForwardNoAnswer, &user.forwardings.no_answer),
        (Field::ForwardBusy, &user.forwardings.busy),
        (Field::FollowMe, &user.follow_me.destinations),
    ] {
        for ring in rings {
            check(check_ring(field, ring, &user.extension));
        }
    }
    if user.forwardings.voicemail_last_resort && !user.voicemail {
        check(Err(ValidationError::LastResortWithoutVoicemail));
    }
    if user.follow_me.enabled && user.follow_me.destinations.is_empty() {
        check(Err(ValidationError::FollowMeEmpty));
    }

    check(check_key_count(user.keys.0.len()).map(drop));
    for (index, key) in user.keys.0.iter().enumerate() {
        check(check_key(index + 1, key));
    }

    let permissions = &user.permissions;
    if let Some(username) = &permissions.console_username {
        check(check_console_username(username).map(drop));
    }
    if let Some(hash) = &permissions.password_hash {
        if permissions.console_username.is_none() {
            check(Err(ValidationError::ConsolePasswordWithoutUsername));
        }
        if !hash.starts_with("$argon2") {
            check(Err(ValidationError::ConsolePasswordHash));
        }
    }
    errors
}

/// Checks a number as stored: it must already be in canonical form; anything else is
/// refused rather than silently rewritten.
pub fn check_canonical(field: Field, number: &str) -> Result<(), ValidationError> {
    match check_number(field, number)? {
        Some(canonical) if canonical == number => Ok(()),
        _ => Err(ValidationError::NumberFormat { field }),
    }
}

/// Checks a directory name: like a user's name. Empty input is None.
pub fn check_directory(input: &str) -> Result<Option<String>, ValidationError> {
    if input.trim().is_empty() {
        return Ok(None);
    }
    check_name(input).map(Some).map_err(|_| ValidationError::DirectoryFormat)
}

/// Checks one ring destination of `owner`'s `field` tab: the ring time, and
/// that the target is an extension or an international number, not the owner.
pub fn check_ring(field: Field, ring: &Ring, owner: &str) -> Result<(), ValidationError> {
    let target_error = || ValidationError::RingTarget { field, target: ring.target.to_string() };
    match &ring.target {
        RingTarget::User(extension) => {
            check_extension(extension).map_err(|_| target_error())?;
            if extension == owner {
                return Err(ValidationError::RingsItself { field });
            }
        }
        RingTarget::External(number) => {
            check_canonical(field, number).map_err(|_| target_error())?
        }
    }
    if !(RING_SECONDS_MIN..=RING_SECONDS_MAX).contains(&ring.seconds) {
        return Err(ValidationError::RingSeconds {
            field,
            target: ring.target.to_string(),
            seconds: ring.seconds,
        });
    }
    Ok(())
}

/// Checks a number of keys: 1 to [`KEYS_MAX`].
pub fn check_key_count(count: usize) -> Result<usize, ValidationError> {
    if (1..=KEYS_MAX).contains(&count) {
        Ok(count)
    } else {
        Err(ValidationError::KeyCount { count })
    }
}

/// Checks the target of key number `index` (counted from 1) has the right form.
pub fn check_key(index: usize, key: &Key) -> Result<(), ValidationError> {
    let reason = |reason: String| ValidationError::KeyTarget { index, reason };
    let user = |extension: &str| {
        check_extension(extension)
            .map(drop)
            .map_err(|_| reason(format!("{extension} is not an extension (2 to 8 digits)")))
    };
    match key {
        Key::NotConfigured | Key::Switch => Ok(()),
        Key::Blf(extension) | Key::Line(extension) => user(extension),
        Key::Pickup(PickupTarget::User(extension)) => user(extension),
        Key::Pickup(PickupTarget::Group(group)) => check_group_name(group)
            .map(drop)
            .map_err(|_| reason(format!("{group:?} is not a pickup group name"))),
        Key::QuickCall(number) => check_canonical(Field::Keys, number).map_err(|_| {
            reason(format!("{number} is not a number in international form, e.g. +33612345678"))
        }),
    }
}

/// Checks a console username: 3 to 32 of `a-z 0-9 . _ -`. Returns it trimmed.
pub fn check_console_username(input: &str) -> Result<String, ValidationError> {
    let username = input.trim();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    if !(3..=32).contains(&username.len()) || !username.chars().all(allowed) {
        return Err(ValidationError::ConsoleUsernameFormat);
    }
    Ok(username.to_string())
}

/// Checks a console password as typed, before it is hashed.
pub fn check_console_password(input: &str) -> Result<(), ValidationError> {
    let chars = input.chars().count();
    if chars < CONSOLE_PASSWORD_MIN_CHARS {
        return Err(ValidationError::ConsolePasswordTooShort);
    }
    if chars > CONSOLE_PASSWORD_MAX_CHARS {
        return Err(ValidationError::ConsolePasswordTooLong);
    }
    Ok(())
}

/// Checks an SMS note: at most [`SMS_MAX_CHARS`], no control characters.
/// Empty input is None.
pub fn check_sms(input: &str) -> Result<Option<String>, ValidationError> {
    let note = input.trim();
    if note.is_empty() {
        return Ok(None);
    }
    if note.chars().count() > SMS_MAX_CHARS || note.chars().any(char::is_control) {
        return Err(ValidationError::SmsFormat);
    }
    Ok(Some(note.to_string()))
}

/// Checks a group name: a name that is not all digits (so it is never taken
/// for an extension). Returns it trimmed.
pub fn check_group_name(input: &str) -> Result<String, ValidationError> {
    let name = check_name(input).map_err(|_| ValidationError::GroupNameFormat)?;
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err(ValidationError::GroupNameFormat);
    }
    Ok(name)
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
