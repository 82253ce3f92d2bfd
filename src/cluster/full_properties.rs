//! The invariants of fidelity.md, over the whole cluster, checked after every
//! event: each is one mechanism's own check applied to the nodes that run it.
//!
//! Owns which nodes each check looks at (by the node kinds present, so the
//! same list works on any topology). Never changes a node.

use super::ClusterNode;
use super::balancer::{check_connection_tallies, check_pending_bounded};
use super::http_cache::{check_no_stale_served, check_stats_no_stale_served};
use super::inventory::{check_no_oversell, check_tokens_monotonic};
use super::mq::{check_confirmed_acked_or_dead_lettered, check_notified_once_recent};
use super::product_cache::check_never_served_expired;
use super::replication::{MysqlNode, check_no_acked_write_lost, check_single_writer};
use super::two_phase::check_atomicity_recent;
use super::vrrp::{Freeze, VrrpRouter, check_one_vip_owner_per_epoch, owned_vrid};
use crate::sim::invariant::{Properties, Settled};
use crate::sim::{NodeId, TimeUs, View};

pub const NO_OVERSOLD_STOCK: &str = "no-oversold-stock";
pub const LOCK_TOKENS_MONOTONIC: &str = "lock-tokens-never-go-back";
pub const TWO_PC_ATOMIC: &str = "2pc-atomicity";
pub const NO_ACKED_WRITE_LOST: &str = "no-acked-write-lost";
pub const ONE_WRITABLE_MASTER: &str = "one-writable-master";
pub const ONE_VIP_OWNER: &str = "one-vip-owner-per-epoch";
pub const MQ_CONFIRMED_ACCOUNTED: &str = "confirmed-acked-or-dead-lettered";
pub const NOTIFIED_ONCE: &str = "each-order-notified-once";
pub const NO_EXPIRED_CACHE_SERVED: &str = "cache-never-serves-expired";
pub const BALANCER_BOOKKEEPING: &str = "balancer-bookkeeping";
pub const REDIS_NO_ACKED_WRITE_LOST: &str = "redis-no-acked-write-lost";
pub const READ_STALENESS_BOUNDED: &str = "read-staleness-within-slave-threshold";
pub const LIMITER_BOUND: &str = "limiter-accepts-within-bound";
pub const NO_STALE_ASSET_SERVED: &str = "http-cache-never-serves-stale-unvalidated";
pub const SOME_304: &str = "a-browser-copy-revalidated-with-304";
pub const SOME_CDN_HIT: &str = "a-cdn-edge-hit";

pub fn register(p: &mut Properties<ClusterNode>) {
    use ClusterNode as N;
    // Per-node checks: after an event only the node it changed is checked.
    p.always_each(
        NO_OVERSOLD_STOCK,
        |i, n| named(i, if let N::InventoryStore(s) = n { check_no_oversell(s) } else { Ok(()) }),
        |n| matches!(n, N::InventoryStore(_)),
    );
    p.always_each(
        LOCK_TOKENS_MONOTONIC,
        |i, n| named(i, if let N::InventoryStore(s) = n { check_tokens_monotonic(s) } else { Ok(()) }),
        |n| matches!(n, N::InventoryStore(_)),
    );
    p.always_watching(TWO_PC_ATOMIC, two_pc_atomic, |n| match n {
        N::TpcCoordinator(_) | N::TpcParticipant(_) => true,
        N::Service(s) => s.participant.is_some(),
        _ => false,
    });
    p.always_watching(NO_ACKED_WRITE_LOST, |v| mysql_groups(v, check_no_acked_write_lost), is_mysql);
    p.always_watching(ONE_WRITABLE_MASTER, |v| mysql_groups(v, check_single_writer), is_mysql);
    // Reads the routers' clocks and lifecycles: checked after every event
    // while two routers claim one VIP, else only when a router changes.
    p.always_settled(ONE_VIP_OWNER, one_vip_owner, |n| matches!(n, N::Vip(_) | N::KeepalivedLb(_)));
    p.always_each(
        MQ_CONFIRMED_ACCOUNTED,
        |i, n| named(i, if let N::MqBroker(b) = n { check_confirmed_acked_or_dead_lettered(b) } else { Ok(()) }),
        |n| matches!(n, N::MqBroker(_)),
    );
    p.always_watching(NOTIFIED_ONCE, notified_once, |n| match n {
        N::MqConsumer(_) => true,
        N::Service(s) => s.consumer.is_some(),
        _ => false,
    });
    p.always_each(
        NO_EXPIRED_CACHE_SERVED,
        |i, n| named(i, if let N::ProductCache(c) = n { check_never_served_expired(c) } else { Ok(()) }),
        |n| matches!(n, N::ProductCache(_)),
    );
    p.always_each(
        BALANCER_BOOKKEEPING,
        |i, n| {
            named(
                i,
                match n.balancer() {
                    Some(lb) => check_pending_bounded(lb).and_then(|()| check_connection_tallies(lb)),
                    None => Ok(()),
                },
            )
        },
        |n| n.balancer().is_some(),
    );
    p.always_watching(READ_STALENESS_BOUNDED, read_staleness_bounded, is_mysql);
    // Invariant 10 at the shoppers' browsers and the CDN edges.
    p.always_each(
        NO_STALE_ASSET_SERVED,
        |i, n| {
            named(
                i,
                match n {
                    N::Shoppers(pool) => check_stats_no_stale_served(&pool.asset_stats),
                    N::Cdn(edge) => check_no_stale_served(&edge.cache),
                    _ => Ok(()),
                },
            )
        },
        |n| matches!(n, N::Shoppers(_) | N::Cdn(_)),
    );

    p.always_each(LIMITER_BOUND, limiter_bound, |n| matches!(n, N::Gateway(_)));
    p.always_watching(
        REDIS_NO_ACKED_WRITE_LOST,
        |v| {
            let servers: Vec<_> =
                v.nodes.iter().filter_map(|n| if let N::Redis(r) = n { Some(&**r) } else { None }).collect();
            if servers.is_empty() { Ok(()) } else { super::redis::check_no_acked_write_lost(&servers) }
        },
        |n| matches!(n, N::Redis(_)),
    );
}

