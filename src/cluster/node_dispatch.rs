//! Routing a delivered message, a timer or a refusal to the right mechanism
//! of a `ClusterNode`, by protocol.
//!
//! Owns only the pairing of node kinds with message kinds. A message of a
//! protocol the node does not speak is dropped here, as a closed port drops a
//! packet; nothing else is decided.

use super::autoscaler::AutoscaleMsg;
use super::message::Msg;
use super::node::{ClusterNode, is_vrrp_timer};
use super::timer_tag;
use crate::sim::{Ctx, NodeId, TimerKey};

type C<'c, 'a> = &'c mut Ctx<'a, Msg>;

pub(super) fn deliver(node: &mut ClusterNode, ctx: C<'_, '_>, from: NodeId, msg: Msg) {
    use ClusterNode as N;
    match (node, msg) {
        (N::Shoppers(n), m) => n.on_message(ctx, m),
        (N::Balancer(n), Msg::Autoscale(AutoscaleMsg::Rotation { server, on })) => n.set_in_rotation(server, on),
        (N::Balancer(n), m) => n.on_message(ctx, from, m),
        (N::KeepalivedLb(h), Msg::Vrrp(m)) => h.router.on_message(ctx, from, m),
        (N::KeepalivedLb(h), Msg::Autoscale(AutoscaleMsg::Rotation { server, on })) => {
            h.proxy.set_in_rotation(server, on)
        }
        (N::KeepalivedLb(h), m) => h.proxy.on_message(ctx, from, m),
        (N::Vip(n), m) => n.on_message(ctx, from, m),
        (N::App(n), Msg::Autoscale(m)) => n.on_autoscale(ctx, from, m),
        (N::App(n), m) => n.on_message(ctx, from, m),
        (N::Autoscaler(n), Msg::Autoscale(m)) => n.on_message(ctx, from, m),
        (N::DnsEntry(n), m) => n.on_message(ctx, from, m),
        (N::SiteFront(n), m) => n.on_message(ctx, from, m),
        (N::DrController(n), m) => n.on_message(ctx, from, m),
        (N::Dns(n), Msg::Dns(m)) => n.on_message(ctx, from, m),
        (N::Resolver(n), Msg::Dns(m)) => n.on_message(ctx, from, m),
        (N::Cdn(n), Msg::HttpCache(m)) => n.on_message(ctx, from, m),
        (N::Cdn(n), Msg::Cdn(m)) => n.on_cdn_message(ctx, from, m),
        (N::Origin(n), Msg::HttpCache(m)) => n.on_message(ctx, from, m),
        (N::Gateway(n), m) => n.on_message(ctx, from, m),
        (N::Registry(n), Msg::Registry(m)) => n.on_message(ctx, from, m),
        (N::Service(s), m) => s.on_message(ctx, from, m),
        (N::ProductCache(n), Msg::Cache(m)) => n.on_message(ctx, from, m),
        (N::Zk(n), Msg::Zk(m)) => n.on_message(ctx, from, m),
        (N::InventoryStore(n), Msg::Inventory(m)) => n.on_message(ctx, from, m),
        (N::TpcCoordinator(n), Msg::Tpc(m)) => n.on_message(ctx, from, m),
        (N::TpcParticipant(n), Msg::Tpc(m)) => n.on_message(ctx, from, m),
        (N::MqBroker(n), Msg::Mq(m)) => n.on_message(ctx, from, m),
        (N::MqConsumer(n), Msg::Mq(m)) => n.on_message(ctx, m),
        (N::Mycat(n), Msg::Mycat(m)) => n.on_client(ctx, from, m),
        (N::Mycat(n), Msg::Mysql(m)) => n.on_backend(ctx, from, m),
        (N::Mysql(n), Msg::Mysql(m)) => n.on_message(ctx, from, m),
        (N::Redis(n), Msg::Redis(m)) => n.on_message(ctx, from, m),
        (N::Sentinel(n), Msg::Redis(m)) => n.on_message(ctx, from, m),
        _ => {}
    }
}

