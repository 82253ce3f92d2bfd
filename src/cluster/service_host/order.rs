//! The order service's method: `createOrder(product)`.
//!
//! Owns how an order is placed. With two-phase commit, the order service asks
//! `tpc` to begin a transaction over order and inventory and answers with its
//! outcome; this host's participant's work is the order row, written through
//! MyCat to the shard of its key (and reset if the transaction aborts after
//! it was written). Without it, each side commits on its own: an RPC
//! `decrementStock` to an inventory instance (Dubbo failover, so a timed-out
//! call may be applied twice), then the order row — a failure after the sale
//! leaves stock sold without an order. Keeps the orders it answered 200 for
//! the end-to-end checks. Never decides a transaction and never touches the
//! stock table. Volatile: the calls in progress; `placed` is the order table.

use super::{downstream, query, reply};
use crate::cluster::message::{FailCause, Msg};
use crate::cluster::mycat::{MycatMsg, Sql};
use crate::cluster::rpc::{CallOutcome, CallRecord, Method, RpcClient, RpcFailure, RpcMsg, RpcResult};
use crate::cluster::timer_tag::{self, RPC, SERVICE_FLOW};
use crate::cluster::two_phase::{AbortReason, TpcMsg, TpcParticipant, TxnOutcome};
use crate::sim::{Ctx, NodeId, SEC, TimerKey};
use std::collections::BTreeMap;

type C<'c, 'a> = &'c mut Ctx<'a, Msg>;

/// The order table's rows live above the product ids, split in two ranges
/// (`t_order` ids 1,000,001–1,500,000 on dn1, 1,500,001–2,000,000 on dn2);
/// ids alternate between them, as a segment id allocator per shard would.
pub const fn order_row_key(order: u32) -> u32 {
    1_000_001 + (order % 2) * 500_000 + (order / 2) % 500_000
}

/// An order being placed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Op {
    from: NodeId,
    call: RpcMsg,
    product: u32,
    /// The order id once known (the transaction, or our own counter).
    order: Option<u32>,
}

/// What a MyCat write was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Write {
    /// The participant's work for transaction `txn`.
    Txn(u32),
    /// Without 2PC: the order row of op `op`.
    Op(u32),
    /// Resetting the row of an aborted transaction.
    Undo,
}

/// Give up on an order the client has long stopped waiting for.
const OP_TIMEOUT_US: u64 = 60 * SEC;

/// The order service's provider side.
#[derive(Clone, Debug)]
pub struct OrderFlow {
    pub mycat: NodeId,
    pub tpc: NodeId,
    pub two_phase: bool,
    /// Consumer of the inventory service (without 2PC).
    pub rpc: RpcClient,
    ops: BTreeMap<u32, Op>,
    txns: BTreeMap<u32, u32>,
    writes: BTreeMap<u32, Write>,
    rpc_calls: BTreeMap<u32, u32>,
    next_id: u32,
    /// Orders answered 200: order id → product (the order table).
    pub placed: BTreeMap<u32, u32>,
    pub aborted: u64,
    /// Without 2PC: stock sold but the order row failed.
    pub partial: u64,
}

impl OrderFlow {
    pub fn new(mycat: NodeId, tpc: NodeId, two_phase: bool, rpc: RpcClient) -> Self {
        Self {
            mycat,
            tpc,
            two_phase,
            rpc,
            ops: BTreeMap::new(),
            txns: BTreeMap::new(),
            writes: BTreeMap::new(),
            rpc_calls: BTreeMap::new(),
            next_id: 0,
            placed: BTreeMap::new(),
            aborted: 0,
            partial: 0,
        }
    }

    pub fn on_crash(&mut self) {
        self.ops.clear();
        self.txns.clear();
        self.writes.clear();
        self.rpc_calls.clear();
        self.rpc.on_crash();
    }

