//! Real configuration: each design switch changes the snippets the way it says, with the model's values.
//!
//! Data-driven: one table row per switch and value names the snippet that
//! must change and the lines it must (and must not) hold; every switch and
//! value of `Design::SWITCHES` must have a row. Then the values printed are
//! compared with the model's own config structs, and the slice topology gets
//! only the snippets of the systems it has.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::cluster::ClusterNode;
use clusterlab::cluster::app_server::SessionConfig;
use clusterlab::cluster::balancer::BalancerConfig;
use clusterlab::cluster::design::Design;
use clusterlab::cluster::gateway::RetryConfig;
use clusterlab::cluster::lb_algorithm::BalancerKind;
use clusterlab::cluster::mycat::ShardRule;
use clusterlab::cluster::rate_limit::Algorithm;
use clusterlab::cluster::replication::ReplicationConfig;
use clusterlab::cluster::topology::{Cluster, SliceOptions};
use clusterlab::cluster::zk_lock::LockClientConfig;
use clusterlab::realconf::{self, Snippet};
use clusterlab::sim::{MS, SEC};

/// One switch value: the snippet it governs, lines it must hold, lines it must not.
struct Case {
    switch: &'static str,
    value: &'static str,
    snippet: &'static str,
    present: &'static [&'static str],
    absent: &'static [&'static str],
}

const fn case(
    switch: &'static str,
    value: &'static str,
    snippet: &'static str,
    present: &'static [&'static str],
    absent: &'static [&'static str],
) -> Case {
    Case { switch, value, snippet, present, absent }
}

/// Switches whose values change no configuration file shown (2PC and the
/// autoscaler are the model's own mechanisms, not a product's settings).
const NO_SNIPPET: [&str; 2] = ["two-phase", "autoscaling"];

