//! The event queue: pending events ordered by (time, insertion sequence).
//!
//! Owns the pending-event record and its ordering. Events due at the same
//! microsecond run in the order they were scheduled, which makes a run a pure
//! function of its seed and inputs. Never interprets an event.

use super::fault::Fault;
use super::heap::QuadHeap;
use super::node::{NodeId, TimerKey};
use super::time::TimeUs;
use super::timer_heap::TimerHeap;

/// Something that will happen at a known virtual time.
///
/// A message's three steps share one variant (`Wire`, with its `Leg`) so that
/// the message is stored once in the enum's layout and a pending event (this
/// and its 16-byte key) fits in 64 bytes (budgets.md).
#[derive(Clone, Debug)]
pub enum Event<M> {
    /// `msg` between `from` (its sender) and `to` (its addressee); `leg` says
    /// which step of its trip is due.
    Wire { from: NodeId, to: NodeId, leg: Leg, msg: M },
    /// Timer `key` of `node` fires, if `generation` is still the live one.
    Timer { node: NodeId, key: TimerKey, generation: u64 },
    /// A scheduled fault or repair.
    Fault(Fault),
}

impl<M> Event<M> {
    /// `msg` reaches `to`; it left `from` at `left_at_us` and arrives at
    /// `arrives_at_us`; the page draws it in `class` (`Message::class`).
    pub fn deliver(from: NodeId, to: NodeId, (left_at_us, arrives_at_us): (TimeUs, TimeUs), class: u8, msg: M) -> Self {
        Self::Wire { from, to, leg: Leg::deliver(arrives_at_us.saturating_sub(left_at_us), class), msg }
    }

    /// `msg` leaves `from` for `to` (after local work or slowness): it enters
    /// the network only then, so links stay FIFO by the time messages leave.
    pub fn depart(from: NodeId, to: NodeId, msg: M) -> Self {
        Self::Wire { from, to, leg: Leg::DEPART, msg }
    }

    /// `from` learns that `to` refused `msg` (its process was down).
    pub fn refused(from: NodeId, to: NodeId, msg: M) -> Self {
        Self::Wire { from, to, leg: Leg::REFUSED, msg }
    }

    /// The node this event is for (None for faults, which act on the world).
    pub fn target(&self) -> Option<NodeId> {
        match self {
            Self::Wire { from, to, leg, .. } => Some(if leg.step() == Step::Deliver { *to } else { *from }),
            Self::Timer { node, .. } => Some(*node),
            Self::Fault(_) => None,
        }
    }
}

/// Which step of a message's trip an event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The message leaves its sender and enters the network.
    Depart,
    /// The message reaches its addressee.
    Deliver,
    /// The sender learns the addressee refused it.
    Refused,
}

/// A `Step` and, for a delivery, how long the message was on the wire and
/// the class the page draws it in, packed in 32 bits: two bits of step, then
/// for a delivery five of class and twenty-five of transit time in µs (a
/// transit beyond 33.5 s is recorded as 33.5 s; it only places a dot).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg(u32);

impl Leg {
    const STEP_SHIFT: u32 = 30;
    const CLASS_SHIFT: u32 = 25;
    const CLASS_MASK: u32 = (1 << (Self::STEP_SHIFT - Self::CLASS_SHIFT)) - 1;
    /// The longest transit a delivery records, in µs.
    pub const MAX_TRANSIT_US: TimeUs = (1 << Self::CLASS_SHIFT) - 1;
    const DEPART: Leg = Leg(1 << Self::STEP_SHIFT);
    const REFUSED: Leg = Leg(2 << Self::STEP_SHIFT);

    fn deliver(transit_us: TimeUs, class: u8) -> Self {
        let transit = transit_us.min(Self::MAX_TRANSIT_US) as u32;
        Self((u32::from(class) & Self::CLASS_MASK) << Self::CLASS_SHIFT | transit)
    }

    pub fn step(self) -> Step {
        match self.0 >> Self::STEP_SHIFT {
            0 => Step::Deliver,
            1 => Step::Depart,
            _ => Step::Refused,
        }
    }

    /// Time on the wire of a delivery (0 for the other steps).
    pub fn transit_us(self) -> TimeUs {
        if self.step() == Step::Deliver { TimeUs::from(self.0) & Self::MAX_TRANSIT_US } else { 0 }
    }

    /// The drawing class of a delivery's message (`Message::class`; 0 for
    /// the other steps).
    pub fn class(self) -> u8 {
        if self.step() == Step::Deliver { ((self.0 >> Self::CLASS_SHIFT) & Self::CLASS_MASK) as u8 } else { 0 }
    }
}

/// A pending event with its due time and tie-breaking sequence number, as
/// the queue hands it out.
#[derive(Clone, Debug)]
pub struct Scheduled<M> {
    pub at_us: TimeUs,
    pub seq: u64,
    pub event: Event<M>,
}

