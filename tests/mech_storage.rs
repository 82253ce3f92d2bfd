//! The storage mechanisms through the kernel: MyCat's sharding rules and routing, read/write
//! splitting by `slaveThreshold`, heartbeats and write-host switches (`switchType` −1/1/2,
//! `maxRetryCount` × 10 s), MySQL async and semi-sync replication (lag, stale reads, the
//! 10 000 ms fallback and the return), failover with and without acknowledged-write loss, the
//! old source discarding what it alone had, split brain without fencing; Redis persistence
//! (AOF everysec, RDB save rules), session TTLs, `min-replicas-to-write`, and a Sentinel
//! failover that loses unreplicated writes.
//!
//! Tests are tables of cases checked by one function each; every case names itself in its
//! assertion messages. Times are exact: links have a fixed 1 ms latency.
#![cfg(not(target_arch = "wasm32"))]

#[macro_use]
#[path = "support/wire.rs"]
mod wire;

use clusterlab::cluster::mycat::{
    Balance, HostUse, MurmurRing, Mycat, MycatConfig, MycatMsg, QueryFailure, ShardRule, Sql, SwitchType,
};
use clusterlab::cluster::redis::{
    AppendFsync, RedisConfig, RedisError, RedisMsg, RedisReply, RedisRole, RedisServer, SESSION_TTL_MS, SaveRule,
    Sentinel, SentinelConfig, check_no_acked_write_lost as redis_check_no_acked_write_lost,
};
use clusterlab::cluster::replication::{
    MysqlMsg, MysqlNode, ReplicationConfig, Role, SyncMode, check_no_acked_write_lost, check_single_writer,
};
use clusterlab::sim::{Ctx, Fault, LinkProfile, MS, NodeId, SEC, Sim, TimeUs, TimerKey};

// ---- the test world ---------------------------------------------------------

test_wire!(My(MysqlMsg), Cat(MycatMsg), Redis(RedisMsg));

#[path = "support/storage_world.rs"]
mod storage_world;
use storage_world::Driver;

/// Sends `script` (absolute times) and notes every answer with its arrival time.
#[derive(Clone, Debug, Default)]
struct Client {
    script: Vec<(TimeUs, NodeId, Wire)>,
    got: Vec<(TimeUs, Wire)>,
}

type World = storage_world::World<Client>;

impl Driver for Client {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Wire>) {
        for (i, &(at, _, _)) in self.script.iter().enumerate() {
            ctx.set_timer(i as TimerKey, at.saturating_sub(ctx.now_us));
        }
    }

    fn on_answer(&mut self, ctx: &mut Ctx<'_, Wire>, msg: Wire) {
        self.got.push((ctx.now_us, msg));
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Wire>, key: TimerKey) {
        let (_, to, msg) = self.script[key as usize];
        ctx.send(to, msg);
    }
}

const LATENCY_US: TimeUs = MS;
const BUDGET: u64 = 5_000_000;

fn client(sim: &Sim<World>) -> &Client {
    match sim.node(CLIENT) {
        World::Driver(c) => c,
        _ => unreachable!("node 0 is the client"),
    }
}
fn my(sim: &Sim<World>, id: NodeId) -> &MysqlNode {
    match sim.node(id) {
        World::My(n) => n,
        other => panic!("{id:?} is not a MySQL node: {other:?}"),
    }
}
fn cat(sim: &Sim<World>) -> &Mycat {
    match sim.node(CAT) {
        World::Cat(n) => n,
        other => panic!("not MyCat: {other:?}"),
    }
}
fn redis(sim: &Sim<World>, id: NodeId) -> &RedisServer {
    match sim.node(id) {
        World::Redis(n) => n,
        other => panic!("{id:?} is not Redis: {other:?}"),
    }
}

/// Answers the client got, with their arrival times.
fn answers(sim: &Sim<World>) -> &[(TimeUs, Wire)] {
    &client(sim).got
}

// ---- the MySQL + MyCat world: client, two shards (source + replica each), MyCat ----------

const CLIENT: NodeId = NodeId(0);
const M1: NodeId = NodeId(1);
const R1: NodeId = NodeId(2);
const M2: NodeId = NodeId(3);
const R2: NodeId = NodeId(4);
const CAT: NodeId = NodeId(5);

struct DbSetup {
    repl: ReplicationConfig,
    replica_apply_us: TimeUs,
    mycat: MycatConfig,
    script: Vec<(TimeUs, NodeId, Wire)>,
    faults: Vec<(TimeUs, Fault)>,
}

impl DbSetup {
    fn new(script: Vec<(TimeUs, NodeId, Wire)>) -> Self {
        Self {
            repl: ReplicationConfig::default(),
            replica_apply_us: ReplicationConfig::default().apply_us,
            mycat: MycatConfig::default(),
            script,
            faults: Vec::new(),
        }
    }

    fn build(self) -> Sim<World> {
        let mut sim = Sim::new(7, LinkProfile::fixed(LATENCY_US));
        sim.add_node("client", World::Driver(Client { script: self.script, got: Vec::new() }));
        let replica_cfg = ReplicationConfig { apply_us: self.replica_apply_us, ..self.repl };
        for shard in 1..=2 {
            let source = sim.add_node(format!("m{shard}"), World::My(MysqlNode::source(self.repl)));
            sim.add_node(format!("r{shard}"), World::My(MysqlNode::replica(replica_cfg, source)));
        }
        sim.add_node("mycat", World::Cat(Mycat::new(self.mycat, vec![vec![M1, R1], vec![M2, R2]])));
        for (at, fault) in self.faults {
            sim.schedule_fault(at, fault);
        }
        sim
    }
}

fn sql(at: TimeUs, id: u32, sql: Sql) -> (TimeUs, NodeId, Wire) {
    (at, CAT, Wire::Cat(MycatMsg::Query { id, sql }))
}
fn direct(at: TimeUs, to: NodeId, msg: MysqlMsg) -> (TimeUs, NodeId, Wire) {
    (at, to, Wire::My(msg))
}

// ---- wire sizes ---------------------------------------------------------------------

#[test]
fn messages_are_small() {
    let sizes =
        [("MysqlMsg", size_of::<MysqlMsg>()), ("MycatMsg", size_of::<MycatMsg>()), ("RedisMsg", size_of::<RedisMsg>())];
    for (name, size) in sizes {
        assert!(size <= 32, "{name} is {size} bytes (limit 32)");
    }
}

