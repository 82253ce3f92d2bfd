//! The broker's consumer channels: heartbeats, frame accounting, closing.
//!
//! Owns what the broker knows of each consumer's connection — its prefetch,
//! when it was last heard, and how many frames went each way — and what ends
//! one: missed heartbeats (nothing heard for the 60 s timeout), a refused
//! frame, the same node consuming again, or a heartbeat showing that a frame
//! the consumer sent never arrived (over TCP that means the connection
//! broke). Closing a channel requeues its unacked messages with
//! `redelivered = true`. Never looks at a message's content and never
//! decides where a message goes next (the queue, in the parent module, does).

use super::{MqBroker, MqMsg, TICK};
use crate::cluster::timer_tag::{self, MQ_BROKER};
use crate::sim::{Ctx, NodeId, TimeUs};

/// A consumer's channel as the broker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel {
    /// The number the consumer gave it (every frame on it carries it).
    pub number: u16,
    pub prefetch: u16,
    pub last_heard_us: TimeUs,
    /// Frames sent to the consumer on this channel (deliveries, heartbeats).
    pub frames_sent: u32,
    /// Frames heard from the consumer (basic.consume, acks, nacks, heartbeats).
    pub frames_heard: u32,
    /// Frames the consumer sent and the broker has not heard, as of its last
    /// heartbeat.
    pub frames_missing: u32,
}

impl Channel {
    /// A channel opened by basic.consume (its first frame) at `now_us`.
    pub fn new(number: u16, prefetch: u16, now_us: TimeUs) -> Self {
        Self { number, prefetch, last_heard_us: now_us, frames_sent: 0, frames_heard: 1, frames_missing: 0 }
    }

    pub(super) fn heard(&mut self, now_us: TimeUs) {
        self.last_heard_us = now_us;
        self.frames_heard = self.frames_heard.wrapping_add(1);
    }
}

/// Whether a peer's heartbeat saying it has sent `frames` shows a frame lost
/// since the last one: more missing than before. (A frame the heartbeat
/// overtook — the model's links reorder when a slow node speeds up — arrives
/// later and brings the count back: at worst one needless reconnect.)
pub(super) fn frame_lost(frames: u32, heard: u32, missing: &mut u32) -> bool {
    let now_missing = frames.saturating_sub(heard);
    let lost = now_missing > *missing;
    *missing = now_missing;
    lost
}

impl MqBroker {
    /// basic.consume on a new channel: the same node consuming again has
    /// lost its old connection. (A consume older than the open channel is a
    /// late frame of a dead connection.)
    pub(super) fn consume<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, number: u16, prefetch: u16) {
        if self.channels.get(&from).is_some_and(|ch| ch.number > number) {
            return;
        }
        self.close_channel(ctx, from);
        self.channels.insert(from, Channel::new(number, prefetch, ctx.now_us));
        self.arm_tick(ctx);
    }

    /// Counts a consumer's frame on its open channel. A frame on a channel
    /// the broker does not have (none open, or a newer one whose
    /// basic.consume never came) makes it close what it has and tell the
    /// consumer to reconnect (its old delivery tags are void); one of a
    /// channel since replaced died with its connection and is dropped.
    pub(super) fn frame_on_channel<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, number: u16) -> bool {
        match self.channels.get_mut(&from) {
            Some(ch) if ch.number == number => {
                ch.heard(ctx.now_us);
                true
            }
            Some(ch) if ch.number > number => false,
            _ => {
                self.close_channel(ctx, from);
                ctx.send(from, MqMsg::Closed { channel: number }.into());
                false
            }
        }
    }

    /// Requeue everything the consumer's channel held unacked.
    pub(super) fn close_channel<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, consumer: NodeId) {
        if self.channels.remove(&consumer).is_none() {
            return;
        }
        let tags: Vec<u32> = self.unacked.iter().filter(|(_, (c, _))| *c == consumer).map(|(&t, _)| t).collect();
        ctx.log(format!("mq: channel of node {} closed, {} unacked message(s) requeued", consumer.0, tags.len()));
        for tag in tags.into_iter().rev() {
            if let Some((_, queued)) = self.unacked.remove(&tag) {
                self.give_back(queued, ctx.now_us);
            }
        }
        self.arm_ttl(ctx);
    }

    /// Heartbeats go out every half timeout (as RabbitMQ sends them).
    pub(super) fn arm_tick<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if !self.tick_armed && !self.channels.is_empty() {
            ctx.set_timer(timer_tag::key(MQ_BROKER, TICK), self.config.heartbeat_timeout_us / 2);
            self.tick_armed = true;
        }
    }

    /// Close the channels not heard for the heartbeat timeout; send the
    /// others a heartbeat.
    pub(super) fn tick<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.tick_armed = false;
        let timeout_us = self.config.heartbeat_timeout_us;
        let consumers: Vec<NodeId> = self.channels.keys().copied().collect();
        for consumer in consumers {
            let Some(ch) = self.channels.get_mut(&consumer) else { continue };
            if ctx.now_us.saturating_sub(ch.last_heard_us) >= timeout_us {
                self.close_channel(ctx, consumer); // missed heartbeats
            } else {
                ch.frames_sent += 1;
                let heartbeat = MqMsg::Heartbeat { channel: ch.number, frames: ch.frames_sent };
                ctx.send(consumer, heartbeat.into());
            }
        }
        self.arm_tick(ctx);
        self.dispatch(ctx);
    }

    /// A consumer's heartbeat: if an ack or nack it sent never came, the
    /// connection broke — close the channel (requeueing its unacked
    /// messages) and tell the consumer to reconnect.
    pub(super) fn heartbeat_heard<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, frames: u32) {
        let Some(ch) = self.channels.get_mut(&from) else { return };
        if frame_lost(frames, ch.frames_heard, &mut ch.frames_missing) {
            let channel = ch.number;
            ctx.log(format!("mq: a frame from node {} was lost: its connection broke", from.0));
            self.close_channel(ctx, from);
            ctx.send(from, MqMsg::Closed { channel }.into());
        }
    }

    /// The consumer's host reset the connection: its process is gone.
    pub fn on_refused<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: MqMsg) {
        if matches!(msg, MqMsg::Deliver { .. } | MqMsg::Heartbeat { .. }) {
            self.close_channel(ctx, to);
            self.dispatch(ctx);
        }
    }
}
