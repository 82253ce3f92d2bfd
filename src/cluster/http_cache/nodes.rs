//! The two ends of plain HTTP caching: a browser fetching through its own
//! cache, and the origin server that answers it (directly or behind a CDN).
//!
//! Owns the `Browser` node (fetch → fresh hit, conditional GET or plain GET;
//! timeouts and refusals as `FetchFailure`s; optional stale-if-error), the
//! `Origin` node (resources with a version, Last-Modified and a cache policy;
//! deploys bump the version) and `origin_answer`, the pure rule by which an
//! origin answers 304 or 200. The caching rules themselves live in
//! `http_cache`; a shared cache in front of the origin lives in `cdn`. Never
//! looks into another node: it learns only from answers, refusals and silence.

use crate::cluster::http_cache::{CacheDecision, CacheKind, FetchFailure, HEURISTIC_PERCENT, Headers, HttpCache};
use crate::cluster::http_cache::{HttpCacheMsg, ResourceId, Response, ResponseStatus, not_modified};
use crate::cluster::timer_tag::{self, HTTP_CACHE};
use crate::sim::{Ctx, MS, NodeId, SEC, TimeUs, TimerKey};
use std::collections::{BTreeMap, VecDeque};

/// How many outcomes a browser remembers for inspectors and tests.
const RECENT_OUTCOMES: usize = 64;

/// Browser settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrowserConfig {
    /// Firefox's `network.http.response.timeout`: 300 s.
    pub request_timeout_us: TimeUs,
    /// Serve a stored (even stale) copy when the fetch fails, as RFC 9111
    /// §4.2.4 allows a disconnected cache to; off in a normal browser. When on,
    /// the no-stale-served invariant can break.
    pub serve_stale_on_error: bool,
    /// Percent of Date − Last-Modified used as heuristic lifetime (10).
    pub heuristic_percent: u64,
}

impl Default for BrowserConfig {
    fn default() -> Self {
        Self { request_timeout_us: 300 * SEC, serve_stale_on_error: false, heuristic_percent: HEURISTIC_PERCENT }
    }
}

/// How a body reached the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServedVia {
    /// Strong cache: "200 (from disk cache)", nothing sent.
    FreshCache,
    /// Negotiated cache: a 304 confirmed the stored body.
    Revalidated,
    /// A 200 with a body.
    Network,
    /// The fetch failed and a stored copy was shown without validation.
    StaleOnError,
}

/// The outcome of one fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FetchOutcome {
    Served { resource: ResourceId, version: u32, via: ServedVia },
    Failed { resource: ResourceId, reason: FetchFailure },
}

/// A browser with its HTTP cache. Durable: the cache (it lives on disk) and the
/// outcome history. Volatile: requests on the wire.
#[derive(Clone, Debug)]
pub struct Browser {
    pub config: BrowserConfig,
    /// Where its requests go: the origin, or a CDN edge.
    pub upstream: NodeId,
    pub cache: HttpCache,
    in_flight: BTreeMap<ResourceId, TimeUs>,
    /// The latest outcomes, oldest first, with the time each was reached.
    pub recent: VecDeque<(TimeUs, FetchOutcome)>,
    pub served: u64,
    pub failed: u64,
}

fn timer_key(resource: ResourceId) -> TimerKey {
    timer_tag::key(HTTP_CACHE, u64::from(resource.0))
}

impl Browser {
    pub fn new(config: BrowserConfig, upstream: NodeId) -> Self {
        let cache = HttpCache::new(CacheKind::Private, config.heuristic_percent);
        Self { config, upstream, cache, in_flight: BTreeMap::new(), recent: VecDeque::new(), served: 0, failed: 0 }
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    pub fn on_crash(&mut self) {
        self.in_flight.clear();
    }

    /// The page needs `resource`: serve it from the cache or ask upstream. A
    /// fetch for a resource already on the wire joins that request.
    pub fn fetch<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, resource: ResourceId) {
        if self.in_flight.contains_key(&resource) {
            return;
        }
        match self.cache.decide(ctx.now_us, resource) {
            CacheDecision::Fresh { version } => {
                self.record(ctx.now_us, FetchOutcome::Served { resource, version, via: ServedVia::FreshCache });
            }
            CacheDecision::Revalidate { if_none_match, if_modified_since_s, .. } => {
                self.send_get(ctx, HttpCacheMsg::Get { resource, if_none_match, if_modified_since_s, conn: 0 });
            }
            CacheDecision::Miss => {
                self.send_get(
                    ctx,
                    HttpCacheMsg::Get { resource, if_none_match: None, if_modified_since_s: None, conn: 0 },
                );
            }
        }
    }

