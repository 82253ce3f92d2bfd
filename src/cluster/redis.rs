//! Redis: the session store and rate-limit counters, with persistence, replication and Sentinel.
//!
//! Owns one Redis server (`RedisServer`): keys with values and TTLs (sessions live 1800 s, Spring
//! Session's default), the commands the shop uses, and what survives a crash: only what was
//! persisted, by RDB snapshots (`save 3600 1 / 300 100 / 60 10000`) and/or the AOF (`appendfsync
//! everysec` loses up to about a second). Replication to replicas is asynchronous, so a promoted
//! replica lacks what the master acknowledged but had not sent, and an old master that rejoins
//! as a replica throws away what it took meanwhile; `min-replicas-to-write` bounds that loss by
//! refusing writes when no replica acked within `min-replicas-max-lag`. Persistence lives in
//! `persistence`, replication in `replica`, the lineage of datasets and the no-acked-write-lost
//! check in `lineage`, the Sentinel failover in `sentinel`. Never decides
//! its own role: a sentinel (or a test) sends `REPLICAOF`.

mod lineage;
mod persistence;
mod replica;
pub mod sentinel;
mod wire;

pub use lineage::{History, check_no_acked_write_lost};
pub use replica::ReplicaState;
pub use sentinel::{Sentinel, SentinelConfig};
pub use wire::{
    AppendFsync, RedisConfig, RedisError, RedisMsg, RedisReply, RedisRole, SESSION_TTL_MS, SaveRule, WriteOp,
};

use super::timer_tag;
use crate::sim::{Ctx, MS, NodeId, TimeUs, TimerKey};
use std::collections::{BTreeMap, VecDeque};

const CRON: u64 = 0;
const REPLICA_ACK: u64 = 1;

fn timer(local: u64) -> TimerKey {
    timer_tag::key(timer_tag::REDIS, local)
}

/// A value and when it expires (`expire_at_us` 0: never).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    pub value: i64,
    pub expire_at_us: TimeUs,
}

impl Entry {
    pub fn is_live(&self, now_us: TimeUs) -> bool {
        self.expire_at_us == 0 || now_us < self.expire_at_us
    }
}

/// A dataset as a file holds it: the keys, the replication history and offset it is at (the
/// RDB's `repl-id` / `repl-offset` aux fields), and how many client writes it includes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    pub data: BTreeMap<u32, Entry>,
    pub replid: u32,
    pub offset: u32,
    pub client_writes: u64,
    pub taken_at_us: TimeUs,
}

/// One Redis server.
///
/// Durable (disk): `role` (CONFIG REWRITE after REPLICAOF), `rdb` (the last completed
/// snapshot), `aof` (what replaying the AOF gives: the state at the last fsync), replication ids.
/// History (never lost, the model's bookkeeping, not Redis's): `histories` (each replication id
/// this server started, and where it forked from), `acked` (the last client write acknowledged
/// in each history), `writes_lost_in_crashes`, `rdb_saves`, `refused_writes`. Volatile
/// (memory): the dataset (with its offset) and everything else. A crash is taken as
/// the host going down (power, kernel panic): what was written to the AOF but not fsynced is
/// lost with the page cache, the case Redis's "everysec loses up to a second" describes.
#[derive(Clone, Debug)]
pub struct RedisServer {
    pub config: RedisConfig,
    pub role: RedisRole,
    pub rdb: Option<Snapshot>,
    pub aof: Snapshot,
    /// The replication history this dataset belongs to, and the one before a promotion.
    pub replid: u32,
    replid2: u32,
    second_offset: u32,
    boots: u32,
    /// Every history this server started (at a master's start or a promotion).
    pub histories: Vec<History>,
    /// Per history, the offset of the last client write this server acknowledged in it.
    pub acked: Vec<(u32, u32)>,
    /// Client writes this server acknowledged and its crashes took from memory before they
    /// were persisted (a replica may still hold them: `check_no_acked_write_lost` decides).
    pub writes_lost_in_crashes: u64,
    pub rdb_saves: u64,
    /// Writes refused with `-NOREPLICAS`.
    pub refused_writes: u64,
    pub data: BTreeMap<u32, Entry>,
    /// Commands in the replication stream so far (`master_repl_offset`, counted in commands).
    pub offset: u32,
    /// Client writes this dataset includes.
    pub client_writes: u64,
    /// Writes since the last successful save.
    pub dirty: u64,
    lastsave_us: TimeUs,
    /// A BGSAVE in progress: the dataset at fork time, when it completes, `dirty` at fork.
    bgsave: Option<Box<(Snapshot, TimeUs, u64)>>,
    aof_pending: Vec<(WriteOp, bool)>,
    last_fsync_us: TimeUs,
    /// Master side: connected replicas.
    pub replicas: BTreeMap<NodeId, ReplicaState>,
    backlog: VecDeque<(u32, WriteOp)>,
    /// Replica side: `master_link_status:up`.
    pub link_up: bool,
    last_master_io_us: TimeUs,
    early: BTreeMap<u32, WriteOp>,
    sync: Option<Box<replica::SyncProgress>>,
}

