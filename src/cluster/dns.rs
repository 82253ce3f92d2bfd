//! DNS load balancing: an authoritative server, caching resolvers and clients.
//!
//! Owns the shop's zone (several A records per name, each with the region of
//! its entry point), the order of answers (regional records first for the
//! asking resolver's region, each group rotated round-robin per answer), the
//! TTL on answers (60 s) and on negative answers (RFC 2308), resolvers that
//! cache answers for their TTL (clamped as BIND does) and hand them to many
//! clients, and clients that keep their own cache (the JVM's: 30 s positive,
//! 10 s negative, whatever the TTL) and use the first address. Never checks
//! health: a dead address stays in answers until an operator removes it, and
//! even then keeps receiving traffic until the resolver's copy and then the
//! client's copy expire. Never carries application traffic itself.

use super::timer_tag::{self, DNS};
use crate::sim::{Ctx, MINUTE_US, Message, NodeId, SEC, TimeUs, TimerKey};
use std::collections::BTreeMap;

/// A DNS name of the shop (e.g. www.shop.example) by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NameId(pub u16);

/// A geographic region (e.g. South China = 0, North China = 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Region(pub u8);

/// An A record: the address of a regional entry point (its VIP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ARecord {
    pub ip: NodeId,
    pub region: Region,
}

/// At most this many addresses travel in one answer.
pub const MAX_ANSWER: usize = 4;

/// The addresses of an answer, in the order given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Addresses {
    ips: [NodeId; MAX_ANSWER],
    count: u8,
}

impl Addresses {
    /// The first `MAX_ANSWER` of `ips`.
    pub fn from_slice(ips: &[NodeId]) -> Self {
        let mut out = Self { ips: [NodeId(0); MAX_ANSWER], count: 0 };
        for (slot, &ip) in out.ips.iter_mut().zip(ips) {
            *slot = ip;
            out.count += 1;
        }
        out
    }

    pub fn as_slice(&self) -> &[NodeId] {
        &self.ips[..usize::from(self.count)]
    }

    pub fn first(&self) -> Option<NodeId> {
        self.as_slice().first().copied()
    }
}

/// RFC 2308: the name does not exist, or it exists without A records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NegativeKind {
    NxDomain,
    NoData,
}

/// Why a name could not be resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DnsFailure {
    NxDomain,
    NoData,
    /// The resolver could not get an answer (authoritative down or silent).
    ServFail,
    /// The resolver did not answer this client in time.
    TimedOut,
}

/// Queries and answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DnsMsg {
    /// `region`: where the asker is, as GeoDNS infers from its address.
    Query {
        name: NameId,
        region: Region,
    },
    Answer {
        name: NameId,
        addresses: Addresses,
        ttl_s: u32,
    },
    Negative {
        name: NameId,
        kind: NegativeKind,
        ttl_s: u32,
    },
    ServFail {
        name: NameId,
    },
}

impl Message for DnsMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Query { .. } => "dns-query",
            Self::Answer { .. } => "dns-answer",
            Self::Negative { kind: NegativeKind::NxDomain, .. } => "nxdomain",
            Self::Negative { kind: NegativeKind::NoData, .. } => "nodata",
            Self::ServFail { .. } => "servfail",
        }
    }
}

fn secs_of(t_us: TimeUs) -> u32 {
    (t_us / SEC).min(u64::from(u32::MAX)) as u32
}

/// Timer keys: resolvers and clients may share a node, so each has its own.
const RESOLVER_TIMER: u64 = 0;
pub(crate) const CLIENT_TIMER: u64 = 1 << 16;

pub(crate) fn timer_key(role: u64, name: NameId) -> TimerKey {
    timer_tag::key(DNS, role | u64::from(name.0))
}

pub(crate) fn name_of(key: TimerKey, role: u64) -> Option<NameId> {
    let local = timer_tag::local_of(key);
    (timer_tag::tag_of(key) == DNS && local & CLIENT_TIMER == role).then_some(NameId(local as u16))
}

/// Authoritative server settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthoritativeConfig {
    /// TTL of the A records: 60 s (practice: 60–300 s).
    pub ttl_us: TimeUs,
    /// Negative TTL, the SOA MINIMUM (RFC 2308 §5): 300 s here, a common
    /// modern value (the RFC once suggested one to three hours).
    pub negative_ttl_us: TimeUs,
    /// Rotate the records of each answer (BIND's `rrset-order cyclic`).
    pub rotate: bool,
    /// Put the asker's region's records first (GeoDNS).
    pub regional: bool,
}

impl Default for AuthoritativeConfig {
    fn default() -> Self {
        Self { ttl_us: MINUTE_US, negative_ttl_us: 5 * MINUTE_US, rotate: true, regional: true }
    }
}

