//! Counters, latency histograms and time series for a run.
//!
//! Owns the registry of named metrics and their storage. Hot-path updates go
//! by small integer ids handed out at build time, never by name. Histograms
//! are log-linear buckets (fixed memory whatever the number of samples), so a
//! million requests cost no more than ten. Never reads a clock: series are
//! sampled by the kernel at fixed virtual intervals.

use super::time::TimeUs;
use std::collections::VecDeque;

/// Index of a registered counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CounterId(pub u16);

/// Index of a registered histogram.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HistogramId(pub u16);

/// Values below this are kept exactly; above it, each power of two is split
/// into `SUB_BUCKETS` buckets (relative error under 1/32 ≈ 3 %).
const EXACT_BELOW: u64 = 64;
const SUB_BUCKET_BITS: u32 = 5;
const SUB_BUCKETS: usize = 1 << SUB_BUCKET_BITS;
const BUCKETS: usize = EXACT_BELOW as usize + (64 - 6) * SUB_BUCKETS;

/// A log-linear histogram of non-negative integers.
#[derive(Clone, Debug)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    sum: u128,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self { counts: vec![0; BUCKETS], total: 0, sum: 0, max: 0 }
    }
}

fn bucket_of(value: u64) -> usize {
    if value < EXACT_BELOW {
        return value as usize;
    }
    let top_bit = 63 - value.leading_zeros(); // >= 6
    let sub = ((value >> (top_bit - SUB_BUCKET_BITS)) as usize) & (SUB_BUCKETS - 1);
    EXACT_BELOW as usize + (top_bit as usize - 6) * SUB_BUCKETS + sub
}

/// The smallest value that falls in `bucket` (a lower bound of its range).
fn bucket_floor(bucket: usize) -> u64 {
    if bucket < EXACT_BELOW as usize {
        return bucket as u64;
    }
    let rel = bucket - EXACT_BELOW as usize;
    let top_bit = (rel / SUB_BUCKETS) as u32 + 6;
    let sub = (rel % SUB_BUCKETS) as u64;
    (1u64 << top_bit) | (sub << (top_bit - SUB_BUCKET_BITS))
}

impl Histogram {
    pub fn record(&mut self, value: u64) {
        self.counts[bucket_of(value)] += 1;
        self.total += 1;
        self.sum += u128::from(value);
        self.max = self.max.max(value);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> u64 {
        if self.total == 0 { 0 } else { (self.sum / u128::from(self.total)) as u64 }
    }

    /// The value at quantile `per_mille`/1000 (e.g. 990 for p99), to within a
    /// bucket: the lower edge of the bucket holding that rank, capped at max.
    pub fn quantile(&self, per_mille: u32) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = (self.total * u64::from(per_mille.min(1000))).div_ceil(1000).max(1);
        let mut seen = 0;
        for (bucket, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return bucket_floor(bucket).min(self.max);
            }
        }
        self.max
    }

    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The samples recorded since `earlier`, a copy of this histogram taken
    /// before (a window's distribution, e.g. the last second's p99). The max
    /// is the whole run's, so a window's top quantile is capped by it only.
    pub fn since(&self, earlier: &Histogram) -> Histogram {
        let counts: Vec<u64> =
            self.counts.iter().zip(&earlier.counts).map(|(now, then)| now.saturating_sub(*then)).collect();
        let total = counts.iter().sum();
        Histogram { counts, total, sum: self.sum.saturating_sub(earlier.sum), max: self.max }
    }
}

/// A series of (time, value) points, bounded: when full, every other point is
/// dropped and the sampling interval doubles, so a long run keeps its whole
/// shape in fixed memory.
#[derive(Clone, Debug)]
pub struct TimeSeries {
    pub points: VecDeque<(TimeUs, f64)>,
    capacity: usize,
}

