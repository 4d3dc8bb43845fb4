//! Staged and live configuration, and the revisions applying makes.
//!
//! Editing only ever changes the staged copy. [`Store::apply`] validates it and,
//! in one sled transaction over the `meta`, `config` and `revisions` trees,
//! makes it live as the next revision and records that revision in the
//! history. sled commits a transaction whole or not at all, so a crash leaves
//! either the old revision or the new one, never a mix.

use serde::{Deserialize, Serialize};
use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;
use time::OffsetDateTime;

use super::{diff, Store, StoreError};
use crate::config::{validate_config, Config, ConfigErrors};
use crate::control::api::Change;

const LIVE_KEY: &[u8] = b"live";
const STAGED_KEY: &[u8] = b"staged";
/// In the `meta` tree: the live revision number (big-endian u64); absent means 0,
/// the empty configuration a new store starts from.
const LIVE_REVISION_KEY: &[u8] = b"live_revision";

/// One applied configuration, as the history lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    pub revision: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub applied_at: OffsetDateTime,
    /// The user name of whoever applied it.
    pub applied_by: String,
    pub config: Config,
}

/// What [`Store::apply`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyOutcome {
    /// The staged configuration is now live as `revision`.
    Applied { revision: u64, config: Config },
    /// Nothing was staged, or the staged copy equals the live one.
    NothingToApply,
}

