//! Inspectors of coordination: the ZooKeeper lock queue, the stock store, two-phase commit.
//!
//! Owns the lock view (the /locker children DataNode1, DataNode2 … in
//! sequence order, the holder, who watches whom, the fencing token the stock
//! store last accepted), the stock view (sold, oversold, highest token) and
//! the 2PC view (open transactions and their phase, each round's timeline
//! from the coordinator's and the participants' logs, who is blocked in
//! doubt, outcomes), with the pure helpers that shape them. Never changes
//! the model.

use super::{at, facts, find_detail, list, table};
use crate::cluster::snapshot::{LockNodeRow, NodeDetail, NodeSnapshot, Snapshot, TimelineRow};
use crate::i18n::{Lang, t, tf};
use crate::sim::TimeUs;
use crate::ui::sequence::RoundPicker;
use std::collections::BTreeMap;
use yew::prelude::*;

/// Rounds of 2PC shown at most.
const ROUNDS_SHOWN: usize = 6;

pub(super) fn view(l: Lang, snap: &Snapshot, node: &NodeSnapshot) -> Html {
    match &node.detail {
        NodeDetail::LockService { queue, holder, sessions, sessions_expired } => {
            lock_view(l, snap, queue, holder.as_deref(), *sessions, *sessions_expired)
        }
        NodeDetail::Stock { units_sold, units_oversold, highest_token_accepted } => facts(&[
            (t(l, "inspect.units-sold"), units_sold.to_string()),
            (t(l, "inspect.units-oversold"), units_oversold.to_string()),
            (t(l, "inspect.highest-fencing-token-accepted"), token_text(l, *highest_token_accepted)),
        ]),
        NodeDetail::TwoPhase { .. } => two_phase_view(l, snap, node),
        _ => html! {},
    }
}

fn token_text(l: Lang, token: Option<u32>) -> String {
    token.map_or_else(|| t(l, "inspect.none-yet").to_string(), |t| t.to_string())
}

/// For each child of /locker, the child its owner watches (its predecessor).
pub fn watches_of(queue: &[LockNodeRow]) -> Vec<Option<String>> {
    queue
        .iter()
        .map(|row| {
            let owner = row.owner.as_ref()?;
            queue.iter().find(|other| other.watched_by.contains(owner)).map(|other| other.znode.clone())
        })
        .collect()
}

fn lock_view(
    l: Lang,
    snap: &Snapshot,
    queue: &[LockNodeRow],
    holder: Option<&str>,
    sessions: usize,
    sessions_expired: u64,
) -> Html {
    let store = find_detail(snap, |d| matches!(d, NodeDetail::Stock { .. }));
    let (store_name, token) = match store {
        Some((name, NodeDetail::Stock { highest_token_accepted, .. })) => (name, *highest_token_accepted),
        _ => (t(l, "inspect.the-stock-store"), None),
    };
    let holder_text = holder.map_or_else(
        || t(l, "inspect.nobody").to_string(),
        |h| {
            let owner = queue.iter().find(|r| r.znode == h).and_then(|r| r.owner.clone());
            format!("{h} ({})", owner.unwrap_or_else(|| t(l, "inspect.owner-unknown").into()))
        },
    );
    let watches = watches_of(queue);
    let rows = queue
        .iter()
        .zip(&watches)
        .enumerate()
        .map(|(i, (row, watches))| {
            let holds = holder == Some(row.znode.as_str());
            html! {
                <tr data-znode={row.znode.clone()} class={classes!(holds.then_some("holder"))}>
                    <td>{ i + 1 }</td>
                    <th scope="row">{ &row.znode }</th>
                    <td>{ row.owner.clone().unwrap_or_else(|| "—".into()) }</td>
                    <td>{ t(l, if holds { "inspect.holds-the-lock" } else { "inspect.waits" }) }</td>
                    <td>{ watches.clone().unwrap_or_else(|| "—".into()) }</td>
                    <td>{ list(&row.watched_by) }</td>
                </tr>
            }
        })
        .collect();
    html! {
        <>
            { facts(&[
                (t(l, "inspect.holder"), holder_text),
                (t(l, "inspect.sessions"), sessions.to_string()),
                (t(l, "inspect.sessions-expired"), sessions_expired.to_string()),
                (t(l, "inspect.fencing-token-last-accepted"), tf(l, "inspect.token-at", &[("token", &token_text(l, token)), ("store", &store_name)])),
            ]) }
            { table(t(l, "inspect.locker-children-in-sequence-order"),
                &["#", t(l, "inspect.znode"), t(l, "inspect.owner"), t(l, "inspect.role-2"), t(l, "inspect.watches"), t(l, "inspect.watched-by")], rows, t(l, "inspect.no-one-holds-or-waits")) }
        </>
    }
}

