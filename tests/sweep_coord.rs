//! Seed sweeps of the coordination mechanisms under random fault schedules.
//!
//! Each design is a small world of the real state machines on a jittery LAN:
//! the ZooKeeper lock with the inventory store and three inventory services;
//! a 2PC coordinator with order and inventory participants; a RabbitMQ-like
//! broker with a payment publisher and a notification consumer. From one
//! seed come the workload (requests in bursts) and a fault schedule —
//! crashes, restarts, pauses, resumes, slowness, isolation, one- and two-way
//! cuts, heals — over a 60 s safety phase, during which the mechanisms' own
//! invariant checks run as `always` properties after every event. Then
//! everything is healed (resume, full speed, restart the crashed, heal all
//! links) and in a 60 s liveness phase the system must recover: pending
//! purchases complete and the lock is free or held by a live client; nothing
//! stays in doubt; the queue drains. `sometimes` witnesses show that the
//! dangerous cases were reached (a holder's session expired under it, a
//! participant blocked in doubt, a redelivery), so a green sweep is not a
//! vacuous one.
//!
//! Safe designs must hold for every seed; for each unsafe design the sweep
//! must find a violation, which replays identically from its seed. Failures
//! print `reproduce: design=… seed=… schedule=[…]`.
#![cfg(not(target_arch = "wasm32"))]

#[macro_use]
#[path = "support/wire.rs"]
mod wire;

use clusterlab::cluster::inventory::{
    InventoryFailure, InventoryMsg, InventoryService, InventoryServiceConfig, InventoryStore, InventoryStoreConfig,
    PurchaseOutcome, check_no_oversell, check_tokens_monotonic,
};
use clusterlab::cluster::mq::{
    MqBroker, MqBrokerConfig, MqConsumer, MqConsumerConfig, MqMsg, MqPublisher, MqPublisherConfig,
    check_confirmed_acked_or_dead_lettered, check_notified_once, check_notified_once_recent,
};
use clusterlab::cluster::two_phase::{
    AbortReason, Resource, TpcCoordinator, TpcCoordinatorConfig, TpcMsg, TpcParticipant, TpcParticipantConfig,
    TpcPhase, TxnOutcome, check_atomicity, check_atomicity_recent,
};
use clusterlab::cluster::zk_lock::{LockClient, ZkConfig, ZkMsg, ZkServer};
use clusterlab::sim::invariant::{AlwaysCheck, SometimesCheck, Violation};
use clusterlab::sim::{Fault, LinkProfile, MS, NodeId, Process, SEC, Sim, SimRng, TimeUs, View};
use std::sync::OnceLock;

/// Faults are drawn over this much virtual time.
const SAFETY_US: TimeUs = 60 * SEC;
/// After healing everything, the system has this long to recover.
const LIVENESS_US: TimeUs = 60 * SEC;
/// Seeds per safe design.
const SAFE_SEEDS: u64 = 5_000;
/// At most this many seeds are tried to break an unsafe design.
const HUNT_CAP: u64 = 1_000;
/// Event budget of one phase (far more than any run needs).
const BUDGET: u64 = 2_000_000;
/// Random streams of the schedule and the workload (nodes use their index,
/// the network `u64::MAX`).
const SCHEDULE_STREAM: u64 = 0x5C4E_D01E;
const WORKLOAD_STREAM: u64 = 0x000B_10AD;
/// Fault episodes per schedule (each a fault, mostly undone later).
const EPISODES: (u64, u64) = (3, 10);
/// Half of the faults land within this long after a workload request (a
/// purchase, a transaction, a payment event), where the mechanisms' windows
/// are: read-compute-write under the lock, votes and decision, side effect
/// and ack.
const HOT_WINDOW_US: TimeUs = 30 * MS;
/// The 0.2–0.7 ms LAN with its rare 5 ms tail: jitter explores interleavings
/// (the kernel keeps each link FIFO).
const LINK: LinkProfile = LinkProfile::LAN;

// ---- the test world -------------------------------------------------------------

test_wire!(Zk(ZkMsg), Inv(InventoryMsg), Tpc(TpcMsg), Mq(MqMsg));

#[path = "support/coord_world.rs"]
mod coord_world;
use coord_world::{Actor, Driver};

