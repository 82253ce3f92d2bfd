//! The page's benchmark API, `window.clusterlab.bench`, which `make bench`
//! (bench/run.mjs) drives in headless Chromium; and the "interactive" mark.
//!
//! Owns the in-browser measurements of budgets.md that need the model inside
//! wasm: model events per second on the same workload as the native bench
//! (`scenario::workload`), and fast-forwarding a million requests in slices
//! of bounded wall time so the page stays responsive. Builds its own models;
//! never touches the reader's running one.

use crate::cluster::Cluster;
use crate::scenario::workload;
use crate::sim::SEC;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

/// Wall time a fast-forward slice aims at before the page gets the thread
/// back: half of budgets.md's 8, as on this two-core machine a slice is now
/// and then interrupted by another thread for a scheduler tick (4 ms); the
/// hand-back itself costs about 0.1 ms (`next_task`, no timer clamp).
const SLICE_MS: f64 = 4.0;
/// Events between two looks at the clock inside a slice (about 0.1 ms).
const EVENTS_PER_CHECK: u64 = 200;
/// A fast-forward that has not finished after this long reports a projection.
const FAST_FORWARD_CAP_MS: f64 = 60_000.0;

thread_local! {
    /// Asked for once: a slice reads the clock every 200 events, and each
    /// fresh `window.performance` handle is garbage for the page's collector.
    static PERFORMANCE: Option<web_sys::Performance> = web_sys::window().and_then(|w| w.performance());
}

fn now_ms() -> f64 {
    PERFORMANCE.with(|p| p.as_ref().map_or(0.0, web_sys::Performance::now))
}

fn set(target: &JsValue, name: &str, value: &JsValue) {
    // Setting a property of a plain object cannot fail; ignore the result.
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(name), value);
}

/// Leaves a `performance.mark` named `clusterlab:<name>` on the page's
/// timeline (start-up steps, read by `make bench` to show where the time to
/// an interactive diagram goes).
pub fn mark(name: &str) {
    PERFORMANCE.with(|p| {
        if let Some(p) = p {
            let _ = p.mark(&format!("clusterlab:{name}"));
        }
    });
}

/// Records `window.__clusterlabInteractiveMs` once: the first time the
/// diagram is on screen and answers clicks (ms since navigation start).
pub fn mark_interactive() {
    let Some(window) = web_sys::window() else { return };
    let key = JsValue::from_str("__clusterlabInteractiveMs");
    if js_sys::Reflect::get(&window, &key).is_ok_and(|v| v.is_undefined()) {
        set(&window, "__clusterlabInteractiveMs", &JsValue::from_f64(now_ms()));
        mark("interactive");
    }
}

/// Adds `bench` to `window.clusterlab` (call after the console API exists).
pub fn install() {
    let Some(window) = web_sys::window() else { return };
    let Ok(api) = js_sys::Reflect::get(&window, &JsValue::from_str("clusterlab")) else { return };
    if !api.is_object() {
        return;
    }
    let bench = js_sys::Object::new();
    let rate = Closure::<dyn Fn(f64) -> f64>::new(model_events_per_sec);
    set(&bench, "modelEventsPerSec", &rate.into_js_value());
    let fast = Closure::<dyn Fn(f64) -> js_sys::Promise>::new(fast_forward);
    set(&bench, "fastForward", &fast.into_js_value());
    let chart = Closure::<dyn Fn(f64) -> JsValue>::new(chart_redraw);
    set(&bench, "chartRedraw", &chart.into_js_value());
    set(&api, "bench", &bench);
}

/// Redraws one chart `times` times on a detached canvas of the panel's chart
/// size, with what the panel would draw there: three lines of 1,000 points
/// each, downsampled to the canvas width as the panel does. Returns
/// { p50Ms, meanMs, redraws, redrawsPerSec } (the panel's throttle: at most
/// one redraw of a chart per `REDRAW_MS`).
fn chart_redraw(times: f64) -> JsValue {
    use super::charts::history::{ChartData, Line, downsample};
    use super::charts::{CHART_H, CHART_W, REDRAW_MS, draw};
    let out = js_sys::Object::new();
    let canvas = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("canvas").ok())
        .and_then(|c| c.dyn_into::<web_sys::HtmlCanvasElement>().ok());
    let Some(canvas) = canvas else { return out.into() };
    canvas.set_width(CHART_W);
    canvas.set_height(CHART_H);
    let line = |k: usize| {
        let points: Vec<(f64, f64)> =
            (0..1000).map(|i| (i as f64 * 0.1, 50.0 + 40.0 * ((i + 100 * k) as f64 / 37.0).sin())).collect();
        Line {
            label: format!("line {k}"),
            colour: (40 * k as u8, 120, 200),
            points: downsample(&points, CHART_W as usize),
        }
    };
    let chart = ChartData { key: "bench", title: "bench", unit: "", lines: (0..3).map(line).collect() };
    let redraws = if times.is_finite() { times.clamp(1.0, 10_000.0) as usize } else { 100 };
    let mut spent_ms: Vec<f64> = (0..redraws)
        .map(|_| {
            let start_ms = now_ms();
            draw::draw_on(&canvas, &chart);
            now_ms() - start_ms
        })
        .collect();
    let mean_ms = spent_ms.iter().sum::<f64>() / redraws as f64;
    spent_ms.sort_by(f64::total_cmp);
    set(&out, "p50Ms", &JsValue::from_f64(spent_ms[redraws / 2]));
    set(&out, "meanMs", &JsValue::from_f64(mean_ms));
    set(&out, "redraws", &JsValue::from_f64(redraws as f64));
    set(&out, "redrawsPerSec", &JsValue::from_f64(1000.0 / REDRAW_MS));
    out.into()
}

