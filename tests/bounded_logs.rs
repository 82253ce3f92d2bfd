//! The logs stay bounded and purging never drops what is still needed: a MySQL binlog
//! purged under a steady stream of writes keeps a bounded tail, while a replica cut off or
//! crashed for a while still catches up, and an old source told to follow the new one still
//! discards exactly what it alone had and rebuilds its rows.
//!
//! Tests are tables of cases checked by one function each; every case names itself in its
//! assertion messages. Links have a fixed 1 ms latency; the writer writes one row a millisecond.
#![cfg(not(target_arch = "wasm32"))]

#[macro_use]
#[path = "support/wire.rs"]
mod wire;

use clusterlab::cluster::mycat::MycatMsg;
use clusterlab::cluster::redis::RedisMsg;
use clusterlab::cluster::replication::{BINLOG_KEPT_POSITIONS, MysqlMsg, MysqlNode, ReplicationConfig, SyncMode};
use clusterlab::sim::{Ctx, Fault, LinkProfile, MS, NodeId, SEC, Sim, TimeUs, TimerKey};

test_wire!(My(MysqlMsg), Cat(MycatMsg), Redis(RedisMsg));

#[allow(dead_code)] // the world's MyCat, Redis and Sentinel nodes are not used here
#[path = "support/storage_world.rs"]
mod storage_world;
use storage_world::Driver;

const M1: NodeId = NodeId(1);
const R1: NodeId = NodeId(2);
/// What a binlog may hold at most: the kept positions plus one purge batch.
const RETAINED_MAX: usize = 16_384;
const WRITE_EVERY_US: TimeUs = MS;
const TICK: TimerKey = 1 << 20;

/// Writes one row every millisecond to `target(now)`, and sends `script` at its times.
#[derive(Clone, Debug)]
struct Writer {
    /// (from, until, server): whom to write to when.
    phases: Vec<(TimeUs, TimeUs, NodeId)>,
    script: Vec<(TimeUs, NodeId, MysqlMsg)>,
    req: u32,
}

impl Driver for Writer {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Wire>) {
        ctx.set_timer(TICK, WRITE_EVERY_US);
        for (i, &(at, _, _)) in self.script.iter().enumerate() {
            ctx.set_timer(i as TimerKey, at.saturating_sub(ctx.now_us));
        }
    }

    fn on_answer(&mut self, _ctx: &mut Ctx<'_, Wire>, _msg: Wire) {}

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Wire>, key: TimerKey) {
        if key != TICK {
            let (_, to, msg) = self.script[key as usize];
            ctx.send(to, Wire::My(msg));
            return;
        }
        let now = ctx.now_us;
        if let Some(&(_, _, to)) = self.phases.iter().find(|(from, until, _)| (*from..*until).contains(&now)) {
            self.req += 1;
            let (key, value) = (self.req % 97, self.req as i32);
            ctx.send(to, Wire::My(MysqlMsg::Write { req: self.req, key, value }));
        }
        if self.phases.iter().any(|&(_, until, _)| until > now) {
            ctx.set_timer(TICK, WRITE_EVERY_US);
        }
    }
}

type World = storage_world::World<Writer>;

fn my(sim: &Sim<World>, id: NodeId) -> &MysqlNode {
    match sim.node(id) {
        World::My(n) => n,
        other => panic!("{id:?} is not a MySQL node: {other:?}"),
    }
}

struct PurgeCase {
    name: &'static str,
    mode: SyncMode,
    phases: Vec<(TimeUs, TimeUs, NodeId)>,
    script: Vec<(TimeUs, NodeId, MysqlMsg)>,
    faults: Vec<(TimeUs, Fault)>,
    run_until_us: TimeUs,
    /// Transactions the old source discarded on following the new one (all acknowledged).
    discarded: bool,
}

