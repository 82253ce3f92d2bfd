//! What the charts plot: series read from the model, bounded and downsampled (pure, no DOM).
//!
//! Owns `ChartHistory`, which samples the gauges the kernel does not keep as
//! series (the playground stops its runs at each sampling instant to call it) — windowed p50/p99 latency, the product cache's hit ratio, the
//! worst replication lag, queue depths — once per virtual second at most
//! (bounded like the kernel's series: thinned, interval doubled), and
//! `charts`, which turns those and the kernel's counter series (throughput,
//! failures by cause, sessions lost) into plain `ChartData`, downsampled to
//! the canvas width. Never changes the model.

use crate::cluster::{Cluster, ClusterNode, FailCause};
use crate::i18n::{Lang, t};
use crate::sim::metrics::TimeSeries;
use crate::sim::{Histogram, SEC, TimeUs};
use crate::ui::terms;

/// Points kept per gauge before thinning (as the kernel's series).
const CAPACITY: usize = 600;
/// Causes shown at most on the failures chart.
const CAUSES_SHOWN: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Gauge {
    P50Ms,
    P99Ms,
    CacheHitPct,
    ReplicationLagMs,
    MqReady,
    MqUnacked,
    AppQueued,
}

const GAUGES: [Gauge; 7] = [
    Gauge::P50Ms,
    Gauge::P99Ms,
    Gauge::CacheHitPct,
    Gauge::ReplicationLagMs,
    Gauge::MqReady,
    Gauge::MqUnacked,
    Gauge::AppQueued,
];

/// The gauges sampled so far, and what the windows started from.
#[derive(Clone, Debug)]
pub struct ChartHistory {
    series: Vec<TimeSeries>,
    interval_us: TimeUs,
    next_at_us: TimeUs,
    last_latency: Histogram,
    last_cache: (u64, u64),
}

impl Default for ChartHistory {
    fn default() -> Self {
        Self {
            series: GAUGES.iter().map(|_| TimeSeries::new(CAPACITY)).collect(),
            interval_us: SEC,
            next_at_us: SEC,
            last_latency: Histogram::default(),
            last_cache: (0, 0),
        }
    }
}

/// One line of a chart, x in virtual seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    pub colour: (u8, u8, u8),
    pub points: Vec<(f64, f64)>,
}

/// One chart: its hook name, title, unit and lines.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartData {
    pub key: &'static str,
    pub title: &'static str,
    pub unit: &'static str,
    pub lines: Vec<Line>,
}

impl ChartData {
    /// The x range covered (seconds), never empty.
    pub fn x_range(&self) -> (f64, f64) {
        let xs = self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
        let (lo, hi) = xs.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
        if lo > hi { (0.0, 1.0) } else { (lo, hi.max(lo + 1.0)) }
    }

    /// A y ceiling a little above the highest point, never zero.
    pub fn y_max(&self) -> f64 {
        let top = self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(0.0, f64::max);
        if top <= 0.0 { 1.0 } else { top * 1.1 }
    }
}

const PALETTE: [(u8, u8, u8); 6] =
    [(47, 111, 237), (214, 47, 51), (31, 157, 85), (201, 138, 0), (111, 91, 214), (138, 109, 59)];

impl ChartHistory {
    /// When the next sample is due, in virtual time: a run that stops here
    /// on its way gives every gauge its point however far it jumps.
    pub fn next_at_us(&self) -> TimeUs {
        self.next_at_us
    }

    /// Samples the gauges if a sampling interval has passed in virtual time.
    pub fn observe(&mut self, cluster: &Cluster) {
        let now_us = cluster.sim.now_us();
        if now_us < self.next_at_us {
            return;
        }
        let values = self.read(cluster, now_us);
        let mut thinned = false;
        for (series, value) in self.series.iter_mut().zip(values) {
            if let Some(v) = value {
                thinned |= series.push(now_us, v);
            }
        }
        if thinned {
            self.interval_us *= 2;
        }
        self.next_at_us = now_us + self.interval_us;
    }

