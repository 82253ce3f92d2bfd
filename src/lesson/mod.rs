//! Guided lessons: each lesson is data — a scenario, steps, checks and text
//! in Simplified Chinese and English — never a code path.
//!
//! Owns the lesson file format (`format`), the closed check language and
//! what it reads (`check`, `probe`, `rows`), a reader's progress through a lesson
//! (`progress`), validation with errors naming lesson and place
//! (`validate`), and the lessons themselves: `lessons/NN-<id>.json`, built
//! into the binary with `include_str!`. Pure: no yew, web-sys, js-sys, gloo
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

/// The lesson files, in order: file name and text.
pub const FILES: [(&str, &str); 15] = [
    ("01-xiaoming-buys-a-keyboard", include_str!("../../lessons/01-xiaoming-buys-a-keyboard.json")),
    ("02-double-11", include_str!("../../lessons/02-double-11.json")),
    ("03-balancing-algorithms", include_str!("../../lessons/03-balancing-algorithms.json")),
    ("04-the-balancer-fails", include_str!("../../lessons/04-the-balancer-fails.json")),
    ("05-failover-loses-the-session", include_str!("../../lessons/05-failover-loses-the-session.json")),
    ("06-caching", include_str!("../../lessons/06-caching.json")),
    ("07-dns-load-balancing", include_str!("../../lessons/07-dns-load-balancing.json")),
    ("08-the-gateway", include_str!("../../lessons/08-the-gateway.json")),
    ("09-registry-and-rpc", include_str!("../../lessons/09-registry-and-rpc.json")),
    ("10-notification-by-message-queue", include_str!("../../lessons/10-notification-by-message-queue.json")),
    ("11-overselling-and-the-lock", include_str!("../../lessons/11-overselling-and-the-lock.json")),
    ("12-two-phase-commit", include_str!("../../lessons/12-two-phase-commit.json")),
    ("13-sharding", include_str!("../../lessons/13-sharding.json")),
    ("14-master-fails", include_str!("../../lessons/14-master-fails.json")),
    ("15-two-sites-three-centres", include_str!("../../lessons/15-two-sites-three-centres.json")),
];

/// Every lesson file, parsed (a file that does not parse is left out; the
/// lesson tests require that none is).
pub fn all() -> &'static [Lesson] {
    static LESSONS: OnceLock<Vec<Lesson>> = OnceLock::new();
    LESSONS.get_or_init(|| {
        let mut lessons: Vec<Lesson> =
            FILES.iter().filter_map(|(name, text)| validate::parse(name, text).ok()).collect();
        lessons.sort_by_key(|l| l.number);
        lessons
    })
}

/// The lesson with this id.
pub fn by_id(id: &str) -> Option<&'static Lesson> {
    all().iter().find(|l| l.id == id)
}

/// Every lesson id, in order (for messages about an unknown one).
pub fn ids() -> Vec<&'static str> {
    all().iter().map(|l| l.id.as_str()).collect()
}
