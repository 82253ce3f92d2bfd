//! Running the model forward with the charts' gauges sampled on the way.
//!
//! Owns `Playground::advance`, the one way the playground runs its cluster
//! through the recording: it stops at each instant the charts' gauges are
//! due (latency percentiles, cache hit ratio, replication lag, queue depths)
//! and samples them there, so a jump of a minute (`runFor`, a fast-forward,
//! a rewind's way back) leaves a line, not one point. Never changes what the
//! model does: a run cut at any instants is the same run.

use super::Playground;
use crate::sim::{RunReport, TimeUs};

impl Playground {
    /// Runs to `target_us` (at most `max_events` events) through the
    /// recording, sampling the gauges at each of their instants it passes.
    pub(super) fn advance(&mut self, target_us: TimeUs, max_events: u64) -> RunReport {
        let mut events = 0;
        loop {
            let stop_us = target_us.min(self.gauges.next_at_us().max(self.cluster.sim.now_us()));
            let report = self.recording.run_until(&mut self.cluster, stop_us, max_events - events);
            events += report.events;
            if !report.reached {
                return RunReport { events, reached: false };
            }
            self.gauges.observe(&self.cluster);
            if stop_us >= target_us {
                return RunReport { events, reached: true };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::Lang;
    use crate::sim::SEC;
    use crate::ui::charts::history::charts;
    use crate::ui::playground::{Playground, Topology};

    fn points(pg: &Playground, key: &str) -> usize {
        let all = charts(Lang::En, &pg.gauges, &pg.cluster, 600);
        all.iter().find(|c| c.key == key).map_or(0, |c| c.lines[0].points.len())
    }

    /// One jump of 60 virtual seconds samples every second on the way, as
    /// 60 one-second frames would, and the run itself is the same run.
    #[test]
    fn a_long_jump_draws_a_line_and_runs_the_same_events() {
        for seed in [1, 7, 42] {
            let mut jumped = Playground::with_topology(seed, Topology::Full, None);
            jumped.run_for(60 * SEC);
            let mut stepped = Playground::with_topology(seed, Topology::Full, None);
            for _ in 0..60 {
                stepped.run_for(SEC);
            }
            for key in ["latency", "cache-hit-ratio", "queues"] {
                let (a, b) = (points(&jumped, key), points(&stepped, key));
                assert!(a >= 55 && a == b, "seed {seed}: {key}: {a} points in one jump, {b} in 60 steps");
            }
            // The same run as one uncut call of the recording.
            let mut plain = Playground::with_topology(seed, Topology::Full, None);
            plain.recording.run_until(&mut plain.cluster, 60 * SEC, u64::MAX);
            let hash = |pg: &Playground| (pg.cluster.sim.trace_hash(), pg.cluster.sim.events_processed());
            assert_eq!(hash(&jumped), hash(&plain), "seed {seed}: cut at the sampling instants");
            assert_eq!(hash(&stepped), hash(&plain), "seed {seed}: cut every second");
        }
    }

    /// A rewind starts the charts again from t = 0.
    #[test]
    fn a_rewind_starts_the_gauges_again() {
        let mut pg = Playground::with_topology(3, Topology::Full, None);
        pg.run_for(30 * SEC);
        assert!(points(&pg, "latency") >= 25);
        pg.rewind_to(10 * SEC);
        assert_eq!(points(&pg, "latency"), 0, "a rebuilt run has no samples yet");
        pg.run_until(10 * SEC, u64::MAX);
        let after = points(&pg, "latency");
        assert!((8..=10).contains(&after), "10 s of the rebuilt run: {after} samples");
    }
}
