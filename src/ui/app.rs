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
use super::lang::{self, LangToggle};
use super::layout::Orientation;
use super::lessons::{LessonList, LessonPanel};
use super::node_menu::{self, NodeMenu};
use super::panels::Panels;
use super::playground::{Playground, Topology};
use super::share::{self, SharePanel};
use super::state::{Action, AppState};
use super::{bench_api, console_api};
use crate::cluster::DotClass;
use crate::i18n::{Lang, t, tf};
use crate::share::SharedRun;
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
    /// A shared run to start with (a link's `#run=`, or `?scenario=<id>`).
    #[prop_or_default]
    pub run: Option<SharedRun>,
    /// Why the link's run could not be loaded (the page starts a free play).
    #[prop_or_default]
    pub share_error: Option<share::LoadError>,
    /// The lesson to start with (`?lesson=`).
    #[prop_or_default]
    pub lesson: Option<String>,
}

/// The headline metrics: hook name and the label's catalog key.
const HEADLINE: [(&str, &str); 6] = [
    ("requests-ok", "metric.requests-ok"),
    ("requests-failed", "metric.requests-failed"),
    ("sessions-lost", "metric.sessions-lost"),
    ("latency-p50-ms", "metric.latency-p50-ms"),
    ("latency-p99-ms", "metric.latency-p99-ms"),
    ("oversold", "metric.oversold"),
];

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let (seed, topology, shoppers) = (props.seed, props.topology, props.shoppers);
    let run = props.run.clone();
    let state = use_reducer(move || {
        let pg = run.map_or_else(|| Playground::with_topology(seed, topology, shoppers), |r| share::playground_of(&r));
        AppState { lang: lang::initial(), ..AppState::new(Rc::new(RefCell::new(pg))) }
    });
    use_effect_with(state.lang, |&l| lang::apply(l));
    let l = state.lang;
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
            let refresh = dispatcher.clone();
            super::data::on_arrival(move || refresh.dispatch(Action::Refresh));
            console_api::install(pg, dispatcher);
            bench_api::install();
            bench_api::mark_interactive();
            // Lessons, scenarios and the other catalog: once the diagram answers.
            super::data::fetch_the_rest_soon();
            move || {
                stop_loop();
                drop(keys);
                drop(resize);
            }
        });
    }
    // The diagram and the controls come first; the panels around them one
    // task later, so the first paint (and the first click) does not wait for them.
    let settled = use_state_eq(|| false);
    {
        let settled = settled.clone();
        use_effect_with((), move |_| {
            let show = gloo::timers::callback::Timeout::new(0, move || settled.set(true));
            move || drop(show)
        });
    }
    {
        // After every render: how long the frame loop's refresh took to reach the DOM.
        let pg = state.playground.clone();
        use_effect(move || {
            let now_ms = web_sys::window().and_then(|w| w.performance()).map(|p| p.now());
            if let (Some(now_ms), Ok(mut pg)) = (now_ms, pg.try_borrow_mut()) {
                pg.stats.refresh_done(now_ms);
            }
        });
    }
    // One callback for the app's lifetime: children whose other props did
    // not change then skip their re-render.
    let dispatch = {
        let dispatcher = state.dispatcher();
        (*use_memo((), move |_| Callback::from(move |action: Action| dispatcher.dispatch(action)))).clone()
    };
    let arrivals = super::data::arrivals();
    let pg = state.playground.borrow();
    let cluster = &pg.cluster;
    let layout = Rc::new(pg.layout.clone());
    let snapshot = cluster.snapshot();
    let (nodes, edges) = diagram::describe(l, cluster, &snapshot, &layout, pg.speed);
    let metrics: Vec<_> = HEADLINE.iter().map(|&(name, key)| (name, t(l, key), cluster.metric(name))).collect();
    let menu = state.menu.map(|id| {
        let node = &nodes[id.index()];
        html! {
            <NodeMenu node={id} name={node.name.clone()} state={node.state}
                left_pct={node.cx / layout.view_w * 100.0} top_pct={node.cy / layout.view_h * 100.0}
                facts={node_menu::facts(l, cluster, id)} failures={node.failures.clone()}
                actions={node_menu::available_actions(cluster, id)} dispatch={dispatch.clone()}>
                // The node's inspector goes here.
            </NodeMenu>
        }
    });
    html! {
        <ContextProvider<Lang> context={l}>
        <div class="app">
            <header class="topbar">
                <h1>{ "ClusterLab" }<small>{ " 集群实验室" }</small></h1>
                <Controls playing={pg.playing} speed={pg.speed} lagging={pg.lagging}
                    now_us={cluster.sim.now_us()} end_us={pg.end_us} fast_forward_to={pg.fast_forward_to}
                    dispatch={dispatch.clone()} />
                <LangToggle lang={l} dispatch={dispatch.clone()} />
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
                if *settled {
                    <Panels playground={state.playground.clone()} version={state.version} selected={state.menu}
                        refused={state.refused.clone()} replayed={state.replayed.clone()} following={state.following}
                        dispatch={dispatch.clone()} />
                }
            </main>
            <aside class="side">
                if *settled {
                    <SharePanel playground={state.playground.clone()} start_error={props.share_error.clone()}
                        {arrivals} dispatch={dispatch.clone()} />
                    <LessonList active={super::lessons::active(state.lesson.as_ref())} {arrivals} dispatch={dispatch.clone()} />
                    { legend(l) }
                    <InvariantsPanel verdicts={invariants::rows(cluster)} />
                    <EventLog lines={event_log::lines_in(l, cluster)} />
                }
            </aside>
            <footer class="foot">
                { tf(l, "app.footer", &[("seed", &pg.seed)]) }
            </footer>
        </div>
        </ContextProvider<Lang>>
    }
}

fn legend(l: Lang) -> Html {
    use super::dots::colour;
    let items = [
        (DotClass::Browse, t(l, "legend.browse")),
        (DotClass::Cart, t(l, "legend.cart")),
        (DotClass::Order, t(l, "legend.order")),
        (DotClass::Pay, t(l, "legend.pay")),
        (DotClass::Login, t(l, "legend.login")),
        (DotClass::Ok, t(l, "legend.ok")),
        (DotClass::CacheHit, t(l, "legend.cache-hit")),
        (DotClass::NotModified, t(l, "legend.not-modified")),
        (DotClass::Rejected, t(l, "legend.rejected")),
        (DotClass::Error, t(l, "legend.error")),
    ];
    html! {
        <section class="legend" aria-label={t(l, "legend.label")}>
            <h2>{ t(l, "legend.title") }</h2>
            <ul>
                { for items.iter().map(|&(class, text)| html! {
                    <li><span class="swatch" style={format!("background:{}", colour(class))}></span>{ text }</li>
                }) }
            </ul>
        </section>
    }
}
