//! kafkito: a pure-Rust, async (Tokio) Kafka client. An idempotent and transactional
//! [`Producer`], a group [`Consumer`] (classic protocol and KIP-848), an [`AdminClient`], with
//! TLS and SASL, all configured with Kafka's own key names. The wire codec is
//! [`kafkito_protocol`], re-exported as [`protocol`].
//!
//! # Quick start
//!
//! ## Produce
//!
//! ```no_run
//! use kafkito::{Producer, ProducerConfig, ProducerRecord};
//!
//! # async fn run() -> kafkito::Result<()> {
//! let producer = Producer::new(ProducerConfig::from_properties([
//!     ("bootstrap.servers", "localhost:9092"),
//!     ("linger.ms", "5"),
//!     ("compression.type", "lz4"),
//! ])?)
//! .await?;
//! // `send` waits for buffer space only; the future it returns resolves once the broker has
//! // the record.
//! let delivery = producer.send(ProducerRecord::new("orders").key("c-17").value("12")).await?;
//! let metadata = delivery.await?;
//! assert_eq!(metadata.topic, "orders");
//! producer.flush().await?;
//! # Ok(()) }
//! ```
//!
//! ## Consume in a group
//!
//! ```no_run
//! use std::time::Duration;
//! use kafkito::{Consumer, ConsumerConfig};
//!
//! # async fn run() -> kafkito::Result<()> {
//! let mut consumer = Consumer::new(ConsumerConfig::from_properties([
//!     ("bootstrap.servers", "localhost:9092"),
//!     ("group.id", "billing"),
//!     ("auto.offset.reset", "earliest"),
//!     ("enable.auto.commit", "false"),
//! ])?)
//! .await?;
//! consumer.subscribe(&["orders"])?;
//! loop {
//!     let records = consumer.poll(Duration::from_secs(1)).await?;
//!     for record in &records {
//!         println!("{}-{}@{}: {:?}", record.topic, record.partition, record.offset, record.value);
//!     }
//!     // At-least-once: commit what was processed. Heartbeats run in the background.
//!     consumer.commit_sync().await?;
//! #   break;
//! }
//! consumer.close().await?;
//! # Ok(()) }
//! ```
//!
//! `group.protocol=consumer` selects KIP-848's broker-side assignment; `assign` reads chosen
//! partitions without a group.
//!
//! ## Transactions
//!
//! ```no_run
//! use kafkito::{Producer, ProducerConfig, ProducerRecord};
//!
//! # async fn run() -> kafkito::Result<()> {
//! let producer = Producer::new(ProducerConfig::from_properties([
//!     ("bootstrap.servers", "localhost:9092"),
//!     ("transactional.id", "enricher-1"), // stable per instance: a restart fences the old one
//! ])?)
//! .await?;
//! producer.init_transactions().await?;
//! producer.begin_transaction()?;
//! producer.send_and_forget(ProducerRecord::new("out").value("a")).await?;
//! producer.send_and_forget(ProducerRecord::new("out").value("b")).await?;
//! match producer.commit_transaction().await {
//!     Ok(()) => {}
//!     Err(error) if error.is_abortable() => producer.abort_transaction().await?,
//!     Err(fatal) => return Err(fatal), // fenced by a newer instance, or fatal
//! }
//! # Ok(()) }
//! ```
//!
//! Consume-transform-produce commits the input offsets inside the transaction with
//! [`Producer::send_offsets_to_transaction`] and [`Consumer::group_metadata`]; readers use
//! `isolation.level=read_committed`.
//!
//! ## TLS and SASL
//!
//! ```no_run
//! use kafkito::ConsumerConfig;
//!
//! # fn run() -> kafkito::Result<()> {
//! // SASL/SCRAM over TLS with a private CA (`SSL` and `SASL_SSL` need the `tls` feature).
//! let config = ConsumerConfig::from_properties([
//!     ("bootstrap.servers", "kafka-1.example.com:9093"),
//!     ("security.protocol", "SASL_SSL"),
//!     ("ssl.ca.location", "/etc/kafka/ca.pem"),
//!     ("sasl.mechanism", "SCRAM-SHA-512"),
//!     ("sasl.username", "billing"),
//!     ("sasl.password", "secret"),
//!     ("group.id", "billing"),
//! ])?;
//! # let _ = config; Ok(()) }
//! ```
//!
//! SASL `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512` and `OAUTHBEARER` work in every build;
//! `docs/configuration.md` in the repository lists every key.
//!
//! ## Testing against a cluster in the test process
//!
//! The `kafkito-testkit` crate (a dev-dependency) starts an in-memory cluster of N brokers on
//! loopback ports with replicas, leader epochs, transactions, groups, SASL and fault injection;
//! give its `bootstrap()` to `bootstrap.servers`. Its own docs have the examples.
//!
//! # Layout
//!
//! [`config`] (typed settings with Kafka's key names), [`error`] (one error type and its
//! classification), [`retry`] (the one retry policy), [`net`] (transport, connection,
//! handshake, pool), [`cluster`] (metadata and coordinators) and the clients built on them:
//! [`producer`], [`consumer`], [`admin`], [`retry_topics`].
//!
//! # Features
//!
//! - `tls` (off by default): `security.protocol` `SSL` and `SASL_SSL`, through rustls with the
//!   `ring` crypto provider. Building `ring` needs a C compiler, so it is opt-in: the default
//!   build is pure Rust. Without it, plaintext and SASL over TCP (`PLAINTEXT`,
//!   `SASL_PLAINTEXT`) work as usual, and a configuration asking for `SSL` or `SASL_SSL` is
//!   refused when a client is created ([`net::Connector::new`]) with [`Error::Config`] on
//!   `security.protocol`: "this build has no TLS support: enable the `tls` feature of
//!   kafkito".
//!
//! ```toml
//! [dependencies]
//! kafkito = { version = "0.1", features = ["tls"] }
//! ```
//!
//! - `oauth-oidc` (off by default): `oauth::ClientCredentialsProvider`, an OAUTHBEARER token
//!   provider for an OIDC token endpoint (KIP-768); `https://` endpoints also need `tls`.
//! - `json` (off by default): `serdes::Json`, JSON keys and values through serde.
//! - `opentelemetry` (off by default): `otel::TracingProducerHook` and
//!   `otel::TracingConsumerHook`, W3C trace context (`traceparent`, `tracestate`) carried in
//!   record headers from the producer's current OpenTelemetry context to a consumer span in the
//!   same trace, with OpenTelemetry's messaging attributes. Built on the hooks below.
//!
//! # Hooks
//!
//! [`producer::ProducerHook`] and [`consumer::ConsumerHook`] are called, in registration order,
//! with every record sent (and may add headers) and every acknowledgement, and with the records
//! every `poll` returns, every commit's outcome and every rebalance — Java's producer and
//! consumer interceptors. Register them with [`ProducerConfig::with_hook`] and
//! [`ConsumerConfig::with_hook`]; with none registered they cost nothing. A hook that panics is
//! logged and skipped. Proven on: kafkito-testkit (`integration-tests/tests/hooks.rs`).
//!
//! ```
//! use std::sync::Arc;
//! use kafkito::producer::ProducerHook;
//! use kafkito::{ProducerConfig, ProducerRecord};
//!
//! struct Origin;
//!
//! impl ProducerHook for Origin {
//!     fn on_send(&self, record: &mut ProducerRecord) {
//!         *record = std::mem::take(record).header("origin", "billing");
//!     }
//! }
//!
//! let config = ProducerConfig::from_properties([("bootstrap.servers", "localhost:9092")])?
//!     .with_hook(Arc::new(Origin));
//! # let _ = config;
//! # Ok::<(), kafkito::Error>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod backoff;
pub mod cluster;
pub mod config;
pub mod consumer;
pub mod error;
pub mod metrics;
pub mod net;
pub mod oauth;
#[cfg(feature = "opentelemetry")]
pub mod otel;
pub mod producer;
pub mod retry;
pub mod retry_topics;
pub mod serdes;
#[cfg(test)]
pub(crate) mod test_support;
pub mod types;

pub use admin::AdminClient;
pub use config::ClientConfig;
pub use consumer::{Consumer, ConsumerConfig, ConsumerRecord};
pub use error::{Error, Result};
pub use kafkito_protocol as protocol;
pub use metrics::{ConnectionMetrics, ConsumerMetrics, ProducerMetrics};
pub use producer::{Producer, ProducerConfig, ProducerRecord, RecordMetadata};
pub use types::{IsolationLevel, OffsetAndMetadata, TopicPartition};

/// The README's code blocks, compiled as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