const CASES: &[Case] = &[
    case(
        "session-store",
        "memory",
        "sessions",
        &["StandardManager", "<session-timeout>30<"],
        &["DeltaManager", "jvmRoute"],
    ),
    case("session-store", "sticky", "sessions", &["jvmRoute=\"app-1\"", "jvmRoute=\"app-2\""], &["DeltaManager"]),
    case(
        "session-store",
        "replicated",
        "sessions",
        &[
            "org.apache.catalina.ha.session.DeltaManager",
            "McastService",
            "frequency=\"500\"",
            "dropTime=\"3000\"",
            "<distributable/>",
        ],
        &["StandardManager"],
    ),
    case(
        "session-store",
        "redis",
        "sessions",
        &["spring.session.store-type=redis", "spring.session.timeout=1800s", "spring.data.redis.host=redis"],
        &["jvmRoute"],
    ),
    case(
        "lb-algorithm",
        "round-robin",
        "balancer",
        &["server app-1:8080 max_fails"],
        &["least_conn", "ip_hash", "random", "weight="],
    ),
    case(
        "lb-algorithm",
        "weighted-round-robin",
        "balancer",
        &["server app-1:8080 weight=1 max_fails"],
        &["least_conn;", "ip_hash;", "random"],
    ),
    case("lb-algorithm", "least-conn", "balancer", &["    least_conn;"], &["ip_hash;", "random"]),
    case("lb-algorithm", "ip-hash", "balancer", &["    ip_hash;"], &["least_conn;", "random"]),
    case("lb-algorithm", "random", "balancer", &["    random;"], &["random two", "least_conn;", "ip_hash;"]),
    case("lb-algorithm", "p2c", "balancer", &["    random two least_conn;"], &["ip_hash;", "    random;"]),
    case(
        "balancer-kind",
        "f5",
        "balancer",
        &[
            "tmsh create ltm pool app_pool",
            "load-balancing-mode ratio-member",
            "reselect-tries 0",
            "persist replace-all-with { cookie }",
        ],
        &["upstream app_pool", "ipvsadm"],
    ),
    case(
        "balancer-kind",
        "lvs",
        "balancer",
        &["ipvsadm -A -t 192.0.2.10:80 -s wrr -p 300", "ipvsadm -a -t 192.0.2.10:80 -r 10.0.1.1:8080 -m -w 1"],
        &["upstream app_pool", "tmsh"],
    ),
    case(
        "balancer-kind",
        "nginx",
        "balancer",
        &[
            "upstream app_pool {",
            "proxy_next_upstream error timeout;",
            "max_fails=1 fail_timeout=10s",
            "sticky route $route_cookie;",
            "proxy_read_timeout 60s;",
        ],
        &["ipvsadm", "tmsh", "non_idempotent;"],
    ),
    case("product-cache", "off", "gateway", &["product-cache=off: no cache"], &["EX 300"]),
    case("product-cache", "on", "gateway", &["SET product:<id> <json> EX 300 ", "a stampede"], &["sync = true"]),
    case("product-cache", "single-flight", "gateway", &["EX 300 ", "sync = true"], &["a stampede"]),
    case("cache-ttl", "10s", "gateway", &["EX 10 "], &["EX 300 "]),
    case("cache-ttl", "60s", "gateway", &["EX 60 "], &["EX 300 "]),
    case("cache-ttl", "300s", "gateway", &["EX 300 "], &["EX 60 "]),
    case("cache-ttl", "3600s", "gateway", &["EX 3600 "], &["EX 300 "]),
    case(
        "lock",
        "off",
        "zookeeper",
        &["SELECT units FROM stock", "oversells"],
        &["InterProcessMutex", "lock.acquire()"],
    ),
    case(
        "lock",
        "lock",
        "zookeeper",
        &["new InterProcessMutex(zk, \"/locker\")", "lock.acquire();", "no token, no check"],
        &["fence <= ?", "getParticipantNodes", ", token)"],
    ),
    case(
        "lock",
        "lock-with-fencing",
        "zookeeper",
        &[
            "new InterProcessMutex(zk, \"/locker\")",
            "getParticipantNodes()",
            "stock.write(product, units - qty, token)",
            "AND fence <= ?",
            "StaleTokenException",
        ],
        &["no token, no check"],
    ),
    case(
        "replication",
        "async",
        "mysql",
        &["gtid_mode = ON", "replication=async"],
        &["rpl_semi_sync", "semisync_source.so"],
    ),
    case(
        "replication",
        "semi-sync",
        "mysql",
        &[
            "plugin_load_add = semisync_source.so",
            "rpl_semi_sync_source_enabled = 1",
            "rpl_semi_sync_source_timeout = 10000",
            "rpl_semi_sync_source_wait_point = AFTER_SYNC",
            "rpl_semi_sync_replica_enabled = 1",
            "rpl_semi_sync_master_enabled=1",
            "rpl_semi_sync_master_timeout=10000",
            "rpl_semi_sync_slave_enabled=1",
        ],
        &[],
    ),
    // MyCat's schema.xml guide: switchType -1 never switches, 1 switches automatically
    // (the default), 2 switches only when `show slave status` says the replica is in sync.
    // (Quoted e.g. at https://blog.csdn.net/haoranhaoshi/article/details/110186216.)
    case("switch-type", "never", "mycat", &["switchType=\"-1\""], &["switchType=\"1\"", "switchType=\"2\""]),
    case("switch-type", "automatic", "mycat", &["switchType=\"1\""], &["switchType=\"-1\"", "switchType=\"2\""]),
    case(
        "switch-type",
        "when-in-sync",
        "mycat",
        &["switchType=\"2\"", "<heartbeat>show slave status</heartbeat>"],
        &["switchType=\"1\""],
    ),
    case("rate-limit", "off", "gateway", &["rate-limit=off: no RequestRateLimiter"], &["- name: RequestRateLimiter"]),
    case(
        "rate-limit",
        "token-bucket",
        "gateway",
        &[
            "- name: RequestRateLimiter",
            "redis-rate-limiter.replenishRate: 200",
            "redis-rate-limiter.burstCapacity: 400",
        ],
        &["slidingWindowRateLimiter"],
    ),
    case(
        "rate-limit",
        "sliding-window",
        "gateway",
        &["- name: RequestRateLimiter", "#{@slidingWindowRateLimiter}", "200 requests per 1 s"],
        &["replenishRate"],
    ),
];

fn full_cluster() -> Cluster {
    Cluster::full(&SliceOptions::default())
}

fn find<'a>(snippets: &'a [Snippet], id: &str) -> &'a Snippet {
    snippets.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no `{id}` snippet"))
}

