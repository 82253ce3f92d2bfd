//! The properties the model promises, checked by the kernel after every event.
//!
//! Owns the `always` invariants and the `sometimes` witnesses of the shop.
//! Each check reads the nodes' own bookkeeping; none changes anything.

use super::ClusterNode;
use crate::sim::View;
use crate::sim::invariant::Properties;

/// Names under which the UI and tests find each property.
pub const SESSIONS_LOST_ONLY_BY_FAILOVER: &str = "sessions-lost-only-by-failover";
pub const WORKERS_BOUNDED: &str = "workers-bounded";
pub const SOME_SESSION_LOST: &str = "some-session-lost";
pub const SOME_RETRY: &str = "some-retry-on-next-server";

pub fn register(properties: &mut Properties<ClusterNode>) {
    properties.always(SESSIONS_LOST_ONLY_BY_FAILOVER, sessions_lost_only_by_failover);
    properties.always(WORKERS_BOUNDED, workers_bounded);
    properties.sometimes(SOME_SESSION_LOST, |v| v.metrics.value("sessions-lost") > 0);
    properties.sometimes(SOME_RETRY, |v| v.metrics.value("retries") > 0);
}

/// A server never loses a session it made in its current boot: sessions go
/// missing only when their server crashed or the shopper was sent elsewhere.
fn sessions_lost_only_by_failover(view: &View<'_, ClusterNode>) -> Result<(), String> {
    for (i, node) in view.nodes.iter().enumerate() {
        if let ClusterNode::App(app) = node
            && app.sessions.counts.unexplained_misses > 0
        {
            let misses = app.sessions.counts.unexplained_misses;
            return Err(format!("node #{i} lost {misses} session(s) of its current boot"));
        }
    }
    Ok(())
}

/// Worker pools and accept queues never exceed their configured bounds.
fn workers_bounded(view: &View<'_, ClusterNode>) -> Result<(), String> {
    for (i, node) in view.nodes.iter().enumerate() {
        if let ClusterNode::App(app) = node {
            if app.busy_workers() > app.config.max_threads as usize {
                return Err(format!(
                    "node #{i} runs {} requests with {} threads",
                    app.busy_workers(),
                    app.config.max_threads
                ));
            }
            if app.queued() > app.config.accept_count as usize {
                return Err(format!(
                    "node #{i} queues {} requests, acceptCount {}",
                    app.queued(),
                    app.config.accept_count
                ));
            }
        }
    }
    Ok(())
}
