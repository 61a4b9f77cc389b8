//! The consumer's settings: [`ConsumerConfig`] with Java's keys and defaults, and its builder.
//!
//! String keys go through the shared [`Properties`] bag, as for the producer: the client
//! section ([`ClientConfigBuilder`]) takes its keys, this section takes the consumer's, and
//! whatever is left is an unknown key. The group keys (`session.timeout.ms`, …) are used by
//! [`Consumer::subscribe`](super::Consumer::subscribe); manual assignment does not use them
//! (but does auto-commit, see [`ConsumerConfig::enable_auto_commit`]).

use std::sync::Arc;
use std::time::Duration;

use crate::config::keys::Client;
use crate::config::{ApplyProperties, ClientConfig, ClientConfigBuilder, Properties};
use crate::consumer::hook::ConsumerHook;
use crate::error::{Error, Result};
use crate::types::IsolationLevel;

/// `auto.offset.reset`: where to start when a partition has no valid position (nothing
/// committed, or the position is out of the log's range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OffsetReset {
    /// The first offset still in the log.
    Earliest,
    /// The end of the log: only records written from now on. Java's default.
    #[default]
    Latest,
    /// No automatic reset: `poll` fails with [`Error::NoOffsetForPartition`] or
    /// [`Error::OffsetOutOfRange`].
    None,
}

/// Consumer settings. Field names mirror Kafka's keys; defaults are Java's (4.x).
///
/// ```
/// use std::time::Duration;
/// use kafkito::consumer::{ConsumerConfig, OffsetReset};
///
/// let config = ConsumerConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
///     ("group.id", "billing"),
///     ("auto.offset.reset", "earliest"),
///     ("fetch.max.wait.ms", "100"),
/// ])?;
/// assert_eq!(config.auto_offset_reset, OffsetReset::Earliest);
/// assert_eq!(config.fetch_max_wait, Duration::from_millis(100));
/// # Ok::<(), kafkito::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// Connection, security and metadata settings.
    pub client: ClientConfig,
    /// `group.id`: needed for `subscribe`, `committed` and the commits.
    pub group_id: Option<String>,
    /// `max.poll.records`: the most records one `poll` returns.
    pub max_poll_records: usize,
    /// `auto.offset.reset`.
    pub auto_offset_reset: OffsetReset,
    /// `fetch.min.bytes`: the broker waits for this much data (or `fetch.max.wait.ms`).
    pub fetch_min_bytes: i32,
    /// `fetch.max.bytes`: the most data one Fetch response holds (soft: one batch always fits).
    pub fetch_max_bytes: i32,
    /// `max.partition.fetch.bytes`: the most data per partition in one Fetch response.
    pub max_partition_fetch_bytes: i32,
    /// `fetch.max.wait.ms`: how long the broker may hold a Fetch waiting for data.
    pub fetch_max_wait: Duration,
    /// `isolation.level`.
    pub isolation_level: IsolationLevel,
    /// `enable.auto.commit`: with a `group.id`, `poll` commits the positions every
    /// `auto.commit.interval.ms`, and `close` commits them once more, whether the partitions
    /// come from [`Consumer::subscribe`](super::Consumer::subscribe) or from
    /// [`Consumer::assign`](super::Consumer::assign) (a standalone commit there, as in Java).
    /// Without a `group.id` nothing is committed.
    pub enable_auto_commit: bool,
    /// `auto.commit.interval.ms`.
    pub auto_commit_interval: Duration,
    /// `check.crcs`: verify each batch's CRC-32C.
    pub check_crcs: bool,
    /// `client.rack`: sent in Fetch (v11+) for follower fetching.
    pub client_rack: String,
    /// `default.api.timeout.ms`: the deadline of offset lookups and `commit_sync`.
    pub default_api_timeout: Duration,
    /// `session.timeout.ms` (group membership).
    pub session_timeout: Duration,
    /// `heartbeat.interval.ms` (group membership).
    pub heartbeat_interval: Duration,
    /// `max.poll.interval.ms` (group membership).
    pub max_poll_interval: Duration,
    /// `partition.assignment.strategy` (group membership).
    pub partition_assignment_strategy: Vec<String>,
    /// `group.instance.id` (static membership).
    pub group_instance_id: Option<String>,
    /// `group.protocol`: `classic` or `consumer` (stored).
    pub group_protocol: String,
    /// `group.remote.assignor`: with `group.protocol=consumer`, the server-side assignor this
    /// member asks for (e.g. `uniform` or `range`); `None` leaves the choice to the broker
    /// (its `group.consumer.assignors`, first one by default).
    pub group_remote_assignor: Option<String>,
    /// The application's [`ConsumerHook`]s, called in this order (see
    /// [`with_hook`](Self::with_hook)). Empty by default, and then free.
    pub hooks: Vec<Arc<dyn ConsumerHook>>,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        ConsumerConfig {
            client: ClientConfig::default(),
            group_id: None,
            max_poll_records: 500,
            auto_offset_reset: OffsetReset::Latest,
            fetch_min_bytes: 1,
            fetch_max_bytes: 52_428_800,
            max_partition_fetch_bytes: 1_048_576,
            fetch_max_wait: Duration::from_millis(500),
            isolation_level: IsolationLevel::ReadUncommitted,
            enable_auto_commit: true,
            auto_commit_interval: Duration::from_millis(5_000),
            check_crcs: true,
            client_rack: String::new(),
            default_api_timeout: Duration::from_millis(60_000),
            session_timeout: Duration::from_millis(45_000),
            heartbeat_interval: Duration::from_millis(3_000),
            max_poll_interval: Duration::from_millis(300_000),
            partition_assignment_strategy: vec![
                "range".to_owned(),
                "cooperative-sticky".to_owned(),
            ],
            group_instance_id: None,
            group_protocol: "classic".to_owned(),
            group_remote_assignor: None,
            hooks: Vec::new(),
        }
    }
}

