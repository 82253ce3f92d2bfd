//! The UI's handle on a running model: the cluster plus play state.
//!
//! Owns what the reader controls about time (playing, speed), the diagram's
//! layout for the screen's orientation, and the frame budget: each animation
//! frame turns wall time into a slice of virtual time and runs it in small
//! chunks, stopping when the slice is done, when the frame's wall-time budget
//! is spent or at a hard cap of events, so a tab never stalls even at 1000×
//! during a Double-11 surge. Holds no DOM and no web types (the wall clock is
//! passed in), so it is tested natively; the components only read it and
//! call its methods.

use super::charts::history::ChartHistory;
use super::layout::{Layout, Orientation};
use crate::cluster::Cluster;
use crate::cluster::command::{Command, CommandError, NodeAction};
use crate::cluster::design::Design;
use crate::scenario::format::FORMAT_VERSION;
use crate::scenario::validate::{MAX_DURATION_MS, MAX_SHOPPERS};
use crate::scenario::{Recording, Scenario, TopologyKind, TopologySpec};
use crate::sim::{NodeId, RunReport, SEC, TimeUs};

/// Most events one animation frame may process, whatever the clock says.
pub const MAX_EVENTS_PER_FRAME: u64 = 40_000;
/// Events run between two looks at the wall clock.
pub const CHUNK_EVENTS: u64 = 20;
/// Wall time a frame may spend on the model: drawing and input keep the rest
/// of a 16 ms frame.
pub const FRAME_BUDGET_MS: f64 = 8.0;
/// Script work a whole frame aims to stay under (model, dots and, a few
/// times a second, Yew's refresh): budgets.md's 10 ms at p95, with a margin.
pub const FRAME_WORK_MS: f64 = 9.0;
/// The model's least budget in a frame, however busy the rest of it is.
pub const MIN_FRAME_BUDGET_MS: f64 = 2.0;
/// A frame longer than this (a background tab) is treated as this long.
const MAX_FRAME_MS: f64 = 100.0;
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 1000.0;
/// Requests cross a data centre in milliseconds: at a fifth of real speed a
/// reader can follow a dot from the browser to the server and back.
pub const DEFAULT_SPEED: f64 = 0.2;

/// Which cluster the page runs (`?topology=`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Topology {
    /// A balancer and a few Tomcats: the first lesson.
    Slice,
    /// The whole shop of the brief (`Cluster::full`).
    #[default]
    Full,
}

impl Topology {
    /// The page draws the slice and the whole shop; a scenario of another
    /// kind is refused before it gets here.
    fn of(kind: TopologyKind) -> Self {
        if kind == TopologyKind::Slice { Self::Slice } else { Self::Full }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "slice" => Some(Self::Slice),
            "full" => Some(Self::Full),
            _ => None,
        }
    }
}

pub use frame_stats::FrameStats;
use frame_stats::remember;

mod frame_stats;
mod gauges;
mod time_travel;

/// A running model and the reader's control of time.
pub struct Playground {
    pub cluster: Cluster,
    /// The scenario the run started from and what the reader did since: a
    /// rewind or a replay rebuilds the run from it.
    pub recording: Recording,
    pub seed: u64,
    pub topology: Topology,
    pub playing: bool,
    /// Virtual seconds per wall second.
    pub speed: f64,
    last_frame_ms: Option<f64>,
    /// True when the last frame hit its budget (the model lags the clock).
    pub lagging: bool,
    pub stats: FrameStats,
    /// Where every node is drawn (follows the screen's orientation).
    pub layout: Layout,
    /// Draw the cluster's own chatter (heartbeats, replication) as dots too.
    pub show_control: bool,
    /// Running as fast as the frame budget allows to this virtual time (a
    /// rewind's way back, or "run to the end"), then pausing there.
    pub fast_forward_to: Option<TimeUs>,
    /// Where a loaded scenario or lesson ends (free play has no end).
    pub end_us: Option<TimeUs>,
    /// The charts' gauges, sampled as the run passes each sampling instant.
    pub gauges: ChartHistory,
}

/// How long a free play's recipe lasts (the longest scenario there is): the
/// bound on its recorded commands' times, not a stop.
const FREE_PLAY_MS: u64 = MAX_DURATION_MS;

impl Playground {
    /// The whole shop with seed `seed`.
    pub fn new(seed: u64) -> Self {
        Self::with_topology(seed, Topology::Full, None)
    }

