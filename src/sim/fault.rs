//! Faults and repairs a reader or a schedule can inflict on the run.
//!
//! Owns the closed list of faults (crash, restart, pause, resume, slow, cut and
//! heal links) and their names. Applying them is the kernel's job; this module
//! only says what they are.

use super::node::NodeId;
use super::time::TimeUs;
use serde::{Deserialize, Serialize};

/// One fault or repair.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "kebab-case")]
pub enum Fault {
    /// Kill the process: volatile state lost, durable state kept.
    Crash { node: NodeId },
    /// Start the process again (a running one is rebooted).
    Restart { node: NodeId },
    /// Freeze the process: messages and timers wait.
    Pause { node: NodeId },
    /// Unfreeze: everything that waited is handled now, in order.
    Resume { node: NodeId },
    /// Add `extra_us` to everything the node sends (0 restores full speed).
    Slow { node: NodeId, extra_us: TimeUs },
    /// Cut every link of the node.
    Isolate { node: NodeId },
    /// Undo `Isolate`.
    Rejoin { node: NodeId },
    /// Cut `from → to`, and `to → from` too if `both_ways`.
    Cut { from: NodeId, to: NodeId, both_ways: bool },
    /// Restore both directions between two nodes.
    Heal { a: NodeId, b: NodeId },
    /// Restore every link.
    HealAll,
}

impl Fault {
    /// A fixed name for traces and logs.
    /// Every `label` a fault can have.
    pub const LABELS: [&'static str; 10] =
        ["crash", "restart", "pause", "resume", "slow", "isolate", "rejoin", "cut", "heal", "heal-all"];

    pub const fn label(&self) -> &'static str {
        match self {
            Self::Crash { .. } => "crash",
            Self::Restart { .. } => "restart",
            Self::Pause { .. } => "pause",
            Self::Resume { .. } => "resume",
            Self::Slow { .. } => "slow",
            Self::Isolate { .. } => "isolate",
            Self::Rejoin { .. } => "rejoin",
            Self::Cut { .. } => "cut",
            Self::Heal { .. } => "heal",
            Self::HealAll => "heal-all",
        }
    }

    /// The node the fault is about (the first one, for link faults).
    pub const fn node(&self) -> Option<NodeId> {
        match *self {
            Self::Crash { node }
            | Self::Restart { node }
            | Self::Pause { node }
            | Self::Resume { node }
            | Self::Slow { node, .. }
            | Self::Isolate { node }
            | Self::Rejoin { node } => Some(node),
            Self::Cut { from, .. } => Some(from),
            Self::Heal { a, .. } => Some(a),
            Self::HealAll => None,
        }
    }
}
