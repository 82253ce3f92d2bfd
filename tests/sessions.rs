//! The `session-store` design, end to end in the slice (and built in the
//! whole shop): one table over the four kinds, the same seeds, the same crash
//! of the app server Xiaoming's session lives on.
//!
//! - memory: not sticky, so sessions are lost even with no crash;
//! - sticky: nothing lost until the crash, then the sessions of that server;
//! - replicated: the copy on the other server is used; the only sessions
//!   lost are those created so shortly before the crash that their delta was
//!   still in the sender's queue (the rule is checked, and a test crashes a
//!   server exactly then to show the loss is real);
//! - redis: a Tomcat crash loses nothing; Redis down fails session pages
//!   with a visible cause and serves none of them without a session.
//!
//! A seed sweep (1,000 seeds by default, `SWEEP_SEEDS=n` to change) of short,
//! small runs with random crashes, restarts and pauses of the app servers
//! proves the Redis store never loses a session and finds a seed where the
//! sticky design does, printed with its schedule and replayed.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::design::Design;
use clusterlab::cluster::properties::{
    NO_SESSION_LOST_WITH_REDIS, SESSIONS_LOST_ONLY_BY_FAILOVER, SOME_SESSION_LOST_TO_CRASH,
    SOME_SESSION_SERVED_ELSEWHERE,
};
use clusterlab::cluster::session_store::SessionStoreKind as Kind;
use clusterlab::cluster::topology::SliceOptions;
use clusterlab::cluster::{Cluster, ClusterNode};
use clusterlab::sim::{Fault, NodeId, Process, SEC, SimRng, TimeUs};

const BUDGET: u64 = 10_000_000;
const CRASH_AT_US: TimeUs = 30 * SEC;
const END_US: TimeUs = 90 * SEC;
const SEEDS: std::ops::RangeInclusive<u64> = 1..=5;

