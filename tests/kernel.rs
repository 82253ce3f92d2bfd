//! The kernel on its own, with tiny test-only nodes: ordering of simultaneous
//! events, timers (cancel, replace, crash), partitions (both ways, one way, in
//! flight, heal, isolate), crash and restart (volatile vs durable state,
//! refused connections), pause and resume, slow nodes, random loss and
//! duplication, bounded runs, and the `always` / `sometimes` properties.
//!
//! Most tests are tables of cases checked by one function; every case names
//! itself in its assertion messages.
#![cfg(not(target_arch = "wasm32"))]

use clusterlab::sim::invariant::View;
use clusterlab::sim::{
    Ctx, DropCause, Fault, LinkProfile, Message, Node, NodeId, Process, SEC, Sim, TimeUs, TimerKey, TraceEvent,
    TraceKind,
};
use std::ops::RangeInclusive;

// ---- test-only nodes -----------------------------------------------------

/// What the probes say to each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Wire {
    Ping(u32),
    Pong(u32),
}

impl Message for Wire {
    fn label(&self) -> &'static str {
        match self {
            Wire::Ping(_) => "ping",
            Wire::Pong(_) => "pong",
        }
    }
}

/// One thing a probe does in `on_start` (again after every restart).
#[derive(Clone, Copy, Debug)]
enum Act {
    /// `Send(to, n, delay_us)`: `Ping(n)` to `to` after `delay_us` of local work.
    Send(u16, u32, TimeUs),
    /// `Burst(to, count)`: `Ping(0)`, … `Ping(count - 1)` to `to`, all at once.
    Burst(u16, u32),
    /// `Set(key, after_us)`: set (or replace) timer `key`.
    Set(TimerKey, TimeUs),
    /// `Cancel(key)`: forget timer `key`.
    Cancel(TimerKey),
}

/// Send `Ping(0..count)` to `to`, one every `every_us`, the first after `every_us`.
#[derive(Clone, Copy, Debug)]
struct Ticker {
    to: u16,
    every_us: TimeUs,
    count: u32,
}

/// What a probe noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Start,
    Msg(u16, Wire),
    Timer(TimerKey),
    Refused(u16, Wire),
}

/// What a probe notes when it handles `Ping(n)` from node `from`.
const fn ping(from: u16, n: u32) -> Seen {
    Seen::Msg(from, Wire::Ping(n))
}

const TICK: TimerKey = u64::MAX;

/// A scriptable node. Durable (kept by a crash, like a disk): its script,
/// `boots` and the `seen` log the tests read. Volatile (memory):
/// `handled_since_boot` and `next_tick`.
#[derive(Clone, Debug, Default)]
struct Probe {
    plan: Vec<Act>,
    ticker: Option<Ticker>,
    echo: bool,
    boots: u32,
    seen: Vec<(TimeUs, Seen)>,
    handled_since_boot: u32,
    next_tick: u32,
}

impl Probe {
    fn with_plan(plan: &[Act]) -> Self {
        Self { plan: plan.to_vec(), ..Self::default() }
    }
    fn ticker(to: u16, every_us: TimeUs, count: u32) -> Self {
        Self { ticker: Some(Ticker { to, every_us, count }), ..Self::default() }
    }
    fn echo() -> Self {
        Self { echo: true, ..Self::default() }
    }
}

