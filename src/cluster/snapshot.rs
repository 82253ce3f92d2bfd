//! The model's face to the UI: a plain-data picture of the cluster now.
//!
//! Owns `Snapshot` — every node with its visible state and the details its
//! inspector shows (sessions, the lock queue, replication lag, the VIP holder,
//! queue depths, …), the headline metrics and every invariant's verdict — and
//! its construction from a running `Cluster`. Plain data with public fields,
//! serialisable, so the UI, the console API and tests read the same thing.
//! Never changes the model.

mod inspect;
mod paths;

pub use inspect::{
    AccessRow, CacheRow, CachedList, CentreRow, InstanceRow, LimiterRow, MachineRow, RecordRow, TimelineRow, TxnView,
};
use paths::clients;
pub use paths::{AssetRow, ClientRow, FollowView, LockNodeRow, RouteRow, ServeRow};

use super::ClusterNode;
use super::dr::Failover;
use super::topology::Cluster;
use crate::sim::{NodeId, PropertyKind, TimeUs};
use serde::Serialize;
use std::collections::BTreeMap;

/// The whole cluster at one moment (JSON field names in camelCase, as the
/// console API gives them).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub now_us: TimeUs,
    pub seed: u64,
    pub events: u64,
    /// Messages on the wire now.
    pub in_flight: usize,
    pub trace_hash: String,
    pub nodes: Vec<NodeSnapshot>,
    pub metrics: BTreeMap<String, u64>,
    pub invariants: Vec<InvariantSnapshot>,
}

/// One node: its id on the diagram, its state, and what its inspector shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeSnapshot {
    pub id: String,
    /// `up`, `crashed`, `paused`, `slow` or `partitioned` (the `data-state` hook).
    pub state: &'static str,
    pub detail: NodeDetail,
}

/// What an inspector shows, per kind of node.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum NodeDetail {
    Shoppers {
        active: u16,
        logged_in: usize,
        journeys: u32,
        sent_to_login: u32,
        /// Static assets used fresh from the browsers' caches (nothing sent).
        browser_cache_hits: u64,
        /// 304s and 200s the browsers got for assets, and assets that failed.
        asset_304s: u64,
        asset_200s: u64,
        assets_failed: u64,
        /// For Xiaoming: his journey, step by step.
        follow: Option<FollowView>,
    },
    Balancer {
        pending: usize,
        retries: u64,
        vip: Option<VipSide>,
        /// The first clients by address: the server each was last sent to
        /// and how many of its requests in a row went there.
        clients: Vec<ClientRow>,
    },
    VipRouter {
        holder: Option<String>,
        moves: u64,
        forwarded: u64,
        dropped_no_holder: u64,
    },
    AppServer {
        sessions: usize,
        busy_workers: usize,
        queued: usize,
        served: u64,
        rejected: u64,
        /// Who is logged in here (shopper numbers, the first 24).
        logged_in: Vec<u16>,
        /// `on`, `off` or `booting` (the autoscaler's machines).
        power: String,
    },
    Registry {
        instances: Vec<InstanceRow>,
        self_preserving: bool,
    },
    Service {
        service: &'static str,
        cached: Vec<CachedList>,
        /// This host's 2PC participant, if it is one: its own timeline
        /// (PREPARED forced, votes, commits; newest first) and the
        /// transactions it voted Yes on and is blocked on, holding locks.
        tpc_timeline: Vec<TimelineRow>,
        in_doubt: Vec<u32>,
        /// An inventory instance's purchase in progress: its product, step
        /// (`waiting-for-lock`, `reading`, `computing`, `writing`) and the
        /// fencing token of the lock it believes it holds.
        purchase: Option<PurchaseView>,
    },
    TwoPhase {
        two_phase: bool,
        active: Vec<TxnView>,
        outcomes: Vec<(u32, String)>,
        timeline: Vec<TimelineRow>,
    },
    Gateway {
        limiters: Vec<LimiterRow>,
        access_log: Vec<AccessRow>,
        http_to_rpc: u64,
        rpc_to_http: u64,
    },
    ProductCache {
        entries: Vec<CacheRow>,
        hits: u64,
        misses: u64,
        hit_ratio_permille: u64,
    },
    Dns {
        records: Vec<RecordRow>,
        queries: u64,
    },
    Resolver {
        cached: Vec<RecordRow>,
    },
    Redis {
        role: String,
        keys: usize,
        replid: u32,
    },
    Autoscaler {
        enabled: bool,
        machines: Vec<MachineRow>,
        bill_server_s: u64,
        decisions: Vec<(TimeUs, u32, u32)>,
    },
    Gslb {
        epoch: u32,
        centres: Vec<CentreRow>,
        dns_points_to: Vec<String>,
        failovers: Vec<Failover>,
    },
    SiteFront {
        primary_db: String,
        writes_ok: u64,
        writes_failed: u64,
    },
    Browsers {
        cached_address: Option<String>,
        sent_to: Vec<(String, u64)>,
        lookups: u64,
        cache_hits: u64,
    },
    LockService {
        queue: Vec<LockNodeRow>,
        holder: Option<String>,
        sessions: usize,
        sessions_expired: u64,
    },
    Stock {
        units_sold: u64,
        units_oversold: u64,
        highest_token_accepted: Option<u32>,
    },
    Queue {
        depth: usize,
        unacked: usize,
        redeliveries: u64,
        dead_letters: u64,
        confirmed: u64,
        acked: u64,
    },
    Mysql {
        role: String,
        binlog: u32,
        applied: u32,
        lag_us: Option<TimeUs>,
        semi_sync: bool,
    },
    Mycat {
        write_hosts: Vec<String>,
        switches: Vec<u32>,
        routes: Vec<RouteRow>,
    },
    Cdn {
        requests: u64,
        edge_hits: u64,
        origin_fetches: u64,
        /// Answers to browsers: with a body, and 304 (their copy confirmed).
        answered_200: u64,
        answered_304: u64,
        /// Answers with a version older than the origin's current one (a
        /// deploy the edge's copy does not have yet).
        served_old_version: u64,
        /// What the edge holds (most recently stored first), with freshness.
        entries: Vec<AssetRow>,
        recent: Vec<ServeRow>,
    },
    Other {
        node_kind: String,
    },
}

