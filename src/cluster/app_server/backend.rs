//! Tomcat's calls to the back end: the pages it cannot answer by itself.
//!
//! Owns which pages need the API gateway (search, detail, order, pay) and the
//! HTTP call each becomes (`/api/product/search`, `/api/product/{id}`,
//! `/api/order` with the shopper's bearer token, `/api/pay`), the calls in
//! flight with their parked request (the worker thread waits on the call, as
//! a servlet blocked on its HTTP client does), the client-side read timeout,
//! the product each shopper last saw on a detail page, what each page does
//! to the session's attributes (the cart and the last order live in the
//! session, wherever the `session-store` design keeps it: a page reads them
//! from the session it was given and says what changed, and the session
//! manager saves the change), and the translation of the gateway's answer
//! into the shopper's response with the node and cause of a failure. Never
//! routes, limits or authenticates: the gateway does; never stores a
//! session. Volatile: everything but the settings (a crash loses calls in
//! flight).

use super::{FailCause, HttpRequest, HttpResponse, Page, Status};
use crate::cluster::gateway::{AuthToken, GatewayConfig, GatewayMsg, GatewayReason, HttpOut};
use crate::cluster::rpc::{BizError, RpcFailure};
use crate::cluster::session_store::{Session, SessionChange};
use crate::cluster::timer_tag::{self, APP_BACKEND};
use crate::sim::{Ctx, NodeId, SEC, TimeUs, TimerKey};
use std::collections::BTreeMap;

/// A flash sale: a share of detail pages show one hot product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlashSale {
    pub product: u32,
    /// Detail pages (per million) that show the hot product.
    pub share_ppm: u32,
}

/// Where Tomcat's back-end calls go and how long it waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendConfig {
    pub gateway: NodeId,
    /// The HTTP client's read timeout (Apache HttpClient `socketTimeout`, set
    /// above the gateway's own 1 s upstream timeout).
    pub read_timeout_us: TimeUs,
    /// Products are ids 1..=catalogue.
    pub catalogue: u32,
    pub flash_sale: Option<FlashSale>,
    /// The key the user service signs tokens with (the gateway checks it).
    pub token_secret: u64,
}

impl BackendConfig {
    pub fn new(gateway: NodeId) -> Self {
        Self {
            gateway,
            read_timeout_us: 3 * SEC,
            catalogue: 1000,
            flash_sale: None,
            token_secret: GatewayConfig::default().token_secret,
        }
    }
}

/// A shopper as the server knows them: the pool's address and its index.
type ShopperKey = (NodeId, u16);

/// A request whose thread waits on a back-end call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parked {
    pub from: NodeId,
    pub request: HttpRequest,
    /// The session as the request found it (to save a change into).
    pub session: Option<Session>,
    pub sent_at_us: TimeUs,
    /// The product the call is about (a detail page's or an order's; 0 for others).
    pub product: u32,
}

/// A page answered: the parked request, its response, and what it changed
/// in the session (to be saved before the response goes out).
pub type Done = (Parked, HttpResponse, Option<SessionChange>);

/// A page answered without a back-end call, and what it changed in the session.
pub type Local = (HttpResponse, Option<SessionChange>);

/// Tomcat's back-end client. Volatile: everything but `config`.
#[derive(Clone, Debug)]
pub struct Backend {
    pub config: BackendConfig,
    calls: BTreeMap<u32, Parked>,
    next_call: u32,
    /// The product each shopper last looked at on this server.
    pub viewing: BTreeMap<ShopperKey, u32>,
    /// Answers by page and HTTP status code.
    pub answers: BTreeMap<(Page, u16), u64>,
}

impl Backend {
    pub fn new(config: BackendConfig) -> Self {
        Self { config, calls: BTreeMap::new(), next_call: 0, viewing: BTreeMap::new(), answers: BTreeMap::new() }
    }

    pub fn in_flight(&self) -> usize {
        self.calls.len()
    }

