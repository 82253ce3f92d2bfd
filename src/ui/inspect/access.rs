//! Inspectors of the access and application tiers: shoppers, balancers and the virtual IP, Tomcats, Redis, the autoscaler.
//!
//! Owns the views of who shops and who was sent back to login, a balancer's
//! queue, retries and each client's server (how many requests in a row) and — for a keepalived pair — its VRRP state and
//! whether it holds the virtual IP, the VIP router's idea of the holder, an
//! app server's workers, queue and who is logged in there, Redis' role and
//! keys, and the autoscaler's machines and bill. Never changes the model.

use super::{at, facts, list, table};
use crate::cluster::snapshot::{ClientRow, MachineRow, NodeDetail, NodeSnapshot, Snapshot};
use crate::i18n::{Lang, t, td, tf};
use crate::sim::TimeUs;
use yew::prelude::*;

pub(super) fn view(l: Lang, snap: &Snapshot, node: &NodeSnapshot) -> Html {
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
                    (t(l, "inspect.shopping-now"), active.to_string()),
                    (t(l, "inspect.logged-in"), logged_in.to_string()),
                    (t(l, "inspect.journeys-completed"), journeys.to_string()),
                    (t(l, "inspect.sent-back-to-the-login"), sent_to_login.to_string()),
                    (t(l, "inspect.assets-used-fresh-from-the"), browser_cache_hits.to_string()),
                    (t(l, "inspect.assets-revalidated-304-fetched-200"), format!("{asset_304s} / {asset_200s}")),
                    (t(l, "inspect.assets-that-failed-to-load"), assets_failed.to_string()),
                ]) }
                if let Some(view) = follow { { super::edge::follow(l, view) } }
            </>
        },
        NodeDetail::Balancer { pending, retries, vip, clients } => {
            let mut items = vec![
                (t(l, "inspect.requests-in-progress"), pending.to_string()),
                (t(l, "inspect.retries"), retries.to_string()),
            ];
            if let Some(v) = vip {
                items.push((t(l, "inspect.vrrp-state"), v.state.clone()));
                items.push((
                    t(l, "inspect.holds-the-virtual-ip"),
                    t(l, if v.holds_vip { "inspect.yes" } else { "inspect.no" }).into(),
                ));
                items.push((t(l, "inspect.epoch"), v.epoch.to_string()));
            }
            html! { <>{ facts(&items) }{ vip_pair(l, snap, node) }{ client_routes(l, clients) }</> }
        }
        NodeDetail::VipRouter { holder, moves, forwarded, dropped_no_holder } => facts(&[
            (
                t(l, "inspect.virtual-ip-held-by-router"),
                holder.clone().unwrap_or_else(|| t(l, "inspect.nobody").into()),
            ),
            (t(l, "inspect.times-the-vip-moved"), moves.to_string()),
            (t(l, "inspect.requests-forwarded"), forwarded.to_string()),
            (t(l, "inspect.dropped-no-holder"), dropped_no_holder.to_string()),
        ]),
        NodeDetail::AppServer { sessions, busy_workers, queued, served, rejected, logged_in, power } => {
            let who: Vec<String> = logged_in.iter().map(|s| format!("#{s}")).collect();
            let more = sessions.saturating_sub(logged_in.len());
            html! {
                <>
                    { facts(&[
                        (t(l, "inspect.power"), power.clone()),
                        (t(l, "inspect.sessions-in-memory"), sessions.to_string()),
                        (t(l, "inspect.busy-workers-of-maxthreads-200"), busy_workers.to_string()),
                        (t(l, "inspect.queued-acceptcount-100"), queued.to_string()),
                        (t(l, "inspect.served"), served.to_string()),
                        (t(l, "inspect.rejected"), rejected.to_string()),
                    ]) }
                    <p class="logged-in" data-logged-in={logged_in.len().to_string()}>
                        <strong>{ t(l, "inspect.logged-in-here") }</strong>{ list(&who) }
                        if more > 0 { { tf(l, "inspect.and-more", &[("n", &more)]) } }
                    </p>
                </>
            }
        }
        NodeDetail::Redis { role, keys, replid } => facts(&[
            (t(l, "inspect.role"), role.clone()),
            (t(l, "inspect.live-keys-sessions-limiter-counters"), keys.to_string()),
            (t(l, "inspect.replication-id"), replid.to_string()),
        ]),
        NodeDetail::Autoscaler { enabled, machines, bill_server_s, decisions } => {
            autoscaler(l, *enabled, machines, *bill_server_s, decisions)
        }
        NodeDetail::Other { node_kind } => facts(&[(t(l, "inspect.kind"), node_kind.clone())]),
        _ => html! {},
    }
}

