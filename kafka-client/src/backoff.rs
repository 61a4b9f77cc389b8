//! How long to wait before trying again: exponential backoff with jitter, and a per-key tracker
//! of consecutive failures.
//!
//! Kept apart from the code that retries (connection pool, metadata refresher, producer
//! sender) so that every retry loop grows its delays the same way, and so the arithmetic can be
//! tested without timers.
//!
//! The formula is Kafka's own (KIP-580, `org.apache.kafka.common.utils.ExponentialBackoff`):
//! `base * multiplier^attempts`, the exponent capped where the term reaches `max`, times a
//! random factor in `[1 - jitter, 1 + jitter)`, and the result capped at `max`. Jitter keeps a
//! fleet of clients that lost the same broker at the same moment from reconnecting in lockstep.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use crate::config::ClientConfig;

/// Exponential backoff with jitter, as Kafka computes it (KIP-580).
///
/// `attempts` counts the failures *before* the one being backed off from, so the first delay
/// (`attempts == 0`) is `base`:
///
/// ```
/// use std::time::Duration;
/// use kafkito::backoff::ExponentialBackoff;
///
/// let backoff = ExponentialBackoff::new(Duration::from_millis(100), Duration::from_secs(1))
///     .without_jitter();
/// assert_eq!(backoff.delay(0), Duration::from_millis(100));
/// assert_eq!(backoff.delay(1), Duration::from_millis(200));
/// assert_eq!(backoff.delay(3), Duration::from_millis(800));
/// assert_eq!(backoff.delay(4), Duration::from_secs(1)); // capped
///
/// // With Kafka's default ±20% jitter:
/// let jittered = ExponentialBackoff::new(Duration::from_millis(100), Duration::from_secs(1));
/// let d = jittered.delay(1);
/// assert!(d >= Duration::from_millis(160) && d <= Duration::from_millis(240));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExponentialBackoff {
    /// The first delay (`retry.backoff.ms`, `reconnect.backoff.ms`).
    pub base: Duration,
    /// The largest delay (`retry.backoff.max.ms`, `reconnect.backoff.max.ms`). When it is not
    /// above `base`, the delay is a constant `base`, without jitter, as in Kafka.
    pub max: Duration,
    /// Growth per attempt; Kafka uses 2. Values up to 1 give a constant `base`.
    pub multiplier: f64,
    /// Relative spread of the random factor, e.g. 0.2 for `[0.8, 1.2)`. Clamped to `[0, 1]`.
    pub jitter: f64,
}

impl ExponentialBackoff {
    /// Kafka's growth factor.
    pub const DEFAULT_MULTIPLIER: f64 = 2.0;
    /// Kafka's jitter: ±20%.
    pub const DEFAULT_JITTER: f64 = 0.2;

    /// Backoff from `base` to `max` with Kafka's multiplier (2) and jitter (±20%).
    pub fn new(base: Duration, max: Duration) -> Self {
        ExponentialBackoff {
            base,
            max,
            multiplier: Self::DEFAULT_MULTIPLIER,
            jitter: Self::DEFAULT_JITTER,
        }
    }

    /// Reconnect backoff: `reconnect.backoff.ms` up to `reconnect.backoff.max.ms`.
    pub fn reconnect(config: &ClientConfig) -> Self {
        Self::new(config.reconnect_backoff, config.reconnect_backoff_max)
    }

    /// Request retry backoff: `retry.backoff.ms` up to `retry.backoff.max.ms`.
    pub fn retry(config: &ClientConfig) -> Self {
        Self::new(config.retry_backoff, config.retry_backoff_max)
    }

    /// The same backoff without jitter: deterministic delays, for tests.
    pub fn without_jitter(self) -> Self {
        ExponentialBackoff {
            jitter: 0.0,
            ..self
        }
    }

