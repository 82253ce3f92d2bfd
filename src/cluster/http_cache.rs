//! The browser's HTTP cache (RFC 9111) and the HTTP caching vocabulary every
//! cache of the shop shares.
//!
//! Owns resource ids, the cache-related response header fields (`Headers`),
//! the freshness rules (s-maxage for shared caches > max-age >
//! Expires − Date > 10 % of Date − Last-Modified), the store with its pure
//! `lookup` and its `on_response` update, the conditional-request rule
//! (If-None-Match first; If-Modified-Since only without it) and the
//! no-stale-served check. The wire type `HttpCacheMsg` is in
//! `http_cache/wire.rs`, the browser and origin nodes in `http_cache/nodes.rs`
//! (both re-exported here), the shared CDN cache in `cdn.rs`. Holds no node
//! state of its own and never sends anything.

use crate::sim::TimeUs;
use std::collections::BTreeMap;

/// A resource (a page, a product image) by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceId(pub u32);

/// The cache-related header fields of a response (RFC 9111 §5, RFC 9110 §8.8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Headers {
    /// `Date`: when the origin generated the response (whole seconds).
    pub date_us: TimeUs,
    /// `Cache-Control: max-age`.
    pub max_age_us: Option<TimeUs>,
    /// `Cache-Control: s-maxage`: shared caches only, where it beats max-age.
    pub s_maxage_us: Option<TimeUs>,
    /// `Expires` (absolute); ignored when max-age is present.
    pub expires_us: Option<TimeUs>,
    /// `Cache-Control: no-cache`: may be stored, never used unvalidated.
    pub no_cache: bool,
    /// `Cache-Control: no-store`: never stored.
    pub no_store: bool,
    /// `Cache-Control: private`: a shared cache must not store it.
    pub private: bool,
    /// `ETag`: a strong validator; in this model it is the content version.
    pub etag: Option<u32>,
    /// `Last-Modified`.
    pub last_modified_us: Option<TimeUs>,
}

/// A browser's own cache, or a cache shared by many users (a CDN, a proxy).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CacheKind {
    Private,
    Shared,
}

/// RFC 9111 §4.2.2: a heuristic lifetime of "some fraction of the interval
/// since" Last-Modified; "a typical setting of this fraction might be 10%",
/// which is what Chromium and Firefox use.
pub const HEURISTIC_PERCENT: u64 = 10;

impl Headers {
    /// RFC 9111 §4.2.1, first match wins.
    pub fn freshness_lifetime_us(&self, kind: CacheKind, heuristic_percent: u64) -> TimeUs {
        if kind == CacheKind::Shared
            && let Some(s_maxage_us) = self.s_maxage_us
        {
            return s_maxage_us;
        }
        if let Some(max_age_us) = self.max_age_us {
            return max_age_us;
        }
        if let Some(expires_us) = self.expires_us {
            return expires_us.saturating_sub(self.date_us);
        }
        self.last_modified_us.map_or(0, |lm| self.date_us.saturating_sub(lm) / 100 * heuristic_percent)
    }

    /// The response's age. Virtual clocks agree everywhere, so `now − Date`
    /// is exactly what an `Age` header added by a cache on the way would say.
    pub fn age_us(&self, now_us: TimeUs) -> TimeUs {
        now_us.saturating_sub(self.date_us)
    }

    /// May be used without asking the origin (§4.2: lifetime > current age).
    pub fn is_fresh(&self, now_us: TimeUs, kind: CacheKind, heuristic_percent: u64) -> bool {
        !self.no_cache && self.freshness_lifetime_us(kind, heuristic_percent) > self.age_us(now_us)
    }

    /// §3: no-store is never stored; `private` not by a shared cache.
    pub fn storable(&self, kind: CacheKind) -> bool {
        !(self.no_store || (kind == CacheKind::Shared && self.private))
    }
}

/// RFC 9110 §13.2.2 for a GET: If-None-Match is evaluated first, and when it
/// is present If-Modified-Since is ignored (§13.1.3). True means "answer 304".
/// Last-Modified is compared in whole seconds, as on the wire: two versions
/// saved within one second look the same to If-Modified-Since.
pub fn not_modified(
    etag: Option<u32>,
    last_modified_us: Option<TimeUs>,
    if_none_match: Option<u32>,
    if_modified_since_s: Option<u32>,
) -> bool {
    if let Some(tag) = if_none_match {
        return etag == Some(tag);
    }
    matches!((last_modified_us, if_modified_since_s), (Some(lm), Some(ims)) if to_secs(lm) <= ims)
}

/// One stored response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub version: u32,
    pub headers: Headers,
    pub stored_us: TimeUs,
}

/// Why a stored response needs the origin's confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevalidateWhy {
    Stale,
    NoCache,
}

/// What a cache does with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheDecision {
    /// Strong cache: serve the stored body, send nothing.
    Fresh { version: u32 },
    /// Negotiated cache: send a conditional GET with the stored validators.
    Revalidate { why: RevalidateWhy, if_none_match: Option<u32>, if_modified_since_s: Option<u32> },
    /// Nothing usable stored (or nothing to validate with): a plain GET.
    Miss,
}