impl TimeSeries {
    pub fn new(capacity: usize) -> Self {
        Self { points: VecDeque::with_capacity(capacity), capacity: capacity.max(4) }
    }

    /// Adds a point; returns true when the series was thinned (the caller
    /// should double its interval).
    pub fn push(&mut self, at_us: TimeUs, value: f64) -> bool {
        self.points.push_back((at_us, value));
        if self.points.len() < self.capacity {
            return false;
        }
        let kept: VecDeque<_> = self.points.iter().copied().step_by(2).collect();
        self.points = kept;
        true
    }
}

/// Points kept per series before it is thinned.
const SERIES_CAPACITY: usize = 600;
/// The first sampling interval: one virtual second.
const FIRST_INTERVAL_US: TimeUs = 1_000_000;

/// All named metrics of one run.
#[derive(Clone, Debug)]
pub struct Metrics {
    counter_names: Vec<&'static str>,
    counters: Vec<u64>,
    histogram_names: Vec<&'static str>,
    histograms: Vec<Histogram>,
    /// One series per counter, sampled every `interval_us` of virtual time.
    series: Vec<TimeSeries>,
    interval_us: TimeUs,
    next_sample_us: TimeUs,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            counter_names: Vec::new(),
            counters: Vec::new(),
            histogram_names: Vec::new(),
            histograms: Vec::new(),
            series: Vec::new(),
            interval_us: FIRST_INTERVAL_US,
            next_sample_us: FIRST_INTERVAL_US,
        }
    }
}

impl Metrics {
    /// The id of counter `name`, registering it on first use.
    pub fn counter(&mut self, name: &'static str) -> CounterId {
        if let Some(i) = self.counter_names.iter().position(|&n| n == name) {
            return CounterId(i as u16);
        }
        self.counter_names.push(name);
        self.counters.push(0);
        self.series.push(TimeSeries::new(SERIES_CAPACITY));
        CounterId((self.counters.len() - 1) as u16)
    }

    /// The id of histogram `name`, registering it on first use.
    pub fn histogram(&mut self, name: &'static str) -> HistogramId {
        if let Some(i) = self.histogram_names.iter().position(|&n| n == name) {
            return HistogramId(i as u16);
        }
        self.histogram_names.push(name);
        self.histograms.push(Histogram::default());
        HistogramId((self.histograms.len() - 1) as u16)
    }

    pub fn add(&mut self, id: CounterId, by: u64) {
        self.counters[id.0 as usize] += by;
    }

    pub fn observe(&mut self, id: HistogramId, value: u64) {
        self.histograms[id.0 as usize].record(value);
    }

    pub fn get(&self, id: CounterId) -> u64 {
        self.counters[id.0 as usize]
    }

    /// The id of counter `name`, if it was registered.
    pub fn find_counter(&self, name: &str) -> Option<CounterId> {
        self.counter_names.iter().position(|&n| n == name).map(|i| CounterId(i as u16))
    }

    /// A counter's value by name; 0 if it was never registered.
    pub fn value(&self, name: &str) -> u64 {
        self.counter_names.iter().position(|&n| n == name).map_or(0, |i| self.counters[i])
    }

    pub fn hist(&self, id: HistogramId) -> &Histogram {
        &self.histograms[id.0 as usize]
    }

    pub fn hist_by_name(&self, name: &str) -> Option<&Histogram> {
        self.histogram_names.iter().position(|&n| n == name).map(|i| &self.histograms[i])
    }

    /// Every counter as (name, value), in registration order.
    pub fn counters(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.counter_names.iter().copied().zip(self.counters.iter().copied())
    }

    /// Samples every counter at each interval boundary up to `now_us`. When a
    /// series fills up it is thinned and the interval doubles, so a run of any
    /// length keeps at most `SERIES_CAPACITY` points per counter.
    pub fn sample_due(&mut self, now_us: TimeUs) {
        while now_us >= self.next_sample_us {
            let at_us = self.next_sample_us;
            let mut thinned = false;
            for (series, &value) in self.series.iter_mut().zip(&self.counters) {
                thinned |= series.push(at_us, value as f64);
            }
            if thinned {
                self.interval_us *= 2;
            }
            self.next_sample_us = at_us + self.interval_us;
        }
    }

