//! Inspector details that follow a path: the lock queue, MyCat's routing of each query, the CDN's serves.
//!
//! Owns the views of who waits for whom under /locker (each DataNode with
//! its owner, who watches which predecessor), where MyCat sent the latest
//! queries (one shard, or every shard for a query without the key, and
//! whether a read host or the write host answered), and what a CDN edge
//! served from its store or fetched from the origin. Bounded lists. Never
//! changes the model.

use super::NodeDetail;
use crate::cluster::ClusterNode;
use crate::cluster::cdn::{CdnEdge, EdgeSource};
use crate::cluster::mycat::{HostUse, Mycat};
use crate::cluster::zk_lock::{ZkServer, node_name};
use crate::sim::{NodeId, Sim, TimeUs};
use serde::Serialize;

const ROWS: usize = 24;

/// One child of /locker.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LockNodeRow {
    /// `DataNode1`, `DataNode2`, …
    pub znode: String,
    /// The client whose session owns it.
    pub owner: Option<String>,
    /// The children this one's owner watches (its predecessor), if any.
    pub watched_by: Vec<String>,
}

/// Where one query went.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteRow {
    pub at_us: TimeUs,
    pub query: u32,
    /// False: no shard key, so every shard was asked and the answers merged.
    pub had_key: bool,
    /// `shard 1 → db-shard1-replica (read host)`, …
    pub targets: Vec<String>,
    pub failure: Option<String>,
}

/// One answer of a CDN edge.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServeRow {
    pub at_us: TimeUs,
    pub resource: u32,
    pub version: u32,
    /// `hit`, `origin` or `stale-on-error`.
    pub source: &'static str,
    pub not_modified: bool,
}

pub(super) fn detail(sim: &Sim<ClusterNode>, id: NodeId) -> Option<NodeDetail> {
    let name = |n: NodeId| sim.name(n).to_string();
    let detail = match sim.node(id) {
        ClusterNode::Zk(z) => lock_queue(z, &name),
        ClusterNode::Mycat(m) => mycat(m, &name),
        ClusterNode::Cdn(c) => cdn(c),
        _ => return None,
    };
    Some(detail)
}

fn lock_queue(z: &ZkServer, name: &dyn Fn(NodeId) -> String) -> NodeDetail {
    let owner_of = |session: u32| z.sessions.get(&session).map(|s| name(s.client));
    let queue = z
        .children
        .iter()
        .take(ROWS)
        .map(|(&seq, node)| LockNodeRow {
            znode: node_name(seq),
            owner: owner_of(node.session),
            watched_by: z
                .watches
                .get(&seq)
                .map(|sessions| sessions.iter().filter_map(|&s| owner_of(s)).collect())
                .unwrap_or_default(),
        })
        .collect();
    NodeDetail::LockService {
        queue,
        holder: z.holder().map(|(seq, _)| node_name(seq)),
        sessions: z.sessions.len(),
        sessions_expired: z.sessions_expired,
    }
}

fn mycat(m: &Mycat, name: &dyn Fn(NodeId) -> String) -> NodeDetail {
    let routes = m
        .routes
        .iter()
        .rev()
        .take(ROWS)
        .map(|r| RouteRow {
            at_us: r.at_us,
            query: r.query,
            had_key: r.had_key,
            targets: r
                .targets
                .iter()
                .map(|t| {
                    let role = if t.used_as == HostUse::WriteHost { "write host" } else { "read host" };
                    format!("shard {} → {} ({role})", t.shard + 1, name(t.host))
                })
                .collect(),
            failure: r.failure.map(|f| format!("{f:?}")),
        })
        .collect();
    NodeDetail::Mycat {
        write_hosts: m.data_hosts.iter().map(|h| name(h.write_host())).collect(),
        switches: m.data_hosts.iter().map(|h| h.switches).collect(),
        routes,
    }
}

fn cdn(c: &CdnEdge) -> NodeDetail {
    let recent = c
        .recent
        .iter()
        .rev()
        .take(ROWS)
        .map(|s| ServeRow {
            at_us: s.at_us,
            resource: s.resource.0,
            version: s.version,
            source: match s.source {
                EdgeSource::Hit => "hit",
                EdgeSource::Origin => "origin",
                EdgeSource::StaleOnError => "stale-on-error",
            },
            not_modified: s.not_modified,
        })
        .collect();
    NodeDetail::Cdn {
        requests: c.stats.requests,
        edge_hits: c.stats.edge_hits,
        origin_fetches: c.stats.origin_fetches,
        recent,
    }
}
