//! A RabbitMQ-like broker with one queue of payment-success events, and its checks.
//!
//! Owns the queue (ready messages, messages delivered but not yet acked),
//! publisher confirms
//! (sent once a message is enqueued), manual acks, requeue with
//! `redelivered = true` when a consumer's channel closes or it nacks with
//! requeue, and the dead-letter queue: reject/nack with requeue = false,
//! message TTL (`x-message-ttl`) and the quorum-queue delivery limit (20 in
//! RabbitMQ 4.0; every return counts, as before 4.3) all dead-letter. The
//! consumers' channels (prefetch, heartbeats, frame accounting, closing)
//! live in `channel`, the consumer and publisher in `consumer`, the payment
//! service's transactional outbox and its relay in `outbox`. Never looks
//! inside a consumer: it learns of a dead one only by a refused frame, a
//! missed heartbeat, a heartbeat showing a frame of it lost, or the same
//! node consuming again.

use super::timer_tag::{self, MQ_BROKER};
use crate::sim::{Ctx, Message, NodeId, SEC, TimeUs, TimerKey};
use std::collections::{BTreeMap, VecDeque};

mod channel;
mod consumer;
mod outbox;
pub use channel::Channel;
pub use consumer::{
    MqConsumer, MqConsumerConfig, MqPublisher, MqPublisherConfig, check_notified_once, check_notified_once_recent,
};
pub use outbox::{Outbox, OutboxConfig, OutboxEntry};

/// Why a message was dead-lettered (`x-first-death-reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeadLetterReason {
    /// basic.reject / basic.nack with requeue = false.
    Rejected,
    /// Its TTL ran out while it waited in the queue.
    Expired,
    /// Returned more times than the queue's delivery limit.
    DeliveryLimit,
}

/// AMQP frames between publishers, the broker and consumers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MqMsg {
    /// basic.publish of one persistent message, `seq` for the confirm.
    Publish { seq: u32, msg_id: u32, order: u32 },
    /// Publisher confirm (basic.ack from the broker).
    Confirm { seq: u32 },
    /// basic.qos(prefetch) + basic.consume on a new channel (0 = unlimited).
    /// Every frame on a channel carries its number, as AMQP frames do; a
    /// consumer numbers its channels one after another, so a late frame of
    /// a closed one is known for what it is (over TCP it would have died
    /// with its connection).
    Consume { channel: u16, prefetch: u16 },
    /// basic.deliver.
    Deliver { channel: u16, tag: u32, msg_id: u32, order: u32, redelivered: bool, returns: u16 },
    /// basic.ack: done with this delivery.
    Ack { channel: u16, tag: u32 },
    /// basic.nack / basic.reject.
    Nack { channel: u16, tag: u32, requeue: bool },
    /// A heartbeat frame (either way), with how many frames its sender has
    /// sent on the connection, this one included. AMQP runs over TCP, where
    /// no frame is lost on a live connection: a receiver that has heard
    /// fewer knows the connection broke in between (the model's stand-in for
    /// TCP's sequence numbers).
    Heartbeat { channel: u16, frames: u32 },
    /// connection.close from the broker: a frame came on a channel it does
    /// not have (it restarted, or closed the channel after missed heartbeats),
    /// or a frame the consumer sent on it was lost.
    Closed { channel: u16 },
}

impl Message for MqMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Publish { .. } => "mq-publish",
            Self::Confirm { .. } => "mq-confirm",
            Self::Consume { .. } => "mq-consume",
            Self::Deliver { redelivered: false, .. } => "mq-deliver",
            Self::Deliver { .. } => "mq-redeliver",
            Self::Ack { .. } => "mq-ack",
            Self::Nack { requeue: true, .. } => "mq-nack-requeue",
            Self::Nack { .. } => "mq-reject",
            Self::Heartbeat { .. } => "mq-heartbeat",
            Self::Closed { .. } => "mq-connection-close",
        }
    }
}

/// Queue settings; defaults are RabbitMQ's for a quorum queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MqBrokerConfig {
    /// `delivery-limit`: 20 by default for quorum queues since RabbitMQ 4.0.
    pub delivery_limit: u32,
    /// `x-message-ttl` (none by default).
    pub message_ttl_us: Option<TimeUs>,
    /// The negotiated `heartbeat` timeout, 60 s by default.
    pub heartbeat_timeout_us: TimeUs,
    /// Durable queue with persistent messages: survives a broker restart.
    pub durable: bool,
}

impl Default for MqBrokerConfig {
    fn default() -> Self {
        Self { delivery_limit: 20, message_ttl_us: None, heartbeat_timeout_us: 60 * SEC, durable: true }
    }
}

