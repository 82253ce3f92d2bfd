//! What each node's box says: a short line, a load figure, its power, and
//! the requests that failed there a moment ago.
//!
//! Owns the reading of the model's plain-data `Snapshot` (and the shoppers'
//! failure records) into one `NodeBox` per node. Pure: no Yew, no DOM, so it
//! is tested natively. Never changes the model.

use crate::cluster::snapshot::{NodeDetail, Snapshot};
use crate::cluster::{Cluster, ClusterNode};
use crate::i18n::{Lang, t, td, tf};
use crate::sim::{NodeId, SEC, TimeUs};
use crate::ui::terms;

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

/// Failures of the last `window_us`, per node (indexed by id), newest first;
/// the same reason more than once is one line with a count.
pub fn recent_failures(l: Lang, cluster: &Cluster, window_us: TimeUs) -> Vec<Vec<(TimeUs, String)>> {
    let now = cluster.sim.now_us();
    let mut out = vec![Vec::new(); cluster.sim.nodes().len()];
    for node in cluster.sim.nodes() {
        let ClusterNode::Shoppers(pool) = node else { continue };
        for f in pool.recent_failures.iter().filter(|f| now.saturating_sub(f.at_us) <= window_us) {
            if let Some(list) = out.get_mut(f.node.index()) {
                list.push((f.at_us, terms::failure(l, f.page, cluster.sim.name(f.node), f.cause)));
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
pub fn node_boxes(l: Lang, cluster: &Cluster, snapshot: &Snapshot, centres: &[(f64, f64)], speed: f64) -> Vec<NodeBox> {
    let mut to_node = vec![0usize; snapshot.nodes.len()];
    for m in cluster.sim.in_flight() {
        if let Some(n) = to_node.get_mut(m.to.index()) {
            *n += 1;
        }
    }
    let failures = recent_failures(l, cluster, marker_window_us(speed));
    snapshot
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let id = NodeId(i as u16);
            let (cx, cy) = centres.get(i).copied().unwrap_or_default();
            let (detail, busy) = describe(l, cluster, id, &n.detail, to_node[i]);
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
fn describe(l: Lang, cluster: &Cluster, id: NodeId, detail: &NodeDetail, in_flight_to: usize) -> (String, Option<f64>) {
    // `{n} thing(s)`: the catalog's `<key>.one` for one, `<key>.many` otherwise.
    let plural = |n: usize, one: &str, many: &str| tf(l, if n == 1 { one } else { many }, &[("n", &n)]);
    let text = match detail {
        NodeDetail::Shoppers { active, logged_in, .. } => {
            return (shoppers_line(l, cluster, id, *active, *logged_in), None);
        }
        NodeDetail::AppServer { power, .. } if power == "off" => t(l, "box.powered-off").to_string(),
        NodeDetail::AppServer { power, .. } if power == "booting" => t(l, "box.booting").to_string(),
        NodeDetail::AppServer { sessions, busy_workers, queued, .. } => {
            let max = match cluster.sim.node(id) {
                ClusterNode::App(app) => app.config.max_threads.max(1) as f64,
                _ => 200.0,
            };
            let queue = if *queued > 0 { tf(l, "box.queued", &[("n", queued)]) } else { String::new() };
            let text = tf(l, "box.app", &[("busy", busy_workers), ("queue", &queue), ("sessions", sessions)]);
            return (text, Some((*busy_workers as f64 / max).min(1.0)));
        }
        NodeDetail::Balancer { pending, vip: Some(v), .. } => {
            tf(l, "box.balancer-vrrp", &[("state", &role(l, &v.state.to_lowercase())), ("n", pending)])
        }
        NodeDetail::Balancer { pending, vip: None, .. } => tf(l, "box.balancer", &[("n", pending)]),
        NodeDetail::VipRouter { holder, .. } => {
            tf(l, "box.vip", &[("holder", &holder.as_deref().unwrap_or(t(l, "box.nobody")))])
        }
        NodeDetail::Registry { instances, .. } => plural(instances.len(), "box.instances.one", "box.instances.many"),
        NodeDetail::Service { service, .. } => {
            let role = role(l, service.trim_end_matches("-service"));
            match in_flight_to {
                0 => tf(l, "box.service", &[("role", &role)]),
                n => {
                    tf(l, if n == 1 { "box.service-call" } else { "box.service-calls" }, &[("role", &role), ("n", &n)])
                }
            }
        }
        NodeDetail::TwoPhase { active, two_phase, .. } if *two_phase => {
            plural(active.len(), "box.txns-open.one", "box.txns-open.many")
        }
        NodeDetail::TwoPhase { .. } => t(l, "box.two-phase-off").to_string(),
        NodeDetail::Gateway { http_to_rpc, .. } => format!("{http_to_rpc} HTTP→RPC"),
        NodeDetail::ProductCache { hit_ratio_permille, entries, .. } => {
            tf(l, "box.product-cache", &[("keys", &entries.len()), ("pct", &(hit_ratio_permille / 10))])
        }
        NodeDetail::Dns { queries, .. } => plural(*queries as usize, "box.queries.one", "box.queries.many"),
        NodeDetail::Resolver { cached } => plural(cached.len(), "box.records.one", "box.records.many"),
        NodeDetail::Redis { role, keys, .. } => {
            format!("{} · {}", self::role(l, first_word(role)), plural(*keys, "box.keys.one", "box.keys.many"))
        }
        NodeDetail::Autoscaler { machines, enabled, .. } => {
            let on = machines.iter().filter(|m| m.state == "in-service").count();
            let key = if *enabled { "box.autoscaler" } else { "box.autoscaler-off" };
            tf(l, key, &[("on", &on), ("all", &machines.len())])
        }
        NodeDetail::Browsers { cached_address, .. } => {
            format!("→ {}", cached_address.as_deref().unwrap_or(t(l, "box.lookup")))
        }
        NodeDetail::LockService { holder, queue, .. } => {
            tf(l, if holder.is_some() { "box.lock-held" } else { "box.lock-free" }, &[("n", &queue.len())])
        }
        NodeDetail::Stock { units_sold, units_oversold: 0, .. } => tf(l, "box.sold", &[("n", units_sold)]),
        NodeDetail::Stock { units_sold, units_oversold, .. } => {
            tf(l, "box.oversold", &[("sold", units_sold), ("over", units_oversold)])
        }
        NodeDetail::Queue { depth, unacked, .. } => tf(l, "box.queue", &[("ready", depth), ("unacked", unacked)]),
        NodeDetail::Mysql { role, lag_us, .. } => match lag_us {
            Some(lag) => tf(l, "box.mysql-lag", &[("role", &self::role(l, first_word(role))), ("ms", &(lag / 1000))]),
            None => self::role(l, first_word(role)).to_string(),
        },
        NodeDetail::Mycat { write_hosts, .. } => tf(l, "box.shards", &[("n", &write_hosts.len())]),
        NodeDetail::Cdn { requests, edge_hits, .. } => tf(l, "box.cdn", &[("hits", edge_hits), ("all", requests)]),
        _ => tf(l, "box.in-flight", &[("n", &in_flight_to)]),
    };
    (text, None)
}

/// A model's role word (`master`, `backup`, `source`, `replica`, a
/// service's name) in the reader's language; unknown words as they are.
pub fn role(l: Lang, word: &str) -> &str {
    td(l, "role", word).unwrap_or(word)
}

/// A role's first word (`replica { source: … }` reads `replica`).
fn first_word(text: &str) -> &str {
    text.split([' ', '{', '(']).next().unwrap_or(text)
}

fn shoppers_line(l: Lang, cluster: &Cluster, id: NodeId, active: u16, logged_in: usize) -> String {
    match cluster.sim.node(id) {
        ClusterNode::Shoppers(pool) if pool.shoppers.len() == 1 => {
            let s = &pool.shoppers[0];
            let page = s.waiting_for().unwrap_or_else(|| s.next_page());
            let who = t(l, if logged_in == 1 { "box.logged-in" } else { "box.guest" });
            format!("{} · {who}", terms::page(l, page))
        }
        _ => tf(l, "box.shoppers", &[("active", &active), ("in", &logged_in)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::command::NodeAction;
    use crate::cluster::topology::SliceOptions;

    fn boxes(cluster: &Cluster) -> Vec<NodeBox> {
        let centres = vec![(0.0, 0.0); cluster.sim.nodes().len()];
        node_boxes(Lang::En, cluster, &cluster.snapshot(), &centres, 1.0)
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