/// Bits of `Key::seq_slot` that hold the event's slot in the side table.
const SLOT_BITS: u32 = 24;
pub(super) const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
/// Sequence numbers fit in the other 40 bits: 10^12 events per run.
const MAX_SEQ: u64 = (1 << (64 - SLOT_BITS)) - 1;

/// What the heaps order: 16 bytes, so sifting moves little. The due time,
/// then the insertion sequence (high bits) and the event's slot in the side
/// table (low bits): sequences are unique, so the order is (time, sequence).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Key {
    at_us: TimeUs,
    seq_slot: u64,
}

impl Key {
    /// Above every real key (fills the heaps' empty lanes): no event is
    /// ever due at `TimeUs::MAX` with the last sequence number.
    pub(super) const AFTER_ALL: Key = Key { at_us: TimeUs::MAX, seq_slot: u64::MAX };

    pub(super) fn new(at_us: TimeUs, seq: u64, slot: u64) -> Self {
        Self { at_us, seq_slot: (seq << SLOT_BITS) | slot }
    }

    pub(super) fn slot(self) -> usize {
        (self.seq_slot & SLOT_MASK) as usize
    }

    fn seq(self) -> u64 {
        self.seq_slot >> SLOT_BITS
    }
}

/// Which of the queue's heaps holds the earliest event.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Heap {
    Arriving,
    Other,
    Timers,
}

/// Pending events, earliest first: three 4-ary heaps of 16-byte keys, one
/// for messages arriving (what the page draws each frame, read without
/// walking the timers), one for timers (`TimerHeap`, which can take out a
/// cancelled one) and one for everything else, popped by whichever top is
/// earliest; messages and faults wait in a side table of reused slots (a
/// pending event costs at most `BYTES_PER_PENDING`).
#[derive(Clone, Debug)]
pub struct EventQueue<M> {
    arriving: QuadHeap<Key>,
    other: QuadHeap<Key>,
    timers: TimerHeap,
    slots: Vec<Option<Event<M>>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl<M> Default for EventQueue<M> {
    fn default() -> Self {
        Self {
            arriving: QuadHeap::new(Key::AFTER_ALL),
            other: QuadHeap::new(Key::AFTER_ALL),
            timers: TimerHeap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
        }
    }
}

impl<M> EventQueue<M> {
    /// Memory a pending event takes: its key in a heap and its slot (a
    /// timer's record is smaller than an event's slot).
    pub const BYTES_PER_PENDING: usize = {
        let event = size_of::<Key>() + size_of::<Option<Event<M>>>();
        if event > TimerHeap::BYTES_PER_PENDING { event } else { TimerHeap::BYTES_PER_PENDING }
    };

    /// The next sequence number.
    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        assert!(seq <= MAX_SEQ, "event queue: more than {MAX_SEQ} events scheduled in one run");
        self.next_seq += 1;
        seq
    }

    /// Queues timer `key` of `node`, due at `at_us`; returns the slot by
    /// which `remove_timer` takes it out.
    pub fn push_timer(&mut self, at_us: TimeUs, node: NodeId, key: TimerKey, generation: u64) -> u32 {
        let seq = self.take_seq();
        self.timers.push(at_us, seq, node, key, generation)
    }

    /// Takes out the timer `push_timer` queued in `slot`, if it is still
    /// queued with `generation`; returns whether it was.
    pub fn remove_timer(&mut self, slot: u32, generation: u64) -> bool {
        self.timers.remove(slot, generation)
    }

