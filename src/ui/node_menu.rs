//! The action menu of one node: faults and repairs, plus a short inspector.
//!
//! Owns the `data-action` buttons. Works by mouse, touch and keyboard (it is
//! a plain group of buttons; Escape closes it). Offers only the actions that
//! make sense in the node's current state.

use super::state::Action;
use crate::cluster::command::NodeAction;
use crate::cluster::{Cluster, ClusterNode};
use crate::sim::{NodeId, Process};
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
    pub actions: Vec<NodeAction>,
    pub dispatch: Callback<Action>,
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
pub fn facts(cluster: &Cluster, id: NodeId) -> Vec<String> {
    let life = cluster.sim.lifecycle(id);
    let mut out = vec![format!("boot #{} · {} crash(es)", life.incarnation, life.crashes)];
    match cluster.sim.node(id) {
        ClusterNode::Shoppers(pool) => {
            let lost: u32 = pool.shoppers.iter().map(|s| s.login_redirects).sum();
            let done: u32 = pool.shoppers.iter().map(|s| s.journeys_completed).sum();
            out.push(format!("journeys completed: {done}"));
            out.push(format!("sent back to login: {lost}"));
        }
        ClusterNode::Balancer(lb) => {
            for (i, h) in lb.health.iter().enumerate() {
                let name = cluster.sim.name(lb.upstreams[i]);
                let marked = if h.down_until_us > cluster.sim.now_us() { "marked down" } else { "available" };
                out.push(format!("{name}: {marked}, {} requests", h.requests));
            }
        }
        ClusterNode::App(app) => {
            out.extend(session_facts(cluster, app));
            out.push(format!(
                "workers busy: {}/{} · queued {}",
                app.busy_workers(),
                app.config.max_threads,
                app.queued()
            ));
            out.push(format!("served {} · rejected {}", app.served, app.rejected));
        }
        _ => {}
    }
    out
}

fn action_label(action: NodeAction) -> &'static str {
    match action {
        NodeAction::Crash => "Crash",
        NodeAction::Restart => "Restart",
        NodeAction::Pause => "Pause (GC freeze)",
        NodeAction::Resume => "Resume",
        NodeAction::Slow => "Slow down (+200 ms)",
        NodeAction::Partition => "Cut off (partition)",
        NodeAction::Heal => "Heal",
    }
}

#[function_component(NodeMenu)]
pub fn node_menu(props: &NodeMenuProps) -> Html {
    let d = &props.dispatch;
    let node = props.node;
    let onkeydown = {
        let d = d.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                d.emit(Action::CloseMenu);
            }
        })
    };
    let style = format!("left:{:.1}%;top:{:.1}%", props.left_pct, props.top_pct);
    html! {
        <div class="node-menu" role="menu" aria-label={format!("Actions for {}", props.name)} {style} {onkeydown}>
            <header>
                <strong>{ &props.name }</strong>
                <span class={classes!("state-pill", format!("state-{}", props.state))}>{ props.state }</span>
                <button class="close" aria-label="Close" onclick={d.reform(|_| Action::CloseMenu)}>{ "×" }</button>
            </header>
            <div class="actions">
                { for props.actions.iter().map(|&a| html! {
                    <button role="menuitem" data-action={a.as_str()} onclick={d.reform(move |_| Action::Node(node, a))}>
                        { action_label(a) }
                    </button>
                }) }
            </div>
            <ul class="facts">{ for props.facts.iter().map(|f| html! { <li>{ f }</li> }) }</ul>
        </div>
    }
}

/// What the reader should know of a Tomcat's session manager.
fn session_facts(cluster: &Cluster, app: &crate::cluster::app_server::AppServer) -> Vec<String> {
    use crate::cluster::session_store::SessionStoreKind as Kind;
    let s = &app.sessions;
    let c = s.counts;
    match s.store() {
        Kind::Memory | Kind::Sticky => vec![format!("sessions in memory: {}", s.len())],
        Kind::Replicated => vec![
            format!("sessions in memory (own and copies): {}", s.len()),
            format!("deltas waiting to be sent: {}", s.unsent().0),
            format!(
                "lost in crashes: {} delta(s), {} new session(s)",
                c.deltas_lost_in_crash, c.creations_lost_in_crash
            ),
        ],
        Kind::Redis => {
            let store = s.session_store_node().map_or("none".to_string(), |n| cluster.sim.name(n).to_string());
            vec![
                format!("sessions kept in {store}; none in memory"),
                format!("store misses {} · store failures {}", c.store_misses, c.store_failures),
            ]
        }
    }
}
