//! The "Real configuration" panel: the files a reader would write for the real systems, for the current design.
//!
//! Owns the tabs (one per `realconf` snippet, `aria-pressed` on the chosen
//! one), the `<pre data-config="<id>">` of every snippet (the others
//! hidden) and a copy button that uses the clipboard when the browser has
//! one. The snippets are generated again only when the design changes. The
//! visible strings come from the language catalog (`realconf.*`). Never
//! changes the model.

use super::lang::use_lang;
use super::playground::Playground;
use crate::cluster::design::Design;
use crate::i18n::{Lang, t};
use crate::realconf::{self, Snippet};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use yew::prelude::*;

#[derive(Properties)]
pub struct RealConfigProps {
    pub playground: Rc<RefCell<Playground>>,
    pub design: Design,
}

impl PartialEq for RealConfigProps {
    fn eq(&self, other: &Self) -> bool {
        self.design == other.design && Rc::ptr_eq(&self.playground, &other.playground)
    }
}

/// What the copy button last did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CopyState {
    Ready,
    Copied,
    Unavailable,
}

#[function_component(RealConfig)]
pub fn real_config(props: &RealConfigProps) -> Html {
    let l = use_lang();
    let playground = props.playground.clone();
    let snippets = use_memo(props.design, move |design| realconf::generate(design, &playground.borrow().cluster));
    let chosen = use_state(|| "balancer");
    let copy_state = use_state(|| CopyState::Ready);
    let current = snippets.iter().find(|s| s.id == *chosen).or_else(|| snippets.first()).map(|s| s.id);
    let copy = {
        let snippets = snippets.clone();
        let copy_state = copy_state.clone();
        Callback::from(move |_: MouseEvent| {
            let text = snippets.iter().find(|s| Some(s.id) == current).map(|s| s.text.as_str()).unwrap_or("");
            copy_state.set(if write_clipboard(text) { CopyState::Copied } else { CopyState::Unavailable });
        })
    };
    let tabs = snippets.iter().map(|s| tab(l, s, current == Some(s.id), &chosen, &copy_state));
    let label = if *copy_state == CopyState::Copied { t(l, "realconf.copied") } else { t(l, "realconf.copy") };
    html! {
        <section class="panel real-config" aria-label={t(l, "realconf.title")}>
            <h2>{ t(l, "realconf.title") }</h2>
            <p class="real-config-intro quiet">{ t(l, "realconf.intro") }</p>
            <div class="real-config-bar">
                <div class="real-config-tabs" role="group" aria-label={t(l, "realconf.tabs")}>{ for tabs }</div>
                <button type="button" class="real-config-copy" onclick={copy}>{ label }</button>
            </div>
            if *copy_state == CopyState::Unavailable {
                <p class="quiet" role="status">{ t(l, "realconf.copy-failed") }</p>
            }
            { for snippets.iter().map(|s| html! {
                <pre data-config={s.id} data-language={s.language} hidden={current != Some(s.id)}><code>{ &s.text }</code></pre>
            }) }
        </section>
    }
}

/// A tab's name: the file or product's own name, translated where it is a phrase.
fn tab_title(l: Lang, snippet: &Snippet) -> &'static str {
    match snippet.title {
        "Gateway and product cache" => t(l, "realconf.tab-gateway"),
        "Tomcat sessions" => t(l, "realconf.tab-tomcat-sessions"),
        "ZooKeeper lock (Curator)" => t(l, "realconf.tab-zookeeper"),
        name => name,
    }
}

fn tab(
    l: Lang,
    snippet: &Snippet,
    pressed: bool,
    chosen: &UseStateHandle<&'static str>,
    copy: &UseStateHandle<CopyState>,
) -> Html {
    let id = snippet.id;
    let onclick = {
        let chosen = chosen.clone();
        let copy = copy.clone();
        Callback::from(move |_: MouseEvent| {
            chosen.set(id);
            copy.set(CopyState::Ready);
        })
    };
    html! {
        <button type="button" aria-pressed={pressed.to_string()} data-config-tab={id} {onclick}>{ tab_title(l, snippet) }</button>
    }
}

/// `navigator.clipboard.writeText(text)`, if the page has a clipboard (it
/// needs a secure context); read through `Reflect` so no extra web-sys
/// features are needed. Whether the call could be made.
fn write_clipboard(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let get = |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).ok();
    let Some(clipboard) = get(&window, "navigator").and_then(|n| get(&n, "clipboard")) else { return false };
    if clipboard.is_undefined() || clipboard.is_null() {
        return false;
    }
    let Some(write) = get(&clipboard, "writeText").and_then(|f| f.dyn_into::<js_sys::Function>().ok()) else {
        return false;
    };
    write.call1(&clipboard, &JsValue::from_str(text)).is_ok()
}