/// A message in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuedMessage {
    pub msg_id: u32,
    pub order: u32,
    pub enqueued_at_us: TimeUs,
    /// Times it came back unacked (`x-delivery-count`).
    pub delivery_count: u32,
    pub redelivered: bool,
}

/// A message dead-lettered, kept for inspectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    pub msg_id: u32,
    pub order: u32,
    pub reason: DeadLetterReason,
    pub at_us: TimeUs,
}

const TICK: u64 = 0;
const TTL: u64 = 1;
const DEAD_LETTERS_KEPT: usize = 256;

/// The broker. Durable (if `durable`): the ready messages, the dead-letter
/// queue and the counters; on a restart, unacked messages return to the
/// queue. Volatile: channels and the unacked table.
#[derive(Clone, Debug)]
pub struct MqBroker {
    pub config: MqBrokerConfig,
    pub ready: VecDeque<QueuedMessage>,
    pub unacked: BTreeMap<u32, (NodeId, QueuedMessage)>,
    pub channels: BTreeMap<NodeId, Channel>,
    pub dead_letters: VecDeque<DeadLetter>,
    pub dead_lettered: BTreeMap<DeadLetterReason, u64>,
    pub confirmed: u64,
    pub acked: u64,
    pub redeliveries: u64,
    /// Messages lost by a restart of a non-durable queue.
    pub lost: u64,
    next_tag: u32,
    last_served: Option<NodeId>,
    tick_armed: bool,
}

impl MqBroker {
    pub fn new(config: MqBrokerConfig) -> Self {
        Self {
            config,
            ready: VecDeque::new(),
            unacked: BTreeMap::new(),
            channels: BTreeMap::new(),
            dead_letters: VecDeque::new(),
            dead_lettered: BTreeMap::new(),
            confirmed: 0,
            acked: 0,
            redeliveries: 0,
            lost: 0,
            next_tag: 0,
            last_served: None,
            tick_armed: false,
        }
    }

    /// Messages waiting in the queue.
    pub fn depth(&self) -> usize {
        self.ready.len()
    }

    pub fn dead_letter_total(&self) -> u64 {
        self.dead_lettered.values().sum()
    }

    pub fn on_crash(&mut self) {
        let unacked = std::mem::take(&mut self.unacked);
        for (_, msg) in unacked.into_values().rev() {
            self.give_back(msg, 0);
        }
        if !self.config.durable {
            self.lost += self.ready.len() as u64;
            self.ready.clear();
        }
        self.channels.clear();
        self.last_served = None;
        self.tick_armed = false;
    }

