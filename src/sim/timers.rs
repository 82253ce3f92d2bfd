//! Each node's pending timers: which generation of each timer key is live.
//!
//! Owns `TimerTable`, a flat open-addressing table from `TimerKey` to the
//! generation of the pending timer with that key and the queue slot its
//! event was given. Setting a key again or cancelling it takes the queued
//! event out by that slot (`EventQueue::remove_timer`), with no search; one
//! it cannot take out (held by a paused node, or left by a crash) keeps a
//! stale generation, and the kernel skips it when it comes due.
//! Keys are only ever looked up, inserted or removed, never iterated: the
//! table's layout (which depends on its hash) can never order anything the
//! run does. The hash is a fixed multiplication, the same on every platform.

use super::node::TimerKey;

/// A slot no key occupies (generations count up from 0 and never reach it).
const EMPTY: u64 = u64::MAX;
/// The smallest table; it doubles when more than half full.
const MIN_SLOTS: usize = 8;

/// A live timer: its generation and the queue slot of its event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    pub generation: u64,
    pub slot: u32,
}

/// A free entry of the table.
const FREE: (TimerKey, Pending) = (0, Pending { generation: EMPTY, slot: 0 });

/// Timer key → the live timer, for one node.
#[derive(Clone, Debug, Default)]
pub struct TimerTable {
    /// (key, timer); `generation == EMPTY` marks a free slot.
    slots: Vec<(TimerKey, Pending)>,
    len: usize,
}

impl TimerTable {
    /// Where `key`'s search starts (Fibonacci hashing of both halves).
    fn home(&self, key: TimerKey) -> usize {
        let bits = self.slots.len().trailing_zeros();
        let mixed = (key ^ (key >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (mixed >> (64 - bits)) as usize
    }

    /// The slot holding `key`, if it is pending.
    fn find(&self, key: TimerKey) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        loop {
            let (k, pending) = self.slots[i];
            if pending.generation == EMPTY {
                return None;
            }
            if k == key {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    /// The pending timer `key`.
    pub fn get(&self, key: TimerKey) -> Option<Pending> {
        self.find(key).map(|i| self.slots[i].1)
    }

    /// True if `generation` is the live timer `key`.
    pub fn is_live(&self, key: TimerKey, generation: u64) -> bool {
        self.get(key).is_some_and(|p| p.generation == generation)
    }

    /// Makes `pending` the live timer `key`; returns the one it replaced.
    pub fn insert(&mut self, key: TimerKey, pending: Pending) -> Option<Pending> {
        debug_assert_ne!(pending.generation, EMPTY, "timer generations never reach u64::MAX");
        if let Some(i) = self.find(key) {
            return Some(std::mem::replace(&mut self.slots[i].1, pending));
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].1.generation != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, pending);
        self.len += 1;
        None
    }

    /// Forgets timer `key`; returns it if it was pending.
    pub fn remove(&mut self, key: TimerKey) -> Option<Pending> {
        let mut hole = self.find(key)?;
        let pending = self.slots[hole].1;
        self.slots[hole] = FREE;
        self.len -= 1;
        // Shift later members of the probe run back over the hole, so every
        // key stays reachable from its home without tombstones.
        let mask = self.slots.len() - 1;
        let mut i = (hole + 1) & mask;
        while self.slots[i].1.generation != EMPTY {
            let home = self.home(self.slots[i].0);
            // The entry at `i` may move to `hole` if its home is not in (hole, i].
            if (i.wrapping_sub(home) & mask) >= (i.wrapping_sub(hole) & mask) {
                self.slots[hole] = self.slots[i];
                self.slots[i] = FREE;
                hole = i;
            }
            i = (i + 1) & mask;
        }
        Some(pending)
    }

    /// Removes `key` if `generation` is its live timer (a timer firing).
    pub fn take_if_live(&mut self, key: TimerKey, generation: u64) -> bool {
        if self.is_live(key, generation) {
            self.remove(key);
            true
        } else {
            false
        }
    }

    /// How many timers are pending.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every timer (a crash).
    pub fn clear(&mut self) {
        self.slots.iter_mut().for_each(|slot| *slot = FREE);
        self.len = 0;
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(MIN_SLOTS);
        let old = std::mem::replace(&mut self.slots, vec![FREE; size]);
        self.len = 0;
        for (key, pending) in old.into_iter().filter(|slot| slot.1.generation != EMPTY) {
            self.insert(key, pending);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Against a BTreeMap: random inserts, replacements and removals of keys
    /// that collide in their low bits and in their tags give the same answers.
    #[test]
    fn behaves_like_an_ordered_map() {
        let mut rng = crate::sim::SimRng::new(7, 0);
        let (mut table, mut model) = (TimerTable::default(), BTreeMap::new());
        for generation in 0..20_000u64 {
            let key = (rng.below(4) << 56) | (rng.below(300) << 8);
            let pending = Pending { generation, slot: generation as u32 ^ 0x55 };
            match rng.below(3) {
                0 | 1 => assert_eq!(table.insert(key, pending), model.insert(key, pending)),
                _ => assert_eq!(table.remove(key), model.remove(&key)),
            }
            let probe = (rng.below(4) << 56) | (rng.below(300) << 8);
            assert_eq!(table.get(probe), model.get(&probe).copied());
            assert_eq!(table.len(), model.len());
        }
        table.clear();
        assert!(table.is_empty() && model.keys().all(|&k| table.get(k).is_none()));
    }
}
