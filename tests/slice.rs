//! The first slice end to end, natively: shoppers → balancer → two app
//! servers with in-memory sessions. A crash of the server holding sessions
//! sends shoppers back to the login page; nothing else does.

use clusterlab::cluster::Cluster;
use clusterlab::cluster::properties::{SESSIONS_LOST_ONLY_BY_FAILOVER, SOME_RETRY, SOME_SESSION_LOST};
use clusterlab::cluster::topology::SliceOptions;
use clusterlab::sim::{Fault, SEC, VisibleState};

const BUDGET: u64 = 10_000_000;

fn slice(seed: u64) -> Cluster {
    Cluster::slice(&SliceOptions { seed, ..SliceOptions::default() })
}

#[test]
fn healthy_cluster_serves_and_loses_nothing() {
    for seed in 1..=20 {
        let mut c = slice(seed);
        let report = c.run_until(120 * SEC, BUDGET);
        assert!(report.reached, "seed {seed}: event budget ran out");
        assert!(c.metric("requests-ok") > 300, "seed {seed}: only {} ok", c.metric("requests-ok"));
        assert_eq!(c.metric("requests-failed"), 0, "seed {seed}");
        assert_eq!(c.metric("sessions-lost"), 0, "seed {seed}");
        assert!(c.metric("logins") >= 1, "seed {seed}");
    }
}

#[test]
fn crashing_xiaomings_server_sends_him_to_login() {
    for seed in 1..=20 {
        let mut c = slice(seed);
        c.run_until(30 * SEC, BUDGET);
        let home = c.xiaoming_server().unwrap_or_else(|| panic!("seed {seed}: xiaoming has no session after 30 s"));
        c.inject(Fault::Crash { node: home });
        assert_eq!(c.visible_state(home), VisibleState::Crashed, "seed {seed}");
        c.run_until(90 * SEC, BUDGET);
        assert!(c.metric("sessions-lost") > 0, "seed {seed}: no session lost after crashing {home:?}");
        let props = c.sim.properties();
        assert!(props.verdict(SESSIONS_LOST_ONLY_BY_FAILOVER).unwrap().holds, "seed {seed}");
        assert!(props.verdict(SOME_SESSION_LOST).unwrap().holds, "seed {seed}");
        assert!(props.verdict(SOME_RETRY).unwrap().holds, "seed {seed}: the balancer never retried");
        // Everyone logs in again on the surviving server and carries on.
        let ok_before = c.metric("requests-ok");
        c.run_until(150 * SEC, BUDGET);
        assert!(c.metric("requests-ok") > ok_before + 100, "seed {seed}: cluster did not recover");
    }
}

#[test]
fn restart_brings_an_empty_server_back() {
    let mut c = slice(7);
    c.run_until(20 * SEC, BUDGET);
    let app1 = c.sim.id_of("app-1").unwrap();
    c.inject(Fault::Crash { node: app1 });
    c.run_until(25 * SEC, BUDGET);
    c.inject(Fault::Restart { node: app1 });
    assert_eq!(c.visible_state(app1), VisibleState::Up);
    assert_eq!(c.sim.lifecycle(app1).incarnation, 2);
    match c.sim.node(app1) {
        clusterlab::cluster::ClusterNode::App(app) => {
            assert!(app.sessions.is_empty(), "sessions survived a crash");
            assert_eq!(app.boots, 2, "boot count is durable");
        }
        other => panic!("app-1 is {other:?}"),
    }
    // After the balancer's fail_timeout (10 s) app-1 takes traffic again.
    c.run_until(60 * SEC, BUDGET);
    match c.sim.node(app1) {
        clusterlab::cluster::ClusterNode::App(app) => assert!(app.served > 20, "app-1 served {}", app.served),
        _ => unreachable!(),
    }
}
