//! Browser tests of the panels (inspectors, design switches, traffic) against the whole shop.
//!
//! Each test builds `Cluster::full`, runs it to the state it needs, and
//! mounts the component in a fresh `<section>`: the lock inspector lists
//! /locker's children in the model's order with the holder and who watches
//! whom; the 2PC inspector shows each open transaction's phase; a switch
//! chosen in the panel changes the model's design; a value the model
//! refuses shows `data-error` and changes nothing; the surge button raises
//! the crowd to the Double-11 peak; the event log (over the slice) narrows
//! to one kind of line and to a text.

use clusterlab::cluster::Cluster;
use clusterlab::cluster::command::{Command, NodeAction};
use clusterlab::cluster::snapshot::{NodeDetail, Snapshot};
use clusterlab::cluster::topology::SliceOptions;
use clusterlab::sim::MS;
use clusterlab::ui::inspect::{Inspector, InspectorProps, phase_kind};
use clusterlab::ui::panels::{Panels, PanelsProps};
use clusterlab::ui::playground::Playground;
use clusterlab::ui::state::AppState;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use yew::prelude::*;

fn section() -> web_sys::Element {
    super::install_data();
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("section").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

fn full(seed: u64) -> Cluster {
    Cluster::full(&SliceOptions { seed, ..SliceOptions::default() })
}

/// Runs in 50 ms steps until `done` holds of a snapshot (at most `limit_ms`).
fn run_until(cluster: &mut Cluster, limit_ms: u64, done: impl Fn(&Snapshot) -> bool) -> Snapshot {
    let start = cluster.sim.now_us() / MS;
    for step in 1..=limit_ms / 50 {
        cluster.run_until((start + step * 50) * MS, 50_000_000);
        let snap = cluster.snapshot();
        if done(&snap) {
            return snap;
        }
    }
    panic!("seed {}: not reached within {limit_ms} ms", cluster.sim.seed());
}

fn lock_queue(snap: &Snapshot) -> Vec<(String, Option<String>)> {
    snap.nodes
        .iter()
        .find_map(|n| match &n.detail {
            NodeDetail::LockService { queue, .. } => {
                Some(queue.iter().map(|r| (r.znode.clone(), r.owner.clone())).collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}

async fn settle() {
    yew::platform::time::sleep(std::time::Duration::from_millis(60)).await;
}

fn all(root: &web_sys::Element, selector: &str) -> Vec<web_sys::Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length()).filter_map(|i| list.item(i)?.dyn_into().ok()).collect()
}

#[wasm_bindgen_test]
async fn the_lock_inspector_lists_the_queue_in_order() {
    let mut cluster = full(42);
    // Without 2PC both inventory services buy through the lock; a paused
    // holder makes the other queue behind it.
    cluster.apply(&Command::SetSwitch { switch: "two-phase".into(), value: "off".into() }).unwrap();
    cluster.apply(&Command::SetShoppers { shoppers: 1500 }).unwrap();
    let snap = run_until(&mut cluster, 20_000, |s| !lock_queue(s).is_empty());
    let holder = lock_queue(&snap)[0].1.clone().expect("the holder has an owner");
    cluster.apply(&Command::Node { node: holder.clone(), action: NodeAction::Pause }).unwrap();
    let snap = run_until(&mut cluster, 20_000, |s| lock_queue(s).len() >= 2);
    let zk = cluster.sim.id_of("zk").unwrap();
    let root = section();
    yew::Renderer::<Inspector>::with_root_and_props(
        root.clone(),
        InspectorProps { snapshot: Rc::new(snap.clone()), node: zk },
    )
    .render();
    settle().await;
    let rows = all(&root, "[data-inspector=\"lock-service\"] tr[data-znode]");
    let shown: Vec<String> = rows.iter().map(|r| r.get_attribute("data-znode").unwrap()).collect();
    let queue = lock_queue(&snap);
    assert_eq!(shown, queue.iter().map(|q| q.0.clone()).collect::<Vec<_>>(), "seed 42: the queue in sequence order");
    assert!(rows[0].get_attribute("class").unwrap_or_default().contains("holder"), "the first child holds the lock");
    let second = rows[1].text_content().unwrap();
    assert!(second.contains("waits") && second.contains(&queue[0].0), "the second watches the first: {second}");
    assert!(root.text_content().unwrap().contains(&format!("{} ({holder})", queue[0].0)), "the holder is named");
}

#[wasm_bindgen_test]
async fn the_two_phase_inspector_shows_each_open_transactions_phase() {
    let mut cluster = full(42);
    let open = |s: &Snapshot| {
        s.nodes.iter().any(|n| matches!(&n.detail, NodeDetail::TwoPhase { active, .. } if !active.is_empty()))
    };
    let snap = run_until(&mut cluster, 30_000, open);
    let tpc = cluster.sim.id_of("tpc").unwrap();
    let NodeDetail::TwoPhase { active, .. } = &snap.nodes[tpc.index()].detail else { panic!("tpc is the coordinator") };
    let root = section();
    yew::Renderer::<Inspector>::with_root_and_props(
        root.clone(),
        InspectorProps { snapshot: Rc::new(snap.clone()), node: tpc },
    )
    .render();
    settle().await;
    for txn in active {
        let row = root
            .query_selector(&format!("tr[data-txn=\"{}\"]", txn.txn))
            .unwrap()
            .unwrap_or_else(|| panic!("seed 42: no row for txn {}", txn.txn));
        assert_eq!(row.get_attribute("data-phase").unwrap(), phase_kind(&txn.phase));
    }
    let text = root.text_content().unwrap();
    assert!(text.contains("CanCommit sent"), "the rounds show the first phase: {text}");
    assert!(!all(&root, ".rounds li[data-txn] ol.timeline li").is_empty(), "each round has its steps");
}

#[derive(Properties)]
struct HarnessProps {
    playground: Rc<RefCell<Playground>>,
}

impl PartialEq for HarnessProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.playground, &other.playground)
    }
}

