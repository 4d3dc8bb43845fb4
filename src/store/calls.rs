//! Call records: one per finished call, written by the engine through
//! [`CallLog`] and listed newest first by the call list.

use time::OffsetDateTime;

use super::{staging::encode, Store, StoreError};
use crate::control::api::{CallOutcome, CallRecord, LiveCall};
use crate::engine::CallLog;

impl Store {
    /// Keeps a finished call, on disk before this returns (a call record must
    /// survive a crash). Recording the same call id and start time again
    /// replaces the earlier record.
    pub fn record_call(&self, call: &CallRecord) -> Result<(), StoreError> {
        self.calls.insert(call_key(call), encode(call)).map_err(|e| self.sled_error(e))?;
        self.open_calls.remove(call.id.as_bytes()).map_err(|e| self.sled_error(e))?;
        self.flush()
    }

    /// Notes a call that started, so that a crash before it ends still leaves
    /// a record (see [`Store::close_open_calls`]). Not flushed: sled writes it
    /// within half a second, and a call younger than that at a crash is lost.
    pub fn open_call(&self, call: &LiveCall) -> Result<(), StoreError> {
        self.open_calls.insert(call.id.as_bytes(), encode(call)).map_err(|e| self.sled_error(e))?;
        Ok(())
    }

    /// Records every call still open from a PBX that stopped without ending
    /// it (a crash or a power cut) as failed, ending at `now`: when it really
    /// ended is not known. Called before a PBX starts on this store.
    pub fn close_open_calls(&self, now: OffsetDateTime) -> Result<Vec<CallRecord>, StoreError> {
        let mut closed = Vec::new();
        for entry in self.open_calls.iter() {
            let (_, bytes) = entry.map_err(|e| self.sled_error(e))?;
            let call: LiveCall = self.decode(&bytes, "an open call")?;
            closed.push(CallRecord {
                id: call.id,
                caller: call.caller,
                callee: call.callee,
                started_at: call.started_at,
                answered_at: call.answered_at,
                ended_at: now,
                outcome: CallOutcome::Failed,
            });
        }
        for record in &closed {
            self.record_call(record)?;
        }
        Ok(closed)
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
    fn in_progress(&self, call: &LiveCall) {
        if let Err(error) = self.open_call(call) {
            tracing::error!(call = %call.id, %error, "open call not noted");
        }
    }

    /// A record that cannot be written is logged; the call itself is over and
    /// nothing the engine could do would bring the record back.
    fn record(&self, call: &CallRecord) {
        if let Err(error) = self.record_call(call) {
            tracing::error!(call = %call.id, %error, "call record not kept");
        }
    }
}
