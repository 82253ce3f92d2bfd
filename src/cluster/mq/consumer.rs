//! The notification consumer (manual acks, dedupe) and the payment publisher (confirms).
//!
//! Owns `MqConsumer`: it consumes with a prefetch, processes each delivery
//! (sending the order's notification is its side effect), then acks. A crash
//! after the side effect and before the ack makes the broker redeliver, and
//! the notification goes out twice — unless the consumer dedupes by message
//! id against a durable set of processed ids, recorded atomically with the
//! side effect. Poison orders are nacked (requeued or not, as configured).
//! Over TCP no frame is lost on a live connection, so a broker heartbeat
//! showing a delivery that never came means the connection broke: the
//! consumer reconnects (after the Java client's 5 s recovery interval) and
//! the broker requeues what it had unacked, with `redelivered = true`.
//! Owns `MqPublisher`: it publishes persistent messages and republishes the
//! same message id until the broker confirms it (at-least-once publishing).
//! Never talks to the queue's other consumers; never acks before the side
//! effect (that would be at-most-once).

use super::{MqMsg, QueuedMessage};
use crate::cluster::timer_tag::{self, MQ_BROKER, MQ_CONSUMER};
use crate::sim::{Ctx, MS, NodeId, SEC, TimeUs, TimerKey};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Consumer settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqConsumerConfig {
    /// `basic.qos` prefetch count (0 = unlimited, RabbitMQ's default).
    pub prefetch: u16,
    /// Processing time of one message before its side effect is done.
    pub process_us: TimeUs,
    /// Time between the side effect and the ack (committing, then acking).
    pub ack_delay_us: TimeUs,
    /// Skip messages whose id is in the durable processed-id set.
    pub dedupe: bool,
    /// Heartbeat frames every half of the 60 s timeout.
    pub heartbeat_us: TimeUs,
    /// The Java client's `networkRecoveryInterval`, 5 s.
    pub reconnect_us: TimeUs,
    /// Orders whose processing always fails (poison messages).
    pub poison_orders: BTreeSet<u32>,
    /// Nack poison messages with requeue = true (else reject to the DLQ).
    pub poison_requeue: bool,
}

impl Default for MqConsumerConfig {
    fn default() -> Self {
        Self {
            prefetch: 10,
            process_us: 20 * MS,
            ack_delay_us: 5 * MS,
            dedupe: true,
            heartbeat_us: 30 * SEC,
            reconnect_us: 5 * SEC,
            poison_orders: BTreeSet::new(),
            poison_requeue: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Job {
    msg_id: u32,
    order: u32,
}

const HEARTBEAT: u64 = 1 << 40;
const RECONNECT: u64 = 2 << 40;
const PROCESS: u64 = 3 << 40;
const ACK: u64 = 4 << 40;
const KIND_MASK: u64 = !((1 << 40) - 1);

/// The notification service's consumer. Durable: notifications sent (they
/// cannot be unsent), the processed-id set and the counters. Volatile: the
/// deliveries in progress and the connection.
#[derive(Clone, Debug)]
pub struct MqConsumer {
    pub config: MqConsumerConfig,
    pub broker: NodeId,
    /// Notifications sent per order: the side effect.
    pub notified: BTreeMap<u32, u32>,
    /// The latest orders notified, newest last (the invariants, run after
    /// every event, look only at these against the whole maps).
    pub recent_notified: VecDeque<u32>,
    pub processed_ids: BTreeSet<u32>,
    /// Side effects applied to an order already notified.
    pub duplicates_processed: u64,
    /// Redeliveries recognised by id and only acked.
    pub duplicates_skipped: u64,
    pub redelivered_seen: u64,
    pub nacked: u64,
    jobs: BTreeMap<u32, Job>,
    pub connected: bool,
    /// The number of the current channel; one more for each new one, across
    /// restarts too (standing for a new TCP connection's identity).
    pub channel: u16,
    /// Frames sent to the broker on this connection (basic.consume, acks,
    /// nacks, heartbeats).
    frames_sent: u32,
    /// Frames heard from the broker on this connection (deliveries, heartbeats).
    frames_heard: u32,
    /// Frames the broker sent and we have not heard, as of its last heartbeat.
    frames_missing: u32,
    /// Broken connections found by a broker heartbeat.
    pub frames_lost_found: u64,
}

impl MqConsumer {
    pub fn new(config: MqConsumerConfig, broker: NodeId) -> Self {
        Self {
            config,
            broker,
            notified: BTreeMap::new(),
            recent_notified: VecDeque::new(),
            processed_ids: BTreeSet::new(),
            duplicates_processed: 0,
            duplicates_skipped: 0,
            redelivered_seen: 0,
            nacked: 0,
            jobs: BTreeMap::new(),
            connected: false,
            channel: 0,
            frames_sent: 0,
            frames_heard: 0,
            frames_missing: 0,
            frames_lost_found: 0,
        }
    }

    /// Deliveries being processed (unacked from this side).
    pub fn in_progress(&self) -> usize {
        self.jobs.len()
    }

    pub fn on_crash(&mut self) {
        self.jobs.clear();
        self.connected = false;
    }

    pub fn on_start<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.connect(ctx);
        ctx.set_timer(timer_tag::key(MQ_CONSUMER, HEARTBEAT), self.config.heartbeat_us);
    }

    fn connect<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.jobs.clear(); // their delivery tags died with the old channel
        self.connected = true;
        (self.frames_sent, self.frames_heard, self.frames_missing) = (0, 0, 0);
        self.channel = self.channel.wrapping_add(1);
        let (channel, prefetch) = (self.channel, self.config.prefetch);
        self.send(ctx, MqMsg::Consume { channel, prefetch });
    }

    /// A frame to the broker on this connection.
    fn send<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, msg: MqMsg) {
        self.frames_sent = self.frames_sent.wrapping_add(1);
        ctx.send(self.broker, msg.into());
    }

