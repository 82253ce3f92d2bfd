//! The lesson file format, version 1: a lesson is data, never a code path.
//!
//! Owns the serde shape of `lessons/NN-<id>.json`: the lesson's id, number,
//! bilingual title, goal and misconception text, the fidelity misconceptions
//! it exposes (by number, 1–10), the scenario it starts from, and its steps —
//! each an instruction, the reader's expected act (what the scripted reader
//! and the "show me" button do), a check over the model, how long the effect
//! may take, and the explanation shown once the check passes. Unknown fields
//! are errors. Never runs anything: `check` evaluates, `progress` drives.

use super::check::Check;
use crate::cluster::command::Command;
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// The only lesson format version this build reads.
pub const LESSON_VERSION: u32 = 1;

/// How long a step waits for its effect unless it says otherwise.
pub const DEFAULT_WITHIN_MS: u64 = 30_000;

/// Text in both languages of the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub en: String,
    pub zh: String,
}

impl Text {
    /// The text in Simplified Chinese when `zh`, else in English.
    pub fn pick(&self, zh: bool) -> &str {
        if zh { &self.zh } else { &self.en }
    }
}

/// What the reader is expected to do in a step: what the scripted reader
/// performs and what "show me" does for the reader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Act {
    /// Any command of the running shop (crash a node, a switch, a surge …).
    Do(Command),
    /// Crash the app server that holds Xiaoming's session, whichever it is.
    CrashXiaomingsServer,
    /// Rebuild the same run from 0 s with one starting switch changed.
    ReplayWith { switch: String, value: String },
    /// Only let time run (watch what happens): at least `ms` of virtual time.
    Wait { ms: u64 },
}

/// One step of a lesson.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the reader is asked to do.
    pub instruction: Text,
    pub act: Act,
    /// The moment to act, if it matters (a crash mid-transaction): the
    /// scripted reader and "show me" run the model event by event until this
    /// holds, then act; the instruction tells the reader what to wait for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Check>,
    /// Passes only once the reader has done it and its effect is visible.
    pub check: Check,
    /// Virtual time the effect may take after the act (the scripted reader's
    /// bound, and how long the "skipped" run waits in vain).
    #[serde(default = "default_within")]
    pub within_ms: u64,
    /// Shown after the check passes: what just happened and why.
    pub explanation: Text,
}

fn default_within() -> u64 {
    DEFAULT_WITHIN_MS
}

/// A whole lesson.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    pub version: u32,
    /// The `?lesson=` and `data-lesson` id (kebab-case).
    pub id: String,
    /// Its place in the list (1–15).
    pub number: u32,
    pub title: Text,
    pub goal: Text,
    /// The fidelity.md misconceptions it exposes (1–10).
    pub misconceptions: Vec<u8>,
    /// The misconception in the reader's words.
    pub misconception: Text,
    pub scenario: Scenario,
    pub steps: Vec<Step>,
}

impl Lesson {
    /// Every text of the lesson with a name saying where it is.
    pub fn texts(&self) -> Vec<(String, &Text)> {
        let mut out = vec![
            ("title".to_string(), &self.title),
            ("goal".to_string(), &self.goal),
            ("misconception".to_string(), &self.misconception),
        ];
        for (i, step) in self.steps.iter().enumerate() {
            out.push((format!("steps[{i}].instruction"), &step.instruction));
            out.push((format!("steps[{i}].explanation"), &step.explanation));
        }
        out
    }
}

/// The fidelity.md misconceptions, by number, in a few words (for lists and tests).
pub const MISCONCEPTIONS: [(u8, &str, &str); 10] = [
    (1, "A ZooKeeper lock is not mutual exclusion without fencing", "没有 fencing 令牌，ZooKeeper 锁并不能保证互斥"),
    (2, "Two-phase commit is atomic but blocks", "两阶段提交是原子的，但会阻塞"),
    (3, "Semi-sync falls back to async after 10 s", "半同步复制 10 秒收不到确认就退回异步"),
    (4, "Async failover loses acknowledged writes", "异步复制下主从切换会丢失已确认的写入"),
    (5, "Sticky sessions are not high availability", "会话粘滞不等于高可用"),
    (6, "DNS failover is slow (caches)", "DNS 故障切换很慢（各级缓存）"),
    (7, "A timeout is an unknown outcome", "超时意味着结果未知"),
    (8, "At-least-once is not exactly-once", "至少一次不等于恰好一次"),
    (9, "no-cache means revalidate, not do not cache", "no-cache 的意思是先验证再用，而不是不缓存"),
    (10, "Missed heartbeats do not mean dead (GC pause, partition)", "心跳丢失不等于节点已死（GC 停顿、网络分区）"),
];
