//! The default topology of the brief: every layer, both regions, every
//! mechanism, wired together.
//!
//! Owns the node list of the whole shop (ids by name, in layer order) and the
//! wiring of each mechanism to its peers: browsers that resolve the shop by
//! name (GeoDNS gives each region its own VIP) and cache the answer,
//! keepalived pairs per region with their virtual IPs, a pool of six Tomcats
//! of which two run and four wait for the autoscaler, the registry and the
//! services that register with it, ZooKeeper and the inventory services' lock
//! clients, the 2PC coordinator and its participants, the payment →
//! notification queue, MyCat over two replicated shards, Redis, DNS and a CDN
//! edge per region. Shoppers reach their region's virtual IP through its
//! router, so keepalived failovers and split brain reach every request.
//! Every page goes through the real layers: home, login and cart are
//! answered by Tomcat; search and detail go Tomcat → gateway → a product
//! instance (from the gateway's registry cache) → cache and MyCat; an order
//! goes to the order service and through 2PC (`tpc`, participants order and
//! the inventory instance owning the product's shard, the stock sold under
//! the ZooKeeper lock at `inventory-db`); a
//! payment goes to the payment service, MyCat and the queue, from which the
//! notification service consumes. The design switches reach the services
//! through `services`. Each page's static assets load through the shopper's
//! browser cache and the region's CDN edge in front of `origin` (`edge`).

use super::app_server::{AppServer, AppServerConfig, BackendConfig};
use super::autoscaler::{Autoscaler, AutoscalerConfig, Power};
use super::balancer::{Balancer, BalancerConfig};
use super::cdn::{CdnConfig, CdnEdge};
use super::design::{Design, LockDesign};
use super::dns::{ARecord, Authoritative, AuthoritativeConfig, DnsClient, DnsClientConfig, NameId, Region};
use super::dns::{Resolver, ResolverConfig};
use super::dns_entry::DnsEntry;
use super::inventory::{InventoryStore, InventoryStoreConfig};
use super::metrics::ShopMetrics;
use super::mq::{MqBroker, MqBrokerConfig};
use super::mycat::Mycat;
use super::node::{ClusterNode, KeepalivedLb};
use super::product_cache::CacheStore;
use super::redis::{RedisConfig, RedisServer};
use super::registry::{Registry, RegistryConfig};
use super::replication::{MysqlNode, ReplicationConfig};
use super::session_store::SessionStoreKind;
use super::shopper::{ShopperConfig, ShopperPool};
use super::topology::{Cluster, SliceOptions, WAN, session_config};
use super::two_phase::{TpcCoordinator, TpcCoordinatorConfig};
use super::vip_router::VipRouter;
use super::vrrp::{InitialState, VipEntry, VipTable, VrrpConfig, VrrpRouter};
use super::zk_lock::{ZkConfig, ZkServer};
use super::{full_properties, journey_properties, properties};
use crate::sim::{LinkProfile, NodeId, SEC, Sim};

pub(super) mod edge;
pub(super) mod services;
use services::{build_service, gateway, mycat_config};

/// Every node of the default topology, in layer order. Ids are positions here.
pub const FULL_NODES: [&str; 45] = [
    // clients
    "xiaoming",
    "shoppers-south",
    "shoppers-central",
    "browsers-south",
    "browsers-central",
    // edge
    "dns",
    "resolver-south",
    "resolver-central",
    "origin",
    "cdn-south",
    "cdn-central",
    // access
    "vip-south",
    "lb-south-1",
    "lb-south-2",
    "vip-central",
    "lb-central-1",
    "lb-central-2",
    // application
    "app-1",
    "app-2",
    "app-3",
    "app-4",
    "app-5",
    "app-6",
    "autoscaler",
    "gateway",
    "registry",
    "product-1",
    "product-2",
    "order",
    "payment",
    "inventory-1",
    "inventory-2",
    "notification",
    "product-cache",
    "mq",
    "zk",
    "tpc",
    "inventory-db",
    // storage
    "mycat",
    "db-shard1-master",
    "db-shard1-replica",
    "db-shard2-master",
    "db-shard2-replica",
    "redis",
    "redis-replica",
];

/// The id of a node of the default topology (panics on a name not in the list:
/// a programming error in this file, caught by its tests).
pub fn id(name: &str) -> NodeId {
    let index = FULL_NODES.iter().position(|&n| n == name).unwrap_or_else(|| panic!("no node {name} in FULL_NODES"));
    NodeId(index as u16)
}

/// The Tomcat machines, in the order the autoscaler powers them on: every
/// balancer proxies to them and they are DeltaManager's cluster members.
pub const APP_POOL: [&str; 6] = ["app-1", "app-2", "app-3", "app-4", "app-5", "app-6"];
/// Tomcats running when the shop opens; the rest wait, powered off.
pub const IN_SERVICE_AT_START: usize = 2;

/// The shop's name in DNS.
pub const SHOP_NAME: NameId = NameId(1);
pub const SOUTH: Region = Region(0);
pub const CENTRAL: Region = Region(1);

