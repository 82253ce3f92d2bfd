//! GTIDs and GTID sets: how a MySQL server names its transactions and says which it holds.
//!
//! Owns `Gtid` (the server that first committed a transaction and its sequence number there,
//! MySQL's `server_uuid:n`) and `GtidSet` (per server, sorted disjoint ranges, written like
//! `gtid_executed`: `n3:1-5:7-9`). Never decides anything about replication: servers and the
//! invariant checks use these to compare what two logs contain.

use crate::sim::NodeId;
use std::collections::BTreeMap;
use std::fmt;

/// A global transaction id: `origin:seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Gtid {
    /// The server that committed it first (MySQL's `server_uuid`).
    pub origin: NodeId,
    /// Its number on that server, from 1.
    pub seq: u32,
}

impl Gtid {
    /// "No transaction": what an empty binlog's last GTID is.
    pub const NONE: Self = Self { origin: NodeId(0), seq: 0 };
}

impl fmt::Display for Gtid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}:{}", self.origin.0, self.seq)
    }
}

/// A set of GTIDs kept as inclusive ranges per origin, the way `gtid_executed` is.
/// Appending the next number of an origin is O(1); a subset test is linear in ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GtidSet {
    ranges: BTreeMap<NodeId, Vec<(u32, u32)>>,
}

impl GtidSet {
    pub fn insert(&mut self, gtid: Gtid) {
        let ranges = self.ranges.entry(gtid.origin).or_default();
        match ranges.last_mut() {
            None => ranges.push((gtid.seq, gtid.seq)),
            Some(last) if gtid.seq == last.1 + 1 => last.1 = gtid.seq,
            Some(last) if gtid.seq > last.1 + 1 => ranges.push((gtid.seq, gtid.seq)),
            Some(_) => {
                // Out of order (rare: only after a log was cut back): insert and merge.
                let i = ranges.partition_point(|r| r.1 < gtid.seq);
                if i < ranges.len() && ranges[i].0 <= gtid.seq {
                    return;
                }
                ranges.insert(i, (gtid.seq, gtid.seq));
                merge_adjacent(ranges);
            }
        }
    }

    pub fn contains(&self, gtid: Gtid) -> bool {
        self.ranges.get(&gtid.origin).is_some_and(|ranges| {
            let i = ranges.partition_point(|r| r.1 < gtid.seq);
            i < ranges.len() && ranges[i].0 <= gtid.seq
        })
    }

    /// `Ok` if every GTID of `self` is in `other`, else the first one missing.
    pub fn first_missing_from(&self, other: &GtidSet) -> Result<(), Gtid> {
        for (&origin, mine) in &self.ranges {
            let theirs = other.ranges.get(&origin).map_or(&[][..], |v| v.as_slice());
            for &(lo, hi) in mine {
                let i = theirs.partition_point(|r| r.1 < lo);
                let covering = theirs.get(i).filter(|r| r.0 <= lo);
                match covering {
                    Some(r) if r.1 >= hi => {}
                    Some(r) => return Err(Gtid { origin, seq: r.1 + 1 }),
                    None => return Err(Gtid { origin, seq: lo }),
                }
            }
        }
        Ok(())
    }

    /// How many GTIDs the set holds.
    pub fn len(&self) -> u64 {
        self.ranges.values().flatten().map(|&(lo, hi)| u64::from(hi - lo) + 1).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The GTIDs in both sets.
    pub fn intersection(&self, other: &GtidSet) -> GtidSet {
        let mut out = GtidSet::default();
        for (&origin, mine) in &self.ranges {
            let Some(theirs) = other.ranges.get(&origin) else { continue };
            let (mut i, mut j, mut both) = (0, 0, Vec::new());
            while i < mine.len() && j < theirs.len() {
                let (lo, hi) = (mine[i].0.max(theirs[j].0), mine[i].1.min(theirs[j].1));
                if lo <= hi {
                    both.push((lo, hi));
                }
                if mine[i].1 < theirs[j].1 { i += 1 } else { j += 1 }
            }
            if !both.is_empty() {
                out.ranges.insert(origin, both);
            }
        }
        out
    }

    /// How many GTIDs of `self` are not in `other`.
    pub fn count_missing_from(&self, other: &GtidSet) -> u64 {
        self.len() - self.intersection(other).len()
    }
}

fn merge_adjacent(ranges: &mut Vec<(u32, u32)>) {
    let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
    for &(lo, hi) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    *ranges = merged;
}

impl fmt::Display for GtidSet {
    /// `n1:1-5:7,n2:1-3`, like `gtid_executed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, (origin, ranges)) in self.ranges.iter().enumerate() {
            if n > 0 {
                write!(f, ",")?;
            }
            write!(f, "n{}", origin.0)?;
            for &(lo, hi) in ranges {
                if lo == hi { write!(f, ":{lo}")? } else { write!(f, ":{lo}-{hi}")? }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(origin: u16, seq: u32) -> Gtid {
        Gtid { origin: NodeId(origin), seq }
    }

    #[test]
    fn ranges_grow_merge_and_compare() {
        let mut a = GtidSet::default();
        for seq in [1, 2, 3, 5, 4, 9] {
            a.insert(g(1, seq));
        }
        a.insert(g(2, 1));
        assert_eq!(a.to_string(), "n1:1-5:9,n2:1");
        assert_eq!(a.len(), 7);
        assert!(a.contains(g(1, 4)) && !a.contains(g(1, 6)) && !a.contains(g(3, 1)));
        let mut b = GtidSet::default();
        (1..=3).for_each(|s| b.insert(g(1, s)));
        assert_eq!(b.first_missing_from(&a), Ok(()));
        assert_eq!(a.first_missing_from(&b), Err(g(1, 4)));
        let mut c = GtidSet::default();
        [(1, 2), (1, 3), (1, 9), (1, 10), (3, 1)].into_iter().for_each(|(o, s)| c.insert(g(o, s)));
        assert_eq!(a.intersection(&c).to_string(), "n1:2-3:9");
        assert_eq!((a.count_missing_from(&c), c.count_missing_from(&a)), (4, 2));
    }
}
