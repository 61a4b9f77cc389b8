//! The admin client: topics, partitions, offsets, configs, consumer groups and the cluster
//! itself, managed through the Kafka admin APIs.
//!
//! | module | owns |
//! | --- | --- |
//! | [`topics`] | CreateTopics, DeleteTopics, CreatePartitions (sent to the controller) |
//! | [`describe`] | DescribeCluster (or Metadata), DescribeConfigs |
//! | [`offsets`] | ListOffsets, DeleteRecords (sent to each partition's leader) |
//! | [`groups`] | ListGroups (every broker), DescribeGroups and OffsetFetch (the coordinator) |
//! | [`retry`] | the client's retry policy (re-exported from [`crate::retry`], shared with commits and transactions) |
//! | coordinators | found and cached by `cluster/coordinator.rs` |
//!
//! Every call is one `tracing` span (`kafka.admin`, with the operation's name), has a deadline
//! (`default.api.timeout.ms` unless the call's options give one) and retries what may heal —
//! a moved controller, leader or coordinator, a lost connection — after refreshing metadata
//! and waiting `retry.backoff.ms` (doubling up to `retry.backoff.max.ms`). Errors that will
//! not heal (a topic that already exists, an API the broker lacks) come back at once.
//!
//! Calls about several items (topics, partitions, groups) return one result per item: a
//! `BTreeMap` from the item to `Result`, where a failed item carries [`Error::Protocol`](crate::Error::Protocol) with
//! the broker's error code and message. The outer `Result` fails only when the call as a
//! whole could not be made (no broker reachable, unsupported API, deadline passed).

pub mod describe;
pub mod groups;
pub mod offsets;
pub use crate::retry;
pub mod topics;

use std::time::Duration;

use crate::cluster::coordinator::Coordinators;
use crate::cluster::MetadataClient;
use crate::config::keys::Client;
use crate::config::{ApplyProperties, ClientConfig, ClientConfigBuilder, Properties};
use crate::error::Result;
use crate::net::pool::BrokerPool;

pub use describe::{ClusterDescription, ConfigEntry, ConfigResource};
pub use groups::{GroupDescription, GroupMember, ListedGroup, OffsetAndMetadata};
pub use offsets::{IsolationLevel, ListOffsetsOptions, ListedOffset, OffsetSpec, TopicPartition};
pub use topics::{CreateTopicsOptions, CreatedTopic, NewTopic};

/// Kafka's default for `default.api.timeout.ms`.
pub const DEFAULT_API_TIMEOUT: Duration = Duration::from_secs(60);

/// Options every admin call takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdminOptions {
    /// The call's deadline, retries included; `None` for `default.api.timeout.ms`.
    pub timeout: Option<Duration>,
}

impl AdminOptions {
    /// Options with a deadline of `timeout`.
    pub fn with_timeout(timeout: Duration) -> Self {
        AdminOptions {
            timeout: Some(timeout),
        }
    }
}

/// The admin client's own setting, next to the shared [`ClientConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminConfig {
    /// `default.api.timeout.ms`: the deadline of a call whose options give none.
    pub default_api_timeout: Duration,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            default_api_timeout: DEFAULT_API_TIMEOUT,
        }
    }
}

impl ApplyProperties for AdminConfig {
    fn apply_properties(&mut self, props: &mut Properties) -> Result<()> {
        if let Some(timeout) = props.take_duration_ms("default.api.timeout.ms")? {
            self.default_api_timeout = timeout;
        }
        Ok(())
    }
}

/// A client for the Kafka admin APIs. Cloning is cheap and shares the connections.
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use kafkito::admin::{AdminClient, AdminOptions, CreateTopicsOptions, NewTopic, OffsetSpec, TopicPartition};
/// use kafkito::protocol::ErrorCode;
///
/// let admin = AdminClient::from_properties([
///     ("bootstrap.servers", "127.0.0.1:9092"),
///     ("default.api.timeout.ms", "30000"),
/// ])?;
///
/// let created = admin
///     .create_topics(
///         vec![NewTopic::new("orders", 3, 1).with_config("retention.ms", "86400000")],
///         CreateTopicsOptions::default(),
///     )
///     .await?;
/// match &created["orders"] {
///     Ok(topic) => println!("created orders with id {}", topic.topic_id),
///     Err(e) if e.code() == Some(ErrorCode::TopicAlreadyExists) => println!("already there"),
///     Err(e) => return Err(e.clone()),
/// }
///
/// let ends = admin
///     .list_offsets(
///         vec![(TopicPartition::new("orders", 0), OffsetSpec::Latest)],
///         Default::default(),
///     )
///     .await?;
/// println!("end of orders-0: {:?}", ends[&TopicPartition::new("orders", 0)]);
///
/// for group in admin.list_groups(AdminOptions::default()).await? {
///     println!("group {} ({})", group.group_id, group.protocol_type);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct AdminClient {
    metadata: MetadataClient,
    config: AdminConfig,
    /// The group coordinators found so far (shared by clones).
    coordinators: Coordinators,
}

impl AdminClient {
    /// An admin client for `config`'s cluster, with `default.api.timeout.ms` at its default.
    /// Connects lazily; must be called within a Tokio runtime.
    pub fn new(config: ClientConfig) -> Result<AdminClient> {
        AdminClient::with_config(config, AdminConfig::default())
    }

    /// An admin client with both settings given.
    pub fn with_config(config: ClientConfig, admin: AdminConfig) -> Result<AdminClient> {
        Ok(AdminClient {
            metadata: MetadataClient::new(BrokerPool::new(config)?),
            config: admin,
            coordinators: Coordinators::default(),
        })
    }

    /// An admin client from Kafka-style keys: those of [`ClientConfig`] plus
    /// `default.api.timeout.ms`. An unknown key is an error.
    pub fn from_properties<I, K, V>(properties: I) -> Result<AdminClient>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut client = ClientConfigBuilder::default();
        let mut admin = AdminConfig::default();
        properties
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
            .collect::<Properties>()
            .apply_all_as(Client::Admin, &mut [&mut client, &mut admin])?;
        AdminClient::with_config(client.build()?, admin)
    }

    /// The metadata client underneath (cluster view, connections).
    pub fn metadata(&self) -> &MetadataClient {
        &self.metadata
    }

    /// A snapshot of the admin client's connection metrics (Java's `admin-client-metrics`
    /// connection group; see [`crate::metrics`]). Clones share them.
    ///
    /// ```no_run
    /// # async fn demo(admin: kafkito::AdminClient) -> kafkito::Result<()> {
    /// admin.list_groups(Default::default()).await?;
    /// let m = admin.metrics();
    /// println!("{} connections open, {} requests", m.connection_count, m.request_total);
    /// # Ok(()) }
    /// ```
    pub fn metrics(&self) -> crate::metrics::ConnectionMetrics {
        self.metadata.pool().connection_metrics()
    }

    /// Closes every connection; later calls fail with [`Error::Closed`](crate::Error::Closed).
    pub fn close(&self) {
        self.metadata.pool().close();
    }

    fn timeout(&self, options: Option<Duration>) -> Duration {
        options.unwrap_or(self.config.default_api_timeout)
    }
}

#[cfg(test)]
mod tests;
