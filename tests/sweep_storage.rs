//! Seed sweeps of the storage mechanisms: many seeded random fault schedules against small
//! worlds of MySQL replication behind MyCat, and of Redis with a replica (and Sentinels),
//! checking the replication invariants after every event, FoundationDB/TigerBeetle style.
//!
//! Each design of the table is one small `Sim` (LAN links, 0.2–0.7 ms with jitter and a rare
//! 5 ms tail; the kernel keeps links FIFO) with a writer client (one write every 500 ms). A
//! seed gives the network's draws and, through its own `SimRng` stream, a fault schedule:
//! episodes of crash/restart, pause/resume, slow, isolate/rejoin, one-way and two-way cuts/heal
//! over a 60 s safety phase, striking the servers (MySQL, MyCat, Redis, Sentinels) and any
//! link, the writer's too. Then every fault is repaired (heal all, resume, full speed,
//! restart) and the world runs 60 s more: a write sent after the repair must be acknowledged,
//! and once the writer is quiet the replicas must converge on the write host (same binlog,
//! applied position and rows; same Redis dataset and offset).
//!
//! Invariants are `always` properties on the `Sim`, checked after every event, through the
//! mechanisms' own checks (`check_no_acked_write_lost`, `check_single_writer`, Redis's
//! `check_no_acked_write_lost`) and, for Redis, a data oracle of the test's own (the highest
//! value the client was told is stored, per key, is still held by some server in memory or on
//! disk). `sometimes` witnesses show the interesting case was reached, so passes are not
//! vacuous (a failover, an old source discarding what it alone had, a crashed master back).
//!
//! SAFE designs hold on every one of 1,000 seeds; for each UNSAFE design the sweep finds a
//! violation (seed, event index, reason), and the found seed replays to the same trace hash and
//! the same violation at the same event. Timers are scaled down 10× from the real defaults so
//! that failovers happen inside short phases: MyCat heartbeat 1 s / timeout 3 s /
//! maxRetryCount 3; MySQL source heartbeat 3 s, `replica_net_timeout` and `SOURCE_CONNECT_RETRY`
//! 6 s; Redis `repl-timeout` 6 s and `hz 1`; Sentinel `down-after` 3 s, `failover-timeout` 18 s,
//! election timeout 1 s. `rpl_semi_sync_source_timeout` keeps its real 10 s where the design is
//! "falls back", and is 1 h (never reached) where it is "never falls back".
#![cfg(not(target_arch = "wasm32"))]

#[macro_use]
#[path = "support/wire.rs"]
mod wire;

use clusterlab::cluster::mycat::{HeartbeatStatus, Mycat, MycatConfig, MycatMsg, ShardRule, Sql, SwitchType};
use clusterlab::cluster::redis::{
    AppendFsync, RedisConfig, RedisMsg, RedisReply, RedisRole, RedisServer, Sentinel, SentinelConfig,
    check_no_acked_write_lost as redis_check_no_acked_write_lost,
};
use clusterlab::cluster::replication::{
    MysqlMsg, MysqlNode, ReplicationConfig, Role, SyncMode, check_no_acked_write_lost, check_single_writer,
};
use clusterlab::sim::invariant::{AlwaysCheck, SometimesCheck, Violation};
use clusterlab::sim::{Ctx, Fault, LinkProfile, MS, NodeId, SEC, Sim, SimRng, TimeUs, TimerKey, View};
use std::fmt::Write as _;
use std::sync::OnceLock;

// ---- phases and budgets ---------------------------------------------------------------

/// Faults are injected during the safety phase …
const SAFETY_US: TimeUs = 60 * SEC;
/// … then everything is repaired and the world runs this long more.
const LIVENESS_US: TimeUs = 60 * SEC;
/// The writer stops this long before the end, so replicas can drain.
const QUIET_US: TimeUs = 15 * SEC;
/// A write sent this long after the repair must be acknowledged (liveness).
const SETTLE_US: TimeUs = 20 * SEC;
/// One write every …
const WRITE_PERIOD_US: TimeUs = 500 * MS;
/// Seeds per SAFE design.
const SAFE_SEEDS: u64 = 1_000;
/// Cap on the search for a violation of an UNSAFE design.
const UNSAFE_SEED_CAP: u64 = 1_000;
/// A `sometimes` witness must be reached in at least this share of seeds (per cent).
const MIN_WITNESS_PERCENT: u64 = 5;
/// Event budget per run (a world that never quiesces fails loudly, not slowly).
const BUDGET: u64 = 3_000_000;
/// The schedule's own random stream (nodes use their index, the network u64::MAX).
const SCHEDULE_STREAM: u64 = 0x5EED_FA17;

// ---- the wire and the world ------------------------------------------------------------

test_wire!(My(MysqlMsg), Cat(MycatMsg), Redis(RedisMsg));

#[path = "support/storage_world.rs"]
mod storage_world;
use storage_world::Driver;

/// Where the writer sends its writes.
#[derive(Clone, Debug)]
enum Target {
    /// `UPDATE t SET value = id WHERE id = key` through MyCat.
    Mycat(NodeId),
    /// `SET key id` to the master it believes in; with sentinels, it asks one of them
    /// (`SENTINEL get-master-addr-by-name`) every second, as a Sentinel-aware client does.
    Redis { master: NodeId, sentinels: Vec<NodeId> },
}

/// Write `id` goes to one of 64 keys in shard dn1's range (1..=500); its value is its id, so
/// values only grow per key.
fn key_of(id: u32) -> u32 {
    1 + id % 64
}

