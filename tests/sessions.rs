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

use clusterlab::cluster::app_server::redis_attributes;
use clusterlab::cluster::autoscaler::AutoscaleMsg;
use clusterlab::cluster::design::Design;
use clusterlab::cluster::message::SessionCookie;
use clusterlab::cluster::properties::{
    NO_SESSION_LOST_WITH_REDIS, SESSIONS_LOST_ONLY_BY_FAILOVER, SOME_SESSION_LOST_TO_CRASH,
    SOME_SESSION_SERVED_ELSEWHERE,
};
use clusterlab::cluster::redis::{RedisServer, check_no_acked_write_lost};
use clusterlab::cluster::session_store::SessionStoreKind as Kind;
use clusterlab::cluster::topology::SliceOptions;
use clusterlab::cluster::topology_full::APP_POOL;
use clusterlab::cluster::topology_full::id;
use clusterlab::cluster::{Cluster, ClusterNode, FailCause};
use clusterlab::scenario;
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

/// A fault on a node, by its id.
type Inflict = fn(NodeId) -> Fault;

/// Redis down: pages that need a session fail with `SessionStoreUnavailable`
/// at an app server, none is served, nobody is sent to login; public pages
/// go on. Back up: a paused Redis lost nothing; a crashed one restarts from
/// a snapshot it never took, so its sessions are gone — and the invariant
/// excuses exactly that, because the store lost acknowledged writes.
#[test]
fn redis_down_fails_session_pages_visibly_and_serves_none_of_them() {
    let faults: [(&str, Inflict, Inflict); 2] = [
        ("crash", |node| Fault::Crash { node }, |node| Fault::Restart { node }),
        ("pause", |node| Fault::Pause { node }, |node| Fault::Resume { node }),
    ];
    for (name, down, up) in faults {
        for seed in SEEDS {
            let ctx = format!("redis {name}, seed {seed}");
            let mut c = Cluster::slice(&options(seed, Kind::Redis));
            let redis = c.sim.id_of("redis").expect("the Redis design adds a redis node");
            c.run_until(20 * SEC, BUDGET);
            c.inject(down(redis));
            // Requests whose session was read before the fault may finish.
            c.run_until(21 * SEC, BUDGET);
            let (pages_before, ok_before) = (session_pages_served(&c), c.metric("requests-ok"));
            c.run_until(40 * SEC, BUDGET);
            assert!(c.metric("failed-session-store-unavailable") > 0, "{ctx}: no failure says the store is down");
            assert_eq!(session_pages_served(&c), pages_before, "{ctx}: session pages served with no session store");
            assert!(c.metric("requests-ok") > ok_before + 100, "{ctx}: public pages stopped too");
            assert_eq!(c.metric("sessions-lost"), 0, "{ctx}: shoppers sent to login while the store was down");
            let crowd = shoppers(&c, "shoppers-south");
            let seen = crowd.recent_failures.iter().find(|f| f.cause == FailCause::SessionStoreUnavailable);
            let at = seen.unwrap_or_else(|| panic!("{ctx}: no shopper saw the cause")).node;
            assert!(
                c.sim.name(at).starts_with("app-"),
                "{ctx}: the failure names {}, not an app server",
                c.sim.name(at)
            );
            c.inject(up(redis));
            c.run_until(80 * SEC, BUDGET);
            assert!(session_pages_served(&c) > pages_before + 100, "{ctx}: session pages never came back");
            let lost_data = match c.sim.node(redis) {
                ClusterNode::Redis(r) => r.writes_lost_in_crashes,
                other => panic!("{ctx}: redis is {other:?}"),
            };
            assert_eq!(lost_data > 0, name == "crash", "{ctx}: {lost_data} acknowledged writes lost");
            assert_eq!(c.metric("sessions-lost") > 0, name == "crash", "{ctx}: sessions lost after coming back");
            assert_always_hold(&c, &ctx);
        }
    }
}

fn session_pages_served(c: &Cluster) -> u64 {
    apps(c).map(|a| a.sessions.counts.session_pages_served).sum()
}

