//! The file form of a shared run, and loading a plain scenario file.
//!
//! Owns the run file: pretty JSON `{"clusterlab": "run", "version": 1,
//! "at_ms", "speed", "lesson"?, "scenario": {…}}` with the scenario written in
//! full so a teacher can read and edit it; and `from_file`, which reads either
//! a run file or a scenario file as in `scenarios/*.json` (a teacher's
//! scenario, loaded from its start). Size is checked before parsing, the kind
//! and version before the shape, then the ranges of `super::check`. Never
//! panics on any text.

use super::error::excerpt;
use super::{FORMAT_VERSION, Form, LessonPlace, MAX_FILE_BYTES, ShareError, SharedRun, check};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The kind a run file names in its `"clusterlab"` field.
pub const RUN_KIND: &str = "run";

/// What a run file holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunFile {
    clusterlab: String,
    version: u32,
    at_ms: f64,
    speed: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lesson: Option<LessonPlace>,
    scenario: Scenario,
}

/// `run` as a run file's text.
pub fn to_file(run: &SharedRun) -> String {
    let file = RunFile {
        clusterlab: RUN_KIND.to_string(),
        version: FORMAT_VERSION,
        at_ms: run.at_ms,
        speed: run.speed,
        lesson: run.lesson.clone(),
        scenario: run.scenario.clone(),
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

fn malformed(e: &serde_json::Error) -> ShareError {
    if e.is_eof() {
        ShareError::Truncated(Form::File)
    } else {
        ShareError::Malformed { form: Form::File, message: excerpt(&e.to_string(), 160) }
    }
}

/// The run a run file carries, or a scenario file's scenario from its start.
pub fn from_file(text: &str) -> Result<SharedRun, ShareError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(ShareError::TooLarge { form: Form::File, bytes: text.len() });
    }
    if text.trim().is_empty() {
        return Err(ShareError::Empty(Form::File));
    }
    let value: Value = serde_json::from_str(text).map_err(|e| malformed(&e))?;
    let Some(kind) = value.get("clusterlab") else {
        // No kind: a scenario file (its version checked first, as `scenario::parse` does).
        return super::scenario_of(value, Form::File).map(SharedRun::from_start);
    };
    if kind.as_str() != Some(RUN_KIND) {
        let found = kind.as_str().map_or_else(|| kind.to_string(), str::to_string);
        return Err(ShareError::WrongKind { found: excerpt(&found, 24) });
    }
    let version = value.get("version");
    if version.and_then(Value::as_u64) != Some(u64::from(FORMAT_VERSION)) {
        let found = version.map_or_else(|| "(none given)".to_string(), Value::to_string);
        return Err(ShareError::WrongVersion { form: Form::File, found: excerpt(&found, 12) });
    }
    let file: RunFile = serde_json::from_value(value).map_err(|e| malformed(&e))?;
    let run = SharedRun { scenario: file.scenario, at_ms: file.at_ms, speed: file.speed, lesson: file.lesson };
    check(&run, Form::File)?;
    Ok(run)
}