/// The one node of a kind in a world (each world has one ensemble, store,
/// coordinator or broker).
macro_rules! the {
    ($name:ident, $variant:ident, $ty:ty) => {
        fn $name(nodes: &[Actor]) -> &$ty {
            nodes
                .iter()
                .find_map(|n| match n {
                    Actor::$variant(x) => Some(x),
                    _ => None,
                })
                .expect(concat!("the world has a ", stringify!($variant)))
        }
    };
}
the!(zk_of, Zk, ZkServer);
the!(store_of, Store, InventoryStore);
the!(coordinator_of, Coordinator, TpcCoordinator);
the!(broker_of, Broker, MqBroker);

/// Every node of a kind, with its id.
macro_rules! all {
    ($name:ident, $variant:ident, $ty:ty) => {
        fn $name(nodes: &[Actor]) -> impl Iterator<Item = (NodeId, &$ty)> {
            nodes.iter().enumerate().filter_map(|(i, n)| match n {
                Actor::$variant(x) => Some((NodeId(i as u16), x)),
                _ => None,
            })
        }
    };
}
all!(services_of, Service, InventoryService);
all!(participants_of, Participant, TpcParticipant);
all!(consumers_of, Consumer, MqConsumer);

// ---- designs --------------------------------------------------------------------

/// The switches of one design.
#[derive(Clone, Copy, Debug)]
enum Config {
    /// Three inventory services selling 5 units of one product to 8 buyers.
    Inventory { use_lock: bool, fencing: bool },
    /// A coordinator and order and inventory participants; 6 orders of 1–3
    /// units against 6 in stock, so some find too little.
    TwoPhase { two_phase: bool },
    /// A payment publisher, the broker and one notification consumer; 10
    /// payment events.
    Queue { dedupe: bool },
}

/// A `sometimes` property and the share of seeds that must reach it.
struct Witness {
    name: &'static str,
    check: SometimesCheck<Actor>,
    min_percent: u64,
}

/// One row of the sweep.
struct Design {
    name: &'static str,
    config: Config,
    /// Safe: no seed may break an invariant. Unsafe: the sweep must find a
    /// seed that breaks one of `unsafe_for`.
    safe: bool,
    unsafe_for: &'static [&'static str],
    always: &'static [(&'static str, AlwaysCheck<Actor>)],
    sometimes: &'static [Witness],
}

const INVENTORY_ALWAYS: &[(&str, AlwaysCheck<Actor>)] = &[
    ("no-oversell", |v| check_no_oversell(store_of(v.nodes))),
    ("tokens-monotonic", |v| check_tokens_monotonic(store_of(v.nodes))),
];
const TWO_PHASE_ALWAYS: &[(&str, AlwaysCheck<Actor>)] =
    &[("2pc-atomicity", atomicity), (AT_THIS_INSTANT, atomicity_at_this_instant)];
/// The whole shop's per-event 2PC check; each run proves it breaks at the
/// same event as the exact one (`run`).
const AT_THIS_INSTANT: &str = "2pc-atomicity-at-this-instant";
const QUEUE_ALWAYS: &[(&str, AlwaysCheck<Actor>)] = &[
    ("confirmed-acked-or-dead-lettered", |v| check_confirmed_acked_or_dead_lettered(broker_of(v.nodes))),
    ("notified-once", notified_once),
];

const INVENTORY_WITNESSES: &[Witness] = &[
    Witness {
        name: "a holder's session expired while it believed it held the lock",
        check: stale_holder,
        min_percent: 5,
    },
    Witness { name: "the store fenced off a stale holder's write", check: stale_write_fenced, min_percent: 2 },
    Witness { name: "the stock sold out", check: sold_out, min_percent: 50 },
];
const TWO_PHASE_WITNESSES: &[Witness] = &[
    Witness { name: "a participant was blocked in doubt for 1 s or more", check: blocked_in_doubt, min_percent: 25 },
    Witness { name: "a restarted coordinator re-sent a logged COMMIT", check: recovered_commit, min_percent: 5 },
    Witness { name: "an order found too little stock and was aborted", check: short_abort, min_percent: 25 },
    Witness { name: "a transaction committed", check: some_commit, min_percent: 50 },
];
const QUEUE_WITNESSES: &[Witness] = &[
    Witness { name: "a message was redelivered", check: redelivered, min_percent: 25 },
    Witness { name: "a redelivered duplicate was recognised by its id", check: duplicate_skipped, min_percent: 10 },
];