    fn send_get<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, get: HttpCacheMsg) {
        let HttpCacheMsg::Get { resource, .. } = get else { return };
        ctx.send(self.upstream, M::from(get));
        ctx.set_timer(timer_key(resource), self.config.request_timeout_us);
        self.in_flight.insert(resource, ctx.now_us);
    }

    pub fn on_message<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _from: NodeId, msg: HttpCacheMsg) {
        if let HttpCacheMsg::Failed { resource, reason, .. } = msg {
            if self.in_flight.remove(&resource).is_some() {
                ctx.cancel_timer(timer_key(resource));
                self.fail(ctx.now_us, resource, reason);
            }
            return;
        }
        let Some((resource, response)) = Response::from_msg(msg) else { return };
        // An answer after the timeout already failed the fetch: ignore it.
        if self.in_flight.remove(&resource).is_none() {
            return;
        }
        ctx.cancel_timer(timer_key(resource));
        let via = match response.status {
            ResponseStatus::Ok => ServedVia::Network,
            ResponseStatus::NotModified => ServedVia::Revalidated,
        };
        match self.cache.on_response(ctx.now_us, resource, &response) {
            Some(version) => self.record(ctx.now_us, FetchOutcome::Served { resource, version, via }),
            // A 304 for a copy no longer stored: ask again, unconditionally.
            None => {
                let get = HttpCacheMsg::Get { resource, if_none_match: None, if_modified_since_s: None, conn: 0 };
                self.send_get(ctx, get);
            }
        }
    }

    pub fn on_timer<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if timer_tag::tag_of(key) != HTTP_CACHE {
            return;
        }
        let resource = ResourceId(timer_tag::local_of(key) as u32);
        if self.in_flight.remove(&resource).is_some() {
            self.fail(ctx.now_us, resource, FetchFailure::TimedOut);
        }
    }

    pub fn on_refused<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _to: NodeId, msg: HttpCacheMsg) {
        let HttpCacheMsg::Get { resource, .. } = msg else { return };
        if self.in_flight.remove(&resource).is_some() {
            ctx.cancel_timer(timer_key(resource));
            self.fail(ctx.now_us, resource, FetchFailure::Refused);
        }
    }

    fn fail(&mut self, now_us: TimeUs, resource: ResourceId, reason: FetchFailure) {
        let stored = if self.config.serve_stale_on_error { self.cache.serve_stored(now_us, resource) } else { None };
        let outcome = match stored {
            Some(version) => FetchOutcome::Served { resource, version, via: ServedVia::StaleOnError },
            None => FetchOutcome::Failed { resource, reason },
        };
        self.record(now_us, outcome);
    }

    fn record(&mut self, now_us: TimeUs, outcome: FetchOutcome) {
        match outcome {
            FetchOutcome::Served { .. } => self.served += 1,
            FetchOutcome::Failed { .. } => self.failed += 1,
        }
        if self.recent.len() == RECENT_OUTCOMES {
            self.recent.pop_front();
        }
        self.recent.push_back((now_us, outcome));
    }
}

/// The caching headers an origin sends with a resource.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct CachePolicy {
    pub max_age_us: Option<TimeUs>,
    pub s_maxage_us: Option<TimeUs>,
    /// `Expires` = Date + this.
    pub expires_in_us: Option<TimeUs>,
    pub no_cache: bool,
    pub no_store: bool,
    pub private: bool,
    /// Send `ETag` (the version) — nginx does for static files by default.
    pub etag: bool,
    /// Send `Last-Modified`.
    pub last_modified: bool,
}

impl CachePolicy {
    /// Validators only, no explicit lifetime: caches fall back to the heuristic.
    pub const VALIDATORS: Self = Self {
        max_age_us: None,
        s_maxage_us: None,
        expires_in_us: None,
        no_cache: false,
        no_store: false,
        private: false,
        etag: true,
        last_modified: true,
    };

