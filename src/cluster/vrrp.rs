//! keepalived's VRRP (RFC 5798): which balancer of a pair holds the virtual IP.
//!
//! Owns one `VrrpRouter` per balancer host (states INIT, BACKUP, MASTER), the
//! `VipTable` that the network in front of the pair keeps (an ARP cache fed
//! by gratuitous ARPs), and the checks the whole cluster runs over them.
//!
//! The master sends an advertisement every `advert_int` (1 s) to its peers. A
//! backup that hears none for Master_Down_Interval = 3 × advert_int + skew,
//! skew = (256 − priority) × advert_int / 256 (3.609375 s at priority 100),
//! becomes master and sends gratuitous ARPs so traffic for the VIP moves to
//! it (a second set after `garp_master_delay`, 5 s). A backup ignores adverts
//! of lower priority when preempting (the default), so a better router that
//! comes back takes over; `nopreempt` (which keepalived clears when the initial
//! state is MASTER) keeps the current master. A graceful stop sends priority
//! 0, and the backup takes over after its skew alone (0.61 s). A master that
//! hears a lower priority "forces a new election": it advertises and re-sends
//! gratuitous ARPs at once. When adverts cannot cross (a partition) both
//! become MASTER and both hold the VIP: split brain, which VRRP cannot see.
//!
//! Routing "to the VIP" is the `VipTable`'s job: whoever hosts it (the node
//! that sends to the VIP, or a switch node in front of the pair) asks
//! `lookup(vrid)`; like a real ARP cache it follows the latest gratuitous ARP
//! or ARP reply, so under split brain it flaps, it asks "who has the VIP?"
//! when it has no entry (the master answers), and it re-resolves every 30 s
//! (until then it may keep sending to a router that dropped to BACKUP). The
//! pure function `vip_holders` says who believes it holds the VIP.
//!
//! Epochs are a model-only annotation (real VRRP carries none), for the
//! invariant "at most one VIP owner per epoch": a router that becomes master
//! claims epoch = highest epoch it has heard + 1; adverts carry it. An owner
//! is a master that can act on its belief: one frozen with its whole host (a
//! stalled VM, the simulator's pause) answers no ARP and owns nothing until it
//! resumes, while one whose keepalived alone is frozen (SIGSTOP) still owns
//! the address through its kernel — see `Freeze`. Durable
//! (kept by a crash, like a term on disk): config, epochs, counters, the
//! transition log. Volatile: state, timers, the learned advert interval.
//! Never routes traffic or looks at the network: it only sends messages.

use super::timer_tag::{self, VRRP};
use crate::sim::{Ctx, Message, NodeId, TimeUs, TimerKey};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

// Settings, the VIP table and the checks live in their own files.
#[path = "vrrp_vip.rs"]
mod vip;
pub use vip::{Freeze, VipEntry, VipTable, check_one_vip_owner_per_epoch, owned_vrid, vip_holders};
#[path = "vrrp_config.rs"]
mod config;
pub use config::{
    ConfigWarning, InitialState, PRIORITY_OWNER, PRIORITY_STOP, VrrpConfig, master_down_interval_us, skew_us,
};

const TRANSITIONS_KEPT: usize = 32;
const ADVER_TIMER: u64 = 1;
const DOWN_TIMER: u64 = 2;
const GARP_TIMER: u64 = 3;

/// What VRRP routers (and the ARP caches in front of them) hear.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VrrpMsg {
    /// A master's advertisement (to 224.0.0.18, or keepalived `unicast_peer`).
    Advert { vrid: u8, priority: u8, advert_int_cs: u16, epoch: u32 },
    /// "The VIP of `vrid` is at my MAC address."
    GratuitousArp { vrid: u8, epoch: u32 },
    /// "Who has the VIP of `vrid`?", from an ARP cache refreshing its entry.
    ArpRequest { vrid: u8 },
    /// "I have it": a router holding the VIP answers an ARP request.
    ArpReply { vrid: u8, epoch: u32 },
}

