//! The MyCat snippet: `schema.xml`, `rule.xml` and the range map file for the shop's tables.
//!
//! Owns the product and order tables on `dn1`/`dn2` by the model's range
//! rule (products 1–500 / 501–1000, the order ids' two ranges), each data
//! host's `balance`, `writeType`, `switchType` (from the design),
//! `slaveThreshold` and heartbeat statement, the write host and its standby
//! from MyCat's data hosts, and `dataNodeHeartbeatPeriod` for server.xml.
//! Never invents a range: they come from `MycatConfig::rule`.

use super::facts::{Facts, MycatFacts};
use super::{Snippet, comment, header, millis};
use crate::cluster::design::Design;
use crate::cluster::mycat::{Balance, KeyRange, ShardRule, SwitchType};
use std::fmt::Write;

const SWITCHES: [&str; 1] = ["switch-type"];

/// MyCat's number for a `switchType`. MyCat 1.6's schema.xml guide: −1 never
/// switches, 1 (the default) switches to the next writeHost when the heartbeat
/// fails, 2 switches only when `show slave status` says the replica is in sync
/// (its heartbeat must be that statement); see e.g.
/// https://blog.csdn.net/haoranhaoshi/article/details/110186216 and
/// https://cnblogs.com/tochw/p/12956387.html (both quote the guide).
pub const fn switch_type_value(switch: SwitchType) -> i8 {
    match switch {
        SwitchType::Never => -1,
        SwitchType::Automatic => 1,
        SwitchType::WhenInSync => 2,
    }
}

/// MyCat's number for `balance`: 0 no read/write splitting, 1 reads to the
/// read hosts and standby write hosts, 2 reads to every host.
pub const fn balance_value(balance: Balance) -> u8 {
    match balance {
        Balance::None => 0,
        Balance::ReadHosts => 1,
        Balance::AllHosts => 2,
    }
}

pub fn snippet(design: &Design, facts: &Facts) -> Snippet {
    let mut text = header("xml", design, &SWITCHES);
    if let Some(mycat) = &facts.mycat {
        text.push_str(&schema_xml(mycat));
        text.push_str(&rule_xml(mycat));
    }
    Snippet { id: "mycat", title: "MyCat schema.xml + rule.xml", language: "xml", text }
}

fn ranges(rule: &ShardRule) -> &[KeyRange] {
    match rule {
        ShardRule::Range(ranges) => ranges,
        _ => &[],
    }
}

fn schema_xml(mycat: &MycatFacts) -> String {
    let config = &mycat.config;
    let nodes: Vec<String> = (1..=mycat.data_hosts.len()).map(|i| format!("dn{i}")).collect();
    let nodes = nodes.join(",");
    let mut out = String::from(
        "<!-- conf/schema.xml (comments may precede the DOCTYPE; the <?xml?> line is optional) -->\n<!DOCTYPE mycat:schema SYSTEM \"schema.dtd\">\n",
    );
    out.push_str("<mycat:schema xmlns:mycat=\"http://io.mycat/\">\n  <schema name=\"shop\" checkSQLschema=\"false\" sqlMaxLimit=\"100\">\n");
    for table in ["product", "orders"] {
        let _ =
            writeln!(out, "    <table name=\"{table}\" primaryKey=\"id\" dataNode=\"{nodes}\" rule=\"shop-range\" />");
    }
    out.push_str("  </schema>\n");
    for i in 1..=mycat.data_hosts.len() {
        let _ = writeln!(out, "  <dataNode name=\"dn{i}\" dataHost=\"shard{i}\" database=\"shop\" />");
    }
    for (i, hosts) in mycat.data_hosts.iter().enumerate() {
        let _ = writeln!(
            out,
            "  <dataHost name=\"shard{}\" maxCon=\"1000\" minCon=\"10\" balance=\"{}\" writeType=\"0\"\n            \
             dbType=\"mysql\" dbDriver=\"native\" switchType=\"{}\" slaveThreshold=\"{}\">",
            i + 1,
            balance_value(config.balance),
            switch_type_value(config.switch_type),
            config.slave_threshold_s
        );
        out.push_str(
            "    <!-- show slave status: MyCat reads Seconds_Behind_Master from it, for slaveThreshold and\n         \
             for switchType 2. (MySQL 8.4 removed the statement; MyCat 1.6 needs 5.7 or 8.0.) -->\n    \
             <heartbeat>show slave status</heartbeat>\n",
        );
        for (h, host) in hosts.iter().enumerate() {
            if h == 1 {
                out.push_str(
                    "    <!-- the replica as a standby writeHost, not a readHost: a readHost stops with its\n         \
                     writeHost, a standby writeHost can take over (writeType 0) and serves reads (balance 1) -->\n",
                );
            }
            let _ = writeln!(
                out,
                "    <writeHost host=\"{host}\" url=\"{host}:3306\" user=\"mycat\" password=\"change-me\" />"
            );
        }
        out.push_str("  </dataHost>\n");
    }
    out.push_str("</mycat:schema>\n\n");
    let _ = writeln!(
        out,
        "{}\n<property name=\"dataNodeHeartbeatPeriod\">{}</property>\n",
        comment("xml", "conf/server.xml, inside <system>: a heartbeat to every host this often (ms)"),
        millis(config.heartbeat_period_us)
    );
    out
}

fn rule_xml(mycat: &MycatFacts) -> String {
    let mut out = String::from(
        "<!-- conf/rule.xml -->\n<tableRule name=\"shop-range\">\n  <rule>\n    <columns>id</columns>\n    \
         <algorithm>shop-range-long</algorithm>\n  </rule>\n</tableRule>\n\
         <function name=\"shop-range-long\" class=\"io.mycat.route.function.AutoPartitionByLong\">\n  \
         <property name=\"mapFile\">autopartition-shop.txt</property>\n</function>\n\n\
         <!-- conf/autopartition-shop.txt: id range = data node index (0 is dn1) -->\n<!--\n",
    );
    for range in ranges(&mycat.config.rule) {
        let _ = writeln!(out, "{}-{}={}", range.lo, range.hi, range.shard);
    }
    out.push_str("-->\n");
    out
}
