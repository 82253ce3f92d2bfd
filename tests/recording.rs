//! A reader's run, recorded: it replays to the identical trace from its own
//! scenario, a replay with the Redis session store keeps every session the
//! in-memory run lost, acting during a replay forks it, and a refused command
//! is neither carried out nor recorded.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::Cluster;
use clusterlab::cluster::command::{Command, NodeAction, XiaomingAction};
use clusterlab::scenario::{self, Recording, Scenario, TopologyKind, TopologySpec};
use clusterlab::sim::{MS, SEC, TimeUs};

fn free_play(seed: u64, kind: TopologyKind) -> Scenario {
    let text = format!(r#"{{"version": 1, "seed": {seed}, "duration_ms": 600000}}"#);
    let mut s = scenario::parse(&text).unwrap();
    s.topology = TopologySpec { kind, ..TopologySpec::default() };
    s
}

fn run_to(rec: &mut Recording, cluster: &mut Cluster, at_us: TimeUs) {
    while !rec.run_until(cluster, at_us, 50_000).reached {}
}

fn crash(node: &str) -> Command {
    Command::Node { node: node.into(), action: NodeAction::Crash }
}

/// Plays like a reader: odd instants, single steps, a crash, a switch, Xiaoming by hand.
fn play_by_hand(rec: &mut Recording, c: &mut Cluster) {
    run_to(rec, c, 3 * SEC + 417);
    for _ in 0..25 {
        rec.step(c);
    }
    rec.command(c, Command::Xiaoming { action: XiaomingAction::Manual }).unwrap();
    run_to(rec, c, 7 * SEC + 3 * MS + 9);
    rec.command(c, Command::SetSwitch { switch: "lb-algorithm".into(), value: "least-conn".into() }).unwrap();
    rec.command(c, Command::Xiaoming { action: XiaomingAction::NextStep }).unwrap();
    run_to(rec, c, 12 * SEC);
    rec.step(c);
    rec.command(c, crash("app-2")).unwrap();
    run_to(rec, c, 20 * SEC);
}

#[test]
fn a_run_played_by_hand_replays_to_the_same_trace_from_its_scenario() {
    for (seed, kind) in [(1, TopologyKind::Slice), (42, TopologyKind::Slice), (7, TopologyKind::Full)] {
        let (mut rec, mut live) = Recording::start(free_play(seed, kind));
        play_by_hand(&mut rec, &mut live);
        let mut shared = rec.scenario_so_far();
        assert_eq!(shared.commands.len(), 4, "seed {seed}: four commands recorded");
        shared.duration_ms = 20_000;
        let text = serde_json::to_string(&shared).unwrap();
        let report = scenario::run(&scenario::parse(&text).expect("the recorded scenario is valid"));
        let live_hash = format!("{:016x}", live.sim.trace_hash());
        assert_eq!(report.trace_hash, live_hash, "seed {seed} {kind:?}: the file's run differs from the live one");
        let mut again = rec.restart();
        run_to(&mut rec, &mut again, 20 * SEC);
        assert_eq!(again.sim.trace_hash(), live.sim.trace_hash(), "seed {seed} {kind:?}: the rewound run differs");
    }
}

#[test]
fn replaying_with_redis_keeps_the_sessions_the_crash_lost() {
    for seed in [42, 3, 11] {
        let (mut rec, mut c) = Recording::start(free_play(seed, TopologyKind::Full));
        run_to(&mut rec, &mut c, 20 * SEC);
        let server = c.xiaoming_server().map(|id| c.sim.name(id).to_string()).expect("Xiaoming has a session");
        rec.command(&mut c, crash(&server)).unwrap();
        run_to(&mut rec, &mut c, 60 * SEC);
        let lost = c.sim.metrics().value("sessions-lost");
        assert!(lost > 0, "seed {seed}: crashing {server} lost no session");
        let mut redis = rec.replay_with("session-store", "redis").expect("redis is a value");
        assert_eq!(redis.sim.now_us(), 0, "a replay starts from the beginning");
        run_to(&mut rec, &mut redis, 60 * SEC);
        let id = redis.sim.id_of(&server).unwrap();
        assert!(!redis.sim.lifecycle(id).is_up(), "seed {seed}: the replay crashed {server} again");
        assert_eq!(redis.sim.metrics().value("sessions-lost"), 0, "seed {seed}: Redis lost sessions");
        assert!(redis.sim.metrics().value("session-store-calls") > 0, "seed {seed}: the Tomcats used Redis");
        assert!(rec.replay_with("session-store", "mongo").is_err(), "a bad value is refused");
    }
}

#[test]
fn acting_during_a_replay_forks_it() {
    let (mut rec, mut c) = Recording::start(free_play(5, TopologyKind::Slice));
    run_to(&mut rec, &mut c, 10 * SEC);
    rec.command(&mut c, crash("app-1")).unwrap();
    run_to(&mut rec, &mut c, 30 * SEC);
    rec.command(&mut c, Command::Node { node: "app-1".into(), action: NodeAction::Restart }).unwrap();
    let mut replay = rec.restart();
    run_to(&mut rec, &mut replay, 15 * SEC);
    let app1 = replay.sim.id_of("app-1").unwrap();
    assert!(!replay.sim.lifecycle(app1).is_up(), "the journal's crash at 10 s was replayed");
    rec.command(&mut replay, crash("app-2")).unwrap();
    let kept: Vec<String> = rec.journal().iter().map(|c| format!("{:?}", c.command)).collect();
    assert_eq!(kept.len(), 2, "the restart at 30 s is dropped, the crash at 10 s kept: {kept:?}");
    run_to(&mut rec, &mut replay, 40 * SEC);
    assert!(!replay.sim.lifecycle(app1).is_up(), "the forked run never restarted app-1");
}

#[test]
fn a_refused_command_is_not_recorded_and_changes_nothing() {
    let (mut rec, mut c) = Recording::start(free_play(9, TopologyKind::Slice));
    run_to(&mut rec, &mut c, 5 * SEC);
    let (hash, events) = (c.sim.trace_hash(), c.sim.events_processed());
    assert!(rec.command(&mut c, crash("db")).is_err());
    let live_store = Command::SetSwitch { switch: "session-store".into(), value: "redis".into() };
    assert!(rec.command(&mut c, live_store).is_err(), "the session store is not switched live");
    assert!(rec.command(&mut c, Command::FlashSale { product: 7, units: 3 }).is_err(), "the slice keeps no stock");
    assert_eq!((c.sim.trace_hash(), c.sim.events_processed()), (hash, events));
    assert!(rec.journal().is_empty());
}
