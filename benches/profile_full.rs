//! A profiling driver, not a benchmark: builds the whole shop in a Double-11
//! surge (`scenario::workload::full_double_11`) and runs it for a number of
//! virtual seconds (first argument, default 10), printing events and the
//! trace hash. Meant for `perf record -g` on the built binary:
//! `cargo bench --bench profile_full --no-run`, then run it under perf.
//!
//! With `kinds` among the arguments it steps the run one event at a time
//! instead and prints a breakdown: events per request by kind and label
//! (what the trace records; a message leaving after local work is not
//! traced and shows as `depart`), with the wall time each kind took.
#![allow(clippy::disallowed_methods)] // prints wall time; the model never reads it

use clusterlab::cluster::Cluster;
use clusterlab::scenario::workload;
use clusterlab::sim::SEC;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

fn main() {
    let secs: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10);
    let kinds = std::env::args().any(|a| a == "kinds");
    let start = Instant::now();
    let mut cluster = workload::full_double_11(1);
    let built = start.elapsed();
    let events_before = cluster.sim.events_processed();
    if kinds {
        breakdown(&mut cluster, secs);
        return;
    }
    let run_start = Instant::now();
    let events = workload::advance(&mut cluster, secs * SEC);
    let run = run_start.elapsed();
    println!(
        "warm-up {:.2} s ({events_before} events); {secs} virtual s: {events} events in {:.2} s = {:.0} events/s; hash {:016x}",
        built.as_secs_f64(),
        run.as_secs_f64(),
        events as f64 / run.as_secs_f64(),
        cluster.sim.trace_hash()
    );
    let broken: Vec<_> = cluster.sim.properties().verdicts().iter().filter(|v| !v.holds).map(|v| v.name).collect();
    println!("not holding / not seen: {broken:?}");
}

/// Requests answered so far (ok or failed).
fn requests(cluster: &Cluster) -> u64 {
    let m = cluster.sim.metrics();
    m.value("requests-ok") + m.value("requests-failed")
}

/// Steps `secs` virtual seconds one event at a time, timing each, and prints
/// events and time per request by (trace kind, label).
fn breakdown(cluster: &mut Cluster, secs: u64) {
    let target_us = cluster.sim.now_us() + secs * SEC;
    let requests_before = requests(cluster);
    let mut by_kind: BTreeMap<(&'static str, &'static str), (u64, Duration)> = BTreeMap::new();
    let (mut events, mut total) = (0u64, Duration::ZERO);
    while cluster.sim.next_event_at_us().is_some_and(|at| at <= target_us) {
        let traced = cluster.sim.trace().len();
        let t = Instant::now();
        if !cluster.sim.step() {
            break;
        }
        let took = t.elapsed();
        let key = match cluster.sim.trace().last() {
            Some(e) if cluster.sim.trace().len() > traced => (e.kind.as_str(), e.label),
            _ => ("depart", "(untraced)"),
        };
        let slot = by_kind.entry(key).or_default();
        slot.0 += 1;
        slot.1 += took;
        events += 1;
        total += took;
    }
    let served = (requests(cluster) - requests_before).max(1);
    println!(
        "{secs} virtual s: {events} events, {served} requests answered, {:.1} events/request, {:.0} events/s stepped",
        events as f64 / served as f64,
        events as f64 / total.as_secs_f64()
    );
    let mut rows: Vec<_> = by_kind.into_iter().collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.1.0));
    println!("{:<10} {:<28} {:>10} {:>9} {:>8} {:>7}", "kind", "label", "events", "/request", "ns/evt", "time%");
    for ((kind, label), (count, took)) in rows {
        println!(
            "{kind:<10} {label:<28} {count:>10} {:>9.2} {:>8.0} {:>6.1}%",
            count as f64 / served as f64,
            took.as_nanos() as f64 / count as f64,
            100.0 * took.as_secs_f64() / total.as_secs_f64()
        );
    }
}
