//! Coordination mechanisms through the kernel: the ZooKeeper lock recipe and
//! its session expiry, inventory read-modify-write with and without the lock
//! and fencing tokens, two-phase commit (commit, abort, blocking on a
//! coordinator crash, presumed abort, 2PC off), and the RabbitMQ-like queue
//! (acks, redelivery, dedupe, delivery limit, TTL, confirms).
//!
//! Every run is a small world of test nodes wrapping the real state machines,
//! with a fixed 1 ms link so that times can be asserted exactly. Tests are
//! tables of cases checked by one function; each case names itself.
#![cfg(not(target_arch = "wasm32"))]

#[macro_use]
#[path = "support/wire.rs"]
mod wire;

use clusterlab::cluster::inventory::{
    InventoryFailure, InventoryMsg, InventoryService, InventoryServiceConfig, InventoryStore, InventoryStoreConfig,
    PurchaseOutcome, check_no_oversell, check_tokens_monotonic,
};
use clusterlab::cluster::mq::{
    DeadLetterReason, MqBroker, MqBrokerConfig, MqConsumer, MqConsumerConfig, MqMsg, MqPublisher, MqPublisherConfig,
    check_confirmed_acked_or_dead_lettered, check_notified_once,
};
use clusterlab::cluster::two_phase::{
    AbortReason, CLogKind, FINISHED_KEPT, PARTICIPANT_FINISHED_KEPT, PLogKind, Resource, TpcCoordinator,
    TpcCoordinatorConfig, TpcEvent, TpcMsg, TpcParticipant, TpcParticipantConfig, TpcPhase, TxnOutcome,
    check_atomicity,
};
use clusterlab::cluster::zk_lock::{
    FencingToken, LockClient, LockClientConfig, LockEvent, LockPhase, ZkConfig, ZkMsg, ZkServer, attempt_guid,
    node_name,
};
use clusterlab::sim::{Fault, LinkProfile, MINUTE_US, MS, NodeId, SEC, Sim, TimeUs, TraceKind};

/// One-way latency of every link.
const LAT: TimeUs = MS;
/// Event budget of a run (far more than any case needs).
const BUDGET: u64 = 1_000_000;

test_wire!(Zk(ZkMsg), Inv(InventoryMsg), Tpc(TpcMsg), Mq(MqMsg));

#[path = "support/coord_world.rs"]
mod coord_world;
use coord_world::{Actor, Driver, Locker};

macro_rules! getter {
    ($name:ident, $variant:ident, $ty:ty) => {
        fn $name(sim: &Sim<Actor>, id: NodeId) -> &$ty {
            match sim.node(id) {
                Actor::$variant(x) => x,
                other => panic!("node {id:?} is not a {}: {other:?}", stringify!($variant)),
            }
        }
    };
}
getter!(zk, Zk, ZkServer);
getter!(locker, Locker, Locker);
getter!(store, Store, InventoryStore);
getter!(service, Service, InventoryService);
getter!(coordinator, Coordinator, TpcCoordinator);
getter!(participant, Participant, TpcParticipant);
getter!(broker, Broker, MqBroker);
getter!(consumer, Consumer, MqConsumer);
getter!(driver, Driver, Driver);

/// A world with the fixed test latency.
fn world() -> Sim<Actor> {
    let mut sim = Sim::new(7, LinkProfile::fixed(LAT));
    sim.trace_mut().record_everything();
    sim
}

/// An inventory service of the test world.
fn inventory_service(use_lock: bool, store: NodeId, zk: NodeId, guid: u32) -> Actor {
    let config = InventoryServiceConfig { use_lock, ..InventoryServiceConfig::default() };
    let lock = LockClient::new(Default::default(), zk, guid);
    Actor::Service(InventoryService::new(config, store, lock))
}

/// A store with `units` of product 7.
fn stock_of_7(units: u32, fencing: bool) -> Actor {
    let mut s = InventoryStore::new(InventoryStoreConfig { fencing });
    s.add_stock(7, units);
    Actor::Store(s)
}

/// The outcome a service recorded for `order`.
fn outcome_of(sim: &Sim<Actor>, service_id: NodeId, order: u32) -> Option<PurchaseOutcome> {
    service(sim, service_id).outcomes.iter().find(|(o, _)| *o == order).map(|(_, out)| *out)
}

#[test]
fn every_message_is_small_and_copy() {
    fn copy<T: Copy>() {}
    copy::<ZkMsg>();
    copy::<InventoryMsg>();
    copy::<TpcMsg>();
    copy::<MqMsg>();
    let sizes = [
        ("ZkMsg", size_of::<ZkMsg>()),
        ("InventoryMsg", size_of::<InventoryMsg>()),
        ("TpcMsg", size_of::<TpcMsg>()),
        ("MqMsg", size_of::<MqMsg>()),
    ];
    for (name, size) in sizes {
        assert!(size <= 32, "{name} is {size} bytes (limit 32)");
    }
}

// ---- ZooKeeper lock ----------------------------------------------------------

/// A lock user that asks at `acquire_at_us` and holds for `hold_us`.
fn new_locker(zk_id: NodeId, guid: u32, timeout_us: TimeUs, acquire_at_us: TimeUs, hold_us: Option<TimeUs>) -> Actor {
    let config = LockClientConfig { session_timeout_us: timeout_us };
    let client = LockClient::new(config, zk_id, guid);
    Actor::Locker(Locker { client, acquire_at_us, hold_us, gives_up_at_us: None, events: Vec::new() })
}

fn grants(sim: &Sim<Actor>, id: NodeId) -> Vec<(TimeUs, FencingToken)> {
    locker(sim, id)
        .events
        .iter()
        .filter_map(|&(at, e)| match e {
            LockEvent::Acquired { token } => Some((at, token)),
            LockEvent::SessionExpired { .. } => None,
        })
        .collect()
}

struct QueueCase {
    name: &'static str,
    clients: u32,
    hold_us: TimeUs,
}

const QUEUE_CASES: &[QueueCase] = &[
    QueueCase { name: "two clients, 1 s each", clients: 2, hold_us: SEC },
    QueueCase { name: "three clients (DataNode1..3), 1 s each", clients: 3, hold_us: SEC },
    QueueCase { name: "five clients, 200 ms each", clients: 5, hold_us: 200 * MS },
];

/// Clients ask 10 ms apart. Client k's node is `DataNodek`; the lowest holds;
/// every other node's owner watches the next-lower node only; each release
/// wakes exactly one waiter, which holds 4 one-way latencies later (delete,
/// watch event, getChildren, reply); the fencing tokens are 1, 2, 3, ….
fn check_queue(case: &QueueCase) {
    let mut sim = world();
    let zk_id = sim.add_node("zk", Actor::Zk(ZkServer::new(ZkConfig::default())));
    let ids: Vec<NodeId> = (0..case.clients)
        .map(|k| {
            let client = new_locker(zk_id, 100 + k, 10 * SEC, TimeUs::from(k) * 10 * MS, Some(case.hold_us));
            sim.add_node(format!("client-{k}"), client)
        })
        .collect();
    // Everyone queued, nobody released yet.
    sim.run_until(case.hold_us / 2, BUDGET);
    let server = zk(&sim, zk_id);
    let names: Vec<String> = server.children.keys().map(|&s| node_name(s)).collect();
    let expected: Vec<String> = (1..=case.clients).map(|k| format!("/locker/DataNode{k}")).collect();
    assert_eq!(names, expected, "{}: children of /locker", case.name);
    for k in 1..case.clients {
        let watcher = locker(&sim, ids[k as usize]).client.session.expect("connected");
        assert_eq!(
            server.watches.get(&k),
            Some(&vec![watcher]),
            "{}: DataNode{k} watched by its successor only",
            case.name
        );
    }
    assert_eq!(server.watches.get(&case.clients), None, "{}: nobody watches the last node", case.name);
    // The first release wakes one client, not the herd.
    let first_grant_us = 6 * LAT;
    sim.run_until(first_grant_us + case.hold_us + 4 * LAT + 1, BUDGET);
    assert_eq!(zk(&sim, zk_id).watch_events_sent, 1, "{}: one watch event per release", case.name);
    sim.run_until(60 * SEC, BUDGET);
    for (k, &id) in ids.iter().enumerate() {
        let k = k as u64;
        let at = first_grant_us + k * (case.hold_us + 4 * LAT);
        assert_eq!(grants(&sim, id), vec![(at, k as u32 + 1)], "{}: client {k} granted once, in order", case.name);
    }
    assert_eq!(zk(&sim, zk_id).watch_events_sent, u64::from(case.clients - 1), "{}: no herd effect", case.name);
    assert!(zk(&sim, zk_id).children.is_empty(), "{}: every node deleted", case.name);
}

