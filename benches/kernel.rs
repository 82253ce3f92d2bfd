//! Events per second of the kernel against the anchor of the performance
//! budget, measured in one process so the ratios are fair:
//!
//! - (a) anchor: a plain binary-heap event loop. Pop the earliest event, touch
//!   one of 48 nodes, push one follow-up with a random delay; 1,000 pending.
//! - (b) kernel: `Sim` with 48 minimal nodes doing the same work through the
//!   real API (each message handler sends one follow-up to a random other
//!   node with `send_after(random delay)` over `LinkProfile::fixed(0)`).
//! - (c) slice: `Cluster::slice` with 2,000 shoppers, after a warm-up.
//! - (d) the whole shop (`Cluster::full`, every mechanism on) in a Double-11
//!   surge: 3,000 shoppers in South China and 1,500 in Central China.
//!
//! Each is run for about 1.2 s of wall time, five times; the median is shown.
//! Run with `cargo bench --bench kernel`.
#![allow(clippy::disallowed_methods)] // a benchmark reads the wall clock; the model never does

use clusterlab::cluster::topology::SliceOptions;
use clusterlab::cluster::{Cluster, Msg};
use clusterlab::scenario::workload;
use clusterlab::sim::queue::EventQueue;
use clusterlab::sim::{Ctx, LinkProfile, Message, Node, NodeId, SEC, Sim, SimRng, TimeUs, TimerKey};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::{Duration, Instant};

const NODES: usize = 48;
const PENDING: u32 = 1_000;
/// Follow-ups are due 0..1 ms later.
const MAX_DELAY_US: u64 = 1_000;
const SHOPPERS: u16 = 2_000;
const MEASURE: Duration = Duration::from_millis(1_200);
const REPEATS: usize = 5;
/// Events between two reads of the wall clock (loops a and b).
const BATCH: u64 = 50_000;

/// Calls `batch` (which returns how many events it ran) until `MEASURE` has
/// passed; returns events per second of wall time.
fn measure(mut batch: impl FnMut() -> u64) -> f64 {
    let start = Instant::now();
    let mut events = 0;
    while start.elapsed() < MEASURE {
        events += batch();
    }
    events as f64 / start.elapsed().as_secs_f64()
}

/// The median of `REPEATS` fresh measurements, and the spread (min, max).
fn median_of(mut one_run: impl FnMut() -> f64) -> (f64, f64, f64) {
    let mut runs: Vec<f64> = (0..REPEATS).map(|_| one_run()).collect();
    runs.sort_by(f64::total_cmp);
    (runs[REPEATS / 2], runs[0], runs[REPEATS - 1])
}

// ---- (a) the anchor ------------------------------------------------------------

struct Anchor {
    heap: BinaryHeap<Reverse<(TimeUs, u64, u32)>>,
    seq: u64,
    counters: [u64; NODES],
    rng: SimRng,
}

impl Anchor {
    fn new() -> Self {
        let mut anchor = Self { heap: BinaryHeap::new(), seq: 0, counters: [0; NODES], rng: SimRng::new(1, 0) };
        for _ in 0..PENDING {
            anchor.push(0);
        }
        anchor
    }

    fn push(&mut self, now_us: TimeUs) {
        let at_us = now_us + self.rng.below(MAX_DELAY_US);
        let node = self.rng.below(NODES as u64) as u32;
        self.seq += 1;
        self.heap.push(Reverse((at_us, self.seq, node)));
    }

    fn run(&mut self, events: u64) -> u64 {
        for _ in 0..events {
            let Reverse((at_us, _, node)) = self.heap.pop().expect("the loop keeps 1,000 pending");
            self.counters[node as usize] += 1;
            self.push(at_us);
        }
        events
    }
}

fn anchor_events_per_sec() -> f64 {
    let mut anchor = Anchor::new();
    anchor.run(BATCH); // warm up
    let rate = measure(|| anchor.run(BATCH));
    black_box(&anchor.counters);
    rate
}

// ---- (b) the kernel on the same workload -----------------------------------------

#[derive(Clone, Copy, Debug, Hash)]
struct Hop(u32);

impl Message for Hop {
    fn label(&self) -> &'static str {
        "hop"
    }
}

/// Forwards every message to a random other node after a random delay.
struct Relay {
    initial: u32,
    handled: u64,
}

fn hop(ctx: &mut Ctx<'_, Hop>, n: u32) {
    let delay_us = ctx.rng.below(MAX_DELAY_US);
    let mut to = ctx.rng.below(NODES as u64 - 1) as u16;
    if to >= ctx.me.0 {
        to += 1;
    }
    ctx.send_after(delay_us, NodeId(to), Hop(n));
}

impl Node for Relay {
    type Msg = Hop;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Hop>) {
        (0..self.initial).for_each(|n| hop(ctx, n));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Hop>, _from: NodeId, msg: Hop) {
        self.handled += 1;
        hop(ctx, msg.0);
    }

    fn on_timer(&mut self, _ctx: &mut Ctx<'_, Hop>, _key: TimerKey) {}

    fn on_crash(&mut self) {}
}

