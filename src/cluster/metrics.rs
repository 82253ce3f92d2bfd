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
        }
    }

    /// The counter of failures with `cause`.
    pub fn failed(&self, cause: FailCause) -> CounterId {
        let index = FailCause::ALL.iter().position(|&c| c == cause).unwrap_or(0);
        self.failed_by_cause[index]
    }
}
