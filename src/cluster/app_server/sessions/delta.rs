//! Tomcat's DeltaManager in one app server: all-to-all session replication.
//!
//! Owns the send queue of deltas (every session created or changed here is
//! queued at the end of its request and sent, asynchronously, to every other
//! Tomcat of the cluster a moment later), the storing of peers' copies, and
//! the state transfer at start: a starting server asks its peers for all
//! their sessions (`EVT_GET_ALL_SESSIONS`) and queues requests until one
//! answers, every peer refuses, or `stateTransferTimeout` (60 s) passes. What
//! is still queued when the process dies never leaves: that change is lost
//! (replication lag). Plain accesses are not sent: DeltaManager sends one
//! only after a whole `maxInactiveInterval` without replicating the session,
//! longer than the runs here, so a copy's idle clock runs from its last
//! change. Deltas go to the cluster's current members only, as Tomcat's
//! McastService sees them: every running Tomcat announces itself every
//! `frequency` (500 ms) and a member not heard for `dropTime` (3 s), or
//! whose connection is refused, is dropped — so a machine powered off, not
//! yet booted or crashed costs no replication traffic. Never decides where a
//! request goes.

use super::{Resumed, Sessions};
use crate::cluster::message::{Msg, SessionCookie};
use crate::cluster::session_store::{Session, SessionMsg};
use crate::cluster::timer_tag::{self, SESSION};
use crate::sim::{Ctx, NodeId, TimeUs};
use std::collections::{BTreeMap, BTreeSet};

/// Local timer keys: the send queue's flush, the state transfer's deadline.
pub(super) const FLUSH: u64 = 1;
pub(super) const TRANSFER_TIMEOUT: u64 = 2;
/// Local timer key of the membership heartbeat (3 is Spring Session's).
pub(super) const MEMBERSHIP: u64 = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Outgoing {
    cookie: SessionCookie,
    session: Session,
    created: bool,
}

/// Volatile DeltaManager state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct DeltaState {
    outbox: Vec<Outgoing>,
    pub(super) transferring: bool,
    /// Peers asked for their state that have neither answered nor refused.
    awaiting: usize,
    /// The cluster's members as this server sees them, with when each was last heard.
    pub(super) members: BTreeMap<NodeId, TimeUs>,
    /// Members dropped for silence (a pause, a cut, a machine powered off)
    /// and not heard since: what is sent meanwhile never reaches them.
    dropped: BTreeSet<NodeId>,
}

impl DeltaState {
    pub(super) fn unsent(&self) -> (usize, usize) {
        (self.outbox.len(), self.outbox.iter().filter(|o| o.created).count())
    }
}

impl Sessions {
    /// Queue a created or changed session for every peer (replicated only).
    pub(super) fn replicate(&mut self, ctx: &mut Ctx<'_, Msg>, cookie: SessionCookie, session: Session, created: bool) {
        if self.config.store != crate::cluster::session_store::SessionStoreKind::Replicated
            || self.config.peers.is_empty()
        {
            return;
        }
        if self.delta.outbox.is_empty() {
            ctx.set_timer(timer_tag::key(SESSION, FLUSH), self.config.replication_send_us);
        }
        // A later change of the same session replaces the queued one.
        match self.delta.outbox.iter_mut().find(|o| o.cookie == cookie) {
            Some(o) => o.session = session,
            None => self.delta.outbox.push(Outgoing { cookie, session, created }),
        }
    }

    /// The sender thread: every queued delta to every current member.
    pub(super) fn flush(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let outbox = std::mem::take(&mut self.delta.outbox);
        let members: Vec<NodeId> = self.delta.members.keys().copied().collect();
        for o in &outbox {
            for &peer in &members {
                ctx.send(peer, Msg::Session(SessionMsg::Delta { cookie: o.cookie, session: o.session }));
            }
        }
        let sent = (outbox.len() * members.len()) as u64;
        self.count(ctx, |m| m.session_replication, sent);
        if !self.delta.dropped.is_empty() {
            self.counts.creations_missed_by_dropped += outbox.iter().filter(|o| o.created).count() as u64;
        }
    }

