//! Links are FIFO, as TCP connections are: with heavy jitter, or a sender
//! whose slowness comes and goes, messages on one directed link arrive in the
//! order they were sent (later, never reordered).
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::sim::{Ctx, Fault, LinkProfile, MS, Message, Node, NodeId, SEC, Sim, TimerKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Numbered(u32);

impl Message for Numbered {
    fn label(&self) -> &'static str {
        "numbered"
    }
}

/// Node 0 sends 0, 1, 2, … to node 1, one every 100 µs; node 1 records them.
struct Peer {
    to: NodeId,
    sent: u32,
    heard: Vec<u32>,
}

impl Node for Peer {
    type Msg = Numbered;
    fn on_start(&mut self, ctx: &mut Ctx<'_, Numbered>) {
        if ctx.me == NodeId(0) {
            ctx.set_timer(0, 100);
        }
    }
    fn on_message(&mut self, _ctx: &mut Ctx<'_, Numbered>, _from: NodeId, msg: Numbered) {
        self.heard.push(msg.0);
    }
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Numbered>, _key: TimerKey) {
        ctx.send(self.to, Numbered(self.sent));
        self.sent += 1;
        if self.sent < 2_000 {
            ctx.set_timer(0, 100);
        }
    }
    fn on_crash(&mut self) {}
}

#[test]
fn jitter_never_reorders_a_link() {
    for seed in 1..=5 {
        // Jitter of 0–20 ms against a 0.1 ms send interval: without FIFO
        // nearly every message would overtake another.
        let link = LinkProfile { latency_min_us: MS, latency_jitter_us: 20 * MS, ..LinkProfile::fixed(0) };
        let mut sim = Sim::new(seed, link);
        sim.add_node("sender", Peer { to: NodeId(1), sent: 0, heard: Vec::new() });
        let receiver = sim.add_node("receiver", Peer { to: NodeId(0), sent: 0, heard: Vec::new() });
        sim.run_until(2_000 * MS, u64::MAX);
        let heard = &sim.node(receiver).heard;
        assert_eq!(heard.len(), 2_000, "seed {seed}");
        assert!(heard.windows(2).all(|w| w[0] < w[1]), "seed {seed}: reordered");
    }
}

/// A sender slowed by `extra_us` from 10 ms, then fast again at `fast_at_us`:
/// what it sent while slow leaves late, and what it sends once fast waits
/// behind it (a slow process writes late, but in order).
struct SlowCase {
    extra_us: u64,
    fast_at_us: u64,
}

const SLOW_CASES: &[SlowCase] = &[
    SlowCase { extra_us: 9 * SEC, fast_at_us: 50 * MS },
    SlowCase { extra_us: 50 * MS, fast_at_us: 20 * MS },
    SlowCase { extra_us: 3 * SEC, fast_at_us: 150 * MS },
];

#[test]
fn slowness_that_ends_never_reorders_a_link() {
    for (case, seed) in SLOW_CASES.iter().zip(1..) {
        let mut sim = Sim::new(seed, LinkProfile::LAN);
        let sender = sim.add_node("sender", Peer { to: NodeId(1), sent: 0, heard: Vec::new() });
        let receiver = sim.add_node("receiver", Peer { to: NodeId(0), sent: 0, heard: Vec::new() });
        sim.schedule_fault(10 * MS, Fault::Slow { node: sender, extra_us: case.extra_us });
        sim.schedule_fault(case.fast_at_us, Fault::Slow { node: sender, extra_us: 0 });
        sim.run_until(20 * SEC, u64::MAX);
        let heard = &sim.node(receiver).heard;
        assert_eq!(heard.len(), 2_000, "seed {seed}, slow {} us", case.extra_us);
        assert!(heard.windows(2).all(|w| w[0] < w[1]), "seed {seed}, slow {} us: reordered", case.extra_us);
    }
}
