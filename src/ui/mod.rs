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
pub mod data;
pub mod diagram;
pub mod dots;
pub mod event_log;
pub mod frame_loop;
pub mod inspect;
pub mod invariants;
pub mod lang;
pub mod layout;
pub mod lessons;
pub mod next_task;
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

/// Starts the page: fetches its data files, and mounts the app into `#app`
/// (or the body) as soon as the chosen language's catalog is in (and the
/// lessons or scenarios, if the URL names one); until then `#app` keeps the
/// bilingual loading note of `index.html`. A note about a bad link follows
/// once every file is in (it lists the lessons and scenarios).
pub fn start() {
    use data::Part;
    panic::install_hook();
    bench_api::mark("wasm-started");
    let window = web_sys::window().expect("a browser window");
    let query = window.location().search().unwrap_or_default();
    let lang = lang::initial();
    lang::apply(lang);
    let mut needs = vec![Part::Catalog(lang)];
    if url::names(&query, "lesson") {
        needs.push(Part::Lessons);
    }
    if url::names(&query, "scenario") {
        needs.push(Part::Scenarios);
    }
    data::fetch_parts(&needs);
    let document = window.document().expect("a document");
    let root = document.get_element_by_id("app").or_else(|| document.body().map(Into::into)).expect("a mount point");
    let at_start = query.clone();
    data::when_settled(needs, move |outcome| match outcome {
        Ok(()) => mount(root, &at_start),
        Err(_) => {
            root.set_text_content(None);
            data::fetch_the_rest_soon();
        }
    });
    data::when_settled(Part::ALL.to_vec(), move |_| {
        if let Some(warning) = url::parse_query(&query).warning {
            show_input_error(&document, [warning.text(crate::i18n::Lang::En), warning.text(crate::i18n::Lang::Zh)]);
        }
    });
}

/// Mounts the app into `root` (its loading note removed) for the URL's options.
fn mount(root: web_sys::Element, query: &str) {
    bench_api::mark("data-in");
    let window = web_sys::window().expect("a browser window");
    let options = url::parse_query(query);
    root.set_text_content(None);
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
    bench_api::mark("run-built");
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
