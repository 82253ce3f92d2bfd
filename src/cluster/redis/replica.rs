//! Redis replication: the master's stream and backlog, a replica's sync, and REPLICAOF.
//!
//! Owns both ends of asynchronous replication: a master propagates every write to its replicas
//! and keeps a backlog; a replica asks `PSYNC replid offset` and gets either `+CONTINUE` (the
//! backlog covers it, also across a promotion thanks to the second replication id) or a full
//! resync whose snapshot replaces its whole dataset once it has all arrived (until then it
//! keeps serving the old one) — which is where an old master loses what it took after its
//! replica was promoted, and where a replica of a master that restarted without its last
//! writes loses them too. Replicas ack their offset every second, which is what
//! `min-replicas-max-lag` measures. When the master process dies its connections die with it:
//! the replica's next ack is refused (the master is down) or reset (it is back, as a new
//! process with a new replication id), and the replica reconnects with `PSYNC` of the history
//! it has, so a restarted master answers `+FULLRESYNC`. Never decides who is master:
//! `REPLICAOF` does.

use super::{Entry, REPLICA_ACK, RedisMsg, RedisRole, RedisServer, Snapshot, WriteOp, timer};
use crate::sim::{Ctx, NodeId, TimeUs};
use std::collections::BTreeMap;

/// What a master knows of one replica.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicaState {
    pub ack_offset: u32,
    pub last_ack_us: TimeUs,
}

/// A full resync in progress on a replica: the master's snapshot as it arrives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct SyncProgress {
    replid: u32,
    offset: u32,
    staged: BTreeMap<u32, Entry>,
    expected: Option<u32>,
    received: u32,
}

impl RedisServer {
    /// Replicas whose last ack is at most `min-replicas-max-lag` old.
    pub fn good_replicas(&self, now_us: TimeUs) -> u32 {
        let max_lag = self.config.min_replicas_max_lag_us;
        self.replicas.values().filter(|r| now_us.saturating_sub(r.last_ack_us) <= max_lag).count() as u32
    }

