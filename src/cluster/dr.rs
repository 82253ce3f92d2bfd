//! Two sites, three centres (两地三中心): a GSLB that health-checks the data centres and fails over.
//!
//! Owns the disaster-recovery controller: the shop's authoritative DNS with
//! health checks (a GSLB such as F5 GTM or a cloud DNS traffic manager). It
//! probes every centre's web tier and database every 10 s; when the primary
//! centre fails three rounds in a row it promotes the database of the first
//! healthy standby in its plan — the same-city centre first (semi-sync, so
//! nothing acknowledged is lost), the remote centre only if the whole city is
//! gone (async, so the replication lag is lost: the RPO) — points every web
//! tier at it and swaps the A record. Browsers and resolvers keep the old
//! answer until their caches expire (60 s TTL here), so the outage lasts
//! detection + promotion + caches: the RTO. A former primary that comes back
//! still believing it is a source is told to follow the new one and throws
//! away what it had that the new one never got. The numbers a reader is shown
//! are read off the run by `dr/measure`. Never writes data and never decides
//! alone that a centre is dead: three missed rounds do.

pub mod measure;

use super::dns::{ARecord, Authoritative, NameId, Region};
use super::message::{HttpRequest, Msg, Page, Status};
use super::replication::{MysqlMsg, Role};
use super::timer_tag::{self, SHOP};
use crate::sim::{Ctx, NodeId, SEC, TimeUs, TimerKey};
use serde::Serialize;

/// GSLB settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrConfig {
    pub probe_interval_us: TimeUs,
    /// Consecutive failed rounds before the primary centre is declared down.
    pub failed_rounds_to_fail_over: u32,
    /// Fail over by itself (else an operator must; many shops choose that).
    pub automatic: bool,
}

impl Default for DrConfig {
    fn default() -> Self {
        Self { probe_interval_us: 10 * SEC, failed_rounds_to_fail_over: 3, automatic: true }
    }
}

/// One data centre: its web tier and its database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Centre {
    pub name: &'static str,
    pub city: &'static str,
    pub web: NodeId,
    pub db: NodeId,
    pub region: Region,
}

/// What the last probe round heard from a centre.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CentreHealth {
    pub web_ok: bool,
    pub db_ok: bool,
    /// Rounds in a row with the web tier or the database silent.
    pub failed_rounds: u32,
    /// When the last round in which it answered everything began.
    pub last_ok_us: TimeUs,
    #[serde(skip)]
    web_round: u64,
    #[serde(skip)]
    db_round: u64,
}

/// One failover, for the inspector and the RPO/RTO report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failover {
    pub at_us: TimeUs,
    pub from: usize,
    pub to: usize,
    pub epoch: u32,
    /// When the failed centre last answered every probe.
    pub last_ok_us: TimeUs,
}

const TICK: TimerKey = timer_tag::key(SHOP, 0);

/// The GSLB / disaster-recovery controller node.
#[derive(Clone, Debug)]
pub struct DrController {
    pub config: DrConfig,
    pub centres: Vec<Centre>,
    pub dns: Authoritative,
    pub name: NameId,
    /// The centre that takes writes now (durable: the controller's config).
    pub primary: usize,
    pub epoch: u32,
    pub health: Vec<CentreHealth>,
    round: u64,
    pub failovers: Vec<Failover>,
}

impl DrController {
    /// `centres[0]` is the primary; the rest are standbys in failover order.
    pub fn new(config: DrConfig, centres: Vec<Centre>, mut dns: Authoritative, name: NameId) -> Self {
        dns.add_record(name, ARecord { ip: centres[0].web, region: centres[0].region });
        let health = vec![CentreHealth { web_ok: true, db_ok: true, ..CentreHealth::default() }; centres.len()];
        Self { config, centres, dns, name, primary: 0, epoch: 1, health, round: 0, failovers: Vec::new() }
    }

