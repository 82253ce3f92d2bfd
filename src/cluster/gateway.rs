//! The API gateway: route, authenticate, limit, convert HTTP to RPC, log.
//!
//! Owns the route table (Spring Cloud Gateway style: `Path=/api/order/**`
//! predicates tried in order, first match wins), stateless token checks on
//! routes that need a login (order, pay: missing or forged token → 401), one
//! rate limiter per service (429, or nginx's 503), round-robin balancing over
//! each service's instances (the list the host feeds from its registry cache),
//! protocol conversion — an HTTP request becomes an RPC call and the RPC
//! result becomes an HTTP response, counted both ways and marked in the access
//! log — the upstream timeout, the Retry filter (`gateway/retry`: idempotent
//! calls tried again on another instance after a refusal, a timeout or a
//! 5xx; order and pay never), and the access log itself (a bounded ring of
//! `Copy` entries). Never chooses an instance the host did not list: it knows
//! services only by their lists.
//!
//! Volatile: everything but the settings (pending calls, limiter state kept
//! in memory, the access log, counters).

use super::rate_limit::{LimitDecision, LimitReason, RateLimitConfig, RateLimiter};
use super::registry::ServiceKind;
use super::rpc::{Method, RpcFailure, RpcMsg};
use crate::sim::{MS, NodeId, TimeUs};
use std::collections::{BTreeMap, VecDeque};

mod retry;
mod routes;
mod wire;
pub use retry::{Next, RetryConfig};
pub use routes::{AuthToken, DEFAULT_ROUTES, RouteRule, path_matches};
pub use wire::GatewayMsg;

/// Gateway settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayConfig {
    pub routes: Vec<RouteRule>,
    /// `RequestRateLimiter` filter on every route (one limiter per service).
    pub rate_limit: Option<RateLimitConfig>,
    /// Timeout of the converted RPC call (Dubbo's default `timeout` 1000 ms).
    pub upstream_timeout_us: TimeUs,
    /// The key tokens are signed with.
    pub token_secret: u64,
    pub access_log_capacity: usize,
    /// The `Retry` filter, if the routes have it (SCG adds none by itself).
    pub retry: Option<RetryConfig>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            routes: DEFAULT_ROUTES.to_vec(),
            rate_limit: Some(RateLimitConfig::default()),
            upstream_timeout_us: 1000 * MS,
            token_secret: 0x005E_C2E7,
            access_log_capacity: 128,
            retry: None,
        }
    }
}

/// Why the gateway answered with something other than the upstream's 200.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GatewayReason {
    /// 404: no route's path matches.
    NoRoute,
    /// 401: the route needs a token and there is none.
    MissingToken,
    /// 401: the token's signature does not check out.
    InvalidToken,
    /// 429 (token bucket, windows) or 503 (nginx leaky bucket, fail-closed).
    RateLimited(LimitReason),
    /// 503: the service has no instance in the gateway's list.
    NoInstance,
    /// 504: the RPC did not answer in time (its outcome is unknown).
    UpstreamTimeout,
    /// 502: the instance's host refused the connection.
    UpstreamRefused,
    /// The RPC failed: 503 if overloaded, 409 for a business error.
    Upstream(RpcFailure),
}

impl GatewayReason {
    pub const fn status(self) -> u16 {
        match self {
            Self::NoRoute => 404,
            Self::MissingToken | Self::InvalidToken => 401,
            Self::RateLimited(LimitReason::TokensExhausted | LimitReason::WindowFull) => 429,
            Self::RateLimited(_) | Self::NoInstance => 503,
            Self::UpstreamTimeout => 504,
            Self::UpstreamRefused => 502,
            Self::Upstream(RpcFailure::Biz(_)) => 409,
            Self::Upstream(_) => 503,
        }
    }
}

/// What a request carries that the gateway looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestMeta {
    pub path: &'static str,
    pub token: Option<AuthToken>,
    /// The call's argument (product id, quantity…), passed through.
    pub arg: u32,
}

/// The HTTP answer for a client's request `id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HttpOut {
    pub id: u32,
    pub status: u16,
    pub reason: Option<GatewayReason>,
    pub body: u32,
    /// The instance the call went to, if it went upstream.
    pub upstream: Option<NodeId>,
}

/// What to do with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Send `call` (the converted request) to `upstream` after `delay_us`.
    Forward { upstream: NodeId, call: RpcMsg, delay_us: TimeUs },
    /// Answer the client now.
    Respond(HttpOut),
}

