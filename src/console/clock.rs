//! The console's own idea of "now". The engine sends timestamps (a call's
//! start, a registration's expiry); the console turns them into durations and
//! time left with this clock, which tests replace with a fixed one.

use std::fmt;

use time::OffsetDateTime;

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> OffsetDateTime;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that always says the same time, for tests and screenshots.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub OffsetDateTime);

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}