    pub(super) fn propagate<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, op: WriteOp) {
        self.backlog.push_back((self.offset, op));
        if self.backlog.len() > self.config.repl_backlog_ops {
            self.backlog.pop_front();
        }
        for &replica in self.replicas.keys() {
            ctx.send(replica, RedisMsg::Repl { offset: self.offset, op }.into());
        }
    }

    pub(super) fn psync<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, master: NodeId) {
        ctx.send(master, RedisMsg::Psync { replid: self.replid, offset: self.offset }.into());
    }

    fn my_master(&self) -> Option<NodeId> {
        match self.role {
            RedisRole::Replica { master } => Some(master),
            RedisRole::Master => None,
        }
    }

    pub(super) fn on_replication<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: RedisMsg) {
        if let RedisMsg::Psync { replid, offset } = msg {
            return self.on_psync(ctx, from, replid, offset);
        }
        if let RedisMsg::ReplAck { offset } = msg {
            let master = self.is_master();
            match self.replicas.get_mut(&from) {
                Some(r) if master => *r = ReplicaState { ack_offset: offset, last_ack_us: ctx.now_us },
                // No such connection here (this process restarted, or was demoted): reset.
                _ => ctx.send(from, RedisMsg::LinkReset.into()),
            }
            return;
        }
        if self.my_master() != Some(from) {
            return;
        }
        self.last_master_io_us = ctx.now_us;
        match msg {
            RedisMsg::Continue { replid } => {
                self.replid = replid;
                self.link_up = true;
            }
            RedisMsg::FullSync { replid, offset } => self.begin_full_sync(replid, offset),
            RedisMsg::SyncKey { key, value, expire_at_us } => {
                if let Some(sync) = &mut self.sync {
                    sync.staged.insert(key, Entry { value, expire_at_us });
                    sync.received += 1;
                    self.maybe_finish_sync(ctx);
                }
            }
            RedisMsg::LinkReset => self.master_link_lost(ctx, "reset: the master process restarted"),
            RedisMsg::SyncEnd { keys } => {
                if let Some(sync) = &mut self.sync {
                    sync.expected = Some(keys);
                    self.maybe_finish_sync(ctx);
                }
            }
            RedisMsg::Repl { offset, op } => self.on_stream(ctx, offset, op),
            _ => {}
        }
    }

    fn on_psync<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, replid: u32, offset: u32) {
        if !self.is_master() {
            return;
        }
        let covered = offset == self.offset || self.backlog.front().is_some_and(|&(first, _)| first <= offset + 1);
        let ours = replid == self.replid && offset <= self.offset;
        let before_promotion = self.replid2 != 0 && replid == self.replid2 && offset <= self.second_offset;
        if (ours || before_promotion) && covered {
            ctx.send(from, RedisMsg::Continue { replid: self.replid }.into());
            for &(o, op) in self.backlog.iter().filter(|(o, _)| *o > offset) {
                ctx.send(from, RedisMsg::Repl { offset: o, op }.into());
            }
        } else {
            ctx.send(from, RedisMsg::FullSync { replid: self.replid, offset: self.offset }.into());
            let live: Vec<(u32, Entry)> =
                self.data.iter().filter(|(_, e)| e.is_live(ctx.now_us)).map(|(&k, &e)| (k, e)).collect();
            for &(key, e) in &live {
                ctx.send(from, RedisMsg::SyncKey { key, value: e.value, expire_at_us: e.expire_at_us }.into());
            }
            ctx.send(from, RedisMsg::SyncEnd { keys: live.len() as u32 }.into());
        }
        self.replicas.insert(from, ReplicaState { ack_offset: offset, last_ack_us: ctx.now_us });
    }

    /// `+FULLRESYNC`: the snapshot follows; the old dataset stays until it has all arrived.
    fn begin_full_sync(&mut self, replid: u32, offset: u32) {
        self.early.clear();
        self.sync = Some(Box::new(SyncProgress { replid, offset, ..SyncProgress::default() }));
    }

    /// The whole snapshot arrived: it replaces the dataset (flush and load), and what this
    /// server held that the master's history lacks is gone for good.
    fn maybe_finish_sync<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(sync) = self.sync.take_if(|s| s.expected == Some(s.received)) else { return };
        let sync = *sync;
        ctx.log(format!("full resync: dataset at offset {} replaced by the master's at {}", self.offset, sync.offset));
        self.data = sync.staged;
        self.replid = sync.replid;
        self.offset = sync.offset;
        self.link_up = true;
        // The replica saves the received RDB, and rewrites its AOF from it.
        let snapshot = Snapshot {
            data: self.data.clone(),
            replid: self.replid,
            offset: self.offset,
            client_writes: self.client_writes,
            taken_at_us: ctx.now_us,
        };
        self.rdb = Some(snapshot.clone());
        self.aof = snapshot;
        self.aof_pending.clear();
        self.drain_early(ctx);
    }

    /// The connection to the master is gone: reconnect (`PSYNC`) on the next replication tick.
    fn master_link_lost<M>(&mut self, ctx: &mut Ctx<'_, M>, why: &str) {
        if self.link_up || self.sync.is_some() {
            ctx.log(format!("master link lost ({why})"));
        }
        self.link_up = false;
        self.sync = None;
        self.early.clear();
    }

    fn on_stream<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, offset: u32, op: WriteOp) {
        if offset <= self.offset && self.sync.is_none() {
            return;
        }
        self.early.insert(offset, op);
        if self.sync.is_none() {
            self.drain_early(ctx);
        }
    }

    /// Apply buffered stream commands that are next in order (TCP would have ordered them).
    fn drain_early<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.early.retain(|&o, _| o > self.offset);
        while let Some(op) = self.early.remove(&(self.offset + 1)) {
            self.write(ctx, op, false);
        }
    }

    /// Every second: ack the offset, notice a silent master, retry the link.
    pub(super) fn on_replica_ack_timer<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(master) = self.my_master() else { return };
        let silent_us = ctx.now_us.saturating_sub(self.last_master_io_us);
        if silent_us > self.config.repl_timeout_us && (self.link_up || self.sync.is_some()) {
            self.master_link_lost(ctx, "repl-timeout");
        }
        if self.link_up {
            ctx.send(master, RedisMsg::ReplAck { offset: self.offset }.into());
            if !self.early.is_empty() {
                self.psync(ctx, master); // a gap: part of the stream was lost on the way
            }
        } else if self.sync.is_none() {
            self.psync(ctx, master);
        }
        ctx.set_timer(timer(REPLICA_ACK), self.config.replica_ack_us);
    }

    /// `REPLICAOF host` / `REPLICAOF NO ONE`.
    pub(super) fn replica_of_command<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, master: Option<NodeId>) {
        match master {
            None if !self.is_master() => {
                self.role = RedisRole::Master;
                // PSYNC2: remember the old history so replicas of it can continue partially.
                self.replid2 = self.replid;
                self.second_offset = self.offset;
                self.replid = self.fresh_replid(ctx.me);
                self.link_up = false;
                self.sync = None;
                self.early.clear();
                ctx.log(format!("promoted to master at offset {}", self.offset));
            }
            Some(m) if self.role != (RedisRole::Replica { master: m }) && m != ctx.me => {
                self.role = RedisRole::Replica { master: m };
                self.replicas.clear();
                self.link_up = false;
                self.last_master_io_us = ctx.now_us;
                self.psync(ctx, m);
                ctx.set_timer(timer(REPLICA_ACK), self.config.replica_ack_us);
                ctx.log(format!("now a replica of n{}", m.0));
            }
            _ => {}
        }
    }
}