    pub fn push(&mut self, at_us: TimeUs, event: Event<M>) {
        if let Event::Timer { node, key, generation } = event {
            self.push_timer(at_us, node, key, generation);
            return;
        }
        let seq = self.take_seq();
        let delivery = matches!(&event, Event::Wire { leg, .. } if leg.step() == Step::Deliver);
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(event);
                u64::from(slot)
            }
            None => {
                self.slots.push(Some(event));
                let slot = (self.slots.len() - 1) as u64;
                assert!(slot <= SLOT_MASK, "event queue: more than {SLOT_MASK} events pending");
                slot
            }
        };
        let key = Key::new(at_us, seq, slot);
        if delivery { self.arriving.push(key) } else { self.other.push(key) }
    }

    /// The heap whose top is the earliest pending event, and that top (an
    /// empty heap's top is the sentinel, above every real key; real keys
    /// are unique, so there are no ties).
    fn earliest(&self) -> Option<(Heap, Key)> {
        let (a, o, t) = (self.arriving.top_or_sentinel(), self.other.top_or_sentinel(), self.timers.top_key());
        let (heap, key) = if a < o {
            if a < t { (Heap::Arriving, a) } else { (Heap::Timers, t) }
        } else if o < t {
            (Heap::Other, o)
        } else {
            (Heap::Timers, t)
        };
        (key != Key::AFTER_ALL).then_some((heap, key))
    }

    pub fn pop(&mut self) -> Option<Scheduled<M>> {
        let key = match self.earliest()?.0 {
            Heap::Arriving => self.arriving.pop()?,
            Heap::Other => self.other.pop()?,
            Heap::Timers => {
                let due = self.timers.pop()?;
                let event = Event::Timer { node: due.node, key: due.timer, generation: due.generation };
                return Some(Scheduled { at_us: due.key.at_us, seq: due.key.seq(), event });
            }
        };
        let event = self.slots[key.slot()].take().expect("a queued key names a filled slot");
        self.free.push(key.slot() as u32);
        Some(Scheduled { at_us: key.at_us, seq: key.seq(), event })
    }

    /// Keeps only the timers `keep` accepts, given (node, timer key,
    /// generation): order is unaffected, as it is defined by (time, seq),
    /// which every kept event still carries.
    pub fn retain_timers(&mut self, keep: impl FnMut(NodeId, TimerKey, u64) -> bool) {
        self.timers.retain(keep);
    }

    /// The next event if it is a timer: (node, timer key, generation).
    pub fn next_timer(&self) -> Option<(NodeId, TimerKey, u64)> {
        match self.earliest()?.0 {
            Heap::Timers => self.timers.peek(),
            _ => None,
        }
    }

    /// When the next event is due.
    pub fn next_at_us(&self) -> Option<TimeUs> {
        self.earliest().map(|(_, key)| key.at_us)
    }

    pub fn len(&self) -> usize {
        self.arriving.len() + self.other.len() + self.timers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.arriving.is_empty() && self.other.is_empty() && self.timers.is_empty()
    }

    /// Every pending message and fault with its due time, in no particular
    /// order (timers are kept apart, as small records, not events).
    pub fn iter(&self) -> impl Iterator<Item = (TimeUs, &Event<M>)> {
        self.arriving
            .iter()
            .chain(self.other.iter())
            .filter_map(|key| Some((key.at_us, self.slots[key.slot()].as_ref()?)))
    }

    /// The pending messages' arrivals with their due times, in no particular
    /// order (for drawing): the arriving heap alone is walked.
    pub fn deliveries(&self) -> impl Iterator<Item = (TimeUs, &Event<M>)> {
        self.arriving.iter().filter_map(|key| Some((key.at_us, self.slots[key.slot()].as_ref()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `deliveries` is `iter` narrowed to arriving messages, and keeping
    /// them in a heap of their own leaves the order of a mixed queue as
    /// (time, sequence).
    #[test]
    fn deliveries_are_the_arriving_messages_and_two_heaps_keep_the_order() {
        let mut q: EventQueue<u8> = EventQueue::default();
        let (a, b) = (NodeId(1), NodeId(2));
        q.push(10, Event::deliver(a, b, (4, 10), 0, 7));
        q.push(10, Event::Timer { node: a, key: 0, generation: 0 });
        q.push(5, Event::depart(a, b, 8));
        q.push(10, Event::deliver(b, a, (9, 10), 0, 9));
        q.push(3, Event::refused(b, a, 6));
        let arriving = |e: &Event<u8>| matches!(e, Event::Wire { leg, .. } if leg.step() == Step::Deliver);
        let mut all: Vec<(TimeUs, u8)> = q.iter().filter(|(_, e)| arriving(e)).map(|(t, e)| (t, msg_of(e))).collect();
        let mut drawn: Vec<(TimeUs, u8)> = q.deliveries().map(|(t, e)| (t, msg_of(e))).collect();
        all.sort();
        drawn.sort();
        assert_eq!(drawn, all);
        assert_eq!(drawn, vec![(10, 7), (10, 9)]);
        let order: Vec<(TimeUs, u64)> = std::iter::from_fn(|| q.pop()).map(|s| (s.at_us, s.seq)).collect();
        assert_eq!(order, vec![(3, 4), (5, 2), (10, 0), (10, 1), (10, 3)]);
    }

    fn msg_of(event: &Event<u8>) -> u8 {
        match event {
            Event::Wire { msg, .. } => *msg,
            _ => u8::MAX,
        }
    }

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

    #[test]
    fn legs_keep_their_step_transit_and_class() {
        let (a, b) = (NodeId(1), NodeId(2));
        let cases: [(Event<u8>, Step, TimeUs, u8, NodeId); 5] = [
            (Event::deliver(a, b, (100, 1_600), 3, 0), Step::Deliver, 1_500, 3, b),
            (Event::deliver(a, b, (0, 5_000 * crate::sim::SEC), 31, 0), Step::Deliver, Leg::MAX_TRANSIT_US, 31, b),
            (Event::deliver(a, b, (7, 7), 0, 0), Step::Deliver, 0, 0, b),
            (Event::depart(a, b, 0), Step::Depart, 0, 0, a),
            (Event::refused(a, b, 0), Step::Refused, 0, 0, a),
        ];
        for (event, step, transit_us, class, target) in cases {
            let Event::Wire { leg, .. } = event else { unreachable!() };
            let read = (leg.step(), leg.transit_us(), leg.class(), event.target());
            assert_eq!(read, (step, transit_us, class, Some(target)));
        }
    }
}
