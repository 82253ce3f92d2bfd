//! Two-phase commit (Gray & Lamport 2006) between the order and inventory services.
//!
//! Owns the coordinator (`TpcCoordinator`): it sends CanCommit? (prepare) to
//! every participant, force-logs its decision once every vote is in (commit
//! only if all said Yes), then sends DoCommit / DoAbort and logs END when the
//! commits are acknowledged. Presumed abort (R*, Mohan 1986): aborts are not
//! forced nor acknowledged, and a coordinator that knows nothing of a
//! transaction answers "abort". The participants (`participant`) force-log
//! PREPARED before voting Yes and then hold their locks, in doubt, until the
//! decision comes: if the coordinator dies they are BLOCKED. Logs and
//! committed data are durable; everything else is volatile. With two-phase
//! commit switched off, each service commits locally on its own, and a
//! failure on one side leaves the other committed: `check_atomicity` sees it.
//! Each transaction enlists the participants its product needs (`enlist`:
//! all, or the order service plus the stock shard owning the product).
//! Never lets a participant decide alone once it has voted Yes.

use super::timer_tag::{self, TWO_PC_COORDINATOR};
use crate::sim::{Ctx, MS, NodeId, SEC, TimeUs, TimerKey};
use std::collections::{BTreeMap, VecDeque};

mod atomicity;
mod enlist;
mod participant;
mod retention;
mod waiters;
mod wire;
pub use atomicity::{check_atomicity, check_atomicity_recent};
pub use enlist::{Enlist, ProductShard};
pub use participant::{PLogKind, PLogRecord, ParticipantTxn, Resource, TpcParticipant, TpcParticipantConfig, Work};
pub use retention::{FINISHED_KEPT, PARTICIPANT_FINISHED_KEPT};
use wire::note;
pub use wire::{AbortReason, TpcEvent, TpcMsg, TpcPhase, TxnOutcome, Vote};

/// The coordinator's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TpcCoordinatorConfig {
    /// Two-phase commit on; off, each service commits locally on its own.
    pub two_phase: bool,
    /// Time to force a log record to disk (an fsync).
    pub log_force_us: TimeUs,
    /// How long to wait for every vote before deciding abort.
    pub vote_timeout_us: TimeUs,
    /// How often an unacknowledged DoCommit is sent again.
    pub decision_resend_us: TimeUs,
    /// Which participants each transaction enlists.
    pub enlist: Enlist,
}

impl Default for TpcCoordinatorConfig {
    fn default() -> Self {
        Self {
            two_phase: true,
            log_force_us: 2 * MS,
            vote_timeout_us: 10 * SEC,
            decision_resend_us: SEC,
            enlist: Enlist::All,
        }
    }
}

/// A coordinator log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CLogKind {
    /// Forced before any DoCommit leaves.
    Commit,
    /// Written lazily (presumed abort needs no forced abort record).
    Abort,
    End,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CLogRecord {
    pub txn: u32,
    pub kind: CLogKind,
    /// The participants the transaction enlisted (bit i = participant i).
    pub members: u32,
    pub at_us: TimeUs,
}

/// Where an open transaction stands at the coordinator (bit i = participant i).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoordState {
    /// Phase 1: the Yes votes so far.
    Collecting { yes: u32 },
    /// Every vote was Yes; COMMIT is being forced to the log.
    Forcing,
    /// Phase 2: DoCommit sent; the acks so far.
    Committing { acked: u32 },
    /// Without 2PC: who answered, who committed, the first failure.
    Local { done: u32, committed: u32, failure: Option<AbortReason> },
}

/// An open transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoordTxn {
    pub client: Option<NodeId>,
    pub product: u32,
    pub qty: u32,
    /// The participants enlisted (bit i = participant i).
    pub members: u32,
    pub state: CoordState,
}

const VOTE_TIMER: u64 = 1 << 40;
const FORCE_TIMER: u64 = 2 << 40;
const RESEND_TIMER: u64 = 3 << 40;
const TXN_MASK: u64 = (1 << 40) - 1;

