//! The stock of products, and the inventory service that sells from it.
//!
//! Owns `InventoryStore` — the table of units per product, which applies
//! writes as they come and, with fencing on, rejects any operation, read or
//! write, whose fencing token is lower than the highest it has seen — and (in `service`)
//! `InventoryService`, which performs a purchase as read-modify-write in two
//! round trips (read the stock, compute, write stock − n), optionally inside
//! the ZooKeeper lock. Two services without the lock interleave and oversell;
//! with the lock they take turns; a holder paused past its session's expiry
//! writes after the next holder and oversells again unless the store checks
//! fencing tokens. A real fenced store checks the token on every operation
//! of the critical section, the read included: a purchase's write is
//! computed from its read, so a stale holder's write must not land between
//! the current holder's read and write. Once the store has seen token n on a
//! read, it refuses token n − 1 on a write (the same effect as a
//! compare-and-set write, with the token as the condition).
//! Never decides who holds the lock (ZooKeeper does) and never trusts a
//! client's belief that it holds it: only the token the store sees counts.

use super::zk_lock::FencingToken;
use crate::sim::{Ctx, Message, NodeId};
use std::collections::BTreeMap;

mod service;
pub use service::{InventoryService, InventoryServiceConfig, Purchase, PurchaseStep};

/// Why a write or a purchase failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InventoryFailure {
    /// Fewer units left than asked for.
    InsufficientStock,
    /// The store has accepted a higher token: this writer's lock is stale.
    StaleFencingToken,
    /// The store does not sell this product.
    UnknownProduct,
    /// The lock session expired before the purchase reached its write.
    LockLost,
    /// The store did not answer in time: the write may or may not have happened.
    StoreTimeout,
}

/// What a purchase came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PurchaseOutcome {
    Sold,
    Failed(InventoryFailure),
}

/// Messages between requesters, inventory services and the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InventoryMsg {
    /// Buy `qty` units of `product` (to a service).
    Purchase { order: u32, product: u32, qty: u32 },
    /// The purchase's outcome, to whoever asked.
    PurchaseDone { order: u32, outcome: PurchaseOutcome },
    /// `SELECT units` (to the store), with the reader's fencing token if it
    /// holds the lock.
    Read { req: u32, product: u32, token: Option<u32> },
    /// The units the row holds now.
    ReadOk { req: u32, product: u32, units: u32 },
    /// `UPDATE … SET units = <units>`, recording `sold` units, with the
    /// writer's fencing token (a `FencingToken`) if it holds the lock.
    Write { req: u32, product: u32, units: u32, sold: u32, token: Option<u32> },
    /// The write was applied.
    WriteOk { req: u32 },
    /// The read or write was refused.
    Rejected { req: u32, reason: InventoryFailure },
    /// Roll back a sale whose transaction aborted: `units` back on the shelf.
    Return { product: u32, units: u32 },
}

impl Message for InventoryMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Purchase { .. } => "purchase",
            Self::PurchaseDone { outcome: PurchaseOutcome::Sold, .. } => "purchase-ok",
            Self::PurchaseDone { .. } => "purchase-failed",
            Self::Read { .. } => "stock-read",
            Self::ReadOk { .. } => "stock-read-ok",
            Self::Write { .. } => "stock-write",
            Self::WriteOk { .. } => "stock-write-ok",
            Self::Rejected { .. } => "stock-write-rejected",
            Self::Return { .. } => "stock-return",
        }
    }
}

/// One product's row.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProductStock {
    /// Units ever put on sale (initial stock plus restocks).
    pub supplied_units: u32,
    /// Units the row says are left.
    pub units: u32,
    /// Units recorded as sold by accepted writes.
    pub units_sold: u32,
}

impl ProductStock {
    /// Units sold beyond what was ever supplied.
    pub fn units_oversold(&self) -> u32 {
        self.units_sold.saturating_sub(self.supplied_units)
    }
}

/// The store's switches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InventoryStoreConfig {
    /// Check fencing tokens (Kleppmann 2016) on reads and writes: reject a
    /// token lower than the highest seen. Off: apply whatever comes.
    pub fencing: bool,
}

/// The stock table. Everything is durable (it is a database).
#[derive(Clone, Debug, Default)]
pub struct InventoryStore {
    pub config: InventoryStoreConfig,
    pub stock: BTreeMap<u32, ProductStock>,
    /// The highest token of any operation accepted, read or write.
    pub highest_token_accepted: Option<FencingToken>,
    /// The token of the last accepted write.
    pub last_token_accepted: Option<FencingToken>,
    /// Accepted writes whose token was lower than the one accepted before.
    pub token_regressions: u64,
    pub writes_rejected: u64,
    pub reads_rejected: u64,
    /// Units sold over every product (kept as writes land: the invariants
    /// read it after every event).
    total_sold: u64,
    /// The first product a write left oversold, if any.
    pub first_oversold: Option<u32>,
}

impl InventoryStore {
    pub fn new(config: InventoryStoreConfig) -> Self {
        Self { config, ..Self::default() }
    }

    /// Put `units` more of `product` on sale.
    pub fn add_stock(&mut self, product: u32, units: u32) {
        let row = self.stock.entry(product).or_default();
        row.supplied_units += units;
        row.units += units;
    }

