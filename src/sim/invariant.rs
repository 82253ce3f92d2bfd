//! Named properties of a run, checked after every event.
//!
//! Owns the `always` / `sometimes` framework: an `always` property must hold
//! after every event, and its first violation is kept with the time and event
//! index at which it broke; a `sometimes` property proves an interesting case
//! was actually reached, so a green run is not a vacuous one. Never decides
//! what a property means: the model supplies the checks as plain functions
//! over a read-only view of the run.

use super::lifecycle::Lifecycle;
use super::metrics::Metrics;
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
pub type Watches<N> = fn(&N) -> bool;

enum Check<N> {
    Always(AlwaysCheck<N>, Option<Watches<N>>),
    Sometimes(SometimesCheck<N>, Option<Watches<N>>),
}

/// False when the last event cannot have changed what a check reads: it
/// watches some nodes, and the event changed only one it does not watch.
fn may_have_changed<N>(watches: Option<Watches<N>>, touched: Option<&N>) -> bool {
    match (watches, touched) {
        (Some(reads), Some(node)) => reads(node),
        _ => true,
    }
}

/// The properties of one run and their verdicts.
pub struct Properties<N> {
    checks: Vec<Check<N>>,
    verdicts: Vec<Verdict>,
}

impl<N> Default for Properties<N> {
    fn default() -> Self {
        Self { checks: Vec::new(), verdicts: Vec::new() }
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

    fn push_always(&mut self, name: &'static str, check: AlwaysCheck<N>, watches: Option<Watches<N>>) {
        self.checks.push(Check::Always(check, watches));
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

    fn push_sometimes(&mut self, name: &'static str, check: SometimesCheck<N>, watches: Option<Watches<N>>) {
        self.checks.push(Check::Sometimes(check, watches));
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

    /// Check every property against `view`. A broken `always` keeps its first
    /// violation; a `sometimes` stops being checked once seen. `touched` is
    /// the only node the last event could have changed (None: any).
    pub fn check(&mut self, view: &View<'_, N>, touched: Option<usize>) {
        let touched = touched.and_then(|t| view.nodes.get(t));
        for (check, verdict) in self.checks.iter().zip(self.verdicts.iter_mut()) {
            match *check {
                Check::Always(f, watches) => {
                    if verdict.first_violation.is_none()
                        && may_have_changed(watches, touched)
                        && let Err(reason) = f(view)
                    {
                        verdict.holds = false;
                        verdict.first_violation =
                            Some(Violation { at_us: view.now_us, event_index: view.event_index, reason });
                    }
                }
                Check::Sometimes(f, watches) => {
                    if !verdict.holds && may_have_changed(watches, touched) && f(view) {
                        verdict.holds = true;
                        verdict.first_seen_us = Some(view.now_us);
                    }
                }
            }
        }
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
