//! Consumer metrics: the sensors the fetch tasks, the commit queue, the group task and `poll`
//! update, and the [`ConsumerMetrics`] snapshot computed from them.

use std::time::{Duration, Instant};

use super::connection::ConnectionMetrics;
use super::sensor::{Counter, Gauge, Stat};
use super::window::Window;
use crate::config::ClientConfig;

/// What the consumer counts: per Fetch, per commit, per rebalance or heartbeat, and once per
/// `poll` (never per record).
#[derive(Debug)]
pub(crate) struct ConsumerSensors {
    pub records_consumed: Counter,
    /// Record-batch bytes of Fetch responses.
    pub bytes_consumed: Counter,
    pub fetches: Counter,
    /// Fetch round trips, in microseconds.
    pub fetch_latency: Stat,
    /// Record-batch bytes per Fetch response.
    pub fetch_size: Stat,
    /// `throttle_time_ms` of Fetch responses.
    pub fetch_throttle: Stat,
    pub commits: Counter,
    /// OffsetCommit round trips (retries included), in microseconds.
    pub commit_latency: Stat,
    pub rebalances: Counter,
    pub failed_rebalances: Counter,
    /// From the first JoinGroup of a rebalance to its SyncGroup answer, in microseconds.
    pub rebalance_latency: Stat,
    pub heartbeats: Counter,
    /// Assigned partitions as of the last `poll`.
    assigned: Gauge,
    /// The largest lag as of the last `poll`, plus one (0: not known).
    lag_max: Gauge,
    /// Nanoseconds from `started` to the last `poll`, plus one (0: never polled).
    last_poll: Gauge,
    started: Instant,
    window: Window,
}

impl ConsumerSensors {
    /// Sensors windowed by `config`'s `metrics.sample.window.ms` × `metrics.num.samples`.
    pub fn new(config: &ClientConfig) -> ConsumerSensors {
        let started = Instant::now();
        ConsumerSensors {
            records_consumed: Counter::default(),
            bytes_consumed: Counter::default(),
            fetches: Counter::default(),
            fetch_latency: Stat::default(),
            fetch_size: Stat::default(),
            fetch_throttle: Stat::default(),
            commits: Counter::default(),
            commit_latency: Stat::default(),
            rebalances: Counter::default(),
            failed_rebalances: Counter::default(),
            rebalance_latency: Stat::default(),
            heartbeats: Counter::default(),
            assigned: Gauge::default(),
            lag_max: Gauge::default(),
            last_poll: Gauge::default(),
            started,
            window: Window::new(
                config.metrics_sample_window,
                config.metrics_num_samples,
                started,
            ),
        }
    }

    /// `poll` ran at `now`, with `assigned` partitions whose largest lag is `lag_max`.
    pub fn polled(&self, now: Instant, assigned: usize, lag_max: Option<i64>) {
        let since = now.saturating_duration_since(self.started).as_nanos();
        self.last_poll
            .set(u64::try_from(since).unwrap_or(u64::MAX - 1) + 1);
        self.assigned.set(assigned as u64);
        self.lag_max
            .set(lag_max.map_or(0, |lag| lag.max(0) as u64 + 1));
    }

    /// The snapshot at `now`. `live` is `(assigned partitions, largest lag)` read from the
    /// consumer itself; without it (the exporter's task) the values of the last `poll` are
    /// reported.
    pub fn snapshot(
        &self,
        now: Instant,
        live: Option<(usize, Option<i64>)>,
        connections: ConnectionMetrics,
    ) -> ConsumerMetrics {
        let records = self.records_consumed.get();
        let bytes = self.bytes_consumed.get();
        let fetches = self.fetches.get();
        let sampled = self.window.sample(
            now,
            [records, bytes, fetches],
            [
                &self.fetch_latency,
                &self.fetch_size,
                &self.fetch_throttle,
                &self.commit_latency,
                &self.rebalance_latency,
            ],
        );
        let [records_rate, bytes_rate, fetch_rate] = sampled.rates;
        let [fetch_latency, fetch_size, throttle, commit, rebalance] = sampled.stats;
        let (assigned, lag_max) = live.unwrap_or_else(|| {
            let lag = self.lag_max.get();
            (
                self.assigned.get() as usize,
                (lag > 0).then_some(lag.saturating_sub(1) as i64),
            )
        });
        let last_poll = self.last_poll.get();
        let last_poll_seconds_ago = (last_poll > 0).then(|| {
            let at = self.started + Duration::from_nanos(last_poll - 1);
            now.saturating_duration_since(at).as_secs_f64()
        });
        ConsumerMetrics {
            records_consumed_total: records,
            records_consumed_rate: records_rate,
            bytes_consumed_total: bytes,
            bytes_consumed_rate: bytes_rate,
            fetch_total: fetches,
            fetch_rate,
            fetch_latency_avg: fetch_latency.avg / 1000.0,
            fetch_latency_max: fetch_latency.max as f64 / 1000.0,
            fetch_size_avg: fetch_size.avg,
            fetch_size_max: fetch_size.max,
            fetch_throttle_time_avg: throttle.avg,
            fetch_throttle_time_max: throttle.max as f64,
            records_lag_max: lag_max,
            assigned_partitions: assigned as u64,
            last_poll_seconds_ago,
            commit_total: self.commits.get(),
            commit_latency_avg: commit.avg / 1000.0,
            commit_latency_max: commit.max as f64 / 1000.0,
            rebalance_total: self.rebalances.get(),
            failed_rebalance_total: self.failed_rebalances.get(),
            rebalance_latency_avg: rebalance.avg / 1000.0,
            rebalance_latency_max: rebalance.max as f64 / 1000.0,
            heartbeat_total: self.heartbeats.get(),
            connections,
        }
    }
}

