//! MyCat's settings and its protocol with clients.
//!
//! Owns `MycatConfig` (MyCat 1.6's defaults), `Balance`, `SwitchType`, the statements clients
//! send (`Sql`), `QueryFailure`, `QueryResult` and `MycatMsg`. Never routes: the proxy does.

use super::rule::ShardRule;
use crate::cluster::replication::Row;
use crate::sim::{Message, SEC, TimeUs};

/// `balance`: where reads go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Balance {
    /// 0 (MyCat's default): no read/write splitting; every read goes to the write host.
    None,
    /// 1 (also 3 here): reads go to read hosts and standby write hosts.
    ReadHosts,
    /// 2: reads spread over every host, the write host included.
    AllHosts,
}

/// `switchType`: when the write host may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SwitchType {
    /// −1: never switch.
    Never,
    /// 1 (default): switch to the next healthy host.
    Automatic,
    /// 2: switch only to a host whose heartbeat reported `Seconds_Behind_Source` = 0.
    WhenInSync,
}

/// The proxy's settings; defaults are MyCat 1.6's (`schema.xml`, `server.xml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MycatConfig {
    pub rule: ShardRule,
    /// `balance` 0.
    pub balance: Balance,
    /// `switchType` 1.
    pub switch_type: SwitchType,
    /// `slaveThreshold` 100 (seconds of `Seconds_Behind_Source`, from the sample schema.xml).
    pub slave_threshold_s: u32,
    /// `dataNodeHeartbeatPeriod` 10 000 ms.
    pub heartbeat_period_us: TimeUs,
    /// Heartbeat timeout 30 s.
    pub heartbeat_timeout_us: TimeUs,
    /// `maxRetryCount` 3: consecutive failed heartbeats before a host is in error.
    pub max_retry_count: u32,
    /// `sqlExecuteTimeout` 300 s.
    pub sql_timeout_us: TimeUs,
    /// Re-point MySQL replication after a switch (promote the new write host, make the others
    /// and a returning old one follow it). MyCat 1.6 only re-routes; this stands for the
    /// operator or HA script that runs `CHANGE REPLICATION SOURCE`.
    pub repoint_replication: bool,
    /// How many routing records the inspector keeps.
    pub route_log_len: usize,
}

impl Default for MycatConfig {
    fn default() -> Self {
        Self {
            rule: ShardRule::shop_range(),
            balance: Balance::None,
            switch_type: SwitchType::Automatic,
            slave_threshold_s: 100,
            heartbeat_period_us: 10 * SEC,
            heartbeat_timeout_us: 30 * SEC,
            max_retry_count: 3,
            sql_timeout_us: 300 * SEC,
            repoint_replication: true,
            route_log_len: 64,
        }
    }
}

/// The statements the shop sends through MyCat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sql {
    /// `SELECT … WHERE id = key` (has the shard key).
    Select { key: u32 },
    /// `UPDATE … SET value = v WHERE id = key` (has the shard key).
    Update { key: u32, value: i32 },
    /// `SELECT COUNT(*)` (no shard key: every shard, merged).
    CountAll,
}

impl Sql {
    pub fn shard_key(&self) -> Option<u32> {
        match *self {
            Self::Select { key } | Self::Update { key, .. } => Some(key),
            Self::CountAll => None,
        }
    }
}

/// Why a query failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueryFailure {
    /// The shard key is outside every range ("can't find any valid datanode").
    NoShardForKey,
    /// A backend's host refused the connection (its MySQL is down).
    BackendRefused,
    /// No answer within `sqlExecuteTimeout`.
    BackendTimeout,
    /// The backend is a read-only replica.
    ReadOnly,
}

/// A merged answer: the row (single-shard reads) and the row count over every shard touched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueryResult {
    pub row: Row,
    pub rows: u32,
}

/// Between clients (app servers) and MyCat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MycatMsg {
    Query { id: u32, sql: Sql },
    Done { id: u32, result: QueryResult },
    Failed { id: u32, reason: QueryFailure },
}

impl Message for MycatMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Query { .. } => "mycat-query",
            Self::Done { .. } => "mycat-done",
            Self::Failed { .. } => "mycat-failed",
        }
    }
}
