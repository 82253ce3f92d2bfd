//! What each node's box says: a short line, a load figure, its power, and
//! the requests that failed there a moment ago.
//!
//! Owns the reading of the model's plain-data `Snapshot` (and the shoppers'
//! failure records) into one `NodeBox` per node. Pure: no Yew, no DOM, so it
//! is tested natively. Never changes the model.

use crate::cluster::snapshot::{NodeDetail, Snapshot};
use crate::cluster::{Cluster, ClusterNode};
use crate::sim::{NodeId, SEC, TimeUs};

/// What the diagram needs to know about one node.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    pub id: NodeId,
    pub name: String,
    /// The `data-state` hook: up, crashed, paused, slow or partitioned.
    pub state: &'static str,
    pub cx: f64,
    pub cy: f64,
    /// One short line under the name (sessions, load, role…).
    pub detail: String,
    /// How busy, from 0 to 1 (busy workers of a Tomcat; otherwise messages
    /// on their way to it, 20 counting as full).
    pub load: f64,
    /// `on`, `off` or `booting`: the autoscaler's machines can be powered off.
    pub power: &'static str,
    /// Requests that failed here lately, newest first, each with its reason.
    pub failures: Vec<String>,
}

/// In-flight messages to a node that fill its load bar.
const FULL_WIRE: f64 = 20.0;
/// Failures shown at most per node.
const FAILURES_SHOWN: usize = 3;

/// How long a failure stays marked on its node: three virtual seconds, or
/// two wall seconds' worth at high speed, so a reader has time to see it.
pub fn marker_window_us(speed: f64) -> TimeUs {
    let wall_two_s = (2.0 * speed * SEC as f64) as TimeUs;
    wall_two_s.max(3 * SEC)
}

/// The reason of a failed request, as a reader would say it.
pub fn failure_text(cluster: &Cluster, page: &str, node: NodeId, cause: &str) -> String {
    format!("{page} failed at {}: {cause}", cluster.sim.name(node))
}

/// Failures of the last `window_us`, per node (indexed by id), newest first;
/// the same reason more than once is one line with a count.
pub fn recent_failures(cluster: &Cluster, window_us: TimeUs) -> Vec<Vec<(TimeUs, String)>> {
    let now = cluster.sim.now_us();
    let mut out = vec![Vec::new(); cluster.sim.nodes().len()];
    for node in cluster.sim.nodes() {
        let ClusterNode::Shoppers(pool) = node else { continue };
        for f in pool.recent_failures.iter().filter(|f| now.saturating_sub(f.at_us) <= window_us) {
            if let Some(list) = out.get_mut(f.node.index()) {
                list.push((f.at_us, failure_text(cluster, f.page.as_str(), f.node, f.cause.as_str())));
            }
        }
    }
    for list in &mut out {
        list.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        *list = counted(std::mem::take(list));
    }
    out
}

/// Repeated texts folded into their first (newest) line, `(×n)` appended.
fn counted(list: Vec<(TimeUs, String)>) -> Vec<(TimeUs, String)> {
    let mut out: Vec<(TimeUs, String, usize)> = Vec::new();
    for (at, text) in list {
        match out.iter_mut().find(|(_, t, _)| *t == text) {
            Some(seen) => seen.2 += 1,
            None => out.push((at, text, 1)),
        }
    }
    out.into_iter().map(|(at, t, n)| (at, if n > 1 { format!("{t} (×{n})") } else { t })).collect()
}

/// One box per node, in id order.
pub fn node_boxes(cluster: &Cluster, snapshot: &Snapshot, centres: &[(f64, f64)], speed: f64) -> Vec<NodeBox> {
    let mut to_node = vec![0usize; snapshot.nodes.len()];
    for m in cluster.sim.in_flight() {
        if let Some(n) = to_node.get_mut(m.to.index()) {
            *n += 1;
        }
    }
    let failures = recent_failures(cluster, marker_window_us(speed));
    snapshot
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let id = NodeId(i as u16);
            let (cx, cy) = centres.get(i).copied().unwrap_or_default();
            let (detail, busy) = describe(cluster, id, &n.detail, to_node[i]);
            let wire = (to_node[i] as f64 / FULL_WIRE).min(1.0);
            NodeBox {
                id,
                name: n.id.clone(),
                state: n.state,
                cx,
                cy,
                detail,
                load: busy.unwrap_or(wire),
                power: power_of(&n.detail),
                failures: failures[i].iter().take(FAILURES_SHOWN).map(|(_, t)| t.clone()).collect(),
            }
        })
        .collect()
}

