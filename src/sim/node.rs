//! The sans-IO face of a simulated node: what it receives and what it may ask for.
//!
//! Owns `NodeId`, the `Node` trait, the `Command`s a node returns and the
//! `Ctx` through which it returns them. A node never sends, sleeps or reads a
//! clock itself: it is handed `(now, rng, message or timer)` and appends
//! commands, which the kernel carries out. This is what makes every mechanism
//! testable without a network and replayable from a seed.

use super::metrics::{CounterId, HistogramId};
use super::rng::SimRng;
use super::time::TimeUs;
use std::fmt::Debug;
use std::hash::Hash;

/// Index of a node in its simulation (stable for the life of the run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct NodeId(pub u16);

impl NodeId {
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A node-chosen name for one of its timers. Setting a key that is already
/// pending replaces it; a cancelled or replaced timer never fires.
pub type TimerKey = u64;

/// What every message type must offer the kernel: a stable hash for the trace
/// and a short label for logs and diagrams.
pub trait Message: Clone + Debug + Hash {
    /// A short, fixed name of the message's kind (e.g. `"http-request"`).
    fn label(&self) -> &'static str;

    /// The group the page draws the message in while it flies, below 32
    /// (0 unless the model says). The queue keeps it beside the message, so
    /// drawing the messages in flight reads none of them.
    fn class(&self) -> u8 {
        0
    }
}

/// What a node asks the kernel to do. Closed: the kernel knows every effect.
#[derive(Clone, Debug, PartialEq)]
pub enum Command<M> {
    /// Send `msg` to `to` over the network, after `delay_us` of local work.
    Send { to: NodeId, msg: M, delay_us: TimeUs },
    /// Fire `on_timer(key)` after `after_us`, replacing any pending timer `key`.
    SetTimer { key: TimerKey, after_us: TimeUs },
    /// Forget the pending timer `key`, if any.
    CancelTimer { key: TimerKey },
    /// A line for the event log a reader sees.
    Log(String),
    /// Add to a counter.
    Count { counter: CounterId, by: u64 },
    /// Record one value (e.g. a latency in µs) in a histogram.
    Observe { histogram: HistogramId, value: u64 },
}

/// The context of one handler call: the time, this node's own random stream,
/// and the buffer its commands go to.
pub struct Ctx<'a, M> {
    pub now_us: TimeUs,
    pub me: NodeId,
    pub rng: &'a mut SimRng,
    out: &'a mut Vec<Command<M>>,
}

impl<'a, M> Ctx<'a, M> {
    pub fn new(now_us: TimeUs, me: NodeId, rng: &'a mut SimRng, out: &'a mut Vec<Command<M>>) -> Self {
        Self { now_us, me, rng, out }
    }

    pub fn send(&mut self, to: NodeId, msg: M) {
        self.out.push(Command::Send { to, msg, delay_us: 0 });
    }

    /// Send after `delay_us` of local processing (e.g. a service time).
    pub fn send_after(&mut self, delay_us: TimeUs, to: NodeId, msg: M) {
        self.out.push(Command::Send { to, msg, delay_us });
    }

    pub fn set_timer(&mut self, key: TimerKey, after_us: TimeUs) {
        self.out.push(Command::SetTimer { key, after_us });
    }

    pub fn cancel_timer(&mut self, key: TimerKey) {
        self.out.push(Command::CancelTimer { key });
    }

    pub fn log(&mut self, line: impl Into<String>) {
        self.out.push(Command::Log(line.into()));
    }

    pub fn count(&mut self, counter: CounterId, by: u64) {
        self.out.push(Command::Count { counter, by });
    }

    pub fn observe(&mut self, histogram: HistogramId, value: u64) {
        self.out.push(Command::Observe { histogram, value });
    }

    /// Commands so far in this call (for tests of a single handler).
    pub fn commands(&self) -> &[Command<M>] {
        self.out
    }
}

/// A simulated process. Handlers take the time and randomness from `ctx` and
/// return effects as commands; they never perform IO.
pub trait Node {
    type Msg: Message;

    /// Called when the run starts and again after every restart: set timers,
    /// announce yourself. Volatile state is already reset by `on_crash`.
    fn on_start(&mut self, _ctx: &mut Ctx<'_, Self::Msg>) {}

    /// A message arrived from `from`.
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self::Msg>, from: NodeId, msg: Self::Msg);

    /// A timer this node set has fired.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self::Msg>, key: TimerKey);

    /// A message this node sent reached `to` while `to`'s process was down, and
    /// the peer's host refused the connection (TCP RST). Silence — a partition,
    /// a pause, a loss — gives no such notice: only a timeout finds it.
    fn on_refused(&mut self, _ctx: &mut Ctx<'_, Self::Msg>, _to: NodeId, _msg: Self::Msg) {}

    /// The process died: drop everything volatile (memory), keep what is
    /// durable (disk). Each node's doc says which fields are which.
    fn on_crash(&mut self);
}
