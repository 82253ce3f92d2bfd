//! What the configuration snippets need to know about a built cluster, under a design.
//!
//! Owns `Facts`: the names the diagram uses (balancers and their upstreams,
//! the keepalived pairs and their VIPs, Tomcats, Redis, MyCat's data hosts,
//! MySQL servers, ZooKeeper, the gateway) and the settings each node runs
//! with. A setting that a design switch governs is read from a copy of the
//! node after `apply_design` (the model's own mapping, the one a live switch
//! uses), so a snippet shows exactly what the model would run. Also owns the
//! stand-in addresses (the model has node names, not IPs). Never changes the
//! cluster it reads.

use crate::cluster::app_server::SessionConfig;
use crate::cluster::balancer::BalancerConfig;
use crate::cluster::design::Design;
use crate::cluster::gateway::GatewayConfig;
use crate::cluster::mycat::MycatConfig;
use crate::cluster::node::ClusterNode;
use crate::cluster::product_cache::CacheAsideConfig;
use crate::cluster::replication::{ReplicationConfig, Role};
use crate::cluster::service_host::Flow;
use crate::cluster::topology::Cluster;
use crate::cluster::vrrp::VrrpConfig;
use crate::cluster::zk_lock::{LockClientConfig, ZkConfig};
use crate::sim::NodeId;

/// One upstream of a balancer, by the diagram's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    pub name: String,
    /// `weight=` as configured (the autoscaler's powered-off machines keep theirs).
    pub weight: u32,
    /// Powered on and in the rotation now.
    pub in_rotation: bool,
}

/// A balancer and the settings it runs with under the design.
#[derive(Clone, Debug)]
pub struct BalancerFacts {
    pub name: String,
    pub config: BalancerConfig,
    pub upstreams: Vec<Upstream>,
}

/// One keepalived router of a pair.
#[derive(Clone, Debug)]
pub struct VrrpRouterFacts {
    pub name: String,
    pub config: VrrpConfig,
}

/// A keepalived pair and the virtual IP it holds.
#[derive(Clone, Debug)]
pub struct VrrpPair {
    /// The diagram's name of the VIP (`vip-south`).
    pub vip: String,
    pub routers: Vec<VrrpRouterFacts>,
}

/// A MySQL server.
#[derive(Clone, Debug)]
pub struct MysqlFacts {
    pub name: String,
    /// The source it replicates from, if it is a replica now.
    pub source: Option<String>,
    pub config: ReplicationConfig,
}

/// MyCat and its data hosts (`dataHost`), first write host first.
#[derive(Clone, Debug)]
pub struct MycatFacts {
    pub name: String,
    pub config: MycatConfig,
    pub data_hosts: Vec<Vec<String>>,
}

/// The stock lock: ZooKeeper, its clients and the store that may check tokens.
#[derive(Clone, Debug)]
pub struct LockFacts {
    pub zk: String,
    pub server: ZkConfig,
    pub client: LockClientConfig,
    /// The inventory services that take the lock.
    pub holders: Vec<String>,
    /// The stock store (`inventory-db`) and whether it checks fencing tokens.
    pub store: String,
    pub store_checks_tokens: bool,
}

/// Everything the snippets read, in the diagram's names.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub balancers: Vec<BalancerFacts>,
    pub vrrp_pairs: Vec<VrrpPair>,
    /// Every Tomcat, in order, with its session manager's settings.
    pub apps: Vec<(String, SessionConfig)>,
    /// Spring Session's Redis and the sentinels the Tomcats ask, by name.
    pub redis: Option<String>,
    pub sentinels: Vec<String>,
    pub mycat: Option<MycatFacts>,
    pub mysql: Vec<MysqlFacts>,
    pub lock: Option<LockFacts>,
    pub gateway: Option<(String, GatewayConfig)>,
    /// The product cache's node and the cache-aside settings of the product service.
    pub product_cache: Option<(String, CacheAsideConfig)>,
}

impl Facts {
    /// Read `cluster` as it would run under `design`.
    pub fn read(cluster: &Cluster, design: &Design) -> Self {
        let mut facts = Facts::default();
        let name = |id: NodeId| cluster.sim.name(id).to_string();
        for index in 0..cluster.sim.nodes().len() {
            let id = NodeId(index as u16);
            // Only the kinds a snippet reads are copied (a crowd of shoppers is large).
            if !is_read(cluster.sim.node(id)) {
                continue;
            }
            let mut node = cluster.sim.node(id).clone();
            node.apply_design(None, design);
            facts.add(&name, name(id), node);
        }
        facts
    }

