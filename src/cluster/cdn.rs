//! A CDN edge: one region's shared HTTP cache in front of the origin.
//!
//! Owns the edge's store (the same RFC 9111 rules as a browser, but as a
//! shared cache: s-maxage wins, `private` is not stored), edge hits versus
//! origin fetches (conditional when it holds validators), collapsing of
//! concurrent misses into one origin fetch (as Varnish and CloudFront do by
//! default), purges, and the answers it gives clients (304 when their own
//! validator still matches its copy). After a deploy the edge keeps serving
//! the old version until its copy's lifetime ends or a purge arrives: the
//! "stale image after an update" failure, counted in `serving_stale_version`.
//! Never asks the origin whether content changed except by fetching it, and
//! never learns of a deploy except through `note_origin_version`, an
//! observer's note used only for that count.

use super::http_cache::{CacheDecision, CacheKind, FetchFailure, HEURISTIC_PERCENT, Headers, HttpCache};
use super::http_cache::{HttpCacheMsg, Origin, ResourceId, Response, ResponseStatus, not_modified};
use super::timer_tag::{self, CDN};
use crate::sim::{Ctx, Message, NodeId, SEC, TimeUs, TimerKey};
use std::collections::{BTreeMap, VecDeque};

/// How many serves an edge remembers for inspectors and tests.
const RECENT_SERVES: usize = 64;

/// Edge settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CdnConfig {
    /// CloudFront's origin response timeout: 30 s.
    pub origin_timeout_us: TimeUs,
    /// Percent of Date − Last-Modified used as heuristic lifetime (10).
    pub heuristic_percent: u64,
    /// Serve a stored copy, even stale, when the origin fails (stale-if-error,
    /// RFC 5861). Off by default; when on, the no-stale-served invariant can break.
    pub serve_stale_on_error: bool,
}

impl Default for CdnConfig {
    fn default() -> Self {
        Self { origin_timeout_us: 30 * SEC, heuristic_percent: HEURISTIC_PERCENT, serve_stale_on_error: false }
    }
}

/// Purges, the only CDN-specific messages; content travels as `HttpCacheMsg`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CdnMsg {
    /// Drop the edge's copy of one resource (an invalidation).
    Purge { resource: ResourceId },
    /// Drop everything.
    PurgeAll,
    /// The edge's acknowledgement (`None` after `PurgeAll`).
    Purged { resource: Option<ResourceId> },
}

impl Message for CdnMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Purge { .. } => "purge",
            Self::PurgeAll => "purge-all",
            Self::Purged { .. } => "purged",
        }
    }
}

/// Where an edge's answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeSource {
    /// From the store, the origin not asked.
    Hit,
    /// After a fetch or a revalidation at the origin.
    Origin,
    /// From the store after the origin failed (stale-if-error).
    StaleOnError,
}

/// One answer the edge gave a client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EdgeServe {
    pub at_us: TimeUs,
    pub client: NodeId,
    pub resource: ResourceId,
    pub version: u32,
    pub source: EdgeSource,
    /// The answer was a 304 (the client's copy confirmed).
    pub not_modified: bool,
}

/// What the edge has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EdgeStats {
    pub requests: u64,
    pub edge_hits: u64,
    /// Requests sent to the origin (plain or conditional).
    pub origin_fetches: u64,
    pub origin_200: u64,
    pub origin_304: u64,
    /// Client requests that joined a fetch already on its way to the origin.
    pub collapsed: u64,
    pub purges: u64,
    /// Answers whose version was older than the origin's current one.
    pub serving_stale_version: u64,
    pub failures: u64,
    /// Answers to clients with a body (200) and confirming their copy (304).
    pub answered_200: u64,
    pub answered_304: u64,
}

/// A client waiting for an origin fetch, with its own validators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Waiter {
    client: NodeId,
    /// The client's connection, echoed in the answer.
    conn: u16,
    if_none_match: Option<u32>,
    if_modified_since_s: Option<u32>,
}

