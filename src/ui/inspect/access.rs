//! Inspectors of the access and application tiers: shoppers, balancers and the virtual IP, Tomcats, Redis, the autoscaler.
//!
//! Owns the views of who shops and who was sent back to login, a balancer's
//! queue and retries and — for a keepalived pair — its VRRP state and
//! whether it holds the virtual IP, the VIP router's idea of the holder, an
//! app server's workers, queue and who is logged in there, Redis' role and
//! keys, and the autoscaler's machines and bill. Never changes the model.

use super::{at, facts, list, table};
use crate::cluster::snapshot::{MachineRow, NodeDetail, NodeSnapshot, Snapshot};
use crate::sim::TimeUs;
use yew::prelude::*;

pub(super) fn view(snap: &Snapshot, node: &NodeSnapshot) -> Html {
    match &node.detail {
        NodeDetail::Shoppers {
            active,
            logged_in,
            journeys,
            sent_to_login,
            browser_cache_hits,
            asset_304s,
            asset_200s,
            assets_failed,
            follow,
        } => html! {
            <>
                { facts(&[
                    ("Shopping now", active.to_string()),
                    ("Logged in", logged_in.to_string()),
                    ("Journeys completed", journeys.to_string()),
                    ("Sent back to the login page", sent_to_login.to_string()),
                    ("Assets used fresh from the browser cache", browser_cache_hits.to_string()),
                    ("Assets revalidated: 304 / fetched: 200", format!("{asset_304s} / {asset_200s}")),
                    ("Assets that failed to load", assets_failed.to_string()),
                ]) }
                if let Some(view) = follow { { super::edge::follow(view) } }
            </>
        },
        NodeDetail::Balancer { pending, retries, vip } => {
            let mut items = vec![("Requests in progress", pending.to_string()), ("Retries", retries.to_string())];
            if let Some(v) = vip {
                items.push(("VRRP state", v.state.clone()));
                items.push(("Holds the virtual IP", if v.holds_vip { "yes".into() } else { "no".into() }));
                items.push(("Epoch", v.epoch.to_string()));
            }
            html! { <>{ facts(&items) }{ vip_pair(snap, node) }</> }
        }
        NodeDetail::VipRouter { holder, moves, forwarded, dropped_no_holder } => facts(&[
            ("Virtual IP held by (router's ARP cache)", holder.clone().unwrap_or_else(|| "nobody".into())),
            ("Times the VIP moved", moves.to_string()),
            ("Requests forwarded", forwarded.to_string()),
            ("Dropped: no holder", dropped_no_holder.to_string()),
        ]),
        NodeDetail::AppServer { sessions, busy_workers, queued, served, rejected, logged_in, power } => {
            let who: Vec<String> = logged_in.iter().map(|s| format!("#{s}")).collect();
            let more = sessions.saturating_sub(logged_in.len());
            html! {
                <>
                    { facts(&[
                        ("Power", power.clone()),
                        ("Sessions in memory", sessions.to_string()),
                        ("Busy workers (of maxThreads 200)", busy_workers.to_string()),
                        ("Queued (acceptCount 100)", queued.to_string()),
                        ("Served", served.to_string()),
                        ("Rejected", rejected.to_string()),
                    ]) }
                    <p class="logged-in" data-logged-in={logged_in.len().to_string()}>
                        <strong>{ "Logged in here: " }</strong>{ list(&who) }
                        if more > 0 { { format!(" and {more} more") } }
                    </p>
                </>
            }
        }
        NodeDetail::Redis { role, keys, replid } => facts(&[
            ("Role", role.clone()),
            ("Live keys (sessions, limiter counters)", keys.to_string()),
            ("Replication id", replid.to_string()),
        ]),
        NodeDetail::Autoscaler { enabled, machines, bill_server_s, decisions } => {
            autoscaler(*enabled, machines, *bill_server_s, decisions)
        }
        NodeDetail::Other { node_kind } => facts(&[("Kind", node_kind.clone())]),
        _ => html! {},
    }
}

/// Both routers of this balancer's keepalived pair: who holds the VIP now.
fn vip_pair(snap: &Snapshot, node: &NodeSnapshot) -> Html {
    let Some(region) = node.id.rsplit_once('-').map(|(r, _)| r) else { return html! {} };
    let rows: Vec<Html> = snap
        .nodes
        .iter()
        .filter(|n| n.id.starts_with(region))
        .filter_map(|n| match &n.detail {
            NodeDetail::Balancer { vip: Some(v), .. } => Some(html! {
                <tr data-vip-holder={v.holds_vip.to_string()}>
                    <th scope="row">{ &n.id }</th><td>{ &v.state }</td><td>{ v.priority }</td>
                    <td>{ if v.holds_vip { "holds the VIP" } else { "—" } }</td><td>{ v.epoch }</td>
                    <td>{ v.adverts_sent }</td><td>{ v.adverts_received }</td>
                </tr>
            }),
            _ => None,
        })
        .collect();
    if rows.len() < 2 {
        return html! {};
    }
    table(
        "The keepalived pair (the master adverts every advert_int; the backup takes over after 3 × advert_int + skew of silence)",
        &["router", "state", "priority", "virtual IP", "epoch", "adverts sent", "adverts heard"],
        rows,
        "",
    )
}

fn autoscaler(enabled: bool, machines: &[MachineRow], bill_server_s: u64, decisions: &[(TimeUs, u32, u32)]) -> Html {
    let rows = machines
        .iter()
        .map(|m| {
            let cpu = m.utilization_pct.map_or_else(|| "—".to_string(), |p| format!("{p} %"));
            html! { <tr><th scope="row">{ &m.node }</th><td>{ m.state }</td><td>{ cpu }</td></tr> }
        })
        .collect();
    let decision_rows = decisions
        .iter()
        .map(|(t, from, to)| html! { <tr><td>{ at(*t) }</td><td>{ format!("{from} → {to} servers") }</td></tr> })
        .collect();
    html! {
        <>
            { facts(&[
                ("Autoscaling", if enabled { "on".into() } else { "off".into() }),
                ("Bill so far", format!("{bill_server_s} server-seconds")),
            ]) }
            { table("Machines", &["machine", "state", "CPU"], rows, "No machines.") }
            { table("Decisions, newest first", &["at", "change"], decision_rows, "No change yet.") }
        </>
    }
}
