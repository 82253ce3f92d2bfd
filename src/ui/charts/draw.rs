//! Draws one chart on its canvas: a small hand-written canvas line chart.
//!
//! Owns the look of a chart: a left and a bottom axis with a few labels at
//! round values in a grey that reads on light and dark panels, faint
//! horizontal lines at the value labels, one 2-px line per series, no
//! background (the panel's shows through). The series come already
//! downsampled to the canvas width (`charts/history`). Draws what it is
//! given; a canvas that is missing or has no 2D context is skipped. The
//! label values and the plot's frame are pure (`ticks`, `Frame`), tested
//! natively. Never touches the model.

use super::history::ChartData;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::NodeRef;

/// Axis labels and lines: a grey readable on light and dark panels.
const AXIS: &str = "rgb(122,134,153)";
/// The value lines across the plot: the axis grey, faint.
const GRID: &str = "rgba(122,134,153,0.25)";
const FONT: &str = "11px sans-serif";
/// Space around the chart, and for the value labels (left) and time labels (below).
const MARGIN: f64 = 6.0;
const Y_LABELS_W: f64 = 40.0;
const X_LABELS_H: f64 = 18.0;
const TICK: f64 = 4.0;
/// About half the width of a time label ("120 s") in `FONT`.
const X_LABEL_HALF_W: f64 = 12.0;

/// Wall-clock milliseconds (the page's `performance.now()`), for throttling redraws.
pub fn wall_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Round values between `lo` and `hi` for about `n` labels: steps of 1, 2 or
/// 5 times a power of ten (at least `least`), the first a multiple of the
/// step at or above `lo`.
pub fn ticks(lo: f64, hi: f64, n: usize, least: f64) -> Vec<f64> {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) || n == 0 {
        return vec![lo];
    }
    let rough = span / n as f64;
    let power = 10f64.powi(rough.log10().floor() as i32);
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|&s| s >= rough).unwrap_or(10.0 * power);
    let step = step.max(least);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// Where the plot sits on a `w` × `h` canvas, and the value ranges it shows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
    pub x: (f64, f64),
    pub y_max: f64,
}

impl Frame {
    pub fn new(w: f64, h: f64, x: (f64, f64), y_max: f64) -> Self {
        Self { left: MARGIN + Y_LABELS_W, right: w - MARGIN, top: MARGIN, bottom: h - MARGIN - X_LABELS_H, x, y_max }
    }

    /// The canvas point of value (`x`, `y`).
    pub fn at(&self, x: f64, y: f64) -> (f64, f64) {
        let (x0, x1) = self.x;
        let fx = if x1 > x0 { (x - x0) / (x1 - x0) } else { 0.0 };
        let fy = if self.y_max > 0.0 { y / self.y_max } else { 0.0 };
        (self.left + fx * (self.right - self.left), self.bottom - fy * (self.bottom - self.top))
    }
}

/// A value label: no decimals from 100 up, one below.
fn value_label(y: f64) -> String {
    if y >= 100.0 { format!("{y:.0}") } else { format!("{y:.1}") }
}

/// Draws `chart` on the canvas behind `canvas`, if it is mounted.
pub fn draw(canvas: &NodeRef, chart: &ChartData) {
    if let Some(element) = canvas.cast::<HtmlCanvasElement>() {
        draw_on(&element, chart);
    }
}

/// Draws `chart` on `element` (the benchmark API draws on a detached canvas).
pub fn draw_on(element: &HtmlCanvasElement, chart: &ChartData) {
    let (w, h) = (f64::from(element.width()), f64::from(element.height()));
    let Ok(Some(ctx)) = element.get_context("2d") else { return };
    let Ok(ctx) = wasm_bindgen::JsCast::dyn_into::<CanvasRenderingContext2d>(ctx) else { return };
    ctx.clear_rect(0.0, 0.0, w, h);
    let frame = Frame::new(w, h, chart.x_range(), chart.y_max());
    axes(&ctx, &frame);
    ctx.set_line_width(2.0);
    ctx.set_line_join("round");
    for line in &chart.lines {
        let (r, g, b) = line.colour;
        ctx.set_stroke_style_str(&format!("rgb({r},{g},{b})"));
        ctx.begin_path();
        for (i, &(x, y)) in line.points.iter().enumerate() {
            let (px, py) = frame.at(x, y);
            if i == 0 { ctx.move_to(px, py) } else { ctx.line_to(px, py) }
        }
        ctx.stroke();
    }
}

/// The value lines, both axes, their ticks and labels.
fn axes(ctx: &CanvasRenderingContext2d, f: &Frame) {
    ctx.set_line_width(1.0);
    ctx.set_font(FONT);
    ctx.set_fill_style_str(AXIS);
    ctx.set_text_align("right");
    ctx.set_text_baseline("middle");
    for y in ticks(0.0, f.y_max, 3, 0.0) {
        let (_, py) = f.at(f.x.0, y);
        let py = py.round() + 0.5;
        ctx.set_stroke_style_str(if y > 0.0 { GRID } else { AXIS });
        segment(ctx, (f.left, py), (f.right, py));
        ctx.set_stroke_style_str(AXIS);
        segment(ctx, (f.left - TICK, py), (f.left, py));
        let _ = ctx.fill_text(&value_label(y), f.left - TICK - 2.0, py);
    }
    ctx.set_stroke_style_str(AXIS);
    let x_axis = f.left.round() + 0.5;
    segment(ctx, (x_axis, f.top), (x_axis, f.bottom));
    segment(ctx, (f.left, f.bottom.round() + 0.5), (f.right, f.bottom.round() + 0.5));
    ctx.set_text_align("center");
    ctx.set_text_baseline("top");
    // Whole seconds only; a label at the right end is kept inside the canvas.
    for x in ticks(f.x.0, f.x.1, 4, 1.0) {
        let (px, _) = f.at(x, 0.0);
        segment(ctx, (px, f.bottom), (px, f.bottom + TICK));
        let _ = ctx.fill_text(&format!("{x:.0} s"), px.min(f.right - X_LABEL_HALF_W), f.bottom + TICK + 1.0);
    }
}

fn segment(ctx: &CanvasRenderingContext2d, from: (f64, f64), to: (f64, f64)) {
    ctx.begin_path();
    ctx.move_to(from.0, from.1);
    ctx.line_to(to.0, to.1);
    ctx.stroke();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_fall_on_round_values() {
        assert_eq!(ticks(0.0, 10.0, 3, 0.0), [0.0, 5.0, 10.0]);
        assert_eq!(ticks(0.0, 1200.0, 3, 0.0), [0.0, 500.0, 1000.0]);
        assert_eq!(ticks(3.0, 61.0, 4, 1.0), [20.0, 40.0, 60.0]);
        assert_eq!(ticks(0.0, 0.3, 3, 0.0).len(), 4, "0, 0.1, 0.2, 0.3");
        assert_eq!(ticks(60.0, 61.0, 4, 1.0), [60.0, 61.0], "whole seconds at least");
        assert_eq!(ticks(5.0, 5.0, 3, 0.0), [5.0], "an empty range has one label");
    }

    #[test]
    fn values_map_into_the_plot() {
        let f = Frame::new(300.0, 130.0, (10.0, 70.0), 200.0);
        assert_eq!(f.at(10.0, 0.0), (f.left, f.bottom));
        assert_eq!(f.at(70.0, 200.0), (f.right, f.top));
        assert_eq!((f.left, f.right, f.top, f.bottom), (46.0, 294.0, 6.0, 106.0));
    }
}