fn check_case(cluster: &Cluster, c: &Case) -> Vec<String> {
    let design = Design::default().with(c.switch, c.value).unwrap_or_else(|e| panic!("{e}"));
    let snippets = realconf::generate(&design, cluster);
    let snippet = find(&snippets, c.snippet);
    let at = format!("{}={} ({})", c.switch, c.value, c.snippet);
    let mut problems = Vec::new();
    let first = snippet.text.lines().next().unwrap_or("");
    if !first.contains("Reflects:") || !first.contains(&format!("{}={}", c.switch, c.value)) {
        problems.push(format!("{at}: the first line does not name the switch: {first}"));
    }
    for line in c.present {
        if !snippet.text.contains(line) {
            problems.push(format!("{at}: missing `{line}`"));
        }
    }
    for line in c.absent {
        if snippet.text.contains(line) {
            problems.push(format!("{at}: should not hold `{line}`"));
        }
    }
    problems
}

#[test]
fn every_switch_value_changes_its_snippet_as_the_switch_says() {
    let cluster = full_cluster();
    let problems: Vec<String> = CASES.iter().flat_map(|c| check_case(&cluster, c)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_table_covers_every_switch_and_value_of_the_model() {
    for switch in Design::SWITCHES {
        if NO_SNIPPET.contains(&switch) {
            continue;
        }
        for value in Design::values(switch).unwrap() {
            assert!(CASES.iter().any(|c| c.switch == switch && c.value == value), "no case for {switch}={value}");
        }
    }
}

#[test]
fn two_phase_and_autoscaling_change_no_snippet() {
    let cluster = full_cluster();
    let base = realconf::generate(&Design::default(), &cluster);
    for switch in NO_SNIPPET {
        for value in Design::values(switch).unwrap() {
            let design = Design::default().with(switch, value).unwrap();
            assert_eq!(realconf::generate(&design, &cluster), base, "{switch}={value} changed a snippet");
        }
    }
}

#[test]
fn every_snippet_opens_with_the_switches_it_reflects_and_ids_are_unique() {
    let cluster = full_cluster();
    let snippets = realconf::generate(&Design::default(), &cluster);
    let ids: Vec<&str> = snippets.iter().map(|s| s.id).collect();
    assert_eq!(ids, ["balancer", "keepalived", "sessions", "mycat", "mysql", "zookeeper", "gateway"]);
    for s in &snippets {
        let first = s.text.lines().next().unwrap_or("");
        assert!(first.contains("Reflects: "), "{}: {first}", s.id);
        assert!(!s.title.is_empty() && !s.language.is_empty());
    }
    assert_eq!(snippets, realconf::generate(&Design::default(), &cluster), "generation is deterministic");
}

#[test]
fn balancer_values_are_the_model_configs() {
    let cluster = full_cluster();
    for (kind, value) in [(BalancerKind::Nginx, "nginx"), (BalancerKind::Lvs, "lvs"), (BalancerKind::F5, "f5")] {
        let config = BalancerConfig::for_kind(kind);
        let design = Design::default().with("balancer-kind", value).unwrap();
        let text = find(&realconf::generate(&design, &cluster), "balancer").text.clone();
        let expected = match kind {
            BalancerKind::Nginx => vec![
                format!("max_fails={} fail_timeout={}s", config.max_fails, config.fail_timeout_us / SEC),
                format!("proxy_read_timeout {}s;", config.proxy_timeout_us / SEC),
            ],
            BalancerKind::Lvs => vec![format!("-p {}", config.persistence_timeout_us / SEC)],
            BalancerKind::F5 => {
                let check = config.active_check.unwrap();
                let interval = check.interval_us / SEC;
                vec![format!("interval {interval} timeout {}", u64::from(check.fall) * interval + 1)]
            }
        };
        for line in expected {
            assert!(text.contains(&line), "{value}: missing `{line}`:\n{text}");
        }
    }
}

#[test]
fn keepalived_values_are_each_routers_config() {
    let cluster = full_cluster();
    let text = find(&realconf::generate(&Design::default(), &cluster), "keepalived").text.clone();
    for name in ["lb-south-1", "lb-south-2", "lb-central-1", "lb-central-2"] {
        let id = cluster.sim.id_of(name).unwrap();
        let ClusterNode::KeepalivedLb(host) = cluster.sim.node(id) else { panic!("{name} is not a keepalived host") };
        let config = &host.router.config;
        let section = text.split("# ---- ").find(|s| s.starts_with(name)).unwrap_or_else(|| panic!("no {name}"));
        for line in [
            format!("virtual_router_id {}", config.vrid),
            format!("priority {}", config.priority),
            format!("advert_int {}", config.advert_int_us / SEC),
            format!("garp_master_delay {}", config.garp_master_delay_us / SEC),
        ] {
            assert!(section.contains(&line), "{name}: missing `{line}`:\n{section}");
        }
        assert!(section.contains("state MASTER") == name.ends_with("-1"), "{name}: state");
        assert!(section.contains("track_script") && section.contains("chk_nginx"), "{name}: track script");
    }
    assert!(
        text.contains("# vip-south\n        192.0.2.10/24") && text.contains("# vip-central\n        192.0.2.11/24")
    );
    assert!(text.contains("weight -20") && !text.contains("weight -0"), "the track script drops below the backup");
}

#[test]
fn storage_coordination_and_gateway_values_are_the_model_configs() {
    let cluster = full_cluster();
    let semi = Design::default().with("replication", "semi-sync").unwrap();
    let snippets = realconf::generate(&semi, &cluster);
    let timeout_ms = ReplicationConfig::default().semi_sync_timeout_us / MS;
    assert!(find(&snippets, "mysql").text.contains(&format!("rpl_semi_sync_source_timeout = {timeout_ms}")));
    let lock = LockClientConfig::default();
    assert!(
        find(&snippets, "zookeeper").text.contains(&format!(".sessionTimeoutMs({})", lock.session_timeout_us / MS))
    );
    let sessions = SessionConfig::default();
    let replicated = Design::default().with("session-store", "replicated").unwrap();
    let text = find(&realconf::generate(&replicated, &cluster), "sessions").text.clone();
    assert!(text.contains(&format!("frequency=\"{}\"", sessions.membership_frequency_us / MS)));
    assert!(text.contains(&format!("dropTime=\"{}\"", sessions.member_drop_us / MS)));
    let mycat_text = &find(&snippets, "mycat").text;
    let mycat = cluster.sim.node(cluster.sim.id_of("mycat").unwrap());
    let ClusterNode::Mycat(mycat) = mycat else { panic!("mycat") };
    let ShardRule::Range(ranges) = &mycat.config.rule else { panic!("the shop's rule is a range rule") };
    for r in ranges {
        assert!(mycat_text.contains(&format!("\n{}-{}={}\n", r.lo, r.hi, r.shard)), "range {r:?}");
    }
    assert!(mycat_text.contains("1-500=0") && mycat_text.contains("501-1000=1"));
    let gateway = cluster.sim.node(cluster.sim.id_of("gateway").unwrap());
    let ClusterNode::Gateway(g) = gateway else { panic!("gateway") };
    let Some(Algorithm::TokenBucket(bucket)) = g.gateway.config.rate_limit.map(|r| r.algorithm) else { panic!() };
    let gw = &find(&snippets, "gateway").text;
    assert!(gw.contains(&format!("replenishRate: {}", bucket.replenish_per_s)));
    assert!(gw.contains(&format!("burstCapacity: {}", bucket.burst_capacity)));
    assert!(gw.contains(&format!("retries: {}", RetryConfig::default().retries)) && gw.contains("methods: GET\n"));
}

#[test]
fn the_slice_gets_only_the_snippets_of_the_systems_it_has() {
    let slice = Cluster::slice(&SliceOptions::default());
    let ids: Vec<&str> = realconf::generate(&Design::default(), &slice).iter().map(|s| s.id).collect();
    assert_eq!(ids, ["balancer", "sessions"]);
    let redis = Design::default().with("session-store", "redis").unwrap();
    let options = SliceOptions { design: redis, ..SliceOptions::default() };
    let snippets = realconf::generate(&redis, &Cluster::slice(&options));
    let text = &find(&snippets, "sessions").text;
    assert!(
        text.contains("spring.data.redis.sentinel.nodes=sentinel-1:26379,sentinel-2:26379,sentinel-3:26379"),
        "{text}"
    );
}
