//! The invariants panel: each property of the run with a live ✓ or ✗.
//!
//! Owns the `data-invariant` / `data-holds` hooks. `always` properties show ✗
//! from the moment they first break (with when and why); `sometimes`
//! properties show whether the interesting case has happened yet.

use super::lang::use_lang;
use crate::cluster::Cluster;
use crate::i18n::{Lang, t, td, tf, translate_reason};
use crate::sim::PropertyKind;
use crate::sim::time::format_time_us;
use yew::prelude::*;

/// One row: (name, is `always`, holds, explanation).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: &'static str,
    pub always: bool,
    pub holds: bool,
    pub note: Note,
}

/// A row's explanation, in words of either language.
#[derive(Clone, Debug, PartialEq)]
pub enum Note {
    /// Broke at a time, for a reason (the model's words).
    Broke(String, String),
    Seen(String),
    Holds,
    NotSeen,
}

impl Note {
    pub fn text(&self, l: Lang) -> String {
        match self {
            Self::Broke(at, reason) => {
                tf(l, "invariants.broke", &[("at", at), ("reason", &translate_reason(l, reason))])
            }
            Self::Seen(at) => tf(l, "invariants.seen", &[("at", at)]),
            Self::Holds => t(l, "invariants.holds").to_string(),
            Self::NotSeen => t(l, "invariants.not-seen").to_string(),
        }
    }
}

/// An invariant's name as shown (its `data-invariant` name if the catalog has none).
pub fn label(l: Lang, name: &str) -> &str {
    td(l, "invariant", name).unwrap_or(name)
}

pub fn rows(cluster: &Cluster) -> Vec<Row> {
    cluster
        .sim
        .properties()
        .verdicts()
        .iter()
        .map(|v| {
            let always = v.kind == PropertyKind::Always;
            let note = match (&v.first_violation, v.first_seen_us) {
                (Some(x), _) => Note::Broke(format_time_us(x.at_us), x.reason.clone()),
                (None, Some(t)) => Note::Seen(format_time_us(t)),
                (None, None) if always => Note::Holds,
                (None, None) => Note::NotSeen,
            };
            Row { name: v.name, always, holds: v.holds, note }
        })
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct InvariantsProps {
    pub verdicts: Vec<Row>,
}

#[function_component(InvariantsPanel)]
pub fn invariants_panel(props: &InvariantsProps) -> Html {
    let l = use_lang();
    html! {
        <section class="invariants" aria-label={t(l, "invariants.title")}>
            <h2>{ t(l, "invariants.title") }</h2>
            <ul>
                { for props.verdicts.iter().map(|r| {
                    let mark = match (r.always, r.holds) {
                        (true, true) => "✓",
                        (true, false) => "✗",
                        (false, true) => "●",
                        (false, false) => "○",
                    };
                    html! {
                        <li data-invariant={r.name} data-holds={r.holds.to_string()}
                            class={classes!(if r.always { "always" } else { "sometimes" }, (!r.holds).then_some("off"))}>
                            <span class="mark" aria-hidden="true">{ mark }</span>
                            <span class="name">{ label(l, r.name) }</span>
                            <span class="note">{ r.note.text(l) }</span>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
