//! A pool of shoppers, each a browser walking the shopping journey.
//!
//! Owns each shopper's place in the journey, their session cookie, the one
//! request they have outstanding, and a short record of recent failures with
//! their reasons. A shopper logs in before the first page that needs a
//! session, and is thrown back to the login page when a server no longer
//! knows their session; an order refused as sold out sends them back to
//! browsing instead of ordering it again. Only the first `active` shoppers shop; raising it is
//! a surge (Double 11), lowering it sends the extra shoppers home after their
//! current page. In the whole shop each page also loads its static assets
//! through the shopper's own browser cache and the region's CDN edge
//! (`shopper/assets`). A pool can be stepped by hand (`manual`): a followed
//! shopper (Xiaoming) then takes one journey step per `step` and waits.
//! Never decides where a request goes: it always sends to the balancer's
//! address (or, for assets, the CDN's).

use super::http_cache::{CacheStats, ResourceId};
use super::message::{FailCause, HttpRequest, HttpResponse, Msg, Page, SessionCookie, Status};
use super::metrics::ShopMetrics;
use super::session_store::SESSION_TIMEOUT_US;
use super::timer_tag::{self, HTTP_CACHE};
use crate::sim::{Ctx, MINUTE_US, NodeId, TimeUs, TimerKey};
use std::collections::VecDeque;
use std::fmt;

mod assets;
mod handle;
pub use assets::{
    AssetConfig, BROWSER_CACHE_ENTRIES, BUNDLE, BUNDLE_MAX_AGE_S, BrowserCache, CATALOGUE, DESCRIPTION_MAX_AGE_S,
    IMAGE_MAX_AGE_S, StoredAsset, all_assets, asset_path, description, image, policy,
};
pub use handle::ShopperPool;

const RECENT_FAILURES: usize = 64;

/// How a pool of shoppers behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShopperConfig {
    /// How many shoppers the pool can hold (its size).
    pub shoppers: u16,
    /// How many of them shop from the start (the rest wait for a surge).
    pub active_at_start: u16,
    /// Mean pause between one page and the next (exponential).
    pub think_mean_us: TimeUs,
    /// A browser gives up on a request after this long.
    pub request_timeout_us: TimeUs,
}

/// A request that failed, and why (for hover text and the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureRecord {
    pub at_us: TimeUs,
    pub shopper: u16,
    pub page: Page,
    pub node: NodeId,
    pub cause: FailCause,
    /// A static asset of the page that failed to load (the page itself was
    /// served), or `None` when the page failed.
    pub asset: Option<ResourceId>,
}

/// How a shopper's latest page went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastOutcome {
    pub page: Page,
    pub at_us: TimeUs,
    /// Where and why it failed; `None` when it was served.
    pub failure: Option<(NodeId, FailCause)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Outstanding {
    id: u32,
    page: Page,
    sent_at_us: TimeUs,
    /// The product a detail page shows (0 for other pages).
    product: u32,
}

/// One shopper's browser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shopper {
    /// Index into `Page::JOURNEY` of the next page to visit.
    pub step: usize,
    pub session: Option<SessionCookie>,
    outstanding: Option<Outstanding>,
    pub journeys_completed: u32,
    pub login_redirects: u32,
    requests_sent: u16,
    /// When the session last served a login or a page that needs it.
    pub session_used_us: TimeUs,
    pub last: Option<LastOutcome>,
    /// The browser's HTTP cache (in the whole shop).
    pub browser: BrowserCache,
}

impl Shopper {
    /// The page this shopper will ask for next.
    pub fn next_page(&self) -> Page {
        let page = Page::JOURNEY[self.step];
        if page.needs_session() && self.session.is_none() { Page::Login } else { page }
    }

    pub fn waiting_for(&self) -> Option<Page> {
        self.outstanding.map(|o| o.page)
    }
}

/// The shoppers of a `ShopperPool`.
#[derive(Clone, Debug)]
pub struct Pool {
    pub config: ShopperConfig,
    /// Where requests go (the balancer's virtual IP).
    pub entry: NodeId,
    metrics: ShopMetrics,
    /// Browser state is the shoppers' own; a crash of this node (the shoppers'
    /// side) forgets it all: everything here is volatile.
    pub shoppers: Vec<Shopper>,
    /// How many of `shoppers` are shopping now (the rest stay home).
    pub active: u16,
    pub recent_failures: VecDeque<FailureRecord>,
    /// Sent to login although the session had been used within the timeout
    /// (less a minute of slack): it was lost, not expired. Kept across crashes.
    pub fresh_sessions_lost: u64,
    /// Where the browsers' static assets come from (`None`: pages only).
    pub assets: Option<AssetConfig>,
    /// The browsers' caches together: strong-cache hits, revalidations,
    /// misses, 304s and 200s received. Kept across crashes.
    pub asset_stats: CacheStats,
    pub assets_failed: u64,
    /// Stepped by hand: a shopper moves only on `step`, never by a timer.
    pub manual: bool,
}