impl RedisServer {
    pub fn new(config: RedisConfig, role: RedisRole) -> Self {
        Self {
            config,
            role,
            rdb: None,
            aof: Snapshot::default(),
            replid: 0,
            replid2: 0,
            second_offset: 0,
            boots: 0,
            histories: Vec::new(),
            acked: Vec::new(),
            writes_lost_in_crashes: 0,
            rdb_saves: 0,
            refused_writes: 0,
            data: BTreeMap::new(),
            offset: 0,
            client_writes: 0,
            dirty: 0,
            lastsave_us: 0,
            bgsave: None,
            aof_pending: Vec::new(),
            last_fsync_us: 0,
            replicas: BTreeMap::new(),
            backlog: VecDeque::new(),
            link_up: false,
            last_master_io_us: 0,
            early: BTreeMap::new(),
            sync: None,
        }
    }

    pub fn master(config: RedisConfig) -> Self {
        Self::new(config, RedisRole::Master)
    }

    pub fn replica_of(config: RedisConfig, master: NodeId) -> Self {
        Self::new(config, RedisRole::Replica { master })
    }

    pub fn is_master(&self) -> bool {
        self.role == RedisRole::Master
    }

    /// The live value of `key` at `now_us`, if any.
    pub fn value(&self, key: u32, now_us: TimeUs) -> Option<i64> {
        self.data.get(&key).filter(|e| e.is_live(now_us)).map(|e| e.value)
    }

    /// Start a new history (a master's boot or a promotion) from the dataset held now.
    fn fresh_replid(&mut self, me: NodeId) -> u32 {
        self.boots += 1;
        let replid = (u32::from(me.0) << 16) | (self.boots & 0xffff);
        self.histories.push(History { replid, parent: self.replid, fork_offset: self.offset });
        replid
    }

