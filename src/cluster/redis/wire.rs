//! Redis's settings and protocol: commands, replies, replication stream, Sentinel talk.
//!
//! Owns `RedisConfig` (Redis 7's defaults), `SaveRule`, `AppendFsync`, `RedisRole`,
//! `WriteOp` (one entry of the replication stream and the AOF), `RedisReply`, `RedisError` and
//! `RedisMsg`. Never holds a server's or a sentinel's state.

use crate::sim::{MS, Message, NodeId, SEC, TimeUs};

/// `save <seconds> <changes>`: snapshot when at least `changes` writes happened and more than
/// `after_us` passed since the last save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaveRule {
    pub after_us: TimeUs,
    pub changes: u64,
}

/// `appendfsync`: how often the AOF reaches the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppendFsync {
    /// After every write: nothing acknowledged is lost.
    Always,
    /// Once a second (default): a crash loses at most about a second of writes.
    EverySec,
    /// When the OS flushes dirty pages (about every 30 s on Linux).
    No,
}

/// Server settings; the defaults are Redis 7's own `redis.conf`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedisConfig {
    /// `save 3600 1 300 100 60 10000`.
    pub save_rules: Vec<SaveRule>,
    /// `appendonly no`.
    pub appendonly: bool,
    /// `appendfsync everysec`.
    pub appendfsync: AppendFsync,
    /// With `appendfsync no`: the kernel's dirty-page write-back (`dirty_expire_centisecs` 3000).
    pub os_flush_us: TimeUs,
    /// How long a BGSAVE (fork and write the RDB file) takes.
    pub bgsave_us: TimeUs,
    /// `hz 10`: serverCron (expiry, fsync, save rules) every 100 ms.
    pub cron_us: TimeUs,
    /// `min-replicas-to-write 0` (off).
    pub min_replicas_to_write: u32,
    /// `min-replicas-max-lag 10` seconds.
    pub min_replicas_max_lag_us: TimeUs,
    /// A replica sends `REPLCONF ACK <offset>` every second.
    pub replica_ack_us: TimeUs,
    /// `repl-timeout 60`: a replica that hears nothing from its master re-syncs.
    pub repl_timeout_us: TimeUs,
    /// `repl-backlog-size 1mb`, counted here in commands kept for partial resync.
    pub repl_backlog_ops: usize,
    /// Serving one command.
    pub command_us: TimeUs,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            save_rules: vec![
                SaveRule { after_us: 3600 * SEC, changes: 1 },
                SaveRule { after_us: 300 * SEC, changes: 100 },
                SaveRule { after_us: 60 * SEC, changes: 10_000 },
            ],
            appendonly: false,
            appendfsync: AppendFsync::EverySec,
            os_flush_us: 30 * SEC,
            bgsave_us: 50 * MS,
            cron_us: 100 * MS,
            min_replicas_to_write: 0,
            min_replicas_max_lag_us: 10 * SEC,
            replica_ack_us: SEC,
            repl_timeout_us: 60 * SEC,
            repl_backlog_ops: 10_000,
            command_us: 50,
        }
    }
}

/// Spring Session's default `maxInactiveInterval` for sessions kept in Redis: 1800 s.
pub const SESSION_TTL_MS: u32 = 1_800_000;

/// What a server is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RedisRole {
    Master,
    Replica { master: NodeId },
}

/// One write as it goes to the AOF and down the replication stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WriteOp {
    /// `SET key value PXAT expire_at` (`expire_at_us` 0: no expiry).
    Set {
        key: u32,
        value: i64,
        expire_at_us: TimeUs,
    },
    Del {
        key: u32,
    },
}

/// Why a command was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RedisError {
    /// `-READONLY You can't write against a read only replica.`
    ReadOnly,
    /// `-NOREPLICAS Not enough good replicas to write.` (`min-replicas-to-write`).
    NoReplicas,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RedisReply {
    Ok,
    Nil,
    /// A bulk value (GET) or an integer reply (INCR, DEL, EXPIRE).
    Int(i64),
    Error(RedisError),
}

