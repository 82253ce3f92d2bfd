//! The two-sites-three-centres variant: one city with two data centres, a second city far away.
//!
//! Owns the layout of the disaster-recovery model: shoppers in two regions
//! reach the shop by name (their browsers' DNS cache → their ISP's resolver
//! → the GSLB); three centres — Guangzhou A (primary), Guangzhou B (same
//! city, about 1 ms away, replicating semi-synchronously when the design says
//! semi-sync) and Wuhan (a remote city, 10–30 ms away, always asynchronous) —
//! each with a web tier and a MySQL server; the GSLB probing them. Never holds
//! behaviour: `dr`, `site_front`, `dns_entry` and `replication` do.

use super::dns::{Authoritative, AuthoritativeConfig, DnsClient, DnsClientConfig, Region, Resolver, ResolverConfig};
use super::dns_entry::DnsEntry;
use super::dr::{Centre, DrConfig, DrController};
use super::metrics::ShopMetrics;
use super::node::ClusterNode;
use super::replication::{MysqlNode, ReplicationConfig, SyncMode};
use super::shopper::{ShopperConfig, ShopperPool};
use super::site_front::{SiteFront, SiteFrontConfig};
use super::topology::{Cluster, SliceOptions, WAN};
use super::topology_full::SHOP_NAME;
use super::{full_properties, properties};
use crate::sim::{LinkProfile, NodeId, SEC, Sim};

/// Every node of the variant, in layer order. Ids are positions here.
pub const SITE_NODES: [&str; 13] = [
    "shoppers-south",
    "shoppers-central",
    "browsers-south",
    "browsers-central",
    "resolver-south",
    "resolver-central",
    "gslb",
    "gz-a-web",
    "gz-a-db",
    "gz-b-web",
    "gz-b-db",
    "wh-web",
    "wh-db",
];

/// The centres: (name, city, web, database, region), primary first.
pub const CENTRES: [(&str, &str, &str, &str, Region); 3] = [
    ("gz-a", "Guangzhou", "gz-a-web", "gz-a-db", Region(0)),
    ("gz-b", "Guangzhou", "gz-b-web", "gz-b-db", Region(0)),
    ("wh", "Wuhan", "wh-web", "wh-db", Region(1)),
];

/// Two data centres in one city: dark fibre, about a millisecond.
pub const METRO: LinkProfile = LinkProfile {
    latency_min_us: 800,
    latency_jitter_us: 400,
    tail_ppm: 1_000,
    tail_mean_us: 5_000,
    loss_ppm: 0,
    duplicate_ppm: 0,
};

/// A browser talking to its own DNS cache: no network at all.
const IN_PROCESS: LinkProfile = LinkProfile::fixed(0);

/// The id of a node of the variant (panics on a name not in the list).
pub fn site_id(name: &str) -> NodeId {
    let index = SITE_NODES.iter().position(|&n| n == name).unwrap_or_else(|| panic!("no node {name} in SITE_NODES"));
    NodeId(index as u16)
}

impl Cluster {
    /// The machines of a data centre, if this cluster has one by that name.
    pub fn centre_nodes(&self, centre: &str) -> Option<Vec<NodeId>> {
        self.sim.nodes().iter().find_map(|node| match node {
            ClusterNode::DrController(dr) => dr.centres.iter().find(|c| c.name == centre).map(|c| vec![c.web, c.db]),
            _ => None,
        })
    }

    /// Two sites, three centres.
    pub fn sites(options: &SliceOptions) -> Self {
        let mut sim: Sim<ClusterNode> = Sim::new(options.seed, WAN);
        let metrics = ShopMetrics::register(sim.metrics_mut());
        for name in SITE_NODES {
            sim.add_node(name, build(name, options, metrics));
        }
        wire(&mut sim);
        properties::register(sim.properties_mut());
        full_properties::register(sim.properties_mut());
        super::design_apply::configure(&mut sim, &options.design);
        // The remote city is always asynchronous: nobody waits 30 ms per commit.
        if let ClusterNode::Mysql(wh) = sim.node_mut(site_id("wh-db")) {
            wh.config.mode = SyncMode::Async;
        }
        sim.start();
        Self { sim, metrics, xiaoming: site_id("shoppers-south"), design: options.design }
    }
}

fn wire(sim: &mut Sim<ClusterNode>) {
    let mut both = |a: &str, b: &str, profile: LinkProfile| {
        sim.network_mut().set_link(site_id(a), site_id(b), profile);
        sim.network_mut().set_link(site_id(b), site_id(a), profile);
    };
    both("shoppers-south", "browsers-south", IN_PROCESS);
    both("shoppers-central", "browsers-central", IN_PROCESS);
    for a in ["gz-a-web", "gz-a-db"] {
        for b in ["gz-b-web", "gz-b-db"] {
            both(a, b, METRO);
        }
    }
    for (web, db) in [("gz-a-web", "gz-a-db"), ("gz-b-web", "gz-b-db"), ("wh-web", "wh-db")] {
        both(web, db, LinkProfile::LAN);
    }
}

fn build(name: &str, options: &SliceOptions, metrics: ShopMetrics) -> ClusterNode {
    let shoppers = |active: u16, capacity: u16, entry: &str| {
        let config = ShopperConfig {
            shoppers: capacity.max(active),
            active_at_start: active,
            think_mean_us: 3 * SEC,
            request_timeout_us: 15 * SEC,
        };
        ClusterNode::Shoppers(ShopperPool::new(config, site_id(entry), metrics))
    };
    let browsers = |region: Region, resolver: &str| {
        // Chrome keeps a resolved host for a minute, whatever the TTL.
        let config = DnsClientConfig { region, positive_ttl_us: 60 * SEC, ..DnsClientConfig::default() };
        ClusterNode::DnsEntry(Box::new(DnsEntry::new(DnsClient::new(config, site_id(resolver)), SHOP_NAME)))
    };
    let replication = ReplicationConfig::default();
    match name {
        "shoppers-south" => shoppers(options.shoppers, options.surge_capacity, "browsers-south"),
        "shoppers-central" => shoppers(options.shoppers / 2, options.surge_capacity / 2, "browsers-central"),
        "browsers-south" => browsers(Region(0), "resolver-south"),
        "browsers-central" => browsers(Region(1), "resolver-central"),
        "resolver-south" | "resolver-central" => {
            let region = if name == "resolver-south" { Region(0) } else { Region(1) };
            ClusterNode::Resolver(Box::new(Resolver::new(
                ResolverConfig { region, ..ResolverConfig::default() },
                site_id("gslb"),
            )))
        }
        "gslb" => {
            let centres = CENTRES
                .map(|(name, city, web, db, region)| Centre { name, city, web: site_id(web), db: site_id(db), region })
                .to_vec();
            let dns = Authoritative::new(AuthoritativeConfig::default());
            ClusterNode::DrController(Box::new(DrController::new(DrConfig::default(), centres, dns, SHOP_NAME)))
        }
        "gz-a-web" | "gz-b-web" | "wh-web" => {
            let base = 1_000_000 * (1 + CENTRES.iter().position(|c| c.2 == name).unwrap_or(0) as u32);
            ClusterNode::SiteFront(Box::new(SiteFront::new(SiteFrontConfig::default(), site_id("gz-a-db"), base)))
        }
        "gz-a-db" => ClusterNode::Mysql(Box::new(MysqlNode::source(replication))),
        "gz-b-db" | "wh-db" => ClusterNode::Mysql(Box::new(MysqlNode::replica(replication, site_id("gz-a-db")))),
        other => panic!("SITE_NODES names {other}, which build does not know"),
    }
}
