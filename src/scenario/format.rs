//! The scenario file format, version 1.
//!
//! Owns the serde shape of a scenario: seed, topology, design switches,
//! scheduled faults by node name and virtual time, and how long to run.
//! Unknown fields are rejected, so a typo is an error, not a silent default.

use crate::cluster::command::{CentreAction, Command, NodeAction};
use crate::cluster::design::Design;
use crate::sim::{MS, TimeUs};
use serde::{Deserialize, Serialize};

/// The only format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// A whole run as data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub version: u32,
    /// A short title for reports and the UI.
    #[serde(default)]
    pub name: String,
    pub seed: u64,
    /// How long to run, in virtual milliseconds.
    pub duration_ms: u64,
    #[serde(default)]
    pub topology: TopologySpec,
    #[serde(default)]
    pub switches: Design,
    #[serde(default)]
    pub faults: Vec<ScheduledFault>,
    /// Changes of load over the run (a Double-11 surge and its end).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load: Vec<LoadChange>,
    /// Whole data centres failing and coming back (`sites` topology only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub centres: Vec<ScheduledCentre>,
    /// Commands of the running shop at given times: what a reader did in the
    /// playground (recorded so the run can be replayed or shared), or a
    /// teacher's script (a flash sale, a switch, Xiaoming's steps).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<ScheduledCommand>,
}

/// One command at one virtual time, e.g.
/// `{"at_ms": 20000, "do": {"command": "flash-sale", "product": 7, "units": 30}}`.
/// `at_ms` may carry a fraction down to the microsecond (`12345.678`): the
/// page records a reader's actions at the instant they happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledCommand {
    pub at_ms: f64,
    #[serde(rename = "do")]
    pub command: Command,
}

impl ScheduledCommand {
    /// `command` at virtual time `at_us`.
    pub fn at_us(at_us: TimeUs, command: Command) -> Self {
        Self { at_ms: at_us as f64 / MS as f64, command }
    }

    /// When it is due, in microseconds (a validated `at_ms` is finite and
    /// within a day, so the rounding is exact).
    pub fn due_us(&self) -> TimeUs {
        (self.at_ms * MS as f64).round().max(0.0) as TimeUs
    }
}

/// A whole data centre fails or is restored at `at_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledCentre {
    pub at_ms: u64,
    pub centre: String,
    pub action: CentreAction,
}

/// From `at_ms` on, this many shoppers of the crowd are shopping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadChange {
    pub at_ms: u64,
    pub shoppers: u16,
}

/// Which cluster to build.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TopologyKind {
    /// Shoppers → one balancer → `app_servers` Tomcats.
    #[default]
    Slice,
    /// The whole shop of the brief, both regions, every mechanism.
    Full,
    /// Two sites, three centres: a GSLB and three data centres.
    Sites,
}

/// The shape of the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TopologySpec {
    pub kind: TopologyKind,
    /// Shoppers in the crowd besides Xiaoming, at the start.
    pub shoppers: u16,
    /// How many shoppers the crowd can grow to in a surge.
    pub surge_capacity: u16,
    /// Tomcat-like application servers behind the balancer.
    pub app_servers: u16,
}

impl Default for TopologySpec {
    fn default() -> Self {
        Self { kind: TopologyKind::Slice, shoppers: 300, surge_capacity: 3000, app_servers: 2 }
    }
}

/// One fault at one virtual time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledFault {
    pub at_ms: u64,
    pub action: NodeAction,
    /// The node's id as on the diagram, e.g. `app-2`.
    pub node: String,
    /// For `slow`: the added latency (default 200 ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_ms: Option<u64>,
}
