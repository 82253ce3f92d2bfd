//! The action menu of one node: faults and repairs, a few facts, the
//! requests that just failed there, and the slot for the node's inspector.
//!
//! Owns the `data-action` buttons. Works by mouse, touch and keyboard (it is
//! a plain group of buttons; opening it focuses the first, Escape closes
//! it). Offers only the actions that make sense in the node's current state.
//! Opens beside its node, away from the diagram's edges; on a phone it sits
//! at the bottom of the screen. The inspector is passed in as `children`.

use super::lang::use_lang;
use super::state::Action;
use super::terms;
use crate::cluster::command::NodeAction;
use crate::cluster::{Cluster, ClusterNode};
use crate::i18n::{Lang, t, tf};
use crate::sim::{NodeId, Process};
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct NodeMenuProps {
    pub node: NodeId,
    pub name: String,
    pub state: &'static str,
    /// Position in percent of the diagram's box, for placing the menu.
    pub left_pct: f64,
    pub top_pct: f64,
    pub facts: Vec<String>,
    /// Requests that failed at this node a moment ago, with their reasons.
    #[prop_or_default]
    pub failures: Vec<String>,
    pub actions: Vec<NodeAction>,
    pub dispatch: Callback<Action>,
    /// The node's inspector (`<Inspector snapshot=… node=… />`), shown below.
    #[prop_or_default]
    pub children: Html,
}

/// Which way the menu opens from its node (a CSS class): left of nodes near
/// the right edge, above nodes in the lower part.
pub fn placement(left_pct: f64, top_pct: f64) -> &'static str {
    match (left_pct > 68.0, left_pct < 20.0, top_pct > 55.0) {
        (true, _, true) => "open-up-left",
        (true, _, false) => "open-down-left",
        (false, true, true) => "open-up-right",
        (false, true, false) => "open-down-right",
        (false, false, true) => "open-up",
        (false, false, false) => "open-down",
    }
}

/// The actions available for a node in its current state.
pub fn available_actions(cluster: &Cluster, id: NodeId) -> Vec<NodeAction> {
    let life = cluster.sim.lifecycle(id);
    let isolated = cluster.sim.network().is_isolated(id);
    NodeAction::ALL
        .into_iter()
        .filter(|a| match a {
            NodeAction::Crash => life.process != Process::Crashed,
            NodeAction::Restart => true,
            NodeAction::Pause => life.process == Process::Up,
            NodeAction::Resume => life.process == Process::Paused,
            NodeAction::Slow => life.slow_extra_us == 0,
            NodeAction::Partition => !isolated,
            NodeAction::Heal => isolated || life.slow_extra_us > 0,
        })
        .collect()
}

