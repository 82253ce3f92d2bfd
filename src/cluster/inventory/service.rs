//! The inventory service: a purchase as read-modify-write, optionally under the lock.
//!
//! Owns the purchase in progress and the queue behind it. A purchase is:
//! (with the lock) queue in ZooKeeper until our node is the lowest, read the
//! stock with our fencing token, compute for a few milliseconds, write
//! stock − n with the same token, release. The service believes it holds the lock until ZooKeeper
//! says otherwise — which a paused holder hears only after it has written.
//! Never checks a token itself and never decides who holds the lock.

use super::{InventoryFailure, InventoryMsg, PurchaseOutcome};
use crate::cluster::timer_tag::{self, INVENTORY, ZK};
use crate::cluster::zk_lock::{LockClient, LockEvent, ZkMsg};
use crate::sim::{Ctx, MS, NodeId, SEC, TimeUs, TimerKey};
use std::collections::VecDeque;

/// The service's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InventoryServiceConfig {
    /// Take the ZooKeeper lock around read-modify-write.
    pub use_lock: bool,
    /// Business logic between the read and the write.
    pub compute_us: TimeUs,
    /// How long to wait for the store (a Dubbo-like RPC timeout).
    pub store_timeout_us: TimeUs,
}

impl Default for InventoryServiceConfig {
    fn default() -> Self {
        Self { use_lock: true, compute_us: 5 * MS, store_timeout_us: SEC }
    }
}

/// Where the purchase in progress stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurchaseStep {
    /// Queued in ZooKeeper (or about to read, without the lock).
    WaitingForLock,
    /// Waiting for the stock read.
    Reading,
    /// Read `units`; business logic runs before the write.
    Computing { units: u32 },
    /// Waiting for the store to take the write.
    Writing,
}

/// A purchase being served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Purchase {
    pub requester: NodeId,
    pub order: u32,
    pub product: u32,
    pub qty: u32,
    pub step: PurchaseStep,
}

const COMPUTE: u64 = 1;
const STORE_TIMEOUT: u64 = 2;
const OUTCOMES_KEPT: usize = 256;

/// An inventory service: one purchase at a time, in arrival order. Volatile:
/// the purchase in progress, the queue and the lock client's session.
/// The outcome log and counters are kept for inspectors.
#[derive(Clone, Debug)]
pub struct InventoryService {
    pub config: InventoryServiceConfig,
    pub store: NodeId,
    pub lock: LockClient,
    pub current: Option<Purchase>,
    pub queue: VecDeque<Purchase>,
    next_req: u32,
    pub outcomes: VecDeque<(u32, PurchaseOutcome)>,
    pub sold: u64,
    pub failed: u64,
    /// A `lock` switch waiting for the purchase in progress to finish.
    pending_use_lock: Option<bool>,
}

impl InventoryService {
    pub fn new(config: InventoryServiceConfig, store: NodeId, lock: LockClient) -> Self {
        Self {
            config,
            store,
            lock,
            current: None,
            queue: VecDeque::new(),
            next_req: 0,
            outcomes: VecDeque::new(),
            sold: 0,
            failed: 0,
            pending_use_lock: None,
        }
    }

    pub fn on_crash(&mut self) {
        self.lock.on_crash();
        self.current = None;
        self.queue.clear();
        if let Some(on) = self.pending_use_lock.take() {
            self.config.use_lock = on;
        }
    }

    /// Queue a purchase (a `Purchase` message does the same).
    pub fn start_purchase<M>(&mut self, ctx: &mut Ctx<'_, M>, requester: NodeId, order: u32, product: u32, qty: u32)
    where
        M: From<InventoryMsg> + From<ZkMsg>,
    {
        let step = PurchaseStep::WaitingForLock;
        self.queue.push_back(Purchase { requester, order, product, qty, step });
        if self.current.is_none() {
            self.next_purchase(ctx);
        }
    }

    /// The `lock` switch flipped live: a purchase in progress finishes (and
    /// releases) the way it began; the next one follows the new setting.
    pub fn set_use_lock(&mut self, on: bool) {
        if self.current.is_none() {
            self.config.use_lock = on;
        } else {
            self.pending_use_lock = Some(on);
        }
    }

    fn next_purchase<M: From<InventoryMsg> + From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if let Some(on) = self.pending_use_lock.take() {
            self.config.use_lock = on;
        }
        let Some(purchase) = self.queue.pop_front() else { return };
        self.current = Some(purchase);
        if self.config.use_lock {
            self.lock.acquire(ctx);
        } else {
            self.read(ctx);
        }
    }

