//! The shop's headline metrics, registered once with the kernel.
//!
//! Owns the ids of the counters and histograms the UI shows under
//! `data-metric` names. Never computes anything: nodes count, the kernel sums.

use super::message::FailCause;
use crate::sim::{CounterId, HistogramId, Metrics};

/// Ids of the headline metrics, handed to every node that counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShopMetrics {
    pub requests_ok: CounterId,
    pub requests_failed: CounterId,
    pub sessions_lost: CounterId,
    pub logins: CounterId,
    pub retries: CounterId,
    /// Failed requests by cause, in `FailCause::ALL` order (`failed-<cause>`).
    pub failed_by_cause: [CounterId; FailCause::ALL.len()],
    pub latency_us: HistogramId,
    /// DeltaManager messages between app servers (deltas and state transfer): the cost of replication.
    pub session_replication: CounterId,
    /// Round trips from app servers to the central session store (Redis).
    pub session_store_calls: CounterId,
    /// Upstream attempts the API gateway's Retry filter sent again.
    pub gateway_retries: CounterId,
    /// Static assets a browser used fresh from its own cache, sending nothing.
    pub browser_cache_hits: CounterId,
    /// Asset requests browsers sent to a CDN edge (plain or conditional).
    pub asset_requests: CounterId,
    /// 304 Not Modified answers browsers received: their copy confirmed.
    pub responses_304: CounterId,
    /// Answers (200 or 304) a CDN edge gave from its store (`X-Cache: Hit`).
    pub cdn_hits: CounterId,
    /// Answers a CDN edge gave after asking the origin.
    pub cdn_misses: CounterId,
    /// Assets that failed to load (the page itself was served).
    pub assets_failed: CounterId,
}

impl ShopMetrics {
    pub fn register(metrics: &mut Metrics) -> Self {
        Self {
            requests_ok: metrics.counter("requests-ok"),
            requests_failed: metrics.counter("requests-failed"),
            sessions_lost: metrics.counter("sessions-lost"),
            logins: metrics.counter("logins"),
            retries: metrics.counter("retries"),
            failed_by_cause: FailCause::ALL.map(|cause| metrics.counter(cause.metric_name())),
            latency_us: metrics.histogram("latency-us"),
            session_replication: metrics.counter("session-replication-messages"),
            session_store_calls: metrics.counter("session-store-calls"),
            gateway_retries: metrics.counter("gateway-retries"),
            browser_cache_hits: metrics.counter("browser-cache-hits"),
            asset_requests: metrics.counter("asset-requests"),
            responses_304: metrics.counter("responses-304"),
            cdn_hits: metrics.counter("cdn-hits"),
            cdn_misses: metrics.counter("cdn-misses"),
            assets_failed: metrics.counter("assets-failed"),
        }
    }

    /// The counter of failures with `cause`.
    pub fn failed(&self, cause: FailCause) -> CounterId {
        let index = FailCause::ALL.iter().position(|&c| c == cause).unwrap_or(0);
        self.failed_by_cause[index]
    }
}
