//! The whole shop of the brief, every mechanism wired: it runs, its protocols
//! settle (one keepalived master per region, services registered, MyCat's
//! heartbeats healthy), every invariant holds on a healthy run, faults on
//! back-end nodes trigger the real recoveries (VIP takeover, write-host
//! switch), and the run is deterministic.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::topology::SliceOptions;
use clusterlab::cluster::topology_full::{FULL_NODES, id};
use clusterlab::cluster::{Cluster, ClusterNode};
use clusterlab::sim::{Fault, SEC};

const BUDGET: u64 = 50_000_000;

#[path = "support/shop.rs"]
mod shop;
use shop::broken;

fn full(seed: u64) -> Cluster {
    Cluster::full(&SliceOptions { seed, shoppers: 100, surge_capacity: 1000, ..SliceOptions::default() })
}

fn vip_holders(c: &Cluster, lbs: [&str; 2]) -> Vec<&'static str> {
    FULL_NODES
        .iter()
        .copied()
        .filter(|name| lbs.contains(name))
        .filter(|name| match c.sim.node(id(name)) {
            ClusterNode::KeepalivedLb(h) => h.router.holds_vip() && c.sim.lifecycle(id(name)).is_up(),
            _ => false,
        })
        .collect()
}

#[test]
fn a_healthy_shop_settles_and_keeps_every_invariant() {
    for seed in [1, 2, 3] {
        let mut c = full(seed);
        assert!(c.run_until(120 * SEC, BUDGET).reached, "seed {seed}");
        assert_eq!(broken(&c), Vec::<String>::new(), "seed {seed}");
        assert!(c.metric("requests-ok") > 1_000, "seed {seed}: {}", c.metric("requests-ok"));
        assert_eq!(vip_holders(&c, ["lb-south-1", "lb-south-2"]), vec!["lb-south-1"], "seed {seed}");
        assert_eq!(vip_holders(&c, ["lb-central-1", "lb-central-2"]), vec!["lb-central-1"], "seed {seed}");
        match c.sim.node(id("registry")) {
            ClusterNode::Registry(r) => {
                assert!(r.instances.len() >= 6, "seed {seed}: {} registered", r.instances.len())
            }
            other => panic!("registry is {other:?}"),
        }
    }
}

#[test]
fn crashing_the_keepalived_master_moves_the_vip_to_the_backup() {
    let mut c = full(7);
    c.run_until(20 * SEC, BUDGET);
    c.inject(Fault::Crash { node: id("lb-south-1") });
    c.run_until(22 * SEC, BUDGET);
    assert_eq!(vip_holders(&c, ["lb-south-1", "lb-south-2"]), Vec::<&str>::new(), "seed 7: takeover before 3 adverts");
    c.run_until(26 * SEC, BUDGET);
    assert_eq!(vip_holders(&c, ["lb-south-1", "lb-south-2"]), vec!["lb-south-2"], "seed 7: no takeover by 6 s");
    assert_eq!(broken(&c), Vec::<String>::new(), "seed 7");
}

#[test]
fn crashing_a_shard_master_makes_mycat_switch_the_write_host() {
    let mut c = full(9);
    c.run_until(15 * SEC, BUDGET);
    c.inject(Fault::Crash { node: id("db-shard1-master") });
    c.run_until(90 * SEC, BUDGET);
    match c.sim.node(id("mycat")) {
        ClusterNode::Mycat(m) => assert!(m.data_hosts[0].switches >= 1, "seed 9: no write-host switch in 75 s"),
        other => panic!("mycat is {other:?}"),
    }
}

#[test]
fn the_whole_shop_is_deterministic() {
    let run = |seed| {
        let mut c = full(seed);
        c.sim.schedule_fault(10 * SEC, Fault::Pause { node: id("zk") });
        c.sim.schedule_fault(30 * SEC, Fault::Resume { node: id("zk") });
        c.run_until(60 * SEC, BUDGET);
        c.sim.trace_hash()
    };
    assert_eq!(run(5), run(5), "seed 5");
    assert_ne!(run(5), run(6), "seeds 5 and 6");
}

#[test]
fn shoppers_reach_the_shop_through_the_vip_and_survive_a_balancer_failover() {
    let mut c = full(11);
    c.run_until(20 * SEC, BUDGET);
    assert_eq!(c.metric("requests-failed"), 0, "seed 11: failures before any fault");
    c.inject(Fault::Crash { node: id("lb-south-1") });
    c.run_until(26 * SEC, BUDGET);
    // Until the backup's gratuitous ARP, the router still sends to the dead
    // master and the shoppers' connections are reset.
    assert!(c.metric("failed-refused") > 0, "seed 11: nobody noticed the master's crash");
    let ok_at_26s = c.metric("requests-ok");
    let refused_at_26s = c.metric("failed-refused");
    c.run_until(40 * SEC, BUDGET);
    assert!(c.metric("requests-ok") > ok_at_26s + 200, "seed 11: traffic did not resume through lb-south-2");
    assert_eq!(c.metric("failed-refused"), refused_at_26s, "seed 11: resets after the takeover");
    assert_eq!(broken(&c), Vec::<String>::new(), "seed 11");
}

