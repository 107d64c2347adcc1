//! Which records a `read_uncommitted` reader sees belong to aborted
//! transactions.
//!
//! librdkafka hands an application neither the control records (commit and
//! abort markers) nor the fetch response's aborted-transaction list, and a
//! broker sends that list only to `read_committed` fetches. So a
//! `read_uncommitted` reader cannot tell an aborted record from a committed
//! one by itself. The method here compares it with a second reader of the
//! same partitions at `read_committed`, started at or before the same
//! position:
//!
//! - the `read_committed` reader delivers every committed (and every
//!   non-transactional) record and skips the aborted ones, using the fetch
//!   response's aborted-transaction list;
//! - its position (librdkafka's application position) moves past each record
//!   it delivers **and past each control record** (librdkafka stores the
//!   offset of a marker as it skips it), so every offset below its position
//!   has been decided: delivered, or skipped as aborted (or a marker, which
//!   the other reader never sees either);
//! - so a record the `read_uncommitted` reader saw at offset `o` is
//!   **aborted** when `o` is below the `read_committed` reader's position and
//!   that reader did not deliver `o`; **committed** when it did; and not
//!   known yet while `o` is at or above that position (its transaction is
//!   still open, or the reader has not got there).
//!
//! It costs a second fetch of the same partitions, only while some record is
//! undecided; state is a few offsets per partition ([`Verdicts`]).

use std::collections::{HashMap, VecDeque};

pub use super::ffi::Isolation;

/// What is known of a record read at `read_uncommitted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// A `read_committed` reader delivered it.
    Committed,
    /// A `read_committed` reader passed its offset without delivering it: its
    /// transaction was aborted.
    Aborted,
}

/// A topic partition.
type Tp = (String, i32);

#[derive(Debug, Default)]
struct Partition {
    /// Every offset below this has been passed by the `read_committed` reader
    /// (its position); -1 before it has one.
    scanned: i64,
    /// Offsets the `read_committed` reader delivered that no undecided record
    /// has met yet, ascending.
    delivered: VecDeque<i64>,
    /// Offsets the `read_uncommitted` reader delivered, not decided yet,
    /// ascending.
    undecided: VecDeque<i64>,
}

/// The comparison of a `read_uncommitted` and a `read_committed` reader of the
/// same partitions (see the module's header for why it is right).
#[derive(Debug, Default)]
pub struct Verdicts {
    parts: HashMap<Tp, Partition>,
    undecided: usize,
}

impl Verdicts {
    /// The `read_uncommitted` reader delivered `offset`.
    pub fn uncommitted(&mut self, topic: &str, partition: i32, offset: i64) {
        let p = self.part(topic, partition);
        p.undecided.push_back(offset);
        self.undecided += 1;
    }

    /// The `read_committed` reader delivered `offset`.
    pub fn committed(&mut self, topic: &str, partition: i32, offset: i64) {
        let p = self.part(topic, partition);
        p.delivered.push_back(offset);
        p.scanned = p.scanned.max(offset + 1);
    }

    /// The `read_committed` reader's position in the partition (one past the
    /// last record or marker it went by).
    pub fn position(&mut self, topic: &str, partition: i32, position: i64) {
        let p = self.part(topic, partition);
        p.scanned = p.scanned.max(position);
    }

    /// True while some record is not decided: only then is the
    /// `read_committed` reader worth polling.
    pub fn has_undecided(&self) -> bool {
        self.undecided > 0
    }

    /// Partitions with undecided records, and the lowest such offset.
    pub fn undecided_partitions(&self) -> Vec<(Tp, i64)> {
        self.parts
            .iter()
            .filter_map(|(tp, p)| p.undecided.front().map(|&o| (tp.clone(), o)))
            .collect()
    }