impl Message for VrrpMsg {
    fn label(&self) -> &'static str {
        match self {
            Self::Advert { priority: PRIORITY_STOP, .. } => "vrrp-prio-0",
            Self::Advert { .. } => "vrrp-advert",
            Self::GratuitousArp { .. } => "garp",
            Self::ArpRequest { .. } => "arp-who-has",
            Self::ArpReply { .. } => "arp-reply",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VrrpState {
    Init,
    Backup,
    Master,
}

/// Why a router changed state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TransitionReason {
    Startup,
    /// Master_Down_Timer expired: no advert for Master_Down_Interval.
    MasterDown,
    /// The master said priority 0; the skew time passed.
    PriorityZeroHeard,
    /// A master heard a higher priority (or equal priority, higher address).
    HigherPriorityHeard,
    /// keepalived stopped gracefully.
    AdminStop,
}

/// One state change (a crash is not one: the process had no say).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub at_us: TimeUs,
    pub from: VrrpState,
    pub to: VrrpState,
    pub reason: TransitionReason,
}

/// One VRRP instance on one balancer host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VrrpRouter {
    pub config: VrrpConfig,
    /// The other routers of the group (adverts go to each).
    pub peers: Vec<NodeId>,
    /// Nodes that keep an ARP cache for the VIP (hear gratuitous ARPs).
    pub arp_listeners: Vec<NodeId>,
    pub warnings: Vec<ConfigWarning>,
    // Volatile.
    pub state: VrrpState,
    pub master_adver_int_us: TimeUs,
    pub master_since_us: Option<TimeUs>,
    /// When the Master_Down_Timer fires, if armed.
    pub down_deadline_us: Option<TimeUs>,
    down_reason: TransitionReason,
    // Durable.
    pub epoch: u32,
    pub highest_epoch_seen: u32,
    pub adverts_sent: u64,
    pub adverts_received: u64,
    pub garps_sent: u64,
    pub times_master: u64,
    pub transitions: VecDeque<Transition>,
}

impl VrrpRouter {
    /// A router; settings keepalived would reject are corrected as it does.
    pub fn new(mut config: VrrpConfig, peers: Vec<NodeId>, arp_listeners: Vec<NodeId>) -> Self {
        let mut warnings = Vec::new();
        if !config.preempt && config.priority == PRIORITY_OWNER {
            warnings.push(ConfigWarning::NopreemptIncompatibleWithOwner);
            config.preempt = true;
        }
        if !config.preempt && config.initial_state == InitialState::Master {
            warnings.push(ConfigWarning::NopreemptNeedsInitialBackup);
            config.preempt = true;
        }
        Self {
            master_adver_int_us: config.advert_int_us,
            config,
            peers,
            arp_listeners,
            warnings,
            state: VrrpState::Init,
            master_since_us: None,
            down_deadline_us: None,
            down_reason: TransitionReason::Startup,
            epoch: 0,
            highest_epoch_seen: 0,
            adverts_sent: 0,
            adverts_received: 0,
            garps_sent: 0,
            times_master: 0,
            transitions: VecDeque::new(),
        }
    }

    pub fn holds_vip(&self) -> bool {
        self.state == VrrpState::Master
    }

    /// This router's Master_Down_Interval with the interval it has learned.
    pub fn master_down_interval_us(&self) -> TimeUs {
        master_down_interval_us(self.config.priority, self.master_adver_int_us)
    }

    fn timer(&self, kind: u64) -> TimerKey {
        timer_tag::key(VRRP, (u64::from(self.config.vrid) << 8) | kind)
    }

