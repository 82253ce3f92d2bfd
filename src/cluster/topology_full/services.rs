//! The application layer of the default topology: the gateway and the
//! services, each with the provider side of its methods, built per design.
//!
//! Owns how each design switch reaches the services: the product cache
//! (off, cache-aside, single-flight), the stock lock (none, ZooKeeper, with
//! the store's fencing check set in `topology_full`), two-phase commit (the
//! order service goes through `tpc`, whose participants are the order
//! service and the inventory instance owning the product's shard — products
//! 1–500 on inventory-1, 501–1000 on inventory-2 — or commits on its own and
//! calls an inventory instance), the gateway's rate limiter, and MyCat's settings for
//! the shop (read/write splitting, the order table's key ranges). Never
//! builds the other layers.

use super::id;
use crate::cluster::design::{CacheDesign, Design, LockDesign, RateLimitDesign};
use crate::cluster::gateway::{Gateway, GatewayConfig, RetryConfig};
use crate::cluster::gateway_host::GatewayHost;
use crate::cluster::inventory::{InventoryService, InventoryServiceConfig};
use crate::cluster::metrics::ShopMetrics;
use crate::cluster::mq::{MqConsumer, MqConsumerConfig, MqPublisher, MqPublisherConfig, Outbox, OutboxConfig};
use crate::cluster::mycat::{Balance, KeyRange, MycatConfig, ShardRule};
use crate::cluster::node::{ClusterNode, ServiceHost};
use crate::cluster::product_cache::{CacheAside, CacheAsideConfig, StampedeGuard};
use crate::cluster::rate_limit::{Algorithm, RateLimitConfig, StorePolicy, TokenBucketConfig, WindowConfig};
use crate::cluster::registry::{RegistryClient, RegistryConfig, ServiceKind};
use crate::cluster::rpc::{RpcClient, RpcConfig};
use crate::cluster::service_host::{Flow, OrderFlow, PaymentFlow, ProductFlow};
use crate::cluster::two_phase::{Enlist, ProductShard, Resource, TpcParticipant, TpcParticipantConfig};
use crate::cluster::zk_lock::{LockClient, LockClientConfig};
use crate::sim::{NodeId, SEC};

/// The shop's registry clients: Nacos 1.x defaults with
/// `namingPushEmptyProtection` on, and a warm cache of the running shop's
/// instances (the shop was running before the simulation starts).
fn registry_client(provides: &[ServiceKind], subscribes: &[ServiceKind]) -> RegistryClient {
    let config = RegistryConfig { push_empty_protection: true, ..RegistryConfig::default() };
    let mut client = RegistryClient::new(config, id("registry"), provides, subscribes);
    for &service in subscribes {
        let names: &[&str] = match service {
            ServiceKind::Product => &["product-1", "product-2"],
            ServiceKind::Order => &["order"],
            ServiceKind::Payment => &["payment"],
            ServiceKind::Inventory => &["inventory-1", "inventory-2"],
            ServiceKind::Notification => &["notification"],
            ServiceKind::User => &[],
        };
        client.assume_cached(service, &names.iter().map(|n| id(n)).collect::<Vec<_>>());
    }
    client
}

fn service(kind: ServiceKind, subscribes: &[ServiceKind]) -> ServiceHost {
    ServiceHost::new(kind, registry_client(&[kind], subscribes))
}

/// A 2PC participant whose work the host does against the real store.
fn participant(resource: Resource) -> TpcParticipant {
    let config = TpcParticipantConfig { external_work: true, ..TpcParticipantConfig::default() };
    TpcParticipant::new(config, resource, id("tpc"))
}

/// The gateway with its registry client, subscribed to the routed services,
/// and SCG's `Retry` filter with its defaults on every route (GETs only).
pub fn gateway(design: &Design, metrics: ShopMetrics) -> ClusterNode {
    let retry = Some(RetryConfig::default());
    let config = GatewayConfig { rate_limit: rate_limit(design.rate_limit), retry, ..GatewayConfig::default() };
    let subscribes = [ServiceKind::Product, ServiceKind::Order, ServiceKind::Payment];
    let registry = registry_client(&[], &subscribes);
    ClusterNode::Gateway(Box::new(GatewayHost::new(Gateway::new(config), registry, Some(metrics))))
}

