//! The coordination test world's nodes: the ZooKeeper server, lock users,
//! the stock table and inventory services, the 2PC coordinator and
//! participants, the broker, consumer and publisher, and a scripted driver —
//! each a real state machine behind one `Actor` enum and its dispatch.
//! Shared by the coordination mechanism tests and their sweeps, so the world
//! is declared once. The including file declares the wire first:
//! `test_wire!(Zk(ZkMsg), Inv(InventoryMsg), Tpc(TpcMsg), Mq(MqMsg));`.
//! Never asserts anything.
#![allow(dead_code)] // each including test uses a part of the world

use super::Wire;
use clusterlab::cluster::inventory::{InventoryService, InventoryStore};
use clusterlab::cluster::mq::{MqBroker, MqConsumer, MqPublisher};
use clusterlab::cluster::timer_tag::{self, SHOP};
use clusterlab::cluster::two_phase::{TpcCoordinator, TpcParticipant};
use clusterlab::cluster::zk_lock::{LockClient, LockEvent, ZkServer};
use clusterlab::sim::{Ctx, Node, NodeId, TimeUs, TimerKey};

/// A bare lock user: asks for the lock `acquire_at_us` after it starts and
/// gives it up `hold_us` after the grant (never, if `None`).
#[derive(Clone, Debug)]
pub(crate) struct Locker {
    pub(crate) client: LockClient,
    pub(crate) acquire_at_us: TimeUs,
    pub(crate) hold_us: Option<TimeUs>,
    /// Gives up (releases) at this moment, granted or not.
    pub(crate) gives_up_at_us: Option<TimeUs>,
    pub(crate) events: Vec<(TimeUs, LockEvent)>,
}

/// Sends `msg` to `to` at `at_us` (absolute), in script order; keeps what comes back.
#[derive(Clone, Debug, Default)]
pub(crate) struct Driver {
    pub(crate) script: Vec<(TimeUs, NodeId, Wire)>,
    pub(crate) got: Vec<(TimeUs, Wire)>,
}

/// A node of the test world: one real state machine, or a script.
#[derive(Clone, Debug)]
pub(crate) enum Actor {
    Zk(ZkServer),
    Locker(Locker),
    /// The stock table.
    Store(InventoryStore),
    Service(InventoryService),
    Coordinator(TpcCoordinator),
    Participant(TpcParticipant),
    Broker(MqBroker),
    Consumer(MqConsumer),
    /// A publisher and its script: publish order `.1` at `.0` (absolute).
    Publisher(MqPublisher, Vec<(TimeUs, u32)>),
    Driver(Driver),
}

pub(crate) fn script_key(i: usize) -> TimerKey {
    timer_tag::key(SHOP, i as u64)
}

/// Arms the script entries still to come (a restarted publisher does not
/// publish again what it published before its crash).
fn arm_script(ctx: &mut Ctx<'_, Wire>, times: impl Iterator<Item = TimeUs>) {
    for (i, at_us) in times.enumerate() {
        if at_us >= ctx.now_us {
            ctx.set_timer(script_key(i), at_us - ctx.now_us);
        }
    }
}

impl Node for Actor {
    type Msg = Wire;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Wire>) {
        match self {
            Self::Zk(s) => s.on_start(ctx),
            Self::Locker(l) => {
                ctx.set_timer(script_key(0), l.acquire_at_us);
                if let Some(at_us) = l.gives_up_at_us {
                    ctx.set_timer(script_key(1), at_us);
                }
            }
            Self::Coordinator(c) => c.on_start(ctx),
            Self::Participant(p) => p.on_start(ctx),
            Self::Broker(b) => b.on_start(ctx),
            Self::Consumer(c) => c.on_start(ctx),
            Self::Publisher(_, script) => arm_script(ctx, script.iter().map(|s| s.0)),
            Self::Driver(d) => arm_script(ctx, d.script.iter().map(|s| s.0)),
            Self::Store(_) | Self::Service(_) => {}
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Wire>, from: NodeId, msg: Wire) {
        match (self, msg) {
            (Self::Zk(s), Wire::Zk(m)) => s.on_message(ctx, from, m),
            (Self::Locker(l), Wire::Zk(m)) => {
                if let Some(event) = l.client.on_message(ctx, m) {
                    l.events.push((ctx.now_us, event));
                    if let (LockEvent::Acquired { .. }, Some(hold_us)) = (event, l.hold_us) {
                        ctx.set_timer(script_key(1), hold_us);
                    }
                }
            }
            (Self::Store(s), Wire::Inv(m)) => s.on_message(ctx, from, m),
            (Self::Service(s), Wire::Inv(m)) => s.on_message(ctx, from, m),
            (Self::Service(s), Wire::Zk(m)) => s.on_zk_message(ctx, m),
            (Self::Coordinator(c), Wire::Tpc(m)) => c.on_message(ctx, from, m),
            (Self::Participant(p), Wire::Tpc(m)) => p.on_message(ctx, from, m),
            (Self::Broker(b), Wire::Mq(m)) => b.on_message(ctx, from, m),
            (Self::Consumer(c), Wire::Mq(m)) => c.on_message(ctx, m),
            (Self::Publisher(p, _), Wire::Mq(m)) => p.on_message(ctx, m),
            (Self::Driver(d), m) => d.got.push((ctx.now_us, m)),
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Wire>, key: TimerKey) {
        let scripted = timer_tag::tag_of(key) == SHOP;
        let i = timer_tag::local_of(key) as usize;
        match self {
            Self::Locker(l) if scripted && i == 0 => l.client.acquire(ctx),
            Self::Locker(l) if scripted => l.client.release(ctx),
            Self::Publisher(p, script) if scripted => {
                p.publish(ctx, script[i].1);
            }
            Self::Driver(d) if scripted => ctx.send(d.script[i].1, d.script[i].2),
            Self::Zk(s) => s.on_timer(ctx, key),
            Self::Locker(l) => l.client.on_timer(ctx, key),
            Self::Service(s) => s.on_timer(ctx, key),
            Self::Coordinator(c) => c.on_timer(ctx, key),
            Self::Participant(p) => p.on_timer(ctx, key),
            Self::Broker(b) => b.on_timer(ctx, key),
            Self::Consumer(c) => c.on_timer(ctx, key),
            Self::Publisher(p, _) => p.on_timer(ctx, key),
            _ => {}
        }
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Wire>, to: NodeId, msg: Wire) {
        match (self, msg) {
            (Self::Coordinator(c), Wire::Tpc(m)) => c.on_refused(ctx, to, m),
            (Self::Broker(b), Wire::Mq(m)) => b.on_refused(ctx, to, m),
            (Self::Consumer(c), Wire::Mq(m)) => c.on_refused(ctx, to, m),
            _ => {}
        }
    }

    fn on_crash(&mut self) {
        match self {
            Self::Zk(s) => s.on_crash(),
            Self::Locker(l) => l.client.on_crash(),
            Self::Service(s) => s.on_crash(),
            Self::Coordinator(c) => c.on_crash(),
            Self::Participant(p) => p.on_crash(),
            Self::Broker(b) => b.on_crash(),
            Self::Consumer(c) => c.on_crash(),
            Self::Publisher(p, _) => p.on_crash(),
            Self::Store(_) | Self::Driver(_) => {}
        }
    }
}
