//! Requests in flight, drawn as dots on one canvas under the node boxes.
//!
//! Owns the canvas drawing: each frame it reads the messages on the wire from
//! the kernel, places each along its edge by how far through its flight it
//! is, and paints them batched by colour (one path and one fill per colour).
//! The cluster's own chatter (heartbeats, replication, elections) is left out
//! unless the reader asks for it. With reduced motion nothing glides: each
//! edge shows how many requests are on it instead. Deliberately outside Yew's
//! virtual DOM: thousands of dots cost one canvas, not thousands of elements.

use super::layout::Layout;
use crate::cluster::{Cluster, DotClass};
use crate::sim::NodeId;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Colour of each kind of dot (requests by kind, responses by outcome). A new
/// class must be given its colour here: the compiler points at this match.
pub const fn colour(class: DotClass) -> &'static str {
    match class {
        DotClass::Browse => "#4f8cff",
        DotClass::Cart => "#a66bff",
        DotClass::Order => "#ff9f1c",
        DotClass::Pay => "#f15bb5",
        DotClass::Login => "#00b8d9",
        DotClass::Ok => "#2ebd6b",
        DotClass::CacheHit => "#7bd88f",
        DotClass::NotModified => "#1aa39a",
        DotClass::Rejected => "#f5b700",
        DotClass::Error => "#e5383b",
        DotClass::Control => "#8a94a6",
    }
}

/// Dots of one colour class, in view-box units.
pub struct Batch {
    pub class: DotClass,
    pub dots: Vec<(f64, f64)>,
}

/// Where every in-flight message is now, batched by colour class; control
/// traffic only if `show_control`.
pub fn positions(cluster: &Cluster, layout: &Layout, show_control: bool) -> Vec<Batch> {
    let mut out: Vec<Batch> = Vec::new();
    let now = cluster.sim.now_us();
    let places = &layout.places;
    for m in cluster.sim.in_flight() {
        let class = m.msg.dot_class();
        if class == DotClass::Control && !show_control {
            continue;
        }
        let (Some(a), Some(b)) = (places.get(m.from.index()), places.get(m.to.index())) else { continue };
        let span = m.arrives_at_us.saturating_sub(m.sent_at_us).max(1) as f64;
        let t = (now.saturating_sub(m.sent_at_us) as f64 / span).clamp(0.0, 1.0);
        let (dx, dy) = (b.cx - a.cx, b.cy - a.cy);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        // Shift each direction to its own side of the edge, so requests and
        // responses on one link do not overlap.
        let (nx, ny) = (-dy / len * 4.0, dx / len * 4.0);
        let at = (a.cx + dx * t + nx, a.cy + dy * t + ny);
        match out.iter_mut().find(|batch| batch.class == class) {
            Some(batch) => batch.dots.push(at),
            None => out.push(Batch { class, dots: vec![at] }),
        }
    }
    out
}

/// Requests (not control traffic) on each link now, both directions summed:
/// (lower id, higher id, count), sorted by the pair.
pub fn counts_by_link(cluster: &Cluster) -> Vec<(NodeId, NodeId, usize)> {
    let mut pairs: Vec<(NodeId, NodeId)> = cluster
        .sim
        .in_flight()
        .filter(|m| m.msg.dot_class() != DotClass::Control)
        .map(|m| if m.from < m.to { (m.from, m.to) } else { (m.to, m.from) })
        .collect();
    pairs.sort();
    let mut out: Vec<(NodeId, NodeId, usize)> = Vec::new();
    for (a, b) in pairs {
        match out.last_mut() {
            Some(last) if (last.0, last.1) == (a, b) => last.2 += 1,
            _ => out.push((a, b, 1)),
        }
    }
    out
}

/// Paints the dots (or, with `reduced_motion`, the counts per link) onto
/// `canvas`, resizing its backing store to its CSS size (`css_size_px` as a
/// `ResizeObserver` reported it; asked of the canvas, at the price of a
/// layout, only before the first report). Returns how many dots it painted.
pub fn draw(
    canvas: &HtmlCanvasElement,
    css_size_px: Option<(f64, f64)>,
    cluster: &Cluster,
    layout: &Layout,
    (show_control, reduced_motion): (bool, bool),
) -> usize {
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (css_w, css_h) =
        css_size_px.unwrap_or_else(|| (f64::from(canvas.client_width()), f64::from(canvas.client_height())));
    let (px_w, px_h) = ((css_w * ratio) as u32, (css_h * ratio) as u32);
    if canvas.width() != px_w || canvas.height() != px_h {
        canvas.set_width(px_w);
        canvas.set_height(px_h);
    }
    let Some(ctx) = context(canvas) else { return 0 };
    ctx.clear_rect(0.0, 0.0, f64::from(px_w), f64::from(px_h));
    let (scale, ox, oy) = layout.fit(f64::from(px_w), f64::from(px_h));
    if reduced_motion {
        draw_counts(&ctx, cluster, layout, (scale, ox, oy));
        return 0;
    }
    let size = 7.0 * scale;
    let mut drawn = 0;
    for batch in positions(cluster, layout, show_control) {
        ctx.set_fill_style_str(colour(batch.class));
        ctx.begin_path();
        for &(x, y) in &batch.dots {
            let (px, py) = (ox + x * scale, oy + y * scale);
            ctx.rect(px - size / 2.0, py - size / 2.0, size, size);
        }
        ctx.fill();
        drawn += batch.dots.len();
    }
    drawn
}

