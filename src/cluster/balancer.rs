//! An HTTP reverse-proxy load balancer in the manner of nginx's upstream module.
//!
//! Owns the upstream list, the round-robin cursor, passive health state
//! (`max_fails` failures within `fail_timeout` take a server out for
//! `fail_timeout`), sticky routing by the session cookie's route, and the table
//! of proxied requests with their retries. A refused connection is retried on
//! the next server whatever the method (nothing was sent); a timeout is retried
//! only for idempotent requests, because a POST may already have taken effect.
//! Never looks at a server's state directly: it learns only from answers,
//! refusals and silence, as a real proxy does.

use super::message::{FailCause, HttpRequest, HttpResponse, Msg, Status};
use super::metrics::ShopMetrics;
use crate::sim::{Ctx, NodeId, SEC, TimeUs};
use std::collections::BTreeMap;

/// nginx-like upstream settings; the defaults are nginx's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalancerConfig {
    /// `max_fails=1`: failures that mark a server unavailable.
    pub max_fails: u32,
    /// `fail_timeout=10s`: the window for counting failures and the time out.
    pub fail_timeout_us: TimeUs,
    /// `proxy_read_timeout 60s`.
    pub proxy_timeout_us: TimeUs,
    /// Route requests that carry a session cookie to the server that made it.
    pub sticky: bool,
}

impl Default for BalancerConfig {
    fn default() -> Self {
        Self { max_fails: 1, fail_timeout_us: 10 * SEC, proxy_timeout_us: 60 * SEC, sticky: true }
    }
}

/// Passive health of one upstream, as this balancer believes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpstreamHealth {
    pub fails: u32,
    pub first_fail_us: TimeUs,
    /// Not chosen until this time (0 = available).
    pub down_until_us: TimeUs,
    pub requests: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Proxied {
    client: NodeId,
    client_request: u32,
    request: HttpRequest,
    upstream: usize,
    /// Bit i set: upstream i was already tried for this request.
    tried: u32,
}

/// The balancer node.
#[derive(Clone, Debug)]
pub struct Balancer {
    pub config: BalancerConfig,
    pub upstreams: Vec<NodeId>,
    metrics: ShopMetrics,
    // Volatile: the proxy's memory.
    pub health: Vec<UpstreamHealth>,
    rr_cursor: usize,
    pending: BTreeMap<u32, Proxied>,
    next_proxy_id: u32,
    pub retries: u64,
}

impl Balancer {
    pub fn new(config: BalancerConfig, upstreams: Vec<NodeId>, metrics: ShopMetrics) -> Self {
        let health = vec![UpstreamHealth::default(); upstreams.len()];
        Self {
            config,
            upstreams,
            metrics,
            health,
            rr_cursor: 0,
            pending: BTreeMap::new(),
            next_proxy_id: 0,
            retries: 0,
        }
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    pub fn on_crash(&mut self) {
        self.health.iter_mut().for_each(|h| *h = UpstreamHealth::default());
        self.pending.clear();
        self.rr_cursor = 0;
    }

    pub fn is_available(&self, upstream: usize, now_us: TimeUs) -> bool {
        self.health[upstream].down_until_us <= now_us
    }

    /// The server for a request: its sticky route if usable, else round robin
    /// over available servers not yet tried.
    fn choose(&mut self, request: &HttpRequest, tried: u32, now_us: TimeUs) -> Option<usize> {
        let usable = |i: usize, b: &Self| tried & (1 << i) == 0 && b.is_available(i, now_us);
        if self.config.sticky
            && let Some(cookie) = request.session
            && let Some(i) = self.upstreams.iter().position(|&u| u == cookie.route)
            && usable(i, self)
        {
            return Some(i);
        }
        let n = self.upstreams.len();
        for offset in 0..n {
            let i = (self.rr_cursor + offset) % n;
            if usable(i, self) {
                self.rr_cursor = (i + 1) % n;
                return Some(i);
            }
        }
        None
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(request) => {
                let proxy_id = self.next_proxy_id;
                self.next_proxy_id = self.next_proxy_id.wrapping_add(1);
                let proxied = Proxied { client: from, client_request: request.id, request, upstream: 0, tried: 0 };
                self.forward(ctx, proxy_id, proxied);
            }
            Msg::Response(response) => self.on_upstream_response(ctx, response),
        }
    }

    fn forward(&mut self, ctx: &mut Ctx<'_, Msg>, proxy_id: u32, mut proxied: Proxied) {
        let Some(upstream) = self.choose(&proxied.request, proxied.tried, ctx.now_us) else {
            self.reply_failure(ctx, proxied, Status::BadGateway, ctx.me, FailCause::NoLiveUpstream);
            return;
        };
        proxied.upstream = upstream;
        proxied.tried |= 1 << upstream;
        self.health[upstream].requests += 1;
        let upstream_request = HttpRequest { id: proxy_id, ..proxied.request };
        ctx.send(self.upstreams[upstream], Msg::Request(upstream_request));
        ctx.set_timer(u64::from(proxy_id), self.config.proxy_timeout_us);
        self.pending.insert(proxy_id, proxied);
    }

    fn on_upstream_response(&mut self, ctx: &mut Ctx<'_, Msg>, response: HttpResponse) {
        let Some(proxied) = self.pending.remove(&response.id) else { return };
        ctx.cancel_timer(u64::from(response.id));
        if response.status == Status::Ok {
            self.health[proxied.upstream].fails = 0;
        }
        let reply = HttpResponse { id: proxied.client_request, ..response };
        ctx.send(proxied.client, Msg::Response(reply));
    }

    /// The upstream's host refused the connection: nothing was sent, so any
    /// request may go to the next server.
    pub fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: Msg) {
        let Msg::Request(request) = msg else { return };
        let Some(proxied) = self.pending.remove(&request.id) else { return };
        ctx.cancel_timer(u64::from(request.id));
        self.note_failure(proxied.upstream, ctx.now_us);
        self.retry_or_fail(ctx, request.id, proxied, to, FailCause::Refused, true);
    }

    /// `proxy_read_timeout` ran out for proxied request `proxy_id`.
    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, proxy_id: u64) {
        let Some(proxied) = self.pending.remove(&(proxy_id as u32)) else { return };
        self.note_failure(proxied.upstream, ctx.now_us);
        let upstream = self.upstreams[proxied.upstream];
        let may_retry = proxied.request.page.is_idempotent();
        self.retry_or_fail(ctx, proxy_id as u32, proxied, upstream, FailCause::TimedOut, may_retry);
    }

    fn retry_or_fail(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        proxy_id: u32,
        proxied: Proxied,
        failed_node: NodeId,
        cause: FailCause,
        may_retry: bool,
    ) {
        let untried = (0..self.upstreams.len()).any(|i| proxied.tried & (1 << i) == 0);
        if may_retry && untried {
            self.retries += 1;
            ctx.count(self.metrics.retries, 1);
            self.forward(ctx, proxy_id, proxied);
            return;
        }
        let status = if cause == FailCause::TimedOut { Status::GatewayTimeout } else { Status::BadGateway };
        self.reply_failure(ctx, proxied, status, failed_node, cause);
    }

    fn note_failure(&mut self, upstream: usize, now_us: TimeUs) {
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

    fn reply_failure(&self, ctx: &mut Ctx<'_, Msg>, proxied: Proxied, status: Status, node: NodeId, cause: FailCause) {
        let reply = HttpResponse {
            id: proxied.client_request,
            status,
            session: proxied.request.session,
            failure: Some((node, cause)),
        };
        ctx.send(proxied.client, Msg::Response(reply));
    }
}
