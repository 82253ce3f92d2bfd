//! Charts of the run: throughput, latency, failures by reason, cache hits, replication lag, sessions lost, queues.
//!
//! Owns the `Charts` panel: one `<figure>` per chart with a caption, an HTML
//! legend holding the latest values (what a screen reader reads), and a
//! canvas drawn with plotters. Samples the model on every render
//! (`charts/history`, pure) but redraws the canvases at most four times a
//! second of wall time (`charts/draw`). Never changes the model.

pub mod draw;
pub mod history;

use super::playground::Playground;
use history::{ChartData, ChartHistory};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Shortest wall time between two redraws (at most 4 a second).
const REDRAW_MS: f64 = 250.0;
/// Canvas size in CSS pixels.
pub const CHART_W: u32 = 300;
pub const CHART_H: u32 = 130;
/// Charts `history::charts` returns.
const CHART_COUNT: usize = 7;

#[derive(Properties)]
pub struct ChartsProps {
    pub playground: Rc<RefCell<Playground>>,
    /// The app state's version: a new one means the model may have moved.
    pub version: u64,
}

impl PartialEq for ChartsProps {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && Rc::ptr_eq(&self.playground, &other.playground)
    }
}

/// The latest value of a line, as text.
pub fn latest(points: &[(f64, f64)]) -> String {
    match points.last() {
        Some(&(_, v)) if v >= 100.0 => format!("{v:.0}"),
        Some(&(_, v)) => format!("{v:.1}"),
        None => "—".to_string(),
    }
}

#[function_component(Charts)]
pub fn charts(props: &ChartsProps) -> Html {
    let history = use_mut_ref(ChartHistory::default);
    let last_draw_ms = use_mut_ref(|| f64::NEG_INFINITY);
    let canvases = use_memo((), |_| (0..CHART_COUNT).map(|_| NodeRef::default()).collect::<Vec<_>>());
    let data: Vec<ChartData> = {
        let pg = props.playground.borrow();
        history.borrow_mut().observe(&pg.cluster);
        history::charts(&history.borrow(), &pg.cluster, CHART_W as usize)
    };
    {
        let (data, canvases, playing) = (data.clone(), canvases.clone(), props.playground.borrow().playing);
        use_effect_with(props.version, move |_| {
            let now_ms = draw::wall_ms();
            if !playing || now_ms - *last_draw_ms.borrow() >= REDRAW_MS {
                *last_draw_ms.borrow_mut() = now_ms;
                for (chart, canvas) in data.iter().zip(canvases.iter()) {
                    draw::draw(canvas, chart);
                }
            }
        });
    }
    html! {
        <section class="charts panel" aria-label="Charts">
            <h2>{ "Charts" }</h2>
            <div class="chart-grid">
                { for data.iter().zip(canvases.iter()).map(|(chart, canvas)| figure(chart, canvas)) }
            </div>
        </section>
    }
}

fn figure(chart: &ChartData, canvas: &NodeRef) -> Html {
    let summary: Vec<String> = chart.lines.iter().map(|l| format!("{} {}", l.label, latest(&l.points))).collect();
    html! {
        <figure class="chart" data-chart={chart.key}>
            <figcaption>{ chart.title }<small>{ format!(" ({})", chart.unit) }</small></figcaption>
            <canvas ref={canvas.clone()} width={CHART_W.to_string()} height={CHART_H.to_string()} role="img"
                    aria-label={format!("{}: {}", chart.title, summary.join(", "))}></canvas>
            <ul class="chart-legend">
                if chart.lines.is_empty() { <li class="quiet">{ "nothing yet" }</li> }
                { for chart.lines.iter().map(|l| html! {
                    <li><span class="swatch" style={format!("background:rgb({},{},{})", l.colour.0, l.colour.1, l.colour.2)}></span>
                        { &l.label }{ " " }<b>{ latest(&l.points) }</b></li>
                }) }
            </ul>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::latest;

    #[test]
    fn latest_values_read_plainly() {
        assert_eq!(latest(&[]), "—");
        assert_eq!(latest(&[(1.0, 2.26)]), "2.3");
        assert_eq!(latest(&[(1.0, 1234.4)]), "1234");
    }
}
