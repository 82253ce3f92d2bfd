//! Inspectors of storage and disaster recovery: MySQL replication, MyCat, the GSLB, site fronts.
//!
//! Owns the replication view (every MySQL server of the snapshot with its
//! role, binlog and applied positions and lag, MyCat's write-host switches
//! as the elections, and whether an acknowledged write was lost), MyCat's
//! routing of recent queries (one shard by key, or every shard and a merge
//! without it; read host or write host), the GSLB's centres and failovers,
//! and a site front's writes. Never changes the model.

use super::{at, facts, find_detail, list, table};
use crate::cluster::full_properties::NO_ACKED_WRITE_LOST;
use crate::cluster::snapshot::{CentreRow, NodeDetail, NodeSnapshot, RouteRow, Snapshot};
use crate::i18n::{Lang, t, tf};
use crate::sim::time::format_time_us;
use yew::prelude::*;

pub(super) fn view(l: Lang, snap: &Snapshot, node: &NodeSnapshot) -> Html {
    match &node.detail {
        NodeDetail::Mysql { .. } => replication(l, snap, node),
        NodeDetail::Mycat { write_hosts, switches, routes } => mycat(l, write_hosts, switches, routes),
        NodeDetail::Gslb { epoch, centres, dns_points_to, failovers } => {
            let failover_rows = failovers
                .iter()
                .map(|f| {
                    let name = |i: usize| centres.get(i).map_or("?", |c| c.name);
                    html! {
                        <tr><td>{ at(f.at_us) }</td><td>{ format!("{} → {}", name(f.from), name(f.to)) }</td>
                            <td>{ f.epoch }</td></tr>
                    }
                })
                .collect();
            html! {
                <>
                    { facts(&[(t(l, "inspect.epoch"), epoch.to_string()), (t(l, "inspect.dns-points-to"), list(dns_points_to))]) }
                    { centres_table(l, centres) }
                    { table(t(l, "inspect.failovers"), &[t(l, "inspect.at"), t(l, "inspect.from-to"), t(l, "inspect.epoch-2")], failover_rows, t(l, "inspect.no-failover-yet")) }
                </>
            }
        }
        NodeDetail::SiteFront { primary_db, writes_ok, writes_failed } => facts(&[
            (t(l, "inspect.writes-to"), primary_db.clone()),
            (t(l, "inspect.writes-acknowledged"), writes_ok.to_string()),
            (t(l, "inspect.writes-failed"), writes_failed.to_string()),
        ]),
        _ => html! {},
    }
}

fn replication(l: Lang, snap: &Snapshot, node: &NodeSnapshot) -> Html {
    let rows = snap
        .nodes
        .iter()
        .filter_map(|n| match &n.detail {
            NodeDetail::Mysql { role, binlog, applied, lag_us, semi_sync } => Some(html! {
                <tr class={classes!((n.id == node.id).then_some("this"))} data-role={role.clone()}>
                    <th scope="row">{ &n.id }</th><td>{ role_text(l, role, snap) }</td><td>{ n.state }</td>
                    <td>{ binlog }</td><td>{ applied }</td>
                    <td>{ lag_us.map_or_else(|| "—".to_string(), format_time_us) }</td>
                    <td>{ t(l, if *semi_sync { "inspect.semi-sync" } else { "inspect.async" }) }</td>
                </tr>
            }),
            _ => None,
        })
        .collect();
    let elections = match find_detail(snap, |d| matches!(d, NodeDetail::Mycat { .. })) {
        Some((_, NodeDetail::Mycat { switches, .. })) => switches.iter().sum::<u32>().to_string(),
        _ => "—".to_string(),
    };
    let lost = snap.invariants.iter().find(|v| v.name == NO_ACKED_WRITE_LOST).map_or_else(
        || t(l, "inspect.not-checked-in-this-cluster").to_string(),
        |v| match (&v.broke_at_us, &v.reason) {
            (Some(t), Some(why)) => tf(l, "inspect.lost-at", &[("at", &format_time_us(*t)), ("why", why)]),
            _ => t(l, "inspect.none").to_string(),
        },
    );
    html! {
        <>
            { facts(&[(t(l, "inspect.write-host-switches-elections-by"), elections), (t(l, "inspect.acknowledged-writes-lost"), lost)]) }
            { table(t(l, "inspect.replication-binlog-positions-and-lag"),
                &[t(l, "inspect.server"), t(l, "inspect.role-2"), t(l, "inspect.state"), t(l, "inspect.binlog"), t(l, "inspect.applied"), t(l, "inspect.lag"), t(l, "inspect.mode")], rows, t(l, "inspect.no-mysql-server")) }
        </>
    }
}