/// The shop's authoritative name server. Durable: the zone (a zone file).
/// Volatile: the rotation counters.
#[derive(Clone, Debug, Default)]
pub struct Authoritative {
    pub config: AuthoritativeConfig,
    pub zone: BTreeMap<NameId, Vec<ARecord>>,
    rotation: BTreeMap<NameId, usize>,
    pub queries: u64,
}

impl Authoritative {
    pub fn new(config: AuthoritativeConfig) -> Self {
        Self { config, ..Self::default() }
    }

    /// The operator adds an address (no-op if already there).
    pub fn add_record(&mut self, name: NameId, record: ARecord) {
        let records = self.zone.entry(name).or_default();
        if !records.iter().any(|r| r.ip == record.ip) {
            records.push(record);
        }
    }

    /// The operator removes an address; nothing else ever does. The name
    /// stays (answering NODATA if it was the last record).
    pub fn remove_record(&mut self, name: NameId, ip: NodeId) -> bool {
        let Some(records) = self.zone.get_mut(&name) else { return false };
        let before = records.len();
        records.retain(|r| r.ip != ip);
        records.len() != before
    }

    pub fn on_crash(&mut self) {
        self.rotation.clear();
    }

    /// The answer to one query; advances the name's rotation.
    pub fn answer(&mut self, name: NameId, region: Region) -> DnsMsg {
        let negative_ttl_s = secs_of(self.config.negative_ttl_us);
        let Some(records) = self.zone.get(&name) else {
            return DnsMsg::Negative { name, kind: NegativeKind::NxDomain, ttl_s: negative_ttl_s };
        };
        if records.is_empty() {
            return DnsMsg::Negative { name, kind: NegativeKind::NoData, ttl_s: negative_ttl_s };
        }
        let turn = self.rotation.entry(name).or_default();
        let offset = if self.config.rotate { *turn } else { 0 };
        *turn = turn.wrapping_add(1);
        let in_region = |r: &&ARecord| !self.config.regional || r.region == region;
        let mut ordered = rotated(records.iter().filter(in_region), offset);
        if self.config.regional {
            ordered.extend(rotated(records.iter().filter(|r| r.region != region), offset));
        }
        DnsMsg::Answer { name, addresses: Addresses::from_slice(&ordered), ttl_s: secs_of(self.config.ttl_us) }
    }

    pub fn on_message<M: From<DnsMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: DnsMsg) {
        if let DnsMsg::Query { name, region } = msg {
            self.queries += 1;
            let reply = self.answer(name, region);
            ctx.send(from, M::from(reply));
        }
    }
}

/// The records' addresses, starting `offset` places in (cyclically).
fn rotated<'a>(records: impl Iterator<Item = &'a ARecord>, offset: usize) -> Vec<NodeId> {
    let mut ips: Vec<NodeId> = records.map(|r| r.ip).collect();
    if !ips.is_empty() {
        let n = offset % ips.len();
        ips.rotate_left(n);
    }
    ips
}

/// A resolver's (or client's) cached result for one name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachedName {
    pub result: Result<Addresses, DnsFailure>,
    pub expires_us: TimeUs,
}

/// Recursive resolver settings; the defaults are BIND 9's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolverConfig {
    /// Where its clients are; GeoDNS sees the resolver's address, not theirs
    /// (no EDNS Client Subnet).
    pub region: Region,
    /// `max-cache-ttl` 604800 s (7 days).
    pub max_cache_ttl_us: TimeUs,
    /// `max-ncache-ttl` 10800 s (3 h).
    pub max_ncache_ttl_us: TimeUs,
    /// `min-cache-ttl` 0: honour short TTLs (some ISPs raise them).
    pub min_cache_ttl_us: TimeUs,
    /// `resolver-query-timeout` 10 s, then SERVFAIL.
    pub query_timeout_us: TimeUs,
}

impl Default for ResolverConfig {
    fn default() -> Self {
        Self {
            region: Region(0),
            max_cache_ttl_us: 7 * 24 * 60 * MINUTE_US,
            max_ncache_ttl_us: 3 * 60 * MINUTE_US,
            min_cache_ttl_us: 0,
            query_timeout_us: 10 * SEC,
        }
    }
}

/// What a resolver has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResolverStats {
    pub queries: u64,
    pub cache_hits: u64,
    pub upstream_queries: u64,
    pub servfails: u64,
}

/// An ISP's caching resolver. Volatile: cache and waiting clients.
#[derive(Clone, Debug)]
pub struct Resolver {
    pub config: ResolverConfig,
    pub authoritative: NodeId,
    pub cache: BTreeMap<NameId, CachedName>,
    waiting: BTreeMap<NameId, Vec<NodeId>>,
    pub stats: ResolverStats,
}

impl Resolver {
    pub fn new(config: ResolverConfig, authoritative: NodeId) -> Self {
        let (cache, waiting) = (BTreeMap::new(), BTreeMap::new());
        Self { config, authoritative, cache, waiting, stats: ResolverStats::default() }
    }

    pub fn on_crash(&mut self) {
        self.cache.clear();
        self.waiting.clear();
    }

