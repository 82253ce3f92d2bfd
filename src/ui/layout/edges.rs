//! The diagram's edges: every pair of nodes a request or a control message
//! travels between.
//!
//! Owns the list of links drawn under the boxes. For small topologies (the
//! slice) they are read from the wiring itself (a crowd's entry point, a
//! balancer's upstreams). For the whole shop they are listed here by name,
//! grouped by layer, with the design-dependent ones (session replication,
//! the Redis store) following the design; a test runs the shop under several
//! designs and fails if any two nodes exchanged a message without an edge
//! between them, so the list cannot silently drift from the wiring. Never
//! reads a node's state.

use super::is_full_shop;
use crate::cluster::session_store::SessionStoreKind;
use crate::cluster::{Cluster, ClusterNode};
use crate::sim::NodeId;

/// The whole shop's links, by name; `*` at the end of a name matches any
/// suffix (`lb-*` is every balancer). Undirected: each pair is drawn once.
const FULL_LINKS: &[(&str, &str)] = &[
    // clients → edge → access
    ("xiaoming", "browsers-south"),
    ("shoppers-south", "browsers-south"),
    ("shoppers-central", "browsers-central"),
    ("browsers-south", "resolver-south"),
    ("browsers-central", "resolver-central"),
    ("resolver-*", "dns"),
    // Static assets: each shopper's browser asks its region's CDN edge.
    ("xiaoming", "cdn-south"),
    ("shoppers-south", "cdn-south"),
    ("shoppers-central", "cdn-central"),
    ("cdn-*", "origin"),
    ("browsers-south", "vip-south"),
    ("browsers-central", "vip-central"),
    // access: each keepalived pair behind its VIP router, proxying to every Tomcat
    ("vip-south", "lb-south-*"),
    ("vip-central", "lb-central-*"),
    ("lb-south-1", "lb-south-2"),
    ("lb-central-1", "lb-central-2"),
    ("lb-*", "app-*"),
    ("autoscaler", "app-*"),
    ("autoscaler", "lb-*"),
    // application
    ("app-*", "gateway"),
    ("gateway", "registry"),
    ("gateway", "product-*"),
    ("gateway", "order"),
    ("gateway", "payment"),
    ("product-*", "registry"),
    ("order", "registry"),
    ("payment", "registry"),
    ("inventory-*", "registry"),
    ("notification", "registry"),
    ("product-*", "product-cache"),
    ("order", "tpc"),
    ("tpc", "inventory-*"),
    ("order", "inventory-*"),
    ("inventory-*", "zk"),
    ("inventory-*", "inventory-db"),
    ("payment", "mq"),
    ("mq", "notification"),
    // storage
    ("product-*", "mycat"),
    ("order", "mycat"),
    ("payment", "mycat"),
    ("mycat", "db-*"),
    ("db-shard1-master", "db-shard1-replica"),
    ("db-shard2-master", "db-shard2-replica"),
    ("redis", "redis-replica"),
];

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => name == pattern,
    }
}

/// The edges to draw, each pair once, the lower id first, sorted.
pub fn edges(cluster: &Cluster) -> Vec<(NodeId, NodeId)> {
    let mut out = if is_full_shop(cluster) { full_edges(cluster) } else { wired_edges(cluster) };
    for pair in &mut out {
        if pair.0 > pair.1 {
            *pair = (pair.1, pair.0);
        }
    }
    out.retain(|(a, b)| a != b);
    out.sort();
    out.dedup();
    out
}

fn full_edges(cluster: &Cluster) -> Vec<(NodeId, NodeId)> {
    let ids: Vec<(NodeId, &str)> = cluster.node_ids().map(|id| (id, cluster.sim.name(id))).collect();
    let mut links: Vec<(&str, &str)> = FULL_LINKS.to_vec();
    match cluster.design.session_store {
        SessionStoreKind::Redis => links.push(("app-*", "redis")),
        SessionStoreKind::Replicated => links.push(("app-*", "app-*")),
        SessionStoreKind::Memory | SessionStoreKind::Sticky => {}
    }
    let mut out = Vec::new();
    for (a, b) in links {
        for &(from, _) in ids.iter().filter(|(_, n)| matches(a, n)) {
            out.extend(ids.iter().filter(|(_, n)| matches(b, n)).map(|&(to, _)| (from, to)));
        }
    }
    out
}

/// Links read off the wiring: each crowd to its entry, each balancer to its
/// upstreams, each Tomcat to its session store.
fn wired_edges(cluster: &Cluster) -> Vec<(NodeId, NodeId)> {
    let mut out = Vec::new();
    for id in cluster.node_ids() {
        match cluster.sim.node(id) {
            ClusterNode::Shoppers(pool) => out.push((id, pool.entry)),
            node => {
                if let Some(lb) = node.balancer() {
                    out.extend(lb.upstreams.iter().map(|&u| (id, u)));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::design::Design;
    use crate::cluster::topology::SliceOptions;
    use crate::sim::SEC;
    use crate::sim::trace::TraceKind;
    use std::collections::BTreeSet;

    /// Runs the shop for 60 s and returns every pair of nodes a message went
    /// between (delivered, dropped, refused or arriving at a dead node).
    fn pairs_that_talked(design: Design, seed: u64) -> (Cluster, BTreeSet<(NodeId, NodeId)>) {
        let options = SliceOptions { seed, shoppers: 60, surge_capacity: 600, design, ..SliceOptions::default() };
        let mut cluster = Cluster::full(&options);
        cluster.sim.trace_mut().record_everything();
        cluster.run_until(60 * SEC, 50_000_000);
        let mut pairs = BTreeSet::new();
        for e in cluster.sim.trace().everything().unwrap_or_default() {
            if matches!(e.kind, TraceKind::Timer | TraceKind::Fault) {
                continue;
            }
            if let Some(from) = e.from.filter(|&f| f != e.node) {
                pairs.insert(if from < e.node { (from, e.node) } else { (e.node, from) });
            }
        }
        (cluster, pairs)
    }

    #[test]
    fn every_pair_that_exchanged_a_message_has_an_edge() {
        let designs = [
            ("default", Design::default()),
            ("redis sessions", Design { session_store: SessionStoreKind::Redis, ..Design::default() }),
            ("replicated sessions", Design { session_store: SessionStoreKind::Replicated, ..Design::default() }),
            ("2PC off", Design { two_phase: false, ..Design::default() }),
        ];
        for (what, design) in designs {
            let seed = 11;
            let (cluster, pairs) = pairs_that_talked(design, seed);
            assert!(pairs.len() > 40, "{what}, seed {seed}: only {} pairs talked", pairs.len());
            let drawn: BTreeSet<_> = edges(&cluster).into_iter().collect();
            let missing: Vec<String> = pairs
                .iter()
                .filter(|p| !drawn.contains(p))
                .map(|&(a, b)| format!("{} – {}", cluster.sim.name(a), cluster.sim.name(b)))
                .collect();
            assert!(missing.is_empty(), "{what}, seed {seed}: no edge for {}", missing.join(", "));
        }
    }

    #[test]
    fn the_slice_draws_its_wiring() {
        let cluster = Cluster::slice(&SliceOptions::default());
        let named: Vec<(String, String)> = edges(&cluster)
            .into_iter()
            .map(|(a, b)| (cluster.sim.name(a).to_string(), cluster.sim.name(b).to_string()))
            .collect();
        assert!(named.iter().any(|(a, b)| a == "xiaoming" || b == "xiaoming"), "{named:?}");
        assert!(named.iter().any(|(a, b)| a.starts_with("app-") || b.starts_with("app-")), "{named:?}");
    }
}
