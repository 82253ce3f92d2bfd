//! The link form of a shared run: a URL fragment `#run=1.<payload>`.
//!
//! Owns the fragment's syntax — `run=`, the format version, a dot, then the
//! payload: base64url (unpadded) of compact JSON `{"scenario", "at_ms",
//! "speed", "lesson"?}` in which the scenario leaves out every field equal to
//! its default (an empty name, the default topology and design switches, empty
//! lists) — and decoding it with a check at each step: size first, then the
//! version, base64, UTF-8, JSON shape, and the ranges of `super::check`. Not
//! compressed: a free play with 30 actions fits in about 3 KB, and a
//! decompressor would cost more wasm than it saves. Never panics on any text.

use super::error::excerpt;
use super::{FORMAT_VERSION, Form, LessonPlace, MAX_LINK_BYTES, ShareError, SharedRun, base64url, check};
use crate::scenario::Scenario;
use crate::scenario::format::{FORMAT_VERSION as SCENARIO_VERSION, TopologySpec};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a link's payload holds.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    scenario: Scenario,
    at_ms: f64,
    speed: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lesson: Option<LessonPlace>,
}

/// Fields a scenario must always carry (they have no default).
const REQUIRED: [&str; 3] = ["version", "seed", "duration_ms"];

/// A scenario with every field at its default, as JSON.
fn default_scenario() -> Value {
    let empty = Scenario {
        version: SCENARIO_VERSION,
        name: String::new(),
        seed: 0,
        duration_ms: 0,
        topology: TopologySpec::default(),
        switches: Default::default(),
        faults: Vec::new(),
        load: Vec::new(),
        centres: Vec::new(),
        commands: Vec::new(),
    };
    serde_json::to_value(empty).unwrap_or(Value::Null)
}

/// Removes from `value` each field equal to the same field of `defaults`
/// (recursing into objects), except `keep`.
fn strip_defaults(value: &mut Map<String, Value>, defaults: &Value, keep: &[&str]) {
    value.retain(|key, field| {
        let Some(default) = defaults.get(key) else { return true };
        if keep.contains(&key.as_str()) {
            return true;
        }
        if let (Value::Object(inner), Value::Object(_)) = (&mut *field, default) {
            strip_defaults(inner, default, &[]);
            return !inner.is_empty();
        }
        field != default
    });
}

/// The scenario as compact JSON: only what differs from the defaults.
pub fn compact_scenario(scenario: &Scenario) -> Value {
    let mut value = serde_json::to_value(scenario).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        strip_defaults(fields, &default_scenario(), &REQUIRED);
    }
    value
}

/// The fragment (with its `#`) that reproduces `run`.
pub fn encode_link(run: &SharedRun) -> String {
    let mut body = Map::new();
    body.insert("scenario".into(), compact_scenario(&run.scenario));
    body.insert("at_ms".into(), Value::from(run.at_ms));
    body.insert("speed".into(), Value::from(run.speed));
    if let Some(lesson) = &run.lesson {
        body.insert("lesson".into(), serde_json::to_value(lesson).unwrap_or(Value::Null));
    }
    let json = Value::Object(body).to_string();
    format!("#run={FORMAT_VERSION}.{}", base64url::encode(json.as_bytes()))
}

/// The run a link (a whole URL, or its fragment with or without `#`) carries.
pub fn decode_link(text: &str) -> Result<SharedRun, ShareError> {
    if text.len() > MAX_LINK_BYTES {
        return Err(ShareError::TooLarge { form: Form::Link, bytes: text.len() });
    }
    let fragment = text.split_once('#').map_or(text, |(_, after)| after).trim();
    if fragment.is_empty() {
        return Err(ShareError::Empty(Form::Link));
    }
    let Some(rest) = fragment.strip_prefix("run=") else {
        return Err(ShareError::NotARunLink { shown: excerpt(fragment, 24) });
    };
    let (version, payload) = rest.split_once('.').unwrap_or((rest, ""));
    if version != FORMAT_VERSION.to_string() {
        return Err(ShareError::WrongVersion { form: Form::Link, found: format!("\"{}\"", excerpt(version, 12)) });
    }
    if payload.is_empty() {
        return Err(ShareError::Truncated(Form::Link));
    }
    let bytes = base64url::decode(payload).map_err(|e| match e {
        base64url::Base64Error::BadCharacter { at } => ShareError::NotBase64 { at },
        base64url::Base64Error::BadLength => ShareError::Truncated(Form::Link),
    })?;
    let json = String::from_utf8(bytes).map_err(|_| ShareError::NotText)?;
    let malformed = |e: serde_json::Error| {
        if e.is_eof() {
            ShareError::Truncated(Form::Link)
        } else {
            ShareError::Malformed { form: Form::Link, message: excerpt(&e.to_string(), 160) }
        }
    };
    let value: Value = serde_json::from_str(&json).map_err(malformed)?;
    let body: LinkBody = serde_json::from_value(value).map_err(malformed)?;
    let run = SharedRun { scenario: body.scenario, at_ms: body.at_ms, speed: body.speed, lesson: body.lesson };
    check(&run, Form::Link)?;
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_default_scenario_is_compacted_to_its_required_fields() {
        let text = r#"{"version": 1, "seed": 0, "duration_ms": 5000}"#;
        let scenario = crate::scenario::parse(text).unwrap();
        assert_eq!(compact_scenario(&scenario).to_string(), r#"{"duration_ms":5000,"seed":0,"version":1}"#);
        let mut other = scenario.clone();
        other.topology.app_servers = 3;
        other.switches = other.switches.with("lock", "off").unwrap();
        let compact = compact_scenario(&other).to_string();
        assert!(compact.contains(r#""topology":{"app_servers":3}"#), "{compact}");
        assert!(compact.contains(r#""switches":{"lock":"off"}"#), "{compact}");
        let back: Scenario = serde_json::from_str(&compact).unwrap();
        assert_eq!(back, other);
    }
}