    /// The delay after `attempts` earlier consecutive failures, with jitter from a fast
    /// non-cryptographic RNG.
    pub fn delay(&self, attempts: u32) -> Duration {
        self.delay_with(attempts, fastrand::f64)
    }

    /// The delay after `attempts` earlier consecutive failures, drawing the jitter from `rng`,
    /// which returns values in `[0, 1)` (values outside are clamped).
    pub fn delay_with(&self, attempts: u32, mut rng: impl FnMut() -> f64) -> Duration {
        // As Kafka: a base above the max is lowered to it, and then there is nothing to grow.
        let base = self.base.min(self.max);
        if base.is_zero() {
            return Duration::ZERO;
        }
        if self.max <= self.base || self.multiplier.is_nan() || self.multiplier <= 1.0 {
            return base;
        }
        let (base_s, max_s) = (base.as_secs_f64(), self.max.as_secs_f64());
        // Capping the exponent (rather than only the result) keeps `multiplier^exp` finite for
        // any attempt count, and makes the jittered value straddle `max` once it is reached.
        let exp_max = (max_s / base_s).ln() / self.multiplier.ln();
        let exp = f64::from(attempts).min(exp_max);
        let term = base_s * self.multiplier.powf(exp);
        let jitter = if self.jitter.is_nan() {
            0.0
        } else {
            self.jitter.clamp(0.0, 1.0)
        };
        let factor = if jitter > 0.0 {
            let r = rng();
            let r = if r.is_nan() { 0.5 } else { r.clamp(0.0, 1.0) };
            1.0 - jitter + 2.0 * jitter * r
        } else {
            1.0
        };
        let secs = (term * factor).clamp(0.0, max_s);
        Duration::try_from_secs_f64(secs).map_or(self.max, |d| d.min(self.max))
    }
}

/// Consecutive-failure counts per key (a broker id, a coordinator, a topic), each with the
/// instant before which the key should not be tried again. A success resets the key.
///
/// Plain data: the caller passes `now`, so it is tested without sleeping.
///
/// ```
/// use std::time::{Duration, Instant};
/// use kafkito::backoff::{BackoffTracker, ExponentialBackoff};
///
/// let policy = ExponentialBackoff::new(Duration::from_millis(50), Duration::from_secs(1))
///     .without_jitter();
/// let mut reconnects = BackoffTracker::new(policy);
/// let now = Instant::now();
/// let broker_id = 3;
/// assert!(reconnects.is_ready(&broker_id, now));
/// assert_eq!(reconnects.record_failure(broker_id, now), Duration::from_millis(50));
/// assert_eq!(reconnects.record_failure(broker_id, now), Duration::from_millis(100));
/// assert!(!reconnects.is_ready(&broker_id, now + Duration::from_millis(99)));
/// assert!(reconnects.is_ready(&broker_id, now + Duration::from_millis(100)));
/// reconnects.record_success(&broker_id);
/// assert_eq!(reconnects.failures(&broker_id), 0);
/// ```
#[derive(Debug, Clone)]
pub struct BackoffTracker<K> {
    policy: ExponentialBackoff,
    entries: HashMap<K, Entry>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    ready_at: Instant,
}

impl<K: Eq + Hash> BackoffTracker<K> {
    /// A tracker with no failures, backing off by `policy`.
    pub fn new(policy: ExponentialBackoff) -> Self {
        BackoffTracker {
            policy,
            entries: HashMap::new(),
        }
    }

    /// The backoff policy.
    pub fn policy(&self) -> &ExponentialBackoff {
        &self.policy
    }

    /// Records a failure of `key` at `now` and returns how long to wait before the next try.
    pub fn record_failure(&mut self, key: K, now: Instant) -> Duration {
        self.record_failure_with(key, now, fastrand::f64)
    }

