//! The design switches: names, values, defaults, and bad input refused.

use clusterlab::cluster::design::{Design, LockDesign, SwitchError};
use clusterlab::cluster::session_store::SessionStoreKind;

#[test]
fn every_switch_round_trips_every_value() {
    for switch in Design::SWITCHES {
        let values = Design::values(switch).unwrap_or_else(|| panic!("{switch} lists no values"));
        assert!(values.len() >= 2, "{switch} must offer a choice");
        for value in values {
            let design = Design::default().with(switch, value).unwrap_or_else(|e| panic!("{switch}={value}: {e}"));
            assert_eq!(design.get(switch).as_deref(), Some(value), "{switch}={value} did not stick");
        }
    }
}

#[test]
fn defaults_are_the_real_systems_defaults() {
    let d = Design::default();
    let expected = [
        ("session-store", "sticky"),
        ("lb-algorithm", "weighted-round-robin"),
        ("balancer-kind", "nginx"),
        ("product-cache", "on"),
        ("cache-ttl", "300s"),
        ("lock", "lock-with-fencing"),
        ("two-phase", "on"),
        ("replication", "async"),
        ("switch-type", "automatic"),
        ("rate-limit", "token-bucket"),
        ("autoscaling", "off"),
    ];
    for (switch, value) in expected {
        assert_eq!(d.get(switch).as_deref(), Some(value), "default of {switch}");
    }
}

#[test]
fn unknown_switches_and_values_are_refused_with_the_choices() {
    let d = Design::default();
    let cases: [(&str, &str, &str); 5] = [
        ("session", "redis", "there is no design switch `session`"),
        ("session-store", "mongo", "`mongo` is not a value of `session-store`; it can be memory, sticky"),
        ("two-phase", "true", "it can be off, on"),
        ("lock", "", "is not a value of `lock`"),
        ("cache-ttl", "5m", "`5m` is not a value of `cache-ttl`; it can be 10s, 60s, 300s, 3600s"),
    ];
    for (switch, value, message) in cases {
        let err: SwitchError = d.with(switch, value).expect_err(switch);
        assert!(err.to_string().contains(message), "{switch}={value}: got {err}");
    }
}

