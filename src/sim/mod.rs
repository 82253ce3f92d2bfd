//! The deterministic discrete-event kernel the whole cluster runs on.
//!
//! Owns virtual time, the event queue, the seeded PRNG, the network, node
//! lifecycles, the trace, metrics and the invariant framework. Knows nothing of
//! any particular mechanism (those live in `crate::cluster`) and nothing of the
//! web: this module imports no yew, web-sys, js-sys or gloo, reads no wall
//! clock, uses no OS randomness and iterates no hashed collection.

pub mod access;
pub mod fault;
pub mod heap;
pub mod inject;
pub mod invariant;
pub mod kernel;
pub mod lifecycle;
pub mod metrics;
pub mod network;
pub mod node;
pub mod queue;
pub mod rng;
pub mod time;
mod timer_heap;
pub mod timers;
mod timing;
pub mod trace;

pub use access::InFlight;
pub use fault::Fault;
pub use invariant::{PropertyKind, Verdict, View};
pub use kernel::{LogLine, RunReport, Sim};
pub use lifecycle::{Lifecycle, Process, VisibleState};
pub use metrics::{CounterId, Histogram, HistogramId, Metrics};
pub use network::{DropCause, LinkProfile, Network};
pub use node::{Command, Ctx, Message, Node, NodeId, TimerKey};
pub use rng::SimRng;
pub use time::{MINUTE_US, MS, SEC, TimeUs, ms, secs};
pub use trace::{TraceEvent, TraceKind};
