//! The hot-path halves of the metrics: a [`Counter`] and a [`Stat`] (count, sum and max of
//! measured values). Recording is one or three relaxed atomic operations, never a lock, an
//! allocation or a call into the `metrics` facade; everything windowed is derived from these
//! totals when a snapshot is taken ([`window`](super::window)).

use std::sync::atomic::{AtomicU64, Ordering};

/// A monotonic total (Java's `CumulativeSum` / `CumulativeCount`).
#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`: one relaxed atomic add.
    #[inline]
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// The total so far.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Count, sum and maximum of recorded values (latencies, sizes, throttle times): what Java's
/// `Avg` and `Max` stats are computed from. The maximum is of the current sampling interval:
/// the window takes it (and resets it) when it closes an interval.
#[derive(Debug, Default)]
pub(crate) struct Stat {
    count: AtomicU64,
    sum: AtomicU64,
    max: AtomicU64,
}

impl Stat {
    /// Records one value: three relaxed atomic operations.
    #[inline]
    pub fn record(&self, value: u64) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
        self.max.fetch_max(value, Ordering::Relaxed);
    }

    /// Values recorded so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Their sum.
    pub fn sum(&self) -> u64 {
        self.sum.load(Ordering::Relaxed)
    }

    /// The largest value since the window last closed an interval.
    pub fn current_max(&self) -> u64 {
        self.max.load(Ordering::Relaxed)
    }

    /// Takes the current interval's maximum, starting the next interval at zero.
    pub fn take_max(&self) -> u64 {
        self.max.swap(0, Ordering::Relaxed)
    }
}

/// A value set now and then (a gauge kept by a hot path, e.g. assigned partitions).
#[derive(Debug, Default)]
pub(crate) struct Gauge(AtomicU64);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }

    /// The value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_keeps_count_sum_and_the_interval_max() {
        let stat = Stat::default();
        for v in [3, 9, 4] {
            stat.record(v);
        }
        assert_eq!((stat.count(), stat.sum(), stat.current_max()), (3, 16, 9));
        assert_eq!(stat.take_max(), 9);
        stat.record(2);
        assert_eq!(stat.current_max(), 2, "the next interval starts from zero");
        assert_eq!(
            (stat.count(), stat.sum()),
            (4, 18),
            "totals are never reset"
        );
    }

    #[test]
    fn counter_adds() {
        let c = Counter::default();
        c.add(2);
        c.add(5);
        assert_eq!(c.get(), 7);
    }
}