#[test]
fn defaults_are_the_real_systems_defaults() {
    let repl = ReplicationConfig::default();
    let cat = MycatConfig::default();
    let redis = RedisConfig::default();
    let sentinel = SentinelConfig::default();
    let rdb_rules = vec![
        SaveRule { after_us: 3600 * SEC, changes: 1 },
        SaveRule { after_us: 300 * SEC, changes: 100 },
        SaveRule { after_us: 60 * SEC, changes: 10_000 },
    ];
    // (parameter, ours, the real default)
    let cases: [(&str, String, String); 18] = [
        ("MySQL replication mode", format!("{:?}", repl.mode), "Async".into()),
        ("rpl_semi_sync_source_timeout", repl.semi_sync_timeout_us.to_string(), (10_000 * MS).to_string()),
        ("rpl_semi_sync_source_wait_for_replica_count", repl.semi_sync_wait_count.to_string(), "1".into()),
        ("replica_net_timeout", repl.net_timeout_us.to_string(), (60 * SEC).to_string()),
        ("SOURCE_HEARTBEAT_PERIOD", repl.heartbeat_period_us.to_string(), (30 * SEC).to_string()),
        ("MyCat dataNodeHeartbeatPeriod", cat.heartbeat_period_us.to_string(), (10 * SEC).to_string()),
        ("MyCat heartbeat timeout", cat.heartbeat_timeout_us.to_string(), (30 * SEC).to_string()),
        ("MyCat maxRetryCount", cat.max_retry_count.to_string(), "3".into()),
        ("MyCat switchType", format!("{:?}", cat.switch_type), "Automatic".into()),
        ("MyCat balance", format!("{:?}", cat.balance), "None".into()),
        ("MyCat slaveThreshold (s)", cat.slave_threshold_s.to_string(), "100".into()),
        ("Redis save rules", format!("{:?}", redis.save_rules), format!("{rdb_rules:?}")),
        (
            "Redis appendonly / appendfsync",
            format!("{} {:?}", redis.appendonly, redis.appendfsync),
            "false EverySec".into(),
        ),
        (
            "Redis min-replicas-to-write / max-lag",
            format!("{} {}", redis.min_replicas_to_write, redis.min_replicas_max_lag_us),
            format!("0 {}", 10 * SEC),
        ),
        ("Sentinel down-after-milliseconds", sentinel.down_after_us.to_string(), (30 * SEC).to_string()),
        ("Sentinel failover-timeout", sentinel.failover_timeout_us.to_string(), (180 * SEC).to_string()),
        ("Sentinel quorum", sentinel.quorum.to_string(), "2".into()),
        ("Spring Session timeout (ms)", SESSION_TTL_MS.to_string(), "1800000".into()),
    ];
    for (parameter, ours, real) in cases {
        assert_eq!(ours, real, "{parameter}");
    }
}

// ---- sharding rules -------------------------------------------------------------------

#[test]
fn sharding_rules_place_ids_as_mycat_does() {
    let range = ShardRule::shop_range();
    let by_long = ShardRule::partition_by_long(2, 512).expect("2 × 512 = 1024");
    // (rule name, rule, id, expected shard: 0 = dn1)
    let cases: [(&str, &ShardRule, u32, Option<u16>); 14] = [
        ("range 100", &range, 100, Some(0)),
        ("range 500 (last of dn1)", &range, 500, Some(0)),
        ("range 501 (first of dn2)", &range, 501, Some(1)),
        ("range 1000", &range, 1000, Some(1)),
        ("range 1001 (outside)", &range, 1001, None),
        ("range 0 (outside)", &range, 0, None),
        ("mod-long 7 mod 2", &ShardRule::ModLong { count: 2 }, 7, Some(1)),
        ("mod-long 8 mod 2", &ShardRule::ModLong { count: 2 }, 8, Some(0)),
        ("mod-long 10 mod 3", &ShardRule::ModLong { count: 3 }, 10, Some(1)),
        ("by-long 511", &by_long, 511, Some(0)),
        ("by-long 512", &by_long, 512, Some(1)),
        ("by-long 1023", &by_long, 1023, Some(1)),
        ("by-long 1024 wraps to slot 0", &by_long, 1024, Some(0)),
        ("by-long 1535 = slot 511", &by_long, 1535, Some(0)),
    ];
    for (name, rule, id, expected) in cases {
        assert_eq!(rule.shard_of(id), expected, "{name}");
    }
    assert!(ShardRule::partition_by_long(3, 300).is_err(), "3 × 300 ≠ 1024 must be refused");
}

#[test]
fn murmur_ring_is_deterministic_balanced_and_consistent() {
    let two = ShardRule::murmur(2);
    let again = ShardRule::murmur(2);
    let three = MurmurRing::new(3, 160, 0);
    let ids = 1..=10_000u32;
    let mut per_shard = [0u32; 2];
    let mut moved = 0;
    for id in ids.clone() {
        let shard = two.shard_of(id).expect("a ring always answers");
        assert_eq!(again.shard_of(id), Some(shard), "id {id}: same ring, same shard");
        per_shard[usize::from(shard)] += 1;
        let after = three.shard_of(id).expect("a ring always answers");
        if after != shard {
            // Consistent hashing: adding a node only moves keys onto the new node.
            assert_eq!(after, 2, "id {id} moved from shard {shard} to {after}, not to the new shard");
            moved += 1;
        }
    }
    // 160 virtual buckets per node keep the split near even.
    for (shard, &n) in per_shard.iter().enumerate() {
        assert!((4_000..=6_000).contains(&n), "shard {shard} got {n} of 10 000 ids");
    }
    // About a third of the keys move to the third node, not all of them.
    assert!((2_000..=4_700).contains(&moved), "{moved} of 10 000 ids moved");
}

// ---- MyCat routing ---------------------------------------------------------------------

