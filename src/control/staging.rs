//! The control service's commands that stage changes to users' tabs,
//! incoming numbers, user groups and pickup groups. Each checks its input with the shared
//! rules, stages it, and announces the new count of pending changes;
//! references between them are checked at Apply.

use super::api::{ControlError, ErrorKind, Reply};
use super::edit::{apply_edit, UserEdit};
use super::service::{invalid, Service};
use crate::config::validate::{check_canonical, check_group_name, check_number, check_sms};
use crate::config::{
    Config, Destination, Field, IncomingNumber, PickupGroup, UserGroup, ValidationError,
};

impl Service {
    pub(super) fn set_user(&self, extension: &str, edit: UserEdit) -> Result<Reply, ControlError> {
        self.store().stage(|config: &mut Config| {
            let user =
                config.users.get_mut(extension).ok_or_else(|| not_found("user", extension))?;
            apply_edit(user, edit).map_err(invalid)
        })?;
        tracing::info!(user = %extension, "user change staged");
        self.staged(format!("user {extension}"))
    }

    pub(super) fn user_config(&self, extension: &str) -> Result<Reply, ControlError> {
        let staged = self.store().staged()?;
        let mut user =
            staged.users.get(extension).cloned().ok_or_else(|| not_found("user", extension))?;
        user.sip_password.clear();
        user.permissions.password_hash = None;
        Ok(Reply::UserConfig { user })
    }

    pub(super) fn list_numbers(&self) -> Result<Reply, ControlError> {
        let numbers = self.store().staged()?.incoming_numbers.into_values().collect();
        Ok(Reply::Numbers { numbers })
    }

    pub(super) fn add_number(&self, new: IncomingNumber) -> Result<Reply, ControlError> {
        let number = check_number(Field::Number, &new.number)
            .map_err(invalid)?
            .ok_or_else(|| invalid(ValidationError::NumberFormat { field: Field::Number }))?;
        let sms = check_sms(new.sms.as_deref().unwrap_or("")).map_err(invalid)?;
        let incoming = IncomingNumber { number: number.clone(), sms, destination: new.destination };
        self.store().stage(|config: &mut Config| {
            if config.incoming_numbers.contains_key(&number) {
                return Err(invalid(ValidationError::NumberTaken { number: number.clone() }));
            }
            config.incoming_numbers.insert(number.clone(), incoming);
            Ok(())
        })?;
        self.staged(format!("incoming number {number}"))
    }

    pub(super) fn set_number(
        &self,
        number: &str,
        destination: Option<Destination>,
        sms: Option<String>,
    ) -> Result<Reply, ControlError> {
        let number = canonical(number);
        let sms = sms.map(|note| check_sms(&note)).transpose().map_err(invalid)?;
        self.store().stage(|config: &mut Config| {
            let incoming = config
                .incoming_numbers
                .get_mut(&number)
                .ok_or_else(|| not_found("incoming number", &number))?;
            if let Some(destination) = destination {
                incoming.destination = destination;
            }
            if let Some(sms) = sms {
                incoming.sms = sms;
            }
            Ok::<_, ControlError>(())
        })?;
        self.staged(format!("incoming number {number}"))
    }

    pub(super) fn remove_number(&self, number: &str) -> Result<Reply, ControlError> {
        let number = canonical(number);
        self.store().stage(|config: &mut Config| {
            config
                .incoming_numbers
                .remove(&number)
                .map(drop)
                .ok_or_else(|| not_found("incoming number", &number))
        })?;
        self.staged(format!("incoming number {number}"))
    }

    pub(super) fn list_groups(&self) -> Result<Reply, ControlError> {
        let groups = self.store().staged()?.groups.into_values().collect();
        Ok(Reply::Groups { groups })
    }

    pub(super) fn add_group(&self, group: UserGroup) -> Result<Reply, ControlError> {
        let name = check_group_name(&group.name).map_err(invalid)?;
        let members = members(group.members)?;
        self.store().stage(|config: &mut Config| {
            if config.groups.contains_key(&name) {
                return Err(invalid(ValidationError::GroupTaken { name: name.clone() }));
            }
            config.groups.insert(name.clone(), UserGroup { name: name.clone(), members });
            Ok(())
        })?;
        self.staged(format!("group {name}"))
    }

    pub(super) fn set_group(&self, name: &str, new: Vec<String>) -> Result<Reply, ControlError> {
        let new = members(new)?;
        self.store().stage(|config: &mut Config| {
            let group = config.groups.get_mut(name).ok_or_else(|| not_found("group", name))?;
            group.members = new;
            Ok::<_, ControlError>(())
        })?;
        self.staged(format!("group {name}"))
    }

    pub(super) fn remove_group(&self, name: &str) -> Result<Reply, ControlError> {
        self.store().stage(|config: &mut Config| {
            config.groups.remove(name).map(drop).ok_or_else(|| not_found("group", name))
        })?;
        self.staged(format!("group {name}"))
    }

    pub(super) fn list_pickup_groups(&self) -> Result<Reply, ControlError> {
        let groups = self.store().staged()?.pickup_groups.into_values().collect();
        Ok(Reply::PickupGroups { groups })
    }

    pub(super) fn add_pickup_group(&self, group: PickupGroup) -> Result<Reply, ControlError> {
        let name = check_group_name(&group.name).map_err(invalid)?;
        let members = members(group.members)?;
        self.store().stage(|config: &mut Config| {
            if config.pickup_groups.contains_key(&name) {
                return Err(invalid(ValidationError::PickupGroupTaken { name: name.clone() }));
            }
            config.pickup_groups.insert(name.clone(), PickupGroup { name: name.clone(), members });
            Ok(())
        })?;
        self.staged(format!("pickup group {name}"))
    }

    pub(super) fn set_pickup_group(
        &self,
        name: &str,
        new: Vec<String>,
    ) -> Result<Reply, ControlError> {
        let new = members(new)?;
        self.store().stage(|config: &mut Config| {
            let group = config
                .pickup_groups
                .get_mut(name)
                .ok_or_else(|| not_found("pickup group", name))?;
            group.members = new;
            Ok::<_, ControlError>(())
        })?;
        self.staged(format!("pickup group {name}"))
    }

    pub(super) fn remove_pickup_group(&self, name: &str) -> Result<Reply, ControlError> {
        self.store().stage(|config: &mut Config| {
            config
                .pickup_groups
                .remove(name)
                .map(drop)
                .ok_or_else(|| not_found("pickup group", name))
        })?;
        self.staged(format!("pickup group {name}"))
    }

    fn staged(&self, subject: String) -> Result<Reply, ControlError> {
        self.config_changed()?;
        Ok(Reply::Staged { subject })
    }
}

/// Members trimmed, each once; whether they exist is checked at Apply.
fn members(members: Vec<String>) -> Result<Vec<String>, ControlError> {
    let mut kept: Vec<String> = Vec::new();
    for member in members.iter().map(|m| m.trim().to_string()).filter(|m| !m.is_empty()) {
        if kept.contains(&member) {
            return Err(invalid(ValidationError::DuplicateMember { extension: member }));
        }
        kept.push(member);
    }
    Ok(kept)
}

/// A number as typed, in the form it is stored under when it has one.
fn canonical(number: &str) -> String {
    match check_number(Field::Number, number) {
        Ok(Some(canonical)) if check_canonical(Field::Number, &canonical).is_ok() => canonical,
        _ => number.trim().to_string(),
    }
}

fn not_found(what: &str, name: &str) -> ControlError {
    ControlError::new(ErrorKind::NotFound, format!("there is no {what} {name}"))
}