    /// Undecided records of `tp` at or above `from`: true when every one of
    /// them is (their transactions are open at `from`, the last stable offset).
    pub fn all_undecided_at_or_above(&self, tp: &Tp, from: i64) -> bool {
        self.parts
            .get(tp)
            .and_then(|p| p.undecided.front())
            .is_none_or(|&o| o >= from)
    }

    /// Decides what can be decided, in offset order per partition: `(topic,
    /// partition, offset, verdict)`.
    pub fn settle(&mut self) -> Vec<(String, i32, i64, Settled)> {
        let mut out = Vec::new();
        for ((topic, partition), p) in &mut self.parts {
            while let Some(&o) = p.undecided.front() {
                if o >= p.scanned {
                    break;
                }
                p.undecided.pop_front();
                self.undecided -= 1;
                // Delivered offsets below `o` were records this reader's
                // twin delivered before it started here: nothing to meet.
                while p.delivered.front().is_some_and(|&d| d < o) {
                    p.delivered.pop_front();
                }
                let verdict = if p.delivered.front() == Some(&o) {
                    p.delivered.pop_front();
                    Settled::Committed
                } else {
                    Settled::Aborted
                };
                out.push((topic.clone(), *partition, o, verdict));
            }
        }
        out
    }

    /// Forgets the undecided records of `tp` (said as not known yet).
    pub fn give_up(&mut self, tp: &Tp) -> Vec<i64> {
        let Some(p) = self.parts.get_mut(tp) else {
            return Vec::new();
        };
        self.undecided -= p.undecided.len();
        p.undecided.drain(..).collect()
    }

    fn part(&mut self, topic: &str, partition: i32) -> &mut Partition {
        let key = (topic.to_string(), partition);
        self.parts.entry(key).or_insert_with(|| Partition {
            scanned: -1,
            ..Partition::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settle(v: &mut Verdicts) -> Vec<(i64, Settled)> {
        let mut s: Vec<_> = v.settle().into_iter().map(|(_, _, o, s)| (o, s)).collect();
        s.sort_by_key(|x| x.0);
        s
    }

    #[test]
    fn a_record_the_committed_reader_passed_without_delivering_is_aborted() {
        // Offsets: 0 committed, 1-2 aborted, 3 abort marker, 4 committed, 5 its marker.
        let mut v = Verdicts::default();
        for o in [0, 1, 2, 4] {
            v.uncommitted("t", 0, o);
        }
        assert!(v.has_undecided());
        assert_eq!(settle(&mut v), vec![]);
        v.committed("t", 0, 0);
        assert_eq!(settle(&mut v), vec![(0, Settled::Committed)]);
        v.committed("t", 0, 4);
        assert_eq!(
            settle(&mut v),
            vec![
                (1, Settled::Aborted),
                (2, Settled::Aborted),
                (4, Settled::Committed)
            ]
        );
        assert!(!v.has_undecided());
    }

    #[test]
    fn an_abort_marker_passed_decides_the_aborted_records_before_it() {
        let mut v = Verdicts::default();
        v.uncommitted("t", 0, 7);
        v.uncommitted("t", 0, 8);
        // The committed reader went by 7, 8 (skipped) and the marker at 9.
        v.position("t", 0, 10);
        assert_eq!(
            settle(&mut v),
            vec![(7, Settled::Aborted), (8, Settled::Aborted)]
        );
    }

    #[test]
    fn records_at_or_above_the_position_wait_and_a_committed_reader_ahead_is_met_later() {
        let mut v = Verdicts::default();
        // The committed reader is ahead: it delivered 3 before the other saw it.
        v.committed("t", 1, 3);
        v.position("t", 1, 5);
        v.uncommitted("t", 1, 3);
        v.uncommitted("t", 1, 5);
        assert_eq!(settle(&mut v), vec![(3, Settled::Committed)]);
        assert!(v.has_undecided());
        assert!(v.all_undecided_at_or_above(&("t".into(), 1), 5));
        assert_eq!(v.give_up(&("t".into(), 1)), vec![5]);
        assert!(!v.has_undecided());
    }
}
