//! The browser UI: Yew components that draw the model and send it actions.
//!
//! Owns everything the reader sees and touches. Depends on `crate::cluster`
//! and `crate::sim`; nothing there depends on this module. The components read
//! the model through `Playground` and change it only by dispatching an
//! `Action` (see `state`).

pub mod app;
pub mod bench_api;
pub mod charts;
pub mod compare;
pub mod console_api;
pub mod controls;
pub mod diagram;
pub mod dots;
pub mod event_log;
pub mod frame_loop;
pub mod inspect;
pub mod invariants;
pub mod lang;
pub mod layout;
pub mod lessons;
pub mod node_menu;
pub mod observe;
pub mod panels;
pub mod panic;
pub mod playground;
pub mod real_config;
pub mod sequence;
pub mod share;
pub mod state;
pub mod switches;
pub mod terms;
pub mod traffic;
pub mod url;

/// Mounts the app into `#app` (or the body), reading the seed from the URL.
pub fn start() {
    panic::install_hook();
    let window = web_sys::window().expect("a browser window");
    let query = window.location().search().unwrap_or_default();
    let options = url::parse_query(&query);
    let document = window.document().expect("a document");
    if let Some(warning) = &options.warning {
        show_input_error(&document, [warning.text(crate::i18n::Lang::En), warning.text(crate::i18n::Lang::Zh)]);
    }
    lang::apply(lang::initial());
    let root = document.get_element_by_id("app").or_else(|| document.body().map(Into::into)).expect("a mount point");
    let hash = window.location().hash().unwrap_or_default();
    let (run, share_error) = share::start_run(&hash, options.scenario.as_deref());
    let props = app::AppProps {
        seed: options.seed,
        topology: options.topology,
        shoppers: options.shoppers,
        run,
        share_error,
        lesson: options.lesson.clone(),
    };
    yew::Renderer::<app::App>::with_root_and_props(root, props).render();
}

/// A message about input the page could not use (`data-error`), in English
/// and Chinese: it follows the language toggle.
fn show_input_error(document: &web_sys::Document, texts: [String; 2]) {
    let Ok(note) = document.create_element("p") else { return };
    note.set_class_name("input-error");
    let _ = note.set_attribute("role", "status");
    let _ = note.set_attribute("data-error", "url");
    if let Some(body) = document.body() {
        let _ = body.prepend_with_node_1(&note);
    }
    lang::follow_outside(note, texts);
}
