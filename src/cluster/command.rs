//! What a reader, a lesson or a scenario can ask of the running cluster.
//!
//! Owns the closed `NodeAction` (crash, restart, pause, resume, slow,
//! partition, heal) and `Command` enums, their names on the page and in
//! scenario files, and `Cluster::apply`, which checks a command against the
//! topology and carries it out — or says, in words, why it cannot. A command
//! that fails changes nothing.

use super::design::SwitchError;
use super::topology::Cluster;
use crate::sim::{Fault, MS, NodeId, TimeUs};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Added latency of the `slow` action unless a scenario says otherwise: a
/// badly tuned GC or a noisy neighbour, 200 ms on everything it sends.
pub const DEFAULT_SLOW_US: TimeUs = 200 * MS;

/// A fault or repair on one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NodeAction {
    Crash,
    Restart,
    Pause,
    Resume,
    Slow,
    Partition,
    Heal,
}

impl NodeAction {
    pub const ALL: [NodeAction; 7] = [
        NodeAction::Crash,
        NodeAction::Restart,
        NodeAction::Pause,
        NodeAction::Resume,
        NodeAction::Slow,
        NodeAction::Partition,
        NodeAction::Heal,
    ];

    /// The value of the `data-action` hook and of `action` in scenario files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Crash => "crash",
            Self::Restart => "restart",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Slow => "slow",
            Self::Partition => "partition",
            Self::Heal => "heal",
        }
    }

    /// The kernel fault this action inflicts on `node` (`slow_us` for `slow`).
    pub const fn fault(self, node: NodeId, slow_us: TimeUs) -> Fault {
        match self {
            Self::Crash => Fault::Crash { node },
            Self::Restart => Fault::Restart { node },
            Self::Pause => Fault::Pause { node },
            Self::Resume => Fault::Resume { node },
            Self::Slow => Fault::Slow { node, extra_us: slow_us },
            Self::Partition => Fault::Isolate { node },
            Self::Heal => Fault::Rejoin { node },
        }
    }
}

/// What can happen to a whole data centre.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CentreAction {
    Fail,
    Restore,
}

/// Everything that can be asked of a running cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "kebab-case")]
pub enum Command {
    /// A fault or repair on the node with this `data-node` id.
    Node { node: String, action: NodeAction },
    /// This many shoppers of the crowd shop from now on (a surge or its end).
    SetShoppers { shoppers: u16 },
    /// Heal every link and rejoin every isolated node.
    HealNetwork,
    /// A whole data centre (two sites, three centres): `fail` cuts its
    /// network and stops every machine in it, as a power or fibre loss does;
    /// `restore` brings them back.
    Centre { centre: String, action: CentreAction },
    /// Flip a design switch (`data-switch` name and value) while it runs.
    SetSwitch { switch: String, value: String },
}

/// Why a command was not carried out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    UnknownNode { node: String },
    TooManyShoppers { asked: u16, capacity: u16 },
    Switch(SwitchError),
    UnknownCentre { centre: String },
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownNode { node } => write!(f, "there is no node `{node}` in this cluster"),
            Self::TooManyShoppers { asked, capacity } => {
                write!(f, "{asked} shoppers is more than the crowd can hold ({capacity})")
            }
            Self::Switch(e) => e.fmt(f),
            Self::UnknownCentre { centre } => write!(f, "there is no data centre `{centre}` in this cluster"),
        }
    }
}

impl std::error::Error for CommandError {}

impl Cluster {
    /// Checks a command and carries it out now; on error nothing changes.
    pub fn apply(&mut self, command: &Command) -> Result<(), CommandError> {
        match command {
            Command::Node { node, action } => {
                let id = self.sim.id_of(node).ok_or_else(|| CommandError::UnknownNode { node: node.clone() })?;
                self.inject(action.fault(id, DEFAULT_SLOW_US));
            }
            Command::SetShoppers { shoppers } => {
                let capacity = self.crowd_capacity();
                if *shoppers > capacity {
                    return Err(CommandError::TooManyShoppers { asked: *shoppers, capacity });
                }
                self.set_shoppers(*shoppers);
            }
            Command::HealNetwork => self.inject(Fault::HealAll),
            Command::Centre { centre, action } => {
                let nodes =
                    self.centre_nodes(centre).ok_or_else(|| CommandError::UnknownCentre { centre: centre.clone() })?;
                for node in nodes {
                    match action {
                        CentreAction::Fail => {
                            self.inject(Fault::Isolate { node });
                            self.inject(Fault::Crash { node });
                        }
                        CentreAction::Restore => {
                            self.inject(Fault::Rejoin { node });
                            self.inject(Fault::Restart { node });
                        }
                    }
                }
            }
            Command::SetSwitch { switch, value } => self.set_switch(switch, value).map_err(CommandError::Switch)?,
        }
        Ok(())
    }
}