    /// McastService: announce this member to every configured peer, and drop
    /// the members not heard for `dropTime`.
    pub(super) fn membership_beat(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.config.store != crate::cluster::session_store::SessionStoreKind::Replicated
            || self.config.peers.is_empty()
        {
            return;
        }
        for &peer in &self.config.peers {
            ctx.send(peer, Msg::Session(SessionMsg::Member));
        }
        let (now, drop_us) = (ctx.now_us, self.config.member_drop_us);
        let silent: Vec<NodeId> = (self.delta.members.iter())
            .filter(|(_, heard)| now.saturating_sub(**heard) > drop_us)
            .map(|(&n, _)| n)
            .collect();
        for peer in silent {
            self.delta.members.remove(&peer);
            self.delta.dropped.insert(peer);
        }
        ctx.set_timer(timer_tag::key(SESSION, MEMBERSHIP), self.config.membership_frequency_us);
    }

    /// The current members (peers heard within `dropTime`).
    pub fn members(&self) -> Vec<NodeId> {
        self.delta.members.keys().copied().collect()
    }

    /// At start: ask every peer for its sessions before serving.
    pub(super) fn start_transfer(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.config.peers.is_empty() {
            return;
        }
        self.delta.transferring = true;
        self.delta.awaiting = self.config.peers.len();
        for &peer in &self.config.peers {
            ctx.send(peer, Msg::Session(SessionMsg::GetAll));
        }
        self.count(ctx, |m| m.session_replication, self.config.peers.len() as u64);
        ctx.set_timer(timer_tag::key(SESSION, TRANSFER_TIMEOUT), self.config.state_transfer_timeout_us);
    }

    pub(super) fn on_peer(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: SessionMsg) -> Option<Resumed> {
        if self.config.peers.contains(&from) {
            self.delta.members.insert(from, ctx.now_us);
            self.delta.dropped.remove(&from);
        }
        match msg {
            SessionMsg::Member => None,
            SessionMsg::Delta { cookie, session } | SessionMsg::State { cookie, session } => {
                self.store_copy(cookie, session);
                None
            }
            SessionMsg::GetAll => {
                self.send_state(ctx, from);
                None
            }
            SessionMsg::StateEnd { sessions } if self.delta.transferring => {
                let why = format!("state transfer: {sessions} session(s) received from #{}", from.0);
                self.transfer_over(ctx, &why)
            }
            SessionMsg::StateEnd { .. } => None,
        }
    }

    /// A peer's copy, unless this server already has the same or newer.
    fn store_copy(&mut self, cookie: SessionCookie, session: Session) {
        match self.table.get(cookie) {
            Some(mine) if mine.newer_or_same(&session) => {}
            _ => self.table.insert(cookie, session),
        }
    }

    /// Answer `EVT_GET_ALL_SESSIONS`: every session here, then the end mark.
    fn send_state(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId) {
        let all: Vec<(SessionCookie, Session)> = self.table.iter().map(|(&c, &s)| (c, s)).collect();
        for &(cookie, session) in &all {
            ctx.send(to, Msg::Session(SessionMsg::State { cookie, session }));
        }
        ctx.send(to, Msg::Session(SessionMsg::StateEnd { sessions: all.len() as u32 }));
        self.count(ctx, |m| m.session_replication, all.len() as u64 + 1);
    }

    pub(super) fn transfer_over(&mut self, ctx: &mut Ctx<'_, Msg>, why: &str) -> Option<Resumed> {
        if !self.delta.transferring {
            return None;
        }
        self.delta.transferring = false;
        self.delta.awaiting = 0;
        ctx.cancel_timer(timer_tag::key(SESSION, TRANSFER_TIMEOUT));
        ctx.log(format!("{why}; serving"));
        Some(Resumed::Ready)
    }

    pub(super) fn peer_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: SessionMsg) -> Option<Resumed> {
        // A refused connection: that member is gone until it announces itself again.
        self.delta.members.remove(&to);
        if msg != SessionMsg::GetAll || !self.delta.transferring {
            return None; // a delta to a dead peer: it will ask for the state when it starts
        }
        self.delta.awaiting = self.delta.awaiting.saturating_sub(1);
        if self.delta.awaiting > 0 {
            return None;
        }
        self.transfer_over(ctx, &format!("state transfer: no peer up (last asked #{})", to.0))
    }
}
