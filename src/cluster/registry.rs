//! The service registry (Nacos 1.x by default, Eureka as a variant) and its clients.
//!
//! Owns the registry server (`Registry`: instances, heartbeats, the periodic
//! health check that marks an instance unhealthy and then deletes it, the
//! protect threshold, Eureka's lease expiry, eviction limit and
//! self-preservation) and the client half every service runs
//! (`RegistryClient`: register, heartbeat, re-register when the registry has
//! forgotten it, fetch and cache instance lists). A consumer keeps using its
//! cached list whenever the registry does not answer, so a crashed provider
//! stays in its cache until the registry notices *and* the next refetch
//! lands. Never looks at a node's real state: the registry learns only from
//! heartbeats, the client only from answers.
//!
//! Volatile: everything. Ephemeral instances live in the registry's memory
//! (lost on its crash; clients re-register when a heartbeat comes back
//! "unknown"); a client's cache is lost on its own crash.

use super::timer_tag::{self, REGISTRY};
use crate::sim::{Ctx, Message, NodeId, SEC, TimeUs, TimerKey};
use std::collections::BTreeMap;

mod client;
pub use client::{CachedList, RegistryClient, check_cache_from_registry};

/// The shop's services, as registered names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceKind {
    Product,
    Order,
    Payment,
    Inventory,
    Notification,
    User,
}

impl ServiceKind {
    pub const ALL: [ServiceKind; 6] =
        [Self::Product, Self::Order, Self::Payment, Self::Inventory, Self::Notification, Self::User];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Product => "product-service",
            Self::Order => "order-service",
            Self::Payment => "payment-service",
            Self::Inventory => "inventory-service",
            Self::Notification => "notification-service",
            Self::User => "user-service",
        }
    }
}

/// Which registry's rules apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegistryFlavor {
    /// Nacos 1.x ephemeral instances: client beats, server-side health flag.
    Nacos1,
    /// Eureka: leases, eviction, self-preservation; no "unhealthy" state.
    Eureka,
}

/// Registry and client settings; `Default` is Nacos 1.x, `eureka()` Eureka's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistryConfig {
    pub flavor: RegistryFlavor,
    /// Nacos `preserved.heart.beat.interval` 5000 ms; Eureka
    /// `lease-renewal-interval-in-seconds` 30.
    pub heartbeat_interval_us: TimeUs,
    /// Nacos `preserved.heart.beat.timeout` 15000 ms (then `healthy=false`);
    /// Eureka has no such state.
    pub unhealthy_after_us: Option<TimeUs>,
    /// Nacos `preserved.ip.delete.timeout` 30000 ms; Eureka
    /// `lease-expiration-duration-in-seconds` 90.
    pub delete_after_us: TimeUs,
    /// Nacos `ClientBeatCheckTask` runs every 5 s; Eureka
    /// `eviction-interval-timer-in-ms` 60000.
    pub check_interval_us: TimeUs,
    /// Nacos `protectThreshold` (default 0) in percent: if healthy/total ≤ it,
    /// the registry returns every instance, unhealthy ones included.
    pub protect_threshold_pct: u32,
    /// Eureka `enable-self-preservation` with `renewal-percent-threshold`
    /// 0.85: no eviction while renewals in the last minute ≤ 85 % of expected;
    /// also caps one eviction run at `size − ⌊size × 0.85⌋` instances.
    pub self_preservation_pct: Option<u32>,
    /// Eureka's `Lease.renew()` sets `lastUpdate = now + duration`, so a
    /// renewed lease really expires 2 × duration after the last renewal (a
    /// documented bug kept for compatibility).
    pub lease_expiry_doubled: bool,
    /// Client refetch: Nacos `HostReactor` polls every 10 s (plus UDP push,
    /// not modelled); Eureka `registry-fetch-interval-seconds` 30.
    pub refetch_interval_us: TimeUs,
    /// Nacos `UpdateTask`: an update that failed or found no instance is
    /// tried again after `DEFAULT_DELAY` (1000 ms) `<< failCount`; Eureka's
    /// refresh keeps its interval (None).
    pub failed_fetch_retry_us: Option<TimeUs>,
    /// ... at most `DEFAULT_DELAY * 60` (60 s).
    pub failed_fetch_retry_max_us: TimeUs,
    /// Nacos client `namingPushEmptyProtection` (1.4.1+, default false): an
    /// empty list never replaces a non-empty cached one.
    pub push_empty_protection: bool,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            flavor: RegistryFlavor::Nacos1,
            heartbeat_interval_us: 5 * SEC,
            unhealthy_after_us: Some(15 * SEC),
            delete_after_us: 30 * SEC,
            check_interval_us: 5 * SEC,
            protect_threshold_pct: 0,
            self_preservation_pct: None,
            lease_expiry_doubled: false,
            refetch_interval_us: 10 * SEC,
            failed_fetch_retry_us: Some(SEC),
            failed_fetch_retry_max_us: 60 * SEC,
            push_empty_protection: false,
        }
    }
}