/// Witnesses that the shoppers' static assets took the interesting paths: a
/// browser's copy confirmed by a 304, an edge answering from its store.
/// Only for a topology whose shoppers load assets.
/// (Read off the nodes, not the metrics by name: a witness not yet seen is
/// checked after every event, and the first 304 comes only after a minute.)
pub fn register_edge_witnesses(p: &mut Properties<ClusterNode>) {
    use ClusterNode as N;
    p.sometimes_watching(
        SOME_304,
        |v| v.nodes.iter().any(|n| matches!(n, N::Shoppers(s) if s.asset_stats.not_modified > 0)),
        |n| matches!(n, N::Shoppers(_)),
    );
    p.sometimes_watching(
        SOME_CDN_HIT,
        |v| v.nodes.iter().any(|n| matches!(n, N::Cdn(e) if e.stats.edge_hits > 0)),
        |n| matches!(n, N::Cdn(_)),
    );
}

fn is_mysql(node: &ClusterNode) -> bool {
    matches!(node, ClusterNode::Mysql(_))
}

/// Invariant 9 at a gateway's limiters (each watches its own accepts).
fn limiter_bound(index: usize, node: &ClusterNode) -> Result<(), String> {
    let violation = match node {
        ClusterNode::Gateway(g) => g.gateway.limiters.values().find_map(|l| l.bound_violation.clone()),
        _ => None,
    };
    named(index, violation.map_or(Ok(()), Err))
}

/// A per-node check's verdict, naming node `index` if it fails.
fn named(index: usize, verdict: Result<(), String>) -> Result<(), String> {
    verdict.map_err(|why| format!("node #{index}: {why}"))
}

fn two_pc_atomic(view: &View<'_, ClusterNode>) -> Result<(), String> {
    // The check looks only at final records and ENDs written now: with none
    // (most events) it holds, and nothing need be gathered. Each list is
    // kept in the order written, at the time written, so its last says.
    let now = |at_us: Option<TimeUs>| at_us.is_some_and(|at_us| at_us >= view.now_us);
    let written_now = view.nodes.iter().any(|n| match n {
        ClusterNode::TpcCoordinator(c) => now(c.recent_ends.back().map(|&(_, _, at_us)| at_us)),
        ClusterNode::TpcParticipant(p) => now(p.recent_finals.back().map(|&(_, at_us)| at_us)),
        ClusterNode::Service(s) => now(s.participant.as_ref().and_then(|p| p.recent_finals.back()).map(|&(_, at)| at)),
        _ => false,
    });
    if !written_now {
        return Ok(());
    }
    let participants: Vec<_> = view
        .nodes
        .iter()
        .filter_map(|n| match n {
            ClusterNode::TpcParticipant(p) => Some(&**p),
            ClusterNode::Service(s) => s.participant.as_ref(),
            _ => None,
        })
        .collect();
    for (i, node) in view.nodes.iter().enumerate() {
        if let ClusterNode::TpcCoordinator(c) = node {
            named(i, check_atomicity_recent(c, &participants, view.now_us))?;
        }
    }
    Ok(())
}

