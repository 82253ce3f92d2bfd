//! How much of a 2PC log a node keeps: what recovery needs, plus a window of the latest finished.
//!
//! Owns the forgetting of finished transactions, as real transaction managers truncate their
//! logs once a transaction is over. A coordinator needs nothing of a transaction once END is
//! logged (every participant acknowledged, or presumed abort); a participant needs nothing
//! once it logged COMMITTED or ABORTED (recovery looks only at PREPARED without an outcome).
//! Both keep the records, final outcomes and client outcomes of their newest finished
//! transactions (`FINISHED_KEPT` ended at the coordinator, twice as many at a participant), for what can still ask about them: a duplicated or re-sent message
//! (links are FIFO, so a participant's QueryDecision always arrives before its own ack, hence
//! before END), the inspectors' latest rows and the atomicity checks, which compare final
//! outcomes written at nearly the same time. Counters keep the totals. Never forgets an open,
//! in-doubt or committing transaction. Also answers what the retained log says
//! (`final_states`, `in_doubt`, `blocked_since_us`).

use super::{CLogKind, PLogKind, ParticipantTxn, TpcCoordinator, TpcParticipant, TxnOutcome};
use crate::sim::TimeUs;
use std::collections::{BTreeMap, BTreeSet};

/// Ended transactions whose records and outcomes the coordinator keeps.
pub const FINISHED_KEPT: usize = 1024;

/// Finished transactions a participant keeps: twice the coordinator's window, so that every
/// participant still knows how a transaction ended here for as long as the coordinator still
/// has its END (a participant finishes a transaction it voted No on before the coordinator
/// ends it, so its window runs slightly ahead), and the exact atomicity check stays exact.
pub const PARTICIPANT_FINISHED_KEPT: usize = 2 * FINISHED_KEPT;

/// A participant wrote a final record for `txn`: keep it in the window, forget the oldest.
pub(super) fn participant_finished(p: &mut TpcParticipant, txn: u32) {
    p.finished.push_back(txn);
    if p.finished.len() <= PARTICIPANT_FINISHED_KEPT {
        return;
    }
    if let Some(old) = p.finished.pop_front() {
        p.last_kinds.remove(&old);
        p.finals.remove(&old);
    }
    if p.log.len() > 4 * PARTICIPANT_FINISHED_KEPT {
        // A record is kept while its transaction is still known: open, in doubt or recent.
        let known = &p.last_kinds;
        p.log.retain(|r| known.contains_key(&r.txn));
    }
}

/// The coordinator logged END for `txn` with `outcome`: keep it in the window, forget the
/// oldest ended transactions' records and outcomes.
pub(super) fn coordinator_ended(c: &mut TpcCoordinator, txn: u32, outcome: TxnOutcome) {
    match outcome {
        TxnOutcome::Committed => c.committed_txns += 1,
        TxnOutcome::Aborted(_) => c.aborted_txns += 1,
        TxnOutcome::PartiallyCommitted(_) => c.partially_committed_txns += 1,
    }
    c.outcomes.insert(txn, outcome);
    c.ended.push_back(txn);
    if c.ended.len() <= FINISHED_KEPT {
        return;
    }
    if let Some(old) = c.ended.pop_front() {
        c.outcomes.remove(&old);
    }
    if c.log.len() > 4 * FINISHED_KEPT {
        let window: BTreeSet<u32> = c.ended.iter().copied().collect();
        let ended: BTreeSet<u32> = c.log.iter().filter(|r| r.kind == CLogKind::End).map(|r| r.txn).collect();
        c.log.retain(|r| !ended.contains(&r.txn) || window.contains(&r.txn));
    }
}

/// What a participant's retained log says.
impl TpcParticipant {
    /// Each finished transaction and how it ended here.
    pub fn final_states(&self) -> BTreeMap<u32, PLogKind> {
        let mut last = BTreeMap::new();
        for r in &self.log {
            last.insert(r.txn, r.kind);
        }
        last.retain(|_, k| *k != PLogKind::Prepared);
        last
    }

    /// Transactions voted Yes and not yet told the outcome.
    pub fn in_doubt(&self) -> Vec<u32> {
        self.open.iter().filter(|(_, s)| matches!(s, ParticipantTxn::InDoubt { .. })).map(|(&t, _)| t).collect()
    }

    /// Since when the oldest in-doubt transaction has been blocked.
    pub fn blocked_since_us(&self) -> Option<TimeUs> {
        let in_doubt =
            |s: &ParticipantTxn| if let ParticipantTxn::InDoubt { since_us, .. } = *s { Some(since_us) } else { None };
        self.open.values().filter_map(in_doubt).min()
    }
}
