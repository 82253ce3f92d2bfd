//! The simulation kernel: one loop that pops the earliest event and runs it.
//!
//! Owns the nodes, their lifecycles, random streams and timers, the network,
//! the event queue, the trace, the metrics and the properties; carries out the
//! commands nodes return. Everything is single-threaded and ordered by
//! (time, sequence), so a run is a pure function of its seed and the faults
//! applied to it. Never reads a wall clock, never iterates a hashed
//! collection, never does more than the event budget it is given.

use super::invariant::{Properties, View};
use super::lifecycle::{Lifecycle, Process};
use super::metrics::Metrics;
use super::network::{LinkProfile, Network, Transit};
use super::node::{Command, Ctx, Message, Node, NodeId};
use super::queue::{Event, EventQueue, Scheduled, Step};
use super::rng::SimRng;
use super::time::TimeUs;
use super::timers::TimerTable;
use super::trace::{Trace, TraceKind, portable_hash};
use std::collections::VecDeque;

/// The random stream id of the network (nodes use their index).
const NETWORK_STREAM: u64 = u64::MAX;
/// How many log lines are kept for the reader.
const LOG_CAPACITY: usize = 500;

/// A line of the event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub at_us: TimeUs,
    pub node: NodeId,
    pub text: String,
}

/// How a bounded run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunReport {
    pub events: u64,
    /// True if every event due by the target time was processed.
    pub reached: bool,
}

/// A whole simulated world of nodes of type `N`.
pub struct Sim<N: Node> {
    pub(super) seed: u64,
    pub(super) now_us: TimeUs,
    pub(super) started: bool,
    pub(super) queue: EventQueue<N::Msg>,
    pub(super) nodes: Vec<N>,
    pub(super) names: Vec<String>,
    pub(super) lifecycles: Vec<Lifecycle>,
    pub(super) rngs: Vec<SimRng>,
    pub(super) timers: Vec<TimerTable>,
    pub(super) next_timer_generation: u64,
    pub(super) held: Vec<Vec<Scheduled<N::Msg>>>,
    pub(super) network: Network,
    pub(super) trace: Trace,
    pub(super) metrics: Metrics,
    pub(super) properties: Properties<N>,
    pub(super) log: VecDeque<LogLine>,
    pub(super) scratch: Vec<Command<N::Msg>>,
    pub(super) processed: u64,
    /// Timers cancelled or replaced but still in the queue (see `compact`).
    pub(super) stale_timers: u64,
    /// Per directed link, the latest arrival scheduled so far: links are FIFO,
    /// as a TCP connection is, so jitter delays messages but never reorders them.
    pub(super) link_last_arrival_us: Vec<Vec<TimeUs>>,
    /// Per directed link, when its sender last wrote to it: a slow process
    /// writes late but in order, so what it writes once it is fast again
    /// waits behind what it wrote while slow.
    pub(super) link_last_write_us: Vec<Vec<TimeUs>>,
}

impl<N: Node> Sim<N> {
    /// An empty world with the given seed and default link profile.
    pub fn new(seed: u64, link: LinkProfile) -> Self {
        Self {
            seed,
            now_us: 0,
            started: false,
            queue: EventQueue::default(),
            nodes: Vec::new(),
            names: Vec::new(),
            lifecycles: Vec::new(),
            rngs: Vec::new(),
            timers: Vec::new(),
            next_timer_generation: 0,
            held: Vec::new(),
            network: Network::new(link, SimRng::new(seed, NETWORK_STREAM)),
            trace: Trace::new(256),
            metrics: Metrics::default(),
            properties: Properties::default(),
            log: VecDeque::new(),
            scratch: Vec::new(),
            processed: 0,
            stale_timers: 0,
            link_last_arrival_us: Vec::new(),
            link_last_write_us: Vec::new(),
        }
    }

    /// Adds a node; its random stream is derived from the seed and its index.
    pub fn add_node(&mut self, name: impl Into<String>, node: N) -> NodeId {
        let id = NodeId(self.nodes.len() as u16);
        self.nodes.push(node);
        self.names.push(name.into());
        self.lifecycles.push(Lifecycle::default());
        self.rngs.push(SimRng::new(self.seed, u64::from(id.0)));
        self.timers.push(TimerTable::default());
        self.held.push(Vec::new());
        self.properties.recheck_every_node();
        for links in [&mut self.link_last_arrival_us, &mut self.link_last_write_us] {
            for row in links.iter_mut() {
                row.push(0);
            }
            links.push(vec![0; self.nodes.len()]);
        }
        id
    }