/// A MySQL role in words: `replica { source: nodeid(39) }` → `replica of db-shard1-master`.
pub fn role_text(l: Lang, raw: &str, snap: &Snapshot) -> String {
    let Some(start) = raw.find("nodeid(") else { return raw.to_string() };
    let digits: String = raw[start + 7..].chars().take_while(char::is_ascii_digit).collect();
    let source =
        digits.parse::<usize>().ok().and_then(|i| snap.nodes.get(i)).map_or(digits.as_str(), |n| n.id.as_str());
    let role = raw.split([' ', '{']).next().unwrap_or(raw);
    tf(l, "inspect.replica-of", &[("role", &role), ("source", &source)])
}

fn mycat(l: Lang, write_hosts: &[String], switches: &[u32], routes: &[RouteRow]) -> Html {
    let hosts = write_hosts
        .iter()
        .zip(switches)
        .enumerate()
        .map(|(i, (host, n))| html! { <tr><th scope="row">{ tf(l, "inspect.shard-n", &[("n", &(i + 1))]) }</th><td>{ host }</td><td>{ n }</td></tr> })
        .collect();
    let route_rows = routes
        .iter()
        .map(|r| {
            let how =
                if r.had_key { t(l, "inspect.by-key-one-shard") } else { t(l, "inspect.no-key-every-shard-merged") };
            html! {
                <tr data-scatter={(!r.had_key).to_string()} class={classes!(r.failure.is_some().then_some("failure"))}>
                    <td>{ at(r.at_us) }</td><td>{ r.query }</td><td>{ how }</td><td>{ list(&r.targets) }</td>
                    <td>{ r.failure.clone().unwrap_or_default() }</td>
                </tr>
            }
        })
        .collect();
    html! {
        <>
            { table(t(l, "inspect.data-hosts"), &[t(l, "inspect.shard"), t(l, "inspect.write-host"), t(l, "inspect.switches")], hosts, t(l, "inspect.no-data-host")) }
            { table(t(l, "inspect.recent-queries-newest-first"), &[t(l, "inspect.at"), t(l, "inspect.query"), t(l, "inspect.routing"), t(l, "inspect.sent-to"), t(l, "inspect.failure")], route_rows, t(l, "inspect.no-query-yet")) }
        </>
    }
}

fn centres_table(l: Lang, centres: &[CentreRow]) -> Html {
    let ok = |b: bool| t(l, if b { "inspect.ok" } else { "inspect.down" });
    let rows = centres
        .iter()
        .map(|c| {
            html! {
                <tr data-primary={c.primary.to_string()}>
                    <th scope="row">{ c.name }</th><td>{ c.city }</td><td>{ t(l, if c.primary { "inspect.primary" } else { "inspect.standby" }) }</td>
                    <td>{ ok(c.web_ok) }</td><td>{ ok(c.db_ok) }</td><td>{ c.failed_rounds }</td>
                </tr>
            }
        })
        .collect();
    table(
        t(l, "inspect.data-centres"),
        &[
            t(l, "inspect.centre"),
            t(l, "inspect.city"),
            t(l, "inspect.role-2"),
            t(l, "inspect.web"),
            t(l, "inspect.database"),
            t(l, "inspect.failed-probe-rounds"),
        ],
        rows,
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::snapshot::NodeSnapshot;

    #[test]
    fn a_replicas_role_names_its_source() {
        let node =
            |id: &str| NodeSnapshot { id: id.into(), state: "up", detail: NodeDetail::Other { node_kind: "x".into() } };
        let snap = Snapshot {
            now_us: 0,
            seed: 1,
            events: 0,
            in_flight: 0,
            trace_hash: String::new(),
            nodes: vec![node("db-shard1-master"), node("db-shard1-replica")],
            metrics: Default::default(),
            invariants: Vec::new(),
        };
        assert_eq!(role_text(Lang::En, "replica { source: nodeid(0) }", &snap), "replica of db-shard1-master");
        assert_eq!(role_text(Lang::En, "replica { source: nodeid(9) }", &snap), "replica of 9");
        assert_eq!(role_text(Lang::En, "source", &snap), "source");
    }
}
