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
use yew::prelude::*;

pub(super) fn view(snap: &Snapshot, node: &NodeSnapshot) -> Html {
    match &node.detail {
        NodeDetail::Registry { instances, self_preserving } => registry(snap, instances, *self_preserving),
        NodeDetail::Service { service, cached, in_doubt, .. } => consumer(snap, service, cached, in_doubt),
        NodeDetail::Gateway { limiters, access_log, http_to_rpc, rpc_to_http } => {
            gateway(snap, limiters, access_log, *http_to_rpc, *rpc_to_http)
        }
        NodeDetail::Queue { depth, unacked, redeliveries, dead_letters, confirmed, acked } => facts(&[
            ("Ready in the queue (depth)", depth.to_string()),
            ("Delivered, not yet acked", unacked.to_string()),
            ("Redeliveries", redeliveries.to_string()),
            ("Dead letters", dead_letters.to_string()),
            ("Publishes confirmed", confirmed.to_string()),
            ("Acked by the consumer", acked.to_string()),
        ]),
        _ => html! {},
    }
}

fn registry(snap: &Snapshot, instances: &[InstanceRow], self_preserving: bool) -> Html {
    let rows = instances
        .iter()
        .map(|i| {
            html! {
                <tr data-healthy={i.healthy.to_string()}>
                    <td>{ i.service }</td><th scope="row">{ &i.node }</th>
                    <td>{ if i.healthy { "healthy" } else { "unhealthy" } }</td>
                    <td>{ ago(snap.now_us, i.last_beat_us) }</td>
                </tr>
            }
        })
        .collect();
    html! {
        <>
            { facts(&[("Self-preservation", if self_preserving { "on: expiries suspended".into() } else { "off".into() })]) }
            { table("Registered instances", &["service", "instance", "health", "last heartbeat"], rows, "Nobody has registered yet.") }
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

fn consumer(snap: &Snapshot, service: &str, cached: &[CachedList], in_doubt: &[u32]) -> Html {
    let rows = cached
        .iter()
        .map(|c| {
            let healthy = healthy_in_registry(snap, c.service);
            let stale = stale_entries(c, healthy.as_deref());
            html! {
                <tr data-stale={(!stale.is_empty()).to_string()}>
                    <th scope="row">{ c.service }</th><td>{ list(&c.instances) }</td>
                    <td>{ ago(snap.now_us, c.fetched_at_us) }</td>
                    <td>{ if stale.is_empty() { "up to date".to_string() } else { format!("stale: {}", stale.join(", ")) } }</td>
                </tr>
            }
        })
        .collect();
    let doubt: Vec<String> = in_doubt.iter().map(u32::to_string).collect();
    html! {
        <>
            { facts(&[("Service", service.to_string()), ("2PC transactions in doubt here", list(&doubt))]) }
            { table("Cached instance lists (the consumer's copy)", &["calls", "instances", "fetched", "versus the registry"],
                rows, "This service calls no other.") }
        </>
    }
}

fn gateway(snap: &Snapshot, limiters: &[LimiterRow], log: &[AccessRow], to_rpc: u64, to_http: u64) -> Html {
    let limiter_rows = limiters
        .iter()
        .map(|l| {
            let tokens = l.tokens.map_or_else(|| "window".to_string(), |t| t.to_string());
            html! { <tr><th scope="row">{ l.service }</th><td>{ tokens }</td></tr> }
        })
        .collect();
    let log_rows = log
        .iter()
        .map(|e| {
            html! {
                <tr data-status={e.status.to_string()} class={classes!((e.status >= 400).then_some("failure"))}>
                    <td>{ at(e.at_us) }</td><td>{ e.path }</td><td>{ e.status }</td>
                    <td>{ e.upstream.clone().unwrap_or_else(|| "—".into()) }</td>
                    <td>{ e.reason.clone().unwrap_or_default() }</td>
                    <td>{ if e.converted { "HTTP → RPC → HTTP" } else { "—" } }</td>
                </tr>
            }
        })
        .collect();
    let rejected_shown = log.iter().filter(|e| e.status == 429).count();
    let rate_limited = snap.metrics.get("failed-rate-limited").copied().unwrap_or(0);
    html! {
        <>
            { facts(&[
                ("HTTP → RPC conversions", to_rpc.to_string()),
                ("RPC → HTTP conversions", to_http.to_string()),
                ("Shoppers' requests rejected 429 (whole run)", rate_limited.to_string()),
                ("429s in the log below", rejected_shown.to_string()),
            ]) }
            { table("Rate limiters: tokens left per route", &["route", "tokens"], limiter_rows, "Rate limiting is off.") }
            { table("Access log, newest first", &["at", "path", "status", "upstream", "reason", "conversion"], log_rows, "No request yet.") }
        </>
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
