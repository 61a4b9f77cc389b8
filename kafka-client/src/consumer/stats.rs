//! The consumer's metrics: its snapshot ([`Consumer::metrics`]), what `poll` notes for the
//! exporter, and its publisher to the `metrics` facade (see [`crate::metrics`]). The sensors
//! themselves are updated by the fetch tasks, the commit queue and the group task.

use std::sync::Arc;
use std::time::Instant;

use super::{Consumer, ConsumerConfig};
use crate::metrics::{ConsumerMetrics, ConsumerSensors, Publisher};
use crate::net::pool::BrokerPool;

impl Consumer {
    /// A snapshot of the consumer's metrics (Java's `consumer-fetch-manager-metrics`,
    /// `consumer-coordinator-metrics` and connection metrics; see [`crate::metrics`] for each
    /// one's Java name). The lag and assignment are read from the consumer now.
    ///
    /// ```no_run
    /// # async fn demo(consumer: &mut kafkito::Consumer) -> kafkito::Result<()> {
    /// use std::time::Duration;
    ///
    /// let records = consumer.poll(Duration::from_secs(1)).await?;
    /// let m = consumer.metrics();
    /// println!(
    ///     "{} records ({} bytes) consumed, lag {:?}, fetch latency {:.1} ms",
    ///     m.records_consumed_total, m.bytes_consumed_total, m.records_lag_max, m.fetch_latency_avg,
    /// );
    /// # let _ = records; Ok(()) }
    /// ```
    pub fn metrics(&self) -> ConsumerMetrics {
        let live = (
            self.subscriptions.assigned_count(),
            self.subscriptions.max_lag(self.settings.read_committed),
        );
        self.sensors.snapshot(
            Instant::now(),
            Some(live),
            self.metadata.pool().connection_metrics(),
        )
    }

    /// `poll` was called: notes the time, the assignment and the lag for the exporter's
    /// snapshots (which cannot read the consumer). Once per `poll`, no allocation.
    pub(super) fn note_poll(&self) {
        self.sensors.polled(
            Instant::now(),
            self.subscriptions.assigned_count(),
            self.subscriptions.max_lag(self.settings.read_committed),
        );
    }

    /// `poll` returns `records` records.
    pub(super) fn note_consumed(&self, records: usize) {
        self.sensors.records_consumed.add(records as u64);
    }

    /// The sensors, for the fetch tasks.
    pub(super) fn sensors(&self) -> Option<Arc<ConsumerSensors>> {
        Some(self.sensors.clone())
    }
}

/// Starts publishing the consumer's metrics (with the `metrics` feature; otherwise nothing),
/// labelled with `client.id` and `group.id`; the consumer holds it, so it stops with it.
pub(super) fn publisher(
    config: &ConsumerConfig,
    sensors: &Arc<ConsumerSensors>,
    pool: &BrokerPool,
) -> Publisher {
    let interval = config.client.metrics_publish_interval;
    #[cfg(feature = "metrics")]
    {
        let sensors = sensors.clone();
        let connections = pool.connection_sensors().clone();
        let mut labels = vec![("client_id", config.client.client_id.clone())];
        if let Some(group) = &config.group_id {
            labels.push(("group_id", group.clone()));
        }
        Publisher::start(
            interval,
            Arc::new(move || {
                let m = sensors.snapshot(Instant::now(), None, connections.snapshot());
                crate::metrics::export::consumer(&m, &labels)
            }),
        )
    }
    #[cfg(not(feature = "metrics"))]
    {
        let _ = (sensors, pool);
        Publisher::start(interval, Arc::new(|| {}))
    }
}
