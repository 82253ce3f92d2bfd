//! A load balancer in front of the app servers: nginx by default, or F5 / LVS.
//!
//! Owns the upstream list with weights, the algorithm's memory (`Picker`), the
//! active connections per upstream, passive health (`max_fails=1` failures
//! within `fail_timeout=10s` take a server out for `fail_timeout`), optional
//! active health checks, stickiness (the session cookie's route for L7
//! balancers, the client's source address for LVS), load shedding (beyond
//! `max_pending` requests in flight, new ones get 503 at once), and the table
//! of proxied requests with their retries. nginx retries a refused connection
//! on the next server whatever the method (nothing was sent) and a timeout
//! only for idempotent requests, because a POST may already have taken effect.
//! Each attempt on an upstream (and each health-check probe) has its own id:
//! when an attempt is abandoned (timed out, refused) nginx closes that
//! upstream connection, so a late answer on it is dropped and can never
//! complete the retry, nor pass a later probe.
//! What differs by kind is in `BalancerKind::capabilities`: LVS works at layer
//! 4 and so cannot read cookies, retry, or answer with an error page.
//!
//! Volatile (lost by `on_crash`): health, connections, the picker, pending
//! requests, the persistence table, each client's last server
//! (`balancer_clients`). Kept (observability only): `retries` and
//! `failures`. Timers: tag `SHOP`; an attempt's timer is its plain proxy id
//! (compatible with the slice), probes use ids from `PROBE_ID_BASE` up.
//!
//! Client addresses (for `ip_hash` and source-IP persistence) are not carried
//! by the request: the balancer derives them from the sending node and the
//! shopper index — `config.client_addrs` puts every shopper of a node behind
//! one NAT address; otherwise `ClientAddr::of_shopper` gives each its own /24.
//! Never looks at a server's state directly: it learns only from answers,
//! refusals and silence, as a real proxy does.

use super::lb_algorithm::{Algorithm, Capabilities, ClientAddr, Peer, Persistence, Picker, Tried};
use super::message::{HttpRequest, HttpResponse, Msg, Status};
use super::metrics::ShopMetrics;
use super::timer_tag::{self, SHOP};
use crate::sim::{Ctx, NodeId, TimeUs, TimerKey};
use std::collections::BTreeMap;

// Settings and failure reasons live in their own file to keep this one small.
#[path = "balancer_config.rs"]
mod config;
pub use config::{
    BalancerConfig, ProxyFailure, UpstreamHealth, check_connection_tallies, check_connections_match_pending,
    check_pending_bounded,
};
#[path = "balancer_clients.rs"]
mod clients;
#[path = "balancer_health.rs"]
mod health;
pub use clients::{ClientRoute, ClientRoutes};

/// Proxy ids stay below this; ids from here up name health-check probes.
pub const PROBE_ID_BASE: u32 = 0xFFFF_0000;
/// The local timer key of the next health-check round (above every id).
const PROBE_TICK: u64 = 1 << 40;
/// Source-IP persistence entries held before expired ones are swept.
const PERSISTENCE_SWEEP_AT: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Proxied {
    client: NodeId,
    client_request: u32,
    request: HttpRequest,
    addr: ClientAddr,
    upstream: usize,
    tried: Tried,
}

/// The balancer node.
#[derive(Clone, Debug)]
pub struct Balancer {
    pub config: BalancerConfig,
    pub upstreams: Vec<NodeId>,
    metrics: ShopMetrics,
    // Volatile: the proxy's memory.
    pub health: Vec<UpstreamHealth>,
    /// Weights and active connections per upstream, as the picker sees them.
    pub peers: Vec<Peer>,
    pub picker: Picker,
    pending: BTreeMap<u32, Proxied>,
    /// Requests in flight per upstream, tallied where `pending` gains or
    /// loses an entry (apart from the picker's `active`), so the whole shop's
    /// bookkeeping invariant compares two tallies without a recount.
    in_flight_by_upstream: Vec<u32>,
    persistence: BTreeMap<ClientAddr, (usize, TimeUs)>,
    /// Each client's last server and its run there (observation only).
    clients: ClientRoutes,
    next_proxy_id: u32,
    /// The next probe's id, less `PROBE_ID_BASE`.
    next_probe_seq: u32,
    // Kept across crashes, for inspectors and properties.
    pub retries: u64,
    pub failures: BTreeMap<ProxyFailure, u64>,
}

