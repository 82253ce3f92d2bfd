//! The event queue: pending events ordered by (time, insertion sequence).
//!
//! Owns the pending-event record and its ordering. Events due at the same
//! microsecond run in the order they were scheduled, which makes a run a pure
//! function of its seed and inputs. Never interprets an event.

use super::fault::Fault;
use super::node::{NodeId, TimerKey};
use super::time::TimeUs;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Something that will happen at a known virtual time.
#[derive(Clone, Debug)]
pub enum Event<M> {
    /// `msg` from `from` reaches `to`.
    Deliver { from: NodeId, to: NodeId, sent_at_us: TimeUs, msg: M },
    /// `msg` leaves `from` for `to` now, after local work or slowness: it
    /// enters the network only at this moment, so links stay FIFO by the time
    /// messages actually leave.
    Depart { from: NodeId, to: NodeId, msg: M },
    /// `sender` learns that `peer` refused `msg` (its process was down).
    Refused { sender: NodeId, peer: NodeId, msg: M },
    /// Timer `key` of `node` fires, if `generation` is still the live one.
    Timer { node: NodeId, key: TimerKey, generation: u64 },
    /// A scheduled fault or repair.
    Fault(Fault),
}

impl<M> Event<M> {
    /// The node this event is for (None for faults, which act on the world).
    pub fn target(&self) -> Option<NodeId> {
        match self {
            Self::Deliver { to, .. } => Some(*to),
            Self::Depart { from, .. } => Some(*from),
            Self::Refused { sender, .. } => Some(*sender),
            Self::Timer { node, .. } => Some(*node),
            Self::Fault(_) => None,
        }
    }
}

/// A pending event with its due time and tie-breaking sequence number.
#[derive(Clone, Debug)]
pub struct Scheduled<M> {
    pub at_us: TimeUs,
    pub seq: u64,
    pub event: Event<M>,
}

impl<M> PartialEq for Scheduled<M> {
    fn eq(&self, other: &Self) -> bool {
        self.at_us == other.at_us && self.seq == other.seq
    }
}
impl<M> Eq for Scheduled<M> {}
impl<M> PartialOrd for Scheduled<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<M> Ord for Scheduled<M> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at_us, other.seq).cmp(&(self.at_us, self.seq))
    }
}

/// Pending events, earliest first.
#[derive(Clone, Debug)]
pub struct EventQueue<M> {
    heap: BinaryHeap<Scheduled<M>>,
    next_seq: u64,
}

impl<M> Default for EventQueue<M> {
    fn default() -> Self {
        Self { heap: BinaryHeap::new(), next_seq: 0 }
    }
}

impl<M> EventQueue<M> {
    pub fn push(&mut self, at_us: TimeUs, event: Event<M>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Scheduled { at_us, seq, event });
    }

    pub fn pop(&mut self) -> Option<Scheduled<M>> {
        self.heap.pop()
    }

    /// Keeps only the events `keep` accepts (order is unaffected: it is
    /// defined by (time, seq), which every kept event still carries).
    pub fn retain(&mut self, keep: impl FnMut(&Scheduled<M>) -> bool) {
        self.heap.retain(keep);
    }

    /// The next event, without taking it.
    pub fn peek(&self) -> Option<&Scheduled<M>> {
        self.heap.peek()
    }

    /// When the next event is due.
    pub fn next_at_us(&self) -> Option<TimeUs> {
        self.heap.peek().map(|s| s.at_us)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Every pending event, in no particular order (for drawing).
    pub fn iter(&self) -> impl Iterator<Item = &Scheduled<M>> {
        self.heap.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_then_insertion_order() {
        let mut q: EventQueue<u8> = EventQueue::default();
        let timer = |n: u16| Event::Timer { node: NodeId(n), key: 0, generation: 0 };
        q.push(20, timer(0));
        q.push(10, timer(1));
        q.push(10, timer(2));
        q.push(5, timer(3));
        q.push(10, timer(4));
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|s| (s.at_us, s.event.target().unwrap().0)).collect();
        assert_eq!(order, vec![(5, 3), (10, 1), (10, 2), (10, 4), (20, 0)]);
    }
}