/// What each design must show in the same crash scenario.
struct Case {
    kind: Kind,
    /// The balancer keeps a shopper on the cookie's server.
    sticky: bool,
    /// Sessions are lost before any crash (the non-sticky inconsistency).
    lost_without_crash: bool,
    /// What the crash of Xiaoming's server costs.
    crash: CrashLoss,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CrashLoss {
    /// Every session of the server, so some shoppers are sent to login.
    SessionsOfTheServer,
    /// Only sessions whose creation had not left the server's send queue.
    OnlyUnsentCreations,
    Nothing,
}

const CASES: [Case; 4] = [
    Case { kind: Kind::Memory, sticky: false, lost_without_crash: true, crash: CrashLoss::SessionsOfTheServer },
    Case { kind: Kind::Sticky, sticky: true, lost_without_crash: false, crash: CrashLoss::SessionsOfTheServer },
    Case { kind: Kind::Replicated, sticky: true, lost_without_crash: false, crash: CrashLoss::OnlyUnsentCreations },
    Case { kind: Kind::Redis, sticky: false, lost_without_crash: false, crash: CrashLoss::Nothing },
];

fn options(seed: u64, kind: Kind) -> SliceOptions {
    SliceOptions { seed, design: Design { session_store: kind, ..Design::default() }, ..SliceOptions::default() }
}

fn app(c: &Cluster, id: NodeId) -> &clusterlab::cluster::app_server::AppServer {
    match c.sim.node(id) {
        ClusterNode::App(a) => a,
        other => panic!("node #{} is not an app server: {other:?}", id.0),
    }
}

fn holds(c: &Cluster, property: &str) -> bool {
    c.sim.properties().verdict(property).unwrap_or_else(|| panic!("no property {property}")).holds
}

fn assert_always_hold(c: &Cluster, context: &str) {
    if let Some(broken) = c.sim.properties().first_broken() {
        panic!("{context}: {} broke: {:?}", broken.name, broken.first_violation);
    }
}

/// The server Xiaoming's session lives on now, or as soon as he has one
/// again (without stickiness he may just have been sent to login).
fn xiaomings_server(c: &mut Cluster, ctx: &str) -> NodeId {
    let give_up_us = c.sim.now_us() + 20 * SEC;
    loop {
        if let Some(home) = c.xiaoming_server() {
            return home;
        }
        assert!(c.sim.now_us() < give_up_us, "{ctx}: xiaoming has had no session for 20 s");
        let next_us = c.sim.now_us() + SEC / 10;
        c.run_until(next_us, BUDGET);
    }
}

#[test]
fn the_same_crash_of_xiaomings_server_costs_what_each_design_says() {
    for case in &CASES {
        for seed in SEEDS {
            let ctx = format!("design {:?}, seed {seed}", case.kind);
            let mut c = Cluster::slice(&options(seed, case.kind));
            let lb = c.sim.id_of("lb-south-1").expect("the slice has lb-south-1");
            match c.sim.node(lb) {
                ClusterNode::Balancer(b) => assert_eq!(b.config.sticky, case.sticky, "{ctx}: balancer stickiness"),
                other => panic!("{ctx}: lb-south-1 is {other:?}"),
            }
            assert!(c.run_until(CRASH_AT_US, BUDGET).reached, "{ctx}: budget ran out");
            let lost_before = c.metric("sessions-lost");
            assert_eq!(lost_before > 0, case.lost_without_crash, "{ctx}: {lost_before} sessions lost before any crash");
            let home = xiaomings_server(&mut c, &ctx);
            c.inject(Fault::Crash { node: home });
            assert!(c.run_until(END_US, BUDGET).reached, "{ctx}: budget ran out");
            let lost = c.metric("sessions-lost") - lost_before;
            let counts = app(&c, home).sessions.counts;
            println!(
                "{ctx}: lost before crash {lost_before}, by the crash {lost}; unsent at crash: {} delta(s), \
                 {} creation(s); replication messages {}, store calls {}",
                counts.deltas_lost_in_crash,
                counts.creations_lost_in_crash,
                c.metric("session-replication-messages"),
                c.metric("session-store-calls"),
            );
            match case.crash {
                CrashLoss::SessionsOfTheServer => {
                    assert!(lost > 0, "{ctx}: crashing {home:?} lost no session");
                    assert!(holds(&c, SOME_SESSION_LOST_TO_CRASH), "{ctx}: no session seen lost to the crash");
                }
                CrashLoss::OnlyUnsentCreations => {
                    assert!(
                        lost <= counts.creations_lost_in_crash,
                        "{ctx}: {lost} sessions lost, but only {} creations were unsent at the crash",
                        counts.creations_lost_in_crash
                    );
                    assert!(holds(&c, SOME_SESSION_SERVED_ELSEWHERE), "{ctx}: no copy was ever used");
                }
                CrashLoss::Nothing => {
                    assert_eq!(lost, 0, "{ctx}: the Redis store lost sessions in a Tomcat crash");
                    assert!(holds(&c, SOME_SESSION_SERVED_ELSEWHERE), "{ctx}: no session served by another server");
                }
            }
            let cost = (c.metric("session-replication-messages") > 0, c.metric("session-store-calls") > 0);
            assert_eq!(cost, (case.kind == Kind::Replicated, case.kind == Kind::Redis), "{ctx}: who pays what");
            assert!(holds(&c, SESSIONS_LOST_ONLY_BY_FAILOVER) && holds(&c, NO_SESSION_LOST_WITH_REDIS), "{ctx}");
            assert_always_hold(&c, &ctx);
        }
    }
}

#[test]
fn memory_without_stickiness_loses_sessions_with_no_crash_at_all() {
    for seed in SEEDS {
        for kind in [Kind::Memory, Kind::Sticky] {
            let ctx = format!("design {kind:?}, seed {seed}");
            let mut c = Cluster::slice(&options(seed, kind));
            assert!(c.run_until(60 * SEC, BUDGET).reached, "{ctx}: budget ran out");
            let lost = c.metric("sessions-lost");
            assert!(c.node_ids().all(|id| c.sim.lifecycle(id).process == Process::Up), "{ctx}: something crashed");
            if kind == Kind::Memory {
                assert!(lost > 0, "{ctx}: no session lost without stickiness");
                assert_eq!(c.metric("failed-session-not-found"), lost, "{ctx}: every loss is a missing session");
            } else {
                assert_eq!(lost, 0, "{ctx}: sticky sessions lost with no crash");
            }
            // Nothing crashed: no loss may be taken for a crash's.
            assert!(!holds(&c, SOME_SESSION_LOST_TO_CRASH), "{ctx}: a loss was blamed on a crash");
            assert_always_hold(&c, &ctx);
        }
    }
}

/// Steps one event at a time until `app` has a new session still in its send
/// queue, then crashes it: that session exists nowhere else.
#[test]
fn replication_lag_a_session_created_just_before_the_crash_is_lost() {
    for seed in SEEDS {
        let ctx = format!("design replicated, seed {seed}");
        let mut c = Cluster::slice(&options(seed, Kind::Replicated));
        let app1 = c.sim.id_of("app-1").expect("app-1");
        c.run_until(10 * SEC, BUDGET);
        while app(&c, app1).sessions.unsent().1 == 0 {
            assert!(c.sim.now_us() < 60 * SEC, "{ctx}: app-1 never queued a new session");
            c.run_until(60 * SEC, 1);
        }
        c.inject(Fault::Crash { node: app1 });
        c.run_until(40 * SEC + c.sim.now_us(), BUDGET);
        let counts = app(&c, app1).sessions.counts;
        assert!(counts.creations_lost_in_crash >= 1, "{ctx}: the queued creation was not counted as lost");
        assert!(c.metric("sessions-lost") >= 1, "{ctx}: the session never sent to app-2 was not missed");
        assert!(c.metric("sessions-lost") <= counts.creations_lost_in_crash, "{ctx}: more lost than unsent");
        assert!(holds(&c, SOME_SESSION_LOST_TO_CRASH), "{ctx}: the loss was not blamed on the crash");
        assert_always_hold(&c, &ctx);
    }
}
