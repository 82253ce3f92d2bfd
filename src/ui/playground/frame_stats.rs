//! What the frame loop measured: events and model time per frame, paint time.
//!
//! Owns `FrameStats` (the lagging note, the console API's `frameStats()` and
//! the frame-time benchmark read it) and the nearest-rank percentiles over the
//! latest 600 frames. Never runs the model or reads a clock itself.

/// Frames whose model time is kept for percentiles.
const RECENT_FRAMES: usize = 600;

/// What the frame loop did, for the lagging note and the console API.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FrameStats {
    pub frames: u64,
    /// Frames that stopped before reaching their virtual target.
    pub lagging_frames: u64,
    pub last_events: u64,
    pub last_ms: f64,
    /// The most events any one frame processed, and the longest model time.
    pub worst_events: u64,
    pub worst_ms: f64,
    /// Model time of the latest frames that ran the model (at most 600).
    pub recent_ms: std::collections::VecDeque<f64>,
    /// Time to paint the dots, of the latest frames that painted (at most 600).
    pub recent_draw_ms: std::collections::VecDeque<f64>,
    /// Dots painted by the latest paint.
    pub last_dots: usize,
}

impl FrameStats {
    /// The `pct` percentile of the recent frames' model time (nearest rank).
    pub fn percentile_ms(&self, pct: f64) -> f64 {
        percentile(&self.recent_ms, pct)
    }

    /// The `pct` percentile of the recent paints' time (nearest rank).
    pub fn draw_percentile_ms(&self, pct: f64) -> f64 {
        percentile(&self.recent_draw_ms, pct)
    }

    /// A paint of `dots` dots took `spent_ms`.
    pub fn record_draw(&mut self, spent_ms: f64, dots: usize) {
        remember(&mut self.recent_draw_ms, spent_ms);
        self.last_dots = dots;
    }
}

pub(super) fn remember(recent: &mut std::collections::VecDeque<f64>, value: f64) {
    if recent.len() == RECENT_FRAMES {
        recent.pop_front();
    }
    recent.push_back(value);
}

/// Nearest-rank percentile; 0 when nothing was recorded.
fn percentile(values: &std::collections::VecDeque<f64>, pct: f64) -> f64 {
    let mut sorted: Vec<f64> = values.iter().copied().collect();
    if sorted.is_empty() {
        return 0.0;
    }
    sorted.sort_by(f64::total_cmp);
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
