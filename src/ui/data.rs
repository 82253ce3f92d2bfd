//! The page's data files, fetched from its own origin at start: the two
//! message catalogs, the lessons and the built-in scenarios.
//!
//! Owns the fetching (by a path relative to the page: `index.html` has trunk
//! copy the files into `dist/` and preloads the catalogs; the sets the page
//! mounts with first, every other set one task after the first render, each
//! set's files in parallel), handing each
//! text to its pure store (`i18n::install`, `lesson::install`,
//! `share::builtin::install`), running what waits for a set of files once it
//! is in (the app mounts when the chosen language's catalog is in, and the
//! lessons or scenarios if the URL names one), telling the app when another
//! set arrives, and the words needed before any catalog is in: the
//! `data-error="data"` message when a file cannot be fetched, in both
//! languages at once, built in. Never parses a file itself; keeps the data out of
//! the WebAssembly binary.

use crate::i18n::{self, Lang};
use crate::lesson;
use crate::share::builtin;
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// A set of files fetched and installed together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Catalog(Lang),
    Lessons,
    Scenarios,
}

impl Part {
    pub const ALL: [Part; 4] = [Part::Catalog(Lang::En), Part::Catalog(Lang::Zh), Part::Lessons, Part::Scenarios];

    /// Each file of the set: its name for the store, and its path.
    fn files(self) -> Vec<(String, String)> {
        match self {
            Part::Catalog(lang) => vec![(lang.code().to_string(), i18n::catalog_path(lang).to_string())],
            Part::Lessons => lesson::NAMES.iter().map(|&n| (n.to_string(), lesson::path(n))).collect(),
            Part::Scenarios => builtin::ids().map(|id| (id.to_string(), builtin::path(id))).collect(),
        }
    }

    /// What the set is, in English and Chinese.
    fn words(self) -> [&'static str; 2] {
        match self {
            Part::Catalog(_) => ["its text", "界面文字"],
            Part::Lessons => ["the lessons", "课程"],
            Part::Scenarios => ["the built-in scenarios", "内置场景"],
        }
    }
}

/// What runs once a set of parts is settled.
type Then = Box<dyn FnOnce(Result<(), String>)>;
type Waiter = (Vec<Part>, Then);

/// What has arrived or failed, and who waits.
#[derive(Default)]
struct Loader {
    started: Vec<Part>,
    arrived: Vec<Part>,
    failed: Vec<(Part, String)>,
    waiters: Vec<Waiter>,
    on_arrival: Option<Box<dyn Fn()>>,
}

impl Loader {
    fn settled(&self, part: Part) -> bool {
        self.arrived.contains(&part) || self.failed.iter().any(|(p, _)| *p == part)
    }

    /// All of `parts` are in, or why one is not.
    fn outcome(&self, parts: &[Part]) -> Result<(), String> {
        match self.failed.iter().find(|(p, _)| parts.contains(p)) {
            Some((_, why)) => Err(why.clone()),
            None => Ok(()),
        }
    }
}

thread_local! {
    static LOADER: RefCell<Loader> = RefCell::new(Loader::default());
}

/// Starts fetching `parts` (those not started yet), each set's files at once.
pub fn fetch_parts(parts: &[Part]) {
    for &part in parts {
        let new = LOADER.with(|l| {
            let mut l = l.borrow_mut();
            let new = !l.started.contains(&part);
            if new {
                l.started.push(part);
            }
            new
        });
        if new {
            fetch(part);
        }
    }
}

/// Starts fetching every set not started yet, one task from now (the app
/// calls it once its diagram answers clicks): its two dozen requests then
/// hold up neither the files the page mounts with nor the first render.
pub fn fetch_the_rest_soon() {
    super::next_task::soon(|| fetch_parts(&Part::ALL));
}

/// Runs `then` once every one of `parts` has arrived or failed (at once if
/// they have), with the first failure's message if one did.
pub fn when_settled(parts: Vec<Part>, then: impl FnOnce(Result<(), String>) + 'static) {
    let ready = LOADER.with(|l| {
        let l = l.borrow();
        parts.iter().all(|&p| l.settled(p)).then(|| l.outcome(&parts))
    });
    match ready {
        Some(outcome) => then(outcome),
        None => LOADER.with(|l| l.borrow_mut().waiters.push((parts, Box::new(then)))),
    }
}

/// Calls `f` whenever another set of files arrives (the app draws again).
pub fn on_arrival(f: impl Fn() + 'static) {
    LOADER.with(|l| l.borrow_mut().on_arrival = Some(Box::new(f)));
}

