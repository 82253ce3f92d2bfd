//! Requests in flight, drawn as dots on one canvas over the diagram.
//!
//! Owns the canvas drawing: each frame it reads the messages on the wire from
//! the kernel, places each along its edge by how far through its flight it is,
//! and paints them batched by colour. Deliberately outside Yew's virtual DOM:
//! thousands of dots cost one canvas, not thousands of elements.

use super::layout::{self, Place};
use crate::cluster::{Cluster, DotClass};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// Colour of each kind of dot (requests by kind, responses by outcome).
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

const CLASSES: [DotClass; 11] = [
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
    DotClass::Control,
];

fn class_index(class: DotClass) -> usize {
    CLASSES.iter().position(|&c| c == class).unwrap_or(0)
}

/// Where every in-flight message is now, in view-box units, by colour class.
pub fn positions(cluster: &Cluster, places: &[Place]) -> [Vec<(f64, f64)>; CLASSES.len()] {
    let mut out: [Vec<(f64, f64)>; CLASSES.len()] = Default::default();
    let now = cluster.sim.now_us();
    for m in cluster.sim.in_flight() {
        let (Some(a), Some(b)) = (places.get(m.from.index()), places.get(m.to.index())) else { continue };
        let span = m.arrives_at_us.saturating_sub(m.sent_at_us).max(1) as f64;
        let t = (now.saturating_sub(m.sent_at_us) as f64 / span).clamp(0.0, 1.0);
        let (dx, dy) = (b.cx - a.cx, b.cy - a.cy);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        // Shift each direction to its own side of the edge, so requests and
        // responses on one link do not overlap.
        let (nx, ny) = (-dy / len * 5.0, dx / len * 5.0);
        out[class_index(m.msg.dot_class())].push((a.cx + dx * t + nx, a.cy + dy * t + ny));
    }
    out
}

/// Paints the dots onto `canvas`, resizing its backing store to its CSS size.
pub fn draw(canvas: &HtmlCanvasElement, cluster: &Cluster, places: &[Place], orientation: layout::Orientation) {
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (css_w, css_h) = (f64::from(canvas.client_width()), f64::from(canvas.client_height()));
    let (px_w, px_h) = ((css_w * ratio) as u32, (css_h * ratio) as u32);
    if canvas.width() != px_w || canvas.height() != px_h {
        canvas.set_width(px_w);
        canvas.set_height(px_h);
    }
    let Some(ctx) = context(canvas) else { return };
    ctx.clear_rect(0.0, 0.0, f64::from(px_w), f64::from(px_h));
    let (scale, ox, oy) = layout::fit(f64::from(px_w), f64::from(px_h), orientation);
    let size = 9.0 * scale;
    for (i, dots) in positions(cluster, places).iter().enumerate() {
        if dots.is_empty() {
            continue;
        }
        ctx.set_fill_style_str(colour(CLASSES[i]));
        ctx.begin_path();
        for &(x, y) in dots {
            let (px, py) = (ox + x * scale, oy + y * scale);
            ctx.rect(px - size / 2.0, py - size / 2.0, size, size);
        }
        ctx.fill();
    }
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into::<CanvasRenderingContext2d>().ok()
}
