//! Elastic scaling: add and remove Tomcats by load, the way a cloud autoscaler does.
//!
//! Owns the autoscaler node, modelled on the Kubernetes Horizontal Pod
//! Autoscaler's algorithm with its defaults: every 15 s (`--horizontal-pod-
//! autoscaler-sync-period`) it reads each in-service server's CPU use over the
//! period, wants `ceil(ready × average / target)` servers, does nothing
//! within a 10 % tolerance, scales up at most by max(4 servers, 100 %) per
//! period, and scales down only to the highest recommendation of the last
//! 300 s (the downscale stabilisation window), so a dip does not throw away
//! capacity a returning surge needs. Adding a server is not instant: the
//! machine boots (90 s here: VM start and JVM warm-up) and only then joins the
//! balancers' rotation — the registration delay. Removing one takes it out of
//! rotation, lets in-flight work drain (30 s, Kubernetes' default grace
//! period) and powers it off: sessions kept in its memory go with it. Every
//! powered server costs server-seconds whether busy or idle. The messages and
//! the app server's side (load reports, power) live in `autoscaler/power`.
//! Never routes a request and never reads another node's memory: it learns
//! load only from reports.

mod decide;
mod power;

pub use power::{AutoscaleMsg, Power};

use super::timer_tag::{self, AUTOSCALER};
use crate::sim::{Ctx, NodeId, SEC, TimeUs, TimerKey};
use std::collections::{BTreeMap, VecDeque};

/// HPA and cloud defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoscalerConfig {
    /// The `autoscaling` switch: off, it still measures but never acts.
    pub enabled: bool,
    pub sync_period_us: TimeUs,
    /// Target average CPU utilisation of in-service servers.
    pub target_utilization_pct: u32,
    /// `--horizontal-pod-autoscaler-tolerance` 0.1.
    pub tolerance_pct: u32,
    pub min_servers: u32,
    pub max_servers: u32,
    /// Scale-up policy: at most this many servers more per period …
    pub scale_up_servers_per_period: u32,
    /// … or this percentage of the current count, whichever is larger.
    pub scale_up_percent_per_period: u32,
    /// `stabilizationWindowSeconds` for scale-down: 300 s.
    pub downscale_stabilization_us: TimeUs,
    /// Power-on to ready: VM boot, JVM start, warm-up.
    pub boot_us: TimeUs,
    /// Out of rotation to power-off: `terminationGracePeriodSeconds` 30.
    pub drain_us: TimeUs,
}

impl Default for AutoscalerConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            sync_period_us: 15 * SEC,
            target_utilization_pct: 60,
            tolerance_pct: 10,
            min_servers: 2,
            max_servers: 6,
            scale_up_servers_per_period: 4,
            scale_up_percent_per_period: 100,
            downscale_stabilization_us: 300 * SEC,
            boot_us: 90 * SEC,
            drain_us: 30 * SEC,
        }
    }
}

/// Where one server of the pool is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerState {
    Off,
    Booting { since_us: TimeUs },
    InService { since_us: TimeUs },
    Draining { until_us: TimeUs },
}

impl ServerState {
    /// Powered on: costs money whether it serves or not.
    pub const fn powered(self) -> bool {
        !matches!(self, Self::Off)
    }
}

/// One scaling decision, for the inspector and the event log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScaleRecord {
    pub at_us: TimeUs,
    pub from_servers: u32,
    pub to_servers: u32,
    pub avg_utilization_pct: u32,
}

const TICK: TimerKey = timer_tag::key(AUTOSCALER, 0);
const DRAIN_BASE: u64 = 1 << 20;
const RECORDS_KEPT: usize = 32;

/// The autoscaler node.
#[derive(Clone, Debug)]
pub struct Autoscaler {
    pub config: AutoscalerConfig,
    pub servers: Vec<NodeId>,
    pub balancers: Vec<NodeId>,
    pub states: Vec<ServerState>,
    /// Each server's last cumulative busy core-time report: (at, busy µs, cores).
    last_report: BTreeMap<NodeId, (TimeUs, u64, u32)>,
    /// CPU utilisation measured this period, per server.
    pub utilization_pct: BTreeMap<NodeId, u32>,
    recommendations: VecDeque<(TimeUs, u32)>,
    pub records: VecDeque<ScaleRecord>,
    /// Powered server-time up to `accounted_until_us` (see `bill_us`).
    server_us: u64,
    accounted_until_us: TimeUs,
}