/// How many sets have arrived (a prop that changes when one does).
pub fn arrivals() -> usize {
    LOADER.with(|l| l.borrow().arrived.len())
}

fn fetch(part: Part) {
    let started: Vec<_> = part.files().into_iter().map(|(name, path)| (name, start(&path), path)).collect();
    wasm_bindgen_futures::spawn_local(async move {
        let mut texts = Vec::with_capacity(started.len());
        let mut outcome = Ok(());
        for (name, promise, path) in started {
            match read(promise).await {
                Ok(text) => texts.push((name, text)),
                Err(why) => {
                    outcome = Err(format!("{path}: {why}"));
                    break;
                }
            }
        }
        settle(part, outcome.and_then(|()| install(part, texts)));
    });
}

fn install(part: Part, texts: Vec<(String, String)>) -> Result<(), String> {
    match part {
        Part::Catalog(lang) => {
            let text = texts.first().map_or("", |(_, text)| text.as_str());
            i18n::install(lang, text).map_err(|why| format!("{}: {why}", i18n::catalog_path(lang)))
        }
        Part::Lessons => {
            lesson::install(&texts);
            Ok(())
        }
        Part::Scenarios => {
            builtin::install(texts);
            Ok(())
        }
    }
}

/// Records the outcome, shows a failure, runs the waiters now satisfied and
/// tells the app.
fn settle(part: Part, outcome: Result<(), String>) {
    if let Err(why) = &outcome {
        show_failure(part, why);
    }
    let ready: Vec<(Then, Result<(), String>)> = LOADER.with(|l| {
        let mut l = l.borrow_mut();
        match outcome {
            Ok(()) => l.arrived.push(part),
            Err(why) => l.failed.push((part, why)),
        }
        let waiters = std::mem::take(&mut l.waiters);
        let (ready, waiting): (Vec<_>, Vec<_>) =
            waiters.into_iter().partition(|(parts, _)| parts.iter().all(|&p| l.settled(p)));
        l.waiters = waiting;
        ready.into_iter().map(|(parts, then)| (then, l.outcome(&parts))).collect()
    });
    for (then, outcome) in ready {
        then(outcome);
    }
    let notify = LOADER.with(|l| l.borrow_mut().on_arrival.take());
    if let Some(f) = notify {
        f();
        LOADER.with(|l| {
            l.borrow_mut().on_arrival.get_or_insert(f);
        });
    }
}

/// Starts one request (a relative path: the page's own origin).
fn start(path: &str) -> Result<js_sys::Promise, String> {
    web_sys::window().map(|w| w.fetch_with_str(path)).ok_or_else(|| "no window".to_string())
}

/// The text of a started request, or why there is none.
async fn read(promise: Result<js_sys::Promise, String>) -> Result<String, String> {
    let response: web_sys::Response = JsFuture::from(promise?).await.map_err(describe)?.dyn_into().map_err(describe)?;
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(describe)?).await.map_err(describe)?;
    text.as_string().ok_or_else(|| "not text".to_string())
}

fn describe(error: JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(e) => String::from(e.message()),
        None => error.as_string().unwrap_or_else(|| "the request failed".to_string()),
    }
}

/// The message about a set that could not be fetched, in English and Chinese.
pub fn failure_texts(part: Part, why: &str) -> [String; 2] {
    let [en, zh] = part.words();
    [
        format!("ClusterLab could not load {en} ({why}). Check the connection and reload the page."),
        format!("集群实验室无法加载{zh}（{why}）。请检查网络连接，然后刷新页面。"),
    ]
}

/// Shows the failure above the page (`data-error="data"`, `role="alert"`),
/// in both languages (the toggle may never come: a catalog may be missing).
fn show_failure(part: Part, why: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(note) = document.create_element("p") else { return };
    note.set_class_name("input-error");
    let _ = note.set_attribute("role", "alert");
    let _ = note.set_attribute("data-error", "data");
    for (text, tag) in failure_texts(part, why).iter().zip([Lang::En, Lang::Zh].map(Lang::tag)) {
        let Ok(span) = document.create_element("span") else { return };
        let _ = span.set_attribute("lang", tag);
        span.set_text_content(Some(&format!("{text} ")));
        let _ = note.append_child(&span);
    }
    if let Some(body) = document.body() {
        let _ = body.prepend_with_node_1(&note);
    }
}
