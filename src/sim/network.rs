//! The simulated network between nodes: latency, loss, duplication, partitions.
//!
//! Owns link profiles (a default and per-link overrides), the set of cut
//! links (one-way or both ways) and whole-node isolation, and decides for each
//! message whether it is dropped or when it arrives. Draws from its own random
//! stream. Never delivers anything itself: the kernel schedules what it plans.

use super::node::NodeId;
use super::rng::SimRng;
use super::time::TimeUs;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How one direction of a link behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkProfile {
    /// Every message takes at least this long.
    pub latency_min_us: TimeUs,
    /// Added uniformly at random on top of the minimum: `0..=latency_jitter_us`.
    pub latency_jitter_us: TimeUs,
    /// Probability (parts per million) of a long-tail delay on top.
    pub tail_ppm: u32,
    /// Mean of that tail delay (exponential).
    pub tail_mean_us: TimeUs,
    /// Probability (ppm) that a message is lost.
    pub loss_ppm: u32,
    /// Probability (ppm) that a message is delivered twice.
    pub duplicate_ppm: u32,
}

impl LinkProfile {
    /// A data-centre LAN: 0.2–0.7 ms, a rare 5 ms tail, nothing lost.
    pub const LAN: Self = Self {
        latency_min_us: 200,
        latency_jitter_us: 500,
        tail_ppm: 1_000,
        tail_mean_us: 5_000,
        loss_ppm: 0,
        duplicate_ppm: 0,
    };

    /// A fixed latency and nothing else (for tests that want exact times).
    pub const fn fixed(latency_us: TimeUs) -> Self {
        Self {
            latency_min_us: latency_us,
            latency_jitter_us: 0,
            tail_ppm: 0,
            tail_mean_us: 0,
            loss_ppm: 0,
            duplicate_ppm: 0,
        }
    }
}

/// Why the network did not deliver a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DropCause {
    /// The link between the two nodes is cut.
    Partitioned,
    /// Random loss on the link.
    Lost,
}

/// The network's plan for one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transit {
    Dropped(DropCause),
    /// Arrives after `latency_us`; a duplicate, if any, after its own latency.
    Arrives {
        latency_us: TimeUs,
        duplicate_latency_us: Option<TimeUs>,
    },
}

/// Links, their profiles and their faults.
#[derive(Clone, Debug)]
pub struct Network {
    default_profile: LinkProfile,
    overrides: BTreeMap<(NodeId, NodeId), LinkProfile>,
    cut: BTreeSet<(NodeId, NodeId)>,
    isolated: BTreeSet<NodeId>,
    rng: SimRng,
}

impl Network {
    pub fn new(default_profile: LinkProfile, rng: SimRng) -> Self {
        Self { default_profile, overrides: BTreeMap::new(), cut: BTreeSet::new(), isolated: BTreeSet::new(), rng }
    }

    pub fn default_profile(&self) -> LinkProfile {
        self.default_profile
    }

    pub fn set_default_profile(&mut self, profile: LinkProfile) {
        self.default_profile = profile;
    }

    /// Give the link `from → to` its own profile (one direction).
    pub fn set_link(&mut self, from: NodeId, to: NodeId, profile: LinkProfile) {
        self.overrides.insert((from, to), profile);
    }

    pub fn profile(&self, from: NodeId, to: NodeId) -> LinkProfile {
        if self.overrides.is_empty() {
            return self.default_profile;
        }
        self.overrides.get(&(from, to)).copied().unwrap_or(self.default_profile)
    }

    /// Cut `from → to` only: `to` stops hearing `from`, not the reverse.
    pub fn cut_one_way(&mut self, from: NodeId, to: NodeId) {
        self.cut.insert((from, to));
    }

    /// Cut both directions between `a` and `b`.
    pub fn cut_both_ways(&mut self, a: NodeId, b: NodeId) {
        self.cut.insert((a, b));
        self.cut.insert((b, a));
    }

    /// Restore both directions between `a` and `b`.
    pub fn heal_link(&mut self, a: NodeId, b: NodeId) {
        self.cut.remove(&(a, b));
        self.cut.remove(&(b, a));
    }

    /// Cut every link of `node`.
    pub fn isolate(&mut self, node: NodeId) {
        self.isolated.insert(node);
    }

    /// Undo `isolate(node)` (links cut one by one stay cut).
    pub fn rejoin(&mut self, node: NodeId) {
        self.isolated.remove(&node);
    }

    /// Every cut healed, every node rejoined.
    pub fn heal_all(&mut self) {
        self.cut.clear();
        self.isolated.clear();
    }

    pub fn is_isolated(&self, node: NodeId) -> bool {
        self.isolated.contains(&node)
    }

    /// True if anything cuts `node` off from at least one peer.
    pub fn touches_partition(&self, node: NodeId) -> bool {
        self.isolated.contains(&node) || self.cut.iter().any(|&(a, b)| a == node || b == node)
    }

    /// Whether a message from `from` can reach `to` right now.
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        if self.cut.is_empty() && self.isolated.is_empty() {
            return false;
        }
        self.isolated.contains(&from) || self.isolated.contains(&to) || self.cut.contains(&(from, to))
    }

    /// The cut links, for inspectors and share links.
    pub fn cut_links(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.cut.iter().copied()
    }

    /// Decide the fate of one message sent now.
    pub fn plan(&mut self, from: NodeId, to: NodeId) -> Transit {
        if self.is_cut(from, to) {
            return Transit::Dropped(DropCause::Partitioned);
        }
        let profile = self.profile(from, to);
        if self.rng.chance_ppm(profile.loss_ppm) {
            return Transit::Dropped(DropCause::Lost);
        }
        let latency_us = self.latency(profile);
        let duplicate_latency_us =
            if self.rng.chance_ppm(profile.duplicate_ppm) { Some(self.latency(profile)) } else { None };
        Transit::Arrives { latency_us, duplicate_latency_us }
    }

    fn latency(&mut self, profile: LinkProfile) -> TimeUs {
        let mut latency_us = profile.latency_min_us + self.rng.below(profile.latency_jitter_us + 1);
        if self.rng.chance_ppm(profile.tail_ppm) {
            latency_us += self.rng.exp_us(profile.tail_mean_us);
        }
        latency_us
    }
}