impl Node for Probe {
    type Msg = Wire;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Wire>) {
        self.boots += 1;
        self.seen.push((ctx.now_us, Seen::Start));
        for act in self.plan.clone() {
            match act {
                Act::Send(to, n, delay_us) => ctx.send_after(delay_us, NodeId(to), Wire::Ping(n)),
                Act::Burst(to, count) => (0..count).for_each(|n| ctx.send(NodeId(to), Wire::Ping(n))),
                Act::Set(key, after_us) => ctx.set_timer(key, after_us),
                Act::Cancel(key) => ctx.cancel_timer(key),
            }
        }
        if let Some(t) = self.ticker {
            ctx.set_timer(TICK, t.every_us);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Wire>, from: NodeId, msg: Wire) {
        self.handled_since_boot += 1;
        self.seen.push((ctx.now_us, Seen::Msg(from.0, msg)));
        if let (true, Wire::Ping(n)) = (self.echo, msg) {
            ctx.send(from, Wire::Pong(n));
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Wire>, key: TimerKey) {
        self.seen.push((ctx.now_us, Seen::Timer(key)));
        if let (TICK, Some(t)) = (key, self.ticker) {
            ctx.send(NodeId(t.to), Wire::Ping(self.next_tick));
            self.next_tick += 1;
            if self.next_tick < t.count {
                ctx.set_timer(TICK, t.every_us);
            }
        }
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Wire>, to: NodeId, msg: Wire) {
        self.seen.push((ctx.now_us, Seen::Refused(to.0, msg)));
    }

    fn on_crash(&mut self) {
        self.handled_since_boot = 0;
        self.next_tick = 0;
    }
}

// ---- helpers ---------------------------------------------------------------

const A: NodeId = NodeId(0);
const B: NodeId = NodeId(1);
const FOREVER: u64 = u64::MAX;

/// A world of probes `n0`, `n1`, … that records its whole trace.
fn world(seed: u64, link: LinkProfile, probes: Vec<Probe>) -> Sim<Probe> {
    let mut sim = Sim::new(seed, link);
    for (i, probe) in probes.into_iter().enumerate() {
        sim.add_node(format!("n{i}"), probe);
    }
    sim.trace_mut().record_everything();
    sim
}

fn schedule(sim: &mut Sim<Probe>, faults: &[(TimeUs, Fault)]) {
    for &(at_us, fault) in faults {
        sim.schedule_fault(at_us, fault);
    }
}

/// Everything `id` noticed, except its starts.
fn events_of(sim: &Sim<Probe>, id: NodeId) -> Vec<(TimeUs, Seen)> {
    sim.node(id).seen.iter().copied().filter(|(_, s)| *s != Seen::Start).collect()
}

/// The numbers of the pings (or pongs) `id` handled, in order.
fn numbers_heard(sim: &Sim<Probe>, id: NodeId, pongs: bool) -> Vec<u32> {
    let pick = |s: &Seen| match *s {
        Seen::Msg(_, Wire::Ping(n)) if !pongs => Some(n),
        Seen::Msg(_, Wire::Pong(n)) if pongs => Some(n),
        _ => None,
    };
    sim.node(id).seen.iter().filter_map(|(_, s)| pick(s)).collect()
}

fn trace_records(sim: &Sim<Probe>, kind: TraceKind) -> Vec<TraceEvent> {
    let all = sim.trace().everything().expect("record_everything was called");
    all.iter().filter(|e| e.kind == kind).cloned().collect()
}

fn trace_times(sim: &Sim<Probe>, kind: TraceKind) -> Vec<TimeUs> {
    trace_records(sim, kind).iter().map(|e| e.at_us).collect()
}

const PARTITIONED: TraceKind = TraceKind::Dropped(DropCause::Partitioned);

// ---- ordering of simultaneous events ----------------------------------------

struct OrderCase {
    name: &'static str,
    /// Scripts of n0, n1 (the one observed) and n2, started in that order.
    plans: [&'static [Act]; 3],
    latency_us: TimeUs,
    expect: &'static [(TimeUs, Seen)],
}

const ORDER_CASES: &[OrderCase] = &[
    OrderCase {
        name: "three timers for the same time fire in the order set",
        plans: [&[], &[Act::Set(3, 10), Act::Set(1, 10), Act::Set(2, 10), Act::Set(9, 5)], &[]],
        latency_us: 0,
        expect: &[(5, Seen::Timer(9)), (10, Seen::Timer(3)), (10, Seen::Timer(1)), (10, Seen::Timer(2))],
    },
    OrderCase {
        name: "messages sent together arrive in the order sent",
        plans: [&[Act::Send(1, 3, 0), Act::Send(1, 1, 0), Act::Send(1, 2, 0)], &[], &[]],
        latency_us: 100,
        expect: &[(100, ping(0, 3)), (100, ping(0, 1)), (100, ping(0, 2))],
    },
    OrderCase {
        name: "two senders: the one that sent first is heard first",
        plans: [&[Act::Send(1, 10, 0), Act::Send(1, 11, 0)], &[], &[Act::Send(1, 20, 0), Act::Send(1, 21, 0)]],
        latency_us: 100,
        expect: &[(100, ping(0, 10)), (100, ping(0, 11)), (100, ping(2, 20)), (100, ping(2, 21))],
    },
    OrderCase {
        name: "a timer and messages due together run in scheduling order",
        plans: [&[Act::Send(1, 1, 0)], &[Act::Set(7, 100)], &[Act::Send(1, 2, 0)]],
        latency_us: 100,
        expect: &[(100, ping(0, 1)), (100, Seen::Timer(7)), (100, ping(2, 2))],
    },
    OrderCase {
        name: "earlier due time beats earlier scheduling",
        plans: [&[Act::Send(1, 1, 50), Act::Send(1, 2, 0)], &[], &[]],
        latency_us: 100,
        expect: &[(100, ping(0, 2)), (150, ping(0, 1))],
    },
];

#[test]
fn simultaneous_events_run_in_insertion_order() {
    for case in ORDER_CASES {
        let probes = case.plans.iter().map(|plan| Probe::with_plan(plan)).collect();
        let mut sim = world(1, LinkProfile::fixed(case.latency_us), probes);
        let report = sim.run_until(SEC, FOREVER);
        assert!(report.reached, "{}", case.name);
        assert_eq!(events_of(&sim, B), case.expect, "{}", case.name);
    }
}

// ---- timers -----------------------------------------------------------------

struct TimerCase {
    name: &'static str,
    plan: &'static [Act],
    faults: &'static [(TimeUs, Fault)],
    /// (time, key) of every timer that fires, in order.
    fired: &'static [(TimeUs, TimerKey)],
}

const N0: NodeId = NodeId(0);

const TIMER_CASES: &[TimerCase] = &[
    TimerCase {
        name: "a cancelled timer never fires",
        plan: &[Act::Set(1, 10), Act::Set(2, 20), Act::Cancel(1)],
        faults: &[],
        fired: &[(20, 2)],
    },
    TimerCase {
        name: "re-setting a key replaces the earlier timer (later)",
        plan: &[Act::Set(1, 10), Act::Set(1, 30)],
        faults: &[],
        fired: &[(30, 1)],
    },
    TimerCase {
        name: "re-setting a key replaces the earlier timer (sooner)",
        plan: &[Act::Set(1, 30), Act::Set(1, 10)],
        faults: &[],
        fired: &[(10, 1)],
    },
    TimerCase {
        name: "cancelling an unknown key changes nothing",
        plan: &[Act::Cancel(5), Act::Set(1, 10)],
        faults: &[],
        fired: &[(10, 1)],
    },
    TimerCase {
        name: "a crashed node's timers never fire",
        plan: &[Act::Set(1, 10), Act::Set(2, 100)],
        faults: &[(50, Fault::Crash { node: N0 })],
        fired: &[(10, 1)],
    },
    TimerCase {
        name: "after a restart only the new incarnation's timers fire",
        plan: &[Act::Set(1, 100)],
        faults: &[(50, Fault::Crash { node: N0 }), (60, Fault::Restart { node: N0 })],
        fired: &[(160, 1)],
    },
    TimerCase {
        name: "restarting a running node drops its pending timers",
        plan: &[Act::Set(1, 100)],
        faults: &[(50, Fault::Restart { node: N0 })],
        fired: &[(150, 1)],
    },
    TimerCase {
        name: "a paused node's timers wait for the resume, in order",
        plan: &[Act::Set(2, 20), Act::Set(1, 10), Act::Set(3, 90)],
        faults: &[(5, Fault::Pause { node: N0 }), (40, Fault::Resume { node: N0 })],
        fired: &[(40, 1), (40, 2), (90, 3)],
    },
    TimerCase {
        name: "a crash while paused forgets held timers",
        plan: &[Act::Set(1, 10)],
        faults: &[(5, Fault::Pause { node: N0 }), (20, Fault::Crash { node: N0 }), (30, Fault::Resume { node: N0 })],
        fired: &[],
    },
];

#[test]
fn timers_fire_once_unless_cancelled_replaced_or_crashed() {
    for case in TIMER_CASES {
        let mut sim = world(1, LinkProfile::fixed(0), vec![Probe::with_plan(case.plan)]);
        schedule(&mut sim, case.faults);
        sim.run_until(SEC, FOREVER);
        let fired: Vec<(TimeUs, TimerKey)> = events_of(&sim, N0)
            .into_iter()
            .map(|(at, s)| match s {
                Seen::Timer(key) => (at, key),
                other => panic!("{}: unexpected {other:?}", case.name),
            })
            .collect();
        assert_eq!(fired, case.fired, "{}", case.name);
        assert_eq!(trace_times(&sim, TraceKind::Timer).len(), case.fired.len(), "{}: timer trace", case.name);
    }
}

// ---- partitions -------------------------------------------------------------

struct PartitionCase {
    name: &'static str,
    faults: &'static [(TimeUs, Fault)],
    /// Pings n1 heard (n0 sends Ping(k) at (k + 1) × 10 ms, latency 1 ms).
    pings: &'static [u32],
    /// Pongs n0 heard back.
    pongs: &'static [u32],
    /// When the network dropped something as partitioned.
    drops_at: &'static [TimeUs],
}

const fn ms(n: u64) -> TimeUs {
    n * 1_000
}

const ALL: &[u32] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const GAP_3_TO_5: &[u32] = &[0, 1, 2, 6, 7, 8, 9];
const SENDS_3_TO_5: &[TimeUs] = &[ms(40), ms(50), ms(60)];
const CUT_AB: Fault = Fault::Cut { from: A, to: B, both_ways: true };
const CUT_A_TO_B: Fault = Fault::Cut { from: A, to: B, both_ways: false };
const CUT_B_TO_A: Fault = Fault::Cut { from: B, to: A, both_ways: false };
const HEAL_AB: Fault = Fault::Heal { a: A, b: B };

const PARTITION_CASES: &[PartitionCase] = &[
    PartitionCase { name: "no fault", faults: &[], pings: ALL, pongs: ALL, drops_at: &[] },
    PartitionCase {
        name: "both ways cut 35-65 ms, then heal",
        faults: &[(ms(35), CUT_AB), (ms(65), HEAL_AB)],
        pings: GAP_3_TO_5,
        pongs: GAP_3_TO_5,
        drops_at: SENDS_3_TO_5,
    },
    PartitionCase {
        name: "both ways cut named the other way round, healed by heal-all",
        faults: &[(ms(35), Fault::Cut { from: B, to: A, both_ways: true }), (ms(65), Fault::HealAll)],
        pings: GAP_3_TO_5,
        pongs: GAP_3_TO_5,
        drops_at: SENDS_3_TO_5,
    },
    PartitionCase {
        name: "one-way cut n0 -> n1 drops the pings only",
        faults: &[(ms(35), CUT_A_TO_B), (ms(65), HEAL_AB)],
        pings: GAP_3_TO_5,
        pongs: GAP_3_TO_5,
        drops_at: SENDS_3_TO_5,
    },
    PartitionCase {
        name: "one-way cut n1 -> n0 drops the pongs only",
        faults: &[(ms(35), CUT_B_TO_A), (ms(65), HEAL_AB)],
        pings: ALL,
        pongs: GAP_3_TO_5,
        drops_at: &[ms(41), ms(51), ms(61)],
    },
    PartitionCase {
        name: "a ping in flight when the cut starts is dropped at delivery",
        faults: &[(ms(30) + 500, CUT_AB), (ms(45), Fault::HealAll)],
        pings: &[0, 1, 4, 5, 6, 7, 8, 9],
        pongs: &[0, 1, 4, 5, 6, 7, 8, 9],
        drops_at: &[ms(31), ms(40)],
    },
    PartitionCase {
        name: "isolate n1 35-65 ms, then rejoin",
        faults: &[(ms(35), Fault::Isolate { node: B }), (ms(65), Fault::Rejoin { node: B })],
        pings: GAP_3_TO_5,
        pongs: GAP_3_TO_5,
        drops_at: SENDS_3_TO_5,
    },
    PartitionCase {
        name: "isolate n0 (the sender) 35-65 ms, then rejoin",
        faults: &[(ms(35), Fault::Isolate { node: A }), (ms(65), Fault::Rejoin { node: A })],
        pings: GAP_3_TO_5,
        pongs: GAP_3_TO_5,
        drops_at: SENDS_3_TO_5,
    },
    PartitionCase {
        name: "isolate n1, healed by heal-all",
        faults: &[(ms(35), Fault::Isolate { node: B }), (ms(65), Fault::HealAll)],
        pings: GAP_3_TO_5,
        pongs: GAP_3_TO_5,
        drops_at: SENDS_3_TO_5,
    },
    PartitionCase {
        name: "rejoin leaves a link cut on its own still cut",
        faults: &[(ms(15), Fault::Isolate { node: B }), (ms(15), CUT_A_TO_B), (ms(35), Fault::Rejoin { node: B })],
        pings: &[0],
        pongs: &[0],
        drops_at: &[ms(20), ms(30), ms(40), ms(50), ms(60), ms(70), ms(80), ms(90), ms(100)],
    },
];

#[test]
fn partitions_drop_what_crosses_a_cut_link() {
    for case in PARTITION_CASES {
        let mut sim = world(1, LinkProfile::fixed(ms(1)), vec![Probe::ticker(1, ms(10), 10), Probe::echo()]);
        schedule(&mut sim, case.faults);
        assert!(sim.run_until(SEC, FOREVER).reached, "{}", case.name);
        assert_eq!(numbers_heard(&sim, B, false), case.pings, "{}: pings heard by n1", case.name);
        assert_eq!(numbers_heard(&sim, A, true), case.pongs, "{}: pongs heard by n0", case.name);
        assert_eq!(trace_times(&sim, PARTITIONED), case.drops_at, "{}: partition drops", case.name);
        for drop in trace_records(&sim, PARTITIONED) {
            let pair = (drop.from.map(|f| f.0), drop.node.0);
            assert!(pair == (Some(0), 1) || pair == (Some(1), 0), "{}: drop names {pair:?}", case.name);
        }
    }
}

#[test]
fn an_isolated_node_still_hears_itself() {
    let plan = [Act::Send(0, 1, 100)];
    let mut sim = world(1, LinkProfile::fixed(ms(1)), vec![Probe::with_plan(&plan)]);
    sim.schedule_fault(10, Fault::Isolate { node: N0 });
    sim.run_until(SEC, FOREVER);
    assert_eq!(events_of(&sim, N0), [(100, ping(0, 1))], "a message to oneself crossed the network");
    assert!(trace_times(&sim, PARTITIONED).is_empty());
}

// ---- crash and restart --------------------------------------------------------

/// n0 pings n1 every 10 ms (latency 1 ms); n1 crashes at 35 ms, restarts at 65 ms.
fn crash_world() -> Sim<Probe> {
    let mut sim = world(1, LinkProfile::fixed(ms(1)), vec![Probe::ticker(1, ms(10), 10), Probe::echo()]);
    schedule(&mut sim, &[(ms(35), Fault::Crash { node: B }), (ms(65), Fault::Restart { node: B })]);
    sim
}

#[test]
fn crash_loses_volatile_state_and_keeps_durable_state() {
    let mut sim = crash_world();
    sim.run_until(ms(34), FOREVER);
    assert_eq!(sim.node(B).handled_since_boot, 3);
    sim.run_until(ms(36), FOREVER);
    assert_eq!(sim.lifecycle(B).process, Process::Crashed);
    assert_eq!(sim.node(B).handled_since_boot, 0, "volatile state survived the crash");
    assert_eq!(sim.node(B).boots, 1, "durable state lost in the crash");
    assert_eq!(numbers_heard(&sim, B, false), [0, 1, 2], "durable log lost in the crash");
    assert!(!sim.is_reachable(B));
    sim.run_until(SEC, FOREVER);
    let life = sim.lifecycle(B);
    assert_eq!((life.process, life.incarnation, life.crashes, life.since_us), (Process::Up, 2, 1, ms(65)));
    assert_eq!(sim.node(B).boots, 2, "on_start did not run again");
    assert_eq!(sim.node(B).seen[..1], [(0, Seen::Start)]);
    assert!(sim.node(B).seen.contains(&(ms(65), Seen::Start)), "no start at the restart");
    assert_eq!(sim.node(B).handled_since_boot, 4, "pings 6-9 after the restart");
    assert_eq!(numbers_heard(&sim, B, false), GAP_3_TO_5);
}

#[test]
fn messages_to_a_crashed_node_are_refused() {
    let mut sim = crash_world();
    sim.run_until(SEC, FOREVER);
    let refused: Vec<_> = events_of(&sim, A).into_iter().filter(|(_, s)| matches!(s, Seen::Refused(..))).collect();
    let expect: Vec<_> = (3..6).map(|k| (ms(10 * k as u64 + 12), Seen::Refused(1, Wire::Ping(k)))).collect();
    assert_eq!(refused, expect, "on_refused at the sender, one round trip after sending");
    let down: Vec<_> = trace_records(&sim, TraceKind::NodeDown).iter().map(|e| (e.at_us, e.node, e.from)).collect();
    assert_eq!(down, [(ms(41), B, Some(A)), (ms(51), B, Some(A)), (ms(61), B, Some(A))]);
    let refusals: Vec<_> = trace_records(&sim, TraceKind::Refused).iter().map(|e| (e.at_us, e.node, e.from)).collect();
    assert_eq!(refusals, [(ms(42), A, Some(B)), (ms(52), A, Some(B)), (ms(62), A, Some(B))]);
    assert_eq!(numbers_heard(&sim, A, true), GAP_3_TO_5);
}

// ---- pause and resume -----------------------------------------------------------

#[test]
fn a_paused_node_handles_what_waited_at_resume_in_order() {
    let mut paused = Probe::echo();
    paused.plan = vec![Act::Set(7, ms(45))];
    let mut sim = world(1, LinkProfile::fixed(ms(1)), vec![Probe::ticker(1, ms(10), 10), paused]);
    schedule(&mut sim, &[(ms(25), Fault::Pause { node: B }), (ms(75), Fault::Resume { node: B })]);
    sim.run_until(ms(74), FOREVER);
    assert_eq!(sim.lifecycle(B).process, Process::Paused);
    assert_eq!(sim.node(B).handled_since_boot, 2);
    sim.run_until(SEC, FOREVER);
    let expect = [
        (ms(11), ping(0, 0)),
        (ms(21), ping(0, 1)),
        (ms(75), ping(0, 2)),
        (ms(75), ping(0, 3)),
        (ms(75), Seen::Timer(7)),
        (ms(75), ping(0, 4)),
        (ms(75), ping(0, 5)),
        (ms(75), ping(0, 6)),
        (ms(81), ping(0, 7)),
        (ms(91), ping(0, 8)),
        (ms(101), ping(0, 9)),
    ];
    assert_eq!(events_of(&sim, B), expect);
    let held: Vec<_> = trace_records(&sim, TraceKind::Held).iter().map(|e| (e.at_us, e.node)).collect();
    let held_at = [31, 41, 45, 51, 61, 71].map(|t| (ms(t), B));
    assert_eq!(held, held_at);
    assert!(trace_records(&sim, TraceKind::NodeDown).is_empty(), "a paused node looked down");
    assert!(!events_of(&sim, A).iter().any(|(_, s)| matches!(s, Seen::Refused(..))), "a paused node refused");
    let pong_times: Vec<_> =
        events_of(&sim, A).iter().filter(|(_, s)| matches!(s, Seen::Msg(..))).map(|e| e.0).collect();
    assert_eq!(pong_times, [12, 22, 76, 76, 76, 76, 76, 82, 92, 102].map(ms));
    assert_eq!((sim.node(B).handled_since_boot, sim.lifecycle(B).incarnation), (10, 1), "a pause is not a crash");
}

// ---- slow -------------------------------------------------------------------------

struct SlowCase {
    name: &'static str,
    slow: NodeId,
    /// When n1 heard each ping, and when n0 heard each pong.
    pings_at: [TimeUs; 6],
    pongs_at: [TimeUs; 6],
}

const SLOW_CASES: &[SlowCase] = &[
    SlowCase {
        name: "slow n0 delays its pings only",
        slow: A,
        pings_at: [ms(11), ms(23) + 500, ms(33) + 500, ms(43) + 500, ms(51), ms(61)],
        pongs_at: [ms(12), ms(24) + 500, ms(34) + 500, ms(44) + 500, ms(52), ms(62)],
    },
    SlowCase {
        name: "slow n1 delays its pongs only",
        slow: B,
        pings_at: [ms(11), ms(21), ms(31), ms(41), ms(51), ms(61)],
        pongs_at: [ms(12), ms(24) + 500, ms(34) + 500, ms(44) + 500, ms(52), ms(62)],
    },
];

#[test]
fn slow_adds_exactly_extra_us_to_what_the_node_sends() {
    for case in SLOW_CASES {
        let mut sim = world(1, LinkProfile::fixed(ms(1)), vec![Probe::ticker(1, ms(10), 6), Probe::echo()]);
        let slow = |extra_us| Fault::Slow { node: case.slow, extra_us };
        schedule(&mut sim, &[(ms(15), slow(2_500)), (ms(45), slow(0))]);
        sim.run_until(SEC, FOREVER);
        let heard_at = |id| {
            let heard = events_of(&sim, id).into_iter().filter(|(_, s)| matches!(s, Seen::Msg(..)));
            heard.map(|(at, _)| at).collect::<Vec<_>>()
        };
        assert_eq!(heard_at(B), case.pings_at, "{}: pings", case.name);
        assert_eq!(heard_at(A), case.pongs_at, "{}: pongs", case.name);
    }
}

// ---- loss and duplication -------------------------------------------------------------

struct LossCase {
    name: &'static str,
    seed: u64,
    loss_ppm: u32,
    duplicate_ppm: u32,
    /// How many of the 10,000 pings arrive (counting copies).
    arrived: RangeInclusive<usize>,
    /// If set: every ping arrives exactly this many times.
    copies: Option<usize>,
}

const SENT: u32 = 10_000;

const LOSS_CASES: &[LossCase] = &[
    LossCase { name: "clean link", seed: 1, loss_ppm: 0, duplicate_ppm: 0, arrived: 10_000..=10_000, copies: Some(1) },
    LossCase { name: "loss 100 %", seed: 1, loss_ppm: 1_000_000, duplicate_ppm: 0, arrived: 0..=0, copies: Some(0) },
    LossCase {
        name: "duplicate 100 %",
        seed: 1,
        loss_ppm: 0,
        duplicate_ppm: 1_000_000,
        arrived: 20_000..=20_000,
        copies: Some(2),
    },
    LossCase {
        name: "loss 20 %, seed 1",
        seed: 1,
        loss_ppm: 200_000,
        duplicate_ppm: 0,
        arrived: 7_600..=8_400,
        copies: None,
    },
    LossCase {
        name: "loss 20 %, seed 2",
        seed: 2,
        loss_ppm: 200_000,
        duplicate_ppm: 0,
        arrived: 7_600..=8_400,
        copies: None,
    },
    LossCase {
        name: "duplicate 10 %",
        seed: 3,
        loss_ppm: 0,
        duplicate_ppm: 100_000,
        arrived: 10_800..=11_200,
        copies: None,
    },
];

#[test]
fn loss_and_duplication_follow_their_rates() {
    for case in LOSS_CASES {
        let link =
            LinkProfile { loss_ppm: case.loss_ppm, duplicate_ppm: case.duplicate_ppm, ..LinkProfile::fixed(ms(1)) };
        let sender = Probe::with_plan(&[Act::Burst(1, SENT)]);
        let mut sim = world(case.seed, link, vec![sender, Probe::default()]);
        sim.run_until(SEC, FOREVER);
        let heard = numbers_heard(&sim, B, false);
        assert!(case.arrived.contains(&heard.len()), "{}: {} of {SENT} arrived", case.name, heard.len());
        let lost = trace_records(&sim, TraceKind::Dropped(DropCause::Lost)).len();
        let mut copies = vec![0usize; SENT as usize];
        heard.iter().for_each(|&n| copies[n as usize] += 1);
        let never = copies.iter().filter(|&&c| c == 0).count();
        assert_eq!(lost, never, "{}: every lost ping is traced as lost", case.name);
        if let Some(c) = case.copies {
            assert!(copies.iter().all(|&n| n == c), "{}: not every ping arrived {c} times", case.name);
        }
    }
}

// ---- bounded runs ---------------------------------------------------------------------

struct RunCase {
    name: &'static str,
    plan: &'static [Act],
    target_us: TimeUs,
    budget: u64,
    events: u64,
    reached: bool,
    now_us: TimeUs,
    fired: &'static [TimerKey],
}

const THREE_TIMERS: &[Act] = &[Act::Set(1, 10), Act::Set(2, 20), Act::Set(3, 30)];

const RUN_CASES: &[RunCase] = &[
    RunCase {
        name: "nothing to do: the clock still moves",
        plan: &[],
        target_us: 5 * SEC,
        budget: 10,
        events: 0,
        reached: true,
        now_us: 5 * SEC,
        fired: &[],
    },
    RunCase {
        name: "budget short: stop early",
        plan: THREE_TIMERS,
        target_us: 50,
        budget: 2,
        events: 2,
        reached: false,
        now_us: 20,
        fired: &[1, 2],
    },
    RunCase {
        name: "budget zero: nothing happens",
        plan: THREE_TIMERS,
        target_us: 50,
        budget: 0,
        events: 0,
        reached: false,
        now_us: 0,
        fired: &[],
    },
    RunCase {
        name: "budget exactly enough",
        plan: THREE_TIMERS,
        target_us: 50,
        budget: 3,
        events: 3,
        reached: true,
        now_us: 50,
        fired: &[1, 2, 3],
    },
    RunCase {
        name: "an event at the target is due",
        plan: THREE_TIMERS,
        target_us: 30,
        budget: 10,
        events: 3,
        reached: true,
        now_us: 30,
        fired: &[1, 2, 3],
    },
    RunCase {
        name: "events after the target wait",
        plan: THREE_TIMERS,
        target_us: 25,
        budget: 10,
        events: 2,
        reached: true,
        now_us: 25,
        fired: &[1, 2],
    },
    RunCase {
        name: "a cancelled timer before the target does not pull a later event in",
        plan: &[Act::Set(1, 10), Act::Cancel(1), Act::Set(2, 100)],
        target_us: 50,
        budget: 10,
        events: 0,
        reached: true,
        now_us: 50,
        fired: &[],
    },
    RunCase {
        name: "a replaced timer before the target does not pull a later event in",
        plan: &[Act::Set(1, 10), Act::Set(1, 100)],
        target_us: 50,
        budget: 1,
        events: 0,
        reached: true,
        now_us: 50,
        fired: &[],
    },
];

#[test]
fn run_until_stops_at_the_target_or_the_budget() {
    for case in RUN_CASES {
        let mut sim = world(1, LinkProfile::fixed(0), vec![Probe::with_plan(case.plan)]);
        let report = sim.run_until(case.target_us, case.budget);
        assert_eq!((report.events, report.reached), (case.events, case.reached), "{}: report", case.name);
        assert_eq!(sim.now_us(), case.now_us, "{}: clock", case.name);
        let fired: Vec<TimerKey> =
            events_of(&sim, N0).iter().map(|(_, s)| if let Seen::Timer(k) = s { *k } else { 0 }).collect();
        assert_eq!(fired, case.fired, "{}: timers fired", case.name);
        assert_eq!(sim.events_processed(), case.events, "{}: events processed", case.name);
    }
}

#[test]
fn a_long_run_in_small_budgets_ends_where_one_big_run_does() {
    let build = || world(9, LinkProfile::fixed(ms(1)), vec![Probe::ticker(1, ms(10), 100), Probe::echo()]);
    let mut whole = build();
    let report = whole.run_until(2 * SEC, FOREVER);
    assert_eq!((report.events, report.reached, whole.now_us()), (300, true, 2 * SEC));
    let mut pieces = build();
    let mut rounds = 0;
    while !pieces.run_until(2 * SEC, 7).reached {
        rounds += 1;
    }
    assert_eq!(rounds, 300 / 7, "every call but the last must use its whole budget");
    assert_eq!(pieces.now_us(), 2 * SEC);
    assert_eq!(pieces.trace_hash(), whole.trace_hash(), "chunked run differs from the whole run");
}

// ---- always / sometimes -----------------------------------------------------------------

fn n1_handled_fewer_than_three(view: &View<'_, Probe>) -> Result<(), String> {
    match view.nodes[1].handled_since_boot {
        n if n < 3 => Ok(()),
        n => Err(format!("n1 handled {n} since boot")),
    }
}

fn n1_never_boots_more_than_its_incarnation(view: &View<'_, Probe>) -> Result<(), String> {
    let (boots, incarnation) = (view.nodes[1].boots, view.lifecycles[1].incarnation);
    if boots <= incarnation { Ok(()) } else { Err(format!("{boots} boots, incarnation {incarnation}")) }
}

struct PropertyCase {
    name: &'static str,
    pings: u32,
    faults: &'static [(TimeUs, Fault)],
    /// When "fewer-than-three" first broke (the delivery of the third ping).
    violated_at: Option<TimeUs>,
    /// When "n1-restarted" was first seen.
    restarted_at: Option<TimeUs>,
}

const PROPERTY_CASES: &[PropertyCase] = &[
    PropertyCase {
        name: "quiet run: nothing breaks, nothing seen",
        pings: 2,
        faults: &[],
        violated_at: None,
        restarted_at: None,
    },
    PropertyCase {
        name: "breaks at the third ping",
        pings: 10,
        faults: &[],
        violated_at: Some(ms(31)),
        restarted_at: None,
    },
    PropertyCase {
        name: "stays broken after the crash wipes the count",
        pings: 10,
        faults: &[(ms(35), Fault::Crash { node: B })],
        violated_at: Some(ms(31)),
        restarted_at: None,
    },
    PropertyCase {
        name: "a crash before the third ping postpones the break",
        pings: 10,
        faults: &[(ms(25), Fault::Crash { node: B }), (ms(35), Fault::Restart { node: B })],
        violated_at: Some(ms(61)),
        restarted_at: Some(ms(35)),
    },
    PropertyCase {
        name: "first violation kept though it breaks again later",
        pings: 10,
        faults: &[(ms(35), Fault::Crash { node: B }), (ms(65), Fault::Restart { node: B })],
        violated_at: Some(ms(31)),
        restarted_at: Some(ms(65)),
    },
];

#[test]
fn always_keeps_its_first_violation_and_sometimes_records_first_sighting() {
    for case in PROPERTY_CASES {
        let mut sim = world(1, LinkProfile::fixed(ms(1)), vec![Probe::ticker(1, ms(10), case.pings), Probe::echo()]);
        sim.properties_mut().always("fewer-than-three", n1_handled_fewer_than_three);
        // The same check, told it reads only the echo node: skipped after the
        // ticker's events, it must still break at exactly the same event.
        sim.properties_mut().always_watching("fewer-than-three-watching", n1_handled_fewer_than_three, |p| p.echo);
        sim.properties_mut().always("boots-le-incarnation", n1_never_boots_more_than_its_incarnation);
        sim.properties_mut().sometimes("n1-restarted", |v| v.lifecycles[1].incarnation > 1);
        schedule(&mut sim, case.faults);
        sim.run_until(SEC, FOREVER);
        check_properties(&sim, case);
    }
}

fn check_properties(sim: &Sim<Probe>, case: &PropertyCase) {
    let props = sim.properties();
    let always = props.verdict("fewer-than-three").expect("registered");
    assert_eq!(always.holds, case.violated_at.is_none(), "{}: holds", case.name);
    let violation = always.first_violation.as_ref().map(|v| v.at_us);
    assert_eq!(violation, case.violated_at, "{}: first violation", case.name);
    if let (Some(v), Some(at)) = (&always.first_violation, case.violated_at) {
        let third = trace_records(sim, TraceKind::Deliver).into_iter().find(|e| e.at_us == at && e.node == B);
        assert_eq!(Some(v.event_index), third.map(|e| e.index), "{}: event index of the violation", case.name);
        assert_eq!(v.reason, "n1 handled 3 since boot", "{}", case.name);
        assert_eq!(props.first_broken().map(|b| b.name), Some("fewer-than-three"), "{}", case.name);
    }
    let watching = props.verdict("fewer-than-three-watching").expect("registered");
    assert_eq!(watching.first_violation, always.first_violation, "{}: watching gives the same verdict", case.name);
    let fine = props.verdict("boots-le-incarnation").expect("registered");
    assert!(fine.holds && fine.first_violation.is_none(), "{}: a sound invariant broke", case.name);
    let sometimes = props.verdict("n1-restarted").expect("registered");
    assert_eq!(sometimes.holds, case.restarted_at.is_some(), "{}: sometimes holds", case.name);
    assert_eq!(sometimes.first_seen_us, case.restarted_at, "{}: first seen", case.name);
}

/// budgets.md: at most 64 bytes per pending event (its heap key and its
/// slot in the queue's side table), with the whole shop's message type (the
/// bench prints the figure; this keeps it from creeping).
#[test]
fn a_pending_event_of_the_whole_shop_fits_64_bytes() {
    let record = clusterlab::sim::queue::EventQueue::<clusterlab::cluster::Msg>::BYTES_PER_PENDING;
    assert!(record <= 64, "a pending event is {record} bytes; budgets.md allows 64");
}