/// Where each client's requests went: its last server and how many in a row.
fn client_routes(l: Lang, clients: &[ClientRow]) -> Html {
    let rows = clients
        .iter()
        .map(|c| html! { <tr><th scope="row">{ &c.client }</th><td>{ &c.server }</td><td>{ c.in_a_row }</td></tr> })
        .collect();
    let headers = [t(l, "inspect.client-address"), t(l, "inspect.last-sent-to"), t(l, "inspect.requests-in-a-row")];
    table(t(l, "inspect.where-each-client-went"), &headers, rows, t(l, "inspect.no-client-yet"))
}

/// Both routers of this balancer's keepalived pair: who holds the VIP now.
fn vip_pair(l: Lang, snap: &Snapshot, node: &NodeSnapshot) -> Html {
    let Some(region) = node.id.rsplit_once('-').map(|(r, _)| r) else { return html! {} };
    let rows: Vec<Html> = snap
        .nodes
        .iter()
        .filter(|n| n.id.starts_with(region))
        .filter_map(|n| match &n.detail {
            NodeDetail::Balancer { vip: Some(v), .. } => Some(html! {
                <tr data-vip-holder={v.holds_vip.to_string()}>
                    <th scope="row">{ &n.id }</th><td>{ &v.state }</td><td>{ v.priority }</td>
                    <td>{ if v.holds_vip { t(l, "inspect.holds-the-vip") } else { "—" } }</td><td>{ v.epoch }</td>
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
        t(l, "inspect.the-keepalived-pair-the-master"),
        &[
            t(l, "inspect.router"),
            t(l, "inspect.state"),
            t(l, "inspect.priority"),
            t(l, "inspect.virtual-ip"),
            t(l, "inspect.epoch-2"),
            t(l, "inspect.adverts-sent"),
            t(l, "inspect.adverts-heard"),
        ],
        rows,
        "",
    )
}

fn autoscaler(
    l: Lang,
    enabled: bool,
    machines: &[MachineRow],
    bill_server_s: u64,
    decisions: &[(TimeUs, u32, u32)],
) -> Html {
    let rows = machines
        .iter()
        .map(|m| {
            let cpu = m.utilization_pct.map_or_else(|| "—".to_string(), |p| format!("{p} %"));
            html! { <tr><th scope="row">{ &m.node }</th><td>{ td(l, "machine", m.state).unwrap_or(m.state) }</td><td>{ cpu }</td></tr> }
        })
        .collect();
    let decision_rows = decisions
        .iter()
        .map(|(t, from, to)| html! { <tr><td>{ at(*t) }</td><td>{ tf(l, "inspect.servers-change", &[("from", from), ("to", to)]) }</td></tr> })
        .collect();
    html! {
        <>
            { facts(&[
                (t(l, "inspect.autoscaling"), t(l, if enabled { "inspect.on" } else { "inspect.off" }).into()),
                (t(l, "inspect.bill-so-far"), tf(l, "inspect.server-seconds", &[("n", &bill_server_s)])),
            ]) }
            { table(t(l, "inspect.machines"), &[t(l, "inspect.machine"), t(l, "inspect.state"), t(l, "inspect.cpu")], rows, t(l, "inspect.no-machines")) }
            { table(t(l, "inspect.decisions-newest-first"), &[t(l, "inspect.at"), t(l, "inspect.change")], decision_rows, t(l, "inspect.no-change-yet")) }
        </>
    }
}
