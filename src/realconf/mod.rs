//! Real configuration: the files a reader would write for the real systems, generated from the model.
//!
//! Owns `Snippet` and `generate`: for a design and a built cluster, the
//! nginx (or LVS / F5) balancer config, keepalived.conf, the Tomcat or Spring
//! Session settings, MyCat's schema.xml and rule.xml, MySQL's my.cnf, the
//! ZooKeeper lock in Java, and the gateway's filters with the product cache.
//! Every value comes from the model's own config structs, read from the
//! cluster's nodes as they would run under the design (`facts`); every
//! snippet opens with a comment naming the switches it reflects. Pure: plain
//! text from plain data, no clock, no randomness, no web. Never changes the
//! cluster.

pub mod facts;
pub mod gateway;
pub mod keepalived;
pub mod lvs_f5;
pub mod mycat;
pub mod mysql;
pub mod nginx;
pub mod sessions;
pub mod zookeeper;

use crate::cluster::design::Design;
use crate::cluster::topology::Cluster;
use crate::sim::{MS, SEC, TimeUs};
pub use facts::Facts;

/// One configuration file (or a few that belong together) for one real system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snippet {
    /// Stable id: `balancer`, `keepalived`, `sessions`, `mycat`, `mysql`,
    /// `zookeeper`, `gateway` (the UI's `data-config`).
    pub id: &'static str,
    pub title: &'static str,
    /// For highlighting: `nginx`, `shell`, `ini`, `xml`, `java`, `properties`, `yaml`.
    pub language: &'static str,
    pub text: String,
}

/// Every snippet for `design`, with the names and wiring of `cluster`.
/// A snippet whose system the cluster lacks (the slice has no MyCat) is left out.
pub fn generate(design: &Design, cluster: &Cluster) -> Vec<Snippet> {
    let facts = Facts::read(cluster, design);
    let mut out = Vec::new();
    if !facts.balancers.is_empty() {
        out.push(nginx::snippet(design, &facts));
    }
    if !facts.vrrp_pairs.is_empty() {
        out.push(keepalived::snippet(design, &facts));
    }
    if !facts.apps.is_empty() {
        out.push(sessions::snippet(design, &facts));
    }
    if facts.mycat.is_some() {
        out.push(mycat::snippet(design, &facts));
    }
    if !facts.mysql.is_empty() {
        out.push(mysql::snippet(design, &facts));
    }
    if facts.lock.is_some() {
        out.push(zookeeper::snippet(design, &facts));
    }
    if facts.gateway.is_some() {
        out.push(gateway::snippet(design, &facts));
    }
    out
}

/// How a language writes a line comment (XML has none: `<!-- -->` per line).
pub(crate) fn comment(language: &str, text: &str) -> String {
    match language {
        "xml" => format!("<!-- {text} -->"),
        "java" => format!("// {text}"),
        _ => format!("# {text}"),
    }
}

/// The first line of every snippet: which switches it reflects, with their values.
pub(crate) fn header(language: &str, design: &Design, switches: &[&str]) -> String {
    let values: Vec<String> =
        switches.iter().map(|&s| format!("{s}={}", design.get(s).unwrap_or_else(|| "?".to_string()))).collect();
    format!("{}\n", comment(language, &format!("Reflects: {}", values.join(", "))))
}

/// Whole seconds of a duration (nginx `10s`, keepalived `advert_int 1`).
pub(crate) fn secs(us: TimeUs) -> u64 {
    us / SEC
}

/// Whole milliseconds of a duration (`rpl_semi_sync_source_timeout=10000`).
pub(crate) fn millis(us: TimeUs) -> u64 {
    us / MS
}
