//! Draws one chart on its canvas with plotters and plotters-canvas.
//!
//! Owns the look of a chart: axes with a few labels in a grey that reads on
//! light and dark panels, one line per series, no background (the panel's
//! shows through). Draws what it is given; a canvas that is missing or has
//! no 2D context is skipped. Never touches the model.

use super::history::ChartData;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use web_sys::HtmlCanvasElement;
use yew::NodeRef;

/// Axis labels and lines: a grey readable on light and dark panels.
const AXIS: RGBColor = RGBColor(122, 134, 153);

/// Wall-clock milliseconds (the page's `performance.now()`), for throttling redraws.
pub fn wall_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Draws `chart` on the canvas behind `canvas`, if it is mounted.
pub fn draw(canvas: &NodeRef, chart: &ChartData) {
    let Some(element) = canvas.cast::<HtmlCanvasElement>() else { return };
    let (w, h) = (f64::from(element.width()), f64::from(element.height()));
    if let Ok(Some(ctx)) = element.get_context("2d")
        && let Ok(ctx) = wasm_bindgen::JsCast::dyn_into::<web_sys::CanvasRenderingContext2d>(ctx)
    {
        ctx.clear_rect(0.0, 0.0, w, h);
    }
    let Some(backend) = CanvasBackend::with_canvas_object(element) else { return };
    // A failed draw leaves a blank chart; the legend still has the numbers.
    let _ = plot(backend, chart);
}

fn plot(backend: CanvasBackend, chart: &ChartData) -> Result<(), String> {
    let root = backend.into_drawing_area();
    let (x0, x1) = chart.x_range();
    let y1 = chart.y_max();
    let label_style = ("sans-serif", 11).into_font().color(&AXIS);
    let mut plot = ChartBuilder::on(&root)
        .margin(6)
        .x_label_area_size(18)
        .y_label_area_size(40)
        .build_cartesian_2d(x0..x1, 0f64..y1)
        .map_err(|e| e.to_string())?;
    plot.configure_mesh()
        .disable_x_mesh()
        .y_max_light_lines(0)
        .bold_line_style(AXIS.mix(0.25))
        .axis_style(AXIS)
        .x_labels(4)
        .y_labels(3)
        .label_style(label_style)
        .x_label_formatter(&|x| format!("{x:.0} s"))
        .y_label_formatter(&|y| if *y >= 100.0 { format!("{y:.0}") } else { format!("{y:.1}") })
        .draw()
        .map_err(|e| e.to_string())?;
    for line in &chart.lines {
        let colour = RGBColor(line.colour.0, line.colour.1, line.colour.2);
        plot.draw_series(LineSeries::new(line.points.iter().copied(), colour.stroke_width(2)))
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}
