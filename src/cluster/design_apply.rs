//! Putting a design into effect: on every node at build time, and live when a reader flips a switch.
//!
//! Owns the mapping from each switch to the settings of the mechanisms it
//! governs — the balancers' kind, algorithm and stickiness, the gateway's
//! rate limiter, the product cache and its TTL (with the CDN's TTL for product
//! descriptions, sent by the origin), the lock and fencing, 2PC, MySQL's semi-sync
//! plugin, MyCat's `switchType` — and `Cluster::set_switch`, the live path:
//! the new design is checked first (a bad switch or value changes nothing),
//! then every node is reconfigured as an operator would (an nginx reload, `SET
//! GLOBAL`, a MyCat config reload). A node that is down gets the new settings
//! in its configuration and uses them when it starts. Never decides anything
//! a mechanism decides: it only sets what their configuration files would.

use super::balancer::{Balancer, BalancerConfig};
use super::design::{CacheDesign, Design, LockDesign, ReplicationDesign, SwitchDesign, SwitchError};
use super::message::Msg;
use super::mycat::SwitchType;
use super::node::ClusterNode;
use super::replication::SyncMode;
use super::service_host::{Flow, ServiceHost};
use super::topology::Cluster;
use super::topology_full::services;
use crate::sim::{Ctx, NodeId, Process, Sim};

impl ClusterNode {
    /// Reconfigure this node for `design`. `ctx` is `None` for a node that is
    /// not running (or not started yet): only its configuration changes.
    pub fn apply_design(&mut self, ctx: Option<&mut Ctx<'_, Msg>>, design: &Design) {
        match self {
            Self::Balancer(b) => reconfigure_balancer(b, ctx, design),
            Self::KeepalivedLb(h) => reconfigure_balancer(&mut h.proxy, ctx, design),
            Self::Mysql(m) => m.set_sync_mode(ctx, sync_mode(design.replication)),
            Self::Mycat(m) => m.config.switch_type = switch_type(design.switch_type),
            Self::Autoscaler(a) => a.config.enabled = design.autoscaling,
            Self::Gateway(g) => {
                let limits = services::rate_limit(design.rate_limit);
                if g.gateway.config.rate_limit != limits {
                    // Spring Cloud Gateway rebuilds its filters on a refresh: new buckets.
                    g.gateway.config.rate_limit = limits;
                    g.gateway.limiters.clear();
                }
            }
            Self::Service(s) => reconfigure_service(s, design),
            Self::InventoryStore(store) => store.config.fencing = design.lock == LockDesign::LockWithFencing,
            Self::TpcCoordinator(c) => c.config.two_phase = design.two_phase,
            Self::Origin(o) => super::topology_full::edge::set_description_ttl(o, design),
            _ => {}
        }
    }
}

/// A different kind of balancer takes that kind's defaults (timeouts, health
/// checks, what it can read) but keeps the shop's upstreams and weights; the
/// algorithm and stickiness follow the design.
fn reconfigure_balancer(b: &mut Balancer, ctx: Option<&mut Ctx<'_, Msg>>, design: &Design) {
    if b.config.kind != design.balancer_kind {
        let old = std::mem::take(&mut b.config.weights);
        let addrs = std::mem::take(&mut b.config.client_addrs);
        let (max_pending, max_conns) = (b.config.max_pending, b.config.max_conns);
        let checked_before = b.config.active_check.is_some();
        b.config = BalancerConfig {
            weights: old,
            client_addrs: addrs,
            max_pending,
            max_conns,
            ..BalancerConfig::for_kind(design.balancer_kind)
        };
        b.set_algorithm(design.lb_algorithm);
        // A kind with health checks starts its probe rounds now.
        if let Some(ctx) = ctx
            && b.config.active_check.is_some()
            && !checked_before
        {
            b.on_start(ctx);
        }
    }
    b.config.sticky = design.session_store.sticky();
    if b.config.algorithm != design.lb_algorithm {
        b.set_algorithm(design.lb_algorithm);
    }
}

/// The services' switches: the product cache, the lock, 2PC at the order
/// service. Work in progress finishes the way it began.
fn reconfigure_service(s: &mut ServiceHost, design: &Design) {
    if let Some(inventory) = &mut s.inventory {
        inventory.set_use_lock(design.lock != LockDesign::Off);
    }
    match &mut s.flow {
        Some(Flow::Product(p)) => {
            p.cache_on = design.product_cache != CacheDesign::Off;
            if let Some(aside) = &mut p.aside {
                aside.config.guard = services::stampede_guard(design.product_cache);
                // Entries already cached keep the TTL they were set with.
                aside.config.ttl_us = design.cache_ttl.seconds() * crate::sim::SEC;
            }
        }
        Some(Flow::Order(o)) => o.two_phase = design.two_phase,
        _ => {}
    }
}

fn sync_mode(replication: ReplicationDesign) -> SyncMode {
    match replication {
        ReplicationDesign::Async => SyncMode::Async,
        ReplicationDesign::SemiSync => SyncMode::SemiSync,
    }
}

fn switch_type(switch: SwitchDesign) -> SwitchType {
    match switch {
        SwitchDesign::Never => SwitchType::Never,
        SwitchDesign::Automatic => SwitchType::Automatic,
        SwitchDesign::WhenInSync => SwitchType::WhenInSync,
    }
}

impl Cluster {
    /// Flip one design switch while the cluster runs. An unknown switch or
    /// value is refused and nothing changes, and so is a new session store:
    /// the Tomcats' session manager (and the Redis servers it would need) is
    /// chosen when they are deployed, so it is a new run, not a reload.
    pub fn set_switch(&mut self, switch: &str, value: &str) -> Result<(), SwitchError> {
        let design = self.design.with(switch, value)?;
        if design.session_store != self.design.session_store {
            return Err(SwitchError::NeedsRedeploy { switch: "session-store", value: value.to_string() });
        }
        self.set_design(design);
        Ok(())
    }

    /// Put a whole design into effect on every node, now. The session store
    /// is the one the cluster was built with (see `set_switch`).
    fn set_design(&mut self, design: Design) {
        self.design = design;
        for index in 0..self.sim.nodes().len() {
            let id = NodeId(index as u16);
            if self.sim.lifecycle(id).process == Process::Up {
                self.sim.command(id, "design", |node, ctx| node.apply_design(Some(ctx), &design));
            } else {
                self.sim.node_mut(id).apply_design(None, &design);
            }
        }
    }
}

/// Configure freshly built nodes before the run starts.
pub(super) fn configure(sim: &mut Sim<ClusterNode>, design: &Design) {
    for index in 0..sim.nodes().len() {
        sim.node_mut(NodeId(index as u16)).apply_design(None, design);
    }
}
