//! Which Redis datasets share which commands, across restarts and promotions, and the check
//! that no acknowledged write is gone.
//!
//! Owns `History` (a replication id and the history it forked from, at which offset: the
//! model's bookkeeping of what PSYNC2's ids only approximate) and the invariant
//! `check_no_acked_write_lost`, which compares what each server acknowledged with what every
//! server holds by walking these lineages — so a restart, which gives a master a new id, never
//! hides nor invents a loss. Never changes a server.

use super::RedisServer;

/// One replication history: `replid`'s commands follow the first `fork_offset` commands of
/// `parent` (0: an empty dataset). Model bookkeeping, so the checks can tell which datasets
/// share which commands across restarts and promotions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct History {
    pub replid: u32,
    pub parent: u32,
    pub fork_offset: u32,
}

/// `always`: every write a Redis server acknowledged is still held by some server, in memory
/// or in the file it would restart from (the AOF when `appendonly`, else the last RDB) — as
/// itself or overwritten by later commands of a history that includes it. Breaks when a crash
/// takes writes not yet persisted and no replica keeps them (`appendfsync everysec`/RDB, or a
/// restarted master whose replica then resyncs from it), and when a failover under async
/// replication promotes a replica that lacked them and the old master resyncs from it.
/// Histories are compared by lineage (`History`), not by replication id, so a restart — which
/// gives a master a new id — never hides nor invents a loss.
pub fn check_no_acked_write_lost(servers: &[&RedisServer]) -> Result<(), String> {
    for (i, s) in servers.iter().enumerate() {
        for &(replid, offset) in &s.acked {
            if !servers.iter().any(|t| t.keeps(servers, replid, offset)) {
                return Err(format!(
                    "server {i}: the write it acknowledged at offset {offset} of history {replid:#x} is held by no \
                     server, in memory or on disk ({} lost in its crashes)",
                    s.writes_lost_in_crashes
                ));
            }
        }
    }
    Ok(())
}

impl RedisServer {
    /// Does this server hold command `offset` of history `replid`, in memory or on disk?
    fn keeps(&self, servers: &[&RedisServer], replid: u32, offset: u32) -> bool {
        let disk = if self.config.appendonly { Some(&self.aof) } else { self.rdb.as_ref() };
        let states = std::iter::once((self.replid, self.offset)).chain(disk.map(|d| (d.replid, d.offset)));
        states.into_iter().any(|(at_replid, at_offset)| includes(servers, (at_replid, at_offset), (replid, offset)))
    }
}

/// Is command `offset` of history `replid` among the first `at.1` commands of history `at.0`?
/// Walks `at`'s ancestry: a history holds its parent's commands up to its fork offset.
fn includes(servers: &[&RedisServer], at: (u32, u32), (replid, offset): (u32, u32)) -> bool {
    let (mut history, mut cap) = at;
    for _ in 0..64 {
        if history == replid {
            return offset <= cap;
        }
        let forked = servers.iter().flat_map(|s| &s.histories).find(|h| h.replid == history);
        let Some(h) = forked else { return false };
        cap = cap.min(h.fork_offset);
        history = h.parent;
    }
    false
}
