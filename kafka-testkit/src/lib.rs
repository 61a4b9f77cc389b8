//! An in-process, in-memory Kafka cluster for tests, in the spirit of franz-go's `kfake`:
//! N brokers on loopback ports speaking Kafka's wire protocol (decoded and encoded with
//! [`kafka_protocol`]), with topics, replicas, leaders and leader epochs, idempotent and
//! transactional producers (markers, last stable offset, aborted-transactions lists), the
//! classic group coordinator, SASL (PLAIN, SCRAM-SHA-256/512, KIP-368 session lifetimes),
//! and fault controls no real broker offers.
//! Real clients (ours, librdkafka) run against it unchanged.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), kafka_testkit::Error> {
//! use kafka_testkit::{ApiKey, Cluster, ErrorCode, Fault};
//!
//! let cluster = Cluster::builder().brokers(3).build().await?;
//! let bootstrap = cluster.bootstrap(); // give this to any Kafka client
//! cluster.create_topic("t", 3, 3)?;
//!
//! // Fault controls: the next Produce to t-0 fails as if the leader had just moved...
//! let fault = cluster.inject(Fault::new(ApiKey::Produce, ErrorCode::NotLeaderOrFollower).partition("t", 0));
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
//! SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, DescribeGroups and
//! ListGroups; with SASL users configured, SaslHandshake (v1) and SaslAuthenticate too, and
//! every listener requires authentication.
//!
//! # What it does not model (yet)
//!
//! KIP-848 groups, OAUTHBEARER, TLS, SaslHandshake v0 (raw tokens), transaction version 2 (KIP-890's per-transaction epoch
//! bump), fetch sessions (every fetch is a full one), compaction and retention, quotas,
//! ACLs, and replication lag: followers are always caught up, so the high watermark is the
//! log end and a stopped broker simply leaves the ISR. Transactions complete at once (no
//! CONCURRENT_TRANSACTIONS window).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cluster;
mod consumer_group;
mod fault;
mod group;
mod handlers;
mod log;
mod sasl;
pub mod sasl_server;
mod server;
mod state;
mod txn;

pub use cluster::{Cluster, ClusterBuilder, Error};
pub use fault::{Fault, FaultHandle};
pub use kafka_protocol::messages::ApiKey;
pub use kafka_protocol::ErrorCode;
pub use log::TimestampType;
pub use sasl::Mechanism;
pub use server::SUPPORTED_APIS;

/// The README's code blocks, compiled as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
