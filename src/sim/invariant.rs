//! Named properties of a run, checked after every event.
//!
//! Owns the `always` / `sometimes` framework: an `always` property must hold
//! after every event, and its first violation is kept with the time and event
//! index at which it broke; a `sometimes` property proves an interesting case
//! was actually reached, so a green run is not a vacuous one. Never decides
//! what a property means: the model supplies the checks as plain functions
//! over a read-only view of the run.

use super::lifecycle::Lifecycle;
use super::metrics::{CounterId, Metrics};
use super::time::TimeUs;
use serde::Serialize;

/// What a check may look at: the whole run, read-only.
pub struct View<'a, N> {
    pub now_us: TimeUs,
    /// Index of the event just processed.
    pub event_index: u64,
    pub nodes: &'a [N],
    pub lifecycles: &'a [Lifecycle],
    pub metrics: &'a Metrics,
}

/// A check for an `always` property: `Err(why)` when it does not hold.
pub type AlwaysCheck<N> = fn(&View<'_, N>) -> Result<(), String>;
/// A check for a `sometimes` property: true once the case has happened.
pub type SometimesCheck<N> = fn(&View<'_, N>) -> bool;
/// A per-node check for an `always` property that holds when it holds at
/// every node: `Err(why)` when node `index` breaks it. It reads that node
/// only (not its lifecycle, the time or the metrics).
pub type NodeCheck<N> = fn(usize, &N) -> Result<(), String>;
/// A check for an `always` property that also says how long its verdict
/// stands if nothing it watches changes (see `Settled`).
pub type SettledCheck<N> = fn(&View<'_, N>) -> Result<Settled, String>;

/// How long a verdict of a `SettledCheck` stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settled {
    /// It holds whatever the time, until a node it watches (or a lifecycle) changes.
    UntilWatchedChange,
    /// It holds now, but may break as time passes: check after the next event.
    NextEvent,
}

/// Which kind of property.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PropertyKind {
    Always,
    Sometimes,
}

/// Where and why an `always` property first failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Violation {
    pub at_us: TimeUs,
    pub event_index: u64,
    pub reason: String,
}

/// A property's verdict so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub name: &'static str,
    pub kind: PropertyKind,
    /// Always: no violation yet. Sometimes: the case has been seen.
    pub holds: bool,
    pub first_violation: Option<Violation>,
    /// Sometimes: when it was first seen.
    pub first_seen_us: Option<TimeUs>,
}

/// Which nodes' changes can break an `always` property (or reveal a
/// `sometimes` one): it need not be checked again after an event that only
/// changed a node it does not watch. Every node it reads, as a rule; a node
/// whose part it reads only changes in ways that cannot break it (a table
/// that only grows, say) may be left out, said so where it is registered.
/// It must answer from what the node is (its kind, how it was built), never
/// from state that changes as it runs: it is asked once per node, and again
/// only after the node is edited in place (`Sim::node_mut`).
pub type Watches<N> = fn(&N) -> bool;

enum Check<N> {
    Always(AlwaysCheck<N>, Option<Watches<N>>),
    AlwaysEach(NodeCheck<N>, Watches<N>),
    AlwaysSettled(SettledCheck<N>, Watches<N>),
    Sometimes(SometimesCheck<N>, Option<Watches<N>>),
    SometimesCounter(&'static str),
}

/// What a check remembers between events.
#[derive(Clone, Copy, Default)]
struct CheckState {
    /// Nodes may have changed unchecked (the run started, a node was edited
    /// in place): an `AlwaysEach` looks at every node at its next check.
    every_node: bool,
    /// An `AlwaysSettled` verdict stands until a watched node changes.
    settled: bool,
    /// A `SometimesCounter`'s counter, once registered.
    counter: Option<CounterId>,
}

/// False when the last event cannot have changed what a check reads: it
/// watches some nodes, and the event changed only one it does not watch.
fn may_have_changed<N>(watches: Option<Watches<N>>, touched: Option<&N>) -> bool {
    match (watches, touched) {
        (Some(reads), Some(node)) => reads(node),
        _ => true,
    }
}

/// A `sometimes` property is seen now.
fn seen(verdict: &mut Verdict, now_us: TimeUs) {
    verdict.holds = true;
    verdict.first_seen_us = Some(now_us);
}

/// A per-node check over the touched node only, or over every node in
/// order (after a fault or command, or when nodes changed unchecked).
fn each_node<N>(
    view: &View<'_, N>,
    check: NodeCheck<N>,
    touched: Option<(usize, &N)>,
    state: &mut CheckState,
) -> Result<(), String> {
    match touched {
        Some((index, node)) if !state.every_node => check(index, node),
        _ => {
            state.every_node = false;
            view.nodes.iter().enumerate().try_for_each(|(index, node)| check(index, node))
        }
    }
}

/// The checks to visit after an event that changed one node: each check
/// that watches it or may run regardless, with whether it watches it (a
/// check whose verdict is final — an `always` broken, a `sometimes` seen —
/// is left out).
type Plan = Vec<(u16, bool)>;

/// The properties of one run and their verdicts.
pub struct Properties<N> {
    checks: Vec<Check<N>>,
    verdicts: Vec<Verdict>,
    states: Vec<CheckState>,
    /// Per node index, its `Plan`, made at the node's first event.
    plans: Vec<Option<Plan>>,
}

impl<N> Default for Properties<N> {
    fn default() -> Self {
        Self { checks: Vec::new(), verdicts: Vec::new(), states: Vec::new(), plans: Vec::new() }
    }
}

impl<N> Properties<N> {
    pub fn always(&mut self, name: &'static str, check: AlwaysCheck<N>) {
        self.push_always(name, check, None);
    }

