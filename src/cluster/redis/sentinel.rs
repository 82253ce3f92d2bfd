//! Redis Sentinel: notices a dead master, agrees with its peers, and promotes a replica.
//!
//! Owns one sentinel: it asks every instance for `INFO` once a second; a master silent for
//! `down-after-milliseconds` (30 s) is subjectively down (SDOWN); when `quorum` sentinels
//! agree it is objectively down (ODOWN); a leader is elected for a new epoch by a majority (each
//! sentinel votes once per epoch, for the first to ask); the leader sends `REPLICAOF NO ONE` to
//! the replica with the largest offset, then points every other instance at it, and spreads the
//! new configuration with its epoch in hello messages. An old master that comes back is told to
//! replicate from the new one (and so discards what it took meanwhile). A failed attempt is
//! retried only after twice `failover-timeout` (180 s). Never touches data.

use super::{RedisMsg, RedisRole, timer};
use crate::cluster::timer_tag;
use crate::sim::{Ctx, MS, NodeId, SEC, TimeUs, TimerKey};
use std::collections::{BTreeMap, BTreeSet};

const TICK: u64 = 2;
const HELLO: u64 = 3;

/// Sentinel settings; the defaults are `sentinel.conf`'s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SentinelConfig {
    /// `sentinel down-after-milliseconds` 30000.
    pub down_after_us: TimeUs,
    /// `sentinel monitor <name> <ip> <port> <quorum>`: 2 of 3 sentinels.
    pub quorum: u32,
    /// `sentinel failover-timeout` 180000 ms.
    pub failover_timeout_us: TimeUs,
    /// INFO / PING to every instance once a second.
    pub ping_period_us: TimeUs,
    /// Hello messages every 2 s.
    pub hello_period_us: TimeUs,
    /// The sentinel timer's random skew (Sentinel runs its timer at a randomised hz so that
    /// sentinels do not act in lock step).
    pub timer_skew_us: TimeUs,
    /// `SENTINEL_ELECTION_TIMEOUT` 10 s: give up an election not won by then.
    pub election_timeout_us: TimeUs,
}

impl Default for SentinelConfig {
    fn default() -> Self {
        Self {
            down_after_us: 30 * SEC,
            quorum: 2,
            failover_timeout_us: 180 * SEC,
            ping_period_us: SEC,
            hello_period_us: 2 * SEC,
            timer_skew_us: 100 * MS,
            election_timeout_us: 10 * SEC,
        }
    }
}

/// What a sentinel knows of one Redis instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstanceView {
    pub last_ok_us: TimeUs,
    pub role: Option<RedisRole>,
    pub offset: u32,
}

/// A failover this sentinel leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failover {
    pub epoch: u32,
    pub promoted: NodeId,
    pub since_us: TimeUs,
}

/// One sentinel. Volatile except its configuration (master, epochs: `sentinel.conf` is
/// rewritten on every change) and the `failovers` count.
#[derive(Clone, Debug)]
pub struct Sentinel {
    pub config: SentinelConfig,
    pub peers: Vec<NodeId>,
    pub master: NodeId,
    pub config_epoch: u32,
    pub current_epoch: u32,
    pub instances: BTreeMap<NodeId, InstanceView>,
    pub odown: bool,
    pub failover: Option<Failover>,
    pub failovers: u64,
    voted: Option<(u32, NodeId)>,
    opinions: BTreeMap<NodeId, (bool, TimeUs)>,
    election: Option<(u32, TimeUs)>,
    votes: BTreeSet<NodeId>,
    next_attempt_us: TimeUs,
}

impl Sentinel {
    /// A sentinel watching `master` and its `replicas`, talking to the other `peers`.
    pub fn new(config: SentinelConfig, peers: Vec<NodeId>, master: NodeId, replicas: &[NodeId]) -> Self {
        let instances =
            std::iter::once(master).chain(replicas.iter().copied()).map(|n| (n, InstanceView::default())).collect();
        Self {
            config,
            peers,
            master,
            config_epoch: 0,
            current_epoch: 0,
            instances,
            odown: false,
            failover: None,
            failovers: 0,
            voted: None,
            opinions: BTreeMap::new(),
            election: None,
            votes: BTreeSet::new(),
            next_attempt_us: 0,
        }
    }