    fn read<M: From<InventoryMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let token = if self.config.use_lock { self.lock.token() } else { None };
        let Some(p) = self.current.as_mut() else { return };
        p.step = PurchaseStep::Reading;
        self.next_req += 1;
        let msg = InventoryMsg::Read { req: self.next_req, product: p.product, token };
        ctx.send(self.store, msg.into());
        ctx.set_timer(timer_tag::key(INVENTORY, STORE_TIMEOUT), self.config.store_timeout_us);
    }

    pub fn on_message<M>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: InventoryMsg)
    where
        M: From<InventoryMsg> + From<ZkMsg>,
    {
        if let InventoryMsg::Purchase { order, product, qty } = msg {
            return self.start_purchase(ctx, from, order, product, qty);
        }
        let Some(p) = self.current else { return };
        match (msg, p.step) {
            (InventoryMsg::ReadOk { req, units, .. }, PurchaseStep::Reading) if req == self.next_req => {
                ctx.cancel_timer(timer_tag::key(INVENTORY, STORE_TIMEOUT));
                if units < p.qty {
                    return self.finish(ctx, PurchaseOutcome::Failed(InventoryFailure::InsufficientStock));
                }
                self.current = Some(Purchase { step: PurchaseStep::Computing { units }, ..p });
                ctx.set_timer(timer_tag::key(INVENTORY, COMPUTE), self.config.compute_us);
            }
            (InventoryMsg::WriteOk { req }, PurchaseStep::Writing) if req == self.next_req => {
                self.finish(ctx, PurchaseOutcome::Sold);
            }
            // (Only while waiting on the store: a late answer to an earlier
            // purchase's request says nothing about one still queueing.)
            (InventoryMsg::Rejected { req, reason }, PurchaseStep::Reading | PurchaseStep::Writing)
                if req == self.next_req =>
            {
                self.finish(ctx, PurchaseOutcome::Failed(reason));
            }
            _ => {}
        }
    }

    /// A message for the lock recipe.
    pub fn on_zk_message<M>(&mut self, ctx: &mut Ctx<'_, M>, msg: ZkMsg)
    where
        M: From<InventoryMsg> + From<ZkMsg>,
    {
        match self.lock.on_message(ctx, msg) {
            Some(LockEvent::Acquired { .. }) => {
                if self.current.is_some_and(|p| p.step == PurchaseStep::WaitingForLock) {
                    self.read(ctx);
                } else {
                    self.lock.release(ctx); // nothing wants it any more
                }
            }
            Some(LockEvent::SessionExpired { was_holding }) => {
                if was_holding {
                    ctx.log("inventory: lock session expired while holding the lock");
                }
                // A write already sent is out of our hands; anything earlier stops.
                if self.current.is_some_and(|p| p.step != PurchaseStep::Writing) {
                    self.finish(ctx, PurchaseOutcome::Failed(InventoryFailure::LockLost));
                }
            }
            None => {}
        }
    }

    pub fn on_timer<M>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey)
    where
        M: From<InventoryMsg> + From<ZkMsg>,
    {
        if timer_tag::tag_of(key) == ZK {
            return self.lock.on_timer(ctx, key);
        }
        let Some(p) = self.current else { return };
        match (timer_tag::local_of(key), p.step) {
            (COMPUTE, PurchaseStep::Computing { units }) => {
                self.current = Some(Purchase { step: PurchaseStep::Writing, ..p });
                self.next_req += 1;
                let token = if self.config.use_lock { self.lock.token() } else { None };
                let write = InventoryMsg::Write {
                    req: self.next_req,
                    product: p.product,
                    units: units - p.qty,
                    sold: p.qty,
                    token,
                };
                ctx.send(self.store, write.into());
                ctx.set_timer(timer_tag::key(INVENTORY, STORE_TIMEOUT), self.config.store_timeout_us);
            }
            (STORE_TIMEOUT, PurchaseStep::Reading | PurchaseStep::Writing) => {
                self.finish(ctx, PurchaseOutcome::Failed(InventoryFailure::StoreTimeout));
            }
            _ => {}
        }
    }

    fn finish<M: From<InventoryMsg> + From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, outcome: PurchaseOutcome) {
        let Some(p) = self.current.take() else { return };
        ctx.cancel_timer(timer_tag::key(INVENTORY, STORE_TIMEOUT));
        ctx.cancel_timer(timer_tag::key(INVENTORY, COMPUTE));
        match outcome {
            PurchaseOutcome::Sold => self.sold += 1,
            PurchaseOutcome::Failed(_) => self.failed += 1,
        }
        if self.outcomes.len() == OUTCOMES_KEPT {
            self.outcomes.pop_front();
        }
        self.outcomes.push_back((p.order, outcome));
        if p.requester != ctx.me {
            ctx.send(p.requester, InventoryMsg::PurchaseDone { order: p.order, outcome }.into());
        }
        if self.config.use_lock {
            self.lock.release(ctx);
        }
        self.next_purchase(ctx);
    }
}