    /// An `always` property that reads only the nodes `watches` accepts and
    /// perhaps their lifecycles (nothing else: not the time or the metrics).
    /// It is skipped after an event that changed only some other node — its
    /// verdict could not have changed — and checked after every fault or
    /// command (the only events that change a lifecycle). The same verdicts
    /// as `always`, for much less work.
    pub fn always_watching(&mut self, name: &'static str, check: AlwaysCheck<N>, watches: Watches<N>) {
        self.push_always(name, check, Some(watches));
    }

    /// An `always` property that holds when `check` holds at every node,
    /// each read alone. After an event that changed one node only that node
    /// is checked (the others held and did not change); after a fault or a
    /// command, every node. Skipped like `always_watching`, and a node that
    /// breaks it is reported at the same event as with `always_watching`.
    pub fn always_each(&mut self, name: &'static str, check: NodeCheck<N>, watches: Watches<N>) {
        self.push_always_check(name, Check::AlwaysEach(check, watches));
    }

    /// An `always` property whose check may depend on the time as well as on
    /// the nodes `watches` accepts and their lifecycles: checked after every
    /// event, except that once it answers `Settled::UntilWatchedChange` it is
    /// skipped until an event changes a watched node (or any lifecycle).
    pub fn always_settled(&mut self, name: &'static str, check: SettledCheck<N>, watches: Watches<N>) {
        self.push_always_check(name, Check::AlwaysSettled(check, watches));
    }

    fn push_always(&mut self, name: &'static str, check: AlwaysCheck<N>, watches: Option<Watches<N>>) {
        self.push_always_check(name, Check::Always(check, watches));
    }

    fn push_always_check(&mut self, name: &'static str, check: Check<N>) {
        self.plans.clear();
        self.checks.push(check);
        self.states.push(CheckState { every_node: true, ..CheckState::default() });
        self.verdicts.push(Verdict {
            name,
            kind: PropertyKind::Always,
            holds: true,
            first_violation: None,
            first_seen_us: None,
        });
    }

    pub fn sometimes(&mut self, name: &'static str, check: SometimesCheck<N>) {
        self.push_sometimes(name, check, None);
    }

    /// A `sometimes` witness that reads only the nodes `watches` accepts and
    /// perhaps their lifecycles, skipped like `always_watching`: it is first
    /// seen after the same event as with `sometimes`.
    pub fn sometimes_watching(&mut self, name: &'static str, check: SometimesCheck<N>, watches: Watches<N>) {
        self.push_sometimes(name, check, Some(watches));
    }

    /// A `sometimes` witness that counter `counter` of the metrics is above
    /// zero (checked after every event, by the counter's id once it exists).
    pub fn sometimes_counter(&mut self, name: &'static str, counter: &'static str) {
        self.push_sometimes_check(name, Check::SometimesCounter(counter));
    }

    fn push_sometimes(&mut self, name: &'static str, check: SometimesCheck<N>, watches: Option<Watches<N>>) {
        self.push_sometimes_check(name, Check::Sometimes(check, watches));
    }

