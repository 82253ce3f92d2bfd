//! Inspector details that follow a path: the lock queue, MyCat's routing of
//! each query, the CDN's serves, Xiaoming's journey, each client's server at
//! a balancer.
//!
//! Owns the views of who waits for whom under /locker (each DataNode with
//! its owner, who watches which predecessor), where MyCat sent the latest
//! queries (one shard, or every shard for a query without the key, and
//! whether a read host or the write host answered), what a CDN edge holds
//! (with freshness) and served from its store or fetched from the origin,
//! and where Xiaoming is on his journey (next step, last outcome and reason,
//! the app server his session lives on, his browser cache), and the server
//! each client address at a balancer was last sent to, with its run there.
//! Bounded lists.
//! Never changes the model.

use super::NodeDetail;
use crate::cluster::ClusterNode;
use crate::cluster::balancer::Balancer;
use crate::cluster::cdn::{CdnEdge, EdgeSource};
use crate::cluster::http_cache::{CacheKind, Headers, ResourceId};
use crate::cluster::mycat::{HostUse, Mycat};
use crate::cluster::shopper::{ShopperPool, asset_path};
use crate::cluster::zk_lock::{ZkServer, node_name};
use crate::sim::{NodeId, SEC, Sim, TimeUs};
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
    /// The shard key it carried (a product's id; an order row's key).
    pub key: Option<u32>,
    /// The shards it went to, numbered from 1 (`[1]` for product 100, `[1, 2]` for a search).
    pub shards: Vec<u16>,
    /// `shard 1 → db-shard1-replica (read host)`, …
    pub targets: Vec<String>,
    pub failure: Option<String>,
}

/// One client address at a balancer: where its requests went.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientRow {
    /// `1.0.0.7`
    pub client: String,
    /// The server its last request was sent to.
    pub server: String,
    /// How many of its requests in a row went there.
    pub in_a_row: u32,
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

/// One stored asset (at a CDN edge or in a browser) and how fresh it is.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetRow {
    /// `/static/shop.js`, `/img/17.jpg`, `/item/17.html`.
    pub path: String,
    pub version: u32,
    pub age_s: u64,
    /// The freshness lifetime this cache gives it (s-maxage at an edge).
    pub lifetime_s: u64,
    /// Usable without asking upstream; otherwise the next use revalidates.
    pub fresh: bool,
}

/// Xiaoming's journey, step by step.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowView {
    /// Stepped by hand (`next-step`) rather than walking on his own.
    pub manual: bool,
    /// The page he will ask for next (`login` when a step needs a session).
    pub next_step: &'static str,
    /// The page he is waiting for, if one is on its way.
    pub waiting_for: Option<&'static str>,
    pub last_page: Option<&'static str>,
    /// `ok`, or `failed`.
    pub last_outcome: Option<&'static str>,
    /// `timed out at inventory-2`, …
    pub last_reason: Option<String>,
    /// The app server whose memory holds his session (its jvmRoute).
    pub session_on: Option<String>,
    pub journeys: u32,
    pub browser_cache: Vec<AssetRow>,
}

fn asset_row(now_us: TimeUs, resource: ResourceId, version: u32, h: &Headers, kind: CacheKind) -> AssetRow {
    let percent = crate::cluster::http_cache::HEURISTIC_PERCENT;
    AssetRow {
        path: asset_path(resource),
        version,
        age_s: h.age_us(now_us) / SEC,
        lifetime_s: h.freshness_lifetime_us(kind, percent) / SEC,
        fresh: h.is_fresh(now_us, kind, percent),
    }
}

/// The first shopper of a pool, as the follow panel shows him.
pub(super) fn follow(sim: &Sim<ClusterNode>, pool: &ShopperPool) -> FollowView {
    let now_us = sim.now_us();
    let s = pool.shoppers.first().cloned().unwrap_or_default();
    let last = s.last;
    FollowView {
        manual: pool.manual,
        next_step: s.next_page().as_str(),
        waiting_for: s.waiting_for().map(|p| p.as_str()),
        last_page: last.map(|l| l.page.as_str()),
        last_outcome: last.map(|l| if l.failure.is_some() { "failed" } else { "ok" }),
        last_reason: last.and_then(|l| l.failure).map(|(n, c)| format!("{} at {}", c.as_str(), sim.name(n))),
        session_on: s.session.map(|c| sim.name(c.route).to_string()),
        journeys: s.journeys_completed,
        browser_cache: (s.browser.entries.iter().rev())
            .map(|e| asset_row(now_us, e.resource, e.version, &e.headers(), CacheKind::Private))
            .collect(),
    }
}

pub(super) fn detail(sim: &Sim<ClusterNode>, id: NodeId) -> Option<NodeDetail> {
    let name = |n: NodeId| sim.name(n).to_string();
    let detail = match sim.node(id) {
        ClusterNode::Zk(z) => lock_queue(z, &name),
        ClusterNode::Mycat(m) => mycat(m, &name),
        ClusterNode::Cdn(c) => cdn(c, sim.now_us()),
        _ => return None,
    };
    Some(detail)
}

/// The first clients of a balancer by address, with their last server.
pub(super) fn clients(sim: &Sim<ClusterNode>, b: &Balancer) -> Vec<ClientRow> {
    (b.client_routes().first(ROWS))
        .map(|(addr, route)| ClientRow {
            client: addr.0.map(|o| o.to_string()).join("."),
            server: sim.name(b.upstreams[route.upstream]).to_string(),
            in_a_row: route.in_a_row,
        })
        .collect()
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
            key: r.key,
            shards: r.targets.iter().map(|t| t.shard + 1).collect(),
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

fn cdn(c: &CdnEdge, now_us: TimeUs) -> NodeDetail {
    let mut stored: Vec<_> = c.cache.entries.iter().collect();
    stored.sort_by_key(|(id, e)| (std::cmp::Reverse(e.stored_us), **id));
    let entries = (stored.into_iter().take(ROWS))
        .map(|(&id, e)| asset_row(now_us, id, e.version, &e.headers, CacheKind::Shared))
        .collect();
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
        answered_200: c.stats.answered_200,
        answered_304: c.stats.answered_304,
        served_old_version: c.stats.serving_stale_version,
        entries,
        recent,
    }
}
