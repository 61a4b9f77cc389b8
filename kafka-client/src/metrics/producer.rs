//! Producer metrics: the sensors the sender task and the buffer pool update, and the
//! [`ProducerMetrics`] snapshot computed from them.

use std::time::{Duration, Instant};

use super::connection::ConnectionMetrics;
use super::sensor::{Counter, Stat};
use super::window::Window;
use crate::config::ClientConfig;

/// What the producer counts. Every update is a relaxed atomic operation made per batch or per
/// request by the sender task; `send` itself records nothing.
#[derive(Debug)]
pub(crate) struct ProducerSensors {
    /// Records acknowledged (or written, with `acks=0`).
    pub records_sent: Counter,
    pub batches_sent: Counter,
    pub produce_requests: Counter,
    /// Record-batch bytes sent, retries included.
    pub bytes_sent: Counter,
    /// Batches retried.
    pub retries: Counter,
    /// Records in retried batches.
    pub record_retries: Counter,
    /// Records that failed.
    pub errors: Counter,
    /// Produce round trips, in microseconds.
    pub request_latency: Stat,
    /// Encoded batch sizes, in bytes.
    pub batch_size: Stat,
    /// Records per Produce request.
    pub records_per_request: Stat,
    /// Per batch, encoded size / uncompressed estimate, in millionths.
    pub compression_rate: Stat,
    /// `throttle_time_ms` of Produce responses.
    pub produce_throttle: Stat,
    window: Window,
}

/// The producer's gauges, read when a snapshot is taken.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ProducerGauges {
    pub buffer_used: u64,
    pub buffer_total: u64,
    pub buffer_wait_ns: u64,
}

/// Parts per million, the unit `compression_rate` is recorded in.
pub(crate) const PPM: u64 = 1_000_000;

impl ProducerSensors {
    /// Sensors windowed by `config`'s `metrics.sample.window.ms` × `metrics.num.samples`.
    pub fn new(config: &ClientConfig) -> ProducerSensors {
        ProducerSensors {
            records_sent: Counter::default(),
            batches_sent: Counter::default(),
            produce_requests: Counter::default(),
            bytes_sent: Counter::default(),
            retries: Counter::default(),
            record_retries: Counter::default(),
            errors: Counter::default(),
            request_latency: Stat::default(),
            batch_size: Stat::default(),
            records_per_request: Stat::default(),
            compression_rate: Stat::default(),
            produce_throttle: Stat::default(),
            window: Window::new(
                config.metrics_sample_window,
                config.metrics_num_samples,
                Instant::now(),
            ),
        }
    }

    /// One Produce round trip took `latency`.
    pub fn record_latency(&self, latency: Duration) {
        self.request_latency.record(latency.as_micros() as u64);
    }

    /// One batch of `records` went out as `encoded` bytes, from about `uncompressed` bytes of
    /// records.
    pub fn record_batch(&self, encoded: usize, uncompressed: usize) {
        self.batch_size.record(encoded as u64);
        if uncompressed > 0 {
            self.compression_rate
                .record((encoded as u64).saturating_mul(PPM) / uncompressed as u64);
        }
    }

    /// The snapshot at `now`.
    pub fn snapshot(
        &self,
        now: Instant,
        gauges: ProducerGauges,
        connections: ConnectionMetrics,
    ) -> ProducerMetrics {
        let records_sent = self.records_sent.get();
        let errors = self.errors.get();
        let record_retries = self.record_retries.get();
        let produce_requests = self.produce_requests.get();
        let sampled = self.window.sample(
            now,
            [
                records_sent,
                errors,
                record_retries,
                produce_requests,
                connections.outgoing_byte_total,
            ],
            [
                &self.request_latency,
                &self.batch_size,
                &self.records_per_request,
                &self.compression_rate,
                &self.produce_throttle,
            ],
        );
        let [record_send_rate, record_error_rate, record_retry_rate, request_rate, outgoing_byte_rate] =
            sampled.rates;
        let [latency, batch, per_request, compression, throttle] = sampled.stats;
        ProducerMetrics {
            records_sent,
            record_send_rate,
            errors,
            record_error_rate,
            record_retry_total: record_retries,
            record_retry_rate,
            retries: self.retries.get(),
            batches_sent: self.batches_sent.get(),
            produce_requests,
            request_rate,
            request_latency_avg: latency.avg / 1000.0,
            request_latency_max: latency.max as f64 / 1000.0,
            bytes_sent: self.bytes_sent.get(),
            batch_size_avg: batch.avg,
            batch_size_max: batch.max,
            records_per_request_avg: per_request.avg,
            compression_rate_avg: compression.avg / PPM as f64,
            outgoing_byte_rate,
            buffered_bytes: gauges.buffer_used,
            buffer_available_bytes: gauges.buffer_total.saturating_sub(gauges.buffer_used),
            buffer_total_bytes: gauges.buffer_total,
            bufferpool_wait_time_ns_total: gauges.buffer_wait_ns,
            produce_throttle_time_avg: throttle.avg,
            produce_throttle_time_max: throttle.max as f64,
            connections,
        }
    }
}

