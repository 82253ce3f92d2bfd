//! The shop's headline metrics, registered once with the kernel.
//!
//! Owns the ids of the counters and histograms the UI shows under
//! `data-metric` names. Never computes anything: nodes count, the kernel sums.

use crate::sim::{CounterId, HistogramId, Metrics};

/// Ids of the headline metrics, handed to every node that counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShopMetrics {
    pub requests_ok: CounterId,
    pub requests_failed: CounterId,
    pub sessions_lost: CounterId,
    pub logins: CounterId,
    pub retries: CounterId,
    pub latency_us: HistogramId,
}

impl ShopMetrics {
    pub fn register(metrics: &mut Metrics) -> Self {
        Self {
            requests_ok: metrics.counter("requests-ok"),
            requests_failed: metrics.counter("requests-failed"),
            sessions_lost: metrics.counter("sessions-lost"),
            logins: metrics.counter("logins"),
            retries: metrics.counter("retries"),
            latency_us: metrics.histogram("latency-us"),
        }
    }
}
