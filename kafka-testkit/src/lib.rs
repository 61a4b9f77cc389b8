//! An in-process, in-memory Kafka cluster for tests, in the spirit of franz-go's `kfake`:
//! N brokers on loopback ports speaking Kafka's wire protocol (decoded and encoded with
//! [`kafkito_protocol`]), with topics, replicas, leaders and leader epochs, idempotent and
//! transactional producers (markers, last stable offset, aborted-transactions lists), the
//! classic and KIP-848 group coordinators, SASL (PLAIN, SCRAM-SHA-256/512, OAUTHBEARER,
//! KIP-368 session lifetimes and re-authentication), and fault controls no real broker offers.
//! Real clients (ours, librdkafka) run against it unchanged.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), kafkito_testkit::Error> {
//! use kafkito_testkit::{ApiKey, Cluster, ErrorCode, Fault};
//!
//! let cluster = Cluster::builder().brokers(3).build().await?;
//! let bootstrap = cluster.bootstrap(); // give this to any Kafka client
//! cluster.create_topic("t", 3, 3)?;
//!
//! // Fault controls: the next Produce to t-0 fails as if the leader had just moved...
//! let fault = cluster
//!     .inject(Fault::new(ApiKey::Produce, ErrorCode::NotLeaderOrFollower).partition("t", 0));
//! // ...or really move it, or stop a broker (its partitions fail over; data is kept).
//! let (leader, epoch) = cluster.leader("t", 0).unwrap();
//! let new_epoch = cluster.move_leader("t", 0, (leader + 1) % 3)?;
//! assert_eq!(new_epoch, epoch + 1);
//! cluster.stop_broker(2)?;
//! cluster.start_broker(2).await?;
//! # let _ = (bootstrap, fault);
//! # Ok(())
//! # }
//! ```
//!
//! # What it serves
//!
//! [`SUPPORTED_APIS`] lists each API with its version range: ApiVersions, Metadata,
//! CreateTopics, DeleteTopics, CreatePartitions, DeleteRecords, DescribeCluster,
//! DescribeConfigs, Produce, Fetch, ListOffsets, OffsetForLeaderEpoch, InitProducerId,
//! AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, TxnOffsetCommit, FindCoordinator, JoinGroup,
//! SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups, ListGroups,
//! ConsumerGroupHeartbeat and ConsumerGroupDescribe; with SASL users configured,
//! SaslHandshake (v1) and SaslAuthenticate (v0-2) too, and every listener requires
//! authentication (see [SASL](#sasl)).
//!
//! # SASL
//!
//! With any SASL user configured, every listener is SASL_PLAINTEXT: until a connection has
//! authenticated it is served ApiVersions, SaslHandshake (v1) and SaslAuthenticate (v0-2)
//! only, and any other request closes it, as on Kafka. The broker side is
//! [`sasl_server`], written from Kafka's own server classes, with Kafka's error codes and
//! messages:
//!
//! - `PLAIN` (a wrong password: "Authentication failed: Invalid username or password");
//! - `SCRAM-SHA-256` and `SCRAM-SHA-512`, with credentials stored as Kafka stores them (salt,
//!   4096 iterations, StoredKey, ServerKey; PBKDF2 runs once, when the cluster is built);
//!   failures get Kafka's generic "Authentication failed during authentication due to invalid
//!   credentials with SASL mechanism …", so an unknown user looks like a wrong password;
//! - `OAUTHBEARER` with Kafka's default unsecured-JWS validation (`alg: none`, a `sub`, an
//!   `exp` not yet reached); a refused token gets RFC 7628's `{"status":"invalid_token"}`.
//!
//! **Session lifetime (KIP-368).** [`ClusterBuilder::sasl_session_lifetime_ms`] is
//! `connections.max.reauth.ms`: SaslAuthenticate v1+ announces it (for OAUTHBEARER, the
//! token's remaining life if shorter), and a connection whose session is over is closed,
//! without an answer, at its next request other than a SaslHandshake, which starts a
//! re-authentication on the same connection (same mechanism and principal). Kafka checks at
//! requests, not on a timer, and so does the testkit. [`Cluster::sasl_sessions`] shows each
//! connection's logins, re-authentications and whether it was closed for expiry.
//!
//! A SASL cluster in a test, in three lines:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), kafkito_testkit::Error> {
//! use kafkito_testkit::{Cluster, Mechanism};
//! let cluster = Cluster::builder().sasl_user(Mechanism::ScramSha512, "alice", "secret")
//!     .sasl_session_lifetime_ms(3_000).build().await?;
//! // ... a client with security.protocol=SASL_PLAINTEXT, sasl.mechanism=SCRAM-SHA-512 ...
//! assert!(cluster.sasl_sessions().iter().all(|s| !s.closed_for_expiry));
//! # Ok(())
//! # }
//! ```
//!
//! # TLS
//!
//! With the `tls` feature, `ClusterBuilder::tls` makes every listener SSL (SASL_SSL with
//! SASL users), with mutual TLS when a client CA is given; `TestCa` makes certificates.
//!
//! # What it does not model (yet)
//!
//! KIP-848 client-side assignors (the server has `uniform` and `range`), OAuth tokens
//! signed with keys (JWKS validation), GSSAPI, principals from TLS client certificates,
//! SaslHandshake v0 (raw tokens), transaction version 2 (KIP-890's per-transaction epoch
//! bump), fetch sessions (every fetch is a full one), compaction and retention, quotas,
//! ACLs, and replication lag: followers are always caught up, so the high watermark is the
//! log end and a stopped broker simply leaves the ISR. Coordinator-initiated aborts (fencing,
//! timeouts) write their markers at once; a client's EndTxn is followed by a
//! CONCURRENT_TRANSACTIONS window until its markers land (`transaction_marker_delay`,
//! `Cluster::hold_transaction_markers`).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cluster;
mod consumer_group;
mod fault;
mod group;
mod handlers;
mod log;
pub mod sasl_server;
mod server;
mod state;
#[cfg(feature = "tls")]
mod tls;
mod txn;

pub use cluster::{Changes, Cluster, ClusterBuilder, Error, SaslLogin, SaslSession};
pub use fault::{Fault, FaultHandle};
pub use kafkito_protocol::messages::ApiKey;
pub use kafkito_protocol::ErrorCode;
pub use log::TimestampType;
pub use sasl_server::SaslMechanism as Mechanism;
pub use server::SUPPORTED_APIS;
#[cfg(feature = "tls")]
pub use tls::{IssuedCert, TestCa, TlsConfig};

/// The README's code blocks, compiled as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