    /// `topology` with seed `seed`; `shoppers` sets how many shop at the start
    /// (up to 20,000; the crowd can surge to 3,000 or to that many).
    pub fn with_topology(seed: u64, topology: Topology, shoppers: Option<u16>) -> Self {
        let spec = TopologySpec::default();
        // A bigger crowd than Double 11's brings its own capacity (the
        // frame-time benchmark's 1,000 requests in flight need ~20,000).
        let shoppers = shoppers.map_or(spec.shoppers, |n| n.min(MAX_SHOPPERS));
        let spec = TopologySpec { surge_capacity: spec.surge_capacity.max(shoppers), ..spec };
        let kind = match topology {
            Topology::Slice => TopologyKind::Slice,
            Topology::Full => TopologyKind::Full,
        };
        let scenario = Scenario {
            version: FORMAT_VERSION,
            name: String::new(),
            seed,
            duration_ms: FREE_PLAY_MS,
            topology: TopologySpec { kind, shoppers, ..spec },
            switches: Design::default(),
            faults: Vec::new(),
            load: Vec::new(),
            centres: Vec::new(),
            commands: Vec::new(),
        };
        let mut pg = Self::from_scenario(scenario);
        pg.end_us = None;
        pg
    }

    /// The run a validated scenario describes, at its start, paused.
    pub fn from_scenario(scenario: Scenario) -> Self {
        let (seed, topology) = (scenario.seed, Topology::of(scenario.topology.kind));
        let (recording, cluster) = Recording::start(scenario);
        let layout = Layout::of(&cluster, Orientation::Wide);
        Self {
            end_us: Some(recording.end_us()),
            cluster,
            recording,
            seed,
            topology,
            playing: false,
            speed: DEFAULT_SPEED,
            last_frame_ms: None,
            lagging: false,
            stats: FrameStats::default(),
            layout,
            show_control: false,
            fast_forward_to: None,
            gauges: ChartHistory::default(),
        }
    }