    fn lost_connection<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.connected {
            self.connected = false;
            self.jobs.clear(); // no ack can travel on a broken connection
            ctx.set_timer(timer_tag::key(MQ_CONSUMER, RECONNECT), self.config.reconnect_us);
        }
    }

    pub fn on_message<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, msg: MqMsg) {
        let channel = match msg {
            MqMsg::Deliver { channel, .. } | MqMsg::Heartbeat { channel, .. } | MqMsg::Closed { channel } => channel,
            _ => return,
        };
        if channel != self.channel || !self.connected {
            return; // a frame of a closed channel or a broken connection: it died with it
        }
        if !matches!(msg, MqMsg::Closed { .. }) {
            self.frames_heard = self.frames_heard.wrapping_add(1);
        }
        match msg {
            MqMsg::Deliver { tag, msg_id, order, redelivered, .. } => {
                if redelivered {
                    self.redelivered_seen += 1;
                }
                self.jobs.insert(tag, Job { msg_id, order });
                ctx.set_timer(timer_tag::key(MQ_CONSUMER, PROCESS | u64::from(tag)), self.config.process_us);
            }
            // A delivery never came: the connection broke.
            MqMsg::Heartbeat { frames, .. }
                if super::channel::frame_lost(frames, self.frames_heard, &mut self.frames_missing) =>
            {
                self.frames_lost_found += 1;
                ctx.log("notification: a frame from the broker was lost: reconnecting");
                self.lost_connection(ctx);
            }
            MqMsg::Closed { .. } => self.lost_connection(ctx),
            _ => {}
        }
    }

    pub fn on_refused<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _to: NodeId, _msg: MqMsg) {
        self.lost_connection(ctx);
    }

    pub fn on_timer<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        let local = timer_tag::local_of(key);
        let tag = (local & !KIND_MASK) as u32;
        match local & KIND_MASK {
            HEARTBEAT => {
                let frames = self.frames_sent.wrapping_add(1);
                self.send(ctx, MqMsg::Heartbeat { channel: self.channel, frames });
                ctx.set_timer(key, self.config.heartbeat_us);
            }
            RECONNECT => self.connect(ctx),
            PROCESS => self.process(ctx, tag),
            ACK if self.jobs.remove(&tag).is_some() => self.send(ctx, MqMsg::Ack { channel: self.channel, tag }),
            _ => {}
        }
    }

    /// Do the side effect (or recognise a duplicate), then ack a little later.
    fn process<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, tag: u32) {
        let Some(job) = self.jobs.get(&tag).copied() else { return };
        if self.config.poison_orders.contains(&job.order) {
            self.jobs.remove(&tag);
            self.nacked += 1;
            let requeue = self.config.poison_requeue;
            self.send(ctx, MqMsg::Nack { channel: self.channel, tag, requeue });
            return;
        }
        if self.config.dedupe && self.processed_ids.contains(&job.msg_id) {
            self.duplicates_skipped += 1;
        } else {
            if self.recent_notified.len() == RECENT_NOTIFIED {
                self.recent_notified.pop_front();
            }
            self.recent_notified.push_back(job.order);
            let sent = self.notified.entry(job.order).or_default();
            *sent += 1;
            if *sent > 1 {
                self.duplicates_processed += 1;
                ctx.log(format!("notification: order {} notified {} times", job.order, *sent));
            }
            if self.config.dedupe {
                self.processed_ids.insert(job.msg_id);
            }
        }
        ctx.set_timer(timer_tag::key(MQ_CONSUMER, ACK | u64::from(tag)), self.config.ack_delay_us);
    }
}