/// One 2PC transaction's steps, oldest first, at the coordinator and the participants.
#[derive(Clone, Debug, PartialEq)]
pub struct TxnRound {
    pub txn: u32,
    /// (time, node, phase as the model names it).
    pub steps: Vec<(TimeUs, String, String)>,
}

/// Groups timeline rows (each node's newest first, as the snapshot lists
/// them) into rounds: newest transaction first, steps in time order, a
/// node's steps at the same instant in the order it logged them. Only
/// rounds `keep` accepts are counted.
pub fn rounds<'a>(
    rows: impl IntoIterator<Item = &'a TimelineRow>,
    most: usize,
    keep: impl Fn(&TxnRound) -> bool,
) -> Vec<TxnRound> {
    let mut by_txn: BTreeMap<u32, Vec<(TimeUs, String, String)>> = BTreeMap::new();
    for row in rows {
        by_txn.entry(row.txn).or_default().push((row.at_us, row.node.clone(), row.phase.clone()));
    }
    by_txn
        .into_iter()
        .rev()
        .map(|(txn, mut steps)| {
            steps.reverse();
            steps.sort_by_key(|s| s.0);
            TxnRound { txn, steps }
        })
        .filter(keep)
        .take(most)
        .collect()
}

/// Participants holding transactions in doubt: (node, txns).
pub fn blocked_participants(snap: &Snapshot) -> Vec<(String, Vec<u32>)> {
    snap.nodes
        .iter()
        .filter_map(|n| match &n.detail {
            NodeDetail::Service { in_doubt, .. } if !in_doubt.is_empty() => Some((n.id.clone(), in_doubt.clone())),
            _ => None,
        })
        .collect()
}