/// One pill per busy link, at its middle, with the number of requests on it.
fn draw_counts(ctx: &CanvasRenderingContext2d, cluster: &Cluster, layout: &Layout, (scale, ox, oy): (f64, f64, f64)) {
    let counts = counts_by_link(cluster);
    let font_px = 11.0 * scale;
    let mid = |a: NodeId, b: NodeId| {
        let (x, y) = count_anchor(layout, a, b);
        (ox + x * scale, oy + y * scale)
    };
    ctx.set_fill_style_str("#1b2430");
    ctx.begin_path();
    for &(a, b, n) in &counts {
        let (x, y) = mid(a, b);
        let w = font_px * (0.7 * n.to_string().len() as f64 + 0.8);
        ctx.rect(x - w / 2.0, y - font_px * 0.75, w, font_px * 1.5);
    }
    ctx.fill();
    ctx.set_fill_style_str("#ffffff");
    ctx.set_font(&format!("600 {font_px:.1}px system-ui, sans-serif"));
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    for &(a, b, n) in &counts {
        let (x, y) = mid(a, b);
        let _ = ctx.fill_text(&n.to_string(), x, y);
    }
}

/// Where a link's count is drawn: its middle, or the nearest point along it
/// that no box hides (the canvas lies under the boxes), in view-box units.
pub fn count_anchor(layout: &Layout, a: NodeId, b: NodeId) -> (f64, f64) {
    let (p, q) = (&layout.places[a.index()], &layout.places[b.index()]);
    let at = |t: f64| (p.cx + (q.cx - p.cx) * t, p.cy + (q.cy - p.cy) * t);
    let hidden = |(x, y): (f64, f64)| {
        let pill = super::layout::Rect { x: x - 10.0, y: y - 8.0, w: 20.0, h: 16.0 };
        layout.places.iter().any(|n| layout.node_rect(n.id).overlaps(&pill))
    };
    COUNT_SPOTS.iter().map(|&t| at(t)).find(|&spot| !hidden(spot)).unwrap_or_else(|| at(0.5))
}

/// Fractions along a link tried for its count, nearest the middle first.
const COUNT_SPOTS: [f64; 9] = [0.5, 0.42, 0.58, 0.34, 0.66, 0.26, 0.74, 0.18, 0.82];

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into::<CanvasRenderingContext2d>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::topology::SliceOptions;
    use crate::sim::SEC;

    /// With reduced motion a link's count sits where no box hides it,
    /// whenever such a spot exists along the link.
    #[test]
    fn counts_sit_where_no_box_hides_them() {
        use crate::ui::layout::{Orientation, Rect, edges};
        let cluster = Cluster::full(&SliceOptions::default());
        for orientation in [Orientation::Wide, Orientation::Tall] {
            let layout = Layout::of(&cluster, orientation);
            let clear = |(x, y): (f64, f64)| {
                let pill = Rect { x: x - 10.0, y: y - 8.0, w: 20.0, h: 16.0 };
                layout.places.iter().all(|n| !layout.node_rect(n.id).overlaps(&pill))
            };
            let (mut moved, mut hidden_at_middle) = (0, 0);
            for (a, b) in edges::edges(&cluster) {
                let (p, q) = (layout.places[a.index()], layout.places[b.index()]);
                let along = |t: f64| (p.cx + (q.cx - p.cx) * t, p.cy + (q.cy - p.cy) * t);
                let spot = count_anchor(&layout, a, b);
                let name = |id: NodeId| cluster.sim.name(id).to_string();
                if COUNT_SPOTS.iter().any(|&t| clear(along(t))) {
                    assert!(clear(spot), "{orientation:?}: {} – {}: count hidden", name(a), name(b));
                }
                hidden_at_middle += usize::from(!clear(along(0.5)));
                moved += usize::from(!clear(along(0.5)) && clear(spot));
            }
            assert!(moved > 0 && hidden_at_middle > 0, "{orientation:?}: no count needed moving ({moved})");
        }
    }

    #[test]
    fn control_traffic_is_drawn_only_when_asked_for() {
        let mut cluster = Cluster::full(&SliceOptions { seed: 3, ..SliceOptions::default() });
        cluster.run_until(10 * SEC, u64::MAX);
        let layout = Layout::of(&cluster, crate::ui::layout::Orientation::Wide);
        let quiet = positions(&cluster, &layout, false);
        let all = positions(&cluster, &layout, true);
        assert!(quiet.iter().all(|b| b.class != DotClass::Control), "heartbeats drawn without the toggle");
        assert!(all.iter().any(|b| b.class == DotClass::Control), "10 s in, the cluster is talking to itself");
        let total = |bs: &[Batch]| bs.iter().map(|b| b.dots.len()).sum::<usize>();
        let requests = counts_by_link(&cluster).iter().map(|c| c.2).sum::<usize>();
        assert_eq!(total(&quiet), requests, "every request is either a dot or a count");
        assert!(requests > 0, "10 s in, shoppers' requests are on the wire");
        for b in &all {
            let mut classes = all.iter().filter(|o| o.class == b.class);
            assert!(classes.next().is_some() && classes.next().is_none(), "one batch per colour");
        }
    }
}
