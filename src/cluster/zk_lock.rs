//! A ZooKeeper ensemble (as one logical server) and the client-side lock recipe.
//!
//! Owns the `/locker` parent with its ephemeral sequential children
//! (`DataNode1`, `DataNode2`, … modelled as (GUID, sequence)), client sessions
//! with their negotiated timeouts (clamped to 2–20 × tickTime), expiry of
//! sessions that stop pinging (their ephemeral nodes are deleted and the
//! one watcher of each is told), one-shot exists-watches, and the `zxid`
//! counter. `LockClient` is the recipe a service runs: create → getChildren →
//! lowest? hold : watch the next-lower node; after a lost reply it finds its
//! own node again by the GUID of its acquire attempt (fresh per attempt).
//! The grant carries a fencing token: the node's sequence number (the
//! parent's cversion at creation), which only grows. A session's requests
//! are handled in xid order (one overtaken by a later one is dropped). A
//! session rides on a TCP connection, where no frame is lost while it lives;
//! a frame the model's network drops stands for a connection that broke,
//! after which a real client reconnects and re-registers its watches
//! (setWatches), and the server fires at once any whose node is gone. The
//! model's client names its watch on every ping, and the server answers it
//! as setWatches does, so a lost watch event is fired again within a ping.
//! Never tells an expired client anything until it speaks again, and never
//! checks a fencing token itself: the resource does (see `inventory`).

use super::timer_tag::{self, ZK};
use crate::sim::{Ctx, Message, NodeId, SEC, TimeUs, TimerKey};
use std::collections::BTreeMap;

mod lock_client;
pub use lock_client::{LockClient, LockClientConfig, LockEvent, LockPhase, attempt_guid};

/// The lock's parent znode and the prefix of its children, as in the text.
pub const LOCK_PATH: &str = "/locker";
pub const NODE_PREFIX: &str = "DataNode";
/// The xid ZooKeeper gives pings (-2 in the wire protocol).
pub const PING_XID: u32 = u32::MAX - 1;

/// The fencing token a lock grant carries.
pub type FencingToken = u32;

/// Why a ZooKeeper request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ZkError {
    /// SESSIONEXPIRED: the session is gone; its ephemeral nodes with it.
    SessionExpired,
    /// NONODE: the znode does not exist.
    NoNode,
}

/// What clients and the ensemble say to each other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ZkMsg {
    /// ConnectRequest for a new session, asking for `timeout_ms`.
    Connect { timeout_ms: u32 },
    /// The session and the timeout the server negotiated.
    Connected { session: u32, timeout_ms: u32 },
    /// The client is alive (sent every third of the session timeout), with
    /// the node it holds an exists-watch on, if any: what setWatches would
    /// carry on a reconnect.
    Ping { session: u32, watching: Option<u32> },
    /// Reply to a ping.
    Pong,
    /// create(`/locker/_c_<guid>-lock-`, EPHEMERAL_SEQUENTIAL), the GUID
    /// fresh for each acquire attempt (Curator's protected mode).
    Create { session: u32, xid: u32, guid: u64 },
    /// The node `DataNode<seq>`, created by transaction `czxid`.
    Created { xid: u32, seq: u32, czxid: u64 },
    /// getChildren(`/locker`), no watch.
    GetChildren { session: u32, xid: u32, guid: u64 },
    /// What the recipe reads from the children (a reply carries no list):
    /// the lowest sequence, the caller's own node found by its GUID, and the
    /// next-lower node than the caller's.
    Children { xid: u32, lowest: Option<u32>, mine: Option<u32>, below: Option<u32> },
    /// exists(node, watch = true).
    Exists { session: u32, xid: u32, seq: u32 },
    /// Whether the node exists (if so, the watch is set).
    Stat { xid: u32, seq: u32, exists: bool },
    /// delete(node): release the lock or leave the queue.
    Delete { session: u32, xid: u32, seq: u32 },
    /// The node is gone.
    Deleted { xid: u32, seq: u32 },
    /// Watch event: NodeDeleted for a node the receiver watched.
    NodeDeleted { seq: u32 },
    /// A request failed.
    Error { xid: u32, error: ZkError },
}

