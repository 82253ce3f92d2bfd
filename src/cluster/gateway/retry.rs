//! The gateway's `Retry` filter (Spring Cloud Gateway's
//! `RetryGatewayFilterFactory`) and what an upstream attempt leads to.
//!
//! Owns the filter's settings with SCG's defaults — `retries` 3, `methods`
//! GET, `series` 5XX, `exceptions` IOException and TimeoutException, backoff
//! disabled — and the decision after a failed attempt: an idempotent call
//! (search, detail: the shop's GETs) that was refused, timed out or answered
//! 5xx is sent again at once, through the load balancer, to another instance
//! of the gateway's list when it has one; a non-idempotent call (order, pay:
//! POSTs) never is, and its timeout is answered as an UNKNOWN outcome (504
//! naming the instance: it may have run). A late answer to an attempt already
//! given up on is dropped. Never picks an instance itself beyond passing over
//! the one that just failed: round robin does.

use super::{Gateway, GatewayReason, HttpOut, Pending};
use crate::cluster::registry::ServiceKind;
use crate::cluster::rpc::{RpcFailure, RpcMsg, RpcResult};
use crate::sim::{NodeId, TimeUs};

/// SCG `Retry` filter arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// `retries`: 3 attempts after the first.
    pub retries: u8,
    /// `methods`: GET only, i.e. only idempotent methods are retried. With
    /// `false`, every method is (as `methods: GET,POST` would).
    pub idempotent_only: bool,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self { retries: 3, idempotent_only: true }
    }
}

/// What the gateway does after an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Answer the client.
    Answer { client: NodeId, out: HttpOut },
    /// Send `call` (the same request, next attempt) to `upstream` now.
    Retry { upstream: NodeId, call: RpcMsg },
}

impl Pending {
    /// The RPC of this call's current attempt.
    pub(super) fn call(&self, call_id: u32) -> RpcMsg {
        RpcMsg::Call {
            call_id,
            method: self.method,
            idempotent: self.method.is_idempotent(),
            attempt: self.attempt,
            arg: self.arg,
        }
    }
}

/// SCG retries the 5XX series and the exceptions IOException (a refused or
/// reset connection) and TimeoutException; a business error (409) is not.
const fn retriable(reason: GatewayReason) -> bool {
    match reason {
        GatewayReason::UpstreamTimeout | GatewayReason::UpstreamRefused => true,
        GatewayReason::Upstream(RpcFailure::Biz(_)) => false,
        GatewayReason::Upstream(_) => true,
        _ => false,
    }
}

impl Gateway {
    /// Attempt `attempt` of call `call_id` answered: convert its result back
    /// to HTTP for the client, or (Retry filter) try another instance.
    pub fn on_rpc_result(&mut self, now_us: TimeUs, call_id: u32, attempt: u8, result: RpcResult) -> Option<Next> {
        let reason = match result {
            RpcResult::Ok(_) => None,
            RpcResult::Err(RpcFailure::Timeout) => Some(GatewayReason::UpstreamTimeout),
            RpcResult::Err(RpcFailure::Refused) => Some(GatewayReason::UpstreamRefused),
            RpcResult::Err(failure) => Some(GatewayReason::Upstream(failure)),
        };
        let body = if let RpcResult::Ok(value) = result { value } else { 0 };
        match reason {
            None => {
                self.current(call_id, attempt)?;
                self.finish(now_us, call_id, None, body)
            }
            Some(reason) => self.attempt_failed(now_us, call_id, attempt, reason),
        }
    }

    /// The pending call, if `attempt` is its current attempt (a late answer
    /// to an attempt already given up on is dropped).
    fn current(&self, call_id: u32, attempt: u8) -> Option<&Pending> {
        self.pending.get(&call_id).filter(|p| p.attempt == attempt)
    }

    /// Round robin again, passing over `failed` when the list has another.
    fn pick_other_instance(&mut self, service: ServiceKind, failed: NodeId) -> Option<NodeId> {
        let chosen = self.pick_instance(service)?;
        let others = self.instances.get(&service).is_some_and(|l| l.iter().any(|&n| n != failed));
        if chosen == failed && others { self.pick_instance(service) } else { Some(chosen) }
    }

    /// Attempt `attempt` of call `call_id` failed for `reason`: retry it on
    /// another instance if the filter allows, else answer the client.
    pub(super) fn attempt_failed(
        &mut self,
        now_us: TimeUs,
        call_id: u32,
        attempt: u8,
        reason: GatewayReason,
    ) -> Option<Next> {
        let p = *self.current(call_id, attempt)?;
        let allowed = self
            .config
            .retry
            .filter(|r| p.attempt < r.retries && retriable(reason) && (p.method.is_idempotent() || !r.idempotent_only));
        let upstream = allowed.and_then(|_| self.pick_other_instance(p.service, p.upstream));
        let Some(upstream) = upstream else { return self.finish(now_us, call_id, Some(reason), 0) };
        let next = Pending { upstream, attempt: p.attempt + 1, ..p };
        self.pending.insert(call_id, next);
        self.retries += 1;
        Some(Next::Retry { upstream, call: next.call(call_id) })
    }

    /// The current attempt of call `call_id` ran out of time.
    pub fn on_attempt_timeout(&mut self, now_us: TimeUs, call_id: u32) -> Option<Next> {
        let attempt = self.pending.get(&call_id)?.attempt;
        self.attempt_failed(now_us, call_id, attempt, GatewayReason::UpstreamTimeout)
    }

    /// Attempt `attempt` of call `call_id` was refused by its host.
    pub fn on_attempt_refused(&mut self, now_us: TimeUs, call_id: u32, attempt: u8) -> Option<Next> {
        self.attempt_failed(now_us, call_id, attempt, GatewayReason::UpstreamRefused)
    }
}