fn power_of(detail: &NodeDetail) -> &'static str {
    match detail {
        NodeDetail::AppServer { power, .. } if power == "off" => "off",
        NodeDetail::AppServer { power, .. } if power == "booting" => "booting",
        _ => "on",
    }
}

/// A node's line and, for a Tomcat, its busy workers as a fraction.
fn describe(cluster: &Cluster, id: NodeId, detail: &NodeDetail, in_flight_to: usize) -> (String, Option<f64>) {
    let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    let text = match detail {
        NodeDetail::Shoppers { active, logged_in, .. } => {
            return (shoppers_line(cluster, id, *active, *logged_in), None);
        }
        NodeDetail::AppServer { power, .. } if power == "off" => "powered off".to_string(),
        NodeDetail::AppServer { power, .. } if power == "booting" => "booting…".to_string(),
        NodeDetail::AppServer { sessions, busy_workers, queued, .. } => {
            let max = match cluster.sim.node(id) {
                ClusterNode::App(app) => app.config.max_threads.max(1) as f64,
                _ => 200.0,
            };
            let queue = if *queued > 0 { format!(" · {queued} queued") } else { String::new() };
            let text = format!("{busy_workers} busy{queue} · {sessions} sess.");
            return (text, Some((*busy_workers as f64 / max).min(1.0)));
        }
        NodeDetail::Balancer { pending, vip: Some(v), .. } => format!("{} · {pending} pending", v.state.to_lowercase()),
        NodeDetail::Balancer { pending, vip: None, .. } => format!("{pending} pending"),
        NodeDetail::VipRouter { holder, .. } => format!("VIP → {}", holder.as_deref().unwrap_or("nobody")),
        NodeDetail::Registry { instances, .. } => plural(instances.len(), "instance", "instances"),
        NodeDetail::Service { service, .. } => {
            let role = service.trim_end_matches("-service");
            match in_flight_to {
                0 => format!("{role} service"),
                1 => format!("{role} · 1 call in"),
                n => format!("{role} · {n} calls in"),
            }
        }
        NodeDetail::TwoPhase { active, two_phase, .. } if *two_phase => {
            format!("{} open", plural(active.len(), "txn", "txns"))
        }
        NodeDetail::TwoPhase { .. } => "2PC off".to_string(),
        NodeDetail::Gateway { http_to_rpc, .. } => format!("{http_to_rpc} HTTP→RPC"),
        NodeDetail::ProductCache { hit_ratio_permille, entries, .. } => {
            format!("{} keys · {}% hits", entries.len(), hit_ratio_permille / 10)
        }
        NodeDetail::Dns { queries, .. } => plural(*queries as usize, "query", "queries"),
        NodeDetail::Resolver { cached } => format!("{} cached", plural(cached.len(), "record", "records")),
        NodeDetail::Redis { role, keys, .. } => format!("{} · {}", first_word(role), plural(*keys, "key", "keys")),
        NodeDetail::Autoscaler { machines, enabled, .. } => {
            let on = machines.iter().filter(|m| m.state == "in-service").count();
            format!("{on}/{} on{}", machines.len(), if *enabled { "" } else { " · off" })
        }
        NodeDetail::Browsers { cached_address, .. } => format!("→ {}", cached_address.as_deref().unwrap_or("lookup")),
        NodeDetail::LockService { holder, queue, .. } => {
            format!("{} · {} queued", if holder.is_some() { "held" } else { "free" }, queue.len())
        }
        NodeDetail::Stock { units_sold, units_oversold: 0, .. } => format!("{units_sold} units sold"),
        NodeDetail::Stock { units_sold, units_oversold, .. } => {
            format!("sold {units_sold} · OVERSOLD {units_oversold}")
        }
        NodeDetail::Queue { depth, unacked, .. } => format!("{depth} ready · {unacked} unacked"),
        NodeDetail::Mysql { role, lag_us, .. } => match lag_us {
            Some(lag) => format!("{} · lag {} ms", first_word(role), lag / 1000),
            None => first_word(role).to_string(),
        },
        NodeDetail::Mycat { write_hosts, .. } => format!("{} shards", write_hosts.len()),
        NodeDetail::Cdn { requests, edge_hits, .. } => format!("{edge_hits}/{requests} hits"),
        _ => format!("{in_flight_to} in flight"),
    };
    (text, None)
}