/// The coordinator. Durable: its log, the transaction counter, the timeline
/// and the outcomes. Volatile: the open transactions. Ended transactions beyond
/// the newest `FINISHED_KEPT` are forgotten (`retention`); counters keep totals.
#[derive(Clone, Debug)]
pub struct TpcCoordinator {
    pub config: TpcCoordinatorConfig,
    pub participants: Vec<NodeId>,
    pub log: Vec<CLogRecord>,
    next_txn: u32,
    pub timeline: VecDeque<TpcEvent>,
    /// How the newest `FINISHED_KEPT` ended transactions ended.
    pub outcomes: BTreeMap<u32, TxnOutcome>,
    /// Ended transactions still remembered, oldest first.
    pub ended: VecDeque<u32>,
    /// Every transaction ever ended, by outcome.
    pub committed_txns: u64,
    pub aborted_txns: u64,
    pub partially_committed_txns: u64,
    pub active: BTreeMap<u32, CoordTxn>,
    /// The latest transactions logged END with their members, newest last
    /// (for the per-event check).
    pub recent_ends: VecDeque<(u32, u32, TimeUs)>,
}

impl TpcCoordinator {
    pub fn new(config: TpcCoordinatorConfig, participants: Vec<NodeId>) -> Self {
        Self {
            config,
            participants,
            log: Vec::new(),
            next_txn: 1,
            timeline: VecDeque::new(),
            outcomes: BTreeMap::new(),
            ended: VecDeque::new(),
            committed_txns: 0,
            aborted_txns: 0,
            partially_committed_txns: 0,
            active: BTreeMap::new(),
            recent_ends: VecDeque::new(),
        }
    }

    fn index_of(&self, node: NodeId) -> Option<u32> {
        self.participants.iter().position(|&p| p == node).map(|i| 1 << i)
    }

    pub fn logged(&self, txn: u32, kind: CLogKind) -> bool {
        self.log.iter().any(|r| r.txn == txn && r.kind == kind)
    }

    fn append(&mut self, ctx: &Ctx<'_, impl Sized>, txn: u32, kind: CLogKind, members: u32) {
        self.log.push(CLogRecord { txn, kind, members, at_us: ctx.now_us });
        if kind == CLogKind::End {
            atomicity::remember(&mut self.recent_ends, (txn, members, ctx.now_us));
        }
    }

