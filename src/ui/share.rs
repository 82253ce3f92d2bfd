//! The share panel: the run as a link, as a file to download, a file to
//! upload, and the built-in scenarios to load.
//!
//! Owns the `data-control="share"` button (the link goes into the address bar
//! with `history.replaceState` and into a read-only field with a Copy
//! button), Download (a run file through a `Blob` and `<a download>`), Upload
//! (a run or scenario file read with `Blob.text()`; its size is checked before
//! reading), the "Load a scenario" list (`?scenario=<id>`), and the messages
//! under `data-error="share"`: a bad link or file changes nothing. Child:
//! `share/loading` (pure: which shared runs the page can draw, the run it
//! starts with, the `Playground` a `SharedRun` becomes), `share/words` (every
//! load error in the reader's language). Changes the model only by
//! dispatching `Action::LoadRun`.

use super::lang::use_lang;
use super::playground::Playground;
use super::state::Action;
use crate::i18n::{Lang, t, tf};
use crate::share::{self, Form, MAX_FILE_BYTES, MAX_LINK_BYTES, ShareError, SharedRun};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

mod loading;
mod words;
pub use loading::{LoadError, built_in, current_run, loadable_ids, page_can_load, playground_of, start_run};
pub use words::load_error;

/// The address of the page with `fragment`: what the reader copies.
pub fn link_url(fragment: &str) -> String {
    let path = web_sys::window().and_then(|w| {
        let l = w.location();
        Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
    });
    format!("{}{fragment}", path.unwrap_or_default())
}

/// The current run's link, if it fits in one.
pub fn share_link(pg: &Playground) -> Option<String> {
    let fragment = share::encode_link(&current_run(pg));
    (fragment.len() <= MAX_LINK_BYTES).then(|| link_url(&fragment))
}

/// A run file or scenario file's text as a run the page can load.
fn load_file(text: &str) -> Result<SharedRun, LoadError> {
    page_can_load(share::from_file(text)?)
}

/// What the share panel shows under its buttons.
#[derive(Clone, Debug, PartialEq)]
enum Note {
    None,
    Error(LoadError),
    Loaded(String),
}

#[derive(Properties)]
pub struct SharePanelProps {
    pub playground: Rc<RefCell<Playground>>,
    /// A bad link the page started with.
    pub start_error: Option<LoadError>,
    /// Data sets arrived so far (the scenario list re-renders when the scenarios do).
    #[prop_or_default]
    pub arrivals: usize,
    pub dispatch: Callback<Action>,
}

impl PartialEq for SharePanelProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.playground, &other.playground)
            && self.start_error == other.start_error
            && self.arrivals == other.arrivals
    }
}

/// A loaded run (or why not) and the address to show for it.
type Loaded = (Result<SharedRun, LoadError>, String);

#[function_component(SharePanel)]
pub fn share_panel(props: &SharePanelProps) -> Html {
    let l = use_lang();
    let start_error = props.start_error.clone();
    let note = use_state(move || start_error.map_or(Note::None, Note::Error));
    let link = use_state(|| None::<String>);
    let copied = use_state(|| None::<bool>);
    let on_share = share_callback(props.playground.clone(), note.clone(), link.clone(), copied.clone());
    let on_copy = {
        let (link, copied) = (link.clone(), copied.clone());
        Callback::from(move |_: MouseEvent| copied.set(Some(write_clipboard(link.as_deref().unwrap_or("")))))
    };
    let on_download = {
        let pg = props.playground.clone();
        Callback::from(move |_: MouseEvent| {
            let run = current_run(&pg.borrow());
            let name = format!("clusterlab-seed{}-{:.0}s.json", run.scenario.seed, run.at_ms / 1000.0);
            download(&name, &share::to_file(&run));
        })
    };
    let loaded = loaded_callback(props.dispatch.clone(), note.clone(), link.clone());
    let on_upload = upload_callback(loaded.clone());
    let on_pick = Callback::from(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        let id = select.value();
        select.set_value("");
        if !id.is_empty() {
            loaded.emit((built_in(&id), format!("?scenario={id}")));
        }
    });
    html! {
        <section class="share" aria-label={t(l, "share.title")}>
            <h2>{ t(l, "share.title") }</h2>
            <div class="share-row">
                <button type="button" data-control="share" title={t(l, "share.hint")} onclick={on_share}>{ t(l, "share.share") }</button>
                <button type="button" data-control="download" onclick={on_download}>{ t(l, "share.download") }</button>
            </div>
            if let Some(url) = &*link {
                <div class="share-row">
                    <input type="text" readonly=true class="share-link" data-share="link" aria-label={t(l, "share.link-label")}
                        value={url.clone()} onfocus={Callback::from(|e: FocusEvent| select_all(&e))} />
                    <button type="button" data-control="copy-link" onclick={on_copy}>
                        { if *copied == Some(true) { t(l, "share.copied") } else { t(l, "share.copy") } }
                    </button>
                </div>
                if *copied == Some(false) { <p class="quiet" role="status">{ t(l, "share.copy-failed") }</p> }
            }
            <label class="share-field">
                <span>{ t(l, "share.upload") }</span>
                <input type="file" accept=".json,application/json" data-control="upload" onchange={on_upload} />
            </label>
            <label class="share-field">
                <span>{ t(l, "share.load-scenario") }</span>
                <select data-control="load-scenario" onchange={on_pick}>
                    <option value="" selected=true>{ t(l, "share.pick") }</option>
                    { for loadable_ids().into_iter().map(|id| html! { <option value={id}>{ id }</option> }) }
                </select>
            </label>
            { note_view(l, &note) }
        </section>
    }
}