#[test]
fn lock_queue_lowest_holds_and_each_release_wakes_exactly_one() {
    QUEUE_CASES.iter().for_each(check_queue);
}

/// What happens to the first holder.
#[derive(Clone, Copy, Debug)]
enum HolderFault {
    /// A GC pause, resumed 2 s after its session expired.
    Pause,
    Crash,
    /// Cut off from the ensemble (its pings are lost).
    Isolate,
}

struct ExpiryCase {
    name: &'static str,
    asked_us: TimeUs,
    negotiated_us: TimeUs,
    fault: HolderFault,
}

const EXPIRY_CASES: &[ExpiryCase] = &[
    ExpiryCase {
        name: "10 s session, holder paused",
        asked_us: 10 * SEC,
        negotiated_us: 10 * SEC,
        fault: HolderFault::Pause,
    },
    ExpiryCase {
        name: "10 s session, holder crashed",
        asked_us: 10 * SEC,
        negotiated_us: 10 * SEC,
        fault: HolderFault::Crash,
    },
    ExpiryCase {
        name: "10 s session, holder cut off",
        asked_us: 10 * SEC,
        negotiated_us: 10 * SEC,
        fault: HolderFault::Isolate,
    },
    ExpiryCase {
        name: "1 s asked: min 2 x tickTime = 4 s",
        asked_us: SEC,
        negotiated_us: 4 * SEC,
        fault: HolderFault::Pause,
    },
    ExpiryCase {
        name: "Curator's 60 s: max 20 x tickTime = 40 s",
        asked_us: 60 * SEC,
        negotiated_us: 40 * SEC,
        fault: HolderFault::Crash,
    },
];

/// The holder stops talking at 1 s. Its session expires at ZooKeeper's next
/// tick boundary after (last heard + timeout) — last heard is its
/// getChildren at 5 ms — and not a microsecond before; then its node is
/// deleted and the waiter holds 3 latencies later. A paused holder still
/// believes it holds the lock until it resumes and its next ping is answered.
fn check_expiry(case: &ExpiryCase) {
    let mut sim = world();
    let zk_id = sim.add_node("zk", Actor::Zk(ZkServer::new(ZkConfig::default())));
    let a = sim.add_node("holder", new_locker(zk_id, 1, case.asked_us, 0, None));
    let b = sim.add_node("waiter", new_locker(zk_id, 2, 10 * SEC, 100 * MS, None));
    let fault = match case.fault {
        HolderFault::Pause => Fault::Pause { node: a },
        HolderFault::Crash => Fault::Crash { node: a },
        HolderFault::Isolate => Fault::Isolate { node: a },
    };
    sim.run_until(SEC, BUDGET);
    sim.inject(fault);
    assert_eq!(
        zk(&sim, zk_id).sessions.values().next().map(|s| s.timeout_us),
        Some(case.negotiated_us),
        "{}",
        case.name
    );
    assert_eq!(grants(&sim, a).len(), 1, "{}: the holder held", case.name);
    assert_eq!(locker(&sim, b).client.phase, LockPhase::Watching { predecessor: 1 }, "{}", case.name);
    let tick = 2 * SEC;
    let expiry_us = ((5 * LAT + case.negotiated_us) / tick + 1) * tick;
    assert_eq!(zk(&sim, zk_id).sessions.values().next().map(|s| s.expires_at_us), Some(expiry_us), "{}", case.name);
    sim.run_until(expiry_us - 1, BUDGET);
    assert_eq!(zk(&sim, zk_id).holder().map(|(seq, _)| seq), Some(1), "{}: still held before expiry", case.name);
    assert!(grants(&sim, b).is_empty(), "{}: waiter still waiting", case.name);
    sim.run_until(expiry_us + 10 * MS, BUDGET);
    assert_eq!(zk(&sim, zk_id).sessions_expired, 1, "{}: one session expired", case.name);
    assert_eq!(grants(&sim, b), vec![(expiry_us + 3 * LAT, 2)], "{}: waiter holds with token 2", case.name);
    if let HolderFault::Pause = case.fault {
        assert!(locker(&sim, a).client.holds_lock(), "{}: the paused holder still believes", case.name);
        let resume_us = expiry_us + 2 * SEC;
        sim.schedule_fault(resume_us, Fault::Resume { node: a });
        sim.run_until(resume_us + 10 * MS, BUDGET);
        let told = LockEvent::SessionExpired { was_holding: true };
        assert_eq!(
            locker(&sim, a).events.last(),
            Some(&(resume_us + 2 * LAT, told)),
            "{}: told on its next ping",
            case.name
        );
    }
}

#[test]
fn lock_session_expiry_frees_the_lock_at_the_configured_timeout() {
    EXPIRY_CASES.iter().for_each(check_expiry);
}

const ZK_NODE: NodeId = NodeId(0);
const CLIENT_A: NodeId = NodeId(1);
const CLIENT_B: NodeId = NodeId(2);

/// A frame lost between the ensemble and a lock client (the connection it
/// rode on broke), and how the recipe gets over it.
struct LostFrameCase {
    name: &'static str,
    /// Client A (id 1) asks at 0 and holds this long (forever if `None`).
    a_hold_us: Option<TimeUs>,
    /// A gives up at this moment, granted or not.
    a_gives_up_at_us: Option<TimeUs>,
    /// Client B (id 2) asks at 10 ms and holds forever.
    waiter: bool,
    faults: &'static [(TimeUs, Fault)],
    grants_a: &'static [(TimeUs, FencingToken)],
    grants_b: &'static [(TimeUs, FencingToken)],
    /// Watch events the ensemble fired again when a ping named a watch on a
    /// node already gone.
    refired: u64,
    /// Deletes A sent again.
    deletes_retried: u64,
    /// The nodes left at 30 s: (sequence, client id, attempt).
    nodes_left: &'static [(u32, u32, u32)],
}

const LOST_FRAME_CASES: &[LostFrameCase] = &[
    LostFrameCase {
        // The create goes at 2 ms; after the read timeout (2/3 of 10 s) A
        // lists the children and finds its node by the attempt's GUID.
        name: "create reply lost: after the read timeout the GUID finds the node, one node not two",
        a_hold_us: None,
        a_gives_up_at_us: None,
        waiter: false,
        faults: &[
            (3 * LAT + LAT / 2, Fault::Cut { from: ZK_NODE, to: CLIENT_A, both_ways: false }),
            (100 * MS, Fault::Heal { a: ZK_NODE, b: CLIENT_A }),
        ],
        grants_a: &[(2 * LAT + 10 * SEC * 2 / 3 + 2 * LAT, 1)],
        grants_b: &[],
        refired: 0,
        deletes_retried: 0,
        nodes_left: &[(1, 1, 1)],
    },
    LostFrameCase {
        // Connected again at 1.502 s; after the read timeout the list finds
        // DataNode2 by this attempt's GUID (not
        // DataNode1, the dead session's, which lives until its expiry at the
        // 12 s tick) and waits for DataNode1 to go.
        name: "crash, restart, create reply lost: the old session's node is not taken for ours",
        a_hold_us: None,
        a_gives_up_at_us: None,
        waiter: false,
        faults: &[
            (SEC, Fault::Crash { node: CLIENT_A }),
            (1_500 * MS, Fault::Restart { node: CLIENT_A }),
            (1_502 * MS + LAT / 2, Fault::Cut { from: ZK_NODE, to: CLIENT_A, both_ways: false }),
            (1_600 * MS, Fault::Heal { a: ZK_NODE, b: CLIENT_A }),
        ],
        grants_a: &[(6 * LAT, 1), (12 * SEC + 3 * LAT, 2)],
        grants_b: &[],
        refired: 0,
        deletes_retried: 0,
        nodes_left: &[(2, 1, 2)],
    },
    LostFrameCase {
        // A's create reply is lost and A gives up at 1 s, not knowing its
        // node: it lists the children for the attempt's GUID (reply at
        // 1.002 s) and deletes DataNode1 (gone at 1.003 s); B is told at
        // 1.004 s and holds 2 ms later.
        name: "gives up while its create is unanswered: the node is found by GUID and deleted",
        a_hold_us: None,
        a_gives_up_at_us: Some(SEC),
        waiter: true,
        faults: &[
            (3 * LAT + LAT / 2, Fault::Cut { from: ZK_NODE, to: CLIENT_A, both_ways: false }),
            (100 * MS, Fault::Heal { a: ZK_NODE, b: CLIENT_A }),
        ],
        grants_a: &[],
        grants_b: &[(SEC + 6 * LAT, 2)],
        refired: 0,
        deletes_retried: 0,
        nodes_left: &[(2, 2, 1)],
    },
    LostFrameCase {
        // A is slowed by 10 s just before its create (sent at 2 ms, so it
        // leaves at 10.002 s) and back to speed at 3 s. Links are FIFO: what
        // A sends after the read timeout (a listing) waits behind the slowed
        // create, so the create lands first (10.003 s), A's listing finds it
        // and A holds with that one node: no second create, no orphan.
        name: "a slowed create: later requests queue behind it, one node",
        a_hold_us: None,
        a_gives_up_at_us: None,
        waiter: false,
        faults: &[
            (3 * LAT / 2, Fault::Slow { node: CLIENT_A, extra_us: 10 * SEC }),
            (3 * SEC, Fault::Slow { node: CLIENT_A, extra_us: 0 }),
        ],
        grants_a: &[(10 * SEC + 4 * LAT, 1)],
        grants_b: &[],
        refired: 0,
        deletes_retried: 0,
        nodes_left: &[(1, 1, 1)],
    },
    LostFrameCase {
        // A releases at 1.006 s; its delete is lost; sent again after the
        // read timeout (2/3 of 10 s); B is told 1 ms later and holds 2 ms after.
        name: "delete lost: guaranteed delete sends it again, the waiter holds",
        a_hold_us: Some(SEC),
        a_gives_up_at_us: None,
        waiter: true,
        faults: &[
            (SEC, Fault::Cut { from: CLIENT_A, to: ZK_NODE, both_ways: false }),
            (1_100 * MS, Fault::Heal { a: CLIENT_A, b: ZK_NODE }),
        ],
        grants_a: &[(6 * LAT, 1)],
        grants_b: &[(6 * LAT + SEC + 10 * SEC * 2 / 3 + 4 * LAT, 2)],
        refired: 0,
        deletes_retried: 1,
        nodes_left: &[(2, 2, 1)],
    },
    LostFrameCase {
        // B connected at 12 ms; its first ping (3.345 s) names its watch on
        // DataNode1, gone: the event is fired again, B lists and holds.
        name: "watch event lost: the waiter's next ping re-registers it and it fires again",
        a_hold_us: Some(SEC),
        a_gives_up_at_us: None,
        waiter: true,
        faults: &[
            (SEC, Fault::Cut { from: ZK_NODE, to: CLIENT_B, both_ways: false }),
            (1_100 * MS, Fault::Heal { a: ZK_NODE, b: CLIENT_B }),
        ],
        grants_a: &[(6 * LAT, 1)],
        grants_b: &[(12 * LAT + 10 * SEC / 3 + 4 * LAT, 2)],
        refired: 1,
        deletes_retried: 0,
        nodes_left: &[(2, 2, 1)],
    },
];

