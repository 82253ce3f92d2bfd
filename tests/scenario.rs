//! Scenario files: valid ones run reproducibly; bad ones get a clear error.
//!
//! Table-driven checks of every error a reader can meet (malformed JSON,
//! wrong version, unknown fields and nodes, out-of-range values, oversized
//! text), a property test that random and mutated text never panics the
//! parser, and runs of the example scenario in `scenarios/`.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::scenario::{self, ScenarioError};
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../scenarios/crash-xiaomings-server.json");

fn with(replace: &str, by: &str) -> String {
    assert!(EXAMPLE.contains(replace), "example lacks {replace}");
    EXAMPLE.replacen(replace, by, 1)
}

#[test]
fn the_example_parses_and_round_trips() {
    let s = scenario::parse(EXAMPLE).expect("example is valid");
    assert_eq!(s.seed, 42);
    assert_eq!(s.faults.len(), 2);
    let again = scenario::parse(&serde_json::to_string(&s).unwrap()).unwrap();
    assert_eq!(s, again);
}

#[test]
fn bad_scenarios_name_what_is_wrong() {
    let huge = format!("{{\"version\":1,\"seed\":1,\"duration_ms\":1,\"name\":\"{}\"}}", "x".repeat(300_000));
    let cases: Vec<(&str, String, &str)> = vec![
        ("not json", "{ version: 1".into(), "not valid JSON"),
        ("empty", String::new(), "not valid JSON"),
        ("future version", with("\"version\": 1", "\"version\": 7"), "version 7"),
        ("unknown field", with("\"seed\": 42", "\"seed\": 42, \"speed\": 3"), "unknown field `speed`"),
        ("negative seed", with("\"seed\": 42", "\"seed\": -1"), "not valid JSON"),
        ("zero duration", with("\"duration_ms\": 120000", "\"duration_ms\": 0"), "`duration_ms` must be"),
        ("a week", with("\"duration_ms\": 120000", "\"duration_ms\": 604800000"), "`duration_ms` must be"),
        ("no servers", with("\"app_servers\": 2", "\"app_servers\": 0"), "`topology.app_servers`"),
        ("unknown node", with("\"node\": \"app-2\"", "\"node\": \"app-9\""), "names node `app-9`"),
        ("fault after end", with("\"at_ms\": 60000", "\"at_ms\": 600000"), "`faults[1].at_ms`"),
        ("unknown action", with("\"action\": \"crash\"", "\"action\": \"explode\""), "unknown variant `explode`"),
        ("oversized", huge, "the limit is"),
    ];
    for (what, text, expected) in cases {
        let err = scenario::parse(&text).expect_err(what).to_string();
        assert!(err.contains(expected), "{what}: got `{err}`, expected it to mention `{expected}`");
    }
}

#[test]
fn an_unknown_node_error_lists_the_known_ones() {
    match scenario::parse(&with("\"node\": \"app-2\"", "\"node\": \"db\"")) {
        Err(ScenarioError::UnknownNode { known, .. }) => assert!(known.contains(&"app-1".to_string())),
        other => panic!("expected UnknownNode, got {other:?}"),
    }
}

#[test]
fn running_the_example_twice_gives_the_same_report() {
    let s = scenario::parse(EXAMPLE).unwrap();
    let a = scenario::run(&s);
    let b = scenario::run(&s);
    assert_eq!(a, b, "seed {}", s.seed);
    assert!(a.metrics["sessions-lost"] > 0, "seed {}: crashing app-2 lost no session", s.seed);
    assert!(a.invariants.iter().filter(|i| i.kind == "always").all(|i| i.holds), "seed {}: {:?}", s.seed, a.invariants);
    let mut other = s.clone();
    other.seed = 43;
    assert_ne!(scenario::run(&other).trace_hash, a.trace_hash, "seeds 42 and 43 gave the same run");
}

#[test]
fn without_the_crash_nothing_is_lost() {
    let mut s = scenario::parse(EXAMPLE).unwrap();
    s.faults.clear();
    let r = scenario::run(&s);
    assert_eq!(r.metrics["sessions-lost"], 0, "seed {}", s.seed);
    assert_eq!(r.metrics["requests-failed"], 0, "seed {}", s.seed);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in ".{0,400}") {
        let _ = scenario::parse(&text);
    }

    #[test]
    fn mutated_examples_never_panic(cut in 0usize..EXAMPLE.len(), byte in any::<u8>(), at in 0usize..EXAMPLE.len()) {
        let mut bytes = EXAMPLE.as_bytes()[..cut.max(1)].to_vec();
        let at = at % bytes.len();
        bytes[at] = byte;
        if let Ok(text) = String::from_utf8(bytes) {
            let _ = scenario::parse(&text);
        }
    }
}

