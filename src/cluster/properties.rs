//! The properties the model promises, checked by the kernel after every event.
//!
//! Owns the `always` invariants and the `sometimes` witnesses of the shop.
//! Each check reads the nodes' own bookkeeping; none changes anything.

use super::ClusterNode;
use super::session_store::{SessionStoreKind, SessionTable};
use crate::sim::invariant::Properties;
use crate::sim::{Process, View};

/// Names under which the UI and tests find each property.
pub const SESSIONS_LOST_ONLY_BY_FAILOVER: &str = "sessions-lost-only-by-failover";
pub const WORKERS_BOUNDED: &str = "workers-bounded";
pub const SOME_SESSION_LOST: &str = "some-session-lost";
pub const SOME_RETRY: &str = "some-retry-on-next-server";
pub const NO_SESSION_LOST_WITH_REDIS: &str = "no-session-lost-with-redis";
pub const SOME_SESSION_SERVED_ELSEWHERE: &str = "some-session-served-by-another-server";
pub const SOME_SESSION_LOST_TO_CRASH: &str = "some-session-lost-to-a-crash";

pub fn register(properties: &mut Properties<ClusterNode>) {
    // Each reads only the nodes of some kinds (and their lifecycles), so it
    // is checked only after an event that touched one of them, or a fault.
    properties.always_each(SESSIONS_LOST_ONLY_BY_FAILOVER, sessions_lost_only_by_failover, is_app);
    properties.always_each(WORKERS_BOUNDED, workers_bounded, is_app);
    properties.always_watching(NO_SESSION_LOST_WITH_REDIS, no_session_lost_with_redis, |n| {
        matches!(n, ClusterNode::App(_) | ClusterNode::Redis(_) | ClusterNode::Sentinel(_) | ClusterNode::Shoppers(_))
    });
    properties.sometimes_counter(SOME_SESSION_LOST, "sessions-lost");
    properties.sometimes_counter(SOME_RETRY, "retries");
    properties.sometimes_watching(
        SOME_SESSION_SERVED_ELSEWHERE,
        |v| apps(v).any(|(_, app)| app.sessions.counts.served_by_other_server > 0),
        is_app,
    );
    properties.sometimes_watching(SOME_SESSION_LOST_TO_CRASH, session_lost_to_crash, is_app);
}

fn is_app(node: &ClusterNode) -> bool {
    matches!(node, ClusterNode::App(_))
}

fn apps<'v>(view: &'v View<'_, ClusterNode>) -> impl Iterator<Item = (usize, &'v super::app_server::AppServer)> {
    view.nodes.iter().enumerate().filter_map(|(i, n)| if let ClusterNode::App(a) = n { Some((i, &**a)) } else { None })
}

/// Fidelity invariant 6: with the Redis store, while Redis keeps its data
/// (no acknowledged write lost in a crash or thrown away at a resync, and no
/// failover to a replica that may lack the last writes), no
/// shopper is sent to login for a session used within the timeout — every
/// session a shopper holds was acknowledged by the store before the login
/// answered. A Tomcat crash must not matter.
fn no_session_lost_with_redis(view: &View<'_, ClusterNode>) -> Result<(), String> {
    // Only a shopper sent to login can break it: look for one first (there
    // is none after most events), then ask whether the store is to blame.
    let sent_to_login = view.nodes.iter().enumerate().find_map(|(i, node)| match node {
        ClusterNode::Shoppers(pool) if pool.fresh_sessions_lost > 0 => Some((i, pool.fresh_sessions_lost)),
        _ => None,
    });
    let Some((i, lost)) = sent_to_login else { return Ok(()) };
    if !apps(view).any(|(_, a)| a.sessions.store() == SessionStoreKind::Redis) {
        return Ok(());
    }
    let servers: Vec<_> =
        view.nodes.iter().filter_map(|n| if let ClusterNode::Redis(r) = n { Some(&**r) } else { None }).collect();
    let store_lost_data = !servers.is_empty() && super::redis::check_no_acked_write_lost(&servers).is_err()
        || view.nodes.iter().any(|n| match n {
            ClusterNode::Redis(r) => r.writes_lost_in_crashes > 0,
            ClusterNode::Sentinel(s) => s.failovers > 0,
            _ => false,
        });
    if store_lost_data {
        return Ok(());
    }
    Err(format!("node #{i}: {lost} shopper(s) sent to login for a session the store acknowledged"))
}

/// A server lacked a session whose creator has crashed since making it
/// (it is down, or up in a later boot): a session lost to a crash.
fn session_lost_to_crash(view: &View<'_, ClusterNode>) -> bool {
    apps(view).any(|(_, app)| {
        let Some(cookie) = app.sessions.counts.last_miss else { return false };
        let creator = cookie.route.index();
        match (view.nodes.get(creator), view.lifecycles.get(creator)) {
            (Some(ClusterNode::App(c)), Some(life)) => {
                life.process == Process::Crashed || c.boots > SessionTable::boot_of(cookie)
            }
            _ => false,
        }
    })
}

/// A server never loses a session it made in its current boot: sessions go
/// missing only when their server crashed or the shopper was sent elsewhere.
fn sessions_lost_only_by_failover(i: usize, node: &ClusterNode) -> Result<(), String> {
    if let ClusterNode::App(app) = node
        && app.sessions.counts.unexplained_misses > 0
    {
        let misses = app.sessions.counts.unexplained_misses;
        return Err(format!("node #{i} lost {misses} session(s) of its current boot"));
    }
    Ok(())
}

/// Worker pools and accept queues never exceed their configured bounds.
fn workers_bounded(i: usize, node: &ClusterNode) -> Result<(), String> {
    if let ClusterNode::App(app) = node {
        if app.busy_workers() > app.config.max_threads as usize {
            return Err(format!(
                "node #{i} runs {} requests with {} threads",
                app.busy_workers(),
                app.config.max_threads
            ));
        }
        if app.queued() > app.config.accept_count as usize {
            return Err(format!("node #{i} queues {} requests, acceptCount {}", app.queued(), app.config.accept_count));
        }
    }
    Ok(())
}
