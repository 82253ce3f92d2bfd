//! A shopper's browser loading each page's static assets through its own
//! HTTP cache and the region's CDN edge.
//!
//! Owns the shop's static assets (the JS/CSS bundle every page uses; each
//! product's image and description on its detail page), the header fields
//! the origin sends with each, every shopper's small private cache (the most
//! recently used assets, kept in their wire form: 32 bytes each), the fetches
//! on the wire (at most one per asset slot), and what became of each asset:
//! used fresh from the cache with nothing sent (strong cache), confirmed by a
//! 304 (negotiated cache), fetched with a 200 (an edge hit or not, by the
//! edge's `X-Cache`), or failed with the node and cause. The asset URLs name
//! the CDN's host, so a browser never falls back to the origin: when its
//! region's edge is down the asset fails (refused at once, or timed out when
//! the edge is cut off) and the page shows without it. Never decides
//! freshness itself: the RFC 9111 rules of `http_cache` do.

use super::{FailureRecord, Pool};
use crate::cluster::http_cache::{
    CacheDecision, CacheKind, CachePolicy, FetchFailure, HEURISTIC_PERCENT, Headers, HttpCacheMsg, ResourceId,
    Response, WireFlags, WireTimes, decide_stored,
};
use crate::cluster::message::{FailCause, Msg, Page};
use crate::cluster::timer_tag::{self, HTTP_CACHE};
use crate::sim::{Ctx, NodeId, SEC, TimeUs, TimerKey};

/// The JS/CSS bundle (`/static/shop.js`), on every page.
pub const BUNDLE: ResourceId = ResourceId(1);
const IMAGE_BASE: u32 = 1_000_000;
const DESCRIPTION_BASE: u32 = 2_000_000;
/// Products are ids 1..=CATALOGUE, as the product service's catalogue.
pub const CATALOGUE: u32 = 1_000;
/// Assets a shopper's cache keeps (least recently used goes first). A real
/// disk cache holds far more; one shopper's run touches few assets.
pub const BROWSER_CACHE_ENTRIES: usize = 8;

/// `Cache-Control: max-age=60` on the bundle: its file name carries no
/// content hash, so browsers re-check it after a minute and a deploy
/// reaches everyone within a minute (and the CDN within a minute too).
pub const BUNDLE_MAX_AGE_S: u64 = 60;
/// `max-age=86400` on product images: they rarely change (a day).
pub const IMAGE_MAX_AGE_S: u64 = 86_400;
/// `max-age=60` on a product's description for browsers; the CDN keeps it
/// for `s-maxage`, the `cache-ttl` switch (300 s unless switched).
pub const DESCRIPTION_MAX_AGE_S: u64 = 60;

/// The product image's resource.
pub const fn image(product: u32) -> ResourceId {
    ResourceId(IMAGE_BASE + product)
}

/// The product description's resource.
pub const fn description(product: u32) -> ResourceId {
    ResourceId(DESCRIPTION_BASE + product)
}

/// The URL path of an asset, for inspectors and the log.
pub fn asset_path(resource: ResourceId) -> String {
    match resource.0 {
        1 => "/static/shop.js".to_string(),
        r if r > DESCRIPTION_BASE => format!("/item/{}.html", r - DESCRIPTION_BASE),
        r if r > IMAGE_BASE => format!("/img/{}.jpg", r - IMAGE_BASE),
        r => format!("/asset/{r}"),
    }
}

/// The headers the origin (nginx) sends with an asset: ETag and
/// Last-Modified on all (nginx's default for static files) and the shop's
/// `Cache-Control`. `description_ttl_s` is the CDN's `s-maxage` on descriptions.
pub fn policy(resource: ResourceId, description_ttl_s: u64) -> CachePolicy {
    match resource.0 {
        r if r > DESCRIPTION_BASE => {
            CachePolicy { s_maxage_us: Some(description_ttl_s * SEC), ..CachePolicy::max_age(DESCRIPTION_MAX_AGE_S) }
        }
        r if r > IMAGE_BASE => CachePolicy::max_age(IMAGE_MAX_AGE_S),
        _ => CachePolicy::max_age(BUNDLE_MAX_AGE_S),
    }
}

/// Every asset of the shop, for the origin to publish.
pub fn all_assets() -> impl Iterator<Item = ResourceId> {
    std::iter::once(BUNDLE).chain((1..=CATALOGUE).flat_map(|p| [image(p), description(p)]))
}

/// Where a pool's browsers fetch assets, and how long they wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetConfig {
    /// The region's CDN edge (the asset host's address for these browsers).
    pub cdn: NodeId,
    pub timeout_us: TimeUs,
}

