//! Changes to one user, tab by tab, as the CLI's `user set` and the
//! console's user form send them: every field optional, each checked by the
//! rules of [`crate::config::validate`] before anything is staged.

use serde::{Deserialize, Serialize};

use crate::config::validate::{
    check_console_password, check_console_username, check_directory, check_email, check_key_count,
    check_name, check_number, check_sip_password, validate_user,
};
use crate::config::{Field, Key, Preset, Right, Ring, User, ValidationError};

/// What to change in a user; `None` leaves a field as it is. Text fields
/// take an empty string to clear an optional value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserEdit {
    pub name: Option<String>,
    pub email: Option<String>,
    pub gsm: Option<String>,
    pub voicemail: Option<bool>,
    pub outgoing_number: Option<String>,
    pub directory: Option<String>,
    pub multiple_calls: Option<bool>,
    pub must_log_in: Option<bool>,
    pub forward_no_answer: Option<Vec<Ring>>,
    pub voicemail_last_resort: Option<bool>,
    pub forward_busy: Option<Vec<Ring>>,
    pub follow_me: Option<bool>,
    pub follow_me_destinations: Option<Vec<Ring>>,
    /// Grows with Not configured keys or drops the last ones.
    pub key_count: Option<usize>,
    /// Keys to set, by number counted from 1, after `key_count`.
    pub keys: Vec<(usize, Key)>,
    pub sip_password: Option<String>,
    pub console_username: Option<String>,
    /// As typed; only its argon2 hash is stored.
    pub console_password: Option<String>,
    /// Replaces the rights before `rights` are applied.
    pub preset: Option<Preset>,
    pub rights: Vec<(Right, bool)>,
}

/// Applies `edit` to `user`, checking each field and then the user's own
/// rules; references to other users are checked at Apply.
pub fn apply_edit(user: &mut User, edit: UserEdit) -> Result<(), ValidationError> {
    if let Some(name) = edit.name {
        user.name = check_name(&name)?;
    }
    if let Some(email) = edit.email {
        user.email = check_email(&email)?;
    }
    if let Some(gsm) = edit.gsm {
        user.gsm = check_number(Field::Gsm, &gsm)?;
    }
    if let Some(number) = edit.outgoing_number {
        user.outgoing_number = check_number(Field::OutgoingNumber, &number)?;
    }
    if let Some(directory) = edit.directory {
        user.directory = check_directory(&directory)?;
    }
    set(&mut user.voicemail, edit.voicemail);
    set(&mut user.multiple_calls, edit.multiple_calls);
    set(&mut user.must_log_in, edit.must_log_in);
    set(&mut user.forwardings.no_answer, edit.forward_no_answer);
    set(&mut user.forwardings.voicemail_last_resort, edit.voicemail_last_resort);
    set(&mut user.forwardings.busy, edit.forward_busy);
    set(&mut user.follow_me.enabled, edit.follow_me);
    set(&mut user.follow_me.destinations, edit.follow_me_destinations);

    if let Some(count) = edit.key_count {
        user.keys.0.resize(check_key_count(count)?, Key::NotConfigured);
    }
    for (index, key) in edit.keys {
        let count = user.keys.0.len();
        let slot = index.checked_sub(1).and_then(|i| user.keys.0.get_mut(i)).ok_or(
            ValidationError::KeyTarget {
                index,
                reason: format!("the phone has keys 1 to {count}"),
            },
        )?;
        *slot = key;
    }

    if let Some(password) = edit.sip_password {
        user.sip_password = check_sip_password(&password)?;
    }
    if let Some(username) = edit.console_username {
        user.permissions.console_username = match username.trim() {
            "" => None,
            username => Some(check_console_username(username)?),
        };
    }
    if let Some(password) = edit.console_password {
        check_console_password(&password)?;
        user.permissions.password_hash = Some(hash_console_password(&password)?);
    }
    if let Some(preset) = edit.preset {
        user.permissions.rights = preset.rights();
    }
    for (right, on) in edit.rights {
        if on {
            user.permissions.rights.insert(right);
        } else {
            user.permissions.rights.remove(&right);
        }
    }
    validate_user(user)
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

/// An argon2id hash with a fresh random salt, as a PHC string.
pub fn hash_console_password(password: &str) -> Result<String, ValidationError> {
    use argon2::password_hash::PasswordHasher;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|_| ValidationError::ConsolePasswordHash)
}

/// Whether `password` is the one `hash` was made from.
pub fn verify_console_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{phc::PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|hash| {
        argon2::Argon2::default().verify_password(password.as_bytes(), &hash).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anne() -> User {
        User {
            extension: "1001".into(),
            name: "Anne".into(),
            voicemail: true,
            sip_password: "password-1001".into(),
            ..User::default()
        }
    }

    #[test]
    fn a_console_password_is_stored_as_an_argon2_hash_that_verifies() {
        let mut user = anne();
        let edit = UserEdit {
            console_username: Some("anne".into()),
            console_password: Some("correct horse".into()),
            ..UserEdit::default()
        };
        apply_edit(&mut user, edit).expect("valid edit");
        let hash = user.permissions.password_hash.clone().expect("hash stored");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("correct horse"));
        assert!(verify_console_password("correct horse", &hash));
        assert!(!verify_console_password("wrong horse", &hash));
    }

    #[test]
    fn keys_grow_shrink_and_refuse_a_number_past_the_last() {
        let mut user = anne();
        let edit = UserEdit {
            key_count: Some(3),
            keys: vec![(3, "switch".parse().expect("key"))],
            ..UserEdit::default()
        };
        apply_edit(&mut user, edit).expect("valid edit");
        assert_eq!(user.keys.0, [Key::NotConfigured, Key::NotConfigured, Key::Switch]);
        let past = UserEdit { keys: vec![(4, Key::Switch)], ..UserEdit::default() };
        assert!(matches!(apply_edit(&mut user, past), Err(ValidationError::KeyTarget { .. })));
        let none = UserEdit { key_count: Some(0), ..UserEdit::default() };
        assert_eq!(apply_edit(&mut user, none), Err(ValidationError::KeyCount { count: 0 }));
    }

    #[test]
    fn a_preset_then_single_rights_make_the_permissions() {
        let mut user = anne();
        let edit = UserEdit {
            preset: Some(Preset::User),
            rights: vec![(Right::CallList, true), (Right::UserPortalAccess, false)],
            ..UserEdit::default()
        };
        apply_edit(&mut user, edit).expect("valid edit");
        assert_eq!(user.permissions.rights.iter().copied().collect::<Vec<_>>(), [Right::CallList]);
    }

    #[test]
    fn a_short_console_password_is_refused_and_nothing_is_hashed() {
        let mut user = anne();
        let edit = UserEdit { console_password: Some("short".into()), ..UserEdit::default() };
        assert_eq!(apply_edit(&mut user, edit), Err(ValidationError::ConsolePasswordTooShort));
    }
}
