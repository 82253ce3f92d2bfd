//! The client side of the ZooKeeper lock recipe, run inside a service.
//!
//! Owns one client's session (connect, pings every third of the negotiated
//! timeout) and the recipe's steps: create an ephemeral sequential node
//! carrying the GUID of this acquire attempt, list the children, hold the
//! lock if its node is the lowest, else set an exists-watch on the
//! next-lower node and wait for that one node's deletion. A request that
//! gets no reply in time (the create's reply may be what was lost) is
//! recovered by listing the children and finding its own node by GUID,
//! creating it only if it is not there; only the reply to the request it
//! waits on (by xid) moves it on. As in Curator's protected mode
//! (`_c_<uuid>-lock-`), the GUID is fresh for every acquire attempt, so a
//! node left by an earlier attempt or session is never taken for this one's.
//! Releasing is Curator's guaranteed delete: the delete is sent again
//! (after the read timeout) until the ensemble says the node is gone or the
//! session ends, so a lost delete leaves no node behind; an attempt given up
//! before its node was known has the node found by GUID and deleted.
//! The session rides on one TCP connection, on which no frame is lost; a
//! frame the model's network drops stands for a connection that broke, and
//! a real client would reconnect and re-register its watch (setWatches),
//! which fires at once if the node is gone. The model's client names its
//! watch on every ping to the same effect, so a lost watch event is fired
//! again within a ping and never leaves a waiter stuck.
//! Never learns that its session expired until the ensemble answers a later
//! request: a paused holder wakes up still believing it holds the lock.

use super::{FencingToken, ZkError, ZkMsg};
use crate::cluster::timer_tag::{self, ZK};
use crate::sim::{Ctx, NodeId, SEC, TimeUs, TimerKey};
use std::collections::BTreeMap;

mod recovery;

/// Client settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockClientConfig {
    /// The session timeout asked for; the server clamps it to 4–40 s
    /// (Curator asks 60 s and gets 40 s).
    pub session_timeout_us: TimeUs,
}

impl Default for LockClientConfig {
    fn default() -> Self {
        Self { session_timeout_us: 10 * SEC }
    }
}

/// Where the recipe stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockPhase {
    /// Not queueing.
    Idle,
    /// Waiting for a session.
    Connecting,
    /// Creating our ephemeral sequential node.
    Creating,
    /// Reading the children to see where we stand.
    Listing,
    /// Waiting for the deletion of the next-lower node.
    Watching { predecessor: u32 },
    /// Our node is the lowest: we hold the lock.
    Held { seq: u32, token: FencingToken },
}

/// What the recipe reports to the service hosting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockEvent {
    /// Our node became the lowest; the token goes with every write.
    Acquired { token: FencingToken },
    /// The ensemble said the session expired; `was_holding` if this client
    /// believed until now that it held the lock.
    SessionExpired { was_holding: bool },
}

const PING: u64 = 1;
const REQUEST: u64 = 2;
const DELETE: u64 = 3;

/// The GUID of acquire attempt `attempt` of client `client_id`: unique
/// across clients, attempts and restarts, as Curator's random UUID is.
pub fn attempt_guid(client_id: u32, attempt: u32) -> u64 {
    (u64::from(client_id) << 32) | u64::from(attempt)
}

/// One lock client. Everything is volatile (a crash forgets the session; the
/// server keeps the session, and any lock node, until it expires), except the
/// client id, the attempt counter (standing in for a UUID's uniqueness) and
/// the other counters.
#[derive(Clone, Debug)]
pub struct LockClient {
    pub config: LockClientConfig,
    pub server: NodeId,
    /// Unique per client; with the attempt counter it makes each attempt's GUID.
    pub client_id: u32,
    /// Acquire attempts begun so far.
    pub attempts: u32,
    /// The current attempt's GUID: part of its node's name, to find the node
    /// after a lost reply.
    pub guid: u64,
    pub session: Option<u32>,
    pub negotiated_timeout_us: TimeUs,
    pub phase: LockPhase,
    pub my_seq: Option<u32>,
    wants_lock: bool,
    next_xid: u32,
    /// The xid of the create, getChildren or exists the recipe waits on.
    pending_xid: Option<u32>,
    /// Guaranteed deletes not yet confirmed: node → xid of the last try.
    pub deleting: BTreeMap<u32, u32>,
    /// Attempts given up before their node was known: GUID → xid of the
    /// last getChildren that looks for the node to delete it.
    pub abandoned: BTreeMap<u64, u32>,
    pub grants: u64,
    pub expirations_seen: u64,
    pub deletes_retried: u64,
}

