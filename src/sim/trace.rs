//! The trace of a run: one record per event, a running hash, recent history.
//!
//! Owns the trace record, its one-line fixed-column text form (diffable), the
//! portable hasher behind the trace hash, and the bounded buffers the UI and
//! tests read. Two runs with the same seed and the same actions must produce
//! the same hash natively and in WebAssembly: the hasher therefore widens
//! every `usize`/`isize` to 64 bits and writes integers little-endian.

use super::network::DropCause;
use super::node::NodeId;
use super::time::TimeUs;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};

/// A word-at-a-time multiplicative hash (FxHash's mixing step), fed only
/// fixed-width little-endian integers, so it is the same on every platform.
/// Not for adversarial input: it only has to tell runs apart.
#[derive(Clone, Debug)]
pub struct PortableHasher(u64);

const SEED: u64 = 0xcbf2_9ce4_8422_2325;
const K: u64 = 0x517c_c1b7_2722_0a95;

impl Default for PortableHasher {
    fn default() -> Self {
        Self(SEED)
    }
}

impl PortableHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for PortableHasher {
    fn finish(&self) -> u64 {
        // A final avalanche so that nearby inputs give distant hashes.
        super::rng::mix64(self.0)
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 56));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }
    fn write_u16(&mut self, i: u16) {
        self.mix(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.mix(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.mix(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }
    fn write_isize(&mut self, i: isize) {
        self.mix(i as i64 as u64);
    }
}

/// Hash any `Hash` value portably.
pub fn portable_hash<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut h = PortableHasher::default();
    value.hash(&mut h);
    h.finish()
}

/// What kind of event a trace record describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TraceKind {
    /// A message was handled by `node`.
    Deliver,
    /// A timer of `node` fired.
    Timer,
    /// The network dropped a message to `node`.
    Dropped(DropCause),
    /// A message reached `node` while its process was down.
    NodeDown,
    /// `node` was told a peer refused its connection (the peer was down).
    Refused,
    /// A message or timer for a paused `node` was held back.
    Held,
    /// A fault or repair applied to `node` (see the label).
    Fault,
}

impl TraceKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Deliver => "deliver",
            Self::Timer => "timer",
            Self::Dropped(DropCause::Partitioned) => "cut",
            Self::Dropped(DropCause::Lost) => "lost",
            Self::NodeDown => "down",
            Self::Refused => "refused",
            Self::Held => "held",
            Self::Fault => "fault",
        }
    }
}

/// One event of a run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TraceEvent {
    /// Position in the run (0-based), counting every traced event.
    pub index: u64,
    pub at_us: TimeUs,
    pub kind: TraceKind,
    pub node: NodeId,
    pub from: Option<NodeId>,
    /// The message's label, the timer key as text, or the fault's name.
    pub label: &'static str,
    /// The portable hash of the message or timer key (0 for faults).
    pub detail_hash: u64,
}

impl TraceEvent {
    /// A fixed-column line: time, index, kind, from → node, label.
    pub fn line(&self, name_of: impl Fn(NodeId) -> String) -> String {
        let from = self.from.map_or_else(|| "-".to_string(), &name_of);
        format!(
            "{:>14} {:>9} {:<8} {:>18} -> {:<18} {}",
            self.at_us,
            self.index,
            self.kind.as_str(),
            from,
            name_of(self.node),
            self.label
        )
    }
}

/// The running trace: hash of everything, plus bounded recent history.
#[derive(Clone, Debug)]
pub struct Trace {
    hash: PortableHasher,
    count: u64,
    recent: VecDeque<TraceEvent>,
    recent_capacity: usize,
    full: Option<Vec<TraceEvent>>,
}

impl Trace {
    pub fn new(recent_capacity: usize) -> Self {
        Self {
            hash: PortableHasher::default(),
            count: 0,
            recent: VecDeque::with_capacity(recent_capacity.min(4096)),
            recent_capacity,
            full: None,
        }
    }

    /// Keep every event from now on (tests and replays; memory grows).
    pub fn record_everything(&mut self) {
        self.full.get_or_insert_with(Vec::new);
    }

    /// Appends one event and folds it into the hash; returns its index.
    pub fn push(
        &mut self,
        at_us: TimeUs,
        kind: TraceKind,
        node: NodeId,
        from: Option<NodeId>,
        label: &'static str,
        detail_hash: u64,
    ) -> u64 {
        let index = self.count;
        self.count += 1;
        at_us.hash(&mut self.hash);
        kind.hash(&mut self.hash);
        node.hash(&mut self.hash);
        from.hash(&mut self.hash);
        detail_hash.hash(&mut self.hash);
        if self.recent_capacity == 0 && self.full.is_none() {
            return index;
        }
        let event = TraceEvent { index, at_us, kind, node, from, label, detail_hash };
        if let Some(full) = &mut self.full {
            full.push(event.clone());
        }
        if self.recent_capacity > 0 {
            if self.recent.len() == self.recent_capacity {
                self.recent.pop_front();
            }
            self.recent.push_back(event);
        }
        index
    }

    /// The hash of every event so far.
    pub fn hash(&self) -> u64 {
        self.hash.finish()
    }

    /// How many events have been traced.
    pub fn len(&self) -> u64 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The last few events, oldest first.
    pub fn recent(&self) -> &VecDeque<TraceEvent> {
        &self.recent
    }

    pub fn last(&self) -> Option<&TraceEvent> {
        self.recent.back().or_else(|| self.full.as_ref().and_then(|f| f.last()))
    }

    /// Every event, if `record_everything` was called before they happened.
    pub fn everything(&self) -> Option<&[TraceEvent]> {
        self.full.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usize_hashes_like_u64() {
        assert_eq!(portable_hash(&7usize), portable_hash(&7u64));
        assert_eq!(portable_hash(&-1isize), portable_hash(&u64::MAX));
    }

    #[test]
    fn hash_depends_on_every_field_and_the_order() {
        let run = |events: &[(u64, u16)]| {
            let mut t = Trace::new(4);
            for &(at, node) in events {
                t.push(at, TraceKind::Deliver, NodeId(node), None, "x", 0);
            }
            t.hash()
        };
        let base = run(&[(1, 1), (2, 2)]);
        assert_eq!(base, run(&[(1, 1), (2, 2)]));
        assert_ne!(base, run(&[(2, 2), (1, 1)]));
        assert_ne!(base, run(&[(1, 1), (2, 3)]));
    }

    #[test]
    fn recent_is_bounded() {
        let mut t = Trace::new(3);
        for i in 0..10 {
            t.push(i, TraceKind::Timer, NodeId(0), None, "t", i);
        }
        assert_eq!(t.len(), 10);
        assert_eq!(t.recent().len(), 3);
        assert_eq!(t.recent()[0].index, 7);
    }
}