/// One line of the access log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccessLogEntry {
    pub at_us: TimeUs,
    pub path: &'static str,
    pub route: Option<ServiceKind>,
    pub status: u16,
    pub latency_us: TimeUs,
    pub upstream: Option<NodeId>,
    pub reason: Option<GatewayReason>,
    /// True when the request went upstream as an RPC and came back as HTTP.
    pub converted: bool,
    pub user: Option<u16>,
    /// Upstream attempts made (0 if never forwarded; 2 or more: retried).
    pub attempts: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    client: NodeId,
    client_id: u32,
    path: &'static str,
    service: ServiceKind,
    method: Method,
    arg: u32,
    /// The instance of the current attempt.
    upstream: NodeId,
    /// The current attempt (0 first; the Retry filter adds one per retry).
    attempt: u8,
    started_us: TimeUs,
    user: Option<u16>,
}

/// The gateway. Volatile: everything but `config`.
#[derive(Clone, Debug)]
pub struct Gateway {
    pub config: GatewayConfig,
    pub instances: BTreeMap<ServiceKind, Vec<NodeId>>,
    rr_cursor: BTreeMap<ServiceKind, usize>,
    pub limiters: BTreeMap<ServiceKind, RateLimiter>,
    /// Whether the limiters' store (Redis) answers; the host keeps it current.
    pub limiter_store_reachable: bool,
    pending: BTreeMap<u32, Pending>,
    next_call_id: u32,
    pub access_log: VecDeque<AccessLogEntry>,
    /// HTTP requests turned into RPC calls.
    pub http_to_rpc: u64,
    /// RPC results turned back into HTTP responses.
    pub rpc_to_http: u64,
    /// Forwarded calls answered (by the upstream, a timeout or a refusal).
    pub forwarded_answered: u64,
    pub responses_by_status: BTreeMap<u16, u64>,
    /// Attempts sent again by the Retry filter.
    pub retries: u64,
    /// Requests answered 200 after at least one retry.
    pub rescued_by_retry: u64,
    /// Non-idempotent calls (order, pay) that timed out: applied or not, nobody knows.
    pub unknown_outcomes: u64,
}

impl Gateway {
    pub fn new(config: GatewayConfig) -> Self {
        Self {
            config,
            instances: BTreeMap::new(),
            rr_cursor: BTreeMap::new(),
            limiters: BTreeMap::new(),
            limiter_store_reachable: true,
            pending: BTreeMap::new(),
            next_call_id: 0,
            access_log: VecDeque::new(),
            http_to_rpc: 0,
            rpc_to_http: 0,
            forwarded_answered: 0,
            responses_by_status: BTreeMap::new(),
            retries: 0,
            rescued_by_retry: 0,
            unknown_outcomes: 0,
        }
    }

    pub fn on_crash(&mut self) {
        *self = Self { instances: BTreeMap::new(), ..Self::new(self.config.clone()) };
    }

    /// Replace `service`'s instance list (from the registry cache).
    pub fn set_instances(&mut self, service: ServiceKind, instances: &[NodeId]) {
        self.instances.insert(service, instances.to_vec());
    }

    /// Tell every limiter whether its store (Redis) answers.
    pub fn set_limiter_store_reachable(&mut self, reachable: bool) {
        self.limiter_store_reachable = reachable;
        self.limiters.values_mut().for_each(|l| l.store_reachable = reachable);
    }

    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Decide what to do with request `client_id` from `client`.
    pub fn route(&mut self, now_us: TimeUs, client: NodeId, client_id: u32, meta: RequestMeta) -> Decision {
        let Some(rule) = self.config.routes.iter().copied().find(|r| path_matches(r.prefix, meta.path)) else {
            return self.reject(now_us, client_id, meta, None, GatewayReason::NoRoute);
        };
        let user = meta.token.filter(|t| t.is_valid(self.config.token_secret)).map(|t| t.user);
        let delay_us = match Self::auth(rule, meta.token, user).and_then(|()| self.limit(rule.service, now_us)) {
            Ok(delay_us) => delay_us,
            Err(reason) => return self.reject(now_us, client_id, meta, Some(rule.service), reason),
        };
        let Some(upstream) = self.pick_instance(rule.service) else {
            return self.reject(now_us, client_id, meta, Some(rule.service), GatewayReason::NoInstance);
        };
        let call_id = self.next_call_id;
        self.next_call_id = self.next_call_id.wrapping_add(1);
        let (service, method, arg) = (rule.service, rule.method, meta.arg);
        let pending = Pending {
            client,
            client_id,
            path: meta.path,
            service,
            method,
            arg,
            upstream,
            attempt: 0,
            started_us: now_us,
            user,
        };
        self.pending.insert(call_id, pending);
        self.http_to_rpc += 1;
        Decision::Forward { upstream, call: pending.call(call_id), delay_us }
    }

