//! The whole shop's layout: 45 nodes in five layers and two regions.
//!
//! Owns where each node of `FULL_NODES` sits. Wide (desktop): the layers run
//! left to right in nine columns; South China's machines fill the top rows,
//! Central China's the bottom rows, and what both regions share sits between
//! (and fills the application and storage layers). Tall (phone): the layers
//! run top to bottom in three lanes — South, shared, Central — so boxes stay
//! wide enough for their names. The grid is placed by hand so that most
//! edges run between neighbours without crossing a box. Never reads state.

use super::{Band, Layout, Orientation, Place, Rect};
use crate::cluster::topology_full::FULL_NODES;
use crate::sim::NodeId;

/// A layer: (title, Chinese title).
const LAYERS: [(&str, &str); 5] = [
    ("Clients", "客户端层"),
    ("Edge", "DNS 与 CDN"),
    ("Access", "接入层"),
    ("Application", "应用层"),
    ("Storage", "存储层"),
];

/// A node's slot: layer; wide (column, row); tall (row within its layer, lane).
struct Slot {
    name: &'static str,
    layer: usize,
    wide: (usize, usize),
    tall: (usize, usize),
}

const fn slot(name: &'static str, layer: usize, wide: (usize, usize), tall: (usize, usize)) -> Slot {
    Slot { name, layer, wide, tall }
}

/// Every node's slot. Wide rows 0–2 are South China, 6–8 Central China; the
/// storage layer's last two rows are left for the diagram's key.
const SLOTS: [Slot; 45] = [
    slot("xiaoming", 0, (0, 0), (0, 1)),
    slot("browsers-south", 0, (0, 1), (1, 0)),
    slot("shoppers-south", 0, (0, 2), (0, 0)),
    slot("shoppers-central", 0, (0, 6), (0, 2)),
    slot("browsers-central", 0, (0, 7), (1, 2)),
    slot("resolver-south", 1, (1, 0), (0, 0)),
    slot("cdn-south", 1, (1, 2), (1, 0)),
    slot("origin", 1, (1, 3), (1, 1)),
    slot("dns", 1, (1, 4), (0, 1)),
    slot("cdn-central", 1, (1, 6), (1, 2)),
    slot("resolver-central", 1, (1, 8), (0, 2)),
    slot("lb-south-1", 2, (2, 0), (1, 0)),
    slot("vip-south", 2, (2, 1), (0, 0)),
    slot("lb-south-2", 2, (2, 2), (2, 0)),
    slot("lb-central-1", 2, (2, 6), (1, 2)),
    slot("vip-central", 2, (2, 7), (0, 2)),
    slot("lb-central-2", 2, (2, 8), (2, 2)),
    slot("app-1", 3, (3, 1), (0, 0)),
    slot("app-2", 3, (3, 2), (0, 1)),
    slot("app-3", 3, (3, 3), (0, 2)),
    slot("app-4", 3, (3, 4), (1, 0)),
    slot("app-5", 3, (3, 5), (1, 1)),
    slot("app-6", 3, (3, 6), (1, 2)),
    slot("gateway", 3, (4, 3), (2, 1)),
    slot("registry", 3, (4, 5), (2, 2)),
    slot("autoscaler", 3, (4, 8), (2, 0)),
    slot("product-1", 3, (5, 1), (3, 0)),
    slot("product-2", 3, (5, 2), (3, 1)),
    slot("order", 3, (5, 3), (3, 2)),
    slot("payment", 3, (5, 4), (4, 0)),
    slot("inventory-1", 3, (5, 5), (4, 1)),
    slot("inventory-2", 3, (5, 6), (4, 2)),
    slot("notification", 3, (5, 7), (5, 0)),
    slot("product-cache", 3, (6, 1), (6, 0)),
    slot("tpc", 3, (6, 3), (6, 1)),
    slot("zk", 3, (6, 5), (5, 2)),
    slot("mq", 3, (6, 7), (5, 1)),
    slot("mycat", 4, (7, 2), (0, 1)),
    slot("inventory-db", 4, (7, 4), (0, 2)),
    slot("redis", 4, (7, 6), (0, 0)),
    slot("db-shard1-master", 4, (8, 0), (1, 1)),
    slot("db-shard1-replica", 4, (8, 1), (2, 1)),
    slot("db-shard2-master", 4, (8, 3), (1, 2)),
    slot("db-shard2-replica", 4, (8, 4), (2, 2)),
    slot("redis-replica", 4, (8, 6), (1, 0)),
];