    fn push_sometimes_check(&mut self, name: &'static str, check: Check<N>) {
        self.plans.clear();
        self.checks.push(check);
        self.states.push(CheckState::default());
        self.verdicts.push(Verdict {
            name,
            kind: PropertyKind::Sometimes,
            holds: false,
            first_violation: None,
            first_seen_us: None,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    /// Nodes were changed outside an event (edited in place): per-node
    /// checks look at every node next time, settled verdicts are checked again.
    pub fn recheck_every_node(&mut self) {
        self.plans.clear();
        for state in &mut self.states {
            state.every_node = true;
            state.settled = false;
        }
    }

    /// Check every property against `view`. A broken `always` keeps its first
    /// violation; a `sometimes` stops being checked once seen. `touched` is
    /// the only node the last event could have changed (None: any).
    pub fn check(&mut self, view: &View<'_, N>, touched: Option<usize>) {
        match touched.and_then(|t| Some((t, view.nodes.get(t)?))) {
            None => (0..self.checks.len()).for_each(|i| {
                if !self.is_final(i) && self.visit(i, view, None, true) {
                    self.plans.clear();
                }
            }),
            Some((t, node)) => {
                if self.plans.len() <= t {
                    self.plans.resize_with(t + 1, || None);
                }
                let plan = self.plans[t].take().unwrap_or_else(|| self.plan(node));
                let mut concluded = false;
                for &(i, watched) in &plan {
                    concluded |= self.visit(usize::from(i), view, Some((t, node)), watched);
                }
                self.plans[t] = Some(plan);
                if concluded {
                    self.plans.clear(); // made again without the finished check
                }
            }
        }
    }

    /// True once check `i`'s verdict can no longer change.
    fn is_final(&self, i: usize) -> bool {
        let verdict = &self.verdicts[i];
        verdict.first_violation.is_some() || (verdict.kind == PropertyKind::Sometimes && verdict.holds)
    }

    /// Which checks an event that changed only `node` may concern.
    fn plan(&self, node: &N) -> Plan {
        let mut plan = Plan::new();
        for (i, check) in self.checks.iter().enumerate() {
            if self.is_final(i) {
                continue;
            }
            let (watched, regardless) = match *check {
                Check::Always(_, watches) | Check::Sometimes(_, watches) => {
                    (may_have_changed(watches, Some(node)), false)
                }
                Check::AlwaysEach(_, watches) => (watches(node), false),
                Check::AlwaysSettled(_, watches) => (watches(node), true),
                Check::SometimesCounter(_) => (true, true),
            };
            if watched || regardless {
                plan.push((u16::try_from(i).expect("fewer than 65,536 properties"), watched));
            }
        }
        plan
    }

    /// Check `i`, whose verdict is not final yet, after an event (plans
    /// hold no final check); `watched`: the event may have changed what it
    /// reads. Returns true if its verdict became final just now. The verdict
    /// is touched only then.
    fn visit(&mut self, i: usize, view: &View<'_, N>, touched: Option<(usize, &N)>, watched: bool) -> bool {
        let state = &mut self.states[i];
        let mut seen_now = false;
        let broken = match self.checks[i] {
            Check::Always(f, _) => watched.then(|| f(view)),
            Check::AlwaysEach(f, _) => watched.then(|| each_node(view, f, touched, state)),
            Check::AlwaysSettled(f, _) => (!state.settled || watched).then(|| {
                let verdict = f(view);
                state.settled = verdict == Ok(Settled::UntilWatchedChange);
                verdict.map(|_| ())
            }),
            Check::Sometimes(f, _) => {
                seen_now = watched && f(view);
                None
            }
            Check::SometimesCounter(name) => {
                state.counter = state.counter.or_else(|| view.metrics.find_counter(name));
                seen_now = state.counter.is_some_and(|id| view.metrics.get(id) > 0);
                None
            }
        };
        if seen_now {
            seen(&mut self.verdicts[i], view.now_us);
            return true;
        }
        let Some(Err(reason)) = broken else { return false };
        let verdict = &mut self.verdicts[i];
        verdict.holds = false;
        verdict.first_violation = Some(Violation { at_us: view.now_us, event_index: view.event_index, reason });
        true
    }

    pub fn verdicts(&self) -> &[Verdict] {
        &self.verdicts
    }

    pub fn verdict(&self, name: &str) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.name == name)
    }

    /// The first `always` property that broke, if any.
    pub fn first_broken(&self) -> Option<&Verdict> {
        self.verdicts
            .iter()
            .filter(|v| v.kind == PropertyKind::Always && !v.holds)
            .min_by_key(|v| v.first_violation.as_ref().map_or(u64::MAX, |x| x.event_index))
    }
}