/// One stored response as it arrived (whole-second header times).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredAsset {
    pub resource: ResourceId,
    pub version: u32,
    pub flags: WireFlags,
    pub times: WireTimes,
}

impl StoredAsset {
    /// The header fields, as the caching rules read them.
    pub fn headers(&self) -> Headers {
        let msg = HttpCacheMsg::Ok {
            resource: self.resource,
            version: self.version,
            flags: self.flags,
            times: self.times,
            conn: 0,
        };
        Response::from_msg(msg).map(|(_, r)| r.headers).unwrap_or_default()
    }

    pub fn is_fresh(&self, now_us: TimeUs) -> bool {
        self.headers().is_fresh(now_us, CacheKind::Private, HEURISTIC_PERCENT)
    }
}

const SLOTS: usize = 3;

/// One shopper's browser cache and its asset fetches. Durable in a real
/// browser (disk), but a crash of the shoppers' node forgets it with the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BrowserCache {
    /// Least recently used first.
    pub entries: Vec<StoredAsset>,
    /// The asset on the wire in each slot (bundle, image, description).
    fetching: [Option<ResourceId>; SLOTS],
}

impl BrowserCache {
    pub fn get(&self, resource: ResourceId) -> Option<&StoredAsset> {
        self.entries.iter().find(|e| e.resource == resource)
    }

    fn touch(&mut self, resource: ResourceId) {
        if let Some(i) = self.entries.iter().position(|e| e.resource == resource) {
            let e = self.entries.remove(i);
            self.entries.push(e);
        }
    }

    fn store(&mut self, asset: StoredAsset) {
        self.entries.retain(|e| e.resource != asset.resource);
        if self.entries.len() == BROWSER_CACHE_ENTRIES {
            self.entries.remove(0);
        }
        self.entries.push(asset);
    }

    pub fn fetching(&self) -> usize {
        self.fetching.iter().flatten().count()
    }
}

/// The slot of an asset: bundle, image or description.
fn slot_of(resource: ResourceId) -> usize {
    match resource.0 {
        r if r > DESCRIPTION_BASE => 2,
        r if r > IMAGE_BASE => 1,
        _ => 0,
    }
}

fn timer_key(shopper: usize, slot: usize) -> TimerKey {
    timer_tag::key(HTTP_CACHE, ((shopper as u64) << 2) | slot as u64)
}

/// What a 502/504/404 from the edge tells the shopper.
fn cause_of(reason: FetchFailure) -> FailCause {
    match reason {
        FetchFailure::Refused => FailCause::Refused,
        FetchFailure::TimedOut => FailCause::TimedOut,
        FetchFailure::NotFound | FetchFailure::BadGateway | FetchFailure::GatewayTimeout => FailCause::CdnOriginFailed,
    }
}

impl Pool {
    /// A page arrived: its assets load (the bundle always; on a detail page
    /// the product's image and description).
    pub(super) fn load_assets(&mut self, ctx: &mut Ctx<'_, Msg>, shopper: usize, page: Page, product: u32) {
        let Some(config) = self.assets else { return };
        self.fetch_asset(ctx, config, shopper, BUNDLE);
        if page == Page::Detail && product != 0 {
            self.fetch_asset(ctx, config, shopper, image(product));
            self.fetch_asset(ctx, config, shopper, description(product));
        }
    }

    fn fetch_asset(&mut self, ctx: &mut Ctx<'_, Msg>, config: AssetConfig, shopper: usize, resource: ResourceId) {
        let slot = slot_of(resource);
        let browser = &mut self.shoppers[shopper].browser;
        if browser.fetching[slot] == Some(resource) {
            return; // already on its way
        }
        // A new page's asset replaces one still loading (navigation aborts it).
        let decision = match browser.get(resource) {
            Some(e) => decide_stored(ctx.now_us, CacheKind::Private, HEURISTIC_PERCENT, e.version, &e.headers()),
            None => CacheDecision::Miss,
        };
        let (if_none_match, if_modified_since_s) = match decision {
            CacheDecision::Fresh { .. } => {
                // Strong cache: "200 (from disk cache)", nothing sent.
                let fresh = browser.get(resource).is_some_and(|e| e.is_fresh(ctx.now_us));
                browser.touch(resource);
                self.asset_stats.hits += 1;
                self.asset_stats.stale_served += u64::from(!fresh);
                ctx.count(self.metrics.browser_cache_hits, 1);
                return;
            }
            CacheDecision::Revalidate { if_none_match, if_modified_since_s, .. } => {
                self.asset_stats.revalidations += 1;
                (if_none_match, if_modified_since_s)
            }
            CacheDecision::Miss => {
                self.asset_stats.misses += 1;
                (None, None)
            }
        };
        browser.fetching[slot] = Some(resource);
        let get = HttpCacheMsg::Get { resource, if_none_match, if_modified_since_s, conn: shopper as u16 };
        ctx.send(config.cdn, Msg::HttpCache(get));
        ctx.set_timer(timer_key(shopper, slot), config.timeout_us);
        ctx.count(self.metrics.asset_requests, 1);
    }