    pub fn on_start<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.arm_ttl(ctx);
    }

    /// A message comes back unacked: to the head of the queue, or to the
    /// dead-letter queue once returned more times than the delivery limit.
    fn give_back(&mut self, mut msg: QueuedMessage, now_us: TimeUs) {
        msg.delivery_count += 1;
        msg.redelivered = true;
        if msg.delivery_count > self.config.delivery_limit {
            self.dead_letter(msg, DeadLetterReason::DeliveryLimit, now_us);
        } else {
            self.ready.push_front(msg);
        }
    }

    fn dead_letter(&mut self, msg: QueuedMessage, reason: DeadLetterReason, at_us: TimeUs) {
        *self.dead_lettered.entry(reason).or_default() += 1;
        if self.dead_letters.len() == DEAD_LETTERS_KEPT {
            self.dead_letters.pop_front();
        }
        self.dead_letters.push_back(DeadLetter { msg_id: msg.msg_id, order: msg.order, reason, at_us });
    }

    pub fn on_message<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: MqMsg) {
        if let MqMsg::Ack { channel, .. } | MqMsg::Nack { channel, .. } | MqMsg::Heartbeat { channel, .. } = msg
            && !self.frame_on_channel(ctx, from, channel)
        {
            return;
        }
        match msg {
            MqMsg::Publish { seq, msg_id, order } => {
                let queued =
                    QueuedMessage { msg_id, order, enqueued_at_us: ctx.now_us, delivery_count: 0, redelivered: false };
                self.ready.push_back(queued);
                self.confirmed += 1;
                ctx.send(from, MqMsg::Confirm { seq }.into());
                self.arm_ttl(ctx);
            }
            MqMsg::Consume { channel, prefetch } => self.consume(ctx, from, channel, prefetch),
            MqMsg::Ack { tag, .. } if self.unacked.get(&tag).is_some_and(|(c, _)| *c == from) => {
                self.unacked.remove(&tag);
                self.acked += 1;
            }
            MqMsg::Nack { tag, requeue, .. } if self.unacked.get(&tag).is_some_and(|(c, _)| *c == from) => {
                let Some((_, queued)) = self.unacked.remove(&tag) else { return };
                if requeue {
                    self.give_back(queued, ctx.now_us);
                } else {
                    self.dead_letter(queued, DeadLetterReason::Rejected, ctx.now_us);
                }
            }
            MqMsg::Heartbeat { frames, .. } => self.heartbeat_heard(ctx, from, frames),
            _ => {}
        }
        self.dispatch(ctx);
    }

    fn has_room(&self, consumer: NodeId, ch: &Channel) -> bool {
        ch.prefetch == 0 || self.unacked.values().filter(|(c, _)| *c == consumer).count() < usize::from(ch.prefetch)
    }

    /// The next consumer with room under its prefetch, round robin.
    fn next_consumer(&self) -> Option<NodeId> {
        let after = self.last_served.map_or(0, |n| n.0 + 1);
        let later = self.channels.range(NodeId(after)..);
        let earlier = self.channels.range(..NodeId(after));
        later.chain(earlier).find(|&(&c, ch)| self.has_room(c, ch)).map(|(&c, _)| c)
    }

    fn dispatch<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.expire(ctx.now_us);
        while !self.ready.is_empty() {
            let Some(consumer) = self.next_consumer() else { break };
            let Some(queued) = self.ready.pop_front() else { break };
            self.next_tag += 1;
            let tag = self.next_tag;
            if queued.redelivered {
                self.redeliveries += 1;
            }
            let returns = queued.delivery_count.min(u32::from(u16::MAX)) as u16;
            let (msg_id, order, redelivered) = (queued.msg_id, queued.order, queued.redelivered);
            let Some(ch) = self.channels.get_mut(&consumer) else { break };
            ch.frames_sent += 1;
            let channel = ch.number;
            ctx.send(consumer, MqMsg::Deliver { channel, tag, msg_id, order, redelivered, returns }.into());
            self.unacked.insert(tag, (consumer, queued));
            self.last_served = Some(consumer);
        }
    }

    /// Dead-letter every ready message whose TTL has run out.
    fn expire(&mut self, now_us: TimeUs) {
        let Some(ttl_us) = self.config.message_ttl_us else { return };
        let (expired, kept): (Vec<_>, Vec<_>) = self.ready.drain(..).partition(|m| m.enqueued_at_us + ttl_us <= now_us);
        self.ready = kept.into();
        for msg in expired {
            self.dead_letter(msg, DeadLetterReason::Expired, now_us);
        }
    }

    fn arm_ttl<M: From<MqMsg>>(&self, ctx: &mut Ctx<'_, M>) {
        let Some(ttl_us) = self.config.message_ttl_us else { return };
        if let Some(oldest) = self.ready.iter().map(|m| m.enqueued_at_us).min() {
            ctx.set_timer(timer_tag::key(MQ_BROKER, TTL), (oldest + ttl_us).saturating_sub(ctx.now_us));
        }
    }

    pub fn on_timer<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        match timer_tag::local_of(key) {
            TTL => {
                self.expire(ctx.now_us);
                self.arm_ttl(ctx);
            }
            TICK => self.tick(ctx),
            _ => {}
        }
    }
}

/// Invariant "every confirmed message is acked or dead-lettered" as a state
/// check: confirmed = acked + dead-lettered + ready + unacked.
pub fn check_confirmed_acked_or_dead_lettered(broker: &MqBroker) -> Result<(), String> {
    let accounted = broker.acked + broker.dead_letter_total() + broker.ready.len() as u64 + broker.unacked.len() as u64;
    if accounted == broker.confirmed {
        Ok(())
    } else {
        Err(format!(
            "{} confirmed but {} acked + {} dead-lettered + {} ready + {} unacked",
            broker.confirmed,
            broker.acked,
            broker.dead_letter_total(),
            broker.ready.len(),
            broker.unacked.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message returned `n` times is requeued at the head while n ≤ the
    /// delivery limit and dead-lettered on the return after that.
    #[test]
    fn returns_beyond_the_delivery_limit_dead_letter() {
        for limit in [0, 1, 20] {
            let mut broker = MqBroker::new(MqBrokerConfig { delivery_limit: limit, ..MqBrokerConfig::default() });
            let msg = QueuedMessage { msg_id: 1, order: 1, enqueued_at_us: 0, delivery_count: 0, redelivered: false };
            broker.ready.push_back(msg);
            let mut returns = 0;
            while let Some(m) = broker.ready.pop_front() {
                returns += 1;
                broker.give_back(m, 0);
            }
            assert_eq!(returns, limit + 1, "limit {limit}");
            assert_eq!(broker.dead_lettered.get(&DeadLetterReason::DeliveryLimit), Some(&1), "limit {limit}");
        }
        assert!(size_of::<MqMsg>() <= 32);
    }
}
