//! RPO and RTO of a data-centre outage, read off the run.
//!
//! Owns the two numbers disaster recovery is judged by. RTO: from the moment
//! the centre failed to the first order the shop acknowledged again. RPO:
//! how far back in time the surviving data reaches — zero when every
//! acknowledged write survived, else the time between the last transaction
//! the new primary holds and the outage — with the count of acknowledged
//! writes lost. Never changes the run: it only reads nodes.

use super::{DrController, Failover};
use crate::cluster::node::ClusterNode;
use crate::cluster::replication::MysqlNode;
use crate::sim::{Lifecycle, NodeId, TimeUs};
use serde::Serialize;

/// What an outage cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DrReport {
    pub outage_at_us: TimeUs,
    pub failover: Option<Failover>,
    /// Outage to the first acknowledged order after it.
    pub rto_us: Option<TimeUs>,
    /// Outage back to the newest transaction that survived (0: nothing lost).
    pub rpo_us: TimeUs,
    pub lost_acked_writes: u64,
}

/// The report of the latest failover, as far as the run has got. The outage
/// began when the failed centre's first node crashed (or, if it was cut off
/// rather than crashed, when it last answered a probe).
pub fn measure(nodes: &[ClusterNode], lifecycles: &[Lifecycle], controller: NodeId) -> Option<DrReport> {
    let ClusterNode::DrController(dr) = nodes.get(controller.index())? else { return None };
    let f = *dr.failovers.last()?;
    let failed = dr.centres[f.from];
    let crashed_at_us = [failed.web, failed.db]
        .iter()
        .filter_map(|n| lifecycles.get(n.index())?.last_crash_us)
        .filter(|&t| t <= f.at_us && t >= f.last_ok_us)
        .min();
    let outage_at_us = crashed_at_us.unwrap_or(f.last_ok_us);
    let mut report = DrReport { outage_at_us, failover: Some(f), rto_us: None, rpo_us: 0, lost_acked_writes: 0 };
    let (old, new) = (mysql(nodes, dr, f.from)?, mysql(nodes, dr, f.to)?);
    report.lost_acked_writes =
        old.logged.intersection(&old.acked).count_missing_from(&new.logged) + old.discarded_acked;
    if report.lost_acked_writes > 0 {
        let survived_us = newest_survivor_at_or_before(old, new, outage_at_us);
        report.rpo_us = outage_at_us - survived_us;
    }
    if let ClusterNode::SiteFront(web) = nodes.get(dr.centres[f.to].web.index())? {
        report.rto_us = web.first_write_ok_us.filter(|&t| t >= outage_at_us).map(|t| t - outage_at_us);
    }
    Some(report)
}

/// The commit time of the newest transaction in `new`'s binlog committed at or before `t_us`
/// (0: none). A binlog is in commit-time order, and the new primary followed the old one, so
/// that transaction is among `new`'s retained entries, or is `new`'s newest purged one, or —
/// when `new` purged past it — among the old primary's retained entries (it was a replica
/// lagging far less than the positions a binlog keeps); `new.logged` says it survived.
fn newest_survivor_at_or_before(old: &MysqlNode, new: &MysqlNode, t_us: TimeUs) -> TimeUs {
    let purged = Some(new.binlog.purged_newest_commit_us).filter(|&c| c <= t_us).unwrap_or(0);
    let survivors = old.binlog.retained().filter(|e| new.logged.contains(e.gtid)).chain(new.binlog.retained());
    survivors.map(|e| e.commit_us).filter(|&c| c <= t_us).fold(purged, TimeUs::max)
}

fn mysql<'a>(nodes: &'a [ClusterNode], dr: &DrController, centre: usize) -> Option<&'a MysqlNode> {
    match nodes.get(dr.centres[centre].db.index())? {
        ClusterNode::Mysql(m) => Some(m),
        _ => None,
    }
}
