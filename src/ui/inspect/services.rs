//! Inspectors of the service tier: the registry, each consumer's cached instance lists, the API gateway, the message queue.
//!
//! Owns the views of the registry's instance list (healthy or not, last
//! heartbeat), a service host's cached copy of the lists it calls — marking
//! the instances the registry no longer counts healthy, the stale-cache
//! failure of brief §2 — the gateway's limiter tokens, access log and
//! rejections, and the broker's depth, unacked deliveries, redeliveries and
//! dead letters. Never changes the model.

use super::{ago, at, facts, find_detail, list, table};
use crate::cluster::snapshot::{AccessRow, CachedList, InstanceRow, LimiterRow, NodeDetail, NodeSnapshot, Snapshot};
use crate::i18n::{Lang, t, td, tf};
use yew::prelude::*;

pub(super) fn view(l: Lang, snap: &Snapshot, node: &NodeSnapshot) -> Html {
    match &node.detail {
        NodeDetail::Registry { instances, self_preserving } => registry(l, snap, instances, *self_preserving),
        NodeDetail::Service { service, cached, in_doubt, .. } => consumer(l, snap, service, cached, in_doubt),
        NodeDetail::Gateway { limiters, access_log, http_to_rpc, rpc_to_http } => {
            gateway(l, snap, limiters, access_log, *http_to_rpc, *rpc_to_http)
        }
        NodeDetail::Queue { depth, unacked, redeliveries, dead_letters, confirmed, acked } => facts(&[
            (t(l, "inspect.ready-in-the-queue-depth"), depth.to_string()),
            (t(l, "inspect.delivered-not-yet-acked"), unacked.to_string()),
            (t(l, "inspect.redeliveries"), redeliveries.to_string()),
            (t(l, "inspect.dead-letters"), dead_letters.to_string()),
            (t(l, "inspect.publishes-confirmed"), confirmed.to_string()),
            (t(l, "inspect.acked-by-the-consumer"), acked.to_string()),
        ]),
        _ => html! {},
    }
}

fn registry(l: Lang, snap: &Snapshot, instances: &[InstanceRow], self_preserving: bool) -> Html {
    let rows = instances
        .iter()
        .map(|i| {
            html! {
                <tr data-healthy={i.healthy.to_string()}>
                    <td>{ i.service }</td><th scope="row">{ &i.node }</th>
                    <td>{ t(l, if i.healthy { "inspect.healthy" } else { "inspect.unhealthy" }) }</td>
                    <td>{ ago(l, snap.now_us, i.last_beat_us) }</td>
                </tr>
            }
        })
        .collect();
    html! {
        <>
            { facts(&[(t(l, "inspect.self-preservation"), if self_preserving { t(l, "inspect.on-expiries-suspended").into() } else { t(l, "inspect.off").into() })]) }
            { table(t(l, "inspect.registered-instances"), &[t(l, "inspect.service"), t(l, "inspect.instance"), t(l, "inspect.health"), t(l, "inspect.last-heartbeat")], rows, t(l, "inspect.nobody-has-registered-yet")) }
        </>
    }
}

/// Instances of `service` the registry counts healthy now (None without a registry in the snapshot).
fn healthy_in_registry(snap: &Snapshot, service: &str) -> Option<Vec<String>> {
    match find_detail(snap, |d| matches!(d, NodeDetail::Registry { .. }))? {
        (_, NodeDetail::Registry { instances, .. }) => {
            Some(instances.iter().filter(|i| i.service == service && i.healthy).map(|i| i.node.clone()).collect())
        }
        _ => None,
    }
}

/// The instances of a cached list the registry no longer counts healthy.
pub fn stale_entries(cached: &CachedList, healthy: Option<&[String]>) -> Vec<String> {
    let Some(healthy) = healthy else { return Vec::new() };
    cached.instances.iter().filter(|i| !healthy.contains(i)).cloned().collect()
}

