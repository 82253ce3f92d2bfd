//! Browser tests (wasm-bindgen-test in headless Chromium, via `wasm-pack test`).
//!
//! The model gives the same trace hash in WebAssembly as natively (the golden
//! value in `tests/data/golden-trace-hash.txt`, written by the native
//! determinism test), and the app mounts the whole shop, shows every node of
//! `FULL_NODES` exactly once with its hooks, and turns a crash clicked in a
//! node's menu into `data-state="crashed"` (a Tomcat, and a node deep in the
//! storage layer).
#![cfg(target_arch = "wasm32")]

use clusterlab::cluster::Cluster;
use clusterlab::cluster::topology::SliceOptions;
use clusterlab::cluster::topology_full::FULL_NODES;
use clusterlab::sim::SEC;
use clusterlab::ui::app::{App, AppProps};
use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const GOLDEN: &str = include_str!("data/golden-trace-hash.txt");

#[wasm_bindgen_test]
fn trace_hash_in_wasm_equals_the_native_golden_value() {
    let mut cluster = Cluster::slice(&SliceOptions { seed: 42, ..SliceOptions::default() });
    cluster.run_until(60 * SEC, 10_000_000);
    assert_eq!(format!("{:016x}", cluster.sim.trace_hash()), GOLDEN.trim(), "seed 42, 60 s");
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(60)).await;
}

/// The data the page fetches at start (`ui::data`), handed in directly.
pub(crate) fn install_data() {
    use clusterlab::i18n::{Lang, install};
    install(Lang::En, include_str!("../src/i18n/en.json")).unwrap();
    install(Lang::Zh, include_str!("../src/i18n/zh-CN.json")).unwrap();
}

fn mount(seed: u64) -> web_sys::Element {
    install_data();
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("section").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let props =
        AppProps { seed, topology: Default::default(), shoppers: None, run: None, share_error: None, lesson: None };
    yew::Renderer::<App>::with_root_and_props(root.clone(), props).render();
    root
}

fn find(root: &web_sys::Element, selector: &str) -> web_sys::Element {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("no element matches {selector}"))
}

/// The element matching `selector` once it is there: polls for up to 3 s, so
/// a busy machine's slower render does not fail a test that a fixed wait would.
async fn appears(root: &web_sys::Element, selector: &str) -> web_sys::Element {
    for _ in 0..150 {
        if let Some(found) = root.query_selector(selector).unwrap() {
            return found;
        }
        yew::platform::time::sleep(Duration::from_millis(20)).await;
    }
    find(root, selector)
}

fn click(element: &web_sys::Element) {
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    let event = web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap();
    element.dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn app_shows_every_node_with_its_hooks() {
    let root = mount(42);
    settle().await;
    for name in ["xiaoming", "shoppers-south", "lb-south-1", "app-1", "app-2"] {
        let node = find(&root, &format!("[data-node=\"{name}\"]"));
        assert_eq!(node.get_attribute("data-state").as_deref(), Some("up"), "{name}");
    }
    for control in ["play", "step", "speed"] {
        find(&root, &format!("[data-control=\"{control}\"]"));
    }
    let lost = find(&root, "[data-metric=\"sessions-lost\"]").text_content().unwrap();
    assert_eq!(lost, "0");
}

#[wasm_bindgen_test]
async fn crashing_from_the_menu_marks_the_node_crashed() {
    let root = mount(42);
    settle().await;
    click(&find(&root, "[data-node=\"app-2\"]"));
    let crash = appears(&root, "[data-action=\"crash\"]").await;
    crash.dyn_ref::<web_sys::HtmlElement>().expect("a button").click();
    settle().await;
    let node = find(&root, "[data-node=\"app-2\"]");
    assert_eq!(node.get_attribute("data-state").as_deref(), Some("crashed"));
    // The menu now offers a restart, and it works.
    appears(&root, "[data-action=\"restart\"]").await.dyn_ref::<web_sys::HtmlElement>().unwrap().click();
    settle().await;
    assert_eq!(find(&root, "[data-node=\"app-2\"]").get_attribute("data-state").as_deref(), Some("up"));
}

#[wasm_bindgen_test]
async fn every_node_of_the_whole_shop_has_exactly_one_element() {
    let root = mount(42);
    settle().await;
    for name in FULL_NODES {
        let found = root.query_selector_all(&format!("[data-node=\"{name}\"]")).unwrap().length();
        assert_eq!(found, 1, "[data-node=\"{name}\"]");
    }
    let all = root.query_selector_all("[data-node]").unwrap().length();
    assert_eq!(all as usize, FULL_NODES.len(), "no element for a node outside FULL_NODES");
    // The autoscaler's spare machines are drawn powered off.
    let app6 = find(&root, "[data-node=\"app-6\"]");
    assert_eq!(app6.get_attribute("data-power").as_deref(), Some("off"));
}

#[wasm_bindgen_test]
async fn a_crashed_storage_node_renders_crashed() {
    let root = mount(42);
    settle().await;
    click(&find(&root, "[data-node=\"db-shard2-master\"]"));
    appears(&root, "[data-action=\"crash\"]").await.dyn_ref::<web_sys::HtmlElement>().expect("a button").click();
    settle().await;
    let node = find(&root, "[data-node=\"db-shard2-master\"]");
    assert_eq!(node.get_attribute("data-state").as_deref(), Some("crashed"));
    // The other nodes are untouched.
    assert_eq!(find(&root, "[data-node=\"db-shard1-master\"]").get_attribute("data-state").as_deref(), Some("up"));
}

#[path = "browser/panels.rs"]
mod panels;
