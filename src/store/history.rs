//! The history of applied revisions as people read it, and the two ways back
//! from staged changes: staging an earlier revision again (rollback) and
//! dropping everything staged (discard). The control service is the only
//! caller; neither touches the live configuration, which only apply changes.

use serde::Deserialize;
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::control::api::HistoryEntry;

/// Why an earlier revision could not be staged.
#[derive(Debug, thiserror::Error)]
pub enum RollbackError {
    #[error("there is no revision {revision}: nothing has been applied yet")]
    NothingApplied { revision: u64 },
    #[error("there is no revision {revision}: revisions run from 1 to {latest}")]
    UnknownRevision { revision: u64, latest: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A stored revision without its configuration: the history reads only this,
/// so listing many revisions of a large office does not build every one.
#[derive(Deserialize)]
struct Heading {
    revision: u64,
    #[serde(with = "time::serde::rfc3339")]
    applied_at: OffsetDateTime,
    applied_by: String,
}

impl Store {
    /// Who applied each revision and when, newest first.
    pub fn history_entries(&self) -> Result<Vec<HistoryEntry>, StoreError> {
        self.revisions
            .iter()
            .rev()
            .map(|entry| {
                let (_, bytes) = entry.map_err(|e| self.sled_error(e))?;
                let heading: Heading = self.decode(&bytes, "a revision in the history")?;
                Ok(HistoryEntry {
                    revision: heading.revision,
                    applied_at: heading.applied_at,
                    applied_by: heading.applied_by,
                })
            })
            .collect()
    }

    /// Stages the configuration of an earlier `revision` in place of whatever
    /// was staged, and returns how many changes are now pending against live.
    /// Rolling back to the live revision leaves nothing pending. Like any
    /// staged change, it takes an apply (as a new revision) to go live.
    pub fn stage_revision(&self, revision: u64) -> Result<usize, RollbackError> {
        let Some(record) = self.revision(revision)? else {
            let (latest, _) = self.live()?;
            return Err(if latest == 0 {
                RollbackError::NothingApplied { revision }
            } else {
                RollbackError::UnknownRevision { revision, latest }
            });
        };

        self.stage(|config| {
            *config = record.config;
            Ok::<_, StoreError>(())
        })?;
        tracing::info!(revision, "earlier revision staged");
        Ok(self.pending_changes()?)
    }
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