    /// 401 unless the route is open or the token's signature checks out.
    fn auth(rule: RouteRule, token: Option<AuthToken>, user: Option<u16>) -> Result<(), GatewayReason> {
        match (rule.needs_auth, token, user) {
            (false, _, _) | (true, Some(_), Some(_)) => Ok(()),
            (true, None, _) => Err(GatewayReason::MissingToken),
            (true, Some(_), None) => Err(GatewayReason::InvalidToken),
        }
    }

    /// The service's limiter (made on first use): a delay, or a refusal.
    fn limit(&mut self, service: ServiceKind, now_us: TimeUs) -> Result<TimeUs, GatewayReason> {
        let Some(config) = self.config.rate_limit else { return Ok(0) };
        let reachable = self.limiter_store_reachable;
        let limiter = self.limiters.entry(service).or_insert_with(|| RateLimiter::new(config));
        if limiter.config() != config {
            // The reader switched the rule: a new limiter, as a config reload would make.
            *limiter = RateLimiter::new(config);
        }
        limiter.store_reachable = reachable;
        match limiter.check(now_us) {
            LimitDecision::Allow { delay_us } => Ok(delay_us),
            LimitDecision::Reject { reason, .. } => Err(GatewayReason::RateLimited(reason)),
        }
    }

    /// Spring Cloud LoadBalancer's default: round robin over the list.
    pub(super) fn pick_instance(&mut self, service: ServiceKind) -> Option<NodeId> {
        let list = self.instances.get(&service).filter(|l| !l.is_empty())?;
        let cursor = self.rr_cursor.entry(service).or_insert(0);
        let chosen = list[*cursor % list.len()];
        *cursor = cursor.wrapping_add(1);
        Some(chosen)
    }

    fn reject(
        &mut self,
        now_us: TimeUs,
        client_id: u32,
        meta: RequestMeta,
        route: Option<ServiceKind>,
        reason: GatewayReason,
    ) -> Decision {
        let user = meta.token.filter(|t| t.is_valid(self.config.token_secret)).map(|t| t.user);
        let entry = AccessLogEntry {
            at_us: now_us,
            path: meta.path,
            route,
            status: reason.status(),
            latency_us: 0,
            upstream: None,
            reason: Some(reason),
            converted: false,
            user,
            attempts: 0,
        };
        self.log(entry);
        Decision::Respond(HttpOut {
            id: client_id,
            status: reason.status(),
            reason: Some(reason),
            body: 0,
            upstream: None,
        })
    }

    pub(super) fn finish(
        &mut self,
        now_us: TimeUs,
        call_id: u32,
        reason: Option<GatewayReason>,
        body: u32,
    ) -> Option<Next> {
        let p = self.pending.remove(&call_id)?;
        self.forwarded_answered += 1;
        let status = reason.map_or(200, GatewayReason::status);
        let converted = reason.is_none() || matches!(reason, Some(GatewayReason::Upstream(_)));
        if converted {
            self.rpc_to_http += 1;
        }
        if reason.is_none() && p.attempt > 0 {
            self.rescued_by_retry += 1;
        }
        if reason == Some(GatewayReason::UpstreamTimeout) && !p.method.is_idempotent() {
            self.unknown_outcomes += 1;
        }
        let entry = AccessLogEntry {
            at_us: now_us,
            path: p.path,
            route: Some(p.service),
            status,
            latency_us: now_us - p.started_us,
            upstream: Some(p.upstream),
            reason,
            converted,
            user: p.user,
            attempts: p.attempt + 1,
        };
        self.log(entry);
        let out = HttpOut { id: p.client_id, status, reason, body, upstream: Some(p.upstream) };
        Some(Next::Answer { client: p.client, out })
    }

    fn log(&mut self, entry: AccessLogEntry) {
        *self.responses_by_status.entry(entry.status).or_insert(0) += 1;
        if self.access_log.len() >= self.config.access_log_capacity.max(1) {
            self.access_log.pop_front();
        }
        self.access_log.push_back(entry);
    }
}

/// Every access-log entry is consistent: 401s only on routes that need a
/// token, 200s only for converted calls with an upstream, and the
/// conversion counters agree (never more RPC→HTTP than HTTP→RPC).
pub fn check_access_log(gateway: &Gateway) -> Result<(), String> {
    if gateway.rpc_to_http > gateway.http_to_rpc {
        return Err(format!("{} RPC→HTTP conversions but only {} HTTP→RPC", gateway.rpc_to_http, gateway.http_to_rpc));
    }
    for e in &gateway.access_log {
        let needs_auth = gateway.config.routes.iter().any(|r| Some(r.service) == e.route && r.needs_auth);
        if e.status == 401 && !needs_auth {
            return Err(format!("401 on {} which needs no token", e.path));
        }
        if e.status == 200 && (!e.converted || e.upstream.is_none()) {
            return Err(format!("200 on {} without an upstream RPC", e.path));
        }
    }
    Ok(())
}
