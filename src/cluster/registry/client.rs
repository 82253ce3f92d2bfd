//! The registry client every service runs: register, heartbeat, fetch, cache.
//!
//! Owns the provider half (register on start, heartbeat every interval,
//! register again when a heartbeat comes back "unknown" because the registry
//! forgot the instance, deregister on a graceful shutdown) and the consumer
//! half: one update task per subscribed service, as Nacos's `UpdateTask`,
//! fetching every refetch interval and keeping the last answer. An update
//! that fails — the registry refused, or answered an empty list (a first
//! fetch racing the providers' registration, a registry that lost its
//! instances) — is tried again after `1 s << failures` (2, 4, 8 … s, at most
//! 60 s) instead of waiting a whole interval; with `push_empty_protection`
//! an empty answer never replaces a non-empty cached list. The cache is only
//! ever replaced by an answer: when the registry is down or cut off, the
//! consumer keeps using its last list, crashed providers included. A fetch
//! lost in silence is noticed at the next interval (no read timeout is
//! modelled). Never decides health itself.
//!
//! Volatile: everything but the settings and peers (the cache dies with the
//! process).

use super::{BEAT_TIMER, InstanceList, REFETCH_TIMER, RegistryConfig, RegistryMsg, ServiceKind};
use crate::cluster::timer_tag::{self, REGISTRY};
use crate::sim::{Ctx, NodeId, TimeUs, TimerKey};
use std::collections::{BTreeMap, BTreeSet};

/// Nacos `UpdateTask.incFailCount`'s limit.
const MAX_FAIL_COUNT: u32 = 6;

/// The update task's timer of the `index`-th subscribed service.
fn fetch_timer(index: usize) -> TimerKey {
    timer_tag::key(REGISTRY, (REFETCH_TIMER << 8) | index as u64)
}

/// A consumer's cached copy of one service's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedList {
    pub instances: Vec<NodeId>,
    pub version: u32,
    pub fetched_at_us: TimeUs,
    pub protected: bool,
}

/// The registry client every service runs: provider side (register, beat)
/// and consumer side (fetch, cache). Volatile: everything but the settings.
#[derive(Clone, Debug)]
pub struct RegistryClient {
    pub config: RegistryConfig,
    pub registry: NodeId,
    pub provides: Vec<ServiceKind>,
    pub subscribes: Vec<ServiceKind>,
    pub cache: BTreeMap<ServiceKind, CachedList>,
    awaiting: BTreeSet<ServiceKind>,
    /// Failed updates in a row per service (Nacos `failCount`, at most 6).
    fail_counts: BTreeMap<ServiceKind, u32>,
    /// Updates that failed (refused, or an empty list).
    pub failed_fetches: u64,
    /// Refetches that found the previous fetch still unanswered.
    pub fetches_unanswered: u64,
    /// Sends the registry's host refused (the registry process is down).
    pub registry_refused: u64,
    pub re_registrations: u64,
    /// Deregistered by a graceful shutdown: stop beating.
    pub stopped: bool,
}

impl RegistryClient {
    pub fn new(config: RegistryConfig, registry: NodeId, provides: &[ServiceKind], subscribes: &[ServiceKind]) -> Self {
        Self {
            config,
            registry,
            provides: provides.to_vec(),
            subscribes: subscribes.to_vec(),
            cache: BTreeMap::new(),
            awaiting: BTreeSet::new(),
            fail_counts: BTreeMap::new(),
            failed_fetches: 0,
            fetches_unanswered: 0,
            registry_refused: 0,
            re_registrations: 0,
            stopped: false,
        }
    }

