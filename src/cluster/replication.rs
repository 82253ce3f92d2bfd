//! MySQL servers and replication between them: binlog, roles, async and semi-sync.
//!
//! Owns one MySQL server (`MysqlNode`): its role (source, MyCat's "write host", or replica, a
//! "read host"), its binlog (a durable sequence of transactions named by GTID), the rows it has
//! applied, and replication: a replica subscribes to its source, receives binlog events into its
//! relay log, acknowledges them (semi-sync) and applies them one at a time (the SQL thread),
//! which is where replication lag and stale reads come from. Async (MySQL's default): a commit
//! returns at once, and a crash of the source loses what no replica had received. Semi-sync
//! (AFTER_SYNC): a commit waits for one replica's ack, falls back to async after
//! `rpl_semi_sync_source_timeout` (10 s) and switches back on when a replica catches up. A
//! server told to follow a new source discards the transactions that source never had
//! ("discard old source"). Never decides who is source: MyCat, an operator or a test sends
//! `Promote` / `Follow`. The source side lives in `source`, the replica side in `replica`.

pub mod binlog;
mod checks;
pub mod gtid;
mod replica;
mod source;
mod wire;

pub use binlog::{BINLOG_KEPT_POSITIONS, Binlog};
pub use checks::{check_no_acked_write_lost, check_single_writer};
pub use gtid::{Gtid, GtidSet};
pub use wire::{BinlogEntry, HostStatus, MysqlError, MysqlMsg, ReadStaleness, ReplicationConfig, Role, Row, SyncMode};

use super::timer_tag;
use crate::sim::{Ctx, NodeId, SEC, TimeUs, TimerKey};
use std::collections::{BTreeMap, VecDeque};

// Local parts of this mechanism's timer keys.
const SEMI_SYNC_WAIT: u64 = 0;
const APPLY: u64 = 1;
const RECONNECT: u64 = 2;
const SOURCE_HEARTBEAT: u64 = 3;

fn timer(local: u64) -> TimerKey {
    timer_tag::key(timer_tag::REPLICATION, local)
}

/// A commit waiting for a semi-sync ack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Waiter {
    pos: u32,
    client: NodeId,
    req: u32,
    since_us: TimeUs,
}

/// What a source knows of one connected replica.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplicaLink {
    pub acked_pos: u32,
    pub semi_sync: bool,
}

/// One MySQL server.
///
/// Durable (disk, kept by a crash): `role`, `epoch`, `binlog`, `logged`, `applied_pos`, `rows`,
/// the GTID counter, `promoted_at_us`, `last_client_write_us`. History kept for invariants and
/// inspectors (never lost): `acked`, `discarded`, `discarded_acked`, `semi_sync_fallbacks`, `read_staleness`.
/// Volatile (lost by `on_crash`): `semi_sync_on`, `links`, waiting commits, `io_running`,
/// `source_len_seen`, events received ahead of a gap, the SQL thread's progress timer.
#[derive(Clone, Debug)]
pub struct MysqlNode {
    pub config: ReplicationConfig,
    pub role: Role,
    /// The failover generation this server last took a role in (starts at 1).
    pub epoch: u32,
    /// Every transaction this server holds; a replica's relay log is part of it
    /// (`log_replica_updates=ON`), so positions agree along a replication chain. Positions
    /// applied here and acknowledged by every semi-sync replica, other than the newest
    /// `BINLOG_KEPT_POSITIONS`, are purged (`purge_binlog`).
    pub binlog: Binlog,
    /// The GTIDs in `binlog`, purged ones included (`gtid_executed`).
    pub logged: GtidSet,
    /// How many binlog entries are applied to `rows` (committed and visible).
    pub applied_pos: u32,
    pub rows: BTreeMap<u32, Row>,
    next_seq: u32,
    /// When this server last became a source.
    pub promoted_at_us: TimeUs,
    /// When this server last accepted a client's write as a source.
    pub last_client_write_us: Option<TimeUs>,
    /// Transactions this server acknowledged to a client as committed.
    pub acked: GtidSet,
    /// Transactions thrown away when following a new source that never had them.
    pub discarded: u64,
    /// Of `discarded`, how many had been acknowledged to a client: acknowledged writes lost.
    pub discarded_acked: u64,
    /// How many times semi-sync timed out and fell back to async.
    pub semi_sync_fallbacks: u64,
    /// Reads served as a replica, and how stale they were.
    pub read_staleness: ReadStaleness,
    /// `Rpl_semi_sync_source_status`: is this source waiting for acks right now?
    pub semi_sync_on: bool,
    /// Replicas subscribed to this source.
    pub links: BTreeMap<NodeId, ReplicaLink>,
    waiting: VecDeque<Waiter>,
    /// `Replica_IO_Running`: this replica has heard from its source recently.
    pub io_running: bool,
    /// The source's binlog length, as last heard.
    pub source_len_seen: u32,
    early: BTreeMap<u32, BinlogEntry>,
    applying: bool,
    last_heard_us: TimeUs,
}