/// (query id, statement, shards it must touch, rows or failure)
type RouteCase = (u32, Sql, &'static [u16], Result<u32, QueryFailure>);

#[test]
fn mycat_routes_by_shard_key_and_fans_out_without_it() {
    // Rows 1, 2, 3 go to dn1 and 600, 700 to dn2; then reads with and without the key.
    let mut script = vec![
        sql(SEC, 1, Sql::Update { key: 1, value: 10 }),
        sql(SEC, 2, Sql::Update { key: 2, value: 20 }),
        sql(SEC, 3, Sql::Update { key: 3, value: 30 }),
        sql(SEC, 4, Sql::Update { key: 600, value: 60 }),
        sql(SEC, 5, Sql::Update { key: 700, value: 70 }),
    ];
    // (query id, statement, expected shards touched, expected outcome)
    let cases: [RouteCase; 5] = [
        (10, Sql::Select { key: 2 }, &[0], Ok(1)),
        (11, Sql::Select { key: 700 }, &[1], Ok(1)),
        (12, Sql::CountAll, &[0, 1], Ok(5)),
        (13, Sql::Select { key: 1001 }, &[], Err(QueryFailure::NoShardForKey)),
        (14, Sql::Update { key: 0, value: 1 }, &[], Err(QueryFailure::NoShardForKey)),
    ];
    script.extend(cases.iter().map(|&(id, statement, _, _)| sql(2 * SEC, id, statement)));
    let mut sim = DbSetup::new(script).build();
    sim.run_until(3 * SEC, BUDGET);
    for (id, statement, shards, expected) in cases {
        let route = cat(&sim).routes.iter().find(|r| r.query == id).expect("every query is recorded");
        let touched: Vec<u16> = route.targets.iter().map(|t| t.shard).collect();
        assert_eq!(touched, shards, "query {id} {statement:?}: shards touched");
        assert_eq!(route.had_key, statement.shard_key().is_some(), "query {id}: had key");
        let got = answers(&sim).iter().find_map(|&(_, w)| match w {
            Wire::Cat(MycatMsg::Done { id: i, result }) if i == id => Some(Ok(result.rows)),
            Wire::Cat(MycatMsg::Failed { id: i, reason }) if i == id => Some(Err(reason)),
            _ => None,
        });
        assert_eq!(got, Some(expected), "query {id} {statement:?}: answer");
    }
    let read = answers(&sim).iter().find_map(|&(_, w)| match w {
        Wire::Cat(MycatMsg::Done { id: 11, result }) => Some(result.row.value),
        _ => None,
    });
    assert_eq!(read, Some(70), "row 700 holds what was written through MyCat");
}

#[test]
fn reads_go_to_a_replica_only_while_it_lags_less_than_slave_threshold() {
    // Heartbeats at 0, 10, 20 s. Writes leave at 10.5 s and commit at 10.502 s; each takes the
    // replica's SQL thread 3 s, so the 20 s heartbeat (at the replica 20.001 s) reports
    // Seconds_Behind_Source = 9.499 s, truncated to 9 as MySQL does. Read at 21 s, when the
    // replica is 10.498 s behind: MyCat's picture is a heartbeat old, so with a 10 s
    // threshold the read is staler than the threshold (invariant 5 breaks).
    // (name, balance, writes, slaveThreshold in s, where the read goes, staler than threshold)
    let cases = [
        ("in sync, threshold 5 s", Balance::ReadHosts, 0, 5, HostUse::ReadHost, false),
        ("9 s behind, threshold 100 s", Balance::ReadHosts, 10, 100, HostUse::ReadHost, false),
        ("9 s behind, threshold 5 s", Balance::ReadHosts, 10, 5, HostUse::WriteHost, false),
        ("9 s behind, threshold 10 s", Balance::ReadHosts, 10, 10, HostUse::ReadHost, true),
        ("9 s behind, threshold 9 s", Balance::ReadHosts, 10, 9, HostUse::WriteHost, false),
        ("balance 0: no splitting", Balance::None, 0, 100, HostUse::WriteHost, false),
    ];
    for (name, balance, writes, threshold_s, expected, too_stale) in cases {
        let mut script: Vec<_> =
            (0..writes).map(|i| sql(10_500 * MS, 100 + i, Sql::Update { key: 7, value: i as i32 })).collect();
        script.push(sql(21 * SEC, 1, Sql::Select { key: 7 }));
        let mut setup = DbSetup::new(script);
        setup.replica_apply_us = 3 * SEC;
        setup.mycat.balance = balance;
        setup.mycat.slave_threshold_s = threshold_s;
        let mut sim = setup.build();
        sim.run_until(22 * SEC, BUDGET);
        let reported = cat(&sim).data_hosts[0].health[1].reported.and_then(|s| s.seconds_behind_source);
        assert_eq!(reported, Some(if writes > 0 { 9 } else { 0 }), "{name}: lag MyCat saw at 20 s");
        let route = cat(&sim).routes.iter().find(|r| r.query == 1).expect("the read is recorded");
        assert_eq!(route.targets[0].used_as, expected, "{name}");
        let host = if expected == HostUse::ReadHost { R1 } else { M1 };
        assert_eq!(route.targets[0].host, host, "{name}: host");
        let staleness = my(&sim, R1).read_staleness;
        assert_eq!(staleness.reads, u64::from(expected == HostUse::ReadHost), "{name}: reads the replica served");
        assert_eq!(staleness.worst_lag_us > u64::from(threshold_s) * SEC, too_stale, "{name}: {staleness:?}");
    }
}

// ---- MySQL replication ---------------------------------------------------------------------

fn write_ok_at(sim: &Sim<World>, req: u32) -> Option<TimeUs> {
    answers(sim).iter().find_map(|&(at, w)| match w {
        Wire::My(MysqlMsg::WriteOk { req: r, .. }) if r == req => Some(at),
        _ => None,
    })
}

#[test]
fn async_replication_lag_gives_stale_reads_on_the_replica() {
    // The write reaches m1 at 1.001 s and is acked at 1.0025 s; the event reaches r1 at
    // 1.0025 s and its SQL thread (5 ms a transaction) applies it at 1.0075 s.
    let mut setup = DbSetup::new(vec![
        direct(SEC, M1, MysqlMsg::Write { req: 1, key: 7, value: 42 }),
        direct(1_003 * MS, R1, MysqlMsg::Read { req: 2, key: 7 }),
        direct(1_003 * MS, M1, MysqlMsg::Read { req: 3, key: 7 }),
        direct(1_020 * MS, R1, MysqlMsg::Read { req: 4, key: 7 }),
    ]);
    setup.replica_apply_us = 5 * MS;
    let mut sim = setup.build();
    sim.run_until(1_004 * MS, BUDGET);
    let r1 = my(&sim, R1);
    assert_eq!((r1.binlog_len(), r1.applied_pos, r1.lag_txns()), (1, 0, 1), "received, not applied: 1 txn behind");
    assert_eq!(r1.lag_us(sim.now_us()), Some(3 * MS), "lag = now − origin commit time (1.001 s)");
    assert_eq!(r1.seconds_behind_source(sim.now_us()), Some(0), "Seconds_Behind_Source truncates 3 ms to 0");
    sim.run_until(2 * SEC, BUDGET);
    assert_eq!(write_ok_at(&sim, 1), Some(1_002_500), "async: acked after the local commit only");
    // (read request, what it saw: version 0 = the write not yet visible)
    let cases =
        [(2, "replica right after the ack: stale", 0), (3, "the source: read-your-writes", 1), (4, "replica later", 1)];
    for (req, name, version) in cases {
        let seen = answers(&sim).iter().find_map(|&(_, w)| match w {
            Wire::My(MysqlMsg::ReadOk { req: r, row, .. }) if r == req => Some(row.version),
            _ => None,
        });
        assert_eq!(seen, Some(version), "{name}");
    }
}

#[test]
fn semi_sync_waits_for_an_ack_and_falls_back_after_exactly_10000_ms() {
    // Write sent at 1 s, reaches m1 at 1.001 s. Async answers after the 0.5 ms commit
    // (1.0025 s at the client); semi-sync after r1's ack (event 1.0025, ack back 1.0035,
    // answer 1.0045 s); with replication cut, after rpl_semi_sync_source_timeout:
    // 1.001 + 10.000 s, answer at 11.002 s.
    // (name, mode, replication cut at 0.5 s, answer time, fallbacks)
    let cases = [
        ("async", SyncMode::Async, false, 1_002_500, 0),
        ("semi-sync, replica connected", SyncMode::SemiSync, false, 1_004_500, 0),
        ("semi-sync, no replica reachable", SyncMode::SemiSync, true, 11_002_000, 1),
    ];
    for (name, mode, cut, answer_at, fallbacks) in cases {
        let mut setup = DbSetup::new(vec![direct(SEC, M1, MysqlMsg::Write { req: 1, key: 7, value: 1 })]);
        setup.repl.mode = mode;
        if cut {
            setup.faults.push((500 * MS, Fault::Cut { from: M1, to: R1, both_ways: true }));
        }
        let mut sim = setup.build();
        sim.run_until(11_001 * MS - 1, BUDGET);
        let waiting = if cut { 1 } else { 0 };
        assert_eq!(my(&sim, M1).waiting_commits(), waiting, "{name}: commits still waiting just before 10 s");
        sim.run_until(12 * SEC, BUDGET);
        assert_eq!(write_ok_at(&sim, 1), Some(answer_at), "{name}: when the client hears 'committed'");
        assert_eq!(my(&sim, M1).semi_sync_fallbacks, fallbacks, "{name}: fallbacks to async");
    }
}

#[test]
fn semi_sync_switches_back_on_when_the_replica_catches_up() {
    // Replication cut 0.5–13 s. The 1 s write times out (answer 11.002 s); the 12 s write
    // commits async (12.0025 s). m1's heartbeat at 30 s tells r1 it is behind; r1
    // re-subscribes (30.001), gets both events (30.003), acks position 2 (30.004): semi-sync
    // is back on, and the 31 s write waits for an ack again (31.0045 s).
    let mut setup = DbSetup::new(vec![
        direct(SEC, M1, MysqlMsg::Write { req: 1, key: 7, value: 1 }),
        direct(12 * SEC, M1, MysqlMsg::Write { req: 2, key: 7, value: 2 }),
        direct(31 * SEC, M1, MysqlMsg::Write { req: 3, key: 7, value: 3 }),
    ]);
    setup.repl.mode = SyncMode::SemiSync;
    setup.faults.push((500 * MS, Fault::Cut { from: M1, to: R1, both_ways: true }));
    setup.faults.push((13 * SEC, Fault::Heal { a: M1, b: R1 }));
    let mut sim = setup.build();
    // (time, Rpl_semi_sync_source_status)
    let timeline = [(SEC, true), (11_001 * MS, false), (29 * SEC, false), (30_003_999, false), (30_004 * MS, true)];
    for (at, on) in timeline {
        sim.run_until(at, BUDGET);
        assert_eq!(my(&sim, M1).semi_sync_on, on, "semi-sync status at {at} µs");
    }
    sim.run_until(32 * SEC, BUDGET);
    let answers = [(1, 11_002_000), (2, 12_002_500), (3, 31_004_500)];
    for (req, at) in answers {
        assert_eq!(write_ok_at(&sim, req), Some(at), "write {req}");
    }
    assert_eq!(my(&sim, R1).binlog_len(), 3, "r1 caught up with every transaction");
}

#[test]
fn failover_loses_acknowledged_writes_unless_a_replica_had_them() {
    // Write at 2 s; m1 crashes; an operator promotes r1 one second later.
    // (name, mode, replication cut at 1 s, crash at, client told "committed", no acked write lost)
    let cases = [
        ("async, replica in sync", SyncMode::Async, false, 3 * SEC, true, true),
        ("async, replication cut: acked write lost", SyncMode::Async, true, 3 * SEC, true, false),
        ("semi-sync, replica in sync", SyncMode::SemiSync, false, 3 * SEC, true, true),
        ("semi-sync, cut, crash before the 10 s timeout: never acked", SyncMode::SemiSync, true, 5 * SEC, false, true),
        ("semi-sync, cut, crash after the fallback to async", SyncMode::SemiSync, true, 14 * SEC, true, false),
    ];
    for (name, mode, cut, crash_at, acked, holds) in cases {
        let mut setup = DbSetup::new(vec![
            direct(2 * SEC, M1, MysqlMsg::Write { req: 1, key: 7, value: 70 }),
            direct(crash_at + SEC, R1, MysqlMsg::Promote { epoch: 2 }),
        ]);
        setup.repl.mode = mode;
        if cut {
            setup.faults.push((SEC, Fault::Cut { from: M1, to: R1, both_ways: true }));
        }
        setup.faults.push((crash_at, Fault::Crash { node: M1 }));
        let mut sim = setup.build();
        sim.run_until(crash_at + 2 * SEC, BUDGET);
        assert_eq!(write_ok_at(&sim, 1).is_some(), acked, "{name}: client told committed");
        assert!(my(&sim, R1).is_source(), "{name}: r1 promoted");
        let verdict = check_no_acked_write_lost(&[my(&sim, M1), my(&sim, R1)]);
        assert_eq!(verdict.is_ok(), holds, "{name}: {verdict:?}");
    }
}

// ---- MyCat heartbeat and write-host switch -------------------------------------------------

#[test]
fn write_host_switches_after_max_retry_count_failed_heartbeats() {
    // Heartbeats every 10 s from 0 s; maxRetryCount 3; 1 ms links. A refused heartbeat
    // comes back 2 ms after it left. The lagging replica gets 15 writes at 5 s that its SQL
    // thread applies at 2 s each (drained at 35 s): at the 30 s heartbeat it is 25 s behind.
    let crash = (10_500 * MS, Fault::Crash { node: M1 });
    let cut_mycat = (10_500 * MS, Fault::Cut { from: CAT, to: M1, both_ways: true });
    // (name, switchType, lagging replica, fault, expected switch time)
    let cases = [
        (
            "type 1, crash at 10.5 s: heartbeats fail at 20, 30, 40 s",
            SwitchType::Automatic,
            false,
            crash,
            Some(40_002_000),
        ),
        ("type −1 never switches", SwitchType::Never, false, crash, None),
        ("type 2, replica in sync", SwitchType::WhenInSync, false, crash, Some(40_002_000)),
        ("type 1 ignores replica lag", SwitchType::Automatic, true, crash, Some(40_002_000)),
        (
            "type 2 waits while the replica lags; lag 0 at the 40 s beat",
            SwitchType::WhenInSync,
            true,
            crash,
            Some(50_002_000),
        ),
        (
            "type 1, partition: three 30 s timeouts (50, 80, 110 s)",
            SwitchType::Automatic,
            false,
            cut_mycat,
            Some(110 * SEC),
        ),
    ];
    for (name, switch_type, lagging, fault, expected) in cases {
        let writes = if lagging { 15 } else { 0 };
        let script =
            (0..writes).map(|i| direct(5 * SEC, M1, MysqlMsg::Write { req: i, key: 9, value: i as i32 })).collect();
        let mut setup = DbSetup::new(script);
        setup.mycat.switch_type = switch_type;
        setup.replica_apply_us = if lagging { 2 * SEC } else { 500 };
        setup.faults.push(fault);
        let mut sim = setup.build();
        sim.run_until(130 * SEC, BUDGET);
        let mycat = cat(&sim);
        let switched_at = mycat.switch_log.first().map(|s| s.at_us);
        assert_eq!(switched_at, expected, "{name}: switch time");
        let (writer, epoch) = if expected.is_some() { (R1, 2) } else { (M1, 1) };
        assert_eq!(mycat.data_hosts[0].write_host(), writer, "{name}: write host");
        assert_eq!(mycat.data_hosts[0].epoch(), epoch, "{name}: epoch");
        assert_eq!(my(&sim, R1).is_source(), expected.is_some(), "{name}: r1 promoted");
        assert_eq!(mycat.data_hosts[1].switches, 0, "{name}: dn2 untouched");
    }
}

#[test]
fn old_master_rejoins_as_read_host_and_discards_what_only_it_had() {
    // m1 replicates write 1 (0.5 s), then loses its link to r1 (1 s) and acks writes 2 and 3
    // alone (async). It crashes at 5 s; MyCat switches to r1 at 30.002 s; a write through
    // MyCat at 35 s lands on r1. m1 restarts at 40.5 s with the link healed; at the 50 s
    // heartbeat MyCat tells it to follow r1: it must drop writes 2 and 3.
    let mut setup = DbSetup::new(vec![
        direct(500 * MS, M1, MysqlMsg::Write { req: 1, key: 1, value: 11 }),
        direct(2 * SEC, M1, MysqlMsg::Write { req: 2, key: 2, value: 22 }),
        direct(3 * SEC, M1, MysqlMsg::Write { req: 3, key: 3, value: 33 }),
        sql(35 * SEC, 9, Sql::Update { key: 4, value: 44 }),
        sql(70 * SEC, 10, Sql::Select { key: 4 }),
    ]);
    setup.mycat.balance = Balance::ReadHosts;
    setup.faults = vec![
        (SEC, Fault::Cut { from: M1, to: R1, both_ways: true }),
        (5 * SEC, Fault::Crash { node: M1 }),
        (40_500 * MS, Fault::Heal { a: M1, b: R1 }),
        (40_500 * MS, Fault::Restart { node: M1 }),
    ];
    let mut sim = setup.build();
    sim.run_until(80 * SEC, BUDGET);
    let (m1, r1) = (my(&sim, M1), my(&sim, R1));
    assert_eq!(cat(&sim).switch_log.first().map(|s| s.at_us), Some(30_002_000), "switch after 3 failed beats");
    let read = cat(&sim).routes.iter().find(|r| r.query == 10).map(|r| (r.targets[0].host, r.targets[0].used_as));
    let answer = answers(&sim).iter().find_map(|&(_, w)| match w {
        Wire::Cat(MycatMsg::Done { id: 10, result }) => Some(result.row.value),
        _ => None,
    });
    // (what, observed, expected)
    let checks: [(&str, String, String); 9] = [
        ("m1's role", format!("{:?}", m1.role), format!("{:?}", Role::Replica { source: R1 })),
        ("m1's epoch", m1.epoch.to_string(), "2".into()),
        ("transactions m1 discarded", m1.discarded.to_string(), "2".into()),
        ("of which acknowledged", m1.discarded_acked.to_string(), "2".into()),
        ("m1's binlog equals r1's", (m1.binlog == r1.binlog).to_string(), "true".into()),
        ("m1's rows equal r1's", (m1.rows == r1.rows).to_string(), "true".into()),
        (
            "the 70 s read went to m1 as a read host",
            format!("{read:?}"),
            format!("{:?}", Some((M1, HostUse::ReadHost))),
        ),
        ("and saw the write made on r1", format!("{answer:?}"), "Some(44)".into()),
        (
            "client was told writes 2, 3 committed",
            format!("{:?}", (write_ok_at(&sim, 2).is_some(), write_ok_at(&sim, 3).is_some())),
            "(true, true)".into(),
        ),
    ];
    for (what, observed, expected) in checks {
        assert_eq!(observed, expected, "{what}");
    }
    assert!(check_no_acked_write_lost(&[m1, r1]).is_err(), "async failover lost acknowledged writes");
}

#[test]
fn split_brain_without_fencing_breaks_single_writer() {
    // MyCat loses m1 (but m1 is alive) at 10.5 s and switches to r1 at 110 s. A client that
    // still reaches m1 writes to it at 120 s; nothing stops it. The partition heals at 130 s;
    // at the 140 s heartbeat m1 is told to follow r1 and throws that write away.
    // (name, client writes to the old master at 120 s, single writer holds)
    let cases = [("nobody writes to the old master", false, true), ("a client writes to the old master", true, false)];
    for (name, write, holds) in cases {
        let script =
            if write { vec![direct(120 * SEC, M1, MysqlMsg::Write { req: 1, key: 5, value: 55 })] } else { Vec::new() };
        let mut setup = DbSetup::new(script);
        setup.faults = vec![
            (10_500 * MS, Fault::Cut { from: CAT, to: M1, both_ways: true }),
            (130 * SEC, Fault::Heal { a: CAT, b: M1 }),
        ];
        let mut sim = setup.build();
        sim.run_until(125 * SEC, BUDGET);
        let group = [my(&sim, M1), my(&sim, R1)];
        assert!(group.iter().all(|n| n.is_source()), "{name}: both think they are the source");
        assert_eq!(write_ok_at(&sim, 1).is_some(), write, "{name}: the old master took the write");
        let verdict = check_single_writer(&group);
        assert_eq!(verdict.is_ok(), holds, "{name}: {verdict:?}");
        sim.run_until(150 * SEC, BUDGET);
        let m1 = my(&sim, M1);
        assert_eq!(m1.role, Role::Replica { source: R1 }, "{name}: old master rejoined as a replica");
        assert_eq!(m1.discarded_acked, u64::from(write), "{name}: split-brain writes discarded on rejoin");
    }
}

// ---- Redis ------------------------------------------------------------------------------

const RA: NodeId = NodeId(1);
const RB: NodeId = NodeId(2);
const SENTINELS: [NodeId; 3] = [NodeId(3), NodeId(4), NodeId(5)];

struct RedisSetup {
    master: RedisConfig,
    with_replica: bool,
    with_sentinels: bool,
    script: Vec<(TimeUs, NodeId, Wire)>,
    faults: Vec<(TimeUs, Fault)>,
}

impl RedisSetup {
    fn new(master: RedisConfig, script: Vec<(TimeUs, NodeId, Wire)>) -> Self {
        Self { master, with_replica: false, with_sentinels: false, script, faults: Vec::new() }
    }

    fn build(self) -> Sim<World> {
        let mut sim = Sim::new(11, LinkProfile::fixed(LATENCY_US));
        sim.add_node("client", World::Driver(Client { script: self.script, got: Vec::new() }));
        sim.add_node("redis-a", World::Redis(RedisServer::master(self.master.clone())));
        if self.with_replica {
            sim.add_node("redis-b", World::Redis(RedisServer::replica_of(self.master, RA)));
        }
        if self.with_sentinels {
            for me in SENTINELS {
                let peers = SENTINELS.iter().copied().filter(|&p| p != me).collect();
                let sentinel = Sentinel::new(SentinelConfig::default(), peers, RA, &[RB]);
                sim.add_node(format!("sentinel-{}", me.0 - 2), World::Sentinel(sentinel));
            }
        }
        for (at, fault) in self.faults {
            sim.schedule_fault(at, fault);
        }
        sim
    }
}

fn set(at: TimeUs, req: u32, key: u32, value: i64) -> (TimeUs, NodeId, Wire) {
    (at, RA, Wire::Redis(RedisMsg::Set { req, key, value, ttl_ms: 0 }))
}
fn get(at: TimeUs, req: u32, key: u32) -> (TimeUs, NodeId, Wire) {
    (at, RA, Wire::Redis(RedisMsg::Get { req, key }))
}
fn reply(sim: &Sim<World>, req: u32) -> Option<RedisReply> {
    answers(sim).iter().find_map(|&(_, w)| match w {
        Wire::Redis(RedisMsg::Reply { req: r, reply }) if r == req => Some(reply),
        _ => None,
    })
}

/// Every `SET` of the client's script: (req, key, value).
fn script_writes(sim: &Sim<World>) -> Vec<(u32, u32, i64)> {
    let sets = client(sim).script.iter().filter_map(|&(_, _, w)| match w {
        Wire::Redis(RedisMsg::Set { req, key, value, .. }) => Some((req, key, value)),
        _ => None,
    });
    sets.collect()
}

#[test]
fn aof_everysec_loses_at_most_one_second_of_writes() {
    // SET key 1 to i at 0.05 + 0.1 (i − 1) s, i = 1..60 (arriving 1 ms later). The process
    // dies at 5.55 s: writes 1..55 were acknowledged. Cron runs every 100 ms; everysec
    // fsyncs at 1.0, 2.0 … 5.0 s, so writes 51..55 (arrived 5.051–5.451 s) were not on disk.
    // (name, appendfsync, acknowledged writes lost, value after restart)
    let cases = [
        ("always", AppendFsync::Always, 0, Some(55)),
        ("everysec", AppendFsync::EverySec, 5, Some(50)),
        ("no (the OS flushes every 30 s)", AppendFsync::No, 55, None),
    ];
    for (name, appendfsync, lost, value) in cases {
        let config = RedisConfig { appendonly: true, appendfsync, save_rules: Vec::new(), ..RedisConfig::default() };
        let mut script: Vec<_> = (1..=60).map(|i| set(50 * MS + (i - 1) * 100 * MS, i as u32, 1, i as i64)).collect();
        script.push(get(8 * SEC, 1000, 1));
        let mut setup = RedisSetup::new(config, script);
        setup.faults = vec![(5_550 * MS, Fault::Crash { node: RA }), (7 * SEC, Fault::Restart { node: RA })];
        let mut sim = setup.build();
        sim.run_until(9 * SEC, BUDGET);
        let acked = (1..=60).filter(|&i| reply(&sim, i) == Some(RedisReply::Ok)).count();
        assert_eq!(acked, 55, "{name}: writes acknowledged before the crash");
        assert_eq!(redis(&sim, RA).writes_lost_in_crashes, lost, "{name}: acknowledged writes lost");
        let verdict = redis_check_no_acked_write_lost(&[redis(&sim, RA)]);
        assert_eq!(verdict.is_ok(), lost == 0, "{name}: {verdict:?}");
        let expected = value.map_or(RedisReply::Nil, RedisReply::Int);
        assert_eq!(reply(&sim, 1000), Some(expected), "{name}: value after restart");
        if appendfsync == AppendFsync::EverySec {
            // At 10 writes a second, "at most one second" is at most 10 writes.
            assert!(lost <= 10, "{name}: lost {lost} > one second of writes");
        }
    }
}

#[test]
fn rdb_loses_the_writes_since_the_last_save_rule_fired() {
    // Redis starts at 0 s (lastsave = 0). Cron every 100 ms checks `save 3600 1 300 100
    // 60 10000`; a rule fires at the first tick where changes ≥ N and more than T seconds
    // passed. Then 5 more writes, a crash, a restart from the RDB file.
    // (name, writes, spacing, expected snapshot time, 5 more writes at, crash at, value after)
    let cases = [
        ("150 changes: 300 s rule at 300.1 s", 150, 100 * MS, Some(300_100_000), 310 * SEC, 320 * SEC, Some(150)),
        ("10 000 changes: 60 s rule at 60.1 s", 10_000, MS, Some(60_100_000), 70 * SEC, 80 * SEC, Some(10_000)),
        ("50 changes: only the 3600 s rule could fire", 50, 100 * MS, None, 310 * SEC, 320 * SEC, None),
    ];
    for (name, writes, spacing, saved_at, more_at, crash_at, value) in cases {
        let mut script: Vec<_> = (1..=writes).map(|i| set(SEC + (i - 1) * spacing, i as u32, 1, i as i64)).collect();
        script.extend((0..5).map(|i| set(more_at + i * 100 * MS, 100_000 + i as u32, 1, -1)));
        script.push(get(crash_at + 2 * SEC, 999_999, 1));
        let mut setup = RedisSetup::new(RedisConfig::default(), script);
        setup.faults = vec![(crash_at, Fault::Crash { node: RA }), (crash_at + SEC, Fault::Restart { node: RA })];
        let mut sim = setup.build();
        sim.run_until(crash_at - SEC, BUDGET);
        let taken = redis(&sim, RA).rdb.as_ref().map(|s| s.taken_at_us);
        assert_eq!(taken, saved_at, "{name}: when the snapshot was taken");
        sim.run_until(crash_at + 3 * SEC, BUDGET);
        let lost = if saved_at.is_some() { 5 } else { writes + 5 };
        assert_eq!(redis(&sim, RA).writes_lost_in_crashes, lost, "{name}: writes lost");
        assert_eq!(reply(&sim, 999_999), Some(value.map_or(RedisReply::Nil, RedisReply::Int)), "{name}: value after");
    }
}

#[test]
fn a_session_expires_1800_s_after_its_last_refresh() {
    // SET session PX 1800000 at 1 s (at Redis 1.001 s: expires at 1801.001 s); optionally
    // PEXPIRE again at 1000 s (expires at 2800.001 s), as Spring Session does on access.
    // (name, refreshed at 1000 s, GET sent at, still there)
    let cases = [
        ("1799 s after the SET", false, 1800 * SEC, true),
        ("1800.5 s after the SET", false, 1_801_500 * MS, false),
        ("refreshed: 1000 s after the refresh", true, 2000 * SEC, true),
        ("refreshed: 1800.5 s after the refresh", true, 2_800_500 * MS, false),
    ];
    for (name, refreshed, get_at, present) in cases {
        let mut script =
            vec![(SEC, RA, Wire::Redis(RedisMsg::Set { req: 1, key: 42, value: 7, ttl_ms: SESSION_TTL_MS }))];
        if refreshed {
            script.push((1000 * SEC, RA, Wire::Redis(RedisMsg::Expire { req: 2, key: 42, ttl_ms: SESSION_TTL_MS })));
        }
        script.push(get(get_at, 3, 42));
        let mut sim = RedisSetup::new(RedisConfig::default(), script).build();
        sim.run_until(get_at + SEC, BUDGET);
        let expected = if present { RedisReply::Int(7) } else { RedisReply::Nil };
        assert_eq!(reply(&sim, 3), Some(expected), "{name}");
        assert_eq!(redis(&sim, RA).data.contains_key(&42), present, "{name}: active expiry removed the key");
    }
}

#[test]
fn min_replicas_to_write_refuses_writes_without_an_in_sync_replica() {
    // The replica acks every second; its last ack before the 5.5 s cut arrives at 5.001 s.
    // With min-replicas-to-write 1 / max-lag 10 s, a write is refused once that ack is more
    // than 10 s old; after the heal at 30 s acks resume (31.001 s).
    let writes = [(14 * SEC, 1), (15_500 * MS, 2), (20 * SEC, 3), (32 * SEC, 4)];
    // (name, min-replicas-to-write, expected replies in `writes` order)
    let refused = RedisReply::Error(RedisError::NoReplicas);
    let ok = RedisReply::Ok;
    let cases = [("off (default 0)", 0, [ok, ok, ok, ok]), ("1 replica within 10 s", 1, [ok, refused, refused, ok])];
    for (name, min_replicas, expected) in cases {
        let config = RedisConfig { min_replicas_to_write: min_replicas, ..RedisConfig::default() };
        let script = writes.iter().map(|&(at, req)| set(at, req, 1, i64::from(req))).collect();
        let mut setup = RedisSetup::new(config, script);
        setup.with_replica = true;
        setup.faults = vec![
            (5_500 * MS, Fault::Cut { from: RA, to: RB, both_ways: true }),
            (30 * SEC, Fault::Heal { a: RA, b: RB }),
        ];
        let mut sim = setup.build();
        sim.run_until(35 * SEC, BUDGET);
        for (&(at, req), want) in writes.iter().zip(expected) {
            assert_eq!(reply(&sim, req), Some(want), "{name}: write at {at} µs");
        }
        let refused_count = expected.iter().filter(|&&r| r == refused).count() as u64;
        assert_eq!(redis(&sim, RA).refused_writes, refused_count, "{name}: refused writes counted");
        assert_eq!(redis(&sim, RB).value(1, sim.now_us()), Some(4), "{name}: replica caught up after the heal");
    }
}

#[test]
fn sentinel_failover_loses_writes_the_old_master_took_alone() {
    // At 10 s the master is cut off from its replica and the three sentinels (not from the
    // client). Writes at 12, 13 and 25 s. Sentinels see it down after 30 s of silence, agree
    // (quorum 2), elect a leader and promote the replica. At 60 s the partition heals; the old
    // master is told to replicate from the new one and drops what it took meanwhile.
    // With min-replicas-to-write 1 the 25 s write is refused (last ack ~10 s old > 10 s).
    // (name, min-replicas-to-write, writes discarded at resync, writes refused)
    let cases = [("min-replicas off", 0, 3, 0), ("min-replicas-to-write 1", 1, 2, 1)];
    for (name, min_replicas, discarded, refused) in cases {
        let config = RedisConfig { min_replicas_to_write: min_replicas, ..RedisConfig::default() };
        let script =
            vec![set(5 * SEC, 1, 100, 1), set(12 * SEC, 2, 1, 2), set(13 * SEC, 3, 2, 3), set(25 * SEC, 4, 3, 4)];
        let mut setup = RedisSetup::new(config, script);
        setup.with_replica = true;
        setup.with_sentinels = true;
        for peer in std::iter::once(RB).chain(SENTINELS) {
            setup.faults.push((10 * SEC, Fault::Cut { from: RA, to: peer, both_ways: true }));
            setup.faults.push((60 * SEC, Fault::Heal { a: RA, b: peer }));
        }
        let mut sim = setup.build();
        sim.run_until(40 * SEC, BUDGET);
        assert!(redis(&sim, RB).role != RedisRole::Master, "{name}: no failover before down-after (30 s) expires");
        sim.run_until(45 * SEC, BUDGET);
        assert_eq!(redis(&sim, RB).role, RedisRole::Master, "{name}: replica promoted within 5 s of SDOWN");
        sim.run_until(70 * SEC, BUDGET);
        let (old, new) = (redis(&sim, RA), redis(&sim, RB));
        assert_eq!(old.role, RedisRole::Replica { master: RB }, "{name}: old master demoted");
        // The acknowledged writes neither server holds any more (each key written once).
        let gone = script_writes(&sim)
            .into_iter()
            .filter(|&(req, key, value)| {
                reply(&sim, req) == Some(RedisReply::Ok) && new.value(key, sim.now_us()) != Some(value)
            })
            .count() as u64;
        assert_eq!(gone, discarded, "{name}: acknowledged writes discarded");
        assert!(redis_check_no_acked_write_lost(&[old, new]).is_err(), "{name}: the loss is reported");
        assert_eq!(old.refused_writes, refused, "{name}: writes refused");
        assert_eq!(old.data, new.data, "{name}: old master now holds the new master's data");
        assert_eq!(new.value(100, sim.now_us()), Some(1), "{name}: the write before the partition survived");
        for s in SENTINELS {
            let World::Sentinel(sentinel) = sim.node(s) else { unreachable!() };
            assert_eq!(sentinel.master, RB, "{name}: sentinel {s:?} agrees on the new master");
        }
    }
}

/// A SET to key `i` with value `i` every 500 ms from 0.5 s until `until_us`.
fn steady_writes(until_us: TimeUs) -> Vec<(TimeUs, NodeId, Wire)> {
    (1..)
        .map(|i: u32| (u64::from(i) * 500 * MS, i))
        .take_while(|&(at, _)| at < until_us)
        .map(|(at, i)| set(at, i, i, i64::from(i)))
        .collect()
}

struct LinkCase {
    name: &'static str,
    faults: &'static [(TimeUs, Fault)],
    /// The replica got a full resync after 10 s.
    resynced: bool,
    /// The write sent at this time is on the replica 2 s later.
    write_at_us: TimeUs,
}

const LINK_CASES: &[LinkCase] = &[
    LinkCase {
        name: "the master reboots at 10.3 s: its next REPLCONF ACK is reset, PSYNC gets +FULLRESYNC",
        faults: &[(10_300 * MS, Fault::Restart { node: RA })],
        resynced: true,
        write_at_us: 12 * SEC,
    },
    LinkCase {
        name: "the master is down 10.3–13 s: acks are refused, PSYNC after the restart gets +FULLRESYNC",
        faults: &[(10_300 * MS, Fault::Crash { node: RA }), (13 * SEC, Fault::Restart { node: RA })],
        resynced: true,
        write_at_us: 15 * SEC,
    },
    LinkCase {
        name: "the replica reboots at 10.3 s: it loads its history and offset, PSYNC gets +CONTINUE",
        faults: &[(10_300 * MS, Fault::Restart { node: RB })],
        resynced: false,
        write_at_us: 12 * SEC,
    },
];

#[test]
fn a_replica_notices_its_master_restarted_and_resyncs_from_the_new_process() {
    for case in LINK_CASES {
        let config = RedisConfig { appendonly: true, appendfsync: AppendFsync::Always, ..RedisConfig::default() };
        let mut setup = RedisSetup::new(config, steady_writes(20 * SEC));
        setup.with_replica = true;
        setup.faults = case.faults.to_vec();
        let mut sim = setup.build();
        sim.run_until(case.write_at_us + 2 * SEC, BUDGET);
        let (master, replica) = (redis(&sim, RA), redis(&sim, RB));
        let key = (case.write_at_us / (500 * MS)) as u32;
        let now = sim.now_us();
        assert_eq!(replica.value(key, now), Some(i64::from(key)), "{}: write {key} reached the replica", case.name);
        let resynced = replica.rdb.as_ref().is_some_and(|r| r.taken_at_us > 10 * SEC);
        assert_eq!(resynced, case.resynced, "{}: full resync after 10 s", case.name);
        assert_eq!(replica.replid, master.replid, "{}: the replica follows the master's history", case.name);
        sim.run_until(25 * SEC, BUDGET);
        let (master, replica) = (redis(&sim, RA), redis(&sim, RB));
        assert_eq!((&replica.data, replica.offset), (&master.data, master.offset), "{}: converged", case.name);
        assert!(redis_check_no_acked_write_lost(&[master, replica]).is_ok(), "{}: AOF always loses nothing", case.name);
    }
}

struct RestartLossCase {
    name: &'static str,
    config: RedisConfig,
    with_sentinels: bool,
    faults: Vec<(TimeUs, Fault)>,
    /// The check's verdict just after the master's restart (its replica still holds everything).
    holds_after_restart: bool,
    /// … and at 90 s, after every resync.
    holds_at_end: bool,
}

fn restart_loss_cases() -> Vec<RestartLossCase> {
    let aof_always = RedisConfig { appendonly: true, appendfsync: AppendFsync::Always, ..RedisConfig::default() };
    let everysec = RedisConfig { appendonly: true, ..RedisConfig::default() };
    // The last write (9.5 s) is after everysec's 9 s fsync and before its 10 s one.
    let reboot = vec![(9_800 * MS, Fault::Restart { node: RA })];
    vec![
        RestartLossCase {
            name: "AOF always, the master reboots: the replica resyncs, nothing lost",
            config: aof_always.clone(),
            with_sentinels: false,
            faults: reboot.clone(),
            holds_after_restart: true,
            holds_at_end: true,
        },
        RestartLossCase {
            name: "AOF always + Sentinels: the master is down 10.3–60 s, the replica is promoted, the old master \
                   restarts with a new id and resyncs from it: nothing lost",
            config: aof_always,
            with_sentinels: true,
            faults: vec![(10_300 * MS, Fault::Crash { node: RA }), (60 * SEC, Fault::Restart { node: RA })],
            holds_after_restart: true,
            holds_at_end: true,
        },
        RestartLossCase {
            name: "AOF everysec, the master reboots: the replica still holds its last second until it resyncs",
            config: everysec,
            with_sentinels: false,
            faults: reboot.clone(),
            holds_after_restart: true,
            holds_at_end: false,
        },
        RestartLossCase {
            name: "RDB only (no save yet), the master reboots empty: the replica's resync empties it too",
            config: RedisConfig::default(),
            with_sentinels: false,
            faults: reboot,
            holds_after_restart: true,
            holds_at_end: false,
        },
    ]
}

#[test]
fn acknowledged_writes_are_compared_by_lineage_across_restarts() {
    for case in restart_loss_cases() {
        let mut setup = RedisSetup::new(case.config.clone(), steady_writes(10 * SEC));
        setup.with_replica = true;
        setup.with_sentinels = case.with_sentinels;
        let restart_us = case.faults.iter().rev().find(|(_, f)| matches!(f, Fault::Restart { .. })).expect("restart").0;
        setup.faults = case.faults.clone();
        let mut sim = setup.build();
        sim.run_until(restart_us + 10 * MS, BUDGET);
        let verdict = redis_check_no_acked_write_lost(&[redis(&sim, RA), redis(&sim, RB)]);
        assert_eq!(verdict.is_ok(), case.holds_after_restart, "{}: just after the restart: {verdict:?}", case.name);
        sim.run_until(90 * SEC, BUDGET);
        let (a, b) = (redis(&sim, RA), redis(&sim, RB));
        let verdict = redis_check_no_acked_write_lost(&[a, b]);
        assert_eq!(verdict.is_ok(), case.holds_at_end, "{}: at the end: {verdict:?}", case.name);
        // The test's own oracle agrees: every acknowledged SET is (or is not) still held.
        let now = sim.now_us();
        let all_held = script_writes(&sim).into_iter().all(|(req, key, value)| {
            reply(&sim, req) != Some(RedisReply::Ok)
                || a.value(key, now) == Some(value)
                || b.value(key, now) == Some(value)
        });
        assert_eq!(all_held, case.holds_at_end, "{}: the acknowledged SETs still held", case.name);
    }
}
