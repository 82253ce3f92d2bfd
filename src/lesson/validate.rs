//! Checking a lesson file before anyone plays it, with errors that say where.
//!
//! Owns `parse` and `check`: the version, the id's form, both languages of
//! every text, the misconception numbers, the scenario (through the scenario
//! validator), and every name a step uses — nodes, fields, metrics,
//! invariants and witnesses, switches and their values, states — looked up in
//! the cluster the lesson's scenario builds (and the one each replay builds).
//! No IO: callers pass text in.

use super::check::{Check, Quantity};
use super::format::{Act, LESSON_VERSION, Lesson};
use super::{probe, rows};
use crate::cluster::Cluster;
use crate::cluster::command::Command;
use crate::cluster::design::Design;
use crate::scenario::{Scenario, report, validate as scenario_validate};
use crate::sim::{PropertyKind, VisibleState};
use std::fmt;

/// Why a lesson file cannot be used: which lesson, where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    pub lesson: String,
    pub at: String,
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lesson `{}`, {}: {}", self.lesson, self.at, self.message)
    }
}

impl std::error::Error for LessonError {}

const STATES: [VisibleState; 5] =
    [VisibleState::Up, VisibleState::Crashed, VisibleState::Paused, VisibleState::Slow, VisibleState::Partitioned];

/// Parses a lesson file (`name` is used in errors until its id is known).
pub fn parse(name: &str, text: &str) -> Result<Lesson, LessonError> {
    let lesson: Lesson = serde_json::from_str(text).map_err(|e| LessonError {
        lesson: name.to_string(),
        at: format!("line {}, column {}", e.line(), e.column()),
        message: e.to_string(),
    })?;
    Ok(lesson)
}

/// Checks a parsed lesson against the clusters its scenario builds.
pub fn check(lesson: &Lesson) -> Result<(), LessonError> {
    let err = |at: &str, message: String| LessonError { lesson: lesson.id.clone(), at: at.to_string(), message };
    if lesson.version != LESSON_VERSION {
        return Err(err("version", format!("is {}, this build reads {LESSON_VERSION}", lesson.version)));
    }
    let kebab = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if lesson.id.is_empty() || !lesson.id.chars().all(kebab) {
        return Err(err("id", "must be non-empty kebab-case (a-z, 0-9, -)".into()));
    }
    if !(1..=99).contains(&lesson.number) {
        return Err(err("number", "must be from 1 to 99".into()));
    }
    if let Some(m) = lesson.misconceptions.iter().find(|m| !(1..=10).contains(*m)) {
        return Err(err("misconceptions", format!("{m} is not a misconception of fidelity.md (1–10)")));
    }
    for (at, text) in lesson.texts() {
        if text.en.trim().is_empty() || text.zh.trim().is_empty() {
            return Err(err(&at, "needs both `en` and `zh` text".into()));
        }
    }
    if lesson.steps.is_empty() {
        return Err(err("steps", "a lesson needs at least one step".into()));
    }
    scenario_validate::check(&lesson.scenario).map_err(|e| err("scenario", e.to_string()))?;
    let clusters = clusters_of(lesson).map_err(|m| err("steps", m))?;
    for (i, step) in lesson.steps.iter().enumerate() {
        if !(1..=600_000).contains(&step.within_ms) {
            return Err(err(&format!("steps[{i}].within_ms"), "must be from 1 to 600000".into()));
        }
        check_act(&step.act, &clusters).map_err(|m| err(&format!("steps[{i}].act"), m))?;
        for leaf in step.check.walk() {
            check_leaf(leaf, &clusters).map_err(|m| err(&format!("steps[{i}].check"), m))?;
        }
        for leaf in step.when.iter().flat_map(Check::walk) {
            check_leaf(leaf, &clusters).map_err(|m| err(&format!("steps[{i}].when"), m))?;
        }
    }
    Ok(())
}

/// The cluster the lesson starts with, then one per replay its steps ask for.
fn clusters_of(lesson: &Lesson) -> Result<Vec<Cluster>, String> {
    let mut scenario: Scenario = lesson.scenario.clone();
    let mut clusters = vec![report::build(&scenario)];
    for step in &lesson.steps {
        if let Act::ReplayWith { switch, value } = &step.act {
            scenario.switches = scenario.switches.with(switch, value).map_err(|e| e.to_string())?;
            clusters.push(report::build(&scenario));
        }
    }
    Ok(clusters)
}

