//! A sequence (space-time) diagram of one 2PC round, from the same run's timelines.
//!
//! Owns the diagram: one lifeline per node (the coordinator first), time
//! running down in proportion to virtual time, a dot per step each node
//! logged, and arrows for the messages between them — CanCommit, the votes,
//! DoCommit or DoAbort, the acks — matched from the coordinator's and the
//! participants' timelines (`arrows`, pure). Drawn as SVG with a text
//! alternative. Never changes the model.

use super::inspect::{TxnRound, phase_text};
use super::lang::use_lang;
use crate::i18n::{t, tf};
use crate::sim::TimeUs;
use crate::sim::time::format_time_us;
use yew::prelude::*;

const WIDTH: f64 = 560.0;
const TOP: f64 = 44.0;
const BODY: f64 = 260.0;

/// A message drawn between two lifelines: (from node, time) → (to node, time).
#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    pub from: String,
    pub sent_us: TimeUs,
    pub to: String,
    pub received_us: TimeUs,
    pub label: &'static str,
}

fn head(phase: &str) -> &str {
    phase.split('(').next().unwrap_or(phase)
}

/// The message a step sends, and the steps at the receiver that answer to it.
fn sends(phase: &str) -> Option<(&'static str, &'static [&'static str], bool)> {
    // (label, the receiver's phases that mark its arrival, sent by the coordinator)
    match head(phase) {
        "CanCommitSent" => Some(("CanCommit", &["PreparedLogged", "VotedNo", "Recovered"], true)),
        "DoCommitSent" => Some(("DoCommit", &["Committed"], true)),
        "DoAbortSent" => Some(("DoAbort", &["Aborted"], true)),
        "LocalCommitSent" => Some(("local commit", &["LocalCommitted", "LocalAborted"], true)),
        "VotedYes" => Some(("Yes", &["VotesIn", "CommitLogged", "DoAbortSent", "End"], false)),
        "VotedNo" => Some(("No", &["DoAbortSent", "End"], false)),
        "Committed" | "Aborted" => Some(("ack", &["AckReceived", "End"], false)),
        "LocalCommitted" | "LocalAborted" => Some(("done", &["End"], false)),
        _ => None,
    }
}

/// The lifelines of a round: its coordinator first, then participants in order of appearance.
pub fn lifelines(round: &TxnRound) -> Vec<String> {
    let coordinator = round.steps.iter().find(|s| head(&s.2) == "Begin" || head(&s.2) == "CanCommitSent");
    let mut names: Vec<String> = coordinator.map(|s| s.1.clone()).into_iter().collect();
    for (_, node, _) in &round.steps {
        if !names.contains(node) {
            names.push(node.clone());
        }
    }
    names
}

/// The messages of a round, matched sender step → first answering step at each receiver.
pub fn arrows(round: &TxnRound) -> Vec<Arrow> {
    let lines = lifelines(round);
    let Some(coordinator) = lines.first() else { return Vec::new() };
    let mut out = Vec::new();
    for (t, node, phase) in &round.steps {
        let Some((label, answers, from_coordinator)) = sends(phase) else { continue };
        let receivers: Vec<&String> =
            if from_coordinator { lines.iter().filter(|n| *n != node).collect() } else { vec![coordinator] };
        for to in receivers {
            let answer = round.steps.iter().find(|(at, n, p)| n == to && at >= t && answers.contains(&head(p)));
            if let Some((at, _, _)) = answer {
                out.push(Arrow { from: node.clone(), sent_us: *t, to: to.clone(), received_us: *at, label });
            }
        }
    }
    out
}

#[derive(Properties, PartialEq)]
pub struct SequenceProps {
    pub round: TxnRound,
}

/// The round as a space-time diagram (`data-sequence="<txn>"`).
#[function_component(SequenceDiagram)]
pub fn sequence_diagram(props: &SequenceProps) -> Html {
    let round = &props.round;
    let l = use_lang();
    let lines = lifelines(round);
    let (t0, t1) = match (round.steps.first(), round.steps.last()) {
        (Some(a), Some(b)) => (a.0, b.0.max(a.0 + 1)),
        _ => return html! {},
    };
    let x = |node: &str| {
        let i = lines.iter().position(|n| n == node).unwrap_or(0) as f64;
        60.0 + i * (WIDTH - 120.0) / (lines.len().max(2) - 1) as f64
    };
    let y = |t: TimeUs| TOP + (t - t0) as f64 / (t1 - t0) as f64 * BODY;
    let height = TOP + BODY + 24.0;
    let messages = arrows(round).iter().map(|a| format!("{} {} → {}", a.label, a.from, a.to)).collect::<Vec<_>>();
    let summary = tf(
        l,
        "sequence.summary",
        &[
            ("txn", &round.txn),
            ("from", &format_time_us(t0)),
            ("to", &format_time_us(t1)),
            ("messages", &messages.join("; ")),
        ],
    );
    html! {
        <figure class="sequence" data-sequence={round.txn.to_string()}>
            <figcaption>{ tf(l, "sequence.caption", &[("txn", &round.txn), ("span", &format_time_us(t1 - t0))]) }</figcaption>
            <svg viewBox={format!("0 0 {WIDTH} {height}")} role="img" aria-label={summary}>
                <defs>
                    <marker id="seq-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">
                        <path d="M0 0 L8 4 L0 8 Z" class="seq-head" />
                    </marker>
                </defs>
                { for lines.iter().map(|n| html! {
                    <g class="seq-life">
                        <text x={x(n).to_string()} y="18" text-anchor="middle">{ n }</text>
                        <line x1={x(n).to_string()} x2={x(n).to_string()} y1="28" y2={(TOP + BODY + 8.0).to_string()} />
                    </g>
                }) }
                { for arrows(round).iter().map(|a| {
                    let (x1, y1, x2, y2) = (x(&a.from), y(a.sent_us), x(&a.to), y(a.received_us));
                    html! {
                        <g class="seq-msg">
                            <line x1={x1.to_string()} y1={y1.to_string()} x2={x2.to_string()} y2={y2.to_string()} marker-end="url(#seq-arrow)" />
                            <text x={((x1 + x2) / 2.0).to_string()} y={((y1 + y2) / 2.0 - 4.0).to_string()} text-anchor="middle">{ a.label }</text>
                        </g>
                    }
                }) }
                { for round.steps.iter().map(|(t, n, p)| html! {
                    <circle class="seq-step" cx={x(n).to_string()} cy={y(*t).to_string()} r="3.5">
                        <title>{ format!("{} {}: {}", format_time_us(*t), n, phase_text(l, p)) }</title>
                    </circle>
                }) }
            </svg>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
pub struct RoundPickerProps {
    /// Recent rounds, newest first.
    pub rounds: Vec<TxnRound>,
}

/// A choice of round (`data-control="sequence-round"`, newest by default) and its diagram.
#[function_component(RoundPicker)]
pub fn round_picker(props: &RoundPickerProps) -> Html {
    let chosen = use_state(|| None::<u32>);
    let l = use_lang();
    let Some(newest) = props.rounds.first() else { return html! {} };
    let round = chosen.and_then(|txn| props.rounds.iter().find(|r| r.txn == txn)).unwrap_or(newest);
    let onchange = {
        let chosen = chosen.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            chosen.set(select.value().parse().ok());
        })
    };
    html! {
        <div class="round-picker">
            <label>{ t(l, "sequence.of") }
                <select data-control="sequence-round" {onchange}>
                    { for props.rounds.iter().map(|r| html! {
                        <option value={r.txn.to_string()} selected={r.txn == round.txn}>{ tf(l, "sequence.txn", &[("txn", &r.txn)]) }</option>
                    }) }
                </select>
            </label>
            <SequenceDiagram round={round.clone()} />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(steps: &[(TimeUs, &str, &str)]) -> TxnRound {
        TxnRound { txn: 1, steps: steps.iter().map(|&(t, n, p)| (t, n.to_string(), p.to_string())).collect() }
    }

    #[test]
    fn a_commit_has_can_commit_votes_do_commit_and_acks() {
        let r = round(&[
            (0, "tpc", "Begin"),
            (1, "tpc", "CanCommitSent"),
            (5, "order", "PreparedLogged"),
            (6, "order", "VotedYes"),
            (7, "inventory-1", "PreparedLogged"),
            (8, "inventory-1", "VotedYes"),
            (9, "tpc", "VotesIn"),
            (12, "tpc", "CommitLogged"),
            (13, "tpc", "DoCommitSent"),
            (15, "order", "Committed"),
            (16, "inventory-1", "Committed"),
            (17, "tpc", "AckReceived"),
            (18, "tpc", "AckReceived"),
            (19, "tpc", "End"),
        ]);
        assert_eq!(lifelines(&r), ["tpc", "order", "inventory-1"]);
        let all = arrows(&r);
        let drawn: Vec<(&str, &str, &str, TimeUs)> =
            all.iter().map(|a| (a.label, a.from.as_str(), a.to.as_str(), a.received_us)).collect();
        assert_eq!(
            drawn,
            [
                ("CanCommit", "tpc", "order", 5),
                ("CanCommit", "tpc", "inventory-1", 7),
                ("Yes", "order", "tpc", 9),
                ("Yes", "inventory-1", "tpc", 9),
                ("DoCommit", "tpc", "order", 15),
                ("DoCommit", "tpc", "inventory-1", 16),
                ("ack", "order", "tpc", 17),
                ("ack", "inventory-1", "tpc", 17),
            ]
        );
    }

    #[test]
    fn a_no_vote_leads_to_do_abort() {
        let r = round(&[
            (1, "tpc", "CanCommitSent"),
            (3, "inventory-1", "VotedNo(InsufficientStock)"),
            (4, "tpc", "DoAbortSent(InsufficientStock)"),
            (6, "inventory-1", "Aborted"),
        ]);
        let labels: Vec<&str> = arrows(&r).iter().map(|a| a.label).collect();
        assert_eq!(labels, ["CanCommit", "No", "DoAbort"], "no ack arrow until the coordinator logs one");
    }
}