fn check_lost_frame(case: &LostFrameCase) {
    let mut sim = world();
    let zk_id = sim.add_node("zk", Actor::Zk(ZkServer::new(ZkConfig::default())));
    let mut client_a = new_locker(zk_id, 1, 10 * SEC, 0, case.a_hold_us);
    if let Actor::Locker(l) = &mut client_a {
        l.gives_up_at_us = case.a_gives_up_at_us;
    }
    let a = sim.add_node("client-a", client_a);
    assert_eq!((zk_id, a), (ZK_NODE, CLIENT_A));
    if case.waiter {
        assert_eq!(sim.add_node("client-b", new_locker(zk_id, 2, 10 * SEC, 10 * MS, None)), CLIENT_B);
    }
    for &(at_us, fault) in case.faults {
        sim.schedule_fault(at_us, fault);
    }
    sim.run_until(30 * SEC, BUDGET);
    assert_eq!(grants(&sim, a), case.grants_a, "{}: A's grants", case.name);
    assert_eq!(zk(&sim, zk_id).watch_events_refired, case.refired, "{}: watch events fired again", case.name);
    if case.waiter {
        assert_eq!(grants(&sim, CLIENT_B), case.grants_b, "{}: B's grants", case.name);
    }
    assert_eq!(locker(&sim, a).client.deletes_retried, case.deletes_retried, "{}: deletes retried", case.name);
    let left: Vec<(u32, u64)> = zk(&sim, zk_id).children.iter().map(|(&seq, n)| (seq, n.guid)).collect();
    let expected: Vec<(u32, u64)> = case.nodes_left.iter().map(|&(seq, c, k)| (seq, attempt_guid(c, k))).collect();
    assert_eq!(left, expected, "{}: nodes left, with their attempts' GUIDs", case.name);
}

#[test]
fn lock_recipe_gets_over_a_lost_frame_without_a_stale_node_or_a_stuck_waiter() {
    LOST_FRAME_CASES.iter().for_each(check_lost_frame);
}

// ---- inventory: read-modify-write, the lock, fencing ---------------------------

struct OversellCase {
    name: &'static str,
    use_lock: bool,
    stock: u32,
    outcomes: [PurchaseOutcome; 2],
    units_left: u32,
    oversold: u64,
}

const SOLD: PurchaseOutcome = PurchaseOutcome::Sold;
const NO_STOCK: PurchaseOutcome = PurchaseOutcome::Failed(InventoryFailure::InsufficientStock);

const OVERSELL_CASES: &[OversellCase] = &[
    OversellCase {
        name: "no lock, 1 in stock: both read 1 and both sell",
        use_lock: false,
        stock: 1,
        outcomes: [SOLD, SOLD],
        units_left: 0,
        oversold: 1,
    },
    OversellCase {
        name: "no lock, 10 in stock: lost update, the row says 9 after 2 sold",
        use_lock: false,
        stock: 10,
        outcomes: [SOLD, SOLD],
        units_left: 9,
        oversold: 0,
    },
    OversellCase {
        name: "ZooKeeper lock, 1 in stock: the second finds none",
        use_lock: true,
        stock: 1,
        outcomes: [SOLD, NO_STOCK],
        units_left: 0,
        oversold: 0,
    },
    OversellCase {
        name: "ZooKeeper lock, 10 in stock: 8 left after 2 sold",
        use_lock: true,
        stock: 10,
        outcomes: [SOLD, SOLD],
        units_left: 8,
        oversold: 0,
    },
];

/// Two inventory services each sell one unit of product 7, asked at the same
/// moment: read (1 round trip), compute 5 ms, write stock − 1.
fn check_oversell(case: &OversellCase) {
    let mut sim = world();
    let zk_id = sim.add_node("zk", Actor::Zk(ZkServer::new(ZkConfig::default())));
    let store_id = sim.add_node("stock-db", stock_of_7(case.stock, true));
    let s1 = sim.add_node("inventory-1", inventory_service(case.use_lock, store_id, zk_id, 1));
    let s2 = sim.add_node("inventory-2", inventory_service(case.use_lock, store_id, zk_id, 2));
    let purchase = |order| Wire::Inv(InventoryMsg::Purchase { order, product: 7, qty: 1 });
    let script = vec![(0, s1, purchase(1)), (0, s2, purchase(2))];
    sim.add_node("shop", Actor::Driver(Driver { script, got: Vec::new() }));
    sim.run_until(10 * SEC, BUDGET);
    let got = [outcome_of(&sim, s1, 1), outcome_of(&sim, s2, 2)];
    assert_eq!(got, case.outcomes.map(Some), "{}: outcomes", case.name);
    let row = store(&sim, store_id).stock[&7];
    assert_eq!(row.units, case.units_left, "{}: units left in the row", case.name);
    assert_eq!(store(&sim, store_id).units_oversold(), case.oversold, "{}: oversold", case.name);
    assert_eq!(check_no_oversell(store(&sim, store_id)).is_ok(), case.oversold == 0, "{}: invariant", case.name);
    let lost_update = row.units + row.units_sold != row.supplied_units;
    assert_eq!(lost_update, !case.use_lock, "{}: a lost update only without the lock", case.name);
}

#[test]
fn inventory_without_the_lock_two_services_interleave_and_oversell() {
    OVERSELL_CASES.iter().for_each(check_oversell);
}

struct PauseCase {
    name: &'static str,
    fencing: bool,
    /// When the stale holder resumes and sends its write.
    resume_us: TimeUs,
    paused_outcome: PurchaseOutcome,
    oversold: u64,
    tokens_monotonic: bool,
}

/// inventory-2's read reaches the store 1 ms after its grant (12.003 s) and
/// its write 7 ms later: a holder resumed at 12.006 s writes in between.
const BETWEEN_READ_AND_WRITE_US: TimeUs = 12 * SEC + 6 * MS;

