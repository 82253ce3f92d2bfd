//! The model's closed names in the reader's language: failure causes, pages, node states, node actions.
//!
//! Owns the lookups of the catalog's key families the model names —
//! `cause.<kebab>` (each `FailCause`, by its metric name without `failed-`),
//! `page.<name>`, `state.<data-state>` (and power), `action.<data-action>` —
//! the sentence for a failed request, and a refused command's reason
//! (`refusal.*`, `step.*`: every `CommandError` and `StepRefusal`). Each falls back to the model's own
//! English word, so a new variant still reads; `tests/i18n.rs` checks every
//! variant has its key in both languages. Pure: no DOM, never changes the model.

use crate::cluster::FailCause;
use crate::cluster::command::{CommandError, NodeAction};
use crate::cluster::design::{Design, SwitchError};
use crate::cluster::message::Page;
use crate::cluster::shopper::{CATALOGUE, StepRefusal};
use crate::i18n::{Lang, t, td, tf};

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

/// Why the model refused a command, as a reader would say it.
pub fn refusal(l: Lang, error: &CommandError) -> String {
    match error {
        CommandError::UnknownNode { node } => tf(l, "refusal.unknown-node", &[("node", node)]),
        CommandError::TooManyShoppers { asked, capacity } => {
            tf(l, "refusal.too-many-shoppers", &[("asked", asked), ("capacity", capacity)])
        }
        CommandError::Switch(e) => switch_refusal(l, e),
        CommandError::UnknownCentre { centre } => tf(l, "refusal.unknown-centre", &[("centre", centre)]),
        CommandError::Xiaoming(why) => tf(l, "refusal.xiaoming", &[("why", &step_refusal(l, *why))]),
        CommandError::UnknownProduct { product } => {
            tf(l, "refusal.unknown-product", &[("product", product), ("last", &CATALOGUE)])
        }
        CommandError::NoCdn => t(l, "refusal.no-cdn").to_string(),
        CommandError::NoInventory => t(l, "refusal.no-inventory").to_string(),
    }
}

fn switch_refusal(l: Lang, error: &SwitchError) -> String {
    match error {
        SwitchError::UnknownSwitch { switch } => {
            tf(l, "refusal.unknown-switch", &[("switch", switch), ("all", &Design::SWITCHES.join(", "))])
        }
        SwitchError::UnknownValue { switch, value, allowed } => {
            tf(l, "refusal.unknown-value", &[("value", value), ("switch", switch), ("allowed", &allowed.join(", "))])
        }
        SwitchError::NeedsRedeploy { switch, value } => {
            tf(l, "refusal.needs-redeploy", &[("switch", switch), ("value", value)])
        }
    }
}

fn step_refusal(l: Lang, why: StepRefusal) -> String {
    match why {
        StepRefusal::NoShopper => t(l, "step.no-shopper").to_string(),
        StepRefusal::BrowserDown => t(l, "step.browser-down").to_string(),
        StepRefusal::WalksAlone => t(l, "step.walks-alone").to_string(),
        StepRefusal::Waiting { page: p } => tf(l, "step.waiting", &[("page", &page(l, p))]),
    }
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

    /// The English refusal reads as the model's own message, for every kind.
    #[test]
    fn refusals_match_the_models_words_in_english() {
        let errors = [
            CommandError::UnknownNode { node: "db".into() },
            CommandError::TooManyShoppers { asked: 9000, capacity: 3000 },
            CommandError::Switch(SwitchError::UnknownSwitch { switch: "x".into() }),
            CommandError::Switch(SwitchError::UnknownValue { switch: "lock", value: "q".into(), allowed: vec!["off"] }),
            CommandError::Switch(SwitchError::NeedsRedeploy { switch: "session-store", value: "redis".into() }),
            CommandError::UnknownCentre { centre: "mars".into() },
            CommandError::Xiaoming(StepRefusal::Waiting { page: Page::Detail }),
            CommandError::Xiaoming(StepRefusal::WalksAlone),
            CommandError::UnknownProduct { product: 0 },
            CommandError::NoCdn,
            CommandError::NoInventory,
        ];
        for e in &errors {
            assert_eq!(refusal(Lang::En, e), e.to_string());
            assert_ne!(refusal(Lang::Zh, e), e.to_string(), "{e}: no Chinese text");
        }
    }
}
