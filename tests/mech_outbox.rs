//! The payment service's transactional outbox against a real broker and
//! notification consumer: the payment row and its event are written
//! together, a relay publishes with confirms and deletes what the broker
//! confirmed, and whatever crashes — the payment service between the row and
//! the confirm, the broker, the consumer — every paid order is notified,
//! once, after the faults end. Without the outbox, the same crash loses the
//! notification.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/wire.rs"]
#[macro_use]
mod wire;

use clusterlab::cluster::mq::{
    MqBroker, MqBrokerConfig, MqConsumer, MqConsumerConfig, MqMsg, MqPublisher, MqPublisherConfig, Outbox, OutboxConfig,
};
use clusterlab::cluster::timer_tag::{self, SHOP};
use clusterlab::sim::{Ctx, Fault, LinkProfile, MS, Node, NodeId, SEC, Sim, TimeUs, TimerKey};

test_wire!(Mq(MqMsg));

const BROKER: NodeId = NodeId(0);
const NOTIFIER: NodeId = NodeId(1);
const PAYMENT: NodeId = NodeId(2);
const BUDGET: u64 = 10_000_000;

/// The payment service: at each scripted time an order is paid — its row
/// and (with the outbox) its event written in one transaction; without the
/// outbox the event is published straight after, as a plain publisher does.
#[derive(Clone, Debug)]
struct Payment {
    publisher: MqPublisher,
    outbox: Option<Outbox>,
    script: Vec<(TimeUs, u32)>,
    /// The payment table (durable).
    paid: Vec<u32>,
}

#[derive(Clone, Debug)]
enum Actor {
    Broker(MqBroker),
    Consumer(MqConsumer),
    Payment(Payment),
}

