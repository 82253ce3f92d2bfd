//! `ClusterNode`: every kind of node in the shop, and how the kernel's calls
//! reach the mechanism (or mechanisms) a node runs.
//!
//! Owns the closed set of node kinds and the dispatch of messages by their
//! protocol: a keepalived balancer host hands VRRP adverts to its router and
//! HTTP to its proxy; a MyCat node hands client queries and MySQL answers to
//! the two sides of the proxy. Messages of a protocol a node does not speak
//! are ignored, as a closed port would. Never holds behaviour of its own.

use super::app_server::AppServer;
use super::autoscaler::Autoscaler;
use super::balancer::Balancer;
use super::cdn::CdnEdge;
use super::dns::{Authoritative, Resolver};
use super::dns_entry::DnsEntry;
use super::dr::DrController;
use super::gateway_host::GatewayHost;
use super::http_cache::Origin;
use super::inventory::InventoryStore;
use super::message::Msg;
use super::mq::{MqBroker, MqConsumer};
use super::mycat::Mycat;
use super::product_cache::CacheStore;
use super::redis::{RedisServer, Sentinel};
use super::registry::Registry;
use super::replication::MysqlNode;
pub use super::service_host::ServiceHost;
use super::shopper::ShopperPool;
use super::site_front::SiteFront;
use super::timer_tag;
use super::two_phase::{TpcCoordinator, TpcParticipant};
use super::vip_router::VipRouter;
use super::vrrp::VrrpRouter;
use super::zk_lock::ZkServer;
use crate::sim::{Ctx, Node, NodeId, TimerKey};

/// A balancer host running keepalived: an nginx proxy and a VRRP router.
#[derive(Clone, Debug)]
pub struct KeepalivedLb {
    pub proxy: Balancer,
    pub router: VrrpRouter,
}

/// Every kind of node in the model.
#[derive(Clone, Debug)]
pub enum ClusterNode {
    Shoppers(ShopperPool),
    Balancer(Box<Balancer>),
    KeepalivedLb(Box<KeepalivedLb>),
    Vip(Box<VipRouter>),
    App(Box<AppServer>),
    Dns(Box<Authoritative>),
    Resolver(Box<Resolver>),
    Cdn(Box<CdnEdge>),
    Origin(Box<Origin>),
    Gateway(Box<GatewayHost>),
    Registry(Box<Registry>),
    Service(Box<ServiceHost>),
    ProductCache(Box<CacheStore>),
    Zk(Box<ZkServer>),
    InventoryStore(Box<InventoryStore>),
    TpcCoordinator(Box<TpcCoordinator>),
    TpcParticipant(Box<TpcParticipant>),
    MqBroker(Box<MqBroker>),
    MqConsumer(Box<MqConsumer>),
    Mycat(Box<Mycat>),
    Mysql(Box<MysqlNode>),
    Redis(Box<RedisServer>),
    Sentinel(Box<Sentinel>),
    Autoscaler(Box<Autoscaler>),
    DnsEntry(Box<DnsEntry>),
    SiteFront(Box<SiteFront>),
    DrController(Box<DrController>),
}

/// The kind of a node, for drawing and inspectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Shoppers,
    Balancer,
    Vip,
    App,
    Edge,
    Service,
    Coordination,
    Storage,
}

impl ClusterNode {
    pub fn kind(&self) -> NodeKind {
        match self {
            Self::Shoppers(_) => NodeKind::Shoppers,
            Self::Balancer(_) | Self::KeepalivedLb(_) => NodeKind::Balancer,
            Self::Vip(_) => NodeKind::Vip,
            Self::App(_) => NodeKind::App,
            Self::Dns(_)
            | Self::Resolver(_)
            | Self::Cdn(_)
            | Self::Origin(_)
            | Self::DnsEntry(_)
            | Self::DrController(_) => NodeKind::Edge,
            Self::SiteFront(_) => NodeKind::App,
            Self::Gateway(_) | Self::Registry(_) | Self::Service(_) | Self::ProductCache(_) | Self::Autoscaler(_) => {
                NodeKind::Service
            }
            Self::Zk(_)
            | Self::InventoryStore(_)
            | Self::TpcCoordinator(_)
            | Self::TpcParticipant(_)
            | Self::MqBroker(_)
            | Self::MqConsumer(_) => NodeKind::Coordination,
            Self::Mycat(_) | Self::Mysql(_) | Self::Redis(_) | Self::Sentinel(_) => NodeKind::Storage,
        }
    }

