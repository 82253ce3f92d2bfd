//! The event log: faults, failed requests and what the mechanisms reported, newest first, filterable.
//!
//! Owns the log panel, which doubles as the screen-reader view of the run
//! (`aria-live="polite"`). Every failed request appears with where and why it
//! failed. Each line has a kind (fault, failure, cache, lock, 2PC, access,
//! storage, queue, scaling), read from the node that logged it; the reader
//! narrows the list by kind (`data-control="log-kind"`) and by text
//! (`data-control="log-search"`). Reads the model; never changes it.

use super::lang::use_lang;
use super::terms;
use crate::cluster::{Cluster, ClusterNode};
use crate::i18n::{Lang, t, td, translate_line};
use crate::sim::time::format_time_us;
use crate::sim::{Fault, NodeId};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Lines collected from the model at most.
const KEPT: usize = 200;
/// Lines shown at most after filtering.
const SHOWN: usize = 40;

/// What a line is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    Fault,
    Failure,
    Cache,
    Lock,
    TwoPhase,
    Access,
    Storage,
    Queue,
    Scaling,
    Other,
}

impl LogKind {
    pub const ALL: [LogKind; 10] = [
        Self::Fault,
        Self::Failure,
        Self::Cache,
        Self::Lock,
        Self::TwoPhase,
        Self::Access,
        Self::Storage,
        Self::Queue,
        Self::Scaling,
        Self::Other,
    ];

    /// The value of the kind filter and the line's `data-kind`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Fault => "fault",
            Self::Failure => "failure",
            Self::Cache => "cache",
            Self::Lock => "lock",
            Self::TwoPhase => "2pc",
            Self::Access => "access",
            Self::Storage => "storage",
            Self::Queue => "queue",
            Self::Scaling => "scaling",
            Self::Other => "other",
        }
    }

    /// The kind's name in the filter (`log-kind.<value>` in the catalog).
    pub fn label(self, l: Lang) -> &'static str {
        crate::i18n::td(l, "log-kind", self.as_str()).unwrap_or(self.as_str())
    }
}

/// One line of the log.
#[derive(Clone, Debug, PartialEq)]
pub struct LogRow {
    pub at_us: u64,
    pub text: String,
    pub kind: LogKind,
}

/// The kind of a line `node` logged.
pub fn classify(cluster: &Cluster, node: NodeId, text: &str) -> LogKind {
    let name = cluster.sim.name(node);
    let is_fault = text.strip_prefix(name).and_then(|t| t.strip_prefix(": ")).is_some_and(|label| {
        ["crash", "restart", "pause", "resume", "slow", "isolate", "rejoin", "cut", "heal"].contains(&label)
    }) || text == Fault::HealAll.label();
    if is_fault {
        return LogKind::Fault;
    }
    match cluster.sim.node(node) {
        ClusterNode::ProductCache(_) | ClusterNode::Cdn(_) | ClusterNode::Origin(_) => LogKind::Cache,
        ClusterNode::Zk(_) | ClusterNode::InventoryStore(_) => LogKind::Lock,
        ClusterNode::TpcCoordinator(_) | ClusterNode::TpcParticipant(_) => LogKind::TwoPhase,
        ClusterNode::Balancer(_)
        | ClusterNode::KeepalivedLb(_)
        | ClusterNode::Vip(_)
        | ClusterNode::Dns(_)
        | ClusterNode::Resolver(_)
        | ClusterNode::DnsEntry(_)
        | ClusterNode::DrController(_) => LogKind::Access,
        ClusterNode::Mysql(_) | ClusterNode::Mycat(_) | ClusterNode::Redis(_) | ClusterNode::Sentinel(_) => {
            LogKind::Storage
        }
        ClusterNode::MqBroker(_) | ClusterNode::MqConsumer(_) => LogKind::Queue,
        ClusterNode::Autoscaler(_) => LogKind::Scaling,
        _ if text.contains("lock") || text.contains("token") => LogKind::Lock,
        _ => LogKind::Other,
    }
}

/// The newest lines of the run (log and failed requests), newest first, in English.
pub fn lines(cluster: &Cluster) -> Vec<LogRow> {
    lines_in(Lang::En, cluster)
}

/// The newest lines of the run, newest first; failed requests in `l`, the
/// mechanisms' own lines as they logged them (in English).
pub fn lines_in(l: Lang, cluster: &Cluster) -> Vec<LogRow> {
    let sim = &cluster.sim;
    let mut all: Vec<LogRow> = sim
        .log()
        .iter()
        .rev()
        .take(KEPT)
        .map(|line| {
            let name = sim.name(line.node);
            let kind = classify(cluster, line.node, &line.text);
            LogRow { at_us: line.at_us, text: worded(l, name, &line.text, kind), kind }
        })
        .collect();
    for (i, node) in sim.nodes().iter().enumerate() {
        let ClusterNode::Shoppers(pool) = node else { continue };
        let who = sim.name(NodeId(i as u16));
        for f in pool.recent_failures.iter().rev().take(KEPT) {
            let shopper = if pool.shoppers.len() == 1 { who.to_string() } else { format!("{who} #{}", f.shopper) };
            let text = format!("{shopper}: {}", terms::failure(l, f.page, sim.name(f.node), f.cause));
            all.push(LogRow { at_us: f.at_us, text, kind: LogKind::Failure });
        }
    }
    all.sort_by_key(|line| std::cmp::Reverse(line.at_us));
    all.truncate(KEPT);
    all
}

