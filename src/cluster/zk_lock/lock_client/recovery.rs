//! How a lock client gets over a lost frame: guaranteed delete and reconnects.
//!
//! Owns Curator's guaranteed delete (a release's delete is sent again, after
//! the read timeout and at once on a reconnect, until the ensemble says the
//! node is gone or the session ends), protected mode's clean-up of an
//! attempt given up while its create was unanswered (the children are
//! listed for its GUID, again until answered, and the node found is
//! deleted), and the pong check that finds a broken
//! connection (the server sent frames this client never heard), after which
//! the recipe re-checks where it stands. Never starts an attempt or decides
//! who holds the lock: that is the recipe's, in the parent module.

use super::{DELETE, LockClient, LockPhase};
use crate::cluster::timer_tag::{self, ZK};
use crate::cluster::zk_lock::ZkMsg;
use crate::sim::Ctx;

impl LockClient {
    pub(super) fn send_delete<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, session: u32, seq: u32) {
        let xid = self.xid();
        self.deleting.insert(seq, xid);
        ctx.send(self.server, ZkMsg::Delete { session, xid, seq }.into());
        ctx.set_timer(timer_tag::key(ZK, DELETE), self.read_timeout_us());
    }

    /// Guaranteed delete: every delete not yet confirmed goes again, and
    /// every abandoned attempt's node is looked for again.
    pub(super) fn retry_deletes<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, session: u32) {
        let seqs: Vec<u32> = self.deleting.keys().copied().collect();
        for seq in seqs {
            self.deletes_retried += 1;
            self.send_delete(ctx, session, seq);
        }
        let guids: Vec<u64> = self.abandoned.keys().copied().collect();
        for guid in guids {
            self.find_and_delete(ctx, session, guid);
        }
    }

    /// Looks for an abandoned attempt's node by its GUID, to delete it. (A
    /// create still on its way is handled before this request, or never:
    /// the ensemble handles a session's requests in xid order.)
    pub(super) fn find_and_delete<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, session: u32, guid: u64) {
        let xid = self.xid();
        self.abandoned.insert(guid, xid);
        ctx.send(self.server, ZkMsg::GetChildren { session, xid, guid }.into());
        ctx.set_timer(timer_tag::key(ZK, DELETE), self.read_timeout_us());
    }

    /// The children, listed for an abandoned attempt: delete its node if
    /// there is one.
    pub(super) fn found_abandoned<M: From<ZkMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        session: u32,
        xid: u32,
        mine: Option<u32>,
    ) {
        self.abandoned.retain(|_, &mut x| x != xid);
        match mine {
            Some(seq) => self.send_delete(ctx, session, seq),
            None => self.deleted(ctx, |_, _| false),
        }
    }

    /// The node is gone (deleted now, or already: NONODE counts as done).
    pub(super) fn deleted<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, done: impl Fn(u32, u32) -> bool) {
        self.deleting.retain(|&seq, &mut xid| !done(seq, xid));
        if self.deleting.is_empty() && self.abandoned.is_empty() {
            ctx.cancel_timer(timer_tag::key(ZK, DELETE));
        }
    }

    /// The server has sent `frames` frames, this pong included. More of
    /// them missing than at the last pong means one was lost since, so the
    /// connection broke and has been remade. (A frame the pong overtook —
    /// the model's links reorder when a slow node speeds up — arrives later
    /// and brings the count back: at worst one needless re-check.)
    pub(super) fn pong<M: From<ZkMsg>>(&mut self, ctx: &mut Ctx<'_, M>, session: u32, frames: u32) {
        let missing = frames.saturating_sub(self.frames_heard);
        let lost = missing > self.frames_missing;
        self.frames_missing = missing;
        if !lost {
            return;
        }
        self.reconnects += 1;
        ctx.log(format!("zk client: connection lost and remade, session 0x{session:x} still alive"));
        self.retry_deletes(ctx, session);
        let in_queue = matches!(self.phase, LockPhase::Creating | LockPhase::Listing | LockPhase::Watching { .. });
        if self.wants_lock && in_queue {
            self.list(ctx, session);
        }
    }
}
