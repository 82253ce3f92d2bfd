//! The benchmark workloads of budgets.md, built in one place so the native
//! bench (`benches/kernel.rs`) and the page's benchmark API measure exactly
//! the same model.
//!
//! Owns the recipe of "the whole shop in a Double-11 surge" (every mechanism
//! on, 3,000 shoppers in South China and 1,500 in Central China, after a
//! warm-up in which everyone is shopping). Never reads a clock: callers time it.

use crate::cluster::Cluster;
use crate::cluster::topology::SliceOptions;
use crate::sim::SEC;

/// Shoppers per region before the surge.
pub const CALM_SHOPPERS: u16 = 300;
/// Shoppers per region at the surge's peak (tenfold).
pub const SURGE_SHOPPERS: u16 = 3000;

/// The whole shop, every mechanism on, warmed up and in a Double-11 surge:
/// 5 virtual seconds calm, then ten times the shoppers, then 10 more seconds
/// so that every one of them is mid-journey.
pub fn full_double_11(seed: u64) -> Cluster {
    let options =
        SliceOptions { seed, shoppers: CALM_SHOPPERS, surge_capacity: SURGE_SHOPPERS, ..SliceOptions::default() };
    let mut cluster = Cluster::full(&options);
    cluster.run_until(5 * SEC, u64::MAX);
    cluster.set_shoppers(SURGE_SHOPPERS);
    let warm_until_us = cluster.sim.now_us() + 10 * SEC;
    cluster.run_until(warm_until_us, u64::MAX);
    cluster
}

/// Runs `cluster` for `virtual_us` more and returns the events processed.
pub fn advance(cluster: &mut Cluster, virtual_us: u64) -> u64 {
    let target_us = cluster.sim.now_us() + virtual_us;
    cluster.run_until(target_us, u64::MAX).events
}