const WRITE_TIMER: TimerKey = 0;
const ASK_TIMER: TimerKey = 1;

/// The application: one write every `WRITE_PERIOD_US` until `stop_us`, whether or not earlier
/// ones were answered, noting which were acknowledged and when.
#[derive(Clone, Debug)]
struct Writer {
    target: Target,
    stop_us: TimeUs,
    /// Send time of write `id` (ids from 1; index `id - 1`).
    sent_at: Vec<TimeUs>,
    /// Writes the client was told are committed: (id, when).
    acked: Vec<(u32, TimeUs)>,
    /// Per key (1..=64), the highest value the client was told is stored.
    acked_max: [i64; 65],
    failed: u32,
    asked: u32,
}

impl Writer {
    fn new(target: Target, stop_us: TimeUs) -> Self {
        Self { target, stop_us, sent_at: Vec::new(), acked: Vec::new(), acked_max: [0; 65], failed: 0, asked: 0 }
    }

    /// Did a write sent at or after `from_us` get acknowledged?
    fn acked_one_sent_after(&self, from_us: TimeUs) -> bool {
        self.acked.iter().any(|&(id, _)| self.sent_at[id as usize - 1] >= from_us)
    }

    fn write(&mut self, ctx: &mut Ctx<'_, Wire>) {
        if ctx.now_us >= self.stop_us {
            return;
        }
        self.sent_at.push(ctx.now_us);
        let id = self.sent_at.len() as u32;
        let key = key_of(id);
        match &self.target {
            Target::Mycat(cat) => {
                ctx.send(*cat, Wire::Cat(MycatMsg::Query { id, sql: Sql::Update { key, value: id as i32 } }))
            }
            Target::Redis { master, .. } => {
                ctx.send(*master, Wire::Redis(RedisMsg::Set { req: id, key, value: i64::from(id), ttl_ms: 0 }))
            }
        }
        ctx.set_timer(WRITE_TIMER, WRITE_PERIOD_US);
    }

    fn ask_sentinel(&mut self, ctx: &mut Ctx<'_, Wire>) {
        if let Target::Redis { sentinels, .. } = &self.target
            && !sentinels.is_empty()
        {
            self.asked += 1;
            let sentinel = sentinels[self.asked as usize % sentinels.len()];
            ctx.send(sentinel, Wire::Redis(RedisMsg::GetMaster { req: self.asked }));
            ctx.set_timer(ASK_TIMER, SEC);
        }
    }

    fn on_answer(&mut self, now_us: TimeUs, msg: Wire) {
        match msg {
            Wire::Cat(MycatMsg::Done { id, .. }) | Wire::Redis(RedisMsg::Reply { req: id, reply: RedisReply::Ok }) => {
                self.acked.push((id, now_us));
                let max = &mut self.acked_max[key_of(id) as usize];
                *max = (*max).max(i64::from(id));
            }
            Wire::Cat(MycatMsg::Failed { .. }) | Wire::Redis(RedisMsg::Reply { .. }) => self.failed += 1,
            Wire::Redis(RedisMsg::MasterIs { master, .. }) => {
                if let Target::Redis { master: believed, .. } = &mut self.target {
                    *believed = master;
                }
            }
            _ => {}
        }
    }
}

type World = storage_world::World<Writer>;

impl Driver for Writer {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Wire>) {
        ctx.set_timer(WRITE_TIMER, WRITE_PERIOD_US);
        self.ask_sentinel(ctx);
    }

    fn on_answer(&mut self, ctx: &mut Ctx<'_, Wire>, msg: Wire) {
        Writer::on_answer(self, ctx.now_us, msg);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Wire>, key: TimerKey) {
        if key == WRITE_TIMER { self.write(ctx) } else { self.ask_sentinel(ctx) }
    }
}

// ---- the designs -----------------------------------------------------------------------

/// A MySQL group (source m1, replicas r1 [, r2]) behind MyCat (one data host, dn1).
#[derive(Clone, Copy, Debug)]
struct MysqlSpec {
    mode: SyncMode,
    semi_sync_timeout_us: TimeUs,
    /// `rpl_semi_sync_source_wait_for_replica_count`.
    wait_count: u32,
    replicas: u16,
    switch_type: SwitchType,
}

/// A Redis master (redis-a) with one replica (redis-b), optionally three Sentinels.
#[derive(Clone, Copy, Debug)]
struct RedisSpec {
    appendonly: bool,
    appendfsync: AppendFsync,
    sentinels: bool,
}

#[derive(Clone, Copy, Debug)]
enum Store {
    Mysql(MysqlSpec),
    Redis(RedisSpec),
}