    /// The participants of `members`, with their bits.
    fn enlisted(&self, members: u32) -> impl Iterator<Item = (u32, NodeId)> + '_ {
        (self.participants.iter().enumerate()).map(|(i, &p)| (1u32 << i, p)).filter(move |(b, _)| members & b != 0)
    }

    pub fn on_crash(&mut self) {
        self.active.clear();
    }

    /// Recovery: every transaction with a logged Commit and no End is
    /// committed again; anything else is presumed aborted when asked.
    pub fn on_start<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let unfinished: Vec<(u32, u32)> = self
            .log
            .iter()
            .filter(|r| r.kind == CLogKind::Commit && !self.logged(r.txn, CLogKind::End))
            .map(|r| (r.txn, r.members))
            .collect();
        for (txn, members) in unfinished {
            note(&mut self.timeline, ctx, txn, TpcPhase::Recovered);
            let state = CoordState::Committing { acked: 0 };
            self.active.insert(txn, CoordTxn { client: None, product: 0, qty: 0, members, state });
            self.send_decision(ctx, txn, true);
        }
    }

    /// Start a transaction for `client` (None: started by a driver).
    pub fn begin<M: From<TpcMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        client: Option<NodeId>,
        product: u32,
        qty: u32,
    ) -> u32 {
        let txn = self.next_txn;
        self.next_txn += 1;
        note(&mut self.timeline, ctx, txn, TpcPhase::Begin);
        let (state, msg, phase) = if self.config.two_phase {
            (CoordState::Collecting { yes: 0 }, TpcMsg::Prepare { txn, product, qty }, TpcPhase::CanCommitSent)
        } else {
            let state = CoordState::Local { done: 0, committed: 0, failure: None };
            (state, TpcMsg::Local { txn, product, qty }, TpcPhase::LocalCommitSent)
        };
        let members = self.config.enlist.members(product, self.participants.len());
        self.active.insert(txn, CoordTxn { client, product, qty, members, state });
        for (_, p) in self.enlisted(members) {
            ctx.send(p, msg.into());
        }
        note(&mut self.timeline, ctx, txn, phase);
        ctx.set_timer(timer_tag::key(TWO_PC_COORDINATOR, VOTE_TIMER | u64::from(txn)), self.config.vote_timeout_us);
        txn
    }

    pub fn on_message<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: TpcMsg) {
        match msg {
            TpcMsg::Begin { product, qty, client_ref } => {
                let txn = self.begin(ctx, Some(from), product, qty);
                ctx.send(from, TpcMsg::Begun { client_ref, txn }.into());
            }
            TpcMsg::Vote { txn, vote } => self.on_vote(ctx, from, txn, vote),
            TpcMsg::Ack { txn } => self.on_ack(ctx, from, txn),
            TpcMsg::LocalDone { txn, vote } => self.on_local_done(ctx, from, txn, vote),
            TpcMsg::QueryDecision { txn } => match self.active.get(&txn).map(|t| t.state) {
                Some(CoordState::Committing { .. }) => ctx.send(from, TpcMsg::Decision { txn, commit: true }.into()),
                // Undecided: the participant must keep waiting.
                Some(_) => {}
                None => {
                    let commit = self.logged(txn, CLogKind::Commit);
                    ctx.send(from, TpcMsg::Decision { txn, commit }.into());
                }
            },
            _ => {}
        }
    }

    fn on_vote<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, txn: u32, vote: Vote) {
        let Some(bit) = self.index_of(from) else { return };
        let Some(t) = self.active.get_mut(&txn).filter(|t| t.members & bit != 0) else { return };
        let (CoordState::Collecting { yes }, all) = (t.state, t.members) else { return };
        match vote {
            Vote::No(reason) => self.abort(ctx, txn, reason),
            Vote::Yes if yes | bit == all => {
                t.state = CoordState::Forcing;
                note(&mut self.timeline, ctx, txn, TpcPhase::VotesIn);
                ctx.cancel_timer(timer_tag::key(TWO_PC_COORDINATOR, VOTE_TIMER | u64::from(txn)));
                let force = timer_tag::key(TWO_PC_COORDINATOR, FORCE_TIMER | u64::from(txn));
                ctx.set_timer(force, self.config.log_force_us);
            }
            Vote::Yes => t.state = CoordState::Collecting { yes: yes | bit },
        }
    }

    /// DoAbort to everyone, forget the transaction (presumed abort: no acks).
    fn abort<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, txn: u32, reason: AbortReason) {
        let Some(t) = self.active.remove(&txn) else { return };
        ctx.cancel_timer(timer_tag::key(TWO_PC_COORDINATOR, VOTE_TIMER | u64::from(txn)));
        self.append(ctx, txn, CLogKind::Abort, t.members);
        for (_, p) in self.enlisted(t.members) {
            ctx.send(p, TpcMsg::Decision { txn, commit: false }.into());
        }
        note(&mut self.timeline, ctx, txn, TpcPhase::DoAbortSent(reason));
        self.end(ctx, txn, t, TxnOutcome::Aborted(reason));
    }

    fn end<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, txn: u32, t: CoordTxn, outcome: TxnOutcome) {
        let client = t.client;
        self.append(ctx, txn, CLogKind::End, t.members);
        note(&mut self.timeline, ctx, txn, TpcPhase::End);
        retention::coordinator_ended(self, txn, outcome);
        if let Some(client) = client {
            ctx.send(client, TpcMsg::Outcome { txn, outcome }.into());
        }
    }

    fn send_decision<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, txn: u32, commit: bool) {
        let Some(t) = self.active.get(&txn).copied() else { return };
        let acked = if let CoordState::Committing { acked } = t.state { acked } else { 0 };
        for (_, p) in self.enlisted(t.members & !acked) {
            ctx.send(p, TpcMsg::Decision { txn, commit }.into());
        }
        note(&mut self.timeline, ctx, txn, TpcPhase::DoCommitSent);
        let resend = timer_tag::key(TWO_PC_COORDINATOR, RESEND_TIMER | u64::from(txn));
        ctx.set_timer(resend, self.config.decision_resend_us);
    }

    fn on_ack<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, txn: u32) {
        let Some(bit) = self.index_of(from) else { return };
        let Some(t) = self.active.get_mut(&txn).filter(|t| t.members & bit != 0) else { return };
        let CoordState::Committing { acked } = t.state else { return };
        t.state = CoordState::Committing { acked: acked | bit };
        note(&mut self.timeline, ctx, txn, TpcPhase::AckReceived);
        if acked | bit == t.members {
            let t = *t;
            self.active.remove(&txn);
            ctx.cancel_timer(timer_tag::key(TWO_PC_COORDINATOR, RESEND_TIMER | u64::from(txn)));
            self.end(ctx, txn, t, TxnOutcome::Committed);
        }
    }

    fn on_local_done<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, txn: u32, vote: Vote) {
        let Some(bit) = self.index_of(from) else { return };
        let failure = match vote {
            Vote::Yes => None,
            Vote::No(reason) => Some(reason),
        };
        self.local_result(ctx, txn, bit, failure);
    }

    /// Without 2PC: note one service's local result; when all are in, end.
    fn local_result<M: From<TpcMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        txn: u32,
        bits: u32,
        failed: Option<AbortReason>,
    ) {
        let Some(t) = self.active.get_mut(&txn) else { return };
        let CoordState::Local { done, committed, failure } = t.state else { return };
        let bits = bits & t.members;
        let committed = if failed.is_none() { committed | bits } else { committed };
        let (done, failure) = (done | bits, failure.or(failed));
        t.state = CoordState::Local { done, committed, failure };
        if done != t.members {
            return;
        }
        let t = *t;
        self.active.remove(&txn);
        ctx.cancel_timer(timer_tag::key(TWO_PC_COORDINATOR, VOTE_TIMER | u64::from(txn)));
        let outcome = match failure {
            None => TxnOutcome::Committed,
            Some(reason) if committed == 0 => TxnOutcome::Aborted(reason),
            Some(reason) => TxnOutcome::PartiallyCommitted(reason),
        };
        self.end(ctx, txn, t, outcome);
    }

    pub fn on_timer<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        let local = timer_tag::local_of(key);
        let txn = (local & TXN_MASK) as u32;
        let Some(t) = self.active.get(&txn).copied() else { return };
        match (local & !TXN_MASK, t.state) {
            (VOTE_TIMER, CoordState::Collecting { .. }) => self.abort(ctx, txn, AbortReason::VoteTimeout),
            (VOTE_TIMER, CoordState::Local { done, .. }) => {
                self.local_result(ctx, txn, t.members & !done, Some(AbortReason::VoteTimeout));
            }
            (FORCE_TIMER, CoordState::Forcing) => {
                // The decision is durable from this moment; only now may it leave.
                self.append(ctx, txn, CLogKind::Commit, t.members);
                note(&mut self.timeline, ctx, txn, TpcPhase::CommitLogged);
                self.active.insert(txn, CoordTxn { state: CoordState::Committing { acked: 0 }, ..t });
                self.send_decision(ctx, txn, true);
            }
            (RESEND_TIMER, CoordState::Committing { .. }) => self.send_decision(ctx, txn, true),
            _ => {}
        }
    }

    /// A participant's host refused a message: it is down.
    pub fn on_refused<M: From<TpcMsg>>(&mut self, ctx: &mut Ctx<'_, M>, to: NodeId, msg: TpcMsg) {
        match msg {
            TpcMsg::Prepare { txn, .. } => self.abort(ctx, txn, AbortReason::ParticipantDown),
            TpcMsg::Local { txn, .. } => {
                let Some(bit) = self.index_of(to) else { return };
                self.local_result(ctx, txn, bit, Some(AbortReason::ParticipantDown));
            }
            // A DoCommit that did not arrive is sent again by the resend timer.
            _ => {}
        }
    }
}
