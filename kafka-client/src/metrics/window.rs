//! Windowed rates, averages and maxima, computed when a snapshot is taken from the totals the
//! hot paths keep ([`sensor`](super::sensor)).
//!
//! Java keeps `metrics.num.samples` samples of `metrics.sample.window.ms` each and reports a
//! rate as the sum of the samples over the time they span, never less than
//! `(num.samples − 1) × window` (so a young client's first rates are not inflated by a tiny
//! denominator). This window does the same from *checkpoints* of the totals instead of
//! per-record sample updates: a snapshot taken at least `window` after the last checkpoint adds
//! one, checkpoints older than the whole span (`num.samples × window`) are dropped except the
//! newest of them, and a value is the difference between the totals now and the oldest kept
//! checkpoint. The span a value covers is therefore between `(num.samples − 1) × window` and
//! `(num.samples + 1) × window` when snapshots come at least once a window (the exporter takes
//! one every interval); the state is plain data taking `now`, so the arithmetic is tested
//! without a clock.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::sensor::Stat;

/// The totals at one instant.
#[derive(Debug, Clone)]
struct Checkpoint {
    at: Instant,
    counters: Vec<u64>,
    /// `(count, sum)` of each stat.
    stats: Vec<(u64, u64)>,
    /// The maximum of each stat over the interval that ended here.
    interval_max: Vec<u64>,
}

impl Checkpoint {
    fn start(at: Instant) -> Checkpoint {
        Checkpoint {
            at,
            counters: Vec::new(),
            stats: Vec::new(),
            interval_max: Vec::new(),
        }
    }
}

/// Average and maximum of a [`Stat`] over the window.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct AvgMax {
    /// Mean of the values recorded in the window; 0 when none were (Java reports NaN).
    pub avg: f64,
    /// Largest value recorded in the window; 0 when none were.
    pub max: u64,
}

/// What [`Window::sample`] computes: per counter, its increase per second over the window;
/// per stat, its average and maximum over the window.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sampled<const C: usize, const S: usize> {
    pub rates: [f64; C],
    pub stats: [AvgMax; S],
}

/// The sliding window of one client's metrics (`metrics.sample.window.ms` ×
/// `metrics.num.samples`). Locked only while a snapshot is computed.
#[derive(Debug)]
pub(crate) struct Window {
    window: Duration,
    samples: u32,
    checkpoints: Mutex<VecDeque<Checkpoint>>,
}

