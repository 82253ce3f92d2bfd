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
use crate::i18n::{Lang, t, tf};
use crate::sim::time::format_time_us;
use yew::prelude::*;

pub(super) fn view(l: Lang, _snap: &Snapshot, node: &NodeSnapshot) -> Html {
    match &node.detail {
        NodeDetail::Dns { records, queries } => html! {
            <>
                { facts(&[(t(l, "inspect.queries-answered"), queries.to_string())]) }
                { records_table(l, t(l, "inspect.a-records-rotated-per-answer"), t(l, "inspect.ttl"), records) }
            </>
        },
        NodeDetail::Resolver { cached } => {
            records_table(l, t(l, "inspect.cached-answers"), t(l, "inspect.expires-in"), cached)
        }
        NodeDetail::Browsers { cached_address, sent_to, lookups, cache_hits } => {
            let sent: Vec<String> = sent_to.iter().map(|(to, n)| format!("{to}: {n}")).collect();
            facts(&[
                (
                    t(l, "inspect.cached-address-of-the-shop"),
                    cached_address.clone().unwrap_or_else(|| t(l, "inspect.none-will-look-up").into()),
                ),
                (t(l, "inspect.lookups"), lookups.to_string()),
                (t(l, "inspect.answered-from-the-browser-s"), cache_hits.to_string()),
                (t(l, "inspect.requests-sent-to"), list(&sent)),
            ])
        }
        NodeDetail::Cdn {
            requests,
            edge_hits,
            origin_fetches,
            answered_200,
            answered_304,
            served_old_version,
            entries,
            recent,
        } => {
            let ratio = if *requests == 0 { 0 } else { edge_hits * 1000 / requests };
            html! {
                <>
                    { facts(&[
                        (t(l, "inspect.requests"), requests.to_string()),
                        (t(l, "inspect.edge-hits"), format!("{edge_hits} ({})", percent(ratio))),
                        (t(l, "inspect.origin-fetches"), origin_fetches.to_string()),
                        (t(l, "inspect.answered-200-with-the-body"), answered_200.to_string()),
                        (t(l, "inspect.answered-304-the-browser-s"), answered_304.to_string()),
                        (t(l, "inspect.served-an-older-version"), served_old_version.to_string()),
                    ]) }
                    { assets(l, t(l, "inspect.what-this-edge-holds"), entries) }
                    { serves(l, recent) }
                </>
            }
        }
        NodeDetail::ProductCache { entries, hits, misses, hit_ratio_permille } => html! {
            <>
                { facts(&[
                    (t(l, "inspect.hits"), hits.to_string()),
                    (t(l, "inspect.misses"), misses.to_string()),
                    (t(l, "inspect.hit-ratio"), percent(*hit_ratio_permille)),
                ]) }
                { cache_entries(l, entries) }
            </>
        },
        _ => html! {},
    }
}

fn records_table(l: Lang, caption: &str, ttl_header: &str, records: &[RecordRow]) -> Html {
    let rows = records
        .iter()
        .map(|r| {
            html! {
                <tr><th scope="row">{ tf(l, "inspect.name-n", &[("n", &r.name)]) }</th><td>{ list(&r.addresses) }</td>
                    <td>{ format_time_us(r.ttl_us) }</td></tr>
            }
        })
        .collect();
    table(caption, &[t(l, "inspect.name"), t(l, "inspect.addresses"), ttl_header], rows, t(l, "inspect.nothing-cached"))
}

fn serves(l: Lang, recent: &[ServeRow]) -> Html {
    let rows = recent
        .iter()
        .map(|s| {
            let status = if s.not_modified { t(l, "inspect.304-not-modified") } else { t(l, "inspect.200-ok") };
            html! {
                <tr data-source={s.source}>
                    <td>{ at(s.at_us) }</td><td>{ s.resource }</td><td>{ s.version }</td>
                    <td>{ s.source }</td><td>{ status }</td>
                </tr>
            }
        })
        .collect();
    table(
        t(l, "inspect.recent-answers-newest-first"),
        &[
            t(l, "inspect.at"),
            t(l, "inspect.resource"),
            t(l, "inspect.version"),
            t(l, "inspect.from"),
            t(l, "inspect.status"),
        ],
        rows,
        t(l, "inspect.nothing-served-yet"),
    )
}

