//! The virtual IP as the network sees it, and the checks over VRRP routers.
//!
//! Owns `VipTable`, the ARP cache of the router or switch in front of a
//! keepalived pair: the VIP goes wherever the latest gratuitous ARP (or ARP
//! reply) said, so under split brain it flaps; and since a router that drops
//! to BACKUP tells nobody, the cache can keep sending the VIP's traffic to it
//! until the entry is re-resolved (every `refresh_us`, Linux's
//! `base_reachable_time` 30 s, by asking every router "who has the VIP?").
//! Also `vip_holders` (who believes it holds the VIP) and the invariant
//! `check_one_vip_owner_per_epoch`. Part of `vrrp`, split out to keep each
//! file small.

use super::{VrrpMsg, VrrpRouter};
use crate::cluster::timer_tag::{self, VRRP};
use crate::sim::{Ctx, NodeId, SEC, TimeUs, TimerKey};
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
        Self { routers, refresh_us: 30 * SEC, entries: BTreeMap::new(), arp_heard: 0, moves: 0 }
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

    pub fn on_crash(&mut self) {
        self.entries.clear();
    }
}

/// The routers that believe they hold the VIP of `vrid`.
pub fn vip_holders(routers: &[(NodeId, &VrrpRouter)], vrid: u8) -> Vec<NodeId> {
    routers.iter().filter(|(_, r)| r.config.vrid == vrid && r.holds_vip()).map(|&(id, _)| id).collect()
}

/// At most one VIP owner per epoch: once a router claims a new epoch, every
/// older holder must step down. The old master learns of the new one from
/// its first advert, one link delay later, so an overlap is tolerated for one
/// advert interval; a longer one means adverts are not getting through —
/// split brain (or a paused master that still believes it holds the VIP).
pub fn check_one_vip_owner_per_epoch(routers: &[(NodeId, &VrrpRouter)], now_us: TimeUs) -> Result<(), String> {
    let vrids: BTreeSet<u8> = routers.iter().map(|(_, r)| r.config.vrid).collect();
    for vrid in vrids {
        let holders: Vec<&(NodeId, &VrrpRouter)> =
            routers.iter().filter(|(_, r)| r.config.vrid == vrid && r.holds_vip()).collect();
        let Some(&&(_, newest)) = holders.iter().max_by_key(|(_, r)| r.master_since_us) else { continue };
        let since_us = newest.master_since_us.unwrap_or(now_us);
        if holders.len() > 1 && now_us.saturating_sub(since_us) > newest.config.advert_int_us {
            let who: Vec<String> =
                holders.iter().map(|(id, r)| format!("node #{} (epoch {})", id.0, r.epoch)).collect();
            return Err(format!(
                "VIP of VRID {vrid} held by {} at once for over one advert interval: {} (split brain)",
                holders.len(),
                who.join(", ")
            ));
        }
    }
    Ok(())
}