const DOUBLE_11: &str = include_str!("../scenarios/double-11.json");

#[test]
fn double_11_overloads_two_tomcats_and_a_cluster_of_eight_absorbs_it() {
    let two = scenario::parse(DOUBLE_11).unwrap();
    let mut eight = two.clone();
    eight.topology.app_servers = 8;
    let (a, b) = (scenario::run(&two), scenario::run(&eight));
    let failed = |r: &scenario::Report| r.metrics["requests-failed"];
    let overloaded = a.metrics["failed-overloaded"] + a.metrics["failed-timed-out"];
    assert!(overloaded > 1_000, "seed {}: the surge overloaded nothing on 2 servers: {:?}", two.seed, a.metrics);
    assert_eq!(failed(&a), overloaded + a.metrics["failed-refused"], "seed {}: other causes on 2 servers", two.seed);
    assert!(a.latency_ms.p50 > 500.0, "seed {}: p50 {} ms on 2 servers", two.seed, a.latency_ms.p50);
    assert_eq!(failed(&b), 0, "seed {}: 8 servers still failed: {:?}", two.seed, b.metrics);
    assert!(b.latency_ms.p50 < 100.0, "seed {}: p50 {} ms on 8 servers", two.seed, b.latency_ms.p50);
}

#[test]
fn load_beyond_the_crowds_capacity_is_rejected() {
    let text = DOUBLE_11.replace("\"shoppers\": 3000 }", "\"shoppers\": 5000 }");
    let err = scenario::parse(&text).expect_err("5000 > capacity 3000").to_string();
    assert!(err.contains("`load[0].shoppers`") && err.contains("surge_capacity"), "{err}");
}

const CENTRE_FAILS: &str = include_str!("../scenarios/centre-fails.json");

#[test]
fn data_centre_events_are_checked_against_the_topology() {
    let in_slice = CENTRE_FAILS.replace("\"kind\": \"sites\", ", "");
    let cases: Vec<(&str, String, &str)> = vec![
        ("centre in a slice", in_slice, "only the `sites` topology has data centres"),
        (
            "unknown centre",
            CENTRE_FAILS.replacen("\"centre\": \"gz-a\"", "\"centre\": \"sh\"", 1),
            "they are: gz-a, gz-b, wh",
        ),
        ("centre after end", CENTRE_FAILS.replace("\"at_ms\": 240000", "\"at_ms\": 400000"), "`centres[1].at_ms`"),
        ("unknown kind", CENTRE_FAILS.replace("\"sites\"", "\"mesh\""), "unknown variant `mesh`"),
        ("bad centre action", CENTRE_FAILS.replace("\"restore\"", "\"reboot\""), "unknown variant `reboot`"),
    ];
    for (what, text, expected) in cases {
        let err = scenario::parse(&text).expect_err(what).to_string();
        assert!(err.contains(expected), "{what}: got `{err}`, expected it to mention `{expected}`");
    }
}

#[test]
fn a_centre_that_fails_is_replaced_by_its_twin_without_losing_an_order() {
    let s = scenario::parse(CENTRE_FAILS).expect("the example parses");
    let r = scenario::run(&s);
    let dr = r.disaster_recovery.unwrap_or_else(|| panic!("seed {}: no failover reported", s.seed));
    assert_eq!(dr.failover.map(|f| f.to), Some(1), "seed {}: gz-b takes over", s.seed);
    assert_eq!((dr.lost_acked_writes, dr.rpo_us), (0, 0), "seed {}: RPO 0 with semi-sync", s.seed);
    assert!(dr.rto_us.is_some_and(|rto| rto < 150 * 1_000_000), "seed {}: RTO {:?}", s.seed, dr.rto_us);
    let broken: Vec<_> = r.invariants.iter().filter(|i| i.kind == "always" && !i.holds).map(|i| &i.name).collect();
    assert!(broken.is_empty(), "seed {}: {broken:?}", s.seed);
}