impl ConsumerConfig {
    /// Every consumer-specific string key (the client's are [`ClientConfig::KEYS`]).
    pub const KEYS: &'static [&'static str] = &[
        "group.id",
        "max.poll.records",
        "auto.offset.reset",
        "fetch.min.bytes",
        "fetch.max.bytes",
        "max.partition.fetch.bytes",
        "fetch.max.wait.ms",
        "isolation.level",
        "enable.auto.commit",
        "auto.commit.interval.ms",
        "check.crcs",
        "client.rack",
        "default.api.timeout.ms",
        "session.timeout.ms",
        "heartbeat.interval.ms",
        "max.poll.interval.ms",
        "partition.assignment.strategy",
        "group.instance.id",
        "group.protocol",
        "group.remote.assignor",
    ];

    /// Adds `hook` after the hooks already registered: each is called, in registration order,
    /// with the records every `poll` returns, every commit's outcome and every rebalance (see
    /// [`ConsumerHook`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kafkito::consumer::{ConsumerConfig, ConsumerHook, ConsumerRecord};
    ///
    /// struct OnlyValues;
    ///
    /// impl ConsumerHook for OnlyValues {
    ///     fn on_consume(&self, records: &mut Vec<ConsumerRecord>) {
    ///         records.retain(|r| r.value.is_some());
    ///     }
    /// }
    ///
    /// let config = ConsumerConfig::from_properties([("bootstrap.servers", "localhost:9092")])?
    ///     .with_hook(Arc::new(OnlyValues));
    /// assert_eq!(config.hooks.len(), 1);
    /// # Ok::<(), kafkito::Error>(())
    /// ```
    pub fn with_hook(mut self, hook: Arc<dyn ConsumerHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// A builder starting from the defaults.
    pub fn builder() -> ConsumerConfigBuilder {
        ConsumerConfigBuilder::default()
    }

    /// Builds and validates a config from Kafka-style keys (client and consumer keys in one
    /// bag). Fails with [`Error::Config`] naming the key.
    pub fn from_properties<I, K, V>(properties: I) -> Result<ConsumerConfig>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        ConsumerConfigBuilder::default()
            .set_all(properties)?
            .build()
    }

    /// Checks the rules a hand-filled config must keep.
    pub fn validate(&self) -> Result<()> {
        self.client.validate()?;
        if self.max_poll_records == 0 {
            return Err(Error::config(
                "max.poll.records",
                "must be in 1..=2147483647",
            ));
        }
        if self.fetch_max_bytes <= 0 {
            return Err(Error::config(
                "fetch.max.bytes",
                "must be in 1..=2147483647",
            ));
        }
        if self.max_partition_fetch_bytes <= 0 {
            return Err(Error::config(
                "max.partition.fetch.bytes",
                "must be in 1..=2147483647",
            ));
        }
        if self.fetch_max_wait.as_millis() > i32::MAX as u128 {
            return Err(Error::config("fetch.max.wait.ms", "must fit an int"));
        }
        if matches!(self.group_id.as_deref(), Some("")) {
            return Err(Error::config("group.id", "must not be empty when set"));
        }
        Ok(())
    }
}

