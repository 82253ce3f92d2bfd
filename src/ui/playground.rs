//! The UI's handle on a running model: the cluster plus play state.
//!
//! Owns what the reader controls about time (playing, speed) and turns wall
//! time into bounded slices of virtual time. Holds no DOM and no web types, so
//! the reducer's logic can be tested natively; the components only read it
//! and call its methods.

use super::layout::Orientation;
use crate::cluster::Cluster;
use crate::cluster::command::{DEFAULT_SLOW_US, NodeAction};
use crate::cluster::topology::SliceOptions;
use crate::sim::{NodeId, SEC, TimeUs};

/// Most events one animation frame may process, so a tab never spins.
pub const MAX_EVENTS_PER_FRAME: u64 = 40_000;
/// A frame longer than this (a background tab) is treated as this long.
const MAX_FRAME_MS: f64 = 100.0;
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 1000.0;
/// Requests cross a data centre in milliseconds: at a fifth of real speed a
/// reader can follow a dot from the browser to the server and back.
pub const DEFAULT_SPEED: f64 = 0.2;

/// A running model and the reader's control of time.
pub struct Playground {
    pub cluster: Cluster,
    pub seed: u64,
    pub playing: bool,
    /// Virtual seconds per wall second.
    pub speed: f64,
    last_frame_ms: Option<f64>,
    /// Events processed by the last frame (for the status line).
    pub events_last_frame: u64,
    /// True when the last frame hit its event budget (the model lags).
    pub lagging: bool,
    /// Which way the diagram's layers run (view state the dot painter needs).
    pub orientation: Orientation,
}

impl Playground {
    pub fn new(seed: u64) -> Self {
        let cluster = Cluster::slice(&SliceOptions { seed, ..SliceOptions::default() });
        Self {
            cluster,
            seed,
            playing: false,
            speed: DEFAULT_SPEED,
            last_frame_ms: None,
            events_last_frame: 0,
            lagging: false,
            orientation: Orientation::Wide,
        }
    }

    pub fn set_speed(&mut self, speed: f64) {
        self.speed = if speed.is_finite() { speed.clamp(MIN_SPEED, MAX_SPEED) } else { 1.0 };
    }

    pub fn play(&mut self) {
        self.playing = true;
        self.last_frame_ms = None;
    }

    pub fn pause(&mut self) {
        self.playing = false;
    }

    /// Process exactly one event (pausing first).
    pub fn step(&mut self) {
        self.playing = false;
        self.cluster.sim.step();
    }

    /// Advance virtual time for one animation frame at wall time `now_ms`.
    pub fn frame(&mut self, now_ms: f64) {
        let elapsed_ms = self.last_frame_ms.map_or(0.0, |last| (now_ms - last).clamp(0.0, MAX_FRAME_MS));
        self.last_frame_ms = Some(now_ms);
        if !self.playing {
            self.events_last_frame = 0;
            return;
        }
        let advance_us = (elapsed_ms * 1000.0 * self.speed) as TimeUs;
        let target_us = self.cluster.sim.now_us() + advance_us;
        let report = self.cluster.run_until(target_us, MAX_EVENTS_PER_FRAME);
        self.events_last_frame = report.events;
        self.lagging = !report.reached;
    }

    pub fn act(&mut self, node: NodeId, action: NodeAction) {
        self.cluster.inject(action.fault(node, DEFAULT_SLOW_US));
    }

    /// Run `span_us` of virtual time at once (console API, tests).
    pub fn run_for(&mut self, span_us: TimeUs) {
        self.cluster.sim.run_for(span_us, u64::MAX);
    }

    pub fn now_seconds(&self) -> f64 {
        self.cluster.sim.now_us() as f64 / SEC as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_advance_virtual_time_by_speed() {
        let mut pg = Playground::new(1);
        pg.frame(0.0);
        pg.play();
        pg.set_speed(10.0);
        pg.frame(1000.0); // first frame after play only sets the reference
        pg.frame(1050.0);
        assert_eq!(pg.cluster.sim.now_us(), 500_000);
        pg.frame(5000.0); // a long gap counts as 100 ms
        assert_eq!(pg.cluster.sim.now_us(), 1_500_000);
        pg.pause();
        pg.frame(6000.0);
        assert_eq!(pg.cluster.sim.now_us(), 1_500_000);
    }

    #[test]
    fn speed_is_clamped_and_step_processes_one_event() {
        let mut pg = Playground::new(1);
        pg.set_speed(1e9);
        assert_eq!(pg.speed, MAX_SPEED);
        pg.set_speed(f64::NAN);
        assert_eq!(pg.speed, 1.0);
        pg.set_speed(DEFAULT_SPEED);
        let before = pg.cluster.sim.events_processed();
        pg.step();
        assert_eq!(pg.cluster.sim.events_processed(), before + 1);
    }
}
