//! The 2PC atomicity invariant: exactly over the whole logs, and incrementally after every event.
//!
//! Owns `check_atomicity` (no transaction committed at one participant and
//! aborted at another; none the coordinator ended committed at some
//! participants only; participants in doubt are allowed), which reads the
//! whole logs, and `check_atomicity_recent`, which gives the same verdicts
//! when run after every event: a conflict can only appear when a final
//! record or an END is written, so it looks only at the latest ones, each
//! against the participants' maps of final outcomes (kept as records are
//! written). Never changes a log.

use super::{CLogKind, PLogKind, TpcCoordinator, TpcParticipant};
use std::collections::VecDeque;

/// How many of the latest final records / ENDs are kept for the per-event check.
pub(super) const RECENT: usize = 16;

/// A participant wrote a record: keep its counts and final outcomes current.
pub(super) fn note_record(p: &mut TpcParticipant, txn: u32, kind: PLogKind) {
    p.committed += usize::from(kind == PLogKind::Committed);
    if kind != PLogKind::Prepared {
        p.finals.insert(txn, kind == PLogKind::Committed);
        remember(&mut p.recent_finals, txn);
    }
}

pub(super) fn remember(recent: &mut VecDeque<u32>, txn: u32) {
    if recent.len() == RECENT {
        recent.pop_front();
    }
    recent.push_back(txn);
}

/// Invariant "2PC atomicity": no transaction committed at one participant and
/// aborted at another, and none that the coordinator has ended committed at
/// some participants only. Participants still in doubt (blocked) are allowed.
pub fn check_atomicity(coordinator: &TpcCoordinator, participants: &[&TpcParticipant]) -> Result<(), String> {
    // (txn, committed) for every participant's last non-PREPARED record, sorted:
    // checked after every event, so sorted vectors rather than maps.
    let mut finals: Vec<(u32, bool)> = Vec::new();
    for p in participants {
        let mut last: Vec<(u32, usize, PLogKind)> = p.log.iter().enumerate().map(|(i, r)| (r.txn, i, r.kind)).collect();
        last.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        last.dedup_by_key(|e| e.0);
        finals
            .extend(last.into_iter().filter(|e| e.2 != PLogKind::Prepared).map(|e| (e.0, e.2 == PLogKind::Committed)));
    }
    finals.sort_unstable();
    if let Some(w) = finals.windows(2).find(|w| w[0].0 == w[1].0 && w[0].1 != w[1].1) {
        return Err(format!("txn {}: committed at one participant, aborted at another", w[0].0));
    }
    let ended = coordinator.log.iter().filter(|r| r.kind == CLogKind::End).map(|r| r.txn);
    for txn in ended {
        let n = finals.partition_point(|&f| f <= (txn, true)) - finals.partition_point(|&f| f < (txn, true));
        if n > 0 && n < participants.len() {
            return Err(format!("txn {txn}: ended with {n} of {} participants committed", participants.len()));
        }
    }
    Ok(())
}

/// `check_atomicity` for a check run after every event: the same verdicts as
/// long as no event writes more than `RECENT` final records at one node.
pub fn check_atomicity_recent(coordinator: &TpcCoordinator, participants: &[&TpcParticipant]) -> Result<(), String> {
    for p in participants {
        for &txn in &p.recent_finals {
            let Some(&committed) = p.finals.get(&txn) else { continue };
            if participants.iter().any(|q| q.finals.get(&txn).is_some_and(|&c| c != committed)) {
                return Err(format!("txn {txn}: committed at one participant, aborted at another"));
            }
        }
    }
    for &txn in &coordinator.recent_ends {
        let n = participants.iter().filter(|p| p.finals.get(&txn) == Some(&true)).count();
        if n > 0 && n < participants.len() {
            return Err(format!("txn {txn}: ended with {n} of {} participants committed", participants.len()));
        }
    }
    Ok(())
}
