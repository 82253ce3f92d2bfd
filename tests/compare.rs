//! Compare: one scenario under two designs, side by side. The session-store
//! comparison of brief §3 (the same crash loses sessions when they live in
//! the Tomcat, none in Redis), round robin against least connections behind
//! a slow server, and the comparison's own honesty: equal designs give equal
//! runs, however the work is sliced.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::scenario::compare::{COMPARED, Comparison};
use clusterlab::scenario::{self, Scenario};

fn whole_shop(seed: u64, commands: &str) -> Scenario {
    let text = format!(
        r#"{{"version": 1, "seed": {seed}, "duration_ms": 600000, "topology": {{"kind": "full"}}, "commands": [{commands}]}}"#
    );
    scenario::parse(&text).expect("a valid scenario")
}

fn finish(c: &mut Comparison) {
    while !c.advance(20_000) {}
}

fn row(c: &Comparison, metric: &str) -> (u64, u64) {
    let r = c.rows().into_iter().find(|r| r.metric == metric).expect(metric);
    (r.a, r.b)
}

#[test]
fn the_same_crash_loses_sessions_in_the_tomcat_and_none_in_redis() {
    let crash = r#"{"at_ms": 20000, "do": {"command": "node", "node": "app-1", "action": "crash"}}"#;
    for seed in [42, 7] {
        let base = whole_shop(seed, crash);
        let mut c = Comparison::new(&base, "session-store", "sticky", "redis", 60_000).unwrap();
        finish(&mut c);
        let (sticky, redis) = row(&c, "sessions-lost");
        assert!(sticky > 0 && redis == 0, "seed {seed}: sessions lost sticky {sticky}, redis {redis}");
        assert_eq!(c.rows().len(), COMPARED.len());
    }
}

#[test]
fn least_connections_steers_around_a_slow_server_that_round_robin_keeps_feeding() {
    let slow = r#"{"at_ms": 10000, "do": {"command": "node", "node": "app-1", "action": "slow"}}"#;
    let base = whole_shop(3, slow);
    let mut c = Comparison::new(&base, "lb-algorithm", "round-robin", "least-conn", 60_000).unwrap();
    finish(&mut c);
    let (rr, lc) = row(&c, "latency-p99-ms");
    assert!(lc < rr, "seed 3: p99 round robin {rr} ms, least-conn {lc} ms");
}

#[test]
fn equal_designs_give_equal_runs_however_the_work_is_sliced() {
    let base = whole_shop(11, "");
    let mut fine = Comparison::new(&base, "lock", "lock", "lock", 20_000).unwrap();
    while !fine.advance(777) {}
    let [a, b] = fine.trace_hashes();
    assert_eq!(a, b, "seed 11: the same design twice differs");
    let mut coarse = Comparison::new(&base, "lock", "lock", "off", 20_000).unwrap();
    finish(&mut coarse);
    assert_eq!(coarse.trace_hashes()[0], a, "seed 11: slicing changed the run");
    assert!(coarse.progress() >= 1.0 && coarse.done());
    assert!(Comparison::new(&base, "lock", "lock", "sometimes", 1_000).is_err(), "a bad value is refused");
    let live_switch = r#"{"at_ms": 5000, "do": {"command": "set-switch", "switch": "lock", "value": "off"}}"#;
    let mut kept = Comparison::new(&whole_shop(11, live_switch), "lock", "lock", "lock", 20_000).unwrap();
    finish(&mut kept);
    assert_eq!(kept.trace_hashes()[0], a, "seed 11: a live flip of the compared switch was not left out");
}
