//! Bounded polling: every wait in the harness gives up after a deadline, so a
//! test that goes wrong fails with a message instead of hanging the suite.

use std::time::{Duration, Instant};

/// How often a condition is checked again.
const POLL: Duration = Duration::from_millis(100);

/// Calls `probe` until it returns `Some`, or `timeout` passes; `None` then.
pub fn until<T>(timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = probe() {
            return Some(value);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Like [`until`] for a yes/no condition.
pub fn for_condition(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    until(timeout, || condition().then_some(())).is_some()
}