/// A snapshot of a consumer's metrics ([`Consumer::metrics`](crate::Consumer::metrics)), with
/// the Java consumer's names and meanings (`consumer-fetch-manager-metrics`,
/// `consumer-coordinator-metrics`, `consumer-metrics`) where they exist; see the
/// [module table](crate::metrics). Totals count since the consumer started; rates are per
/// second, averages and maxima over the sliding window of `metrics.sample.window.ms` ×
/// `metrics.num.samples` (30 s × 2 by default); times are in milliseconds.
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use std::time::Duration;
/// use kafkito::{Consumer, ConsumerConfig};
///
/// let mut consumer = Consumer::new(ConsumerConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
///     ("group.id", "billing"),
/// ])?)
/// .await?;
/// consumer.subscribe(&["orders"])?;
/// let records = consumer.poll(Duration::from_secs(1)).await?;
/// let m = consumer.metrics();
/// println!(
///     "{} records consumed, lag {:?}, {} rebalances",
///     m.records_consumed_total, m.records_lag_max, m.rebalance_total,
/// );
/// # let _ = records; Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct ConsumerMetrics {
    /// `records-consumed-total`: records `poll` returned.
    pub records_consumed_total: u64,
    /// `records-consumed-rate`.
    pub records_consumed_rate: f64,
    /// `bytes-consumed-total`: record-batch bytes the Fetch responses carried.
    pub bytes_consumed_total: u64,
    /// `bytes-consumed-rate`.
    pub bytes_consumed_rate: f64,
    /// `fetch-total`: Fetch responses received.
    pub fetch_total: u64,
    /// `fetch-rate`.
    pub fetch_rate: f64,
    /// `fetch-latency-avg`: Fetch round trip (including the broker's `fetch.max.wait.ms`).
    pub fetch_latency_avg: f64,
    /// `fetch-latency-max`.
    pub fetch_latency_max: f64,
    /// `fetch-size-avg`: record-batch bytes per Fetch response.
    pub fetch_size_avg: f64,
    /// `fetch-size-max`.
    pub fetch_size_max: u64,
    /// `fetch-throttle-time-avg`: `throttle_time_ms` of Fetch responses (quotas).
    pub fetch_throttle_time_avg: f64,
    /// `fetch-throttle-time-max`.
    pub fetch_throttle_time_max: f64,
    /// `records-lag-max`: the largest lag (high watermark, or last stable offset under
    /// `read_committed`, minus the position) over the assigned partitions, as of the last
    /// Fetch answers; `None` while no assigned partition has both. Java reports the largest
    /// lag seen in the window; this is the largest now.
    pub records_lag_max: Option<i64>,
    /// `assigned-partitions`: partitions assigned now.
    pub assigned_partitions: u64,
    /// `last-poll-seconds-ago`: seconds since the last `poll`; `None` before the first.
    pub last_poll_seconds_ago: Option<f64>,
    /// `commit-total`: offset commits that succeeded (sync and async).
    pub commit_total: u64,
    /// `commit-latency-avg`: one commit, from sending it to its success (retries included).
    pub commit_latency_avg: f64,
    /// `commit-latency-max`.
    pub commit_latency_max: f64,
    /// `rebalance-total`: rebalances this member completed (classic protocol: SyncGroup
    /// answered; KIP-848: a new assignment received).
    pub rebalance_total: u64,
    /// `failed-rebalance-total`: rebalances that failed (JoinGroup or SyncGroup answered with
    /// an error or not answered).
    pub failed_rebalance_total: u64,
    /// `rebalance-latency-avg`: from the first JoinGroup of a rebalance to its SyncGroup
    /// answer.
    pub rebalance_latency_avg: f64,
    /// `rebalance-latency-max`.
    pub rebalance_latency_max: f64,
    /// `heartbeat-total`: heartbeats answered (Heartbeat, or ConsumerGroupHeartbeat under
    /// KIP-848).
    pub heartbeat_total: u64,
    /// The consumer's connections.
    pub connections: ConnectionMetrics,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exporters_snapshot_reports_the_last_poll() {
        let sensors = ConsumerSensors::new(&ClientConfig::default());
        let t0 = sensors.started;
        let none = sensors.snapshot(t0, None, ConnectionMetrics::default());
        assert_eq!(none.last_poll_seconds_ago, None);
        assert_eq!(none.records_lag_max, None);
        sensors.polled(t0 + Duration::from_secs(2), 3, Some(0));
        let m = sensors.snapshot(
            t0 + Duration::from_secs(5),
            None,
            ConnectionMetrics::default(),
        );
        assert_eq!(m.last_poll_seconds_ago, Some(3.0));
        assert_eq!((m.assigned_partitions, m.records_lag_max), (3, Some(0)));
        let live = sensors.snapshot(
            t0 + Duration::from_secs(5),
            Some((4, Some(12))),
            ConnectionMetrics::default(),
        );
        assert_eq!(
            (live.assigned_partitions, live.records_lag_max),
            (4, Some(12))
        );
    }
}
