//! Running a scenario headless and reporting what happened.
//!
//! Owns the translation from a validated `Scenario` to a built cluster with
//! its faults scheduled, the run itself (in bounded chunks), and the report:
//! metrics, latency percentiles, every property's verdict, the trace hash.

use super::format::{Scenario, TopologyKind};
use super::timeline::Timeline;
use crate::cluster::Cluster;
use crate::cluster::command::DEFAULT_SLOW_US;
use crate::cluster::dr::measure::{DrReport, measure};
use crate::cluster::node::ClusterNode;
use crate::cluster::topology::SliceOptions;
use crate::sim::{MS, PropertyKind, TimeUs};
use serde::Serialize;
use std::collections::BTreeMap;

/// Events per chunk of a headless run (the run is the same whatever the chunking).
const CHUNK_EVENTS: u64 = 1_000_000;
/// With a request limit, the run checks it every this much virtual time.
const LIMIT_SLICE_US: TimeUs = 100 * MS;

/// What a headless run found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub name: String,
    pub seed: u64,
    pub duration_ms: u64,
    /// Where the run stopped: the duration, or earlier with `--requests`.
    pub stopped_at_ms: f64,
    /// Shopper requests that completed, succeeded or failed.
    pub requests: u64,
    pub events: u64,
    /// 16 hex digits; equal hashes mean identical runs.
    pub trace_hash: String,
    pub metrics: BTreeMap<String, u64>,
    pub latency_ms: Latency,
    pub invariants: Vec<InvariantReport>,
    /// For the `sites` topology after a failover: what the outage cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disaster_recovery: Option<DrReport>,
}

/// Latency of successful requests, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// One property's verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InvariantReport {
    pub name: String,
    /// `always` or `sometimes`.
    pub kind: &'static str,
    pub holds: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broke_at_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub broke_at_event: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Builds the cluster a scenario describes, with its faults scheduled.
pub fn build(scenario: &Scenario) -> Cluster {
    let options = SliceOptions {
        seed: scenario.seed,
        shoppers: scenario.topology.shoppers,
        surge_capacity: scenario.topology.surge_capacity,
        app_servers: scenario.topology.app_servers,
        design: scenario.switches,
    };
    let mut cluster = match scenario.topology.kind {
        TopologyKind::Slice => Cluster::slice(&options),
        TopologyKind::Full => Cluster::full(&options),
        TopologyKind::Sites => Cluster::sites(&options),
    };
    for f in &scenario.faults {
        // Validation guarantees the node exists; a missing one is skipped, not a panic.
        if let Some(node) = cluster.sim.id_of(&f.node) {
            cluster
                .sim
                .schedule_fault(f.at_ms * MS, f.action.fault(node, f.extra_ms.map_or(DEFAULT_SLOW_US, |ms| ms * MS)));
        }
    }
    cluster
}

/// Runs a validated scenario to its end and reports.
pub fn run(scenario: &Scenario) -> Report {
    run_limited(scenario, None)
}

/// Runs a validated scenario to its end, or until `max_requests` shopper
/// requests have completed (succeeded or failed), whichever comes first.
pub fn run_limited(scenario: &Scenario, max_requests: Option<u64>) -> Report {
    let mut cluster = build(scenario);
    let mut timeline = Timeline::of(scenario);
    run_to(&mut cluster, &mut timeline, scenario.duration_ms * MS, max_requests);
    report(scenario, &cluster)
}

/// Runs to `target_us` through the timeline's commands; true if the request
/// limit was reached first (the run stops at the end of the 100 ms slice in
/// which it was).
fn run_to(cluster: &mut Cluster, timeline: &mut Timeline, target_us: TimeUs, max_requests: Option<u64>) -> bool {
    let Some(limit) = max_requests else {
        while !timeline.run_until(cluster, target_us, CHUNK_EVENTS).reached {}
        return false;
    };
    loop {
        let slice_end_us = (cluster.sim.now_us() + LIMIT_SLICE_US).min(target_us);
        while !timeline.run_until(cluster, slice_end_us, CHUNK_EVENTS).reached {}
        if completed_requests(cluster) >= limit {
            return true;
        }
        if slice_end_us >= target_us {
            return false;
        }
    }
}

/// Every counter, and for the whole shop the units sold beyond stock.
fn metrics(scenario: &Scenario, cluster: &Cluster) -> BTreeMap<String, u64> {
    let mut metrics: BTreeMap<String, u64> =
        cluster.sim.metrics().counters().map(|(k, v)| (k.to_string(), v)).collect();
    if scenario.topology.kind == TopologyKind::Full {
        metrics.insert("oversold".to_string(), cluster.units_oversold());
    }
    metrics
}

fn completed_requests(cluster: &Cluster) -> u64 {
    let metrics = cluster.sim.metrics();
    metrics.value("requests-ok") + metrics.value("requests-failed")
}

fn report(scenario: &Scenario, cluster: &Cluster) -> Report {
    let sim = &cluster.sim;
    let latency = sim.metrics().hist(cluster.metrics.latency_us);
    let ms = |us: u64| us as f64 / MS as f64;
    let invariants = sim
        .properties()
        .verdicts()
        .iter()
        .map(|v| InvariantReport {
            name: v.name.to_string(),
            kind: if v.kind == PropertyKind::Always { "always" } else { "sometimes" },
            holds: v.holds,
            broke_at_ms: v.first_violation.as_ref().map(|x| ms(x.at_us)),
            broke_at_event: v.first_violation.as_ref().map(|x| x.event_index),
            reason: v.first_violation.as_ref().map(|x| x.reason.clone()),
        })
        .collect();
    Report {
        name: scenario.name.clone(),
        seed: scenario.seed,
        duration_ms: scenario.duration_ms,
        stopped_at_ms: ms(sim.now_us()),
        requests: completed_requests(cluster),
        events: sim.events_processed(),
        trace_hash: format!("{:016x}", sim.trace_hash()),
        metrics: metrics(scenario, cluster),
        latency_ms: Latency { p50: ms(latency.quantile(500)), p99: ms(latency.quantile(990)), max: ms(latency.max()) },
        invariants,
        disaster_recovery: dr_report(cluster),
    }
}

/// The disaster-recovery figures, if this cluster has a GSLB that failed over.
fn dr_report(cluster: &Cluster) -> Option<DrReport> {
    let sim = &cluster.sim;
    let gslb = sim.nodes().iter().position(|n| matches!(n, ClusterNode::DrController(_)))?;
    measure(sim.nodes(), sim.lifecycles(), crate::sim::NodeId(gslb as u16))
}
