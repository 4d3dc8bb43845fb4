//! When things are due: a min-heap of (time, key) so that finding the next
//! deadline and the due keys costs little however many transactions,
//! bindings or calls are open.
//!
//! Entries are not removed when their owner changes its mind; a key may come
//! out early or twice, and the owner checks whether it is really due.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

#[derive(Debug)]
pub struct Deadlines<K: Ord> {
    heap: BinaryHeap<Reverse<(Instant, K)>>,
}

impl<K: Ord> Default for Deadlines<K> {
    fn default() -> Self {
        Self { heap: BinaryHeap::new() }
    }
}

impl<K: Ord> Deadlines<K> {
    pub fn schedule(&mut self, at: Instant, key: K) {
        self.heap.push(Reverse((at, key)));
    }

    /// The earliest scheduled time, possibly of an entry no longer wanted.
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Takes every key scheduled at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Vec<K> {
        let mut due = Vec::new();
        while self.heap.peek().is_some_and(|Reverse((at, _))| *at <= now) {
            if let Some(Reverse((_, key))) = self.heap.pop() {
                due.push(key);
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn due_keys_come_out_in_time_order_and_later_ones_stay() {
        let start = Instant::now();
        let mut deadlines = Deadlines::default();
        deadlines.schedule(start + Duration::from_secs(3), "c");
        deadlines.schedule(start + Duration::from_secs(1), "a");
        deadlines.schedule(start + Duration::from_secs(2), "b");
        assert_eq!(deadlines.next(), Some(start + Duration::from_secs(1)));
        assert_eq!(deadlines.pop_due(start + Duration::from_secs(2)), ["a", "b"]);
        assert_eq!(deadlines.next(), Some(start + Duration::from_secs(3)));
    }
}