const PAUSE_CASES: &[PauseCase] = &[
    PauseCase {
        name: "fencing off: the stale holder's write lands, 2 sold of 1",
        fencing: false,
        resume_us: 15 * SEC,
        paused_outcome: SOLD,
        oversold: 1,
        tokens_monotonic: false,
    },
    PauseCase {
        name: "fencing on: the store rejects token 1 after token 2",
        fencing: true,
        resume_us: 15 * SEC,
        paused_outcome: PurchaseOutcome::Failed(InventoryFailure::StaleFencingToken),
        oversold: 0,
        tokens_monotonic: true,
    },
    PauseCase {
        name: "fencing off, stale write between the new holder's read and write: both land",
        fencing: false,
        resume_us: BETWEEN_READ_AND_WRITE_US,
        paused_outcome: SOLD,
        oversold: 1,
        tokens_monotonic: true,
    },
    PauseCase {
        name: "fencing on, stale write between the new holder's read and write: the read carried token 2",
        fencing: true,
        resume_us: BETWEEN_READ_AND_WRITE_US,
        paused_outcome: PurchaseOutcome::Failed(InventoryFailure::StaleFencingToken),
        oversold: 0,
        tokens_monotonic: true,
    },
];

/// Kleppmann's scenario, 1 unit in stock, 10 s sessions. inventory-1 holds
/// the lock (token 1) from 7 ms, has read 1 unit by 9 ms, and is paused at
/// 10 ms, before its write (due at 14 ms). Its session was last heard at
/// 6 ms, so it expires at the 12 s tick; inventory-2 (asked at 1 s) gets the
/// lock with token 2, reads 1 with token 2, sells it. inventory-1 resumes
/// and writes "0 left, 1 sold" with token 1 before it learns anything —
/// after inventory-2's write, or between its read and its write.
fn check_pause(case: &PauseCase) {
    let mut sim = world();
    let zk_id = sim.add_node("zk", Actor::Zk(ZkServer::new(ZkConfig::default())));
    let store_id = sim.add_node("stock-db", stock_of_7(1, case.fencing));
    let s1 = sim.add_node("inventory-1", inventory_service(true, store_id, zk_id, 1));
    let s2 = sim.add_node("inventory-2", inventory_service(true, store_id, zk_id, 2));
    let purchase = |order| Wire::Inv(InventoryMsg::Purchase { order, product: 7, qty: 1 });
    let script = vec![(0, s1, purchase(1)), (SEC, s2, purchase(2))];
    sim.add_node("shop", Actor::Driver(Driver { script, got: Vec::new() }));
    sim.schedule_fault(10 * MS, Fault::Pause { node: s1 });
    sim.schedule_fault(case.resume_us, Fault::Resume { node: s1 });
    sim.run_until(12 * SEC - 1, BUDGET);
    assert_eq!(service(&sim, s1).lock.token(), Some(1), "{}: inventory-1 holds token 1", case.name);
    assert_eq!(zk(&sim, zk_id).sessions_expired, 0, "{}: not expired before the 12 s tick", case.name);
    sim.run_until(case.resume_us - 1, BUDGET);
    assert!(service(&sim, s1).lock.holds_lock(), "{}: the paused one still believes it holds", case.name);
    sim.run_until(20 * SEC, BUDGET);
    assert_eq!(outcome_of(&sim, s2, 2), Some(SOLD), "{}: inventory-2 sold with token 2", case.name);
    assert_eq!(outcome_of(&sim, s1, 1), Some(case.paused_outcome), "{}: the paused one's purchase", case.name);
    assert_eq!(service(&sim, s1).lock.expirations_seen, 1, "{}: told of the expiry after resuming", case.name);
    let db = store(&sim, store_id);
    assert_eq!(db.highest_token_accepted, Some(2), "{}", case.name);
    assert_eq!(db.units_oversold(), case.oversold, "{}: oversold", case.name);
    assert_eq!(check_no_oversell(db).is_ok(), case.oversold == 0, "{}: no-oversell invariant", case.name);
    assert_eq!(check_tokens_monotonic(db).is_ok(), case.tokens_monotonic, "{}: token invariant", case.name);
}

#[test]
fn inventory_gc_paused_holder_oversells_without_fencing_and_is_rejected_with_it() {
    PAUSE_CASES.iter().for_each(check_pause);
}

struct LateAnswerCase {
    name: &'static str,
    fencing: bool,
    reads_rejected: u64,
}

const LATE_ANSWER_CASES: &[LateAnswerCase] = &[
    LateAnswerCase { name: "fencing on: the stale read is refused, late", fencing: true, reads_rejected: 1 },
    LateAnswerCase { name: "fencing off: the stale read is answered, late", fencing: false, reads_rejected: 0 },
];

/// inventory-1 holds the lock (token 1) from 7 ms and sends its read at
/// 7 ms, but it was slowed by 3 s at 6.5 ms (back to speed at 0.9 s), so
/// the read leaves at 3.007 s. Its purchase 1 times out at 1.007 s and it
/// queues again for purchase 3. inventory-2 gets the lock (token 2) at
/// 1.011 s, reads, and is paused from 1.0125 s to 5 s, holding the lock. The
/// store answers inventory-1's stale read at 3.008 s: that answer belongs to
/// purchase 1 and must not touch purchase 3, which is still queueing and
/// sells once inventory-2 is done.
fn check_late_answer(case: &LateAnswerCase) {
    let mut sim = world();
    let zk_id = sim.add_node("zk", Actor::Zk(ZkServer::new(ZkConfig::default())));
    let store_id = sim.add_node("stock-db", stock_of_7(3, case.fencing));
    let s1 = sim.add_node("inventory-1", inventory_service(true, store_id, zk_id, 1));
    let s2 = sim.add_node("inventory-2", inventory_service(true, store_id, zk_id, 2));
    let purchase = |order| Wire::Inv(InventoryMsg::Purchase { order, product: 7, qty: 1 });
    let script = vec![(0, s1, purchase(1)), (10 * MS, s2, purchase(2)), (20 * MS, s1, purchase(3))];
    sim.add_node("shop", Actor::Driver(Driver { script, got: Vec::new() }));
    sim.schedule_fault(6 * MS + MS / 2, Fault::Slow { node: s1, extra_us: 3 * SEC });
    sim.schedule_fault(900 * MS, Fault::Slow { node: s1, extra_us: 0 });
    sim.schedule_fault(1_012 * MS + MS / 2, Fault::Pause { node: s2 });
    sim.schedule_fault(5 * SEC, Fault::Resume { node: s2 });
    sim.run_until(10 * SEC, BUDGET);
    let timed_out = PurchaseOutcome::Failed(InventoryFailure::StoreTimeout);
    let got = [outcome_of(&sim, s1, 1), outcome_of(&sim, s2, 2), outcome_of(&sim, s1, 3)];
    assert_eq!(got, [Some(timed_out), Some(SOLD), Some(SOLD)], "{}: outcomes", case.name);
    let db = store(&sim, store_id);
    assert_eq!((db.stock[&7].units, db.reads_rejected), (1, case.reads_rejected), "{}: the store", case.name);
    assert_eq!(db.highest_token_accepted, Some(3), "{}: purchase 3 held token 3", case.name);
}

#[test]
fn inventory_a_late_answer_to_an_abandoned_read_leaves_the_next_purchase_alone() {
    LATE_ANSWER_CASES.iter().for_each(check_late_answer);
}

// ---- two-phase commit ---------------------------------------------------------

const COORD: NodeId = NodeId(0);
const ORDERS: NodeId = NodeId(1);
const STOCK: NodeId = NodeId(2);

/// Coordinator, order service, inventory service (`stock` units of product
/// 7) and a client that orders `qty` units at time 0.
fn tpc_world(two_phase: bool, stock: u32, qty: u32) -> Sim<Actor> {
    let mut sim = world();
    let config = TpcCoordinatorConfig { two_phase, ..TpcCoordinatorConfig::default() };
    sim.add_node("2pc-coordinator", Actor::Coordinator(TpcCoordinator::new(config, vec![ORDERS, STOCK])));
    let participant = |resource| TpcParticipant::new(TpcParticipantConfig::default(), resource, COORD);
    sim.add_node("order", Actor::Participant(participant(Resource::Orders)));
    let mut inventory = participant(Resource::Stock);
    inventory.stock.insert(7, stock);
    sim.add_node("inventory", Actor::Participant(inventory));
    let script = vec![(0, COORD, Wire::Tpc(TpcMsg::Begin { product: 7, qty, client_ref: 0 }))];
    sim.add_node("client", Actor::Driver(Driver { script, got: Vec::new() }));
    sim
}

fn atomic(sim: &Sim<Actor>) -> Result<(), String> {
    check_atomicity(coordinator(sim, COORD), &[participant(sim, ORDERS), participant(sim, STOCK)])
}

/// Every node's timeline, merged by time (ties: coordinator first).
fn merged_timeline(sim: &Sim<Actor>) -> Vec<(TimeUs, NodeId, TpcPhase)> {
    let mut all: Vec<TpcEvent> = coordinator(sim, COORD).timeline.iter().copied().collect();
    all.extend(participant(sim, ORDERS).timeline.iter().copied());
    all.extend(participant(sim, STOCK).timeline.iter().copied());
    all.sort_by_key(|e| (e.at_us, e.node));
    all.into_iter().map(|e| (e.at_us, e.node, e.phase)).collect()
}

