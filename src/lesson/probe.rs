//! Reading the numbers and texts a lesson's checks compare, and the step's baseline.
//!
//! Owns how a `Quantity` or a node field is read off the model — a headline
//! metric through `Cluster::metric`, a field through the node's own part of
//! the snapshot (the inspector's data, serialised, walked by a dotted path)
//! — and `Baseline`, what a step remembers from its start. Never changes the
//! model.

use super::check::{Check, Quantity};
use crate::cluster::Cluster;
use crate::scenario::Recording;
use crate::sim::TimeUs;
use serde_json::Value;
use std::collections::BTreeMap;

/// Metrics computed from histograms or the stock tables rather than counted.
pub const DERIVED_METRICS: [&str; 3] = ["latency-p50-ms", "latency-p99-ms", "oversold"];

/// What a step remembers from the moment it began.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    pub at_us: TimeUs,
    /// The reader's commands before the step: those after are the step's.
    pub journal_len: usize,
    /// Each quantity the step's check compares with its start, by key.
    pub numbers: BTreeMap<String, i64>,
    /// Each text the step's check watches for a change, by `node.field`.
    pub texts: BTreeMap<String, String>,
    /// App servers that held Xiaoming's session while the step ran.
    pub xiaoming_servers: Vec<String>,
}

impl Baseline {
    /// The start of a step whose check is `check`.
    pub fn capture(check: &Check, cluster: &Cluster, recording: &Recording) -> Self {
        let mut base = Self { at_us: cluster.sim.now_us(), journal_len: recording.journal().len(), ..Self::default() };
        for leaf in check.walk() {
            match leaf {
                Check::Rose { of, .. } | Check::Unchanged { of } => {
                    if let Some(v) = number(cluster, of) {
                        base.numbers.insert(of.key(), v);
                    }
                }
                Check::TextChanged { node, field } => {
                    let text = text(cluster, node, field).unwrap_or_default();
                    base.texts.insert(format!("{node}.{field}"), text);
                }
                _ => {}
            }
        }
        base.note_xiaoming(cluster);
        base
    }

    /// Remembers the server holding Xiaoming's session now (called on every look).
    pub fn note_xiaoming(&mut self, cluster: &Cluster) {
        if let Some(id) = cluster.xiaoming_server() {
            let name = cluster.sim.name(id);
            if !self.xiaoming_servers.iter().any(|s| s == name) {
                self.xiaoming_servers.push(name.to_string());
            }
        }
    }
}

/// A quantity's value now, or `None` when the cluster does not show it.
pub fn number(cluster: &Cluster, of: &Quantity) -> Option<i64> {
    match of {
        Quantity::Metric { metric } => known_metric(cluster, metric).then(|| cluster.metric(metric) as i64),
        Quantity::Field { node, field } => field_value(cluster, node, field).ok().and_then(|v| as_number(&v)),
    }
}

/// A field's text now (a list joined by commas, nothing as "").
pub fn text(cluster: &Cluster, node: &str, field: &str) -> Option<String> {
    field_value(cluster, node, field).ok().map(|v| as_text(&v))
}

/// Whether the cluster counts a metric of this name.
pub fn known_metric(cluster: &Cluster, metric: &str) -> bool {
    DERIVED_METRICS.contains(&metric) || cluster.sim.metrics().counters().any(|(name, _)| name == metric)
}

/// A node's field by dotted path: `state` is its `data-state`, anything else
/// is read from its inspector's details (`follow.sessionOn`, `vip.holdsVip`,
/// `entries.0.version`).
pub fn field_value(cluster: &Cluster, node: &str, field: &str) -> Result<Value, String> {
    let id = cluster.sim.id_of(node).ok_or_else(|| format!("there is no node `{node}`"))?;
    let snapshot = cluster.node_snapshot(id);
    if field == "state" {
        return Ok(Value::String(snapshot.state.to_string()));
    }
    let value = serde_json::to_value(&snapshot.detail).map_err(|e| e.to_string())?;
    walk(value, field)
        .map_err(|(part, known)| format!("node `{node}` shows no field `{part}` in `{field}`; it shows {known}"))
}

/// Follows a dotted path into a value (an index into a list, `null` beyond
/// its end). On a missing part: that part and the fields that were there.
pub fn walk(mut value: Value, path: &str) -> Result<Value, (String, String)> {
    for part in path.split('.') {
        let next = match &value {
            Value::Object(map) => map.get(part).cloned(),
            Value::Array(list) => part.parse::<usize>().ok().and_then(|i| list.get(i).cloned()).or(Some(Value::Null)),
            Value::Null => Some(Value::Null),
            _ => None,
        };
        value = next.ok_or_else(|| {
            let known = match &value {
                Value::Object(map) => map.keys().cloned().collect::<Vec<_>>().join(", "),
                _ => "nothing (not an object)".to_string(),
            };
            (part.to_string(), known)
        })?;
    }
    Ok(value)
}

pub fn as_number(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_u64().map(|u| u.min(i64::MAX as u64) as i64)),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Array(list) => Some(list.len() as i64),
        Value::Null => Some(0),
        Value::String(s) => s.parse().ok(),
        Value::Object(_) => None,
    }
}

pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(list) => list.iter().map(as_text).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}