fn timer_of(id: u32) -> TimerKey {
    timer_tag::key(SHOP, u64::from(id))
}

impl Balancer {
    pub fn new(config: BalancerConfig, upstreams: Vec<NodeId>, metrics: ShopMetrics) -> Self {
        let peers: Vec<Peer> = (0..upstreams.len())
            .map(|i| Peer { max_conns: config.max_conns, ..Peer::new(config.weight_of(i)) })
            .collect();
        Self {
            picker: Picker::new(config.algorithm, &peers),
            health: vec![UpstreamHealth::default(); upstreams.len()],
            peers,
            config,
            metrics,
            pending: BTreeMap::new(),
            in_flight_by_upstream: vec![0; upstreams.len()],
            upstreams,
            persistence: BTreeMap::new(),
            clients: ClientRoutes::default(),
            next_proxy_id: 0,
            next_probe_seq: 0,
            retries: 0,
            failures: BTreeMap::new(),
        }
    }

    /// The `lb-algorithm` switch: a new algorithm starts with fresh memory.
    pub fn set_algorithm(&mut self, algorithm: Algorithm) {
        self.config.algorithm = algorithm;
        self.picker = Picker::new(algorithm, &self.peers);
    }

    pub fn capabilities(&self) -> Capabilities {
        self.config.kind.capabilities()
    }

    /// Requests in flight through this balancer.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// How many requests failed here for `reason`.
    pub fn failures_of(&self, reason: ProxyFailure) -> u64 {
        self.failures.get(&reason).copied().unwrap_or(0)
    }

    /// The address a request from `from` (shopper `shopper`) comes from.
    pub fn client_addr(&self, from: NodeId, shopper: u16) -> ClientAddr {
        self.config.client_addrs.get(&from).map_or(ClientAddr::of_shopper(from, shopper), |a| ClientAddr(*a))
    }

    pub fn is_available(&self, upstream: usize, now_us: TimeUs) -> bool {
        let h = &self.health[upstream];
        !h.probe_down && h.down_until_us <= now_us
    }

