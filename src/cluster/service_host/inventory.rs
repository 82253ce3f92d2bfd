//! The inventory service's methods: a purchase for a 2PC transaction or an RPC.
//!
//! Owns the bookkeeping between the host's three parts: work the 2PC
//! participant asks for (sell one unit for transaction `txn`) and
//! `decrementStock` calls (without 2PC) both become purchases of the
//! inventory service — read-modify-write at `inventory-db`, under the
//! ZooKeeper lock when the design says so — and each purchase's outcome goes
//! back to the participant (vote) or the caller (RPC reply). Sales of aborted
//! transactions are returned to the stock table. Never decides a vote, a lock
//! or a stock level itself. Volatile: everything but the counters.

use super::{downstream, reply};
use crate::cluster::inventory::{InventoryFailure, InventoryMsg, InventoryService, PurchaseOutcome};
use crate::cluster::message::{FailCause, Msg};
use crate::cluster::rpc::{BizError, Method, RpcFailure, RpcMsg, RpcResult};
use crate::cluster::two_phase::{AbortReason, TpcParticipant};
use crate::sim::{Ctx, NodeId};
use std::collections::BTreeMap;

type C<'c, 'a> = &'c mut Ctx<'a, Msg>;

/// Who a purchase is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum For {
    Txn(u32),
    Rpc { from: NodeId, call: RpcMsg },
}

/// An inventory instance's provider side.
#[derive(Clone, Debug, Default)]
pub struct InventoryFlow {
    purchases: BTreeMap<u32, For>,
    next_id: u32,
    /// Purchase outcomes already handed on (`sold + failed` of the service).
    seen: u64,
    pub returned: u64,
}

/// A purchase failure as the reason a participant votes No.
pub fn abort_reason(failure: InventoryFailure) -> AbortReason {
    match failure {
        InventoryFailure::InsufficientStock | InventoryFailure::UnknownProduct => AbortReason::InsufficientStock,
        InventoryFailure::StaleFencingToken | InventoryFailure::LockLost => AbortReason::LockLost,
        InventoryFailure::StoreTimeout => AbortReason::DatabaseUnavailable,
    }
}

/// A purchase failure as the cause the shopper sees.
pub fn fail_cause(failure: InventoryFailure) -> FailCause {
    match failure {
        InventoryFailure::InsufficientStock | InventoryFailure::UnknownProduct => FailCause::OutOfStock,
        InventoryFailure::StaleFencingToken => FailCause::StaleLock,
        InventoryFailure::LockLost => FailCause::LockTimeout,
        InventoryFailure::StoreTimeout => FailCause::DatabaseUnavailable,
    }
}

impl InventoryFlow {
    pub fn on_crash(&mut self) {
        self.purchases.clear();
    }

    fn purchase(&mut self, ctx: C<'_, '_>, service: &mut InventoryService, product: u32, qty: u32, who: For) {
        self.next_id = self.next_id.wrapping_add(1);
        self.purchases.insert(self.next_id, who);
        let me = ctx.me;
        service.start_purchase(ctx, me, self.next_id, product, qty);
    }

    /// `decrementStock(product)` without 2PC: one unit, committed on its own.
    pub fn on_call(&mut self, ctx: C<'_, '_>, from: NodeId, call: RpcMsg, service: Option<&mut InventoryService>) {
        let RpcMsg::Call { method, arg, .. } = call else { return };
        match (method, service) {
            (Method::DecrementStock, Some(service)) => self.purchase(ctx, service, arg, 1, For::Rpc { from, call }),
            _ => reply(ctx, from, call, RpcResult::Err(RpcFailure::Biz(BizError::NotFound))),
        }
    }

    /// Start the participant's work, return aborted sales, and hand each
    /// finished purchase to whoever asked.
    pub fn settle(
        &mut self,
        ctx: C<'_, '_>,
        mut participant: Option<&mut TpcParticipant>,
        service: Option<&mut InventoryService>,
    ) {
        let Some(service) = service else { return };
        if let Some(participant) = participant.as_deref_mut() {
            while let Some(work) = participant.work.pop_front() {
                self.purchase(ctx, service, work.product, work.qty, For::Txn(work.txn));
            }
            while let Some(undo) = participant.undo.pop_front() {
                self.returned += 1;
                ctx.send(service.store, InventoryMsg::Return { product: undo.product, units: undo.qty }.into());
            }
        }
        for (id, outcome) in self.new_outcomes(service) {
            match (self.purchases.remove(&id), participant.as_deref_mut()) {
                (Some(For::Txn(txn)), Some(participant)) => {
                    let result = match outcome {
                        PurchaseOutcome::Sold => Ok(()),
                        PurchaseOutcome::Failed(f) => Err(abort_reason(f)),
                    };
                    participant.work_done(ctx, txn, result);
                }
                (Some(For::Rpc { from, call }), _) => answer(ctx, from, call, outcome, service.store),
                _ => {}
            }
        }
        // A vote may have freed a row lock and let the next transaction in.
        if participant.as_ref().is_some_and(|p| !p.work.is_empty() || !p.undo.is_empty()) {
            self.settle(ctx, participant, Some(service));
        }
    }

    /// Outcomes the service logged since the last look.
    fn new_outcomes(&mut self, service: &InventoryService) -> Vec<(u32, PurchaseOutcome)> {
        let total = service.sold + service.failed;
        let new = usize::try_from(total.saturating_sub(self.seen)).unwrap_or(usize::MAX).min(service.outcomes.len());
        self.seen = total;
        service.outcomes.iter().skip(service.outcomes.len() - new).copied().collect()
    }
}

fn answer(ctx: C<'_, '_>, from: NodeId, call: RpcMsg, outcome: PurchaseOutcome, store: NodeId) {
    let result = match outcome {
        PurchaseOutcome::Sold => RpcResult::Ok(1),
        PurchaseOutcome::Failed(f) => downstream(store, fail_cause(f)),
    };
    reply(ctx, from, call, result);
}
