//! Where each node sits on the diagram, in the layers of the source texts.
//!
//! Owns the diagram's coordinate system: a `Layout` (view box, node box size,
//! each node's centre, the layer bands and the region lanes) for the running
//! topology and the screen's orientation. Layers run left to right on a wide
//! screen and top to bottom on a narrow one. Pure arithmetic: no DOM, so the
//! SVG, the dot canvas and the tests all agree on one layout. Never reads a
//! node's state; children: `layout/full` (the whole shop), `layout/slice`
//! (the first lesson's slice), `layout/edges` (which pairs of nodes talk).

use crate::cluster::Cluster;
use crate::cluster::topology_full::FULL_NODES;
use crate::sim::NodeId;

pub mod edges;
pub mod full;
pub mod slice;

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
}

/// A rectangle in view-box units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn contains(&self, other: &Rect) -> bool {
        other.x >= self.x
            && other.y >= self.y
            && other.x + other.w <= self.x + self.w
            && other.y + other.h <= self.y + self.h
    }

    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }
}

/// A layer of the architecture (or a region's lane): a titled rectangle.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub title: &'static str,
    pub title_zh: &'static str,
    pub rect: Rect,
    /// Where the title's text starts (its baseline), and whether it is centred.
    pub title_x: f64,
    pub title_y: f64,
    pub centred: bool,
}

/// A node's place: the centre of its box.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    pub id: NodeId,
    pub cx: f64,
    pub cy: f64,
}

/// The whole diagram's geometry for one topology and orientation.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub orientation: Orientation,
    pub view_w: f64,
    pub view_h: f64,
    pub node_w: f64,
    pub node_h: f64,
    /// Font size of a node's name, in view-box units.
    pub name_font: f64,
    /// Indexed by `NodeId`.
    pub places: Vec<Place>,
    pub bands: Vec<Band>,
    /// The regions' lanes (South China, Central China), drawn behind the nodes.
    pub regions: Vec<Band>,
    /// `full` or `slice`: the SVG's class, for sizes the stylesheet sets.
    pub kind: &'static str,
}

impl Layout {
    /// The layout of `cluster`'s topology: the whole shop's hand-placed grid,
    /// or the slice's evenly spread layers.
    pub fn of(cluster: &Cluster, orientation: Orientation) -> Self {
        if is_full_shop(cluster) { full::layout(orientation) } else { slice::layout(cluster, orientation) }
    }

    /// The box of a node, in view-box units.
    pub fn node_rect(&self, id: NodeId) -> Rect {
        let p = &self.places[id.index()];
        Rect { x: p.cx - self.node_w / 2.0, y: p.cy - self.node_h / 2.0, w: self.node_w, h: self.node_h }
    }

    /// The transform from view-box units to a canvas of `width` × `height`
    /// pixels, as SVG's `xMidYMid meet` does it: (scale, offset x, offset y).
    pub fn fit(&self, width: f64, height: f64) -> (f64, f64, f64) {
        let scale = (width / self.view_w).min(height / self.view_h);
        (scale, (width - self.view_w * scale) / 2.0, (height - self.view_h * scale) / 2.0)
    }

    /// The name's font size so that `name` fits its box (a generous estimate
    /// of a bold glyph's width, `GLYPH_EM`), with room for the state dot.
    pub fn name_font_for(&self, name: &str) -> f64 {
        let room = self.node_w - NAME_MARGIN;
        let chars = name.chars().count().max(1) as f64;
        self.name_font.min(room / (chars * GLYPH_EM))
    }
}

/// The average width of a glyph of a node name, in em (bold system sans
/// fonts measure about 0.61 for lower-case, digits and hyphens).
pub const GLYPH_EM: f64 = 0.64;
/// Room a name leaves free in its box: the load bar left, the dot right.
pub const NAME_MARGIN: f64 = 14.0;