    fn fresh(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    /// A call from the gateway, or a reply from an inventory instance.
    pub fn on_rpc(&mut self, ctx: C<'_, '_>, from: NodeId, msg: RpcMsg) {
        match msg {
            RpcMsg::Call { method: Method::CreateOrder, arg, .. } => {
                let op = self.fresh();
                self.ops.insert(op, Op { from, call: msg, product: arg, order: None });
                ctx.set_timer(timer_tag::key(SERVICE_FLOW, u64::from(op)), OP_TIMEOUT_US);
                if self.two_phase {
                    ctx.send(self.tpc, TpcMsg::Begin { product: arg, qty: 1, client_ref: op }.into());
                } else {
                    match self.rpc.call(ctx, Method::DecrementStock, arg) {
                        Ok(call_id) => _ = self.rpc_calls.insert(call_id, op),
                        Err(record) => self.sold(ctx, op, record),
                    }
                }
            }
            RpcMsg::Call { .. } => reply(ctx, from, msg, RpcResult::Err(RpcFailure::NoProvider)),
            RpcMsg::Reply { .. } => {
                if let Some(record) = self.rpc.on_message(ctx, from, msg) {
                    self.rpc_done(ctx, record);
                }
            }
        }
    }

    fn rpc_done(&mut self, ctx: C<'_, '_>, record: CallRecord) {
        if let Some(op) = self.rpc_calls.remove(&record.call_id) {
            self.sold(ctx, op, record);
        }
    }

    /// Without 2PC: the stock call ended; on a sale, write the order row.
    fn sold(&mut self, ctx: C<'_, '_>, op: u32, record: CallRecord) {
        let last = record.tried().last().copied().unwrap_or(ctx.me);
        let failure = match record.outcome {
            Some(CallOutcome::Ok(_)) => None,
            Some(CallOutcome::Failed(RpcFailure::Biz(biz))) => Some(RpcResult::Err(RpcFailure::Biz(biz))),
            Some(CallOutcome::Failed(RpcFailure::NoProvider)) => Some(downstream(ctx.me, FailCause::NoProvider)),
            Some(CallOutcome::Failed(_)) => Some(downstream(last, FailCause::Refused)),
            Some(CallOutcome::Unknown) | None => Some(downstream(last, FailCause::UpstreamTimeout)),
        };
        if let Some(result) = failure {
            self.aborted += 1;
            return self.answer(ctx, op, result);
        }
        let order = self.fresh();
        if let Some(o) = self.ops.get_mut(&op) {
            o.order = Some(order);
        }
        self.write(ctx, order_row_key(order), 1, Write::Op(op));
    }

    fn write(&mut self, ctx: C<'_, '_>, key: u32, value: i32, what: Write) {
        let id = self.fresh();
        self.writes.insert(id, what);
        query(ctx, self.mycat, id, Sql::Update { key, value });
    }

    fn answer(&mut self, ctx: C<'_, '_>, op: u32, result: RpcResult) {
        let Some(o) = self.ops.remove(&op) else { return };
        ctx.cancel_timer(timer_tag::key(SERVICE_FLOW, u64::from(op)));
        if let (RpcResult::Ok(order), true) = (result, o.order.is_some()) {
            self.placed.insert(order, o.product);
        }
        reply(ctx, o.from, o.call, result);
    }

    /// The coordinator's answers to this host as a client. Returns false for
    /// messages meant for the participant.
    pub fn on_tpc(&mut self, ctx: C<'_, '_>, msg: TpcMsg) -> bool {
        match msg {
            TpcMsg::Begun { client_ref, txn } => {
                if let Some(o) = self.ops.get_mut(&client_ref) {
                    o.order = Some(txn);
                    self.txns.insert(txn, client_ref);
                }
            }
            TpcMsg::Outcome { txn, outcome } => {
                let Some(op) = self.txns.remove(&txn) else { return true };
                let result = match outcome {
                    TxnOutcome::Committed => RpcResult::Ok(txn),
                    TxnOutcome::Aborted(why) | TxnOutcome::PartiallyCommitted(why) => {
                        self.aborted += 1;
                        let (at, cause) = self.abort_cause(why);
                        downstream(at, cause)
                    }
                };
                self.answer(ctx, op, result);
            }
            _ => return false,
        }
        true
    }

    fn abort_cause(&self, why: AbortReason) -> (NodeId, FailCause) {
        match why {
            AbortReason::InsufficientStock => (self.tpc, FailCause::OutOfStock),
            AbortReason::LockWaitTimeout => (self.tpc, FailCause::LockTimeout),
            AbortReason::LockLost => (self.tpc, FailCause::StaleLock),
            AbortReason::DatabaseUnavailable => (self.tpc, FailCause::DatabaseUnavailable),
            AbortReason::VoteTimeout | AbortReason::ParticipantDown | AbortReason::PresumedAbort => {
                (self.tpc, FailCause::TxnAborted)
            }
        }
    }

    /// Start the participant's work (the order row) and reset aborted rows.
    pub fn settle(&mut self, ctx: C<'_, '_>, participant: Option<&mut TpcParticipant>) {
        let Some(p) = participant else { return };
        while let Some(work) = p.work.pop_front() {
            self.write(ctx, order_row_key(work.txn), 1, Write::Txn(work.txn));
        }
        while let Some(undo) = p.undo.pop_front() {
            self.write(ctx, order_row_key(undo.txn), 0, Write::Undo);
        }
    }

    pub fn on_mycat(&mut self, ctx: C<'_, '_>, msg: MycatMsg, participant: Option<&mut TpcParticipant>) {
        let (id, ok) = match msg {
            MycatMsg::Done { id, .. } => (id, true),
            MycatMsg::Failed { id, .. } => (id, false),
            MycatMsg::Query { .. } => return,
        };
        match self.writes.remove(&id) {
            Some(Write::Txn(txn)) => {
                if let Some(p) = participant {
                    let result = if ok { Ok(()) } else { Err(AbortReason::DatabaseUnavailable) };
                    p.work_done(ctx, txn, result);
                    self.settle(ctx, Some(p));
                }
            }
            Some(Write::Op(op)) => {
                let order = self.ops.get(&op).and_then(|o| o.order).unwrap_or(0);
                let result = if ok {
                    RpcResult::Ok(order)
                } else {
                    self.partial += 1;
                    downstream(self.mycat, FailCause::DatabaseUnavailable)
                };
                self.answer(ctx, op, result);
            }
            Some(Write::Undo) | None => {}
        }
    }

    pub fn on_timer(&mut self, ctx: C<'_, '_>, key: TimerKey) {
        match timer_tag::tag_of(key) {
            RPC => {
                if let Some(record) = self.rpc.on_timer(ctx, key) {
                    self.rpc_done(ctx, record);
                }
            }
            SERVICE_FLOW => {
                let op = timer_tag::local_of(key) as u32;
                self.ops.remove(&op);
                self.txns.retain(|_, o| *o != op);
                self.rpc_calls.retain(|_, o| *o != op);
            }
            _ => {}
        }
    }

    pub fn on_refused(&mut self, ctx: C<'_, '_>, to: NodeId, msg: Msg, participant: Option<&mut TpcParticipant>) {
        match msg {
            Msg::Rpc(m) => {
                if let Some(record) = self.rpc.on_refused(ctx, to, m) {
                    self.rpc_done(ctx, record);
                }
            }
            Msg::Tpc(TpcMsg::Begin { client_ref, .. }) => {
                self.aborted += 1;
                self.answer(ctx, client_ref, downstream(to, FailCause::Refused));
            }
            Msg::Mycat(MycatMsg::Query { id, .. }) => {
                let failed = MycatMsg::Failed { id, reason: crate::cluster::mycat::QueryFailure::BackendRefused };
                self.on_mycat(ctx, failed, participant);
            }
            _ => {}
        }
    }
}
