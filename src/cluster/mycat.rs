//! MyCat: the sharding proxy in front of the MySQL groups, with read/write splitting and
//! write-host switching.
//!
//! Owns the routing of each query (a query with the shard key goes to one shard, one without
//! goes to every shard and the answers are merged), read/write splitting (`balance`; a read
//! host is used only while its last heartbeat said it lags less than `slaveThreshold`), the
//! heartbeat of every data host (`SHOW REPLICA STATUS` every 10 s, 30 s timeout) and the write
//! host switch after `maxRetryCount` failed heartbeats (`switchType` −1 never, 1 automatic, 2
//! only to a replica reporting `Seconds_Behind_Source` 0), plus a bounded ring of routing
//! records for the inspector. The rules live in `rule`, the heartbeat and switch in
//! `heartbeat`. Never fences anything: a partitioned old write host still takes writes from
//! whoever reaches it, and MyCat's view of lag is only as fresh as its last heartbeat.

pub mod heartbeat;
pub mod rule;
mod wire;

pub use heartbeat::{HeartbeatStatus, HostHealth, SwitchRecord};
pub use rule::{KeyRange, MurmurRing, ShardRule};
pub use wire::{Balance, MycatConfig, MycatMsg, QueryFailure, QueryResult, Sql, SwitchType};

use super::replication::{MysqlError, MysqlMsg, Row};
use super::timer_tag;
use crate::sim::{Ctx, NodeId, TimeUs, TimerKey};
use std::collections::{BTreeMap, VecDeque};

const HEARTBEAT_TICK: u64 = 0;
const QUERY_TIMEOUT: u64 = 1 << 32;

fn timer(local: u64) -> TimerKey {
    timer_tag::key(timer_tag::MYCAT, local)
}

/// One shard's group of MySQL servers (`dataHost`): which one takes writes, and how each looks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataHost {
    pub hosts: Vec<NodeId>,
    /// Index of the current write host (MyCat keeps it in `dnindex.properties`: durable).
    pub active: usize,
    pub switches: u32,
    pub health: Vec<HostHealth>,
}

impl DataHost {
    pub fn write_host(&self) -> NodeId {
        self.hosts[self.active]
    }
    /// The failover generation: 1 before any switch.
    pub fn epoch(&self) -> u32 {
        1 + self.switches
    }
}

/// How a query used a host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HostUse {
    WriteHost,
    ReadHost,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteTarget {
    pub shard: u16,
    pub host: NodeId,
    pub used_as: HostUse,
}

/// What the inspector shows for one query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRecord {
    pub query: u32,
    pub client: NodeId,
    pub at_us: TimeUs,
    pub had_key: bool,
    /// The shard key it carried (a product's id, an order row's key).
    pub key: Option<u32>,
    pub targets: Vec<RouteTarget>,
    pub failure: Option<QueryFailure>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    Query { query: u32 },
    Heartbeat { shard: u16, host: u16 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    client: NodeId,
    client_id: u32,
    remaining: u32,
    result: QueryResult,
    failure: Option<QueryFailure>,
}

/// The MyCat proxy node.
///
/// Durable: each data host's `active` index and `switches` (dnindex.properties), and the
/// `switch_log`. Volatile (lost by `on_crash`): heartbeat health, queries in progress, the
/// routing records and the counters of this boot.
#[derive(Clone, Debug)]
pub struct Mycat {
    pub config: MycatConfig,
    /// One per shard: shard `i` is `dn{i+1}`.
    pub data_hosts: Vec<DataHost>,
    pub switch_log: Vec<SwitchRecord>,
    pub routes: VecDeque<RouteRecord>,
    pub queries_ok: u64,
    pub queries_failed: u64,
    /// Queries without the shard key, sent to every shard and merged.
    pub scatter_gathers: u64,
    queries: BTreeMap<u32, Pending>,
    calls: BTreeMap<u32, Call>,
    next_id: u32,
}