impl Autoscaler {
    /// The first `in_service` servers of the pool run from the start.
    pub fn new(config: AutoscalerConfig, servers: Vec<NodeId>, balancers: Vec<NodeId>, in_service: usize) -> Self {
        let states = (0..servers.len())
            .map(|i| if i < in_service { ServerState::InService { since_us: 0 } } else { ServerState::Off })
            .collect();
        Self {
            config,
            servers,
            balancers,
            states,
            last_report: BTreeMap::new(),
            utilization_pct: BTreeMap::new(),
            recommendations: VecDeque::new(),
            records: VecDeque::new(),
            server_us: 0,
            accounted_until_us: 0,
        }
    }

    pub fn powered(&self) -> u32 {
        self.states.iter().filter(|s| s.powered()).count() as u32
    }

    pub fn in_service(&self) -> u32 {
        self.states.iter().filter(|s| matches!(s, ServerState::InService { .. })).count() as u32
    }

    /// Powered server-time up to `now_us`: what the machines cost so far.
    pub fn bill_us(&self, now_us: TimeUs) -> u64 {
        self.server_us + now_us.saturating_sub(self.accounted_until_us) * u64::from(self.powered())
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, impl From<AutoscaleMsg>>) {
        self.accounted_until_us = ctx.now_us;
        ctx.set_timer(TICK, self.config.sync_period_us);
    }

    /// The autoscaler's own memory is volatile; the pool's power states are
    /// the cloud's, and are re-learned as they are (kept here as the truth).
    pub fn on_crash(&mut self) {
        self.last_report.clear();
        self.utilization_pct.clear();
        self.recommendations.clear();
    }

    pub fn on_message<M: From<AutoscaleMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: AutoscaleMsg) {
        let Some(i) = self.servers.iter().position(|&s| s == from) else { return };
        match msg {
            AutoscaleMsg::LoadReport { busy_core_us, cores } => self.on_report(ctx.now_us, from, busy_core_us, cores),
            AutoscaleMsg::Booted if matches!(self.states[i], ServerState::Booting { .. }) => {
                self.account(ctx.now_us);
                self.states[i] = ServerState::InService { since_us: ctx.now_us };
                self.set_rotation(ctx, from, true);
                ctx.log(format!("autoscaler: server {} booted and joined the rotation", i + 1));
            }
            _ => {}
        }
    }

    fn on_report(&mut self, now_us: TimeUs, from: NodeId, busy_core_us: u64, cores: u32) {
        if let Some(&(at_us, busy_before, _)) = self.last_report.get(&from)
            && now_us > at_us
            && busy_core_us >= busy_before
        {
            let capacity_us = (now_us - at_us) * u64::from(cores.max(1));
            let pct = ((busy_core_us - busy_before) * 100 / capacity_us).min(100) as u32;
            self.utilization_pct.insert(from, pct);
        }
        self.last_report.insert(from, (now_us, busy_core_us, cores));
    }

    pub fn on_timer<M: From<AutoscaleMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        let local = timer_tag::local_of(key);
        if key == TICK {
            self.account(ctx.now_us);
            if self.config.enabled {
                self.decide(ctx);
            }
            for (i, &server) in self.servers.iter().enumerate() {
                if matches!(self.states[i], ServerState::InService { .. }) {
                    ctx.send(server, AutoscaleMsg::LoadQuery.into());
                }
            }
            ctx.set_timer(TICK, self.config.sync_period_us);
        } else if local >= DRAIN_BASE {
            self.finish_drain(ctx, (local - DRAIN_BASE) as usize);
        }
    }

    fn account(&mut self, now_us: TimeUs) {
        let span_us = now_us.saturating_sub(self.accounted_until_us);
        self.server_us += span_us * u64::from(self.powered());
        self.accounted_until_us = now_us;
    }
}
