//! Elastic scaling: a surge powers machines on after the HPA's period and the
//! boot delay; the end of it powers them off only after the stabilisation
//! window; the bill counts idle machines too.

use clusterlab::cluster::app_server::{AppServer, AppServerConfig};
use clusterlab::cluster::autoscaler::{Autoscaler, AutoscalerConfig, Power, ServerState};
use clusterlab::cluster::balancer::{Balancer, BalancerConfig};
use clusterlab::cluster::metrics::ShopMetrics;
use clusterlab::cluster::node::ClusterNode;
use clusterlab::cluster::shopper::{ShopperConfig, ShopperPool};
use clusterlab::sim::{LinkProfile, MS, NodeId, SEC, Sim, TimeUs};

const CROWD: NodeId = NodeId(0);
const LB: NodeId = NodeId(1);
const SCALER: NodeId = NodeId(6);
const QUIET: u16 = 40;
const SURGE: u16 = 150;

/// Shoppers → one nginx → four Tomcats (two powered off) and the autoscaler.
/// Requests cost 50–150 ms of CPU so that a modest crowd loads the machines.
fn world(seed: u64, enabled: bool) -> Sim<ClusterNode> {
    let mut sim = Sim::new(seed, LinkProfile::LAN);
    let metrics = ShopMetrics::register(sim.metrics_mut());
    let apps: Vec<NodeId> = (2..6).map(NodeId).collect();
    let crowd =
        ShopperConfig { shoppers: SURGE, active_at_start: QUIET, think_mean_us: SEC, request_timeout_us: 15 * SEC };
    sim.add_node("crowd", ClusterNode::Shoppers(ShopperPool::new(crowd, LB, metrics)));
    // Not sticky: with sticky sessions, shoppers already logged in stay on the
    // first two machines and new ones only get newcomers (see below).
    let config = BalancerConfig { sticky: false, ..BalancerConfig::default() };
    let mut lb = Balancer::new(config, apps.clone(), metrics);
    apps[2..].iter().for_each(|&a| lb.set_in_rotation(a, false));
    sim.add_node("lb", ClusterNode::Balancer(Box::new(lb)));
    for i in 0..apps.len() {
        let config = AppServerConfig { service_min_us: 50 * MS, service_mean_extra_us: 50 * MS, ..Default::default() };
        let mut app = AppServer::new(config);
        if i >= 2 {
            app.power = Power::Off;
        }
        sim.add_node(format!("app-{}", i + 1), ClusterNode::App(Box::new(app)));
    }
    let config = AutoscalerConfig { enabled, max_servers: 4, ..AutoscalerConfig::default() };
    sim.add_node("autoscaler", ClusterNode::Autoscaler(Box::new(Autoscaler::new(config, apps, vec![LB], 2))));
    sim.start();
    sim
}

fn scaler(sim: &Sim<ClusterNode>) -> &Autoscaler {
    match sim.node(SCALER) {
        ClusterNode::Autoscaler(a) => a,
        _ => panic!("node 6 is the autoscaler"),
    }
}

fn set_crowd(sim: &mut Sim<ClusterNode>, active: u16) {
    sim.command(CROWD, "load", |node, ctx| {
        if let ClusterNode::Shoppers(pool) = node {
            pool.set_active(ctx, active);
        }
    });
}

/// In-service machines sampled every 5 s from `from_us` to `to_us`.
fn run_sampling(sim: &mut Sim<ClusterNode>, from_us: TimeUs, to_us: TimeUs) -> Vec<(TimeUs, u32)> {
    let mut samples = Vec::new();
    let mut t = from_us;
    while t < to_us {
        t += 5 * SEC;
        sim.run_until(t, u64::MAX);
        samples.push((t, scaler(sim).in_service()));
    }
    samples
}

/// Quiet for 60 s, a surge until 300 s, quiet again until 800 s.
/// Also returns the pages served during the surge.
fn surge_run(seed: u64, enabled: bool) -> (Sim<ClusterNode>, Vec<(TimeUs, u32)>, u64) {
    let mut sim = world(seed, enabled);
    let mut samples = run_sampling(&mut sim, 0, 60 * SEC);
    set_crowd(&mut sim, SURGE);
    let ok_before = sim.metrics().value("requests-ok");
    samples.extend(run_sampling(&mut sim, 60 * SEC, 300 * SEC));
    let served_in_surge = sim.metrics().value("requests-ok") - ok_before;
    set_crowd(&mut sim, QUIET);
    samples.extend(run_sampling(&mut sim, 300 * SEC, 800 * SEC));
    (sim, samples, served_in_surge)
}

