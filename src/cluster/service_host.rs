//! A microservice instance: its registry client, the client sides of the
//! mechanisms it uses, and (in `Flow`) the provider side of its RPC methods.
//!
//! Owns `ServiceHost` — registration and heartbeats, a 2PC participant (order,
//! inventory), the inventory purchase with its ZooKeeper lock client, the MQ
//! publisher (payment) or consumer (notification) — and the routing of each
//! protocol's messages, timers and refusals to the part that speaks it.
//! Each service's orchestration (what a call does, in which order it talks to
//! cache, MyCat, 2PC, the lock or the queue) lives in its own child module:
//! `product`, `order`, `payment`, `inventory`. Never decides anything of a
//! mechanism: it only hands messages to it and results between them.

use super::inventory::InventoryService;
use super::message::{FailCause, Msg};
use super::mq::{MqConsumer, MqPublisher};
use super::mycat::{MycatMsg, Sql};
use super::registry::{RegistryClient, ServiceKind};
use super::rpc::{BizError, RpcFailure, RpcMsg, RpcResult};
use super::timer_tag;
use super::two_phase::TpcParticipant;
use crate::sim::{Ctx, NodeId, TimerKey};

pub mod inventory;
pub mod order;
pub mod payment;
pub mod product;

pub use inventory::InventoryFlow;
pub use order::{OrderFlow, order_row_key};
pub use payment::PaymentFlow;
pub use product::ProductFlow;

type C<'c, 'a> = &'c mut Ctx<'a, Msg>;

/// The provider side of a service: what its RPC methods do.
#[derive(Clone, Debug)]
pub enum Flow {
    Product(Box<ProductFlow>),
    Order(Box<OrderFlow>),
    Payment(Box<PaymentFlow>),
    Inventory(Box<InventoryFlow>),
}

/// A microservice instance.
#[derive(Clone, Debug)]
pub struct ServiceHost {
    pub kind: ServiceKind,
    pub registry: RegistryClient,
    pub participant: Option<TpcParticipant>,
    pub inventory: Option<InventoryService>,
    pub publisher: Option<MqPublisher>,
    pub consumer: Option<MqConsumer>,
    pub flow: Option<Flow>,
}

/// The RPC reply of `call` with `result`, to `to`.
pub(crate) fn reply(ctx: C<'_, '_>, to: NodeId, call: RpcMsg, result: RpcResult) {
    if let Some(r) = RpcMsg::reply_to(call, result) {
        ctx.send(to, r.into());
    }
}

/// A business failure naming the node downstream that failed and why.
pub(crate) const fn downstream(at: NodeId, cause: FailCause) -> RpcResult {
    RpcResult::Err(RpcFailure::Biz(BizError::Downstream { at, cause }))
}

/// A MyCat query, `id` in the caller's own id space.
pub(crate) fn query(ctx: C<'_, '_>, mycat: NodeId, id: u32, sql: Sql) {
    ctx.send(mycat, MycatMsg::Query { id, sql }.into());
}

impl ServiceHost {
    pub fn new(kind: ServiceKind, registry: RegistryClient) -> Self {
        Self { kind, registry, participant: None, inventory: None, publisher: None, consumer: None, flow: None }
    }

    /// The order flow's RPC client calls the instances the registry cache lists.
    fn sync_providers(&mut self) {
        if let Some(Flow::Order(f)) = &mut self.flow {
            f.rpc.set_providers(ServiceKind::Inventory, self.registry.instances(ServiceKind::Inventory));
        }
    }

    pub fn on_start(&mut self, ctx: C<'_, '_>) {
        self.registry.on_start(ctx);
        self.sync_providers();
        if let Some(p) = &mut self.participant {
            p.on_start(ctx);
        }
        if let Some(c) = &mut self.consumer {
            c.on_start(ctx);
        }
        if let Some(Flow::Payment(f)) = &mut self.flow {
            f.on_start(ctx);
        }
    }

    pub fn on_crash(&mut self) {
        self.registry.on_crash();
        self.participant.iter_mut().for_each(TpcParticipant::on_crash);
        self.inventory.iter_mut().for_each(InventoryService::on_crash);
        self.consumer.iter_mut().for_each(MqConsumer::on_crash);
        if let Some(p) = &mut self.publisher {
            p.on_crash();
        }
        match &mut self.flow {
            Some(Flow::Product(f)) => f.on_crash(),
            Some(Flow::Order(f)) => f.on_crash(),
            Some(Flow::Payment(f)) => f.on_crash(),
            Some(Flow::Inventory(f)) => f.on_crash(),
            None => {}
        }
    }