/// A few facts about a node for its inspector.
pub fn facts(l: Lang, cluster: &Cluster, id: NodeId) -> Vec<String> {
    let life = cluster.sim.lifecycle(id);
    let mut out = vec![tf(l, "menu.boot", &[("boot", &life.incarnation), ("crashes", &life.crashes)])];
    match cluster.sim.node(id) {
        ClusterNode::Shoppers(pool) => {
            let lost: u32 = pool.shoppers.iter().map(|s| s.login_redirects).sum();
            let done: u32 = pool.shoppers.iter().map(|s| s.journeys_completed).sum();
            out.push(tf(l, "menu.journeys", &[("n", &done)]));
            out.push(tf(l, "menu.sent-to-login", &[("n", &lost)]));
        }
        ClusterNode::Balancer(lb) => {
            for (i, h) in lb.health.iter().enumerate() {
                let name = cluster.sim.name(lb.upstreams[i]);
                let key =
                    if h.down_until_us > cluster.sim.now_us() { "menu.upstream-down" } else { "menu.upstream-up" };
                out.push(tf(l, key, &[("name", &name), ("n", &h.requests)]));
            }
        }
        ClusterNode::App(app) => {
            out.extend(session_facts(l, cluster, app));
            let (busy, max, queued) = (app.busy_workers(), app.config.max_threads, app.queued());
            out.push(tf(l, "menu.workers", &[("busy", &busy), ("max", &max), ("queued", &queued)]));
            out.push(tf(l, "menu.served", &[("served", &app.served), ("rejected", &app.rejected)]));
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menus_open_away_from_the_diagrams_edges() {
        let cases = [
            ((50.0, 10.0), "open-down"),
            ((90.0, 10.0), "open-down-left"),
            ((90.0, 90.0), "open-up-left"),
            ((5.0, 90.0), "open-up-right"),
            ((5.0, 10.0), "open-down-right"),
            ((50.0, 80.0), "open-up"),
        ];
        for ((left, top), want) in cases {
            assert_eq!(placement(left, top), want, "node at {left}%, {top}%");
        }
    }

    /// Every node of the whole shop can be crashed from its menu and, once
    /// crashed, restarted from it.
    #[test]
    fn every_node_of_the_whole_shop_offers_crash_then_restart() {
        let mut cluster = Cluster::full(&crate::cluster::topology::SliceOptions::default());
        for id in cluster.node_ids() {
            assert!(available_actions(&cluster, id).contains(&NodeAction::Crash), "{}", cluster.sim.name(id));
            cluster.inject(NodeAction::Crash.fault(id, 0));
            let after = available_actions(&cluster, id);
            assert!(
                after.contains(&NodeAction::Restart) && !after.contains(&NodeAction::Crash),
                "{}",
                cluster.sim.name(id)
            );
            assert!(!facts(Lang::En, &cluster, id).is_empty());
        }
    }
}

#[function_component(NodeMenu)]
pub fn node_menu(props: &NodeMenuProps) -> Html {
    let d = &props.dispatch;
    let l = use_lang();
    let node = props.node;
    let onkeydown = {
        let d = d.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                d.emit(Action::CloseMenu);
            }
        })
    };
    let menu_ref = use_node_ref();
    {
        // Keyboard readers land on the first action when a menu opens.
        let menu_ref = menu_ref.clone();
        use_effect_with(node, move |_| {
            if let Some(menu) = menu_ref.cast::<web_sys::Element>()
                && let Ok(Some(first)) = menu.query_selector("[data-action]")
                && let Ok(first) = first.dyn_into::<web_sys::HtmlElement>()
            {
                let _ = first.focus();
            }
        });
    }
    let style = format!("left:{:.1}%;top:{:.1}%", props.left_pct, props.top_pct);
    let class = classes!("node-menu", placement(props.left_pct, props.top_pct));
    html! {
        <div ref={menu_ref} {class} role="menu" aria-label={tf(l, "menu.label", &[("node", &props.name)])} {style} {onkeydown}>
            <header>
                <strong>{ &props.name }</strong>
                <span class={classes!("state-pill", format!("state-{}", props.state))}>{ terms::state(l, props.state) }</span>
                <button class="close" aria-label={t(l, "menu.close")} onclick={d.reform(|_| Action::CloseMenu)}>{ "×" }</button>
            </header>
            <div class="actions">
                { for props.actions.iter().map(|&a| html! {
                    <button role="menuitem" data-action={a.as_str()} onclick={d.reform(move |_| Action::Node(node, a))}>
                        { terms::action(l, a) }
                    </button>
                }) }
            </div>
            <ul class="facts">{ for props.facts.iter().map(|f| html! { <li>{ f }</li> }) }</ul>
            if !props.failures.is_empty() {
                <ul class="failures" aria-label={t(l, "menu.failures")}>
                    { for props.failures.iter().map(|f| html! { <li>{ f }</li> }) }
                </ul>
            }
            <div class="inspector-slot">{ props.children.clone() }</div>
        </div>
    }
}

/// What the reader should know of a Tomcat's session manager.
fn session_facts(l: Lang, cluster: &Cluster, app: &crate::cluster::app_server::AppServer) -> Vec<String> {
    use crate::cluster::session_store::SessionStoreKind as Kind;
    let s = &app.sessions;
    let c = s.counts;
    match s.store() {
        Kind::Memory | Kind::Sticky => vec![tf(l, "menu.sessions", &[("n", &s.len())])],
        Kind::Replicated => vec![
            tf(l, "menu.sessions-replicated", &[("n", &s.len())]),
            tf(l, "menu.deltas-unsent", &[("n", &s.unsent().0)]),
            tf(
                l,
                "menu.lost-in-crashes",
                &[("deltas", &c.deltas_lost_in_crash), ("sessions", &c.creations_lost_in_crash)],
            ),
        ],
        Kind::Redis => {
            let none = t(l, "menu.none").to_string();
            let store = s.session_store_node().map_or(none, |n| cluster.sim.name(n).to_string());
            vec![
                tf(l, "menu.sessions-in-store", &[("store", &store)]),
                tf(l, "menu.store-misses", &[("misses", &c.store_misses), ("failures", &c.store_failures)]),
            ]
        }
    }
}