fn first_time(samples: &[(TimeUs, u32)], after_us: TimeUs, pred: impl Fn(u32) -> bool) -> Option<TimeUs> {
    samples.iter().find(|&&(t, n)| t > after_us && pred(n)).map(|&(t, _)| t)
}

#[test]
fn a_surge_adds_machines_after_the_period_and_the_boot_and_the_quiet_removes_them_slowly() {
    for seed in [1, 2, 3] {
        let (sim, samples, _) = surge_run(seed, true);
        let before = samples.iter().filter(|&&(t, _)| t <= 60 * SEC).map(|&(_, n)| n).max();
        assert_eq!(before, Some(2), "seed {seed}: a quiet shop needs no more than two: {samples:?}");
        let grown = first_time(&samples, 60 * SEC, |n| n > 2).expect("the surge must add machines");
        // Noticed at the next 15 s sync at the earliest, then 90 s of boot.
        assert!(grown >= 60 * SEC + 90 * SEC, "seed {seed}: machines in service at {grown} µs, before booting");
        assert!(grown <= 60 * SEC + 2 * 15 * SEC + 90 * SEC + 5 * SEC, "seed {seed}: too slow: {grown} µs");
        let peak = samples.iter().map(|&(_, n)| n).max().unwrap_or(0);
        assert_eq!(peak, 4, "seed {seed}: the surge needs the whole pool: {samples:?}");
        let shrunk = first_time(&samples, 300 * SEC, |n| n < peak).expect("the quiet must remove machines");
        assert!(
            shrunk >= 300 * SEC + 300 * SEC - 15 * SEC,
            "seed {seed}: scaled down at {shrunk} µs, inside the window"
        );
        assert_eq!(scaler(&sim).in_service(), 2, "seed {seed}: back to two at the end: {samples:?}");
        let powered: Vec<Power> =
            (2..6).map(|i| if let ClusterNode::App(a) = sim.node(NodeId(i)) { a.power } else { Power::Off }).collect();
        assert_eq!(powered, [Power::On, Power::On, Power::Off, Power::Off], "seed {seed}: the last two powered off");
        let decisions = scaler(&sim).records.len();
        assert!(decisions >= 2, "seed {seed}: a scale-up and a scale-down are recorded, got {decisions}");
    }
}

#[test]
fn scaling_pays_for_capacity_and_buys_throughput() {
    for seed in [4, 5] {
        let (on, _, served_on) = surge_run(seed, true);
        let (off, samples_off, served_off) = surge_run(seed, false);
        assert!(samples_off.iter().all(|&(_, n)| n == 2), "seed {seed}: switched off, it never acts");
        // Shoppers wait for each page, so an overloaded shop serves fewer
        // pages (each waits in Tomcat's queue) rather than failing them.
        assert!(
            served_on * 10 > served_off * 11,
            "seed {seed}: served in the surge: on {served_on} vs off {served_off}"
        );
        let (bill_on, bill_off) = (scaler(&on).bill_us(on.now_us()), scaler(&off).bill_us(off.now_us()));
        assert_eq!(bill_off, 2 * 800 * SEC, "seed {seed}: two machines for the whole run");
        assert!(bill_on > bill_off, "seed {seed}: extra machines cost {bill_on} vs {bill_off} server-µs");
    }
}

#[test]
fn a_machine_that_is_off_answers_nothing_and_a_draining_one_gets_no_new_work() {
    let mut sim = world(9, true);
    sim.run_until(10 * SEC, u64::MAX);
    let served =
        |sim: &Sim<ClusterNode>, i: u16| if let ClusterNode::App(a) = sim.node(NodeId(i)) { a.served } else { 0 };
    assert_eq!((served(&sim, 4), served(&sim, 5)), (0, 0), "powered-off machines serve nothing");
    assert!(served(&sim, 2) > 0 && served(&sim, 3) > 0, "the two in service share the load");
    let states = &scaler(&sim).states;
    assert!(matches!(states[2], ServerState::Off) && matches!(states[3], ServerState::Off), "{states:?}");
}