fn shoppers<'c>(c: &'c Cluster, name: &str) -> &'c clusterlab::cluster::shopper::ShopperPool {
    match c.sim.id_of(name).map(|id| c.sim.node(id)) {
        Some(ClusterNode::Shoppers(pool)) => pool,
        _ => panic!("no shopper pool {name}"),
    }
}

/// The whole shop is built from the same switch: both keepalived balancers
/// of each region are sticky exactly when the design is, and both Tomcats
/// run its manager; Xiaoming's server crashing costs sessions with sticky,
/// none with Redis.
#[test]
fn the_whole_shop_is_built_from_the_same_switch() {
    for case in &CASES {
        let seed = 11;
        let ctx = format!("full shop, design {:?}, seed {seed}", case.kind);
        let mut c = Cluster::full(&SliceOptions { shoppers: 100, surge_capacity: 100, ..options(seed, case.kind) });
        for id in c.node_ids() {
            match c.sim.node(id) {
                ClusterNode::KeepalivedLb(h) => assert_eq!(h.proxy.config.sticky, case.sticky, "{ctx}: #{}", id.0),
                ClusterNode::App(a) => {
                    assert_eq!(a.sessions.store(), case.kind, "{ctx}: #{}", id.0);
                    // Every other machine of the pool, powered on or not.
                    let peers = if case.kind == Kind::Replicated { APP_POOL.len() - 1 } else { 0 };
                    assert_eq!(a.sessions.config.peers.len(), peers, "{ctx}: #{} members", id.0);
                    assert_eq!(a.sessions.config.redis.is_some(), case.kind == Kind::Redis, "{ctx}: #{}", id.0);
                }
                _ => {}
            }
        }
        if matches!(case.kind, Kind::Sticky | Kind::Redis) {
            c.run_until(CRASH_AT_US, BUDGET);
            let home = xiaomings_server(&mut c, &ctx);
            c.inject(Fault::Crash { node: home });
            c.run_until(60 * SEC, BUDGET);
            let lost = c.metric("sessions-lost");
            println!("{ctx}: {lost} sessions lost after crashing {}", c.sim.name(home));
            assert_eq!(lost > 0, case.kind == Kind::Sticky, "{ctx}: {lost} sessions lost");
            assert_always_hold(&c, &ctx);
        }
    }
}

/// Carts live in the session: crash the Tomcat that made the sessions and
/// what happens to the shoppers' carts is what happens to their sessions.
/// In memory (sticky or not) every cart made there is gone with it — the
/// shopper is thrown back to login with an empty cart; DeltaManager's
/// copies keep them on the other Tomcat, all but those whose delta was still
/// in the send queue; Redis keeps every one.
#[test]
fn a_crash_of_the_shoppers_tomcat_loses_their_carts_unless_the_store_keeps_them() {
    for case in &CASES {
        for seed in [21, 22] {
            let ctx = format!("full shop, design {:?}, seed {seed}", case.kind);
            let mut c = Cluster::full(&SliceOptions { shoppers: 100, surge_capacity: 100, ..options(seed, case.kind) });
            c.run_until(CRASH_AT_US, BUDGET);
            let victim = id("app-1");
            let carts = carts_made_on(&c, victim);
            let unsent = app(&c, victim).sessions.unsent().0;
            c.inject(Fault::Crash { node: victim });
            let kept = carts.iter().filter(|(key, cart)| cart_kept(&c, victim, *key, *cart)).count();
            println!(
                "{ctx}: {} carts made on app-1, {kept} kept after its crash ({unsent} deltas unsent)",
                carts.len()
            );
            assert!(carts.len() >= 3, "{ctx}: only {} carts at the crash", carts.len());
            match case.crash {
                CrashLoss::SessionsOfTheServer => assert_eq!(kept, 0, "{ctx}: carts survived an in-memory crash"),
                CrashLoss::OnlyUnsentCreations => {
                    assert!(kept + unsent >= carts.len() && kept > 0, "{ctx}: {kept} kept, {unsent} unsent")
                }
                CrashLoss::Nothing => assert_eq!(kept, carts.len(), "{ctx}: Redis lost a cart"),
            }
            c.run_until(CRASH_AT_US + 10 * SEC, BUDGET);
            assert_always_hold(&c, &ctx);
        }
    }
}