fn relay_world() -> Sim<Relay> {
    let mut sim = Sim::new(1, LinkProfile::fixed(0));
    let (each, extra) = (PENDING / NODES as u32, PENDING % NODES as u32);
    for i in 0..NODES as u32 {
        let initial = each + u32::from(i < extra);
        sim.add_node(format!("relay-{i}"), Relay { initial, handled: 0 });
    }
    sim.start();
    assert_eq!(sim.pending_events(), PENDING as usize);
    sim
}

fn kernel_events_per_sec() -> f64 {
    let mut sim = relay_world();
    sim.run_until(TimeUs::MAX, BATCH); // warm up
    let rate = measure(|| sim.run_until(TimeUs::MAX, BATCH).events);
    assert_eq!(sim.pending_events(), PENDING as usize, "the relay lost or gained messages");
    black_box(sim.trace_hash());
    black_box(sim.nodes().iter().map(|r| r.handled).sum::<u64>());
    rate
}

// ---- (c) the slice model -----------------------------------------------------------

/// Events per wall second, virtual seconds per wall second, events pending at the end.
fn slice_events_per_sec() -> (f64, f64, usize) {
    let cluster = Cluster::slice(&SliceOptions { seed: 1, shoppers: SHOPPERS, ..SliceOptions::default() });
    model_events_per_sec(cluster, true)
}

/// The whole shop of the brief (every mechanism on) in a Double-11 surge, as
/// the page's benchmark API runs it (`scenario::workload`).
fn full_double_11_events_per_sec() -> (f64, f64, usize) {
    model_events_per_sec(workload::full_double_11(1), false)
}

fn model_events_per_sec(mut cluster: Cluster, warm_up: bool) -> (f64, f64, usize) {
    if warm_up {
        workload::advance(&mut cluster, 10 * SEC); // everyone is shopping
    }
    let (virtual_start, wall_start) = (cluster.sim.now_us(), Instant::now());
    let rate = measure(|| workload::advance(&mut cluster, SEC / 10));
    let virtual_secs = (cluster.sim.now_us() - virtual_start) as f64 / SEC as f64;
    black_box(cluster.sim.trace_hash());
    (rate, virtual_secs / wall_start.elapsed().as_secs_f64(), cluster.sim.pending_events())
}

// ---- report ---------------------------------------------------------------------------

fn millions(rate: f64) -> String {
    format!("{:>7.2} M", rate / 1e6)
}

fn row(name: &str, (median, lo, hi): (f64, f64, f64), anchor: f64, note: &str) {
    let ratio = median / anchor;
    println!("{name:<52} {} {} .. {} {ratio:>8.2}  {note}", millions(median), millions(lo), millions(hi));
}

fn main() {
    println!("clusterlab kernel benchmark: {REPEATS} runs of ~{} ms each, median shown", MEASURE.as_millis());
    let anchor = median_of(anchor_events_per_sec);
    let kernel = median_of(kernel_events_per_sec);
    let (mut speedups, mut pending) = (Vec::new(), 0);
    let slice = median_of(|| {
        let (rate, speedup, left) = slice_events_per_sec();
        speedups.push(speedup);
        pending = left;
        rate
    });
    speedups.sort_by(f64::total_cmp);
    let (mut full_speedups, mut full_pending) = (Vec::new(), 0);
    let full = median_of(|| {
        let (rate, speedup, left) = full_double_11_events_per_sec();
        full_speedups.push(speedup);
        full_pending = left;
        rate
    });
    full_speedups.sort_by(f64::total_cmp);
    println!();
    println!("{:<52} {:>9} {:>21} {:>8}", "workload", "events/s", "min .. max", "/anchor");
    println!("{}", "-".repeat(94));
    row("(a) anchor: BinaryHeap loop, 48 nodes, 1k pending", anchor, anchor.0, "");
    row("(b) kernel: Sim, 48 relays, 1k pending", kernel, anchor.0, "");
    let note = format!("{:.0}x real time, {pending} pending", speedups[REPEATS / 2]);
    row(&format!("(c) slice: Cluster::slice, {SHOPPERS} shoppers"), slice, anchor.0, &note);
    let note = format!("{:.0}x real time, {full_pending} pending", full_speedups[REPEATS / 2]);
    row("(d) full shop, every mechanism, Double 11 (3000+)", full, anchor.0, &note);
    println!();
    let record = EventQueue::<Msg>::BYTES_PER_PENDING;
    let anchor_record = std::mem::size_of::<Reverse<(TimeUs, u64, u32)>>();
    println!(
        "pending-event record: key + slot of Event<cluster::Msg> = {record} bytes (anchor's = {anchor_record} bytes)"
    );
    println!(
        "kernel/anchor = {:.2}   slice/anchor = {:.2}   full Double-11/anchor = {:.2} (budget >= 0.25)",
        kernel.0 / anchor.0,
        slice.0 / anchor.0,
        full.0 / anchor.0
    );
    // `make bench` collects every figure into one table (bench/run.mjs).
    if let Ok(path) = std::env::var("CLUSTERLAB_BENCH_JSON") {
        let json = format!(
            "{{\"anchor_events_per_s\":{:.0},\"kernel_events_per_s\":{:.0},\"slice_events_per_s\":{:.0},\
             \"full_events_per_s\":{:.0},\"full_pending\":{full_pending},\"record_bytes\":{record},\
             \"anchor_record_bytes\":{anchor_record}}}",
            anchor.0, kernel.0, slice.0, full.0
        );
        std::fs::write(&path, json).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
    }
}