const DESIGNS: &[Design] = &[
    Design {
        name: "inventory: lock + fencing",
        config: Config::Inventory { use_lock: true, fencing: true },
        safe: true,
        unsafe_for: &[],
        always: INVENTORY_ALWAYS,
        sometimes: INVENTORY_WITNESSES,
    },
    Design {
        name: "inventory: no lock",
        config: Config::Inventory { use_lock: false, fencing: true },
        safe: false,
        unsafe_for: &["no-oversell"],
        always: INVENTORY_ALWAYS,
        sometimes: &[],
    },
    Design {
        name: "inventory: lock without fencing",
        config: Config::Inventory { use_lock: true, fencing: false },
        safe: false,
        unsafe_for: &["no-oversell", "tokens-monotonic"],
        always: INVENTORY_ALWAYS,
        sometimes: &[],
    },
    Design {
        name: "two-phase commit",
        config: Config::TwoPhase { two_phase: true },
        safe: true,
        unsafe_for: &[],
        always: TWO_PHASE_ALWAYS,
        sometimes: TWO_PHASE_WITNESSES,
    },
    Design {
        name: "local commits (2PC off)",
        config: Config::TwoPhase { two_phase: false },
        safe: false,
        unsafe_for: &["2pc-atomicity"],
        always: TWO_PHASE_ALWAYS,
        sometimes: &[],
    },
    Design {
        name: "queue: acks + dedupe",
        config: Config::Queue { dedupe: true },
        safe: true,
        unsafe_for: &[],
        always: QUEUE_ALWAYS,
        sometimes: QUEUE_WITNESSES,
    },
    Design {
        name: "queue: acks, no dedupe",
        config: Config::Queue { dedupe: false },
        safe: false,
        unsafe_for: &["notified-once"],
        always: QUEUE_ALWAYS,
        sometimes: &[],
    },
];

fn design(name: &str) -> &'static Design {
    DESIGNS.iter().find(|d| d.name == name).unwrap_or_else(|| panic!("no design {name}"))
}

// ---- invariants and witnesses over the run's view ------------------------------

/// The exact check; the cluster runs the per-event one, so every sweep step
/// also proves the two agree.
fn notified_once(v: &View<'_, Actor>) -> Result<(), String> {
    let consumers: Vec<_> = consumers_of(v.nodes).map(|(_, c)| c).collect();
    let (exact, recent) = (check_notified_once(&consumers), check_notified_once_recent(&consumers));
    assert_eq!(
        exact.is_ok(),
        recent.is_ok(),
        "at {} µs the per-event check disagrees: {exact:?} vs {recent:?}",
        v.now_us
    );
    exact
}

/// The exact check over the whole logs; the cluster runs the incremental one
/// after every event, so every sweep step also proves the two agree.
fn atomicity(v: &View<'_, Actor>) -> Result<(), String> {
    let participants: Vec<&TpcParticipant> = participants_of(v.nodes).map(|(_, p)| p).collect();
    let exact = check_atomicity(coordinator_of(v.nodes), &participants);
    let recent = check_atomicity_recent(coordinator_of(v.nodes), &participants, 0);
    assert_eq!(
        exact.is_ok(),
        recent.is_ok(),
        "at {} µs the per-event 2PC check disagrees: {exact:?} vs {recent:?}",
        v.now_us
    );
    exact
}

/// What the whole shop runs after every event that touches 2PC: only the
/// final records and ENDs written at this instant.
fn atomicity_at_this_instant(v: &View<'_, Actor>) -> Result<(), String> {
    let participants: Vec<&TpcParticipant> = participants_of(v.nodes).map(|(_, p)| p).collect();
    check_atomicity_recent(coordinator_of(v.nodes), &participants, v.now_us)
}

/// The exact 2PC check and the per-instant one broke at the same event, or neither did.
fn assert_same_break(sim: &Sim<Actor>, design: &Design, seed: u64) {
    let event_of = |name| sim.properties().verdict(name).map(|v| v.first_violation.as_ref().map(|x| x.event_index));
    if let (Some(exact), Some(instant)) = (event_of("2pc-atomicity"), event_of(AT_THIS_INSTANT)) {
        assert_eq!(exact, instant, "design {:?} seed {seed}: the per-instant 2PC check broke elsewhere", design.name);
    }
}

