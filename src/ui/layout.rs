//! Where each node sits on the diagram, in the layers of the source texts.
//!
//! Owns the diagram's coordinate system (a 1000 × 560 view box), the layer
//! bands and each node's position and size. Pure arithmetic: no DOM, so the
//! SVG, the dot canvas and tests all agree on one layout.

use crate::cluster::{Cluster, ClusterNode, NodeKind};
use crate::sim::NodeId;

pub const VIEW_W: f64 = 1000.0;
pub const VIEW_H: f64 = 560.0;
pub const NODE_W: f64 = 176.0;
pub const NODE_H: f64 = 64.0;

/// A vertical band of the diagram: one layer of the architecture.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    pub title: &'static str,
    pub title_zh: &'static str,
    pub x: f64,
    pub w: f64,
}

pub const BANDS: [Band; 3] = [
    Band { title: "Clients", title_zh: "客户端", x: 10.0, w: 260.0 },
    Band { title: "Access layer", title_zh: "接入层", x: 370.0, w: 260.0 },
    Band { title: "Application layer", title_zh: "应用层", x: 730.0, w: 260.0 },
];

/// A node's place: the centre of its box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    pub id: NodeId,
    pub cx: f64,
    pub cy: f64,
}

/// The band a kind of node belongs to.
fn band_of(kind: NodeKind) -> usize {
    match kind {
        NodeKind::Shoppers => 0,
        NodeKind::Balancer => 1,
        NodeKind::App => 2,
    }
}

/// Places every node: each band's nodes spread evenly from top to bottom.
pub fn place_all(cluster: &Cluster) -> Vec<Place> {
    let kinds: Vec<NodeKind> = cluster.sim.nodes().iter().map(ClusterNode::kind).collect();
    let mut places = Vec::with_capacity(kinds.len());
    for (band_index, band) in BANDS.iter().enumerate() {
        let members: Vec<usize> = (0..kinds.len()).filter(|&i| band_of(kinds[i]) == band_index).collect();
        let top = 80.0;
        let span = VIEW_H - top - 30.0;
        let step = span / members.len().max(1) as f64;
        for (slot, &i) in members.iter().enumerate() {
            let cy = top + step * (slot as f64 + 0.5);
            places.push(Place { id: NodeId(i as u16), cx: band.x + band.w / 2.0, cy });
        }
    }
    places.sort_by_key(|p| p.id);
    places
}

/// The edges to draw: every path a request can take.
pub fn edges(cluster: &Cluster) -> Vec<(NodeId, NodeId)> {
    let mut out = Vec::new();
    for (i, node) in cluster.sim.nodes().iter().enumerate() {
        let from = NodeId(i as u16);
        match node {
            ClusterNode::Shoppers(pool) => out.push((from, pool.entry)),
            ClusterNode::Balancer(lb) => out.extend(lb.upstreams.iter().map(|&u| (from, u))),
            ClusterNode::App(_) => {}
        }
    }
    out
}

/// The transform from view-box units to a canvas of `width` × `height`
/// pixels, as SVG's `xMidYMid meet` does it: (scale, offset x, offset y).
pub fn fit(width: f64, height: f64) -> (f64, f64, f64) {
    let scale = (width / VIEW_W).min(height / VIEW_H);
    (scale, (width - VIEW_W * scale) / 2.0, (height - VIEW_H * scale) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::topology::SliceOptions;

    #[test]
    fn every_node_is_placed_inside_the_view_without_overlap() {
        let cluster = Cluster::slice(&SliceOptions::default());
        let places = place_all(&cluster);
        assert_eq!(places.len(), cluster.sim.nodes().len());
        for p in &places {
            assert!(p.cx - NODE_W / 2.0 >= 0.0 && p.cx + NODE_W / 2.0 <= VIEW_W, "{p:?}");
            assert!(p.cy - NODE_H / 2.0 >= 0.0 && p.cy + NODE_H / 2.0 <= VIEW_H, "{p:?}");
        }
        for a in &places {
            for b in places.iter().filter(|b| b.id > a.id) {
                let apart = (a.cx - b.cx).abs() >= NODE_W || (a.cy - b.cy).abs() >= NODE_H;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn fit_centres_the_view() {
        assert_eq!(fit(2000.0, 1120.0), (2.0, 0.0, 0.0));
        let (s, ox, oy) = fit(1000.0, 1000.0);
        assert_eq!((s, ox), (1.0, 0.0));
        assert_eq!(oy, 220.0);
    }
}