    /// SDOWN: the master gave no valid answer for `down-after-milliseconds`.
    pub fn master_sdown(&self, now_us: TimeUs) -> bool {
        let last_ok = self.instances.get(&self.master).map_or(0, |i| i.last_ok_us);
        now_us.saturating_sub(last_ok) > self.config.down_after_us
    }

    fn majority(&self) -> usize {
        let sentinels = self.peers.len() + 1;
        sentinels / 2 + 1
    }

    pub fn on_start<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        for view in self.instances.values_mut() {
            view.last_ok_us = ctx.now_us;
        }
        let skew = ctx.rng.below(self.config.ping_period_us);
        ctx.set_timer(timer(TICK), skew);
        ctx.set_timer(timer(HELLO), self.config.hello_period_us);
    }

    pub fn on_crash(&mut self) {
        self.opinions.clear();
        self.election = None;
        self.votes.clear();
        self.failover = None;
        self.odown = false;
    }

    pub fn on_timer<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        match timer_tag::local_of(key) {
            TICK => self.tick(ctx),
            HELLO => {
                let hello = RedisMsg::Hello { master: self.master, config_epoch: self.config_epoch };
                self.peers.iter().for_each(|&p| ctx.send(p, hello.into()));
                ctx.set_timer(timer(HELLO), self.config.hello_period_us);
            }
            _ => {}
        }
    }

    fn tick<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let now = ctx.now_us;
        self.instances.keys().for_each(|&n| ctx.send(n, RedisMsg::Ping.into()));
        let sdown = self.master_sdown(now);
        let fresh = |at: TimeUs| now.saturating_sub(at) <= 5 * self.config.ping_period_us;
        let agreeing = self.opinions.values().filter(|&&(down, at)| down && fresh(at)).count() as u32;
        let odown = sdown && 1 + agreeing >= self.config.quorum;
        if odown && !self.odown {
            ctx.log(format!("+odown master n{} ({} sentinels agree)", self.master.0, 1 + agreeing));
        }
        self.odown = odown;
        if sdown && self.election.is_none() {
            let ask = RedisMsg::IsMasterDown { master: self.master, epoch: self.current_epoch, vote: false };
            self.peers.iter().for_each(|&p| ctx.send(p, ask.into()));
        }
        if let Some((_, started)) = self.election
            && now.saturating_sub(started) > self.config.election_timeout_us
        {
            self.election = None; // not elected in time
        }
        if odown && self.failover.is_none() && self.election.is_none() && now >= self.next_attempt_us {
            self.start_election(ctx);
        }
        self.watch_failover(ctx);
        let next = self.config.ping_period_us + ctx.rng.below(self.config.timer_skew_us);
        ctx.set_timer(timer(TICK), next);
    }

    fn start_election<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.current_epoch += 1;
        let epoch = self.current_epoch;
        self.voted = Some((epoch, ctx.me));
        self.votes = BTreeSet::from([ctx.me]);
        self.election = Some((epoch, ctx.now_us));
        self.next_attempt_us = ctx.now_us + 2 * self.config.failover_timeout_us;
        let ask = RedisMsg::IsMasterDown { master: self.master, epoch, vote: true };
        self.peers.iter().for_each(|&p| ctx.send(p, ask.into()));
        ctx.log(format!("+try-failover n{} in epoch {epoch}", self.master.0));
    }

    pub fn on_message<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: RedisMsg) {
        match msg {
            RedisMsg::Info { role, offset, .. } => self.on_info(ctx, from, role, offset),
            RedisMsg::IsMasterDown { master, epoch, vote } => self.on_is_master_down(ctx, from, master, epoch, vote),
            RedisMsg::MasterDownReply { down, leader, epoch } => {
                self.opinions.insert(from, (down, ctx.now_us));
                if let Some((election_epoch, _)) = self.election
                    && epoch == election_epoch
                    && leader == Some(ctx.me)
                {
                    self.votes.insert(from);
                    let needed = self.majority().max(self.config.quorum as usize);
                    if self.votes.len() >= needed && self.failover.is_none() {
                        self.lead_failover(ctx, election_epoch);
                    }
                }
            }
            RedisMsg::Hello { master, config_epoch } if config_epoch > self.config_epoch => {
                self.adopt(ctx.now_us, master, config_epoch);
            }
            RedisMsg::GetMaster { req } => ctx.send(from, RedisMsg::MasterIs { req, master: self.master }.into()),
            _ => {}
        }
    }

    fn on_is_master_down<M: From<RedisMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        master: NodeId,
        epoch: u32,
        vote: bool,
    ) {
        let down = master == self.master && self.master_sdown(ctx.now_us);
        if vote && down {
            self.current_epoch = self.current_epoch.max(epoch);
            if self.voted.is_none_or(|(e, _)| e < epoch) {
                self.voted = Some((epoch, from));
                if from != ctx.me {
                    // Voting for another delays our own attempt, as Sentinel does.
                    self.next_attempt_us = ctx.now_us + 2 * self.config.failover_timeout_us;
                }
            }
        }
        let leader = self.voted.filter(|&(e, _)| e == epoch).map(|(_, l)| l);
        ctx.send(from, RedisMsg::MasterDownReply { down, leader: if vote { leader } else { None }, epoch }.into());
    }

    /// Elected: promote the replica with the largest offset that answered recently.
    fn lead_failover<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, epoch: u32) {
        let now = ctx.now_us;
        let recent = 5 * self.config.ping_period_us;
        let best = self
            .instances
            .iter()
            .filter(|&(&n, v)| n != self.master && now.saturating_sub(v.last_ok_us) <= recent)
            .filter(|(_, v)| matches!(v.role, Some(RedisRole::Replica { .. })))
            .max_by_key(|&(&n, v)| (v.offset, std::cmp::Reverse(n)))
            .map(|(&n, _)| n);
        self.election = None;
        let Some(promoted) = best else {
            ctx.log("-failover-abort-no-good-slave");
            return;
        };
        ctx.send(promoted, RedisMsg::ReplicaOf { master: None }.into());
        self.failover = Some(Failover { epoch, promoted, since_us: now });
        ctx.log(format!("+elected-leader epoch {epoch}: promoting n{}", promoted.0));
    }

    /// Finish (or give up) a failover this sentinel leads.
    fn watch_failover<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let Some(f) = self.failover else { return };
        let promoted = self.instances.get(&f.promoted).and_then(|v| v.role) == Some(RedisRole::Master);
        if promoted {
            let old = self.master;
            self.adopt(ctx.now_us, f.promoted, f.epoch);
            self.failover = None;
            self.failovers += 1;
            for &n in self.instances.keys().filter(|&&n| n != f.promoted) {
                ctx.send(n, RedisMsg::ReplicaOf { master: Some(f.promoted) }.into());
            }
            ctx.log(format!("+switch-master n{} -> n{} (epoch {})", old.0, f.promoted.0, f.epoch));
        } else if ctx.now_us.saturating_sub(f.since_us) > self.config.failover_timeout_us {
            self.failover = None;
        }
    }

    fn adopt(&mut self, now_us: TimeUs, master: NodeId, config_epoch: u32) {
        self.master = master;
        self.config_epoch = config_epoch;
        self.current_epoch = self.current_epoch.max(config_epoch);
        self.instances.entry(master).or_default().last_ok_us = now_us;
        self.opinions.clear();
        self.odown = false;
    }

    /// An instance answered INFO. One that claims the wrong role, while our master is healthy,
    /// is reconfigured: this is how a returning old master becomes a replica.
    fn on_info<M: From<RedisMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, role: RedisRole, offset: u32) {
        let Some(view) = self.instances.get_mut(&from) else { return };
        *view = InstanceView { last_ok_us: ctx.now_us, role: Some(role), offset };
        let healthy = !self.master_sdown(ctx.now_us) && self.failover.is_none();
        let wanted = RedisRole::Replica { master: self.master };
        if healthy && from != self.master && role != wanted {
            ctx.send(from, RedisMsg::ReplicaOf { master: Some(self.master) }.into());
        }
    }
}