/// A service still believes it holds the lock, but ZooKeeper has expired its
/// session (and so deleted its node).
fn stale_holder(v: &View<'_, Actor>) -> bool {
    let zk = zk_of(v.nodes);
    services_of(v.nodes)
        .any(|(_, s)| s.lock.holds_lock() && s.lock.session.is_some_and(|id| !zk.sessions.contains_key(&id)))
}

fn stale_write_fenced(v: &View<'_, Actor>) -> bool {
    store_of(v.nodes).writes_rejected > 0
}

fn sold_out(v: &View<'_, Actor>) -> bool {
    store_of(v.nodes).stock.values().any(|row| row.units == 0)
}

fn blocked_in_doubt(v: &View<'_, Actor>) -> bool {
    participants_of(v.nodes).any(|(_, p)| p.blocked_since_us().is_some_and(|since| v.now_us >= since + SEC))
}

fn recovered_commit(v: &View<'_, Actor>) -> bool {
    coordinator_of(v.nodes).timeline.iter().any(|e| e.phase == TpcPhase::Recovered)
}

fn short_abort(v: &View<'_, Actor>) -> bool {
    let short = TxnOutcome::Aborted(AbortReason::InsufficientStock);
    coordinator_of(v.nodes).outcomes.values().any(|o| *o == short)
}

fn some_commit(v: &View<'_, Actor>) -> bool {
    coordinator_of(v.nodes).outcomes.values().any(|o| *o == TxnOutcome::Committed)
}

fn redelivered(v: &View<'_, Actor>) -> bool {
    broker_of(v.nodes).redeliveries > 0
}

fn duplicate_skipped(v: &View<'_, Actor>) -> bool {
    consumers_of(v.nodes).any(|(_, c)| c.duplicates_skipped > 0)
}

// ---- worlds ---------------------------------------------------------------------

/// A world, the nodes faults may hit, and when the workload asks which node
/// for work.
struct World {
    sim: Sim<Actor>,
    targets: Vec<NodeId>,
    hot: Vec<(TimeUs, NodeId)>,
}

/// `n` request times in 2–3 bursts at random moments of the first 40 s, each
/// burst 20 ms wide (a flash sale, a batch of payments), in time order.
fn burst_times(rng: &mut SimRng, n: u32) -> Vec<TimeUs> {
    let bursts: Vec<TimeUs> = (0..rng.between(2, 3)).map(|_| rng.below(40 * SEC)).collect();
    let mut times: Vec<TimeUs> = (0..n).map(|_| *rng.pick(&bursts).expect("bursts") + rng.below(20 * MS)).collect();
    times.sort_unstable();
    times
}

const PRODUCT: u32 = 7;
const UNITS: u32 = 5;
const SERVICES: u16 = 3;
const BUYERS: u32 = 8;
/// Requests made after the heal carry order numbers from here.
const PROBE_ORDER: u32 = 1_000;
/// When the liveness phase's requests are made: 15 s after the heal, when a
/// stale session has been found out (pings go every third of 10 s).
const PROBE_AT_US: TimeUs = SAFETY_US + 15 * SEC;

/// ZooKeeper, the store (5 units), three services, and a shop driver with 8
/// one-unit purchases in bursts, then one probe purchase per service.
fn inventory_world(seed: u64, use_lock: bool, fencing: bool) -> World {
    let mut rng = SimRng::new(seed, WORKLOAD_STREAM);
    let mut sim = Sim::new(seed, LINK);
    let zk = sim.add_node("zk", Actor::Zk(ZkServer::new(ZkConfig::default())));
    let mut store = InventoryStore::new(InventoryStoreConfig { fencing });
    store.add_stock(PRODUCT, UNITS);
    let store_id = sim.add_node("stock-db", Actor::Store(store));
    let services: Vec<NodeId> = (0..SERVICES)
        .map(|k| {
            let config = InventoryServiceConfig { use_lock, ..InventoryServiceConfig::default() };
            let lock = LockClient::new(Default::default(), zk, 100 + u32::from(k));
            sim.add_node(format!("inventory-{k}"), Actor::Service(InventoryService::new(config, store_id, lock)))
        })
        .collect();
    let purchase = |order| Wire::Inv(InventoryMsg::Purchase { order, product: PRODUCT, qty: 1 });
    let mut script: Vec<(TimeUs, NodeId, Wire)> = burst_times(&mut rng, BUYERS)
        .into_iter()
        .zip(1..)
        .map(|(at_us, order)| (at_us, *rng.pick(&services).expect("services"), purchase(order)))
        .collect();
    let hot = script.iter().map(|s| (s.0, s.1)).collect();
    script.extend(services.iter().zip(PROBE_ORDER..).map(|(&s, order)| (PROBE_AT_US, s, purchase(order))));
    sim.add_node("shop", Actor::Driver(Driver { script, got: Vec::new() }));
    let mut targets = vec![zk, store_id];
    targets.extend(&services);
    World { sim, targets, hot }
}