impl LockClient {
    pub fn new(config: LockClientConfig, server: NodeId, client_id: u32) -> Self {
        Self {
            config,
            server,
            client_id,
            attempts: 0,
            guid: 0,
            session: None,
            negotiated_timeout_us: 0,
            phase: LockPhase::Idle,
            my_seq: None,
            wants_lock: false,
            next_xid: 0,
            pending_xid: None,
            deleting: BTreeMap::new(),
            abandoned: BTreeMap::new(),
            grants: 0,
            expirations_seen: 0,
            deletes_retried: 0,
        }
    }

    pub fn holds_lock(&self) -> bool {
        matches!(self.phase, LockPhase::Held { .. })
    }

    pub fn token(&self) -> Option<FencingToken> {
        match self.phase {
            LockPhase::Held { token, .. } => Some(token),
            _ => None,
        }
    }

    pub fn on_crash(&mut self) {
        let fresh = Self::new(self.config.clone(), self.server, self.client_id);
        *self = Self {
            attempts: self.attempts,
            grants: self.grants,
            expirations_seen: self.expirations_seen,
            deletes_retried: self.deletes_retried,
            ..fresh
        };
    }

    /// Start queueing for the lock (connecting first if need be): a new
    /// attempt, with a GUID of its own.
    pub fn acquire<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.wants_lock = true;
        self.attempts += 1;
        self.guid = attempt_guid(self.client_id, self.attempts);
        self.begin(ctx);
    }

    /// Connect if need be, then create the attempt's node.
    fn begin<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        match self.session {
            None => {
                self.phase = LockPhase::Connecting;
                let timeout_ms = (self.config.session_timeout_us / 1_000) as u32;
                ctx.send(self.server, ZkMsg::Connect { timeout_ms }.into());
                self.await_reply(ctx);
            }
            Some(session) => self.create(ctx, session),
        }
    }

    /// Leave the queue or give the lock up: delete our node, guaranteed (if
    /// its create is still unanswered, find it by GUID first).
    pub fn release<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.wants_lock = false;
        let creating = matches!(self.phase, LockPhase::Creating | LockPhase::Listing);
        match (self.session, self.my_seq) {
            (Some(session), Some(seq)) => self.send_delete(ctx, session, seq),
            (Some(session), None) if creating => self.find_and_delete(ctx, session, self.guid),
            _ => {}
        }
        self.my_seq = None;
        self.phase = LockPhase::Idle;
        ctx.cancel_timer(timer_tag::key(ZK, REQUEST));
    }

    fn xid(&mut self) -> u32 {
        self.next_xid = self.next_xid.wrapping_add(1) % super::PING_XID;
        self.next_xid
    }

    /// ZooKeeper's read timeout: 2/3 of the session timeout.
    fn read_timeout_us(&self) -> TimeUs {
        let timeout_us =
            if self.negotiated_timeout_us > 0 { self.negotiated_timeout_us } else { self.config.session_timeout_us };
        timeout_us * 2 / 3
    }

    /// A reply is due; without one in the read timeout the request is
    /// treated as lost.
    fn await_reply<M: From<ZkMsg>>(&self, ctx: &mut Ctx<'_, M>) {
        ctx.set_timer(timer_tag::key(ZK, REQUEST), self.read_timeout_us());
    }

    /// Sends the recipe's next request; only the reply to it will count.
    fn ask<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, phase: LockPhase, request: impl FnOnce(u32) -> ZkMsg) {
        self.phase = phase;
        let xid = self.xid();
        self.pending_xid = Some(xid);
        ctx.send(self.server, request(xid).into());
        self.await_reply(ctx);
    }

    fn create<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, session: u32) {
        let guid = self.guid;
        self.ask(ctx, LockPhase::Creating, |xid| ZkMsg::Create { session, xid, guid });
    }

    fn list<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, session: u32) {
        let guid = self.guid;
        self.ask(ctx, LockPhase::Listing, |xid| ZkMsg::GetChildren { session, xid, guid });
    }

    /// Whether `xid` is the request the recipe waits on (a reply to one it
    /// gave up on, or to an earlier attempt's, says nothing about now).
    fn awaited(&self, xid: u32) -> bool {
        self.pending_xid == Some(xid)
    }

    pub fn on_message<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, msg: ZkMsg) -> Option<LockEvent> {
        if matches!(msg, ZkMsg::Error { error: ZkError::SessionExpired, .. }) {
            // Several requests may have been in flight: report it once.
            return self.session.is_some().then(|| self.expired(ctx));
        }
        if let ZkMsg::Connected { session, timeout_ms } = msg {
            self.connected(ctx, session, timeout_ms);
            return None;
        }
        let session = self.session?;
        match (msg, self.phase) {
            (ZkMsg::Deleted { seq, .. }, _) => self.deleted(ctx, |s, _| s == seq),
            (ZkMsg::Error { xid, error: ZkError::NoNode }, _) => self.deleted(ctx, |_, x| x == xid),
            (ZkMsg::Children { xid, mine, .. }, _) if self.abandoned.values().any(|&x| x == xid) => {
                self.found_abandoned(ctx, session, xid, mine);
            }
            (ZkMsg::Created { xid, seq, .. }, LockPhase::Creating) if self.awaited(xid) => {
                self.my_seq = Some(seq);
                self.list(ctx, session);
            }
            (ZkMsg::Children { xid, lowest, mine, below }, LockPhase::Listing) if self.awaited(xid) => {
                self.pending_xid = None;
                ctx.cancel_timer(timer_tag::key(ZK, REQUEST));
                return self.on_children(ctx, session, lowest, mine, below);
            }
            (ZkMsg::Stat { xid, exists: false, .. }, LockPhase::Watching { .. }) if self.awaited(xid) => {
                self.list(ctx, session);
            }
            (ZkMsg::Stat { xid, .. }, LockPhase::Watching { .. }) if self.awaited(xid) => {
                self.pending_xid = None;
                ctx.cancel_timer(timer_tag::key(ZK, REQUEST));
            }
            (ZkMsg::NodeDeleted { seq }, LockPhase::Watching { predecessor }) if seq == predecessor => {
                self.list(ctx, session);
            }
            _ => {}
        }
        None
    }

    fn connected<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, session: u32, timeout_ms: u32) {
        if self.session.is_some() {
            return;
        }
        self.session = Some(session);
        self.negotiated_timeout_us = TimeUs::from(timeout_ms) * 1_000;
        ctx.set_timer(timer_tag::key(ZK, PING), self.negotiated_timeout_us / 3);
        if self.wants_lock {
            self.create(ctx, session);
        } else {
            self.phase = LockPhase::Idle;
            ctx.cancel_timer(timer_tag::key(ZK, REQUEST));
        }
    }

    fn on_children<M: From<ZkMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        session: u32,
        lowest: Option<u32>,
        mine: Option<u32>,
        below: Option<u32>,
    ) -> Option<LockEvent> {
        let Some(seq) = mine else {
            // Our create never took effect (the GUID finds no node): create it now.
            self.my_seq = None;
            self.create(ctx, session);
            return None;
        };
        self.my_seq = Some(seq);
        match below {
            _ if lowest == Some(seq) => {
                self.phase = LockPhase::Held { seq, token: seq };
                self.grants += 1;
                Some(LockEvent::Acquired { token: seq })
            }
            Some(predecessor) => {
                let watching = LockPhase::Watching { predecessor };
                self.ask(ctx, watching, |xid| ZkMsg::Exists { session, xid, seq: predecessor });
                None
            }
            None => {
                self.list(ctx, session);
                None
            }
        }
    }

    fn expired<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>) -> LockEvent {
        let was_holding = self.holds_lock();
        self.expirations_seen += 1;
        self.session = None;
        self.my_seq = None;
        self.phase = LockPhase::Idle;
        self.wants_lock = false;
        self.deleting.clear(); // the ensemble deleted them with the session
        self.abandoned.clear();
        ctx.cancel_timer(timer_tag::key(ZK, PING));
        ctx.cancel_timer(timer_tag::key(ZK, REQUEST));
        ctx.cancel_timer(timer_tag::key(ZK, DELETE));
        LockEvent::SessionExpired { was_holding }
    }

    pub fn on_timer<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        match (timer_tag::local_of(key), self.session) {
            (PING, Some(session)) => {
                let watching = match self.phase {
                    LockPhase::Watching { predecessor } => Some(predecessor),
                    _ => None,
                };
                ctx.send(self.server, ZkMsg::Ping { session, watching }.into());
                ctx.set_timer(key, self.negotiated_timeout_us / 3);
            }
            // Connection loss before the session was made: ask again.
            (REQUEST, None) if self.wants_lock => self.begin(ctx),
            // A lost reply: the children (and our GUID among them) tell us
            // where we stand, whichever request it was.
            (REQUEST, Some(session)) if self.wants_lock => self.list(ctx, session),
            (DELETE, Some(session)) => self.retry_deletes(ctx, session),
            _ => {}
        }
    }
}