fn members(c: &Cluster, name: &str) -> Vec<NodeId> {
    app(c, id(name)).sessions.members()
}

/// DeltaManager sends to the cluster's members as McastService sees them:
/// the two running Tomcats of the whole shop, not the four machines the
/// autoscaler keeps powered off. A machine powered on joins once booted (and
/// takes the state); powered off, it is dropped within `dropTime` (3 s) —
/// and each change costs one message per running peer, not five.
#[test]
fn deltamanager_replicates_only_to_running_members() {
    let seed = 23;
    let ctx = format!("full shop, replicated, seed {seed}");
    let mut c = Cluster::full(&SliceOptions { shoppers: 100, surge_capacity: 100, ..options(seed, Kind::Replicated) });
    c.run_until(20 * SEC, BUDGET);
    assert_eq!(members(&c, "app-1"), vec![id("app-2")], "{ctx}: app-1's members");
    assert_eq!(members(&c, "app-2"), vec![id("app-1")], "{ctx}: app-2's members");
    let messages = c.metric("session-replication-messages");
    let own_changes = |n: &str| -> u64 {
        (app(&c, id(n)).sessions.table.iter())
            .filter(|(cookie, _)| cookie.route == id(n))
            .map(|(_, s)| 1 + u64::from(s.changes))
            .sum()
    };
    let changes = own_changes("app-1") + own_changes("app-2");
    println!("{ctx}: {messages} replication messages at 20 s for {changes} creations and changes in the tables");
    // Each creation or change went to its one peer (a change queued twice
    // before a flush is sent once), plus the start's state transfer at each
    // of the two: GetAll to the pool's five other machines, one StateEnd
    // back. To every machine of the pool it would be five per change.
    let transfer = 2 * (5 + 1);
    assert!(messages <= changes + transfer && messages * 2 > changes, "{ctx}: {messages} messages, {changes} changes");
    let autoscaler = id("autoscaler");
    c.sim.command(id("app-3"), "power-on", |node, cx| {
        if let ClusterNode::App(a) = node {
            a.on_autoscale(cx, autoscaler, AutoscaleMsg::PowerOn { boot_us: 5 * SEC });
        }
    });
    c.run_until(26 * SEC, BUDGET);
    assert_eq!(members(&c, "app-1"), vec![id("app-2"), id("app-3")], "{ctx}: app-3 joined once booted");
    assert_eq!(members(&c, "app-3"), vec![id("app-1"), id("app-2")], "{ctx}: app-3's members");
    assert!(!app(&c, id("app-3")).sessions.is_empty(), "{ctx}: app-3 took the state at boot");
    c.sim.command(id("app-3"), "power-off", |node, cx| {
        if let ClusterNode::App(a) = node {
            a.on_autoscale(cx, autoscaler, AutoscaleMsg::PowerOff);
        }
    });
    c.run_until(30 * SEC, BUDGET);
    assert_eq!(members(&c, "app-1"), vec![id("app-2")], "{ctx}: app-3 dropped after dropTime");
    assert_always_hold(&c, &ctx);
}

/// The carts of sessions made on `server`, where the design keeps them: the
/// server's own table, or Redis (keys carry their creator in the top byte).
fn carts_made_on(c: &Cluster, server: NodeId) -> Vec<(u32, u32)> {
    match c.sim.node(id("redis")) {
        ClusterNode::Redis(r) if app(c, server).sessions.store() == Kind::Redis => (r.data.keys())
            .filter(|&&key| key >> 24 == u32::from(server.0))
            .filter_map(|&key| r.value(key, c.sim.now_us()).map(|v| (key, redis_attributes(v).0)))
            .filter(|&(_, cart)| cart != 0)
            .collect(),
        _ => (app(c, server).sessions.table.iter())
            .filter(|(cookie, s)| cookie.route == server && s.cart != 0)
            .map(|(cookie, s)| (cookie.id, s.cart))
            .collect(),
    }
}

