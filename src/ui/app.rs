//! The app shell: lays out the page and wires the frame loop to the model.
//!
//! Owns the top-level component: it creates the model for the seed it is
//! given, holds the reducer, starts the animation loop, the keyboard
//! shortcuts and the console API, and hands each panel the slice of state it
//! draws. Never changes the model except by dispatching an `Action`.

use super::controls::{Controls, MetricsBar};
use super::diagram::{self, Diagram};
use super::event_log::{self, EventLog};
use super::frame_loop;
use super::invariants::{self, InvariantsPanel};
use super::layout::Orientation;
use super::lessons::{LessonList, LessonPanel};
use super::node_menu::{self, NodeMenu};
use super::panels::Panels;
use super::playground::{Playground, Topology};
use super::state::{Action, AppState};
use super::{bench_api, console_api};
use crate::cluster::DotClass;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct AppProps {
    pub seed: u64,
    /// The whole shop unless the URL asks for the slice.
    #[prop_or_default]
    pub topology: Topology,
    /// Shoppers in the South China crowd at the start (`?shoppers=`).
    #[prop_or_default]
    pub shoppers: Option<u16>,
    /// The lesson to start with (`?lesson=`).
    #[prop_or_default]
    pub lesson: Option<String>,
}

/// The headline metrics: hook name and label.
const HEADLINE: [(&str, &str); 6] = [
    ("requests-ok", "Requests OK"),
    ("requests-failed", "Failed"),
    ("sessions-lost", "Sent back to login"),
    ("latency-p50-ms", "p50 latency (ms)"),
    ("latency-p99-ms", "p99 latency (ms)"),
    ("oversold", "Units oversold"),
];

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let (seed, topology, shoppers) = (props.seed, props.topology, props.shoppers);
    let state =
        use_reducer(move || AppState::new(Rc::new(RefCell::new(Playground::with_topology(seed, topology, shoppers)))));
    let canvas = use_node_ref();
    {
        let (pg, dispatcher, canvas) = (state.playground.clone(), state.dispatcher(), canvas.clone());
        let lesson = props.lesson.clone();
        use_effect_with((), move |_| {
            if let Some(id) = lesson {
                dispatcher.dispatch(Action::StartLesson(id));
            }
            let stop_loop = frame_loop::start(pg.clone(), dispatcher.clone(), canvas);
            let keys = frame_loop::keyboard_shortcuts(dispatcher.clone());
            let resize = frame_loop::follow_viewport(dispatcher.clone());
            console_api::install(pg, dispatcher);
            bench_api::install();
            bench_api::mark_interactive();
            move || {
                stop_loop();
                drop(keys);
                drop(resize);
            }
        });
    }
    let dispatch = {
        let state = state.clone();
        Callback::from(move |action: Action| state.dispatch(action))
    };
    let pg = state.playground.borrow();
    let cluster = &pg.cluster;
    let layout = Rc::new(pg.layout.clone());
    let snapshot = cluster.snapshot();
    let (nodes, edges) = diagram::describe(cluster, &snapshot, &layout, pg.speed);
    let metrics: Vec<_> = HEADLINE.iter().map(|&(name, label)| (name, label, cluster.metric(name))).collect();
    let menu = state.menu.map(|id| {
        let node = &nodes[id.index()];
        html! {
            <NodeMenu node={id} name={node.name.clone()} state={node.state}
                left_pct={node.cx / layout.view_w * 100.0} top_pct={node.cy / layout.view_h * 100.0}
                facts={node_menu::facts(cluster, id)} failures={node.failures.clone()}
                actions={node_menu::available_actions(cluster, id)} dispatch={dispatch.clone()}>
                // The node's inspector goes here.
            </NodeMenu>
        }
    });
    html! {
        <div class="app">
            <header class="topbar">
                <h1>{ "ClusterLab" }<small>{ " 集群实验室" }</small></h1>
                <Controls playing={pg.playing} speed={pg.speed} lagging={pg.lagging}
                    now_us={cluster.sim.now_us()} end_us={pg.end_us} fast_forward_to={pg.fast_forward_to}
                    dispatch={dispatch.clone()} />
            </header>
            <MetricsBar values={metrics} />
            if let Some(progress) = state.lesson.clone() {
                <div class="lesson-area">
                    <LessonPanel {progress} dispatch={dispatch.clone()} />
                </div>
            }
            <main class="stage">
                <div class={classes!("diagram-wrap", (layout.orientation == Orientation::Tall).then_some("tall"))}
                     style={format!("aspect-ratio:{:.0}/{:.0}", layout.view_w, layout.view_h)}>
                    <Diagram version={state.version} layout={layout.clone()} {nodes} {edges} selected={state.menu}
                        {canvas} show_control={pg.show_control} dispatch={dispatch.clone()} />
                    { menu.unwrap_or_default() }
                </div>
                <Panels playground={state.playground.clone()} version={state.version} selected={state.menu}
                    refused={state.refused.clone()} replayed={state.replayed.clone()} following={state.following}
                    dispatch={dispatch.clone()} />
            </main>
            <aside class="side">
                <LessonList active={super::lessons::active(state.lesson.as_ref())} dispatch={dispatch.clone()} />
                { legend() }
                <InvariantsPanel verdicts={invariants::rows(cluster)} />
                <EventLog lines={event_log::lines(cluster)} />
            </aside>
            <footer class="foot">
                { format!("seed {} · deterministic: the same seed and the same actions give the same run", pg.seed) }
            </footer>
        </div>
    }
}

fn legend() -> Html {
    use super::dots::colour;
    let items = [
        (DotClass::Browse, "browse / search / detail"),
        (DotClass::Cart, "add to cart"),
        (DotClass::Order, "order"),
        (DotClass::Pay, "pay"),
        (DotClass::Login, "login"),
        (DotClass::Ok, "200 OK"),
        (DotClass::CacheHit, "CDN cache hit"),
        (DotClass::NotModified, "304 not modified"),
        (DotClass::Rejected, "302 → login page"),
        (DotClass::Error, "5xx error"),
    ];
    html! {
        <section class="legend" aria-label="Legend">
            <h2>{ "Requests" }</h2>
            <ul>
                { for items.iter().map(|&(class, text)| html! {
                    <li><span class="swatch" style={format!("background:{}", colour(class))}></span>{ text }</li>
                }) }
            </ul>
        </section>
    }
}