/// A role's first word (`replica { source: … }` reads `replica`).
fn first_word(text: &str) -> &str {
    text.split([' ', '{', '(']).next().unwrap_or(text)
}

fn shoppers_line(cluster: &Cluster, id: NodeId, active: u16, logged_in: usize) -> String {
    match cluster.sim.node(id) {
        ClusterNode::Shoppers(pool) if pool.shoppers.len() == 1 => {
            let s = &pool.shoppers[0];
            let page = s.waiting_for().unwrap_or_else(|| s.next_page());
            format!("{} · {}", page.as_str(), if logged_in == 1 { "logged in" } else { "guest" })
        }
        _ => format!("{active} shoppers · {logged_in} in"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::command::NodeAction;
    use crate::cluster::topology::SliceOptions;

    fn boxes(cluster: &Cluster) -> Vec<NodeBox> {
        let centres = vec![(0.0, 0.0); cluster.sim.nodes().len()];
        node_boxes(cluster, &cluster.snapshot(), &centres, 1.0)
    }

    #[test]
    fn the_autoscalers_spare_machines_are_powered_off() {
        let cluster = Cluster::full(&SliceOptions::default());
        let b = boxes(&cluster);
        let power = |name: &str| b.iter().find(|n| n.name == name).map(|n| (n.power, n.detail.clone()));
        assert_eq!(power("app-1").map(|p| p.0), Some("on"));
        assert_eq!(power("app-6"), Some(("off", "powered off".to_string())));
    }

    /// Crash the server Xiaoming is on: his next request fails there, and the
    /// crashed node's box carries the reason (node and cause).
    #[test]
    fn a_failure_is_marked_on_the_node_with_its_reason() {
        let seed = 42;
        let mut cluster = Cluster::full(&SliceOptions { seed, ..SliceOptions::default() });
        cluster.run_until(20 * SEC, u64::MAX);
        let server = cluster.xiaoming_server().unwrap_or_else(|| panic!("seed {seed}: Xiaoming on no server"));
        cluster.inject(NodeAction::Crash.fault(server, 0));
        let name = cluster.sim.name(server).to_string();
        let mut marked = None;
        for _ in 0..60 {
            cluster.sim.run_for(SEC, u64::MAX);
            let b = boxes(&cluster);
            if let Some(f) = b.iter().flat_map(|n| n.failures.iter().map(move |f| (n.name.clone(), f.clone()))).next() {
                marked = Some(f);
                break;
            }
        }
        let (at, text) =
            marked.unwrap_or_else(|| panic!("seed {seed}: no failure marked within 60 s of crashing {name}"));
        assert!(text.contains(&format!("failed at {at}: ")), "seed {seed}: {text}");
        assert!(!text.ends_with(": "), "seed {seed}: a reason follows the node: {text}");
    }

    #[test]
    fn repeated_reasons_are_counted_not_repeated() {
        let list = vec![(3, "a".to_string()), (2, "b".to_string()), (1, "a".to_string())];
        assert_eq!(counted(list), vec![(3, "a (×2)".to_string()), (2, "b".to_string())]);
    }

    #[test]
    fn markers_last_longer_at_high_speed() {
        assert_eq!(marker_window_us(0.2), 3 * SEC);
        assert_eq!(marker_window_us(1000.0), 2000 * SEC);
    }
}