/// The share button: the link into the address bar and the field, or why not.
fn share_callback(
    pg: Rc<RefCell<Playground>>,
    note: UseStateHandle<Note>,
    link: UseStateHandle<Option<String>>,
    copied: UseStateHandle<Option<bool>>,
) -> Callback<MouseEvent> {
    Callback::from(move |_: MouseEvent| {
        let fragment = share::encode_link(&current_run(&pg.borrow()));
        copied.set(None);
        if fragment.len() > MAX_LINK_BYTES {
            link.set(None);
            note.set(Note::Error(LoadError::TooLongForLink { bytes: fragment.len() }));
            return;
        }
        replace_address(&fragment);
        link.set(Some(link_url(&fragment)));
        note.set(Note::None);
    })
}

/// A run to load: dispatched (with its address put in the address bar), or
/// its message shown and nothing changed.
fn loaded_callback(
    dispatch: Callback<Action>,
    note: UseStateHandle<Note>,
    link: UseStateHandle<Option<String>>,
) -> Callback<Loaded> {
    Callback::from(move |(result, address): Loaded| match result {
        Ok(run) => {
            let name = share::error::excerpt(&run.scenario.name, 80);
            replace_address(&address);
            link.set(None);
            note.set(Note::Loaded(if name.is_empty() { format!("seed {}", run.scenario.seed) } else { name }));
            dispatch.emit(Action::LoadRun(Box::new(run)));
        }
        Err(message) => note.set(Note::Error(message)),
    })
}

/// The file input: the size checked before reading, then the text loaded.
fn upload_callback(loaded: Callback<Loaded>) -> Callback<Event> {
    Callback::from(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        let Some(file) = input.files().and_then(|files| files.get(0)) else { return };
        input.set_value("");
        let bytes = file.size();
        if bytes.is_nan() || bytes > MAX_FILE_BYTES as f64 {
            let error = ShareError::TooLarge { form: Form::File, bytes: bytes as usize };
            loaded.emit((Err(error.into()), String::new()));
            return;
        }
        let loaded = loaded.clone();
        read_text(&file, move |text| loaded.emit((load_file(&text), "?".to_string())));
    })
}

fn note_view(l: Lang, note: &Note) -> Html {
    match note {
        Note::None => Html::default(),
        Note::Error(error) => {
            html! { <p class="panel-error" role="alert" data-error="share">{ load_error(l, error) }</p> }
        }
        Note::Loaded(name) => {
            html! { <p class="panel-note" role="status">{ tf(l, "share.loaded", &[("name", name)]) }</p> }
        }
    }
}

fn select_all(e: &FocusEvent) {
    if let Some(input) = e.target().and_then(|t| t.dyn_into::<HtmlInputElement>().ok()) {
        input.select();
    }
}

/// Puts `address` (a fragment, or a query; empty: left as is) into the
/// address bar without reloading or adding a history entry.
fn replace_address(address: &str) {
    let Some(window) = web_sys::window() else { return };
    let path = window.location().pathname().unwrap_or_default();
    if let (false, Ok(history)) = (address.is_empty(), window.history()) {
        let url = if address == "?" { path } else { format!("{path}{address}") };
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

/// Reads `file` as text (`Blob.text()`), then calls `done` with it.
fn read_text(file: &web_sys::File, done: impl FnOnce(String) + 'static) {
    let promise = file.text();
    let on_text =
        wasm_bindgen::closure::Closure::once_into_js(move |text: JsValue| done(text.as_string().unwrap_or_default()));
    let then = js_sys::Reflect::get(&promise, &JsValue::from_str("then")).ok();
    if let Some(then) = then.and_then(|f| f.dyn_into::<js_sys::Function>().ok()) {
        let _ = then.call1(&promise, &on_text);
    }
}

/// Offers `text` as a download named `name` (a Blob, an object URL, a click).
fn download(name: &str, text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Some(a) = document.create_element("a").ok().and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    gloo::timers::callback::Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
}

/// `navigator.clipboard.writeText(text)`, if the page has a clipboard (read
/// through `Reflect`, as the real-configuration panel does).
fn write_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).ok();
    let Some(clipboard) = get(&window, "navigator").and_then(|n| get(&n, "clipboard")) else { return false };
    let Some(write) = get(&clipboard, "writeText").and_then(|f| f.dyn_into::<js_sys::Function>().ok()) else {
        return false;
    };
    write.call1(&clipboard, &JsValue::from_str(text)).is_ok()
}
