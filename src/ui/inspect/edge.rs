//! Inspectors of the edge and the caches: DNS, resolvers, the browsers' name cache, CDN edges, the product cache.
//!
//! Owns the views of the authoritative A records and their TTL, what each
//! resolver has cached and for how much longer, where the browsers' cached
//! address points, a CDN edge's recent serves (edge hit or origin fetch, 200
//! or 304) and the product cache's entries with age, TTL and freshness.
//! Never changes the model.

use super::{at, facts, list, percent, table};
use crate::cluster::snapshot::{
    AssetRow, CacheRow, FollowView, NodeDetail, NodeSnapshot, RecordRow, ServeRow, Snapshot,
};
use crate::sim::time::format_time_us;
use yew::prelude::*;

pub(super) fn view(_snap: &Snapshot, node: &NodeSnapshot) -> Html {
    match &node.detail {
        NodeDetail::Dns { records, queries } => html! {
            <>
                { facts(&[("Queries answered", queries.to_string())]) }
                { records_table("A records (rotated per answer; no health checks)", "TTL", records) }
            </>
        },
        NodeDetail::Resolver { cached } => records_table("Cached answers", "expires in", cached),
        NodeDetail::Browsers { cached_address, sent_to, lookups, cache_hits } => {
            let sent: Vec<String> = sent_to.iter().map(|(to, n)| format!("{to}: {n}")).collect();
            facts(&[
                ("Cached address of the shop", cached_address.clone().unwrap_or_else(|| "none (will look up)".into())),
                ("Lookups", lookups.to_string()),
                ("Answered from the browser's cache", cache_hits.to_string()),
                ("Requests sent to", list(&sent)),
            ])
        }
        NodeDetail::Cdn { requests, edge_hits, origin_fetches, answered_200, answered_304, entries, recent } => {
            let ratio = if *requests == 0 { 0 } else { edge_hits * 1000 / requests };
            html! {
                <>
                    { facts(&[
                        ("Requests", requests.to_string()),
                        ("Edge hits", format!("{edge_hits} ({})", percent(ratio))),
                        ("Origin fetches", origin_fetches.to_string()),
                        ("Answered 200 (with the body)", answered_200.to_string()),
                        ("Answered 304 (the browser's copy confirmed)", answered_304.to_string()),
                    ]) }
                    { assets("What this edge holds", entries) }
                    { serves(recent) }
                </>
            }
        }
        NodeDetail::ProductCache { entries, hits, misses, hit_ratio_permille } => html! {
            <>
                { facts(&[
                    ("Hits", hits.to_string()),
                    ("Misses", misses.to_string()),
                    ("Hit ratio", percent(*hit_ratio_permille)),
                ]) }
                { cache_entries(entries) }
            </>
        },
        _ => html! {},
    }
}

fn records_table(caption: &str, ttl_header: &str, records: &[RecordRow]) -> Html {
    let rows = records
        .iter()
        .map(|r| {
            html! {
                <tr><th scope="row">{ format!("name #{}", r.name) }</th><td>{ list(&r.addresses) }</td>
                    <td>{ format_time_us(r.ttl_us) }</td></tr>
            }
        })
        .collect();
    table(caption, &["name", "addresses", ttl_header], rows, "Nothing cached.")
}

fn serves(recent: &[ServeRow]) -> Html {
    let rows = recent
        .iter()
        .map(|s| {
            let status = if s.not_modified { "304 Not Modified" } else { "200 OK" };
            html! {
                <tr data-source={s.source}>
                    <td>{ at(s.at_us) }</td><td>{ s.resource }</td><td>{ s.version }</td>
                    <td>{ s.source }</td><td>{ status }</td>
                </tr>
            }
        })
        .collect();
    table("Recent answers, newest first", &["at", "resource", "version", "from", "status"], rows, "Nothing served yet.")
}

/// Whether a cached entry is still fresh, and the words for it.
pub fn freshness(entry: &CacheRow) -> (bool, String) {
    if entry.age_us < entry.ttl_us {
        (true, format!("fresh for {}", format_time_us(entry.ttl_us - entry.age_us)))
    } else {
        (false, format!("expired {} ago", format_time_us(entry.age_us - entry.ttl_us)))
    }
}

fn cache_entries(entries: &[CacheRow]) -> Html {
    let rows = entries
        .iter()
        .map(|e| {
            let (fresh, text) = freshness(e);
            html! {
                <tr data-fresh={fresh.to_string()}>
                    <th scope="row">{ e.product }</th><td>{ e.version }</td>
                    <td>{ format_time_us(e.age_us) }</td><td>{ format_time_us(e.ttl_us) }</td><td>{ text }</td>
                </tr>
            }
        })
        .collect();
    table("Cached products", &["product", "version", "age", "TTL", "freshness"], rows, "The cache is empty.")
}

/// Cached static assets with their age, lifetime and freshness.
pub(super) fn assets(caption: &str, rows: &[AssetRow]) -> Html {
    let rows = rows
        .iter()
        .map(|a| {
            let fresh = if a.fresh { "fresh" } else { "stale: revalidate" };
            html! {
                <tr data-fresh={a.fresh.to_string()}>
                    <th scope="row">{ &a.path }</th><td>{ format!("v{}", a.version) }</td>
                    <td>{ format!("{} s", a.age_s) }</td><td>{ format!("{} s", a.lifetime_s) }</td><td>{ fresh }</td>
                </tr>
            }
        })
        .collect();
    table(caption, &["asset", "version", "age", "lifetime", "freshness"], rows, "Nothing cached.")
}

/// Xiaoming's journey: where he is, how his last page went, where his session lives.
pub(super) fn follow(view: &FollowView) -> Html {
    let mode = if view.manual { "step by step (by hand)" } else { "walking on his own" };
    let outcome = match (view.last_outcome, &view.last_reason) {
        (Some(outcome), Some(reason)) => format!("{outcome}: {reason}"),
        (Some(outcome), None) => outcome.to_string(),
        _ => "none yet".to_string(),
    };
    html! {
        <>
            { facts(&[
                ("Xiaoming is", mode.to_string()),
                ("Next step", view.next_step.to_string()),
                ("Waiting for", view.waiting_for.unwrap_or("nothing").to_string()),
                ("Last page", view.last_page.unwrap_or("none yet").to_string()),
                ("Its outcome", outcome),
                ("His session lives on", view.session_on.clone().unwrap_or_else(|| "no server (logged out)".into())),
                ("Journeys completed", view.journeys.to_string()),
            ]) }
            { assets("Xiaoming's browser cache", &view.browser_cache) }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_counts_down_then_up() {
        let entry = |age_us, ttl_us| CacheRow { product: 1, version: 1, age_us, ttl_us };
        assert_eq!(freshness(&entry(1_000_000, 3_000_000)), (true, "fresh for 2.000 s".to_string()));
        assert_eq!(freshness(&entry(4_000_000, 3_000_000)), (false, "expired 1.000 s ago".to_string()));
        assert!(!freshness(&entry(5, 5)).0, "at the TTL it is no longer fresh");
    }
}
