//! Async Kafka client built on [`kafkito_protocol`].
//!
//! Layout: [`config`] (typed settings with Kafka's key names), [`error`] (one error type and
//! its classification), `net` (transport, connection, handshake, pool) and the clients built
//! on them.
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
//! - `json` (off by default): `serdes::Json`, JSON keys and values through serde.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod backoff;
pub mod cluster;
pub mod config;
pub mod consumer;
pub mod error;
pub mod net;
pub mod oauth;
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
pub use producer::{Producer, ProducerConfig, ProducerRecord, RecordMetadata};
pub use types::{IsolationLevel, OffsetAndMetadata, TopicPartition};

/// The README's code blocks, compiled as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
