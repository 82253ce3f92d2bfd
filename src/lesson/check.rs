//! The lessons' checks: a small closed predicate language over the model.
//!
//! Owns `Check` (what a step waits for), `Quantity` (a headline metric or a
//! number a node's inspector shows), the `Baseline` captured when a step
//! begins (so "rose since the step began" and "the reader did it during this
//! step" can be said), and their evaluation over a `Cluster` and the
//! `Recording` of the run (the `rows` check's tests are `rows`'). A check that reads a node or metric the cluster
//! lacks is simply false (validation catches it first). Never changes the
//! model; no IO, no wall clock, no hashed collections.

use super::probe::{self, Baseline};
use super::rows::{self, RowTest};
use crate::cluster::Cluster;
use crate::cluster::command::{Command, NodeAction};
use crate::scenario::Recording;
use crate::sim::MS;
use serde::{Deserialize, Serialize};

/// A number the model shows: a headline metric (`data-metric`) or a field of
/// a node's inspector (`depth` of `mq`, `vip.holdsVip` of `lb-south-2`;
/// a list counts its entries, a yes/no is 1/0, nothing is 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum Quantity {
    Metric { metric: String },
    Field { node: String, field: String },
}

impl Quantity {
    /// The key under which its value at the step's start is kept.
    pub fn key(&self) -> String {
        match self {
            Self::Metric { metric } => format!("metric:{metric}"),
            Self::Field { node, field } => format!("{node}.{field}"),
        }
    }
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "==")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
}

impl Op {
    pub fn holds(self, left: i64, right: i64) -> bool {
        match self {
            Self::Eq => left == right,
            Self::Ne => left != right,
            Self::Lt => left < right,
            Self::Le => left <= right,
            Self::Gt => left > right,
            Self::Ge => left >= right,
        }
    }
}

/// What a step waits for. Checks of what the reader did (`did`,
/// `crashed-xiaomings-server`, `started-with`) are meant to be combined with
/// checks of what it did to the shop (`rose`, `broken`, `state`) under `all`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "check", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Check {
    /// `of` compared with a number, now.
    Value {
        of: Quantity,
        op: Op,
        value: i64,
    },
    /// `of` compared with another quantity `to`, now (a master's binlog
    /// ahead of its replica's).
    Compare {
        of: Quantity,
        op: Op,
        to: Quantity,
    },
    /// `of` is at least `by` above its value when the step began.
    Rose {
        of: Quantity,
        by: u64,
    },
    /// `of` has not moved since the step began.
    Unchanged {
        of: Quantity,
    },
    /// A node's `data-state` (`up`, `crashed`, `paused`, `slow`, `partitioned`).
    State {
        node: String,
        state: String,
    },
    /// A text a node's inspector shows equals `equals` (a list: its entries
    /// joined by commas; nothing: the empty text).
    Text {
        node: String,
        field: String,
        equals: String,
    },
    /// That text has changed since the step began.
    TextChanged {
        node: String,
        field: String,
    },
    /// How many rows of a list a node's inspector shows (`routes` of
    /// `mycat`, `machines` of `autoscaler`) pass every test of `where`,
    /// compared with `count`: "some route of ID 100 went to shard 1 since
    /// the step began" is `>=` 1.
    Rows {
        node: String,
        list: String,
        #[serde(rename = "where", default)]
        tests: Vec<RowTest>,
        op: Op,
        count: i64,
    },
    /// An `always` invariant holds so far in this run.
    Holds {
        property: String,
    },
    /// An `always` invariant has broken in this run.
    Broken {
        property: String,
    },
    /// A `sometimes` witness has been reached in this run.
    Seen {
        property: String,
    },
    /// A design switch has this value now.
    Switch {
        switch: String,
        value: String,
    },
    /// The run started with this switch value (it was replayed with it).
    StartedWith {
        switch: String,
        value: String,
    },
    /// The reader gave this command during this step.
    Did {
        command: Command,
    },
    /// The reader crashed the app server holding Xiaoming's session during this step.
    CrashedXiaomingsServer,
    /// The run's virtual clock has reached `ms`.
    TimeAtLeast {
        ms: u64,
    },
    /// At least `ms` of virtual time passed since the step began.
    Elapsed {
        ms: u64,
    },
    /// The clock is at least `ms` past the reader's last recorded command: in
    /// a replay, the reader's acts have been done again and had time to tell.
    AfterReaderActs {
        ms: u64,
    },
    All {
        all: Vec<Check>,
    },
    Any {
        any: Vec<Check>,
    },
    Not {
        not: Box<Check>,
    },
}

/// What a check reads: the model now, the run's record, the step's start.
pub struct World<'a> {
    pub cluster: &'a Cluster,
    pub recording: &'a Recording,
    pub baseline: &'a Baseline,
}

impl World<'_> {
    fn commands_this_step(&self) -> &[crate::scenario::ScheduledCommand] {
        self.recording.journal().get(self.baseline.journal_len..).unwrap_or(&[])
    }
}

