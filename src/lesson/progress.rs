//! Where a reader is in a lesson: a small state machine over its steps.
//!
//! Owns `LessonProgress` — the current step, whether its check has passed,
//! the baseline captured when the step began — and `advance`, which looks at
//! the model once (cheap: one check, a few node fields) and reports the
//! moment a step is done; `next_step` moves on when the reader asks. Also
//! resolves a step's expected act into what to do now (`Todo`), for the
//! scripted reader and the "show me" button. Never changes the model itself.

use super::check::World;
use super::format::{Act, Lesson, Step};
use super::probe::Baseline;
use crate::cluster::Cluster;
use crate::cluster::command::{Command, NodeAction};
use crate::scenario::Recording;

/// A step's check has just passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepDone {
    /// Its index (0-based).
    pub step: usize,
    /// It was the lesson's last step.
    pub last: bool,
}

/// An expected act made concrete for the model as it is now.
#[derive(Clone, Debug, PartialEq)]
pub enum Todo {
    Command(Command),
    ReplayWith { switch: String, value: String },
    Wait { ms: u64 },
}

/// A reader's progress through one lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonProgress {
    pub lesson: Lesson,
    /// The current step (0-based).
    pub step: usize,
    /// Whether the current step's check has passed.
    pub done: bool,
    baseline: Baseline,
}

impl LessonProgress {
    /// The lesson's first step, beginning now on `cluster`.
    pub fn start(lesson: Lesson, cluster: &Cluster, recording: &Recording) -> Self {
        let baseline = match lesson.steps.first() {
            Some(step) => Baseline::capture(&step.check, cluster, recording),
            None => Baseline::default(),
        };
        let done = lesson.steps.is_empty();
        Self { lesson, step: 0, done, baseline }
    }

    /// The step the reader is on.
    pub fn current(&self) -> Option<&Step> {
        self.lesson.steps.get(self.step)
    }

    /// Every step is done.
    pub fn finished(&self) -> bool {
        self.done && self.step + 1 >= self.lesson.steps.len()
    }

    /// What the step remembers from its start.
    pub fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    /// Looks at the model: `Some` at the moment the current step's check
    /// passes (once per step), `None` otherwise.
    pub fn advance(&mut self, cluster: &Cluster, recording: &Recording) -> Option<StepDone> {
        if self.done {
            return None;
        }
        self.baseline.note_xiaoming(cluster);
        let step = self.lesson.steps.get(self.step)?;
        let world = World { cluster, recording, baseline: &self.baseline };
        if !step.check.passes(&world) {
            return None;
        }
        self.done = true;
        Some(StepDone { step: self.step, last: self.step + 1 == self.lesson.steps.len() })
    }

    /// The check's leaves with what each reads now (for messages and hints).
    pub fn explain(&self, cluster: &Cluster, recording: &Recording) -> Vec<String> {
        let world = World { cluster, recording, baseline: &self.baseline };
        self.current().map(|s| s.check.explain(&world)).unwrap_or_default()
    }

    /// Moves to the next step once the current one is done; its baseline is
    /// the model now. False (nothing changes) if not done or at the end.
    pub fn next_step(&mut self, cluster: &Cluster, recording: &Recording) -> bool {
        if !self.done || self.step + 1 >= self.lesson.steps.len() {
            return false;
        }
        self.step += 1;
        self.done = false;
        self.baseline = Baseline::capture(&self.lesson.steps[self.step].check, cluster, recording);
        true
    }

    /// Whether now is the moment the current step's act waits for (always,
    /// for a step without `when`).
    pub fn moment_to_act(&self, cluster: &Cluster, recording: &Recording) -> bool {
        let Some(when) = self.current().and_then(|s| s.when.as_ref()) else { return true };
        when.passes(&World { cluster, recording, baseline: &self.baseline })
    }

    /// The current step's expected act, made concrete for the model now
    /// (`None` when Xiaoming has no server to crash yet).
    pub fn todo(&self, cluster: &Cluster) -> Option<Todo> {
        todo(&self.current()?.act, cluster)
    }
}

/// An act made concrete for `cluster` as it is now.
pub fn todo(act: &Act, cluster: &Cluster) -> Option<Todo> {
    Some(match act {
        Act::Do(command) => Todo::Command(command.clone()),
        Act::CrashXiaomingsServer => {
            let server = cluster.xiaoming_server()?;
            Todo::Command(Command::Node { node: cluster.sim.name(server).to_string(), action: NodeAction::Crash })
        }
        Act::ReplayWith { switch, value } => Todo::ReplayWith { switch: switch.clone(), value: value.clone() },
        Act::Wait { ms } => Todo::Wait { ms: *ms },
    })
}