#[test]
fn a_request_count_stops_the_run_early_and_the_report_says_where() {
    let s = scenario::parse(EXAMPLE).expect("the example parses");
    let full = scenario::run(&s);
    assert_eq!(full.stopped_at_ms, s.duration_ms as f64, "seed {}: without a limit it runs to the end", s.seed);
    let r = scenario::run_limited(&s, Some(2_000));
    assert!(r.requests >= 2_000 && r.requests < 2_200, "seed {}: {} requests", s.seed, r.requests);
    assert!(r.stopped_at_ms < s.duration_ms as f64, "seed {}: stopped at {} ms", s.seed, r.stopped_at_ms);
    let again = scenario::run_limited(&s, Some(2_000));
    assert_eq!(r.trace_hash, again.trace_hash, "seed {}: a limited run is as repeatable as a full one", s.seed);
}

const FLASH_SALE: &str = include_str!("../scenarios/flash-sale-without-lock.json");

#[test]
fn scheduled_commands_are_checked_against_the_cluster_they_would_run_in() {
    let slice = EXAMPLE.replacen("\"faults\": [", "\"commands\": [COMMAND],\n  \"faults\": [", 1);
    let full = FLASH_SALE.replacen(
        "{ \"at_ms\": 5000, \"do\": { \"command\": \"flash-sale\", \"product\": 7, \"units\": 30 } }",
        "COMMAND",
        1,
    );
    let cases = [
        (&slice, r#"{"at_ms": 1000, "do": {"command": "node", "node": "db", "action": "crash"}}"#, "names node `db`"),
        (&slice, r#"{"at_ms": 1000, "do": {"command": "flash-sale", "product": 7, "units": 3}}"#, "only the `full`"),
        (&slice, r#"{"at_ms": 1000, "do": {"command": "purge", "product": null}}"#, "only the `full`"),
        (&slice, r#"{"at_ms": 1000, "do": {"command": "set-shoppers", "shoppers": 9000}}"#, "more than the crowd"),
        (
            &full,
            r#"{"at_ms": 1000, "do": {"command": "set-switch", "switch": "session-store", "value": "redis"}}"#,
            "set it in `switches`",
        ),
        (
            &full,
            r#"{"at_ms": 1000, "do": {"command": "set-switch", "switch": "lock", "value": "maybe"}}"#,
            "not a value of `lock`",
        ),
        (&full, r#"{"at_ms": 1000, "do": {"command": "flash-sale", "product": 0, "units": 3}}"#, "products are 1 to"),
        (&full, r#"{"at_ms": 1000, "do": {"command": "flash-sale", "product": 7, "units": 0}}"#, "must be from 1"),
        (
            &full,
            r#"{"at_ms": 1000, "do": {"command": "centre", "centre": "wuhan", "action": "fail"}}"#,
            "data centre `wuhan`",
        ),
        (&full, r#"{"at_ms": 90000, "do": {"command": "heal-network"}}"#, "`commands[0].at_ms`"),
        (&full, r#"{"at_ms": 1000, "do": {"command": "explode"}}"#, "unknown variant `explode`"),
        (&full, r#"{"at_ms": 1000, "then": {"command": "heal-network"}}"#, "unknown field `then`"),
    ];
    for (base, command, expected) in cases {
        let text = base.replacen("COMMAND", command, 1);
        let err = scenario::parse(&text).expect_err(command).to_string();
        assert!(err.contains(expected), "{command}: got `{err}`, expected it to mention `{expected}`");
    }
    let fine = [
        r#"{"at_ms": 1000, "do": {"command": "set-switch", "switch": "lock", "value": "lock-with-fencing"}}"#,
        r#"{"at_ms": 1000, "do": {"command": "node", "node": "inventory-2", "action": "pause"}}"#,
        r#"{"at_ms": 1000, "do": {"command": "purge", "product": 7}}"#,
    ];
    for command in fine {
        scenario::parse(&full.replacen("COMMAND", command, 1)).expect(command);
    }
}

#[test]
fn a_scheduled_flash_sale_oversells_without_the_lock_and_not_with_it() {
    let without = scenario::parse(FLASH_SALE).expect("the example is valid");
    let report = scenario::run(&without);
    let oversold = report.metrics.get("oversold").copied().expect("the whole shop reports `oversold`");
    assert!(oversold > 0, "seed {}: with the lock off the sale oversold nothing", without.seed);
    let fenced = scenario::parse(&FLASH_SALE.replace("\"lock\": \"off\"", "\"lock\": \"lock-with-fencing\"")).unwrap();
    let report = scenario::run(&fenced);
    assert_eq!(report.metrics.get("oversold"), Some(&0), "seed {}: the lock oversold", fenced.seed);
}