fn notified_once(view: &View<'_, ClusterNode>) -> Result<(), String> {
    let consumers: Vec<_> = view
        .nodes
        .iter()
        .filter_map(|n| match n {
            ClusterNode::MqConsumer(c) => Some(&**c),
            ClusterNode::Service(s) => s.consumer.as_ref(),
            _ => None,
        })
        .collect();
    if consumers.is_empty() { Ok(()) } else { check_notified_once_recent(&consumers) }
}

/// Each MyCat's data hosts form replication groups; a check runs per group.
fn mysql_groups(view: &View<'_, ClusterNode>, check: fn(&[&MysqlNode]) -> Result<(), String>) -> Result<(), String> {
    let server = |h: &NodeId| match view.nodes.get(h.index()) {
        Some(ClusterNode::Mysql(m)) => Some(&**m),
        _ => None,
    };
    for node in view.nodes {
        match node {
            ClusterNode::Mycat(mycat) => {
                for host in &mycat.data_hosts {
                    check(&host.hosts.iter().filter_map(server).collect::<Vec<_>>())?;
                }
            }
            // The centres of two sites, three centres: one replication group.
            ClusterNode::DrController(dr) => {
                check(&dr.centres.iter().map(|c| c.db).filter_map(|h| server(&h)).collect::<Vec<_>>())?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Invariant 5: a read served by a MyCat read host was at most
/// `slaveThreshold` behind, as the replica measured it when it answered.
/// MyCat only learns a replica's lag at its heartbeat (every 10 s), so a
/// replica that falls behind — or stops replicating — between heartbeats
/// serves stale reads until the next one: that breaks it.
fn read_staleness_bounded(view: &View<'_, ClusterNode>) -> Result<(), String> {
    for node in view.nodes {
        let ClusterNode::Mycat(mycat) = node else { continue };
        let threshold_us = u64::from(mycat.config.slave_threshold_s) * crate::sim::SEC;
        for &host in mycat.data_hosts.iter().flat_map(|h| &h.hosts) {
            let Some(ClusterNode::Mysql(m)) = view.nodes.get(host.index()) else { continue };
            let s = m.read_staleness;
            if s.while_stopped > 0 {
                return Err(format!(
                    "node #{}: {} read(s) served while its replication was stopped",
                    host.0, s.while_stopped
                ));
            }
            if s.worst_lag_us > threshold_us {
                return Err(format!(
                    "node #{}: a read served {} ms behind its source (slaveThreshold {} s)",
                    host.0,
                    s.worst_lag_us / crate::sim::MS,
                    mycat.config.slave_threshold_s
                ));
            }
        }
    }
    Ok(())
}

/// Routers are grouped by the virtual IP table they announce to.
/// The common case (no VRID with two owners, when nothing can be wrong
/// whatever the time) is settled first without allocating, and stands until
/// a router changes; two owners are checked again after every event, as the
/// overlap they are allowed runs out with time.
fn one_vip_owner(view: &View<'_, ClusterNode>) -> Result<Settled, String> {
    let mut settled = Settled::UntilWatchedChange;
    for node in view.nodes {
        let ClusterNode::Vip(router) = node else { continue };
        let owned = |id: &NodeId| match (view.nodes.get(id.index()), view.lifecycles.get(id.index())) {
            (Some(ClusterNode::KeepalivedLb(h)), Some(life)) => owned_vrid(&h.router, life, Freeze::WholeHost),
            _ => None,
        };
        let ids = &router.arp.routers;
        let shared = ids
            .iter()
            .enumerate()
            .any(|(i, a)| owned(a).is_some_and(|vrid| ids.iter().skip(i + 1).any(|b| owned(b) == Some(vrid))));
        if !shared {
            continue;
        }
        settled = Settled::NextEvent;
        let routers: Vec<(NodeId, &VrrpRouter)> = router
            .arp
            .routers
            .iter()
            .filter_map(|&id| match view.nodes.get(id.index()) {
                Some(ClusterNode::KeepalivedLb(h)) => Some((id, &h.router)),
                _ => None,
            })
            .collect();
        check_one_vip_owner_per_epoch(&routers, view.lifecycles, Freeze::WholeHost, view.now_us)?;
    }
    Ok(settled)
}