    fn read(&mut self, cluster: &Cluster, now_us: TimeUs) -> [Option<f64>; 7] {
        let latency = cluster.sim.metrics().hist(cluster.metrics.latency_us).clone();
        let window = latency.since(&self.last_latency);
        self.last_latency = latency;
        let ms = |per_mille| (window.count() > 0).then(|| window.quantile(per_mille) as f64 / 1000.0);
        let (mut hits, mut misses, mut lag_us, mut ready, mut unacked, mut queued) = (0, 0, None, None, None, 0);
        for node in cluster.sim.nodes() {
            match node {
                ClusterNode::ProductCache(c) => (hits, misses) = (hits + c.hits, misses + c.misses),
                ClusterNode::Mysql(m) => lag_us = lag_us.max(m.lag_us(now_us)),
                ClusterNode::MqBroker(b) => {
                    ready = Some(ready.unwrap_or(0) + b.depth());
                    unacked = Some(unacked.unwrap_or(0) + b.unacked.len());
                }
                ClusterNode::App(a) => queued += a.queued(),
                _ => {}
            }
        }
        let (dh, dm) = (hits - self.last_cache.0, misses - self.last_cache.1);
        self.last_cache = (hits, misses);
        let hit_pct = (dh + dm > 0).then(|| dh as f64 * 100.0 / (dh + dm) as f64);
        [
            ms(500),
            ms(990),
            hit_pct,
            lag_us.map(|l| l as f64 / 1000.0),
            ready.map(|d| d as f64),
            unacked.map(|d| d as f64),
            Some(queued as f64),
        ]
    }

    fn gauge(&self, gauge: Gauge, label: &str, colour: usize, width: usize) -> Line {
        let index = GAUGES.iter().position(|&g| g == gauge).unwrap_or(0);
        let points: Vec<(f64, f64)> = self.series[index].points.iter().map(|&(t, v)| (seconds(t), v)).collect();
        Line { label: label.to_string(), colour: PALETTE[colour], points: downsample(&points, width) }
    }
}

fn seconds(t_us: TimeUs) -> f64 {
    t_us as f64 / SEC as f64
}

/// Per-second rates from a cumulative counter's samples.
pub fn rates(points: &[(TimeUs, f64)]) -> Vec<(f64, f64)> {
    points
        .windows(2)
        .filter(|w| w[1].0 > w[0].0)
        .map(|w| (seconds(w[1].0), (w[1].1 - w[0].1).max(0.0) / seconds(w[1].0 - w[0].0)))
        .collect()
}

/// At most about `width` points: each bucket of consecutive points keeps its
/// lowest and highest (in time order), so spikes survive.
pub fn downsample(points: &[(f64, f64)], width: usize) -> Vec<(f64, f64)> {
    let buckets = (width / 2).max(1);
    if points.len() <= width.max(2) {
        return points.to_vec();
    }
    let per = points.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(buckets * 2);
    for chunk in points.chunks(per) {
        let lo = chunk.iter().enumerate().min_by(|a, b| a.1.1.total_cmp(&b.1.1)).map_or(0, |(i, _)| i);
        let hi = chunk.iter().enumerate().max_by(|a, b| a.1.1.total_cmp(&b.1.1)).map_or(0, |(i, _)| i);
        let (first, second) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(chunk[first]);
        if second != first {
            out.push(chunk[second]);
        }
    }
    out
}

fn counter_points(cluster: &Cluster, name: &str) -> Vec<(TimeUs, f64)> {
    cluster.sim.metrics().series(name).map(|s| s.points.iter().copied().collect()).unwrap_or_default()
}

fn rate_line(cluster: &Cluster, name: &str, label: &str, colour: usize, width: usize) -> Line {
    Line {
        label: label.to_string(),
        colour: PALETTE[colour],
        points: downsample(&rates(&counter_points(cluster, name)), width),
    }
}