    /// The shopper's fetch of `resource`, taken off the wire if it is one.
    fn take_fetch(&mut self, shopper: usize, resource: ResourceId) -> Option<ResourceId> {
        let browser = &mut self.shoppers.get_mut(shopper)?.browser;
        let slot = slot_of(resource);
        browser.fetching[slot].filter(|&f| f == resource)?;
        browser.fetching[slot].take()
    }

    /// The edge's answer: a 200 to store, a 304 to refresh, or a failure.
    pub(super) fn on_asset_message(&mut self, ctx: &mut Ctx<'_, Msg>, msg: HttpCacheMsg) {
        let (shopper, resource) = (usize::from(msg.conn()), msg.resource());
        if self.take_fetch(shopper, resource).is_none() {
            return;
        }
        ctx.cancel_timer(timer_key(shopper, slot_of(resource)));
        let cdn = self.assets.map_or(ctx.me, |a| a.cdn);
        let edge_hit = msg.is_edge_hit();
        let browser = &mut self.shoppers[shopper].browser;
        match msg {
            HttpCacheMsg::Ok { version, flags, times, .. } => {
                let stored = StoredAsset { resource, version, flags: WireFlags(flags.0 & !WireFlags::EDGE_HIT), times };
                if stored.headers().storable(CacheKind::Private) {
                    browser.store(stored);
                } else {
                    browser.entries.retain(|e| e.resource != resource);
                    self.asset_stats.not_stored += 1;
                }
                self.asset_stats.full += 1;
            }
            HttpCacheMsg::NotModified { flags, times, .. } => {
                let flags = WireFlags(flags.0 & !WireFlags::EDGE_HIT);
                match browser.entries.iter_mut().find(|e| e.resource == resource) {
                    // RFC 9111 §4.3.4: the 304's header fields replace the stored ones.
                    Some(e) => (e.flags, e.times) = (flags, times),
                    // A 304 for a copy no longer stored: ask again, unconditionally.
                    None => {
                        if let Some(config) = self.assets {
                            self.fetch_asset(ctx, config, shopper, resource);
                        }
                        return;
                    }
                }
                browser.touch(resource);
                self.asset_stats.not_modified += 1;
                ctx.count(self.metrics.responses_304, 1);
            }
            HttpCacheMsg::Failed { reason, .. } => {
                return self.asset_failed(ctx, shopper, resource, cdn, cause_of(reason));
            }
            HttpCacheMsg::Get { .. } => return,
        }
        ctx.count(if edge_hit { self.metrics.cdn_hits } else { self.metrics.cdn_misses }, 1);
    }

    /// No answer in time: the edge is cut off, paused or overloaded.
    pub(super) fn on_asset_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        let local = timer_tag::local_of(key);
        let (shopper, slot) = ((local >> 2) as usize, (local & 3) as usize);
        let Some(browser) = self.shoppers.get_mut(shopper).map(|s| &mut s.browser) else { return };
        let Some(resource) = browser.fetching.get_mut(slot).and_then(Option::take) else { return };
        let cdn = self.assets.map_or(ctx.me, |a| a.cdn);
        self.asset_failed(ctx, shopper, resource, cdn, FailCause::TimedOut);
    }

    /// The edge's host refused the connection: its process is down.
    pub fn on_asset_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: HttpCacheMsg) {
        let (shopper, resource) = (usize::from(msg.conn()), msg.resource());
        if self.take_fetch(shopper, resource).is_some() {
            ctx.cancel_timer(timer_key(shopper, slot_of(resource)));
            self.asset_failed(ctx, shopper, resource, to, FailCause::Refused);
        }
    }

    fn asset_failed(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        shopper: usize,
        asset: ResourceId,
        node: NodeId,
        cause: FailCause,
    ) {
        self.assets_failed += 1;
        ctx.count(self.metrics.assets_failed, 1);
        let last_page = self.shoppers[shopper].last.map_or(Page::Home, |l| l.page);
        let page = if asset == BUNDLE { last_page } else { Page::Detail };
        let record =
            FailureRecord { at_us: ctx.now_us, shopper: shopper as u16, page, node, cause, asset: Some(asset) };
        self.record_failure(record);
    }
}