    /// The process starts: it loads its files (a replica keeps their replication id and offset,
    /// so it may continue partially, as Redis ≥ 4 does); a master starts a new history after
    /// them, so its replicas, asking for the old one, get a full resync.
    pub fn on_start<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.load(ctx.now_us);
        if self.is_master() {
            self.replid = self.fresh_replid(ctx.me);
            self.replid2 = 0;
        }
        ctx.set_timer(timer(CRON), self.config.cron_us);
        if let RedisRole::Replica { master } = self.role {
            self.last_master_io_us = ctx.now_us;
            self.psync(ctx, master);
            ctx.set_timer(timer(REPLICA_ACK), self.config.replica_ack_us);
        }
    }

    pub fn on_crash(&mut self) {
        self.writes_lost_in_crashes += self.unpersisted_writes();
        self.data.clear();
        self.offset = 0;
        self.bgsave = None;
        self.aof_pending.clear();
        self.replicas.clear();
        self.backlog.clear();
        self.link_up = false;
        self.early.clear();
        self.sync = None;
    }

    pub fn on_timer<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        match timer_tag::local_of(key) {
            CRON => self.cron(ctx),
            REPLICA_ACK => self.on_replica_ack_timer(ctx),
            _ => {}
        }
    }

    pub fn on_message<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: RedisMsg) {
        let now = ctx.now_us;
        let reply = match msg {
            RedisMsg::Get { req, key } => Some((req, self.get(ctx, key))),
            RedisMsg::Set { req, key, value, ttl_ms } => {
                let expire_at_us = expiry(now, ttl_ms);
                Some((req, self.client_write(ctx, WriteOp::Set { key, value, expire_at_us }, RedisReply::Ok)))
            }
            RedisMsg::Del { req, key } => Some((req, self.del(ctx, key))),
            RedisMsg::Expire { req, key, ttl_ms } => Some((req, self.expire(ctx, key, ttl_ms))),
            RedisMsg::Incr { req, key, ttl_ms } => Some((req, self.incr(ctx, key, ttl_ms))),
            RedisMsg::Ping => {
                let info = RedisMsg::Info { role: self.role, offset: self.offset, link_up: self.link_up };
                ctx.send_after(self.config.command_us, from, info.into());
                None
            }
            RedisMsg::ReplicaOf { master } => {
                self.replica_of_command(ctx, master);
                None
            }
            other => {
                self.on_replication(ctx, from, other);
                None
            }
        };
        if let Some((req, reply)) = reply {
            ctx.send_after(self.config.command_us, from, RedisMsg::Reply { req, reply }.into());
        }
    }

    /// A peer's host refused a connection: a replica (or master) process is down.
    pub fn on_refused<M: From<RedisMsg>>(&mut self, _ctx: &mut Ctx<'_, M>, to: NodeId, msg: RedisMsg) {
        match msg {
            RedisMsg::Repl { .. } | RedisMsg::SyncKey { .. } | RedisMsg::FullSync { .. } | RedisMsg::LinkReset => {
                self.replicas.remove(&to);
            }
            RedisMsg::Psync { .. } | RedisMsg::ReplAck { .. } => self.link_up = false,
            _ => {}
        }
    }

    // ---- commands ------------------------------------------------------------

    fn get<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: u32) -> RedisReply {
        match self.data.get(&key) {
            Some(e) if e.is_live(ctx.now_us) => RedisReply::Int(e.value),
            Some(_) => {
                // Lazy expiry: only a master deletes (and tells its replicas).
                if self.is_master() {
                    self.write(ctx, WriteOp::Del { key }, false);
                }
                RedisReply::Nil
            }
            None => RedisReply::Nil,
        }
    }

    fn del<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: u32) -> RedisReply {
        if self.is_master() && self.value(key, ctx.now_us).is_none() {
            return RedisReply::Int(0); // nothing to delete, nothing to propagate
        }
        self.client_write(ctx, WriteOp::Del { key }, RedisReply::Int(1))
    }

    fn expire<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: u32, ttl_ms: u32) -> RedisReply {
        let Some(value) = self.value(key, ctx.now_us) else { return RedisReply::Int(0) };
        let op = WriteOp::Set { key, value, expire_at_us: expiry(ctx.now_us, ttl_ms) };
        self.client_write(ctx, op, RedisReply::Int(1))
    }

    fn incr<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: u32, ttl_ms: u32) -> RedisReply {
        let live = self.data.get(&key).copied().filter(|e| e.is_live(ctx.now_us));
        let (value, expire_at_us) = match live {
            Some(e) => (e.value + 1, e.expire_at_us),
            None => (1, expiry(ctx.now_us, ttl_ms)),
        };
        self.client_write(ctx, WriteOp::Set { key, value, expire_at_us }, RedisReply::Int(value))
    }

    /// A client's write: refused on a replica, and on a master without enough good replicas.
    fn client_write<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, op: WriteOp, ok: RedisReply) -> RedisReply {
        if !self.is_master() {
            return RedisReply::Error(RedisError::ReadOnly);
        }
        let needed = self.config.min_replicas_to_write;
        if needed > 0 && self.good_replicas(ctx.now_us) < needed {
            self.refused_writes += 1;
            return RedisReply::Error(RedisError::NoReplicas);
        }
        self.write(ctx, op, true);
        match self.acked.last_mut() {
            Some((replid, offset)) if *replid == self.replid => *offset = self.offset,
            _ => self.acked.push((self.replid, self.offset)),
        }
        ok
    }

    /// Apply a write, count it, log it to the AOF and send it down the replication stream.
    fn write<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, op: WriteOp, from_client: bool) {
        apply(&mut self.data, op);
        self.offset += 1;
        self.dirty += 1;
        if from_client {
            self.client_writes += 1;
        }
        if self.config.appendonly {
            self.aof_pending.push((op, from_client));
            if self.config.appendfsync == AppendFsync::Always {
                self.fsync_aof(ctx.now_us);
            }
        }
        self.propagate(ctx, op);
    }
}

fn expiry(now_us: TimeUs, ttl_ms: u32) -> TimeUs {
    if ttl_ms == 0 { 0 } else { now_us + u64::from(ttl_ms) * MS }
}

/// Apply one write to a dataset.
pub fn apply(data: &mut BTreeMap<u32, Entry>, op: WriteOp) {
    match op {
        WriteOp::Set { key, value, expire_at_us } => {
            data.insert(key, Entry { value, expire_at_us });
        }
        WriteOp::Del { key } => {
            data.remove(&key);
        }
    }
}
