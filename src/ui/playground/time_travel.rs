//! Going back and starting again: rewind, replay under another design, run
//! to the end of a scenario.
//!
//! Owns the playground's side of the recording: rebuilding the run from
//! t = 0 (the recording replays the reader's journal as time comes to each
//! command), fast-forwarding to a virtual time in frame-budgeted slices and
//! pausing there, and the frame's target while fast-forwarding; a rebuilt
//! run's charts start again from t = 0. Never decides
//! what a command does or how a run is rebuilt (`scenario::Recording` does).

use super::{ChartHistory, FrameStats, Layout, Playground};
use crate::cluster::design::SwitchError;
use crate::sim::TimeUs;

impl Playground {
    /// The virtual time this frame runs to: `elapsed_ms` of wall time at the
    /// reader's speed, or as far as the frame allows when fast-forwarding.
    pub(super) fn frame_target_us(&self, elapsed_ms: f64) -> TimeUs {
        match self.fast_forward_to {
            Some(to_us) => to_us.max(self.cluster.sim.now_us()),
            None => self.cluster.sim.now_us() + (elapsed_ms * 1000.0 * self.speed) as TimeUs,
        }
    }

    /// After a frame reached `target_us`: stop at a fast-forward's
    /// destination, or at the end of a loaded scenario.
    pub(super) fn stop_at_a_destination(&mut self, target_us: TimeUs) {
        if self.fast_forward_to.is_some_and(|to_us| target_us >= to_us) {
            self.fast_forward_to = None;
            self.playing = false;
        }
        if self.end_us.is_some_and(|end_us| self.cluster.sim.now_us() >= end_us) {
            self.playing = false;
        }
    }

    /// Run as fast as frames allow to the end of the loaded scenario, then
    /// pause. False (and nothing changes) in free play, which has no end.
    pub fn run_to_end(&mut self) -> bool {
        let Some(end_us) = self.end_us.filter(|&end_us| end_us > self.cluster.sim.now_us()) else { return false };
        self.fast_forward_to = Some(end_us);
        self.play();
        true
    }

    /// Back to virtual time `to_us` of this same run: rebuilt from t = 0 and
    /// fast-forwarded (frame by frame) to `to_us`, where it pauses. The
    /// reader's later actions replay unless they act before reaching them.
    pub fn rewind_to(&mut self, to_us: TimeUs) {
        let to_us = to_us.min(self.cluster.sim.now_us());
        self.cluster = self.recording.restart();
        self.after_rebuild();
        if to_us > 0 {
            self.fast_forward_to = Some(to_us);
            self.play();
        }
    }

    /// The same run from t = 0 (same seed, same actions) with `switch` set to
    /// `value` from the start: how the session store, which a running shop
    /// cannot change, is compared. Keeps playing if it was. A bad switch or
    /// value changes nothing.
    pub fn replay_with(&mut self, switch: &str, value: &str) -> Result<(), SwitchError> {
        let cluster = self.recording.replay_with(switch, value)?;
        self.cluster = cluster;
        self.after_rebuild();
        Ok(())
    }

    /// A rebuilt cluster may have other nodes (the slice gains Redis servers):
    /// lay it out again, and start the frame clock and statistics afresh.
    fn after_rebuild(&mut self) {
        self.layout = Layout::of(&self.cluster, self.layout.orientation);
        self.fast_forward_to = None;
        self.stats = FrameStats::default();
        self.gauges = ChartHistory::default();
        if self.playing {
            self.play();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Topology;
    use super::*;
    use crate::cluster::command::{Command, NodeAction};
    use crate::sim::SEC;

    /// Frames with a clock that never moves: each runs the event cap.
    fn frames_until_paused(pg: &mut Playground) -> u32 {
        let mut frozen = || 0.0;
        let mut frames = 0;
        while pg.playing && frames < 10_000 {
            pg.frame(f64::from(frames) * 16.0, &mut frozen);
            frames += 1;
        }
        frames
    }

    #[test]
    fn a_rewind_returns_to_the_same_instant_of_the_same_run() {
        let mut pg = Playground::with_topology(8, Topology::Slice, None);
        pg.run_for(10 * SEC);
        pg.command(Command::Node { node: "app-1".into(), action: NodeAction::Crash }).unwrap();
        pg.run_for(10 * SEC);
        let at_20s = pg.cluster.sim.trace_hash();
        pg.run_for(15 * SEC);
        pg.rewind_to(20 * SEC);
        assert!(pg.playing && pg.fast_forward_to == Some(20 * SEC), "a rewind fast-forwards from t = 0");
        assert!(frames_until_paused(&mut pg) >= 1);
        assert!(pg.stats.worst_events <= super::super::MAX_EVENTS_PER_FRAME, "the way back is cut into frames");
        assert_eq!(pg.cluster.sim.now_us(), 20 * SEC);
        assert_eq!(pg.cluster.sim.trace_hash(), at_20s, "the rewound run is the same run");
        let app1 = pg.cluster.sim.id_of("app-1").unwrap();
        assert!(!pg.cluster.sim.lifecycle(app1).is_up(), "the reader's crash at 10 s was replayed");
    }

    #[test]
    fn replaying_with_redis_rebuilds_the_slice_with_its_servers() {
        let mut pg = Playground::with_topology(2, Topology::Slice, None);
        pg.run_for(5 * SEC);
        let nodes = pg.cluster.sim.nodes().len();
        pg.replay_with("session-store", "redis").unwrap();
        assert_eq!(pg.cluster.sim.now_us(), 0);
        assert_eq!(pg.cluster.sim.nodes().len(), nodes + 5, "Redis, its replica and three sentinels");
        assert!(pg.layout.places.len() >= nodes + 5, "the diagram places the new servers");
        assert!(pg.replay_with("session-store", "floppy").is_err());
        assert_eq!(pg.recording.scenario().switches.get("session-store").as_deref(), Some("redis"));
    }

    #[test]
    fn run_to_end_stops_at_the_scenarios_end_and_free_play_has_none() {
        let text = include_str!("../../../scenarios/crash-xiaomings-server.json");
        let mut pg = Playground::from_scenario(crate::scenario::parse(text).unwrap());
        assert!(pg.run_to_end());
        frames_until_paused(&mut pg);
        assert_eq!(pg.cluster.sim.now_us(), 120 * SEC);
        assert!(!pg.run_to_end(), "already at the end");
        let mut free = Playground::with_topology(1, Topology::Slice, None);
        assert!(!free.run_to_end());
        assert!(!free.playing);
    }
}
