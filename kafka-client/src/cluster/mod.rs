//! What the client knows about the cluster, and keeping it fresh.
//!
//! - [`metadata`]: the cluster view ([`Cluster`]) as plain data, built from Metadata
//!   responses, with the merge rules (partial updates, leader epochs that never go backwards,
//!   topic errors kept);
//! - [`refresh`]: when to refresh it and who waits ([`RefreshState`]), a state machine with no
//!   I/O;
//! - `coordinator`: the group and transaction coordinators (FindCoordinator), cached per
//!   key and forgotten when a request says they moved.
//!
//! The task that sends Metadata requests and owns the current `Arc<Cluster>` sits on top of
//! these two and the connection layer.

pub mod client;
pub(crate) mod coordinator;
pub mod metadata;
pub mod refresh;

pub use client::MetadataClient;
pub use metadata::{BrokerInfo, Cluster, MetadataReport, MetadataScope, PartitionInfo, TopicInfo};
pub use refresh::{RefreshDecision, RefreshOutcome, RefreshState, RefreshTicket, RefreshWaiter};
