//! The store's schema version: written once when a store is created, checked
//! every time it is opened, so a store written by another switchboard version
//! is reported instead of misread.

use super::{Store, StoreError};

/// The layout this build reads and writes. Raise it with every change to the
/// trees or to the encoding of their values, and teach [`check_or_initialise`]
/// to upgrade from the previous one.
pub const SCHEMA_VERSION: u32 = 1;

/// Key of the schema version in the `meta` tree (a big-endian u32).
pub(super) const SCHEMA_KEY: &[u8] = b"schema_version";

/// Marks a new, empty store with [`SCHEMA_VERSION`]; on an existing store,
/// checks that its version is the one this build knows.
/// `marked` says whether this directory held a store before (see
/// [`super::marker`]): then a missing version means lost contents.
pub(super) fn check_or_initialise(store: &Store, marked: bool) -> Result<(), StoreError> {
    let stored = store.meta.get(SCHEMA_KEY).map_err(|e| store.sled_error(e))?;
    let Some(bytes) = stored else {
        if marked {
            return Err(store.damaged("its contents are missing or unreadable"));
        }
        return initialise(store);
    };

    let bytes: [u8; 4] = bytes
        .as_ref()
        .try_into()
        .map_err(|_| store.damaged("its schema version cannot be read"))?;
    let found = u32::from_be_bytes(bytes);
    if found != SCHEMA_VERSION {
        return Err(StoreError::UnknownSchema {
            dir: store.dir.clone(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

/// A store without a version must also be without contents: anything else is
/// a store whose `meta` tree was lost, and guessing its layout could destroy it.
fn initialise(store: &Store) -> Result<(), StoreError> {
    let trees = [&store.meta, &store.config, &store.revisions, &store.calls];
    if trees.iter().any(|tree| !tree.is_empty()) {
        return Err(store.damaged("it has contents but no schema version"));
    }
    store
        .meta
        .insert(SCHEMA_KEY, &SCHEMA_VERSION.to_be_bytes())
        .map_err(|e| store.sled_error(e))?;
    store.flush()
}