impl Message for ZkMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Connect { .. } => "zk-connect",
            Self::Connected { .. } => "zk-connected",
            Self::Ping { .. } => "zk-ping",
            Self::Pong => "zk-pong",
            Self::Create { .. } => "zk-create",
            Self::Created { .. } => "zk-created",
            Self::GetChildren { .. } => "zk-get-children",
            Self::Children { .. } => "zk-children",
            Self::Exists { .. } => "zk-exists-watch",
            Self::Stat { .. } => "zk-stat",
            Self::Delete { .. } => "zk-delete",
            Self::Deleted { .. } => "zk-deleted",
            Self::NodeDeleted { .. } => "zk-watch-node-deleted",
            Self::Error { .. } => "zk-error",
        }
    }
}

/// The name of a lock child, e.g. `/locker/DataNode3`.
pub fn node_name(seq: u32) -> String {
    format!("{LOCK_PATH}/{NODE_PREFIX}{seq}")
}

/// Ensemble settings; defaults are ZooKeeper's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZkConfig {
    /// `tickTime` 2000 ms: the unit of session timeouts and of expiry checks.
    pub tick_time_us: TimeUs,
    /// `minSessionTimeout`, default 2 × tickTime.
    pub min_session_timeout_us: TimeUs,
    /// `maxSessionTimeout`, default 20 × tickTime (so Curator's 60 s becomes 40 s).
    pub max_session_timeout_us: TimeUs,
}

impl Default for ZkConfig {
    fn default() -> Self {
        Self { tick_time_us: 2 * SEC, min_session_timeout_us: 4 * SEC, max_session_timeout_us: 40 * SEC }
    }
}

/// One client session as the ensemble tracks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZkSession {
    /// Where the session's client last spoke from (watch events go there).
    pub client: NodeId,
    pub timeout_us: TimeUs,
    /// Expiry moment, rounded up to the next tick as ZooKeeper's ExpiryQueue does.
    pub expires_at_us: TimeUs,
    /// The highest request xid handled (pings aside).
    pub last_xid: u32,
}

/// One ephemeral sequential child of `/locker`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZNode {
    /// The GUID of the acquire attempt that created it.
    pub guid: u64,
    pub session: u32,
    pub czxid: u64,
}

const TICK: u64 = 0;

/// The ensemble, seen as one service. Durable (replicated on a quorum's
/// transaction logs, so a restart keeps it): the tree, the sessions, the
/// watches, `zxid` and the counters. Volatile: only whether the expiry tick
/// is armed; on restart every session gets a fresh timeout, as under a new
/// leader.
#[derive(Clone, Debug)]
pub struct ZkServer {
    pub config: ZkConfig,
    pub zxid: u64,
    /// The parent's cversion: the next child's sequence number minus one.
    pub cversion: u32,
    pub children: BTreeMap<u32, ZNode>,
    pub sessions: BTreeMap<u32, ZkSession>,
    /// One-shot exists-watches: watched node → sessions watching it (each
    /// once, however often it asked).
    pub watches: BTreeMap<u32, Vec<u32>>,
    next_session: u32,
    pub sessions_expired: u64,
    pub watch_events_sent: u64,
    /// Watch events fired again because a ping named a watch on a node
    /// already gone (the first event was lost).
    pub watch_events_refired: u64,
    tick_armed: bool,
}

impl ZkServer {
    pub fn new(config: ZkConfig) -> Self {
        Self {
            config,
            zxid: 0,
            cversion: 0,
            children: BTreeMap::new(),
            sessions: BTreeMap::new(),
            watches: BTreeMap::new(),
            next_session: 0,
            sessions_expired: 0,
            watch_events_sent: 0,
            watch_events_refired: 0,
            tick_armed: false,
        }
    }

    /// The current holder's node: the lowest child.
    pub fn holder(&self) -> Option<(u32, ZNode)> {
        self.children.first_key_value().map(|(&seq, &node)| (seq, node))
    }

