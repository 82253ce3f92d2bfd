//! Two sites, three centres: a centre or a whole city fails, the GSLB fails
//! over, and the run shows what it cost (RPO, RTO).

use clusterlab::cluster::command::{CentreAction, Command};
use clusterlab::cluster::design::{Design, ReplicationDesign};
use clusterlab::cluster::dr::measure::{DrReport, measure};
use clusterlab::cluster::node::ClusterNode;
use clusterlab::cluster::topology::{Cluster, SliceOptions};
use clusterlab::cluster::topology_sites::site_id;
use clusterlab::sim::{SEC, TimeUs};

const OUTAGE_AT_US: TimeUs = 60 * SEC;

fn sites(seed: u64, replication: ReplicationDesign) -> Cluster {
    crowd(seed, replication, 200)
}

fn crowd(seed: u64, replication: ReplicationDesign, shoppers: u16) -> Cluster {
    let design = Design { replication, ..Design::default() };
    Cluster::sites(&SliceOptions { seed, shoppers, surge_capacity: shoppers, app_servers: 0, design })
}

fn fail(cluster: &mut Cluster, centres: &[&str]) {
    cluster.run_until(OUTAGE_AT_US, u64::MAX);
    for centre in centres {
        let failed = cluster.apply(&Command::Centre { centre: centre.to_string(), action: CentreAction::Fail });
        failed.unwrap_or_else(|e| panic!("{centre}: {e}"));
    }
}

fn report(cluster: &Cluster) -> Option<DrReport> {
    measure(cluster.sim.nodes(), cluster.sim.lifecycles(), site_id("gslb"))
}

fn verdict(cluster: &Cluster, name: &str) -> bool {
    cluster.sim.properties().verdict(name).unwrap_or_else(|| panic!("no invariant {name}")).holds
}

#[test]
fn a_quiet_day_replicates_every_order_to_both_other_centres() {
    let mut c = sites(1, ReplicationDesign::SemiSync);
    c.run_until(60 * SEC, u64::MAX);
    let ClusterNode::SiteFront(web) = c.sim.node(site_id("gz-a-web")) else { panic!() };
    assert!(web.writes_ok > 100, "orders are written at the primary: {}", web.writes_ok);
    for db in ["gz-b-db", "wh-db"] {
        let ClusterNode::Mysql(m) = c.sim.node(site_id(db)) else { panic!() };
        assert!(m.binlog.len() as u64 + 5 >= web.writes_ok, "{db} follows: {} of {}", m.binlog.len(), web.writes_ok);
    }
    assert!(report(&c).is_none(), "no failover on a quiet day");
}

#[test]
fn losing_the_primary_centre_fails_over_in_the_same_city_and_semi_sync_loses_nothing() {
    for seed in 1..=5 {
        let mut c = sites(seed, ReplicationDesign::SemiSync);
        fail(&mut c, &["gz-a"]);
        c.run_until(OUTAGE_AT_US + 240 * SEC, u64::MAX);
        let r = report(&c).unwrap_or_else(|| panic!("seed {seed}: no failover"));
        let f = r.failover.expect("a failover");
        assert_eq!(f.to, 1, "seed {seed}: the same-city centre takes over first");
        let detect_us = f.at_us - OUTAGE_AT_US;
        assert!(
            (20 * SEC..=40 * SEC).contains(&detect_us),
            "seed {seed}: three missed 10 s rounds, took {detect_us} µs"
        );
        assert_eq!((r.lost_acked_writes, r.rpo_us), (0, 0), "seed {seed}: semi-sync in the same city: RPO 0");
        let rto = r.rto_us.unwrap_or_else(|| panic!("seed {seed}: service never came back"));
        // Detection, then browsers' and resolvers' cached answers (60 s each).
        assert!(rto > detect_us && rto <= detect_us + 130 * SEC, "seed {seed}: RTO {rto} µs");
        assert!(verdict(&c, "no-acked-write-lost"), "seed {seed}");
        assert!(verdict(&c, "one-writable-master"), "seed {seed}");
    }
}

#[test]
fn losing_the_whole_city_fails_over_to_the_remote_centre_and_async_loses_the_lag() {
    let mut lost_somewhere = false;
    for seed in 1..=5 {
        // A busy shop: about 90 orders and payments a second.
        let mut c = crowd(seed, ReplicationDesign::SemiSync, 600);
        fail(&mut c, &["gz-a", "gz-b"]);
        c.run_until(OUTAGE_AT_US + 240 * SEC, u64::MAX);
        let r = report(&c).unwrap_or_else(|| panic!("seed {seed}: no failover"));
        assert_eq!(r.failover.map(|f| f.to), Some(2), "seed {seed}: only Wuhan is left");
        assert!(r.rto_us.is_some(), "seed {seed}: Wuhan serves orders again");
        assert!(r.rpo_us < 2 * SEC, "seed {seed}: the remote lag is tens of milliseconds, RPO {} µs", r.rpo_us);
        if r.lost_acked_writes > 0 {
            lost_somewhere = true;
            assert!(r.rpo_us > 0, "seed {seed}: writes lost means a point of recovery in the past");
            assert!(!verdict(&c, "no-acked-write-lost"), "seed {seed}: the invariant shows the loss");
        }
    }
    assert!(lost_somewhere, "asynchronous replication to another city loses acknowledged orders in some run");
}

#[test]
fn the_old_primary_comes_back_as_a_replica_of_the_new_one() {
    let mut c = sites(3, ReplicationDesign::SemiSync);
    fail(&mut c, &["gz-a"]);
    c.run_until(OUTAGE_AT_US + 120 * SEC, u64::MAX);
    c.apply(&Command::Centre { centre: "gz-a".into(), action: CentreAction::Restore }).expect("gz-a exists");
    c.run_until(OUTAGE_AT_US + 200 * SEC, u64::MAX);
    let ClusterNode::Mysql(old) = c.sim.node(site_id("gz-a-db")) else { panic!() };
    assert!(!old.is_source(), "the GSLB demoted the returning primary");
    assert!(verdict(&c, "one-writable-master"), "never two writable primaries");
}