/// Every chart, each downsampled to about `width` points per line.
pub fn charts(l: Lang, history: &ChartHistory, cluster: &Cluster, width: usize) -> Vec<ChartData> {
    let mut causes: Vec<(u64, FailCause)> =
        FailCause::ALL.iter().map(|&c| (cluster.metric(c.metric_name()), c)).filter(|(n, _)| *n > 0).collect();
    causes.sort_by_key(|c| std::cmp::Reverse(c.0));
    let failures = causes
        .iter()
        .take(CAUSES_SHOWN)
        .enumerate()
        .map(|(i, (_, c))| rate_line(cluster, c.metric_name(), terms::cause(l, *c), i, width));
    let lost: Vec<(f64, f64)> =
        counter_points(cluster, "sessions-lost").iter().map(|&(t, v)| (seconds(t), v)).collect();
    let h = history;
    vec![
        ChartData {
            key: "throughput",
            title: t(l, "chart.throughput"),
            unit: t(l, "chart.per-second"),
            lines: vec![
                rate_line(cluster, "requests-ok", t(l, "chart.ok"), 2, width),
                rate_line(cluster, "requests-failed", t(l, "chart.failed"), 1, width),
            ],
        },
        ChartData {
            key: "latency",
            title: t(l, "chart.latency"),
            unit: "ms",
            lines: vec![h.gauge(Gauge::P50Ms, "p50", 0, width), h.gauge(Gauge::P99Ms, "p99", 1, width)],
        },
        ChartData {
            key: "errors",
            title: t(l, "chart.errors"),
            unit: t(l, "chart.per-second"),
            lines: failures.collect(),
        },
        ChartData {
            key: "cache-hit-ratio",
            title: t(l, "chart.cache-hit-ratio"),
            unit: "%",
            lines: vec![h.gauge(Gauge::CacheHitPct, t(l, "chart.hits"), 2, width)],
        },
        ChartData {
            key: "replication-lag",
            title: t(l, "chart.replication-lag"),
            unit: "ms",
            lines: vec![h.gauge(Gauge::ReplicationLagMs, t(l, "chart.lag"), 4, width)],
        },
        ChartData {
            key: "sessions-lost",
            title: t(l, "chart.sessions-lost"),
            unit: t(l, "chart.total"),
            lines: vec![Line {
                label: t(l, "chart.lost").into(),
                colour: PALETTE[1],
                points: downsample(&lost, width),
            }],
        },
        ChartData {
            key: "queues",
            title: t(l, "chart.queues"),
            unit: t(l, "chart.queues-unit"),
            lines: vec![
                h.gauge(Gauge::MqReady, t(l, "chart.mq-ready"), 0, width),
                h.gauge(Gauge::MqUnacked, t(l, "chart.mq-unacked"), 3, width),
                h.gauge(Gauge::AppQueued, t(l, "chart.app-queued"), 5, width),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::topology::SliceOptions;

    #[test]
    fn downsampling_keeps_the_spike_and_the_order() {
        let mut points: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, 1.0)).collect();
        points[517].1 = 50.0;
        let small = downsample(&points, 100);
        assert!(small.len() <= 100, "{}", small.len());
        assert!(small.contains(&(517.0, 50.0)), "the spike survives");
        assert!(small.windows(2).all(|w| w[0].0 < w[1].0), "time order kept");
        assert_eq!(downsample(&points[..10], 100), &points[..10], "few points pass through");
    }

    #[test]
    fn rates_are_per_second_differences() {
        let points = [(1_000_000, 0.0), (2_000_000, 30.0), (4_000_000, 50.0), (4_000_000, 50.0)];
        assert_eq!(rates(&points), [(2.0, 30.0), (4.0, 10.0)]);
        assert!(rates(&points[..1]).is_empty());
    }

    #[test]
    fn a_run_fills_every_chart_it_can() {
        let mut cluster = Cluster::slice(&SliceOptions { seed: 9, ..SliceOptions::default() });
        let mut history = ChartHistory::default();
        for second in 1..=30 {
            cluster.run_until(second * SEC, 5_000_000);
            history.observe(&cluster);
            history.observe(&cluster); // twice in the same second: one sample
        }
        let charts = charts(Lang::En, &history, &cluster, 200);
        let line = |key: &str, i: usize| &charts.iter().find(|c| c.key == key).unwrap().lines[i];
        assert_eq!(line("latency", 0).points.len(), 30, "one p50 sample per virtual second");
        let ok_rate = &line("throughput", 0).points;
        assert!(ok_rate.iter().any(|p| p.1 > 10.0), "300 shoppers make tens of requests a second: {ok_rate:?}");
        let (p50, p99) = (&line("latency", 0).points, &line("latency", 1).points);
        assert!(p50.iter().zip(p99).all(|(a, b)| a.1 <= b.1), "p50 ≤ p99 in every window");
        assert!(line("cache-hit-ratio", 0).points.is_empty(), "the slice has no product cache");
    }
}
