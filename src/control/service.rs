//! The control service: carries out every [`Command`] against the store and,
//! when a PBX runs, its live state. The console (through [`super::LocalLink`]),
//! the control socket and the CLI working on a store alone all go through it,
//! so every rule and every rights check is in one place.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use time::OffsetDateTime;
use tokio::sync::broadcast;

use super::api::{
    Command, ControlError, ErrorKind, Event, NewUser, PendingChange, Problem, Reply,
    SipIdentifiers, Snapshot, StagedUser, Status, UserRow,
};
use super::{demo, Caller, LiveState};
use crate::config::validate::{
    check_email, check_extension, check_name, check_number, check_sip_password,
    generate_sip_password, validate_new_user,
};
use crate::config::{Config, ConfigErrors, Field, User, ValidationError};
use crate::store::{ApplyError, ApplyOutcome, RollbackError, Store, StoreError};

/// How many events the broadcast channel keeps for slow subscribers before
/// they get [`Event::Lagged`].
pub const EVENT_CAPACITY: usize = 1024;

/// The channel a [`Service`] and the engine publish events on.
pub fn event_channel() -> broadcast::Sender<Event> {
    broadcast::channel(EVENT_CAPACITY).0
}

/// Carries out commands. Share it behind an `Arc`; its methods block on disk
/// writes (the store flushes each change), so async callers run them on a
/// blocking thread.
pub struct Service {
    store: Arc<Store>,
    live: Option<Arc<dyn LiveState>>,
    events: broadcast::Sender<Event>,
    /// The address the PBX listens on as phones reach it; the proxy address
    /// of the SIP identifiers when the settings name none.
    sip_address: RwLock<Option<SocketAddr>>,
}

impl Service {
    /// A service over `store`. `live` is the running PBX, or None when the
    /// CLI works on the store alone (then [`Command::Status`] is refused).
    /// Configuration changes are announced on `events`.
    pub fn new(
        store: Arc<Store>,
        live: Option<Arc<dyn LiveState>>,
        events: broadcast::Sender<Event>,
    ) -> Service {
        Service { store, live, events, sip_address: RwLock::new(None) }
    }

    /// Tells the service where phones reach the PBX (the advertised address,
    /// else the bound one). An unspecified IP (0.0.0.0) is shown as the
    /// domain with this port.
    pub fn set_sip_address(&self, address: SocketAddr) {
        *self.sip_address.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(address);
    }

    /// The store this service writes to.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Events from now on; take a [`Snapshot`] after subscribing so nothing
    /// falls between the two.
    pub fn subscribe_events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Refuses anyone but the owner of the data directory and root, who are
    /// the only accounts that could read the store's files anyway.
    pub fn authorize(&self, caller: &Caller) -> Result<(), ControlError> {
        if caller.uid == 0 || caller.uid == self.store.owner_uid() {
            return Ok(());
        }
        Err(ControlError::new(
            ErrorKind::Forbidden,
            format!(
                "{} may not use the switchboard on {}: only its owner may",
                caller.name,
                self.store.dir().display()
            ),
        ))
    }

