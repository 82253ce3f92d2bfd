//! How a lock client makes sure its nodes go: guaranteed delete and clean-up.
//!
//! Owns Curator's guaranteed delete (a release's delete is sent again, after
//! the read timeout, until the ensemble says the node is gone or the
//! session ends) and protected mode's clean-up of an attempt given up while
//! its create was unanswered (the children are listed for its GUID, again
//! until answered, and the node found is deleted). Never starts an attempt
//! or decides who holds the lock: that is the recipe's, in the parent module.

use super::{DELETE, LockClient};
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
}