/// Everything Redis servers, their clients and sentinels say to each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RedisMsg {
    Get {
        req: u32,
        key: u32,
    },
    /// `SET key value [PX ttl_ms]` (`ttl_ms` 0: no expiry).
    Set {
        req: u32,
        key: u32,
        value: i64,
        ttl_ms: u32,
    },
    Del {
        req: u32,
        key: u32,
    },
    /// `PEXPIRE key ttl_ms` (Spring Session refreshes a session's TTL on each access).
    Expire {
        req: u32,
        key: u32,
        ttl_ms: u32,
    },
    /// `INCR key`, then `PEXPIRE key ttl_ms` if the key was new (a rate-limit window).
    Incr {
        req: u32,
        key: u32,
        ttl_ms: u32,
    },
    Reply {
        req: u32,
        reply: RedisReply,
    },
    /// Replica → master: `PSYNC replid offset`.
    Psync {
        replid: u32,
        offset: u32,
    },
    /// Master → replica: `+CONTINUE`: the backlog covers you.
    Continue {
        replid: u32,
    },
    /// Master → replica: `+FULLRESYNC replid offset`: my snapshot follows; it replaces your
    /// dataset once it has all arrived.
    FullSync {
        replid: u32,
        offset: u32,
    },
    /// The peer's kernel resets the connection: a replica's `REPLCONF ACK` reached a master
    /// process that has no such connection (it restarted, or was demoted and closed it).
    LinkReset,
    /// One key of the snapshot a full resync sends.
    SyncKey {
        key: u32,
        value: i64,
        expire_at_us: TimeUs,
    },
    /// The snapshot is complete: it had `keys` keys.
    SyncEnd {
        keys: u32,
    },
    /// One command of the replication stream; `offset` counts commands from 1.
    Repl {
        offset: u32,
        op: WriteOp,
    },
    /// Replica → master, every second: `REPLCONF ACK offset`.
    ReplAck {
        offset: u32,
    },
    /// Sentinel → server: `INFO replication`.
    Ping,
    Info {
        role: RedisRole,
        offset: u32,
        link_up: bool,
    },
    /// Sentinel → server: `REPLICAOF host` or `REPLICAOF NO ONE` (`None`).
    ReplicaOf {
        master: Option<NodeId>,
    },
    /// Sentinel → sentinel: `SENTINEL is-master-down-by-addr`; with `vote`, also "vote for me".
    IsMasterDown {
        master: NodeId,
        epoch: u32,
        vote: bool,
    },
    MasterDownReply {
        down: bool,
        leader: Option<NodeId>,
        epoch: u32,
    },
    /// Sentinel → sentinel: the `__sentinel__:hello` message: the master and its config epoch.
    Hello {
        master: NodeId,
        config_epoch: u32,
    },
    /// Client → sentinel: `SENTINEL get-master-addr-by-name`.
    GetMaster {
        req: u32,
    },
    MasterIs {
        req: u32,
        master: NodeId,
    },
}

impl Message for RedisMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Get { .. } => "redis-get",
            Self::Set { .. } => "redis-set",
            Self::Del { .. } => "redis-del",
            Self::Expire { .. } => "redis-expire",
            Self::Incr { .. } => "redis-incr",
            Self::Reply { .. } => "redis-reply",
            Self::Psync { .. } => "redis-psync",
            Self::Continue { .. } => "redis-continue",
            Self::FullSync { .. } => "redis-fullresync",
            Self::LinkReset => "redis-link-reset",
            Self::SyncKey { .. } => "redis-sync-key",
            Self::SyncEnd { .. } => "redis-sync-end",
            Self::Repl { .. } => "redis-repl",
            Self::ReplAck { .. } => "redis-repl-ack",
            Self::Ping => "redis-info?",
            Self::Info { .. } => "redis-info",
            Self::ReplicaOf { .. } => "redis-replicaof",
            Self::IsMasterDown { .. } => "sentinel-is-down?",
            Self::MasterDownReply { .. } => "sentinel-is-down",
            Self::Hello { .. } => "sentinel-hello",
            Self::GetMaster { .. } => "sentinel-get-master",
            Self::MasterIs { .. } => "sentinel-master",
        }
    }
}
