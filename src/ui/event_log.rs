//! The event log: faults and failed requests, newest first, with reasons.
//!
//! Owns the log panel, which doubles as the screen-reader view of the run
//! (`aria-live="polite"`). Every failed request appears with where and why it
//! failed. Reads the model; never changes it.

use crate::cluster::{Cluster, ClusterNode};
use crate::sim::time::format_time_us;
use yew::prelude::*;

/// Lines to show at most.
const SHOWN: usize = 14;

/// The newest log lines as (time text, text, is_failure), newest first.
pub fn lines(cluster: &Cluster) -> Vec<(String, String, bool)> {
    let sim = &cluster.sim;
    let mut all: Vec<(u64, String, bool)> =
        sim.log().iter().rev().take(SHOWN).map(|l| (l.at_us, l.text.clone(), false)).collect();
    for (i, node) in sim.nodes().iter().enumerate() {
        let ClusterNode::Shoppers(pool) = node else { continue };
        let who = sim.name(crate::sim::NodeId(i as u16));
        for f in pool.recent_failures.iter().rev().take(SHOWN) {
            let shopper = if pool.shoppers.len() == 1 { who.to_string() } else { format!("{who} #{}", f.shopper) };
            let text = format!("{shopper}: {} failed at {}: {}", f.page.as_str(), sim.name(f.node), f.cause.as_str());
            all.push((f.at_us, text, true));
        }
    }
    all.sort_by_key(|line| std::cmp::Reverse(line.0));
    all.truncate(SHOWN);
    all.into_iter().map(|(t, text, failed)| (format_time_us(t), text, failed)).collect()
}

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub lines: Vec<(String, String, bool)>,
}

#[function_component(EventLog)]
pub fn event_log(props: &EventLogProps) -> Html {
    html! {
        <section class="event-log" aria-label="Event log">
            <h2>{ "Event log" }</h2>
            <ol aria-live="polite" aria-relevant="additions">
                if props.lines.is_empty() {
                    <li class="quiet">{ "Nothing has gone wrong yet. Press play, then crash a server." }</li>
                }
                { for props.lines.iter().map(|(t, text, failed)| html! {
                    <li class={classes!(failed.then_some("failure"))}><time>{ t }</time>{ " " }{ text }</li>
                }) }
            </ol>
        </section>
    }
}