pub(super) fn timer(node: &mut ClusterNode, ctx: C<'_, '_>, key: TimerKey) {
    use ClusterNode as N;
    match node {
        N::Shoppers(n) => n.on_timer(ctx, key),
        N::Balancer(n) => n.on_timer(ctx, key),
        N::KeepalivedLb(h) if is_vrrp_timer(key) => h.router.on_timer(ctx, key),
        N::KeepalivedLb(h) => h.proxy.on_timer(ctx, key),
        N::Vip(n) => n.on_timer(ctx, key),
        N::App(n) if timer_tag::tag_of(key) == timer_tag::AUTOSCALER => {
            let booting = matches!(n.power, super::autoscaler::Power::Booting { .. });
            n.on_power_timer(ctx);
            if booting {
                n.on_booted(ctx);
            }
        }
        N::App(n) => n.on_timer(ctx, key),
        N::Autoscaler(n) => n.on_timer(ctx, key),
        N::DnsEntry(n) => n.on_timer(ctx, key),
        N::SiteFront(n) => n.on_timer(ctx, key),
        N::DrController(n) => n.on_timer(ctx, key),
        N::Resolver(n) => n.on_timer(ctx, key),
        N::Cdn(n) => n.on_timer(ctx, key),
        N::Gateway(n) => n.on_timer(ctx, key),
        N::Registry(n) => n.on_timer(ctx, key),
        N::Service(s) => s.on_timer(ctx, key),
        N::Zk(n) => n.on_timer(ctx, key),
        N::TpcCoordinator(n) => n.on_timer(ctx, key),
        N::TpcParticipant(n) => n.on_timer(ctx, key),
        N::MqBroker(n) => n.on_timer(ctx, key),
        N::MqConsumer(n) => n.on_timer(ctx, key),
        N::Mycat(n) => n.on_timer(ctx, key),
        N::Mysql(n) => n.on_timer(ctx, key),
        N::Redis(n) => n.on_timer(ctx, key),
        N::Sentinel(n) => n.on_timer(ctx, key),
        N::Dns(_) | N::Origin(_) | N::ProductCache(_) | N::InventoryStore(_) => {}
    }
}

pub(super) fn refused(node: &mut ClusterNode, ctx: C<'_, '_>, to: NodeId, msg: Msg) {
    use ClusterNode as N;
    match (node, msg) {
        (N::Balancer(n), m) => n.on_refused(ctx, to, m),
        (N::KeepalivedLb(h), m) => h.proxy.on_refused(ctx, to, m),
        (N::App(n), m) => n.on_refused(ctx, to, m),
        (N::Vip(n), m) => n.on_refused(ctx, to, m),
        (N::Resolver(n), Msg::Dns(m)) => n.on_refused(ctx, to, m),
        (N::Cdn(n), Msg::HttpCache(m)) => n.on_refused(ctx, to, m),
        (N::Gateway(n), m) => n.on_refused(ctx, to, m),
        (N::Service(s), m) => s.on_refused(ctx, to, m),
        (N::TpcCoordinator(n), Msg::Tpc(m)) => n.on_refused(ctx, to, m),
        (N::MqBroker(n), Msg::Mq(m)) => n.on_refused(ctx, to, m),
        (N::MqConsumer(n), Msg::Mq(m)) => n.on_refused(ctx, to, m),
        (N::Mycat(n), Msg::Mysql(m)) => n.on_refused(ctx, to, m),
        (N::Mysql(n), Msg::Mysql(m)) => n.on_refused(ctx, to, m),
        (N::Redis(n), Msg::Redis(m)) => n.on_refused(ctx, to, m),
        (N::DnsEntry(n), m) => n.on_refused(ctx, to, m),
        (N::SiteFront(n), m) => n.on_refused(ctx, to, m),
        // A browser's asset request to a CDN edge that is down.
        (N::Shoppers(n), Msg::HttpCache(m)) => n.on_asset_refused(ctx, to, m),
        // A shopper whose balancer is down waits for its own timeout, as a
        // browser whose connection failed shows an error page.
        _ => {}
    }
}