    /// The sampled values of counter `name` over time: (time, value) points.
    pub fn series(&self, name: &str) -> Option<&TimeSeries> {
        self.counter_names.iter().position(|&n| n == name).map(|i| &self.series[i])
    }

    /// The current sampling interval.
    pub fn sample_interval_us(&self) -> TimeUs {
        self.interval_us
    }

    /// Every histogram as (name, histogram), in registration order.
    pub fn histograms(&self) -> impl Iterator<Item = (&'static str, &Histogram)> + '_ {
        self.histogram_names.iter().copied().zip(self.histograms.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_tight() {
        let mut last = 0;
        for v in (0..200_000u64).step_by(7).chain([u64::MAX / 2, u64::MAX]) {
            let b = bucket_of(v);
            assert!(b >= last && b < BUCKETS, "value {v} bucket {b}");
            assert!(bucket_floor(b) <= v);
            last = b;
        }
    }

    #[test]
    fn quantiles_of_a_uniform_spread() {
        let mut h = Histogram::default();
        for v in 1..=10_000u64 {
            h.record(v);
        }
        let p50 = h.quantile(500);
        let p99 = h.quantile(990);
        assert!((4_800..=5_000).contains(&p50), "p50 {p50}");
        assert!((9_500..=9_900).contains(&p99), "p99 {p99}");
        assert_eq!(h.quantile(1000), 10_000.min(h.quantile(1000)));
        assert_eq!(h.count(), 10_000);
        assert_eq!(h.mean(), 5_000);
    }

    #[test]
    fn a_window_since_an_earlier_copy_has_only_the_new_samples() {
        let mut h = Histogram::default();
        (0..1000).for_each(|_| h.record(10));
        let earlier = h.clone();
        (0..100).for_each(|_| h.record(5_000));
        let window = h.since(&earlier);
        assert_eq!(window.count(), 100);
        assert!((4_800..=5_000).contains(&window.quantile(500)), "{}", window.quantile(500));
        assert_eq!(h.quantile(500), 10, "the whole run's median is still the old one");
        assert_eq!(h.since(&h).count(), 0);
    }

    #[test]
    fn series_thins_when_full() {
        let mut s = TimeSeries::new(8);
        let thinned: Vec<bool> = (0..8).map(|i| s.push(i, i as f64)).collect();
        assert_eq!(thinned.iter().filter(|&&t| t).count(), 1);
        assert_eq!(s.points.len(), 4);
        assert_eq!(s.points[1], (2, 2.0));
    }

    #[test]
    fn counters_are_sampled_each_interval_and_thinned_in_long_runs() {
        let mut m = Metrics::default();
        let a = m.counter("a");
        m.add(a, 5);
        m.sample_due(2_500_000);
        let points: Vec<_> = m.series("a").unwrap().points.iter().copied().collect();
        assert_eq!(points, vec![(1_000_000, 5.0), (2_000_000, 5.0)]);
        m.sample_due(3_600_000_000); // an hour
        let series = m.series("a").unwrap();
        assert!(series.points.len() < SERIES_CAPACITY, "{}", series.points.len());
        assert!(m.sample_interval_us() > FIRST_INTERVAL_US);
        assert!(series.points.iter().zip(series.points.iter().skip(1)).all(|(p, q)| p.0 < q.0));
    }

    #[test]
    fn counters_register_once() {
        let mut m = Metrics::default();
        let a = m.counter("a");
        assert_eq!(m.counter("a"), a);
        m.add(a, 3);
        assert_eq!(m.value("a"), 3);
        assert_eq!(m.value("missing"), 0);
    }
}
