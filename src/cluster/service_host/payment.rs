//! The payment service's method: `pay(order)`.
//!
//! Owns how a payment is taken: mark the order paid through MyCat (the shard
//! of its key) and, in the same transaction, write "payment succeeded" to
//! the outbox (`mq/outbox`), then answer; the outbox's relay publishes the
//! event to `mq` with confirms until the broker has it, whatever crashes in
//! between. Without an outbox the event is published straight after the
//! row and the answer waits for the confirm — and a crash between the two
//! loses the notification. Paying an order already paid answers at once and
//! publishes nothing (the order id is the idempotency key), so a shopper who
//! pays twice is notified once. Never notifies anyone itself: the
//! notification service consumes the queue. Volatile: the payments in
//! progress; `paid` and the outbox are tables.

use super::order::order_row_key;
use super::{downstream, query, reply};
use crate::cluster::message::{FailCause, Msg};
use crate::cluster::mq::{MqPublisher, Outbox};
use crate::cluster::mycat::{MycatMsg, QueryFailure, Sql};
use crate::cluster::rpc::{Method, RpcFailure, RpcMsg, RpcResult};
use crate::cluster::timer_tag::{self, SERVICE_FLOW};
use crate::sim::{Ctx, NodeId, SEC, TimerKey};
use std::collections::{BTreeMap, BTreeSet};

type C<'c, 'a> = &'c mut Ctx<'a, Msg>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Op {
    from: NodeId,
    call: RpcMsg,
    order: u32,
    /// The message published for it, waiting for its confirm.
    msg_id: Option<u32>,
}

/// Forget a payment whose confirm never came (the publisher keeps trying).
const OP_TIMEOUT_US: u64 = 60 * SEC;

/// The payment service's provider side.
#[derive(Clone, Debug)]
pub struct PaymentFlow {
    pub mycat: NodeId,
    ops: BTreeMap<u32, Op>,
    writes: BTreeMap<u32, u32>,
    next_id: u32,
    /// Orders paid (durable: the payment table).
    pub paid: BTreeSet<u32>,
    pub paid_again: u64,
    /// The outbox table and its relay (None: publish directly).
    pub outbox: Option<Outbox>,
}

impl PaymentFlow {
    pub fn new(mycat: NodeId) -> Self {
        let (ops, writes, paid) = (BTreeMap::new(), BTreeMap::new(), BTreeSet::new());
        Self { mycat, ops, writes, next_id: 0, paid, paid_again: 0, outbox: None }
    }

    pub fn on_start(&mut self, ctx: C<'_, '_>) {
        self.outbox.iter_mut().for_each(|o| o.on_start(ctx));
    }

    pub fn on_crash(&mut self) {
        self.ops.clear();
        self.writes.clear();
        self.outbox.iter_mut().for_each(Outbox::on_crash);
    }

    pub fn on_call(&mut self, ctx: C<'_, '_>, from: NodeId, call: RpcMsg, publisher: Option<&mut MqPublisher>) {
        let RpcMsg::Call { method: Method::Pay, arg: order, .. } = call else {
            return reply(ctx, from, call, RpcResult::Err(RpcFailure::NoProvider));
        };
        if self.paid.contains(&order) || publisher.is_none() {
            self.paid_again += 1;
            return reply(ctx, from, call, RpcResult::Ok(order));
        }
        self.next_id = self.next_id.wrapping_add(1);
        let op = self.next_id;
        self.ops.insert(op, Op { from, call, order, msg_id: None });
        self.writes.insert(op, op);
        ctx.set_timer(timer_tag::key(SERVICE_FLOW, u64::from(op)), OP_TIMEOUT_US);
        query(ctx, self.mycat, op, Sql::Update { key: order_row_key(order), value: 2 });
    }

    /// The payment row: written → publish; failed → answer the failure.
    pub fn on_mycat(&mut self, ctx: C<'_, '_>, msg: MycatMsg, publisher: Option<&mut MqPublisher>) {
        let (id, ok) = match msg {
            MycatMsg::Done { id, .. } => (id, true),
            MycatMsg::Failed { id, .. } => (id, false),
            MycatMsg::Query { .. } => return,
        };
        let Some(op) = self.writes.remove(&id) else { return };
        let Some(o) = self.ops.get(&op).copied() else { return };
        let (true, Some(publisher)) = (ok, publisher) else {
            self.ops.remove(&op);
            return reply(ctx, o.from, o.call, downstream(self.mycat, FailCause::DatabaseUnavailable));
        };
        if !self.paid.insert(o.order) {
            self.ops.remove(&op);
            return reply(ctx, o.from, o.call, RpcResult::Ok(o.order));
        }
        if let Some(outbox) = &mut self.outbox {
            // The row and its event in one transaction: the relay takes it from here.
            outbox.write(ctx.now_us, o.order);
            self.ops.remove(&op);
            ctx.cancel_timer(timer_tag::key(SERVICE_FLOW, u64::from(op)));
            return reply(ctx, o.from, o.call, RpcResult::Ok(o.order));
        }
        let msg_id = publisher.publish(ctx, o.order);
        self.ops.insert(op, Op { msg_id: Some(msg_id), ..o });
    }

    /// After the publisher heard from the broker: delete confirmed outbox
    /// entries, answer confirmed payments.
    pub fn on_confirms(&mut self, ctx: C<'_, '_>, publisher: &MqPublisher) {
        self.outbox.iter_mut().for_each(|o| o.after_confirms(publisher));
        let confirmed: Vec<u32> = (self.ops.iter())
            .filter(|(_, o)| o.msg_id.is_some_and(|id| !publisher.unconfirmed.values().any(|m| m.msg_id == id)))
            .map(|(&op, _)| op)
            .collect();
        for op in confirmed {
            if let Some(o) = self.ops.remove(&op) {
                ctx.cancel_timer(timer_tag::key(SERVICE_FLOW, u64::from(op)));
                reply(ctx, o.from, o.call, RpcResult::Ok(o.order));
            }
        }
    }

    /// The outbox relay's poll, if `key` is its timer (true if it was).
    pub fn on_outbox_timer(&mut self, ctx: C<'_, '_>, key: TimerKey, publisher: &mut MqPublisher) -> bool {
        match &mut self.outbox {
            Some(outbox) if Outbox::owns_timer(key) => {
                outbox.on_timer(ctx, key, publisher);
                true
            }
            _ => false,
        }
    }

    pub fn on_timer(&mut self, key: TimerKey) {
        if timer_tag::tag_of(key) == SERVICE_FLOW {
            let op = timer_tag::local_of(key) as u32;
            self.ops.remove(&op);
            self.writes.remove(&op);
        }
    }

    pub fn on_refused(&mut self, ctx: C<'_, '_>, msg: MycatMsg) {
        if let MycatMsg::Query { id, .. } = msg {
            self.on_mycat(ctx, MycatMsg::Failed { id, reason: QueryFailure::BackendRefused }, None);
        }
    }
}