/// What a cache has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Served fresh from the store, no request sent.
    pub hits: u64,
    pub revalidations: u64,
    pub misses: u64,
    /// 304s received.
    pub not_modified: u64,
    /// 200s received.
    pub full: u64,
    /// 200s that were not stored (no-store, or private at a shared cache).
    pub not_stored: u64,
    /// Served a stored response that was stale, without revalidating. Stays 0
    /// unless serving stale on error is switched on.
    pub stale_served: u64,
}

/// A cache's store of responses.
#[derive(Clone, Debug)]
pub struct HttpCache {
    pub kind: CacheKind,
    pub heuristic_percent: u64,
    pub entries: BTreeMap<ResourceId, Entry>,
    pub stats: CacheStats,
}

impl HttpCache {
    pub fn new(kind: CacheKind, heuristic_percent: u64) -> Self {
        Self { kind, heuristic_percent, entries: BTreeMap::new(), stats: CacheStats::default() }
    }

    pub fn is_fresh(&self, now_us: TimeUs, id: ResourceId) -> bool {
        self.entries.get(&id).is_some_and(|e| e.headers.is_fresh(now_us, self.kind, self.heuristic_percent))
    }

    /// The decision for a request, without changing anything.
    pub fn lookup(&self, now_us: TimeUs, id: ResourceId) -> CacheDecision {
        let Some(entry) = self.entries.get(&id) else { return CacheDecision::Miss };
        decide_stored(now_us, self.kind, self.heuristic_percent, entry.version, &entry.headers)
    }

    /// `lookup`, counted as a request handled.
    pub fn decide(&mut self, now_us: TimeUs, id: ResourceId) -> CacheDecision {
        let decision = self.lookup(now_us, id);
        match decision {
            CacheDecision::Fresh { .. } => self.stats.hits += 1,
            CacheDecision::Revalidate { .. } => self.stats.revalidations += 1,
            CacheDecision::Miss => self.stats.misses += 1,
        }
        decision
    }

    /// Serve the stored body without asking the origin (stale-if-error):
    /// counted as a stale serve unless the entry is fresh.
    pub fn serve_stored(&mut self, now_us: TimeUs, id: ResourceId) -> Option<u32> {
        let fresh = self.is_fresh(now_us, id);
        let entry = self.entries.get(&id)?;
        if !fresh {
            self.stats.stale_served += 1;
        }
        Some(entry.version)
    }

    /// Take in an answer from upstream; returns the version to serve. A 304
    /// replaces the stored header fields (new Date, so a new lifetime, RFC 9111
    /// §4.3.4) and keeps the body; a 200 replaces the entry or, if it may not
    /// be stored, drops it. A 304 for nothing stored gives `None`.
    pub fn on_response(&mut self, now_us: TimeUs, id: ResourceId, response: &Response) -> Option<u32> {
        match response.status {
            ResponseStatus::NotModified => {
                let entry = self.entries.get_mut(&id)?;
                self.stats.not_modified += 1;
                entry.headers = response.headers;
                entry.stored_us = now_us;
                Some(entry.version)
            }
            ResponseStatus::Ok => {
                self.stats.full += 1;
                if response.headers.storable(self.kind) {
                    let entry = Entry { version: response.version, headers: response.headers, stored_us: now_us };
                    self.entries.insert(id, entry);
                } else {
                    self.stats.not_stored += 1;
                    self.entries.remove(&id);
                }
                Some(response.version)
            }
        }
    }
}

/// What a cache holding `version` with header fields `h` does with a request
/// for it (the rule behind `HttpCache::lookup`, for caches that keep their
/// entries in another form).
pub fn decide_stored(
    now_us: TimeUs,
    kind: CacheKind,
    heuristic_percent: u64,
    version: u32,
    h: &Headers,
) -> CacheDecision {
    if h.is_fresh(now_us, kind, heuristic_percent) {
        return CacheDecision::Fresh { version };
    }
    if h.etag.is_none() && h.last_modified_us.is_none() {
        return CacheDecision::Miss;
    }
    let why = if h.no_cache { RevalidateWhy::NoCache } else { RevalidateWhy::Stale };
    // Browsers send both validators; the server decides which counts.
    let if_modified_since_s = h.last_modified_us.map(to_secs);
    CacheDecision::Revalidate { why, if_none_match: h.etag, if_modified_since_s }
}

/// Invariant 10: a cache never serves a stale response without revalidating.
pub fn check_no_stale_served(cache: &HttpCache) -> Result<(), String> {
    check_stats_no_stale_served(&cache.stats)
}

/// Invariant 10 over a cache's counters (for caches kept in another form).
pub fn check_stats_no_stale_served(stats: &CacheStats) -> Result<(), String> {
    match stats.stale_served {
        0 => Ok(()),
        n => Err(format!("served {n} stale response(s) without revalidation")),
    }
}

// The wire form and the nodes live in their own files (the size limit).
mod wire;
pub use wire::{FetchFailure, HttpCacheMsg, Response, ResponseStatus, WireFlags, WireTimes, to_secs};
mod nodes;
pub use nodes::{
    Browser, BrowserConfig, CachePolicy, FetchOutcome, Origin, OriginConfig, OriginResource, ServedVia, origin_answer,
};