impl MysqlNode {
    fn new(config: ReplicationConfig, role: Role) -> Self {
        Self {
            config,
            role,
            epoch: 1,
            binlog: Binlog::default(),
            logged: GtidSet::default(),
            applied_pos: 0,
            rows: BTreeMap::new(),
            next_seq: 0,
            promoted_at_us: 0,
            last_client_write_us: None,
            acked: GtidSet::default(),
            discarded: 0,
            discarded_acked: 0,
            semi_sync_fallbacks: 0,
            read_staleness: ReadStaleness::default(),
            semi_sync_on: false,
            links: BTreeMap::new(),
            waiting: VecDeque::new(),
            io_running: false,
            source_len_seen: 0,
            early: BTreeMap::new(),
            applying: false,
            last_heard_us: 0,
        }
    }

    /// The first source of a group (epoch 1).
    pub fn source(config: ReplicationConfig) -> Self {
        Self::new(config, Role::Source)
    }

    /// A replica of `source` (epoch 1).
    pub fn replica(config: ReplicationConfig, source: NodeId) -> Self {
        Self::new(config, Role::Replica { source })
    }

    pub fn is_source(&self) -> bool {
        self.role == Role::Source
    }

    /// Positions written to the binlog, purged ones included.
    pub fn binlog_len(&self) -> u32 {
        self.binlog.len()
    }

    pub fn last_gtid(&self) -> Gtid {
        self.binlog.last_gtid()
    }

    /// The committed row (a missing row reads as value 0, version 0).
    pub fn row(&self, key: u32) -> Row {
        self.rows.get(&key).copied().unwrap_or_default()
    }

    /// Commits waiting for a semi-sync ack.
    pub fn waiting_commits(&self) -> usize {
        self.waiting.len()
    }

    /// Replication lag as MySQL reports it: `now` minus the origin commit time of the
    /// transaction the SQL thread is applying; 0 when the relay log is drained (even if the
    /// source is far ahead and events are still on the wire); `None` (NULL) on a source or
    /// when the IO thread is not connected.
    pub fn lag_us(&self, now_us: TimeUs) -> Option<TimeUs> {
        if !matches!(self.role, Role::Replica { .. }) || !self.io_running {
            return None;
        }
        let next = self.binlog.get(self.applied_pos + 1);
        Some(next.map_or(0, |e| now_us.saturating_sub(e.commit_us)))
    }

    /// A replica answering a read notes how far behind it was.
    fn note_read(&mut self, now_us: TimeUs) {
        if !matches!(self.role, Role::Replica { .. }) {
            return;
        }
        self.read_staleness.reads += 1;
        match self.lag_us(now_us) {
            Some(lag_us) => self.read_staleness.worst_lag_us = self.read_staleness.worst_lag_us.max(lag_us),
            None => self.read_staleness.while_stopped += 1,
        }
    }

    /// `Seconds_Behind_Source`: `lag_us` in whole seconds, truncated like MySQL's.
    pub fn seconds_behind_source(&self, now_us: TimeUs) -> Option<u32> {
        self.lag_us(now_us).map(|lag| (lag / SEC) as u32)
    }

    /// Transactions the source has (as last heard) that this replica has not applied.
    pub fn lag_txns(&self) -> u32 {
        self.source_len_seen.max(self.binlog_len()).saturating_sub(self.applied_pos)
    }

    pub fn status(&self, now_us: TimeUs) -> HostStatus {
        HostStatus { role: self.role, epoch: self.epoch, seconds_behind_source: self.seconds_behind_source(now_us) }
    }

    // ---- the node's life -------------------------------------------------

