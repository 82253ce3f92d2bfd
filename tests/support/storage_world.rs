//! The storage test world's nodes: MySQL servers, MyCat, Redis servers and
//! Sentinels — each a real state machine behind one `World` enum and its
//! dispatch — and whatever drives them (a script, a workload), given by the
//! including test as a `Driver`. Shared by the storage mechanism tests and
//! their sweeps, so the world is declared once. The including file declares
//! the wire first: `test_wire!(My(MysqlMsg), Cat(MycatMsg), Redis(RedisMsg));`.
//! Never asserts anything.

use super::Wire;
use clusterlab::cluster::mycat::Mycat;
use clusterlab::cluster::redis::{RedisServer, Sentinel};
use clusterlab::cluster::replication::MysqlNode;
use clusterlab::sim::{Ctx, Node, NodeId, TimerKey};

/// What drives a storage world: it starts, hears every answer sent to it,
/// and owns its timers. It never crashes (it stands for the clients).
pub(crate) trait Driver {
    fn on_start(&mut self, ctx: &mut Ctx<'_, Wire>);
    fn on_answer(&mut self, ctx: &mut Ctx<'_, Wire>, msg: Wire);
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Wire>, key: TimerKey);
}

/// A node of the storage world.
#[derive(Clone, Debug)]
pub(crate) enum World<D> {
    Driver(D),
    My(MysqlNode),
    Cat(Mycat),
    Redis(RedisServer),
    Sentinel(Sentinel),
}

impl<D: Driver> Node for World<D> {
    type Msg = Wire;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Wire>) {
        match self {
            World::Driver(d) => d.on_start(ctx),
            World::My(n) => n.on_start(ctx),
            World::Cat(n) => n.on_start(ctx),
            World::Redis(n) => n.on_start(ctx),
            World::Sentinel(n) => n.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Wire>, from: NodeId, msg: Wire) {
        match (self, msg) {
            (World::Driver(d), msg) => d.on_answer(ctx, msg),
            (World::My(n), Wire::My(m)) => n.on_message(ctx, from, m),
            (World::Cat(n), Wire::Cat(m)) => n.on_client(ctx, from, m),
            (World::Cat(n), Wire::My(m)) => n.on_backend(ctx, from, m),
            (World::Redis(n), Wire::Redis(m)) => n.on_message(ctx, from, m),
            (World::Sentinel(n), Wire::Redis(m)) => n.on_message(ctx, from, m),
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Wire>, key: TimerKey) {
        match self {
            World::Driver(d) => d.on_timer(ctx, key),
            World::My(n) => n.on_timer(ctx, key),
            World::Cat(n) => n.on_timer(ctx, key),
            World::Redis(n) => n.on_timer(ctx, key),
            World::Sentinel(n) => n.on_timer(ctx, key),
        }
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Wire>, to: NodeId, msg: Wire) {
        match (self, msg) {
            (World::My(n), Wire::My(m)) => n.on_refused(ctx, to, m),
            (World::Cat(n), Wire::My(m)) => n.on_refused(ctx, to, m),
            (World::Redis(n), Wire::Redis(m)) => n.on_refused(ctx, to, m),
            _ => {}
        }
    }

    fn on_crash(&mut self) {
        match self {
            World::Driver(_) => {}
            World::My(n) => n.on_crash(),
            World::Cat(n) => n.on_crash(),
            World::Redis(n) => n.on_crash(),
            World::Sentinel(n) => n.on_crash(),
        }
    }
}