    /// Checks the caller's rights, then carries out one command.
    pub fn execute(&self, caller: &Caller, command: Command) -> Result<Reply, ControlError> {
        self.authorize(caller)?;
        match command {
            Command::ListUsers => Ok(Reply::Users { users: self.live_users()? }),
            Command::ShowUser { extension, reveal } => self.show_user(&extension, reveal),
            Command::AddUser { user } => self.add_user(user),
            Command::RemoveUser { extension } => self.remove_user(&extension),
            Command::SetUser { extension, edit } => self.set_user(&extension, *edit),
            Command::UserConfig { extension } => self.user_config(&extension),
            Command::ListNumbers => self.list_numbers(),
            Command::AddNumber { number } => self.add_number(number),
            Command::SetNumber { number, destination, sms } => {
                self.set_number(&number, destination, sms)
            }
            Command::RemoveNumber { number } => self.remove_number(&number),
            Command::ListGroups => self.list_groups(),
            Command::AddGroup { group } => self.add_group(group),
            Command::SetGroup { name, members } => self.set_group(&name, members),
            Command::RemoveGroup { name } => self.remove_group(&name),
            Command::ListPickupGroups => self.list_pickup_groups(),
            Command::AddPickupGroup { group } => self.add_pickup_group(group),
            Command::SetPickupGroup { name, members } => self.set_pickup_group(&name, members),
            Command::RemovePickupGroup { name } => self.remove_pickup_group(&name),
            Command::Diff => Ok(Reply::Diff { changes: self.store.diff().map_err(internal)? }),
            Command::Apply => self.apply(caller),
            Command::LoadDemo => self.load_demo(caller),
            Command::Status => self.status(),
            Command::Calls { limit } => {
                Ok(Reply::Calls { calls: self.store.calls(limit).map_err(internal)? })
            }
            Command::Snapshot => Ok(Reply::Snapshot { snapshot: self.snapshot(caller)? }),
            Command::History => {
                Ok(Reply::History { revisions: self.store.history_entries().map_err(internal)? })
            }
            Command::Rollback { revision } => self.rollback(revision),
            Command::Discard => self.discard(),
            Command::ExportConfig { with_secrets, live } => self.export_config(with_secrets, live),
            Command::ImportConfig { config } => self.import_config(*config),
            Command::ImportUsers { users } => self.import_users(users),
        }
    }

    /// Everything a console shows, at this moment.
    pub fn snapshot(&self, caller: &Caller) -> Result<Snapshot, ControlError> {
        self.authorize(caller)?;
        let (revision, config) = self.store.live().map_err(internal)?;
        let staged = self.store.staged().map_err(internal)?;
        Ok(Snapshot {
            staged_users: staged_users(&config, &staged),
            taken_at: OffsetDateTime::now_utc(),
            pbx_running: self.live.is_some(),
            proxy: self.proxy(&config),
            domain: config.settings.domain.clone(),
            revision,
            pending_changes: self.store.pending_changes().map_err(internal)?,
            users: config.users.values().map(user_row).collect(),
            registrations: self.live.as_ref().map(|l| l.registrations()).unwrap_or_default(),
            calls: self.live.as_ref().map(|l| l.calls()).unwrap_or_default(),
        })
    }

    fn live_users(&self) -> Result<Vec<UserRow>, ControlError> {
        let (_, config) = self.store.live().map_err(internal)?;
        let mut users: Vec<UserRow> = config.users.values().map(user_row).collect();
        // Extensions are numbers: 99 comes before 1001.
        users.sort_by(|a, b| {
            (a.extension.len(), &a.extension).cmp(&(b.extension.len(), &b.extension))
        });
        Ok(users)
    }

    /// A live user, else one only staged so far (so a user just added can be
    /// configured on a phone before the change is applied).
    fn show_user(&self, extension: &str, reveal: bool) -> Result<Reply, ControlError> {
        let (_, live) = self.store.live().map_err(internal)?;
        let staged = self.store.staged().map_err(internal)?;
        let user = live
            .users
            .get(extension)
            .or_else(|| staged.users.get(extension))
            .ok_or_else(|| no_such_user(extension))?;
        let sip = SipIdentifiers {
            username: user.extension.clone(),
            domain: live.settings.domain.clone(),
            password: reveal.then(|| user.sip_password.clone()),
            proxy: self.proxy(&live),
        };
        Ok(Reply::User { user: user_row(user), sip })
    }

    fn add_user(&self, new: NewUser) -> Result<Reply, ControlError> {
        let (user, generated) = user_from(new).map_err(invalid)?;
        let extension = user.extension.clone();
        self.store.stage(|config: &mut Config| {
            validate_new_user(&user, &config.users).map_err(invalid)?;
            config.users.insert(user.extension.clone(), user);
            Ok::<_, ControlError>(())
        })?;
        tracing::info!(user = %extension, "user staged");
        self.config_changed()?;
        Ok(Reply::UserAdded { extension, generated_password: generated })
    }