impl Check {
    /// Whether the check passes now.
    pub fn passes(&self, w: &World<'_>) -> bool {
        let c = w.cluster;
        match self {
            Self::Value { of, op, value } => probe::number(c, of).is_some_and(|v| op.holds(v, *value)),
            Self::Compare { of, op, to } => match (probe::number(c, of), probe::number(c, to)) {
                (Some(left), Some(right)) => op.holds(left, right),
                _ => false,
            },
            Self::Rose { of, by } => match (probe::number(c, of), w.baseline.numbers.get(&of.key())) {
                (Some(now), Some(&then)) => now.saturating_sub(then) >= *by as i64,
                _ => false,
            },
            Self::Unchanged { of } => {
                probe::number(c, of).is_some_and(|v| w.baseline.numbers.get(&of.key()) == Some(&v))
            }
            Self::State { node, state } => {
                c.sim.id_of(node).is_some_and(|id| c.visible_state(id).as_str() == state.as_str())
            }
            Self::Text { node, field, equals } => probe::text(c, node, field).is_some_and(|t| t == *equals),
            Self::TextChanged { node, field } => {
                let key = format!("{node}.{field}");
                probe::text(c, node, field).is_some_and(|t| w.baseline.texts.get(&key) != Some(&t))
            }
            Self::Rows { node, list, tests, op, count } => {
                rows::count(c, node, list, tests, w.baseline.at_us).is_some_and(|n| op.holds(n, *count))
            }
            Self::Holds { property } => verdict(c, property).is_some_and(|holds| holds),
            Self::Broken { property } => verdict(c, property).is_some_and(|holds| !holds),
            Self::Seen { property } => verdict(c, property).is_some_and(|holds| holds),
            Self::Switch { switch, value } => c.design.get(switch).as_deref() == Some(value.as_str()),
            Self::StartedWith { switch, value } => {
                w.recording.scenario().switches.get(switch).as_deref() == Some(value.as_str())
            }
            Self::Did { command } => w.commands_this_step().iter().any(|s| s.command == *command),
            Self::CrashedXiaomingsServer => w.commands_this_step().iter().any(|s| match &s.command {
                Command::Node { node, action: NodeAction::Crash } => w.baseline.xiaoming_servers.contains(node),
                _ => false,
            }),
            Self::TimeAtLeast { ms } => c.sim.now_us() >= ms * MS,
            Self::Elapsed { ms } => c.sim.now_us().saturating_sub(w.baseline.at_us) >= ms * MS,
            Self::AfterReaderActs { ms } => {
                w.recording.journal().last().is_some_and(|last| c.sim.now_us() >= last.due_us() + ms * MS)
            }
            Self::All { all } => all.iter().all(|x| x.passes(w)),
            Self::Any { any } => any.iter().any(|x| x.passes(w)),
            Self::Not { not } => !not.passes(w),
        }
    }

    /// The check's leaves, each with whether it passes and what it read:
    /// for failure messages and the lesson panel's "waiting for" hint.
    pub fn explain(&self, w: &World<'_>) -> Vec<String> {
        match self {
            Self::All { all } => all.iter().flat_map(|x| x.explain(w)).collect(),
            Self::Any { any } => {
                vec![format!("any of [{}]", any.iter().flat_map(|x| x.explain(w)).collect::<Vec<_>>().join("; "))]
            }
            Self::Not { not } => vec![format!("not [{}]", not.explain(w).join("; "))],
            leaf => {
                let mark = if leaf.passes(w) { "✓" } else { "✗" };
                let read = match leaf {
                    Self::Value { of, .. } | Self::Rose { of, .. } | Self::Unchanged { of } => {
                        let then = w.baseline.numbers.get(&of.key()).map(|v| format!(", at step start {v}"));
                        format!(" (now {:?}{})", probe::number(w.cluster, of), then.unwrap_or_default())
                    }
                    Self::Compare { of, to, .. } => {
                        format!(" (now {:?} vs {:?})", probe::number(w.cluster, of), probe::number(w.cluster, to))
                    }
                    Self::Text { node, field, .. } | Self::TextChanged { node, field } => {
                        format!(" (now {:?})", probe::text(w.cluster, node, field))
                    }
                    Self::Rows { node, list, tests, .. } => {
                        let n = rows::count(w.cluster, node, list, tests, w.baseline.at_us);
                        format!(" (now {n:?} of {:?} rows)", rows::rows(w.cluster, node, list).map(|r| r.len()))
                    }
                    _ => String::new(),
                };
                vec![format!("{mark} {}{read}", serde_json::to_string(leaf).unwrap_or_default())]
            }
        }
    }

    /// Every check in this tree, itself first.
    pub fn walk(&self) -> Vec<&Check> {
        let mut out = vec![self];
        match self {
            Self::All { all: list } | Self::Any { any: list } => list.iter().for_each(|x| out.extend(x.walk())),
            Self::Not { not } => out.extend(not.walk()),
            _ => {}
        }
        out
    }
}

fn verdict(c: &Cluster, property: &str) -> Option<bool> {
    c.sim.properties().verdict(property).map(|v| v.holds)
}
