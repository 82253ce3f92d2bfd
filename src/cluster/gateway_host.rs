//! The gateway's machine: the API gateway and the registry client feeding it.
//!
//! Owns the pairing of `Gateway` with a `RegistryClient` that subscribes to
//! the services the routes lead to: after every answer from the registry the
//! gateway's instance list of each service is replaced by the client's cached
//! list (Spring Cloud LoadBalancer over the discovery client's cache). A
//! crashed instance therefore keeps getting calls until the registry marks it
//! unhealthy and the next refetch brings the new list. A first fetch that
//! races the services' registration is the registry client's business (an
//! empty answer is tried again within seconds). Counts the Retry filter's retries in
//! the shop's `gateway-retries` metric. Never decides health and never picks
//! an instance: the registry and the gateway do.

use super::gateway::Gateway;
use super::message::Msg;
use super::metrics::ShopMetrics;
use super::registry::RegistryClient;
use super::timer_tag;
use crate::sim::{Ctx, NodeId, TimerKey};

/// The gateway node.
#[derive(Clone, Debug)]
pub struct GatewayHost {
    pub gateway: Gateway,
    pub registry: RegistryClient,
    pub metrics: Option<ShopMetrics>,
}

impl GatewayHost {
    /// The gateway and its registry client, the gateway's lists taken from
    /// the client's cache (warm if the client was built with one).
    pub fn new(gateway: Gateway, registry: RegistryClient, metrics: Option<ShopMetrics>) -> Self {
        let mut host = Self { gateway, registry, metrics };
        host.refresh();
        host
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.registry.on_start(ctx);
    }

    pub fn on_crash(&mut self) {
        self.gateway.on_crash();
        self.registry.on_crash();
    }

    /// Copy the registry client's cached lists into the gateway.
    fn refresh(&mut self) {
        for &service in &self.registry.subscribes {
            self.gateway.set_instances(service, self.registry.instances(service));
        }
    }

    /// Count the retries the gateway made while handling one input.
    fn count_retries(&self, ctx: &mut Ctx<'_, Msg>, before: u64) {
        if let Some(m) = self.metrics
            && self.gateway.retries > before
        {
            ctx.count(m.gateway_retries, self.gateway.retries - before);
        }
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        let before = self.gateway.retries;
        self.dispatch(ctx, from, msg);
        self.count_retries(ctx, before);
    }

    fn dispatch(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Gateway(m) => self.gateway.on_message(ctx, from, m),
            Msg::Rpc(m) => self.gateway.on_rpc(ctx, from, m),
            Msg::Registry(m) => {
                self.registry.on_message(ctx, from, m);
                self.refresh();
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        if timer_tag::tag_of(key) == timer_tag::REGISTRY {
            self.registry.on_timer(ctx, key);
        } else {
            let before = self.gateway.retries;
            self.gateway.on_timer(ctx, key);
            self.count_retries(ctx, before);
        }
    }

    pub fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: Msg) {
        match msg {
            Msg::Rpc(m) => {
                let before = self.gateway.retries;
                self.gateway.on_refused(ctx, to, m);
                self.count_retries(ctx, before);
            }
            Msg::Registry(m) => self.registry.on_refused(ctx, to, m),
            _ => {}
        }
    }
}
