//! A run being played by a reader: the scenario it started from, what the
//! reader did and when, and everything needed to play it again.
//!
//! Owns the journal of the reader's commands (each at the virtual instant it
//! was given, after every event of that instant), forking (acting during a
//! replay drops the reader's later commands, never the script's), rebuilding
//! the same run from t = 0 (a rewind, or a replay under another design such
//! as "switch the session store to Redis and replay"), and the scenario of
//! the run so far — the one a share link or file carries. The cluster itself
//! is the caller's: every method takes it, so the playground and the lessons'
//! scripted reader drive the same code. No IO, no wall clock.

use super::format::{Scenario, ScheduledCommand};
use super::report;
use super::timeline::Timeline;
use crate::cluster::Cluster;
use crate::cluster::command::{Command, CommandError};
use crate::cluster::design::SwitchError;
use crate::sim::{MS, RunReport, TimeUs};

/// A scenario and the reader's journal on top of it.
#[derive(Clone, Debug)]
pub struct Recording {
    scenario: Scenario,
    journal: Vec<ScheduledCommand>,
    timeline: Timeline,
}

impl Recording {
    /// Starts recording a validated `scenario`: the cluster it describes at
    /// t = 0, with its faults scheduled.
    pub fn start(scenario: Scenario) -> (Self, Cluster) {
        let cluster = report::build(&scenario);
        let timeline = Timeline::of(&scenario);
        (Self { scenario, journal: Vec::new(), timeline }, cluster)
    }

    /// The scenario the run started from.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The reader's commands so far, in order.
    pub fn journal(&self) -> &[ScheduledCommand] {
        &self.journal
    }

    /// Where the scenario ends.
    pub fn end_us(&self) -> TimeUs {
        self.scenario.duration_ms * MS
    }

    /// The run so far as one scenario: the script's commands and the
    /// reader's, merged by time (the script's first on a tie, as they ran).
    pub fn scenario_so_far(&self) -> Scenario {
        let mut scenario = self.scenario.clone();
        scenario.commands.extend(self.journal.iter().cloned());
        scenario.commands.sort_by_key(ScheduledCommand::due_us);
        scenario
    }

    /// Runs `cluster` to `target_us` (at most `max_events` events), carrying
    /// out the script's and the journal's commands as they come due.
    pub fn run_until(&mut self, cluster: &mut Cluster, target_us: TimeUs, max_events: u64) -> RunReport {
        self.timeline.run_until(cluster, target_us, max_events)
    }

    /// Processes one event, or the command due before it.
    pub fn step(&mut self, cluster: &mut Cluster) {
        let next_event_us = cluster.sim.next_event_at_us();
        match self.timeline.next_at_us() {
            Some(at_us) if next_event_us.is_none_or(|event_us| at_us < event_us) => {
                self.timeline.run_until(cluster, at_us, u64::MAX);
            }
            _ => {
                cluster.sim.step();
            }
        }
    }

    /// The reader's `command`, now: the rest of this instant's events and
    /// commands run first (as a replay will run them), then the command is
    /// carried out and recorded. A refused command is not recorded and
    /// changes nothing; one given during a replay forks the run.
    pub fn command(&mut self, cluster: &mut Cluster, command: Command) -> Result<(), CommandError> {
        let now_us = cluster.sim.now_us();
        self.timeline.run_until(cluster, now_us, u64::MAX);
        cluster.apply(&command)?;
        self.timeline.drop_upcoming_by_reader();
        self.journal.retain(|c| c.due_us() <= now_us);
        self.journal.push(ScheduledCommand::at_us(now_us, command));
        Ok(())
    }

    /// The same run from t = 0: the scenario rebuilt, the journal to be
    /// replayed as time comes to each command (a rewind starts here).
    pub fn restart(&mut self) -> Cluster {
        self.timeline = Timeline::with_journal(&self.scenario, &self.journal);
        report::build(&self.scenario)
    }

    /// The same run from t = 0 (same seed, same actions) with one switch of
    /// the starting design changed: how a switch that cannot change live,
    /// such as the session store, is tried. A bad switch changes nothing.
    pub fn replay_with(&mut self, switch: &str, value: &str) -> Result<Cluster, SwitchError> {
        self.scenario.switches = self.scenario.switches.with(switch, value)?;
        Ok(self.restart())
    }
}
