//! The balancer snippet: nginx's `upstream` and `server` blocks for the design's algorithm.
//!
//! Owns the `balancer` snippet when `balancer-kind` is nginx: one file per
//! group of balancers with the same upstreams (the four `lb-*` machines
//! share one), the algorithm directive (`least_conn;`, `ip_hash;`,
//! `random;`, `random two least_conn;`, or none for round robin), `weight=`
//! for the weighted ones, passive health checks (`max_fails`,
//! `fail_timeout`) and `proxy_next_upstream` as the model retries, and the
//! jvmRoute stickiness when the session store is sticky or replicated.
//! Hands the other kinds to `lvs_f5`. Never invents a value: each comes from
//! the balancer's `BalancerConfig` under the design.

use super::facts::{BalancerFacts, Facts};
use super::{Snippet, header, lvs_f5, secs};
use crate::cluster::design::Design;
use crate::cluster::lb_algorithm::{Algorithm, BalancerKind};
use std::fmt::Write;

/// The switches every balancer snippet reflects.
pub const SWITCHES: [&str; 3] = ["balancer-kind", "lb-algorithm", "session-store"];
/// The upstream group's name in every file.
pub const UPSTREAM: &str = "app_pool";

/// The balancer snippet for the design's kind of balancer.
pub fn snippet(design: &Design, facts: &Facts) -> Snippet {
    match design.balancer_kind {
        BalancerKind::Nginx => {
            Snippet { id: "balancer", title: "nginx upstream", language: "nginx", text: nginx_text(design, facts) }
        }
        BalancerKind::Lvs => {
            Snippet { id: "balancer", title: "LVS (ipvsadm)", language: "shell", text: lvs_f5::lvs_text(design, facts) }
        }
        BalancerKind::F5 => Snippet {
            id: "balancer",
            title: "F5 BIG-IP (tmsh)",
            language: "shell",
            text: lvs_f5::f5_text(design, facts),
        },
    }
}

/// nginx's directive for an algorithm, with what it does (None: nginx's default).
pub fn algorithm_directive(algorithm: Algorithm) -> Option<(&'static str, &'static str)> {
    match algorithm {
        Algorithm::RoundRobin | Algorithm::WeightedRoundRobin => None,
        Algorithm::LeastConn => Some(("least_conn;", "fewest active connections per weight")),
        Algorithm::IpHash => Some(("ip_hash;", "hash of the first three octets of the client's IPv4 address")),
        Algorithm::Random => Some(("random;", "a server drawn at random, in proportion to its weight")),
        Algorithm::P2c => {
            Some(("random two least_conn;", "power of two choices: draw two, keep the one with fewer connections"))
        }
    }
}

fn nginx_text(design: &Design, facts: &Facts) -> String {
    let mut out = header("nginx", design, &SWITCHES);
    for (names, lb) in facts.balancer_groups() {
        let _ = writeln!(out, "# /etc/nginx/conf.d/shop.conf on {}", names.join(", "));
        if lb.config.sticky {
            out.push_str(&route_map());
        }
        out.push_str(&upstream_block(lb));
        out.push_str(&server_block(lb));
    }
    out
}

/// The map that takes Tomcat's jvmRoute out of the session cookie.
fn route_map() -> String {
    [
        "# Sticky (session-store is sticky or replicated): Tomcat ends each session id with",
        "# its jvmRoute (JSESSIONID=<id>.<jvmRoute>); this map takes the route out of the cookie.",
        "map $cookie_jsessionid $route_cookie {",
        "    ~\\.(?P<route>[^.]+)$  $route;",
        "}",
        "",
    ]
    .join("\n")
        + "\n"
}

fn upstream_block(lb: &BalancerFacts) -> String {
    let config = &lb.config;
    let mut out = format!("upstream {UPSTREAM} {{\n");
    out.push_str("    zone app_pool 64k;   # workers share the failure counts of max_fails\n");
    match algorithm_directive(config.algorithm) {
        Some((directive, what)) => {
            let _ = writeln!(out, "    {directive}   # {what}");
        }
        None if config.algorithm == Algorithm::RoundRobin => {
            out.push_str("    # round robin: nginx's default with every weight 1, so no directive and no weights\n");
        }
        None => out.push_str("    # smooth weighted round robin: nginx's default, steered by weight=\n"),
    }
    for upstream in &lb.upstreams {
        let mut line = format!("    server {}:8080", upstream.name);
        if config.algorithm != Algorithm::RoundRobin {
            let _ = write!(line, " weight={}", upstream.weight);
        }
        let _ = write!(line, " max_fails={} fail_timeout={}s", config.max_fails, secs(config.fail_timeout_us));
        if config.max_conns > 0 {
            let _ = write!(line, " max_conns={}", config.max_conns);
        }
        if config.sticky {
            let _ = write!(line, " route={}", upstream.name);
        }
        if !upstream.in_rotation {
            line.push_str(" down;   # powered off now: the autoscaler removes `down` and reloads");
        } else {
            line.push(';');
        }
        out.push_str(&line);
        out.push('\n');
    }
    if config.sticky {
        out.push_str(&sticky_lines());
    }
    out.push_str("}\n\n");
    out
}

fn sticky_lines() -> String {
    [
        "    # `sticky route` and `route=` are NGINX Plus (commercial). Open-source nginx has no",
        "    # directive that follows the jvmRoute; `hash $cookie_jsessionid consistent;` is not the",
        "    # same: a shopper's first request has no cookie, the Tomcat it lands on makes the session,",
        "    # and the hash of the new id then points at any server, so the session is not found.",
        "    # With open-source nginx, map the route to one upstream per Tomcat instead.",
        "    sticky route $route_cookie;",
    ]
    .join("\n")
        + "\n"
}

fn server_block(lb: &BalancerFacts) -> String {
    let caps = lb.config.kind.capabilities();
    let mut out = String::from("server {\n    listen 80;\n    location / {\n");
    let _ = writeln!(out, "        proxy_pass http://{UPSTREAM};");
    if caps.retry_refused && caps.retry_timeout_idempotent {
        out.push_str(
            "        # The default, as the model retries: a refused connection or a timeout goes to the next\n\
             \x20       # server, but since nginx 1.9.13 a POST (an order, a payment) that reached a Tomcat is not\n\
             \x20       # sent again (adding `non_idempotent` would allow it). Tries every server: _tries 0.\n\
             \x20       proxy_next_upstream error timeout;\n",
        );
    } else {
        out.push_str("        proxy_next_upstream off;\n");
    }
    let _ = writeln!(out, "        proxy_read_timeout {}s;", secs(lb.config.proxy_timeout_us));
    if lb.config.max_pending > 0 {
        let _ = writeln!(
            out,
            "        # the model sheds beyond {} requests in flight (limit_conn, 503)",
            lb.config.max_pending
        );
    }
    out.push_str("    }\n}\n");
    out
}
