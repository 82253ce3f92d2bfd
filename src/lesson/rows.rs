//! The `rows` check: counting the rows of a list a node's inspector shows
//! that pass every one of a few tests ("some route of product 100 went to
//! shard 1", "more than two machines in service").
//!
//! Owns `RowTest` — its file shape (`{"field", "equals"}`, `{"field", "op",
//! "value"}`, `{"field", "since": "step-began"}`) with a clear message for a
//! test that is none of these — how a row is read against it, and `count`.
//! A row's field is a dotted path into the row, read as `probe` reads a
//! node's field (a list counts its entries as a number and joins them as a
//! text). Never changes the model; no IO, no wall clock.

use super::check::Op;
use super::probe;
use crate::cluster::Cluster;
use crate::sim::TimeUs;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The only moment a row's time can be compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Since {
    StepBegan,
}

/// One test a row must pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRowTest", into = "RawRowTest")]
pub enum RowTest {
    /// The field as text equals this (`"shards": "1"`, `"state": "in-service"`).
    Text { field: String, equals: String },
    /// The field as a number compared with this (`"key" == 100`).
    Number { field: String, op: Op, value: i64 },
    /// The field is a virtual time in µs (`atUs`) no earlier than the step's start.
    SinceStepBegan { field: String },
}

impl RowTest {
    pub fn field(&self) -> &str {
        match self {
            Self::Text { field, .. } | Self::Number { field, .. } | Self::SinceStepBegan { field } => field,
        }
    }

    fn passes(&self, row: &Value, step_began_us: TimeUs) -> bool {
        let Ok(value) = probe::walk(row.clone(), self.field()) else { return false };
        match self {
            Self::Text { equals, .. } => probe::as_text(&value) == *equals,
            Self::Number { op, value: right, .. } => {
                probe::as_number(&value).is_some_and(|left| op.holds(left, *right))
            }
            Self::SinceStepBegan { .. } => {
                probe::as_number(&value).is_some_and(|at| at >= 0 && at as TimeUs >= step_began_us)
            }
        }
    }
}

/// A row test as written in a lesson file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRowTest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    equals: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    op: Option<Op>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    since: Option<Since>,
}

const SHAPES: &str = "a row test is {\"field\", \"equals\": text}, {\"field\", \"op\", \"value\": number} \
                      or {\"field\", \"since\": \"step-began\"}";

impl TryFrom<RawRowTest> for RowTest {
    type Error = String;

    fn try_from(raw: RawRowTest) -> Result<Self, String> {
        let Some(field) = raw.field.filter(|f| !f.trim().is_empty()) else {
            return Err(format!("a row test needs a `field`; {SHAPES}"));
        };
        match (raw.equals, raw.op, raw.value, raw.since) {
            (Some(equals), None, None, None) => Ok(Self::Text { field, equals }),
            (None, Some(op), Some(value), None) => Ok(Self::Number { field, op, value }),
            (None, None, None, Some(Since::StepBegan)) => Ok(Self::SinceStepBegan { field }),
            _ => Err(format!("the row test of `{field}` is not one of the three shapes; {SHAPES}")),
        }
    }
}

impl From<RowTest> for RawRowTest {
    fn from(test: RowTest) -> Self {
        match test {
            RowTest::Text { field, equals } => Self { field: Some(field), equals: Some(equals), ..Self::default() },
            RowTest::Number { field, op, value } => {
                Self { field: Some(field), op: Some(op), value: Some(value), ..Self::default() }
            }
            RowTest::SinceStepBegan { field } => {
                Self { field: Some(field), since: Some(Since::StepBegan), ..Self::default() }
            }
        }
    }
}

/// The rows of `list` (a dotted path into `node`'s inspector details), or
/// why they cannot be read: no such node or field, or not a list.
pub fn rows(cluster: &Cluster, node: &str, list: &str) -> Result<Vec<Value>, String> {
    match probe::field_value(cluster, node, list)? {
        Value::Array(rows) => Ok(rows),
        Value::Null => Ok(Vec::new()),
        _ => Err(format!("`{list}` of `{node}` is not a list of rows")),
    }
}

/// How many rows of `list` pass every test now (`None`: the list cannot be read).
pub fn count(cluster: &Cluster, node: &str, list: &str, tests: &[RowTest], step_began_us: TimeUs) -> Option<i64> {
    let rows = rows(cluster, node, list).ok()?;
    Some(rows.iter().filter(|row| tests.iter().all(|t| t.passes(row, step_began_us))).count() as i64)
}

/// Checks what can be checked before the run: the list is a list, and where
/// it already has rows, each test's field is one of theirs.
pub fn validate(cluster: &Cluster, node: &str, list: &str, tests: &[RowTest], count: i64) -> Result<(), String> {
    if count < 0 {
        return Err(format!("a count of rows cannot be negative ({count})"));
    }
    let rows = rows(cluster, node, list)?;
    let Some(first) = rows.first() else { return Ok(()) };
    for test in tests {
        probe::walk(first.clone(), test.field()).map_err(|(part, known)| {
            format!("the rows of `{list}` of `{node}` have no field `{part}` (they have {known})")
        })?;
    }
    Ok(())
}