/// A model's log line in the reader's language, prefixed with its node's
/// name: a fault by its label (`fault.*`), a mechanism's line through the
/// `logline.*` templates.
fn worded(l: Lang, name: &str, text: &str, kind: LogKind) -> String {
    let prefixed = text.starts_with(name);
    let said = if kind == LogKind::Fault {
        let label = text.strip_prefix(name).and_then(|t| t.strip_prefix(": ")).unwrap_or(text);
        let label = td(l, "fault", label).unwrap_or(label);
        if prefixed { format!("{name}: {label}") } else { label.to_string() }
    } else {
        translate_line(l, text)
    };
    if prefixed || kind == LogKind::Fault { said } else { format!("{name}: {said}") }
}

/// The lines of `kind` (all if None) whose text contains `needle` (any case).
pub fn filter<'a>(rows: &'a [LogRow], kind: Option<LogKind>, needle: &str) -> Vec<&'a LogRow> {
    let needle = needle.trim().to_lowercase();
    rows.iter()
        .filter(|r| kind.is_none_or(|k| r.kind == k))
        .filter(|r| needle.is_empty() || r.text.to_lowercase().contains(&needle))
        .collect()
}

#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    pub lines: Vec<LogRow>,
}

#[function_component(EventLog)]
pub fn event_log(props: &EventLogProps) -> Html {
    let kind = use_state(|| None::<LogKind>);
    let needle = use_state(String::new);
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            kind.set(LogKind::ALL.into_iter().find(|k| k.as_str() == select.value()));
        })
    };
    let on_search = {
        let needle = needle.clone();
        Callback::from(move |e: InputEvent| needle.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let l = use_lang();
    let shown = filter(&props.lines, *kind, &needle);
    let narrowed = kind.is_some() || !needle.trim().is_empty();
    html! {
        <section class="event-log" aria-label={t(l, "log.title")}>
            <h2>{ t(l, "log.title") }</h2>
            <div class="log-filters">
                <label><span class="visually-hidden">{ t(l, "log.show") }</span>
                    <select data-control="log-kind" onchange={on_kind} aria-label={t(l, "log.kind-label")}>
                        <option value="all" selected={kind.is_none()}>{ t(l, "log.everything") }</option>
                        { for LogKind::ALL.iter().map(|k| html! {
                            <option value={k.as_str()} selected={*kind == Some(*k)}>{ k.label(l) }</option>
                        }) }
                    </select>
                </label>
                <input type="search" data-control="log-search" placeholder={t(l, "log.search")} aria-label={t(l, "log.search-label")}
                       value={(*needle).clone()} oninput={on_search} />
            </div>
            <ol aria-live="polite" aria-relevant="additions">
                if shown.is_empty() && !narrowed {
                    <li class="quiet">{ t(l, "log.empty") }</li>
                } else if shown.is_empty() {
                    <li class="quiet">{ t(l, "log.no-match") }</li>
                }
                { for shown.iter().take(SHOWN).map(|r| html! {
                    <li class={classes!((r.kind == LogKind::Failure).then_some("failure"), format!("log-{}", r.kind.as_str()))}
                        data-kind={r.kind.as_str()}>
                        <time>{ format_time_us(r.at_us) }</time>{ " " }{ &r.text }
                    </li>
                }) }
            </ol>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::command::NodeAction;
    use crate::cluster::topology::SliceOptions;
    use crate::sim::SEC;

    #[test]
    fn faults_and_failures_are_told_apart_and_filtered() {
        let mut cluster = Cluster::slice(&SliceOptions { seed: 5, ..SliceOptions::default() });
        cluster.run_until(20 * SEC, 5_000_000);
        let app2 = cluster.sim.id_of("app-2").unwrap();
        cluster.inject(NodeAction::Crash.fault(app2, 0));
        cluster.run_until(60 * SEC, 5_000_000);
        let rows = lines(&cluster);
        let faults = filter(&rows, Some(LogKind::Fault), "");
        assert_eq!(faults.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(), ["app-2: crash"]);
        let failures = filter(&rows, Some(LogKind::Failure), "");
        assert!(!failures.is_empty(), "a crash with sticky sessions fails requests");
        assert!(failures.iter().all(|r| r.text.contains(" failed at ")), "each failure names node and cause");
        assert_eq!(filter(&rows, None, "APP-2: CR").len(), 1, "the text filter ignores case");
        assert!(filter(&rows, Some(LogKind::TwoPhase), "").is_empty(), "the slice has no 2PC");
        assert!(rows.windows(2).all(|w| w[0].at_us >= w[1].at_us), "newest first");
        let names: Vec<&str> = cluster.node_ids().map(|id| cluster.sim.name(id)).collect();
        assert!(rows.iter().all(|r| names.iter().any(|n| r.text.starts_with(n))), "every line names its node");
    }
}