/// One edge server. Volatile: the store (memory, like Varnish's default
/// storage) and the fetches in flight. Kept across a crash: counters, the
/// serve history and the observer's notes.
#[derive(Clone, Debug)]
pub struct CdnEdge {
    pub config: CdnConfig,
    pub origin: NodeId,
    pub cache: HttpCache,
    waiting: BTreeMap<ResourceId, Vec<Waiter>>,
    /// The origin's current versions as an observer knows them (never read
    /// for a decision; only for `serving_stale_version`).
    pub origin_versions: BTreeMap<ResourceId, u32>,
    pub stats: EdgeStats,
    pub recent: VecDeque<EdgeServe>,
}

fn timer_key(resource: ResourceId) -> TimerKey {
    timer_tag::key(CDN, u64::from(resource.0))
}

impl CdnEdge {
    pub fn new(config: CdnConfig, origin: NodeId) -> Self {
        let cache = HttpCache::new(CacheKind::Shared, config.heuristic_percent);
        Self {
            config,
            origin,
            cache,
            waiting: BTreeMap::new(),
            origin_versions: BTreeMap::new(),
            stats: EdgeStats::default(),
            recent: VecDeque::new(),
        }
    }

    /// Hits per million requests.
    pub fn hit_ratio_ppm(&self) -> u64 {
        (self.stats.edge_hits * 1_000_000).checked_div(self.stats.requests).unwrap_or(0)
    }

    pub fn fetches_in_flight(&self) -> usize {
        self.waiting.len()
    }

    /// The observer's note that the origin now serves `version` of `resource`.
    pub fn note_origin_version(&mut self, resource: ResourceId, version: u32) {
        self.origin_versions.insert(resource, version);
    }

    /// Invalidate one resource now. True if a copy was dropped.
    pub fn purge(&mut self, resource: ResourceId) -> bool {
        self.stats.purges += 1;
        self.cache.entries.remove(&resource).is_some()
    }

    pub fn on_crash(&mut self) {
        self.cache.entries.clear();
        self.waiting.clear();
    }