/// Whether a cached entry is still fresh, and the words for it.
pub fn freshness(l: Lang, entry: &CacheRow) -> (bool, String) {
    if entry.age_us < entry.ttl_us {
        (true, tf(l, "inspect.fresh-for", &[("span", &format_time_us(entry.ttl_us - entry.age_us))]))
    } else {
        (false, tf(l, "inspect.expired-ago", &[("span", &format_time_us(entry.age_us - entry.ttl_us))]))
    }
}

fn cache_entries(l: Lang, entries: &[CacheRow]) -> Html {
    let rows = entries
        .iter()
        .map(|e| {
            let (fresh, text) = freshness(l, e);
            html! {
                <tr data-fresh={fresh.to_string()}>
                    <th scope="row">{ e.product }</th><td>{ e.version }</td>
                    <td>{ format_time_us(e.age_us) }</td><td>{ format_time_us(e.ttl_us) }</td><td>{ text }</td>
                </tr>
            }
        })
        .collect();
    table(
        t(l, "inspect.cached-products"),
        &[
            t(l, "inspect.product"),
            t(l, "inspect.version"),
            t(l, "inspect.age"),
            t(l, "inspect.ttl"),
            t(l, "inspect.freshness"),
        ],
        rows,
        t(l, "inspect.the-cache-is-empty"),
    )
}

/// Cached static assets with their age, lifetime and freshness.
pub(super) fn assets(l: Lang, caption: &str, rows: &[AssetRow]) -> Html {
    let rows = rows
        .iter()
        .map(|a| {
            let fresh = if a.fresh { "fresh" } else { t(l, "inspect.stale-revalidate") };
            html! {
                <tr data-fresh={a.fresh.to_string()}>
                    <th scope="row">{ &a.path }</th><td>{ format!("v{}", a.version) }</td>
                    <td>{ format!("{} s", a.age_s) }</td><td>{ format!("{} s", a.lifetime_s) }</td><td>{ fresh }</td>
                </tr>
            }
        })
        .collect();
    table(
        caption,
        &[
            t(l, "inspect.asset"),
            t(l, "inspect.version"),
            t(l, "inspect.age"),
            t(l, "inspect.lifetime"),
            t(l, "inspect.freshness"),
        ],
        rows,
        t(l, "inspect.nothing-cached"),
    )
}

/// Xiaoming's journey: where he is, how his last page went, where his session lives.
pub(super) fn follow(l: Lang, view: &FollowView) -> Html {
    let mode = if view.manual { t(l, "inspect.step-by-step-by-hand") } else { t(l, "inspect.walking-on-his-own") };
    let outcome = match (view.last_outcome, &view.last_reason) {
        (Some(outcome), Some(reason)) => format!("{outcome}: {reason}"),
        (Some(outcome), None) => outcome.to_string(),
        _ => t(l, "inspect.none-yet").to_string(),
    };
    html! {
        <>
            { facts(&[
                (t(l, "inspect.xiaoming-is"), mode.to_string()),
                (t(l, "inspect.next-step"), view.next_step.to_string()),
                (t(l, "inspect.waiting-for"), view.waiting_for.unwrap_or(t(l, "inspect.nothing")).to_string()),
                (t(l, "inspect.last-page"), view.last_page.unwrap_or(t(l, "inspect.none-yet")).to_string()),
                (t(l, "inspect.its-outcome"), outcome),
                (t(l, "inspect.his-session-lives-on"), view.session_on.clone().unwrap_or_else(|| t(l, "inspect.no-server-logged-out").into())),
                (t(l, "inspect.journeys-completed"), view.journeys.to_string()),
            ]) }
            { assets(l, t(l, "inspect.xiaoming-s-browser-cache"), &view.browser_cache) }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_counts_down_then_up() {
        let entry = |age_us, ttl_us| CacheRow { product: 1, version: 1, age_us, ttl_us };
        assert_eq!(freshness(Lang::En, &entry(1_000_000, 3_000_000)), (true, "fresh for 2.000 s".to_string()));
        assert_eq!(freshness(Lang::En, &entry(4_000_000, 3_000_000)), (false, "expired 1.000 s ago".to_string()));
        assert!(!freshness(Lang::En, &entry(5, 5)).0, "at the TTL it is no longer fresh");
    }
}
