//! Guided lessons: each lesson is data — a scenario, steps, checks and text
//! in Simplified Chinese and English — never a code path.
//!
//! Owns the lesson file format (`format`), the closed check language and
//! what it reads (`check`, `probe`, `rows`), a reader's progress through a lesson
//! (`progress`), validation with errors naming lesson and place
//! (`validate`), and the lessons themselves: `lessons/NN-<id>.json`, built
//! into the native binary with `include_str!`; in WebAssembly the page
//! fetches them and hands their text to `install`. Pure: no yew, web-sys, js-sys, gloo
//! or wasm-bindgen, no wall clock, no hashed collections; the UI and the
//! tests drive it with a `Cluster` and a `Recording` of their own.

pub mod check;
pub mod format;
pub mod probe;
pub mod progress;
pub mod rows;
pub mod validate;

pub use check::{Check, Op, Quantity};
pub use format::{Act, Lesson, MISCONCEPTIONS, Step, Text};
pub use progress::{LessonProgress, StepDone, Todo};
pub use rows::RowTest;
pub use validate::LessonError;

use std::sync::OnceLock;

data_files!(
    "lessons",
    NAMES,
    FILES,
    [
        "01-xiaoming-buys-a-keyboard",
        "02-double-11",
        "03-balancing-algorithms",
        "04-the-balancer-fails",
        "05-failover-loses-the-session",
        "06-caching",
        "07-dns-load-balancing",
        "08-the-gateway",
        "09-registry-and-rpc",
        "10-notification-by-message-queue",
        "11-overselling-and-the-lock",
        "12-two-phase-commit",
        "13-sharding",
        "14-master-fails",
        "15-two-sites-three-centres",
    ]
);

/// Where the page finds lesson file `name`, relative to itself.
pub fn path(name: &str) -> String {
    format!("lessons/{name}.json")
}

static LESSONS: OnceLock<Vec<Lesson>> = OnceLock::new();

#[cfg(not(target_arch = "wasm32"))]
fn parse_all<'a>(files: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Lesson> {
    let mut lessons: Vec<Lesson> = files.filter_map(|(name, text)| validate::parse(name, text).ok()).collect();
    lessons.sort_by_key(|l| l.number);
    lessons
}

/// Makes `files` (name and text, as fetched) the lessons; a file that does
/// not parse is left out. Lessons already in stay. The page reads each file
/// through `serde_json::Value`, as the share decoders read scenarios, so its
/// binary holds one deserializer per lesson type, not two (`validate::parse`,
/// natively, reads the text directly for errors with line and column).
pub fn install(files: &[(String, String)]) {
    let read = |text: &str| serde_json::from_str(text).and_then(serde_json::from_value::<Lesson>).ok();
    let mut lessons: Vec<Lesson> = files.iter().filter_map(|(_, text)| read(text)).collect();
    lessons.sort_by_key(|l| l.number);
    let _ = LESSONS.set(lessons);
}

/// Whether the lessons are in (always, natively).
pub fn loaded() -> bool {
    !cfg!(target_arch = "wasm32") || LESSONS.get().is_some()
}

/// Every lesson file, parsed (a file that does not parse is left out; the
/// lesson tests require that none is). None yet in the page until `install`.
pub fn all() -> &'static [Lesson] {
    #[cfg(not(target_arch = "wasm32"))]
    return LESSONS.get_or_init(|| parse_all(FILES.into_iter()));
    #[cfg(target_arch = "wasm32")]
    return LESSONS.get().map_or(&[], Vec::as_slice);
}

/// The lesson with this id.
pub fn by_id(id: &str) -> Option<&'static Lesson> {
    all().iter().find(|l| l.id == id)
}

/// Every lesson id, in order (for messages about an unknown one).
pub fn ids() -> Vec<&'static str> {
    all().iter().map(|l| l.id.as_str()).collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// The page's way of reading a lesson (through a `Value`) gives the same
    /// lesson as the native one, for every lesson file.
    #[test]
    fn read_through_a_value_the_lessons_are_the_same() {
        for (name, text) in FILES {
            let direct = validate::parse(name, text).expect(name);
            let value: serde_json::Value = serde_json::from_str(text).expect(name);
            assert_eq!(serde_json::from_value::<Lesson>(value).expect(name), direct, "{name}");
        }
    }
}