    /// ZooKeeper's `roundToNextInterval`: expiry is checked once per tick.
    fn expiry_after(&self, now_us: TimeUs, timeout_us: TimeUs) -> TimeUs {
        let tick = self.config.tick_time_us.max(1);
        ((now_us + timeout_us) / tick + 1) * tick
    }

    fn arm_tick<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if !self.tick_armed && !self.sessions.is_empty() {
            let tick = self.config.tick_time_us.max(1);
            ctx.set_timer(timer_tag::key(ZK, TICK), tick - ctx.now_us % tick);
            self.tick_armed = true;
        }
    }

    pub fn on_start<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let now_us = ctx.now_us;
        let renewed: Vec<(u32, TimeUs)> =
            self.sessions.iter().map(|(&id, s)| (id, self.expiry_after(now_us, s.timeout_us))).collect();
        for (id, expires_at_us) in renewed {
            if let Some(s) = self.sessions.get_mut(&id) {
                s.expires_at_us = expires_at_us;
            }
        }
        self.arm_tick(ctx);
    }

    pub fn on_crash(&mut self) {
        self.tick_armed = false;
    }

    pub fn on_message<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: ZkMsg) {
        let (session, xid) = match msg {
            ZkMsg::Connect { timeout_ms } => return self.connect(ctx, from, timeout_ms),
            ZkMsg::Ping { session, .. } => (session, PING_XID),
            ZkMsg::Create { session, xid, .. }
            | ZkMsg::GetChildren { session, xid, .. }
            | ZkMsg::Exists { session, xid, .. }
            | ZkMsg::Delete { session, xid, .. } => (session, xid),
            _ => return,
        };
        // Any request from a live session is a heartbeat; an expired one is
        // told so now, and only now.
        let Some(s) = self.sessions.get(&session).copied() else {
            ctx.send(from, ZkMsg::Error { xid, error: ZkError::SessionExpired }.into());
            return;
        };
        // A session's requests are handled in xid order, as they come over
        // its one TCP connection. One older than a request already handled
        // was sent on a connection since replaced (the model's links reorder
        // when a slow node speeds up): a real server has closed that
        // connection and never sees it.
        if xid != PING_XID && xid <= s.last_xid {
            return;
        }
        let last_xid = if xid == PING_XID { s.last_xid } else { xid };
        let expires_at_us = self.expiry_after(ctx.now_us, s.timeout_us);
        self.sessions.insert(session, ZkSession { client: from, expires_at_us, last_xid, ..s });
        let reply = match msg {
            ZkMsg::Create { guid, .. } => self.create(session, xid, guid),
            ZkMsg::GetChildren { guid, .. } => self.list(xid, guid),
            ZkMsg::Exists { seq, .. } => {
                // (ZooKeeper would also watch a missing node for its creation;
                // the recipe never needs that: it lists the children again.)
                let exists = self.watch(session, seq);
                ZkMsg::Stat { xid, seq, exists }
            }
            ZkMsg::Delete { seq, .. } if self.children.contains_key(&seq) => {
                self.delete(ctx, seq);
                ZkMsg::Deleted { xid, seq }
            }
            ZkMsg::Delete { .. } => ZkMsg::Error { xid, error: ZkError::NoNode },
            ZkMsg::Ping { watching: Some(seq), .. } if !self.watch(session, seq) => {
                // setWatches on a node already gone: its NodeDeleted was lost.
                ctx.send(from, ZkMsg::NodeDeleted { seq }.into());
                self.watch_events_refired += 1;
                ZkMsg::Pong
            }
            _ => ZkMsg::Pong,
        };
        ctx.send(from, reply.into());
    }

    /// Sets the session's exists-watch on `seq` (once) if the node exists;
    /// returns whether it does.
    fn watch(&mut self, session: u32, seq: u32) -> bool {
        let exists = self.children.contains_key(&seq);
        if exists {
            let watchers = self.watches.entry(seq).or_default();
            if !watchers.contains(&session) {
                watchers.push(session);
            }
        }
        exists
    }

    fn connect<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, timeout_ms: u32) {
        let asked_us = TimeUs::from(timeout_ms) * 1_000;
        let timeout_us = asked_us.clamp(self.config.min_session_timeout_us, self.config.max_session_timeout_us);
        self.next_session += 1;
        let session = self.next_session;
        let expires_at_us = self.expiry_after(ctx.now_us, timeout_us);
        self.sessions.insert(session, ZkSession { client: from, timeout_us, expires_at_us, last_xid: 0 });
        ctx.send(from, ZkMsg::Connected { session, timeout_ms: (timeout_us / 1_000) as u32 }.into());
        self.arm_tick(ctx);
    }

    fn create(&mut self, session: u32, xid: u32, guid: u64) -> ZkMsg {
        self.zxid += 1;
        self.cversion += 1;
        let seq = self.cversion;
        self.children.insert(seq, ZNode { guid, session, czxid: self.zxid });
        ZkMsg::Created { xid, seq, czxid: self.zxid }
    }

    fn list(&self, xid: u32, guid: u64) -> ZkMsg {
        let lowest = self.children.keys().next().copied();
        let mine = self.children.iter().find(|(_, n)| n.guid == guid).map(|(&seq, _)| seq);
        let below = mine.and_then(|m| self.children.range(..m).next_back().map(|(&seq, _)| seq));
        ZkMsg::Children { xid, lowest, mine, below }
    }

    /// Deletes a child and tells its watchers: in the recipe exactly one, the
    /// next-higher node's owner (no herd effect).
    fn delete<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, seq: u32) {
        if self.children.remove(&seq).is_none() {
            return;
        }
        self.zxid += 1;
        for session in self.watches.remove(&seq).unwrap_or_default() {
            if let Some(s) = self.sessions.get(&session) {
                ctx.send(s.client, ZkMsg::NodeDeleted { seq }.into());
                self.watch_events_sent += 1;
            }
        }
    }

    pub fn on_timer<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if key != timer_tag::key(ZK, TICK) {
            return;
        }
        self.tick_armed = false;
        let now_us = ctx.now_us;
        let expired: Vec<u32> =
            self.sessions.iter().filter(|(_, s)| s.expires_at_us <= now_us).map(|(&id, _)| id).collect();
        for session in expired {
            self.expire(ctx, session);
        }
        self.arm_tick(ctx);
    }

    fn expire<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, session: u32) {
        self.sessions.remove(&session);
        self.sessions_expired += 1;
        self.zxid += 1; // closeSession is a transaction of its own
        for watchers in self.watches.values_mut() {
            watchers.retain(|&w| w != session);
        }
        let owned: Vec<u32> = self.children.iter().filter(|(_, n)| n.session == session).map(|(&s, _)| s).collect();
        ctx.log(format!("zk: session 0x{session:x} expired, deleting {} ephemeral node(s)", owned.len()));
        for seq in owned {
            self.delete(ctx, seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Command, MS, SimRng};

    /// Session timeouts are clamped to 2–20 × tickTime; expiry lands on the
    /// tick after (last heard + timeout), as ZooKeeper's ExpiryQueue rounds.
    #[test]
    fn negotiates_timeouts_and_rounds_expiry_to_the_next_tick() {
        let cases = [(1_000, 4_000, 6 * SEC), (10_000, 10_000, 12 * SEC), (60_000, 40_000, 42 * SEC)];
        for (asked_ms, granted_ms, expires_at_us) in cases {
            let mut server = ZkServer::new(ZkConfig::default());
            let (mut rng, mut out) = (SimRng::new(1, 1), Vec::new());
            let mut ctx: Ctx<'_, ZkMsg> = Ctx::new(5 * MS, NodeId(0), &mut rng, &mut out);
            server.on_message(&mut ctx, NodeId(1), ZkMsg::Connect { timeout_ms: asked_ms });
            let reply = ZkMsg::Connected { session: 1, timeout_ms: granted_ms };
            assert!(ctx.commands().contains(&Command::Send { to: NodeId(1), msg: reply, delay_us: 0 }), "{asked_ms}");
            assert_eq!(server.sessions[&1].expires_at_us, expires_at_us, "asked {asked_ms} ms");
        }
        assert!(size_of::<ZkMsg>() <= 32);
    }
}