/// How many of the latest notifications a consumer remembers for the invariants.
pub const RECENT_NOTIFIED: usize = 16;

/// Invariant "each order notified once" for a check run after every event:
/// a duplicate appears only when a notification is sent, so the latest ones
/// are counted across every consumer.
pub fn check_notified_once_recent(consumers: &[&MqConsumer]) -> Result<(), String> {
    for c in consumers {
        for &order in &c.recent_notified {
            let n: u32 = consumers.iter().filter_map(|k| k.notified.get(&order)).sum();
            if n > 1 {
                return Err(format!("order {order} notified {n} times"));
            }
        }
    }
    Ok(())
}

/// Invariant "each order notified once" (across every consumer).
pub fn check_notified_once(consumers: &[&MqConsumer]) -> Result<(), String> {
    let mut total: BTreeMap<u32, u32> = BTreeMap::new();
    for c in consumers {
        for (&order, &n) in &c.notified {
            *total.entry(order).or_default() += n;
        }
    }
    match total.iter().find(|(_, n)| **n > 1) {
        Some((order, n)) => Err(format!("order {order} notified {n} times")),
        None => Ok(()),
    }
}

/// Publisher settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqPublisherConfig {
    /// Republish a message not confirmed within this time.
    pub confirm_timeout_us: TimeUs,
}

impl Default for MqPublisherConfig {
    fn default() -> Self {
        Self { confirm_timeout_us: 5 * SEC }
    }
}

/// Publisher timers share the broker's namespace (a publisher never runs on
/// the broker's node) with this bit set in the local part.
const PUBLISHER: u64 = 1 << 48;

/// A publisher with confirms (in the payment service). Volatile: everything
/// but the counters (a crashed publisher forgets unconfirmed messages: the
/// payment's outbox, `mq/outbox`, publishes them again).
#[derive(Clone, Debug)]
pub struct MqPublisher {
    pub config: MqPublisherConfig,
    pub broker: NodeId,
    /// Message ids are `id_base + n`: give each publisher its own range.
    pub id_base: u32,
    next_id: u32,
    next_seq: u32,
    pub unconfirmed: BTreeMap<u32, QueuedMessage>,
    pub published: u64,
    pub confirmed: u64,
    pub republished: u64,
}

impl MqPublisher {
    pub fn new(config: MqPublisherConfig, broker: NodeId, id_base: u32) -> Self {
        Self {
            config,
            broker,
            id_base,
            next_id: 0,
            next_seq: 0,
            unconfirmed: BTreeMap::new(),
            published: 0,
            confirmed: 0,
            republished: 0,
        }
    }

    pub fn on_crash(&mut self) {
        self.unconfirmed.clear();
    }

    /// Publish the payment-success event of `order`; returns its message id.
    pub fn publish<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, order: u32) -> u32 {
        self.next_id += 1;
        let msg_id = self.id_base.wrapping_add(self.next_id);
        self.published += 1;
        self.send(ctx, msg_id, order);
        msg_id
    }

    /// Publish `order`'s event under a message id the caller chose (an
    /// outbox entry's, the same at every attempt).
    pub fn publish_as<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, msg_id: u32, order: u32) {
        self.published += 1;
        self.send(ctx, msg_id, order);
    }

    fn send<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, msg_id: u32, order: u32) {
        self.next_seq += 1;
        let seq = self.next_seq;
        let pending =
            QueuedMessage { msg_id, order, enqueued_at_us: ctx.now_us, delivery_count: 0, redelivered: false };
        self.unconfirmed.insert(seq, pending);
        ctx.send(self.broker, MqMsg::Publish { seq, msg_id, order }.into());
        ctx.set_timer(timer_tag::key(MQ_BROKER, PUBLISHER | u64::from(seq)), self.config.confirm_timeout_us);
    }

    pub fn on_message<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, msg: MqMsg) {
        if let MqMsg::Confirm { seq } = msg
            && self.unconfirmed.remove(&seq).is_some()
        {
            self.confirmed += 1;
            ctx.cancel_timer(timer_tag::key(MQ_BROKER, PUBLISHER | u64::from(seq)));
        }
    }

    /// No confirm in time: publish the same message id again.
    pub fn on_timer<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        let seq = (timer_tag::local_of(key) & !PUBLISHER) as u32;
        if let Some(pending) = self.unconfirmed.remove(&seq) {
            self.republished += 1;
            self.send(ctx, pending.msg_id, pending.order);
        }
    }
}