fn node_known(clusters: &[Cluster], node: &str) -> Result<(), String> {
    if clusters.iter().any(|c| c.sim.id_of(node).is_some()) {
        return Ok(());
    }
    let c = &clusters[0];
    let known: Vec<&str> = c.node_ids().map(|id| c.sim.name(id)).collect();
    Err(format!("there is no node `{node}` in this lesson's cluster (it has {})", known.join(", ")))
}

fn switch_known(switch: &str, value: &str) -> Result<(), String> {
    match Design::values(switch) {
        None => Err(format!("there is no switch `{switch}` (they are {})", Design::SWITCHES.join(", "))),
        Some(values) if !values.contains(&value) => {
            Err(format!("`{value}` is not a value of `{switch}` (it can be {})", values.join(", ")))
        }
        Some(_) => Ok(()),
    }
}

fn check_act(act: &Act, clusters: &[Cluster]) -> Result<(), String> {
    match act {
        Act::Do(command) => check_command(command, clusters),
        Act::ReplayWith { switch, value } => switch_known(switch, value),
        Act::Wait { ms } if *ms == 0 => Err("a wait needs some time (ms > 0)".into()),
        Act::Wait { .. } | Act::CrashXiaomingsServer => Ok(()),
    }
}

fn check_command(command: &Command, clusters: &[Cluster]) -> Result<(), String> {
    match command {
        Command::Node { node, .. } => node_known(clusters, node),
        Command::SetSwitch { switch, value } => switch_known(switch, value),
        _ => Ok(()),
    }
}

fn check_property(clusters: &[Cluster], name: &str, kind: PropertyKind) -> Result<(), String> {
    let c = &clusters[0];
    match c.sim.properties().verdict(name) {
        Some(v) if v.kind == kind => Ok(()),
        Some(_) => Err(format!("`{name}` is not a {kind:?} property")),
        None => {
            let names: Vec<&str> =
                c.sim.properties().verdicts().iter().filter(|v| v.kind == kind).map(|v| v.name).collect();
            Err(format!("there is no {kind:?} property `{name}` here (there are {})", names.join(", ")))
        }
    }
}

fn check_quantity(of: &Quantity, clusters: &[Cluster]) -> Result<(), String> {
    match of {
        Quantity::Metric { metric } if clusters.iter().any(|c| probe::known_metric(c, metric)) => Ok(()),
        Quantity::Metric { metric } => Err(format!("there is no metric `{metric}`")),
        Quantity::Field { node, field } => check_field(clusters, node, field, true),
    }
}

fn check_field(clusters: &[Cluster], node: &str, field: &str, numeric: bool) -> Result<(), String> {
    node_known(clusters, node)?;
    let c = clusters.iter().find(|c| c.sim.id_of(node).is_some()).expect("checked above");
    let value = probe::field_value(c, node, field)?;
    if numeric && (value.is_object() || value.as_str().is_some_and(|s| s.parse::<i64>().is_err())) {
        return Err(format!("`{field}` of `{node}` is not a number, a yes/no or a list"));
    }
    Ok(())
}

fn check_leaf(leaf: &Check, clusters: &[Cluster]) -> Result<(), String> {
    match leaf {
        Check::Value { of, .. } | Check::Rose { of, .. } | Check::Unchanged { of } => check_quantity(of, clusters),
        Check::Compare { of, to, .. } => check_quantity(of, clusters).and_then(|()| check_quantity(to, clusters)),
        Check::State { node, state } => {
            node_known(clusters, node)?;
            if STATES.iter().any(|s| s.as_str() == state) {
                Ok(())
            } else {
                Err(format!("`{state}` is not a state (up, crashed, paused, slow, partitioned)"))
            }
        }
        Check::Text { node, field, .. } | Check::TextChanged { node, field } => {
            check_field(clusters, node, field, false)
        }
        Check::Rows { node, list, tests, count, .. } => {
            node_known(clusters, node)?;
            let c = clusters.iter().find(|c| c.sim.id_of(node).is_some()).expect("checked above");
            rows::validate(c, node, list, tests, *count)
        }
        Check::Holds { property } | Check::Broken { property } => {
            check_property(clusters, property, PropertyKind::Always)
        }
        Check::Seen { property } => check_property(clusters, property, PropertyKind::Sometimes),
        Check::Switch { switch, value } | Check::StartedWith { switch, value } => switch_known(switch, value),
        Check::Did { command } => check_command(command, clusters),
        Check::All { all: list } | Check::Any { any: list } if list.is_empty() => {
            Err("`all` and `any` need at least one check".into())
        }
        _ => Ok(()),
    }
}
