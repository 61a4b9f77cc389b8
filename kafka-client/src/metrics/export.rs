//! Publishing snapshots to the [`metrics`](https://docs.rs/metrics) facade, behind the cargo
//! feature `metrics`: a task each client owns takes a snapshot every
//! `metrics_publish_interval` and hands every value to the installed recorder (counters with
//! `absolute`, gauges with `set`). Without the feature [`Publisher`] is an empty type and
//! nothing is registered anywhere.

use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "metrics")]
use super::{ConnectionMetrics, ConsumerMetrics, ProducerMetrics};

/// Publishes one snapshot of a client.
pub(crate) type PublishFn = Arc<dyn Fn() + Send + Sync>;

/// The background publisher of one client. Dropped with the client (its sender task for the
/// producer, the handle for the consumer): it stops the task and publishes once more, so that
/// the last values (a flush's acknowledgements) reach the recorder.
pub(crate) struct Publisher {
    #[cfg(feature = "metrics")]
    task: tokio::task::AbortHandle,
    #[cfg(feature = "metrics")]
    publish: PublishFn,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher").finish_non_exhaustive()
    }
}

impl Publisher {
    /// Starts publishing with `publish` every `interval` (needs a Tokio runtime). Without the
    /// `metrics` feature, does nothing.
    #[cfg(feature = "metrics")]
    pub fn start(interval: Duration, publish: PublishFn) -> Publisher {
        let interval = interval.max(Duration::from_millis(1));
        let each = publish.clone();
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                each();
            }
        });
        Publisher {
            task: task.abort_handle(),
            publish,
        }
    }

    /// Without the `metrics` feature: nothing to publish to.
    #[cfg(not(feature = "metrics"))]
    pub fn start(_interval: Duration, _publish: PublishFn) -> Publisher {
        Publisher {}
    }
}

#[cfg(feature = "metrics")]
impl Drop for Publisher {
    fn drop(&mut self) {
        self.task.abort();
        (self.publish)();
    }
}