#[test]
fn cutting_the_keepalived_pair_apart_gives_split_brain() {
    let mut c = full(13);
    c.run_until(10 * SEC, BUDGET);
    c.inject(Fault::Cut { from: id("lb-south-1"), to: id("lb-south-2"), both_ways: true });
    c.run_until(20 * SEC, BUDGET);
    assert_eq!(vip_holders(&c, ["lb-south-1", "lb-south-2"]), vec!["lb-south-1", "lb-south-2"], "seed 13");
    let verdict = c.sim.properties().verdict("one-vip-owner-per-epoch").unwrap();
    assert!(!verdict.holds, "seed 13: split brain went unnoticed");
    c.inject(Fault::Heal { a: id("lb-south-1"), b: id("lb-south-2") });
    c.run_until(30 * SEC, BUDGET);
    assert_eq!(vip_holders(&c, ["lb-south-1", "lb-south-2"]), vec!["lb-south-1"], "seed 13: not healed");
}

#[test]
fn the_snapshot_shows_every_node_with_its_inspector_details() {
    let mut c = full(17);
    c.run_until(30 * SEC, BUDGET);
    let snap = c.snapshot();
    assert_eq!(snap.nodes.len(), FULL_NODES.len());
    assert!(snap.nodes.iter().all(|n| n.state == "up"), "seed 17: {:?}", snap.nodes);
    let json = serde_json::to_value(&snap).unwrap();
    let node = |name: &str| json["nodes"].as_array().unwrap().iter().find(|n| n["id"] == name).unwrap().clone();
    assert_eq!(node("vip-south")["detail"]["holder"], "lb-south-1");
    assert_eq!(node("lb-south-1")["detail"]["vip"]["holdsVip"], true);
    assert_eq!(node("db-shard1-master")["detail"]["role"], "source");
    assert_eq!(node("mycat")["detail"]["writeHosts"][1], "db-shard2-master");
    assert_eq!(node("app-1")["detail"]["kind"], "app-server");
    assert!(json["invariants"].as_array().unwrap().len() >= 10);
    assert_eq!(json["traceHash"].as_str().unwrap().len(), 16);
    // Every kind of node has its own inspector, not a bare "other".
    let kinds: Vec<(&str, &str)> = vec![
        ("registry", "registry"),
        ("gateway", "gateway"),
        ("tpc", "two-phase"),
        ("product-cache", "product-cache"),
        ("dns", "dns"),
        ("resolver-south", "resolver"),
        ("cdn-south", "cdn"),
        ("redis", "redis"),
        ("autoscaler", "autoscaler"),
        ("zk", "lock-service"),
        ("order", "service"),
    ];
    for (name, kind) in kinds {
        assert_eq!(node(name)["detail"]["kind"], kind, "seed 17: {name}");
    }
    assert!(
        node("registry")["detail"]["instances"].as_array().unwrap().len() >= 7,
        "seed 17: every service registered"
    );
    let cached = &node("order")["detail"]["cached"];
    assert!(
        cached.as_array().unwrap().iter().any(|c| c["service"] == "inventory-service"),
        "seed 17: order caches inventory's list: {cached}"
    );
    let machines = node("autoscaler")["detail"]["machines"].as_array().unwrap().clone();
    let states: Vec<&str> = machines.iter().map(|m| m["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["in-service", "in-service", "off", "off", "off", "off"], "seed 17");
    assert_eq!(node("app-3")["detail"]["power"], "off", "seed 17");
    assert_eq!(node("dns")["detail"]["records"][0]["addresses"].as_array().unwrap().len(), 2, "seed 17: two VIPs");
}

#[test]
fn shoppers_reach_their_regions_vip_by_name() {
    for seed in [3, 4] {
        let mut c = full(seed);
        c.run_until(30 * SEC, BUDGET);
        for (browsers, vip) in [("browsers-south", "vip-south"), ("browsers-central", "vip-central")] {
            let ClusterNode::DnsEntry(b) = c.sim.node(id(browsers)) else { panic!("{browsers} is a DNS entry") };
            let sent: Vec<_> = b.sent_to.keys().map(|&n| c.sim.name(n).to_string()).collect();
            assert_eq!(sent, [vip], "seed {seed}: GeoDNS sends {browsers} to its own region");
            // One lookup a minute at most, whatever the traffic.
            assert!(b.dns.stats.queries <= 1 && b.dns.stats.cache_hits > 100, "seed {seed}: {:?}", b.dns.stats);
        }
    }
}
