//! Dead timers do not pile up: a node that keeps re-arming a long timeout
//! (as every request's timeout does) leaves the queue bounded, and the timer
//! that finally fires is the last one set.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::sim::{Ctx, LinkProfile, MS, Message, Node, NodeId, SEC, Sim, TimerKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Nothing;

impl Message for Nothing {
    fn label(&self) -> &'static str {
        "nothing"
    }
}

const TICK: TimerKey = 1;
const TIMEOUT: TimerKey = 2;

/// Every millisecond re-arms a one-hour timeout, for `ticks` milliseconds.
struct Rearmer {
    ticks_left: u32,
    timeouts_fired: Vec<u64>,
}

impl Node for Rearmer {
    type Msg = Nothing;
    fn on_start(&mut self, ctx: &mut Ctx<'_, Nothing>) {
        ctx.set_timer(TICK, MS);
    }
    fn on_message(&mut self, _ctx: &mut Ctx<'_, Nothing>, _from: NodeId, _msg: Nothing) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Nothing>, key: TimerKey) {
        if key == TIMEOUT {
            self.timeouts_fired.push(ctx.now_us);
        } else if self.ticks_left > 0 {
            self.ticks_left -= 1;
            ctx.set_timer(TIMEOUT, 3600 * SEC);
            ctx.set_timer(TICK, MS);
        }
    }
    fn on_crash(&mut self) {}
}

#[test]
fn re_armed_timeouts_keep_the_queue_small_and_only_the_last_fires() {
    let ticks = 100_000u32;
    let mut sim = Sim::new(1, LinkProfile::fixed(0));
    let id = sim.add_node("rearmer", Rearmer { ticks_left: ticks, timeouts_fired: Vec::new() });
    let mut peak = 0;
    while sim.now_us() < u64::from(ticks) * MS {
        sim.run_for(SEC, u64::MAX);
        peak = peak.max(sim.pending_events());
    }
    assert!(peak <= 2_100, "queue grew to {peak} with {ticks} re-armed timeouts");
    sim.run_until(u64::from(ticks) * MS + 3601 * SEC, u64::MAX);
    let fired = &sim.node(id).timeouts_fired;
    assert_eq!(fired.len(), 1, "timeouts fired at {fired:?}");
    assert_eq!(fired[0], u64::from(ticks) * MS + 3600 * SEC);
}