/// The purchase an inventory instance is serving now.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PurchaseView {
    pub product: u32,
    pub step: &'static str,
    pub token: Option<u64>,
}

/// A keepalived router's view of itself.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VipSide {
    pub state: String,
    pub holds_vip: bool,
    pub epoch: u32,
    pub priority: u8,
    pub adverts_sent: u64,
    pub adverts_received: u64,
}

/// One invariant's verdict (`data-invariant`, `data-holds`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvariantSnapshot {
    pub name: &'static str,
    pub always: bool,
    pub holds: bool,
    pub broke_at_us: Option<TimeUs>,
    pub reason: Option<String>,
}

impl Cluster {
    /// A plain-data picture of the cluster now.
    pub fn snapshot(&self) -> Snapshot {
        let sim = &self.sim;
        let nodes = self.node_ids().map(|id| self.node_snapshot(id)).collect();
        let invariants = sim
            .properties()
            .verdicts()
            .iter()
            .map(|v| InvariantSnapshot {
                name: v.name,
                always: v.kind == PropertyKind::Always,
                holds: v.holds,
                broke_at_us: v.first_violation.as_ref().map(|x| x.at_us),
                reason: v.first_violation.as_ref().map(|x| x.reason.clone()),
            })
            .collect();
        Snapshot {
            now_us: sim.now_us(),
            seed: sim.seed(),
            events: sim.events_processed(),
            in_flight: sim.in_flight().count(),
            trace_hash: format!("{:016x}", sim.trace_hash()),
            nodes,
            metrics: sim.metrics().counters().map(|(k, v)| (k.to_string(), v)).collect(),
            invariants,
        }
    }
}

impl Cluster {
    /// One node's part of the snapshot (what a lesson's check reads, without
    /// building the whole picture).
    pub fn node_snapshot(&self, id: NodeId) -> NodeSnapshot {
        NodeSnapshot {
            id: self.sim.name(id).to_string(),
            state: self.visible_state(id).as_str(),
            detail: detail(self, id),
        }
    }
}

fn detail(cluster: &Cluster, id: NodeId) -> NodeDetail {
    let sim = &cluster.sim;
    if let Some(detail) = inspect::detail(sim, id).or_else(|| paths::detail(sim, id)) {
        return detail;
    }
    let name = |n: NodeId| sim.name(n).to_string();
    match sim.node(id) {
        ClusterNode::Shoppers(p) => NodeDetail::Shoppers {
            active: p.active,
            logged_in: p.shoppers.iter().filter(|s| s.session.is_some()).count(),
            journeys: p.shoppers.iter().map(|s| s.journeys_completed).sum(),
            sent_to_login: p.shoppers.iter().map(|s| s.login_redirects).sum(),
            browser_cache_hits: p.asset_stats.hits,
            asset_304s: p.asset_stats.not_modified,
            asset_200s: p.asset_stats.full,
            assets_failed: p.assets_failed,
            follow: (id == cluster.xiaoming).then(|| paths::follow(sim, p)),
        },
        ClusterNode::Balancer(b) => {
            NodeDetail::Balancer { pending: b.pending(), retries: b.retries, vip: None, clients: clients(sim, b) }
        }
        ClusterNode::KeepalivedLb(h) => NodeDetail::Balancer {
            pending: h.proxy.pending(),
            retries: h.proxy.retries,
            clients: clients(sim, &h.proxy),
            vip: Some(VipSide {
                state: format!("{:?}", h.router.state).to_uppercase(),
                holds_vip: h.router.holds_vip(),
                epoch: h.router.epoch,
                priority: h.router.config.priority,
                adverts_sent: h.router.adverts_sent,
                adverts_received: h.router.adverts_received,
            }),
        },
        ClusterNode::Vip(v) => NodeDetail::VipRouter {
            holder: v.holder().map(name),
            moves: v.arp.moves,
            forwarded: v.forwarded,
            dropped_no_holder: v.dropped_no_holder,
        },
        ClusterNode::App(a) => NodeDetail::AppServer {
            sessions: a.sessions.len(),
            busy_workers: a.busy_workers(),
            queued: a.queued(),
            logged_in: a.sessions.table.iter().map(|(_, s)| s.shopper).take(24).collect(),
            power: format!("{:?}", a.power).to_lowercase(),
            served: a.served,
            rejected: a.rejected,
        },
        ClusterNode::InventoryStore(s) => NodeDetail::Stock {
            units_sold: s.units_sold(),
            units_oversold: s.units_oversold(),
            highest_token_accepted: s.highest_token_accepted,
        },
        ClusterNode::MqBroker(b) => NodeDetail::Queue {
            depth: b.depth(),
            unacked: b.unacked.len(),
            redeliveries: b.redeliveries,
            dead_letters: b.dead_letter_total(),
            confirmed: b.confirmed,
            acked: b.acked,
        },
        ClusterNode::Mysql(m) => NodeDetail::Mysql {
            role: format!("{:?}", m.role).to_lowercase(),
            binlog: m.binlog_len(),
            applied: m.applied_pos,
            lag_us: m.lag_us(sim.now_us()),
            semi_sync: m.semi_sync_on,
        },
        other => NodeDetail::Other { node_kind: format!("{:?}", other.kind()).to_lowercase() },
    }
}