    pub fn units_sold(&self) -> u64 {
        self.total_sold
    }

    pub fn units_oversold(&self) -> u64 {
        self.stock.values().map(|r| u64::from(r.units_oversold())).sum()
    }

    pub fn on_message<M: From<InventoryMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: InventoryMsg) {
        let reply = match msg {
            InventoryMsg::Read { req, product, token } => match self.read(product, token) {
                Ok(units) => InventoryMsg::ReadOk { req, product, units },
                Err(reason) => {
                    self.reads_rejected += 1;
                    ctx.log(format!("stock: read with token {token:?} rejected: {reason:?}"));
                    InventoryMsg::Rejected { req, reason }
                }
            },
            InventoryMsg::Write { req, product, units, sold, token } => match self.write(product, units, sold, token) {
                Ok(()) => InventoryMsg::WriteOk { req },
                Err(reason) => {
                    self.writes_rejected += 1;
                    ctx.log(format!("stock: write with token {token:?} rejected: {reason:?}"));
                    InventoryMsg::Rejected { req, reason }
                }
            },
            InventoryMsg::Return { product, units } => {
                if let Some(row) = self.stock.get_mut(&product) {
                    let units = units.min(row.units_sold);
                    row.units += units;
                    row.units_sold -= units;
                    self.total_sold -= u64::from(units);
                }
                return;
            }
            _ => return,
        };
        ctx.send(from, reply.into());
    }

    /// With fencing on, refuses a token lower than the highest seen; records
    /// an accepted one.
    fn admit(&mut self, token: Option<FencingToken>) -> Result<(), InventoryFailure> {
        let Some(t) = token else { return Ok(()) };
        if self.config.fencing && self.highest_token_accepted.is_some_and(|h| t < h) {
            return Err(InventoryFailure::StaleFencingToken);
        }
        self.highest_token_accepted = Some(self.highest_token_accepted.map_or(t, |h| h.max(t)));
        Ok(())
    }

    fn read(&mut self, product: u32, token: Option<FencingToken>) -> Result<u32, InventoryFailure> {
        let units = self.stock.get(&product).ok_or(InventoryFailure::UnknownProduct)?.units;
        self.admit(token)?;
        Ok(units)
    }

    fn write(
        &mut self,
        product: u32,
        units: u32,
        sold: u32,
        token: Option<FencingToken>,
    ) -> Result<(), InventoryFailure> {
        if !self.stock.contains_key(&product) {
            return Err(InventoryFailure::UnknownProduct);
        }
        self.admit(token)?;
        if let Some(t) = token {
            if self.last_token_accepted.is_some_and(|last| t < last) {
                self.token_regressions += 1;
            }
            self.last_token_accepted = Some(t);
        }
        let row = self.stock.get_mut(&product).ok_or(InventoryFailure::UnknownProduct)?;
        row.units = units;
        row.units_sold += sold;
        self.total_sold += u64::from(sold);
        if row.units_oversold() > 0 && self.first_oversold.is_none() {
            self.first_oversold = Some(product);
        }
        Ok(())
    }
}

/// Invariant "no oversold stock": no product sold beyond its supply.
pub fn check_no_oversell(store: &InventoryStore) -> Result<(), String> {
    let first = store.first_oversold.and_then(|p| Some((p, store.stock.get(&p)?)));
    match first {
        Some((product, row)) => Err(format!(
            "product {product}: {} units sold of {} supplied ({} oversold)",
            row.units_sold,
            row.supplied_units,
            row.units_oversold()
        )),
        None => Ok(()),
    }
}

/// Invariant "lock tokens accepted at the resource never decrease".
pub fn check_tokens_monotonic(store: &InventoryStore) -> Result<(), String> {
    if store.token_regressions == 0 {
        Ok(())
    } else {
        Err(format!("{} write(s) accepted with a lower token than the one before", store.token_regressions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads and writes with tokens (None = no lock) against a store with and
    /// without fencing: which are accepted, and whether write tokens ever went
    /// backwards. With fencing, a read with token 4 fences off a later write
    /// with token 3.
    #[test]
    fn fencing_rejects_a_lower_token_on_any_operation_and_plain_store_takes_anything() {
        let ops =
            [(false, Some(1)), (false, Some(3)), (true, Some(4)), (false, Some(2)), (false, None), (false, Some(3))];
        let cases = [(true, [true, true, true, false, true, false], 0), (false, [true; 6], 1)];
        for (fencing, accepted, regressions) in cases {
            let mut store = InventoryStore::new(InventoryStoreConfig { fencing });
            store.add_stock(7, 10);
            let got: Vec<bool> = ops
                .iter()
                .map(|&(read, t)| if read { store.read(7, t).is_ok() } else { store.write(7, 9, 1, t).is_ok() })
                .collect();
            assert_eq!(got, accepted, "fencing {fencing}");
            assert_eq!(store.token_regressions, regressions, "fencing {fencing}");
            assert_eq!(store.highest_token_accepted, Some(4), "fencing {fencing}");
            assert_eq!(check_tokens_monotonic(&store).is_ok(), regressions == 0);
            assert!(check_no_oversell(&store).is_ok());
        }
        assert!(size_of::<InventoryMsg>() <= 32);
    }
}
