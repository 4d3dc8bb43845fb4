//! The store: everything switchboard keeps, in one sled database inside the
//! data directory. It holds the staged and live configuration, the history of
//! applied revisions and the call records.
//!
//! One process at a time owns a data directory: the running PBX, or the CLI
//! when no PBX runs. The control service is the store's only writer inside that
//! process; the engine also writes call records through [`crate::engine::CallLog`].
//!
//! Layout of DIR (owner-only, 0700):
//! - `lock`: held with an exclusive `flock` while the store is open;
//! - `revision`: the last applied revision, kept outside sled to notice a lost log;
//! - `store/`: the sled database, with the trees `meta` (schema version, live
//!   revision), `config` (staged and live configuration), `revisions` and `calls`;
//! - `control.sock`: the control socket of a running PBX (see [`crate::control`]).

mod calls;
mod diff;
#[cfg(test)]
mod fixtures;
mod history;
mod marker;
mod registrations;
mod schema;
mod staging;

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

pub use diff::diff;
pub use history::RollbackError;
pub use staging::{ApplyError, ApplyOutcome, Revision};

/// The data directory and everything in it is readable by its owner only: SIP
/// passwords must stay readable for the administrator, so the directory is
/// their protection.
const DIR_MODE: u32 = 0o700;

/// Why the store could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("another switchboard is using {}", dir.display())]
    Locked { dir: PathBuf },
    #[error("cannot open the data directory {}: {source}", dir.display())]
    Directory { dir: PathBuf, source: io::Error },
    #[error(
        "the store in {} is damaged ({detail}); restore it from a backup or move it away",
        dir.display()
    )]
    Damaged { dir: PathBuf, detail: String },
    #[error(
        "the store in {} has schema version {found}, which this switchboard does not \
         know (it reads version {supported}); use a switchboard that matches it",
        dir.display()
    )]
    UnknownSchema { dir: PathBuf, found: u32, supported: u32 },
    #[error("the store in {} failed: {source}", dir.display())]
    Sled { dir: PathBuf, source: sled::Error },
}

/// An open store. Cheap to share behind an `Arc`; every method is safe to call
/// from several threads.
pub struct Store {
    dir: PathBuf,
    owner_uid: u32,
    db: sled::Db,
    meta: sled::Tree,
    config: sled::Tree,
    revisions: sled::Tree,
    calls: sled::Tree,
    /// Calls in progress, by id, until their record is written.
    open_calls: sled::Tree,
    /// Registrations kept over a stop of the PBX.
    registrations: sled::Tree,
    /// Serialises read-modify-write of the staged configuration, so two
    /// connections staging at once cannot lose one another's change.
    staging: Mutex<()>,
    /// Held for as long as the store is open; dropping it releases the directory.
    _lock: Flock<File>,
}

impl Store {
    /// Opens the store in `dir`, creating the directory (0700) and an empty
    /// store when there is none. Fails with [`StoreError::Locked`] when another
    /// process has it open, [`StoreError::UnknownSchema`] when it was written by
    /// a newer switchboard, and [`StoreError::Damaged`] when its contents cannot
    /// be read; a store is never replaced or repaired behind the user's back.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let dir = dir.to_path_buf();
        let owner_uid = prepare_directory(&dir)?;
        let lock = lock_directory(&dir)?;

        let db = sled::Config::new()
            .path(dir.join("store"))
            .open()
            .map_err(|source| sled_error(&dir, source))?;
        let tree = |name: &str| db.open_tree(name).map_err(|source| sled_error(&dir, source));
        let store = Store {
            meta: tree("meta")?,
            config: tree("config")?,
            revisions: tree("revisions")?,
            calls: tree("calls")?,
            open_calls: tree("open_calls")?,
            registrations: tree("registrations")?,
            db,
            dir,
            owner_uid,
            staging: Mutex::new(()),
            _lock: lock,
        };

        let recorded = marker::read(&store.dir).map_err(|detail| store.damaged(detail))?;
        schema::check_or_initialise(&store, recorded.is_some())?;
        store.check_contents()?;
        store.check_against_marker(recorded)?;
        Ok(store)
    }

    /// The data directory this store lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The user id that owns the data directory: the one user (besides root)
    /// allowed to drive this switchboard.
    pub fn owner_uid(&self) -> u32 {
        self.owner_uid
    }

    /// Writes everything to disk before returning.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush().map(|_| ()).map_err(|source| self.sled_error(source))
    }

    /// A live revision older than the one recorded beside the store means
    /// applied revisions were lost; a store never marked gets its mark now.
    fn check_against_marker(&self, recorded: Option<u64>) -> Result<(), StoreError> {
        let (live, _) = self.live()?;
        match recorded {
            Some(recorded) if live < recorded => Err(self.damaged(format!(
                "revision {recorded} was applied, but the store only holds revision {live}"
            ))),
            Some(recorded) if live == recorded => Ok(()),
            _ => self.mark_revision(live),
        }
    }

    fn mark_revision(&self, revision: u64) -> Result<(), StoreError> {
        marker::write(&self.dir, revision)
            .map_err(|source| StoreError::Directory { dir: self.dir.clone(), source })
    }

    fn sled_error(&self, source: sled::Error) -> StoreError {
        sled_error(&self.dir, source)
    }

    fn damaged(&self, detail: impl Into<String>) -> StoreError {
        StoreError::Damaged { dir: self.dir.clone(), detail: detail.into() }
    }
}

/// Corruption and sled's internal bugs mean the files cannot be trusted: the
/// store is reported damaged. Anything else (I/O) is passed on as it is.
fn sled_error(dir: &Path, source: sled::Error) -> StoreError {
    match source {
        sled::Error::Corruption { .. } | sled::Error::ReportableBug(_) => {
            StoreError::Damaged { dir: dir.to_path_buf(), detail: source.to_string() }
        }
        sled::Error::Unsupported(detail) => StoreError::Damaged { dir: dir.to_path_buf(), detail },
        source => StoreError::Sled { dir: dir.to_path_buf(), source },
    }
}

/// Creates `dir` owner-only if missing, tightens it to owner-only if it is
/// wider, and returns the uid that owns it.
fn prepare_directory(dir: &Path) -> Result<u32, StoreError> {
    let directory_error = |source| StoreError::Directory { dir: dir.to_path_buf(), source };

    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir).map_err(directory_error)?;
    let metadata = fs::metadata(dir).map_err(directory_error)?;
    if !metadata.is_dir() {
        return Err(directory_error(io::Error::other("it is not a directory")));
    }
    if metadata.mode() & 0o077 != 0 {
        // Routine for a directory made by hand with mkdir, so not a warning.
        tracing::info!(dir = %dir.display(), "data directory made owner-only");
        fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE)).map_err(directory_error)?;
    }
    Ok(metadata.uid())
}

/// Takes the directory's lock without waiting. sled locks its own files too,
/// but its error does not say which case it is; this lock makes "someone else
/// has it" a clear, separate answer.
fn lock_directory(dir: &Path) -> Result<Flock<File>, StoreError> {
    let directory_error = |source| StoreError::Directory { dir: dir.to_path_buf(), source };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(dir.join("lock"))
        .map_err(directory_error)?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, errno)| match errno {
        Errno::EWOULDBLOCK => StoreError::Locked { dir: dir.to_path_buf() },
        errno => directory_error(io::Error::from(errno)),
    })
}

#[cfg(test)]
mod tests;