    pub fn on_start<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.last_heard_us = ctx.now_us;
        match self.role {
            Role::Source => {
                // Crash recovery: what is in the binlog is committed (binlog is the truth).
                self.apply_through(self.binlog_len());
                self.semi_sync_on = self.config.mode == SyncMode::SemiSync;
                ctx.set_timer(timer(SOURCE_HEARTBEAT), self.config.heartbeat_period_us);
            }
            Role::Replica { .. } => {
                self.subscribe(ctx);
                self.start_applying(ctx);
            }
        }
    }

    pub fn on_crash(&mut self) {
        self.semi_sync_on = false;
        self.links.clear();
        self.waiting.clear();
        self.io_running = false;
        self.source_len_seen = 0;
        self.early.clear();
        self.applying = false;
    }

    pub fn on_message<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: MysqlMsg) {
        let reply_after = self.config.query_us;
        match msg {
            MysqlMsg::Write { req, key, value } => self.on_write(ctx, from, req, key, value),
            MysqlMsg::Read { req, key } => {
                self.note_read(ctx.now_us);
                ctx.send_after(reply_after, from, MysqlMsg::ReadOk { req, key, row: self.row(key) }.into());
            }
            MysqlMsg::Count { req } => {
                ctx.send_after(reply_after, from, MysqlMsg::CountOk { req, rows: self.rows.len() as u32 }.into());
            }
            MysqlMsg::Status { req } => {
                ctx.send_after(reply_after, from, MysqlMsg::StatusOk { req, status: self.status(ctx.now_us) }.into());
            }
            MysqlMsg::Subscribe { from_pos, last, semi_sync } => {
                self.on_subscribe(ctx, from, from_pos, last, semi_sync)
            }
            MysqlMsg::Ack { pos } => self.on_ack(ctx, from, pos),
            MysqlMsg::Event { pos, entry } => self.on_event(ctx, from, pos, entry),
            MysqlMsg::Heartbeat { binlog_len } => self.on_source_heartbeat(ctx, from, binlog_len),
            MysqlMsg::Diverged { keep } => self.on_diverged(ctx, from, keep),
            MysqlMsg::Promote { epoch } => self.promote(ctx, epoch),
            MysqlMsg::Follow { source, epoch } => self.follow(ctx, source, epoch),
            // Answers are for clients; a server never asked.
            MysqlMsg::WriteOk { .. }
            | MysqlMsg::ReadOk { .. }
            | MysqlMsg::CountOk { .. }
            | MysqlMsg::StatusOk { .. }
            | MysqlMsg::Failed { .. } => {}
        }
    }

    pub fn on_timer<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        match timer_tag::local_of(key) {
            SEMI_SYNC_WAIT => self.on_semi_sync_timer(ctx),
            APPLY => self.on_apply_timer(ctx),
            RECONNECT => self.on_reconnect_timer(ctx),
            SOURCE_HEARTBEAT => self.on_heartbeat_timer(ctx),
            _ => {}
        }
    }

    /// A peer's host refused what this server sent: the peer's process is down.
    pub fn on_refused<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: MysqlMsg) {
        match msg {
            MysqlMsg::Subscribe { .. } => {
                self.io_running = false;
                ctx.set_timer(timer(RECONNECT), self.config.connect_retry_us);
            }
            MysqlMsg::Event { .. } | MysqlMsg::Heartbeat { .. } => {
                self.links.remove(&to);
            }
            _ => {}
        }
    }

    // ---- statements --------------------------------------------------------

    fn on_write<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, req: u32, key: u32, value: i32) {
        if !self.is_source() {
            let failed = MysqlMsg::Failed { req, error: MysqlError::ReadOnly };
            ctx.send_after(self.config.query_us, from, failed.into());
            return;
        }
        self.next_seq += 1;
        let entry =
            BinlogEntry { gtid: Gtid { origin: ctx.me, seq: self.next_seq }, key, value, commit_us: ctx.now_us };
        self.append(entry);
        self.last_client_write_us = Some(ctx.now_us);
        let pos = self.binlog_len();
        self.push_event(ctx, pos);
        if self.config.mode == SyncMode::SemiSync && self.semi_sync_on {
            // AFTER_SYNC: durable in the binlog, invisible and unanswered until a replica acks.
            self.waiting.push_back(Waiter { pos, client: from, req, since_us: ctx.now_us });
            if self.waiting.len() == 1 {
                ctx.set_timer(timer(SEMI_SYNC_WAIT), self.config.semi_sync_timeout_us);
            }
        } else {
            self.apply_through(pos);
            self.ack_client(ctx, from, req, entry.gtid, self.config.commit_us);
        }
    }

    fn ack_client<M: From<MysqlMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        client: NodeId,
        req: u32,
        gtid: Gtid,
        delay: TimeUs,
    ) {
        self.acked.insert(gtid);
        ctx.send_after(delay, client, MysqlMsg::WriteOk { req, gtid }.into());
    }

    // ---- roles ---------------------------------------------------------------

    // ---- the log -------------------------------------------------------------

    fn append(&mut self, entry: BinlogEntry) {
        self.logged.insert(entry.gtid);
        self.binlog.push(entry);
        self.purge_binlog();
    }

    /// `PURGE BINARY LOGS`, in batches: up to the position this server has applied, that
    /// every semi-sync replica has acknowledged, and that leaves the newest
    /// `BINLOG_KEPT_POSITIONS` in place. An async source does not know where its replicas
    /// are (they send no acks), so the kept positions are what lets a replica that was
    /// disconnected for a while (up to about a minute of a Double-11 surge) catch up.
    fn purge_binlog(&mut self) {
        let (len, base) = (self.binlog.len(), self.binlog.base());
        if len - base <= BINLOG_KEPT_POSITIONS + binlog::BINLOG_PURGE_BATCH {
            return;
        }
        let acked = self.links.values().filter(|l| l.semi_sync).map(|l| l.acked_pos).min().unwrap_or(u32::MAX);
        self.binlog.purge_to(self.applied_pos.min(len - BINLOG_KEPT_POSITIONS).min(acked));
    }

    /// Make binlog entries up to `pos` visible in `rows`, in order.
    fn apply_through(&mut self, pos: u32) {
        let pos = pos.min(self.binlog_len());
        while self.applied_pos < pos {
            self.binlog.apply_next(&mut self.rows);
            self.applied_pos += 1;
        }
    }
}
