//! Read-only access to a running world, plus setup-time mutation.
//!
//! Owns the getters drivers, tests and the UI use to look at a `Sim`: nodes,
//! names, lifecycles, the network, trace, metrics, properties, the log and the
//! messages in flight. Never advances time.

use super::invariant::Properties;
use super::kernel::{LogLine, Sim};
use super::lifecycle::Lifecycle;
use super::metrics::Metrics;
use super::network::Network;
use super::node::{Node, NodeId};
use super::queue::{Event, Step};
use super::time::TimeUs;
use super::trace::Trace;
use std::collections::VecDeque;

/// A message on the wire, for drawing.
pub struct InFlight<'a, M> {
    pub from: NodeId,
    pub to: NodeId,
    pub sent_at_us: TimeUs,
    pub arrives_at_us: TimeUs,
    /// `Message::class` of `msg`, kept when it was sent.
    pub class: u8,
    pub msg: &'a M,
}

impl<N: Node> Sim<N> {
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn now_us(&self) -> TimeUs {
        self.now_us
    }
    pub fn node(&self, id: NodeId) -> &N {
        &self.nodes[id.index()]
    }
    /// Mutable access for setup and for switches a reader flips mid-run.
    /// The node changes outside any event, so the next check of each
    /// property looks at every node again.
    pub fn node_mut(&mut self, id: NodeId) -> &mut N {
        self.properties.recheck_every_node();
        &mut self.nodes[id.index()]
    }
    pub fn nodes(&self) -> &[N] {
        &self.nodes
    }
    pub fn name(&self, id: NodeId) -> &str {
        &self.names[id.index()]
    }
    pub fn id_of(&self, name: &str) -> Option<NodeId> {
        self.names.iter().position(|n| n == name).map(|i| NodeId(i as u16))
    }
    pub fn lifecycle(&self, id: NodeId) -> &Lifecycle {
        &self.lifecycles[id.index()]
    }
    pub fn lifecycles(&self) -> &[Lifecycle] {
        &self.lifecycles
    }

    pub fn network(&self) -> &Network {
        &self.network
    }
    pub fn network_mut(&mut self) -> &mut Network {
        &mut self.network
    }
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    pub fn trace_mut(&mut self) -> &mut Trace {
        &mut self.trace
    }
    pub fn trace_hash(&self) -> u64 {
        self.trace.hash()
    }
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    pub fn metrics_mut(&mut self) -> &mut Metrics {
        &mut self.metrics
    }
    pub fn properties(&self) -> &Properties<N> {
        &self.properties
    }
    pub fn properties_mut(&mut self) -> &mut Properties<N> {
        &mut self.properties
    }
    pub fn log(&self) -> &VecDeque<LogLine> {
        &self.log
    }
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }
    pub fn next_event_at_us(&self) -> Option<TimeUs> {
        self.queue.next_at_us()
    }
    /// True if the node is up and not cut off.
    pub fn is_reachable(&self, id: NodeId) -> bool {
        self.lifecycles[id.index()].is_up() && !self.network.is_isolated(id)
    }

    /// Messages on the wire now, in no particular order.
    pub fn in_flight(&self) -> impl Iterator<Item = InFlight<'_, N::Msg>> {
        self.queue.deliveries().filter_map(|(at_us, event)| match event {
            Event::Wire { from, to, leg, msg } if leg.step() == Step::Deliver => Some(InFlight {
                from: *from,
                to: *to,
                sent_at_us: at_us.saturating_sub(leg.transit_us()),
                arrives_at_us: at_us,
                class: leg.class(),
                msg,
            }),
            _ => None,
        })
    }
}
