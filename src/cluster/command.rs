//! What a reader, a lesson or a scenario can ask of the running cluster.
//!
//! Owns the closed `NodeAction` (crash, restart, pause, resume, slow,
//! partition, heal) and `Command` enums, their names on the page and in
//! scenario files, and `Cluster::apply`, which checks a command against the
//! topology and carries it out — or says, in words, why it cannot. A command
//! that fails changes nothing. `Command::Xiaoming` follows the named shopper
//! step by step: in manual mode he takes one journey step per `next-step`.
//! `Deploy` and `Purge` change the shop's static content and the CDN's copies.

use super::ClusterNode;
use super::design::SwitchError;
use super::http_cache::ResourceId;
use super::shopper::{CATALOGUE, StepRefusal};
use super::topology::Cluster;
use super::topology_full::edge;
use crate::sim::{Fault, MS, NodeId, Process, TimeUs};
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

/// How the followed shopper, Xiaoming (小明), walks his journey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum XiaomingAction {
    /// On his own, pausing a think time between pages.
    Auto,
    /// Only when told: he finishes the page he is on and waits.
    Manual,
    /// In manual mode: ask for the next page of the journey now.
    NextStep,
}

impl XiaomingAction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "xiaoming-auto",
            Self::Manual => "xiaoming-manual",
            Self::NextStep => "xiaoming-next-step",
        }
    }
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
    /// Follow Xiaoming: walk on his own, step by hand, or take the next step.
    Xiaoming { action: XiaomingAction },
    /// New content at the origin: the product's image and description, or
    /// without a product the JS/CSS bundle. CDN edges keep serving their
    /// copies until these expire or are purged.
    Deploy { product: Option<u32> },
    /// Invalidate those assets at every CDN edge now.
    Purge { product: Option<u32> },
    /// A flash sale: `units` of `product` on sale, most detail pages drawn to it.
    FlashSale { product: u32, units: u32 },
}

/// Why a command was not carried out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    UnknownNode {
        node: String,
    },
    TooManyShoppers {
        asked: u16,
        capacity: u16,
    },
    Switch(SwitchError),
    UnknownCentre {
        centre: String,
    },
    /// Xiaoming cannot do that now.
    Xiaoming(StepRefusal),
    /// No such product in the catalogue.
    UnknownProduct {
        product: u32,
    },
    /// This cluster has no origin and CDN edges (only the whole shop has).
    NoCdn,
    /// This cluster keeps no stock (only the whole shop sells).
    NoInventory,
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
            Self::Xiaoming(why) => write!(f, "Xiaoming cannot: {why}"),
            Self::UnknownProduct { product } => {
                write!(f, "there is no product {product}; products are 1 to {CATALOGUE}")
            }
            Self::NoCdn => write!(f, "this cluster has no origin and CDN edges (the whole shop has)"),
            Self::NoInventory => write!(f, "this cluster keeps no stock (the whole shop does)"),
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
            Command::Xiaoming { action } => self.follow_xiaoming(*action)?,
            Command::Deploy { product } => {
                let assets = self.content(*product)?;
                edge::deploy(&mut self.sim, &assets);
            }
            Command::Purge { product } => {
                let assets = self.content(*product)?;
                edge::purge(&mut self.sim, &assets);
            }
            Command::FlashSale { product, units } => self.start_flash_sale(*product, *units)?,
        }
        Ok(())
    }

    /// The assets a content command touches, if this cluster has them.
    fn content(&self, product: Option<u32>) -> Result<Vec<ResourceId>, CommandError> {
        let has_cdn = matches!(self.sim.id_of("origin").map(|o| self.sim.node(o)), Some(ClusterNode::Origin(_)));
        if !has_cdn {
            return Err(CommandError::NoCdn);
        }
        match product {
            Some(p) if p == 0 || p > CATALOGUE => Err(CommandError::UnknownProduct { product: p }),
            _ => Ok(edge::assets_of(product)),
        }
    }

    /// Checked first (a refused step leaves no trace), then done on his node.
    fn follow_xiaoming(&mut self, action: XiaomingAction) -> Result<(), CommandError> {
        let refuse = |why: StepRefusal| Err(CommandError::Xiaoming(why));
        let ClusterNode::Shoppers(pool) = self.sim.node(self.xiaoming) else {
            return refuse(StepRefusal::NoShopper);
        };
        if self.sim.lifecycle(self.xiaoming).process != Process::Up {
            return refuse(StepRefusal::BrowserDown);
        }
        if action == XiaomingAction::NextStep {
            if !pool.manual {
                return refuse(StepRefusal::WalksAlone);
            }
            if let Some(page) = pool.shoppers.first().and_then(|s| s.waiting_for()) {
                return refuse(StepRefusal::Waiting { page });
            }
        }
        let mut outcome = Ok(());
        self.sim.command(self.xiaoming, action.as_str(), |node, ctx| {
            if let ClusterNode::Shoppers(pool) = node {
                outcome = match action {
                    XiaomingAction::NextStep => pool.step(ctx).map(|_| ()),
                    manual_or_auto => {
                        pool.set_manual(ctx, manual_or_auto == XiaomingAction::Manual);
                        Ok(())
                    }
                };
            }
        });
        outcome.map_err(CommandError::Xiaoming)
    }
}