impl Mycat {
    /// `groups[i]` are shard `i`'s servers, its first write host first.
    pub fn new(config: MycatConfig, groups: Vec<Vec<NodeId>>) -> Self {
        let data_hosts = groups
            .into_iter()
            .map(|hosts| {
                let health = vec![HostHealth::default(); hosts.len()];
                DataHost { hosts, active: 0, switches: 0, health }
            })
            .collect();
        Self {
            config,
            data_hosts,
            switch_log: Vec::new(),
            routes: VecDeque::new(),
            queries_ok: 0,
            queries_failed: 0,
            scatter_gathers: 0,
            queries: BTreeMap::new(),
            calls: BTreeMap::new(),
            next_id: 0,
        }
    }

    pub fn on_start<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        // The heartbeat runs at a fixed rate from boot, first beat at once.
        ctx.set_timer(timer(HEARTBEAT_TICK), 0);
    }

    pub fn on_crash(&mut self) {
        for dh in &mut self.data_hosts {
            dh.health.iter_mut().for_each(|h| *h = HostHealth::default());
        }
        self.routes.clear();
        self.queries.clear();
        self.calls.clear();
        self.queries_ok = 0;
        self.queries_failed = 0;
    }

    fn fresh_id(&mut self) -> u32 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    /// A client's query.
    pub fn on_client<M: From<MycatMsg> + From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: MycatMsg) {
        let MycatMsg::Query { id, sql } = msg else { return };
        let query = self.fresh_id();
        let mut record = RouteRecord {
            query: id,
            client: from,
            at_us: ctx.now_us,
            had_key: sql.shard_key().is_some(),
            key: sql.shard_key(),
            targets: Vec::new(),
            failure: None,
        };
        let shards: Vec<u16> = match sql.shard_key() {
            None => {
                self.scatter_gathers += 1;
                (0..self.data_hosts.len() as u16).collect()
            }
            Some(key) => match self.config.rule.shard_of(key).filter(|&s| usize::from(s) < self.data_hosts.len()) {
                Some(shard) => vec![shard],
                None => {
                    record.failure = Some(QueryFailure::NoShardForKey);
                    self.push_route(record);
                    self.queries_failed += 1;
                    ctx.send(from, MycatMsg::Failed { id, reason: QueryFailure::NoShardForKey }.into());
                    return;
                }
            },
        };
        for &shard in &shards {
            let (host, used_as) = match sql {
                Sql::Update { .. } => (self.data_hosts[usize::from(shard)].write_host(), HostUse::WriteHost),
                _ => self.choose_read_host(ctx, usize::from(shard)),
            };
            let req = self.fresh_id();
            self.calls.insert(req, Call::Query { query });
            let backend = match sql {
                Sql::Select { key } => MysqlMsg::Read { req, key },
                Sql::Update { key, value } => MysqlMsg::Write { req, key, value },
                Sql::CountAll => MysqlMsg::Count { req },
            };
            ctx.send(host, backend.into());
            record.targets.push(RouteTarget { shard, host, used_as });
        }
        let pending = Pending {
            client: from,
            client_id: id,
            remaining: shards.len() as u32,
            result: QueryResult::default(),
            failure: None,
        };
        self.queries.insert(query, pending);
        ctx.set_timer(timer(QUERY_TIMEOUT | u64::from(query)), self.config.sql_timeout_us);
        self.push_route(record);
    }

    /// Read/write splitting: a read host only while its last heartbeat was healthy and said it
    /// lags less than `slaveThreshold`; otherwise the write host.
    fn choose_read_host<M>(&self, ctx: &mut Ctx<'_, M>, shard: usize) -> (NodeId, HostUse) {
        let dh = &self.data_hosts[shard];
        let writer = (dh.write_host(), HostUse::WriteHost);
        let threshold = self.config.slave_threshold_s;
        let mut candidates: Vec<(NodeId, HostUse)> = (0..dh.hosts.len())
            .filter(|&i| i != dh.active && dh.health[i].is_readable(threshold))
            .map(|i| (dh.hosts[i], HostUse::ReadHost))
            .collect();
        match self.config.balance {
            Balance::None => return writer,
            Balance::ReadHosts => {}
            Balance::AllHosts => candidates.push(writer),
        }
        ctx.rng.pick(&candidates).copied().unwrap_or(writer)
    }

    fn push_route(&mut self, record: RouteRecord) {
        if self.routes.len() >= self.config.route_log_len {
            self.routes.pop_front();
        }
        self.routes.push_back(record);
    }

    /// An answer from a MySQL server.
    pub fn on_backend<M: From<MycatMsg> + From<MysqlMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        _from: NodeId,
        msg: MysqlMsg,
    ) {
        let (req, outcome) = match msg {
            MysqlMsg::WriteOk { req, .. } => (req, Ok(QueryResult { row: Row::default(), rows: 1 })),
            MysqlMsg::ReadOk { req, row, .. } => (req, Ok(QueryResult { row, rows: 1 })),
            MysqlMsg::CountOk { req, rows } => (req, Ok(QueryResult { row: Row::default(), rows })),
            MysqlMsg::Failed { req, error: MysqlError::ReadOnly } => (req, Err(QueryFailure::ReadOnly)),
            MysqlMsg::StatusOk { req, status } => {
                if let Some(Call::Heartbeat { shard, host }) = self.calls.remove(&req) {
                    self.on_heartbeat_ok(ctx, usize::from(shard), usize::from(host), status);
                }
                return;
            }
            _ => return,
        };
        if let Some(Call::Query { query }) = self.calls.remove(&req) {
            self.on_part(ctx, query, outcome);
        }
    }

    /// A backend's host refused the connection.
    pub fn on_refused<M: From<MycatMsg> + From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _to: NodeId, msg: MysqlMsg) {
        let req = match msg {
            MysqlMsg::Write { req, .. }
            | MysqlMsg::Read { req, .. }
            | MysqlMsg::Count { req }
            | MysqlMsg::Status { req } => req,
            _ => return,
        };
        match self.calls.remove(&req) {
            Some(Call::Query { query }) => self.on_part(ctx, query, Err(QueryFailure::BackendRefused)),
            Some(Call::Heartbeat { shard, host }) => {
                self.on_heartbeat_failure(ctx, usize::from(shard), usize::from(host), HeartbeatStatus::Error)
            }
            None => {}
        }
    }

    pub fn on_timer<M: From<MycatMsg> + From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        let local = timer_tag::local_of(key);
        if local == HEARTBEAT_TICK {
            self.on_heartbeat_tick(ctx);
        } else if local & QUERY_TIMEOUT != 0 {
            let query = local as u32;
            self.calls.retain(|_, call| *call != Call::Query { query });
            if let Some(pending) = self.queries.remove(&query) {
                self.finish(ctx, query, Pending { failure: Some(QueryFailure::BackendTimeout), ..pending });
            }
        }
    }

    /// One shard's part of a query came back: merge it, and answer when all parts are in.
    fn on_part<M: From<MycatMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        query: u32,
        outcome: Result<QueryResult, QueryFailure>,
    ) {
        let Some(pending) = self.queries.get_mut(&query) else { return };
        pending.remaining = pending.remaining.saturating_sub(1);
        match outcome {
            Ok(part) => {
                pending.result.rows += part.rows;
                pending.result.row = part.row;
            }
            Err(reason) => {
                pending.failure.get_or_insert(reason);
            }
        }
        if pending.remaining == 0 {
            let done = *pending;
            self.queries.remove(&query);
            ctx.cancel_timer(timer(QUERY_TIMEOUT | u64::from(query)));
            self.finish(ctx, query, done);
        }
    }

    fn finish<M: From<MycatMsg>>(&mut self, ctx: &mut Ctx<'_, M>, _query: u32, done: Pending) {
        let id = done.client_id;
        let reply = match done.failure {
            Some(reason) => {
                self.queries_failed += 1;
                MycatMsg::Failed { id, reason }
            }
            None => {
                self.queries_ok += 1;
                MycatMsg::Done { id, result: done.result }
            }
        };
        ctx.send(done.client, reply.into());
    }
}
