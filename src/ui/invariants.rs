//! The invariants panel: each property of the run with a live ✓ or ✗.
//!
//! Owns the `data-invariant` / `data-holds` hooks. `always` properties show ✗
//! from the moment they first break (with when and why); `sometimes`
//! properties show whether the interesting case has happened yet.

use crate::cluster::Cluster;
use crate::sim::PropertyKind;
use crate::sim::time::format_time_us;
use yew::prelude::*;

/// One row: (name, is `always`, holds, explanation).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: &'static str,
    pub always: bool,
    pub holds: bool,
    pub note: String,
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
                (Some(x), _) => format!("broke at {}: {}", format_time_us(x.at_us), x.reason),
                (None, Some(t)) => format!("seen at {}", format_time_us(t)),
                (None, None) if always => "holds".to_string(),
                (None, None) => "not seen yet".to_string(),
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
    html! {
        <section class="invariants" aria-label="Invariants">
            <h2>{ "Invariants" }</h2>
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
                            <span class="name">{ r.name }</span>
                            <span class="note">{ &r.note }</span>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
