//! A readable error instead of a dead page.
//!
//! Owns the panic hook: on an internal error it logs the message to the
//! console and shows an overlay (`role="alert"`, `data-error="internal"`)
//! that says what happened and how to recover, in the language the page
//! shows (read from `<html lang>`: the app's state may be gone; before any
//! catalog is fetched, in both languages from built-in words). Never tries
//! to continue.

use crate::i18n::{has_catalog, t};
use std::panic::PanicHookInfo;

fn message(info: &PanicHookInfo<'_>) -> String {
    let what = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown error".to_string());
    match info.location() {
        Some(at) => format!("{what} (at {}:{})", at.file(), at.line()),
        None => what,
    }
}

/// Installs the hook. Call once, before mounting the app.
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let text = message(info);
        web_sys::console::error_1(&format!("ClusterLab internal error: {text}").into());
        show_overlay(&text);
    }));
}

fn show_overlay(text: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(body) = document.body() else { return };
    let Ok(overlay) = document.create_element("div") else { return };
    overlay.set_class_name("fatal");
    let _ = overlay.set_attribute("role", "alert");
    let _ = overlay.set_attribute("data-error", "internal");
    let lang = super::lang::current();
    // Before any catalog is in (the page fetches them), a few built-in words.
    let [title, advice] = if has_catalog(lang) || has_catalog(lang.other()) {
        [t(lang, "panic.title"), t(lang, "panic.advice")]
    } else {
        ["ClusterLab stopped: an internal error · ClusterLab 已停止：内部错误", "Reload the page. · 请刷新页面。"]
    };
    overlay.set_inner_html("<h2></h2><p></p><pre></pre>");
    for (selector, words) in [("h2", title), ("p", advice), ("pre", text)] {
        if let Ok(Some(element)) = overlay.query_selector(selector) {
            element.set_text_content(Some(words));
        }
    }
    let _ = body.append_child(&overlay);
}
