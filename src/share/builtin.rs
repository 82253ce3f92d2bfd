//! The built-in scenarios: the files of `scenarios/`, compiled in.
//!
//! Owns the list of scenarios a page can load by id (`?scenario=<id>`, the
//! share panel's "Load a scenario"): each id is its file's stem, each text the
//! file as written. Never decides whether the page can draw a scenario's
//! topology (the UI does); a test checks the list matches the folder.

use super::{Form, ShareError, SharedRun};

/// Every built-in scenario: id (the file stem) and text, by id.
pub const BUILT_IN: [(&str, &str); 6] = [
    ("centre-fails", include_str!("../../scenarios/centre-fails.json")),
    ("city-fails", include_str!("../../scenarios/city-fails.json")),
    ("crash-xiaomings-server", include_str!("../../scenarios/crash-xiaomings-server.json")),
    ("double-11", include_str!("../../scenarios/double-11.json")),
    ("flash-sale-without-lock", include_str!("../../scenarios/flash-sale-without-lock.json")),
    ("redis-session-store-down", include_str!("../../scenarios/redis-session-store-down.json")),
];

/// The ids, in order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    BUILT_IN.iter().map(|&(id, _)| id)
}

/// The built-in scenario `id` from its start, if there is one.
pub fn load(id: &str) -> Option<Result<SharedRun, ShareError>> {
    let &(_, text) = BUILT_IN.iter().find(|&&(known, _)| known == id)?;
    let value =
        serde_json::from_str(text).map_err(|e| ShareError::Malformed { form: Form::File, message: e.to_string() });
    Some(value.and_then(|v| super::scenario_of(v, Form::File)).map(SharedRun::from_start))
}