    /// Register every provided service and fetch every subscribed one.
    pub fn on_start<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.stopped = false;
        for &service in &self.provides {
            ctx.send(self.registry, RegistryMsg::Register { service }.into());
        }
        if !self.provides.is_empty() {
            ctx.set_timer(timer_tag::key(REGISTRY, BEAT_TIMER), self.config.heartbeat_interval_us);
        }
        (0..self.subscribes.len()).for_each(|index| self.fetch(ctx, index));
    }

    /// A warm cache: the list of `service` as the client had it before the
    /// simulation began (the shop was already running).
    pub fn assume_cached(&mut self, service: ServiceKind, instances: &[NodeId]) {
        let cached = CachedList { instances: instances.to_vec(), version: 0, fetched_at_us: 0, protected: false };
        self.cache.insert(service, cached);
    }

    pub fn on_crash(&mut self) {
        self.cache.clear();
        self.awaiting.clear();
        self.fail_counts.clear();
    }

    /// Graceful shutdown: deregister, stop beating (the cache stays usable).
    pub fn shutdown<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        for &service in &self.provides {
            ctx.send(self.registry, RegistryMsg::Deregister { service }.into());
        }
        ctx.cancel_timer(timer_tag::key(REGISTRY, BEAT_TIMER));
        self.stopped = true;
    }

    /// The update task of `subscribes[index]`: fetch, and come back after
    /// the refetch interval (sooner if this update fails).
    fn fetch<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>, index: usize) {
        let Some(&service) = self.subscribes.get(index) else { return };
        if !self.awaiting.insert(service) {
            self.fetches_unanswered += 1;
        }
        ctx.send(self.registry, RegistryMsg::Fetch { service }.into());
        ctx.set_timer(fetch_timer(index), self.config.refetch_interval_us);
    }

    /// Nacos `UpdateTask`: a failed update comes back after
    /// `min(DEFAULT_DELAY << failCount, 60 s)` instead of the interval.
    fn update_failed<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>, service: ServiceKind) {
        self.failed_fetches += 1;
        let (Some(base_us), Some(index)) =
            (self.config.failed_fetch_retry_us, self.subscribes.iter().position(|&s| s == service))
        else {
            return;
        };
        let fails = self.fail_counts.entry(service).or_insert(0);
        *fails = (*fails + 1).min(MAX_FAIL_COUNT);
        let delay_us = (base_us << *fails).min(self.config.failed_fetch_retry_max_us);
        ctx.set_timer(fetch_timer(index), delay_us);
    }

    fn on_list<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>, list: InstanceList) {
        let service = list.service;
        self.awaiting.remove(&service);
        let empty = list.instances().is_empty();
        if empty {
            self.update_failed(ctx, service);
        } else {
            self.fail_counts.remove(&service);
        }
        if empty && self.config.push_empty_protection && !self.instances(service).is_empty() {
            return; // namingPushEmptyProtection: keep the last non-empty list
        }
        let cached = CachedList {
            instances: list.instances().to_vec(),
            version: list.version,
            fetched_at_us: ctx.now_us,
            protected: list.protected,
        };
        self.cache.insert(service, cached);
    }

    pub fn on_message<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _from: NodeId, msg: RegistryMsg) {
        match msg {
            RegistryMsg::List(list) => self.on_list(ctx, list),
            RegistryMsg::BeatAck { service, known: false } if !self.stopped => {
                self.re_registrations += 1;
                ctx.send(self.registry, RegistryMsg::Register { service }.into());
            }
            _ => {}
        }
    }

    pub fn on_timer<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if key == timer_tag::key(REGISTRY, BEAT_TIMER) && !self.stopped {
            for &service in &self.provides {
                ctx.send(self.registry, RegistryMsg::Heartbeat { service }.into());
            }
            ctx.set_timer(key, self.config.heartbeat_interval_us);
        } else if timer_tag::local_of(key) >> 8 == REFETCH_TIMER {
            self.fetch(ctx, (timer_tag::local_of(key) & 0xFF) as usize);
        }
    }

    /// The registry's host refused a send: keep the cache, note it; a
    /// refused fetch is a failed update, tried again soon.
    pub fn on_refused<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _to: NodeId, msg: RegistryMsg) {
        self.registry_refused += 1;
        if let RegistryMsg::Fetch { service } = msg {
            // Answered, by a reset: not a fetch lost in silence.
            self.awaiting.remove(&service);
            self.update_failed(ctx, service);
        }
    }

    /// The cached instances of `service` (empty if never fetched).
    pub fn instances(&self, service: ServiceKind) -> &[NodeId] {
        self.cache.get(&service).map_or(&[], |c| c.instances.as_slice())
    }

    /// How old the cached list of `service` is.
    pub fn cache_age_us(&self, service: ServiceKind, now_us: TimeUs) -> Option<TimeUs> {
        self.cache.get(&service).map(|c| now_us.saturating_sub(c.fetched_at_us))
    }
}

/// Consumers' caches hold only instances the registry listed: every cached
/// node was, at its fetch, registered for that service (`ever_registered`).
pub fn check_cache_from_registry(
    client: &RegistryClient,
    ever_registered: &BTreeSet<(ServiceKind, NodeId)>,
) -> Result<(), String> {
    for (&service, cached) in &client.cache {
        if let Some(node) = cached.instances.iter().find(|n| !ever_registered.contains(&(service, **n))) {
            return Err(format!("{} cached {node:?}, which never registered", service.as_str()));
        }
    }
    Ok(())
}