/// The first and last wide column of each layer.
const LAYER_COLUMNS: [(usize, usize); 5] = [(0, 0), (1, 1), (2, 2), (3, 6), (7, 8)];
const WIDE_ROWS: usize = 9;

// Wide geometry, in view-box units.
const WIDE_NODE_W: f64 = 136.0;
const WIDE_NODE_H: f64 = 42.0;
const COL_PITCH: f64 = 150.0;
const ROW_PITCH: f64 = 52.0;
const LAYER_GAP: f64 = 14.0;
/// Room at the left for the regions' titles (written upwards).
const REGION_MARGIN: f64 = 30.0;
const BAND_PAD: f64 = 7.0;
/// The first row's top: below the bands' titles.
const WIDE_TOP: f64 = 48.0;

// Tall geometry.
const LANES: usize = 3;
const TALL_NODE_W: f64 = 128.0;
const TALL_NODE_H: f64 = 42.0;
const LANE_PITCH: f64 = 132.0;
const TALL_ROW_PITCH: f64 = 52.0;
/// A tall band's title line above its first row.
const TALL_TITLE: f64 = 28.0;
const TALL_MARGIN: f64 = 5.0;
/// Room at the top for the regions' titles above their lanes.
const TALL_TOP: f64 = 26.0;
/// Room at the bottom for the diagram's own controls (the heartbeat toggle).
const TALL_FOOT: f64 = 62.0;

pub fn layout(orientation: Orientation) -> Layout {
    match orientation {
        Orientation::Wide => wide(),
        Orientation::Tall => tall(),
    }
}

fn column_left(column: usize) -> f64 {
    let layer = LAYER_COLUMNS.iter().position(|&(first, last)| (first..=last).contains(&column)).unwrap_or(0);
    REGION_MARGIN + BAND_PAD + column as f64 * COL_PITCH + layer as f64 * LAYER_GAP
}

fn row_top(row: usize) -> f64 {
    WIDE_TOP + row as f64 * ROW_PITCH
}

fn wide() -> Layout {
    let places = place(|s| {
        let (column, row) = s.wide;
        (column_left(column) + WIDE_NODE_W / 2.0, row_top(row) + WIDE_NODE_H / 2.0)
    });
    let band_h = row_top(WIDE_ROWS - 1) + WIDE_NODE_H + BAND_PAD - 4.0;
    let bands = LAYERS
        .iter()
        .zip(LAYER_COLUMNS)
        .map(|(&(title, title_zh), (first, last))| {
            let x = column_left(first) - BAND_PAD;
            let w = column_left(last) + WIDE_NODE_W + BAND_PAD - x;
            let rect = Rect { x, y: 4.0, w, h: band_h };
            Band { title, title_zh, rect, title_x: x + w / 2.0, title_y: 28.0, centred: true }
        })
        .collect();
    // The regions' lanes cross the clients, edge and access layers.
    let lane_w = column_left(2) + WIDE_NODE_W + BAND_PAD + 2.0 - 4.0;
    let lane = |title, title_zh, first_row: usize| {
        let y = row_top(first_row) - 4.0;
        let h = 2.0 * ROW_PITCH + WIDE_NODE_H + 8.0;
        let rect = Rect { x: 4.0, y, w: lane_w, h };
        Band { title, title_zh, rect, title_x: 20.0, title_y: y + h / 2.0, centred: true }
    };
    let regions = vec![lane("South China", "华南", 0), lane("Central China", "华中", 6)];
    Layout {
        orientation: Orientation::Wide,
        view_w: column_left(8) + WIDE_NODE_W + BAND_PAD + 6.0,
        view_h: band_h + 8.0,
        node_w: WIDE_NODE_W,
        node_h: WIDE_NODE_H,
        name_font: 14.0,
        places,
        bands,
        regions,
        kind: "full",
    }
}

/// Rows each layer takes when tall.
fn tall_rows(layer: usize) -> usize {
    SLOTS.iter().filter(|s| s.layer == layer).map(|s| s.tall.0 + 1).max().unwrap_or(1)
}

