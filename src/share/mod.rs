//! Sharing a run: everything needed to reproduce it, as a link or a file.
//!
//! Owns `SharedRun` (the scenario so far — seed, topology, design, faults and
//! the reader's recorded commands — plus where the sharer was in virtual time,
//! the speed and the lesson place), its two written forms (`link`: a compact,
//! versioned URL fragment `#run=1.<base64url>`; `file`: pretty JSON with a
//! `"clusterlab": "run"` kind, which also accepts a plain scenario file), the
//! limits and range checks every decoder applies, and the built-in scenarios
//! (`builtin`). Pure: no DOM, no wall clock, no hashed collection; decoding
//! never panics, whatever the input.

pub mod base64url;
pub mod builtin;
pub mod error;
pub mod file;
pub mod link;

pub use error::{Form, ShareError};
pub use file::{from_file, to_file};
pub use link::{decode_link, encode_link};

use crate::scenario::{Scenario, validate};
use serde::{Deserialize, Serialize};

/// The version of the link and run-file formats this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Longest link (or fragment) accepted, in bytes.
pub const MAX_LINK_BYTES: usize = 16 * 1024;
/// Largest run or scenario file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 256 * 1024;
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 1000.0;
/// The speed a plain scenario file loads at (the page's default).
pub const DEFAULT_SPEED: f64 = 0.2;
/// Longest lesson id carried.
pub const MAX_LESSON_ID_CHARS: usize = 64;

/// A lesson and the step of it the sharer was on (carried as data: the
/// lessons decide what it means).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonPlace {
    pub id: String,
    pub step: u16,
}

/// A run as the sharer had it: replaying `scenario` to `at_ms` reproduces it.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedRun {
    /// The scenario so far: the starting scenario with the reader's commands.
    pub scenario: Scenario,
    /// The sharer's virtual time, in milliseconds to the microsecond (as a
    /// scenario command's `at_ms`): the loader fast-forwards there and pauses.
    pub at_ms: f64,
    /// Virtual seconds per wall second.
    pub speed: f64,
    pub lesson: Option<LessonPlace>,
}

impl SharedRun {
    /// A scenario from its start, at the default speed (the teacher's case).
    pub fn from_start(scenario: Scenario) -> Self {
        Self { scenario, at_ms: 0.0, speed: DEFAULT_SPEED, lesson: None }
    }

    /// The sharer's virtual time in microseconds (as `ScheduledCommand::due_us`).
    pub fn at_us(&self) -> u64 {
        (self.at_ms * 1000.0).round().max(0.0) as u64
    }
}

/// `at_us` as the `at_ms` a `SharedRun` carries.
pub fn at_ms_of(at_us: u64) -> f64 {
    at_us as f64 / 1000.0
}

/// A scenario from JSON data: the version first (its own message), then the
/// shape, then `scenario::validate::check`. Every decoder here parses text
/// into a `serde_json::Value` and reads its types from that: one serde path
/// per type keeps the page's wasm about 20 KB smaller than also reading them
/// straight from text, at the price of shape errors without a line number
/// (syntax errors keep theirs).
pub fn scenario_of(value: serde_json::Value, form: Form) -> Result<Scenario, ShareError> {
    use crate::scenario::ScenarioError;
    if let Some(found) = value.get("version").and_then(serde_json::Value::as_u64)
        && found != u64::from(crate::scenario::format::FORMAT_VERSION)
    {
        let error = ScenarioError::WrongVersion { found: found.min(u64::from(u32::MAX)) as u32 };
        return Err(ShareError::Scenario { form, error });
    }
    let scenario: Scenario = serde_json::from_value(value)
        .map_err(|e| ShareError::Malformed { form, message: error::excerpt(&e.to_string(), 160) })?;
    validate::check(&scenario).map_err(|error| ShareError::Scenario { form, error })?;
    Ok(scenario)
}

/// Checks everything a decoded run carries: the scenario (as `scenario::parse`
/// does), the speed, the time and the lesson place.
pub fn check(run: &SharedRun, form: Form) -> Result<(), ShareError> {
    validate::check(&run.scenario).map_err(|error| ShareError::Scenario { form, error })?;
    let out_of_range = |field, message: String| ShareError::OutOfRange { form, field, message };
    if !(run.speed.is_finite() && (MIN_SPEED..=MAX_SPEED).contains(&run.speed)) {
        return Err(out_of_range("speed", format!("is {}; it must be from {MIN_SPEED} to {MAX_SPEED}", run.speed)));
    }
    let end_ms = run.scenario.duration_ms as f64;
    if !(run.at_ms.is_finite() && (0.0..=end_ms).contains(&run.at_ms)) {
        let why = format!("is {} ms; it must be from 0 to the run's end at {end_ms} ms", run.at_ms);
        return Err(out_of_range("at_ms", why));
    }
    if let Some(lesson) = &run.lesson {
        let fine = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        let chars = lesson.id.chars().count();
        if !(1..=MAX_LESSON_ID_CHARS).contains(&chars) || !lesson.id.chars().all(fine) {
            let why = format!(
                "id \"{}\" is not a lesson id (1 to {MAX_LESSON_ID_CHARS} letters, digits, - or _)",
                error::excerpt(&lesson.id, 24)
            );
            return Err(out_of_range("lesson", why));
        }
    }
    Ok(())
}
