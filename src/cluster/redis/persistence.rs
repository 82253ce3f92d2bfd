//! What a Redis server keeps on disk and gets back after a crash: RDB snapshots and the AOF.
//!
//! Owns serverCron's persistence and expiry work: active expiry of keys whose TTL passed
//! (a master deletes and propagates), the AOF's fsync (every write, every second, or when the
//! OS flushes), the RDB save rules (`save <seconds> <changes>`, checked each cron tick) with a
//! BGSAVE that captures the dataset at fork time and is durable only when it completes, and
//! loading at start (the AOF if enabled, else the last RDB). Never replicates.

use super::{AppendFsync, CRON, RedisMsg, RedisServer, Snapshot, WriteOp, apply, timer};
use crate::sim::{Ctx, TimeUs};

impl RedisServer {
    /// The state a restart would come back to.
    pub fn durable(&self) -> Snapshot {
        if self.config.appendonly { self.aof.clone() } else { self.rdb.clone().unwrap_or_default() }
    }

    /// Client writes acknowledged since the last persisted point (what a crash now would lose).
    pub fn unpersisted_writes(&self) -> u64 {
        let durable = if self.config.appendonly {
            self.aof.client_writes
        } else {
            self.rdb.as_ref().map_or(0, |s| s.client_writes)
        };
        self.client_writes.saturating_sub(durable)
    }

    /// Read the AOF (if enabled) or the RDB file back into memory, dropping expired keys; the
    /// dataset is at the file's replication id and offset.
    pub(super) fn load(&mut self, now_us: TimeUs) {
        let loaded = self.durable();
        self.data = loaded.data.into_iter().filter(|(_, e)| e.is_live(now_us)).collect();
        self.replid = loaded.replid;
        self.offset = loaded.offset;
        self.client_writes = loaded.client_writes;
        self.dirty = 0;
        self.lastsave_us = now_us;
        self.last_fsync_us = now_us;
        self.aof_pending.clear();
        self.bgsave = None;
    }

    pub(super) fn cron<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let now = ctx.now_us;
        if self.is_master() {
            let expired: Vec<u32> = self.data.iter().filter(|(_, e)| !e.is_live(now)).map(|(&k, _)| k).collect();
            for key in expired {
                self.write(ctx, WriteOp::Del { key }, false);
            }
        }
        if self.config.appendonly {
            let every_us = match self.config.appendfsync {
                AppendFsync::Always => 0,
                AppendFsync::EverySec => crate::sim::SEC,
                AppendFsync::No => self.config.os_flush_us,
            };
            if now.saturating_sub(self.last_fsync_us) >= every_us {
                self.fsync_aof(now);
            }
        }
        self.check_save_rules(ctx);
        ctx.set_timer(timer(CRON), self.config.cron_us);
    }

    /// Everything written to the AOF so far reaches the disk.
    pub(super) fn fsync_aof(&mut self, now_us: TimeUs) {
        for (op, from_client) in self.aof_pending.drain(..) {
            apply(&mut self.aof.data, op);
            self.aof.offset += 1;
            self.aof.client_writes += u64::from(from_client);
        }
        self.aof.replid = self.replid;
        self.aof.taken_at_us = now_us;
        self.last_fsync_us = now_us;
    }

    fn check_save_rules<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let now = ctx.now_us;
        if let Some((_, done_at_us, _)) = self.bgsave.as_deref() {
            if now >= *done_at_us {
                let (snapshot, _, dirty_at_fork) = self.bgsave.take().map(|b| *b).unwrap_or_default();
                ctx.log(format!("RDB saved: {} keys as of {} µs", snapshot.data.len(), snapshot.taken_at_us));
                self.rdb = Some(snapshot);
                self.rdb_saves += 1;
                self.lastsave_us = now;
                self.dirty = self.dirty.saturating_sub(dirty_at_fork);
            }
            return;
        }
        let since_save = now.saturating_sub(self.lastsave_us);
        let due = self.config.save_rules.iter().any(|r| self.dirty >= r.changes && since_save > r.after_us);
        if due {
            // fork(): the child writes the dataset as it is now; later writes are not in it.
            let snapshot = Snapshot {
                data: self.data.clone(),
                replid: self.replid,
                offset: self.offset,
                client_writes: self.client_writes,
                taken_at_us: now,
            };
            self.bgsave = Some(Box::new((snapshot, now + self.config.bgsave_us, self.dirty)));
        }
    }
}
