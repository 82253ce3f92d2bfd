//! The replication invariants, as plain functions the cluster's property list can call.
//!
//! Owns `check_no_acked_write_lost` and `check_single_writer`. Never changes a server.

use super::MysqlNode;

/// `always`: no acknowledged write is missing from the current source's binlog. `group` is
/// one replication group (one shard's servers, crashed or not); the current source is the
/// source with the highest epoch. Breaks when async replication (or semi-sync that fell back
/// to async) fails over to a replica that never received an acknowledged commit.
pub fn check_no_acked_write_lost(group: &[&MysqlNode]) -> Result<(), String> {
    let Some(current) = group.iter().filter(|n| n.is_source()).max_by_key(|n| n.epoch) else {
        return Ok(());
    };
    for node in group {
        if let Err(gtid) = node.acked.first_missing_from(&current.logged) {
            return Err(format!(
                "acknowledged write {gtid} is not in the binlog of the epoch-{} source (it has {})",
                current.epoch, current.logged
            ));
        }
    }
    Ok(())
}

/// `always`: at most one writable source per epoch, and no source of an older epoch takes a
/// client write after a newer one was promoted. Breaks in split brain: without fencing, a
/// partitioned old source keeps accepting writes from clients that still reach it.
pub fn check_single_writer(group: &[&MysqlNode]) -> Result<(), String> {
    let Some(newest) = group.iter().filter(|n| n.is_source()).max_by_key(|n| n.epoch) else {
        return Ok(());
    };
    for node in group {
        if std::ptr::eq(*node, *newest) {
            continue;
        }
        if node.is_source() && node.epoch == newest.epoch {
            return Err(format!("two writable sources in epoch {}", newest.epoch));
        }
        if let Some(at_us) = node.last_client_write_us
            && node.epoch < newest.epoch
            && at_us >= newest.promoted_at_us
        {
            return Err(format!(
                "a source of epoch {} took a write at {at_us} µs, after the epoch-{} source was promoted at {} µs",
                node.epoch, newest.epoch, newest.promoted_at_us
            ));
        }
    }
    Ok(())
}