type Always = (&'static str, AlwaysCheck<World>);
type Sometimes = (&'static str, SometimesCheck<World>);

/// One row of the table: a world, whether it is claimed safe, the invariants it is held to
/// (`always`, after every event), the witnesses that show a seed reached the interesting case
/// (`sometimes`), and for an UNSAFE design the invariant the sweep must find broken.
struct Design {
    name: &'static str,
    store: Store,
    safe: bool,
    /// For a SAFE design: what makes it safe. For an UNSAFE one: what breaks it.
    why: &'static str,
    always: &'static [Always],
    sometimes: &'static [Sometimes],
    /// UNSAFE: the name of the `always` property the sweep must find broken.
    breaks: Option<&'static str>,
}

/// A semi-sync timeout no run reaches (MySQL accepts up to 2^32 ms).
const NEVER_US: TimeUs = 3_600 * SEC;
const REAL_SEMI_SYNC_TIMEOUT_US: TimeUs = 10 * SEC;

const ASYNC: MysqlSpec = MysqlSpec {
    mode: SyncMode::Async,
    semi_sync_timeout_us: REAL_SEMI_SYNC_TIMEOUT_US,
    wait_count: 1,
    replicas: 1,
    switch_type: SwitchType::Automatic,
};
const ASYNC_NEVER_SWITCH: MysqlSpec = MysqlSpec { switch_type: SwitchType::Never, ..ASYNC };
const SEMI_SYNC_NO_FALLBACK: MysqlSpec =
    MysqlSpec { mode: SyncMode::SemiSync, semi_sync_timeout_us: NEVER_US, ..ASYNC };
const SEMI_SYNC_FALLBACK: MysqlSpec =
    MysqlSpec { semi_sync_timeout_us: REAL_SEMI_SYNC_TIMEOUT_US, ..SEMI_SYNC_NO_FALLBACK };
const SEMI_SYNC_TWO_REPLICAS_WAIT_ONE: MysqlSpec = MysqlSpec { replicas: 2, ..SEMI_SYNC_NO_FALLBACK };
const SEMI_SYNC_TWO_REPLICAS_WAIT_TWO: MysqlSpec = MysqlSpec { wait_count: 2, ..SEMI_SYNC_TWO_REPLICAS_WAIT_ONE };
const REDIS_AOF_ALWAYS: RedisSpec = RedisSpec { appendonly: true, appendfsync: AppendFsync::Always, sentinels: false };

const NO_ACKED_WRITE_LOST: &str = "mysql-no-acked-write-lost";
const SINGLE_WRITER: &str = "mysql-single-writer";
const REDIS_NO_ACKED_WRITE_LOST: &str = "redis-no-acked-write-lost";
const ACKED_WRITES_SURVIVE: &str = "redis-acked-writes-survive (data oracle)";

const MYSQL_ACKED: Always = (NO_ACKED_WRITE_LOST, mysql_no_acked_write_lost);
const MYSQL_ONE_WRITER: Always = (SINGLE_WRITER, mysql_single_writer);
const REDIS_ACKED: Always = (REDIS_NO_ACKED_WRITE_LOST, redis_no_acked_write_lost);
const REDIS_ORACLE: Always = (ACKED_WRITES_SURVIVE, redis_acked_writes_survive);

const FAILOVER: Sometimes = ("a failover happened (a replica was promoted)", mysql_failover_happened);
const DISCARDED: Sometimes = ("an old source discarded transactions only it had", mysql_discarded);
const WRITE_HOST_DOWN: Sometimes = ("MyCat saw the write host fail its heartbeats", write_host_seen_down);
const WRITES_FAILED: Sometimes = ("the writer saw writes fail", writes_failed);
const MASTER_CRASHED: Sometimes = ("a master crashed after acknowledging writes and came back", redis_master_crashed);
const REPLICA_RESYNCED: Sometimes = ("the replica fully resynced from a restarted master", redis_replica_resynced);
const SENTINEL_FAILOVER: Sometimes = ("Sentinel failed over to the replica", sentinel_failover_happened);

const DESIGNS: &[Design] = &[
    Design {
        name: "mysql semi-sync (timeout never reached), 1 replica + MyCat switchType 1",
        store: Store::Mysql(SEMI_SYNC_NO_FALLBACK),
        safe: true,
        why: "rpl_semi_sync_source_timeout (1 h) is longer than the run, so semi-sync never falls back: a \
              commit is acknowledged only once the one replica has it in its relay log, and that replica is \
              the only host MyCat can switch to; an old source rejoining discards only commits it never \
              acknowledged. (Single writer does NOT hold here: see the split-brain design.)",
        always: &[MYSQL_ACKED],
        sometimes: &[FAILOVER, DISCARDED],
        breaks: None,
    },
    Design {
        name: "mysql semi-sync (timeout never reached), 2 replicas, wait for 2 + MyCat switchType 1",
        store: Store::Mysql(SEMI_SYNC_TWO_REPLICAS_WAIT_TWO),
        safe: true,
        why: "rpl_semi_sync_source_wait_for_replica_count = 2 = every replica, and no fallback: an \
              acknowledged commit is on every host, so whichever host MyCat switches to has it; \
              availability suffers (a commit waits while any replica is unreachable)",
        always: &[MYSQL_ACKED],
        sometimes: &[FAILOVER, DISCARDED],
        breaks: None,
    },
    Design {
        name: "mysql switchType -1 (never switch), async",
        store: Store::Mysql(ASYNC_NEVER_SWITCH),
        safe: true,
        why: "MyCat never switches the write host, so nothing is ever promoted: m1 is the only source, the \
              only writer, and its durable binlog holds every write it acknowledged; availability suffers \
              (writes fail while m1 is down or cut off from MyCat)",
        always: &[MYSQL_ONE_WRITER, MYSQL_ACKED],
        sometimes: &[WRITE_HOST_DOWN, WRITES_FAILED],
        breaks: None,
    },
    Design {
        name: "mysql async + MyCat switchType 1",
        store: Store::Mysql(ASYNC),
        safe: false,
        why: "async commits are acknowledged before any replica has them; a switch to a replica that missed \
              them loses them",
        always: &[MYSQL_ACKED],
        sometimes: &[FAILOVER],
        breaks: Some(NO_ACKED_WRITE_LOST),
    },
    Design {
        name: "mysql semi-sync falling back after 10 s + MyCat switchType 1",
        store: Store::Mysql(SEMI_SYNC_FALLBACK),
        safe: false,
        why: "with no ack for rpl_semi_sync_source_timeout (10 s, the default) semi-sync falls back to async; \
              commits acknowledged then are lost by a later switch",
        always: &[MYSQL_ACKED],
        sometimes: &[FAILOVER],
        breaks: Some(NO_ACKED_WRITE_LOST),
    },
    Design {
        name: "mysql semi-sync (timeout never reached), 2 replicas, wait for 1 + MyCat switchType 1",
        store: Store::Mysql(SEMI_SYNC_TWO_REPLICAS_WAIT_ONE),
        safe: false,
        why: "one ack of two replicas suffices, but MyCat switches to the next healthy host in order, not to \
              the one that acknowledged",
        always: &[MYSQL_ACKED],
        sometimes: &[FAILOVER],
        breaks: Some(NO_ACKED_WRITE_LOST),
    },
    Design {
        name: "mysql semi-sync (timeout never reached), no fencing + MyCat switchType 1: split brain",
        store: Store::Mysql(SEMI_SYNC_NO_FALLBACK),
        safe: false,
        why: "nothing fences the old source: a paused m1 resumes after r1 was promoted and takes the writes \
              MyCat had sent it (semi-sync keeps them from being acknowledged, not from being taken)",
        always: &[MYSQL_ONE_WRITER],
        sometimes: &[FAILOVER],
        breaks: Some(SINGLE_WRITER),
    },
    Design {
        name: "redis AOF always + replica, no failover",
        store: Store::Redis(REDIS_AOF_ALWAYS),
        safe: true,
        why: "appendfsync always makes every write durable before its reply, and with no Sentinel (failover \
              is manual and never done) the master is never demoted, so a resync never discards anything; \
              availability suffers (writes fail while the master is down)",
        always: &[REDIS_ACKED, REDIS_ORACLE],
        sometimes: &[MASTER_CRASHED, REPLICA_RESYNCED],
        breaks: None,
    },
    Design {
        name: "redis AOF always + replica + 3 Sentinels (async replication)",
        store: Store::Redis(RedisSpec { sentinels: true, ..REDIS_AOF_ALWAYS }),
        safe: false,
        why: "replication is asynchronous: a promoted replica lacks what the master acknowledged but had not \
              sent, and the old master discards what it took alone when it resyncs from the new one",
        always: &[REDIS_ACKED, REDIS_ORACLE],
        sometimes: &[SENTINEL_FAILOVER],
        breaks: Some(REDIS_NO_ACKED_WRITE_LOST),
    },
    Design {
        name: "redis RDB only (default save rules) + replica, no failover",
        store: Store::Redis(RedisSpec { appendonly: false, ..REDIS_AOF_ALWAYS }),
        safe: false,
        why: "a crash loses every write since the last RDB save (in a short run, none fires: save 3600 1)",
        always: &[REDIS_ACKED, REDIS_ORACLE],
        sometimes: &[MASTER_CRASHED],
        breaks: Some(REDIS_NO_ACKED_WRITE_LOST),
    },
];

// ---- building a world --------------------------------------------------------------------

const WRITER: NodeId = NodeId(0);

fn replication_config(spec: &MysqlSpec) -> ReplicationConfig {
    ReplicationConfig {
        mode: spec.mode,
        semi_sync_timeout_us: spec.semi_sync_timeout_us,
        semi_sync_wait_count: spec.wait_count,
        net_timeout_us: 6 * SEC,
        heartbeat_period_us: 3 * SEC,
        connect_retry_us: 6 * SEC,
        ..ReplicationConfig::default()
    }
}

fn mycat_config(spec: &MysqlSpec) -> MycatConfig {
    MycatConfig {
        rule: ShardRule::shop_range(),
        switch_type: spec.switch_type,
        heartbeat_period_us: SEC,
        heartbeat_timeout_us: 3 * SEC,
        max_retry_count: 3,
        sql_timeout_us: 30 * SEC,
        ..MycatConfig::default()
    }
}

fn sentinel_config() -> SentinelConfig {
    SentinelConfig {
        down_after_us: 3 * SEC,
        failover_timeout_us: 18 * SEC,
        election_timeout_us: SEC,
        ..SentinelConfig::default()
    }
}

/// The world of `store` for `seed`, and which nodes faults may strike (`servers`: crash,
/// pause, slow, isolate; `links`: either end of a cut).
struct Built {
    sim: Sim<World>,
    servers: Vec<NodeId>,
    links: Vec<NodeId>,
}

fn build(store: Store, seed: u64) -> Built {
    let mut sim = Sim::new(seed, LinkProfile::LAN);
    let stop_us = SAFETY_US + LIVENESS_US - QUIET_US;
    match store {
        Store::Mysql(spec) => {
            let n_hosts = 1 + spec.replicas;
            let cat = NodeId(1 + n_hosts);
            sim.add_node("writer", World::Driver(Writer::new(Target::Mycat(cat), stop_us)));
            let repl = replication_config(&spec);
            let m1 = sim.add_node("m1", World::My(MysqlNode::source(repl)));
            let mut hosts = vec![m1];
            for r in 1..=spec.replicas {
                hosts.push(sim.add_node(format!("r{r}"), World::My(MysqlNode::replica(repl, m1))));
            }
            let added = sim.add_node("mycat", World::Cat(Mycat::new(mycat_config(&spec), vec![hosts.clone()])));
            assert_eq!(added, cat);
            let servers: Vec<NodeId> = hosts.iter().copied().chain([cat]).collect();
            let links = std::iter::once(WRITER).chain(servers.iter().copied()).collect();
            Built { sim, servers, links }
        }
        Store::Redis(spec) => {
            let config = RedisConfig {
                appendonly: spec.appendonly,
                appendfsync: spec.appendfsync,
                repl_timeout_us: 6 * SEC,
                // `hz 1`: serverCron once a second. Nothing here needs it sooner (no TTLs; AOF
                // `always` fsyncs in the write path), and it is most of a Redis world's events.
                cron_us: SEC,
                ..RedisConfig::default()
            };
            let (ra, rb) = (NodeId(1), NodeId(2));
            let sentinels: Vec<NodeId> = if spec.sentinels { (3..6).map(NodeId).collect() } else { Vec::new() };
            let target = Target::Redis { master: ra, sentinels: sentinels.clone() };
            sim.add_node("writer", World::Driver(Writer::new(target, stop_us)));
            sim.add_node("redis-a", World::Redis(RedisServer::master(config.clone())));
            sim.add_node("redis-b", World::Redis(RedisServer::replica_of(config, ra)));
            for &me in &sentinels {
                let peers = sentinels.iter().copied().filter(|&p| p != me).collect();
                let sentinel = Sentinel::new(sentinel_config(), peers, ra, &[rb]);
                sim.add_node(format!("sentinel-{}", me.0 - 2), World::Sentinel(sentinel));
            }
            let servers: Vec<NodeId> = [ra, rb].into_iter().chain(sentinels).collect();
            let links = std::iter::once(WRITER).chain(servers.iter().copied()).collect();
            Built { sim, servers, links }
        }
    }
}

// ---- fault schedules from the seed --------------------------------------------------------

/// Episodes of a fault and its repair, drawn from the seed's own stream. A repair that would
/// fall after the safety phase is left to the liveness phase's repair-everything.
fn schedule(seed: u64, servers: &[NodeId], links: &[NodeId]) -> Vec<(TimeUs, Fault)> {
    let mut rng = SimRng::new(seed, SCHEDULE_STREAM);
    let mut faults = Vec::new();
    let episodes = rng.between(1, 6);
    for _ in 0..episodes {
        let at = rng.below(SAFETY_US);
        let ends = at + rng.between(200 * MS, 25 * SEC);
        let node = *rng.pick(servers).expect("servers");
        let (fault, repair) = match rng.below(9) {
            0 | 1 => (Fault::Crash { node }, Some(Fault::Restart { node })),
            2 => (Fault::Crash { node }, None),
            3 => (Fault::Restart { node }, None),
            4 => (Fault::Pause { node }, Some(Fault::Resume { node })),
            5 => (Fault::Slow { node, extra_us: rng.between(MS, 4 * SEC) }, Some(Fault::Slow { node, extra_us: 0 })),
            6 => (Fault::Isolate { node }, Some(Fault::Rejoin { node })),
            kind => {
                let others: Vec<NodeId> = links.iter().copied().filter(|&n| n != node).collect();
                let other = *rng.pick(&others).expect("another node");
                let (from, to) = if rng.below(2) == 0 { (node, other) } else { (other, node) };
                let cut = Fault::Cut { from, to, both_ways: kind == 8 };
                (cut, Some(Fault::Heal { a: node, b: other }))
            }
        };
        faults.push((at, fault));
        if let Some(repair) = repair.filter(|_| ends < SAFETY_US) {
            faults.push((ends, repair));
        }
    }
    faults.sort_by_key(|&(at, _)| at);
    faults
}

/// Repair everything at once: links, pauses, slowness, crashed processes.
fn repair_everything(sim: &mut Sim<World>, servers: &[NodeId]) {
    sim.inject(Fault::HealAll);
    for &node in servers {
        sim.inject(Fault::Resume { node });
        sim.inject(Fault::Slow { node, extra_us: 0 });
        if !sim.lifecycle(node).is_up() {
            sim.inject(Fault::Restart { node });
        }
    }
}

fn fmt_schedule(sim: &Sim<World>, schedule: &[(TimeUs, Fault)]) -> String {
    let name = |n: NodeId| sim.name(n).to_string();
    let mut out = String::from("[");
    for (i, &(at, fault)) in schedule.iter().enumerate() {
        let what = match fault {
            Fault::Cut { from, to, both_ways } => {
                format!("cut {}{}{}", name(from), if both_ways { "<->" } else { "->" }, name(to))
            }
            Fault::Heal { a, b } => format!("heal {}<->{}", name(a), name(b)),
            Fault::Slow { node, extra_us } => format!("slow {} +{}ms", name(node), extra_us / MS),
            other => format!("{} {}", other.label(), other.node().map_or_else(String::new, name)),
        };
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(out, "{sep}{}.{:03}s {what}", at / SEC, (at % SEC) / MS);
    }
    out.push(']');
    out
}

// ---- invariants and witnesses (plain fns over the view) ----------------------------------

/// The MySQL servers of the world (at most three), without allocating: this runs after every
/// event.
fn mysql_group<'a>(view: &View<'a, World>) -> ([&'a MysqlNode; 3], usize) {
    let mut servers = view.nodes.iter().filter_map(|n| if let World::My(m) = n { Some(m) } else { None });
    let first = servers.next().expect("a MySQL server");
    let mut group = [first; 3];
    let mut len = 1;
    for server in servers {
        group[len] = server;
        len += 1;
    }
    (group, len)
}

/// The two Redis servers of the world, without allocating.
fn redis_servers<'a>(view: &View<'a, World>) -> [&'a RedisServer; 2] {
    let server = |i: usize| match &view.nodes[i] {
        World::Redis(r) => r,
        _ => unreachable!("nodes 1 and 2 are the Redis servers"),
    };
    [server(1), server(2)]
}

fn mycat(nodes: &[World]) -> Option<&Mycat> {
    nodes.iter().find_map(|n| if let World::Cat(c) = n { Some(c) } else { None })
}

fn writer(nodes: &[World]) -> &Writer {
    match &nodes[WRITER.index()] {
        World::Driver(w) => w,
        _ => unreachable!("node 0 is the writer"),
    }
}

fn mysql_no_acked_write_lost(view: &View<'_, World>) -> Result<(), String> {
    let (group, len) = mysql_group(view);
    check_no_acked_write_lost(&group[..len])
}

fn mysql_single_writer(view: &View<'_, World>) -> Result<(), String> {
    let (group, len) = mysql_group(view);
    check_single_writer(&group[..len])
}

fn redis_no_acked_write_lost(view: &View<'_, World>) -> Result<(), String> {
    redis_check_no_acked_write_lost(&redis_servers(view))
}

fn mysql_failover_happened(view: &View<'_, World>) -> bool {
    let (group, len) = mysql_group(view);
    group[..len].iter().any(|n| n.is_source() && n.epoch >= 2)
}

fn mysql_discarded(view: &View<'_, World>) -> bool {
    let (group, len) = mysql_group(view);
    group[..len].iter().any(|n| n.discarded > 0)
}

fn write_host_seen_down(view: &View<'_, World>) -> bool {
    mycat(view.nodes).is_some_and(|c| {
        let dh = &c.data_hosts[0];
        dh.health[dh.active].status != HeartbeatStatus::Ok
    })
}

fn writes_failed(view: &View<'_, World>) -> bool {
    writer(view.nodes).failed > 0
}

fn redis_master_crashed(view: &View<'_, World>) -> bool {
    view.nodes.iter().zip(view.lifecycles).any(|(n, life)| {
        matches!(n, World::Redis(r) if r.is_master() && r.client_writes > 0 && life.crashes > 0 && life.is_up())
    })
}

/// The test's own oracle, independent of the servers' counters: for each key, the highest value
/// the client was told is stored is still held by some server, in memory or on disk (the AOF
/// when `appendonly`, else the last RDB file). Values only grow per key, so a later write to the
/// key also counts. Runs after every event: one ordered walk of each server's keys, and map
/// lookups only for keys neither server's memory holds.
fn redis_acked_writes_survive(view: &View<'_, World>) -> Result<(), String> {
    let acked_max = &writer(view.nodes).acked_max;
    let mut servers = redis_servers(view);
    // The server furthest ahead first: it usually holds everything, and the walk stops there.
    servers.sort_by_key(|s| std::cmp::Reverse(s.offset));
    let needed = acked_max.iter().filter(|&&v| v > 0).count();
    let mut held = [false; 65];
    let mut holding = 0;
    for s in servers {
        for (&key, entry) in &s.data {
            if let Some(slot) = held.get_mut(key as usize)
                && !*slot
                && entry.value >= acked_max[key as usize]
                && acked_max[key as usize] > 0
            {
                *slot = true;
                holding += 1;
            }
        }
        if holding == needed {
            return Ok(());
        }
    }
    for (key, &acked) in acked_max.iter().enumerate().filter(|&(k, &v)| v > 0 && !held[k]) {
        let key = key as u32;
        let on_disk = servers.iter().any(|s| {
            let disk = if s.config.appendonly { Some(&s.aof.data) } else { s.rdb.as_ref().map(|r| &r.data) };
            disk.and_then(|d| d.get(&key)).is_some_and(|e| e.value >= acked)
        });
        if !on_disk {
            return Err(format!("SET {key} {acked} was acknowledged, and no server holds it in memory or on disk"));
        }
    }
    Ok(())
}

/// A replica's RDB file is written by a full resync; after the first sync at boot, another one
/// means the master restarted (with a new replication id).
fn redis_replica_resynced(view: &View<'_, World>) -> bool {
    redis_servers(view).iter().any(|s| !s.is_master() && s.rdb.as_ref().is_some_and(|r| r.taken_at_us > SEC))
}

fn sentinel_failover_happened(view: &View<'_, World>) -> bool {
    view.nodes.iter().any(|n| matches!(n, World::Sentinel(s) if s.failovers > 0))
}

// ---- liveness: after the repair, writes complete and replicas converge ---------------------

fn mysql_converged(sim: &Sim<World>) -> Result<(), String> {
    let cat = mycat(sim.nodes()).expect("MyCat");
    let dh = &cat.data_hosts[0];
    let writer_id = dh.write_host();
    let World::My(source) = sim.node(writer_id) else { unreachable!() };
    if !source.is_source() || source.epoch != dh.epoch() {
        return Err(format!(
            "MyCat's write host {} (epoch {}) is {:?} in epoch {}",
            sim.name(writer_id),
            dh.epoch(),
            source.role,
            source.epoch
        ));
    }
    if source.applied_pos != source.binlog_len() {
        return Err(format!("the source applied {} of {} transactions", source.applied_pos, source.binlog_len()));
    }
    for &host in dh.hosts.iter().filter(|&&h| h != writer_id) {
        let World::My(replica) = sim.node(host) else { unreachable!() };
        let name = sim.name(host);
        if replica.role != (Role::Replica { source: writer_id }) {
            return Err(format!("{name} is {:?}, not a replica of {}", replica.role, sim.name(writer_id)));
        }
        if replica.binlog != source.binlog {
            return Err(format!(
                "{name}'s binlog ({} entries, {}) differs from the source's ({} entries, {})",
                replica.binlog_len(),
                replica.logged,
                source.binlog_len(),
                source.logged
            ));
        }
        if replica.applied_pos != source.applied_pos || replica.rows != source.rows {
            return Err(format!("{name} applied {} of {}, rows differ", replica.applied_pos, source.binlog_len()));
        }
    }
    Ok(())
}

fn redis_converged(sim: &Sim<World>) -> Result<(), String> {
    let masters: Vec<NodeId> =
        (1..=2).map(NodeId).filter(|&n| matches!(sim.node(n), World::Redis(r) if r.is_master())).collect();
    let [master] = masters[..] else { return Err(format!("masters: {masters:?}")) };
    let World::Redis(m) = sim.node(master) else { unreachable!() };
    for replica in (1..=2).map(NodeId).filter(|&n| n != master) {
        let World::Redis(r) = sim.node(replica) else { unreachable!() };
        let name = sim.name(replica);
        if r.role != (RedisRole::Replica { master }) {
            return Err(format!("{name} is {:?}", r.role));
        }
        if r.data != m.data || r.offset != m.offset {
            return Err(format!("{name} at offset {} differs from the master at {}", r.offset, m.offset));
        }
    }
    Ok(())
}

fn converged(store: Store, sim: &Sim<World>) -> Result<(), String> {
    match store {
        Store::Mysql(_) => mysql_converged(sim),
        Store::Redis(_) => redis_converged(sim),
    }
}

// ---- one seed ------------------------------------------------------------------------------

/// What one seed of one design did.
#[derive(Clone, Debug)]
struct Outcome {
    seed: u64,
    schedule: String,
    /// Every `always` property and its first violation, if any, in the design's order.
    verdicts: Vec<(&'static str, Option<Violation>)>,
    witnessed: Vec<bool>,
    /// After the repair: a write was acknowledged again, and the replicas converged.
    liveness: Result<(), String>,
    trace_hash: u64,
    events: u64,
}

impl Outcome {
    fn reproduce(&self, design: &Design) -> String {
        format!("reproduce: design={:?} seed={} schedule={}", design.name, self.seed, self.schedule)
    }

    fn violation(&self, name: &str) -> Option<&Violation> {
        self.verdicts.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.as_ref())
    }

    /// The first `always` property that broke (by event index), if any.
    fn first_broken(&self) -> Option<(&'static str, &Violation)> {
        self.verdicts.iter().filter_map(|(n, v)| v.as_ref().map(|v| (*n, v))).min_by_key(|(_, v)| v.event_index)
    }
}

/// Run `design` under the fault schedule of `seed`: the safety phase, the repair, the liveness
/// phase. With `stop_at`, stop at the end of the first virtual second in which that `always`
/// property broke (an UNSAFE search).
fn run_seed(design: &Design, seed: u64, stop_at: Option<&str>) -> Outcome {
    let Built { mut sim, servers, links } = build(design.store, seed);
    for &(name, check) in design.always {
        sim.properties_mut().always(name, check);
    }
    for &(name, check) in design.sometimes {
        sim.properties_mut().sometimes(name, check);
    }
    let faults = schedule(seed, &servers, &links);
    for &(at, fault) in &faults {
        sim.schedule_fault(at, fault);
    }
    let end_us = SAFETY_US + LIVENESS_US;
    let quiet_from_us = end_us - QUIET_US;
    let mut converged_now = Err("not checked yet".to_string());
    let mut t = 0;
    while t < end_us {
        t += SEC;
        let report = sim.run_until(t, BUDGET);
        assert!(report.reached, "design={:?} seed={seed}: event budget exhausted at {t} µs", design.name);
        if t == SAFETY_US {
            repair_everything(&mut sim, &servers);
        }
        if stop_at.is_some_and(|name| sim.properties().verdict(name).is_some_and(|v| !v.holds)) {
            break;
        }
        // Eventually: once the writer is quiet, the replicas must converge at some check.
        if t > quiet_from_us && converged_now.is_err() {
            converged_now = converged(design.store, &sim);
        }
    }
    let liveness = if writer(sim.nodes()).acked_one_sent_after(SAFETY_US + SETTLE_US) {
        converged_now
    } else {
        Err(format!("no write sent {} s after the repair was acknowledged", SETTLE_US / SEC))
    };
    let verdicts = design
        .always
        .iter()
        .map(|&(name, _)| (name, sim.properties().verdict(name).and_then(|v| v.first_violation.clone())))
        .collect();
    let witnessed =
        design.sometimes.iter().map(|&(name, _)| sim.properties().verdict(name).is_some_and(|v| v.holds)).collect();
    let schedule = fmt_schedule(&sim, &faults);
    Outcome {
        seed,
        schedule,
        verdicts,
        witnessed,
        liveness,
        trace_hash: sim.trace_hash(),
        events: sim.events_processed(),
    }
}

// ---- the sweeps ----------------------------------------------------------------------------

fn design(name: &str) -> &'static Design {
    DESIGNS.iter().find(|d| d.name == name).expect("a design of the table")
}