impl RegistryConfig {
    /// Eureka's defaults.
    pub fn eureka() -> Self {
        Self {
            flavor: RegistryFlavor::Eureka,
            heartbeat_interval_us: 30 * SEC,
            unhealthy_after_us: None,
            delete_after_us: 90 * SEC,
            check_interval_us: 60 * SEC,
            protect_threshold_pct: 0,
            self_preservation_pct: Some(85),
            lease_expiry_doubled: true,
            refetch_interval_us: 30 * SEC,
            failed_fetch_retry_us: None,
            failed_fetch_retry_max_us: 60 * SEC,
            push_empty_protection: false,
        }
    }
}

/// How many instances one `List` message carries.
pub const MAX_LISTED: usize = 8;

/// A service's usable instances, as the registry answers a fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InstanceList {
    pub service: ServiceKind,
    /// The registry's revision when it answered (bumps on every change).
    pub version: u32,
    pub count: u8,
    /// True if the protect threshold made it return unhealthy instances too.
    pub protected: bool,
    pub nodes: [NodeId; MAX_LISTED],
}

impl InstanceList {
    pub fn instances(&self) -> &[NodeId] {
        &self.nodes[..usize::from(self.count)]
    }
}

/// What registry and clients say. The instance is always the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegistryMsg {
    Register {
        service: ServiceKind,
    },
    Heartbeat {
        service: ServiceKind,
    },
    /// Graceful shutdown (Nacos deregister, Eureka cancel).
    Deregister {
        service: ServiceKind,
    },
    /// `known: false` is Nacos's 20404 / Eureka's 404: register again.
    BeatAck {
        service: ServiceKind,
        known: bool,
    },
    Fetch {
        service: ServiceKind,
    },
    List(InstanceList),
}

impl Message for RegistryMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Register { .. } => "register",
            Self::Heartbeat { .. } => "heartbeat",
            Self::Deregister { .. } => "deregister",
            Self::BeatAck { .. } => "beat-ack",
            Self::Fetch { .. } => "fetch",
            Self::List(_) => "instance-list",
        }
    }
}

const CHECK_TIMER: u64 = 1;
const BEAT_TIMER: u64 = 2;
const REFETCH_TIMER: u64 = 3;

/// One registered instance as the registry sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance {
    pub registered_us: TimeUs,
    pub last_beat_us: TimeUs,
    pub healthy: bool,
}

/// The registry server. Volatile: everything (ephemeral instances in memory).
#[derive(Clone, Debug)]
pub struct Registry {
    pub config: RegistryConfig,
    pub instances: BTreeMap<(ServiceKind, NodeId), Instance>,
    pub revision: u32,
    /// Eureka's `expectedNumberOfClientsSendingRenews`: +1 on register, −1 on
    /// cancel, unchanged by eviction.
    pub expected_clients: u32,
    renew_bucket: u64,
    renews_this_minute: u32,
    pub renews_last_minute: u32,
    /// True while Eureka's self-preservation holds back eviction.
    pub self_preserving: bool,
    pub marked_unhealthy: u64,
    pub deleted: u64,
}

impl Registry {
    pub fn new(config: RegistryConfig) -> Self {
        Self {
            config,
            instances: BTreeMap::new(),
            revision: 0,
            expected_clients: 0,
            renew_bucket: 0,
            renews_this_minute: 0,
            renews_last_minute: 0,
            self_preserving: false,
            marked_unhealthy: 0,
            deleted: 0,
        }
    }