#[test]
fn scenario_json_names_switches_as_the_ui_does() {
    let design: Design = serde_json::from_str(r#"{"session-store":"redis","lock":"off","two-phase":false}"#).unwrap();
    assert_eq!(design.session_store, SessionStoreKind::Redis);
    assert_eq!(design.lock, LockDesign::Off);
    assert!(!design.two_phase);
    assert!(serde_json::from_str::<Design>(r#"{"sticky-sessions":true}"#).is_err(), "unknown switches are errors");
}

mod live {
    use clusterlab::cluster::command::{Command, CommandError, NodeAction};
    use clusterlab::cluster::lb_algorithm::{Algorithm, BalancerKind};
    use clusterlab::cluster::mycat::SwitchType;
    use clusterlab::cluster::node::ClusterNode;
    use clusterlab::cluster::replication::SyncMode;
    use clusterlab::cluster::topology::{Cluster, SliceOptions};
    use clusterlab::cluster::topology_full::id;
    use clusterlab::sim::SEC;

    fn running(seed: u64) -> Cluster {
        let mut c = Cluster::full(&SliceOptions { seed, shoppers: 20, surge_capacity: 40, ..SliceOptions::default() });
        c.run_until(5 * SEC, u64::MAX);
        c
    }

    fn switch(c: &mut Cluster, switch: &str, value: &str) -> Result<(), CommandError> {
        c.apply(&Command::SetSwitch { switch: switch.into(), value: value.into() })
    }

    #[test]
    fn a_new_session_store_is_refused_on_a_running_shop_and_nothing_changes() {
        let mut c = running(3);
        let before = c.design;
        let refused = switch(&mut c, "session-store", "redis").unwrap_err();
        assert!(refused.to_string().contains("replay the run"), "the refusal says what to do: {refused}");
        assert_eq!(c.design, before, "a refused switch changes nothing");
        c.run_until(15 * SEC, u64::MAX);
        assert_eq!(c.sim.metrics().value("session-store-calls"), 0, "no Tomcat began using Redis");
        let current = c.design.get("session-store").unwrap();
        switch(&mut c, "session-store", &current).expect("choosing the store it runs with is no change");
    }

    #[test]
    fn switches_reach_every_node_they_govern_while_it_runs() {
        for seed in [1, 7] {
            let mut c = running(seed);
            switch(&mut c, "balancer-kind", "lvs").unwrap();
            switch(&mut c, "lb-algorithm", "least-conn").unwrap();
            switch(&mut c, "replication", "semi-sync").unwrap();
            switch(&mut c, "switch-type", "when-in-sync").unwrap();
            for lb in ["lb-south-1", "lb-south-2", "lb-central-1", "lb-central-2"] {
                let proxy = c.sim.node(id(lb)).balancer().expect("a balancer");
                assert_eq!(proxy.config.algorithm, Algorithm::LeastConn, "seed {seed}: {lb}");
                assert_eq!(proxy.config.kind, BalancerKind::Lvs, "seed {seed}: {lb}");
                assert!(proxy.config.active_check.is_some(), "seed {seed}: keepalived's checker probes for LVS");
                assert_eq!(proxy.upstreams.len(), 6, "seed {seed}: {lb} keeps the shop's upstreams");
            }
            for master in ["db-shard1-master", "db-shard2-master"] {
                let ClusterNode::Mysql(m) = c.sim.node(id(master)) else { panic!("{master} is MySQL") };
                assert_eq!(m.config.mode, SyncMode::SemiSync, "seed {seed}: {master}");
                assert!(m.semi_sync_on, "seed {seed}: {master} waits for acks from now on");
            }
            let ClusterNode::Mycat(m) = c.sim.node(id("mycat")) else { panic!("mycat") };
            assert_eq!(m.config.switch_type, SwitchType::WhenInSync, "seed {seed}");
            c.run_until(20 * SEC, u64::MAX);
            let broken = c.sim.properties().first_broken().map(|v| (v.name, v.first_violation.clone()));
            assert!(broken.is_none(), "seed {seed}: a live switch broke {broken:?}");
        }
    }

    #[test]
    fn a_crashed_node_takes_the_new_settings_when_it_restarts() {
        let mut c = running(3);
        c.apply(&Command::Node { node: "db-shard1-master".into(), action: NodeAction::Crash }).ok();
        switch(&mut c, "replication", "semi-sync").unwrap();
        let ClusterNode::Mysql(m) = c.sim.node(id("db-shard1-master")) else { panic!() };
        assert_eq!(m.config.mode, SyncMode::SemiSync, "the config file changed");
        assert!(!m.semi_sync_on, "but a dead process waits for nothing");
    }

    #[test]
    fn a_bad_switch_changes_nothing() {
        let mut c = running(5);
        let (design, hash) = (c.design, c.sim.trace_hash());
        let err = switch(&mut c, "replication", "sync").unwrap_err();
        assert!(err.to_string().contains("it can be async, semi-sync"), "{err}");
        assert_eq!((c.design, c.sim.trace_hash()), (design, hash), "refused, and nothing happened");
    }
}

mod live_flow {
    use clusterlab::cluster::command::Command;
    use clusterlab::cluster::node::ClusterNode;
    use clusterlab::cluster::service_host::Flow;
    use clusterlab::cluster::topology::{Cluster, SliceOptions};
    use clusterlab::cluster::topology_full::id;
    use clusterlab::sim::SEC;

    fn cache_hits(c: &Cluster) -> u64 {
        match c.sim.node(id("product-cache")) {
            ClusterNode::ProductCache(store) => store.hits,
            _ => panic!("product-cache"),
        }
    }

    #[test]
    fn the_services_switches_take_effect_while_orders_flow() {
        let seed = 21;
        let mut c = Cluster::full(&SliceOptions { seed, shoppers: 60, surge_capacity: 60, ..SliceOptions::default() });
        c.run_until(30 * SEC, u64::MAX);
        let hits_before = cache_hits(&c);
        assert!(hits_before > 0, "seed {seed}: the cache serves detail pages");
        for (switch, value) in [("product-cache", "off"), ("lock", "off"), ("two-phase", "off"), ("rate-limit", "off")]
        {
            c.apply(&Command::SetSwitch { switch: switch.into(), value: value.into() }).expect(switch);
        }
        c.run_until(50 * SEC, u64::MAX);
        assert_eq!(cache_hits(&c), hits_before, "seed {seed}: with the cache off no read reaches it");
        let ClusterNode::Service(inv) = c.sim.node(id("inventory-1")) else { panic!("inventory-1") };
        assert!(!inv.inventory.as_ref().expect("inventory").config.use_lock, "seed {seed}: purchases stop locking");
        let ClusterNode::InventoryStore(store) = c.sim.node(id("inventory-db")) else { panic!("inventory-db") };
        assert!(!store.config.fencing, "seed {seed}: the store stops checking tokens");
        let ClusterNode::TpcCoordinator(tpc) = c.sim.node(id("tpc")) else { panic!("tpc") };
        assert!(!tpc.config.two_phase, "seed {seed}: the coordinator stops preparing");
        let ClusterNode::Service(order) = c.sim.node(id("order")) else { panic!("order") };
        assert!(
            matches!(&order.flow, Some(Flow::Order(o)) if !o.two_phase),
            "seed {seed}: the order service sells by RPC"
        );
        let ClusterNode::Gateway(g) = c.sim.node(id("gateway")) else { panic!("gateway") };
        assert!(g.gateway.config.rate_limit.is_none() && g.gateway.limiters.is_empty(), "seed {seed}: no limiter");
        let ok = c.sim.metrics().value("requests-ok");
        assert!(ok > 1_000, "seed {seed}: the shop kept serving through the switches ({ok} pages)");
    }
}

mod live_cache_ttl {
    use clusterlab::cluster::command::Command;
    use clusterlab::cluster::node::ClusterNode;
    use clusterlab::cluster::service_host::Flow;
    use clusterlab::cluster::shopper::description;
    use clusterlab::cluster::topology::{Cluster, SliceOptions};
    use clusterlab::cluster::topology_full::id;
    use clusterlab::sim::{SEC, TimeUs};

    fn aside_ttl_us(c: &Cluster, product: &str) -> TimeUs {
        match c.sim.node(id(product)) {
            ClusterNode::Service(s) => match &s.flow {
                Some(Flow::Product(p)) => p.aside.as_ref().expect("cache-aside").config.ttl_us,
                _ => panic!("{product} runs the product flow"),
            },
            _ => panic!("{product} is a service"),
        }
    }

    /// `cache-ttl`, switched while the shop runs, sets the product cache's
    /// TTL at both product services (new entries are set with it) and the
    /// `s-maxage` the origin sends with descriptions (new copies at the edges
    /// live that long); a bad value is refused with the choices and changes
    /// nothing.
    #[test]
    fn cache_ttl_sets_the_product_cache_and_the_edges_description_ttl_live() {
        let seed = 12;
        for (value, ttl_s) in [("10s", 10), ("60s", 60), ("3600s", 3_600)] {
            let mut c =
                Cluster::full(&SliceOptions { seed, shoppers: 60, surge_capacity: 60, ..SliceOptions::default() });
            c.run_until(10 * SEC, u64::MAX);
            assert_eq!(aside_ttl_us(&c, "product-1"), 300 * SEC, "seed {seed}: the default is 300 s");
            let switched_at_us = c.sim.now_us();
            c.apply(&Command::SetSwitch { switch: "cache-ttl".into(), value: value.into() }).expect(value);
            assert_eq!(c.design.cache_ttl.seconds(), ttl_s, "seed {seed}: {value}");
            for product in ["product-1", "product-2"] {
                assert_eq!(aside_ttl_us(&c, product), ttl_s * SEC, "seed {seed}: {value} at {product}");
            }
            let ClusterNode::Origin(o) = c.sim.node(id("origin")) else { panic!("origin") };
            assert_eq!(o.resources[&description(5)].policy.s_maxage_us, Some(ttl_s * SEC), "seed {seed}: {value}");
            c.run_until(40 * SEC, u64::MAX);
            let ClusterNode::ProductCache(store) = c.sim.node(id("product-cache")) else { panic!("product-cache") };
            let new: Vec<_> = store.entries.values().filter(|e| e.set_at_us > switched_at_us + SEC).collect();
            assert!(!new.is_empty(), "seed {seed}: {value}: nothing cached after the switch");
            assert!(new.iter().all(|e| e.ttl_us == ttl_s * SEC), "seed {seed}: {value}: {new:?}");
            let ClusterNode::Cdn(edge) = c.sim.node(id("cdn-south")) else { panic!("cdn-south") };
            let descriptions: Vec<_> = (edge.cache.entries.iter())
                .filter(|(r, e)| r.0 > 2_000_000 && e.stored_us > switched_at_us + SEC)
                .map(|(_, e)| e.headers.s_maxage_us)
                .collect();
            assert!(!descriptions.is_empty(), "seed {seed}: {value}: no description fetched after the switch");
            assert!(descriptions.iter().all(|&s| s == Some(ttl_s * SEC)), "seed {seed}: {value}: {descriptions:?}");
            let bad = c.apply(&Command::SetSwitch { switch: "cache-ttl".into(), value: "1h".into() });
            assert!(bad.is_err_and(|e| e.to_string().contains("10s, 60s, 300s, 3600s")), "seed {seed}");
            assert_eq!(aside_ttl_us(&c, "product-1"), ttl_s * SEC, "seed {seed}: a bad value changed the TTL");
        }
    }
}