/// Events per wall second of the whole shop in a Double-11 surge, measured
/// over `wall_ms` after the same warm-up as the native bench.
fn model_events_per_sec(wall_ms: f64) -> f64 {
    let mut cluster = workload::full_double_11(1);
    let (start_ms, mut events) = (now_ms(), 0_u64);
    while now_ms() - start_ms < wall_ms.clamp(100.0, 30_000.0) {
        events += workload::advance(&mut cluster, SEC / 10);
    }
    events as f64 / ((now_ms() - start_ms) / 1000.0)
}

fn requests_done(cluster: &Cluster) -> u64 {
    cluster.metric("requests-ok") + cluster.metric("requests-failed")
}

/// A fast-forward in progress: the model, the goal and what was measured.
struct FastForward {
    cluster: Cluster,
    goal_requests: u64,
    start_ms: f64,
    max_slice_ms: f64,
    slices: u32,
    /// The slowest slices so far: (wall ms, virtual time s, requests done), slowest first.
    slowest: Vec<(f64, f64, u64)>,
}

/// How many of the slowest slices a fast-forward reports.
const SLOWEST_KEPT: usize = 5;

impl FastForward {
    /// Runs one slice of at most `SLICE_MS`; true when the goal or the cap is reached.
    fn slice(&mut self) -> bool {
        let slice_start_ms = now_ms();
        while now_ms() - slice_start_ms < SLICE_MS {
            let horizon_us = self.cluster.sim.now_us() + SEC;
            self.cluster.run_until(horizon_us, EVENTS_PER_CHECK);
            if requests_done(&self.cluster) >= self.goal_requests {
                break;
            }
        }
        let slice_ms = now_ms() - slice_start_ms;
        self.max_slice_ms = self.max_slice_ms.max(slice_ms);
        self.keep_if_slow(slice_ms);
        self.slices += 1;
        requests_done(&self.cluster) >= self.goal_requests || now_ms() - self.start_ms >= FAST_FORWARD_CAP_MS
    }

    fn keep_if_slow(&mut self, slice_ms: f64) {
        if self.slowest.len() == SLOWEST_KEPT && self.slowest[SLOWEST_KEPT - 1].0 >= slice_ms {
            return;
        }
        let virtual_s = self.cluster.sim.now_us() as f64 / SEC as f64;
        self.slowest.push((slice_ms, virtual_s, requests_done(&self.cluster)));
        self.slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
        self.slowest.truncate(SLOWEST_KEPT);
    }

    fn result(&self) -> JsValue {
        let wall_ms = now_ms() - self.start_ms;
        let done = requests_done(&self.cluster).max(1);
        let finished = done >= self.goal_requests;
        let out = js_sys::Object::new();
        let projected_ms = if finished { wall_ms } else { wall_ms * self.goal_requests as f64 / done as f64 };
        set(&out, "wallMs", &JsValue::from_f64(projected_ms));
        set(&out, "projected", &JsValue::from_bool(!finished));
        set(&out, "requests", &JsValue::from_f64(done as f64));
        set(&out, "maxSliceMs", &JsValue::from_f64(self.max_slice_ms));
        set(&out, "slices", &JsValue::from_f64(f64::from(self.slices)));
        set(&out, "memoryBytes", &JsValue::from_f64(memory_bytes()));
        let slowest = js_sys::Array::new();
        for &(ms, virtual_s, done) in &self.slowest {
            let row = [ms, virtual_s, done as f64].iter().map(|&x| JsValue::from_f64(x)).collect::<js_sys::Array>();
            slowest.push(&row);
        }
        set(&out, "slowestSlices", &slowest);
        out.into()
    }
}

/// The wasm linear memory's size in bytes (`WebAssembly.Memory.buffer.byteLength`).
fn memory_bytes() -> f64 {
    js_sys::Reflect::get(&wasm_bindgen::memory(), &JsValue::from_str("buffer"))
        .and_then(|buffer| js_sys::Reflect::get(&buffer, &JsValue::from_str("byteLength")))
        .ok()
        .and_then(|n| n.as_f64())
        .unwrap_or(0.0)
}

/// Fast-forwards the whole shop under a Double-11 crowd until `requests`
/// requests have completed, in slices of ≤ 8 ms, the page getting the
/// thread back between two (`next_task`). Resolves to { wallMs, projected, requests, maxSliceMs,
/// slices, memoryBytes, slowestSlices: [[ms, virtual s, requests]…] };
/// after 60 s it stops and projects the time.
fn fast_forward(requests: f64) -> js_sys::Promise {
    let goal_requests = if requests.is_finite() { requests.clamp(1.0, 1e8) as u64 } else { 1_000_000 };
    js_sys::Promise::new(&mut |resolve, _reject| {
        let run = Rc::new(RefCell::new(FastForward {
            cluster: workload::full_double_11(1),
            goal_requests,
            start_ms: now_ms(),
            max_slice_ms: 0.0,
            slices: 0,
            slowest: Vec::with_capacity(SLOWEST_KEPT + 1),
        }));
        schedule_slice(run, resolve);
    })
}

fn schedule_slice(run: Rc<RefCell<FastForward>>, resolve: js_sys::Function) {
    super::next_task::soon(move || {
        let done = run.borrow_mut().slice();
        if done {
            let _ = resolve.call1(&JsValue::NULL, &run.borrow().result());
        } else {
            schedule_slice(run, resolve);
        }
    });
}
