//! The slice's layout: a few nodes in three layers, spread evenly.
//!
//! Owns the first lesson's diagram: clients, access and application layers,
//! each node's kind choosing its band, in a 1000 × 560 view box (560 × 1000
//! when tall, the same layout transposed). Never names a node: any small
//! topology is laid out by its nodes' kinds.

use super::{Band, Layout, Orientation, Place, Rect};
use crate::cluster::{Cluster, ClusterNode, NodeKind};
use crate::sim::NodeId;

/// The long side of the view box.
const VIEW_LONG: f64 = 1000.0;
/// The short side of the view box.
const VIEW_SHORT: f64 = 560.0;
const NODE_W: f64 = 176.0;
const NODE_H: f64 = 64.0;

/// (title, Chinese title, start along the layer axis, extent).
const BANDS: [(&str, &str, f64, f64); 3] = [
    ("Clients", "客户端", 10.0, 260.0),
    ("Access layer", "接入层", 370.0, 260.0),
    ("Application layer", "应用层", 730.0, 260.0),
];

/// The band a kind of node belongs to.
fn band_of(kind: NodeKind) -> usize {
    match kind {
        NodeKind::Shoppers | NodeKind::Edge => 0,
        NodeKind::Balancer | NodeKind::Vip => 1,
        NodeKind::App | NodeKind::Service | NodeKind::Coordination | NodeKind::Storage => 2,
    }
}

/// Maps a point of the wide layout (x along the layers) to `orientation`.
fn oriented(orientation: Orientation, along: f64, across: f64) -> (f64, f64) {
    match orientation {
        Orientation::Wide => (along, across),
        Orientation::Tall => (across, along),
    }
}

fn band(orientation: Orientation, (title, title_zh, start, extent): (&'static str, &'static str, f64, f64)) -> Band {
    let rect = match orientation {
        Orientation::Wide => Rect { x: start, y: 8.0, w: extent, h: VIEW_SHORT - 16.0 },
        Orientation::Tall => Rect { x: 8.0, y: start, w: VIEW_SHORT - 16.0, h: extent },
    };
    let (title_x, title_y, centred) = match orientation {
        Orientation::Wide => (rect.x + rect.w / 2.0, 40.0, true),
        Orientation::Tall => (rect.x + 14.0, rect.y + 24.0, false),
    };
    Band { title, title_zh, rect, title_x, title_y, centred }
}

/// Places every node: each band's nodes spread evenly across it.
pub fn layout(cluster: &Cluster, orientation: Orientation) -> Layout {
    let kinds: Vec<NodeKind> = cluster.sim.nodes().iter().map(ClusterNode::kind).collect();
    let mut places = Vec::with_capacity(kinds.len());
    // Leave room for the band title: at the top when wide, at the band's top
    // line when tall (titles sit above the nodes in both).
    let (first, span) = match orientation {
        Orientation::Wide => (80.0, VIEW_SHORT - 110.0),
        Orientation::Tall => (10.0, VIEW_SHORT - 20.0),
    };
    for (band_index, &(_, _, start, extent)) in BANDS.iter().enumerate() {
        let members: Vec<usize> = (0..kinds.len()).filter(|&i| band_of(kinds[i]) == band_index).collect();
        let step = span / members.len().max(1) as f64;
        let along = match orientation {
            Orientation::Wide => start + extent / 2.0,
            Orientation::Tall => start + extent / 2.0 + 14.0,
        };
        for (slot, &i) in members.iter().enumerate() {
            let (cx, cy) = oriented(orientation, along, first + step * (slot as f64 + 0.5));
            places.push(Place { id: NodeId(i as u16), cx, cy });
        }
    }
    places.sort_by_key(|p| p.id);
    let (view_w, view_h) = oriented(orientation, VIEW_LONG, VIEW_SHORT);
    Layout {
        orientation,
        view_w,
        view_h,
        node_w: NODE_W,
        node_h: NODE_H,
        name_font: 17.0,
        places,
        bands: BANDS.iter().map(|&b| band(orientation, b)).collect(),
        regions: Vec::new(),
        kind: "slice",
    }
}
