//! How the kernel carries out faults and repairs.
//!
//! Owns the effect of each `Fault` on the run: a crash drops the node's
//! volatile state, timers and held events; a restart boots it again; a pause
//! holds its events until resume, which replays them in order; slowness and
//! cuts go to the lifecycle and the network. Never decides when a fault
//! happens: a reader's click or a schedule does.

use super::fault::Fault;
use super::kernel::Sim;
use super::lifecycle::Process;
use super::node::{Node, NodeId, TimerKey};
use super::queue::Event;
use super::time::TimeUs;
use super::timers::Pending;
use super::trace::{TraceKind, portable_hash};

impl<N: Node> Sim<N> {
    /// Schedules a fault at `at_us` (not before now).
    pub fn schedule_fault(&mut self, at_us: TimeUs, fault: Fault) {
        self.queue.push(at_us.max(self.now_us), Event::Fault(fault));
    }

    /// Applies a fault at once (a reader's click), traced like any event.
    pub fn inject(&mut self, fault: Fault) {
        self.start();
        self.apply_fault(fault);
        self.check_properties(None);
    }

    /// An operator's command to one node, carried out now: `act` runs with a
    /// `Ctx` like any handler (so it may send, set timers, log), and the
    /// command is traced under `label`. This is how a reader's switch or a
    /// scenario's scheduled change reaches a node (e.g. "stop keepalived
    /// gracefully", "this many shoppers are shopping").
    pub fn command(
        &mut self,
        node: NodeId,
        label: &'static str,
        act: impl FnOnce(&mut N, &mut super::node::Ctx<'_, N::Msg>),
    ) {
        self.start();
        self.trace.push(self.now_us, TraceKind::Fault, node, None, label, 0);
        if self.lifecycles[node.index()].process == Process::Up {
            self.call(node, act);
        }
        self.check_properties(None);
    }

    pub(super) fn apply_fault(&mut self, fault: Fault) {
        let node = fault.node().unwrap_or(NodeId(0));
        self.trace.push(self.now_us, TraceKind::Fault, node, None, fault.label(), portable_hash(&fault));
        let text = match fault.node() {
            Some(n) => format!("{}: {}", self.names[n.index()], fault.label()),
            None => fault.label().to_string(),
        };
        self.push_log(node, text);
        match fault {
            Fault::Crash { node } => self.crash(node),
            Fault::Restart { node } => {
                if self.lifecycles[node.index()].process != Process::Crashed {
                    self.crash(node);
                }
                let life = &mut self.lifecycles[node.index()];
                life.process = Process::Up;
                life.incarnation += 1;
                life.since_us = self.now_us;
                self.call(node, |n, ctx| n.on_start(ctx));
            }
            Fault::Pause { node } => {
                let life = &mut self.lifecycles[node.index()];
                if life.process == Process::Up {
                    life.process = Process::Paused;
                    life.since_us = self.now_us;
                }
            }
            Fault::Resume { node } => self.resume(node),
            Fault::Slow { node, extra_us } => self.lifecycles[node.index()].slow_extra_us = extra_us,
            Fault::Isolate { node } => self.network.isolate(node),
            Fault::Rejoin { node } => self.network.rejoin(node),
            Fault::Cut { from, to, both_ways: true } => self.network.cut_both_ways(from, to),
            Fault::Cut { from, to, both_ways: false } => self.network.cut_one_way(from, to),
            Fault::Heal { a, b } => self.network.heal_link(a, b),
            Fault::HealAll => self.network.heal_all(),
        }
    }

    fn crash(&mut self, node: NodeId) {
        let life = &mut self.lifecycles[node.index()];
        if life.process == Process::Crashed {
            return;
        }
        life.process = Process::Crashed;
        life.crashes += 1;
        life.since_us = self.now_us;
        life.last_crash_us = Some(self.now_us);
        self.nodes[node.index()].on_crash();
        let dead = self.timers[node.index()].len() as u64;
        self.timers[node.index()].clear();
        self.note_stale_timers(dead);
        self.held[node.index()].clear();
    }

    fn resume(&mut self, node: NodeId) {
        let life = &mut self.lifecycles[node.index()];
        if life.process != Process::Paused {
            return;
        }
        life.process = Process::Up;
        life.since_us = self.now_us;
        // Everything that waited runs now, in the order it was due.
        for held in std::mem::take(&mut self.held[node.index()]) {
            match held.event {
                Event::Timer { node, key, generation } => self.requeue_timer(node, key, generation),
                event => self.queue.push(self.now_us, event),
            }
        }
    }

    /// A held timer is queued again, now: if it is still live its entry
    /// learns its new slot (so cancelling it takes it out); if it was
    /// cancelled or replaced meanwhile, it is counted as stale.
    fn requeue_timer(&mut self, node: NodeId, key: TimerKey, generation: u64) {
        let slot = self.queue.push_timer(self.now_us, node, key, generation);
        let timers = &mut self.timers[node.index()];
        if timers.is_live(key, generation) {
            timers.insert(key, Pending { generation, slot });
        } else {
            self.note_stale_timers(1);
        }
    }
}
