//! Where each node sits on the diagram, in the layers of the source texts.
//!
//! Owns the diagram's coordinate system and each node's position. Layers run
//! left to right on a wide screen (a 1000 × 560 view box) and top to bottom on
//! a narrow one (560 × 1000, the same layout transposed). Pure arithmetic: no
//! DOM, so the SVG, the dot canvas and tests all agree on one layout.

use crate::cluster::{Cluster, ClusterNode, NodeKind};
use crate::sim::NodeId;

/// The long side of the view box.
pub const VIEW_LONG: f64 = 1000.0;
/// The short side of the view box.
pub const VIEW_SHORT: f64 = 560.0;
pub const NODE_W: f64 = 176.0;
pub const NODE_H: f64 = 64.0;

/// Which way the layers run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Orientation {
    /// Layers left to right (desktop).
    Wide,
    /// Layers top to bottom (phone).
    Tall,
}

impl Orientation {
    /// Picks the orientation for a viewport `width_px` wide.
    pub fn for_width(width_px: f64) -> Self {
        if width_px < 700.0 { Self::Tall } else { Self::Wide }
    }

    /// The view box's (width, height).
    pub fn view_size(self) -> (f64, f64) {
        match self {
            Self::Wide => (VIEW_LONG, VIEW_SHORT),
            Self::Tall => (VIEW_SHORT, VIEW_LONG),
        }
    }

    /// Maps a point of the wide layout (x along the layers) to this one.
    fn place(self, along: f64, across: f64) -> (f64, f64) {
        match self {
            Self::Wide => (along, across),
            Self::Tall => (across, along),
        }
    }
}

/// A layer of the architecture: a band across the diagram.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    pub title: &'static str,
    pub title_zh: &'static str,
    /// Start and extent along the layer axis (wide layout: x and width).
    pub start: f64,
    pub extent: f64,
}

pub const BANDS: [Band; 3] = [
    Band { title: "Clients", title_zh: "客户端", start: 10.0, extent: 260.0 },
    Band { title: "Access layer", title_zh: "接入层", start: 370.0, extent: 260.0 },
    Band { title: "Application layer", title_zh: "应用层", start: 730.0, extent: 260.0 },
];

/// A band's rectangle in `orientation`: (x, y, width, height).
pub fn band_rect(band: &Band, orientation: Orientation) -> (f64, f64, f64, f64) {
    match orientation {
        Orientation::Wide => (band.start, 8.0, band.extent, VIEW_SHORT - 16.0),
        Orientation::Tall => (8.0, band.start, VIEW_SHORT - 16.0, band.extent),
    }
}

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
        NodeKind::Shoppers | NodeKind::Edge => 0,
        NodeKind::Balancer | NodeKind::Vip => 1,
        NodeKind::App | NodeKind::Service | NodeKind::Coordination | NodeKind::Storage => 2,
    }
}

/// Places every node: each band's nodes spread evenly across it.
pub fn place_all(cluster: &Cluster, orientation: Orientation) -> Vec<Place> {
    let kinds: Vec<NodeKind> = cluster.sim.nodes().iter().map(ClusterNode::kind).collect();
    let mut places = Vec::with_capacity(kinds.len());
    // Leave room for the band title: at the top when wide, at the left edge's
    // top line when tall (titles sit above the nodes in both).
    let (first, span) = match orientation {
        Orientation::Wide => (80.0, VIEW_SHORT - 110.0),
        Orientation::Tall => (10.0, VIEW_SHORT - 20.0),
    };
    for (band_index, band) in BANDS.iter().enumerate() {
        let members: Vec<usize> = (0..kinds.len()).filter(|&i| band_of(kinds[i]) == band_index).collect();
        let step = span / members.len().max(1) as f64;
        let along = match orientation {
            Orientation::Wide => band.start + band.extent / 2.0,
            Orientation::Tall => band.start + band.extent / 2.0 + 14.0,
        };
        for (slot, &i) in members.iter().enumerate() {
            let across = first + step * (slot as f64 + 0.5);
            let (cx, cy) = orientation.place(along, across);
            places.push(Place { id: NodeId(i as u16), cx, cy });
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
            _ => {}
        }
    }
    out
}

/// The transform from view-box units to a canvas of `width` × `height`
/// pixels, as SVG's `xMidYMid meet` does it: (scale, offset x, offset y).
pub fn fit(width: f64, height: f64, orientation: Orientation) -> (f64, f64, f64) {
    let (view_w, view_h) = orientation.view_size();
    let scale = (width / view_w).min(height / view_h);
    (scale, (width - view_w * scale) / 2.0, (height - view_h * scale) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::topology::SliceOptions;

    #[test]
    fn every_node_is_placed_inside_the_view_without_overlap() {
        let cluster = Cluster::slice(&SliceOptions::default());
        for orientation in [Orientation::Wide, Orientation::Tall] {
            let (view_w, view_h) = orientation.view_size();
            let places = place_all(&cluster, orientation);
            assert_eq!(places.len(), cluster.sim.nodes().len());
            for p in &places {
                let inside_x = p.cx - NODE_W / 2.0 >= 0.0 && p.cx + NODE_W / 2.0 <= view_w;
                let inside_y = p.cy - NODE_H / 2.0 >= 0.0 && p.cy + NODE_H / 2.0 <= view_h;
                assert!(inside_x && inside_y, "{orientation:?} {p:?}");
            }
            for a in &places {
                for b in places.iter().filter(|b| b.id > a.id) {
                    let apart = (a.cx - b.cx).abs() >= NODE_W || (a.cy - b.cy).abs() >= NODE_H;
                    assert!(apart, "{orientation:?}: {a:?} overlaps {b:?}");
                }
            }
        }
    }

    #[test]
    fn fit_centres_the_view() {
        assert_eq!(fit(2000.0, 1120.0, Orientation::Wide), (2.0, 0.0, 0.0));
        let (s, ox, oy) = fit(1000.0, 1000.0, Orientation::Wide);
        assert_eq!((s, ox, oy), (1.0, 0.0, 220.0));
        assert_eq!(fit(560.0, 1000.0, Orientation::Tall), (1.0, 0.0, 0.0));
    }

    #[test]
    fn narrow_screens_get_the_tall_layout() {
        assert_eq!(Orientation::for_width(390.0), Orientation::Tall);
        assert_eq!(Orientation::for_width(1366.0), Orientation::Wide);
    }
}