    /// After the CPU work: put the product in the cart (no call), or start
    /// the page's call and park the request. `Err` when the page is
    /// answered now. `session` is the shopper's session as this request
    /// found it (None for public pages).
    pub fn start<M: From<GatewayMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        request: HttpRequest,
        reply: HttpResponse,
        session: Option<Session>,
    ) -> Result<(), Local> {
        let key = (request.client, request.shopper);
        let cart = session.map_or(0, |s| s.cart);
        let (path, arg) = match request.page {
            Page::Home | Page::Login => return Err((self.local(request.page, reply), None)),
            Page::AddToCart => {
                let product = self.viewing.get(&key).copied().unwrap_or_else(|| self.pick_product(ctx));
                return Err((self.local(request.page, reply), Some(SessionChange::PutInCart(product))));
            }
            Page::Search => ("/api/product/search", 0),
            Page::Detail => {
                // The product the shopper clicked (a flash sale draws them to its own).
                let clicked = request.product != 0 && self.config.flash_sale.is_none();
                let product = if clicked { request.product } else { self.pick_product(ctx) };
                self.viewing.insert(key, product);
                ("/api/product/item", product)
            }
            Page::Order if cart != 0 => ("/api/order", cart),
            Page::Order => ("/api/order", self.pick_product(ctx)),
            // No order in the session (a lost session): nothing to pay.
            Page::Pay => match session.map_or(0, |s| s.last_order) {
                0 => return Err((self.local(request.page, reply), None)),
                order => ("/api/pay", order),
            },
        };
        let token = request.session.map(|_| AuthToken::issue(self.config.token_secret, request.shopper));
        let id = self.next_call;
        self.next_call = self.next_call.wrapping_add(1);
        let product = if matches!(request.page, Page::Detail | Page::Order) { arg } else { 0 };
        self.calls.insert(id, Parked { from, request, session, sent_at_us: ctx.now_us, product });
        ctx.send(self.config.gateway, GatewayMsg::Http { id, path, token, arg }.into());
        ctx.set_timer(timer_key(id), self.config.read_timeout_us);
        Ok(())
    }

    /// A page answered by Tomcat itself, counted with the others.
    fn local(&mut self, page: Page, reply: HttpResponse) -> HttpResponse {
        *self.answers.entry((page, reply.status.code())).or_insert(0) += 1;
        reply
    }

    fn pick_product<M>(&self, ctx: &mut Ctx<'_, M>) -> u32 {
        if let Some(sale) = self.config.flash_sale
            && ctx.rng.chance_ppm(sale.share_ppm)
        {
            return sale.product;
        }
        1 + ctx.rng.below(u64::from(self.config.catalogue.max(1))) as u32
    }

    /// The gateway answered: the parked request, its response, and the
    /// session's change (an order placed empties the cart and awaits
    /// payment; a payment clears it).
    pub fn on_reply<M>(&mut self, ctx: &mut Ctx<'_, M>, out: HttpOut) -> Option<Done> {
        let parked = self.calls.remove(&out.id)?;
        ctx.cancel_timer(timer_key(out.id));
        let request = parked.request;
        let (response, change) = match out.reason {
            None if out.status == 200 => {
                let change = match request.page {
                    Page::Order => Some(SessionChange::Ordered(out.body)),
                    Page::Pay => Some(SessionChange::Paid),
                    _ => None,
                };
                (HttpResponse { id: request.id, status: Status::Ok, session: request.session, failure: None }, change)
            }
            reason => {
                let (status, node, cause) = explain(self.config.gateway, out.upstream, reason);
                self.note_sold_out(request.page, parked.product, cause);
                let failure = Some((node, cause));
                (HttpResponse { id: request.id, status, session: request.session, failure }, None)
            }
        };
        Some(self.answered(parked, response, change))
    }

    /// An order for the product on sale refused as sold out ends the sale
    /// here: the sale page says "sold out" and detail pages show what the
    /// shopper clicked again.
    fn note_sold_out(&mut self, page: Page, product: u32, cause: FailCause) {
        let sold_out = page == Page::Order && cause == FailCause::OutOfStock;
        if sold_out && self.config.flash_sale.is_some_and(|sale| sale.product == product) {
            self.config.flash_sale = None;
        }
    }

    /// The read timeout ran out, or the gateway refused the connection.
    pub fn on_failure(&mut self, call: u32, cause: FailCause) -> Option<Done> {
        let parked = self.calls.remove(&call)?;
        let status = if cause == FailCause::Refused { Status::BadGateway } else { Status::GatewayTimeout };
        let r = parked.request;
        let response =
            HttpResponse { id: r.id, status, session: r.session, failure: Some((self.config.gateway, cause)) };
        Some(self.answered(parked, response, None))
    }

    pub fn on_timer(&mut self, key: TimerKey) -> Option<Done> {
        if timer_tag::tag_of(key) != APP_BACKEND {
            return None;
        }
        self.on_failure(timer_tag::local_of(key) as u32, FailCause::UpstreamTimeout)
    }

    /// The gateway's host refused a call.
    pub fn on_refused<M>(&mut self, ctx: &mut Ctx<'_, M>, msg: GatewayMsg) -> Option<Done> {
        let GatewayMsg::Http { id, .. } = msg else { return None };
        ctx.cancel_timer(timer_key(id));
        self.on_failure(id, FailCause::Refused)
    }

    fn answered(&mut self, parked: Parked, response: HttpResponse, change: Option<SessionChange>) -> Done {
        *self.answers.entry((parked.request.page, response.status.code())).or_insert(0) += 1;
        (parked, response, change)
    }
}

