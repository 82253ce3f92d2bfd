//! The compare panel: this run under two designs, side by side.
//!
//! Owns the `data-compare` choices (a switch, its two values, how long) and
//! the `data-control="compare"` button, which builds a `Comparison` of the
//! run so far (same seed, same faults, same recorded actions) and runs both
//! sides in slices of at most 8 ms of wall time between frames, so the page
//! stays responsive; then a table of each figure under A and B and B − A
//! (`data-compare-metric`, cells `data-side="a|b|diff"`). Never changes the
//! reader's own run.

use super::lang::use_lang;
use super::playground::Playground;
use crate::cluster::design::Design;
use crate::i18n::{Lang, t, td, tf};
use crate::scenario::compare::{CompareRow, Comparison};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Wall time one slice of comparison work may take.
const SLICE_MS: f64 = 8.0;
/// Events between two looks at the clock.
const CHUNK_EVENTS: u64 = 500;
/// How long both runs last, in virtual seconds.
const SPANS_S: [u64; 4] = [30, 60, 120, 300];

#[derive(Properties)]
pub struct CompareProps {
    pub playground: Rc<RefCell<Playground>>,
}

impl PartialEq for CompareProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.playground, &other.playground)
    }
}

type Job = Rc<RefCell<Comparison>>;

fn wall_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// Runs `job` for one slice, redraws, and schedules the next slice until done.
fn pump(job: Job, redraw: UseStateHandle<u32>) {
    let started = wall_ms();
    let mut done = false;
    while !done && wall_ms() - started < SLICE_MS {
        done = job.borrow_mut().advance(CHUNK_EVENTS);
    }
    redraw.set(redraw.wrapping_add(1));
    if !done {
        super::next_task::soon(move || pump(job, redraw));
    }
}

/// One choice: its `data-compare` hook, label, options (value, label).
fn select(hook: &'static str, label: &str, options: Vec<(String, String)>, chosen: &str, on: Callback<String>) -> Html {
    let onchange = on.reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    html! {
        <label class="switch">
            <span>{ label.to_string() }</span>
            <select data-compare={hook} {onchange}>
                { for options.into_iter().map(|(value, label)| {
                    let selected = value == chosen;
                    html! { <option {selected} {value}>{ label }</option> }
                }) }
            </select>
        </label>
    }
}

fn value_options(l: Lang, switch: &str) -> Vec<(String, String)> {
    let values = Design::values(switch).unwrap_or_default();
    values
        .into_iter()
        .map(|v| (v.to_string(), td(l, "switch", &format!("{switch}.{v}")).unwrap_or(v).to_string()))
        .collect()
}

#[function_component(ComparePanel)]
pub fn compare_panel(props: &CompareProps) -> Html {
    let l = use_lang();
    let switch = use_state(|| "session-store".to_string());
    let a = use_state(|| "sticky".to_string());
    let b = use_state(|| "redis".to_string());
    let span_s = use_state(|| 60u64);
    let job = use_state(|| None::<Job>);
    let redraw = use_state(|| 0u32);
    let on_switch = {
        let (switch, a, b) = (switch.clone(), a.clone(), b.clone());
        Callback::from(move |name: String| {
            let values = Design::values(&name).unwrap_or_default();
            a.set(values.first().map(|v| v.to_string()).unwrap_or_default());
            b.set(values.get(1).map(|v| v.to_string()).unwrap_or_default());
            switch.set(name);
        })
    };
    let on_run = {
        let (pg, switch, a, b, span_s, job, redraw) = (
            props.playground.clone(),
            switch.clone(),
            a.clone(),
            b.clone(),
            span_s.clone(),
            job.clone(),
            redraw.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let base = pg.borrow().recording.scenario_so_far();
            if let Ok(c) = Comparison::new(&base, &switch, &a, &b, *span_s * 1000) {
                let c = Rc::new(RefCell::new(c));
                job.set(Some(c.clone()));
                pump(c, redraw.clone());
            }
        })
    };
    let switches = Design::SWITCHES.iter().map(|&s| (s.to_string(), super::switches::label(l, s))).collect();
    let spans = SPANS_S.iter().map(|s| (s.to_string(), tf(l, "compare.seconds", &[("n", s)]))).collect();
    let set = |h: &UseStateHandle<String>| {
        let h = h.clone();
        Callback::from(move |v: String| h.set(v))
    };
    let on_span = {
        let span_s = span_s.clone();
        Callback::from(move |v: String| span_s.set(v.parse().unwrap_or(60)))
    };
    html! {
        <section class="panel compare" aria-label={t(l, "compare.title")}>
            <h2>{ t(l, "compare.title") }</h2>
            <p class="quiet">{ t(l, "compare.intro") }</p>
            <div class="switch-grid">
                { select("switch", t(l, "compare.switch"), switches, &switch, on_switch) }
                { select("a", t(l, "compare.a"), value_options(l, &switch), &a, set(&a)) }
                { select("b", t(l, "compare.b"), value_options(l, &switch), &b, set(&b)) }
                { select("span", t(l, "compare.span"), spans, &span_s.to_string(), on_span) }
            </div>
            <button type="button" data-control="compare" onclick={on_run}>{ t(l, "compare.run") }</button>
            { job.as_ref().map(|j| result(l, &j.borrow())).unwrap_or_default() }
        </section>
    }
}

fn result(l: Lang, c: &Comparison) -> Html {
    if !c.done() {
        let pct = (c.progress() * 100.0).round();
        return html! { <p role="status" data-compare-state="running">{ tf(l, "compare.running", &[("pct", &pct)]) }</p> };
    }
    let value = |side: usize| td(l, "switch", &format!("{}.{}", c.switch, c.values[side])).unwrap_or(&c.values[side]);
    html! {
        <table class="compare-table" data-compare-state="done">
            <caption>{ tf(l, "compare.caption", &[("a", &value(0)), ("b", &value(1)), ("n", &(c.until_us / 1_000_000))]) }</caption>
            <thead><tr>
                <th scope="col">{ t(l, "compare.figure") }</th>
                <th scope="col">{ format!("A · {}", value(0)) }</th>
                <th scope="col">{ format!("B · {}", value(1)) }</th>
                <th scope="col">{ "B − A" }</th>
            </tr></thead>
            <tbody>{ for c.rows().iter().map(|r| row(l, r)) }</tbody>
        </table>
    }
}

fn row(l: Lang, r: &CompareRow) -> Html {
    let diff = r.difference();
    let class = match diff.signum() {
        0 => "same",
        _ => "differs",
    };
    html! {
        <tr data-compare-metric={r.metric} class={class}>
            <th scope="row">{ td(l, "compare-metric", r.metric).unwrap_or(r.metric) }</th>
            <td data-side="a">{ r.a }</td>
            <td data-side="b">{ r.b }</td>
            <td data-side="diff">{ if diff > 0 { format!("+{diff}") } else { diff.to_string() } }</td>
        </tr>
    }
}
