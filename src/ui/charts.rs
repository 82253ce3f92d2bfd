//! Charts of the run: throughput, latency, failures by reason, cache hits, replication lag, sessions lost, queues.
//!
//! Owns the `Charts` panel: one `<figure>` per chart with a caption, an HTML
//! legend holding the latest values (what a screen reader reads), and a
//! canvas with a hand-written line chart. Reads the gauges the playground
//! samples as it runs (`charts/history`, pure) and redraws at most 4×/s of wall
//! time (`charts/draw`) and, while playing, only two charts per redraw, in
//! turn, that changed and are on screen, so no refresh stalls a frame.
//! Never changes the model.

pub mod draw;
pub mod history;

use super::lang::use_lang;
use super::observe::VisibleWatch;
use super::playground::Playground;
use crate::i18n::{Lang, t};
use history::ChartData;
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Shortest wall time between two redraws (at most 4 a second).
pub const REDRAW_MS: f64 = 250.0;
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

/// Charts redrawn at most per redraw while playing: the cost is spread over
/// frames so a refresh never stalls the animation.
const DRAWN_PER_REDRAW: usize = 2;

/// What was last drawn on each canvas, and which chart is next in turn.
#[derive(Default)]
struct Drawn {
    data: Vec<Option<ChartData>>,
    next: usize,
}

/// Which charts to draw now, in turn: only changed ones, only on screen while
/// playing, at most `budget`.
pub fn due(last: &[Option<ChartData>], now: &[ChartData], visible: &[bool], start: usize, budget: usize) -> Vec<usize> {
    (0..now.len())
        .map(|k| (start + k) % now.len())
        .filter(|&i| visible.get(i).copied().unwrap_or(true) && last.get(i).and_then(Option::as_ref) != Some(&now[i]))
        .take(budget)
        .collect()
}

#[function_component(Charts)]
pub fn charts(props: &ChartsProps) -> Html {
    let l = use_lang();
    let last_draw_ms = use_mut_ref(|| f64::NEG_INFINITY);
    let drawn = use_mut_ref(Drawn::default);
    let in_view = use_mut_ref(VisibleWatch::default);
    let canvases = use_memo((), |_| (0..CHART_COUNT).map(|_| NodeRef::default()).collect::<Vec<_>>());
    let data: Vec<ChartData> = {
        let pg = props.playground.borrow();
        history::charts(l, &pg.gauges, &pg.cluster, CHART_W as usize)
    };
    {
        let (data, canvases, playing) = (data.clone(), canvases.clone(), props.playground.borrow().playing);
        let in_view = in_view.clone();
        use_effect_with(props.version, move |_| {
            let now_ms = draw::wall_ms();
            if !playing || now_ms - *last_draw_ms.borrow() >= REDRAW_MS {
                *last_draw_ms.borrow_mut() = now_ms;
                let mut drawn = drawn.borrow_mut();
                drawn.data.resize(data.len(), None);
                let in_view = in_view.borrow();
                let on_screen = |c: &NodeRef| c.cast::<web_sys::Element>().is_some_and(|el| in_view.visible(&el));
                let visible: Vec<bool> = canvases.iter().map(|c| !playing || on_screen(c)).collect();
                let budget = if playing { DRAWN_PER_REDRAW } else { data.len() };
                let turn = due(&drawn.data, &data, &visible, drawn.next, budget);
                for &i in &turn {
                    draw::draw(&canvases[i], &data[i]);
                    drawn.data[i] = Some(data[i].clone());
                }
                drawn.next = turn.last().map_or(drawn.next, |&i| (i + 1) % data.len().max(1));
            }
        });
    }
    html! {
        <section class="charts panel" aria-label={t(l, "chart.title")}>
            <h2>{ t(l, "chart.title") }</h2>
            <div class="chart-grid">
                { for data.iter().zip(canvases.iter()).map(|(chart, canvas)| figure(l, chart, canvas)) }
            </div>
        </section>
    }
}

fn figure(l: Lang, chart: &ChartData, canvas: &NodeRef) -> Html {
    let summary: Vec<String> = chart.lines.iter().map(|l| format!("{} {}", l.label, latest(&l.points))).collect();
    html! {
        <figure class="chart" data-chart={chart.key}>
            <figcaption>{ chart.title }<small>{ format!(" ({})", chart.unit) }</small></figcaption>
            <canvas ref={canvas.clone()} width={CHART_W.to_string()} height={CHART_H.to_string()} role="img"
                    aria-label={format!("{}: {}", chart.title, summary.join(", "))}></canvas>
            <ul class="chart-legend">
                if chart.lines.is_empty() { <li class="quiet">{ t(l, "chart.empty") }</li> }
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
    use super::history::Line;
    use super::*;

    fn chart(key: &'static str, y: f64) -> ChartData {
        let line = Line { label: "x".into(), colour: (0, 0, 0), points: vec![(1.0, y)] };
        ChartData { key, title: key, unit: "", lines: vec![line] }
    }

    #[test]
    fn charts_are_redrawn_in_turn_when_changed_and_seen() {
        let now = [chart("a", 1.0), chart("b", 1.0), chart("c", 1.0)];
        let none: [Option<ChartData>; 3] = [None, None, None];
        assert_eq!(due(&none, &now, &[true; 3], 0, 2), [0, 1]);
        assert_eq!(due(&none, &now, &[true; 3], 2, 2), [2, 0], "the turn wraps around");
        let last = [Some(chart("a", 1.0)), Some(chart("b", 0.0)), None];
        assert_eq!(due(&last, &now, &[true; 3], 0, 3), [1, 2], "an unchanged chart is not redrawn");
        assert_eq!(due(&last, &now, &[true, false, true], 0, 3), [2], "one off screen waits");
    }

    #[test]
    fn latest_values_read_plainly() {
        assert_eq!(latest(&[]), "—");
        assert_eq!(latest(&[(1.0, 2.26)]), "2.3");
        assert_eq!(latest(&[(1.0, 1234.4)]), "1234");
    }
}
