//! The product cache: a Redis-like store and the cache-aside logic in front of the product DB.
//!
//! Owns the cache server (`CacheStore`: entries with a version and a TTL,
//! lazy expiry on read, hit/miss counters) and the cache-aside client the
//! product service runs (`CacheAside`): read → cache hit, or miss → load from
//! the DB → set with TTL; update → write the DB, then delete the cache entry.
//! Optionally guards against a stampede: without a guard, N concurrent misses
//! on a hot key all load from the DB; with single-flight only the first does
//! and the rest wait for its answer (`db_loads` and `loads_coalesced` make it
//! visible). A cache that refuses or does not answer in time is treated as a
//! miss (read the DB). Never holds product data of its own: versions come from
//! the DB, which the host wires by `NodeId`.
//!
//! Volatile: everything but the settings (a restarted cache is empty).

use crate::sim::{Ctx, MS, Message, NodeId, TimeUs};
use std::collections::BTreeMap;

mod aside;
pub use aside::{
    CacheAside, CacheAsideConfig, CacheDone, CacheFailure, ReadSource, StampedeGuard, check_single_flight,
};

/// What cache, DB and product service say. `req` is the client's operation id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheMsg {
    Get {
        product: u32,
        req: u32,
    },
    Value {
        product: u32,
        version: u32,
        req: u32,
    },
    Miss {
        product: u32,
        req: u32,
    },
    Set {
        product: u32,
        version: u32,
        ttl_ms: u32,
    },
    Delete {
        product: u32,
    },
    /// Read the product's row from the DB.
    DbLoad {
        product: u32,
        req: u32,
    },
    DbRow {
        product: u32,
        version: u32,
        req: u32,
    },
    /// Update the product's row (the DB bumps its version).
    DbUpdate {
        product: u32,
        req: u32,
    },
    DbUpdated {
        product: u32,
        version: u32,
        req: u32,
    },
}

impl Message for CacheMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Get { .. } => "cache-get",
            Self::Value { .. } => "cache-hit",
            Self::Miss { .. } => "cache-miss",
            Self::Set { .. } => "cache-set",
            Self::Delete { .. } => "cache-del",
            Self::DbLoad { .. } => "db-load",
            Self::DbRow { .. } => "db-row",
            Self::DbUpdate { .. } => "db-update",
            Self::DbUpdated { .. } => "db-updated",
        }
    }
}

/// One cached product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheEntry {
    pub version: u32,
    pub set_at_us: TimeUs,
    pub ttl_us: TimeUs,
}

/// An entry's freshness, for inspectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    pub product: u32,
    pub version: u32,
    pub age_us: TimeUs,
    pub ttl_us: TimeUs,
}

/// The cache server. Volatile: everything.
#[derive(Clone, Debug, Default)]
pub struct CacheStore {
    pub entries: BTreeMap<u32, CacheEntry>,
    pub hits: u64,
    pub misses: u64,
    pub sets: u64,
    pub deletes: u64,
    /// Values served after their TTL. Must stay 0.
    pub served_expired: u64,
}

impl CacheStore {
    pub fn on_crash(&mut self) {
        *self = Self::default();
    }

    pub fn on_message<M: From<CacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: CacheMsg) {
        let now = ctx.now_us;
        match msg {
            CacheMsg::Get { product, req } => {
                let reply = match self.get(product, now) {
                    Some(entry) => CacheMsg::Value { product, version: entry.version, req },
                    None => CacheMsg::Miss { product, req },
                };
                ctx.send(from, reply.into());
            }
            CacheMsg::Set { product, version, ttl_ms } => {
                self.sets += 1;
                let ttl_us = TimeUs::from(ttl_ms) * MS;
                self.entries.insert(product, CacheEntry { version, set_at_us: now, ttl_us });
            }
            CacheMsg::Delete { product } => {
                self.deletes += 1;
                self.entries.remove(&product);
            }
            _ => {}
        }
    }

    /// Redis-style lazy expiry: an expired key is removed when read.
    pub fn get(&mut self, product: u32, now_us: TimeUs) -> Option<CacheEntry> {
        match self.entries.get(&product).copied() {
            Some(entry) if now_us < entry.set_at_us + entry.ttl_us => {
                self.hits += 1;
                Some(entry)
            }
            Some(_) => {
                self.entries.remove(&product);
                self.misses += 1;
                None
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Age and TTL of every live entry at `now_us`.
    pub fn freshness(&self, now_us: TimeUs) -> Vec<Freshness> {
        (self.entries.iter())
            .filter(|(_, e)| now_us < e.set_at_us + e.ttl_us)
            .map(|(&product, e)| Freshness {
                product,
                version: e.version,
                age_us: now_us - e.set_at_us,
                ttl_us: e.ttl_us,
            })
            .collect()
    }

    /// Hits per thousand lookups.
    pub fn hit_ratio_permille(&self) -> u64 {
        (self.hits * 1000).checked_div(self.hits + self.misses).unwrap_or(0)
    }
}

/// The cache never serves a value past its TTL.
pub fn check_never_served_expired(store: &CacheStore) -> Result<(), String> {
    if store.served_expired > 0 {
        return Err(format!("{} values served after their TTL", store.served_expired));
    }
    Ok(())
}

/// Products whose cached version is older than the DB's (`db_version`),
/// e.g. after the read/update race of cache-aside; each lasts at most its TTL.
pub fn stale_entries(store: &CacheStore, now_us: TimeUs, db_version: impl Fn(u32) -> u32) -> Vec<u32> {
    store.freshness(now_us).into_iter().filter(|f| f.version < db_version(f.product)).map(|f| f.product).collect()
}
