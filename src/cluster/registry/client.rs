//! The registry client every service runs: register, heartbeat, fetch, cache.
//!
//! Owns the provider half (register on start, heartbeat every interval,
//! register again when a heartbeat comes back "unknown" because the registry
//! forgot the instance, deregister on a graceful shutdown) and the consumer
//! half (fetch each subscribed service every refetch interval and keep the
//! last answer). The cache is only ever replaced by an answer: when the
//! registry is down or cut off, the consumer keeps using its last list,
//! crashed providers included. Never decides health itself.
//!
//! Volatile: everything but the settings and peers (the cache dies with the
//! process).

use super::{BEAT_TIMER, REFETCH_TIMER, RegistryConfig, RegistryMsg, ServiceKind};
use crate::cluster::timer_tag::{self, REGISTRY};
use crate::sim::{Ctx, NodeId, TimeUs, TimerKey};
use std::collections::{BTreeMap, BTreeSet};

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
        self.refetch(ctx);
    }

    pub fn on_crash(&mut self) {
        self.cache.clear();
        self.awaiting.clear();
    }

    /// Graceful shutdown: deregister, stop beating (the cache stays usable).
    pub fn shutdown<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        for &service in &self.provides {
            ctx.send(self.registry, RegistryMsg::Deregister { service }.into());
        }
        ctx.cancel_timer(timer_tag::key(REGISTRY, BEAT_TIMER));
        self.stopped = true;
    }

    fn refetch<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        for &service in &self.subscribes {
            if !self.awaiting.insert(service) {
                self.fetches_unanswered += 1;
            }
            ctx.send(self.registry, RegistryMsg::Fetch { service }.into());
        }
        if !self.subscribes.is_empty() {
            ctx.set_timer(timer_tag::key(REGISTRY, REFETCH_TIMER), self.config.refetch_interval_us);
        }
    }

    pub fn on_message<M: From<RegistryMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _from: NodeId, msg: RegistryMsg) {
        match msg {
            RegistryMsg::List(list) => {
                self.awaiting.remove(&list.service);
                let cached = CachedList {
                    instances: list.instances().to_vec(),
                    version: list.version,
                    fetched_at_us: ctx.now_us,
                    protected: list.protected,
                };
                self.cache.insert(list.service, cached);
            }
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
        } else if key == timer_tag::key(REGISTRY, REFETCH_TIMER) {
            self.refetch(ctx);
        }
    }

    /// The registry's host refused a send: keep the cache, note it.
    pub fn on_refused(&mut self, _to: NodeId, msg: RegistryMsg) {
        self.registry_refused += 1;
        if let RegistryMsg::Fetch { service } = msg {
            // Answered, by a reset: not a fetch lost in silence.
            self.awaiting.remove(&service);
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
