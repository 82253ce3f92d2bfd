//! The vocabulary of MySQL replication: settings, roles, rows, binlog entries and messages.
//!
//! Owns `ReplicationConfig` (MySQL 8.4's defaults), `Role`, `Row`, `BinlogEntry`,
//! `MysqlError`, `HostStatus` and `MysqlMsg`, the protocol between clients, MyCat and servers.
//! Never holds a server's state: `MysqlNode` does.

use super::gtid::Gtid;
use crate::sim::{MS, Message, NodeId, SEC, TimeUs};

/// How a source commits with respect to its replicas.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SyncMode {
    /// MySQL's default: commit and answer at once; replicas follow when they can.
    Async,
    /// `rpl_semi_sync_source_enabled=ON`, `rpl_semi_sync_source_wait_point=AFTER_SYNC`.
    SemiSync,
}

/// Replication settings; the defaults are MySQL 8.4's own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicationConfig {
    /// Async (default) or semi-sync, for both ends of every link.
    pub mode: SyncMode,
    /// `rpl_semi_sync_source_timeout` 10000 ms: wait this long for an ack, then go async.
    pub semi_sync_timeout_us: TimeUs,
    /// `rpl_semi_sync_source_wait_for_replica_count` 1.
    pub semi_sync_wait_count: u32,
    /// Making a commit durable (`sync_binlog=1`, `innodb_flush_log_at_trx_commit=1`).
    pub commit_us: TimeUs,
    /// A replica's SQL thread applying one transaction.
    pub apply_us: TimeUs,
    /// Serving one read or `SHOW REPLICA STATUS`.
    pub query_us: TimeUs,
    /// `replica_net_timeout` 60 s: a replica that hears nothing for this long reconnects.
    pub net_timeout_us: TimeUs,
    /// `SOURCE_HEARTBEAT_PERIOD`: half of `replica_net_timeout`, 30 s.
    pub heartbeat_period_us: TimeUs,
    /// `SOURCE_CONNECT_RETRY` 60 s between reconnection attempts.
    pub connect_retry_us: TimeUs,
}

impl Default for ReplicationConfig {
    fn default() -> Self {
        Self {
            mode: SyncMode::Async,
            semi_sync_timeout_us: 10_000 * MS,
            semi_sync_wait_count: 1,
            commit_us: 500,
            apply_us: 500,
            query_us: 100,
            net_timeout_us: 60 * SEC,
            heartbeat_period_us: 30 * SEC,
            connect_retry_us: 60 * SEC,
        }
    }
}

/// What a server is in its replication group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Takes writes and streams its binlog (MyCat's write host).
    Source,
    /// Read-only (`super_read_only`), applying what `source` sends (a read host).
    Replica { source: NodeId },
}

/// One row: a product's stock, say, and how many writes it has seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Row {
    pub value: i32,
    pub version: u32,
}

/// One transaction in a binlog: `UPDATE t SET value = v WHERE id = key`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BinlogEntry {
    pub gtid: Gtid,
    pub key: u32,
    pub value: i32,
    /// When the origin committed it: Seconds_Behind_Source is measured from here.
    pub commit_us: TimeUs,
}

/// Why a statement failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MysqlError {
    /// ER_OPTION_PREVENTS_STATEMENT: a write sent to a `super_read_only` replica.
    ReadOnly,
}

/// How stale the reads a replica served were, by its own `Seconds_Behind_Source` clock.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadStaleness {
    pub reads: u64,
    /// The largest lag at the moment a read was answered.
    pub worst_lag_us: TimeUs,
    /// Reads answered while replication was stopped (lag NULL: unbounded).
    pub while_stopped: u64,
}

/// The answer to `SHOW REPLICA STATUS` plus the role, as a heartbeat sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HostStatus {
    pub role: Role,
    pub epoch: u32,
    /// `Seconds_Behind_Source` in whole seconds; `None` (NULL) on a source or when the
    /// replica's IO thread is not connected.
    pub seconds_behind_source: Option<u32>,
}

/// The MySQL protocol between clients, MyCat and servers, and between servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MysqlMsg {
    Write {
        req: u32,
        key: u32,
        value: i32,
    },
    Read {
        req: u32,
        key: u32,
    },
    /// `SELECT COUNT(*)`.
    Count {
        req: u32,
    },
    /// `SHOW REPLICA STATUS` (MyCat's heartbeat statement).
    Status {
        req: u32,
    },
    WriteOk {
        req: u32,
        gtid: Gtid,
    },
    ReadOk {
        req: u32,
        key: u32,
        row: Row,
    },
    CountOk {
        req: u32,
        rows: u32,
    },
    StatusOk {
        req: u32,
        status: HostStatus,
    },
    Failed {
        req: u32,
        error: MysqlError,
    },
    /// Replica → source: send me your binlog after `from_pos`, whose last entry is `last`.
    Subscribe {
        from_pos: u32,
        last: Gtid,
        semi_sync: bool,
    },
    /// Source → replica: your log is not a prefix of mine; keep at most `keep` entries.
    Diverged {
        keep: u32,
    },
    /// Source → replica: binlog entry number `pos` (from 1).
    Event {
        pos: u32,
        entry: BinlogEntry,
    },
    /// Source → replica, every heartbeat period: my binlog has `binlog_len` entries.
    Heartbeat {
        binlog_len: u32,
    },
    /// Semi-sync replica → source: my relay log holds everything up to `pos`.
    Ack {
        pos: u32,
    },
    /// Operator / MyCat: become the source for `epoch`.
    Promote {
        epoch: u32,
    },
    /// Operator / MyCat: replicate from `source` for `epoch`.
    Follow {
        source: NodeId,
        epoch: u32,
    },
}

impl Message for MysqlMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Write { .. } => "sql-write",
            Self::Read { .. } => "sql-read",
            Self::Count { .. } => "sql-count",
            Self::Status { .. } => "sql-status",
            Self::WriteOk { .. } => "sql-write-ok",
            Self::ReadOk { .. } => "sql-read-ok",
            Self::CountOk { .. } => "sql-count-ok",
            Self::StatusOk { .. } => "sql-status-ok",
            Self::Failed { .. } => "sql-error",
            Self::Subscribe { .. } => "binlog-subscribe",
            Self::Diverged { .. } => "binlog-diverged",
            Self::Event { .. } => "binlog-event",
            Self::Heartbeat { .. } => "binlog-heartbeat",
            Self::Ack { .. } => "semi-sync-ack",
            Self::Promote { .. } => "promote",
            Self::Follow { .. } => "follow",
        }
    }
}