fn purge_cases() -> Vec<PurgeCase> {
    let (promote, follow) = (MysqlMsg::Promote { epoch: 2 }, MysqlMsg::Follow { source: R1, epoch: 2 });
    vec![
        PurgeCase {
            name: "async, replica connected throughout",
            mode: SyncMode::Async,
            phases: vec![(0, 50 * SEC, M1)],
            script: vec![],
            faults: vec![],
            run_until_us: 52 * SEC,
            discarded: false,
        },
        PurgeCase {
            name: "async, replica cut off for 8 s mid-stream",
            mode: SyncMode::Async,
            phases: vec![(0, 50 * SEC, M1)],
            script: vec![],
            faults: vec![
                (20 * SEC, Fault::Cut { from: M1, to: R1, both_ways: true }),
                (28 * SEC, Fault::Heal { a: M1, b: R1 }),
            ],
            run_until_us: 125 * SEC,
            discarded: false,
        },
        PurgeCase {
            name: "semi-sync, replica crashed for 8 s",
            mode: SyncMode::SemiSync,
            phases: vec![(0, 50 * SEC, M1)],
            script: vec![],
            faults: vec![(20 * SEC, Fault::Crash { node: R1 }), (28 * SEC, Fault::Restart { node: R1 })],
            run_until_us: 125 * SEC,
            discarded: false,
        },
        PurgeCase {
            name: "failover after purges: the old source discards what it alone had",
            mode: SyncMode::Async,
            phases: vec![(0, 21 * SEC, M1), (22 * SEC, 45 * SEC, R1)],
            script: vec![(21_500 * MS, R1, promote), (21_600 * MS, M1, follow)],
            faults: vec![
                (20 * SEC, Fault::Cut { from: M1, to: R1, both_ways: true }),
                (21_550 * MS, Fault::Heal { a: M1, b: R1 }),
            ],
            run_until_us: 50 * SEC,
            discarded: true,
        },
    ]
}

fn check_purge(case: &PurgeCase) {
    let mut sim = Sim::new(7, LinkProfile::fixed(MS));
    let writer = Writer { phases: case.phases.clone(), script: case.script.clone(), req: 0 };
    sim.add_node("writer", World::Driver(writer));
    let config = ReplicationConfig { mode: case.mode, ..ReplicationConfig::default() };
    sim.add_node("m1", World::My(MysqlNode::source(config)));
    sim.add_node("r1", World::My(MysqlNode::replica(config, M1)));
    for (at, fault) in case.faults.iter().cloned() {
        sim.schedule_fault(at, fault);
    }
    let mut most_retained = 0;
    while sim.now_us() < case.run_until_us {
        sim.run_until(sim.now_us() + SEC, u64::MAX);
        most_retained = most_retained.max(my(&sim, M1).binlog.retained().count());
        most_retained = most_retained.max(my(&sim, R1).binlog.retained().count());
    }
    let (source, replica) = if case.discarded { (my(&sim, R1), my(&sim, M1)) } else { (my(&sim, M1), my(&sim, R1)) };
    let name = case.name;
    assert!(
        source.binlog_len() > 3 * BINLOG_KEPT_POSITIONS,
        "{name}: enough writes to purge ({})",
        source.binlog_len()
    );
    assert!(most_retained <= RETAINED_MAX, "{name}: a binlog held {most_retained} entries");
    assert!(source.binlog.base() > 0 && replica.binlog.base() > 0, "{name}: both purged");
    assert_eq!(source.logged.len(), u64::from(source.binlog_len()), "{name}: gtid_executed covers purged positions");
    assert!(
        replica.binlog == source.binlog,
        "{name}: the replica caught up ({} of {})",
        replica.binlog_len(),
        source.binlog_len()
    );
    assert_eq!(replica.logged, source.logged, "{name}: same GTIDs");
    assert_eq!((replica.applied_pos, &replica.rows), (source.applied_pos, &source.rows), "{name}: same rows");
    assert_eq!(replica.discarded > 0, case.discarded, "{name}: discarded {}", replica.discarded);
    assert_eq!(replica.discarded_acked, replica.discarded, "{name}: every discarded write had been acknowledged");
}

#[test]
fn a_purged_binlog_stays_bounded_and_replicas_still_catch_up() {
    purge_cases().iter().for_each(check_purge);
}