    pub fn on_start<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        ctx.set_timer(timer_tag::key(REGISTRY, CHECK_TIMER), self.config.check_interval_us);
    }

    pub fn on_crash(&mut self) {
        *self = Self::new(self.config);
    }

    pub fn on_message<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: RegistryMsg) {
        let now = ctx.now_us;
        match msg {
            RegistryMsg::Register { service } => {
                if self.instances.insert((service, from), Instance::fresh(now)).is_none() {
                    self.expected_clients += 1;
                }
                self.revision += 1;
            }
            RegistryMsg::Heartbeat { service } => {
                self.count_renewal(now);
                let known = self.renew(service, from, now);
                ctx.send(from, RegistryMsg::BeatAck { service, known }.into());
            }
            RegistryMsg::Deregister { service } => {
                if self.instances.remove(&(service, from)).is_some() {
                    self.expected_clients = self.expected_clients.saturating_sub(1);
                    self.revision += 1;
                }
            }
            RegistryMsg::Fetch { service } => ctx.send(from, RegistryMsg::List(self.list(service)).into()),
            RegistryMsg::BeatAck { .. } | RegistryMsg::List(_) => {}
        }
    }

    fn renew(&mut self, service: ServiceKind, node: NodeId, now: TimeUs) -> bool {
        let Some(instance) = self.instances.get_mut(&(service, node)) else { return false };
        instance.last_beat_us = now;
        if !instance.healthy {
            instance.healthy = true;
            self.revision += 1;
        }
        true
    }

    /// Eureka's `MeasuredRate`: renewals counted in whole-minute buckets.
    fn count_renewal(&mut self, now: TimeUs) {
        self.roll_minute(now);
        self.renews_this_minute += 1;
    }

    fn roll_minute(&mut self, now: TimeUs) {
        let bucket = now / (60 * SEC);
        if bucket != self.renew_bucket {
            self.renews_last_minute = if bucket == self.renew_bucket + 1 { self.renews_this_minute } else { 0 };
            self.renews_this_minute = 0;
            self.renew_bucket = bucket;
        }
    }

    /// The answer to a fetch: healthy instances, or all of them when the
    /// healthy share is at or below the protect threshold (Nacos `<=`, so with
    /// the default 0 a service whose instances are all unhealthy gets them all).
    pub fn list(&self, service: ServiceKind) -> InstanceList {
        let all: Vec<(NodeId, bool)> = self
            .instances
            .range((service, NodeId(0))..=(service, NodeId(u16::MAX)))
            .map(|(k, i)| (k.1, i.healthy))
            .collect();
        let healthy = all.iter().filter(|(_, h)| *h).count() as u64;
        let total = all.len() as u64;
        let protected = total > 0 && healthy * 100 <= u64::from(self.config.protect_threshold_pct) * total;
        let mut list =
            InstanceList { service, version: self.revision, count: 0, protected, nodes: [NodeId(0); MAX_LISTED] };
        for (node, _) in all.iter().filter(|(_, h)| *h || protected).take(MAX_LISTED) {
            list.nodes[usize::from(list.count)] = *node;
            list.count += 1;
        }
        list
    }

    pub fn on_timer<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if key != timer_tag::key(REGISTRY, CHECK_TIMER) {
            return;
        }
        match self.config.flavor {
            RegistryFlavor::Nacos1 => self.nacos_check(ctx.now_us),
            RegistryFlavor::Eureka => self.eureka_evict(ctx),
        }
        ctx.set_timer(key, self.config.check_interval_us);
    }

    /// Nacos `ClientBeatCheckTask`: `now − lastBeat > timeout` → unhealthy;
    /// `> ipDeleteTimeout` → deleted.
    fn nacos_check(&mut self, now: TimeUs) {
        let unhealthy_after = self.config.unhealthy_after_us.unwrap_or(TimeUs::MAX);
        let mut changed = false;
        for instance in self.instances.values_mut() {
            if instance.healthy && now - instance.last_beat_us > unhealthy_after {
                instance.healthy = false;
                self.marked_unhealthy += 1;
                changed = true;
            }
        }
        let before = self.instances.len();
        self.instances.retain(|_, i| now - i.last_beat_us <= self.config.delete_after_us);
        self.deleted += (before - self.instances.len()) as u64;
        if changed || before != self.instances.len() {
            self.revision += 1;
        }
    }

    /// Eureka `AbstractInstanceRegistry.evict`: nothing while self-preserving;
    /// else expired leases, at most `size − size × 85 %` per run, picked at random.
    fn eureka_evict<M>(&mut self, ctx: &mut Ctx<'_, M>) {
        let now = ctx.now_us;
        self.roll_minute(now);
        if let Some(pct) = self.config.self_preservation_pct {
            let per_minute = u64::from(self.expected_clients) * 60 * SEC / self.config.heartbeat_interval_us.max(1);
            let threshold = per_minute * u64::from(pct) / 100;
            self.self_preserving = !(threshold > 0 && u64::from(self.renews_last_minute) > threshold);
            if self.self_preserving {
                return;
            }
        }
        let lease = self.config.delete_after_us;
        let mut expired: Vec<(ServiceKind, NodeId)> = (self.instances.iter())
            .filter(|(_, i)| {
                let renewed = i.last_beat_us > i.registered_us;
                let deadline =
                    i.last_beat_us + if renewed && self.config.lease_expiry_doubled { 2 * lease } else { lease };
                now > deadline
            })
            .map(|(k, _)| *k)
            .collect();
        let size = self.instances.len() as u64;
        let keep_pct = u64::from(self.config.self_preservation_pct.unwrap_or(0));
        let limit = (size - size * keep_pct / 100) as usize;
        while expired.len() > limit {
            expired.swap_remove(ctx.rng.below(expired.len() as u64) as usize);
        }
        for key in &expired {
            self.instances.remove(key);
        }
        if !expired.is_empty() {
            self.deleted += expired.len() as u64;
            self.revision += 1;
        }
    }
}

impl Instance {
    fn fresh(now: TimeUs) -> Self {
        Self { registered_us: now, last_beat_us: now, healthy: true }
    }
}
