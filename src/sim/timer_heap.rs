//! The event queue's pending timers, apart from its messages and faults.
//!
//! Owns `TimerHeap`: a 4-ary heap (`heap`) of the queue's 16-byte keys over
//! a side table of small timer records (24 bytes, not a whole event's 48),
//! each record knowing where its key sits in the heap. So a timer cancelled
//! or replaced is taken out at once (`remove`) instead of waiting, dead, in
//! the heap until it comes due: per-request timeouts that are nearly always
//! cancelled no longer double the heap. Taking a key out never changes the
//! order of the others: it is (time, sequence), which every key carries.

use super::heap::QuadHeap;
use super::node::{NodeId, TimerKey};
use super::queue::{Key, SLOT_MASK};
use super::time::TimeUs;

/// A pending timer: whose, which, its generation, and its key's position.
#[derive(Clone, Copy, Debug)]
struct TimerSlot {
    node: NodeId,
    key: TimerKey,
    generation: u64,
    /// Where its key sits in the heap (while `queued`).
    pos: u32,
    queued: bool,
}

/// A timer as the heap hands it back: (due time, sequence) key and what fires.
pub(super) struct Due {
    pub(super) key: Key,
    pub(super) node: NodeId,
    pub(super) timer: TimerKey,
    pub(super) generation: u64,
}

/// Pending timers, earliest first, each removable by the slot `push` gave it.
#[derive(Clone, Debug)]
pub(super) struct TimerHeap {
    heap: QuadHeap<Key>,
    slots: Vec<TimerSlot>,
    free: Vec<u32>,
}

impl Default for TimerHeap {
    fn default() -> Self {
        Self { heap: QuadHeap::new(Key::AFTER_ALL), slots: Vec::new(), free: Vec::new() }
    }
}

/// Records in `slots` the position `j` of the key it just placed.
fn track(slots: &mut [TimerSlot]) -> impl FnMut(Key, usize) + '_ {
    |key, j| slots[key.slot()].pos = j as u32
}

impl TimerHeap {
    /// Memory a pending timer takes: its key and its record.
    pub const BYTES_PER_PENDING: usize = size_of::<Key>() + size_of::<TimerSlot>();

    /// Queues timer `timer` of `node` due at `at_us` with sequence `seq`;
    /// returns its slot (for `remove`).
    pub fn push(&mut self, at_us: TimeUs, seq: u64, node: NodeId, timer: TimerKey, generation: u64) -> u32 {
        let record = TimerSlot { node, key: timer, generation, pos: 0, queued: true };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = record;
                slot
            }
            None => {
                self.slots.push(record);
                let slot = (self.slots.len() - 1) as u64;
                assert!(slot <= SLOT_MASK, "event queue: more than {SLOT_MASK} timers pending");
                slot as u32
            }
        };
        self.heap.push_tracked(Key::new(at_us, seq, u64::from(slot)), &mut track(&mut self.slots));
        slot
    }

    /// The earliest timer's key, or `Key::AFTER_ALL` when there is none.
    pub fn top_key(&self) -> Key {
        self.heap.top_or_sentinel()
    }

    /// The earliest timer: (node, timer key, generation).
    pub fn peek(&self) -> Option<(NodeId, TimerKey, u64)> {
        let record = &self.slots[self.heap.peek()?.slot()];
        Some((record.node, record.key, record.generation))
    }

    /// Takes the earliest timer.
    pub fn pop(&mut self) -> Option<Due> {
        let key = self.heap.pop_tracked(&mut track(&mut self.slots))?;
        Some(self.release(key))
    }

    /// Frees the record of `key`, now out of the heap.
    fn release(&mut self, key: Key) -> Due {
        let record = &mut self.slots[key.slot()];
        record.queued = false;
        self.free.push(key.slot() as u32);
        Due { key, node: record.node, timer: record.key, generation: record.generation }
    }

    /// Takes out the timer queued in `slot` if it is still there with
    /// `generation` (it may have fired, or been held since); returns whether it was.
    pub fn remove(&mut self, slot: u32, generation: u64) -> bool {
        let record = match self.slots.get(slot as usize) {
            Some(r) if r.queued && r.generation == generation => *r,
            _ => return false,
        };
        let key = self.heap.remove_at(record.pos as usize, &mut track(&mut self.slots));
        self.release(key);
        true
    }

    /// Keeps only the timers `keep` accepts: (node, timer key, generation).
    pub fn retain(&mut self, mut keep: impl FnMut(NodeId, TimerKey, u64) -> bool) {
        let (slots, free) = (&mut self.slots, &mut self.free);
        self.heap.retain(|key| {
            let record = &mut slots[key.slot()];
            let kept = keep(record.node, record.key, record.generation);
            if !kept {
                record.queued = false;
                free.push(key.slot() as u32);
            }
            kept
        });
        for (j, key) in self.heap.iter().enumerate() {
            self.slots[key.slot()].pos = j as u32;
        }
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}
