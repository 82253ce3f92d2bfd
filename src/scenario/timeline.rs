//! A run's timed commands, in order, and driving a cluster through them.
//!
//! Owns the one rule that makes a recorded run replayable: a command due at
//! `at_us` is carried out after every event up to and including that
//! instant, whether a reader clicked it live or a file scheduled it. The
//! headless runner and the playground both advance through a `Timeline`, so
//! the same scenario gives the same trace in either. Load changes, data-centre
//! events and scheduled commands are merged here (a stable sort keeps the
//! file's order on ties); faults are scheduled in the kernel when the cluster
//! is built (`report::build`). Never decides what a command does: that is
//! `Cluster::apply`.

use super::format::{Scenario, ScheduledCommand};
use crate::cluster::Cluster;
use crate::cluster::command::Command;
use crate::sim::{MS, RunReport, TimeUs};

/// Who put a command on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    /// The scenario, lesson or shared link the run was loaded from.
    Script,
    /// The reader, recorded while they played (replayed after a rewind).
    Reader,
}

/// One timed command.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub at_us: TimeUs,
    pub command: Command,
    pub by: By,
}

/// The commands of a run, soonest first, and how far it has got.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    steps: Vec<Step>,
    next: usize,
}

impl Timeline {
    /// Every timed command of `scenario`: load changes, data-centre events,
    /// then its commands, each list in file order, merged by time.
    pub fn of(scenario: &Scenario) -> Self {
        Self::with_journal(scenario, &[])
    }

    /// `scenario`'s commands and then a reader's `journal`, merged by time
    /// (a stable sort: on a tie the script's come first).
    pub fn with_journal(scenario: &Scenario, journal: &[ScheduledCommand]) -> Self {
        let script = |at_us: TimeUs, command: Command| Step { at_us, command, by: By::Script };
        let load = scenario.load.iter().map(|c| script(c.at_ms * MS, Command::SetShoppers { shoppers: c.shoppers }));
        let centres = scenario
            .centres
            .iter()
            .map(|c| script(c.at_ms * MS, Command::Centre { centre: c.centre.clone(), action: c.action }));
        let commands = scenario.commands.iter().map(|c| script(c.due_us(), c.command.clone()));
        let reader = journal.iter().map(|c| Step { at_us: c.due_us(), command: c.command.clone(), by: By::Reader });
        let mut steps: Vec<Step> = load.chain(centres).chain(commands).chain(reader).collect();
        steps.sort_by_key(|step| step.at_us);
        Self { steps, next: 0 }
    }

    /// When the next command is due, if any is left.
    pub fn next_at_us(&self) -> Option<TimeUs> {
        self.steps.get(self.next).map(|step| step.at_us)
    }

    /// The commands not carried out yet.
    pub fn upcoming(&self) -> &[Step] {
        &self.steps[self.next..]
    }

    /// Forget the reader's commands still to come (a reader acting during a
    /// replay forks the run: from here on, what they do now is the story; the
    /// script's own commands stay).
    pub fn drop_upcoming_by_reader(&mut self) {
        let mut index = 0;
        let next = self.next;
        self.steps.retain(|step| {
            index += 1;
            index <= next || step.by == By::Script
        });
    }

    /// Runs `cluster` up to `target_us`, processing at most `max_events`
    /// events, carrying out each command whose time comes on the way. A
    /// command the cluster refuses changes nothing and is passed over (a
    /// validated scenario names only what exists).
    pub fn run_until(&mut self, cluster: &mut Cluster, target_us: TimeUs, max_events: u64) -> RunReport {
        let mut events = 0;
        loop {
            let stop_us = self.next_at_us().map_or(target_us, |at_us| at_us.min(target_us));
            let report = cluster.run_until(stop_us, max_events - events);
            events += report.events;
            if !report.reached {
                return RunReport { events, reached: false };
            }
            match self.steps.get(self.next) {
                Some(step) if step.at_us <= stop_us => {
                    let _ = cluster.apply(&step.command);
                    self.next += 1;
                }
                _ => return RunReport { events, reached: true },
            }
        }
    }
}
