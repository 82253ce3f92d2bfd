//! The static diagram: layer bands, edges and one box per node, in SVG.
//!
//! Owns the SVG markup and the node hooks (`data-node`, `data-state`); a click,
//! tap or Enter on a node opens its action menu. Moving requests are not drawn
//! here (see `dots`): this part only changes when a node's state does.

use super::layout::{self, BANDS, NODE_H, NODE_W, Orientation};
use super::state::Action;
use crate::cluster::lb_algorithm::Algorithm;
use crate::cluster::{Cluster, ClusterNode};
use crate::sim::NodeId;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// Bumped when the model changes.
    pub version: u64,
    pub nodes: Vec<NodeBox>,
    pub edges: Vec<Edge>,
    pub selected: Option<NodeId>,
    pub orientation: Orientation,
    pub dispatch: Callback<Action>,
}

/// A line from one node's centre to another's, in view-box units.
pub type Edge = ((f64, f64), (f64, f64));

/// What the diagram needs to know about one node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    pub id: NodeId,
    pub name: String,
    pub state: &'static str,
    pub cx: f64,
    pub cy: f64,
    /// One short line under the name (sessions, load…).
    pub detail: String,
}

/// The node boxes and edge lines for the current model state.
pub fn describe(cluster: &Cluster, orientation: Orientation) -> (Vec<NodeBox>, Vec<Edge>) {
    let places = layout::place_all(cluster, orientation);
    let nodes = places
        .iter()
        .map(|p| NodeBox {
            id: p.id,
            name: cluster.sim.name(p.id).to_string(),
            state: cluster.visible_state(p.id).as_str(),
            cx: p.cx,
            cy: p.cy,
            detail: detail_line(cluster, p.id),
        })
        .collect();
    let at = |id: NodeId| (places[id.index()].cx, places[id.index()].cy);
    let edges = layout::edges(cluster).into_iter().map(|(a, b)| (at(a), at(b))).collect();
    (nodes, edges)
}

fn detail_line(cluster: &Cluster, id: NodeId) -> String {
    match cluster.sim.node(id) {
        ClusterNode::Shoppers(pool) => {
            let logged_in = pool.shoppers.iter().filter(|s| s.session.is_some()).count();
            if pool.shoppers.len() == 1 {
                let s = &pool.shoppers[0];
                let page = s.waiting_for().unwrap_or_else(|| s.next_page());
                format!("{} · {}", page.as_str(), if logged_in == 1 { "logged in" } else { "guest" })
            } else {
                format!("{} shoppers · {logged_in} logged in", pool.shoppers.len())
            }
        }
        ClusterNode::Balancer(lb) => format!("{} · {} in flight", short_algorithm(lb.config.algorithm), lb.pending()),
        ClusterNode::App(app) => {
            let sessions = app.sessions.len();
            format!("{sessions} session{} · {} busy", if sessions == 1 { "" } else { "s" }, app.busy_workers())
        }
        other => format!("{:?}", other.kind()).to_lowercase(),
    }
}

#[function_component(Diagram)]
pub fn diagram(props: &DiagramProps) -> Html {
    let (view_w, view_h) = props.orientation.view_size();
    let view_box = format!("0 0 {view_w} {view_h}");
    let orientation = props.orientation;
    html! {
        <svg class="diagram" viewBox={view_box} preserveAspectRatio="xMidYMid meet" role="group"
             aria-label="Cluster diagram">
            { for BANDS.iter().map(|b| band(b, orientation)) }
            { for props.edges.iter().map(|&((x1, y1), (x2, y2))| html! {
                <line class="edge" x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()} />
            }) }
            { for props.nodes.iter().map(|n| node_box(n, props.selected == Some(n.id), &props.dispatch)) }
        </svg>
    }
}

fn band(b: &layout::Band, orientation: Orientation) -> Html {
    let (x, y, w, h) = layout::band_rect(b, orientation);
    let (title_x, title_y, anchor) = match orientation {
        Orientation::Wide => (x + w / 2.0, 40.0, "middle"),
        Orientation::Tall => (x + 14.0, y + 24.0, "start"),
    };
    html! {
        <g class="band">
            <rect x={x.to_string()} y={y.to_string()} width={w.to_string()} height={h.to_string()} rx="14" />
            <text x={title_x.to_string()} y={title_y.to_string()} text-anchor={anchor} class="band-title">
                { format!("{} · {}", b.title, b.title_zh) }
            </text>
        </g>
    }
}

fn node_box(n: &NodeBox, selected: bool, dispatch: &Callback<Action>) -> Html {
    let id = n.id;
    let onclick = dispatch.reform(move |_: MouseEvent| Action::OpenMenu(id));
    let onkeydown = {
        let dispatch = dispatch.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                dispatch.emit(Action::OpenMenu(id));
            }
        })
    };
    let class = classes!("node", format!("state-{}", n.state), selected.then_some("selected"));
    let (x, y) = (n.cx - NODE_W / 2.0, n.cy - NODE_H / 2.0);
    html! {
        <g class={class} data-node={n.name.clone()} data-state={n.state} tabindex="0" role="button"
           aria-label={format!("{}, {}. {}. Press Enter for actions.", n.name, n.state, n.detail)}
           aria-haspopup="menu" {onclick} {onkeydown}>
            <rect class="node-box" x={x.to_string()} y={y.to_string()} width={NODE_W.to_string()}
                  height={NODE_H.to_string()} rx="10" />
            <text class="node-name" x={n.cx.to_string()} y={(n.cy - 6.0).to_string()} text-anchor="middle">
                { &n.name }
            </text>
            <text class="node-detail" x={n.cx.to_string()} y={(n.cy + 16.0).to_string()} text-anchor="middle">
                { &n.detail }
            </text>
            <g class="badge">
                <rect x={(x + NODE_W - 64.0).to_string()} y={(y - 10.0).to_string()} width="70" height="20" rx="10" />
                <text x={(x + NODE_W - 29.0).to_string()} y={(y + 4.0).to_string()} text-anchor="middle">{ n.state }</text>
            </g>
        </g>
    }
}

/// The algorithm as nginx's configuration names it: short enough for a node box.
fn short_algorithm(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::RoundRobin => "rr",
        Algorithm::WeightedRoundRobin => "weighted rr",
        Algorithm::LeastConn => "least_conn",
        Algorithm::IpHash => "ip_hash",
        Algorithm::Random => "random",
        Algorithm::P2c => "random two",
    }
}
