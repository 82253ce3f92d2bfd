//! Builds a runnable cluster: nodes, links, metrics and properties.
//!
//! Owns the layout of the model (which nodes exist, what they are called, how
//! they are wired) and the `Cluster` handle the UI and tests drive. Never
//! contains behaviour of its own: each node's behaviour lives in its file.

use super::ClusterNode;
use super::app_server::{AppServer, AppServerConfig, SessionConfig};
use super::balancer::{Balancer, BalancerConfig};
use super::design::Design;
use super::metrics::ShopMetrics;
use super::properties;
use super::redis::{RedisConfig, RedisServer, Sentinel, SentinelConfig};
use super::session_store::SessionStoreKind;
use super::shopper::{ShopperConfig, ShopperPool};
use crate::sim::{Fault, LinkProfile, NodeId, RunReport, SEC, Sim, TimeUs, VisibleState, ms};

/// Shoppers reach the data centre over the Internet: 10–30 ms one way.
pub const WAN: LinkProfile = LinkProfile {
    latency_min_us: 10_000,
    latency_jitter_us: 20_000,
    tail_ppm: 5_000,
    tail_mean_us: 40_000,
    loss_ppm: 0,
    duplicate_ppm: 0,
};

/// The node id of the crowd of shoppers.
pub const CROWD: &str = "shoppers-south";

/// A built cluster and the ids a driver needs.
pub struct Cluster {
    pub sim: Sim<ClusterNode>,
    pub metrics: ShopMetrics,
    /// The shopper the reader can follow (小明).
    pub xiaoming: NodeId,
    /// The design the cluster runs with now (switches can change it live).
    pub design: Design,
}

/// Options of the first slice: shoppers → one balancer → two app servers.
#[derive(Clone, Debug)]
pub struct SliceOptions {
    pub seed: u64,
    /// Shoppers in the crowd at the start.
    pub shoppers: u16,
    /// Shoppers the crowd can grow to in a surge (Double 11: ten times as many).
    pub surge_capacity: u16,
    pub app_servers: u16,
    /// The design switches the cluster is built with.
    pub design: Design,
}

impl Default for SliceOptions {
    fn default() -> Self {
        Self { seed: 1, shoppers: 300, surge_capacity: 3000, app_servers: 2, design: Design::default() }
    }
}

/// The session manager of app server `me` among `apps`: DeltaManager's
/// members are the other servers; Spring Session's store is `redis`.
pub fn session_config(store: SessionStoreKind, apps: &[NodeId], me: NodeId, redis: Option<NodeId>) -> SessionConfig {
    let peers = match store {
        SessionStoreKind::Replicated => apps.iter().copied().filter(|&a| a != me).collect(),
        _ => Vec::new(),
    };
    SessionConfig { store, peers, redis, ..SessionConfig::default() }
}

/// `redis`, `redis-replica` (the next id) and the `sentinels` watching them.
fn add_redis_with_sentinels(sim: &mut Sim<ClusterNode>, redis: NodeId, sentinels: &[NodeId]) {
    let replica = NodeId(redis.0 + 1);
    let config = RedisConfig::default();
    let added = sim.add_node("redis", ClusterNode::Redis(Box::new(RedisServer::master(config.clone()))));
    let added_replica =
        sim.add_node("redis-replica", ClusterNode::Redis(Box::new(RedisServer::replica_of(config, redis))));
    assert_eq!((added, added_replica), (redis, replica), "topology ids out of order");
    for (i, &me) in sentinels.iter().enumerate() {
        let peers = sentinels.iter().copied().filter(|&p| p != me).collect();
        let sentinel = Sentinel::new(SentinelConfig::default(), peers, redis, &[replica]);
        let added = sim.add_node(format!("sentinel-{}", i + 1), ClusterNode::Sentinel(Box::new(sentinel)));
        assert_eq!(added, me, "topology ids out of order");
    }
}