// Two timers per shopper: when to act next, and when to give up waiting.
fn think_key(shopper: usize) -> TimerKey {
    (shopper as u64) << 1
}
fn timeout_key(shopper: usize) -> TimerKey {
    ((shopper as u64) << 1) | 1
}

impl Pool {
    fn new(config: ShopperConfig, entry: NodeId, metrics: ShopMetrics) -> Self {
        let shoppers = vec![Shopper::default(); usize::from(config.shoppers)];
        let active = config.active_at_start.min(config.shoppers);
        Self {
            config,
            entry,
            metrics,
            shoppers,
            active,
            recent_failures: VecDeque::new(),
            fresh_sessions_lost: 0,
            assets: None,
            asset_stats: CacheStats::default(),
            assets_failed: 0,
            manual: false,
        }
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.manual {
            return;
        }
        for i in 0..usize::from(self.active) {
            let first_visit_us = ctx.rng.exp_us(self.config.think_mean_us);
            ctx.set_timer(think_key(i), first_visit_us);
        }
    }

    /// Change how many shoppers are shopping (a reader's or a scenario's
    /// command). New ones arrive over the next think time; shoppers beyond the
    /// new count leave after their current page.
    pub fn set_active(&mut self, ctx: &mut Ctx<'_, Msg>, active: u16) {
        let active = active.min(self.config.shoppers);
        for i in usize::from(self.active)..usize::from(active) {
            if self.shoppers[i].outstanding.is_none() {
                let arrival_us = ctx.rng.exp_us(self.config.think_mean_us);
                ctx.set_timer(think_key(i), arrival_us);
            }
        }
        self.active = active;
    }

    pub fn on_crash(&mut self) {
        self.shoppers.iter_mut().for_each(|s| *s = Shopper::default());
        self.recent_failures.clear();
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        if timer_tag::tag_of(key) == HTTP_CACHE {
            return self.on_asset_timer(ctx, key);
        }
        let shopper = (key >> 1) as usize;
        if shopper >= self.shoppers.len() {
            return;
        }
        if key & 1 == 0 {
            if shopper < usize::from(self.active) && !self.manual {
                self.visit(ctx, shopper);
            }
        } else if let Some(out) = self.shoppers[shopper].outstanding.take() {
            self.fail(ctx, shopper, out, self.entry, FailCause::TimedOut);
        }
    }

    fn visit(&mut self, ctx: &mut Ctx<'_, Msg>, shopper: usize) {
        let s = &mut self.shoppers[shopper];
        let page = s.next_page();
        // The low 16 bits name the shopper, so a response finds them at once.
        let id = (u32::from(s.requests_sent) << 16) | shopper as u32;
        s.requests_sent = s.requests_sent.wrapping_add(1);
        // The product link the shopper clicked (only where pages have assets).
        let product = if page == Page::Detail && self.assets.is_some() {
            1 + ctx.rng.below(u64::from(assets::CATALOGUE)) as u32
        } else {
            0
        };
        s.outstanding = Some(Outstanding { id, page, sent_at_us: ctx.now_us, product });
        let request = HttpRequest { id, page, session: s.session, shopper: shopper as u16, client: ctx.me, product };
        ctx.send(self.entry, Msg::Request(request));
        ctx.set_timer(timeout_key(shopper), self.config.request_timeout_us);
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, msg: Msg) {
        let response = match msg {
            Msg::Response(response) => response,
            Msg::HttpCache(m) => return self.on_asset_message(ctx, m),
            _ => return,
        };
        let Some(shopper) = self.shopper_waiting_for(response.id) else {
            return; // a duplicate or a reply after we gave up
        };
        let out = self.shoppers[shopper].outstanding.take().expect("matched above");
        ctx.cancel_timer(timeout_key(shopper));
        match response.status {
            Status::Ok => self.succeed(ctx, shopper, out, response),
            _ => {
                let (node, cause) = response.failure.unwrap_or((self.entry, FailCause::TimedOut));
                self.fail(ctx, shopper, out, node, cause);
            }
        }
    }

    fn shopper_waiting_for(&self, id: u32) -> Option<usize> {
        let shopper = (id & 0xffff) as usize;
        let s = self.shoppers.get(shopper)?;
        s.outstanding.is_some_and(|o| o.id == id).then_some(shopper)
    }

