//! A DNS client: the JVM's (or a browser's) own name cache in front of a
//! resolver.
//!
//! Owns the client-side cache of resolved names — by default the JVM's
//! `InetAddress` cache, which keeps a successful lookup 30 s and a failed one
//! 10 s whatever TTL the answer carried — and the choice of address (the first
//! of the answer, as `InetAddress.getByName` returns). Never health-checks an
//! address and never re-resolves before its copy expires: a dead address keeps
//! being used until then. Never sends application traffic: the host asks
//! `resolve` and sends to the address itself.

use crate::cluster::dns::{Addresses, CLIENT_TIMER, CachedName, DnsFailure, DnsMsg, NameId, NegativeKind, Region};
use crate::cluster::dns::{name_of, timer_key};
use crate::sim::{Ctx, NodeId, SEC, TimeUs, TimerKey};
use std::collections::{BTreeMap, BTreeSet};

/// Client settings; defaults are the JDK's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsClientConfig {
    /// Where the client is (sent in queries; a resolver uses its own region).
    pub region: Region,
    /// `networkaddress.cache.ttl`: 30 s (no security manager installed).
    pub positive_ttl_us: TimeUs,
    /// `networkaddress.cache.negative.ttl`: 10 s.
    pub negative_ttl_us: TimeUs,
    /// Keep answers for the TTL they carry instead (a TTL-honouring stub);
    /// the JVM does not.
    pub honour_record_ttl: bool,
    /// glibc's resolv.conf `timeout:5`.
    pub query_timeout_us: TimeUs,
}

impl Default for DnsClientConfig {
    fn default() -> Self {
        Self {
            region: Region(0),
            positive_ttl_us: 30 * SEC,
            negative_ttl_us: 10 * SEC,
            honour_record_ttl: false,
            query_timeout_us: 5 * SEC,
        }
    }
}

/// What `resolve` tells the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Resolution {
    /// Send to this address.
    Address(NodeId),
    /// A query is on its way; ask again after the answer.
    Pending,
    Failed(DnsFailure),
}

/// What a client has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DnsClientStats {
    pub lookups: u64,
    pub cache_hits: u64,
    pub queries: u64,
    pub failures: u64,
}

/// A client population's name cache. Volatile: everything but the counters
/// (the JVM's cache lives in the process).
#[derive(Clone, Debug)]
pub struct DnsClient {
    pub config: DnsClientConfig,
    pub resolver: NodeId,
    pub cache: BTreeMap<NameId, CachedName>,
    pending: BTreeSet<NameId>,
    pub stats: DnsClientStats,
}

impl DnsClient {
    pub fn new(config: DnsClientConfig, resolver: NodeId) -> Self {
        Self { config, resolver, cache: BTreeMap::new(), pending: BTreeSet::new(), stats: DnsClientStats::default() }
    }

    pub fn on_crash(&mut self) {
        self.cache.clear();
        self.pending.clear();
    }

    /// The unexpired cached result for `name`, without changing anything.
    pub fn cached(&self, now_us: TimeUs, name: NameId) -> Option<Result<NodeId, DnsFailure>> {
        let c = self.cache.get(&name).filter(|c| c.expires_us > now_us)?;
        Some(c.result.and_then(|a| a.first().ok_or(DnsFailure::NoData)))
    }

    /// The address to send to for `name`: from the cache, or after a query.
    pub fn resolve<M: From<DnsMsg>>(&mut self, ctx: &mut Ctx<'_, M>, name: NameId) -> Resolution {
        self.stats.lookups += 1;
        if let Some(result) = self.cached(ctx.now_us, name) {
            self.stats.cache_hits += 1;
            return result.map_or_else(Resolution::Failed, Resolution::Address);
        }
        if self.pending.insert(name) {
            self.stats.queries += 1;
            ctx.send(self.resolver, M::from(DnsMsg::Query { name, region: self.config.region }));
            ctx.set_timer(timer_key(CLIENT_TIMER, name), self.config.query_timeout_us);
        }
        Resolution::Pending
    }

    pub fn on_message<M: From<DnsMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _from: NodeId, msg: DnsMsg) {
        let (name, result, ttl_s) = match msg {
            DnsMsg::Query { .. } => return,
            DnsMsg::Answer { name, addresses, ttl_s } if addresses.first().is_some() => (name, Ok(addresses), ttl_s),
            DnsMsg::Answer { name, ttl_s, .. } => (name, Err(DnsFailure::NoData), ttl_s),
            DnsMsg::Negative { name, kind: NegativeKind::NxDomain, ttl_s } => (name, Err(DnsFailure::NxDomain), ttl_s),
            DnsMsg::Negative { name, kind: NegativeKind::NoData, ttl_s } => (name, Err(DnsFailure::NoData), ttl_s),
            DnsMsg::ServFail { name } => {
                self.settle(ctx, name, Err(DnsFailure::ServFail), None);
                return;
            }
        };
        self.settle(ctx, name, result, Some(ttl_s));
    }

    /// Cache a result: for the record's TTL if configured so, else the JVM's
    /// fixed times (every unsuccessful lookup counts as negative).
    fn settle<M: From<DnsMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        name: NameId,
        result: Result<Addresses, DnsFailure>,
        ttl_s: Option<u32>,
    ) {
        if !self.pending.remove(&name) {
            return;
        }
        ctx.cancel_timer(timer_key(CLIENT_TIMER, name));
        let own_ttl_us = if result.is_ok() { self.config.positive_ttl_us } else { self.config.negative_ttl_us };
        // A TTL-honouring stub keeps an answer exactly as long as it says (0:
        // not at all); the JVM uses its own fixed times whatever it says.
        let ttl_us = match ttl_s {
            Some(s) if self.config.honour_record_ttl => u64::from(s) * SEC,
            _ => own_ttl_us,
        };
        if result.is_err() {
            self.stats.failures += 1;
        }
        self.cache.insert(name, CachedName { result, expires_us: ctx.now_us + ttl_us });
    }

    pub fn on_timer<M: From<DnsMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if let Some(name) = name_of(key, CLIENT_TIMER) {
            self.settle(ctx, name, Err(DnsFailure::TimedOut), None);
        }
    }

    /// The resolver's host is down: the lookup fails at once.
    pub fn on_refused<M: From<DnsMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _to: NodeId, msg: DnsMsg) {
        if let DnsMsg::Query { name, .. } = msg {
            self.settle(ctx, name, Err(DnsFailure::ServFail), None);
        }
    }
}
