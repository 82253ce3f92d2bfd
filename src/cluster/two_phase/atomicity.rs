//! The 2PC atomicity invariant: exactly over the whole logs, and incrementally after every event.
//!
//! Owns `check_atomicity` (no transaction committed at one participant and
//! aborted at another; none the coordinator ended committed at some
//! participants only; participants in doubt are allowed), which reads the
//! retained logs (every transaction of a run shorter than `retention`'s
//! windows; beyond, the newest), and `check_atomicity_recent`, which gives the same verdicts
//! when run after every event: a conflict can only appear when a final
//! record or an END is written, so it looks only at the latest ones, each
//! against the participants' maps of final outcomes (kept as records are
//! written). Never changes a log.

use super::{CLogKind, PLogKind, TpcCoordinator, TpcParticipant};
use crate::sim::TimeUs;
use std::collections::VecDeque;

/// How many of the latest final records / ENDs are kept for the per-event check.
pub(super) const RECENT: usize = 16;

/// A participant wrote a record: keep its counts and final outcomes current.
pub(super) fn note_record(p: &mut TpcParticipant, txn: u32, kind: PLogKind, at_us: TimeUs) {
    p.committed += usize::from(kind == PLogKind::Committed);
    p.last_kinds.insert(txn, kind);
    if kind != PLogKind::Prepared {
        p.finals.insert(txn, kind == PLogKind::Committed);
        remember(&mut p.recent_finals, (txn, at_us));
        super::retention::participant_finished(p, txn);
    }
}

pub(super) fn remember<T>(recent: &mut VecDeque<T>, item: T) {
    if recent.len() == RECENT {
        recent.pop_front();
    }
    recent.push_back(item);
}

/// How many participants a transaction enlisted (`members` 0: all of them).
fn enlisted(members: u32, participants: usize) -> usize {
    if members == 0 { participants } else { members.count_ones() as usize }
}

/// Invariant "2PC atomicity": no transaction committed at one participant and
/// aborted at another, and none that the coordinator has ended committed at
/// some of the participants it enlisted only. Participants still in doubt
/// (blocked) are allowed.
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
    let ended = coordinator.log.iter().filter(|r| r.kind == CLogKind::End).map(|r| (r.txn, r.members));
    for (txn, members) in ended {
        let n = finals.partition_point(|&f| f <= (txn, true)) - finals.partition_point(|&f| f < (txn, true));
        let enlisted = enlisted(members, participants.len());
        if n > 0 && n < enlisted {
            return Err(format!("txn {txn}: ended with {n} of {enlisted} participants committed"));
        }
    }
    Ok(())
}

/// `check_atomicity` for a check run after every event: the same verdicts as
/// long as no event writes more than `RECENT` final records at one node.
/// Only records written at `since_us` or later are looked at: run after every
/// event that touches a participant or the coordinator, passing the current
/// time, it reads just what this instant wrote (records of earlier instants
/// were checked when they were written); 0 looks at all the latest.
pub fn check_atomicity_recent(
    coordinator: &TpcCoordinator,
    participants: &[&TpcParticipant],
    since_us: TimeUs,
) -> Result<(), String> {
    for p in participants {
        for &(txn, _) in p.recent_finals.iter().filter(|&&(_, at_us)| at_us >= since_us) {
            let Some(&committed) = p.finals.get(&txn) else { continue };
            if participants.iter().any(|q| q.finals.get(&txn).is_some_and(|&c| c != committed)) {
                return Err(format!("txn {txn}: committed at one participant, aborted at another"));
            }
        }
    }
    for &(txn, members, _) in coordinator.recent_ends.iter().filter(|&&(_, _, at_us)| at_us >= since_us) {
        let n = participants.iter().filter(|p| p.finals.get(&txn) == Some(&true)).count();
        let enlisted = enlisted(members, participants.len());
        if n > 0 && n < enlisted {
            return Err(format!("txn {txn}: ended with {n} of {enlisted} participants committed"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::two_phase::{
        CLogRecord, PLogRecord, Resource, TpcCoordinatorConfig, TpcMsg, TpcParticipantConfig,
    };
    use crate::sim::NodeId;

    fn logged(kinds: &[(u32, PLogKind)]) -> TpcParticipant {
        let mut p = TpcParticipant::new(TpcParticipantConfig::default(), Resource::Stock, NodeId(0));
        p.log = kinds.iter().map(|&(txn, kind)| PLogRecord { txn, kind, product: 7, qty: 1, at_us: 0 }).collect();
        p.last_kinds = kinds.iter().copied().collect();
        p
    }

    /// Mixed outcomes break atomicity; in-doubt (PREPARED only) does not.
    #[test]
    fn atomicity_allows_blocking_but_not_mixed_outcomes() {
        use PLogKind::*;
        let cases = [
            ([(1, Prepared), (1, Committed)], [(1, Prepared), (1, Committed)], false, true),
            ([(1, Prepared), (1, Committed)], [(1, Prepared), (1, Aborted)], false, false),
            ([(1, Prepared), (1, Committed)], [(1, Prepared), (2, Prepared)], false, true),
            ([(1, Committed), (2, Committed)], [(2, Committed), (3, Committed)], true, false),
        ];
        for (i, (a, b, end_txn_1, holds)) in cases.into_iter().enumerate() {
            let mut coordinator = TpcCoordinator::new(TpcCoordinatorConfig::default(), vec![NodeId(1), NodeId(2)]);
            if end_txn_1 {
                coordinator.log.push(CLogRecord { txn: 1, kind: CLogKind::End, members: 0b11, at_us: 0 });
            }
            assert_eq!(check_atomicity(&coordinator, &[&logged(&a), &logged(&b)]).is_ok(), holds, "case {i}");
        }
        assert!(size_of::<TpcMsg>() <= 32);
    }
}