impl Cluster {
    /// The whole shop of the brief, both regions, every mechanism.
    pub fn full(options: &SliceOptions) -> Self {
        let mut sim: Sim<ClusterNode> = Sim::new(options.seed, LinkProfile::LAN);
        let metrics = ShopMetrics::register(sim.metrics_mut());
        for name in FULL_NODES {
            let node = build_node(name, options, metrics);
            sim.add_node(name, node);
        }
        // A browser's DNS cache is in the browser: no network between them.
        for (client, browser) in [
            ("xiaoming", "browsers-south"),
            ("shoppers-south", "browsers-south"),
            ("shoppers-central", "browsers-central"),
        ] {
            sim.network_mut().set_link(id(client), id(browser), LinkProfile::fixed(0));
            sim.network_mut().set_link(id(browser), id(client), LinkProfile::fixed(0));
        }
        for client in ["browsers-south", "browsers-central"] {
            for lb in ["lb-south-1", "lb-south-2", "lb-central-1", "lb-central-2", "vip-south", "vip-central"] {
                sim.network_mut().set_link(id(client), id(lb), WAN);
                sim.network_mut().set_link(id(lb), id(client), WAN);
            }
        }
        edge::wire(&mut sim);
        properties::register(sim.properties_mut());
        full_properties::register(sim.properties_mut());
        full_properties::register_edge_witnesses(sim.properties_mut());
        journey_properties::register(sim.properties_mut());
        super::design_apply::configure(&mut sim, &options.design);
        sim.start();
        Self { sim, metrics, xiaoming: id("xiaoming"), design: options.design }
    }
}

fn shoppers(pool: &str, active: u16, capacity: u16, think_s: u64, entry: &str, metrics: ShopMetrics) -> ClusterNode {
    let config = ShopperConfig {
        shoppers: capacity.max(active),
        active_at_start: active,
        think_mean_us: think_s * SEC,
        request_timeout_us: 15 * SEC,
    };
    ClusterNode::Shoppers(ShopperPool::new(config, id(entry), metrics).with_assets(edge::assets_for(pool)))
}

/// A region's browsers: they resolve the shop's name through their ISP's
/// resolver (GeoDNS puts the region's VIP first) and keep the answer 60 s.
fn browsers(region: Region, resolver: &str) -> ClusterNode {
    let config = DnsClientConfig { region, positive_ttl_us: 60 * SEC, ..DnsClientConfig::default() };
    ClusterNode::DnsEntry(Box::new(DnsEntry::new(DnsClient::new(config, id(resolver)), SHOP_NAME)))
}

fn keepalived(vip: &str, peer: &str, master: bool, metrics: ShopMetrics) -> ClusterNode {
    let config = VrrpConfig {
        priority: if master { 100 } else { 90 },
        initial_state: if master { InitialState::Master } else { InitialState::Backup },
        ..VrrpConfig::default()
    };
    let router = VrrpRouter::new(config, vec![id(peer)], vec![id(vip)]);
    // Kind, algorithm and stickiness come from the design (`design_apply`).
    let mut proxy = Balancer::new(BalancerConfig::default(), APP_POOL.iter().map(|&a| id(a)).collect(), metrics);
    // Machines beyond the first two are powered off until the autoscaler needs them.
    APP_POOL[IN_SERVICE_AT_START..].iter().for_each(|&a| proxy.set_in_rotation(id(a), false));
    ClusterNode::KeepalivedLb(Box::new(KeepalivedLb { proxy, router }))
}

/// The router in front of a keepalived pair. The shop was running before the
/// simulation starts, so its ARP cache already points at the master.
fn vip_router(master: &str, backup: &str) -> ClusterNode {
    let vrid = VrrpConfig::default().vrid;
    let mut arp = VipTable::new(vec![id(master), id(backup)]);
    arp.entries.insert(vrid, VipEntry { holder: id(master), epoch: 0, since_us: 0 });
    ClusterNode::Vip(Box::new(VipRouter::new(arp, vrid)))
}

fn mysql(source: Option<&str>) -> ClusterNode {
    let config = ReplicationConfig::default();
    let node = match source {
        None => MysqlNode::source(config),
        Some(s) => MysqlNode::replica(config, id(s)),
    };
    ClusterNode::Mysql(Box::new(node))
}

fn build_node(name: &str, options: &SliceOptions, metrics: ShopMetrics) -> ClusterNode {
    if let Some(node) = build_edge_or_access(name, options, metrics) {
        return node;
    }
    build_application_or_storage(name, &options.design, metrics)
}

