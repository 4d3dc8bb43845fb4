//! The rules every user field and every whole configuration must follow.
//!
//! One set of rules serves the CLI, the console's forms, the control service and
//! import, so an input refused in one place is refused everywhere with the same
//! words. Field checks return the value as it is stored (trimmed, separators
//! removed from phone numbers); [`validate_config`] checks a whole configuration
//! before it is applied.

use std::collections::BTreeMap;
use std::fmt;

use rand::distr::Alphanumeric;
use rand::Rng;

use super::{Config, User};

/// Longest name accepted, in characters: enough for "Reception — ground floor".
pub const NAME_MAX_CHARS: usize = 64;
/// Shortest SIP password accepted.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest SIP password accepted; phones rarely take more.
pub const PASSWORD_MAX_CHARS: usize = 64;
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
        }
    }
}

/// A whole configuration broke a rule; `subject` says where ("user 1003",
/// "settings") in the words of the diff.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: {error}")]
pub struct ConfigError {
    pub subject: String,
    pub error: ValidationError,
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

/// Checks every field of one user on its own (not uniqueness).
pub fn validate_user(user: &User) -> Result<(), ValidationError> {
    check_extension(&user.extension)?;
    check_name(&user.name)?;
    if let Some(email) = &user.email {
        check_email(email)?.ok_or(ValidationError::EmailFormat)?;
    }
    for (field, number) in [(Field::Gsm, &user.gsm), (Field::OutgoingNumber, &user.outgoing_number)]
    {
        if let Some(number) = number {
            // A stored number is already in canonical form; anything else is
            // refused rather than silently rewritten.
            match check_number(field, number)? {
                Some(canonical) if canonical == *number => {}
                _ => return Err(ValidationError::NumberFormat { field }),
            }
        }
    }
    check_sip_password(&user.sip_password)?;
    Ok(())
}

/// Checks that `user` could join `users` (a configuration's users, which may
/// already hold an older copy of the same extension, which is ignored): its
/// fields, then that its extension and SIP password are its own.
pub fn validate_new_user(
    user: &User,
    users: &BTreeMap<String, User>,
) -> Result<(), ValidationError> {
    validate_user(user)?;
    if users.contains_key(&user.extension) {
        return Err(ValidationError::ExtensionTaken { extension: user.extension.clone() });
    }
    if users.values().any(|other| other.sip_password == user.sip_password) {
        return Err(ValidationError::PasswordTaken);
    }
    Ok(())
}

/// Checks a whole configuration before it is applied: settings, every user's
/// fields, and that extensions and SIP passwords are unique.
pub fn validate_config(config: &Config) -> Result<(), ConfigError> {
    let settings_error = |error| ConfigError { subject: "settings".to_string(), error };
    let domain = &config.settings.domain;
    if !is_host_name(domain) && domain.parse::<std::net::IpAddr>().is_err() {
        return Err(settings_error(ValidationError::DomainFormat));
    }

    let mut passwords: BTreeMap<&str, &str> = BTreeMap::new();
    for (key, user) in &config.users {
        let user_error = |error| ConfigError { subject: format!("user {key}"), error };
        if *key != user.extension {
            return Err(user_error(ValidationError::ExtensionMismatch {
                key: key.clone(),
                extension: user.extension.clone(),
            }));
        }
        validate_user(user).map_err(user_error)?;
        if passwords.insert(&user.sip_password, key).is_some() {
            return Err(user_error(ValidationError::PasswordTaken));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