/// The commit path with 1 ms links and 2 ms forced log writes: Begin at
/// 1 ms, CanCommit? arrives at 2 ms, PREPARED forced by 4 ms and Yes sent,
/// votes in at 5 ms, COMMIT forced by 7 ms and only then DoCommit sent,
/// applied at 8 ms, HaveCommitted in at 9 ms, END.
#[test]
fn two_pc_commit_path_in_protocol_order() {
    let mut sim = tpc_world(true, 5, 2);
    sim.run_until(SEC, BUDGET);
    use TpcPhase::*;
    let expected = vec![
        (MS, COORD, Begin),
        (MS, COORD, CanCommitSent),
        (4 * MS, ORDERS, PreparedLogged),
        (4 * MS, ORDERS, VotedYes),
        (4 * MS, STOCK, PreparedLogged),
        (4 * MS, STOCK, VotedYes),
        (5 * MS, COORD, VotesIn),
        (7 * MS, COORD, CommitLogged),
        (7 * MS, COORD, DoCommitSent),
        (8 * MS, ORDERS, Committed),
        (8 * MS, STOCK, Committed),
        (9 * MS, COORD, AckReceived),
        (9 * MS, COORD, AckReceived),
        (9 * MS, COORD, End),
    ];
    assert_eq!(merged_timeline(&sim), expected);
    let labels: Vec<&str> = sim
        .trace()
        .everything()
        .expect("recording")
        .iter()
        .filter(|e| e.kind == TraceKind::Deliver)
        .map(|e| e.label)
        .collect();
    // The client hears its transaction id (`begun`) as phase 1 starts.
    let wire = ["2pc-begin", "2pc-can-commit", "2pc-can-commit", "2pc-begun", "2pc-vote-yes", "2pc-vote-yes"];
    assert_eq!(labels[..6], wire, "phase 1 on the wire");
    let wire = ["2pc-do-commit", "2pc-do-commit", "2pc-have-committed", "2pc-have-committed", "2pc-outcome"];
    assert_eq!(labels[6..], wire, "phase 2 on the wire");
    assert_eq!(participant(&sim, STOCK).stock[&7], 3);
    assert!(participant(&sim, ORDERS).orders.contains(&1));
    assert_eq!(
        driver(&sim, NodeId(3)).got,
        vec![
            (2 * MS, Wire::Tpc(TpcMsg::Begun { client_ref: 0, txn: 1 })),
            (10 * MS, Wire::Tpc(TpcMsg::Outcome { txn: 1, outcome: TxnOutcome::Committed }))
        ]
    );
    assert!(atomic(&sim).is_ok());
}

struct OutcomeCase {
    name: &'static str,
    stock: u32,
    qty: u32,
    outcome: TxnOutcome,
    stock_after: u32,
    order_rows: usize,
}

const OUTCOME_CASES: &[OutcomeCase] = &[
    OutcomeCase {
        name: "enough stock: commit",
        stock: 5,
        qty: 2,
        outcome: TxnOutcome::Committed,
        stock_after: 3,
        order_rows: 1,
    },
    OutcomeCase {
        name: "exactly enough: commit",
        stock: 2,
        qty: 2,
        outcome: TxnOutcome::Committed,
        stock_after: 0,
        order_rows: 1,
    },
    OutcomeCase {
        name: "1 in stock, 2 ordered: inventory votes No, the order is rolled back",
        stock: 1,
        qty: 2,
        outcome: TxnOutcome::Aborted(AbortReason::InsufficientStock),
        stock_after: 1,
        order_rows: 0,
    },
];

/// The client's outcome, both databases, and no lock left behind.
fn check_outcome(case: &OutcomeCase) {
    let mut sim = tpc_world(true, case.stock, case.qty);
    sim.run_until(SEC, BUDGET);
    assert_eq!(coordinator(&sim, COORD).outcomes.get(&1), Some(&case.outcome), "{}", case.name);
    assert_eq!(participant(&sim, STOCK).stock[&7], case.stock_after, "{}: stock", case.name);
    assert_eq!(participant(&sim, ORDERS).orders.len(), case.order_rows, "{}: order rows", case.name);
    for id in [ORDERS, STOCK] {
        let p = participant(&sim, id);
        assert!(p.locks.is_empty() && p.open.is_empty(), "{}: {id:?} released everything", case.name);
    }
    let expected = if case.outcome == TxnOutcome::Committed { PLogKind::Committed } else { PLogKind::Aborted };
    assert_eq!(participant(&sim, ORDERS).last_record(1), Some(expected), "{}: order log", case.name);
    assert!(atomic(&sim).is_ok(), "{}", case.name);
}

#[test]
fn two_pc_commits_or_aborts_with_rollback() {
    OUTCOME_CASES.iter().for_each(check_outcome);
}

struct BlockCase {
    name: &'static str,
    faults: &'static [(TimeUs, Fault)],
    restart_at_us: TimeUs,
    commit_logged: bool,
    outcome: PLogKind,
}

const BLOCK_CASES: &[BlockCase] = &[
    BlockCase {
        name: "crash before the votes arrive: no decision logged, presumed abort",
        faults: &[(3 * MS, Fault::Crash { node: COORD })],
        restart_at_us: 30 * SEC,
        commit_logged: false,
        outcome: PLogKind::Aborted,
    },
    BlockCase {
        name: "crash while forcing COMMIT: not on disk, presumed abort",
        faults: &[(6 * MS, Fault::Crash { node: COORD })],
        restart_at_us: 30 * SEC,
        commit_logged: false,
        outcome: PLogKind::Aborted,
    },
    BlockCase {
        name: "COMMIT logged, DoCommit lost (cut off), then crash: recovery commits",
        faults: &[(6 * MS, Fault::Isolate { node: COORD }), (SEC, Fault::Crash { node: COORD })],
        restart_at_us: 30 * SEC,
        commit_logged: true,
        outcome: PLogKind::Committed,
    },
];

/// Both participants voted Yes at 4 ms. With the coordinator gone they stay
/// in doubt, holding their locks (the product row, the order row), for as
/// long as it is down — asking every second in vain. When it restarts at
/// 30 s, it resends a logged COMMIT, or answers their next question with
/// "abort" if it has no decision: all commit or all abort, never a mix.
fn check_block(case: &BlockCase) {
    let mut sim = tpc_world(true, 5, 2);
    for &(at_us, fault) in case.faults {
        sim.schedule_fault(at_us, fault);
    }
    sim.schedule_fault(case.restart_at_us, Fault::Rejoin { node: COORD });
    sim.schedule_fault(case.restart_at_us, Fault::Restart { node: COORD });
    sim.run_until(case.restart_at_us - 1, BUDGET);
    for id in [ORDERS, STOCK] {
        let p = participant(&sim, id);
        assert_eq!(p.in_doubt(), vec![1], "{}: {id:?} in doubt", case.name);
        assert_eq!(p.blocked_since_us(), Some(4 * MS), "{}: {id:?} blocked since its Yes", case.name);
        assert_eq!(p.locks.len(), 1, "{}: {id:?} still holds its lock", case.name);
        assert!(p.final_states().is_empty(), "{}: {id:?} decided nothing alone", case.name);
    }
    assert_eq!(participant(&sim, STOCK).locks.get(&7), Some(&1), "{}: the product row is locked", case.name);
    assert!(atomic(&sim).is_ok(), "{}: blocking is allowed", case.name);
    assert_eq!(coordinator(&sim, COORD).logged(1, CLogKind::Commit), case.commit_logged, "{}: log", case.name);
    sim.run_until(case.restart_at_us + 2 * SEC, BUDGET);
    for id in [ORDERS, STOCK] {
        let p = participant(&sim, id);
        assert_eq!(p.last_record(1), Some(case.outcome), "{}: {id:?} outcome", case.name);
        assert!(p.locks.is_empty() && p.blocked_since_us().is_none(), "{}: {id:?} unblocked", case.name);
    }
    let stock_after = if case.outcome == PLogKind::Committed { 3 } else { 5 };
    assert_eq!(participant(&sim, STOCK).stock[&7], stock_after, "{}: stock", case.name);
    assert!(atomic(&sim).is_ok(), "{}", case.name);
}

#[test]
fn two_pc_coordinator_crash_after_yes_votes_blocks_until_recovery() {
    BLOCK_CASES.iter().for_each(check_block);
}