/// Builds a [`ConsumerConfig`] from typed setters and string keys.
///
/// ```
/// use kafkito::consumer::{ConsumerConfig, OffsetReset};
///
/// let config = ConsumerConfig::builder()
///     .bootstrap_servers(["localhost:9092"])
///     .group_id("billing")
///     .auto_offset_reset(OffsetReset::Earliest)
///     .set("max.poll.records", "100")?
///     .build()?;
/// assert_eq!(config.max_poll_records, 100);
/// # Ok::<(), kafkito::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConsumerConfigBuilder {
    client: ClientConfigBuilder,
    config: ConsumerConfig,
}

impl ConsumerConfigBuilder {
    /// Sets one Kafka-style key (client or consumer).
    pub fn set(self, key: &str, value: &str) -> Result<Self> {
        self.set_all([(key, value)])
    }

    /// Sets many Kafka-style keys, failing on the first unknown key or bad value.
    pub fn set_all<I, K, V>(mut self, properties: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut client = std::mem::take(&mut self.client);
        properties
            .into_iter()
            .collect::<Properties>()
            .apply_all_as(Client::Consumer, &mut [&mut client, &mut self])?;
        self.client = client;
        Ok(self)
    }

    /// The client section, for settings without a consumer-level setter.
    pub fn client(mut self, f: impl FnOnce(ClientConfigBuilder) -> ClientConfigBuilder) -> Self {
        self.client = f(self.client);
        self
    }

    /// `bootstrap.servers`.
    pub fn bootstrap_servers<S: Into<String>>(
        mut self,
        servers: impl IntoIterator<Item = S>,
    ) -> Self {
        self.client = self.client.bootstrap_servers(servers);
        self
    }

    /// `group.id`.
    pub fn group_id(mut self, group_id: impl Into<String>) -> Self {
        self.config.group_id = Some(group_id.into());
        self
    }

    /// `max.poll.records`.
    pub fn max_poll_records(mut self, max: usize) -> Self {
        self.config.max_poll_records = max;
        self
    }

    /// `auto.offset.reset`.
    pub fn auto_offset_reset(mut self, reset: OffsetReset) -> Self {
        self.config.auto_offset_reset = reset;
        self
    }

    /// `fetch.max.wait.ms`.
    pub fn fetch_max_wait(mut self, wait: Duration) -> Self {
        self.config.fetch_max_wait = wait;
        self
    }

    /// `isolation.level`.
    pub fn isolation_level(mut self, level: IsolationLevel) -> Self {
        self.config.isolation_level = level;
        self
    }

    /// Checks the rules and returns the config.
    pub fn build(self) -> Result<ConsumerConfig> {
        let mut config = self.config;
        config.client = self.client.build()?;
        config.validate()?;
        Ok(config)
    }
}

const RESETS: &[(&str, OffsetReset)] = &[
    ("earliest", OffsetReset::Earliest),
    ("latest", OffsetReset::Latest),
    ("none", OffsetReset::None),
];

const ISOLATION_LEVELS: &[(&str, IsolationLevel)] = &[
    ("read_uncommitted", IsolationLevel::ReadUncommitted),
    ("read_committed", IsolationLevel::ReadCommitted),
];

fn take_i32(props: &mut Properties, key: &str) -> Result<Option<i32>> {
    Ok(props.take_u32(key)?.map(|n| n as i32))
}

