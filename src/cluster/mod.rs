//! The model of the shop: every mechanism as a sans-IO state machine.
//!
//! Owns the closed set of node kinds (`ClusterNode`) and dispatches the
//! kernel's calls to them; each mechanism lives in its own file. Builds on
//! `crate::sim` only: never imports the UI or anything of the web, never reads
//! a clock, never draws randomness except from the stream the kernel hands in.

pub mod app_server;
pub mod balancer;
pub mod cdn;
pub mod dns;
pub mod gateway;
pub mod http_cache;
pub mod inventory;
pub mod lb_algorithm;
pub mod message;
pub mod metrics;
pub mod mq;
pub mod mycat;
pub mod product_cache;
pub mod properties;
pub mod rate_limit;
pub mod redis;
pub mod registry;
pub mod replication;
pub mod rpc;
pub mod session_store;
pub mod shopper;
pub mod timer_tag;
pub mod topology;
pub mod two_phase;
pub mod vrrp;
pub mod zk_lock;

use crate::sim::{Ctx, Node, NodeId, TimerKey};
pub use message::{DotClass, FailCause, Msg, Page, Status};
pub use topology::Cluster;

/// Every kind of node in the model.
#[derive(Clone, Debug)]
pub enum ClusterNode {
    Shoppers(shopper::ShopperPool),
    Balancer(balancer::Balancer),
    App(app_server::AppServer),
}

/// The kind of a node, for drawing and inspectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Shoppers,
    Balancer,
    App,
}

impl ClusterNode {
    pub fn kind(&self) -> NodeKind {
        match self {
            Self::Shoppers(_) => NodeKind::Shoppers,
            Self::Balancer(_) => NodeKind::Balancer,
            Self::App(_) => NodeKind::App,
        }
    }
}

impl Node for ClusterNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        match self {
            Self::Shoppers(n) => n.on_start(ctx),
            Self::Balancer(_) => {}
            Self::App(n) => n.on_start(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match self {
            Self::Shoppers(n) => n.on_message(ctx, msg),
            Self::Balancer(n) => n.on_message(ctx, from, msg),
            Self::App(n) => n.on_message(ctx, from, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        match self {
            Self::Shoppers(n) => n.on_timer(ctx, key),
            Self::Balancer(n) => n.on_timer(ctx, key),
            Self::App(n) => n.on_timer(ctx, key),
        }
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: Msg) {
        if let Self::Balancer(n) = self {
            n.on_refused(ctx, to, msg);
        }
        // A shopper whose balancer is down simply waits for its own timeout,
        // as a browser whose connection failed shows an error page; the
        // timeout records the failure with the balancer as the cause.
    }

    fn on_crash(&mut self) {
        match self {
            Self::Shoppers(n) => n.on_crash(),
            Self::Balancer(n) => n.on_crash(),
            Self::App(n) => n.on_crash(),
        }
    }
}
