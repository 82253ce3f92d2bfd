//! Requests in flight, drawn as dots on one canvas under the node boxes.
//!
//! Owns the canvas drawing: each frame it reads the messages on the wire from
//! the kernel, places each along its edge by how far through its flight it
//! is, and paints them batched by colour (one JavaScript call per colour).
//! The cluster's own chatter (heartbeats, replication, elections) is left out
//! unless the reader asks for it. With reduced motion nothing glides: each
//! edge shows how many requests are on it instead. Deliberately outside Yew's
//! virtual DOM: thousands of dots cost one canvas, not thousands of elements.

use super::layout::Layout;
use crate::cluster::{Cluster, DotClass};
use crate::sim::NodeId;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::wasm_bindgen;
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

/// Every colour class, in painting order (`Dots` keeps one buffer per class).
const CLASSES: [DotClass; 11] = [
    DotClass::Control,
    DotClass::Browse,
    DotClass::Cart,
    DotClass::Order,
    DotClass::Pay,
    DotClass::Login,
    DotClass::Ok,
    DotClass::CacheHit,
    DotClass::NotModified,
    DotClass::Rejected,
    DotClass::Error,
];

/// Where each class's dots are this frame, as flat `x, y` pairs in canvas
/// pixels (indexed by the class's number, `Message::class`), and the
/// canvas's 2D context. Kept by the frame loop from frame to
/// frame, so a frame allocates nothing once the buffers have grown to the
/// crowd, and asks for the context only when the canvas is a new one.
#[derive(Default)]
pub struct Dots {
    xy: [Vec<f32>; CLASSES.len()],
    context: Option<(HtmlCanvasElement, CanvasRenderingContext2d)>,
}

impl Dots {
    /// The dots of `class`, as `x, y` pairs.
    pub fn of(&self, class: DotClass) -> &[f32] {
        &self.xy[class as usize]
    }

    /// How many dots in all.
    pub fn count(&self) -> usize {
        self.xy.iter().map(|xy| xy.len() / 2).sum()
    }
}

/// Fills `dots` with where every in-flight message is now, by colour class
/// (control traffic only if `show_control`), placed by `fit` = (scale, x
/// offset, y offset) from view-box units to canvas pixels.
pub fn place(cluster: &Cluster, layout: &Layout, show_control: bool, fit: (f64, f64, f64), dots: &mut Dots) {
    dots.xy.iter_mut().for_each(Vec::clear);
    let (scale, ox, oy) = fit;
    let now = cluster.sim.now_us();
    let places = &layout.places;
    // The class was kept beside each message when it was sent: placing the
    // crowd reads no message (a cache miss each, far from the queue).
    let control = DotClass::Control as u8;
    for m in cluster.sim.in_flight() {
        if m.class == control && !show_control {
            continue;
        }
        let (Some(a), Some(b), Some(xy)) =
            (places.get(m.from.index()), places.get(m.to.index()), dots.xy.get_mut(usize::from(m.class)))
        else {
            continue;
        };
        let span = m.arrives_at_us.saturating_sub(m.sent_at_us).max(1) as f64;
        let t = (now.saturating_sub(m.sent_at_us) as f64 / span).clamp(0.0, 1.0);
        let (dx, dy) = (b.cx - a.cx, b.cy - a.cy);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        // Shift each direction to its own side of the edge, so requests and
        // responses on one link do not overlap.
        let (nx, ny) = (-dy / len * 4.0, dx / len * 4.0);
        xy.push((ox + (a.cx + dx * t + nx) * scale) as f32);
        xy.push((oy + (a.cy + dy * t + ny) * scale) as f32);
    }
}

