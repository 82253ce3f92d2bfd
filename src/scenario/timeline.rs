//! A run's timed commands, in order, and driving a cluster through them.
//!
//! Owns the one rule that makes a recorded run replayable: a command timed
//! `at_ms` is carried out after every event up to and including that
//! millisecond, whether a reader clicked it live or a file scheduled it. The
//! headless runner and the playground both advance through a `Timeline`, so
//! the same scenario gives the same trace in either. Load changes, data-centre
//! events and scheduled commands are merged here (a stable sort keeps the
//! file's order on ties); faults are scheduled in the kernel when the cluster
//! is built (`report::build`). Never decides what a command does: that is
//! `Cluster::apply`.

use super::format::Scenario;
use crate::cluster::Cluster;
use crate::cluster::command::Command;
use crate::sim::{MS, RunReport, TimeUs};

/// The commands still to come, soonest first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    steps: Vec<(TimeUs, Command)>,
    next: usize,
}

/// The first whole millisecond at or after `now_us`: when a command given now
/// takes effect, so that a millisecond-timed file can replay it exactly.
pub fn command_time_ms(now_us: TimeUs) -> u64 {
    now_us.div_ceil(MS)
}

impl Timeline {
    /// Every timed command of `scenario`: load changes, data-centre events,
    /// then its commands, each list in file order, merged by time.
    pub fn of(scenario: &Scenario) -> Self {
        let load = scenario.load.iter().map(|c| (c.at_ms, Command::SetShoppers { shoppers: c.shoppers }));
        let centres =
            scenario.centres.iter().map(|c| (c.at_ms, Command::Centre { centre: c.centre.clone(), action: c.action }));
        let commands = scenario.commands.iter().map(|c| (c.at_ms, c.command.clone()));
        let mut steps: Vec<(TimeUs, Command)> =
            load.chain(centres).chain(commands).map(|(at_ms, command)| (at_ms * MS, command)).collect();
        steps.sort_by_key(|(at_us, _)| *at_us);
        Self { steps, next: 0 }
    }

    /// When the next command is due, if any is left.
    pub fn next_at_us(&self) -> Option<TimeUs> {
        self.steps.get(self.next).map(|(at_us, _)| *at_us)
    }

    /// The commands not carried out yet.
    pub fn upcoming(&self) -> &[(TimeUs, Command)] {
        &self.steps[self.next..]
    }

    /// Forget the commands still to come (a reader acting during a replay
    /// forks the run: from here on, what they do now is the story).
    pub fn drop_upcoming(&mut self) {
        self.steps.truncate(self.next);
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
                Some((at_us, command)) if *at_us <= stop_us => {
                    let _ = cluster.apply(command);
                    self.next += 1;
                }
                _ => return RunReport { events, reached: true },
            }
        }
    }
}
