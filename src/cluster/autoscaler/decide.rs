//! The autoscaler's decision each period, and carrying it out.
//!
//! Owns the HPA arithmetic (desired = ceil(ready × average / target), the
//! tolerance band, the scale-up limit, the downscale stabilisation window)
//! and the two actions: power on the lowest-numbered idle machines, or take
//! the highest-numbered in-service ones out of rotation and power them off
//! after the drain. Never measures anything: the reports do.

use super::{AutoscaleMsg, Autoscaler, DRAIN_BASE, RECORDS_KEPT, ScaleRecord, ServerState};
use crate::cluster::timer_tag::{self, AUTOSCALER};
use crate::sim::{Ctx, NodeId};

impl Autoscaler {
    pub(super) fn decide<M: From<AutoscaleMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let samples: Vec<u32> = std::mem::take(&mut self.utilization_pct).into_values().collect();
        if samples.is_empty() {
            return;
        }
        let avg_pct = samples.iter().sum::<u32>() / samples.len() as u32;
        let current = self.powered() - self.draining();
        let desired = self.desired(samples.len() as u32, avg_pct, current);
        let window_start_us = ctx.now_us.saturating_sub(self.config.downscale_stabilization_us);
        self.recommendations.retain(|&(at_us, _)| at_us >= window_start_us);
        self.recommendations.push_back((ctx.now_us, desired));
        let target = if desired > current {
            desired
        } else {
            // Scale down only as far as every recent recommendation allows.
            self.recommendations.iter().map(|&(_, d)| d).max().unwrap_or(desired)
        };
        if target != current {
            self.record(ctx, current, target, avg_pct);
        }
        if target > current {
            self.power_on(ctx, target - current);
        } else if target < current {
            self.drain(ctx, current - target);
        }
    }

    /// HPA's formula, clamped to the pool and to the scale-up policy.
    fn desired(&self, ready: u32, avg_pct: u32, current: u32) -> u32 {
        let target_pct = self.config.target_utilization_pct.max(1);
        let ratio_permille = avg_pct * 1000 / target_pct;
        if ratio_permille.abs_diff(1000) <= self.config.tolerance_pct * 10 {
            return current;
        }
        let booting = current.saturating_sub(ready);
        let wanted = (ready * avg_pct).div_ceil(target_pct) + booting;
        let step = self.config.scale_up_servers_per_period.max(current * self.config.scale_up_percent_per_period / 100);
        wanted.min(current + step).clamp(self.config.min_servers, self.config.max_servers)
    }

    fn draining(&self) -> u32 {
        self.states.iter().filter(|s| matches!(s, ServerState::Draining { .. })).count() as u32
    }

    fn record<M>(&mut self, ctx: &mut Ctx<'_, M>, from: u32, to: u32, avg_pct: u32) {
        let target_pct = self.config.target_utilization_pct;
        ctx.log(format!("autoscaler: {from} → {to} servers (average CPU {avg_pct}%, target {target_pct}%)"));
        if self.records.len() == RECORDS_KEPT {
            self.records.pop_front();
        }
        self.records.push_back(ScaleRecord {
            at_us: ctx.now_us,
            from_servers: from,
            to_servers: to,
            avg_utilization_pct: avg_pct,
        });
    }

    fn power_on<M: From<AutoscaleMsg>>(&mut self, ctx: &mut Ctx<'_, M>, count: u32) {
        let idle: Vec<usize> = (0..self.servers.len()).filter(|&i| self.states[i] == ServerState::Off).collect();
        for i in idle.into_iter().take(count as usize) {
            self.states[i] = ServerState::Booting { since_us: ctx.now_us };
            ctx.send(self.servers[i], AutoscaleMsg::PowerOn { boot_us: self.config.boot_us }.into());
        }
    }

    fn drain<M: From<AutoscaleMsg>>(&mut self, ctx: &mut Ctx<'_, M>, count: u32) {
        let serving: Vec<usize> = (0..self.servers.len())
            .rev()
            .filter(|&i| matches!(self.states[i], ServerState::InService { .. }))
            .collect();
        for i in serving.into_iter().take(count as usize) {
            let until_us = ctx.now_us + self.config.drain_us;
            self.states[i] = ServerState::Draining { until_us };
            self.set_rotation(ctx, self.servers[i], false);
            ctx.set_timer(timer_tag::key(AUTOSCALER, DRAIN_BASE + i as u64), self.config.drain_us);
        }
    }

    pub(super) fn finish_drain<M: From<AutoscaleMsg>>(&mut self, ctx: &mut Ctx<'_, M>, i: usize) {
        if !matches!(self.states.get(i), Some(ServerState::Draining { .. })) {
            return;
        }
        self.account(ctx.now_us);
        self.states[i] = ServerState::Off;
        self.last_report.remove(&self.servers[i]);
        ctx.send(self.servers[i], AutoscaleMsg::PowerOff.into());
    }

    /// Tell every balancer to put `server` in or out of its rotation (a
    /// config reload, as consul-template or a cloud target group does).
    pub(super) fn set_rotation<M: From<AutoscaleMsg>>(&self, ctx: &mut Ctx<'_, M>, server: NodeId, on: bool) {
        for &lb in &self.balancers {
            ctx.send(lb, AutoscaleMsg::Rotation { server, on }.into());
        }
    }
}