    /// The cached result for `name`, with the TTL left in whole seconds.
    pub fn cached(&self, now_us: TimeUs, name: NameId) -> Option<(Result<Addresses, DnsFailure>, u32)> {
        let c = self.cache.get(&name).filter(|c| c.expires_us > now_us)?;
        Some((c.result, secs_of(c.expires_us - now_us)))
    }

    pub fn on_message<M: From<DnsMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: DnsMsg) {
        match msg {
            DnsMsg::Query { name, .. } => self.on_query(ctx, from, name),
            _ if from != self.authoritative => {}
            DnsMsg::Answer { name, addresses, ttl_s } => {
                let ttl_us = (u64::from(ttl_s) * SEC).clamp(self.config.min_cache_ttl_us, self.config.max_cache_ttl_us);
                self.settle(ctx, name, Ok(addresses), Some(ttl_us));
            }
            DnsMsg::Negative { name, kind, ttl_s } => {
                let ttl_us = (u64::from(ttl_s) * SEC).min(self.config.max_ncache_ttl_us);
                let failure = if kind == NegativeKind::NxDomain { DnsFailure::NxDomain } else { DnsFailure::NoData };
                self.settle(ctx, name, Err(failure), Some(ttl_us));
            }
            DnsMsg::ServFail { name } => self.settle(ctx, name, Err(DnsFailure::ServFail), None),
        }
    }

    fn on_query<M: From<DnsMsg>>(&mut self, ctx: &mut Ctx<'_, M>, client: NodeId, name: NameId) {
        self.stats.queries += 1;
        if let Some((result, ttl_s)) = self.cached(ctx.now_us, name) {
            self.stats.cache_hits += 1;
            ctx.send(client, M::from(reply(name, result, ttl_s)));
            return;
        }
        let waiters = self.waiting.entry(name).or_default();
        waiters.push(client);
        if waiters.len() == 1 {
            self.stats.upstream_queries += 1;
            ctx.send(self.authoritative, M::from(DnsMsg::Query { name, region: self.config.region }));
            ctx.set_timer(timer_key(RESOLVER_TIMER, name), self.config.query_timeout_us);
        }
    }

    /// The authoritative answered (cache it for `ttl_us`) or failed (`None`:
    /// not cached); every waiting client gets the result.
    fn settle<M: From<DnsMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        name: NameId,
        result: Result<Addresses, DnsFailure>,
        ttl_us: Option<TimeUs>,
    ) {
        let Some(waiters) = self.waiting.remove(&name) else { return };
        ctx.cancel_timer(timer_key(RESOLVER_TIMER, name));
        if let Some(ttl_us) = ttl_us {
            self.cache.insert(name, CachedName { result, expires_us: ctx.now_us + ttl_us });
        } else {
            self.stats.servfails += 1;
        }
        let ttl_s = secs_of(ttl_us.unwrap_or(0));
        for client in waiters {
            ctx.send(client, M::from(reply(name, result, ttl_s)));
        }
    }

    pub fn on_timer<M: From<DnsMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if let Some(name) = name_of(key, RESOLVER_TIMER) {
            self.settle(ctx, name, Err(DnsFailure::ServFail), None);
        }
    }

    /// The authoritative's host is down: SERVFAIL at once.
    pub fn on_refused<M: From<DnsMsg>>(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: DnsMsg) {
        if let (DnsMsg::Query { name, .. }, true) = (msg, to == self.authoritative) {
            self.settle(ctx, name, Err(DnsFailure::ServFail), None);
        }
    }
}

/// The message telling a client `result`, valid `ttl_s` more seconds.
fn reply(name: NameId, result: Result<Addresses, DnsFailure>, ttl_s: u32) -> DnsMsg {
    match result {
        Ok(addresses) => DnsMsg::Answer { name, addresses, ttl_s },
        Err(DnsFailure::NxDomain) => DnsMsg::Negative { name, kind: NegativeKind::NxDomain, ttl_s },
        Err(DnsFailure::NoData) => DnsMsg::Negative { name, kind: NegativeKind::NoData, ttl_s },
        Err(_) => DnsMsg::ServFail { name },
    }
}

/// The longest a client can go on using an address after the operator
/// removes it: the resolver's copy (the TTL as the resolver clamps it) plus
/// the client's own copy (none for a client that honours the TTL, whose copy
/// ends with the resolver's). 60 s + 30 s with the defaults.
pub fn failover_bound_us(auth: &AuthoritativeConfig, resolver: &ResolverConfig, client: &DnsClientConfig) -> TimeUs {
    let resolver_us = auth.ttl_us.clamp(resolver.min_cache_ttl_us, resolver.max_cache_ttl_us);
    let client_us = if client.honour_record_ttl { 0 } else { client.positive_ttl_us };
    resolver_us + client_us
}

mod client;
pub use client::{DnsClient, DnsClientConfig, DnsClientStats, Resolution};