    fn add(&mut self, name: &dyn Fn(NodeId) -> String, me: String, node: ClusterNode) {
        match node {
            ClusterNode::Balancer(b) => self.add_balancer(name, me, &b),
            ClusterNode::KeepalivedLb(host) => {
                self.add_balancer(name, me.clone(), &host.proxy);
                let vip = host.router.arp_listeners.first().map_or_else(|| me.clone(), |&v| name(v));
                let router = VrrpRouterFacts { name: me, config: host.router.config.clone() };
                match self.vrrp_pairs.iter_mut().find(|p| p.vip == vip) {
                    Some(pair) => pair.routers.push(router),
                    None => self.vrrp_pairs.push(VrrpPair { vip, routers: vec![router] }),
                }
            }
            ClusterNode::App(app) => {
                let config = app.sessions.config.clone();
                if let Some(redis) = config.redis {
                    self.redis = Some(name(redis));
                    self.sentinels = config.sentinels.iter().map(|&s| name(s)).collect();
                }
                self.apps.push((me, config));
            }
            ClusterNode::Mycat(m) => {
                let data_hosts = m.data_hosts.iter().map(|d| d.hosts.iter().map(|&h| name(h)).collect()).collect();
                self.mycat = Some(MycatFacts { name: me, config: m.config.clone(), data_hosts });
            }
            ClusterNode::Mysql(m) => {
                let source = match m.role {
                    Role::Source => None,
                    Role::Replica { source } => Some(name(source)),
                };
                self.mysql.push(MysqlFacts { name: me, source, config: m.config });
            }
            ClusterNode::Zk(zk) => self.lock_mut(&me).server = zk.config,
            ClusterNode::InventoryStore(store) => {
                let lock = self.lock_mut("");
                lock.store = me;
                lock.store_checks_tokens = store.config.fencing;
            }
            ClusterNode::Gateway(g) => self.gateway = Some((me, g.gateway.config.clone())),
            ClusterNode::Service(s) => {
                if let Some(inventory) = &s.inventory {
                    let lock = self.lock_mut("");
                    lock.client = inventory.lock.config.clone();
                    lock.holders.push(me.clone());
                }
                if let Some(Flow::Product(p)) = &s.flow
                    && let Some(aside) = &p.aside
                {
                    self.product_cache = Some((name(aside.cache), aside.config));
                }
            }
            _ => {}
        }
    }

    fn add_balancer(&mut self, name: &dyn Fn(NodeId) -> String, me: String, b: &crate::cluster::balancer::Balancer) {
        let upstreams = b
            .upstreams
            .iter()
            .enumerate()
            .map(|(i, &u)| Upstream {
                name: name(u),
                weight: b.config.weight_of(i),
                in_rotation: b.peers.get(i).is_some_and(|p| p.weight > 0),
            })
            .collect();
        self.balancers.push(BalancerFacts { name: me, config: b.config.clone(), upstreams });
    }

    /// The lock's facts, made on first sight of any of its parts; `zk` names
    /// the ZooKeeper node when this is it.
    fn lock_mut(&mut self, zk: &str) -> &mut LockFacts {
        let lock = self.lock.get_or_insert_with(|| LockFacts {
            zk: String::new(),
            server: ZkConfig::default(),
            client: LockClientConfig::default(),
            holders: Vec::new(),
            store: String::new(),
            store_checks_tokens: false,
        });
        if !zk.is_empty() {
            lock.zk = zk.to_string();
        }
        lock
    }

    /// The balancers, grouped by identical upstream lists (one file serves
    /// them all): each group's balancer names and its first balancer.
    pub fn balancer_groups(&self) -> Vec<(Vec<&str>, &BalancerFacts)> {
        let mut groups: Vec<(Vec<&str>, &BalancerFacts)> = Vec::new();
        for b in &self.balancers {
            match groups.iter_mut().find(|(_, first)| first.upstreams == b.upstreams && first.config == b.config) {
                Some((names, _)) => names.push(&b.name),
                None => groups.push((vec![&b.name], b)),
            }
        }
        groups
    }

    /// The VIP pair a balancer belongs to, if any.
    pub fn pair_of(&self, balancer: &str) -> Option<(usize, &VrrpPair)> {
        self.vrrp_pairs.iter().enumerate().find(|(_, p)| p.routers.iter().any(|r| r.name == balancer))
    }
}

/// Whether a snippet reads this kind of node.
fn is_read(node: &ClusterNode) -> bool {
    use ClusterNode as N;
    matches!(
        node,
        N::Balancer(_)
            | N::KeepalivedLb(_)
            | N::App(_)
            | N::Mycat(_)
            | N::Mysql(_)
            | N::Zk(_)
            | N::InventoryStore(_)
            | N::Gateway(_)
            | N::Service(_)
    )
}

/// A stand-in address for the `index`-th VIP (TEST-NET-1, RFC 5737): the
/// model names nodes, it has no addresses.
pub fn vip_address(index: usize) -> String {
    format!("192.0.2.{}", 10 + index)
}

/// A stand-in address for an upstream server, by its position in the list.
pub fn server_address(index: usize) -> String {
    format!("10.0.1.{}", 1 + index)
}
