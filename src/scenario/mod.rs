//! Scenarios: a whole run described as data, validated, and carried out.
//!
//! Owns the scenario file format (serde, with a version field), its
//! validation with messages a reader can act on, and the headless runner that
//! turns a scenario into a report (metrics, invariant verdicts, trace hash).
//! Depends on the model; the model never depends on it. No IO here: callers
//! read files or URLs and pass text in.

pub mod compare;
pub mod format;
pub mod recording;
pub mod report;
pub mod timeline;
pub mod validate;
pub mod validate_commands;
pub mod workload;

pub use format::{LoadChange, Scenario, ScheduledCentre, ScheduledCommand, ScheduledFault, TopologyKind, TopologySpec};
pub use recording::Recording;
pub use report::run_limited;
pub use report::{Report, run};
pub use timeline::Timeline;
pub use validate::{ScenarioError, parse};