    /// `Cache-Control: max-age=<secs>` with both validators.
    pub const fn max_age(secs: u64) -> Self {
        Self { max_age_us: Some(secs * SEC), ..Self::VALIDATORS }
    }
}

/// One resource at the origin. Durable: it is the site's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OriginResource {
    pub version: u32,
    pub last_modified_us: TimeUs,
    pub policy: CachePolicy,
}

impl OriginResource {
    /// The header fields of a response generated at `now_us`.
    pub fn headers(&self, now_us: TimeUs) -> Headers {
        let p = &self.policy;
        // HTTP-date has one-second resolution.
        let date_us = now_us / SEC * SEC;
        Headers {
            date_us,
            max_age_us: p.max_age_us,
            s_maxage_us: p.s_maxage_us,
            expires_us: p.expires_in_us.map(|d| date_us + d),
            no_cache: p.no_cache,
            no_store: p.no_store,
            private: p.private,
            etag: p.etag.then_some(self.version),
            last_modified_us: p.last_modified.then_some(self.last_modified_us),
        }
    }
}

/// The origin's answer to a GET: 304 when the request's validator still
/// matches the current version, else 200 with the current version. A 304
/// carries the same caching headers a 200 would (RFC 9110 §15.4.5).
pub fn origin_answer(
    now_us: TimeUs,
    current: &OriginResource,
    if_none_match: Option<u32>,
    if_modified_since_s: Option<u32>,
) -> Response {
    let headers = current.headers(now_us);
    let unchanged = not_modified(headers.etag, headers.last_modified_us, if_none_match, if_modified_since_s);
    let status = if unchanged { ResponseStatus::NotModified } else { ResponseStatus::Ok };
    Response { status, version: current.version, headers }
}

/// Origin settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginConfig {
    /// Time to produce an answer (a model choice: a light static server).
    pub service_time_us: TimeUs,
}

impl Default for OriginConfig {
    fn default() -> Self {
        Self { service_time_us: MS }
    }
}

/// The origin web server. Durable: its resources. Its counters are kept too.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub config: OriginConfig,
    pub resources: BTreeMap<ResourceId, OriginResource>,
    pub requests: u64,
    pub answered_200: u64,
    pub answered_304: u64,
    pub not_found: u64,
}

impl Origin {
    pub fn new(config: OriginConfig) -> Self {
        Self { config, ..Self::default() }
    }

    /// Put `resource` on the site as version 1, last modified at `now_us`.
    pub fn publish(&mut self, now_us: TimeUs, resource: ResourceId, policy: CachePolicy) {
        self.resources.insert(resource, OriginResource { version: 1, last_modified_us: now_us, policy });
    }

    /// Deploy new content for `resource`: the version goes up and
    /// Last-Modified becomes now. Returns the new version.
    pub fn update(&mut self, now_us: TimeUs, resource: ResourceId) -> Option<u32> {
        let r = self.resources.get_mut(&resource)?;
        r.version += 1;
        r.last_modified_us = now_us;
        Some(r.version)
    }

    pub fn current_version(&self, resource: ResourceId) -> Option<u32> {
        self.resources.get(&resource).map(|r| r.version)
    }

    pub fn on_crash(&mut self) {}

    pub fn on_message<M: From<HttpCacheMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: HttpCacheMsg) {
        let HttpCacheMsg::Get { resource, if_none_match, if_modified_since_s, conn } = msg else { return };
        self.requests += 1;
        let reply = match self.resources.get(&resource) {
            None => {
                self.not_found += 1;
                HttpCacheMsg::Failed { resource, reason: FetchFailure::NotFound, conn }
            }
            Some(current) => {
                let response = origin_answer(ctx.now_us, current, if_none_match, if_modified_since_s);
                match response.status {
                    ResponseStatus::Ok => self.answered_200 += 1,
                    ResponseStatus::NotModified => self.answered_304 += 1,
                }
                response.to_msg(resource, conn)
            }
        };
        ctx.send_after(self.config.service_time_us, from, M::from(reply));
    }
}