/// A snapshot of a producer's metrics ([`Producer::metrics`](crate::Producer::metrics)), with
/// the Java producer's names and meanings (`producer-metrics` group) where they exist; see the
/// [module table](crate::metrics) for each field's Java name. Totals count since the producer
/// started; rates are per second and averages and maxima are over the sliding window of
/// `metrics.sample.window.ms` × `metrics.num.samples` (30 s × 2 by default).
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use kafkito::{Producer, ProducerConfig, ProducerRecord};
///
/// let producer = Producer::new(ProducerConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
/// ])?)
/// .await?;
/// producer.send_and_forget(ProducerRecord::new("orders").value("v")).await?;
/// producer.flush().await?;
/// let m = producer.metrics();
/// println!(
///     "{} records sent ({:.1}/s), request latency {:.2} ms avg, {} connections open",
///     m.records_sent, m.record_send_rate, m.request_latency_avg, m.connections.connection_count,
/// );
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct ProducerMetrics {
    /// `record-send-total`: records acknowledged by the broker (written, with `acks=0`).
    pub records_sent: u64,
    /// `record-send-rate`: the same per second.
    pub record_send_rate: f64,
    /// `record-error-total`: records that failed.
    pub errors: u64,
    /// `record-error-rate`.
    pub record_error_rate: f64,
    /// `record-retry-total`: records sent again in retried batches.
    pub record_retry_total: u64,
    /// `record-retry-rate`.
    pub record_retry_rate: f64,
    /// Batches retried (no Java name; Java counts the records, `record-retry-total`).
    pub retries: u64,
    /// Batches sent, retries included (no Java name).
    pub batches_sent: u64,
    /// `request-total` (of the producer's Produce requests only; all requests are in
    /// [`ConnectionMetrics::request_total`]).
    pub produce_requests: u64,
    /// `request-rate`: Produce requests per second.
    pub request_rate: f64,
    /// `request-latency-avg`: Produce round trip, in milliseconds.
    pub request_latency_avg: f64,
    /// `request-latency-max`: the longest Produce round trip, in milliseconds.
    pub request_latency_max: f64,
    /// Record-batch bytes sent, after compression, retries included (Java's per-topic
    /// `byte-total`, summed).
    pub bytes_sent: u64,
    /// `batch-size-avg`: encoded bytes per batch.
    pub batch_size_avg: f64,
    /// `batch-size-max`.
    pub batch_size_max: u64,
    /// `records-per-request-avg`: records per Produce request.
    pub records_per_request_avg: f64,
    /// `compression-rate-avg`: encoded size over uncompressed size of a batch, averaged (1.0
    /// without compression; record-batch overheads make it slightly above 1 for tiny batches).
    pub compression_rate_avg: f64,
    /// `outgoing-byte-rate`: bytes per second written to the sockets (its total is
    /// [`ConnectionMetrics::outgoing_byte_total`]).
    pub outgoing_byte_rate: f64,
    /// `buffer.memory` bytes in use now (Java: `buffer-total-bytes` − `buffer-available-bytes`).
    pub buffered_bytes: u64,
    /// `buffer-available-bytes`: `buffer.memory` bytes free now.
    pub buffer_available_bytes: u64,
    /// `buffer-total-bytes`: `buffer.memory`.
    pub buffer_total_bytes: u64,
    /// `bufferpool-wait-time-ns-total`: nanoseconds `send` waited for `buffer.memory` space.
    pub bufferpool_wait_time_ns_total: u64,
    /// `produce-throttle-time-avg`: `throttle_time_ms` of Produce responses (quotas), in
    /// milliseconds.
    pub produce_throttle_time_avg: f64,
    /// `produce-throttle-time-max`, in milliseconds.
    pub produce_throttle_time_max: f64,
    /// The producer's connections.
    pub connections: ConnectionMetrics,
}
