//! A MySQL server's binary log: absolute positions over a purged prefix and a retained tail.
//!
//! Owns `Binlog`: every transaction the server ever logged has a position (from 1), but only
//! the newest are kept as entries; older ones are purged, as `PURGE BINARY LOGS` does. What a
//! purge keeps: the number of positions written (`len`, what the inspector shows), the GTIDs
//! of the purged transactions (`gtid_purged`, range-compressed), and the GTID and commit time of
//! the last purged one. Each applied retained entry keeps its row's before-image (as a
//! row-based binlog with `binlog_row_image=FULL` does), so a server cut back by "discard old
//! source" undoes what it applied. Never decides when to purge: the server does
//! (`MysqlNode::purge_binlog`).

use super::gtid::{Gtid, GtidSet};
use super::wire::{BinlogEntry, Row};
use crate::sim::TimeUs;
use std::collections::{BTreeMap, VecDeque};

/// How many of the newest positions a server always keeps. MySQL keeps binary logs for
/// `binlog_expire_logs_seconds` (30 days); the model keeps a fixed number of positions,
/// about a minute of a Double-11 surge on one shard: a replica that was disconnected for
/// longer would, in reality, need a fresh clone (error 1236: the source purged what it needs).
pub const BINLOG_KEPT_POSITIONS: u32 = 12_288;

/// Positions purged at once, so that purging is not done on every write.
pub const BINLOG_PURGE_BATCH: u32 = 4_096;

/// The binlog. Position `p` (from 1) is the `p`-th transaction logged; `1..=base` are purged.
#[derive(Clone, Debug, Default)]
pub struct Binlog {
    base: u32,
    entries: VecDeque<BinlogEntry>,
    /// `gtid_purged`: the GTIDs of positions `1..=base`.
    pub purged: GtidSet,
    /// The GTID at position `base` (so a subscriber whose log ends there can still be checked).
    base_gtid: Option<Gtid>,
    /// The commit time of the newest purged transaction (0 if none).
    pub purged_newest_commit_us: TimeUs,
    /// The before-image of each applied retained position, from `base + 1` (`None`: no row).
    before: VecDeque<Option<Row>>,
}

impl Binlog {
    /// Positions written (purged ones included): the binlog's length as MySQL numbers it.
    pub fn len(&self) -> u32 {
        self.base + self.entries.len() as u32
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The highest purged position (0: nothing purged).
    pub fn base(&self) -> u32 {
        self.base
    }

    /// The entry at position `pos` (from 1), if it is retained.
    pub fn get(&self, pos: u32) -> Option<&BinlogEntry> {
        pos.checked_sub(self.base + 1).and_then(|i| self.entries.get(i as usize))
    }

    /// The GTID at position `pos`: retained, or the last purged one.
    pub fn gtid_at(&self, pos: u32) -> Option<Gtid> {
        match self.get(pos) {
            Some(e) => Some(e.gtid),
            None if pos == self.base => self.base_gtid,
            None => None,
        }
    }

    /// The entry at `pos`, which the caller knows is retained (at or after the applied position).
    pub fn at(&self, pos: u32) -> BinlogEntry {
        *self.get(pos).expect("a binlog position at or after the purge point")
    }

    pub fn last_gtid(&self) -> Gtid {
        self.entries.back().map(|e| e.gtid).or(self.base_gtid).unwrap_or(Gtid::NONE)
    }

    /// The retained entries, oldest first.
    pub fn retained(&self) -> impl Iterator<Item = &BinlogEntry> {
        self.entries.iter()
    }

    pub fn push(&mut self, entry: BinlogEntry) {
        self.entries.push_back(entry);
    }

    /// How many positions are applied to the rows (`applied_pos`).
    fn applied(&self) -> u32 {
        self.base + self.before.len() as u32
    }

    /// Apply the next position to `rows`, keeping its row's before-image.
    pub fn apply_next(&mut self, rows: &mut BTreeMap<u32, Row>) {
        let entry = self.at(self.applied() + 1);
        self.before.push_back(rows.get(&entry.key).copied());
        let row = rows.entry(entry.key).or_default();
        row.value = entry.value;
        row.version += 1;
    }

    /// Purge every applied position up to `pos`, folding the purged entries into the GTID
    /// set and the commit time.
    pub fn purge_to(&mut self, pos: u32) {
        while self.base < pos.min(self.applied()) {
            let Some(e) = self.entries.pop_front() else { return };
            self.before.pop_front();
            self.purged.insert(e.gtid);
            self.base_gtid = Some(e.gtid);
            self.purged_newest_commit_us = self.purged_newest_commit_us.max(e.commit_us);
            self.base += 1;
        }
    }

    /// Cut the log back to `keep` positions (never below the purge point), undoing in `rows`
    /// what was applied after it, newest first; returns the entries thrown away, oldest first.
    pub fn truncate(&mut self, keep: u32, rows: &mut BTreeMap<u32, Row>) -> Vec<BinlogEntry> {
        let keep = keep.max(self.base);
        while self.applied() > keep {
            let entry = self.at(self.applied());
            match self.before.pop_back().flatten() {
                Some(row) => rows.insert(entry.key, row),
                None => rows.remove(&entry.key),
            };
        }
        self.entries.drain((keep - self.base) as usize..).collect()
    }

    /// The GTIDs of every position written: the purged set plus the retained entries.
    pub fn gtids(&self) -> GtidSet {
        let mut set = self.purged.clone();
        self.entries.iter().for_each(|e| set.insert(e.gtid));
        set
    }
}

/// Two binlogs are equal when they have written as many positions and agree on every
/// position both still hold.
impl PartialEq for Binlog {
    fn eq(&self, other: &Self) -> bool {
        let from = self.base.max(other.base) + 1;
        self.len() == other.len() && (from..=self.len()).all(|p| self.get(p) == other.get(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::NodeId;

    fn entry(seq: u32) -> BinlogEntry {
        BinlogEntry {
            gtid: Gtid { origin: NodeId(1), seq },
            key: seq % 3,
            value: seq as i32,
            commit_us: 10 * seq as u64,
        }
    }

    /// Purging keeps positions, GTIDs and the last purged GTID; cutting back undoes rows.
    #[test]
    fn purge_keeps_positions_gtids_and_cutting_back_undoes_rows() {
        let (mut log, mut rows, mut rows_at) = (Binlog::default(), BTreeMap::new(), vec![BTreeMap::new()]);
        for s in 1..=10 {
            log.push(entry(s));
            log.apply_next(&mut rows);
            rows_at.push(rows.clone());
        }
        log.purge_to(6);
        assert_eq!((log.len(), log.base(), log.retained().count()), (10, 6, 4));
        assert_eq!(log.get(6), None);
        assert_eq!(log.gtid_at(6), Some(entry(6).gtid));
        assert_eq!(log.at(7), entry(7));
        assert_eq!(log.gtids().len(), 10);
        assert_eq!(log.purged_newest_commit_us, 60);
        let dropped = log.truncate(8, &mut rows);
        assert_eq!((dropped.len(), log.len(), log.last_gtid()), (2, 8, entry(8).gtid));
        assert_eq!(rows, rows_at[8], "rows as they were at position 8");
        assert_eq!(log.truncate(2, &mut rows).len(), 2, "never cut below the purge point");
        assert_eq!((log.len(), &rows), (6, &rows_at[6]));
    }
}
