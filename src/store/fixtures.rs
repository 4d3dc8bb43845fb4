//! What the store's tests build their configurations from.

use crate::config::User;

/// A user with a name and a SIP password of its own, nothing else set.
pub fn user(extension: &str, name: &str) -> User {
    User {
        extension: extension.to_string(),
        name: name.to_string(),
        sip_password: format!("password-{extension}"),
        ..User::default()
    }
}
