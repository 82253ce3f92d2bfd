//! The virtual IP as the network sees it, and the checks over VRRP routers.
//!
//! Owns `VipTable`, the ARP cache of the router or switch in front of a
//! keepalived pair: the VIP goes wherever the latest gratuitous ARP (or ARP
//! reply) said, so under split brain it flaps; and since a router that drops
//! to BACKUP tells nobody, the cache can keep sending the VIP's traffic to it
//! until the entry is re-resolved (every `refresh_us`, Linux's
//! `base_reachable_time` 30 s, by asking every router "who has the VIP?").
//! A lookup that finds no entry (never learned, or lost with a crash)
//! broadcasts "who has the VIP?" at once, at most once per `retrans_us`
//! (Linux `retrans_time_ms` 1000), and the router holding it answers; the
//! packet that missed is dropped (the sender's retransmission goes through).
//! Also `vip_holders` (who believes it holds the VIP) and the invariant
//! `check_one_vip_owner_per_epoch` over owners (believers that can act on
//! it: see `Freeze` for why a master frozen with its host owns nothing). Part of `vrrp`, split out to keep each
//! file small.

use super::{VrrpMsg, VrrpRouter};
use crate::cluster::timer_tag::{self, VRRP};
use crate::sim::{Ctx, Lifecycle, NodeId, Process, SEC, TimeUs, TimerKey};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where the VIP of one VRID currently points.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct VipEntry {
    pub holder: NodeId,
    pub epoch: u32,
    pub since_us: TimeUs,
}

/// The ARP cache's refresh timer (beyond every router's `vrid << 8 | kind`).
const REFRESH_TIMER: u64 = 1 << 20;

/// The ARP cache of the router or switch in front of the balancers.
/// Volatile (lost on crash): the entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipTable {
    /// The routers asked "who has the VIP?" on a refresh.
    pub routers: Vec<NodeId>,
    /// Re-resolve every entry this often (Linux `base_reachable_time` 30 s);
    /// 0 = never.
    pub refresh_us: TimeUs,
    pub entries: BTreeMap<u8, VipEntry>,
    /// Ask again for an unresolved VIP no sooner than this (Linux
    /// `retrans_time_ms` 1000).
    pub retrans_us: TimeUs,
    /// When each unresolved VIP was last asked for (volatile).
    asked_us: BTreeMap<u8, TimeUs>,
    /// "Who has the VIP?" broadcasts sent on a miss.
    pub arp_requests_sent: u64,
    /// Gratuitous ARPs and ARP replies heard.
    pub arp_heard: u64,
    /// How often an entry changed holder (flapping under split brain).
    pub moves: u64,
}

impl Default for VipTable {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl VipTable {
    pub fn new(routers: Vec<NodeId>) -> Self {
        Self {
            routers,
            refresh_us: 30 * SEC,
            entries: BTreeMap::new(),
            retrans_us: SEC,
            asked_us: BTreeMap::new(),
            arp_requests_sent: 0,
            arp_heard: 0,
            moves: 0,
        }
    }

    pub fn on_start<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>) {
        if self.refresh_us > 0 {
            ctx.set_timer(timer_tag::key(VRRP, REFRESH_TIMER), self.refresh_us);
        }
    }

    /// Time to re-resolve: ask every router; whoever holds the VIP answers.
    pub fn on_timer<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>, key: TimerKey) {
        if key != timer_tag::key(VRRP, REFRESH_TIMER) {
            return;
        }
        for &vrid in self.entries.keys() {
            for &router in &self.routers {
                ctx.send(router, M::from(VrrpMsg::ArpRequest { vrid }));
            }
        }
        ctx.set_timer(key, self.refresh_us);
    }

    pub fn on_message<M>(&mut self, ctx: &mut Ctx<'_, M>, from: NodeId, msg: VrrpMsg) {
        let (vrid, epoch, how) = match msg {
            VrrpMsg::GratuitousArp { vrid, epoch } => (vrid, epoch, "gratuitous ARP"),
            VrrpMsg::ArpReply { vrid, epoch } => (vrid, epoch, "ARP reply"),
            _ => return,
        };
        self.arp_heard += 1;
        self.asked_us.remove(&vrid);
        let previous = self.entries.get(&vrid).map(|e| e.holder);
        if previous == Some(from) {
            self.entries.entry(vrid).and_modify(|e| e.epoch = epoch);
            return;
        }
        if previous.is_some() {
            self.moves += 1;
        }
        self.entries.insert(vrid, VipEntry { holder: from, epoch, since_us: ctx.now_us });
        ctx.log(format!("VIP of VRID {vrid} now at node #{} ({how}, epoch {epoch})", from.0));
    }

    /// The node that traffic for the VIP of `vrid` reaches now.
    pub fn resolve(&self, vrid: u8) -> Option<NodeId> {
        self.entries.get(&vrid).map(|e| e.holder)
    }

    /// Where a packet for the VIP of `vrid` goes now. On a miss the packet
    /// is dropped and, unless one went out within `retrans_us`, "who has the
    /// VIP?" is broadcast to every router: the one holding it answers.
    pub fn lookup<M: From<VrrpMsg>>(&mut self, ctx: &mut Ctx<'_, M>, vrid: u8) -> Option<NodeId> {
        if let Some(holder) = self.resolve(vrid) {
            return Some(holder);
        }
        let recently = self.asked_us.get(&vrid).is_some_and(|&at| ctx.now_us < at + self.retrans_us);
        if !recently {
            self.asked_us.insert(vrid, ctx.now_us);
            self.arp_requests_sent += 1;
            for &router in &self.routers {
                ctx.send(router, M::from(VrrpMsg::ArpRequest { vrid }));
            }
        }
        None
    }

    pub fn on_crash(&mut self) {
        self.entries.clear();
        self.asked_us.clear();
    }
}