    /// Calls `on_start` on every node, in id order. Idempotent.
    pub fn start(&mut self) {
        if self.started {
            return;
        }
        self.started = true;
        for i in 0..self.nodes.len() {
            self.call(NodeId(i as u16), |node, ctx| node.on_start(ctx));
        }
    }

    // ---- driving the run -------------------------------------------------

    /// Processes the next event, if any. Returns false when nothing is pending.
    /// Cancelled or replaced timers are discarded on the way, unseen: a step
    /// is always something that happens.
    pub fn step(&mut self) -> bool {
        self.start();
        loop {
            let Some(next) = self.queue.pop() else { return false };
            if self.stale_timers > 0 && self.is_stale_timer(&next.event) {
                self.stale_timers = self.stale_timers.saturating_sub(1);
                continue;
            }
            self.now_us = self.now_us.max(next.at_us);
            // Samples due up to now see the state before this event.
            self.metrics.sample_due(self.now_us);
            self.processed += 1;
            let touched = next.event.target();
            self.dispatch(next);
            self.check_properties(touched);
            return true;
        }
    }

    /// How many events have been processed (stale timers not counted).
    pub fn events_processed(&self) -> u64 {
        self.processed
    }

    /// Processes every event due by `target_us`, at most `max_events` of them;
    /// if all were processed the clock moves on to `target_us`.
    pub fn run_until(&mut self, target_us: TimeUs, max_events: u64) -> RunReport {
        self.start();
        let mut events = 0;
        while events < max_events {
            self.discard_stale_timers();
            match self.queue.next_at_us() {
                Some(at) if at <= target_us => {
                    self.step();
                    events += 1;
                }
                _ => {
                    self.now_us = self.now_us.max(target_us);
                    self.metrics.sample_due(self.now_us);
                    return RunReport { events, reached: true };
                }
            }
        }
        self.discard_stale_timers();
        let reached = self.queue.next_at_us().is_none_or(|at| at > target_us);
        if reached {
            self.now_us = self.now_us.max(target_us);
            self.metrics.sample_due(self.now_us);
        }
        RunReport { events, reached }
    }

    /// `run_until(now + span_us, max_events)`.
    pub fn run_for(&mut self, span_us: TimeUs, max_events: u64) -> RunReport {
        self.run_until(self.now_us + span_us, max_events)
    }

    /// Check after an event that could only have changed `touched` (None: any node).
    pub(super) fn check_properties(&mut self, touched: Option<NodeId>) {
        if self.properties.is_empty() {
            return;
        }
        let view = View {
            now_us: self.now_us,
            event_index: self.trace.len().saturating_sub(1),
            nodes: &self.nodes,
            lifecycles: &self.lifecycles,
            metrics: &self.metrics,
        };
        self.properties.check(&view, touched.map(NodeId::index));
    }

    fn dispatch(&mut self, scheduled: Scheduled<N::Msg>) {
        if let Some(target) = scheduled.event.target()
            && self.lifecycles[target.index()].process == Process::Paused
        {
            self.hold(target, scheduled);
            return;
        }
        match scheduled.event {
            Event::Wire { from, to, leg, msg } => match leg.step() {
                Step::Deliver => self.deliver(from, to, msg),
                Step::Depart => self.transmit(from, to, msg),
                Step::Refused => self.refused(from, to, msg),
            },
            Event::Timer { node, key, generation } => {
                if self.timers[node.index()].take_if_live(key, generation) {
                    self.trace.push(self.now_us, TraceKind::Timer, node, None, "timer", key);
                    self.call(node, |n, ctx| n.on_timer(ctx, key));
                }
            }
            Event::Fault(fault) => self.apply_fault(fault),
        }
    }

    /// `sender` learns that `peer` refused `msg`, if it is still up to hear it.
    fn refused(&mut self, sender: NodeId, peer: NodeId, msg: N::Msg) {
        if self.lifecycles[sender.index()].is_up() {
            let detail = portable_hash(&msg);
            self.trace.push(self.now_us, TraceKind::Refused, sender, Some(peer), msg.label(), detail);
            self.call(sender, |node, ctx| node.on_refused(ctx, peer, msg));
        }
    }

    fn hold(&mut self, node: NodeId, scheduled: Scheduled<N::Msg>) {
        let (label, from) = match &scheduled.event {
            Event::Wire { msg, from, to, leg } => {
                (msg.label(), Some(if leg.step() == Step::Deliver { *from } else { *to }))
            }
            _ => ("timer", None),
        };
        self.trace.push(self.now_us, TraceKind::Held, node, from, label, 0);
        self.held[node.index()].push(scheduled);
    }