    pub fn on_message(&mut self, ctx: C<'_, '_>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Registry(m) => {
                self.registry.on_message(ctx, from, m);
                self.sync_providers();
            }
            Msg::Tpc(m) => {
                if let Some(Flow::Order(f)) = &mut self.flow
                    && f.on_tpc(ctx, m)
                {
                    return;
                }
                if let Some(p) = &mut self.participant {
                    p.on_message(ctx, from, m);
                }
            }
            Msg::Inventory(m) => {
                if let Some(i) = &mut self.inventory {
                    i.on_message(ctx, from, m);
                }
            }
            Msg::Zk(m) => {
                if let Some(i) = &mut self.inventory {
                    i.on_zk_message(ctx, m);
                }
            }
            Msg::Mq(m) => self.on_mq(ctx, m),
            other => self.on_flow_message(ctx, from, other),
        }
        self.settle(ctx);
    }

    fn on_mq(&mut self, ctx: C<'_, '_>, m: super::mq::MqMsg) {
        if let Some(c) = &mut self.consumer {
            c.on_message(ctx, m);
        } else if let Some(p) = &mut self.publisher {
            p.on_message(ctx, m);
            if let Some(Flow::Payment(f)) = &mut self.flow {
                f.on_confirms(ctx, p);
            }
        }
    }

    /// RPC, MyCat and cache traffic belong to the service's own flow.
    fn on_flow_message(&mut self, ctx: C<'_, '_>, from: NodeId, msg: Msg) {
        match (&mut self.flow, msg) {
            (Some(Flow::Product(f)), Msg::Rpc(m)) => f.on_call(ctx, from, m),
            (Some(Flow::Product(f)), Msg::Cache(m)) => f.on_cache(ctx, from, m),
            (Some(Flow::Product(f)), Msg::Mycat(m)) => f.on_mycat(ctx, m),
            (Some(Flow::Order(f)), Msg::Rpc(m)) => f.on_rpc(ctx, from, m),
            (Some(Flow::Order(f)), Msg::Mycat(m)) => f.on_mycat(ctx, m, self.participant.as_mut()),
            (Some(Flow::Payment(f)), Msg::Rpc(m)) => f.on_call(ctx, from, m, self.publisher.as_mut()),
            (Some(Flow::Payment(f)), Msg::Mycat(m)) => f.on_mycat(ctx, m, self.publisher.as_mut()),
            (Some(Flow::Inventory(f)), Msg::Rpc(m)) => f.on_call(ctx, from, m, self.inventory.as_mut()),
            _ => {}
        }
    }

    /// Hand results between the mechanisms of this host: the participant's
    /// work to the flow, finished purchases back to whoever asked.
    fn settle(&mut self, ctx: C<'_, '_>) {
        match &mut self.flow {
            Some(Flow::Inventory(f)) => f.settle(ctx, self.participant.as_mut(), self.inventory.as_mut()),
            Some(Flow::Order(f)) => f.settle(ctx, self.participant.as_mut()),
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: C<'_, '_>, key: TimerKey) {
        match timer_tag::tag_of(key) {
            timer_tag::REGISTRY => self.registry.on_timer(ctx, key),
            timer_tag::TWO_PC_PARTICIPANT => self.participant.iter_mut().for_each(|p| p.on_timer(ctx, key)),
            timer_tag::ZK | timer_tag::INVENTORY => self.inventory.iter_mut().for_each(|i| i.on_timer(ctx, key)),
            timer_tag::MQ_CONSUMER => self.consumer.iter_mut().for_each(|c| c.on_timer(ctx, key)),
            timer_tag::MQ_BROKER => {
                let Some(p) = &mut self.publisher else { return };
                let relay = match &mut self.flow {
                    Some(Flow::Payment(f)) => f.on_outbox_timer(ctx, key, p),
                    _ => false,
                };
                if !relay {
                    p.on_timer(ctx, key);
                }
            }
            _ => match &mut self.flow {
                Some(Flow::Product(f)) => f.on_timer(ctx, key),
                Some(Flow::Order(f)) => f.on_timer(ctx, key),
                Some(Flow::Payment(f)) => f.on_timer(key),
                _ => {}
            },
        }
        self.settle(ctx);
    }

    pub fn on_refused(&mut self, ctx: C<'_, '_>, to: NodeId, msg: Msg) {
        match (&mut self.flow, msg) {
            (_, Msg::Registry(m)) => self.registry.on_refused(ctx, to, m),
            (_, Msg::Mq(m)) => {
                if let Some(c) = &mut self.consumer {
                    c.on_refused(ctx, to, m);
                }
            }
            (Some(Flow::Product(f)), m) => f.on_refused(ctx, to, m),
            (Some(Flow::Order(f)), m) => f.on_refused(ctx, to, m, self.participant.as_mut()),
            (Some(Flow::Payment(f)), Msg::Mycat(m)) => f.on_refused(ctx, m),
            _ => {}
        }
        self.settle(ctx);
    }
}
