//! Call records: one per finished call, written by the engine through
//! [`CallLog`] and listed newest first by the call list.

use super::{staging::encode, Store, StoreError};
use crate::control::api::CallRecord;
use crate::engine::CallLog;

impl Store {
    /// Keeps a finished call, on disk before this returns (a call record must
    /// survive a crash). Recording the same call id and start time again
    /// replaces the earlier record.
    pub fn record_call(&self, call: &CallRecord) -> Result<(), StoreError> {
        self.calls.insert(call_key(call), encode(call)).map_err(|e| self.sled_error(e))?;
        self.flush()
    }

    /// Call records, newest first (by start time), at most `limit` of them.
    pub fn calls(&self, limit: Option<usize>) -> Result<Vec<CallRecord>, StoreError> {
        self.calls
            .iter()
            .rev()
            .take(limit.unwrap_or(usize::MAX))
            .map(|entry| {
                let (_, bytes) = entry.map_err(|e| self.sled_error(e))?;
                self.decode(&bytes, "a call record")
            })
            .collect()
    }
}

/// Keys sort by start time (nanoseconds since 1970, big-endian, so byte order
/// is time order), then by call id to keep calls started together apart.
fn call_key(call: &CallRecord) -> Vec<u8> {
    let nanos = u64::try_from(call.started_at.unix_timestamp_nanos()).unwrap_or(0);
    let mut key = nanos.to_be_bytes().to_vec();
    key.extend_from_slice(call.id.as_bytes());
    key
}

impl CallLog for Store {
    /// A record that cannot be written is logged; the call itself is over and
    /// nothing the engine could do would bring the record back.
    fn record(&self, call: &CallRecord) {
        if let Err(error) = self.record_call(call) {
            tracing::error!(call_id = %call.id, %error, "call record not kept");
        }
    }
}
