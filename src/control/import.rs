//! The control service's whole-configuration commands: export, import of a
//! whole configuration, and bulk onboarding of new users. The CLI reads and
//! writes the files; this module applies the same rules as every other way
//! in, and stages all or nothing.

use std::collections::HashSet;

use super::api::{ControlError, ErrorKind, GeneratedPassword, NewUser, Problem, Reply};
use super::service::{internal, problems, user_from, Service};
use crate::config::validate::{generate_sip_password, validate_user};
use crate::config::{validate_config, Config, ValidationError};

impl Service {
    pub(super) fn export_config(
        &self,
        with_secrets: bool,
        live: bool,
    ) -> Result<Reply, ControlError> {
        let mut config = if live {
            self.store().live().map_err(internal)?.1
        } else {
            self.store().staged().map_err(internal)?
        };
        if !with_secrets {
            for user in config.users.values_mut() {
                user.sip_password.clear();
                user.permissions.password_hash = None;
            }
        }
        Ok(Reply::Config { config: Box::new(config) })
    }

    pub(super) fn import_config(&self, mut config: Config) -> Result<Reply, ControlError> {
        let generated = self.store().stage(|staged: &mut Config| {
            let generated = fill_secrets(&mut config, staged);
            validate_config(&config).map_err(|errors| ControlError {
                kind: ErrorKind::Invalid,
                field: errors.0.first().map(|e| e.error.field().key().to_string()),
                message: errors.to_string(),
                problems: problems(&errors),
            })?;
            *staged = config;
            Ok::<_, ControlError>(generated)
        })?;
        tracing::info!(users = generated.len(), "configuration imported");
        self.imported(generated)
    }

    pub(super) fn import_users(&self, users: Vec<NewUser>) -> Result<Reply, ControlError> {
        let generated = self.store().stage(|staged: &mut Config| {
            let mut refused = Vec::new();
            let mut accepted = Vec::new();
            // Sets, not a scan of every user per row: bulk onboarding is
            // where the user count is largest.
            let mut extensions: HashSet<String> = staged.users.keys().cloned().collect();
            let mut passwords: HashSet<String> =
                staged.users.values().map(|u| u.sip_password.clone()).collect();

            for (index, new) in users.into_iter().enumerate() {
                let subject = format!("user {}", new.extension.trim());
                let checked = user_from(new).and_then(|(user, generated)| {
                    validate_user(&user)?;
                    if !extensions.insert(user.extension.clone()) {
                        return Err(ValidationError::ExtensionTaken { extension: user.extension });
                    }
                    if !passwords.insert(user.sip_password.clone()) {
                        return Err(ValidationError::PasswordTaken);
                    }
                    Ok((user, generated))
                });
                match checked {
                    Ok(user) => accepted.push(user),
                    Err(error) => refused.push(Problem {
                        subject,
                        field: error.field().key().to_string(),
                        message: error.to_string(),
                        index: Some(index),
                    }),
                }
            }

            if !refused.is_empty() {
                return Err(ControlError {
                    kind: ErrorKind::Invalid,
                    field: refused.first().map(|p| p.field.clone()),
                    message: refused
                        .iter()
                        .map(|p| format!("{}: {}", p.subject, p.message))
                        .collect::<Vec<_>>()
                        .join("; "),
                    problems: refused,
                });
            }
            let mut generated = Vec::new();
            for (user, password) in accepted {
                if let Some(password) = password {
                    generated
                        .push(GeneratedPassword { extension: user.extension.clone(), password });
                }
                staged.users.insert(user.extension.clone(), user);
            }
            Ok::<_, ControlError>(generated)
        })?;
        tracing::info!(users = generated.len(), "users imported");
        self.imported(generated)
    }

    fn imported(&self, generated: Vec<GeneratedPassword>) -> Result<Reply, ControlError> {
        self.config_changed()?;
        let pending_changes = self.store().pending_changes().map_err(internal)?;
        Ok(Reply::Imported { pending_changes, generated })
    }
}

/// Gives each imported user without secrets the ones `staged` holds for the
/// same extension; a new user without a SIP password gets a generated one,
/// which is returned. A console password hash is carried over only to a user
/// who keeps a console username, since a hash without one is refused.
fn fill_secrets(config: &mut Config, staged: &Config) -> Vec<GeneratedPassword> {
    let mut generated = Vec::new();
    for (extension, user) in &mut config.users {
        let existing = staged.users.get(extension);
        if user.sip_password.is_empty() {
            user.sip_password = match existing {
                Some(existing) => existing.sip_password.clone(),
                None => {
                    let password = generate_sip_password();
                    generated.push(GeneratedPassword {
                        extension: extension.clone(),
                        password: password.clone(),
                    });
                    password
                }
            };
        }
        let permissions = &mut user.permissions;
        if permissions.password_hash.is_none() && permissions.console_username.is_some() {
            permissions.password_hash =
                existing.and_then(|existing| existing.permissions.password_hash.clone());
        }
    }
    generated
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