/// Whether a session made on `server` (Redis key or session id `key`) still
/// holds `cart` somewhere the shop can read it.
fn cart_kept(c: &Cluster, server: NodeId, key: u32, cart: u32) -> bool {
    if app(c, server).sessions.store() == Kind::Redis {
        return match c.sim.node(id("redis")) {
            ClusterNode::Redis(r) => r.value(key, c.sim.now_us()).is_some_and(|v| redis_attributes(v).0 == cart),
            _ => false,
        };
    }
    let cookie = SessionCookie { id: key, route: server };
    c.node_ids()
        .filter_map(|id| if let ClusterNode::App(a) = c.sim.node(id) { Some(a) } else { None })
        .any(|a| a.sessions.table.get(cookie).is_some_and(|s| s.cart == cart))
}

// ---- the seed sweep ----------------------------------------------------------------

/// Seeds of the sweep per design (override with `SWEEP_SEEDS`).
const SWEEP_SEEDS: u64 = 1_000;
/// A sweep run: a small crowd for a short while, faults within the first part.
const SWEEP_SHOPPERS: u16 = 20;
const SWEEP_END_US: TimeUs = 30 * SEC;
const FAULTS_UNTIL_US: TimeUs = 25 * SEC;
const MAX_EPISODES: u64 = 4;
/// The schedule's own random stream (nodes use their index, the network `u64::MAX`).
const SCHEDULE_STREAM: u64 = 0x5E55_1011;
/// Every witness must be reached in at least this share of the sweep's seeds.
const WITNESS_MIN_PERCENT: u64 = 5;

/// Random crash / restart, crash for good, and pause / resume episodes of
/// the two app servers, drawn from the seed.
fn schedule(seed: u64) -> Vec<(TimeUs, Fault)> {
    let mut rng = SimRng::new(seed, SCHEDULE_STREAM);
    let mut faults = Vec::new();
    for _ in 0..rng.between(1, MAX_EPISODES) {
        // Node ids of the slice: app-1 is #3, app-2 #4.
        let node = NodeId(3 + rng.below(2) as u16);
        let at_us = rng.between(2 * SEC, FAULTS_UNTIL_US);
        let back_us = at_us + rng.between(SEC / 2, 8 * SEC);
        match rng.below(3) {
            0 => faults.extend([(at_us, Fault::Crash { node }), (back_us, Fault::Restart { node })]),
            1 => faults.push((at_us, Fault::Crash { node })),
            _ => faults.extend([(at_us, Fault::Pause { node }), (back_us, Fault::Resume { node })]),
        }
    }
    faults
}

/// One sweep run: the slice with `kind`, its schedule, to the end.
fn sweep_run(seed: u64, kind: Kind) -> Cluster {
    let options = SliceOptions { shoppers: SWEEP_SHOPPERS, surge_capacity: SWEEP_SHOPPERS, ..options(seed, kind) };
    let mut c = Cluster::slice(&options);
    for (at_us, fault) in schedule(seed) {
        c.sim.schedule_fault(at_us, fault);
    }
    let reached = c.run_until(SWEEP_END_US, BUDGET).reached;
    assert!(reached, "design {kind:?}: budget ran out; reproduce: seed={seed} schedule={:?}", schedule(seed));
    c
}

/// Shoppers sent to login for a session used within the timeout, all pools.
fn fresh_sessions_lost(c: &Cluster) -> u64 {
    c.node_ids()
        .filter_map(|id| match c.sim.node(id) {
            ClusterNode::Shoppers(pool) => Some(pool.fresh_sessions_lost),
            _ => None,
        })
        .sum()
}

