//! Reading a scenario: parse, then check everything a run depends on.
//!
//! Owns the errors a reader sees for a bad scenario — each names the field and
//! says what would be accepted — and the limits that keep a hostile file from
//! exhausting memory or time. A scenario that passes `parse` can be run.

use super::format::{FORMAT_VERSION, Scenario, TopologyKind};
use crate::cluster::session_store::SessionStoreKind;
use crate::cluster::topology_full::FULL_NODES;
use crate::cluster::topology_sites::{CENTRES, SITE_NODES};
use std::fmt;

/// Largest scenario text accepted, in bytes.
pub const MAX_SCENARIO_BYTES: usize = 256 * 1024;
/// Longest run accepted: one virtual day.
pub const MAX_DURATION_MS: u64 = 24 * 3600 * 1000;
pub const MAX_SHOPPERS: u16 = 20_000;
pub const MAX_APP_SERVERS: u16 = 12;
pub const MAX_FAULTS: usize = 1_000;
/// Node ids a scenario may name, besides `app-N` for each app server.
const FIXED_NODES: [&str; 3] = ["xiaoming", "shoppers-south", "lb-south-1"];
const REDIS_NODES: [&str; 5] = ["redis", "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3"];

/// Why a scenario cannot be run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScenarioError {
    TooLarge {
        bytes: usize,
    },
    Malformed {
        line: usize,
        column: usize,
        message: String,
    },
    WrongVersion {
        found: u32,
    },
    OutOfRange {
        field: String,
        message: String,
    },
    UnknownNode {
        index: usize,
        node: String,
        known: Vec<String>,
    },
    UnknownCentre {
        index: usize,
        centre: String,
        known: Vec<String>,
    },
    /// `commands[index]` cannot be carried out in this scenario's cluster.
    BadCommand {
        index: usize,
        message: String,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { bytes } => {
                write!(f, "the scenario is {bytes} bytes; the limit is {MAX_SCENARIO_BYTES} bytes")
            }
            Self::Malformed { line, column, message } => {
                write!(f, "the scenario is not valid JSON for this format (line {line}, column {column}): {message}")
            }
            Self::WrongVersion { found } => write!(
                f,
                "the scenario says version {found}, but this ClusterLab reads version {FORMAT_VERSION}; \
                 save it again from a matching version"
            ),
            Self::OutOfRange { field, message } => write!(f, "`{field}` {message}"),
            Self::UnknownNode { index, node, known } => write!(
                f,
                "fault #{} names node `{node}`, which this topology does not have (it has: {})",
                index + 1,
                known.join(", ")
            ),
            Self::BadCommand { index, message } => write!(f, "command #{} {message}", index + 1),
            Self::UnknownCentre { index, centre, known } if known.is_empty() => write!(
                f,
                "centre event #{} names `{centre}`, but only the `sites` topology has data centres",
                index + 1
            ),
            Self::UnknownCentre { index, centre, known } => write!(
                f,
                "centre event #{} names `{centre}`, which is not a data centre here (they are: {})",
                index + 1,
                known.join(", ")
            ),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// The node ids a scenario's topology has.
pub fn topology_node_names(s: &Scenario) -> Vec<String> {
    match s.topology.kind {
        TopologyKind::Slice => node_names(s.topology.app_servers, s.switches.session_store),
        TopologyKind::Full => FULL_NODES.iter().map(|s| s.to_string()).collect(),
        TopologyKind::Sites => SITE_NODES.iter().map(|s| s.to_string()).collect(),
    }
}

/// The node ids a topology with `app_servers` servers has (with the Redis
/// session store, also the Redis master, its replica and three sentinels).
pub fn node_names(app_servers: u16, session_store: SessionStoreKind) -> Vec<String> {
    let mut names: Vec<String> = FIXED_NODES.iter().map(|s| s.to_string()).collect();
    names.extend((1..=app_servers).map(|i| format!("app-{i}")));
    if session_store == SessionStoreKind::Redis {
        names.extend(REDIS_NODES.iter().map(|s| s.to_string()));
    }
    names
}

/// Parses and validates a scenario from JSON text.
pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(ScenarioError::TooLarge { bytes: text.len() });
    }
    // Read the version first, so an old or future file gets the right message
    // rather than a complaint about some field it does not know.
    if let Ok(probe) = serde_json::from_str::<serde_json::Value>(text)
        && let Some(found) = probe.get("version").and_then(|v| v.as_u64())
        && found != u64::from(FORMAT_VERSION)
    {
        return Err(ScenarioError::WrongVersion { found: found.min(u64::from(u32::MAX)) as u32 });
    }
    let scenario: Scenario = serde_json::from_str(text).map_err(|e| ScenarioError::Malformed {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    check(&scenario)?;
    Ok(scenario)
}

fn out_of_range(field: &str, message: String) -> ScenarioError {
    ScenarioError::OutOfRange { field: field.to_string(), message }
}

fn check_centres(s: &Scenario) -> Result<(), ScenarioError> {
    if s.centres.len() > MAX_FAULTS {
        return Err(out_of_range("centres", format!("may hold at most {MAX_FAULTS} entries")));
    }
    let known: Vec<String> = match s.topology.kind {
        TopologyKind::Sites => CENTRES.iter().map(|c| c.0.to_string()).collect(),
        _ => Vec::new(),
    };
    for (index, event) in s.centres.iter().enumerate() {
        if !known.contains(&event.centre) {
            return Err(ScenarioError::UnknownCentre { index, centre: event.centre.clone(), known });
        }
        if event.at_ms > s.duration_ms {
            let why = format!("is {} ms, after the run ends at {} ms", event.at_ms, s.duration_ms);
            return Err(out_of_range(&format!("centres[{index}].at_ms"), why));
        }
    }
    Ok(())
}

fn check_load(s: &Scenario) -> Result<(), ScenarioError> {
    if s.load.len() > MAX_FAULTS {
        return Err(out_of_range("load", format!("may hold at most {MAX_FAULTS} entries")));
    }
    let capacity = s.topology.surge_capacity.max(s.topology.shoppers);
    for (index, change) in s.load.iter().enumerate() {
        if change.at_ms > s.duration_ms {
            let field = format!("load[{index}].at_ms");
            return Err(out_of_range(
                &field,
                format!("is {} ms, after the run ends at {} ms", change.at_ms, s.duration_ms),
            ));
        }
        if change.shoppers > capacity {
            let field = format!("load[{index}].shoppers");
            let why = format!(
                "is {}, more than the crowd can hold ({capacity}; raise topology.surge_capacity)",
                change.shoppers
            );
            return Err(out_of_range(&field, why));
        }
    }
    Ok(())
}

/// Checks a parsed scenario's values.
pub fn check(s: &Scenario) -> Result<(), ScenarioError> {
    if s.version != FORMAT_VERSION {
        return Err(ScenarioError::WrongVersion { found: s.version });
    }
    if s.duration_ms == 0 || s.duration_ms > MAX_DURATION_MS {
        return Err(out_of_range("duration_ms", format!("must be from 1 to {MAX_DURATION_MS} (one day)")));
    }
    if s.topology.shoppers > MAX_SHOPPERS {
        return Err(out_of_range("topology.shoppers", format!("must be at most {MAX_SHOPPERS}")));
    }
    if !(1..=MAX_APP_SERVERS).contains(&s.topology.app_servers) {
        return Err(out_of_range("topology.app_servers", format!("must be from 1 to {MAX_APP_SERVERS}")));
    }
    if s.topology.surge_capacity > MAX_SHOPPERS {
        return Err(out_of_range("topology.surge_capacity", format!("must be at most {MAX_SHOPPERS}")));
    }
    check_load(s)?;
    if s.faults.len() > MAX_FAULTS {
        return Err(out_of_range("faults", format!("may hold at most {MAX_FAULTS} entries")));
    }
    check_centres(s)?;
    super::validate_commands::check_commands(s)?;
    let known = topology_node_names(s);
    for (index, fault) in s.faults.iter().enumerate() {
        if !known.contains(&fault.node) {
            return Err(ScenarioError::UnknownNode { index, node: fault.node.clone(), known });
        }
        if fault.at_ms > s.duration_ms {
            let field = format!("faults[{index}].at_ms");
            return Err(out_of_range(
                &field,
                format!("is {} ms, after the run ends at {} ms", fault.at_ms, s.duration_ms),
            ));
        }
        if fault.extra_ms.is_some_and(|ms| ms > 60_000) {
            return Err(out_of_range(&format!("faults[{index}].extra_ms"), "must be at most 60000".to_string()));
        }
    }
    Ok(())
}
