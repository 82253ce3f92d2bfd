//! The keepalived snippet: `keepalived.conf` for each machine of each balancer pair.
//!
//! Owns the `vrrp_instance` of every router (state, priority, advert_int,
//! virtual_router_id, the VIP, preempt or `nopreempt`, `garp_master_delay`)
//! from its `VrrpConfig`, a track script for nginx, and — when the balancer
//! is LVS — the `virtual_server` block through which keepalived drives IPVS
//! and checks the real servers. Never decides a priority or a timer itself:
//! those are the model's.

use super::facts::{Facts, VrrpPair, server_address, vip_address};
use super::lvs_f5::ipvs_scheduler;
use super::{Snippet, header, secs};
use crate::cluster::design::Design;
use crate::cluster::lb_algorithm::BalancerKind;
use crate::cluster::vrrp::InitialState;
use std::fmt::Write;

pub fn snippet(design: &Design, facts: &Facts) -> Snippet {
    let mut text = header("ini", design, &["balancer-kind"]);
    text.push_str(
        "# The VRRP values are the model's own (VrrpConfig); no design switch changes them.\n\
         # The VIP addresses are stand-ins: the model names the VIP, it has no address.\n",
    );
    if design.balancer_kind == BalancerKind::F5 {
        text.push_str(
            "# balancer-kind=f5: a BIG-IP pair does not run keepalived; it fails over with a\n\
             # sync-failover device group and a floating traffic group. The model keeps VRRP for it.\n",
        );
    }
    for (index, pair) in facts.vrrp_pairs.iter().enumerate() {
        for router in &pair.routers {
            text.push_str(&router_file(design, facts, index, pair, &router.name));
        }
    }
    Snippet { id: "keepalived", title: "keepalived.conf", language: "ini", text }
}

/// Highest minus lowest priority of the pair: a failed check must drop more than this.
fn priority_spread(pair: &VrrpPair) -> u8 {
    let priorities = pair.routers.iter().map(|r| r.config.priority);
    priorities.clone().max().unwrap_or(0) - priorities.min().unwrap_or(0)
}

fn router_file(design: &Design, facts: &Facts, index: usize, pair: &VrrpPair, me: &str) -> String {
    let Some(router) = pair.routers.iter().find(|r| r.name == me) else { return String::new() };
    let config = &router.config;
    let mut out = format!("\n# ---- {me}: /etc/keepalived/keepalived.conf ----\n");
    let tracks_nginx = design.balancer_kind == BalancerKind::Nginx;
    if tracks_nginx {
        // The same on every router of the pair, enough to fall below the lowest of them.
        let drop = priority_spread(pair) + 10;
        let _ = write!(
            out,
            "# The model runs nginx and keepalived as one node, so they fail together; on real machines\n\
             # nginx can die alone, and this script then lowers the priority by {drop} and moves the VIP.\n\
             vrrp_script chk_nginx {{\n    script \"/usr/bin/killall -0 nginx\"\n    interval 2\n    weight -{drop}\n}}\n"
        );
    }
    let state = match config.initial_state {
        InitialState::Master => "MASTER",
        InitialState::Backup => "BACKUP",
    };
    let _ = write!(
        out,
        "vrrp_instance VI_{} {{\n    state {state}\n    interface eth0\n    virtual_router_id {}\n    priority {}\n    \
         advert_int {}\n    garp_master_delay {}\n",
        pair.vip.to_uppercase().replace('-', "_"),
        config.vrid,
        config.priority,
        secs(config.advert_int_us),
        secs(config.garp_master_delay_us),
    );
    if config.preempt {
        out.push_str("    # preempt is keepalived's default: a higher priority takes the VIP back when it returns\n");
    } else {
        out.push_str("    nopreempt   # a returning higher priority waits (needs state BACKUP)\n");
    }
    let _ =
        write!(out, "    virtual_ipaddress {{\n        # {}\n        {}/24\n    }}\n", pair.vip, vip_address(index));
    if tracks_nginx {
        out.push_str("    track_script {\n        chk_nginx\n    }\n");
    }
    out.push_str("}\n");
    if design.balancer_kind == BalancerKind::Lvs {
        out.push_str(&virtual_server(facts, index, me));
    }
    out
}

/// keepalived's own IPVS configuration and real-server checks (LVS only).
fn virtual_server(facts: &Facts, index: usize, me: &str) -> String {
    let Some(lb) = facts.balancers.iter().find(|b| b.name == me) else { return String::new() };
    let config = &lb.config;
    let (scheduler, _) = ipvs_scheduler(config.algorithm);
    let mut out = format!("virtual_server {} 80 {{\n", vip_address(index));
    if let Some(check) = config.active_check {
        let _ = writeln!(out, "    delay_loop {}", secs(check.interval_us));
    }
    let _ = write!(out, "    lb_algo {scheduler}\n    lb_kind NAT\n    protocol TCP\n");
    if config.sticky {
        let _ = writeln!(out, "    persistence_timeout {}", secs(config.persistence_timeout_us));
    }
    for (i, upstream) in lb.upstreams.iter().enumerate() {
        let weight = if upstream.in_rotation { upstream.weight } else { 0 };
        let _ = write!(
            out,
            "    # {}\n    real_server {} 8080 {{\n        weight {weight}\n",
            upstream.name,
            server_address(i)
        );
        if let Some(check) = config.active_check {
            let _ = write!(
                out,
                "        TCP_CHECK {{\n            connect_timeout {}\n            retry {}\n        }}\n",
                secs(check.probe_timeout_us),
                check.fall.saturating_sub(1)
            );
        }
        out.push_str("    }\n");
    }
    out.push_str("}\n");
    out
}
