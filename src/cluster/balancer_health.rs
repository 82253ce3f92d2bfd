//! The balancer's active health checks (BIG-IP monitor, keepalived checker).
//!
//! Owns the probe rounds: every `interval` each upstream without a probe in
//! flight gets one, with its own id and a `probe_timeout` deadline; `fall`
//! failures in a row take it out of rotation, one pass brings it back. A
//! late answer to a probe that already timed out finds no upstream waiting
//! for its id and is dropped, as the checker closed that connection. Part of
//! `balancer`, split out to keep each file small; never proxies a request.

use super::{Balancer, PROBE_ID_BASE, PROBE_TICK, timer_of};
use crate::cluster::message::{HttpRequest, Msg, Page};
use crate::cluster::timer_tag::{self, SHOP};
use crate::sim::Ctx;

impl Balancer {
    /// Probe every upstream that has no probe outstanding, then re-arm. Each
    /// probe has its own id, so an answer to an earlier, timed-out probe
    /// cannot pass this one.
    pub(super) fn probe_round<M: From<Msg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(check) = self.config.active_check else { return };
        for i in 0..self.upstreams.len() {
            if self.health[i].probe_outstanding.is_some() {
                continue;
            }
            let id = PROBE_ID_BASE + self.next_probe_seq;
            self.next_probe_seq = self.next_probe_seq.wrapping_add(1) % (u32::MAX - PROBE_ID_BASE + 1);
            self.health[i].probe_outstanding = Some(id);
            let probe =
                HttpRequest { id, page: Page::Home, session: None, shopper: u16::MAX, client: ctx.me, product: 0 };
            ctx.send(self.upstreams[i], M::from(Msg::Request(probe)));
            ctx.set_timer(timer_of(id), check.probe_timeout_us);
        }
        ctx.set_timer(timer_tag::key(SHOP, PROBE_TICK), check.interval_us);
    }

    /// The outcome of probe `probe_id`; one no upstream is waiting for (it
    /// timed out, its connection closed) is ignored.
    pub(super) fn probe_result<M>(&mut self, ctx: &mut Ctx<'_, M>, probe_id: u32, ok: bool) {
        let Some(check) = self.config.active_check else { return };
        let Some(upstream) = self.health.iter().position(|h| h.probe_outstanding == Some(probe_id)) else { return };
        ctx.cancel_timer(timer_of(probe_id));
        let node = self.upstreams[upstream];
        let h = &mut self.health[upstream];
        h.probe_outstanding = None;
        if ok {
            if h.probe_down {
                ctx.log(format!("health check: upstream #{} passes again, back in rotation", node.0));
            }
            h.probe_fails = 0;
            h.probe_down = false;
            return;
        }
        h.probe_fails += 1;
        if h.probe_fails >= check.fall && !h.probe_down {
            h.probe_down = true;
            ctx.log(format!("health check: upstream #{} failed {} probe(s), taken out", node.0, h.probe_fails));
        }
    }
}
