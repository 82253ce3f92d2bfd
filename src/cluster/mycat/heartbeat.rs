//! MyCat's heartbeat of its data hosts and the write-host switch it drives.
//!
//! Owns each host's health as MyCat sees it (status, consecutive errors, the last reported
//! `Seconds_Behind_Source`), the heartbeat round every `dataNodeHeartbeatPeriod`, the timeout
//! of an unanswered heartbeat, and the switch: after `maxRetryCount` failed heartbeats of the
//! write host, the next host that answers (and, for `switchType` 2, reports lag 0) becomes the
//! write host and the epoch goes up. With `repoint_replication`, it also promotes the new write
//! host and tells every other host — the old one too, once it answers again — to follow it.
//! Never checks that the old write host stopped taking writes: there is no fencing.

use super::{Call, HEARTBEAT_TICK, Mycat, SwitchType, timer};
use crate::cluster::replication::{HostStatus, MysqlMsg, Role};
use crate::sim::{Ctx, NodeId, TimeUs};

/// A host's heartbeat state, as MyCat's `DBHeartbeat` keeps it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HeartbeatStatus {
    /// Answering (the state a host starts in).
    #[default]
    Ok,
    /// `maxRetryCount` heartbeats in a row failed with an error (connection refused).
    Error,
    /// `maxRetryCount` heartbeats in a row got no answer within the timeout.
    Timeout,
}

/// What MyCat knows of one host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostHealth {
    pub status: HeartbeatStatus,
    /// Consecutive failures since the last success (reset when the status turns bad).
    pub errors: u32,
    /// The last answer to `SHOW REPLICA STATUS`.
    pub reported: Option<HostStatus>,
    pub last_ok_us: Option<TimeUs>,
    outstanding: Option<(u32, TimeUs)>,
}

impl HostHealth {
    /// Fit to serve reads: healthy and, at its last heartbeat, less than `threshold_s` behind.
    pub fn is_readable(&self, threshold_s: u32) -> bool {
        let behind = self.reported.and_then(|s| s.seconds_behind_source);
        self.status == HeartbeatStatus::Ok && behind.is_some_and(|s| s < threshold_s)
    }
}

/// One write-host switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SwitchRecord {
    pub at_us: TimeUs,
    pub shard: u16,
    pub from: NodeId,
    pub to: NodeId,
    pub epoch: u32,
}

impl Mycat {
    pub(super) fn on_heartbeat_tick<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        for shard in 0..self.data_hosts.len() {
            for host in 0..self.data_hosts[shard].hosts.len() {
                if let Some((req, sent_us)) = self.data_hosts[shard].health[host].outstanding {
                    if ctx.now_us.saturating_sub(sent_us) < self.config.heartbeat_timeout_us {
                        continue; // still waiting: no second heartbeat on top
                    }
                    self.calls.remove(&req);
                    self.on_heartbeat_failure(ctx, shard, host, HeartbeatStatus::Timeout);
                }
                let req = self.fresh_id();
                self.calls.insert(req, Call::Heartbeat { shard: shard as u16, host: host as u16 });
                self.data_hosts[shard].health[host].outstanding = Some((req, ctx.now_us));
                ctx.send(self.data_hosts[shard].hosts[host], MysqlMsg::Status { req }.into());
            }
        }
        ctx.set_timer(timer(HEARTBEAT_TICK), self.config.heartbeat_period_us);
    }

    pub(super) fn on_heartbeat_ok<M: From<MysqlMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        shard: usize,
        host: usize,
        status: HostStatus,
    ) {
        let health = &mut self.data_hosts[shard].health[host];
        health.outstanding = None;
        health.status = HeartbeatStatus::Ok;
        health.errors = 0;
        health.reported = Some(status);
        health.last_ok_us = Some(ctx.now_us);
        if self.config.repoint_replication {
            self.repoint(ctx, shard, host, status);
        }
    }

    pub(super) fn on_heartbeat_failure<M: From<MysqlMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        shard: usize,
        host: usize,
        kind: HeartbeatStatus,
    ) {
        let max_retry = self.config.max_retry_count;
        let health = &mut self.data_hosts[shard].health[host];
        health.outstanding = None;
        health.errors += 1;
        if health.errors >= max_retry {
            health.status = kind;
            health.errors = 0;
        }
        if health.status != HeartbeatStatus::Ok {
            self.maybe_switch(ctx, shard, host);
        }
    }

    /// MyCat's `switchSourceIfNeed`: only the write host's failure switches, to the next host
    /// (in order) whose heartbeat is fine and, for `switchType` 2, which reported lag 0.
    fn maybe_switch<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, shard: usize, failed: usize) {
        let dh = &self.data_hosts[shard];
        if failed != dh.active || self.config.switch_type == SwitchType::Never || dh.hosts.len() < 2 {
            return;
        }
        let n = dh.hosts.len();
        let candidate = (1..n).map(|step| (dh.active + step) % n).find(|&i| {
            let health = &dh.health[i];
            let in_sync = health.reported.and_then(|s| s.seconds_behind_source) == Some(0);
            health.status == HeartbeatStatus::Ok && (self.config.switch_type != SwitchType::WhenInSync || in_sync)
        });
        if let Some(next) = candidate {
            self.switch_to(ctx, shard, next);
        }
    }

    fn switch_to<M: From<MysqlMsg>>(&mut self, ctx: &mut Ctx<'_, M>, shard: usize, next: usize) {
        let dh = &mut self.data_hosts[shard];
        let from = dh.write_host();
        dh.active = next;
        dh.switches += 1;
        let (to, epoch) = (dh.write_host(), dh.epoch());
        self.switch_log.push(SwitchRecord { at_us: ctx.now_us, shard: shard as u16, from, to, epoch });
        ctx.log(format!("dn{}: write host switched from n{} to n{} (epoch {epoch})", shard + 1, from.0, to.0));
        if self.config.repoint_replication {
            ctx.send(to, MysqlMsg::Promote { epoch }.into());
        }
    }

    /// Bring a host's replication in line with MyCat's choice of write host.
    fn repoint<M: From<MysqlMsg>>(&self, ctx: &mut Ctx<'_, M>, shard: usize, host: usize, status: HostStatus) {
        let dh = &self.data_hosts[shard];
        let (writer, epoch) = (dh.write_host(), dh.epoch());
        if host == dh.active {
            if status.role != Role::Source || status.epoch < epoch {
                ctx.send(writer, MysqlMsg::Promote { epoch }.into());
            }
        } else if status.role != (Role::Replica { source: writer }) || status.epoch < epoch {
            ctx.send(dh.hosts[host], MysqlMsg::Follow { source: writer, epoch }.into());
        }
    }
}
