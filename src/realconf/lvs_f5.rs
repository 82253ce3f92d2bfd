//! The balancer snippet for the other kinds: LVS as `ipvsadm` lines, F5 BIG-IP as `tmsh` commands.
//!
//! Owns what an L4 kernel balancer or a hardware full proxy needs instead of
//! nginx's upstream: the IPVS scheduler for the design's algorithm (`rr`,
//! `wrr`, `wlc`, `sh`; and what IPVS lacks), source-IP persistence (`-p`)
//! when the design is sticky; the BIG-IP pool's load-balancing mode, its
//! HTTP monitor from the model's active check, `reselect-tries`, and cookie
//! persistence. Values come from the balancer's `BalancerConfig`; the
//! addresses are stand-ins (`facts`). Never writes nginx.

use super::facts::{Facts, server_address, vip_address};
use super::nginx::{SWITCHES, UPSTREAM};
use super::{header, secs};
use crate::cluster::design::Design;
use crate::cluster::lb_algorithm::Algorithm;
use std::fmt::Write;

/// The IPVS scheduler for an algorithm, and a note where IPVS has no match.
pub fn ipvs_scheduler(algorithm: Algorithm) -> (&'static str, Option<&'static str>) {
    match algorithm {
        Algorithm::RoundRobin => ("rr", None),
        Algorithm::WeightedRoundRobin => ("wrr", None),
        Algorithm::LeastConn => ("wlc", None),
        Algorithm::IpHash => ("sh", Some("source hashing: the whole client address, not nginx's first three octets")),
        Algorithm::Random => ("wrr", Some("IPVS has no random scheduler; wrr gives the same shares by weight")),
        Algorithm::P2c => ("wlc", Some("IPVS has no power of two choices; wlc compares every server, not two")),
    }
}

/// BIG-IP's load-balancing mode for an algorithm, and a note where it has no match.
pub fn f5_mode(algorithm: Algorithm) -> (&'static str, Option<&'static str>) {
    match algorithm {
        Algorithm::RoundRobin => ("round-robin", None),
        Algorithm::WeightedRoundRobin => ("ratio-member", None),
        Algorithm::LeastConn => ("least-connections-member", None),
        Algorithm::IpHash => {
            ("round-robin", Some("BIG-IP balances by no hash; source-address persistence (source_addr) pins a client"))
        }
        Algorithm::Random => ("round-robin", Some("BIG-IP has no random mode")),
        Algorithm::P2c => {
            ("least-connections-member", Some("BIG-IP has no power of two choices; it compares every member"))
        }
    }
}

/// The addresses of a balancer's VIP: the pair it belongs to, or its own.
fn vip_of(facts: &Facts, balancer: &str) -> (String, String) {
    match facts.pair_of(balancer) {
        Some((index, pair)) => (vip_address(index), pair.vip.clone()),
        None => (vip_address(facts.vrrp_pairs.len()), balancer.to_string()),
    }
}

/// One block of `ipvsadm` lines per VIP.
pub fn lvs_text(design: &Design, facts: &Facts) -> String {
    let mut out = header("shell", design, &SWITCHES);
    out.push_str(
        "# LVS forwards TCP connections in the kernel and never reads HTTP: no cookie route, no retry,\n\
         # no error page, no passive health check. keepalived's checker takes a dead real server out\n\
         # (see the keepalived tab, which also writes these as a virtual_server block).\n",
    );
    let mut seen = Vec::new();
    for lb in &facts.balancers {
        let (vip, vip_name) = vip_of(facts, &lb.name);
        if seen.contains(&vip) {
            continue;
        }
        seen.push(vip.clone());
        let config = &lb.config;
        let (scheduler, note) = ipvs_scheduler(config.algorithm);
        let _ = writeln!(out, "\n# {vip_name} = {vip} (a stand-in address), on its keepalived master");
        if let Some(note) = note {
            let _ = writeln!(out, "# lb-algorithm={}: {note}", config.algorithm.as_str());
        }
        let mut add = format!("ipvsadm -A -t {vip}:80 -s {scheduler}");
        if config.sticky {
            let _ = write!(add, " -p {}", secs(config.persistence_timeout_us));
            out.push_str("# sticky: persistence by source address (-p), since LVS cannot read the session cookie\n");
        }
        out.push_str(&add);
        out.push('\n');
        for (i, upstream) in lb.upstreams.iter().enumerate() {
            let weight = if upstream.in_rotation { upstream.weight } else { 0 };
            let _ = write!(out, "ipvsadm -a -t {vip}:80 -r {}:8080 -m -w {weight}", server_address(i));
            let note = if upstream.in_rotation {
                String::new()
            } else {
                ", powered off: weight 0 takes no new connections".to_string()
            };
            let _ = writeln!(out, "   # {}{note}", upstream.name);
        }
        let _ = writeln!(
            out,
            "# established TCP entries live {} s (ipvsadm --set {} 120 300)",
            secs(config.proxy_timeout_us),
            secs(config.proxy_timeout_us)
        );
    }
    out
}

/// `tmsh` commands: a monitor, a pool and a virtual server per VIP.
pub fn f5_text(design: &Design, facts: &Facts) -> String {
    let mut out = header("shell", design, &SWITCHES);
    let Some(lb) = facts.balancers.first() else { return out };
    let config = &lb.config;
    let caps = config.kind.capabilities();
    if let Some(check) = caps.active_check {
        let interval = secs(check.interval_us);
        // BIG-IP marks a member down after `timeout` s without a good answer:
        // `fall` missed probes, plus one second, is the usual rule.
        let timeout = u64::from(check.fall) * interval + 1;
        let _ = writeln!(
            out,
            "tmsh create ltm monitor http shop_http {{ interval {interval} timeout {timeout} \
             send \"GET / HTTP/1.1\\r\\nHost: shop\\r\\nConnection: close\\r\\n\\r\\n\" recv \"200\" }}"
        );
    }
    let (mode, note) = f5_mode(config.algorithm);
    if let Some(note) = note {
        let _ = writeln!(out, "# lb-algorithm={}: {note}", config.algorithm.as_str());
    }
    let members: Vec<String> = lb
        .upstreams
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let state = if u.in_rotation { "" } else { " session user-disabled" };
            format!("{}:8080 {{ address {} ratio {}{state} }}", u.name, server_address(i), u.weight)
        })
        .collect();
    let _ = writeln!(
        out,
        "# reselect-tries 0: a failed connection is not retried on another member (the model's F5)\n\
         tmsh create ltm pool {UPSTREAM} {{ load-balancing-mode {mode} reselect-tries 0 monitor shop_http \
         members add {{ {} }} }}",
        members.join(" ")
    );
    let persist = if config.sticky {
        out.push_str("# sticky: the BIG-IP inserts its own cookie naming the member (cookie persistence)\n");
        " persist replace-all-with { cookie }"
    } else {
        ""
    };
    let mut seen = Vec::new();
    for b in &facts.balancers {
        let (vip, vip_name) = vip_of(facts, &b.name);
        if seen.contains(&vip) {
            continue;
        }
        seen.push(vip.clone());
        let _ = writeln!(
            out,
            "tmsh create ltm virtual shop_{} {{ destination {vip}:80 ip-protocol tcp pool {UPSTREAM} \
             profiles add {{ tcp http }} source-address-translation {{ type automap }}{persist} }}   # {vip_name}",
            vip_name.replace('-', "_")
        );
    }
    let _ = writeln!(
        out,
        "# idle connections close after {} s (the TCP profile's idle-timeout)",
        secs(config.proxy_timeout_us)
    );
    out
}
