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
    /// Time from asking Yew to re-render to its effects running (DOM
    /// patched), of the latest refreshes (at most 600).
    pub recent_refresh_ms: std::collections::VecDeque<f64>,
    /// When the pending refresh was asked for (wall ms), if one is pending.
    pub refresh_asked_ms: Option<f64>,
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

    /// The `pct` percentile of the recent DOM refreshes' time (nearest rank).
    pub fn refresh_percentile_ms(&self, pct: f64) -> f64 {
        percentile(&self.recent_refresh_ms, pct)
    }

    /// Mean time of the recent paints: the browser's clock is coarse (0.1 ms),
    /// so a mean over hundreds of paints says more than a percentile.
    pub fn draw_mean_ms(&self) -> f64 {
        let n = self.recent_draw_ms.len().max(1) as f64;
        self.recent_draw_ms.iter().sum::<f64>() / n
    }

    /// A re-render was asked for at `now_ms`.
    pub fn refresh_asked(&mut self, now_ms: f64) {
        self.refresh_asked_ms.get_or_insert(now_ms);
    }

    /// The app's effects ran at `now_ms`: a pending refresh is done.
    pub fn refresh_done(&mut self, now_ms: f64) {
        if let Some(asked_ms) = self.refresh_asked_ms.take() {
            remember(&mut self.recent_refresh_ms, now_ms - asked_ms);
        }
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