fn sweep_seeds() -> u64 {
    std::env::var("SWEEP_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(SWEEP_SEEDS)
}

/// What a design must show over the sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// No shopper is ever sent to login for a session in use.
    NeverLoses,
    /// Only sessions created so shortly before a crash that their delta was
    /// unsent, sessions created while the other server was out of the
    /// membership (paused or cut off past `dropTime`: DeltaManager sends to
    /// members only and never resends), or sessions whose every copy died
    /// (both servers down at once).
    LosesOnlyUnsentOrAllCopies,
    /// Crashes lose sessions: the sweep must find a seed, print it, replay it.
    LosesToCrashes,
}

const SWEEP: [(Kind, Rule); 3] = [
    (Kind::Redis, Rule::NeverLoses),
    (Kind::Replicated, Rule::LosesOnlyUnsentOrAllCopies),
    (Kind::Sticky, Rule::LosesToCrashes),
];

#[test]
fn sweep_redis_never_loses_a_session_replicated_only_by_the_real_rule_sticky_does() {
    let seeds = sweep_seeds();
    for (kind, rule) in SWEEP {
        let (mut losing_seeds, mut lost_total, mut elsewhere, mut to_crash, mut first) = (0, 0, 0, 0, None);
        for seed in 1..=seeds {
            let c = sweep_run(seed, kind);
            let ctx = format!("design {kind:?}; reproduce: seed={seed} schedule={:?}", schedule(seed));
            assert_always_hold(&c, &ctx);
            let lost = fresh_sessions_lost(&c);
            let counts = apps(&c).map(|a| a.sessions.counts);
            let unsent: u64 = counts.map(|n| n.creations_lost_in_crash + n.creations_missed_by_dropped).sum();
            match rule {
                Rule::NeverLoses => assert_eq!(c.metric("sessions-lost"), 0, "{ctx}: shoppers sent to login"),
                Rule::LosesOnlyUnsentOrAllCopies if !both_down(seed) => {
                    assert!(lost <= unsent, "{ctx}: {lost} sessions lost, {unsent} creations unsent or missed");
                }
                _ => {}
            }
            losing_seeds += u64::from(lost > 0);
            lost_total += lost;
            elsewhere += u64::from(holds(&c, SOME_SESSION_SERVED_ELSEWHERE));
            to_crash += u64::from(holds(&c, SOME_SESSION_LOST_TO_CRASH));
            if lost > 0 && first.is_none() {
                first = Some((seed, lost, c.sim.trace_hash()));
            }
        }
        println!(
            "{kind:?}: {seeds} seeds, {losing_seeds} lost sessions ({lost_total} in all); witnesses: served by \
             another server in {elsewhere}, lost to a crash in {to_crash}"
        );
        if kind != Kind::Sticky {
            let share = elsewhere * 100 / seeds.max(1);
            assert!(share >= WITNESS_MIN_PERCENT, "{kind:?}: a session served elsewhere in only {share} % of seeds");
        }
        if rule == Rule::LosesToCrashes {
            let (seed, lost, hash) = first.unwrap_or_else(|| panic!("{kind:?}: no loss in {seeds} seeds"));
            println!("{kind:?} loses {lost} session(s): reproduce: seed={seed} schedule={:?}", schedule(seed));
            assert!(to_crash * 100 / seeds.max(1) >= WITNESS_MIN_PERCENT, "{kind:?}: losses not blamed on crashes");
            let again = sweep_run(seed, kind);
            assert_eq!(
                (fresh_sessions_lost(&again), again.sim.trace_hash()),
                (lost, hash),
                "seed {seed}: replay differs"
            );
        }
    }
}

fn apps(c: &Cluster) -> impl Iterator<Item = &clusterlab::cluster::app_server::AppServer> {
    c.node_ids().filter_map(|id| match c.sim.node(id) {
        ClusterNode::App(a) => Some(&**a),
        _ => None,
    })
}

/// Whether both app servers were ever down at the same time (a restart of a
/// running server is a reboot: down for an instant).
fn both_down(seed: u64) -> bool {
    let mut faults = schedule(seed);
    faults.sort_by_key(|&(at_us, _)| at_us);
    let mut down = [false; 2];
    for (_, fault) in faults {
        match fault {
            Fault::Crash { node } => down[usize::from(node.0 - 3)] = true,
            Fault::Restart { node } => {
                let i = usize::from(node.0 - 3);
                if down[1 - i] {
                    return true;
                }
                down[i] = false;
            }
            _ => {}
        }
        if down == [true, true] {
            return true;
        }
    }
    false
}

