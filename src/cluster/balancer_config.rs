//! The settings of a balancer and the reasons it fails a request itself.
//!
//! Owns `BalancerConfig` (nginx's defaults, or another kind's), the health a
//! balancer keeps per upstream, `ProxyFailure`, the closed list of failures
//! the balancer itself answers with, and the balancer's invariants as plain
//! checks. Part of `balancer`, split out to keep each file small; never
//! behaviour of the proxy.

use super::Balancer;
use crate::cluster::lb_algorithm::{ActiveCheck, Algorithm, BalancerKind};
use crate::cluster::message::{FailCause, Status};
use crate::sim::{NodeId, SEC, TimeUs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Balancer settings; `Default` is nginx's own defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BalancerConfig {
    pub kind: BalancerKind,
    /// nginx: weighted round robin; BIG-IP: Round Robin; ipvsadm: `wlc`
    /// (weighted least-connection, modelled by `least-conn`).
    pub algorithm: Algorithm,
    /// `max_fails=1`: failures that mark a server unavailable.
    pub max_fails: u32,
    /// `fail_timeout=10s`: the window for counting failures and the time out.
    pub fail_timeout_us: TimeUs,
    /// nginx `proxy_read_timeout 60s` (other kinds: see `Capabilities`).
    pub proxy_timeout_us: TimeUs,
    /// Keep a client on one server (cookie route, or source IP for LVS).
    pub sticky: bool,
    /// LVS `ipvsadm -p` persistence timeout (default 300 s).
    pub persistence_timeout_us: TimeUs,
    /// Requests in flight beyond which new ones are shed with 503 (like
    /// nginx `limit_conn`, whose default status is 503); 0 = no limit.
    pub max_pending: u32,
    /// `weight=` per upstream, by index (missing = 1).
    pub weights: Vec<u32>,
    /// `max_conns=` for every upstream (0 = no limit).
    pub max_conns: u32,
    /// Active health checks (BIG-IP monitor, keepalived checker); none for
    /// open-source nginx, which only learns from failed requests.
    pub active_check: Option<ActiveCheck>,
    /// Shopper nodes behind one NAT address (all their shoppers share it).
    pub client_addrs: BTreeMap<NodeId, [u8; 4]>,
}

impl BalancerConfig {
    /// The defaults of a kind of balancer.
    pub fn for_kind(kind: BalancerKind) -> Self {
        let caps = kind.capabilities();
        let algorithm = match kind {
            BalancerKind::F5 => Algorithm::RoundRobin,
            BalancerKind::Lvs => Algorithm::LeastConn,
            BalancerKind::Nginx => Algorithm::WeightedRoundRobin,
        };
        Self {
            kind,
            algorithm,
            max_fails: 1,
            fail_timeout_us: 10 * SEC,
            proxy_timeout_us: caps.timeout_us,
            sticky: true,
            persistence_timeout_us: 300 * SEC,
            max_pending: 0,
            weights: Vec::new(),
            max_conns: 0,
            active_check: caps.active_check,
            client_addrs: BTreeMap::new(),
        }
    }

    pub fn weight_of(&self, upstream: usize) -> u32 {
        self.weights.get(upstream).copied().unwrap_or(1)
    }
}

impl Default for BalancerConfig {
    fn default() -> Self {
        Self::for_kind(BalancerKind::Nginx)
    }
}

/// Health of one upstream, as this balancer believes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpstreamHealth {
    pub fails: u32,
    pub first_fail_us: TimeUs,
    /// Not chosen until this time (0 = available).
    pub down_until_us: TimeUs,
    pub requests: u64,
    /// Active check: probes failed in a row, and whether that took it out.
    pub probe_fails: u32,
    pub probe_down: bool,
    /// The id of the probe awaited, if any.
    pub probe_outstanding: Option<u32>,
}

