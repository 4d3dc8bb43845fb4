//! Registrations kept over a stop of the PBX. The engine hands them over as
//! bytes when it stops and takes them back when it starts; the store only
//! keeps them in between.

use super::{Store, StoreError};

const SAVED: &[u8] = b"saved";

impl Store {
    /// Keeps the registrations of a PBX that is stopping, on disk before this
    /// returns.
    pub fn keep_registrations(&self, saved: &[u8]) -> Result<(), StoreError> {
        self.registrations.insert(SAVED, saved).map_err(|e| self.sled_error(e))?;
        self.flush()
    }

    /// Takes the registrations kept by the last stop, if any; they are gone
    /// from the store afterwards, so a crash later does not bring back stale ones.
    pub fn take_registrations(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let saved = self.registrations.remove(SAVED).map_err(|e| self.sled_error(e))?;
        Ok(saved.map(|bytes| bytes.to_vec()))
    }
}