/// The routers that believe they hold the VIP of `vrid`.
pub fn vip_holders(routers: &[(NodeId, &VrrpRouter)], vrid: u8) -> Vec<NodeId> {
    routers.iter().filter(|(_, r)| r.config.vrid == vrid && r.holds_vip()).map(|&(id, _)| id).collect()
}

/// What freezing a router's node freezes: it decides whether a frozen
/// master owns the VIP.
///
/// A frozen keepalived sends no adverts, so after Master_Down_Interval the
/// backup takes over, while the frozen one still has the VIP in its config
/// and, when it resumes, believes it is master until it handles the first
/// better advert (or forces an election over a worse one). Whether it owns
/// the address meanwhile depends on what froze.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Freeze {
    /// The whole host (a stalled VM or hypervisor pause; the simulator's
    /// `Fault::Pause` of the node): its kernel answers no ARP and takes no
    /// packet, so while frozen it owns nothing; when it resumes it is an
    /// owner again, from the resume — and the queued adverts settle the
    /// overlap within one advert interval.
    WholeHost,
    /// Only the keepalived process (SIGSTOP, a hung daemon): the kernel keeps
    /// the VIP on the interface, answers ARP for it and takes its traffic,
    /// so the frozen master still owns the VIP — a real split brain as soon
    /// as the backup takes over.
    KeepalivedOnly,
}

/// When `router` became an owner of its VIP, if it is one now: it runs (or
/// only keepalived is frozen) and believes it holds the VIP.
fn owner_since_us(router: &VrrpRouter, life: &Lifecycle, freeze: Freeze) -> Option<TimeUs> {
    let since_us = router.master_since_us.filter(|_| router.holds_vip())?;
    match (life.process, freeze) {
        (Process::Up, Freeze::WholeHost) => Some(since_us.max(life.since_us)),
        (Process::Up | Process::Paused, Freeze::KeepalivedOnly) => Some(since_us),
        (Process::Paused, Freeze::WholeHost) | (Process::Crashed, _) => None,
    }
}

/// The VRID whose VIP `router` owns now, if it owns one (see `owner_since_us`).
pub fn owned_vrid(router: &VrrpRouter, life: &Lifecycle, freeze: Freeze) -> Option<u8> {
    owner_since_us(router, life, freeze).map(|_| router.config.vrid)
}

/// At most one VIP owner per epoch. An owner is a router that believes it
/// holds the VIP and can act on it: its process runs (a router frozen with
/// its whole host owns nothing until it resumes, and its claim counts from
/// the resume; with `Freeze::KeepalivedOnly` a frozen master still owns the
/// address). Once a router claims a new epoch every older owner must step
/// down; it learns of the new master from its first advert, one link delay
/// later, so two owners are tolerated for one advert interval after the
/// newest claim. A longer overlap means adverts are not getting through:
/// split brain. `lifecycles` is indexed by node, as the simulator's view.
pub fn check_one_vip_owner_per_epoch(
    routers: &[(NodeId, &VrrpRouter)],
    lifecycles: &[Lifecycle],
    freeze: Freeze,
    now_us: TimeUs,
) -> Result<(), String> {
    let vrids: BTreeSet<u8> = routers.iter().map(|(_, r)| r.config.vrid).collect();
    for vrid in vrids {
        let owners: Vec<(NodeId, &VrrpRouter, TimeUs)> = routers
            .iter()
            .filter(|(_, r)| r.config.vrid == vrid)
            .filter_map(|&(id, r)| Some((id, r, owner_since_us(r, lifecycles.get(id.index())?, freeze)?)))
            .collect();
        let Some(&(_, newest, since_us)) = owners.iter().max_by_key(|(_, _, since)| *since) else { continue };
        if owners.len() > 1 && now_us.saturating_sub(since_us) > newest.config.advert_int_us {
            let who: Vec<String> =
                owners.iter().map(|(id, r, _)| format!("node #{} (epoch {})", id.0, r.epoch)).collect();
            return Err(format!(
                "VIP of VRID {vrid} owned by {} at once for over one advert interval: {} (split brain)",
                owners.len(),
                who.join(", ")
            ));
        }
    }
    Ok(())
}
