//! Cache-aside in front of the product DB, as the product service runs it.
//!
//! Owns the read path (cache hit, or miss → load from the DB → `SET` with
//! TTL), the update path (write the DB, then delete the cache entry), the
//! optional stampede guard (single-flight: one DB load per key at a time, the
//! other misses wait for it) and the counters that make DB load visible. A
//! cache that refuses or does not answer in time counts as a miss. Never
//! holds product data of its own.
//!
//! Volatile: everything but the settings and peers.

use super::CacheMsg;
use crate::cluster::timer_tag::{self, PRODUCT_CACHE};
use crate::sim::{Ctx, MS, NodeId, SEC, TimeUs, TimerKey};
use std::collections::BTreeMap;

/// How concurrent misses on one key are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StampedeGuard {
    /// Every miss loads from the DB (the stampede).
    None,
    /// One load per key at a time; other misses wait for it (single-flight).
    SingleFlight,
}

/// Cache-aside settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheAsideConfig {
    /// TTL set on every cached product (`SET key value EX 300`).
    pub ttl_us: TimeUs,
    pub guard: StampedeGuard,
    /// How long to wait for the cache before reading the DB (Jedis
    /// `soTimeout` default 2000 ms).
    pub cache_timeout_us: TimeUs,
    /// How long to wait for the DB before failing the read.
    pub db_timeout_us: TimeUs,
}

impl Default for CacheAsideConfig {
    fn default() -> Self {
        Self { ttl_us: 300 * SEC, guard: StampedeGuard::None, cache_timeout_us: 2000 * MS, db_timeout_us: 2000 * MS }
    }
}

/// Where a read's answer came from, or why it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReadSource {
    Cache,
    /// A miss: loaded from the DB (by this read or, single-flight, another).
    Db,
}

/// Why a cache-aside operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheFailure {
    DbTimedOut,
    DbRefused,
}

/// A finished read or update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheDone {
    pub tag: u32,
    pub product: u32,
    pub result: Result<(u32, ReadSource), CacheFailure>,
    pub is_update: bool,
    pub latency_us: TimeUs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// What an operation is waiting for.
enum Phase {
    Cache,
    Db,
    /// Another read's load of the same product (single-flight).
    Loader,
    Update,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Op {
    tag: u32,
    product: u32,
    started_us: TimeUs,
    phase: Phase,
}

/// The product service's cache-aside logic. Volatile: everything but the
/// settings and peers.
#[derive(Clone, Debug)]
pub struct CacheAside {
    pub config: CacheAsideConfig,
    pub cache: NodeId,
    pub db: NodeId,
    ops: BTreeMap<u32, Op>,
    /// Single-flight: the op loading each product, and who waits for it.
    loading: BTreeMap<u32, (u32, Vec<u32>)>,
    next_req: u32,
    pub reads: u64,
    pub hits: u64,
    pub misses: u64,
    pub db_loads: u64,
    /// Misses that waited for another read's load instead of loading.
    pub loads_coalesced: u64,
    pub updates: u64,
    pub invalidations: u64,
    pub cache_errors: u64,
}

impl CacheAside {
    pub fn new(config: CacheAsideConfig, cache: NodeId, db: NodeId) -> Self {
        Self {
            config,
            cache,
            db,
            ops: BTreeMap::new(),
            loading: BTreeMap::new(),
            next_req: 0,
            reads: 0,
            hits: 0,
            misses: 0,
            db_loads: 0,
            loads_coalesced: 0,
            updates: 0,
            invalidations: 0,
            cache_errors: 0,
        }
    }

    pub fn on_crash(&mut self) {
        *self = Self::new(self.config, self.cache, self.db);
    }

    fn start<M>(&mut self, ctx: &mut Ctx<'_, M>, tag: u32, product: u32, phase: Phase, timeout_us: TimeUs) -> u32 {
        let req = self.next_req;
        self.next_req = self.next_req.wrapping_add(1);
        self.ops.insert(req, Op { tag, product, started_us: ctx.now_us, phase });
        ctx.set_timer(timer_key(req), timeout_us);
        req
    }

    /// Read `product`; the answer comes back from a later handler as a `CacheDone` with `tag`.
    pub fn read<M: From<CacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, product: u32, tag: u32) {
        self.reads += 1;
        let req = self.start(ctx, tag, product, Phase::Cache, self.config.cache_timeout_us);
        ctx.send(self.cache, CacheMsg::Get { product, req }.into());
    }