/// Why applying failed; the live configuration is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Every rule the staged configuration breaks.
    #[error("cannot apply: {0}")]
    Invalid(ConfigErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// The live revision number and its configuration (revision 0, an empty
    /// configuration, on a new store).
    pub fn live(&self) -> Result<(u64, Config), StoreError> {
        let revision = match self.meta.get(LIVE_REVISION_KEY).map_err(|e| self.sled_error(e))? {
            Some(bytes) => decode_revision_number(&bytes)
                .ok_or_else(|| self.damaged("its live revision number cannot be read"))?,
            None => 0,
        };
        let config = match self.config.get(LIVE_KEY).map_err(|e| self.sled_error(e))? {
            Some(bytes) => self.decode(&bytes, "the live configuration")?,
            None => Config::default(),
        };
        Ok((revision, config))
    }

    /// The staged configuration: the live one plus every change saved since
    /// the last apply.
    pub fn staged(&self) -> Result<Config, StoreError> {
        match self.config.get(STAGED_KEY).map_err(|e| self.sled_error(e))? {
            Some(bytes) => self.decode(&bytes, "the staged configuration"),
            None => Ok(self.live()?.1),
        }
    }

    /// Staged against live, field by field.
    pub fn diff(&self) -> Result<Vec<Change>, StoreError> {
        let (_, live) = self.live()?;
        Ok(diff(&live, &self.staged()?))
    }

    /// How many changes are waiting to be applied.
    pub fn pending_changes(&self) -> Result<usize, StoreError> {
        Ok(self.diff()?.len())
    }

    /// Changes the staged configuration with `edit` and saves it to disk before
    /// returning. When `edit` fails nothing is saved. Staging is serialised, so
    /// concurrent edits each see the one before.
    pub fn stage<T, E>(&self, edit: impl FnOnce(&mut Config) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        // A poisoned lock only means another edit panicked before writing; the
        // stored staged copy is still whole, so carrying on is safe.
        let _serialised = self.staging.lock().unwrap_or_else(|poisoned| poisoned.into_inner());

        let mut staged = self.staged()?;
        let answer = edit(&mut staged)?;

        // Staging back to exactly the live configuration leaves nothing pending.
        let (_, live) = self.live()?;
        let written = if staged == live {
            self.config.remove(STAGED_KEY).map(|_| ())
        } else {
            self.config.insert(STAGED_KEY, encode(&staged)).map(|_| ())
        };
        written.map_err(|e| self.sled_error(e))?;
        self.flush()?;
        Ok(answer)
    }

    /// Drops every staged change and returns how many there were.
    pub fn discard_staged(&self) -> Result<usize, StoreError> {
        let _serialised = self.staging.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let dropped = self.pending_changes()?;
        self.config.remove(STAGED_KEY).map_err(|e| self.sled_error(e))?;
        self.flush()?;
        Ok(dropped)
    }

    /// Validates the whole staged configuration and promotes it atomically as
    /// the next revision, recording `applied_by` in the history. On success
    /// the new revision is on disk before this returns.
    pub fn apply(&self, applied_by: &str) -> Result<ApplyOutcome, ApplyError> {
        let _serialised = self.staging.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let applied_at = OffsetDateTime::now_utc();
        tracing::debug!(user = applied_by, "applying the staged configuration");

        let outcome =
            (&self.meta, &self.config, &self.revisions).transaction(|(meta, config, revisions)| {
                let abort = |error: ApplyError| ConflictableTransactionError::Abort(error);

                let Some(staged_bytes) = config.get(STAGED_KEY)? else {
                    return Ok(ApplyOutcome::NothingToApply);
                };
                let staged: Config = self
                    .decode(&staged_bytes, "the staged configuration")
                    .map_err(|e| abort(e.into()))?;
                let live: Option<Config> = match config.get(LIVE_KEY)? {
                    Some(bytes) => Some(
                        self.decode(&bytes, "the live configuration")
                            .map_err(|e| abort(e.into()))?,
                    ),
                    None => None,
                };
                if live.as_ref() == Some(&staged) {
                    config.remove(STAGED_KEY)?;
                    return Ok(ApplyOutcome::NothingToApply);
                }
                validate_config(&staged).map_err(|e| abort(ApplyError::Invalid(e)))?;

                let current = match meta.get(LIVE_REVISION_KEY)? {
                    Some(bytes) => decode_revision_number(&bytes).ok_or_else(|| {
                        abort(self.damaged("its live revision number cannot be read").into())
                    })?,
                    None => 0,
                };
                let revision = current + 1;
                let record = Revision {
                    revision,
                    applied_at,
                    applied_by: applied_by.to_string(),
                    config: staged.clone(),
                };
                revisions.insert(&revision.to_be_bytes(), encode(&record))?;
                config.insert(LIVE_KEY, staged_bytes)?;
                config.remove(STAGED_KEY)?;
                meta.insert(LIVE_REVISION_KEY, &revision.to_be_bytes())?;
                Ok(ApplyOutcome::Applied { revision, config: staged })
            });

        let outcome = outcome.map_err(|error| match error {
            TransactionError::Abort(error) => error,
            TransactionError::Storage(source) => self.sled_error(source).into(),
        })?;
        self.flush()?;
        if let ApplyOutcome::Applied { revision, .. } = &outcome {
            self.mark_revision(*revision)?;
            tracing::info!(revision, user = applied_by, "revision applied");
        }
        Ok(outcome)
    }

    /// Every applied revision, newest first.
    pub fn history(&self) -> Result<Vec<Revision>, StoreError> {
        self.revisions
            .iter()
            .rev()
            .map(|entry| {
                let (_, bytes) = entry.map_err(|e| self.sled_error(e))?;
                self.decode(&bytes, "a revision in the history")
            })
            .collect()
    }

    /// One applied revision, if it exists.
    pub fn revision(&self, revision: u64) -> Result<Option<Revision>, StoreError> {
        let bytes = self.revisions.get(revision.to_be_bytes()).map_err(|e| self.sled_error(e))?;
        bytes.map(|bytes| self.decode(&bytes, "a revision in the history")).transpose()
    }

    /// Reads what every command relies on, so a damaged store is reported when
    /// it is opened rather than halfway through someone's work.
    pub(super) fn check_contents(&self) -> Result<(), StoreError> {
        let (revision, live) = self.live()?;
        self.staged()?;
        if revision > 0 {
            let recorded = self.revision(revision)?.ok_or_else(|| {
                self.damaged(format!("live revision {revision} is missing from the history"))
            })?;
            if recorded.config != live {
                return Err(self
                    .damaged(format!("the live configuration differs from revision {revision}")));
            }
        }
        Ok(())
    }

    pub(super) fn decode<T: for<'de> Deserialize<'de>>(
        &self,
        bytes: &[u8],
        what: &str,
    ) -> Result<T, StoreError> {
        serde_json::from_slice(bytes)
            .map_err(|e| self.damaged(format!("{what} cannot be read: {e}")))
    }
}

/// Values are stored as JSON: readable with any sled tool when something has
/// gone wrong, and tolerant of fields added later.
pub(super) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Only our own types are encoded, whose maps all have string keys, so
    // serde_json cannot refuse them.
    serde_json::to_vec(value).expect("store values serialise to JSON")
}

fn decode_revision_number(bytes: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}