/// The panels with their own reducer, as the app wires them.
#[function_component(Harness)]
fn harness(props: &HarnessProps) -> Html {
    let state = {
        let playground = props.playground.clone();
        use_reducer(move || AppState::new(playground))
    };
    let dispatch = {
        let state = state.clone();
        Callback::from(move |a| state.dispatch(a))
    };
    let p = PanelsProps {
        playground: state.playground.clone(),
        version: state.version,
        selected: state.menu,
        refused: state.refused.clone(),
        replayed: state.replayed.clone(),
        following: state.following,
        dispatch,
    };
    html! { <Panels ..p /> }
}

fn mount_panels(seed: u64) -> (web_sys::Element, Rc<RefCell<Playground>>) {
    let mut pg = Playground::new(seed);
    pg.cluster = full(seed);
    let playground = Rc::new(RefCell::new(pg));
    let root = section();
    yew::Renderer::<Harness>::with_root_and_props(root.clone(), HarnessProps { playground: playground.clone() })
        .render();
    (root, playground)
}

fn choose(select: &web_sys::Element, value: &str) {
    select.dyn_ref::<web_sys::HtmlSelectElement>().unwrap().set_value(value);
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    select.dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap()).unwrap();
}

#[wasm_bindgen_test]
async fn a_switch_changes_the_model_and_a_bad_value_changes_nothing() {
    let (root, pg) = mount_panels(7);
    settle().await;
    let names: Vec<String> =
        all(&root, "select[data-switch]").iter().map(|s| s.get_attribute("data-switch").unwrap()).collect();
    assert_eq!(names, clusterlab::cluster::design::Design::SWITCHES, "one control per switch of the model");
    choose(&root.query_selector("[data-switch=\"lock\"]").unwrap().unwrap(), "off");
    settle().await;
    assert_eq!(pg.borrow().cluster.design.get("lock").as_deref(), Some("off"));
    assert!(root.query_selector("[data-error]").unwrap().is_none());

    let before = pg.borrow().cluster.design;
    let select = root.query_selector("[data-switch=\"replication\"]").unwrap().unwrap();
    let document = web_sys::window().unwrap().document().unwrap();
    let hostile = document.create_element("option").unwrap();
    hostile.set_attribute("value", "quorum").unwrap();
    select.append_child(&hostile).unwrap();
    choose(&select, "quorum");
    settle().await;
    let error = root.query_selector("[data-error=\"switch\"]").unwrap().expect("the refusal is shown");
    assert!(error.text_content().unwrap().contains("quorum"), "{:?}", error.text_content());
    assert_eq!(pg.borrow().cluster.design, before, "a refused value changes nothing");
}

