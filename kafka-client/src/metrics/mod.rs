//! Client metrics: what the producer, the consumer and their connections count, as snapshot
//! structs on each client ([`Producer::metrics`](crate::Producer::metrics),
//! [`Consumer::metrics`](crate::Consumer::metrics),
//! [`AdminClient::metrics`](crate::AdminClient::metrics)) and, with the cargo feature
//! `metrics`, published to the [`metrics`](https://docs.rs/metrics) facade.
//!
//! This module owns the counting and nothing else: the hot paths update relaxed atomics
//! (`sensor`: one `fetch_add` per counter, three operations per latency or size), never a
//! lock, an allocation or a facade call; rates, averages and maxima over the sliding window
//! (`window`: `metrics.sample.window.ms` × `metrics.num.samples`, Java's 30 s × 2 by
//! default) are computed from those totals when a snapshot is taken; `export` publishes
//! snapshots. Nothing is recorded per record: counts of records are added per batch (producer)
//! or per `poll` (consumer).
//!
//! # Publishing to the `metrics` facade
//!
//! With `features = ["metrics"]`, each producer and consumer starts a task that takes a
//! snapshot every [`metrics_publish_interval`](crate::config::ClientConfigBuilder::metrics_publish_interval)
//! (10 s by default; Java has no such key, its reporters read live values) and hands each value
//! to the installed recorder (e.g. `metrics-exporter-prometheus`): totals as counters set with
//! `absolute`, everything else as gauges set with `set`. The task stops when the client is
//! closed or dropped, publishing once more. Without the feature nothing is registered.
//!
//! Series are named `kafka_<client>_<java name with underscores>`: Java's
//! `producer-metrics:record-send-total` is `kafka_producer_record_send_total`,
//! `consumer-fetch-manager-metrics:records-lag-max` is `kafka_consumer_records_lag_max`, and
//! the connection metrics Java keeps in the client's own group
//! (`producer-metrics:connection-count`) are `kafka_producer_connection_count`. Labels:
//! `client_id` (`client.id`), and `group_id` on a consumer with a `group.id`. Times are in
//! milliseconds as in Java (except `bufferpool_wait_time_ns_total`), sizes in bytes.
//!
//! ```no_run
//! # async fn demo() -> kafkito::Result<()> {
//! use std::time::Duration;
//! use kafkito::{ClientConfig, Producer, ProducerConfig};
//!
//! // With a recorder installed (metrics::set_global_recorder), and kafkito's `metrics`
//! // feature on, the producer publishes every 15 s.
//! let mut config = ProducerConfig::from_properties([("bootstrap.servers", "localhost:9092")])?;
//! config.client.metrics_publish_interval = Duration::from_secs(15);
//! let producer = Producer::new(config).await?;
//! # let _ = producer; Ok(()) }
//! ```
//!
//! # The metrics
//!
//! Producer ([`ProducerMetrics`]; Java group `producer-metrics`):
//!
//! | field | series (`kafka_producer_…`) | Java name | meaning |
//! | --- | --- | --- | --- |
//! | `records_sent` | `record_send_total` | `record-send-total` | records acknowledged (written, with `acks=0`) |
//! | `record_send_rate` | `record_send_rate` | `record-send-rate` | the same per second |
//! | `errors` | `record_error_total` | `record-error-total` | records that failed |
//! | `record_error_rate` | `record_error_rate` | `record-error-rate` | the same per second |
//! | `record_retry_total` | `record_retry_total` | `record-retry-total` | records sent again in retried batches |
//! | `record_retry_rate` | `record_retry_rate` | `record-retry-rate` | the same per second |
//! | `retries` | `batch_retry_total` | — | batches retried |
//! | `batches_sent` | `batch_send_total` | — | batches sent, retries included |
//! | `produce_requests` | `produce_request_total` | `request-total` (Produce only) | Produce requests sent |
//! | `request_rate` | `produce_request_rate` | `request-rate` | the same per second |
//! | `request_latency_avg` / `_max` | `request_latency_avg` / `_max` | `request-latency-avg` / `-max` | Produce round trip, ms |
//! | `bytes_sent` | `byte_total` | per-topic `byte-total`, summed | record-batch bytes sent (compressed) |
//! | `batch_size_avg` / `_max` | `batch_size_avg` / `_max` | `batch-size-avg` / `-max` | encoded bytes per batch |
//! | `records_per_request_avg` | `records_per_request_avg` | `records-per-request-avg` | records per Produce request |
//! | `compression_rate_avg` | `compression_rate_avg` | `compression-rate-avg` | compressed / uncompressed size of a batch |
//! | `outgoing_byte_rate` | `outgoing_byte_rate` | `outgoing-byte-rate` | socket bytes written per second |
//! | `buffered_bytes` | — | — | `buffer.memory` bytes in use |
//! | `buffer_available_bytes` | `buffer_available_bytes` | `buffer-available-bytes` | `buffer.memory` bytes free |
//! | `buffer_total_bytes` | `buffer_total_bytes` | `buffer-total-bytes` | `buffer.memory` |
//! | `bufferpool_wait_time_ns_total` | `bufferpool_wait_time_ns_total` | `bufferpool-wait-time-ns-total` | ns `send` waited for buffer space |
//! | `produce_throttle_time_avg` / `_max` | `produce_throttle_time_avg` / `_max` | `produce-throttle-time-avg` / `-max` | `throttle_time_ms` of Produce responses |
//!
//! Consumer ([`ConsumerMetrics`]; Java groups `consumer-fetch-manager-metrics`,
//! `consumer-coordinator-metrics`, `consumer-metrics`):
//!
//! | field | series (`kafka_consumer_…`) | Java name | meaning |
//! | --- | --- | --- | --- |
//! | `records_consumed_total` / `_rate` | same | `records-consumed-total` / `-rate` | records `poll` returned |
//! | `bytes_consumed_total` / `_rate` | same | `bytes-consumed-total` / `-rate` | record-batch bytes fetched |
//! | `fetch_total` / `fetch_rate` | same | `fetch-total` / `fetch-rate` | Fetch responses received |
//! | `fetch_latency_avg` / `_max` | same | `fetch-latency-avg` / `-max` | Fetch round trip, ms |
//! | `fetch_size_avg` / `_max` | same | `fetch-size-avg` / `-max` | record-batch bytes per Fetch response |
//! | `fetch_throttle_time_avg` / `_max` | same | `fetch-throttle-time-avg` / `-max` | `throttle_time_ms` of Fetch responses |
//! | `records_lag_max` | same | `records-lag-max` | largest lag over the assigned partitions (now, not the window's max) |
//! | `assigned_partitions` | same | `assigned-partitions` | partitions assigned |
//! | `last_poll_seconds_ago` | same | `last-poll-seconds-ago` | seconds since the last `poll` |
//! | `commit_total` | same | `commit-total` | offset commits that succeeded |
//! | `commit_latency_avg` / `_max` | same | `commit-latency-avg` / `-max` | commit round trip (retries included), ms |
//! | `rebalance_total` | same | `rebalance-total` | rebalances completed |
//! | `failed_rebalance_total` | same | `failed-rebalance-total` | rebalances failed |
//! | `rebalance_latency_avg` / `_max` | same | `rebalance-latency-avg` / `-max` | JoinGroup to SyncGroup answer, ms |
//! | `heartbeat_total` | same | `heartbeat-total` | heartbeats answered |
//!
//! Connections ([`ConnectionMetrics`], the `connections` field of both snapshots and
//! [`AdminClient::metrics`](crate::AdminClient::metrics); published with the client's prefix):
//!
//! | field and series | Java name | meaning |
//! | --- | --- | --- |
//! | `connection_count` | `connection-count` | connections open now |
//! | `connection_creation_total` | `connection-creation-total` | connections opened |
//! | `connection_close_total` | `connection-close-total` | connections closed or broken |
//! | `request_total` | `request-total` | requests written, of every API |
//! | `response_total` | `response-total` | responses read |
//! | `outgoing_byte_total` | `outgoing-byte-total` | bytes written to the sockets |
//! | `incoming_byte_total` | `incoming-byte-total` | bytes read from the sockets |
//! | `successful_authentication_total` | `successful-authentication-total` | SASL authentications that succeeded |
//! | `failed_authentication_total` | `failed-authentication-total` | SASL authentications that failed |
//! | `successful_reauthentication_total` | `successful-reauthentication-total` | KIP-368 re-authentications that succeeded |
//! | `failed_reauthentication_total` | `failed-reauthentication-total` | re-authentications that failed |

mod connection;
mod consumer;
pub(crate) mod export;
mod producer;
pub(crate) mod sensor;
pub(crate) mod window;

pub use connection::ConnectionMetrics;
pub(crate) use connection::ConnectionSensors;
pub use consumer::ConsumerMetrics;
pub(crate) use consumer::ConsumerSensors;
pub(crate) use export::Publisher;
pub use producer::ProducerMetrics;
pub(crate) use producer::{ProducerGauges, ProducerSensors};