    fn deliver(&mut self, from: NodeId, to: NodeId, msg: N::Msg) {
        let detail = portable_hash(&msg);
        // A message to oneself never crosses the network (see `send`).
        if from != to && self.network.is_cut(from, to) {
            let kind = TraceKind::Dropped(super::network::DropCause::Partitioned);
            self.trace.push(self.now_us, kind, to, Some(from), msg.label(), detail);
            return;
        }
        if self.lifecycles[to.index()].process == Process::Crashed {
            self.trace.push(self.now_us, TraceKind::NodeDown, to, Some(from), msg.label(), detail);
            // The host answers with a reset; it travels back like any packet.
            if let Transit::Arrives { latency_us, .. } = self.network.plan(to, from) {
                self.queue.push(self.now_us + latency_us, Event::refused(from, to, msg));
            }
            return;
        }
        self.trace.push(self.now_us, TraceKind::Deliver, to, Some(from), msg.label(), detail);
        self.call(to, |node, ctx| node.on_message(ctx, from, msg));
    }

    /// Runs one handler of node `id` and carries out its commands.
    pub(super) fn call(&mut self, id: NodeId, handler: impl FnOnce(&mut N, &mut Ctx<'_, N::Msg>)) {
        let mut out = std::mem::take(&mut self.scratch);
        {
            let mut ctx = Ctx::new(self.now_us, id, &mut self.rngs[id.index()], &mut out);
            handler(&mut self.nodes[id.index()], &mut ctx);
        }
        for command in out.drain(..) {
            self.carry_out(id, command);
        }
        self.scratch = out;
    }

    fn carry_out(&mut self, id: NodeId, command: Command<N::Msg>) {
        match command {
            Command::Send { to, msg, delay_us } => self.send(id, to, msg, delay_us),
            Command::SetTimer { key, after_us } => self.set_timer(id, key, after_us),
            Command::CancelTimer { key } => self.cancel_timer(id, key),
            Command::Log(text) => self.push_log(id, text),
            Command::Count { counter, by } => self.metrics.add(counter, by),
            Command::Observe { histogram, value } => self.metrics.observe(histogram, value),
        }
    }

    pub(super) fn push_log(&mut self, node: NodeId, text: String) {
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(LogLine { at_us: self.now_us, node, text });
    }

    /// The arrival time on `from → to` no earlier than anything sent before.
    fn fifo_arrival(&mut self, from: NodeId, to: NodeId, earliest_us: TimeUs) -> TimeUs {
        let last = &mut self.link_last_arrival_us[from.index()][to.index()];
        *last = (*last).max(earliest_us);
        *last
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: N::Msg, delay_us: TimeUs) {
        let mut written_at_us = self.now_us + self.lifecycles[from.index()].slow_extra_us;
        if from != to {
            let last = &mut self.link_last_write_us[from.index()][to.index()];
            *last = (*last).max(written_at_us);
            written_at_us = *last;
        }
        let leaves_at_us = written_at_us + delay_us;
        if from == to {
            self.queue.push(leaves_at_us, Event::deliver(from, to, (leaves_at_us, leaves_at_us), msg.class(), msg));
        } else if leaves_at_us > self.now_us {
            self.queue.push(leaves_at_us, Event::depart(from, to, msg));
        } else {
            self.transmit(from, to, msg);
        }
    }

    /// Puts a message on the wire now: the network drops it or schedules its
    /// arrival, never before anything that left earlier on the same link.
    fn transmit(&mut self, from: NodeId, to: NodeId, msg: N::Msg) {
        let leaves_at_us = self.now_us;
        match self.network.plan(from, to) {
            Transit::Dropped(cause) => {
                let detail = portable_hash(&msg);
                self.trace.push(self.now_us, TraceKind::Dropped(cause), to, Some(from), msg.label(), detail);
            }
            Transit::Arrives { latency_us, duplicate_latency_us } => {
                let arrives_at_us = self.fifo_arrival(from, to, leaves_at_us + latency_us);
                if let Some(dup_us) = duplicate_latency_us {
                    let copy_at_us = self.fifo_arrival(from, to, leaves_at_us + dup_us);
                    let copy = Event::deliver(from, to, (leaves_at_us, copy_at_us), msg.class(), msg.clone());
                    self.queue.push(copy_at_us, copy);
                }
                self.queue
                    .push(arrives_at_us, Event::deliver(from, to, (leaves_at_us, arrives_at_us), msg.class(), msg));
            }
        }
    }
}
