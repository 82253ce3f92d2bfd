//! Smoke (temporary).
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::topology::SliceOptions;
use clusterlab::cluster::topology_full::id;
use clusterlab::cluster::{Cluster, ClusterNode};
use clusterlab::sim::{PropertyKind, SEC};

#[test]
fn smoke() {
    let mut c = Cluster::full(&SliceOptions { seed: 1, ..SliceOptions::default() });
    assert!(c.run_until(60 * SEC, 50_000_000).reached);
    for name in ["app-1", "app-2"] {
        if let ClusterNode::App(a) = c.sim.node(id(name)) {
            println!("{name}: {:?}", a.backend.as_ref().map(|b| &b.answers));
        }
    }
    for m in c.sim.metrics().counters() {
        println!("{m:?}");
    }
    let broken: Vec<_> = c
        .sim
        .properties()
        .verdicts()
        .iter()
        .filter(|v| v.kind == PropertyKind::Always && !v.holds)
        .map(|v| format!("{}: {:?}", v.name, v.first_violation))
        .collect();
    println!("{broken:?}");
}