    fn succeed(&mut self, ctx: &mut Ctx<'_, Msg>, shopper: usize, out: Outstanding, response: HttpResponse) {
        ctx.count(self.metrics.requests_ok, 1);
        ctx.observe(self.metrics.latency_us, ctx.now_us - out.sent_at_us);
        let s = &mut self.shoppers[shopper];
        s.last = Some(LastOutcome { page: out.page, at_us: ctx.now_us, failure: None });
        if out.page == Page::Login || out.page.needs_session() {
            s.session_used_us = ctx.now_us;
        }
        if out.page == Page::Login {
            s.session = response.session;
            ctx.count(self.metrics.logins, 1);
        } else {
            s.step += 1;
            if s.step == Page::JOURNEY.len() {
                s.step = 0;
                s.journeys_completed += 1;
            }
        }
        self.load_assets(ctx, shopper, out.page, out.product);
        self.think(ctx, shopper);
    }

    /// Wait a think time before the next page (not when stepped by hand).
    fn think(&mut self, ctx: &mut Ctx<'_, Msg>, shopper: usize) {
        if !self.manual {
            let think_us = ctx.rng.exp_us(self.config.think_mean_us);
            ctx.set_timer(think_key(shopper), think_us);
        }
    }

    fn record_failure(&mut self, record: FailureRecord) {
        if self.recent_failures.len() == RECENT_FAILURES {
            self.recent_failures.pop_front();
        }
        self.recent_failures.push_back(record);
    }

    fn fail(&mut self, ctx: &mut Ctx<'_, Msg>, shopper: usize, out: Outstanding, node: NodeId, cause: FailCause) {
        ctx.count(self.metrics.requests_failed, 1);
        ctx.count(self.metrics.failed(cause), 1);
        let s = &mut self.shoppers[shopper];
        s.last = Some(LastOutcome { page: out.page, at_us: ctx.now_us, failure: Some((node, cause)) });
        if matches!(cause, FailCause::SessionNotFound | FailCause::SessionExpired) {
            // Thrown back to the login page: the next visit logs in again.
            let fresh_us = SESSION_TIMEOUT_US - MINUTE_US;
            if cause == FailCause::SessionNotFound && ctx.now_us.saturating_sub(s.session_used_us) < fresh_us {
                self.fresh_sessions_lost += 1;
            }
            s.session = None;
            s.login_redirects += 1;
            ctx.count(self.metrics.sessions_lost, 1);
        }
        if out.page == Page::Order && cause == FailCause::OutOfStock {
            // "Sold out": the shopper goes back to browsing rather than
            // ordering the same product again and again.
            s.step = 0;
        }
        let record =
            FailureRecord { at_us: ctx.now_us, shopper: shopper as u16, page: out.page, node, cause, asset: None };
        self.record_failure(record);
        self.think(ctx, shopper);
    }

    /// Step by hand (`true`) or let the shoppers walk on their own again.
    pub fn set_manual(&mut self, ctx: &mut Ctx<'_, Msg>, manual: bool) {
        let was_manual = std::mem::replace(&mut self.manual, manual);
        if was_manual && !manual {
            for i in 0..usize::from(self.active) {
                if self.shoppers[i].outstanding.is_none() {
                    self.think(ctx, i);
                }
            }
        }
    }

    /// One journey step of the first shopper, by hand: the next page is
    /// asked for now. Refused (with the reason) unless the pool is manual and
    /// the shopper is not still waiting for a page.
    pub fn step(&mut self, ctx: &mut Ctx<'_, Msg>) -> Result<Page, StepRefusal> {
        let Some(s) = self.shoppers.first() else { return Err(StepRefusal::NoShopper) };
        if !self.manual {
            return Err(StepRefusal::WalksAlone);
        }
        if let Some(page) = s.waiting_for() {
            return Err(StepRefusal::Waiting { page });
        }
        let page = s.next_page();
        self.visit(ctx, 0);
        Ok(page)
    }
}

/// Why a shopper stepped by hand (Xiaoming) cannot take the next step now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepRefusal {
    /// The cluster has no such shopper.
    NoShopper,
    /// His browser is crashed, paused or cut off.
    BrowserDown,
    /// He walks on his own: manual mode first.
    WalksAlone,
    /// A page is still on its way.
    Waiting { page: Page },
}

impl StepRefusal {
    /// A stable name (the language catalog's key).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoShopper => "no-shopper",
            Self::BrowserDown => "browser-down",
            Self::WalksAlone => "walks-alone",
            Self::Waiting { .. } => "waiting",
        }
    }
}

impl fmt::Display for StepRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoShopper => f.write_str("there is no Xiaoming in this cluster"),
            Self::BrowserDown => f.write_str("his browser is not running"),
            Self::WalksAlone => f.write_str("he walks on his own; switch to manual first"),
            Self::Waiting { page } => write!(f, "he is still waiting for the {} page", page.as_str()),
        }
    }
}