impl ApplyProperties for ConsumerConfigBuilder {
    fn apply_properties(&mut self, props: &mut Properties) -> Result<()> {
        let c = &mut self.config;
        if let Some(group) = props.take_string("group.id") {
            // Java treats an empty group.id as none.
            c.group_id = (!group.is_empty()).then_some(group);
        }
        if let Some(n) = props.take_usize("max.poll.records")? {
            c.max_poll_records = n;
        }
        if let Some(reset) = props.take_enum("auto.offset.reset", RESETS)? {
            c.auto_offset_reset = reset;
        }
        if let Some(n) = take_i32(props, "fetch.min.bytes")? {
            c.fetch_min_bytes = n;
        }
        if let Some(n) = take_i32(props, "fetch.max.bytes")? {
            c.fetch_max_bytes = n;
        }
        if let Some(n) = take_i32(props, "max.partition.fetch.bytes")? {
            c.max_partition_fetch_bytes = n;
        }
        if let Some(d) = props.take_duration_ms("fetch.max.wait.ms")? {
            c.fetch_max_wait = d;
        }
        if let Some(level) = props.take_enum("isolation.level", ISOLATION_LEVELS)? {
            c.isolation_level = level;
        }
        if let Some(b) = props.take_bool("enable.auto.commit")? {
            c.enable_auto_commit = b;
        }
        if let Some(d) = props.take_duration_ms("auto.commit.interval.ms")? {
            c.auto_commit_interval = d;
        }
        if let Some(b) = props.take_bool("check.crcs")? {
            c.check_crcs = b;
        }
        if let Some(rack) = props.take_string("client.rack") {
            c.client_rack = rack;
        }
        if let Some(d) = props.take_duration_ms("default.api.timeout.ms")? {
            c.default_api_timeout = d;
        }
        if let Some(d) = props.take_duration_ms("session.timeout.ms")? {
            c.session_timeout = d;
        }
        if let Some(d) = props.take_duration_ms("heartbeat.interval.ms")? {
            c.heartbeat_interval = d;
        }
        if let Some(d) = props.take_duration_ms("max.poll.interval.ms")? {
            c.max_poll_interval = d;
        }
        if let Some(list) = props.take_list("partition.assignment.strategy") {
            c.partition_assignment_strategy = list;
        }
        if let Some(id) = props.take_string("group.instance.id") {
            c.group_instance_id = (!id.is_empty()).then_some(id);
        }
        if let Some(protocol) = props.take_enum(
            "group.protocol",
            &[("classic", "classic"), ("consumer", "consumer")],
        )? {
            c.group_protocol = protocol.to_owned();
        }
        if let Some(assignor) = props.take_string("group.remote.assignor") {
            c.group_remote_assignor = (!assignor.is_empty()).then_some(assignor);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_defaults() {
        let c = ConsumerConfig::from_properties([
            ("bootstrap.servers", "localhost:9092"),
            ("group.id", "g"),
            ("max.poll.records", "7"),
            ("auto.offset.reset", "EARLIEST"),
            ("isolation.level", "read_committed"),
            ("fetch.max.wait.ms", "50"),
            ("check.crcs", "false"),
            ("session.timeout.ms", "10000"),
            ("partition.assignment.strategy", "range, roundrobin"),
            ("group.protocol", "consumer"),
            ("group.remote.assignor", "range"),
        ])
        .unwrap();
        assert_eq!(c.group_id.as_deref(), Some("g"));
        assert_eq!(c.max_poll_records, 7);
        assert_eq!(c.auto_offset_reset, OffsetReset::Earliest);
        assert_eq!(c.isolation_level, IsolationLevel::ReadCommitted);
        assert_eq!(c.fetch_max_wait, Duration::from_millis(50));
        assert!(!c.check_crcs);
        assert_eq!(c.session_timeout, Duration::from_secs(10));
        assert_eq!(c.partition_assignment_strategy, ["range", "roundrobin"]);
        assert_eq!(c.group_protocol, "consumer");
        assert_eq!(c.group_remote_assignor.as_deref(), Some("range"));
        let d = ConsumerConfig::default();
        assert_eq!(d.auto_offset_reset, OffsetReset::Latest);
        assert_eq!(d.max_poll_records, 500);
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = ConsumerConfig::from_properties([
            ("bootstrap.servers", "localhost:9092"),
            ("auto.offset.reset", "sometimes"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("auto.offset.reset"), "{err}");
        let err = ConsumerConfig::from_properties([
            ("bootstrap.servers", "localhost:9092"),
            ("max.poll.records", "0"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("max.poll.records"), "{err}");
        let err = ConsumerConfig::from_properties([
            ("bootstrap.servers", "localhost:9092"),
            ("linger.ms", "5"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("linger.ms"), "{err}");
    }
}
