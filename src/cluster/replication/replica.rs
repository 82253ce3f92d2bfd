//! The replica side of replication: IO thread, relay log, SQL thread, and following a new source.
//!
//! Owns what a replica does: subscribing to its source (and again after silence of
//! `replica_net_timeout`, every `SOURCE_CONNECT_RETRY`), putting received events in order into
//! its log, acking them when semi-sync, applying them one at a time (the lag), and, when told
//! to follow a new source, discarding the transactions that source never had. Never streams
//! to others: that is the source side.

use super::{APPLY, BinlogEntry, MysqlMsg, MysqlNode, RECONNECT, SEMI_SYNC_WAIT, SOURCE_HEARTBEAT};
use super::{Role, SyncMode, timer};
use crate::sim::{Ctx, NodeId};

/// Events held ahead of a gap before the replica gives up and re-subscribes.
const EARLY_LIMIT: usize = 10_000;

impl MysqlNode {
    /// Ask the source for everything after the end of this server's log (COM_BINLOG_DUMP).
    pub(super) fn subscribe<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let Role::Replica { source } = self.role else { return };
        let semi_sync = self.config.mode == SyncMode::SemiSync;
        let msg = MysqlMsg::Subscribe { from_pos: self.binlog_len(), last: self.last_gtid(), semi_sync };
        ctx.send(source, msg.into());
        ctx.set_timer(timer(RECONNECT), self.config.connect_retry_us);
    }

    fn source_of_replica(&self) -> Option<NodeId> {
        match self.role {
            Role::Replica { source } => Some(source),
            Role::Source => None,
        }
    }

    fn heard_from_source(&mut self, now_us: u64, source_len: u32) {
        self.last_heard_us = now_us;
        self.io_running = true;
        self.source_len_seen = self.source_len_seen.max(source_len);
    }

    pub(super) fn on_event<M: From<MysqlMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        pos: u32,
        entry: BinlogEntry,
    ) {
        if self.source_of_replica() != Some(from) {
            return;
        }
        self.heard_from_source(ctx.now_us, pos);
        let before = self.binlog_len();
        if pos <= before {
            return; // already have it (a re-sent backlog)
        }
        // TCP would have kept the stream in order; the simulated network may not.
        self.early.insert(pos, entry);
        while let Some(next) = self.early.remove(&(self.binlog_len() + 1)) {
            self.append(next);
        }
        if self.binlog_len() > before {
            if self.config.mode == SyncMode::SemiSync {
                ctx.send(from, MysqlMsg::Ack { pos: self.binlog_len() }.into());
            }
            self.start_applying(ctx);
        }
        if self.early.len() > EARLY_LIMIT {
            self.early.clear();
            self.subscribe(ctx);
        }
    }

    pub(super) fn on_source_heartbeat<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, len: u32) {
        if self.source_of_replica() != Some(from) {
            return;
        }
        self.heard_from_source(ctx.now_us, len);
        self.start_applying(ctx);
        if len > self.binlog_len() {
            // Something was lost on the way (a partition): ask again from where we are.
            self.subscribe(ctx);
        }
    }

    pub(super) fn on_diverged<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, keep: u32) {
        if self.source_of_replica() != Some(from) {
            return;
        }
        let before = self.discarded;
        self.truncate_to(keep.min(self.binlog_len().saturating_sub(1)));
        ctx.log(format!("discarded {} transactions the new source never had", self.discarded - before));
        self.subscribe(ctx);
    }

    pub(super) fn start_applying<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if !self.applying && self.applied_pos < self.binlog_len() && !self.is_source() {
            self.applying = true;
            ctx.set_timer(timer(APPLY), self.config.apply_us);
        }
    }

    /// The SQL thread finished one transaction.
    pub(super) fn on_apply_timer<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.applying = false;
        if self.is_source() {
            return;
        }
        self.apply_through(self.applied_pos + 1);
        self.start_applying(ctx);
    }

    pub(super) fn on_reconnect_timer<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.is_source() {
            return;
        }
        let silent_us = ctx.now_us.saturating_sub(self.last_heard_us);
        if silent_us >= self.config.net_timeout_us {
            self.io_running = false;
            self.subscribe(ctx);
        } else {
            ctx.set_timer(timer(RECONNECT), self.config.net_timeout_us - silent_us);
        }
    }

    pub(super) fn follow<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, source: NodeId, epoch: u32) {
        let already = self.role == Role::Replica { source } && epoch == self.epoch;
        if epoch < self.epoch || already || source == ctx.me {
            return;
        }
        self.role = Role::Replica { source };
        self.epoch = epoch;
        // Clients waiting on a semi-sync commit lose their connection: no answer ever comes.
        self.waiting.clear();
        self.links.clear();
        self.semi_sync_on = false;
        self.early.clear();
        ctx.cancel_timer(timer(SEMI_SYNC_WAIT));
        ctx.cancel_timer(timer(SOURCE_HEARTBEAT));
        self.last_heard_us = ctx.now_us;
        self.subscribe(ctx);
        ctx.log(format!("now a replica of n{} for epoch {epoch}", source.0));
    }

    /// Throw away every entry after `keep` ("discard old source"); discarded entries that had
    /// been applied are undone from their before-images. Never cuts below the purge point
    /// (what was purged had been applied and kept for long; a server that diverged further
    /// back would need a fresh clone).
    fn truncate_to(&mut self, keep: u32) {
        if keep >= self.binlog.len() {
            return;
        }
        let dropped = self.binlog.truncate(keep, &mut self.rows);
        let acked_dropped = dropped.iter().filter(|e| self.acked.contains(e.gtid)).count() as u64;
        self.discarded += dropped.len() as u64;
        self.discarded_acked += acked_dropped;
        self.logged = self.binlog.gtids();
        self.applied_pos = self.applied_pos.min(self.binlog.len());
    }
}
