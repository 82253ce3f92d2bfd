//! The minimal-Yew anchor: one button that counts. It records when its first
//! render reached the DOM (`window.__anchorFirstRenderMs`, milliseconds since
//! navigation start) so the bench can compare ClusterLab's first render.

use yew::prelude::*;

#[function_component(Counter)]
fn counter() -> Html {
    let count = use_state(|| 0_u32);
    let onclick = {
        let count = count.clone();
        Callback::from(move |_| count.set(*count + 1))
    };
    use_effect_with((), |_| {
        if let Some(window) = web_sys::window() {
            let now_ms = window.performance().map_or(0.0, |p| p.now());
            let _ = js_sys_set(&window, now_ms);
        }
    });
    html! { <button id="count" {onclick}>{ *count }</button> }
}

fn js_sys_set(window: &web_sys::Window, now_ms: f64) -> Result<(), wasm_bindgen::JsValue> {
    let key = wasm_bindgen::JsValue::from_str("__anchorFirstRenderMs");
    let value = wasm_bindgen::JsValue::from_f64(now_ms);
    web_sys::js_sys::Reflect::set(window, &key, &value).map(|_| ())
}

fn main() {
    yew::Renderer::<Counter>::new().render();
}