/// Labels of a client's series: `client_id`, and `group_id` for a consumer in a group.
#[cfg(feature = "metrics")]
pub(crate) type Labels = Vec<(&'static str, String)>;

#[cfg(feature = "metrics")]
fn counter(name: &'static str, labels: &Labels, value: u64) {
    ::metrics::counter!(name, labels).absolute(value);
}

#[cfg(feature = "metrics")]
fn gauge(name: &'static str, labels: &Labels, value: f64) {
    ::metrics::gauge!(name, labels).set(value);
}

/// Publishes a producer's snapshot as `kafka_producer_*`.
#[cfg(feature = "metrics")]
pub(crate) fn producer(m: &ProducerMetrics, labels: &Labels) {
    counter("kafka_producer_record_send_total", labels, m.records_sent);
    gauge(
        "kafka_producer_record_send_rate",
        labels,
        m.record_send_rate,
    );
    counter("kafka_producer_record_error_total", labels, m.errors);
    gauge(
        "kafka_producer_record_error_rate",
        labels,
        m.record_error_rate,
    );
    counter(
        "kafka_producer_record_retry_total",
        labels,
        m.record_retry_total,
    );
    gauge(
        "kafka_producer_record_retry_rate",
        labels,
        m.record_retry_rate,
    );
    counter("kafka_producer_batch_retry_total", labels, m.retries);
    counter("kafka_producer_batch_send_total", labels, m.batches_sent);
    counter(
        "kafka_producer_produce_request_total",
        labels,
        m.produce_requests,
    );
    gauge(
        "kafka_producer_produce_request_rate",
        labels,
        m.request_rate,
    );
    gauge(
        "kafka_producer_request_latency_avg",
        labels,
        m.request_latency_avg,
    );
    gauge(
        "kafka_producer_request_latency_max",
        labels,
        m.request_latency_max,
    );
    counter("kafka_producer_byte_total", labels, m.bytes_sent);
    gauge("kafka_producer_batch_size_avg", labels, m.batch_size_avg);
    gauge(
        "kafka_producer_batch_size_max",
        labels,
        m.batch_size_max as f64,
    );
    gauge(
        "kafka_producer_records_per_request_avg",
        labels,
        m.records_per_request_avg,
    );
    gauge(
        "kafka_producer_compression_rate_avg",
        labels,
        m.compression_rate_avg,
    );
    gauge(
        "kafka_producer_outgoing_byte_rate",
        labels,
        m.outgoing_byte_rate,
    );
    gauge(
        "kafka_producer_buffer_available_bytes",
        labels,
        m.buffer_available_bytes as f64,
    );
    gauge(
        "kafka_producer_buffer_total_bytes",
        labels,
        m.buffer_total_bytes as f64,
    );
    counter(
        "kafka_producer_bufferpool_wait_time_ns_total",
        labels,
        m.bufferpool_wait_time_ns_total,
    );
    gauge(
        "kafka_producer_produce_throttle_time_avg",
        labels,
        m.produce_throttle_time_avg,
    );
    gauge(
        "kafka_producer_produce_throttle_time_max",
        labels,
        m.produce_throttle_time_max,
    );
    connections("kafka_producer_", &m.connections, labels);
}

/// Publishes a consumer's snapshot as `kafka_consumer_*`.
#[cfg(feature = "metrics")]
pub(crate) fn consumer(m: &ConsumerMetrics, labels: &Labels) {
    counter(
        "kafka_consumer_records_consumed_total",
        labels,
        m.records_consumed_total,
    );
    gauge(
        "kafka_consumer_records_consumed_rate",
        labels,
        m.records_consumed_rate,
    );
    counter(
        "kafka_consumer_bytes_consumed_total",
        labels,
        m.bytes_consumed_total,
    );
    gauge(
        "kafka_consumer_bytes_consumed_rate",
        labels,
        m.bytes_consumed_rate,
    );
    counter("kafka_consumer_fetch_total", labels, m.fetch_total);
    gauge("kafka_consumer_fetch_rate", labels, m.fetch_rate);
    gauge(
        "kafka_consumer_fetch_latency_avg",
        labels,
        m.fetch_latency_avg,
    );
    gauge(
        "kafka_consumer_fetch_latency_max",
        labels,
        m.fetch_latency_max,
    );
    gauge("kafka_consumer_fetch_size_avg", labels, m.fetch_size_avg);
    gauge(
        "kafka_consumer_fetch_size_max",
        labels,
        m.fetch_size_max as f64,
    );
    gauge(
        "kafka_consumer_fetch_throttle_time_avg",
        labels,
        m.fetch_throttle_time_avg,
    );
    gauge(
        "kafka_consumer_fetch_throttle_time_max",
        labels,
        m.fetch_throttle_time_max,
    );
    if let Some(lag) = m.records_lag_max {
        gauge("kafka_consumer_records_lag_max", labels, lag as f64);
    }
    gauge(
        "kafka_consumer_assigned_partitions",
        labels,
        m.assigned_partitions as f64,
    );
    if let Some(ago) = m.last_poll_seconds_ago {
        gauge("kafka_consumer_last_poll_seconds_ago", labels, ago);
    }
    counter("kafka_consumer_commit_total", labels, m.commit_total);
    gauge(
        "kafka_consumer_commit_latency_avg",
        labels,
        m.commit_latency_avg,
    );
    gauge(
        "kafka_consumer_commit_latency_max",
        labels,
        m.commit_latency_max,
    );
    counter("kafka_consumer_rebalance_total", labels, m.rebalance_total);
    counter(
        "kafka_consumer_failed_rebalance_total",
        labels,
        m.failed_rebalance_total,
    );
    gauge(
        "kafka_consumer_rebalance_latency_avg",
        labels,
        m.rebalance_latency_avg,
    );
    gauge(
        "kafka_consumer_rebalance_latency_max",
        labels,
        m.rebalance_latency_max,
    );
    counter("kafka_consumer_heartbeat_total", labels, m.heartbeat_total);
    connections("kafka_consumer_", &m.connections, labels);
}

/// The connection series of a client, named after its prefix (`kafka_producer_` …), as
/// Java puts them in the client's own group.
#[cfg(feature = "metrics")]
fn connections(prefix: &'static str, m: &ConnectionMetrics, labels: &Labels) {
    // One static name per prefix and metric: the facade takes names as `&'static str`
    // without allocating.
    macro_rules! named {
        ($suffix:literal) => {
            match prefix {
                "kafka_producer_" => concat!("kafka_producer_", $suffix),
                _ => concat!("kafka_consumer_", $suffix),
            }
        };
    }
    gauge(
        named!("connection_count"),
        labels,
        m.connection_count as f64,
    );
    counter(
        named!("connection_creation_total"),
        labels,
        m.connection_creation_total,
    );
    counter(
        named!("connection_close_total"),
        labels,
        m.connection_close_total,
    );
    counter(named!("request_total"), labels, m.request_total);
    counter(named!("response_total"), labels, m.response_total);
    counter(named!("outgoing_byte_total"), labels, m.outgoing_byte_total);
    counter(named!("incoming_byte_total"), labels, m.incoming_byte_total);
    counter(
        named!("successful_authentication_total"),
        labels,
        m.successful_authentication_total,
    );
    counter(
        named!("failed_authentication_total"),
        labels,
        m.failed_authentication_total,
    );
    counter(
        named!("successful_reauthentication_total"),
        labels,
        m.successful_reauthentication_total,
    );
    counter(
        named!("failed_reauthentication_total"),
        labels,
        m.failed_reauthentication_total,
    );
}