    /// keepalived starts (at boot, after a restart, or `admin_start`). Only
    /// the address owner is master at once; `state MASTER` waits one advert
    /// interval (plus the smallest skew) for a better master, `state BACKUP`
    /// a whole Master_Down_Interval.
    pub fn on_start<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        self.master_adver_int_us = self.config.advert_int_us;
        if self.config.priority == PRIORITY_OWNER {
            self.become_master(ctx, TransitionReason::Startup);
            return;
        }
        let down_us = match self.config.initial_state {
            InitialState::Master => self.master_adver_int_us + skew_us(PRIORITY_OWNER, self.master_adver_int_us),
            InitialState::Backup => self.master_down_interval_us(),
        };
        self.enter_backup(ctx, TransitionReason::Startup, down_us);
    }

    /// `admin_start` is what `systemctl start keepalived` does.
    pub fn admin_start<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.state == VrrpState::Init {
            self.on_start(ctx);
        }
    }

    /// `systemctl stop keepalived`: a master says priority 0 and drops the VIP.
    pub fn admin_stop<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.state == VrrpState::Master {
            self.send_advert(ctx, PRIORITY_STOP);
            ctx.log(format!("VRRP {}: stopping, sent priority 0, VIP released", self.config.vrid));
        }
        for kind in [ADVER_TIMER, DOWN_TIMER, GARP_TIMER] {
            ctx.cancel_timer(self.timer(kind));
        }
        self.set_state(ctx.now_us, VrrpState::Init, TransitionReason::AdminStop);
    }

    /// The process died: it holds nothing and sends nothing any more.
    pub fn on_crash(&mut self) {
        self.state = VrrpState::Init;
        self.master_since_us = None;
        self.down_deadline_us = None;
        self.master_adver_int_us = self.config.advert_int_us;
    }

    pub fn on_message<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: VrrpMsg) {
        if let VrrpMsg::ArpRequest { vrid } = msg
            && vrid == self.config.vrid
            && self.holds_vip()
        {
            ctx.send(from, M::from(VrrpMsg::ArpReply { vrid, epoch: self.epoch }));
        }
        let VrrpMsg::Advert { vrid, priority, advert_int_cs, epoch } = msg else { return };
        if vrid != self.config.vrid || self.state == VrrpState::Init {
            return;
        }
        self.adverts_received += 1;
        self.highest_epoch_seen = self.highest_epoch_seen.max(epoch);
        let advert_int_us = u64::from(advert_int_cs) * 10_000;
        match self.state {
            VrrpState::Backup => self.backup_heard(ctx, priority, advert_int_us),
            VrrpState::Master => self.master_heard(ctx, from, priority, advert_int_us, epoch),
            VrrpState::Init => {}
        }
    }

    fn backup_heard<M>(&mut self, ctx: &mut Ctx<'_, M>, priority: u8, advert_int_us: TimeUs) {
        if priority == PRIORITY_STOP {
            self.down_reason = TransitionReason::PriorityZeroHeard;
            self.arm_down(ctx, skew_us(self.config.priority, self.master_adver_int_us));
        } else if !self.config.preempt || priority >= self.config.priority {
            self.master_adver_int_us = advert_int_us;
            self.down_reason = TransitionReason::MasterDown;
            self.arm_down(ctx, self.master_down_interval_us());
        }
        // Else: a lower-priority master while we preempt. The advert is
        // discarded and the down timer runs on: we will take over.
    }

    fn master_heard<M: From<VrrpMsg>>(
        &mut self,
        ctx: &mut Ctx<'_, M>,
        from: NodeId,
        priority: u8,
        advert_int_us: TimeUs,
        epoch: u32,
    ) {
        let mine = self.config.priority;
        if priority == PRIORITY_STOP {
            self.send_advert(ctx, mine);
            ctx.set_timer(self.timer(ADVER_TIMER), self.config.advert_int_us);
        } else if priority > mine || (priority == mine && from > ctx.me) {
            self.master_adver_int_us = advert_int_us;
            let down_us = self.master_down_interval_us();
            self.enter_backup(ctx, TransitionReason::HigherPriorityHeard, down_us);
        } else {
            let vrid = self.config.vrid;
            ctx.log(format!("VRRP {vrid}: advert with lower priority {priority}, ours {mine}, forcing new election"));
            // Re-asserting ownership over a rival's epoch is a new claim.
            if epoch >= self.epoch {
                self.claim_epoch();
            }
            self.send_advert(ctx, mine);
            if self.config.garp_on_lower_priority {
                self.send_garp(ctx);
            }
        }
    }

    pub fn on_timer<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        let local = timer_tag::local_of(key);
        if timer_tag::tag_of(key) != VRRP || local >> 8 != u64::from(self.config.vrid) {
            return;
        }
        match (local & 0xff, self.state) {
            (ADVER_TIMER, VrrpState::Master) => {
                self.send_advert(ctx, self.config.priority);
                ctx.set_timer(self.timer(ADVER_TIMER), self.config.advert_int_us);
            }
            (DOWN_TIMER, VrrpState::Backup) => self.become_master(ctx, self.down_reason),
            (GARP_TIMER, VrrpState::Master) => self.send_garp(ctx),
            _ => {}
        }
    }

    fn become_master<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>, reason: TransitionReason) {
        ctx.cancel_timer(self.timer(DOWN_TIMER));
        self.set_state(ctx.now_us, VrrpState::Master, reason);
        self.claim_epoch();
        self.master_since_us = Some(ctx.now_us);
        self.times_master += 1;
        self.send_advert(ctx, self.config.priority);
        self.send_garp(ctx);
        ctx.set_timer(self.timer(ADVER_TIMER), self.config.advert_int_us);
        if self.config.garp_master_delay_us > 0 {
            ctx.set_timer(self.timer(GARP_TIMER), self.config.garp_master_delay_us);
        }
        ctx.log(format!(
            "VRRP {}: entering MASTER ({reason:?}), epoch {}, gratuitous ARP for the VIP",
            self.config.vrid, self.epoch
        ));
    }

    fn enter_backup<M>(&mut self, ctx: &mut Ctx<'_, M>, reason: TransitionReason, down_us: TimeUs) {
        ctx.cancel_timer(self.timer(ADVER_TIMER));
        ctx.cancel_timer(self.timer(GARP_TIMER));
        if self.state == VrrpState::Master {
            ctx.log(format!("VRRP {}: leaving MASTER ({reason:?}), VIP released", self.config.vrid));
        }
        self.set_state(ctx.now_us, VrrpState::Backup, reason);
        self.down_reason = TransitionReason::MasterDown;
        self.arm_down(ctx, down_us);
    }

    fn set_state(&mut self, at_us: TimeUs, to: VrrpState, reason: TransitionReason) {
        if self.state == to {
            return;
        }
        if self.transitions.len() == TRANSITIONS_KEPT {
            self.transitions.pop_front();
        }
        self.transitions.push_back(Transition { at_us, from: self.state, to, reason });
        self.state = to;
        if to != VrrpState::Master {
            self.master_since_us = None;
        }
        if to != VrrpState::Backup {
            self.down_deadline_us = None;
        }
    }

    fn arm_down<M>(&mut self, ctx: &mut Ctx<'_, M>, after_us: TimeUs) {
        ctx.set_timer(self.timer(DOWN_TIMER), after_us);
        self.down_deadline_us = Some(ctx.now_us + after_us);
    }

    fn claim_epoch(&mut self) {
        self.epoch = self.highest_epoch_seen + 1;
        self.highest_epoch_seen = self.epoch;
    }

    fn send_advert<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>, priority: u8) {
        let advert_int_cs = (self.config.advert_int_us / 10_000).min(4095) as u16;
        let msg = VrrpMsg::Advert { vrid: self.config.vrid, priority, advert_int_cs, epoch: self.epoch };
        for &peer in &self.peers {
            ctx.send(peer, M::from(msg));
        }
        self.adverts_sent += 1;
    }

    fn send_garp<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        let msg = VrrpMsg::GratuitousArp { vrid: self.config.vrid, epoch: self.epoch };
        for &listener in &self.arp_listeners {
            ctx.send(listener, M::from(msg));
        }
        self.garps_sent += 1;
    }
}