/// The inventory participant dies right after voting Yes (crash at 5 ms):
/// the coordinator commits, the order service commits at 8 ms, DoCommit to
/// inventory is refused and resent every second. Inventory restarts at 10 s,
/// finds PREPARED without an outcome in its log, re-takes the row lock, asks
/// the coordinator (as XA RECOVER lets a TM do) and commits at 10.002 s.
#[test]
fn two_pc_participant_recovers_prepared_from_its_log_and_asks() {
    let mut sim = tpc_world(true, 5, 2);
    sim.schedule_fault(5 * MS, Fault::Crash { node: STOCK });
    sim.schedule_fault(10 * SEC, Fault::Restart { node: STOCK });
    sim.run_until(10 * SEC - 1, BUDGET);
    assert_eq!(participant(&sim, ORDERS).last_record(1), Some(PLogKind::Committed), "order committed");
    assert_eq!(participant(&sim, STOCK).last_record(1), Some(PLogKind::Prepared), "inventory's log survived");
    assert!(!coordinator(&sim, COORD).logged(1, CLogKind::End), "not ended without inventory's ack");
    assert!(atomic(&sim).is_ok(), "in doubt is not a violation");
    sim.run_until(10 * SEC + 2 * LAT - 1, BUDGET);
    let inventory = participant(&sim, STOCK);
    assert_eq!((inventory.blocked_since_us(), inventory.locks.get(&7)), (Some(4 * MS), Some(&1)), "in doubt again");
    sim.run_until(11 * SEC, BUDGET);
    let inventory = participant(&sim, STOCK);
    assert_eq!(inventory.last_record(1), Some(PLogKind::Committed));
    assert_eq!(inventory.log.last().map(|r| r.at_us), Some(10 * SEC + 2 * LAT), "committed on the answer");
    assert_eq!((inventory.stock[&7], inventory.locks.len()), (3, 0));
    let phases: Vec<TpcPhase> = inventory.timeline.iter().filter(|e| e.at_us >= 10 * SEC).map(|e| e.phase).collect();
    assert_eq!(phases, vec![TpcPhase::Recovered, TpcPhase::QueriedDecision, TpcPhase::Committed]);
    assert_eq!(coordinator(&sim, COORD).outcomes.get(&1), Some(&TxnOutcome::Committed));
    assert!(atomic(&sim).is_ok());
}

/// A long run of transactions, one every 10 ms: the logs keep what recovery
/// needs and a window of the latest finished, never more.
struct BoundedCase {
    name: &'static str,
    two_phase: bool,
    txns: u32,
    stock: u32,
    /// Crash the inventory 5 ms into the last transaction (after its Yes), restart 10 s later.
    crash_in_last: bool,
}

const BOUNDED_CASES: [BoundedCase; 3] = [
    BoundedCase { name: "2PC, stock runs out halfway", two_phase: true, txns: 6144, stock: 3072, crash_in_last: false },
    BoundedCase {
        name: "2PC, inventory crashes in doubt",
        two_phase: true,
        txns: 6144,
        stock: 7000,
        crash_in_last: true,
    },
    BoundedCase { name: "local commits", two_phase: false, txns: 6144, stock: 3072, crash_in_last: false },
];

fn check_bounded(case: &BoundedCase) {
    let mut sim = tpc_world(case.two_phase, case.stock, 1);
    let begin =
        |i: u32| (u64::from(i) * 10 * MS, COORD, Wire::Tpc(TpcMsg::Begin { product: 7, qty: 1, client_ref: i }));
    let Actor::Driver(d) = sim.node_mut(NodeId(3)) else { unreachable!("node 3 is the client") };
    d.script = (0..case.txns).map(begin).collect();
    let last_begins_us = u64::from(case.txns - 1) * 10 * MS;
    if case.crash_in_last {
        sim.schedule_fault(last_begins_us + 5 * MS, Fault::Crash { node: STOCK });
        sim.schedule_fault(last_begins_us + 10 * SEC, Fault::Restart { node: STOCK });
    }
    sim.run_until(last_begins_us + 12 * SEC, u64::MAX);
    let (name, kept) = (case.name, FINISHED_KEPT);
    let c = coordinator(&sim, COORD);
    let ended = c.committed_txns + c.aborted_txns + c.partially_committed_txns;
    assert_eq!(ended, u64::from(case.txns), "{name}: every transaction ended and counted");
    assert!(c.outcomes.len() <= kept && c.log.len() <= 4 * kept + 2, "{name}: coordinator keeps {}", c.log.len());
    let (committed, partially) = (c.committed_txns, c.partially_committed_txns);
    for (id, committed_here) in [(ORDERS, committed + partially), (STOCK, committed)] {
        let p = participant(&sim, id);
        let kept = PARTICIPANT_FINISHED_KEPT;
        assert!(p.log.len() <= 4 * kept + 2, "{name}: {id:?} keeps {} records", p.log.len());
        assert!(p.finals.len() <= kept && p.last_kinds.len() <= kept + 1, "{name}: {id:?} outcomes kept");
        assert!(p.open.is_empty() && p.in_doubt().is_empty(), "{name}: {id:?} resolved everything");
        assert_eq!(p.committed as u64, committed_here, "{name}: {id:?} committed what the coordinator counted");
    }
    let stock = participant(&sim, STOCK);
    assert_eq!(u64::from(stock.stock[&7]), u64::from(case.stock) - committed, "{name}: stock");
    let last = stock.last_record(case.txns);
    let expect_last = if case.stock >= case.txns { Some(PLogKind::Committed) } else { Some(PLogKind::Aborted) };
    assert_eq!(last, expect_last, "{name}: the last transaction (recovered from the log if crashed)");
    // Without 2PC the orders placed without stock are still seen, in the window kept.
    assert_eq!(atomic(&sim).is_ok(), case.two_phase, "{name}: atomicity");
}

#[test]
fn two_pc_logs_stay_bounded_and_recovery_still_resolves_in_doubt() {
    BOUNDED_CASES.iter().for_each(check_bounded);
}

struct AtomicityCase {
    name: &'static str,
    two_phase: bool,
    stock: u32,
    crash_inventory: bool,
    atomic: bool,
}

const ATOMICITY_CASES: &[AtomicityCase] = &[
    AtomicityCase { name: "2PC off, no failure", two_phase: false, stock: 5, crash_inventory: false, atomic: true },
    AtomicityCase {
        name: "2PC off, inventory down: order committed alone",
        two_phase: false,
        stock: 5,
        crash_inventory: true,
        atomic: false,
    },
    AtomicityCase {
        name: "2PC off, no stock: order committed, stock aborted",
        two_phase: false,
        stock: 1,
        crash_inventory: false,
        atomic: false,
    },
    AtomicityCase {
        name: "2PC on, inventory down: everyone aborts",
        two_phase: true,
        stock: 5,
        crash_inventory: true,
        atomic: true,
    },
    AtomicityCase {
        name: "2PC on, no stock: everyone aborts",
        two_phase: true,
        stock: 1,
        crash_inventory: false,
        atomic: true,
    },
];

/// Without 2PC each service commits on its own; when one side fails the
/// other's commit stays, and the atomicity invariant says so.
fn check_atomicity_case(case: &AtomicityCase) {
    let mut sim = tpc_world(case.two_phase, case.stock, 2);
    if case.crash_inventory {
        sim.schedule_fault(0, Fault::Crash { node: STOCK });
    }
    sim.run_until(20 * SEC, BUDGET);
    assert_eq!(atomic(&sim).is_ok(), case.atomic, "{}: {:?}", case.name, atomic(&sim));
    let ended = coordinator(&sim, COORD).logged(1, CLogKind::End);
    assert!(ended, "{}: the coordinator finished the transaction", case.name);
}

#[test]
fn two_pc_off_violates_atomicity_when_one_side_fails() {
    ATOMICITY_CASES.iter().for_each(check_atomicity_case);
}

// ---- message queue --------------------------------------------------------------

const BROKER: NodeId = NodeId(0);
const NOTIFIER: NodeId = NodeId(1);
const PAYMENT: NodeId = NodeId(2);
const NOTIFIER_2: NodeId = NodeId(3);

/// Broker, a notification consumer (if any), the payment publisher with its
/// script, and a second consumer if asked.
fn mq_world(
    broker_config: MqBrokerConfig,
    consumer_config: Option<MqConsumerConfig>,
    orders: &[(TimeUs, u32)],
    second: bool,
) -> Sim<Actor> {
    let mut sim = world();
    sim.add_node("mq", Actor::Broker(MqBroker::new(broker_config)));
    let notifier = |config: MqConsumerConfig| Actor::Consumer(MqConsumer::new(config, BROKER));
    match consumer_config.clone() {
        Some(config) => sim.add_node("notification", notifier(config)),
        None => sim.add_node("idle", Actor::Driver(Driver::default())),
    };
    let publisher = MqPublisher::new(MqPublisherConfig::default(), BROKER, 1000);
    sim.add_node("payment", Actor::Publisher(publisher, orders.to_vec()));
    if let (true, Some(config)) = (second, consumer_config) {
        sim.add_node("notification-2", notifier(config));
    }
    sim
}