/// "InsufficientStock" → "insufficient stock".
fn words(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The number after `name: ` in a Debug text, counted as a bit set's members.
fn bits(raw: &str, name: &str) -> Option<u32> {
    let rest = &raw[raw.find(&format!("{name}: "))? + name.len() + 2..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse::<u32>().ok().map(u32::count_ones)
}

/// A phase or coordinator state, in the words of the textbooks.
pub fn phase_text(l: Lang, raw: &str) -> String {
    let (head, arg) = match raw.split_once('(') {
        Some((h, a)) => (h, Some(words(a.trim_end_matches(')')))),
        None => (raw.split(' ').next().unwrap_or(raw), None),
    };
    let why = arg.map(|a| format!(" ({a})")).unwrap_or_default();
    match head {
        "Begin" => t(l, "inspect.begin").into(),
        "CanCommitSent" => t(l, "inspect.cancommit-sent").into(),
        "PreparedLogged" => t(l, "inspect.prepared-forced-to-the-log").into(),
        "VotedYes" => t(l, "inspect.voted-yes").into(),
        "VotedNo" => tf(l, "inspect.voted-no", &[("why", &why)]),
        "VotesIn" => t(l, "inspect.every-vote-in").into(),
        "CommitLogged" => t(l, "inspect.commit-forced-to-the-log").into(),
        "DoCommitSent" => t(l, "inspect.docommit-sent").into(),
        "DoAbortSent" => tf(l, "inspect.doabort-sent", &[("why", &why)]),
        "Committed" => t(l, "inspect.committed").into(),
        "Aborted" => t(l, "inspect.rolled-back").into(),
        "AckReceived" => t(l, "inspect.ack-received").into(),
        "End" => t(l, "inspect.end-logged").into(),
        "QueriedDecision" => t(l, "inspect.asked-the-coordinator-for-the").into(),
        "Recovered" => t(l, "inspect.found-in-its-log-after").into(),
        "LocalCommitSent" => t(l, "inspect.local-commits-sent-2pc-off").into(),
        "LocalCommitted" => t(l, "inspect.committed-locally").into(),
        "LocalAborted" => tf(l, "inspect.failed-locally", &[("why", &why)]),
        "Collecting" => tf(l, "inspect.collecting", &[("n", &bits(raw, "yes").unwrap_or(0))]),
        "Forcing" => t(l, "inspect.every-vote-yes-forcing-commit").into(),
        "Committing" => tf(l, "inspect.committing", &[("n", &bits(raw, "acked").unwrap_or(0))]),
        "Local" => tf(l, "inspect.local", &[("n", &bits(raw, "done").unwrap_or(0))]),
        other => words(other),
    }
}

/// The `data-phase` of an open transaction: `collecting`, `forcing`, `committing`, `local`.
pub fn phase_kind(raw: &str) -> String {
    raw.split([' ', '(', '{']).next().unwrap_or(raw).to_lowercase()
}

fn two_phase_view(l: Lang, snap: &Snapshot, node: &NodeSnapshot) -> Html {
    let NodeDetail::TwoPhase { two_phase, active, outcomes, timeline } = &node.detail else { return html! {} };
    let participant_rows = snap.nodes.iter().flat_map(|n| match &n.detail {
        NodeDetail::Service { tpc_timeline, .. } => tpc_timeline.as_slice(),
        _ => &[],
    });
    let blocked = blocked_participants(snap);
    // A round the coordinator's bounded timeline no longer holds is shown
    // only while a participant is still in doubt about it.
    let keep =
        |r: &TxnRound| r.steps.iter().any(|s| s.1 == node.id) || blocked.iter().any(|(_, txns)| txns.contains(&r.txn));
    let all_rounds = rounds(timeline.iter().chain(participant_rows), ROUNDS_SHOWN, keep);
    let outcome_of = |txn: u32| outcomes.iter().find(|(t, _)| *t == txn).map(|(_, o)| words(o));
    let coordinator_down = node.state != "up";
    let open_rows = active
        .iter()
        .map(|t| {
            html! {
                <tr data-txn={t.txn.to_string()} data-phase={phase_kind(&t.phase)}>
                    <th scope="row">{ t.txn }</th><td>{ t.product }</td><td>{ t.qty }</td>
                    <td>{ phase_text(l, &t.phase) }</td>
                </tr>
            }
        })
        .collect();
    let blocked_rows = blocked
        .iter()
        .map(|(who, txns)| {
            let why = if coordinator_down { t(l, "inspect.blocked-the-coordinator-is-down") } else { t(l, "inspect.waiting-for-the-decision") };
            let txns: Vec<String> = txns.iter().map(u32::to_string).collect();
            html! { <tr data-blocked={who.clone()}><th scope="row">{ who }</th><td>{ list(&txns) }</td><td>{ why }</td></tr> }
        })
        .collect();
    html! {
        <>
            { facts(&[(t(l, "inspect.two-phase-commit"), if *two_phase { t(l, "inspect.on").into() } else { t(l, "inspect.off-local-commits").into() })]) }
            { table(t(l, "inspect.open-transactions-at-the-coordinator"), &[t(l, "inspect.txn"), t(l, "inspect.product"), t(l, "inspect.qty"), t(l, "inspect.phase")], open_rows, t(l, "inspect.none-open")) }
            { table(t(l, "inspect.in-doubt-voted-yes-holding"),
                &[t(l, "inspect.participant"), t(l, "inspect.transactions"), t(l, "inspect.why")], blocked_rows, t(l, "inspect.nobody-is-blocked")) }
            <section class="rounds" aria-label={t(l, "inspect.recent-rounds")}>
                <h4>{ t(l, "inspect.recent-rounds-step-by-step") }</h4>
                if all_rounds.is_empty() { <p class="quiet">{ t(l, "inspect.no-order-has-been-placed") }</p> }
                <RoundPicker rounds={all_rounds.clone()} />
                <ol>
                    { for all_rounds.iter().enumerate().map(|(i, r)| round_view(l, r, outcome_of(r.txn), i == 0)) }
                </ol>
            </section>
        </>
    }
}

/// One round: its outcome, and its steps (open for the newest round only).
fn round_view(l: Lang, round: &TxnRound, outcome: Option<String>, open: bool) -> Html {
    html! {
        <li data-txn={round.txn.to_string()}>
            <details {open}>
            <summary><strong>{ tf(l, "sequence.txn", &[("txn", &round.txn)]) }</strong>
                { " — " }{ outcome.unwrap_or_else(|| t(l, "inspect.in-progress").into()) }</summary>
            <ol class="timeline">
                { for round.steps.iter().map(|(t, node, phase)| html! {
                    <li><time>{ at(*t) }</time>{ " " }<span class="who">{ node }</span>{ ": " }{ phase_text(l, phase) }</li>
                }) }
            </ol>
            </details>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_read_as_the_textbook_says() {
        for (raw, text) in [
            ("CanCommitSent", "CanCommit sent"),
            ("VotedNo(InsufficientStock)", "voted No (insufficient stock)"),
            ("DoAbortSent(VoteTimeout)", "DoAbort sent (vote timeout)"),
            ("Collecting { yes: 3 }", "CanCommit sent, collecting votes (2 Yes)"),
            ("Committing { acked: 1 }", "DoCommit sent, 1 acked"),
            ("Forcing", "every vote Yes, forcing COMMIT to the log"),
            ("Local { done: 3, committed: 1, failure: None }", "2PC off: 2 answered"),
        ] {
            assert_eq!(phase_text(Lang::En, raw), text, "{raw}");
        }
        assert_eq!(phase_kind("Collecting { yes: 1 }"), "collecting");
        assert_eq!(phase_kind("Forcing"), "forcing");
    }

    fn row(at_us: TimeUs, txn: u32, node: &str, phase: &str) -> TimelineRow {
        TimelineRow { at_us, txn, node: node.into(), phase: phase.into() }
    }

    #[test]
    fn rounds_group_by_transaction_newest_first_in_time_order() {
        // Each node's rows newest first, as the snapshot gives them.
        let rows = [
            row(30, 2, "tpc", "CanCommitSent"),
            row(10, 1, "tpc", "CanCommitSent"),
            row(10, 1, "tpc", "Begin"),
            row(20, 1, "order", "VotedYes"),
            row(20, 1, "order", "PreparedLogged"),
            row(15, 1, "inventory-1", "PreparedLogged"),
        ];
        let r = rounds(&rows, 5, |_| true);
        assert_eq!(r.iter().map(|x| x.txn).collect::<Vec<_>>(), [2, 1]);
        let phases: Vec<&str> = r[1].steps.iter().map(|s| s.2.as_str()).collect();
        assert_eq!(phases, ["Begin", "CanCommitSent", "PreparedLogged", "PreparedLogged", "VotedYes"]);
        assert_eq!(rounds(&rows, 1, |_| true).len(), 1);
        let only_old = rounds(&rows, 5, |r| r.txn == 1);
        assert_eq!(only_old.iter().map(|x| x.txn).collect::<Vec<_>>(), [1], "rounds are kept by the filter");
    }

    #[test]
    fn a_coordinator_crash_after_a_yes_vote_leaves_that_participant_blocked() {
        use crate::cluster::Cluster;
        use crate::cluster::command::{Command, NodeAction};
        use crate::cluster::topology::SliceOptions;
        use crate::sim::MS;
        let mut cluster = Cluster::full(&SliceOptions { seed: 42, ..SliceOptions::default() });
        let voted = |snap: &Snapshot| {
            snap.nodes.iter().find_map(|n| match &n.detail {
                NodeDetail::TwoPhase { active, .. } => {
                    active.iter().find(|t| bits(&t.phase, "yes").unwrap_or(0) >= 1).map(|t| t.txn)
                }
                _ => None,
            })
        };
        let mut txn = None;
        for step in 1..=6_000 {
            cluster.run_until(step * MS, 1_000_000);
            txn = voted(&cluster.snapshot());
            if txn.is_some() {
                break;
            }
        }
        let txn = txn.expect("seed 42: a participant votes Yes within 6 s");
        assert!(blocked_participants(&cluster.snapshot()).iter().any(|(_, t)| t.contains(&txn)), "in doubt once voted");
        cluster.apply(&Command::Node { node: "tpc".into(), action: NodeAction::Crash }).unwrap();
        cluster.run_until(cluster.sim.now_us() + 2_000 * MS, 5_000_000);
        let blocked = blocked_participants(&cluster.snapshot());
        assert!(blocked.iter().any(|(_, t)| t.contains(&txn)), "seed 42: txn {txn} still in doubt: {blocked:?}");
    }

    #[test]
    fn each_waiter_watches_its_predecessor() {
        let node = |z: &str, owner: &str, watched_by: &[&str]| LockNodeRow {
            znode: z.into(),
            owner: Some(owner.into()),
            watched_by: watched_by.iter().map(|s| s.to_string()).collect(),
        };
        let queue = [node("DataNode1", "inventory-1", &["inventory-2"]), node("DataNode2", "inventory-2", &[])];
        assert_eq!(watches_of(&queue), [None, Some("DataNode1".to_string())]);
    }
}
