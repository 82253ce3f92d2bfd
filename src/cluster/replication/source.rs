//! The source side of replication: binlog dump to subscribed replicas, semi-sync waits, promotion.
//!
//! Owns what a source does for its replicas: checking that a subscriber's log is a prefix of
//! its own (else telling it to discard the rest), streaming events, heartbeats, counting acks,
//! releasing commits that waited for one (AFTER_SYNC), falling back to async when no ack comes
//! within `rpl_semi_sync_source_timeout` and switching back when a replica catches up; and
//! becoming a source when promoted. Never applies events from elsewhere: that is the replica side.

use super::{APPLY, Gtid, MysqlMsg, MysqlNode, RECONNECT, ReplicaLink, Role, SEMI_SYNC_WAIT, SOURCE_HEARTBEAT};
use super::{SyncMode, timer};
use crate::sim::{Ctx, NodeId};

impl MysqlNode {
    pub(super) fn on_subscribe<M: From<MysqlMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        from_pos: u32,
        last: Gtid,
        semi_sync: bool,
    ) {
        if !self.is_source() {
            return;
        }
        let len = self.binlog_len();
        if from_pos < self.binlog.base() {
            // Error 1236: this source purged what the replica needs; it must be cloned afresh.
            return;
        }
        let is_prefix = from_pos <= len && (from_pos == 0 || self.binlog.gtid_at(from_pos) == Some(last));
        if !is_prefix {
            // The subscriber has transactions this source never had: it must drop them.
            let keep = from_pos.saturating_sub(1).min(len);
            ctx.send(from, MysqlMsg::Diverged { keep }.into());
            return;
        }
        self.links.insert(from, ReplicaLink { acked_pos: from_pos, semi_sync });
        for pos in from_pos + 1..=len {
            let entry = self.binlog.at(pos);
            ctx.send(from, MysqlMsg::Event { pos, entry }.into());
        }
        ctx.send(from, MysqlMsg::Heartbeat { binlog_len: len }.into());
    }

    /// Stream binlog entry `pos` to every subscribed replica, once it is synced to disk.
    pub(super) fn push_event<M: From<MysqlMsg>>(&self, ctx: &mut Ctx<'_, M>, pos: u32) {
        let entry = self.binlog.at(pos);
        for &replica in self.links.keys() {
            ctx.send_after(self.config.commit_us, replica, MysqlMsg::Event { pos, entry }.into());
        }
    }

    pub(super) fn on_ack<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, pos: u32) {
        if !self.is_source() {
            return;
        }
        let Some(link) = self.links.get_mut(&from) else { return };
        link.acked_pos = link.acked_pos.max(pos);
        if self.config.mode != SyncMode::SemiSync {
            return;
        }
        if !self.semi_sync_on && pos >= self.binlog_len() {
            self.semi_sync_on = true;
            ctx.log(format!("semi-sync back on: n{} caught up to position {pos}", from.0));
        }
        self.release_acked(ctx);
    }

    /// The position that `rpl_semi_sync_source_wait_for_replica_count` replicas have acked.
    fn semi_sync_acked_pos(&self) -> u32 {
        let mut acked: Vec<u32> = self.links.values().filter(|l| l.semi_sync).map(|l| l.acked_pos).collect();
        acked.sort_unstable_by(|a, b| b.cmp(a));
        let needed = self.config.semi_sync_wait_count.max(1) as usize;
        acked.get(needed - 1).copied().unwrap_or(0)
    }

    fn release_acked<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let acked = self.semi_sync_acked_pos();
        while let Some(&waiter) = self.waiting.front().filter(|w| w.pos <= acked) {
            self.waiting.pop_front();
            self.apply_through(waiter.pos);
            let gtid = self.binlog.at(waiter.pos).gtid;
            self.ack_client(ctx, waiter.client, waiter.req, gtid, 0);
        }
        match self.waiting.front() {
            Some(oldest) => {
                let deadline = oldest.since_us + self.config.semi_sync_timeout_us;
                ctx.set_timer(timer(SEMI_SYNC_WAIT), deadline.saturating_sub(ctx.now_us));
            }
            None => ctx.cancel_timer(timer(SEMI_SYNC_WAIT)),
        }
    }

    /// The oldest waiting commit ran out of patience: switch semi-sync off and let every
    /// waiting commit return as if replication were async.
    pub(super) fn on_semi_sync_timer<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(oldest) = self.waiting.front() else { return };
        let deadline = oldest.since_us + self.config.semi_sync_timeout_us;
        if ctx.now_us < deadline {
            ctx.set_timer(timer(SEMI_SYNC_WAIT), deadline - ctx.now_us);
            return;
        }
        self.semi_sync_on = false;
        self.semi_sync_fallbacks += 1;
        let waited_ms = self.config.semi_sync_timeout_us / 1000;
        ctx.log(format!("semi-sync: no ack in {waited_ms} ms, falling back to async"));
        while let Some(waiter) = self.waiting.pop_front() {
            self.apply_through(waiter.pos);
            let gtid = self.binlog.at(waiter.pos).gtid;
            self.ack_client(ctx, waiter.client, waiter.req, gtid, 0);
        }
    }

    /// `SET GLOBAL rpl_semi_sync_source_enabled`: takes effect at once. Turned
    /// off, the source stops waiting and releases every waiting commit, as the
    /// real plugin does; turned on, later commits wait for an ack.
    pub fn set_sync_mode<M: From<MysqlMsg>>(&mut self, ctx: Option<&mut Ctx<'_, M>>, mode: SyncMode) {
        self.config.mode = mode;
        // A process that is not running only has its config file changed.
        let Some(ctx) = ctx else { return };
        let on = mode == SyncMode::SemiSync && self.is_source();
        if self.semi_sync_on == on {
            return;
        }
        self.semi_sync_on = on;
        if on {
            return;
        }
        ctx.cancel_timer(timer(SEMI_SYNC_WAIT));
        while let Some(waiter) = self.waiting.pop_front() {
            self.apply_through(waiter.pos);
            let gtid = self.binlog.at(waiter.pos).gtid;
            self.ack_client(ctx, waiter.client, waiter.req, gtid, 0);
        }
    }

    pub(super) fn on_heartbeat_timer<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if !self.is_source() {
            return;
        }
        let binlog_len = self.binlog_len();
        for &replica in self.links.keys() {
            ctx.send(replica, MysqlMsg::Heartbeat { binlog_len }.into());
        }
        ctx.set_timer(timer(SOURCE_HEARTBEAT), self.config.heartbeat_period_us);
    }

    pub(super) fn promote<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, epoch: u32) {
        if epoch < self.epoch || (self.is_source() && epoch == self.epoch) {
            return;
        }
        let was_source = self.is_source();
        self.role = Role::Source;
        self.epoch = epoch;
        self.promoted_at_us = ctx.now_us;
        if was_source {
            return;
        }
        // STOP REPLICA after the SQL thread has drained the relay log; then take writes.
        self.apply_through(self.binlog_len());
        self.early.clear();
        self.applying = false;
        self.io_running = false;
        self.links.clear();
        self.waiting.clear();
        self.semi_sync_on = self.config.mode == SyncMode::SemiSync;
        ctx.cancel_timer(timer(APPLY));
        ctx.cancel_timer(timer(RECONNECT));
        ctx.set_timer(timer(SOURCE_HEARTBEAT), self.config.heartbeat_period_us);
        ctx.log(format!("promoted to source for epoch {epoch} at binlog position {}", self.binlog_len()));
    }
}
