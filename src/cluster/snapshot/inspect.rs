//! Inspector details for the nodes beyond the first slice: coordination, edge, gateway, scaling and disaster recovery.
//!
//! Owns the plain-data views the inspectors of brief §5 show for these kinds
//! — each transaction's 2PC phase, the registry's instance list and every
//! consumer's cached copy, the gateway's limiter tokens and access log, cache
//! entries with their age and TTL, DNS records and resolver caches, Redis'
//! role, the autoscaler's machines and bill, the GSLB's centres — bounded so a
//! snapshot stays small. Never changes the model.

use super::NodeDetail;
use crate::cluster::ClusterNode;
use crate::cluster::autoscaler::{Autoscaler, ServerState};
use crate::cluster::dns::{Authoritative, Resolver};
use crate::cluster::dr::{DrController, Failover};
use crate::cluster::gateway::Gateway;
use crate::cluster::node::ServiceHost;
use crate::cluster::product_cache::CacheStore;
use crate::cluster::registry::Registry;
use crate::cluster::two_phase::{ParticipantTxn, TpcCoordinator};
use crate::sim::{NodeId, Sim, TimeUs};
use serde::Serialize;

/// Most rows of any list in one inspector.
const ROWS: usize = 24;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TxnView {
    pub txn: u32,
    pub product: u32,
    pub qty: u32,
    /// `collecting votes (1 yes)`, `forcing commit`, `committing (0 acked)`, `local …`.
    pub phase: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimelineRow {
    pub at_us: TimeUs,
    pub txn: u32,
    pub node: String,
    pub phase: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRow {
    pub service: &'static str,
    pub node: String,
    pub healthy: bool,
    pub last_beat_us: TimeUs,
}

/// A consumer's cached copy of one service's instance list.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedList {
    pub service: &'static str,
    pub instances: Vec<String>,
    pub fetched_at_us: TimeUs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimiterRow {
    pub service: &'static str,
    /// Tokens left (token bucket); `None` for window algorithms.
    pub tokens: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessRow {
    pub at_us: TimeUs,
    pub path: &'static str,
    pub status: u16,
    pub upstream: Option<String>,
    pub reason: Option<String>,
    /// HTTP in, RPC to the service, HTTP out.
    pub converted: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CacheRow {
    pub product: u32,
    pub version: u32,
    pub age_us: TimeUs,
    pub ttl_us: TimeUs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordRow {
    pub name: u16,
    pub addresses: Vec<String>,
    /// Time left before a cached answer expires (resolvers); the TTL for records.
    pub ttl_us: TimeUs,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MachineRow {
    pub node: String,
    /// `off`, `booting`, `in-service`, `draining`.
    pub state: &'static str,
    pub utilization_pct: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CentreRow {
    pub name: &'static str,
    pub city: &'static str,
    pub primary: bool,
    pub web_ok: bool,
    pub db_ok: bool,
    pub failed_rounds: u32,
}

/// The detail of a node of one of this module's kinds, if it is one.
pub(super) fn detail(sim: &Sim<ClusterNode>, id: NodeId) -> Option<NodeDetail> {
    let name = |n: NodeId| sim.name(n).to_string();
    let now_us = sim.now_us();
    let detail = match sim.node(id) {
        ClusterNode::TpcCoordinator(c) => two_phase(c, &name),
        ClusterNode::Registry(r) => registry(r, &name),
        ClusterNode::Service(s) => service(s, &name),
        ClusterNode::Gateway(g) => gateway(&g.gateway, &name),
        ClusterNode::ProductCache(c) => product_cache(c, now_us),
        ClusterNode::Dns(d) => dns(d, &name),
        ClusterNode::Resolver(r) => resolver(r, now_us, &name),
        ClusterNode::Redis(r) => NodeDetail::Redis {
            role: if r.is_master() { "master".into() } else { "replica".into() },
            keys: r.data.values().filter(|e| e.is_live(now_us)).count(),
            replid: r.replid,
        },
        ClusterNode::Autoscaler(a) => autoscaler(a, now_us, &name),
        ClusterNode::DrController(g) => gslb(g, &name),
        ClusterNode::SiteFront(w) => NodeDetail::SiteFront {
            primary_db: name(w.primary_db),
            writes_ok: w.writes_ok,
            writes_failed: w.writes_failed,
        },
        ClusterNode::DnsEntry(e) => NodeDetail::Browsers {
            cached_address: e.current(now_us).map(name),
            sent_to: e.sent_to.iter().map(|(&n, &count)| (name(n), count)).collect(),
            lookups: e.dns.stats.lookups,
            cache_hits: e.dns.stats.cache_hits,
        },
        _ => return None,
    };
    Some(detail)
}

fn two_phase(c: &TpcCoordinator, name: &dyn Fn(NodeId) -> String) -> NodeDetail {
    let active = c
        .active
        .iter()
        .take(ROWS)
        .map(|(&txn, t)| TxnView { txn, product: t.product, qty: t.qty, phase: format!("{:?}", t.state) })
        .collect();
    let outcomes = c.outcomes.iter().rev().take(ROWS).map(|(&txn, o)| (txn, format!("{o:?}"))).collect();
    let timeline = c
        .timeline
        .iter()
        .rev()
        .take(ROWS)
        .map(|e| TimelineRow { at_us: e.at_us, txn: e.txn, node: name(e.node), phase: format!("{:?}", e.phase) })
        .collect();
    NodeDetail::TwoPhase { two_phase: c.config.two_phase, active, outcomes, timeline }
}

fn registry(r: &Registry, name: &dyn Fn(NodeId) -> String) -> NodeDetail {
    let instances = r
        .instances
        .iter()
        .take(ROWS)
        .map(|(&(kind, node), i)| InstanceRow {
            service: kind.as_str(),
            node: name(node),
            healthy: i.healthy,
            last_beat_us: i.last_beat_us,
        })
        .collect();
    NodeDetail::Registry { instances, self_preserving: r.self_preserving }
}

fn service(s: &ServiceHost, name: &dyn Fn(NodeId) -> String) -> NodeDetail {
    let cached = s
        .registry
        .cache
        .iter()
        .map(|(kind, list)| CachedList {
            service: kind.as_str(),
            instances: list.instances.iter().map(|&n| name(n)).collect(),
            fetched_at_us: list.fetched_at_us,
        })
        .collect();
    let (tpc_timeline, in_doubt) = match &s.participant {
        Some(p) => (
            p.timeline
                .iter()
                .rev()
                .take(ROWS)
                .map(|e| TimelineRow {
                    at_us: e.at_us,
                    txn: e.txn,
                    node: name(e.node),
                    phase: format!("{:?}", e.phase),
                })
                .collect(),
            p.open.iter().filter(|(_, t)| matches!(t, ParticipantTxn::InDoubt { .. })).map(|(&txn, _)| txn).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let purchase = s.inventory.as_ref().and_then(purchase);
    NodeDetail::Service { service: s.kind.as_str(), cached, tpc_timeline, in_doubt, purchase }
}

/// An inventory instance's purchase in progress, with the token it holds.
fn purchase(inv: &crate::cluster::inventory::InventoryService) -> Option<super::PurchaseView> {
    use crate::cluster::inventory::PurchaseStep as P;
    let p = inv.current?;
    let step = match p.step {
        P::WaitingForLock => "waiting-for-lock",
        P::Reading => "reading",
        P::Computing { .. } => "computing",
        P::Writing => "writing",
    };
    Some(super::PurchaseView { product: p.product, step, token: inv.lock.token().map(u64::from) })
}

fn gateway(g: &Gateway, name: &dyn Fn(NodeId) -> String) -> NodeDetail {
    let limiters =
        g.limiters.iter().map(|(kind, l)| LimiterRow { service: kind.as_str(), tokens: l.tokens() }).collect();
    let access_log = g
        .access_log
        .iter()
        .rev()
        .take(ROWS)
        .map(|e| AccessRow {
            at_us: e.at_us,
            path: e.path,
            status: e.status,
            upstream: e.upstream.map(name),
            reason: e.reason.map(|r| format!("{r:?}")),
            converted: e.converted,
        })
        .collect();
    NodeDetail::Gateway { limiters, access_log, http_to_rpc: g.http_to_rpc, rpc_to_http: g.rpc_to_http }
}

fn product_cache(c: &CacheStore, now_us: TimeUs) -> NodeDetail {
    let entries = c
        .freshness(now_us)
        .into_iter()
        .take(ROWS)
        .map(|f| CacheRow { product: f.product, version: f.version, age_us: f.age_us, ttl_us: f.ttl_us })
        .collect();
    NodeDetail::ProductCache { entries, hits: c.hits, misses: c.misses, hit_ratio_permille: c.hit_ratio_permille() }
}

fn dns(d: &Authoritative, name: &dyn Fn(NodeId) -> String) -> NodeDetail {
    let records = d
        .zone
        .iter()
        .map(|(n, records)| RecordRow {
            name: n.0,
            addresses: records.iter().map(|r| name(r.ip)).collect(),
            ttl_us: d.config.ttl_us,
        })
        .collect();
    NodeDetail::Dns { records, queries: d.queries }
}

fn resolver(r: &Resolver, now_us: TimeUs, name: &dyn Fn(NodeId) -> String) -> NodeDetail {
    let cached = r
        .cache
        .iter()
        .filter(|(_, c)| c.expires_us > now_us)
        .map(|(n, c)| RecordRow {
            name: n.0,
            addresses: c.result.map(|a| a.as_slice().iter().map(|&ip| name(ip)).collect()).unwrap_or_default(),
            ttl_us: c.expires_us - now_us,
        })
        .collect();
    NodeDetail::Resolver { cached }
}

fn autoscaler(a: &Autoscaler, now_us: TimeUs, name: &dyn Fn(NodeId) -> String) -> NodeDetail {
    let machines = a
        .servers
        .iter()
        .zip(&a.states)
        .map(|(&node, state)| MachineRow {
            node: name(node),
            state: match state {
                ServerState::Off => "off",
                ServerState::Booting { .. } => "booting",
                ServerState::InService { .. } => "in-service",
                ServerState::Draining { .. } => "draining",
            },
            utilization_pct: a.utilization_pct.get(&node).copied(),
        })
        .collect();
    let decisions = a.records.iter().rev().take(ROWS).map(|r| (r.at_us, r.from_servers, r.to_servers)).collect();
    NodeDetail::Autoscaler {
        enabled: a.config.enabled,
        machines,
        bill_server_s: a.bill_us(now_us) / 1_000_000,
        decisions,
    }
}

fn gslb(g: &DrController, name: &dyn Fn(NodeId) -> String) -> NodeDetail {
    let centres = g
        .centres
        .iter()
        .zip(&g.health)
        .enumerate()
        .map(|(i, (c, h))| CentreRow {
            name: c.name,
            city: c.city,
            primary: i == g.primary,
            web_ok: h.web_ok,
            db_ok: h.db_ok,
            failed_rounds: h.failed_rounds,
        })
        .collect();
    let points_to = g.dns.zone.get(&g.name).map(|r| r.iter().map(|a| name(a.ip)).collect()).unwrap_or_default();
    let failovers: Vec<Failover> = g.failovers.iter().rev().take(ROWS).copied().collect();
    NodeDetail::Gslb { epoch: g.epoch, centres, dns_points_to: points_to, failovers }
}
