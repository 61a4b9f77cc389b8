//! Async Kafka client built on [`kafka_protocol`].
//!
//! Layout: [`config`] (typed settings with Kafka's key names), [`error`] (one error type and
//! its classification), `net` (transport, connection, handshake, pool) and the clients built
//! on them.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod backoff;
pub mod cluster;
pub mod config;
pub mod error;
pub mod net;

pub use admin::AdminClient;
pub use config::ClientConfig;
pub use error::{Error, Result};
pub use kafka_protocol as protocol;
