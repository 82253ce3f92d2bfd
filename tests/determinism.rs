//! A run is a pure function of its seed and the faults applied to it: the
//! same seed gives the same trace hash (with and without faults), different
//! seeds give different hashes, a recorded trace is identical line by line,
//! running in frames equals running in one go, and the hash of the reference
//! run matches the golden value the wasm build is also checked against.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::Cluster;
use clusterlab::cluster::topology::SliceOptions;
use clusterlab::sim::{Fault, NodeId, SEC, TimeUs};
use std::collections::BTreeSet;
use std::path::PathBuf;

const BUDGET: u64 = 10_000_000;
const END_US: TimeUs = 60 * SEC;

/// Node ids of the slice: xiaoming 0, shoppers 1, balancer 2, app servers 3 and 4.
const LB: NodeId = NodeId(2);
const APP1: NodeId = NodeId(3);
const APP2: NodeId = NodeId(4);

/// Named fault schedules, each applied at fixed virtual times.
const SCENARIOS: &[(&str, &[(TimeUs, Fault)])] = &[
    ("no faults", &[]),
    ("crash and restart app-1", &[(20 * SEC, Fault::Crash { node: APP1 }), (30 * SEC, Fault::Restart { node: APP1 })]),
    ("pause app-2", &[(15 * SEC, Fault::Pause { node: APP2 }), (25 * SEC, Fault::Resume { node: APP2 })]),
    (
        "cut lb from app-2, slow app-1",
        &[
            (10 * SEC, Fault::Cut { from: LB, to: APP2, both_ways: true }),
            (12 * SEC, Fault::Slow { node: APP1, extra_us: 50_000 }),
            (40 * SEC, Fault::HealAll),
            (45 * SEC, Fault::Slow { node: APP1, extra_us: 0 }),
        ],
    ),
    ("isolate the balancer", &[(5 * SEC, Fault::Isolate { node: LB }), (35 * SEC, Fault::Rejoin { node: LB })]),
];

/// The slice with `seed`, its faults scheduled, before running.
fn build(seed: u64, faults: &[(TimeUs, Fault)]) -> Cluster {
    let mut cluster = Cluster::slice(&SliceOptions { seed, ..SliceOptions::default() });
    for &(at_us, fault) in faults {
        cluster.sim.schedule_fault(at_us, fault);
    }
    cluster
}

/// Runs the slice to 60 s and returns its trace hash.
fn hash_of(seed: u64, faults: &[(TimeUs, Fault)]) -> u64 {
    let mut cluster = build(seed, faults);
    let report = cluster.run_until(END_US, BUDGET);
    assert!(report.reached, "seed {seed}: event budget ran out");
    cluster.sim.trace_hash()
}

#[test]
fn same_seed_same_hash_with_and_without_faults() {
    for seed in [1, 42, 1234] {
        let mut hashes = BTreeSet::new();
        for &(name, faults) in SCENARIOS {
            let first = hash_of(seed, faults);
            assert_eq!(first, hash_of(seed, faults), "seed {seed}, {name}: two runs differ");
            hashes.insert(first);
        }
        // Otherwise the equality above would prove little: faults must show.
        assert_eq!(hashes.len(), SCENARIOS.len(), "seed {seed}: some fault schedule left no mark on the trace");
    }
}

#[test]
fn twenty_seeds_give_twenty_hashes() {
    let hashes: BTreeSet<(u64, u64)> = (1..=20).map(|seed| (hash_of(seed, &[]), seed)).collect();
    let distinct: BTreeSet<u64> = hashes.iter().map(|&(h, _)| h).collect();
    assert_eq!(distinct.len(), 20, "seeds 1..=20 share a hash: {hashes:x?}");
}

/// Every line of the recorded trace of one run.
fn trace_lines(seed: u64, faults: &[(TimeUs, Fault)]) -> Vec<String> {
    let mut cluster = build(seed, faults);
    cluster.sim.trace_mut().record_everything();
    assert!(cluster.run_until(END_US, BUDGET).reached, "seed {seed}: event budget ran out");
    let sim = &cluster.sim;
    let events = sim.trace().everything().unwrap_or_else(|| panic!("seed {seed}: nothing recorded"));
    assert_eq!(events.len() as u64, sim.trace().len(), "seed {seed}: recording missed events");
    events.iter().map(|e| e.line(|id| sim.name(id).to_string())).collect()
}

#[test]
fn recorded_traces_are_identical_line_by_line() {
    for seed in [3, 42] {
        for &(name, faults) in &SCENARIOS[..2] {
            let (a, b) = (trace_lines(seed, faults), trace_lines(seed, faults));
            assert!(a.len() > 1_000, "seed {seed}, {name}: only {} events in 60 s", a.len());
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                assert_eq!(x, y, "seed {seed}, {name}: traces part at line {i}");
            }
            assert_eq!(a.len(), b.len(), "seed {seed}, {name}: traces differ in length");
        }
    }
}

#[test]
fn running_in_frames_equals_running_in_one_go() {
    for seed in [5, 42] {
        let whole = hash_of(seed, SCENARIOS[1].1);
        let mut framed = build(seed, SCENARIOS[1].1);
        let frame_us = 16_667;
        let mut t = 0;
        while t < END_US {
            t = (t + frame_us).min(END_US);
            assert!(framed.run_until(t, BUDGET).reached, "seed {seed}: budget ran out at {t} µs");
            assert_eq!(framed.sim.now_us(), t, "seed {seed}: clock is not at the frame's end");
        }
        assert_eq!(framed.sim.trace_hash(), whole, "seed {seed}: a run in 60 fps frames differs from one run");
    }
}

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden-trace-hash.txt")
}

/// The reference run, which the browser test of the wasm build repeats:
///
/// ```text
/// let mut c = Cluster::slice(&SliceOptions { seed: 42, ..SliceOptions::default() });
/// c.run_until(60 * SEC, 10_000_000);
/// format!("{:016x}", c.sim.trace_hash())   // == tests/data/golden-trace-hash.txt
/// ```
///
/// With `UPDATE_GOLDEN=1` this writes the file instead of comparing with it.
#[test]
fn golden_trace_hash_of_seed_42() {
    let seed = 42;
    let mut cluster = Cluster::slice(&SliceOptions { seed, ..SliceOptions::default() });
    cluster.run_until(60 * SEC, 10_000_000);
    let actual = format!("{:016x}", cluster.sim.trace_hash());
    let path = golden_path();
    if std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create tests/data");
        std::fs::write(&path, format!("{actual}\n")).expect("write the golden hash");
        return;
    }
    let stored = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("seed {seed}: cannot read {}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(
        stored.trim(),
        actual,
        "seed {seed}: trace hash changed; if on purpose, rerun with UPDATE_GOLDEN=1 and commit {}",
        path.display()
    );
}
