//! The read-only console API: `window.clusterlab`, for tests and power users.
//!
//! Owns the functions exposed on `window.clusterlab`: `traceHash()`, `now()`,
//! `eventCount()`, `seed()`, `xiaomingServer()`, `snapshot()` (with the
//! number of messages in flight), `frameStats()` (the frame loop's event
//! counts, model and paint time per frame, the worst so far), `design()`
//! (every switch's current value), `shareLink()` (the link that replays the
//! run so far, or `null` when it is too long for a link), and
//! `runFor(us)`, which advances virtual time headlessly (the same thing the
//! play button does, only at once). Nothing here can put the model into a
//! state the UI could not reach.

use super::playground::Playground;
use super::state::{Action, AppState};
use crate::cluster::Cluster;
use crate::cluster::design::Design;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen::closure::Closure;
use yew::UseReducerDispatcher;

/// The model's plain-data snapshot, as JSON. Through `serde_json::Value`,
/// as the lessons' probe reads a node's detail: the snapshot's serializer
/// is then built once into the binary, not twice (objects' keys come out
/// sorted).
pub fn snapshot_json(cluster: &Cluster) -> String {
    serde_json::to_value(cluster.snapshot()).map_or_else(|_| "null".to_string(), |v| v.to_string())
}

/// The frame loop's figures as a JS object.
fn frame_stats(p: &Playground) -> js_sys::Object {
    let s = &p.stats;
    let out = js_sys::Object::new();
    let fields = [
        ("frames", s.frames as f64),
        ("laggingFrames", s.lagging_frames as f64),
        ("lastEvents", s.last_events as f64),
        ("lastMs", s.last_ms),
        ("worstEvents", s.worst_events as f64),
        ("worstMs", s.worst_ms),
        ("p50Ms", s.percentile_ms(50.0)),
        ("p95Ms", s.percentile_ms(95.0)),
        ("drawP50Ms", s.draw_percentile_ms(50.0)),
        ("drawP95Ms", s.draw_percentile_ms(95.0)),
        ("drawMeanMs", s.draw_mean_ms()),
        ("refreshP50Ms", s.refresh_percentile_ms(50.0)),
        ("refreshP95Ms", s.refresh_percentile_ms(95.0)),
        ("lastDots", s.last_dots as f64),
    ];
    for (name, value) in fields {
        set_fn(&out, name, value.into());
    }
    out
}

/// Every design switch's current value by its `data-switch` name, as JSON.
pub fn design_json(cluster: &Cluster) -> String {
    let values: std::collections::BTreeMap<&str, String> =
        Design::SWITCHES.iter().filter_map(|&name| Some((name, cluster.design.get(name)?))).collect();
    serde_json::to_string(&values).unwrap_or_else(|_| "null".to_string())
}

fn set_fn(target: &js_sys::Object, name: &str, f: JsValue) {
    // Failing to set a property on a plain object cannot happen; ignore it.
    let _ = js_sys::Reflect::set(target, &JsValue::from_str(name), &f);
}

/// Installs `window.clusterlab` for this model.
pub fn install(playground: Rc<RefCell<Playground>>, dispatcher: UseReducerDispatcher<AppState>) {
    let Some(window) = web_sys::window() else { return };
    let api = js_sys::Object::new();
    let read = |f: fn(&Playground) -> JsValue| {
        let pg = playground.clone();
        Closure::<dyn Fn() -> JsValue>::new(move || pg.try_borrow().map_or(JsValue::NULL, |p| f(&p))).into_js_value()
    };
    set_fn(&api, "traceHash", read(|p| format!("{:016x}", p.cluster.sim.trace_hash()).into()));
    set_fn(&api, "now", read(|p| (p.cluster.sim.now_us() as f64).into()));
    set_fn(&api, "eventCount", read(|p| (p.cluster.sim.events_processed() as f64).into()));
    set_fn(&api, "seed", read(|p| p.seed.to_string().into()));
    set_fn(
        &api,
        "xiaomingServer",
        read(|p| p.cluster.xiaoming_server().map_or(JsValue::NULL, |id| p.cluster.sim.name(id).into())),
    );
    set_fn(&api, "frameStats", read(|p| frame_stats(p).into()));
    set_fn(&api, "snapshot", read(|p| js_sys::JSON::parse(&snapshot_json(&p.cluster)).unwrap_or(JsValue::NULL)));
    set_fn(&api, "shareLink", read(|p| super::share::share_link(p).map_or(JsValue::NULL, JsValue::from)));
    set_fn(&api, "design", read(|p| js_sys::JSON::parse(&design_json(&p.cluster)).unwrap_or(JsValue::NULL)));
    let pg = playground.clone();
    let run_for = Closure::<dyn Fn(f64)>::new(move |span_us: f64| {
        if span_us.is_finite() && span_us > 0.0 {
            if let Ok(mut p) = pg.try_borrow_mut() {
                p.run_for(span_us as u64);
            }
            dispatcher.dispatch(Action::Refresh);
        }
    });
    set_fn(&api, "runFor", run_for.into_js_value());
    let _ = js_sys::Reflect::set(&window, &JsValue::from_str("clusterlab"), &api);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::topology::SliceOptions;

    #[test]
    fn the_design_is_read_by_switch_name() {
        let design = Design::default().with("session-store", "redis").unwrap();
        let mut cluster = Cluster::slice(&SliceOptions { design, ..SliceOptions::default() });
        cluster.set_switch("lock", "off").unwrap();
        let json: serde_json::Value = serde_json::from_str(&design_json(&cluster)).unwrap();
        assert_eq!(json["session-store"], "redis");
        assert_eq!(json["two-phase"], "on");
        assert_eq!(json["lock"], "off");
        assert_eq!(json.as_object().unwrap().len(), Design::SWITCHES.len());
    }
}