fn consumer(l: Lang, snap: &Snapshot, service: &str, cached: &[CachedList], in_doubt: &[u32]) -> Html {
    let rows = cached
        .iter()
        .map(|c| {
            let healthy = healthy_in_registry(snap, c.service);
            let stale = stale_entries(c, healthy.as_deref());
            html! {
                <tr data-stale={(!stale.is_empty()).to_string()}>
                    <th scope="row">{ c.service }</th><td>{ list(&c.instances) }</td>
                    <td>{ ago(l, snap.now_us, c.fetched_at_us) }</td>
                    <td>{ if stale.is_empty() { t(l, "inspect.up-to-date").to_string() } else { tf(l, "inspect.stale", &[("which", &stale.join(", "))]) } }</td>
                </tr>
            }
        })
        .collect();
    let doubt: Vec<String> = in_doubt.iter().map(u32::to_string).collect();
    html! {
        <>
            { facts(&[(t(l, "inspect.service-2"), service.to_string()), (t(l, "inspect.2pc-transactions-in-doubt-here"), list(&doubt))]) }
            { table(t(l, "inspect.cached-instance-lists-the-consumer"), &[t(l, "inspect.calls"), t(l, "inspect.instances"), t(l, "inspect.fetched"), t(l, "inspect.versus-the-registry")],
                rows, t(l, "inspect.this-service-calls-no-other")) }
        </>
    }
}

fn gateway(l: Lang, snap: &Snapshot, limiters: &[LimiterRow], log: &[AccessRow], to_rpc: u64, to_http: u64) -> Html {
    let limiter_rows = limiters
        .iter()
        .map(|limiter| {
            let tokens = limiter.tokens.map_or_else(|| t(l, "inspect.window").to_string(), |n| n.to_string());
            html! { <tr><th scope="row">{ limiter.service }</th><td>{ tokens }</td></tr> }
        })
        .collect();
    let log_rows = log
        .iter()
        .map(|e| {
            html! {
                <tr data-status={e.status.to_string()} class={classes!((e.status >= 400).then_some("failure"))}>
                    <td>{ at(e.at_us) }</td><td>{ e.path }</td><td>{ e.status }</td>
                    <td>{ e.upstream.clone().unwrap_or_else(|| "—".into()) }</td>
                    <td>{ gateway_reason(l, e.reason.as_deref()) }</td>
                    <td>{ if e.converted { t(l, "inspect.http-rpc-http") } else { "—" } }</td>
                </tr>
            }
        })
        .collect();
    let rejected_shown = log.iter().filter(|e| e.status == 429).count();
    let rate_limited = snap.metrics.get("failed-rate-limited").copied().unwrap_or(0);
    html! {
        <>
            { facts(&[
                (t(l, "inspect.http-rpc-conversions"), to_rpc.to_string()),
                (t(l, "inspect.rpc-http-conversions"), to_http.to_string()),
                (t(l, "inspect.shoppers-requests-rejected-429-whole"), rate_limited.to_string()),
                (t(l, "inspect.429s-in-the-log-below"), rejected_shown.to_string()),
            ]) }
            { table(t(l, "inspect.rate-limiters-tokens-left-per"), &[t(l, "inspect.route"), t(l, "inspect.tokens")], limiter_rows, t(l, "inspect.rate-limiting-is-off")) }
            { table(t(l, "inspect.access-log-newest-first"), &[t(l, "inspect.at"), t(l, "inspect.path"), t(l, "inspect.status"), t(l, "inspect.upstream"), t(l, "inspect.reason"), t(l, "inspect.conversion")], log_rows, t(l, "inspect.no-request-yet")) }
        </>
    }
}

/// The gateway's reason (the model's `Debug` words, e.g. `RateLimited(WindowFull)`)
/// in the reader's language: its kind translated, the detail kept.
fn gateway_reason(l: Lang, reason: Option<&str>) -> String {
    let Some(reason) = reason else { return String::new() };
    let kind = reason.split('(').next().unwrap_or(reason);
    match td(l, "gateway-reason", kind) {
        Some(words) if kind.len() < reason.len() => format!("{words} {}", &reason[kind.len()..]),
        Some(words) => words.to_string(),
        None => reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_list_is_stale_where_the_registry_disagrees() {
        let cached =
            CachedList { service: "inventory", instances: vec!["inv-1".into(), "inv-2".into()], fetched_at_us: 0 };
        assert_eq!(stale_entries(&cached, Some(&["inv-1".to_string()])), ["inv-2"]);
        assert!(stale_entries(&cached, Some(&["inv-1".to_string(), "inv-2".to_string()])).is_empty());
        assert!(stale_entries(&cached, None).is_empty(), "no registry, no verdict");
    }
}