const IN_STOCK: u32 = 6;
const ORDERS: u32 = 6;
/// A product with plenty of stock, for the probe transaction after the heal.
const PROBE_PRODUCT: u32 = 8;
const PROBE_STOCK: u32 = 1_000;

/// The coordinator, the order and inventory participants, and a client
/// beginning 6 orders of 1–3 units in bursts, then a probe order.
fn two_phase_world(seed: u64, two_phase: bool) -> World {
    let mut rng = SimRng::new(seed, WORKLOAD_STREAM);
    let mut sim = Sim::new(seed, LINK);
    let (coordinator, orders, stock) = (NodeId(0), NodeId(1), NodeId(2));
    let config = TpcCoordinatorConfig { two_phase, ..TpcCoordinatorConfig::default() };
    sim.add_node("2pc-coordinator", Actor::Coordinator(TpcCoordinator::new(config, vec![orders, stock])));
    let participant = |resource| TpcParticipant::new(TpcParticipantConfig::default(), resource, coordinator);
    sim.add_node("order", Actor::Participant(participant(Resource::Orders)));
    let mut inventory = participant(Resource::Stock);
    inventory.stock.insert(PRODUCT, IN_STOCK);
    inventory.stock.insert(PROBE_PRODUCT, PROBE_STOCK);
    sim.add_node("inventory", Actor::Participant(inventory));
    let begin = |product, qty| Wire::Tpc(TpcMsg::Begin { product, qty, client_ref: 0 });
    let mut script: Vec<(TimeUs, NodeId, Wire)> = burst_times(&mut rng, ORDERS)
        .into_iter()
        .map(|at_us| (at_us, coordinator, begin(PRODUCT, rng.between(1, 3) as u32)))
        .collect();
    let hot = script.iter().map(|s| (s.0, s.1)).collect();
    script.push((PROBE_AT_US, coordinator, begin(PROBE_PRODUCT, 1)));
    sim.add_node("client", Actor::Driver(Driver { script, got: Vec::new() }));
    World { sim, targets: vec![coordinator, orders, stock], hot }
}

const EVENTS: u32 = 10;

/// The broker, one notification consumer and the payment publisher with 10
/// payment events in bursts, then a probe event. The consumer is where an
/// event's window is (side effect ≈ 20 ms after the publish, ack 5 ms later).
fn queue_world(seed: u64, dedupe: bool) -> World {
    let mut rng = SimRng::new(seed, WORKLOAD_STREAM);
    let mut sim = Sim::new(seed, LINK);
    let broker = sim.add_node("mq", Actor::Broker(MqBroker::new(MqBrokerConfig::default())));
    let config = MqConsumerConfig { dedupe, ..MqConsumerConfig::default() };
    let consumer = sim.add_node("notification", Actor::Consumer(MqConsumer::new(config, broker)));
    let mut script: Vec<(TimeUs, u32)> = burst_times(&mut rng, EVENTS).into_iter().zip(1..).collect();
    let hot = script.iter().map(|s| (s.0, consumer)).collect();
    script.push((PROBE_AT_US, PROBE_ORDER));
    let publisher = MqPublisher::new(MqPublisherConfig::default(), broker, 10_000);
    let payment = sim.add_node("payment", Actor::Publisher(publisher, script));
    World { sim, targets: vec![broker, consumer, payment], hot }
}

fn build(config: Config, seed: u64) -> World {
    match config {
        Config::Inventory { use_lock, fencing } => inventory_world(seed, use_lock, fencing),
        Config::TwoPhase { two_phase } => two_phase_world(seed, two_phase),
        Config::Queue { dedupe } => queue_world(seed, dedupe),
    }
}

