//! The model's closed names in the reader's language: failure causes, pages, node states, node actions.
//!
//! Owns the lookups of the catalog's key families the model names —
//! `cause.<kebab>` (each `FailCause`, by its metric name without `failed-`),
//! `page.<name>`, `state.<data-state>` (and power), `action.<data-action>` —
//! and the sentence for a failed request. Each falls back to the model's own
//! English word, so a new variant still reads; `tests/i18n.rs` checks every
//! variant has its key in both languages. Pure: no DOM, never changes the model.

use crate::cluster::FailCause;
use crate::cluster::command::NodeAction;
use crate::cluster::message::Page;
use crate::i18n::{Lang, td, tf};

/// The catalog name of a failure cause: `timed-out`, `session-not-found`, …
pub fn cause_key(cause: FailCause) -> &'static str {
    let metric = cause.metric_name();
    metric.strip_prefix("failed-").unwrap_or(metric)
}

/// Why a request failed, as a reader would say it.
pub fn cause(l: Lang, cause: FailCause) -> &'static str {
    td(l, "cause", cause_key(cause)).unwrap_or(cause.as_str())
}

/// A page of the journey (`home`, `detail`, …).
pub fn page(l: Lang, page: Page) -> &'static str {
    td(l, "page", page.as_str()).unwrap_or(page.as_str())
}

/// A node's state as shown (`up`, `crashed`, … and `off`, `booting`).
pub fn state(l: Lang, state: &'static str) -> &'static str {
    td(l, "state", state).unwrap_or(state)
}

/// A node action's button label.
pub fn action(l: Lang, action: NodeAction) -> &'static str {
    td(l, "action", action.as_str()).unwrap_or(action.as_str())
}

/// `detail failed at app-2: session not found`.
pub fn failure(l: Lang, failed: Page, node: &str, why: FailCause) -> String {
    tf(l, "failure.text", &[("page", &page(l, failed)), ("node", &node), ("cause", &cause(l, why))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_read_in_both_languages() {
        let en = failure(Lang::En, Page::Detail, "app-2", FailCause::SessionNotFound);
        assert_eq!(en, "detail failed at app-2: session not found");
        let zh = failure(Lang::Zh, Page::Detail, "app-2", FailCause::SessionNotFound);
        assert!(zh.contains("app-2") && !zh.contains("failed"), "{zh}");
        assert_eq!(cause_key(FailCause::TimedOut), "timed-out");
    }
}