/// The status a downstream failure is answered with: 409 for a business
/// refusal (sold out, aborted, lock), 504 for an unknown outcome, else 503.
const fn status_of(cause: FailCause) -> Status {
    match cause {
        FailCause::OutOfStock | FailCause::TxnAborted | FailCause::LockTimeout | FailCause::StaleLock => {
            Status::Conflict
        }
        FailCause::UpstreamTimeout | FailCause::TimedOut => Status::GatewayTimeout,
        _ => Status::Unavailable,
    }
}

fn timer_key(call: u32) -> TimerKey {
    timer_tag::key(APP_BACKEND, u64::from(call))
}

/// A gateway refusal or a failed upstream call, as status, node and cause.
fn explain(gateway: NodeId, upstream: Option<NodeId>, reason: Option<GatewayReason>) -> (Status, NodeId, FailCause) {
    use GatewayReason as G;
    let at_upstream = upstream.unwrap_or(gateway);
    match reason {
        Some(G::NoRoute | G::NoInstance) | None => (Status::Unavailable, gateway, FailCause::NoProvider),
        Some(G::MissingToken | G::InvalidToken) => (Status::Unauthorized, gateway, FailCause::Unauthorized),
        Some(G::RateLimited(_)) => (Status::TooManyRequests, gateway, FailCause::RateLimited),
        Some(G::UpstreamTimeout | G::Upstream(RpcFailure::Timeout)) => {
            (Status::GatewayTimeout, at_upstream, FailCause::UpstreamTimeout)
        }
        Some(G::UpstreamRefused | G::Upstream(RpcFailure::Refused)) => {
            (Status::BadGateway, at_upstream, FailCause::Refused)
        }
        Some(G::Upstream(RpcFailure::Overloaded)) => (Status::Unavailable, at_upstream, FailCause::Overloaded),
        Some(G::Upstream(RpcFailure::NoProvider)) => (Status::Unavailable, at_upstream, FailCause::NoProvider),
        Some(G::Upstream(RpcFailure::Biz(biz))) => match biz {
            BizError::Downstream { at, cause } => (status_of(cause), at, cause),
            BizError::InsufficientStock => (Status::Conflict, at_upstream, FailCause::OutOfStock),
            BizError::NotFound | BizError::PaymentDeclined => (Status::Conflict, at_upstream, FailCause::TxnAborted),
        },
    }
}