fn notifications(sim: &Sim<Actor>, order: u32) -> u32 {
    let mut total = consumer(sim, NOTIFIER).notified.get(&order).copied().unwrap_or(0);
    if let Some(Actor::Consumer(c)) = sim.nodes().get(NOTIFIER_2.index()) {
        total += c.notified.get(&order).copied().unwrap_or(0);
    }
    total
}

fn redelivery_times(sim: &Sim<Actor>) -> Vec<TimeUs> {
    let trace = sim.trace().everything().expect("recording");
    trace.iter().filter(|e| e.kind == TraceKind::Deliver && e.label == "mq-redeliver").map(|e| e.at_us).collect()
}

#[test]
fn mq_ack_removes_the_message_and_confirms_come_back() {
    let orders: Vec<(TimeUs, u32)> = (1..=3).map(|o| (10 * MS * TimeUs::from(o), o)).collect();
    let mut sim = mq_world(MqBrokerConfig::default(), Some(MqConsumerConfig::default()), &orders, false);
    // Order 1: published at 10 ms, delivered at 12 ms, notified at 32 ms, acked on arrival at 38 ms.
    sim.run_until(38 * MS - 1, BUDGET);
    assert_eq!(
        (broker(&sim, BROKER).unacked.len(), broker(&sim, BROKER).acked),
        (3, 0),
        "all three delivered, none acked"
    );
    sim.run_until(38 * MS, BUDGET);
    assert_eq!(broker(&sim, BROKER).acked, 1, "the first ack arrived");
    sim.run_until(SEC, BUDGET);
    let b = broker(&sim, BROKER);
    assert_eq!((b.confirmed, b.acked, b.depth(), b.unacked.len(), b.redeliveries), (3, 3, 0, 0, 0));
    let Actor::Publisher(p, _) = sim.node(PAYMENT) else { panic!("publisher") };
    assert_eq!((p.published, p.confirmed, p.unconfirmed.len()), (3, 3, 0), "publisher confirms");
    assert!((1..=3).all(|o| notifications(&sim, o) == 1));
}

struct CrashCase {
    name: &'static str,
    dedupe: bool,
    crash_at_us: Option<TimeUs>,
    restart_at_us: Option<TimeUs>,
    second_consumer: bool,
    redelivered_at_us: Option<TimeUs>,
    notified: u32,
}

const CRASH_CASES: &[CrashCase] = &[
    CrashCase {
        name: "no crash",
        dedupe: false,
        crash_at_us: None,
        restart_at_us: None,
        second_consumer: false,
        redelivered_at_us: None,
        notified: 1,
    },
    CrashCase {
        name: "crash before the side effect (20 ms): redelivered on reconnect, notified once",
        dedupe: false,
        crash_at_us: Some(20 * MS),
        restart_at_us: Some(SEC),
        second_consumer: false,
        redelivered_at_us: Some(SEC + 2 * LAT),
        notified: 1,
    },
    CrashCase {
        name: "crash after the side effect, before the ack (34 ms), no dedupe: notified twice",
        dedupe: false,
        crash_at_us: Some(34 * MS),
        restart_at_us: Some(SEC),
        second_consumer: false,
        redelivered_at_us: Some(SEC + 2 * LAT),
        notified: 2,
    },
    CrashCase {
        name: "crash after the side effect, before the ack, dedupe by message id: notified once",
        dedupe: true,
        crash_at_us: Some(34 * MS),
        restart_at_us: Some(SEC),
        second_consumer: false,
        redelivered_at_us: Some(SEC + 2 * LAT),
        notified: 1,
    },
    CrashCase {
        name: "crash for good: the broker notices at its 30 s heartbeat, the other consumer gets it",
        dedupe: true,
        crash_at_us: Some(20 * MS),
        restart_at_us: None,
        second_consumer: true,
        redelivered_at_us: Some(LAT + 30 * SEC + 3 * LAT),
        notified: 1,
    },
];

/// One payment event (order 1) published at 10 ms; delivered at 12 ms,
/// side effect at 32 ms, ack sent at 37 ms. An unacked message is requeued
/// with redelivered = true when the channel closes: at once when the
/// restarted consumer consumes again, else when a heartbeat is refused.
fn check_crash(case: &CrashCase) {
    let config = MqConsumerConfig { dedupe: case.dedupe, ..MqConsumerConfig::default() };
    let mut sim = mq_world(MqBrokerConfig::default(), Some(config), &[(10 * MS, 1)], case.second_consumer);
    if let Some(at_us) = case.crash_at_us {
        sim.schedule_fault(at_us, Fault::Crash { node: NOTIFIER });
    }
    if let Some(at_us) = case.restart_at_us {
        sim.schedule_fault(at_us, Fault::Restart { node: NOTIFIER });
    }
    sim.run_until(2 * MINUTE_US, BUDGET);
    let b = broker(&sim, BROKER);
    assert_eq!(
        redelivery_times(&sim),
        case.redelivered_at_us.into_iter().collect::<Vec<_>>(),
        "{}: redelivery",
        case.name
    );
    assert_eq!(b.redeliveries, u64::from(case.redelivered_at_us.is_some()), "{}: redeliveries", case.name);
    assert_eq!((b.acked, b.depth(), b.unacked.len()), (1, 0, 0), "{}: acked in the end", case.name);
    assert_eq!(notifications(&sim, 1), case.notified, "{}: notifications", case.name);
    let mut consumers = vec![consumer(&sim, NOTIFIER)];
    if case.second_consumer {
        consumers.push(consumer(&sim, NOTIFIER_2));
    }
    assert_eq!(check_notified_once(&consumers).is_ok(), case.notified == 1, "{}: notified-once invariant", case.name);
    let skipped: u64 = consumers.iter().map(|c| c.duplicates_skipped).sum();
    let dup_caught = case.dedupe && case.crash_at_us == Some(34 * MS);
    assert_eq!(skipped, u64::from(dup_caught), "{}: duplicates recognised by id", case.name);
    assert!(check_confirmed_acked_or_dead_lettered(b).is_ok(), "{}", case.name);
}

#[test]
fn mq_consumer_crash_redelivers_and_only_dedupe_prevents_a_duplicate() {
    CRASH_CASES.iter().for_each(check_crash);
}

/// A frame lost on the way (the connection it rode on broke), and how the
/// queue gets the message through anyway.
struct FrameLossCase {
    name: &'static str,
    /// The one-way cut, from 10 ms to 100 ms.
    cut: (NodeId, NodeId),
    dedupe: bool,
    redelivered_at_us: Option<TimeUs>,
    /// Acks the broker counts in the end (a republished copy is one more).
    acked: u64,
    notified: u32,
    skipped: u64,
    /// Lost deliveries the consumer found at a broker heartbeat.
    found_by_consumer: u64,
}

/// The broker's first heartbeat reaches the consumer at 30.002 s, the
/// consumer's reaches the broker at 30.001 s; the consumer reconnects 5 s
/// after it learns its connection broke, and the requeued message is
/// delivered again 2 ms later.
const RECONNECTED_REDELIVERY_US: TimeUs = 30 * SEC + 2 * LAT + 5 * SEC + 2 * LAT;

const FRAME_LOSS_CASES: &[FrameLossCase] = &[
    FrameLossCase {
        name: "delivery lost: the broker's heartbeat shows it, the consumer reconnects, redelivered",
        cut: (BROKER, NOTIFIER),
        dedupe: true,
        redelivered_at_us: Some(RECONNECTED_REDELIVERY_US),
        acked: 1,
        notified: 1,
        skipped: 0,
        found_by_consumer: 1,
    },
    FrameLossCase {
        name: "ack lost: the consumer's heartbeat shows it, the broker closes the channel, dedupe skips the copy",
        cut: (NOTIFIER, BROKER),
        dedupe: true,
        redelivered_at_us: Some(RECONNECTED_REDELIVERY_US),
        acked: 1,
        notified: 1,
        skipped: 1,
        found_by_consumer: 0,
    },
    FrameLossCase {
        name: "ack lost, no dedupe: the redelivery notifies twice",
        cut: (NOTIFIER, BROKER),
        dedupe: false,
        redelivered_at_us: Some(RECONNECTED_REDELIVERY_US),
        acked: 1,
        notified: 2,
        skipped: 0,
        found_by_consumer: 0,
    },
    FrameLossCase {
        name: "confirm lost: the publisher republishes after 5 s, dedupe skips the copy",
        cut: (BROKER, PAYMENT),
        dedupe: true,
        redelivered_at_us: None,
        acked: 2,
        notified: 1,
        skipped: 1,
        found_by_consumer: 0,
    },
];