    fn remove_user(&self, extension: &str) -> Result<Reply, ControlError> {
        self.store.stage(|config: &mut Config| {
            config.users.remove(extension).map(|_| ()).ok_or_else(|| no_such_user(extension))
        })?;
        tracing::info!(user = %extension, "user removal staged");
        self.config_changed()?;
        Ok(Reply::UserRemoved { extension: extension.to_string() })
    }

    fn apply(&self, caller: &Caller) -> Result<Reply, ControlError> {
        match self.store.apply(&caller.name).map_err(apply_error)? {
            ApplyOutcome::NothingToApply => Ok(Reply::NothingToApply),
            ApplyOutcome::Applied { revision, config } => {
                self.applied(revision, &config);
                Ok(Reply::Applied { revision })
            }
        }
    }

    fn load_demo(&self, caller: &Caller) -> Result<Reply, ControlError> {
        let users = demo::office();
        let count = users.len();
        self.store.stage(|config: &mut Config| {
            if !config.users.is_empty() {
                return Err(ControlError::new(
                    ErrorKind::Refused,
                    "the demo office only loads into an empty store, and this one has users",
                ));
            }
            config.users = users.into_iter().map(|u| (u.extension.clone(), u)).collect();
            Ok(())
        })?;
        // Staged users imply live ones were checked too: staging starts from
        // live, and the staged copy had none.
        match self.store.apply(&caller.name).map_err(apply_error)? {
            ApplyOutcome::Applied { revision, config } => {
                self.applied(revision, &config);
                Ok(Reply::DemoLoaded { revision, users: count })
            }
            ApplyOutcome::NothingToApply => Err(ControlError::new(
                ErrorKind::Internal,
                "the demo office was staged but there was nothing to apply",
            )),
        }
    }

    fn rollback(&self, revision: u64) -> Result<Reply, ControlError> {
        let pending_changes = self.store.stage_revision(revision).map_err(rollback_error)?;
        self.config_changed()?;
        Ok(Reply::RolledBack { revision, pending_changes })
    }

    fn discard(&self) -> Result<Reply, ControlError> {
        let dropped = self.store.discard_staged().map_err(internal)?;
        tracing::info!(dropped, "staged changes discarded");
        self.config_changed()?;
        Ok(Reply::Discarded { dropped })
    }

    fn status(&self) -> Result<Reply, ControlError> {
        let live = self.live.as_ref().ok_or_else(|| {
            ControlError::new(
                ErrorKind::Refused,
                format!("no PBX is running on {}", self.store.dir().display()),
            )
        })?;
        Ok(Reply::Status {
            status: Status { registrations: live.registrations(), calls: live.calls() },
        })
    }

    /// Switches the running PBX to a new revision and tells subscribers.
    fn applied(&self, revision: u64, config: &Config) {
        if let Some(live) = &self.live {
            live.config_applied(revision, config);
        }
        // An error here only means no console is subscribed right now.
        let _ = self.events.send(Event::ConfigChanged { revision, pending_changes: 0 });
    }

    pub(super) fn config_changed(&self) -> Result<(), ControlError> {
        let (revision, _) = self.store.live().map_err(internal)?;
        let pending_changes = self.store.pending_changes().map_err(internal)?;
        // An error here only means no console is subscribed right now.
        let _ = self.events.send(Event::ConfigChanged { revision, pending_changes });
        Ok(())
    }

    /// The proxy phones are told to use: the configured one, else where the
    /// PBX listens, else the domain itself.
    fn proxy(&self, config: &Config) -> String {
        if !config.settings.proxy.is_empty() {
            return config.settings.proxy.clone();
        }
        let address = *self.sip_address.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        match address {
            Some(address) if address.ip().is_unspecified() => {
                format!("{}:{}", config.settings.domain, address.port())
            }
            Some(address) => address.to_string(),
            None => config.settings.domain.clone(),
        }
    }
}