/// Redis with a replica and three sentinels: the master is cut off from its
/// replica and the sentinels (not from the Tomcats) and keeps taking
/// sessions; the sentinels promote the replica and the Tomcats follow them;
/// the sessions written to the old master meanwhile are gone (asynchronous
/// replication), and the old master throws them away when it rejoins as a
/// replica. The invariant excuses this only because the store failed over.
#[test]
fn redis_failover_loses_the_sessions_written_to_the_cut_off_master() {
    for seed in SEEDS {
        let ctx = format!("redis failover, seed {seed}");
        let mut c = Cluster::slice(&options(seed, Kind::Redis));
        let id = |name: &str| c.sim.id_of(name).unwrap_or_else(|| panic!("{ctx}: no node {name}"));
        let (redis, replica) = (id("redis"), id("redis-replica"));
        let cut_off: Vec<NodeId> = ["redis-replica", "sentinel-1", "sentinel-2", "sentinel-3"].map(id).to_vec();
        c.run_until(20 * SEC, BUDGET);
        assert_eq!(c.metric("sessions-lost"), 0, "{ctx}: sessions lost before the cut");
        for &other in &cut_off {
            c.inject(Fault::Cut { from: redis, to: other, both_ways: true });
        }
        c.run_until(100 * SEC, BUDGET);
        let failovers: u64 = c
            .node_ids()
            .filter_map(|n| if let ClusterNode::Sentinel(s) = c.sim.node(n) { Some(s.failovers) } else { None })
            .sum();
        assert!(failovers >= 1, "{ctx}: the sentinels never failed over");
        assert!(
            apps(&c).all(|a| a.sessions.session_store_node() == Some(replica)),
            "{ctx}: a Tomcat kept the old master"
        );
        let lost = c.metric("sessions-lost");
        assert!(lost > 0, "{ctx}: no session written to the cut-off master was lost");
        c.inject(Fault::HealAll);
        c.run_until(140 * SEC, BUDGET);
        let servers: Vec<&RedisServer> = [redis, replica]
            .iter()
            .map(|&n| match c.sim.node(n) {
                ClusterNode::Redis(r) => &**r,
                other => panic!("{ctx}: {n:?} is {other:?}"),
            })
            .collect();
        // The old master resynced from the new one: what it acknowledged
        // while cut off is gone from every server.
        let loss = check_no_acked_write_lost(&servers);
        println!("{ctx}: {failovers} failover(s), {lost} session(s) lost, store: {loss:?}");
        assert!(loss.is_err(), "{ctx}: the old master's acknowledged writes survived its rejoin");
        let v = c.sim.properties().verdict(NO_SESSION_LOST_WITH_REDIS).cloned();
        assert!(holds(&c, NO_SESSION_LOST_WITH_REDIS), "{ctx}: a failover loss was not excused: {v:?}");
        assert_always_hold(&c, &ctx);
    }
}