// ---- liveness after the heal ----------------------------------------------------

/// No purchase left pending, every probe purchase served (sold, or none
/// left), and the lock free or held by a live client.
fn inventory_recovered(sim: &Sim<Actor>) -> Result<(), String> {
    let nodes = sim.nodes();
    for ((id, s), probe) in services_of(nodes).zip(PROBE_ORDER..) {
        if let Some(p) = s.current.or(s.queue.front().copied()) {
            return Err(format!("{} still has order {} pending ({:?})", sim.name(id), p.order, p.step));
        }
        let outcome = s.outcomes.iter().find(|(o, _)| *o == probe).map(|(_, out)| *out);
        let served = PurchaseOutcome::Failed(InventoryFailure::InsufficientStock);
        if outcome != Some(PurchaseOutcome::Sold) && outcome != Some(served) {
            return Err(format!("{}: probe purchase {probe} came to {outcome:?}", sim.name(id)));
        }
    }
    if let Some((seq, node)) = zk_of(nodes).holder() {
        let live = services_of(nodes)
            .any(|(id, s)| s.lock.session == Some(node.session) && sim.lifecycle(id).process == Process::Up);
        if !live {
            return Err(format!("DataNode{seq} held by session {} of no live client", node.session));
        }
    }
    Ok(())
}

/// Nothing in doubt or waiting for a lock anywhere, nothing open at the
/// coordinator, and the probe order begun after the heal committed.
fn two_phase_recovered(sim: &Sim<Actor>) -> Result<(), String> {
    let nodes = sim.nodes();
    for (id, p) in participants_of(nodes) {
        if !p.open.is_empty() || !p.locks.is_empty() {
            return Err(format!("{} still has open transactions {:?}, locks {:?}", sim.name(id), p.open, p.locks));
        }
    }
    let c = coordinator_of(nodes);
    if !c.active.is_empty() {
        return Err(format!("the coordinator still has open transactions {:?}", c.active));
    }
    let left = participants_of(nodes).find_map(|(_, p)| p.stock.get(&PROBE_PRODUCT).copied());
    if left != Some(PROBE_STOCK - 1) {
        return Err(format!("the probe order after the heal did not commit: {left:?} of {PROBE_STOCK} left"));
    }
    Ok(())
}

/// The queue drained (nothing ready, nothing unacked) and the probe event
/// published after the heal was notified.
fn queue_recovered(sim: &Sim<Actor>) -> Result<(), String> {
    let nodes = sim.nodes();
    let b = broker_of(nodes);
    if !b.ready.is_empty() || !b.unacked.is_empty() {
        return Err(format!("the queue did not drain: {} ready, {} unacked", b.ready.len(), b.unacked.len()));
    }
    if !consumers_of(nodes).any(|(_, c)| c.notified.contains_key(&PROBE_ORDER)) {
        return Err("the probe event published after the heal was never notified".to_string());
    }
    Ok(())
}

fn recovered(config: Config, sim: &Sim<Actor>) -> Result<(), String> {
    match config {
        Config::Inventory { .. } => inventory_recovered(sim),
        Config::TwoPhase { .. } => two_phase_recovered(sim),
        Config::Queue { .. } => queue_recovered(sim),
    }
}

// ---- fault schedules ------------------------------------------------------------