/// Every seed of a SAFE design: no `always` breaks, liveness holds, and each witness is seen in
/// at least `MIN_WITNESS_PERCENT` of the seeds.
fn sweep_safe(design: &Design) {
    assert!(design.safe, "{} is not claimed safe", design.name);
    let mut seen = vec![0u64; design.sometimes.len()];
    let mut events = 0;
    for seed in 0..SAFE_SEEDS {
        let outcome = run_seed(design, seed, None);
        if let Some((name, v)) = outcome.first_broken() {
            panic!(
                "{name} broke at {} µs, event {}: {} — {}",
                v.at_us,
                v.event_index,
                v.reason,
                outcome.reproduce(design)
            );
        }
        if let Err(why) = &outcome.liveness {
            panic!("no recovery after the repair: {why} — {}", outcome.reproduce(design));
        }
        for (count, &hit) in seen.iter_mut().zip(&outcome.witnessed) {
            *count += u64::from(hit);
        }
        events += outcome.events;
    }
    let rates: Vec<String> =
        design.sometimes.iter().zip(&seen).map(|(&(name, _), &n)| format!("{name}: {n}/{SAFE_SEEDS}")).collect();
    eprintln!(
        "SAFE {:?}: {SAFE_SEEDS} seeds, {events} events, every invariant held, every seed recovered; witnesses: {}",
        design.name,
        rates.join("; ")
    );
    for (&(name, _), &n) in design.sometimes.iter().zip(&seen) {
        assert!(
            n * 100 >= MIN_WITNESS_PERCENT * SAFE_SEEDS,
            "design={:?}: witness {name:?} reached in only {n} of {SAFE_SEEDS} seeds (a vacuous sweep)",
            design.name
        );
    }
}

