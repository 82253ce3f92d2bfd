//! The reader's language in the browser: where it starts, where it is kept, the toggle.
//!
//! Owns the `data-control="language"` toggle, the stored choice (localStorage
//! `clusterlab.lang`), `<html lang>` and the page title, and the `use_lang`
//! hook through which every component reads the language the app provides
//! as Yew context. What to say in each language lives in `crate::i18n`;
//! this module only reads and writes the browser.

use super::state::Action;
use crate::i18n::{Lang, t};
use std::cell::RefCell;
use wasm_bindgen::JsValue;
use yew::prelude::*;

/// Where the reader's choice is kept between visits.
pub const STORAGE_KEY: &str = "clusterlab.lang";

thread_local! {
    /// Text outside the Yew tree that follows the language: the start-up
    /// note about a bad link (its element and the words for each language).
    static OUTSIDE: RefCell<Option<(web_sys::Element, [String; 2])>> = const { RefCell::new(None) };
}

/// The language the page starts in: `?lang=`, else the stored choice, else
/// the browser's language (`zh…` → Chinese), else English.
pub fn initial() -> Lang {
    let Some(window) = web_sys::window() else { return Lang::En };
    let query = window.location().search().unwrap_or_default();
    let from_url = super::url::parse_query(&query).lang;
    Lang::choose(from_url, stored(&window).as_deref(), browser_language(&window).as_deref())
}

fn stored(window: &web_sys::Window) -> Option<String> {
    window.local_storage().ok().flatten()?.get_item(STORAGE_KEY).ok().flatten()
}

/// `navigator.language` (read without the `Navigator` binding).
fn browser_language(window: &web_sys::Window) -> Option<String> {
    let navigator = js_sys::Reflect::get(window, &JsValue::from_str("navigator")).ok()?;
    js_sys::Reflect::get(&navigator, &JsValue::from_str("language")).ok()?.as_string()
}

/// Keeps the reader's choice for the next visit (quietly does nothing if
/// storage is off).
pub fn store(lang: Lang) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(STORAGE_KEY, lang.code());
    }
}

/// The language the page shows now, read from `<html lang>` (for code that
/// runs without the app, such as the panic overlay), else `initial()`.
pub fn current() -> Lang {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
        .and_then(|e| e.get_attribute("lang"))
        .and_then(|tag| Lang::parse(&tag))
        .unwrap_or_else(initial)
}

/// Makes the page outside the Yew tree follow `lang`: `<html lang>`, the
/// title, the start-up note.
pub fn apply(lang: Lang) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Some(root) = document.document_element() {
        let _ = root.set_attribute("lang", lang.tag());
    }
    if crate::i18n::has_catalog(lang) {
        document.set_title(t(lang, "page.title"));
    }
    OUTSIDE.with(|o| {
        if let Some((element, texts)) = o.borrow().as_ref() {
            element.set_text_content(Some(&texts[usize::from(lang == Lang::Zh)]));
        }
    });
}

/// Remembers an element outside the app whose text is `texts` (English,
/// Chinese), and words it in the page's language now.
pub fn follow_outside(element: web_sys::Element, texts: [String; 2]) {
    element.set_text_content(Some(&texts[usize::from(current() == Lang::Zh)]));
    OUTSIDE.with(|o| *o.borrow_mut() = Some((element, texts)));
}

/// The language the app provides (English outside an app).
#[hook]
pub fn use_lang() -> Lang {
    use_context::<Lang>().unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct LangToggleProps {
    pub lang: Lang,
    pub dispatch: Callback<Action>,
}

/// The language toggle: names the other language in that language.
#[function_component(LangToggle)]
pub fn lang_toggle(props: &LangToggleProps) -> Html {
    let other = props.lang.other();
    let onclick = props.dispatch.reform(move |_: MouseEvent| {
        store(other);
        Action::SetLang(other)
    });
    html! {
        <button class="lang-toggle" data-control="language" lang={other.tag()} {onclick}
                title={t(props.lang, "lang.toggle-title")}>
            { t(props.lang, "lang.other") }
        </button>
    }
}