/// Checks and normalises every field of a new user; generates the SIP
/// password when none was given and returns it too.
pub(super) fn user_from(new: NewUser) -> Result<(User, Option<String>), ValidationError> {
    let (sip_password, generated) = match new.sip_password {
        Some(password) => (check_sip_password(&password)?, None),
        None => {
            let password = generate_sip_password();
            (password.clone(), Some(password))
        }
    };
    let user = User {
        extension: check_extension(&new.extension)?,
        name: check_name(&new.name)?,
        email: check_email(new.email.as_deref().unwrap_or(""))?,
        gsm: check_number(Field::Gsm, new.gsm.as_deref().unwrap_or(""))?,
        voicemail: new.voicemail,
        outgoing_number: check_number(
            Field::OutgoingNumber,
            new.outgoing_number.as_deref().unwrap_or(""),
        )?,
        multiple_calls: new.multiple_calls,
        sip_password,
        ..User::default()
    };
    Ok((user, generated))
}

/// Staged users and staged removals, in extension order, marked against live.
fn staged_users(live: &Config, staged: &Config) -> Vec<StagedUser> {
    let extensions: std::collections::BTreeSet<&String> =
        live.users.keys().chain(staged.users.keys()).collect();
    extensions
        .into_iter()
        .filter_map(|extension| {
            let (user, pending) = match (live.users.get(extension), staged.users.get(extension)) {
                (None, Some(added)) => (added, Some(PendingChange::Added)),
                (Some(removed), None) => (removed, Some(PendingChange::Removed)),
                (Some(before), Some(after)) => {
                    (after, (before != after).then_some(PendingChange::Changed))
                }
                (None, None) => return None,
            };
            Some(StagedUser { user: user_row(user), pending })
        })
        .collect()
}

fn user_row(user: &User) -> UserRow {
    UserRow {
        extension: user.extension.clone(),
        name: user.name.clone(),
        email: user.email.clone(),
        gsm: user.gsm.clone(),
        voicemail: user.voicemail,
        outgoing_number: user.outgoing_number.clone(),
        multiple_calls: user.multiple_calls,
    }
}

fn no_such_user(extension: &str) -> ControlError {
    ControlError {
        kind: ErrorKind::NotFound,
        field: Some(Field::Extension.key().to_string()),
        message: format!("there is no user {extension}"),
        problems: Vec::new(),
    }
}

pub(super) fn invalid(error: ValidationError) -> ControlError {
    ControlError::invalid(error.field().key(), error.to_string())
}

/// Each broken rule, for a screen to show beside what causes it.
pub(super) fn problems(errors: &ConfigErrors) -> Vec<Problem> {
    errors
        .0
        .iter()
        .map(|e| Problem {
            subject: e.subject.clone(),
            field: e.error.field().key().to_string(),
            message: e.error.to_string(),
            index: None,
        })
        .collect()
}

pub(super) fn internal(error: StoreError) -> ControlError {
    ControlError::new(ErrorKind::Internal, error.to_string())
}

impl From<StoreError> for ControlError {
    fn from(error: StoreError) -> Self {
        internal(error)
    }
}

fn apply_error(error: ApplyError) -> ControlError {
    match &error {
        ApplyError::Invalid(errors) => ControlError {
            kind: ErrorKind::Invalid,
            field: errors.0.first().map(|e| e.error.field().key().to_string()),
            message: error.to_string(),
            problems: problems(errors),
        },
        ApplyError::Store(_) => ControlError::new(ErrorKind::Internal, error.to_string()),
    }
}

fn rollback_error(error: RollbackError) -> ControlError {
    match error {
        RollbackError::Store(error) => internal(error),
        unknown => ControlError {
            kind: ErrorKind::NotFound,
            field: Some("revision".to_string()),
            message: unknown.to_string(),
            problems: Vec::new(),
        },
    }
}

#[cfg(test)]
#[path = "service_tests.rs"]
mod tests;