/// A random schedule from the seed: a few episodes, each a fault on one node
/// or link, mostly undone a while later (milliseconds to seconds, or long
/// enough to outlast a 10 s session). Half land just after a workload
/// request, and half of those hit the node doing the work with a process
/// fault (pause, crash, slowness, reboot); the rest hit any node with any
/// fault.
fn schedule(seed: u64, targets: &[NodeId], hot: &[(TimeUs, NodeId)]) -> Vec<(TimeUs, Fault)> {
    let mut rng = SimRng::new(seed, SCHEDULE_STREAM);
    let mut faults = Vec::new();
    for _ in 0..rng.between(EPISODES.0, EPISODES.1) {
        let (hot_us, busy) = *rng.pick(hot).expect("a workload");
        let is_hot = rng.chance_ppm(500_000);
        let at_us = if is_hot { hot_us + rng.below(HOT_WINDOW_US) } else { rng.below(SAFETY_US) };
        let anyone = *rng.pick(targets).expect("targets");
        let on_busy = is_hot && rng.chance_ppm(500_000);
        let node = if on_busy { busy } else { anyone };
        let others: Vec<NodeId> = targets.iter().copied().filter(|&n| n != node).collect();
        let peer = *rng.pick(&others).expect("two targets");
        let lasts_us = if rng.chance_ppm(500_000) { rng.between(MS, 3 * SEC) } else { rng.between(8 * SEC, 25 * SEC) };
        let undone = rng.chance_ppm(800_000);
        let extra_us = rng.between(MS, 12 * SEC);
        let kind = if on_busy { *rng.pick(&[0, 1, 2, 3, 7]).expect("kinds") } else { rng.below(9) };
        let (fault, undo) = match kind {
            0 => (Fault::Crash { node }, Fault::Restart { node }),
            1 | 2 => (Fault::Pause { node }, Fault::Resume { node }),
            3 => (Fault::Slow { node, extra_us }, Fault::Slow { node, extra_us: 0 }),
            4 => (Fault::Isolate { node }, Fault::Rejoin { node }),
            5 => (Fault::Cut { from: node, to: peer, both_ways: false }, Fault::Heal { a: node, b: peer }),
            6 => (Fault::Cut { from: node, to: peer, both_ways: true }, Fault::Heal { a: node, b: peer }),
            // A running node rebooted on the spot.
            7 => (Fault::Restart { node }, Fault::Restart { node }),
            _ => (Fault::HealAll, Fault::HealAll),
        };
        faults.push((at_us, fault));
        if undone && undo != fault {
            faults.push((at_us + lasts_us, undo));
        }
    }
    faults.retain(|&(at_us, _)| at_us < SAFETY_US);
    faults.sort_by_key(|&(at_us, _)| at_us);
    faults
}

// ---- one run --------------------------------------------------------------------

