//! The vocabulary of two-phase commit: messages, votes, outcomes, timeline.
//!
//! Owns the closed `TpcMsg` enum the coordinator and participants exchange,
//! the reasons a transaction aborts, and the `TpcEvent` timeline both sides
//! append to for the sequence diagram. Never holds behaviour beyond the
//! bounded append.

use crate::sim::{Ctx, Message, NodeId, TimeUs};
use std::collections::VecDeque;

/// Why a transaction was aborted (or, without 2PC, failed on one side).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AbortReason {
    /// The inventory participant had fewer units than ordered.
    InsufficientStock,
    /// A participant waited `innodb_lock_wait_timeout` for a row lock.
    LockWaitTimeout,
    /// Not every vote (or local result) came back in time.
    VoteTimeout,
    /// A participant's host refused the connection.
    ParticipantDown,
    /// The coordinator had no decision for it (presumed abort).
    PresumedAbort,
    /// A participant's database (the stock table, MyCat) failed its work.
    DatabaseUnavailable,
    /// The stock lock was lost mid-purchase, or its fencing token was stale.
    LockLost,
}

/// How a transaction ended, as its client hears it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxnOutcome {
    Committed,
    Aborted(AbortReason),
    /// Without 2PC: some services committed, some did not.
    PartiallyCommitted(AbortReason),
}

/// A participant's vote.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Vote {
    Yes,
    No(AbortReason),
}

/// Messages of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TpcMsg {
    /// A client asks for an order of `qty` units of `product`; `client_ref`
    /// is the client's own id for it, echoed in `Begun`.
    Begin { product: u32, qty: u32, client_ref: u32 },
    /// The transaction id the coordinator gave the client's `client_ref`.
    Begun { client_ref: u32, txn: u32 },
    /// How the transaction ended, to its client.
    Outcome { txn: u32, outcome: TxnOutcome },
    /// Phase 1: CanCommit?
    Prepare { txn: u32, product: u32, qty: u32 },
    /// A participant's vote.
    Vote { txn: u32, vote: Vote },
    /// Phase 2: DoCommit (`commit`) or DoAbort.
    Decision { txn: u32, commit: bool },
    /// HaveCommitted.
    Ack { txn: u32 },
    /// An in-doubt participant asks for the outcome (as XA RECOVER leads to).
    QueryDecision { txn: u32 },
    /// Without 2PC: do your part and commit it at once.
    Local { txn: u32, product: u32, qty: u32 },
    /// Without 2PC: committed locally (Yes) or not.
    LocalDone { txn: u32, vote: Vote },
}

impl Message for TpcMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Begin { .. } => "2pc-begin",
            Self::Begun { .. } => "2pc-begun",
            Self::Outcome { .. } => "2pc-outcome",
            Self::Prepare { .. } => "2pc-can-commit",
            Self::Vote { vote: Vote::Yes, .. } => "2pc-vote-yes",
            Self::Vote { .. } => "2pc-vote-no",
            Self::Decision { commit: true, .. } => "2pc-do-commit",
            Self::Decision { .. } => "2pc-do-abort",
            Self::Ack { .. } => "2pc-have-committed",
            Self::QueryDecision { .. } => "2pc-query-decision",
            Self::Local { .. } => "local-commit",
            Self::LocalDone { .. } => "local-done",
        }
    }
}

/// One step of a transaction, for the sequence diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TpcPhase {
    Begin,
    CanCommitSent,
    PreparedLogged,
    VotedYes,
    VotedNo(AbortReason),
    VotesIn,
    CommitLogged,
    DoCommitSent,
    DoAbortSent(AbortReason),
    Committed,
    Aborted,
    AckReceived,
    End,
    /// A participant asked the coordinator for the outcome.
    QueriedDecision,
    /// A node restarted and found the transaction in its log.
    Recovered,
    LocalCommitSent,
    LocalCommitted,
    LocalAborted(AbortReason),
}

/// A point on the timeline: what happened to which transaction where, when.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TpcEvent {
    pub at_us: TimeUs,
    pub txn: u32,
    pub node: NodeId,
    pub phase: TpcPhase,
}

const TIMELINE_KEPT: usize = 512;

/// Appends to a bounded timeline.
pub(super) fn note<M>(timeline: &mut VecDeque<TpcEvent>, ctx: &Ctx<'_, M>, txn: u32, phase: TpcPhase) {
    if timeline.len() == TIMELINE_KEPT {
        timeline.pop_front();
    }
    timeline.push_back(TpcEvent { at_us: ctx.now_us, txn, node: ctx.me, phase });
}