    /// As [`record_failure`](Self::record_failure), drawing the jitter from `rng`.
    pub fn record_failure_with(
        &mut self,
        key: K,
        now: Instant,
        rng: impl FnMut() -> f64,
    ) -> Duration {
        let entry = self.entries.entry(key).or_insert(Entry {
            failures: 0,
            ready_at: now,
        });
        let delay = self.policy.delay_with(entry.failures, rng);
        entry.failures = entry.failures.saturating_add(1);
        entry.ready_at = saturating_add(now, delay);
        delay
    }

    /// Records a success of `key`: the next failure starts again from the base delay.
    pub fn record_success(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// Consecutive failures of `key` since its last success.
    pub fn failures(&self, key: &K) -> u32 {
        self.entries.get(key).map_or(0, |e| e.failures)
    }

    /// When `key` may be tried again, if it is backing off.
    pub fn ready_at(&self, key: &K) -> Option<Instant> {
        self.entries.get(key).map(|e| e.ready_at)
    }

    /// Whether `key` may be tried at `now`.
    pub fn is_ready(&self, key: &K, now: Instant) -> bool {
        self.ready_at(key).is_none_or(|at| at <= now)
    }

    /// How long from `now` until `key` may be tried (zero when it may be now).
    pub fn remaining(&self, key: &K, now: Instant) -> Duration {
        self.ready_at(key)
            .map_or(Duration::ZERO, |at| at.saturating_duration_since(now))
    }

    /// Forgets every key (e.g. after the cluster's broker set changed).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Keeps only the keys for which `keep` returns true (e.g. brokers still in metadata).
    pub fn retain(&mut self, mut keep: impl FnMut(&K) -> bool) {
        self.entries.retain(|key, _| keep(key));
    }
}

/// `now + delay`, or a century later when the sum does not fit an `Instant` (a `Duration::MAX`
/// set by hand): "never", for practical purposes, without panicking.
pub(crate) fn saturating_add(now: Instant, delay: Duration) -> Instant {
    const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(delay)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn grows_by_the_multiplier() {
        let b = ExponentialBackoff::new(ms(100), ms(10_000)).without_jitter();
        let delays: Vec<_> = (0..7).map(|a| b.delay(a)).collect();
        assert_eq!(
            delays,
            [
                ms(100),
                ms(200),
                ms(400),
                ms(800),
                ms(1600),
                ms(3200),
                ms(6400)
            ]
        );
        let b3 = ExponentialBackoff {
            multiplier: 3.0,
            ..b
        };
        assert_eq!(b3.delay(2), ms(900));
    }

    #[test]
    fn is_capped_at_max_for_any_attempt_count() {
        let b = ExponentialBackoff::new(ms(50), ms(1000)).without_jitter();
        assert_eq!(b.delay(4), ms(800));
        for attempts in [5, 6, 30, 1000, u32::MAX] {
            assert_eq!(b.delay(attempts), ms(1000), "attempts {attempts}");
        }
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let b = ExponentialBackoff::new(ms(100), ms(10_000));
        // The extremes of the random factor.
        assert_eq!(b.delay_with(2, || 0.0), ms(320));
        let top = b.delay_with(2, || 1.0);
        assert!((top.as_secs_f64() - 0.48).abs() < 1e-9, "{top:?}");
        assert_eq!(b.delay_with(2, || 0.5), ms(400));
        // And a real RNG stays between them.
        for _ in 0..1000 {
            let d = b.delay(2);
            assert!(d >= ms(320) && d <= ms(480), "{d:?}");
        }
    }

    #[test]
    fn jitter_never_exceeds_max() {
        let b = ExponentialBackoff::new(ms(100), ms(1000));
        assert_eq!(b.delay_with(20, || 1.0), ms(1000));
        assert_eq!(b.delay_with(20, || 0.0), ms(800));
        for _ in 0..1000 {
            let d = b.delay(20);
            assert!(d >= ms(800) && d <= ms(1000), "{d:?}");
        }
    }

    #[test]
    fn base_at_or_above_max_is_constant_without_jitter() {
        let equal = ExponentialBackoff::new(ms(500), ms(500));
        let above = ExponentialBackoff::new(ms(2000), ms(500));
        for attempts in [0, 1, 10] {
            assert_eq!(equal.delay_with(attempts, || 0.0), ms(500));
            assert_eq!(above.delay_with(attempts, || 0.0), ms(500));
        }
    }

    #[test]
    fn degenerate_parameters_do_not_panic() {
        assert_eq!(ExponentialBackoff::new(ms(0), ms(1000)).delay(5), ms(0));
        assert_eq!(ExponentialBackoff::new(ms(0), ms(0)).delay(5), ms(0));
        let flat = ExponentialBackoff {
            multiplier: 1.0,
            ..ExponentialBackoff::new(ms(10), ms(100))
        };
        assert_eq!(flat.delay(9), ms(10));
        let nan = ExponentialBackoff {
            jitter: f64::NAN,
            ..ExponentialBackoff::new(ms(10), ms(100))
        };
        assert_eq!(nan.delay(1), ms(20));
        let huge = ExponentialBackoff::new(ms(1), Duration::MAX);
        assert!(huge.delay(u32::MAX) > Duration::from_secs(1 << 40));
        let b = ExponentialBackoff::new(ms(100), ms(1000));
        assert_eq!(b.delay_with(0, || f64::NAN), ms(100));
        assert_eq!(b.delay_with(0, || 7.0), ms(120));
    }

    #[test]
    fn from_config() {
        let config = ClientConfig::default();
        let r = ExponentialBackoff::reconnect(&config);
        assert_eq!((r.base, r.max), (ms(50), ms(1000)));
        assert_eq!(r.jitter, 0.2);
        let r = ExponentialBackoff::retry(&config);
        assert_eq!((r.base, r.max), (ms(100), ms(1000)));
    }

    #[test]
    fn tracker_counts_failures_per_key_and_resets_on_success() {
        let policy = ExponentialBackoff::new(ms(10), ms(1000)).without_jitter();
        let mut t = BackoffTracker::new(policy);
        let now = Instant::now();
        assert_eq!(t.record_failure(1, now), ms(10));
        assert_eq!(t.record_failure(1, now), ms(20));
        assert_eq!(t.record_failure(1, now), ms(40));
        assert_eq!(t.record_failure(2, now), ms(10), "keys are independent");
        assert_eq!(t.failures(&1), 3);
        assert_eq!(t.failures(&2), 1);
        assert_eq!(t.ready_at(&1), Some(now + ms(40)));
        assert_eq!(t.remaining(&1, now + ms(15)), ms(25));
        assert!(!t.is_ready(&1, now + ms(39)));
        assert!(t.is_ready(&1, now + ms(40)));

        t.record_success(&1);
        assert_eq!(t.failures(&1), 0);
        assert!(t.is_ready(&1, now));
        assert_eq!(t.remaining(&1, now), Duration::ZERO);
        assert_eq!(
            t.record_failure(1, now),
            ms(10),
            "starts over after success"
        );

        t.retain(|k| *k == 2);
        assert_eq!(t.failures(&1), 0);
        assert_eq!(t.failures(&2), 1);
        t.clear();
        assert_eq!(t.failures(&2), 0);
        assert_eq!(t.policy().base, ms(10));
    }

    #[test]
    fn tracker_jitter_and_huge_delays() {
        let mut t = BackoffTracker::new(ExponentialBackoff::new(ms(100), ms(1000)));
        let now = Instant::now();
        assert_eq!(t.record_failure_with("a", now, || 0.0), ms(80));
        assert_eq!(t.ready_at(&"a"), Some(now + ms(80)));

        let mut never = BackoffTracker::new(ExponentialBackoff::new(Duration::MAX, Duration::MAX));
        never.record_failure("b", now);
        assert!(!never.is_ready(&"b", now + Duration::from_secs(1 << 30)));
    }
}