/// Requests (not control traffic) on each link now, both directions summed:
/// (lower id, higher id, count), sorted by the pair.
pub fn counts_by_link(cluster: &Cluster) -> Vec<(NodeId, NodeId, usize)> {
    let mut pairs: Vec<(NodeId, NodeId)> = cluster
        .sim
        .in_flight()
        .filter(|m| m.class != DotClass::Control as u8)
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
    dots: &mut Dots,
) -> usize {
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (css_w, css_h) =
        css_size_px.unwrap_or_else(|| (f64::from(canvas.client_width()), f64::from(canvas.client_height())));
    let (px_w, px_h) = ((css_w * ratio) as u32, (css_h * ratio) as u32);
    if canvas.width() != px_w || canvas.height() != px_h {
        canvas.set_width(px_w);
        canvas.set_height(px_h);
    }
    let cached = dots.context.as_ref().is_some_and(|(c, _)| c == canvas);
    if !cached {
        dots.context = context(canvas).map(|ctx| (canvas.clone(), ctx));
    }
    let Some(ctx) = dots.context.as_ref().map(|(_, ctx)| ctx.clone()) else { return 0 };
    ctx.clear_rect(0.0, 0.0, f64::from(px_w), f64::from(px_h));
    let (scale, ox, oy) = layout.fit(f64::from(px_w), f64::from(px_h));
    if reduced_motion {
        draw_counts(&ctx, cluster, layout, (scale, ox, oy));
        return 0;
    }
    place(cluster, layout, show_control, (scale, ox, oy), dots);
    let size = 7.0 * scale;
    for class in CLASSES {
        let xy = dots.of(class);
        if !xy.is_empty() {
            ctx.set_fill_style_str(colour(class));
            paint_squares(&ctx, xy, size);
        }
    }
    dots.count()
}

// One call into JavaScript per colour: its loop of `fillRect`s is the
// raw-canvas anchor's own, where one wasm-to-JS call per dot cost more than
// the painting. The array is a view on wasm memory, not a copy.
#[wasm_bindgen(inline_js = "export function paint_squares(ctx, xy, size) {
  const half = size / 2;
  for (let i = 0; i + 1 < xy.length; i += 2) ctx.fillRect(xy[i] - half, xy[i + 1] - half, size, size);
}")]
extern "C" {
    fn paint_squares(ctx: &CanvasRenderingContext2d, xy: &[f32], size: f64);
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

    /// Each class's number names its own buffer, and the number kept beside
    /// a message in flight is its class now.
    #[test]
    fn every_class_has_its_buffer_and_messages_keep_their_class() {
        let mut numbers: Vec<usize> = CLASSES.iter().map(|&c| c as usize).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, (0..CLASSES.len()).collect::<Vec<_>>());
        let mut cluster = Cluster::full(&SliceOptions { seed: 5, ..SliceOptions::default() });
        cluster.run_until(10 * SEC, u64::MAX);
        let mut classes = Vec::new();
        for m in cluster.sim.in_flight() {
            assert_eq!(m.class, m.msg.dot_class() as u8, "{:?}", m.msg);
            classes.push(m.class);
        }
        classes.sort_unstable();
        classes.dedup();
        assert!(classes.len() >= 3, "10 s in, messages of several classes fly ({classes:?})");
    }

    #[test]
    fn control_traffic_is_drawn_only_when_asked_for() {
        let mut cluster = Cluster::full(&SliceOptions { seed: 3, ..SliceOptions::default() });
        cluster.run_until(10 * SEC, u64::MAX);
        let layout = Layout::of(&cluster, crate::ui::layout::Orientation::Wide);
        let (mut quiet, mut all) = (Dots::default(), Dots::default());
        place(&cluster, &layout, false, (1.0, 0.0, 0.0), &mut quiet);
        place(&cluster, &layout, true, (1.0, 0.0, 0.0), &mut all);
        assert!(quiet.of(DotClass::Control).is_empty(), "heartbeats drawn without the toggle");
        assert!(!all.of(DotClass::Control).is_empty(), "10 s in, the cluster is talking to itself");
        let requests = counts_by_link(&cluster).iter().map(|c| c.2).sum::<usize>();
        assert_eq!(quiet.count(), requests, "every request is either a dot or a count");
        assert_eq!(all.count(), requests + all.of(DotClass::Control).len() / 2, "control dots are the only extra");
        assert!(requests > 0, "10 s in, shoppers' requests are on the wire");
        // Placed again, the buffers are refilled, not appended to.
        place(&cluster, &layout, false, (2.0, 5.0, 5.0), &mut quiet);
        assert_eq!(quiet.count(), requests, "a second placing starts from empty");
    }
}
