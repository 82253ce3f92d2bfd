//! The transactional outbox of the payment service, and its relay.
//!
//! Owns the outbox table — one entry per "payment succeeded" event, written
//! in the same database transaction as the payment row, so the row never
//! exists without its event — and the relay that empties it: every poll
//! interval it publishes each entry not already in flight through the
//! service's publisher (persistent, with confirms; the publisher itself
//! republishes after its confirm timeout) and deletes the entry once the
//! broker has confirmed it. A relay that dies loses only what it had in
//! flight; the entries stay, and the next relay publishes them again — with
//! the same message id, so the notification consumer's dedupe sends each
//! order's notification once (at-least-once delivery, exactly-once effect).
//! Never answers a payment and never talks to the consumer.
//!
//! Durable: the entries and the id counter (they live in the database).
//! Volatile: which entries are in flight at the publisher.

use super::{MqMsg, MqPublisher};
use crate::cluster::timer_tag::{self, MQ_BROKER};
use crate::sim::{Ctx, MS, TimeUs, TimerKey};
use std::collections::{BTreeMap, BTreeSet};

/// Relay settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxConfig {
    /// How often the relay polls the table for entries to publish (a
    /// polling publisher's interval; Debezium-style log tailing is faster).
    pub poll_interval_us: TimeUs,
    /// Entries published per poll at most (the `LIMIT` of its query).
    pub batch: usize,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self { poll_interval_us: 500 * MS, batch: 100 }
    }
}

/// One row of the outbox table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxEntry {
    pub msg_id: u32,
    pub order: u32,
    pub written_us: TimeUs,
}

/// The relay's poll timer, in the broker's namespace (as the publisher's
/// timers, with their own high bit).
const POLL: TimerKey = timer_tag::key(MQ_BROKER, 1 << 49);

/// The outbox table and its relay.
#[derive(Clone, Debug)]
pub struct Outbox {
    pub config: OutboxConfig,
    /// Message ids are `id_base + n` (the publisher's range).
    pub id_base: u32,
    next_id: u32,
    /// Entries written and not yet confirmed, by message id (durable).
    pub pending: BTreeMap<u32, OutboxEntry>,
    /// Entries handed to the publisher this boot (volatile).
    in_flight: BTreeSet<u32>,
    pub written: u64,
    /// Entries confirmed by the broker and deleted.
    pub relayed: u64,
    /// Entries handed to the publisher (more than `relayed` when a relay
    /// died with entries in flight and published them again).
    pub publishes: u64,
}

impl Outbox {
    pub fn new(config: OutboxConfig, id_base: u32) -> Self {
        Self {
            config,
            id_base,
            next_id: 0,
            pending: BTreeMap::new(),
            in_flight: BTreeSet::new(),
            written: 0,
            relayed: 0,
            publishes: 0,
        }
    }

    pub fn on_start<M>(&mut self, ctx: &mut Ctx<'_, M>) {
        ctx.set_timer(POLL, self.config.poll_interval_us);
    }

    pub fn on_crash(&mut self) {
        self.in_flight.clear();
    }

    /// Write the event of `order`, in the transaction that writes its
    /// payment row. Returns its message id.
    pub fn write(&mut self, now_us: TimeUs, order: u32) -> u32 {
        self.next_id += 1;
        let msg_id = self.id_base.wrapping_add(self.next_id);
        self.pending.insert(msg_id, OutboxEntry { msg_id, order, written_us: now_us });
        self.written += 1;
        msg_id
    }

    /// Whether `key` is the relay's poll timer.
    pub fn owns_timer(key: TimerKey) -> bool {
        key == POLL
    }

    /// The poll: publish every entry not in flight, up to a batch.
    pub fn on_timer<M: From<MqMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey, publisher: &mut MqPublisher) {
        if key != POLL {
            return;
        }
        let due: Vec<OutboxEntry> = (self.pending.values())
            .filter(|e| !self.in_flight.contains(&e.msg_id))
            .take(self.config.batch)
            .copied()
            .collect();
        for entry in due {
            self.publishes += 1;
            publisher.publish_as(ctx, entry.msg_id, entry.order);
            self.in_flight.insert(entry.msg_id);
        }
        ctx.set_timer(POLL, self.config.poll_interval_us);
    }

    /// After the publisher heard from the broker: delete what it confirmed.
    pub fn after_confirms(&mut self, publisher: &MqPublisher) {
        let waiting: BTreeSet<u32> = publisher.unconfirmed.values().map(|m| m.msg_id).collect();
        let confirmed: Vec<u32> = self.in_flight.iter().filter(|id| !waiting.contains(id)).copied().collect();
        for msg_id in confirmed {
            self.in_flight.remove(&msg_id);
            if self.pending.remove(&msg_id).is_some() {
                self.relayed += 1;
            }
        }
    }
}
