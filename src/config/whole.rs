//! The rules a whole configuration must follow before it is applied: every
//! field of every user, incoming number, group and pickup group, that what
//! they name exists, and that what must be unique is. Apply reports every
//! broken rule at once, each naming its subject in the words of the diff.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::numbers::Destination;
use super::tabs::{Key, PickupTarget, RingTarget};
use super::validate::{
    check_canonical, check_group_name, check_sms, user_errors, Field, ValidationError,
};
use super::{Config, User};

/// A broken rule of a whole configuration; `subject` says where ("user 1003",
/// "incoming number +33199001000", "group sales", "settings").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{subject}: {error}")]
pub struct ConfigError {
    pub subject: String,
    pub error: ValidationError,
}

/// Every rule a configuration breaks, in the order of the diff; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    /// Every error, separated by "; ", so the whole list fits one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&lines.join("; "))
    }
}

/// Checks that `user` could join `users` (a configuration's users, which may
/// already hold an older copy of the same extension, which is ignored): its
/// fields, then that its extension and SIP password are its own.
pub fn validate_new_user(
    user: &User,
    users: &BTreeMap<String, User>,
) -> Result<(), ValidationError> {
    super::validate::validate_user(user)?;
    if users.contains_key(&user.extension) {
        return Err(ValidationError::ExtensionTaken { extension: user.extension.clone() });
    }
    if users.values().any(|other| other.sip_password == user.sip_password) {
        return Err(ValidationError::PasswordTaken);
    }
    Ok(())
}

/// Checks a whole configuration before it is applied, and reports every
/// broken rule.
pub fn validate_config(config: &Config) -> Result<(), ConfigErrors> {
    let mut errors = Vec::new();

    let domain = &config.settings.domain;
    if !super::validate::is_domain(domain) {
        errors.push(error("settings".to_string(), ValidationError::DomainFormat));
    }
    user_rules(config, &mut errors);
    incoming_number_rules(config, &mut errors);
    group_rules(config, &mut errors);
    pickup_group_rules(config, &mut errors);

    if errors.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(errors))
    }
}

fn user_rules(config: &Config, errors: &mut Vec<ConfigError>) {
    let mut passwords: BTreeSet<&str> = BTreeSet::new();
    let mut usernames: BTreeSet<&str> = BTreeSet::new();
    // A target not even shaped like an extension was reported by the field
    // rules already; saying it does not exist too would only add noise.
    let exists = |extension: &str| {
        config.users.contains_key(extension) || super::validate::check_extension(extension).is_err()
    };

    for (key, user) in &config.users {
        let subject = format!("user {key}");
        let mut found = |e| errors.push(error(subject.clone(), e));
        if *key != user.extension {
            found(ValidationError::ExtensionMismatch {
                key: key.clone(),
                extension: user.extension.clone(),
            });
        }
        user_errors(user).into_iter().for_each(&mut found);
        if !user.sip_password.is_empty() && !passwords.insert(&user.sip_password) {
            found(ValidationError::PasswordTaken);
        }
        if let Some(username) = &user.permissions.console_username {
            if !usernames.insert(username) {
                found(ValidationError::ConsoleUsernameTaken { username: username.clone() });
            }
        }

        for (tab, ring) in user.rings() {
            if let RingTarget::User(extension) = &ring.target {
                if !exists(extension) {
                    let field = match tab {
                        "Follow Me" => Field::FollowMe,
                        "forwarding on busy" => Field::ForwardBusy,
                        _ => Field::ForwardNoAnswer,
                    };
                    found(ValidationError::UnknownUser { field, extension: extension.clone() });
                }
            }
        }
        for (index, key) in user.keys.0.iter().enumerate() {
            let index = index + 1;
            match key {
                Key::Blf(extension)
                | Key::Line(extension)
                | Key::Pickup(PickupTarget::User(extension))
                    if !exists(extension) =>
                {
                    found(ValidationError::KeyTarget {
                        index,
                        reason: format!("there is no user {extension}"),
                    })
                }
                // A name not shaped like a group name was reported by the
                // field rules already.
                Key::Pickup(PickupTarget::Group(group))
                    if !config.pickup_groups.contains_key(group)
                        && check_group_name(group).is_ok() =>
                {
                    found(ValidationError::UnknownPickupGroup { index, group: group.clone() })
                }
                _ => {}
            }
        }
    }
}

fn incoming_number_rules(config: &Config, errors: &mut Vec<ConfigError>) {
    for (key, incoming) in &config.incoming_numbers {
        let subject = format!("incoming number {key}");
        let mut found = |e| errors.push(error(subject.clone(), e));
        if *key != incoming.number {
            found(ValidationError::KeyMismatch {
                what: "incoming number",
                key: key.clone(),
                value: incoming.number.clone(),
            });
        }
        if let Err(e) = check_canonical(Field::Number, &incoming.number) {
            found(e);
        }
        if let Some(note) = &incoming.sms {
            if check_sms(note).ok().flatten().as_deref() != Some(note.as_str()) {
                found(ValidationError::SmsFormat);
            }
        }
        match &incoming.destination {
            Destination::Extension(extension) if !config.users.contains_key(extension) => {
                found(ValidationError::UnknownDestination { what: "user", name: extension.clone() })
            }
            Destination::Voicemail(extension) => match config.users.get(extension) {
                None => found(ValidationError::UnknownDestination {
                    what: "user",
                    name: extension.clone(),
                }),
                Some(user) if !user.voicemail => {
                    found(ValidationError::DestinationWithoutVoicemail {
                        extension: extension.clone(),
                    })
                }
                Some(_) => {}
            },
            // Dial plans and conference rooms are not configurable yet, so a
            // reference to one cannot resolve.
            Destination::DialPlan(name) => {
                found(ValidationError::UnknownDestination { what: "dial plan", name: name.clone() })
            }
            Destination::Conference(name) => found(ValidationError::UnknownDestination {
                what: "conference room",
                name: name.clone(),
            }),
            _ => {}
        }
    }
}

fn group_rules(config: &Config, errors: &mut Vec<ConfigError>) {
    for (key, group) in &config.groups {
        named_set_rules(config, "group", key, &group.name, &group.members, errors);
    }
}

fn pickup_group_rules(config: &Config, errors: &mut Vec<ConfigError>) {
    for (key, group) in &config.pickup_groups {
        named_set_rules(config, "pickup group", key, &group.name, &group.members, errors);
    }
}

/// The rules user groups and pickup groups share: stored under their name,
/// a name that is not a number, each member once and a user.
fn named_set_rules(
    config: &Config,
    what: &'static str,
    key: &str,
    name: &str,
    members: &[String],
    errors: &mut Vec<ConfigError>,
) {
    let subject = format!("{what} {key}");
    let mut found = |e| errors.push(error(subject.clone(), e));
    if key != name {
        found(ValidationError::KeyMismatch { what, key: key.to_string(), value: name.to_string() });
    }
    if check_group_name(name).as_deref() != Ok(name) {
        found(ValidationError::GroupNameFormat);
    }
    let mut seen = BTreeSet::new();
    for member in members {
        if !seen.insert(member) {
            found(ValidationError::DuplicateMember { extension: member.clone() });
        }
        if !config.users.contains_key(member) {
            found(ValidationError::UnknownUser {
                field: Field::Members,
                extension: member.clone(),
            });
        }
    }
}

fn error(subject: String, error: ValidationError) -> ConfigError {
    ConfigError { subject, error }
}

#[cfg(test)]
#[path = "whole_tests.rs"]
mod tests;