    pub fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        ctx.set_timer(TICK, self.config.probe_interval_us);
    }

    /// Its probe state is volatile; the plan, the primary and the DNS zone are not.
    pub fn on_crash(&mut self) {
        self.round = 0;
        self.health.iter_mut().for_each(|h| *h = CentreHealth { web_ok: true, db_ok: true, ..CentreHealth::default() });
    }

    pub fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        let Some(i) = self.centres.iter().position(|c| c.web == from || c.db == from) else {
            if let Msg::Dns(m) = msg {
                self.dns.on_message(ctx, from, m);
            }
            return;
        };
        match msg {
            Msg::Response(r) if u64::from(r.id) == self.round && r.status == Status::Ok => {
                self.health[i].web_round = self.round;
            }
            Msg::Mysql(MysqlMsg::StatusOk { req, status }) if u64::from(req) == self.round => {
                self.health[i].db_round = self.round;
                if i != self.primary && status.role == Role::Source && status.epoch < self.epoch {
                    // A former primary is back and still a source: demote it.
                    let source = self.centres[self.primary].db;
                    ctx.send(from, MysqlMsg::Follow { source, epoch: self.epoch }.into());
                }
            }
            Msg::Dns(m) => self.dns.on_message(ctx, from, m),
            _ => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, key: TimerKey) {
        if key != TICK {
            return;
        }
        if self.round > 0 {
            self.judge(ctx);
        }
        self.round += 1;
        let round = self.round as u32;
        for centre in &self.centres {
            let probe =
                HttpRequest { id: round, page: Page::Home, session: None, shopper: 0, client: ctx.me, product: 0 };
            ctx.send(centre.web, Msg::Request(probe));
            ctx.send(centre.db, MysqlMsg::Status { req: round }.into());
        }
        ctx.set_timer(TICK, self.config.probe_interval_us);
    }

    /// Score the round that just ended; fail over if the primary is down.
    fn judge(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let round = self.round;
        let round_start_us = ctx.now_us.saturating_sub(self.config.probe_interval_us);
        let primary_db = self.centres[self.primary].db;
        for (h, centre) in self.health.iter_mut().zip(&self.centres) {
            let was_ok = h.web_ok;
            h.web_ok = h.web_round == round;
            if h.web_ok && !was_ok {
                // A web tier back from the dead still has the old primary in
                // its configuration: push the current one (a config centre's job).
                ctx.send(centre.web, DrMsg::UsePrimary { db: primary_db }.into());
            }
            h.db_ok = h.db_round == round;
            h.failed_rounds = if h.web_ok && h.db_ok { 0 } else { h.failed_rounds + 1 };
            if h.failed_rounds == 0 {
                h.last_ok_us = round_start_us;
            }
        }
        let primary = self.health[self.primary];
        if !self.config.automatic || primary.failed_rounds < self.config.failed_rounds_to_fail_over {
            return;
        }
        let standby =
            (0..self.centres.len()).find(|&i| i != self.primary && self.health[i].web_ok && self.health[i].db_ok);
        match standby {
            Some(to) => self.fail_over(ctx, to),
            None => ctx.log("GSLB: the primary centre is down and no standby is healthy".to_string()),
        }
    }

    fn fail_over(&mut self, ctx: &mut Ctx<'_, Msg>, to: usize) {
        let from = self.primary;
        self.epoch += 1;
        self.primary = to;
        let new_db = self.centres[to].db;
        ctx.send(new_db, MysqlMsg::Promote { epoch: self.epoch }.into());
        for (i, centre) in self.centres.iter().enumerate() {
            if i != to && self.health[i].db_ok {
                ctx.send(centre.db, MysqlMsg::Follow { source: new_db, epoch: self.epoch }.into());
            }
            if self.health[i].web_ok {
                ctx.send(centre.web, DrMsg::UsePrimary { db: new_db }.into());
            }
        }
        self.dns.remove_record(self.name, self.centres[from].web);
        self.dns.add_record(self.name, ARecord { ip: self.centres[to].web, region: self.centres[to].region });
        let last_ok_us = self.health[from].last_ok_us;
        self.failovers.push(Failover { at_us: ctx.now_us, from, to, epoch: self.epoch, last_ok_us });
        let (a, b) = (self.centres[from].name, self.centres[to].name);
        ctx.log(format!("GSLB: {a} is down; {b} promoted (epoch {}), DNS now points there", self.epoch));
    }
}

/// What the controller tells a centre's web tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DrMsg {
    /// Send writes to this database from now on.
    UsePrimary { db: NodeId },
}

impl DrMsg {
    pub const fn label(&self) -> &'static str {
        match self {
            Self::UsePrimary { .. } => "use-primary",
        }
    }
}