impl Node for Actor {
    type Msg = Wire;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Wire>) {
        match self {
            Self::Broker(b) => b.on_start(ctx),
            Self::Consumer(c) => c.on_start(ctx),
            Self::Payment(p) => {
                // Script timers are armed once: a restart does not pay again.
                if p.paid.is_empty() && ctx.now_us == 0 {
                    for (i, &(at_us, _)) in p.script.iter().enumerate() {
                        ctx.set_timer(timer_tag::key(SHOP, i as u64), at_us);
                    }
                }
                p.outbox.iter_mut().for_each(|o| o.on_start(ctx));
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Wire>, from: NodeId, msg: Wire) {
        let Wire::Mq(m) = msg;
        match self {
            Self::Broker(b) => b.on_message(ctx, from, m),
            Self::Consumer(c) => c.on_message(ctx, m),
            Self::Payment(p) => {
                p.publisher.on_message(ctx, m);
                if let Some(o) = &mut p.outbox {
                    o.after_confirms(&p.publisher);
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Wire>, key: TimerKey) {
        match self {
            Self::Broker(b) => b.on_timer(ctx, key),
            Self::Consumer(c) => c.on_timer(ctx, key),
            Self::Payment(p) if timer_tag::tag_of(key) == SHOP => {
                let order = p.script[timer_tag::local_of(key) as usize].1;
                p.paid.push(order);
                match &mut p.outbox {
                    Some(o) => _ = o.write(ctx.now_us, order),
                    None => _ = p.publisher.publish(ctx, order),
                }
            }
            Self::Payment(p) => match &mut p.outbox {
                Some(o) if Outbox::owns_timer(key) => o.on_timer(ctx, key, &mut p.publisher),
                _ => p.publisher.on_timer(ctx, key),
            },
        }
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Wire>, to: NodeId, msg: Wire) {
        let Wire::Mq(m) = msg;
        match self {
            Self::Broker(b) => b.on_refused(ctx, to, m),
            Self::Consumer(c) => c.on_refused(ctx, to, m),
            Self::Payment(_) => {}
        }
    }

    fn on_crash(&mut self) {
        match self {
            Self::Broker(b) => b.on_crash(),
            Self::Consumer(c) => c.on_crash(),
            Self::Payment(p) => {
                p.publisher.on_crash();
                p.outbox.iter_mut().for_each(Outbox::on_crash);
            }
        }
    }
}

fn world(outbox: bool, script: &[(TimeUs, u32)]) -> Sim<Actor> {
    let mut sim = Sim::new(1, LinkProfile::fixed(MS));
    sim.add_node("mq", Actor::Broker(MqBroker::new(MqBrokerConfig::default())));
    sim.add_node("notification", Actor::Consumer(MqConsumer::new(MqConsumerConfig::default(), BROKER)));
    let payment = Payment {
        publisher: MqPublisher::new(MqPublisherConfig::default(), BROKER, 1000),
        outbox: outbox.then(|| Outbox::new(OutboxConfig::default(), 1000)),
        script: script.to_vec(),
        paid: Vec::new(),
    };
    sim.add_node("payment", Actor::Payment(payment));
    sim
}

fn payment(sim: &Sim<Actor>) -> &Payment {
    let Actor::Payment(p) = sim.node(PAYMENT) else { panic!("payment") };
    p
}

fn notified(sim: &Sim<Actor>, order: u32) -> u32 {
    let Actor::Consumer(c) = sim.node(NOTIFIER) else { panic!("consumer") };
    c.notified.get(&order).copied().unwrap_or(0)
}

struct Case {
    name: &'static str,
    outbox: bool,
    faults: &'static [(TimeUs, Fault)],
    /// Orders notified once at the end (the others: never).
    notified: &'static [u32],
    /// The relay published an entry again (its first publish died with it).
    republished: bool,
}

/// The broker is down from 250 ms to 10 s; the payment service crashes at
/// 1 s and restarts at 2 s.
const BROKER_DOWN_PAYMENT_CRASHES: &[(TimeUs, Fault)] = &[
    (250 * MS, Fault::Crash { node: BROKER }),
    (SEC, Fault::Crash { node: PAYMENT }),
    (2 * SEC, Fault::Restart { node: PAYMENT }),
    (10 * SEC, Fault::Restart { node: BROKER }),
];

/// Orders 1–3 paid at 100, 200, 300 ms; faults in the first 20 s, then
/// everything restarted and 60 s to settle (the liveness phase).
#[test]
fn every_paid_order_is_notified_once_whatever_crashes_with_the_outbox() {
    const P: NodeId = PAYMENT;
    let cases = [
        Case { name: "no fault, outbox", outbox: true, faults: &[], republished: false, notified: &[1, 2, 3] },
        Case { name: "no fault, no outbox", outbox: false, faults: &[], republished: false, notified: &[1, 2, 3] },
        Case {
            // Order 3's row is written at 300 ms while the broker is down: its
            // publish is refused, and the service dies before a republish.
            name: "publish fails, then payment crashes, no outbox: the event is lost",
            outbox: false,
            faults: BROKER_DOWN_PAYMENT_CRASHES,
            notified: &[1, 2],
            republished: false,
        },
        Case {
            name: "publish fails, then payment crashes, outbox: the restarted relay publishes it",
            outbox: true,
            faults: BROKER_DOWN_PAYMENT_CRASHES,
            notified: &[1, 2, 3],
            republished: true,
        },
        Case {
            // Published at 500 ms, confirmed at ~502 ms: the relay dies between.
            name: "relay crashes with publishes in flight: republished, deduped",
            outbox: true,
            faults: &[(501 * MS, Fault::Crash { node: P }), (2 * SEC, Fault::Restart { node: P })],
            notified: &[1, 2, 3],
            republished: true,
        },
        Case {
            name: "broker down for 10 s: the outbox waits",
            outbox: true,
            faults: &[(50 * MS, Fault::Crash { node: BROKER }), (10 * SEC, Fault::Restart { node: BROKER })],
            notified: &[1, 2, 3],
            republished: false,
        },
        Case {
            name: "consumer crashes mid-work: redelivered, deduped",
            outbox: true,
            faults: &[(505 * MS, Fault::Crash { node: NOTIFIER }), (3 * SEC, Fault::Restart { node: NOTIFIER })],
            notified: &[1, 2, 3],
            republished: false,
        },
    ];
    let script = [(100 * MS, 1), (200 * MS, 2), (300 * MS, 3)];
    for case in cases {
        let mut sim = world(case.outbox, &script);
        for &(at, fault) in case.faults {
            sim.schedule_fault(at, fault);
        }
        sim.run_until(20 * SEC, BUDGET);
        // Liveness: every node up, then time to settle.
        for node in [BROKER, NOTIFIER, PAYMENT] {
            if !sim.lifecycle(node).is_up() {
                sim.inject(Fault::Restart { node });
            }
        }
        sim.run_until(80 * SEC, BUDGET);
        let p = payment(&sim);
        assert_eq!(p.paid, vec![1, 2, 3], "{}: every order paid", case.name);
        for order in 1..=3 {
            let expected = u32::from(case.notified.contains(&order));
            assert_eq!(notified(&sim, order), expected, "{}: order {order} notified", case.name);
        }
        if let Some(o) = &p.outbox {
            assert!(o.pending.is_empty(), "{}: outbox not emptied: {:?}", case.name, o.pending);
            assert_eq!((o.written, o.relayed), (3, 3), "{}: written and relayed", case.name);
            assert_eq!(o.publishes > o.written, case.republished, "{}: {} publishes", case.name, o.publishes);
        }
    }
}