    /// The plain balancer of a node, if it runs one (alone or with keepalived).
    pub fn balancer(&self) -> Option<&Balancer> {
        match self {
            Self::Balancer(b) => Some(b),
            Self::KeepalivedLb(h) => Some(&h.proxy),
            _ => None,
        }
    }
}

impl Node for ClusterNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        match self {
            Self::Shoppers(n) => n.on_start(ctx),
            Self::Balancer(n) => n.on_start(ctx),
            Self::KeepalivedLb(h) => {
                h.proxy.on_start(ctx);
                h.router.on_start(ctx);
            }
            Self::Vip(n) => n.on_start(ctx),
            Self::App(n) => n.on_start(ctx),
            Self::Registry(n) => n.on_start(ctx),
            Self::Gateway(n) => n.on_start(ctx),
            Self::Service(s) => s.on_start(ctx),
            Self::Zk(n) => n.on_start(ctx),
            Self::TpcCoordinator(n) => n.on_start(ctx),
            Self::TpcParticipant(n) => n.on_start(ctx),
            Self::MqBroker(n) => n.on_start(ctx),
            Self::MqConsumer(n) => n.on_start(ctx),
            Self::Mycat(n) => n.on_start(ctx),
            Self::Mysql(n) => n.on_start(ctx),
            Self::Redis(n) => n.on_start(ctx),
            Self::Sentinel(n) => n.on_start(ctx),
            Self::Autoscaler(n) => n.on_start(ctx),
            Self::DrController(n) => n.on_start(ctx),
            Self::DnsEntry(_) | Self::SiteFront(_) => {}
            Self::Dns(_)
            | Self::Resolver(_)
            | Self::Cdn(_)
            | Self::Origin(_)
            | Self::ProductCache(_)
            | Self::InventoryStore(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        super::node_dispatch::deliver(self, ctx, from, msg);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        super::node_dispatch::timer(self, ctx, key);
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: Msg) {
        super::node_dispatch::refused(self, ctx, to, msg);
    }

    fn on_crash(&mut self) {
        match self {
            Self::Shoppers(n) => n.on_crash(),
            Self::Balancer(n) => n.on_crash(),
            Self::KeepalivedLb(h) => {
                h.proxy.on_crash();
                h.router.on_crash();
            }
            Self::Vip(n) => n.on_crash(),
            Self::App(n) => n.on_crash(),
            Self::Dns(n) => n.on_crash(),
            Self::Resolver(n) => n.on_crash(),
            Self::Cdn(n) => n.on_crash(),
            Self::Origin(n) => n.on_crash(),
            Self::Gateway(n) => n.on_crash(),
            Self::Registry(n) => n.on_crash(),
            Self::Service(s) => s.on_crash(),
            Self::ProductCache(n) => n.on_crash(),
            Self::Zk(n) => n.on_crash(),
            Self::TpcCoordinator(n) => n.on_crash(),
            Self::TpcParticipant(n) => n.on_crash(),
            Self::MqBroker(n) => n.on_crash(),
            Self::MqConsumer(n) => n.on_crash(),
            Self::Mycat(n) => n.on_crash(),
            Self::Mysql(n) => n.on_crash(),
            Self::Redis(n) => n.on_crash(),
            Self::Sentinel(n) => n.on_crash(),
            Self::Autoscaler(n) => n.on_crash(),
            Self::DnsEntry(n) => n.on_crash(),
            Self::SiteFront(n) => n.on_crash(),
            Self::DrController(n) => n.on_crash(),
            // The stock table is durable: a crash loses nothing of it.
            Self::InventoryStore(_) => {}
        }
    }
}

/// Which of a keepalived host's two mechanisms a timer belongs to.
pub(super) fn is_vrrp_timer(key: TimerKey) -> bool {
    timer_tag::tag_of(key) == timer_tag::VRRP
}
