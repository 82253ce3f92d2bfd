//! The MySQL snippet: `my.cnf` for every server of the replication groups.
//!
//! Owns the settings the model's MySQL runs with: GTID replication, durable
//! commits, async or semi-sync (AFTER_SYNC, falling back to async after the
//! model's `semi_sync_timeout_us`) with MySQL 8.4's plugin and variable names
//! and the pre-8.0.26 names beside them, each server's id and read-only
//! state, and the `CHANGE REPLICATION SOURCE` a replica runs. Never invents a
//! timer: each comes from `ReplicationConfig`.

use super::facts::{Facts, MysqlFacts};
use super::{Snippet, header, millis, secs};
use crate::cluster::design::Design;
use crate::cluster::replication::{ReplicationConfig, SyncMode};
use std::fmt::Write;

const SWITCHES: [&str; 1] = ["replication"];

pub fn snippet(design: &Design, facts: &Facts) -> Snippet {
    let mut text = header("ini", design, &SWITCHES);
    let Some(first) = facts.mysql.first() else {
        return Snippet { id: "mysql", title: "MySQL my.cnf", language: "ini", text };
    };
    text.push_str(&common(&first.config));
    for (index, server) in facts.mysql.iter().enumerate() {
        text.push_str(&server_section(index, server));
    }
    Snippet { id: "mysql", title: "MySQL my.cnf", language: "ini", text }
}

/// What every server shares (the same file on each, then its own part).
fn common(config: &ReplicationConfig) -> String {
    let mut out = String::from(
        "# Every server (MySQL 8.4), in [mysqld]:\n[mysqld]\nlog_bin = binlog\nbinlog_format = ROW\n\
         gtid_mode = ON\nenforce_gtid_consistency = ON\nlog_replica_updates = ON\n\
         # a commit is on disk before it is acknowledged\nsync_binlog = 1\ninnodb_flush_log_at_trx_commit = 1\n",
    );
    let _ = writeln!(out, "replica_net_timeout = {}", secs(config.net_timeout_us));
    match config.mode {
        SyncMode::Async => out.push_str(
            "# replication=async (MySQL's default): the source answers at once; a failover can lose what the\n\
             # replica had not received yet. No semi-sync plugin is loaded.\n",
        ),
        SyncMode::SemiSync => out.push_str(&semi_sync(config)),
    }
    out
}

fn semi_sync(config: &ReplicationConfig) -> String {
    let timeout_ms = millis(config.semi_sync_timeout_us);
    let wait = config.semi_sync_wait_count;
    format!(
        "# replication=semi-sync: a commit waits until a replica has the transaction in its relay log\n\
         # (AFTER_SYNC); with no ack for {timeout_ms} ms the source falls back to async until a replica\n\
         # catches up. Both plugins on every server, so a promoted replica keeps the guarantee.\n\
         plugin_load_add = semisync_source.so\n\
         plugin_load_add = semisync_replica.so\n\
         rpl_semi_sync_source_enabled = 1\n\
         rpl_semi_sync_source_timeout = {timeout_ms}\n\
         rpl_semi_sync_source_wait_point = AFTER_SYNC\n\
         rpl_semi_sync_source_wait_for_replica_count = {wait}\n\
         rpl_semi_sync_replica_enabled = 1\n\
         # Before MySQL 8.0.26 the plugins and variables had the older names (never load both kinds):\n\
         # plugin_load_add = semisync_master.so\n\
         # plugin_load_add = semisync_slave.so\n\
         # rpl_semi_sync_master_enabled=1\n\
         # rpl_semi_sync_master_timeout={timeout_ms}\n\
         # rpl_semi_sync_master_wait_point=AFTER_SYNC\n\
         # rpl_semi_sync_slave_enabled=1\n"
    )
}

fn server_section(index: usize, server: &MysqlFacts) -> String {
    let mut out = format!("\n# ---- {} ----\n[mysqld]\nserver_id = {}\n", server.name, index + 1);
    match &server.source {
        None => out.push_str("# the source: takes writes (MyCat's write host)\nread_only = OFF\n"),
        Some(source) => {
            let config = &server.config;
            let _ = write!(
                out,
                "read_only = ON\nsuper_read_only = ON\n\
                 # once, in the mysql client:\n\
                 # CHANGE REPLICATION SOURCE TO SOURCE_HOST='{source}', SOURCE_PORT=3306, SOURCE_USER='repl',\n\
                 #   SOURCE_PASSWORD='change-me', SOURCE_AUTO_POSITION=1, SOURCE_HEARTBEAT_PERIOD={},\n\
                 #   SOURCE_CONNECT_RETRY={};\n\
                 # START REPLICA;\n",
                secs(config.heartbeat_period_us),
                secs(config.connect_retry_us)
            );
        }
    }
    out
}