/// One limiter per service, sized for the shop's services (the SCG
/// documentation's 10/s, burst 20 is per user key; the shop's product
/// service alone takes ~50 calls a second from 450 shoppers).
pub fn rate_limit(design: RateLimitDesign) -> Option<RateLimitConfig> {
    let algorithm = match design {
        RateLimitDesign::Off => return None,
        RateLimitDesign::TokenBucket => Algorithm::TokenBucket(TokenBucketConfig {
            replenish_per_s: 200,
            burst_capacity: 400,
            ..TokenBucketConfig::default()
        }),
        RateLimitDesign::SlidingWindow => Algorithm::SlidingWindow(WindowConfig { limit: 200, window_us: SEC }),
    };
    Some(RateLimitConfig { algorithm, store_policy: StorePolicy::FailOpen })
}

/// The 2PC coordinator's participants and enlistment: the order service in
/// every transaction, the stock by product id (the product table's ranges).
pub fn tpc_participants() -> (Vec<NodeId>, Enlist) {
    let shards =
        vec![ProductShard { lo: 1, hi: 500, participant: 1 }, ProductShard { lo: 501, hi: 1000, participant: 2 }];
    (vec![id("order"), id("inventory-1"), id("inventory-2")], Enlist::ByProduct { always: vec![0], shards })
}

/// MyCat for the shop: products 1–500 / 501–1000 (the source text's ranges),
/// the order table's two ranges, reads to the replicas (`balance` 1).
pub fn mycat_config() -> MycatConfig {
    let ranges = vec![
        KeyRange { lo: 1, hi: 500, shard: 0 },
        KeyRange { lo: 501, hi: 1000, shard: 1 },
        KeyRange { lo: 1_000_001, hi: 1_500_000, shard: 0 },
        KeyRange { lo: 1_500_001, hi: 2_000_000, shard: 1 },
    ];
    MycatConfig { rule: ShardRule::Range(ranges), balance: Balance::ReadHosts, ..MycatConfig::default() }
}

/// Single-flight only with the `single-flight` value.
pub fn stampede_guard(design: CacheDesign) -> StampedeGuard {
    if design == CacheDesign::SingleFlight { StampedeGuard::SingleFlight } else { StampedeGuard::None }
}

fn product(name: &str, design: &Design) -> ServiceHost {
    // The cache-aside client's "database" is its own host, which turns each
    // load into a MyCat query. The client exists even with the cache off, so
    // the switch can be flipped live (`design_apply`).
    let config = CacheAsideConfig { guard: stampede_guard(design.product_cache), ..CacheAsideConfig::default() };
    let aside = CacheAside::new(config, id("product-cache"), id(name));
    let mut flow = ProductFlow::new(id("mycat"), Some(aside));
    flow.cache_on = design.product_cache != CacheDesign::Off;
    let mut host = service(ServiceKind::Product, &[]);
    host.flow = Some(Flow::Product(Box::new(flow)));
    host
}

fn inventory(name: &str, design: &Design) -> ServiceHost {
    let mut host = service(ServiceKind::Inventory, &[]);
    let guid = if name == "inventory-1" { 1 } else { 2 };
    let lock = LockClient::new(LockClientConfig::default(), id("zk"), guid);
    let config =
        InventoryServiceConfig { use_lock: design.lock != LockDesign::Off, ..InventoryServiceConfig::default() };
    host.inventory = Some(InventoryService::new(config, id("inventory-db"), lock));
    // Each inventory instance is the 2PC participant of its shard's stock.
    host.participant = Some(participant(Resource::Stock));
    host.flow = Some(Flow::Inventory(Box::default()));
    host
}

/// The services of the default topology (None for any other name).
pub fn build_service(name: &str, design: &Design) -> Option<ClusterNode> {
    use ServiceKind as S;
    let host = match name {
        "product-1" | "product-2" => product(name, design),
        "order" => {
            let mut host = service(S::Order, &[S::Inventory, S::Payment]);
            host.participant = Some(participant(Resource::Orders));
            let rpc = RpcClient::new(RpcConfig::default());
            host.flow = Some(Flow::Order(Box::new(OrderFlow::new(id("mycat"), id("tpc"), design.two_phase, rpc))));
            host
        }
        "payment" => {
            let mut host = service(S::Payment, &[]);
            host.publisher = Some(MqPublisher::new(MqPublisherConfig::default(), id("mq"), 0));
            let mut flow = PaymentFlow::new(id("mycat"));
            // The payment row and its event in one transaction; a relay publishes.
            flow.outbox = Some(Outbox::new(OutboxConfig::default(), 0));
            host.flow = Some(Flow::Payment(Box::new(flow)));
            host
        }
        "inventory-1" | "inventory-2" => inventory(name, design),
        "notification" => {
            let mut host = service(S::Notification, &[]);
            host.consumer = Some(MqConsumer::new(MqConsumerConfig::default(), id("mq")));
            host
        }
        _ => return None,
    };
    Some(ClusterNode::Service(Box::new(host)))
}