/// Order 1 published at 10 ms; delivered at 12 ms, side effect at 32 ms,
/// ack sent at 37 ms; one link cut one way from 10 ms to 100 ms.
fn check_frame_loss(case: &FrameLossCase) {
    let config = MqConsumerConfig { dedupe: case.dedupe, ..MqConsumerConfig::default() };
    let mut sim = mq_world(MqBrokerConfig::default(), Some(config), &[(10 * MS, 1)], false);
    let (from, to) = case.cut;
    sim.schedule_fault(10 * MS, Fault::Cut { from, to, both_ways: false });
    sim.schedule_fault(100 * MS, Fault::Heal { a: from, b: to });
    sim.run_until(2 * MINUTE_US, BUDGET);
    let expected: Vec<TimeUs> = case.redelivered_at_us.into_iter().collect();
    assert_eq!(redelivery_times(&sim), expected, "{}: redelivery", case.name);
    let b = broker(&sim, BROKER);
    assert_eq!((b.acked, b.depth(), b.unacked.len()), (case.acked, 0, 0), "{}: drained", case.name);
    assert_eq!(notifications(&sim, 1), case.notified, "{}: notifications", case.name);
    let c = consumer(&sim, NOTIFIER);
    assert_eq!(c.duplicates_skipped, case.skipped, "{}: duplicates recognised by id", case.name);
    assert_eq!(c.frames_lost_found, case.found_by_consumer, "{}: lost deliveries found", case.name);
    assert!(check_confirmed_acked_or_dead_lettered(b).is_ok(), "{}", case.name);
}

#[test]
fn mq_a_lost_frame_breaks_the_connection_and_the_message_still_gets_through() {
    FRAME_LOSS_CASES.iter().for_each(check_frame_loss);
}

struct PoisonCase {
    name: &'static str,
    delivery_limit: u32,
    requeue: bool,
    deliveries: u64,
    reason: DeadLetterReason,
}

const POISON_CASES: &[PoisonCase] = &[
    PoisonCase {
        name: "quorum queue default delivery-limit 20: returned 21 times, then dead-lettered",
        delivery_limit: 20,
        requeue: true,
        deliveries: 21,
        reason: DeadLetterReason::DeliveryLimit,
    },
    PoisonCase {
        name: "delivery-limit 0: dead-lettered on the first return",
        delivery_limit: 0,
        requeue: true,
        deliveries: 1,
        reason: DeadLetterReason::DeliveryLimit,
    },
    PoisonCase {
        name: "reject with requeue = false: dead-lettered at once",
        delivery_limit: 20,
        requeue: false,
        deliveries: 1,
        reason: DeadLetterReason::Rejected,
    },
];

/// A poison message (order 9) that the consumer always nacks.
fn check_poison(case: &PoisonCase) {
    let broker_config = MqBrokerConfig { delivery_limit: case.delivery_limit, ..MqBrokerConfig::default() };
    let poison_orders = [9].into_iter().collect();
    let config = MqConsumerConfig { poison_orders, poison_requeue: case.requeue, ..MqConsumerConfig::default() };
    let mut sim = mq_world(broker_config, Some(config), &[(10 * MS, 9), (10 * MS, 10)], false);
    sim.run_until(MINUTE_US, BUDGET);
    let b = broker(&sim, BROKER);
    assert_eq!(consumer(&sim, NOTIFIER).nacked, case.deliveries, "{}: deliveries", case.name);
    assert_eq!(b.redeliveries, case.deliveries - 1, "{}: redeliveries", case.name);
    assert_eq!(
        b.dead_letters.iter().map(|d| (d.order, d.reason)).collect::<Vec<_>>(),
        vec![(9, case.reason)],
        "{}",
        case.name
    );
    assert_eq!((b.acked, b.depth(), b.unacked.len()), (1, 0, 0), "{}: the good message was acked", case.name);
    assert_eq!(notifications(&sim, 9), 0, "{}: poison never notifies", case.name);
    assert!(check_confirmed_acked_or_dead_lettered(b).is_ok(), "{}", case.name);
}

#[test]
fn mq_delivery_limit_and_reject_dead_letter_a_poison_message() {
    POISON_CASES.iter().for_each(check_poison);
}

struct TtlCase {
    name: &'static str,
    ttl_us: Option<TimeUs>,
    consumer: bool,
    expired_at_us: Option<TimeUs>,
}

const TTL_CASES: &[TtlCase] = &[
    TtlCase {
        name: "x-message-ttl 10 s, nobody consuming: dead-lettered 10 s after enqueue",
        ttl_us: Some(10 * SEC),
        consumer: false,
        expired_at_us: Some(11 * MS + 10 * SEC),
    },
    TtlCase {
        name: "x-message-ttl 10 s, consumed in time",
        ttl_us: Some(10 * SEC),
        consumer: true,
        expired_at_us: None,
    },
    TtlCase { name: "no TTL, nobody consuming: it waits", ttl_us: None, consumer: false, expired_at_us: None },
];

/// Order 1 published at 10 ms, enqueued at 11 ms.
fn check_ttl(case: &TtlCase) {
    let broker_config = MqBrokerConfig { message_ttl_us: case.ttl_us, ..MqBrokerConfig::default() };
    let consumer_config = case.consumer.then(MqConsumerConfig::default);
    let mut sim = mq_world(broker_config, consumer_config, &[(10 * MS, 1)], false);
    if let Some(at_us) = case.expired_at_us {
        sim.run_until(at_us - 1, BUDGET);
        assert_eq!(broker(&sim, BROKER).depth(), 1, "{}: still waiting just before", case.name);
    }
    sim.run_until(10 * MINUTE_US, BUDGET);
    let b = broker(&sim, BROKER);
    let expired: Vec<(TimeUs, DeadLetterReason)> = b.dead_letters.iter().map(|d| (d.at_us, d.reason)).collect();
    let expected: Vec<(TimeUs, DeadLetterReason)> =
        case.expired_at_us.map(|t| (t, DeadLetterReason::Expired)).into_iter().collect();
    assert_eq!(expired, expected, "{}: dead letters", case.name);
    let waiting = !case.consumer && case.ttl_us.is_none();
    assert_eq!(b.depth(), usize::from(waiting), "{}: depth", case.name);
    assert!(check_confirmed_acked_or_dead_lettered(b).is_ok(), "{}", case.name);
}

#[test]
fn mq_message_ttl_dead_letters_a_message_nobody_consumed() {
    TTL_CASES.iter().for_each(check_ttl);
}

struct LedgerCase {
    name: &'static str,
    durable: bool,
    holds: bool,
}

const LEDGER_CASES: &[LedgerCase] = &[
    LedgerCase { name: "durable queue: a broker restart keeps every message", durable: true, holds: true },
    LedgerCase { name: "non-durable queue: a broker restart loses confirmed messages", durable: false, holds: false },
];

/// 20 orders at 10 ms apart; orders 3 and 7 are rejected to the DLQ; prefetch
/// 1; the consumer crashes at 55 ms (restarts at 1 s) and the broker at
/// 150 ms (restarts at 2 s). After every event: confirmed = acked +
/// dead-lettered + ready + unacked, unless the queue was not durable.
fn check_ledger(case: &LedgerCase) {
    let broker_config = MqBrokerConfig { durable: case.durable, ..MqBrokerConfig::default() };
    let poison_orders = [3, 7].into_iter().collect();
    let config = MqConsumerConfig { prefetch: 1, poison_orders, poison_requeue: false, ..MqConsumerConfig::default() };
    let orders: Vec<(TimeUs, u32)> = (1..=20).map(|o| (10 * MS * TimeUs::from(o), o)).collect();
    let mut sim = mq_world(broker_config, Some(config), &orders, false);
    sim.schedule_fault(55 * MS, Fault::Crash { node: NOTIFIER });
    sim.schedule_fault(SEC, Fault::Restart { node: NOTIFIER });
    sim.schedule_fault(150 * MS, Fault::Crash { node: BROKER });
    sim.schedule_fault(2 * SEC, Fault::Restart { node: BROKER });
    let mut first_break = None;
    while sim.now_us() < 5 * MINUTE_US && sim.step() {
        if first_break.is_none() && check_confirmed_acked_or_dead_lettered(broker(&sim, BROKER)).is_err() {
            first_break = Some(sim.now_us());
        }
    }
    assert_eq!(first_break.is_none(), case.holds, "{}: broke at {first_break:?}", case.name);
    let b = broker(&sim, BROKER);
    if case.holds {
        assert_eq!((b.acked, b.dead_letter_total(), b.depth(), b.unacked.len()), (18, 2, 0, 0), "{}", case.name);
        assert!(b.confirmed >= 20, "{}: all 20 confirmed", case.name);
        assert!((1..=20).filter(|o| ![3, 7].contains(o)).all(|o| notifications(&sim, o) == 1), "{}", case.name);
    } else {
        assert!(b.lost > 0, "{}: messages lost", case.name);
    }
}

#[test]
fn mq_confirmed_equals_acked_plus_dead_lettered_plus_in_queue() {
    LEDGER_CASES.iter().for_each(check_ledger);
}
