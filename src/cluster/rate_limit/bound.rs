//! Invariant 9: a limiter accepts at most `burst + rate × W` in any window `W`.
//!
//! Owns the bound each algorithm promises (`LimiterBound`) and the linear
//! check over a list of accept times. Token bucket, nginx's leaky bucket and
//! the sliding-window counter keep it; the fixed window promises it on paper
//! and breaks it at a window boundary. Never limits anything itself.

use super::RateLimiter;
use crate::sim::TimeUs;

/// The bound a limiter promises: in any interval `[t, t + W]` it accepts at
/// most `burst + rate × W` requests, with `rate = per_window / window_us`,
/// measured on the limiter's own clock (times rounded down to
/// `clock_granularity_us`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimiterBound {
    pub burst: u64,
    pub per_window: u64,
    pub window_us: TimeUs,
    pub clock_granularity_us: TimeUs,
}

/// Invariant 9: in every interval `[t_i, t_j]` between two accepted
/// requests, `j − i + 1 ≤ burst + rate × (t_j − t_i)`. `accepted_at_us` must
/// be in time order. Linear: with `g(k) = k·W − n·t_k` the condition is
/// `max over i ≤ j of g(j) − g(i) ≤ (burst − 1)·W`.
pub fn check_limiter_bound(accepted_at_us: &[TimeUs], bound: LimiterBound) -> Result<(), String> {
    let granularity = bound.clock_granularity_us.max(1);
    let w = i128::from(bound.window_us.max(1));
    let n = i128::from(bound.per_window);
    let allowed = (i128::from(bound.burst) - 1) * w;
    let mut min_g: Option<(i128, usize)> = None;
    let mut prev_t = 0;
    for (k, &t) in accepted_at_us.iter().enumerate() {
        if t < prev_t {
            return Err(format!("accept times out of order at #{k}"));
        }
        prev_t = t;
        let t_q = i128::from(t / granularity * granularity);
        let g = k as i128 * w - n * t_q;
        let (lowest, i) = *min_g.get_or_insert((g, k));
        if g - lowest > allowed {
            let t_i = accepted_at_us[i];
            return Err(format!(
                "{} requests accepted in [{t_i} µs, {t} µs]: more than burst {} + {} per {} µs × {} µs",
                k - i + 1,
                bound.burst,
                bound.per_window,
                bound.window_us,
                t - t_i
            ));
        }
        if g < lowest {
            min_g = Some((g, k));
        }
    }
    Ok(())
}

impl RateLimiter {
    /// `check_limiter_bound`'s scan, one accept at a time, over every accept
    /// since the limiter was made (not only the remembered ones): record the
    /// first interval that held more than the bound allows.
    pub(super) fn watch_bound(&mut self, now_us: TimeUs) {
        if self.bound_violation.is_some() {
            return;
        }
        let bound = self.bound();
        let w = i128::from(bound.window_us.max(1));
        let allowed = (i128::from(bound.burst) - 1) * w;
        let k = i128::from(self.accepted - 1);
        let t_q = i128::from(now_us / bound.clock_granularity_us.max(1) * bound.clock_granularity_us.max(1));
        let g = k * w - i128::from(bound.per_window) * t_q;
        let (lowest, since_us) = *self.bound_min_g.get_or_insert((g, now_us));
        if g - lowest > allowed {
            self.bound_violation = Some(format!(
                "more requests accepted in [{since_us} µs, {now_us} µs] than burst {} + {} per {} µs allows",
                bound.burst, bound.per_window, bound.window_us
            ));
        } else if g < lowest {
            self.bound_min_g = Some((g, now_us));
        }
    }
}

/// `check_limiter_bound` on what a live limiter remembers.
pub fn check_limiter(limiter: &RateLimiter) -> Result<(), String> {
    let times: Vec<TimeUs> = limiter.accept_log.iter().copied().collect();
    check_limiter_bound(&times, limiter.bound())
}