#[wasm_bindgen_test]
async fn a_new_session_store_replays_the_run_from_the_start() {
    let (root, pg) = mount_panels(5);
    pg.borrow_mut().run_for(3 * clusterlab::sim::SEC);
    settle().await;
    choose(&root.query_selector("[data-switch=\"session-store\"]").unwrap().unwrap(), "redis");
    settle().await;
    let p = pg.borrow();
    assert_eq!(p.cluster.design.get("session-store").as_deref(), Some("redis"));
    assert_eq!(p.cluster.sim.now_us(), 0, "the replay starts at 0 s");
    assert!(p.cluster.sim.id_of("redis").is_some());
    let note = root.query_selector("[data-notice=\"replayed\"]").unwrap().expect("the replay is announced");
    assert!(note.text_content().unwrap().contains("redis"), "{:?}", note.text_content());
    assert!(root.query_selector("[data-error]").unwrap().is_none());
}

#[wasm_bindgen_test]
async fn the_surge_button_raises_the_crowd_to_the_double_11_peak() {
    let (root, pg) = mount_panels(8);
    settle().await;
    assert_eq!(pg.borrow().cluster.active_shoppers(), 300);
    root.query_selector("[data-control=\"surge\"]")
        .unwrap()
        .unwrap()
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap()
        .click();
    settle().await;
    assert_eq!(pg.borrow().cluster.active_shoppers(), 3000);
    let follow = root.query_selector("[data-control=\"follow\"]").unwrap().unwrap();
    follow.dyn_into::<web_sys::HtmlElement>().unwrap().click();
    settle().await;
    assert!(root.query_selector("[data-following=\"xiaoming\"]").unwrap().is_some(), "Xiaoming's card is shown");
    assert_eq!(all(&root, "figure[data-chart] canvas").len(), 7, "every chart has its canvas");
}

#[wasm_bindgen_test]
async fn the_event_log_narrows_to_a_kind_and_to_text() {
    use clusterlab::ui::event_log::{EventLog, EventLogProps, lines};
    let mut cluster = Cluster::slice(&SliceOptions { seed: 5, ..SliceOptions::default() });
    cluster.run_until(20_000 * MS, 5_000_000);
    cluster.apply(&Command::Node { node: "app-2".into(), action: NodeAction::Crash }).unwrap();
    cluster.run_until(40_000 * MS, 5_000_000);
    let root = section();
    yew::Renderer::<EventLog>::with_root_and_props(root.clone(), EventLogProps { lines: lines(&cluster) }).render();
    settle().await;
    let kinds = |root: &web_sys::Element| -> Vec<String> {
        all(root, "li[data-kind]").iter().map(|l| l.get_attribute("data-kind").unwrap()).collect()
    };
    assert!(kinds(&root).contains(&"failure".to_string()), "seed 5: the crash fails requests");
    choose(&root.query_selector("[data-control=\"log-kind\"]").unwrap().unwrap(), "fault");
    settle().await;
    assert_eq!(kinds(&root), ["fault"], "only the crash is left");
    assert!(root.text_content().unwrap().contains("app-2: crash"));
    choose(&root.query_selector("[data-control=\"log-kind\"]").unwrap().unwrap(), "all");
    let search = root.query_selector("[data-control=\"log-search\"]").unwrap().unwrap();
    search.dyn_ref::<web_sys::HtmlInputElement>().unwrap().set_value("NO SUCH TEXT");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    search.dispatch_event(&web_sys::Event::new_with_event_init_dict("input", &init).unwrap()).unwrap();
    settle().await;
    assert!(kinds(&root).is_empty(), "no line matches");
    assert!(root.text_content().unwrap().contains("No line matches this filter."));
}

#[wasm_bindgen_test]
async fn the_balancer_inspector_shows_which_of_the_pair_holds_the_vip() {
    let mut cluster = full(3);
    cluster.run_until(5_000 * MS, 5_000_000);
    let lb = cluster.sim.id_of("lb-south-2").unwrap();
    let root = section();
    yew::Renderer::<Inspector>::with_root_and_props(
        root.clone(),
        InspectorProps { snapshot: Rc::new(cluster.snapshot()), node: lb },
    )
    .render();
    settle().await;
    let holders: Vec<String> =
        all(&root, "tr[data-vip-holder]").iter().map(|r| r.get_attribute("data-vip-holder").unwrap()).collect();
    assert_eq!(holders, ["true", "false"], "seed 3: lb-south-1 (priority 100) holds the VIP, lb-south-2 backs it up");
    assert!(root.text_content().unwrap().contains("BACKUP"), "{:?}", root.text_content());
}
