//! The built-in scenarios: the files of `scenarios/`, compiled in natively;
//! in WebAssembly the page fetches them and hands their text to `install`.
//!
//! Owns the list of scenarios a page can load by id (`?scenario=<id>`, the
//! share panel's "Load a scenario"): each id is its file's stem, each text the
//! file as written. Never decides whether the page can draw a scenario's
//! topology (the UI does); a test checks the list matches the folder.

use super::{Form, ShareError, SharedRun};

data_files!(
    "scenarios",
    IDS,
    BUILT_IN,
    [
        "centre-fails",
        "city-fails",
        "crash-xiaomings-server",
        "double-11",
        "flash-sale-without-lock",
        "redis-session-store-down",
    ]
);

/// Where the page finds scenario `id`, relative to itself.
pub fn path(id: &str) -> String {
    format!("scenarios/{id}.json")
}

static INSTALLED: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();

/// Makes `files` (id and text, as fetched) the built-in scenarios' text in
/// the page; what is in stays (natively the compiled-in text is read).
pub fn install(files: Vec<(String, String)>) {
    let _ = INSTALLED.set(files);
}

/// Whether the scenarios' text is in (always, natively).
pub fn loaded() -> bool {
    #[cfg(target_arch = "wasm32")]
    return INSTALLED.get().is_some();
    #[cfg(not(target_arch = "wasm32"))]
    return true;
}

/// The ids, in order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    IDS.into_iter()
}

/// The text of built-in scenario `id`, if it is one (and, in the page, in).
fn text_of(id: &str) -> Option<&'static str> {
    #[cfg(not(target_arch = "wasm32"))]
    return BUILT_IN.iter().find(|&&(known, _)| known == id).map(|&(_, text)| text);
    #[cfg(target_arch = "wasm32")]
    return INSTALLED.get()?.iter().find(|(known, _)| known == id).map(|(_, text)| text.as_str());
}

/// The built-in scenario `id` from its start, if there is one.
pub fn load(id: &str) -> Option<Result<SharedRun, ShareError>> {
    let text = text_of(id)?;
    let value =
        serde_json::from_str(text).map_err(|e| ShareError::Malformed { form: Form::File, message: e.to_string() });
    Some(value.and_then(|v| super::scenario_of(v, Form::File)).map(SharedRun::from_start))
}
