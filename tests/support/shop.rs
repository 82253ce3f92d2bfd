//! Helpers the whole-shop tests share: running to a time within an event
//! budget (a seed that runs away fails, naming itself), and the `always`
//! invariants that broke, with where.
#![allow(dead_code)] // each test file uses the helpers it needs

use clusterlab::cluster::Cluster;
use clusterlab::sim::{PropertyKind, TimeUs};

/// Events a whole-shop test may process before it counts as runaway.
const BUDGET: u64 = 100_000_000;

/// Runs `c` to `until_us`; fails, naming `seed`, if the budget runs out first.
pub fn run(c: &mut Cluster, until_us: TimeUs, seed: u64) {
    assert!(c.run_until(until_us, BUDGET).reached, "seed {seed}: event budget ran out before {until_us} µs");
}

/// Every `always` invariant that broke, with its first violation.
pub fn broken(c: &Cluster) -> Vec<String> {
    (c.sim.properties().verdicts().iter())
        .filter(|v| v.kind == PropertyKind::Always && !v.holds)
        .map(|v| format!("{}: {:?}", v.name, v.first_violation))
        .collect()
}