impl Window {
    /// A window of `samples` intervals of `window`, whose totals were all zero at `start`.
    pub fn new(window: Duration, samples: u32, start: Instant) -> Window {
        Window {
            window: window.max(Duration::from_millis(1)),
            samples: samples.max(1),
            checkpoints: Mutex::new(VecDeque::from([Checkpoint::start(start)])),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Checkpoint>> {
        self.checkpoints.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rates of `counters` (their totals now) and averages and maxima of `stats` over the
    /// window ending at `now`. The order of `counters` and `stats` must be the same at every
    /// call.
    pub fn sample<const C: usize, const S: usize>(
        &self,
        now: Instant,
        counters: [u64; C],
        stats: [&Stat; S],
    ) -> Sampled<C, S> {
        let mut checkpoints = self.lock();
        let last_at = checkpoints.back().map_or(now, |c| c.at);
        if now.saturating_duration_since(last_at) >= self.window {
            checkpoints.push_back(Checkpoint {
                at: now,
                counters: counters.to_vec(),
                stats: stats.iter().map(|s| (s.count(), s.sum())).collect(),
                interval_max: stats.iter().map(|s| s.take_max()).collect(),
            });
        }
        let span = self.window * self.samples;
        while checkpoints.len() > 1 && now.saturating_duration_since(checkpoints[1].at) >= span {
            checkpoints.pop_front();
        }
        let base = &checkpoints[0];
        let elapsed = now.saturating_duration_since(base.at);
        let floor = self.window * (self.samples - 1);
        let seconds = elapsed.max(floor).as_secs_f64();
        let rates = std::array::from_fn(|i| {
            let delta = counters[i].saturating_sub(base.counters.get(i).copied().unwrap_or(0));
            if seconds > 0.0 {
                delta as f64 / seconds
            } else {
                0.0
            }
        });
        let stats = std::array::from_fn(|i| {
            let stat = stats[i];
            let (count0, sum0) = base.stats.get(i).copied().unwrap_or((0, 0));
            let count = stat.count().saturating_sub(count0);
            let sum = stat.sum().saturating_sub(sum0);
            let closed_max = checkpoints
                .iter()
                .skip(1)
                .filter_map(|c| c.interval_max.get(i).copied())
                .max()
                .unwrap_or(0);
            AvgMax {
                avg: if count > 0 {
                    sum as f64 / count as f64
                } else {
                    0.0
                },
                max: closed_max.max(stat.current_max()),
            }
        });
        Sampled { rates, stats }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn window(start: Instant) -> Window {
        // Java's defaults: 2 samples of 30 s.
        Window::new(30 * S, 2, start)
    }

    #[test]
    fn a_young_window_divides_by_at_least_one_sample() {
        let t0 = Instant::now();
        let w = window(t0);
        // 60 records in the first 10 s: Java's denominator is max(10 s, (2 − 1) × 30 s).
        let sampled = w.sample(t0 + 10 * S, [60], []);
        assert_eq!(sampled.rates, [2.0]);
        // At 45 s the elapsed time is the denominator.
        let sampled = w.sample(t0 + 45 * S, [90], []);
        assert_eq!(sampled.rates, [2.0]);
    }

    #[test]
    fn old_checkpoints_leave_the_window() {
        let t0 = Instant::now();
        let w = window(t0);
        // A burst of 600 in the first half minute, then 1 a second.
        w.sample(t0 + 30 * S, [600], []);
        w.sample(t0 + 60 * S, [630], []);
        // At 90 s the checkpoint at 30 s is the oldest one within the 60 s span... and the
        // one at 0 s has gone: (660 − 600) / 60 s.
        let sampled = w.sample(t0 + 90 * S, [660], []);
        assert_eq!(sampled.rates, [1.0]);
        // With no snapshot for a long while the newest old checkpoint is kept as the base.
        let sampled = w.sample(t0 + 300 * S, [660], []);
        assert_eq!(sampled.rates, [0.0]);
    }

    #[test]
    fn averages_and_maxima_cover_the_window_only() {
        let t0 = Instant::now();
        let w = window(t0);
        let latency = Stat::default();
        latency.record(100);
        latency.record(300);
        let sampled = w.sample(t0 + 30 * S, [], [&latency]);
        assert_eq!(
            sampled.stats,
            [AvgMax {
                avg: 200.0,
                max: 300
            }]
        );
        latency.record(50);
        let sampled = w.sample(t0 + 60 * S, [], [&latency]);
        assert_eq!(
            sampled.stats,
            [AvgMax {
                avg: 150.0,
                max: 300
            }]
        );
        latency.record(10);
        // At 90 s the interval holding 100 and 300 (ended at 30 s) is outside the window.
        let sampled = w.sample(t0 + 90 * S, [], [&latency]);
        assert_eq!(sampled.stats, [AvgMax { avg: 30.0, max: 50 }]);
        // Nothing recorded for a whole span: 0, as Java's NaN.
        let sampled = w.sample(t0 + 200 * S, [], [&latency]);
        assert_eq!(sampled.stats, [AvgMax { avg: 0.0, max: 0 }]);
    }

    #[test]
    fn snapshots_closer_than_a_window_add_no_checkpoint() {
        let t0 = Instant::now();
        let w = window(t0);
        for s in 1..30 {
            w.sample(t0 + s * S, [s as u64], []);
        }
        assert_eq!(w.lock().len(), 1);
        w.sample(t0 + 30 * S, [30], []);
        assert_eq!(w.lock().len(), 2);
    }

    #[test]
    fn a_snapshot_at_the_start_is_zero_not_nan() {
        let t0 = Instant::now();
        let w = Window::new(30 * S, 1, t0);
        let latency = Stat::default();
        let sampled = w.sample(t0, [5], [&latency]);
        assert_eq!(sampled.rates, [0.0]);
        assert_eq!(sampled.stats, [AvgMax::default()]);
    }
}