    /// Update `product`: write the DB, then delete the cache entry.
    pub fn update<M: From<CacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, product: u32, tag: u32) {
        self.updates += 1;
        let req = self.start(ctx, tag, product, Phase::Update, self.config.db_timeout_us);
        ctx.send(self.db, CacheMsg::DbUpdate { product, req }.into());
    }

    pub fn on_message<M: From<CacheMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        _from: NodeId,
        msg: CacheMsg,
    ) -> Vec<CacheDone> {
        match msg {
            CacheMsg::Value { version, req, .. } => {
                if !self.in_phase(req, Phase::Cache) {
                    return Vec::new();
                }
                self.hits += 1;
                self.complete(ctx, req, Ok((version, ReadSource::Cache)), false).into_iter().collect()
            }
            CacheMsg::Miss { req, .. } => {
                if self.in_phase(req, Phase::Cache) {
                    self.misses += 1;
                    self.load(ctx, req);
                }
                Vec::new()
            }
            CacheMsg::DbRow { product, version, req } => self.loaded(ctx, req, product, Ok(version)),
            CacheMsg::DbUpdated { product, version, req } => {
                if !self.in_phase(req, Phase::Update) {
                    return Vec::new();
                }
                // Invalidate after the DB write: the next read loads the new row.
                self.invalidations += 1;
                ctx.send(self.cache, CacheMsg::Delete { product }.into());
                self.complete(ctx, req, Ok((version, ReadSource::Db)), true).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    fn in_phase(&self, req: u32, phase: Phase) -> bool {
        self.ops.get(&req).is_some_and(|op| op.phase == phase)
    }

    /// A miss: load from the DB, or (single-flight) wait for the load in flight.
    fn load<M: From<CacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, req: u32) {
        let Some(op) = self.ops.get_mut(&req) else { return };
        let product = op.product;
        if self.config.guard == StampedeGuard::SingleFlight
            && let Some((_, waiters)) = self.loading.get_mut(&product)
        {
            op.phase = Phase::Loader;
            waiters.push(req);
            self.loads_coalesced += 1;
            ctx.cancel_timer(timer_key(req));
            return;
        }
        op.phase = Phase::Db;
        self.db_loads += 1;
        if self.config.guard == StampedeGuard::SingleFlight {
            self.loading.insert(product, (req, Vec::new()));
        }
        ctx.set_timer(timer_key(req), self.config.db_timeout_us);
        ctx.send(self.db, CacheMsg::DbLoad { product, req }.into());
    }

    /// The DB answered (or failed) load `req`: set the cache, answer the
    /// reader and everyone waiting on the same load.
    fn loaded<M: From<CacheMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        req: u32,
        product: u32,
        row: Result<u32, CacheFailure>,
    ) -> Vec<CacheDone> {
        if !self.in_phase(req, Phase::Db) {
            return Vec::new();
        }
        if let Ok(version) = row {
            let ttl_ms = u32::try_from(self.config.ttl_us / MS).unwrap_or(u32::MAX);
            ctx.send(self.cache, CacheMsg::Set { product, version, ttl_ms }.into());
        }
        let mut waiting = vec![req];
        if let Some((loader, waiters)) = self.loading.remove(&product) {
            if loader == req {
                waiting.extend(waiters);
            } else {
                self.loading.insert(product, (loader, waiters));
            }
        }
        let result = row.map(|version| (version, ReadSource::Db));
        waiting.into_iter().filter_map(|r| self.complete(ctx, r, result, false)).collect()
    }

    fn complete<M>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        req: u32,
        result: Result<(u32, ReadSource), CacheFailure>,
        is_update: bool,
    ) -> Option<CacheDone> {
        let op = self.ops.remove(&req)?;
        ctx.cancel_timer(timer_key(req));
        Some(CacheDone { tag: op.tag, product: op.product, result, is_update, latency_us: ctx.now_us - op.started_us })
    }

    /// A timeout: the cache's → read the DB; the DB's → fail.
    pub fn on_timer<M: From<CacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) -> Vec<CacheDone> {
        if timer_tag::tag_of(key) != PRODUCT_CACHE {
            return Vec::new();
        }
        let req = timer_tag::local_of(key) as u32;
        self.failed(ctx, req, CacheFailure::DbTimedOut)
    }

    /// A send was refused: the cache's host → read the DB; the DB's → fail.
    pub fn on_refused<M: From<CacheMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        _to: NodeId,
        msg: CacheMsg,
    ) -> Vec<CacheDone> {
        match msg {
            CacheMsg::Get { req, .. } | CacheMsg::DbLoad { req, .. } | CacheMsg::DbUpdate { req, .. } => {
                self.failed(ctx, req, CacheFailure::DbRefused)
            }
            _ => Vec::new(),
        }
    }

    fn failed<M: From<CacheMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        req: u32,
        db_failure: CacheFailure,
    ) -> Vec<CacheDone> {
        let Some(op) = self.ops.get(&req).copied() else { return Vec::new() };
        match op.phase {
            Phase::Cache => {
                self.cache_errors += 1;
                self.misses += 1;
                self.load(ctx, req);
                Vec::new()
            }
            Phase::Db => self.loaded(ctx, req, op.product, Err(db_failure)),
            Phase::Update => self.complete(ctx, req, Err(db_failure), true).into_iter().collect(),
            Phase::Loader => Vec::new(),
        }
    }

    /// Hits per thousand reads.
    pub fn hit_ratio_permille(&self) -> u64 {
        (self.hits * 1000).checked_div(self.reads).unwrap_or(0)
    }
}

fn timer_key(req: u32) -> TimerKey {
    timer_tag::key(PRODUCT_CACHE, u64::from(req))
}

/// With single-flight, a product is never loaded by two reads of this client
/// at once: the number of loads in flight per product is at most one.
pub fn check_single_flight(client: &CacheAside) -> Result<(), String> {
    if client.config.guard != StampedeGuard::SingleFlight {
        return Ok(());
    }
    let mut per_product: BTreeMap<u32, u32> = BTreeMap::new();
    for op in client.ops.values().filter(|op| op.phase == Phase::Db) {
        *per_product.entry(op.product).or_insert(0) += 1;
    }
    match per_product.iter().find(|(_, n)| **n > 1) {
        Some((product, n)) => Err(format!("product {product} loaded {n} times at once under single-flight")),
        None => Ok(()),
    }
}
