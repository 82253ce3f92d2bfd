//! The data-centre router in front of a keepalived pair: it owns the path to
//! the virtual IP.
//!
//! Owns the forwarding of shoppers' HTTP to whichever balancer the ARP cache
//! (`VipTable`) says holds the VIP now, and the return path: replies come back
//! through it and go to the client that asked. Its ARP entry follows
//! gratuitous ARPs, so after a keepalived failover traffic moves to the backup
//! the moment it announces itself — and under split brain it flaps between
//! the two masters. With no known holder (never learned, or forgotten in a
//! crash) it broadcasts an ARP request, the master answers, and traffic flows
//! again; the packets that met the miss are dropped and the browser retries
//! or times out. Never looks at the routers' state directly.

use super::conn_track::ConnTrack;
use super::message::{FailCause, HttpRequest, HttpResponse, Msg, Status};
use super::vrrp::VipTable;
use crate::sim::{Ctx, NodeId, TimerKey};

/// The router for one virtual IP (one VRRP instance).
#[derive(Clone, Debug)]
pub struct VipRouter {
    pub arp: VipTable,
    /// The VRRP instance whose VIP this router serves.
    pub vrid: u8,
    // Volatile: connection tracking (router-side id → client and its id).
    tracked: ConnTrack,
    pub forwarded: u64,
    /// Requests dropped because no balancer had announced the VIP.
    pub dropped_no_holder: u64,
}

impl VipRouter {
    pub fn new(arp: VipTable, vrid: u8) -> Self {
        Self { arp, vrid, tracked: ConnTrack::default(), forwarded: 0, dropped_no_holder: 0 }
    }

    /// The balancer traffic for the VIP goes to now.
    pub fn holder(&self) -> Option<NodeId> {
        self.arp.resolve(self.vrid)
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.arp.on_start(ctx);
    }

    pub fn on_crash(&mut self) {
        self.arp.on_crash();
        self.tracked.clear();
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        self.arp.on_timer(ctx, key);
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Vrrp(m) => self.arp.on_message(ctx, from, m),
            Msg::Request(r) => self.forward(ctx, from, r),
            Msg::Response(r) => self.reply(ctx, r),
            _ => {}
        }
    }

    fn forward(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, request: HttpRequest) {
        let Some(holder) = self.arp.lookup(ctx, self.vrid) else {
            self.dropped_no_holder += 1;
            return;
        };
        let id = self.tracked.open(from, request.id);
        self.forwarded += 1;
        ctx.send(holder, Msg::Request(HttpRequest { id, ..request }));
    }

    /// The balancer's host refused the forwarded connection (its process is
    /// down but the ARP entry still points at it): the client gets the reset.
    pub fn on_refused(&mut self, ctx: &mut Ctx<'_, Msg>, to: NodeId, msg: Msg) {
        let Msg::Request(request) = msg else { return };
        let Some((client, id)) = self.tracked.close(request.id) else { return };
        let failure = Some((to, FailCause::Refused));
        let reset = HttpResponse { id, status: Status::BadGateway, session: request.session, failure };
        ctx.send(client, Msg::Response(reset));
    }

    fn reply(&mut self, ctx: &mut Ctx<'_, Msg>, response: HttpResponse) {
        if let Some((client, id)) = self.tracked.close(response.id) {
            ctx.send(client, Msg::Response(HttpResponse { id, ..response }));
        }
    }
}