    pub fn on_cdn_message<M: From<CdnMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: CdnMsg) {
        let resource = match msg {
            CdnMsg::Purge { resource } => {
                self.purge(resource);
                Some(resource)
            }
            CdnMsg::PurgeAll => {
                self.stats.purges += 1;
                self.cache.entries.clear();
                None
            }
            CdnMsg::Purged { .. } => return,
        };
        ctx.log(format!("edge purged {}", resource.map_or("everything".to_string(), |r| format!("resource {}", r.0))));
        ctx.send(from, M::from(CdnMsg::Purged { resource }));
    }

    /// A client's GET, or the origin's answer to one of the edge's fetches.
    pub fn on_message<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: HttpCacheMsg) {
        match msg {
            HttpCacheMsg::Get { resource, if_none_match, if_modified_since_s, conn } => {
                self.on_client_get(ctx, resource, Waiter { client: from, conn, if_none_match, if_modified_since_s });
            }
            HttpCacheMsg::Failed { resource, reason, .. } if from == self.origin => {
                self.on_origin_failure(ctx, resource, reason);
            }
            _ if from == self.origin => self.on_origin_response(ctx, msg),
            _ => {}
        }
    }

    fn on_client_get<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, resource: ResourceId, waiter: Waiter) {
        self.stats.requests += 1;
        let decision = self.cache.decide(ctx.now_us, resource);
        if let CacheDecision::Fresh { version } = decision {
            self.stats.edge_hits += 1;
            let headers = self.cache.entries[&resource].headers;
            self.answer(ctx, waiter, resource, version, headers, EdgeSource::Hit);
            return;
        }
        let waiters = self.waiting.entry(resource).or_default();
        waiters.push(waiter);
        if waiters.len() > 1 {
            self.stats.collapsed += 1;
            return;
        }
        let (if_none_match, if_modified_since_s) = match decision {
            CacheDecision::Revalidate { if_none_match, if_modified_since_s, .. } => {
                (if_none_match, if_modified_since_s)
            }
            _ => (None, None),
        };
        self.fetch(ctx, HttpCacheMsg::Get { resource, if_none_match, if_modified_since_s, conn: 0 });
    }

    fn fetch<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, get: HttpCacheMsg) {
        let HttpCacheMsg::Get { resource, .. } = get else { return };
        self.stats.origin_fetches += 1;
        ctx.send(self.origin, M::from(get));
        ctx.set_timer(timer_key(resource), self.config.origin_timeout_us);
    }

    fn on_origin_response<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, msg: HttpCacheMsg) {
        let Some((resource, response)) = Response::from_msg(msg) else { return };
        let Some(waiters) = self.waiting.remove(&resource) else { return };
        ctx.cancel_timer(timer_key(resource));
        match response.status {
            ResponseStatus::Ok => self.stats.origin_200 += 1,
            ResponseStatus::NotModified => self.stats.origin_304 += 1,
        }
        let Some(version) = self.cache.on_response(ctx.now_us, resource, &response) else {
            // A 304 for a copy purged meanwhile: fetch the body, same waiters.
            self.waiting.insert(resource, waiters);
            let get = HttpCacheMsg::Get { resource, if_none_match: None, if_modified_since_s: None, conn: 0 };
            self.fetch(ctx, get);
            return;
        };
        // Not stored (no-store, private): pass the origin's answer through.
        let headers = self.cache.entries.get(&resource).map_or(response.headers, |e| e.headers);
        for waiter in waiters {
            self.answer(ctx, waiter, resource, version, headers, EdgeSource::Origin);
        }
    }

    pub fn on_timer<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if timer_tag::tag_of(key) == CDN {
            let resource = ResourceId(timer_tag::local_of(key) as u32);
            self.on_origin_failure(ctx, resource, FetchFailure::GatewayTimeout);
        }
    }

    /// The origin's host refused the edge's fetch: 502 to the waiters.
    pub fn on_refused<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: HttpCacheMsg) {
        if let HttpCacheMsg::Get { resource, .. } = msg
            && to == self.origin
        {
            self.on_origin_failure(ctx, resource, FetchFailure::BadGateway);
        }
    }

    fn on_origin_failure<M: From<HttpCacheMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        resource: ResourceId,
        reason: FetchFailure,
    ) {
        let Some(waiters) = self.waiting.remove(&resource) else { return };
        ctx.cancel_timer(timer_key(resource));
        for waiter in waiters {
            let stale =
                if self.config.serve_stale_on_error { self.cache.serve_stored(ctx.now_us, resource) } else { None };
            match stale {
                Some(version) => {
                    let headers = self.cache.entries[&resource].headers;
                    self.answer(ctx, waiter, resource, version, headers, EdgeSource::StaleOnError);
                }
                None => {
                    self.stats.failures += 1;
                    ctx.send(waiter.client, M::from(HttpCacheMsg::Failed { resource, reason, conn: waiter.conn }));
                }
            }
        }
    }

    /// Answer one client: 304 if its own validator matches what the edge
    /// serves, else 200 with the body.
    fn answer<M: From<HttpCacheMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        waiter: Waiter,
        resource: ResourceId,
        version: u32,
        headers: Headers,
        source: EdgeSource,
    ) {
        let unchanged =
            not_modified(headers.etag, headers.last_modified_us, waiter.if_none_match, waiter.if_modified_since_s);
        let status = if unchanged { ResponseStatus::NotModified } else { ResponseStatus::Ok };
        if unchanged {
            self.stats.answered_304 += 1;
        } else {
            self.stats.answered_200 += 1;
        }
        if self.origin_versions.get(&resource).is_some_and(|&current| version < current) {
            self.stats.serving_stale_version += 1;
        }
        if self.recent.len() == RECENT_SERVES {
            self.recent.pop_front();
        }
        let serve =
            EdgeServe { at_us: ctx.now_us, client: waiter.client, resource, version, source, not_modified: unchanged };
        self.recent.push_back(serve);
        let reply = Response { status, version, headers }.to_msg(resource, waiter.conn);
        // `X-Cache: Hit` when the store answered without the origin.
        let reply = if source == EdgeSource::Origin { reply } else { reply.edge_hit() };
        ctx.send(waiter.client, M::from(reply));
    }
}

/// Resources whose copy at the edge is older than the origin's current
/// version: what readers of this region would be shown if the copy is used.
pub fn stale_copies(edge: &CdnEdge, origin: &Origin) -> Vec<(ResourceId, u32, u32)> {
    let stale = |(id, e): (&ResourceId, &crate::cluster::http_cache::Entry)| {
        let current = origin.current_version(*id)?;
        (e.version < current).then_some((*id, e.version, current))
    };
    edge.cache.entries.iter().filter_map(stale).collect()
}