impl Cluster {
    /// The first slice: shoppers and Xiaoming → `lb-south-1` (round robin,
    /// sticky by session route when the design is) → `app-1`, `app-2`, whose
    /// sessions live where `design.session_store` says (for the Redis store,
    /// `redis`, `redis-replica` and `sentinel-1..3` follow the apps).
    pub fn slice(options: &SliceOptions) -> Self {
        let mut sim: Sim<ClusterNode> = Sim::new(options.seed, LinkProfile::LAN);
        let metrics = ShopMetrics::register(sim.metrics_mut());
        // Ids are handed out in insertion order: shoppers 0-1, balancer 2, apps 3...
        let lb = NodeId(2);
        let apps: Vec<NodeId> = (0..options.app_servers).map(|i| NodeId(3 + i)).collect();
        let pool = |active_at_start: u16, capacity: u16, think_mean_us| {
            let shoppers = capacity.max(active_at_start);
            let config = ShopperConfig { shoppers, active_at_start, think_mean_us, request_timeout_us: 15 * SEC };
            ClusterNode::Shoppers(ShopperPool::new(config, lb, metrics))
        };
        let xiaoming = sim.add_node("xiaoming", pool(1, 1, 2 * SEC));
        let crowd = sim.add_node(CROWD, pool(options.shoppers, options.surge_capacity, 3 * SEC));
        let store = options.design.session_store;
        // Stickiness and the algorithm come from the design (`design_apply`).
        let proxy = Balancer::new(BalancerConfig::default(), apps.clone(), metrics);
        let added_lb = sim.add_node("lb-south-1", ClusterNode::Balancer(Box::new(proxy)));
        assert_eq!(added_lb, lb, "topology ids out of order");
        // With Spring Session the sessions live in Redis (a master, its
        // replica and three sentinels), after the apps.
        let redis = (store == SessionStoreKind::Redis).then_some(NodeId(3 + options.app_servers));
        let sentinels: Vec<NodeId> = redis.map_or(Vec::new(), |r| (2..5).map(|i| NodeId(r.0 + i)).collect());
        for (i, &app) in apps.iter().enumerate() {
            let sessions = SessionConfig { sentinels: sentinels.clone(), ..session_config(store, &apps, app, redis) };
            let server = AppServer::new(AppServerConfig::default()).with_sessions(sessions, metrics);
            let added = sim.add_node(format!("app-{}", i + 1), ClusterNode::App(Box::new(server)));
            assert_eq!(added, app, "topology ids out of order");
        }
        if let Some(redis) = redis {
            add_redis_with_sentinels(&mut sim, redis, &sentinels);
        }
        for shopper in [xiaoming, crowd] {
            sim.network_mut().set_link(shopper, lb, WAN);
            sim.network_mut().set_link(lb, shopper, WAN);
        }
        properties::register(sim.properties_mut());
        super::design_apply::configure(&mut sim, &options.design);
        sim.start();
        Self { sim, metrics, xiaoming, design: options.design }
    }

    pub fn node_ids(&self) -> impl Iterator<Item = NodeId> + use<> {
        (0..self.sim.nodes().len() as u16).map(NodeId)
    }

    /// What the diagram shows for a node.
    pub fn visible_state(&self, id: NodeId) -> VisibleState {
        let partitioned = self.sim.network().touches_partition(id);
        self.sim.lifecycle(id).visible(partitioned)
    }

    /// A headline metric by its `data-metric` name, as a plain number.
    pub fn metric(&self, name: &str) -> u64 {
        let m = self.sim.metrics();
        match name {
            "latency-p50-ms" => m.hist(self.metrics.latency_us).quantile(500) / ms(1),
            "latency-p99-ms" => m.hist(self.metrics.latency_us).quantile(990) / ms(1),
            "oversold" => self.units_oversold(),
            other => m.value(other),
        }
    }

    /// A reader's action on a node, applied at once.
    pub fn inject(&mut self, fault: Fault) {
        self.sim.inject(fault);
    }

    /// Advance the run to `target_us`, doing at most `max_events`.
    pub fn run_until(&mut self, target_us: TimeUs, max_events: u64) -> RunReport {
        self.sim.run_until(target_us, max_events)
    }

    /// How many shoppers of the crowd shop from now on (a surge when raised;
    /// capped at the crowd's capacity). Traced like a reader's action.
    pub fn set_shoppers(&mut self, shoppers: u16) {
        let Some(crowd) = self.sim.id_of(CROWD) else { return };
        self.sim.command(crowd, "set-shoppers", |node, ctx| {
            if let ClusterNode::Shoppers(pool) = node {
                pool.set_active(ctx, shoppers);
            }
        });
    }

    /// How many shoppers the crowd can grow to.
    pub fn crowd_capacity(&self) -> u16 {
        match self.sim.id_of(CROWD).map(|id| self.sim.node(id)) {
            Some(ClusterNode::Shoppers(pool)) => pool.config.shoppers,
            _ => 0,
        }
    }

    /// Shoppers of the crowd shopping now.
    pub fn active_shoppers(&self) -> u16 {
        match self.sim.id_of(CROWD).map(|id| self.sim.node(id)) {
            Some(ClusterNode::Shoppers(pool)) => pool.active,
            _ => 0,
        }
    }

    /// The app server the followed shopper's session lives on, if any.
    pub fn xiaoming_server(&self) -> Option<NodeId> {
        match self.sim.node(self.xiaoming) {
            ClusterNode::Shoppers(pool) => pool.shoppers.first().and_then(|s| s.session).map(|c| c.route),
            _ => None,
        }
    }
}