/// Why the balancer itself answered a request with a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxyFailure {
    /// More than `max_pending` in flight: shed with 503 before any work.
    Shed,
    /// Every upstream down or already tried: 502 "no live upstreams".
    NoLiveUpstream,
    /// The upstream refused and no retry was possible or allowed.
    Refused,
    /// The upstream did not answer in time and every server was tried (or
    /// this kind never retries).
    TimedOut,
    /// Timed out on a non-idempotent request: it may have taken effect, so
    /// it is not sent again.
    TimedOutUnsafeToRetry,
}

impl ProxyFailure {
    pub const ALL: [Self; 5] =
        [Self::Shed, Self::NoLiveUpstream, Self::Refused, Self::TimedOut, Self::TimedOutUnsafeToRetry];

    /// The status the client sees. An L4 balancer has no error page: for it
    /// 502 stands for the connection reset the browser reports.
    pub const fn status(self) -> Status {
        match self {
            Self::Shed => Status::Unavailable,
            Self::NoLiveUpstream | Self::Refused => Status::BadGateway,
            Self::TimedOut | Self::TimedOutUnsafeToRetry => Status::GatewayTimeout,
        }
    }

    pub const fn cause(self) -> FailCause {
        match self {
            Self::Shed => FailCause::Overloaded,
            Self::NoLiveUpstream => FailCause::NoLiveUpstream,
            Self::Refused => FailCause::Refused,
            Self::TimedOut | Self::TimedOutUnsafeToRetry => FailCause::TimedOut,
        }
    }
}

/// Load shedding holds: never more than `max_pending` requests in flight.
pub fn check_pending_bounded(lb: &Balancer) -> Result<(), String> {
    let bound = lb.config.max_pending as usize;
    if bound > 0 && lb.pending.len() > bound {
        return Err(format!("{} requests in flight, max_pending {bound}", lb.pending.len()));
    }
    Ok(())
}

/// Every request in flight holds one connection on its upstream, and no
/// connection is counted that no request holds (least_conn and P2C trust it).
/// Exact: recounts the pending table (one pass), and also proves the tally
/// `check_connection_tallies` relies on equals the recount.
pub fn check_connections_match_pending(lb: &Balancer) -> Result<(), String> {
    let mut held = vec![0_u32; lb.peers.len()];
    for proxied in lb.pending.values() {
        held[proxied.upstream] += 1;
    }
    if held != lb.in_flight_by_upstream {
        return Err(format!(
            "in-flight tally {:?} differs from the pending table's {held:?}",
            lb.in_flight_by_upstream
        ));
    }
    check_connection_tallies(lb)
}

/// The same invariant in O(upstreams), after every event of the whole shop:
/// each upstream's active connections equal its tally of requests in flight,
/// and the tallies add up to the pending table's size. The sweeps and the
/// mechanism tests run the exact recount, which checks the tally itself.
pub fn check_connection_tallies(lb: &Balancer) -> Result<(), String> {
    for (i, (peer, &held)) in lb.peers.iter().zip(&lb.in_flight_by_upstream).enumerate() {
        if held != peer.active {
            return Err(format!("upstream #{i}: {} active connections, {held} requests in flight", peer.active));
        }
    }
    let total: u32 = lb.in_flight_by_upstream.iter().sum();
    if total as usize != lb.pending.len() {
        return Err(format!("tallies add up to {total}, but {} requests are in flight", lb.pending.len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_defaults_and_failure_statuses() {
        let c = BalancerConfig::default();
        assert_eq!((c.max_fails, c.fail_timeout_us, c.proxy_timeout_us), (1, 10 * SEC, 60 * SEC));
        assert_eq!((c.algorithm, c.max_pending, c.active_check), (Algorithm::WeightedRoundRobin, 0, None));
        let codes: Vec<u16> = ProxyFailure::ALL.iter().map(|f| f.status().code()).collect();
        assert_eq!(codes, [503, 502, 502, 504, 504]);
    }
}