/// True when `cluster` is the default topology (`Cluster::full`).
pub fn is_full_shop(cluster: &Cluster) -> bool {
    let nodes = cluster.sim.nodes().len();
    nodes == FULL_NODES.len() && FULL_NODES.iter().enumerate().all(|(i, &n)| cluster.sim.name(NodeId(i as u16)) == n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::topology::SliceOptions;

    /// Every node placed once, inside the view box and inside its band, and
    /// no two boxes overlap: for both topologies and both orientations.
    #[test]
    fn every_node_is_placed_inside_the_view_without_overlap() {
        let clusters = [Cluster::slice(&SliceOptions::default()), Cluster::full(&SliceOptions::default())];
        for cluster in &clusters {
            for orientation in [Orientation::Wide, Orientation::Tall] {
                let layout = Layout::of(cluster, orientation);
                let what = format!("{} {orientation:?}", layout.kind);
                let view = Rect { x: 0.0, y: 0.0, w: layout.view_w, h: layout.view_h };
                assert_eq!(layout.places.len(), cluster.sim.nodes().len(), "{what}");
                for (i, p) in layout.places.iter().enumerate() {
                    assert_eq!(p.id.index(), i, "{what}: places are indexed by id");
                    let rect = layout.node_rect(p.id);
                    let name = cluster.sim.name(p.id);
                    assert!(view.contains(&rect), "{what}: {name} at {rect:?} leaves the view");
                    let in_band = layout.bands.iter().filter(|b| b.rect.contains(&rect)).count();
                    assert_eq!(in_band, 1, "{what}: {name} at {rect:?} is in {in_band} bands");
                    for q in layout.places.iter().filter(|q| q.id > p.id) {
                        let other = cluster.sim.name(q.id);
                        assert!(!rect.overlaps(&layout.node_rect(q.id)), "{what}: {name} overlaps {other}");
                    }
                }
                for b in layout.bands.iter().chain(&layout.regions) {
                    assert!(view.contains(&b.rect), "{what}: band {} leaves the view", b.title);
                }
            }
        }
    }

    /// Names fit their boxes and stay readable on screen: at least 10 px on
    /// the desktop page (a 1334 px wide diagram) and 9.5 px on a phone (374 px).
    #[test]
    fn every_name_fits_its_box_at_a_readable_size() {
        let cluster = Cluster::full(&SliceOptions::default());
        for (orientation, screen_px, least_px) in [(Orientation::Wide, 1334.0, 10.0), (Orientation::Tall, 374.0, 9.5)] {
            let layout = Layout::of(&cluster, orientation);
            let scale = screen_px / layout.view_w;
            for &name in &FULL_NODES {
                let font = layout.name_font_for(name);
                let width = font * GLYPH_EM * name.chars().count() as f64;
                assert!(width <= layout.node_w - NAME_MARGIN + 1e-9, "{orientation:?}: {name} is {width} wide");
                assert!(font * scale >= least_px, "{orientation:?}: {name} is {:.2} px on screen", font * scale);
            }
        }
    }

    #[test]
    fn fit_centres_the_view() {
        let layout = Layout::of(&Cluster::slice(&SliceOptions::default()), Orientation::Wide);
        assert_eq!(layout.fit(2000.0, 1120.0), (2.0, 0.0, 0.0));
        let (s, ox, oy) = layout.fit(1000.0, 1000.0);
        assert_eq!((s, ox, oy), (1.0, 0.0, 220.0));
    }

    #[test]
    fn narrow_screens_get_the_tall_layout() {
        assert_eq!(Orientation::for_width(390.0), Orientation::Tall);
        assert_eq!(Orientation::for_width(1366.0), Orientation::Wide);
    }

    #[test]
    fn only_the_default_topology_is_the_full_shop() {
        assert!(is_full_shop(&Cluster::full(&SliceOptions::default())));
        assert!(!is_full_shop(&Cluster::slice(&SliceOptions::default())));
    }
}