fn build_edge_or_access(name: &str, options: &SliceOptions, metrics: ShopMetrics) -> Option<ClusterNode> {
    let node = match name {
        "xiaoming" => shoppers(name, 1, 1, 2, "browsers-south", metrics),
        "shoppers-south" => shoppers(name, options.shoppers, options.surge_capacity, 3, "browsers-south", metrics),
        "shoppers-central" => {
            shoppers(name, options.shoppers / 2, options.surge_capacity / 2, 3, "browsers-central", metrics)
        }
        "browsers-south" => browsers(SOUTH, "resolver-south"),
        "browsers-central" => browsers(CENTRAL, "resolver-central"),
        "dns" => {
            let mut dns = Authoritative::new(AuthoritativeConfig::default());
            dns.add_record(SHOP_NAME, ARecord { ip: id("vip-south"), region: SOUTH });
            dns.add_record(SHOP_NAME, ARecord { ip: id("vip-central"), region: CENTRAL });
            ClusterNode::Dns(Box::new(dns))
        }
        "resolver-south" | "resolver-central" => {
            // GeoDNS sees the resolver's address: each region has its own.
            let region = if name == "resolver-south" { SOUTH } else { CENTRAL };
            ClusterNode::Resolver(Box::new(Resolver::new(
                ResolverConfig { region, ..ResolverConfig::default() },
                id("dns"),
            )))
        }
        "origin" => edge::origin(&options.design),
        "cdn-south" | "cdn-central" => ClusterNode::Cdn(Box::new(CdnEdge::new(CdnConfig::default(), id("origin")))),
        "vip-south" => vip_router("lb-south-1", "lb-south-2"),
        "vip-central" => vip_router("lb-central-1", "lb-central-2"),
        "lb-south-1" => keepalived("vip-south", "lb-south-2", true, metrics),
        "lb-south-2" => keepalived("vip-south", "lb-south-1", false, metrics),
        "lb-central-1" => keepalived("vip-central", "lb-central-2", true, metrics),
        "lb-central-2" => keepalived("vip-central", "lb-central-1", false, metrics),
        "app-1" | "app-2" | "app-3" | "app-4" | "app-5" | "app-6" => {
            let store = options.design.session_store;
            let redis = (store == SessionStoreKind::Redis).then(|| id("redis"));
            let sessions = session_config(store, &APP_POOL.map(id), id(name), redis);
            let backend = Some(BackendConfig::new(id("gateway")));
            let config = AppServerConfig { backend, ..AppServerConfig::default() };
            let mut app = AppServer::new(config).with_sessions(sessions, metrics);
            if !APP_POOL[..IN_SERVICE_AT_START].contains(&name) {
                app.power = Power::Off;
            }
            ClusterNode::App(Box::new(app))
        }
        "autoscaler" => {
            let servers = APP_POOL.iter().map(|&a| id(a)).collect();
            let balancers = ["lb-south-1", "lb-south-2", "lb-central-1", "lb-central-2"].map(id).to_vec();
            let config = AutoscalerConfig::default();
            ClusterNode::Autoscaler(Box::new(Autoscaler::new(config, servers, balancers, IN_SERVICE_AT_START)))
        }
        _ => return None,
    };
    Some(node)
}

fn build_application_or_storage(name: &str, design: &Design, metrics: ShopMetrics) -> ClusterNode {
    if let Some(node) = build_service(name, design) {
        return node;
    }
    match name {
        "gateway" => gateway(design, metrics),
        "registry" => ClusterNode::Registry(Box::new(Registry::new(RegistryConfig::default()))),
        "product-cache" => ClusterNode::ProductCache(Box::<CacheStore>::default()),
        "mq" => ClusterNode::MqBroker(Box::new(MqBroker::new(MqBrokerConfig::default()))),
        "zk" => ClusterNode::Zk(Box::new(ZkServer::new(ZkConfig::default()))),
        "tpc" => {
            let (participants, enlist) = services::tpc_participants();
            let config =
                TpcCoordinatorConfig { two_phase: design.two_phase, enlist, ..TpcCoordinatorConfig::default() };
            ClusterNode::TpcCoordinator(Box::new(TpcCoordinator::new(config, participants)))
        }
        "inventory-db" => {
            let fencing = design.lock == LockDesign::LockWithFencing;
            let mut store = InventoryStore::new(InventoryStoreConfig { fencing });
            (1..=1000).for_each(|product| store.add_stock(product, 100));
            ClusterNode::InventoryStore(Box::new(store))
        }
        "mycat" => {
            let groups = vec![
                vec![id("db-shard1-master"), id("db-shard1-replica")],
                vec![id("db-shard2-master"), id("db-shard2-replica")],
            ];
            ClusterNode::Mycat(Box::new(Mycat::new(mycat_config(), groups)))
        }
        "db-shard1-master" | "db-shard2-master" => mysql(None),
        "db-shard1-replica" => mysql(Some("db-shard1-master")),
        "db-shard2-replica" => mysql(Some("db-shard2-master")),
        "redis" => ClusterNode::Redis(Box::new(RedisServer::master(RedisConfig::default()))),
        "redis-replica" => ClusterNode::Redis(Box::new(RedisServer::replica_of(RedisConfig::default(), id("redis")))),
        other => panic!("FULL_NODES names {other}, which build_node does not know"),
    }
}
