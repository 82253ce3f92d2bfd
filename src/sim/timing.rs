//! How `Sim` keeps its nodes' timers: setting, cancelling and sweeping.
//!
//! A timer set is queued (`EventQueue::push_timer`) and its key entered in
//! the node's `TimerTable` with its generation and queue slot. Cancelled or
//! replaced, it is taken out of the queue by that slot. A timer that cannot
//! be taken out — held by a paused node, or forgotten at a crash — stays
//! queued with a stale generation: it is counted, skipped when it comes
//! due, and swept out when such timers make up half of a large queue.

use super::kernel::Sim;
use super::node::{Node, NodeId, TimerKey};
use super::queue::Event;
use super::time::TimeUs;
use super::timers::Pending;

impl<N: Node> Sim<N> {
    /// Node `id` sets timer `key` to fire `after_us` from now (replacing
    /// one with the same key).
    pub(super) fn set_timer(&mut self, id: NodeId, key: TimerKey, after_us: TimeUs) {
        let generation = self.next_timer_generation;
        self.next_timer_generation += 1;
        let slot = self.queue.push_timer(self.now_us + after_us, id, key, generation);
        if let Some(old) = self.timers[id.index()].insert(key, Pending { generation, slot }) {
            self.drop_timer(old);
        }
    }

    /// Node `id` cancels timer `key`, if it is pending.
    pub(super) fn cancel_timer(&mut self, id: NodeId, key: TimerKey) {
        if let Some(old) = self.timers[id.index()].remove(key) {
            self.drop_timer(old);
        }
    }

    /// Timer `old` was cancelled or replaced: its event is taken out of the
    /// queue, or, if it is not there to take (held by a paused node), left
    /// stale (see `note_stale_timers`).
    fn drop_timer(&mut self, old: Pending) {
        if !self.queue.remove_timer(old.slot, old.generation) {
            self.note_stale_timers(1);
        }
    }

    /// Pending timers were cancelled or replaced where the queue still
    /// holds them (at a crash; or held by a paused node). Dead timers are
    /// skipped when they come due; when they make up half of a large queue,
    /// they are swept out at once. `stale_timers` never counts fewer than the
    /// queue holds, so with none counted none need be looked for.
    pub(super) fn note_stale_timers(&mut self, count: u64) {
        self.stale_timers += count;
        if self.stale_timers >= 1024 && self.stale_timers * 2 >= self.queue.len() as u64 {
            let timers = &self.timers;
            self.queue.retain_timers(|node, key, generation| timers[node.index()].is_live(key, generation));
            self.stale_timers = 0;
        }
    }

    /// A popped timer event that was cancelled or replaced.
    pub(super) fn is_stale_timer(&self, event: &Event<N::Msg>) -> bool {
        match event {
            Event::Timer { node, key, generation } => !self.timers[node.index()].is_live(*key, *generation),
            _ => false,
        }
    }

    /// Drops cancelled or replaced timers at the head of the queue, so that
    /// the next due time is that of something that will happen (otherwise
    /// `step` would skip them and run a later event past the target).
    pub(super) fn discard_stale_timers(&mut self) {
        if self.stale_timers == 0 {
            return;
        }
        while self
            .queue
            .next_timer()
            .is_some_and(|(node, key, generation)| !self.timers[node.index()].is_live(key, generation))
        {
            self.queue.pop();
            self.stale_timers = self.stale_timers.saturating_sub(1);
        }
    }
}
