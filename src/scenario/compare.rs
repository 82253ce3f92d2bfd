//! The same run under two designs, side by side.
//!
//! Owns `Comparison`: two runs of one scenario (same seed, same faults, same
//! scheduled and recorded commands) that differ in one design switch, set
//! from t = 0 in each — any command that would flip that switch during the
//! run is left out of both, so each side keeps its value throughout. Both
//! advance in bounded slices to the same virtual time; `rows` reads the
//! figures a reader compares (requests, failures and why, sessions lost,
//! latency, oversold units, retries, cache hits). Never draws and reads no
//! clock: the page calls `advance` a slice at a time.

use super::format::Scenario;
use super::report;
use super::timeline::Timeline;
use crate::cluster::Cluster;
use crate::cluster::command::Command;
use crate::cluster::design::SwitchError;
use crate::sim::{MS, TimeUs};

/// The figures a comparison shows, in order (each a `Cluster::metric` name).
pub const COMPARED: [&str; 12] = [
    "requests-ok",
    "requests-failed",
    "sessions-lost",
    "latency-p50-ms",
    "latency-p99-ms",
    "oversold",
    "failed-overloaded",
    "failed-timed-out",
    "failed-session-not-found",
    "retries",
    "gateway-retries",
    "cdn-hits",
];

/// One side: a cluster and its commands.
struct Side {
    cluster: Cluster,
    timeline: Timeline,
}

/// One figure under both designs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompareRow {
    pub metric: &'static str,
    pub a: u64,
    pub b: u64,
}

impl CompareRow {
    /// B − A.
    pub fn difference(&self) -> i128 {
        i128::from(self.b) - i128::from(self.a)
    }
}

/// Two runs of one scenario, `switch` = `values[0]` vs `values[1]`.
pub struct Comparison {
    pub switch: String,
    pub values: [String; 2],
    /// Both run to here.
    pub until_us: TimeUs,
    sides: [Side; 2],
}

impl Comparison {
    /// `base` twice, with `switch` set to `a` in one and `b` in the other from
    /// the start, to run until `until_ms`. A bad switch or value is refused.
    pub fn new(base: &Scenario, switch: &str, a: &str, b: &str, until_ms: u64) -> Result<Self, SwitchError> {
        let side = |value: &str| -> Result<Side, SwitchError> {
            let mut scenario = base.clone();
            scenario.switches = scenario.switches.with(switch, value)?;
            scenario.commands.retain(|c| !matches!(&c.command, Command::SetSwitch { switch: s, .. } if s == switch));
            Ok(Side { cluster: report::build(&scenario), timeline: Timeline::of(&scenario) })
        };
        Ok(Self {
            switch: switch.to_string(),
            values: [a.to_string(), b.to_string()],
            until_us: until_ms * MS,
            sides: [side(a)?, side(b)?],
        })
    }

    /// Runs at most `max_events` more events (the side that is behind goes
    /// first); true once both have reached `until_us`.
    pub fn advance(&mut self, max_events: u64) -> bool {
        let until_us = self.until_us;
        let behind = if self.sides[0].cluster.sim.now_us() <= self.sides[1].cluster.sim.now_us() { 0 } else { 1 };
        let side = &mut self.sides[behind];
        side.timeline.run_until(&mut side.cluster, until_us, max_events);
        self.done()
    }

    /// Whether both sides have reached the end.
    pub fn done(&self) -> bool {
        self.sides.iter().all(|s| s.cluster.sim.now_us() >= self.until_us)
    }

    /// How far the slower side has got, 0 to 1.
    pub fn progress(&self) -> f64 {
        let slowest = self.sides.iter().map(|s| s.cluster.sim.now_us()).min().unwrap_or(0);
        if self.until_us == 0 { 1.0 } else { (slowest as f64 / self.until_us as f64).min(1.0) }
    }

    /// Each compared figure under both designs.
    pub fn rows(&self) -> Vec<CompareRow> {
        let [a, b] = &self.sides;
        COMPARED
            .iter()
            .map(|&metric| CompareRow { metric, a: a.cluster.metric(metric), b: b.cluster.metric(metric) })
            .collect()
    }

    /// The two runs' trace hashes (equal designs give equal hashes).
    pub fn trace_hashes(&self) -> [u64; 2] {
        [self.sides[0].cluster.sim.trace_hash(), self.sides[1].cluster.sim.trace_hash()]
    }
}