    pub fn set_orientation(&mut self, orientation: Orientation) {
        if self.layout.orientation != orientation {
            self.layout = Layout::of(&self.cluster, orientation);
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
        self.fast_forward_to = None;
        self.recording.step(&mut self.cluster);
        self.gauges.observe(&self.cluster);
    }

    /// Advance virtual time for one animation frame at wall time `now_ms`;
    /// `wall_ms` reads the clock while the frame works.
    pub fn frame(&mut self, now_ms: f64, wall_ms: &mut dyn FnMut() -> f64) {
        self.frame_within(now_ms, FRAME_BUDGET_MS, wall_ms);
    }

    /// The model's budget in a frame that also paints the dots and, if
    /// `refreshes`, re-renders the page: what `FRAME_WORK_MS` leaves after
    /// their recent typical cost, between `MIN_FRAME_BUDGET_MS` and
    /// `FRAME_BUDGET_MS`.
    pub fn model_budget_ms(&self, refreshes: bool) -> f64 {
        let refresh_ms = if refreshes { self.stats.refresh_percentile_ms(50.0) } else { 0.0 };
        (FRAME_WORK_MS - self.stats.draw_mean_ms() - refresh_ms).clamp(MIN_FRAME_BUDGET_MS, FRAME_BUDGET_MS)
    }

    /// `frame`, with the model given `budget_ms` of wall time at most.
    pub fn frame_within(&mut self, now_ms: f64, budget_ms: f64, wall_ms: &mut dyn FnMut() -> f64) {
        let elapsed_ms = self.last_frame_ms.map_or(0.0, |last| (now_ms - last).clamp(0.0, MAX_FRAME_MS));
        self.last_frame_ms = Some(now_ms);
        if !self.playing {
            self.stats.last_events = 0;
            self.lagging = false;
            return;
        }
        let target_us = self.frame_target_us(elapsed_ms);
        let started_ms = wall_ms();
        let (mut events, mut reached) = (0, false);
        while events < MAX_EVENTS_PER_FRAME {
            let chunk = CHUNK_EVENTS.min(MAX_EVENTS_PER_FRAME - events);
            let report = self.advance(target_us, chunk);
            events += report.events;
            reached = report.reached;
            if reached || wall_ms() - started_ms >= budget_ms {
                break;
            }
        }
        let spent_ms = wall_ms() - started_ms;
        self.lagging = !reached;
        if reached {
            self.stop_at_a_destination(target_us);
        }
        let s = &mut self.stats;
        s.frames += 1;
        s.lagging_frames += u64::from(!reached);
        (s.last_events, s.last_ms) = (events, spent_ms);
        s.worst_events = s.worst_events.max(events);
        s.worst_ms = s.worst_ms.max(spent_ms);
        remember(&mut s.recent_ms, spent_ms);
    }

    /// A reader's fault or repair on `node` (recorded, so a replay repeats it).
    pub fn act(&mut self, node: NodeId, action: NodeAction) -> Result<(), CommandError> {
        let node = self.cluster.sim.name(node).to_string();
        self.command(Command::Node { node, action })
    }

    /// A reader's command, now; recorded unless the model refuses it.
    pub fn command(&mut self, command: Command) -> Result<(), CommandError> {
        self.recording.command(&mut self.cluster, command)
    }

    /// Run `span_us` of virtual time at once (console API, tests).
    pub fn run_for(&mut self, span_us: TimeUs) {
        let target_us = self.cluster.sim.now_us() + span_us;
        self.run_until(target_us, u64::MAX);
    }

    /// Run to `target_us`, at most `max_events` events, through the recording.
    pub fn run_until(&mut self, target_us: TimeUs, max_events: u64) -> RunReport {
        self.advance(target_us, max_events)
    }

    pub fn now_seconds(&self) -> f64 {
        self.cluster.sim.now_us() as f64 / SEC as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock that moves `per_read_ms` every time it is read.
    fn ticking(per_read_ms: f64) -> impl FnMut() -> f64 {
        let mut t = 0.0;
        move || {
            t += per_read_ms;
            t
        }
    }

    #[test]
    fn frames_advance_virtual_time_by_speed() {
        let mut pg = Playground::with_topology(1, Topology::Slice, None);
        let mut clock = ticking(0.0);
        pg.frame(0.0, &mut clock);
        pg.play();
        pg.set_speed(10.0);
        pg.frame(1000.0, &mut clock); // first frame after play only sets the reference
        pg.frame(1050.0, &mut clock);
        assert_eq!(pg.cluster.sim.now_us(), 500_000);
        pg.frame(5000.0, &mut clock); // a long gap counts as 100 ms
        assert_eq!(pg.cluster.sim.now_us(), 1_500_000);
        pg.pause();
        pg.frame(6000.0, &mut clock);
        assert_eq!(pg.cluster.sim.now_us(), 1_500_000);
    }

    /// At 1000× in a Double-11 surge the frame stops when its wall-time
    /// budget is spent (a clock moving 1 ms per look: after 8 chunks), lags
    /// instead of stalling, and keeps going frame after frame.
    #[test]
    fn a_surge_at_top_speed_is_cut_into_budgeted_frames() {
        let mut pg = Playground::with_topology(5, Topology::Full, Some(3000));
        pg.run_for(20 * SEC);
        pg.play();
        pg.set_speed(MAX_SPEED);
        let mut clock = ticking(1.0);
        pg.frame(0.0, &mut clock);
        for i in 1..=5 {
            let before = pg.cluster.sim.now_us();
            pg.frame(f64::from(i) * 16.0, &mut clock);
            assert!(pg.lagging, "frame {i}: 16 s of a surge should not fit in one frame");
            assert!(pg.cluster.sim.now_us() > before, "frame {i}: the model still moves");
            // The clock passes 8 ms after the eighth chunk.
            assert!(pg.stats.last_events <= 8 * CHUNK_EVENTS, "frame {i}: {:?}", pg.stats);
        }
        assert_eq!(pg.stats.lagging_frames, 5);
        assert!(pg.stats.worst_events >= CHUNK_EVENTS, "{:?}", pg.stats);
    }

    #[test]
    fn the_event_cap_holds_with_a_clock_that_never_moves() {
        let mut pg = Playground::with_topology(5, Topology::Full, Some(3000));
        pg.play();
        pg.set_speed(MAX_SPEED);
        let mut frozen = ticking(0.0);
        pg.frame(0.0, &mut frozen);
        pg.frame(100.0, &mut frozen);
        assert_eq!(pg.stats.last_events, MAX_EVENTS_PER_FRAME, "100 s of a surge is more than the cap: {:?}", pg.stats);
        assert!(pg.lagging);
    }

    #[test]
    fn percentiles_of_frame_times() {
        let mut s = FrameStats::default();
        assert_eq!(s.percentile_ms(95.0), 0.0);
        s.recent_ms.extend((1..=100).map(f64::from));
        assert_eq!((s.percentile_ms(50.0), s.percentile_ms(95.0), s.percentile_ms(100.0)), (50.0, 95.0, 100.0));
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

    #[test]
    fn topologies_from_the_url() {
        assert_eq!(Topology::parse("slice"), Some(Topology::Slice));
        assert_eq!(Topology::parse("full"), Some(Topology::Full));
        assert_eq!(Topology::parse("sites"), None);
        assert_eq!(Playground::new(1).cluster.sim.nodes().len(), 45);
    }
}