/// What one seed of one design came to.
struct Run {
    seed: u64,
    schedule: Vec<(TimeUs, Fault)>,
    /// The first `always` property to break, and where.
    violation: Option<(&'static str, Violation)>,
    /// Which witnesses were reached, in the design's order.
    witnessed: Vec<bool>,
    /// The liveness phase's verdict (`Ok` if it was not run).
    liveness: Result<(), String>,
    trace_hash: u64,
}

impl Run {
    fn reproduce(&self, design: &Design) -> String {
        format!("reproduce: design={:?} seed={} schedule={:?}", design.name, self.seed, self.schedule)
    }
}

fn first_broken(sim: &Sim<Actor>) -> Option<(&'static str, Violation)> {
    let verdict = sim.properties().first_broken()?;
    Some((verdict.name, verdict.first_violation.clone()?))
}

/// Every node resumed at full speed, the crashed restarted, every link healed.
fn heal(sim: &mut Sim<Actor>, targets: &[NodeId]) {
    for &node in targets {
        sim.inject(Fault::Resume { node });
        sim.inject(Fault::Slow { node, extra_us: 0 });
        if sim.lifecycle(node).process == Process::Crashed {
            sim.inject(Fault::Restart { node });
        }
    }
    sim.inject(Fault::HealAll);
}

/// Runs one seed: the safety phase under its schedule, then, if `liveness`
/// and no invariant broke, the heal and the liveness phase.
fn run(design: &Design, seed: u64, liveness: bool) -> Run {
    let World { mut sim, targets, hot } = build(design.config, seed);
    for &(name, check) in design.always {
        sim.properties_mut().always(name, check);
    }
    for w in design.sometimes {
        sim.properties_mut().sometimes(w.name, w.check);
    }
    let schedule = schedule(seed, &targets, &hot);
    for &(at_us, fault) in &schedule {
        sim.schedule_fault(at_us, fault);
    }
    assert!(sim.run_until(SAFETY_US, BUDGET).reached, "{}: event budget spent, seed {seed}", design.name);
    let mut violation = first_broken(&sim);
    let mut verdict = Ok(());
    if violation.is_none() && liveness {
        heal(&mut sim, &targets);
        let reached = sim.run_until(SAFETY_US + LIVENESS_US, BUDGET).reached;
        assert!(reached, "{}: event budget spent after the heal, seed {seed}", design.name);
        violation = first_broken(&sim);
        verdict = recovered(design.config, &sim);
    }
    assert_same_break(&sim, design, seed);
    let witnessed =
        design.sometimes.iter().map(|w| sim.properties().verdict(w.name).is_some_and(|v| v.holds)).collect();
    Run { seed, schedule, violation, witnessed, liveness: verdict, trace_hash: sim.trace_hash() }
}

// ---- the sweeps -----------------------------------------------------------------

/// A safe design: every `always` holds after every event of every seed, the
/// system recovers after the heal, each witness is reached often enough.
fn sweep_safe(design: &Design) {
    assert!(design.safe && design.unsafe_for.is_empty(), "{} is not a safe design", design.name);
    let mut reached = vec![0u64; design.sometimes.len()];
    for seed in 0..SAFE_SEEDS {
        let run = run(design, seed, true);
        for (count, &seen) in reached.iter_mut().zip(&run.witnessed) {
            *count += u64::from(seen);
        }
        if let Some((name, v)) = &run.violation {
            panic!(
                "design {:?}: {name} broke at {} us, event {}: {}\n{}",
                design.name,
                v.at_us,
                v.event_index,
                v.reason,
                run.reproduce(design)
            );
        }
        if let Err(why) = &run.liveness {
            panic!("design {:?}: no recovery after the heal: {why}\n{}", design.name, run.reproduce(design));
        }
    }
    for (w, &count) in design.sometimes.iter().zip(&reached) {
        eprintln!("{}: witness {:?} reached in {count} of {SAFE_SEEDS} seeds", design.name, w.name);
        assert!(
            count * 100 >= w.min_percent * SAFE_SEEDS,
            "{}: witness {:?} reached in only {count} of {SAFE_SEEDS} seeds (want {}%)",
            design.name,
            w.name,
            w.min_percent
        );
    }
}

/// The first seed of an unsafe design whose run breaks an invariant.
struct Found {
    design: &'static Design,
    run: Run,
}

fn hunt(design: &'static Design) -> Option<Found> {
    assert!(!design.safe && !design.unsafe_for.is_empty(), "{} is a safe design", design.name);
    (0..HUNT_CAP).map(|seed| run(design, seed, false)).find(|r| r.violation.is_some()).map(|run| Found { design, run })
}

/// Each unsafe design's first violation (in table order), found once for all tests.
fn found() -> &'static [Option<Found>] {
    static FOUND: OnceLock<Vec<Option<Found>>> = OnceLock::new();
    FOUND.get_or_init(|| DESIGNS.iter().filter(|d| !d.safe).map(hunt).collect())
}

#[test]
fn inventory_with_lock_and_fencing_never_oversells_and_recovers() {
    sweep_safe(design("inventory: lock + fencing"));
}

#[test]
fn two_phase_commit_stays_atomic_and_resolves_every_doubt() {
    sweep_safe(design("two-phase commit"));
}

#[test]
fn queue_with_dedupe_notifies_once_and_drains() {
    sweep_safe(design("queue: acks + dedupe"));
}

#[test]
fn every_unsafe_design_breaks_under_some_seed() {
    let unsafe_designs = DESIGNS.iter().filter(|d| !d.safe);
    for (design, found) in unsafe_designs.zip(found()) {
        let Some(Found { run, .. }) = found else {
            panic!("design {:?}: no violation in {HUNT_CAP} seeds", design.name);
        };
        let (name, v) = run.violation.as_ref().expect("a violation");
        assert!(design.unsafe_for.contains(name), "design {:?} broke {name}, not {:?}", design.name, design.unsafe_for);
        eprintln!(
            "{}: {name} broke at {} us, event {}: {}\n  {}",
            design.name,
            v.at_us,
            v.event_index,
            v.reason,
            run.reproduce(design)
        );
    }
}

#[test]
fn found_violations_replay_identically_from_their_seed() {
    for Found { design, run: first } in found().iter().flatten() {
        let again = run(design, first.seed, false);
        let repro = first.reproduce(design);
        assert_eq!(again.schedule, first.schedule, "same schedule: {repro}");
        assert_eq!(again.trace_hash, first.trace_hash, "same trace hash: {repro}");
        assert_eq!(again.violation, first.violation, "same violation at the same event: {repro}");
    }
}
