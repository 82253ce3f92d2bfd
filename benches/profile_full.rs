//! A profiling driver, not a benchmark: builds the whole shop in a Double-11
//! surge (`scenario::workload::full_double_11`) and runs it for a number of
//! virtual seconds (first argument, default 10), printing events and the
//! trace hash. Meant for `perf record -g` on the built binary:
//! `cargo bench --bench profile_full --no-run`, then run it under perf.
#![allow(clippy::disallowed_methods)] // prints wall time; the model never reads it

use clusterlab::scenario::workload;
use clusterlab::sim::SEC;
use std::time::Instant;

fn main() {
    let secs: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(10);
    let start = Instant::now();
    let mut cluster = workload::full_double_11(1);
    let built = start.elapsed();
    let events_before = cluster.sim.events_processed();
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
}