/// The first seed (below the cap) whose run breaks the UNSAFE design's target property.
fn find_violation(design: &Design) -> Option<Outcome> {
    let target = design.breaks.expect("an UNSAFE design names the property it breaks");
    (0..UNSAFE_SEED_CAP).map(|seed| run_seed(design, seed, Some(target))).find(|o| o.violation(target).is_some())
}

/// Searched once per test binary, shared by the search test and the replay test.
fn found_violations() -> &'static [(&'static Design, Option<Outcome>)] {
    static FOUND: OnceLock<Vec<(&'static Design, Option<Outcome>)>> = OnceLock::new();
    FOUND.get_or_init(|| DESIGNS.iter().filter(|d| !d.safe).map(|d| (d, find_violation(d))).collect())
}

#[test]
fn safe_mysql_semi_sync_one_replica_loses_no_acknowledged_write() {
    sweep_safe(design("mysql semi-sync (timeout never reached), 1 replica + MyCat switchType 1"));
}

#[test]
fn safe_mysql_semi_sync_waiting_for_every_replica_loses_no_acknowledged_write() {
    sweep_safe(design("mysql semi-sync (timeout never reached), 2 replicas, wait for 2 + MyCat switchType 1"));
}

#[test]
fn safe_mysql_switch_type_never_keeps_one_writer_and_every_acknowledged_write() {
    sweep_safe(design("mysql switchType -1 (never switch), async"));
}

#[test]
fn safe_redis_aof_always_without_failover_loses_no_acknowledged_write() {
    sweep_safe(design("redis AOF always + replica, no failover"));
}

#[test]
fn unsafe_designs_are_caught_by_the_sweep() {
    for (design, found) in found_violations() {
        let target = design.breaks.expect("target");
        let Some(outcome) = found else {
            panic!("design={:?}: {target} never broke in {UNSAFE_SEED_CAP} seeds, yet {}", design.name, design.why);
        };
        let v = outcome.violation(target).expect("the target broke");
        eprintln!(
            "UNSAFE {:?}: found at seed {} (seeds 0..={} tried): {target} broke at {} µs, event {}: {} — {}",
            design.name,
            outcome.seed,
            outcome.seed,
            v.at_us,
            v.event_index,
            v.reason,
            outcome.reproduce(design)
        );
        for (name, other) in outcome.verdicts.iter().filter(|(n, _)| *n != target) {
            match other {
                Some(o) => eprintln!("    also {name} broke at {} µs, event {}: {}", o.at_us, o.event_index, o.reason),
                None => eprintln!("    {name} had not broken when the run stopped"),
            }
        }
    }
}

#[test]
fn found_violations_replay_exactly() {
    for (design, found) in found_violations() {
        let Some(first) = found else { continue };
        let target = design.breaks.expect("target");
        let again = run_seed(design, first.seed, Some(target));
        let what = format!("design={:?} seed={}", design.name, first.seed);
        assert_eq!(again.schedule, first.schedule, "{what}: same schedule");
        assert_eq!(again.trace_hash, first.trace_hash, "{what}: same trace hash");
        assert_eq!(again.events, first.events, "{what}: same number of events");
        assert_eq!(again.violation(target), first.violation(target), "{what}: same violation at the same event");
        assert_eq!(again.verdicts, first.verdicts, "{what}: same verdicts");
    }
}

#[test]
fn the_table_is_well_formed() {
    for d in DESIGNS {
        assert!(!d.always.is_empty() && !d.sometimes.is_empty(), "{}: invariants and witnesses", d.name);
        assert!(!d.why.is_empty(), "{}: say why", d.name);
        assert_eq!(d.safe, d.breaks.is_none(), "{}: an UNSAFE design names what breaks, a SAFE one does not", d.name);
        if let Some(target) = d.breaks {
            assert!(d.always.iter().any(|&(n, _)| n == target), "{}: {target} is not among its invariants", d.name);
        }
    }
    assert!(DESIGNS.iter().filter(|d| d.safe).count() >= 3, "SAFE designs");
}