/// The top of each layer's band when tall.
fn tall_band_top(layer: usize) -> f64 {
    let above: f64 = (0..layer).map(|l| TALL_TITLE + tall_rows(l) as f64 * TALL_ROW_PITCH + 8.0).sum();
    TALL_TOP + above
}

fn tall() -> Layout {
    let lane_x = |lane: usize| TALL_MARGIN + lane as f64 * LANE_PITCH + TALL_NODE_W / 2.0;
    let places = place(|s| {
        let (row, lane) = s.tall;
        let top = tall_band_top(s.layer) + TALL_TITLE + row as f64 * TALL_ROW_PITCH;
        (lane_x(lane), top + TALL_NODE_H / 2.0)
    });
    let view_w = 2.0 * TALL_MARGIN + (LANES - 1) as f64 * LANE_PITCH + TALL_NODE_W;
    let bands = LAYERS
        .iter()
        .enumerate()
        .map(|(layer, &(title, title_zh))| {
            let y = tall_band_top(layer);
            let h = TALL_TITLE + tall_rows(layer) as f64 * TALL_ROW_PITCH;
            let rect = Rect { x: 3.0, y, w: view_w - 6.0, h };
            Band { title, title_zh, rect, title_x: view_w / 2.0, title_y: y + 19.0, centred: true }
        })
        .collect();
    // South's lane on the left, Central's on the right, down to the access layer.
    let lanes_end = tall_band_top(3) - 4.0;
    let lane = |title, title_zh, lane: usize| {
        let x = lane_x(lane) - TALL_NODE_W / 2.0 - 4.0;
        let rect = Rect { x, y: 4.0, w: TALL_NODE_W + 8.0, h: lanes_end - 4.0 };
        Band { title, title_zh, rect, title_x: x + rect.w / 2.0, title_y: 19.0, centred: true }
    };
    let regions = vec![lane("South China", "华南", 0), lane("Central China", "华中", 2)];
    let last = LAYERS.len() - 1;
    Layout {
        orientation: Orientation::Tall,
        view_w,
        view_h: tall_band_top(last) + TALL_TITLE + tall_rows(last) as f64 * TALL_ROW_PITCH + TALL_FOOT,
        node_w: TALL_NODE_W,
        node_h: TALL_NODE_H,
        name_font: 14.0,
        places,
        bands,
        regions,
        kind: "full",
    }
}

/// Every node's centre, indexed by its id (its position in `FULL_NODES`).
fn place(centre: impl Fn(&Slot) -> (f64, f64)) -> Vec<Place> {
    FULL_NODES
        .iter()
        .enumerate()
        .map(|(i, &name)| {
            let s = SLOTS.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("{name} has no slot"));
            let (cx, cy) = centre(s);
            Place { id: NodeId(i as u16), cx, cy }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corner_for_the_key_stays_empty() {
        let storage = LAYER_COLUMNS[4];
        let taken: Vec<&str> =
            SLOTS.iter().filter(|s| s.wide.0 >= storage.0 && s.wide.1 >= 7).map(|s| s.name).collect();
        assert!(taken.is_empty(), "the key would cover {taken:?}");
    }

    #[test]
    fn every_node_has_exactly_one_slot_in_a_valid_cell() {
        for &name in &FULL_NODES {
            assert_eq!(SLOTS.iter().filter(|s| s.name == name).count(), 1, "{name}");
        }
        for s in &SLOTS {
            let (first, last) = LAYER_COLUMNS[s.layer];
            assert!((first..=last).contains(&s.wide.0), "{}: column {} is not in its layer", s.name, s.wide.0);
            assert!(s.wide.1 < WIDE_ROWS && s.tall.1 < LANES, "{}", s.name);
        }
    }

    /// The regions read as regions: South's machines above Central's.
    #[test]
    fn south_sits_above_central_when_wide_and_left_of_it_when_tall() {
        for (south, central) in [("lb-south-1", "lb-central-1"), ("resolver-south", "resolver-central")] {
            let at = |o, n| layout(o).places[crate::cluster::topology_full::id(n).index()];
            assert!(at(Orientation::Wide, south).cy < at(Orientation::Wide, central).cy, "{south}");
            assert!(at(Orientation::Tall, south).cx < at(Orientation::Tall, central).cx, "{south}");
        }
    }
}