/// DeltaManager's state transfer: a restarted Tomcat asks its peer for every
/// session before serving; while the peer cannot answer (paused) it serves
/// nothing. Afterwards it holds the peer's sessions, its shoppers come back
/// to it (sticky) and no session is lost.
#[test]
fn a_restarted_replicated_server_takes_the_full_state_before_serving() {
    // (name, how long app-2 is paused around app-1's restart)
    let rows: [(&str, TimeUs); 2] = [("peer up", 0), ("peer paused 5 s", 5 * SEC)];
    for (name, pause_us) in rows {
        for seed in SEEDS {
            let ctx = format!("replicated restart, {name}, seed {seed}");
            let mut c = Cluster::slice(&options(seed, Kind::Replicated));
            let (app1, app2) = (c.sim.id_of("app-1").expect("app-1"), c.sim.id_of("app-2").expect("app-2"));
            c.run_until(20 * SEC, BUDGET);
            c.inject(Fault::Crash { node: app1 });
            c.run_until(25 * SEC, BUDGET);
            if pause_us > 0 {
                c.inject(Fault::Pause { node: app2 });
            }
            c.inject(Fault::Restart { node: app1 });
            c.run_until(25 * SEC + pause_us / 2 + SEC / 100, BUDGET);
            assert_eq!(app(&c, app1).sessions.ready(), pause_us == 0, "{ctx}: ready too early or too late");
            if pause_us > 0 {
                assert_eq!(app(&c, app1).served, 0, "{ctx}: served before it had the sessions");
                c.run_until(25 * SEC + pause_us, BUDGET);
                c.inject(Fault::Resume { node: app2 });
            }
            c.run_until(c.sim.now_us() + SEC / 10, BUDGET);
            let (mine, peers) = (app(&c, app1).sessions.len(), app(&c, app2).sessions.len());
            assert!(app(&c, app1).sessions.ready(), "{ctx}: never ready");
            assert!(mine > 50 && mine + 5 >= peers, "{ctx}: took {mine} sessions, the peer has {peers}");
            c.run_until(90 * SEC, BUDGET);
            assert!(app(&c, app1).served > 100, "{ctx}: the restarted server serves nobody");
            assert_eq!(c.metric("sessions-lost"), 0, "{ctx}: sessions lost");
            assert_always_hold(&c, &ctx);
        }
    }
}

/// The scenario file of the Redis design: the Redis nodes are known to it
/// (and only to it), a Tomcat crash loses nothing, Redis down is visible.
#[test]
fn the_redis_scenario_names_the_store_and_shows_it_failing() {
    let text = include_str!("../scenarios/redis-session-store-down.json");
    let parsed = scenario::parse(text).expect("the Redis scenario is valid");
    let sticky = text.replace("\"session-store\": \"redis\"", "\"session-store\": \"sticky\"");
    let err = scenario::parse(&sticky).expect_err("no redis node without the Redis store").to_string();
    assert!(err.contains("names node `redis`"), "seed {}: got `{err}`", parsed.seed);
    let mut c = scenario::report::build(&parsed);
    c.run_until(59 * SEC, BUDGET);
    assert_eq!(c.metric("sessions-lost"), 0, "seed {}: the Tomcat crash lost sessions", parsed.seed);
    c.run_until(79 * SEC, BUDGET);
    assert!(c.metric("failed-session-store-unavailable") > 0, "seed {}: Redis down went unseen", parsed.seed);
    c.run_until(120 * SEC, BUDGET);
    assert_always_hold(&c, &format!("redis scenario, seed {}", parsed.seed));
}

/// The invariant has teeth: sessions that vanish from Redis without a crash,
/// a resync or a failover to blame (an operator's `FLUSHALL` on the master)
/// break `no-session-lost-with-redis`, naming the shoppers sent to login.
#[test]
fn sessions_vanishing_from_redis_without_a_cause_break_the_invariant() {
    for seed in SEEDS {
        let ctx = format!("redis flushall, seed {seed}");
        let mut c = Cluster::slice(&options(seed, Kind::Redis));
        let redis = c.sim.id_of("redis").expect("redis");
        c.run_until(20 * SEC, BUDGET);
        assert!(holds(&c, NO_SESSION_LOST_WITH_REDIS), "{ctx}: broken before the flush");
        c.sim.command(redis, "flushall", |node, _ctx| {
            if let ClusterNode::Redis(r) = node {
                r.data.clear();
            }
        });
        c.run_until(40 * SEC, BUDGET);
        let verdict = c.sim.properties().verdict(NO_SESSION_LOST_WITH_REDIS).expect("registered");
        let why = verdict.first_violation.as_ref().map(|v| v.reason.clone());
        assert!(!verdict.holds, "{ctx}: {} sessions lost and the invariant held", c.metric("sessions-lost"));
        assert!(why.is_some_and(|w| w.contains("sent to login")), "{ctx}: the violation does not say why");
    }
}
