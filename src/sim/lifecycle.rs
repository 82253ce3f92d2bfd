//! Node lifecycle: up, crashed, paused, slowed — and how a reader sees it.
//!
//! Owns each node's process state and the rules for moving between states.
//! Never touches a node's own data: the kernel calls `Node::on_crash` to drop
//! volatile state; this module only records what happened.

use super::time::TimeUs;
use serde::{Deserialize, Serialize};

/// Whether a node's process is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Process {
    /// Running: handles messages and timers as they come.
    Up,
    /// Dead: volatile state gone; messages to it are refused.
    Crashed,
    /// Frozen (a long GC pause, SIGSTOP, a stalled VM): alive but silent;
    /// messages and timers wait and are handled on resume.
    Paused,
}

/// What the diagram shows for a node, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VisibleState {
    Up,
    Crashed,
    Paused,
    Slow,
    Partitioned,
}

impl VisibleState {
    /// The value of the `data-state` hook.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Crashed => "crashed",
            Self::Paused => "paused",
            Self::Slow => "slow",
            Self::Partitioned => "partitioned",
        }
    }
}

/// One node's lifecycle record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    pub process: Process,
    /// Extra time added to everything this node sends (0 = normal speed).
    pub slow_extra_us: TimeUs,
    /// How many times the process has started (1 after the first start).
    pub incarnation: u32,
    /// When the process last changed state.
    pub since_us: TimeUs,
    pub crashes: u32,
    /// When the process last crashed (kept through restarts): outages are measured from it.
    pub last_crash_us: Option<TimeUs>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self { process: Process::Up, slow_extra_us: 0, incarnation: 1, since_us: 0, crashes: 0, last_crash_us: None }
    }
}

impl Lifecycle {
    pub fn is_up(&self) -> bool {
        self.process == Process::Up
    }

    /// The state to draw, given whether the network has cut the node off.
    pub fn visible(&self, partitioned: bool) -> VisibleState {
        match self.process {
            Process::Crashed => VisibleState::Crashed,
            Process::Paused => VisibleState::Paused,
            Process::Up if partitioned => VisibleState::Partitioned,
            Process::Up if self.slow_extra_us > 0 => VisibleState::Slow,
            Process::Up => VisibleState::Up,
        }
    }
}