    /// Starts the health-check rounds, if this balancer has any.
    pub fn on_start<M: From<Msg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if let Some(check) = self.config.active_check {
            ctx.set_timer(timer_tag::key(SHOP, PROBE_TICK), check.interval_us);
        }
    }

    pub fn on_crash(&mut self) {
        self.health.iter_mut().for_each(|h| *h = UpstreamHealth::default());
        self.peers.iter_mut().for_each(|p| p.active = 0);
        self.picker = Picker::new(self.config.algorithm, &self.peers);
        self.pending.clear();
        self.in_flight_by_upstream.iter_mut().for_each(|n| *n = 0);
        self.persistence.clear();
        self.clients.clear();
    }

    pub fn on_message<M: From<Msg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(request) => self.on_request(ctx, from, request),
            Msg::Response(response) => self.on_response(ctx, response),
            // Other protocols are for the mechanisms sharing this host.
            _ => {}
        }
    }

    /// A client's request: shed it, or send it to an upstream.
    pub fn on_request<M: From<Msg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, request: HttpRequest) {
        // The client's own address, not the last hop's: a router in front
        // (the VIP's) forwards without rewriting the source.
        let addr = self.client_addr(request.client, request.shopper);
        let proxied =
            Proxied { client: from, client_request: request.id, request, addr, upstream: 0, tried: Tried::default() };
        if self.config.max_pending > 0 && self.pending.len() >= self.config.max_pending as usize {
            self.fail(ctx, proxied, ProxyFailure::Shed);
            return;
        }
        self.forward(ctx, proxied);
    }

    /// A fresh id for one attempt on an upstream (its own connection).
    fn next_attempt_id(&mut self) -> u32 {
        let id = self.next_proxy_id;
        self.next_proxy_id = (self.next_proxy_id + 1) % PROBE_ID_BASE;
        id
    }

    /// One attempt: a new connection to the chosen upstream, with its own id.
    fn forward<M: From<Msg>>(&mut self, ctx: &mut Ctx<'_, M>, mut proxied: Proxied) {
        let Some(upstream) = self.choose(ctx, &proxied) else {
            self.fail(ctx, proxied, ProxyFailure::NoLiveUpstream);
            return;
        };
        let proxy_id = self.next_attempt_id();
        proxied.upstream = upstream;
        proxied.tried = proxied.tried.with(upstream);
        self.health[upstream].requests += 1;
        self.peers[upstream].active += 1;
        self.clients.note(proxied.addr, upstream);
        if self.config.sticky && self.capabilities().persistence == Persistence::SourceIp {
            self.remember_source(proxied.addr, upstream, ctx.now_us);
        }
        let upstream_request = HttpRequest { id: proxy_id, ..proxied.request };
        ctx.send(self.upstreams[upstream], M::from(Msg::Request(upstream_request)));
        ctx.set_timer(timer_of(proxy_id), self.config.proxy_timeout_us);
        self.pending.insert(proxy_id, proxied);
        self.in_flight_by_upstream[upstream] += 1;
    }

    /// The server for an attempt: the sticky one if usable, else the picker's.
    fn choose<M>(&mut self, ctx: &mut Ctx<'_, M>, proxied: &Proxied) -> Option<usize> {
        for i in 0..self.upstreams.len() {
            self.peers[i].down = !self.is_available(i, ctx.now_us);
        }
        if let Some(i) = self.sticky_choice(proxied, ctx.now_us) {
            return Some(i);
        }
        self.picker.pick(&self.peers, proxied.tried, proxied.addr, ctx.rng)
    }

    fn sticky_choice(&self, proxied: &Proxied, now_us: TimeUs) -> Option<usize> {
        if !self.config.sticky {
            return None;
        }
        let i = match self.capabilities().persistence {
            // Only an L7 balancer can read the cookie's route.
            Persistence::Cookie => {
                let route = proxied.request.session?.route;
                self.upstreams.iter().position(|&u| u == route)?
            }
            Persistence::SourceIp => match self.persistence.get(&proxied.addr) {
                Some(&(i, expires_us)) if expires_us > now_us => i,
                _ => return None,
            },
        };
        let in_rotation = self.peers[i].weight > 0;
        (!proxied.tried.contains(i) && !self.peers[i].down && in_rotation).then_some(i)
    }

    fn remember_source(&mut self, addr: ClientAddr, upstream: usize, now_us: TimeUs) {
        if self.persistence.len() >= PERSISTENCE_SWEEP_AT {
            self.persistence.retain(|_, &mut (_, expires_us)| expires_us > now_us);
        }
        self.persistence.insert(addr, (upstream, now_us + self.config.persistence_timeout_us));
    }

    /// Forget a finished proxied request; its upstream has one connection less.
    fn finish<M>(&mut self, ctx: &mut Ctx<'_, M>, proxy_id: u32) -> Option<Proxied> {
        let proxied = self.pending.remove(&proxy_id)?;
        self.in_flight_by_upstream[proxied.upstream] -= 1;
        ctx.cancel_timer(timer_of(proxy_id));
        let peer = &mut self.peers[proxied.upstream];
        peer.active = peer.active.saturating_sub(1);
        Some(proxied)
    }

    pub fn on_response<M: From<Msg>>(&mut self, ctx: &mut Ctx<'_, M>, response: HttpResponse) {
        if response.id >= PROBE_ID_BASE {
            self.probe_result(ctx, response.id, true);
            return;
        }
        // An abandoned attempt's late answer finds no entry: its connection was closed.
        let Some(proxied) = self.finish(ctx, response.id) else { return };
        if response.status == Status::Ok {
            self.health[proxied.upstream].fails = 0;
        }
        let reply = HttpResponse { id: proxied.client_request, ..response };
        ctx.send(proxied.client, M::from(Msg::Response(reply)));
    }

    /// The upstream's host refused the connection: nothing was sent, so a
    /// balancer that retries may send any request to the next server.
    pub fn on_refused<M: From<Msg>>(&mut self, ctx: &mut Ctx<'_, M>, _to: NodeId, msg: Msg) {
        let Msg::Request(request) = msg else { return };
        if request.id >= PROBE_ID_BASE {
            self.probe_result(ctx, request.id, false);
            return;
        }
        let Some(proxied) = self.finish(ctx, request.id) else { return };
        self.note_failure(ctx, proxied.upstream);
        let may_retry = self.capabilities().retry_refused;
        self.retry_or_fail(ctx, proxied, ProxyFailure::Refused, may_retry);
    }

    /// A proxy timeout, a probe's deadline or the next probe round.
    pub fn on_timer<M: From<Msg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if timer_tag::tag_of(key) != SHOP {
            return;
        }
        match timer_tag::local_of(key) {
            PROBE_TICK => self.probe_round(ctx),
            local if local >= u64::from(PROBE_ID_BASE) => self.probe_result(ctx, local as u32, false),
            local => self.on_proxy_timeout(ctx, local as u32),
        }
    }

    fn on_proxy_timeout<M: From<Msg>>(&mut self, ctx: &mut Ctx<'_, M>, proxy_id: u32) {
        let Some(proxied) = self.finish(ctx, proxy_id) else { return };
        self.note_failure(ctx, proxied.upstream);
        let caps = self.capabilities();
        if !caps.answers_timeout {
            // IPVS just forgets the connection; the client gave up long ago.
            return;
        }
        let idempotent = proxied.request.page.is_idempotent();
        let reason = if caps.retry_timeout_idempotent && !idempotent {
            ProxyFailure::TimedOutUnsafeToRetry
        } else {
            ProxyFailure::TimedOut
        };
        let may_retry = caps.retry_timeout_idempotent && idempotent;
        self.retry_or_fail(ctx, proxied, reason, may_retry);
    }

    /// A retry is a new attempt with a new id: the abandoned one's late answer is dropped.
    fn retry_or_fail<M: From<Msg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        proxied: Proxied,
        reason: ProxyFailure,
        may_retry: bool,
    ) {
        if may_retry && !proxied.tried.covers(self.upstreams.len()) {
            self.retries += 1;
            ctx.count(self.metrics.retries, 1);
            self.forward(ctx, proxied);
            return;
        }
        self.fail(ctx, proxied, reason);
    }

    /// Passive health: `max_fails` failures within `fail_timeout` take the
    /// server out for `fail_timeout` (only balancers that see failures).
    fn note_failure<M>(&mut self, ctx: &mut Ctx<'_, M>, upstream: usize) {
        if !self.capabilities().passive_health {
            return;
        }
        let now_us = ctx.now_us;
        self.picker.note_failure(upstream, &self.peers, self.config.max_fails);
        let h = &mut self.health[upstream];
        if now_us.saturating_sub(h.first_fail_us) > self.config.fail_timeout_us {
            h.fails = 0;
        }
        if h.fails == 0 {
            h.first_fail_us = now_us;
        }
        h.fails += 1;
        if h.fails >= self.config.max_fails {
            h.down_until_us = now_us + self.config.fail_timeout_us;
            h.fails = 0;
        }
    }

    fn fail<M: From<Msg>>(&mut self, ctx: &mut Ctx<'_, M>, proxied: Proxied, reason: ProxyFailure) {
        *self.failures.entry(reason).or_insert(0) += 1;
        let node = match reason {
            ProxyFailure::Shed | ProxyFailure::NoLiveUpstream => ctx.me,
            _ => self.upstreams[proxied.upstream],
        };
        let reply = HttpResponse {
            id: proxied.client_request,
            status: reason.status(),
            session: proxied.request.session,
            failure: Some((node, reason.cause())),
        };
        ctx.send(proxied.client, M::from(Msg::Response(reply)));
    }
}
