//! Random fault schedules against the first slice (proptest, shrinking).
//!
//! For any schedule of crashes, restarts, pauses, slowdowns and partitions at
//! random times: the run never panics, the same schedule twice gives the same
//! trace hash, every `always` property holds through the faults, and once the
//! faults are healed the cluster serves again (liveness). A failure prints the
//! seed and the schedule, which proptest shrinks to a minimal one.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::Cluster;
use clusterlab::cluster::topology::SliceOptions;
use clusterlab::sim::{Fault, NodeId, SEC, TimeUs};
use proptest::prelude::*;

const BUDGET: u64 = 50_000_000;
const NODES: u16 = 5;

fn fault_strategy() -> impl Strategy<Value = Fault> {
    let node = (0..NODES).prop_map(NodeId);
    prop_oneof![
        node.clone().prop_map(|node| Fault::Crash { node }),
        node.clone().prop_map(|node| Fault::Restart { node }),
        node.clone().prop_map(|node| Fault::Pause { node }),
        node.clone().prop_map(|node| Fault::Resume { node }),
        (node.clone(), 0..500_000u64).prop_map(|(node, extra_us)| Fault::Slow { node, extra_us }),
        node.clone().prop_map(|node| Fault::Isolate { node }),
        (node.clone(), node, any::<bool>()).prop_map(|(from, to, both_ways)| Fault::Cut { from, to, both_ways }),
    ]
}

fn schedule_strategy() -> impl Strategy<Value = Vec<(TimeUs, Fault)>> {
    prop::collection::vec((0..60 * SEC, fault_strategy()), 0..12)
}

/// Runs the slice under `schedule` for 60 s, then heals everything and runs
/// 60 s more. Returns the cluster at the end.
fn run(seed: u64, schedule: &[(TimeUs, Fault)]) -> Cluster {
    let mut c = Cluster::slice(&SliceOptions { seed, shoppers: 30, ..SliceOptions::default() });
    for &(at, fault) in schedule {
        c.sim.schedule_fault(at, fault);
    }
    c.run_until(60 * SEC, BUDGET);
    // Liveness phase: every node back up, every link healed.
    for n in 0..NODES {
        let node = NodeId(n);
        c.inject(Fault::Resume { node });
        c.inject(Fault::Slow { node, extra_us: 0 });
        if !c.sim.lifecycle(node).is_up() {
            c.inject(Fault::Restart { node });
        }
    }
    c.inject(Fault::HealAll);
    c.run_until(120 * SEC, BUDGET);
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_schedule_is_deterministic_safe_and_recovers(seed in 0u64..1_000, schedule in schedule_strategy()) {
        let first = run(seed, &schedule);
        let again = run(seed, &schedule);
        prop_assert_eq!(first.sim.trace_hash(), again.sim.trace_hash(), "seed {} schedule {:?}", seed, schedule);
        if let Some(broken) = first.sim.properties().first_broken() {
            prop_assert!(false, "seed {seed}: {} broke: {:?} (schedule {schedule:?})", broken.name, broken.first_violation);
        }
        let ok_at_120s = first.metric("requests-ok");
        let mut later = first;
        later.run_until(150 * SEC, BUDGET);
        prop_assert!(later.metric("requests-ok") > ok_at_120s + 50,
            "seed {seed}: no recovery after healing (schedule {schedule:?})");
    }
}
