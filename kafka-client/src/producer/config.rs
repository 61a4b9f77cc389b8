//! The producer's settings: [`ProducerConfig`] with Java's keys and defaults, its builder, and
//! the cross-field rules of idempotence (`enable.idempotence` needs `acks=all`, `retries > 0`
//! and at most 5 requests in flight per connection), and of transactions (`transactional.id`
//! implies idempotence and conflicts with `enable.idempotence=false`).
//!
//! String keys go through the shared [`Properties`] bag: the client section
//! ([`ClientConfigBuilder`]) takes its keys, this section takes the producer's, and whatever is
//! left is an unknown key (see [`crate::config`]).

use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::records::Compression;

use crate::config::keys::Client;
use crate::config::{ApplyProperties, ClientConfig, ClientConfigBuilder, Properties};
use crate::error::{Error, Result};
use crate::producer::hook::ProducerHook;
use crate::producer::partitioner::{Partitioner, PartitionerKind};

/// `acks`: how many replicas must have a record before the broker answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Acks {
    /// `acks=0`: the broker does not answer; offsets are unknown (`-1`).
    None,
    /// `acks=1`: the leader has written it.
    Leader,
    /// `acks=all` (or `-1`): every in-sync replica has it. The default, and required by
    /// idempotence.
    #[default]
    All,
}

impl Acks {
    /// The value of the Produce request's `acks` field.
    pub fn wire(self) -> i16 {
        match self {
            Acks::None => 0,
            Acks::Leader => 1,
            Acks::All => -1,
        }
    }
}

/// The most requests per connection idempotence allows: the broker keeps the last five
/// batches' sequences per producer and partition.
pub const MAX_IN_FLIGHT_FOR_IDEMPOTENCE: usize = 5;

/// Producer settings. Field names mirror Kafka's keys; defaults are Java's (4.x).
///
/// ```
/// use std::time::Duration;
/// use kafkito::producer::{Acks, ProducerConfig};
///
/// let config = ProducerConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
///     ("linger.ms", "20"),
///     ("compression.type", "lz4"),
///     ("acks", "all"),
/// ])?;
/// assert_eq!(config.linger, Duration::from_millis(20));
/// assert_eq!(config.acks, Acks::All);
/// assert!(config.enable_idempotence);
///
/// let err = ProducerConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
///     ("enable.idempotence", "true"),
///     ("acks", "1"),
/// ])
/// .unwrap_err();
/// assert!(err.to_string().contains("acks"));
/// # Ok::<(), kafkito::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Connection, security and metadata settings (`request.timeout.ms`,
    /// `max.in.flight.requests.per.connection`, `retry.backoff.ms` live here).
    pub client: ClientConfig,
    /// `acks`.
    pub acks: Acks,
    /// `linger.ms`: how long a batch waits for more records before it is sent.
    pub linger: Duration,
    /// `batch.size`: a batch is sent once it holds this many bytes.
    pub batch_size: usize,
    /// `buffer.memory`: bytes of records the producer holds before `send` waits.
    pub buffer_memory: usize,
    /// `max.block.ms`: how long `send` may wait for buffer space or the topic's metadata.
    pub max_block: Duration,
    /// `compression.type`.
    pub compression: Compression,
    /// `compression.level` (or `compression.<codec>.level`); `None` is the codec's default.
    pub compression_level: Option<i32>,
    /// `max.request.size`: the largest Produce request, and so the largest record.
    pub max_request_size: usize,
    /// `delivery.timeout.ms`: how long after `send` a record may take to be acknowledged,
    /// retries included.
    pub delivery_timeout: Duration,
    /// `retries`: how often a failed batch is retried (within `delivery.timeout.ms`).
    pub retries: u32,
    /// `enable.idempotence`: exactly-once delivery per partition (producer id and sequences).
    pub enable_idempotence: bool,
    /// `partitioner.class`: the built-in partitioner.
    pub partitioner: PartitionerKind,
    /// `partitioner.ignore.keys`: keyed records are spread like keyless ones.
    pub partitioner_ignore_keys: bool,
    /// A partitioner of the application's own; wins over `partitioner`.
    pub custom_partitioner: Option<Arc<dyn Partitioner>>,
    /// `transactional.id`: makes the producer transactional (see
    /// [`Producer::init_transactions`](crate::producer::Producer::init_transactions)). Implies
    /// `enable.idempotence=true` and `acks=all`.
    pub transactional_id: Option<String>,
    /// `transaction.timeout.ms`: how long the transaction coordinator lets a transaction stay
    /// open before it aborts it (sent in InitProducerId).
    pub transaction_timeout: Duration,
    /// The application's [`ProducerHook`]s, called in this order (see
    /// [`with_hook`](Self::with_hook)). Empty by default, and then free.
    pub hooks: Vec<Arc<dyn ProducerHook>>,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            client: ClientConfig::default(),
            acks: Acks::All,
            linger: Duration::from_millis(5),
            batch_size: 16_384,
            buffer_memory: 32 * 1024 * 1024,
            max_block: Duration::from_millis(60_000),
            compression: Compression::None,
            compression_level: None,
            max_request_size: 1_048_576,
            delivery_timeout: Duration::from_millis(120_000),
            retries: i32::MAX as u32,
            enable_idempotence: true,
            partitioner: PartitionerKind::Default,
            partitioner_ignore_keys: false,
            custom_partitioner: None,
            transactional_id: None,
            transaction_timeout: Duration::from_millis(60_000),
            hooks: Vec::new(),
        }
    }
}

impl ProducerConfig {
    /// Every producer-specific string key (the client's are [`ClientConfig::KEYS`]).
    pub const KEYS: &'static [&'static str] = &[
        "acks",
        "linger.ms",
        "batch.size",
        "buffer.memory",
        "max.block.ms",
        "compression.type",
        "compression.level",
        "compression.gzip.level",
        "compression.lz4.level",
        "compression.zstd.level",
        "max.request.size",
        "delivery.timeout.ms",
        "retries",
        "enable.idempotence",
        "partitioner.class",
        "partitioner",
        "partitioner.ignore.keys",
        "transactional.id",
        "transaction.timeout.ms",
    ];

    /// A builder starting from the defaults.
    pub fn builder() -> ProducerConfigBuilder {
        ProducerConfigBuilder::default()
    }

    /// Builds and validates a config from Kafka-style keys (client and producer keys in one
    /// bag). Fails with [`Error::Config`] naming the key.
    pub fn from_properties<I, K, V>(properties: I) -> Result<ProducerConfig>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        ProducerConfigBuilder::default()
            .set_all(properties)?
            .build()
    }

    /// Adds `hook` after the hooks already registered: every record sent passes through
    /// each hook's [`on_send`](ProducerHook::on_send) in registration order, and each
    /// acknowledgement through their
    /// [`on_acknowledgement`](ProducerHook::on_acknowledgement).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use kafkito::producer::ProducerHook;
    /// use kafkito::{ProducerConfig, ProducerRecord};
    ///
    /// struct Origin;
    ///
    /// impl ProducerHook for Origin {
    ///     fn on_send(&self, record: &mut ProducerRecord) {
    ///         *record = std::mem::take(record).header("origin", "billing");
    ///     }
    /// }
    ///
    /// let config = ProducerConfig::from_properties([("bootstrap.servers", "localhost:9092")])?
    ///     .with_hook(Arc::new(Origin));
    /// assert_eq!(config.hooks.len(), 1);
    /// # Ok::<(), kafkito::Error>(())
    /// ```
    pub fn with_hook(mut self, hook: Arc<dyn ProducerHook>) -> Self {
        self.hooks.push(hook);
        self
    }

    /// The partitioner this config asks for.
    pub fn build_partitioner(&self) -> Arc<dyn Partitioner> {
        if let Some(custom) = &self.custom_partitioner {
            return custom.clone();
        }
        match (self.partitioner, self.partitioner_ignore_keys) {
            (PartitionerKind::Default, true) => PartitionerKind::UniformSticky.build(),
            (kind, _) => kind.build(),
        }
    }

    /// Checks the rules a hand-filled config must keep (the builder also resolves defaults
    /// the user did not set, as Java does).
    pub fn validate(&self) -> Result<()> {
        self.client.validate()?;
        if self.batch_size == 0 {
            return Err(Error::config("batch.size", "must be in 1..=2147483647"));
        }
        if self.max_request_size == 0 {
            return Err(Error::config(
                "max.request.size",
                "must be in 1..=2147483647",
            ));
        }
        if self.buffer_memory == 0 {
            return Err(Error::config(
                "buffer.memory",
                "must be in 1..=9223372036854775807",
            ));
        }
        if let Some(level) = self.compression_level {
            self.compression
                .check_level(level)
                .map_err(|why| Error::config("compression.level", why))?;
        }
        if let Some(id) = &self.transactional_id {
            if id.is_empty() {
                return Err(Error::config("transactional.id", "must not be empty"));
            }
            if !self.enable_idempotence {
                return Err(Error::config(
                    "enable.idempotence",
                    "must be true when transactional.id is set",
                ));
            }
            if self.transaction_timeout.is_zero()
                || self.transaction_timeout.as_millis() > i32::MAX as u128
            {
                return Err(Error::config(
                    "transaction.timeout.ms",
                    "must be between 1 and 2147483647",
                ));
            }
        }
        if self.enable_idempotence {
            if self.acks != Acks::All {
                return Err(Error::config(
                    "acks",
                    "must be `all` when enable.idempotence is true",
                ));
            }
            if self.retries == 0 {
                return Err(Error::config(
                    "retries",
                    "must be above 0 when enable.idempotence is true",
                ));
            }
            if self.client.max_in_flight_requests_per_connection > MAX_IN_FLIGHT_FOR_IDEMPOTENCE {
                return Err(Error::config(
                    "max.in.flight.requests.per.connection",
                    format!(
                        "must be at most {MAX_IN_FLIGHT_FOR_IDEMPOTENCE} when enable.idempotence is true"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Builds a [`ProducerConfig`] from typed setters and string keys.
///
/// ```
/// use std::time::Duration;
/// use kafkito::producer::{Acks, ProducerConfig};
///
/// let config = ProducerConfig::builder()
///     .bootstrap_servers(["localhost:9092"])
///     .linger(Duration::from_millis(10))
///     .set("compression.type", "zstd")?
///     .acks(Acks::Leader) // turns idempotence off, as idempotence was not asked for
///     .build()?;
/// assert!(!config.enable_idempotence);
/// # Ok::<(), kafkito::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ProducerConfigBuilder {
    client: ClientConfigBuilder,
    config: ProducerConfig,
    explicit: Explicit,
}

/// Which settings the user gave, for Java's rule: idempotence turned on *explicitly* fails on
/// conflicting settings, while the default just turns itself off.
#[derive(Debug, Clone, Copy, Default)]
struct Explicit {
    idempotence: bool,
    delivery_timeout: bool,
}

impl ProducerConfigBuilder {
    /// Sets one Kafka-style key (client or producer).
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
            .apply_all_as(Client::Producer, &mut [&mut client, &mut self])?;
        self.client = client;
        Ok(self)
    }

    /// The client section, for settings without a producer-level setter.
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

    /// `acks`.
    pub fn acks(mut self, acks: Acks) -> Self {
        self.config.acks = acks;
        self
    }

    /// `linger.ms`.
    pub fn linger(mut self, linger: Duration) -> Self {
        self.config.linger = linger;
        self
    }

    /// `batch.size`.
    pub fn batch_size(mut self, bytes: usize) -> Self {
        self.config.batch_size = bytes;
        self
    }

    /// `buffer.memory`.
    pub fn buffer_memory(mut self, bytes: usize) -> Self {
        self.config.buffer_memory = bytes;
        self
    }

    /// `max.block.ms`.
    pub fn max_block(mut self, max_block: Duration) -> Self {
        self.config.max_block = max_block;
        self
    }

    /// `compression.type`.
    pub fn compression(mut self, compression: Compression) -> Self {
        self.config.compression = compression;
        self
    }

    /// `compression.level`: refused at build time unless this build compresses at exactly
    /// that level (see [`Compression::check_level`]).
    pub fn compression_level(mut self, level: Option<i32>) -> Self {
        self.config.compression_level = level;
        self
    }

    /// `max.request.size`.
    pub fn max_request_size(mut self, bytes: usize) -> Self {
        self.config.max_request_size = bytes;
        self
    }

    /// `delivery.timeout.ms`.
    pub fn delivery_timeout(mut self, timeout: Duration) -> Self {
        self.config.delivery_timeout = timeout;
        self.explicit.delivery_timeout = true;
        self
    }

    /// `retries`.
    pub fn retries(mut self, retries: u32) -> Self {
        self.config.retries = retries;
        self
    }

    /// `enable.idempotence`.
    pub fn enable_idempotence(mut self, enable: bool) -> Self {
        self.config.enable_idempotence = enable;
        self.explicit.idempotence = true;
        self
    }

    /// `partitioner.class`.
    pub fn partitioner(mut self, kind: PartitionerKind) -> Self {
        self.config.partitioner = kind;
        self
    }

    /// `partitioner.ignore.keys`.
    pub fn partitioner_ignore_keys(mut self, ignore: bool) -> Self {
        self.config.partitioner_ignore_keys = ignore;
        self
    }

    /// A partitioner of the application's own.
    pub fn custom_partitioner(mut self, partitioner: Arc<dyn Partitioner>) -> Self {
        self.config.custom_partitioner = Some(partitioner);
        self
    }

    /// `transactional.id`: makes the producer transactional.
    pub fn transactional_id(mut self, id: impl Into<String>) -> Self {
        self.config.transactional_id = Some(id.into());
        self
    }

    /// `transaction.timeout.ms`.
    pub fn transaction_timeout(mut self, timeout: Duration) -> Self {
        self.config.transaction_timeout = timeout;
        self
    }

    /// `max.in.flight.requests.per.connection`.
    pub fn max_in_flight_requests_per_connection(mut self, max: usize) -> Self {
        self.client = self.client.max_in_flight_requests_per_connection(max);
        self
    }

    /// `request.timeout.ms`.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.client = self.client.request_timeout(timeout);
        self
    }

    /// Resolves defaults against each other (as Java's `ProducerConfig.postProcessParsedConfig`)
    /// and checks the rules.
    pub fn build(self) -> Result<ProducerConfig> {
        let mut config = self.config;
        config.client = self.client.build()?;
        if config.transactional_id.is_some() && config.enable_idempotence {
            // Java: a transactional producer needs idempotence, so settings that conflict with
            // it are errors even when idempotence itself was left at its default.
            if config.acks != Acks::All {
                return Err(Error::config(
                    "acks",
                    "must be `all` when transactional.id is set",
                ));
            }
        } else if config.enable_idempotence && !self.explicit.idempotence {
            // Java: idempotence is on by default, but quietly off when other settings the user
            // chose conflict with it.
            let conflicts = config.acks != Acks::All
                || config.retries == 0
                || config.client.max_in_flight_requests_per_connection
                    > MAX_IN_FLIGHT_FOR_IDEMPOTENCE;
            if conflicts {
                config.enable_idempotence = false;
            }
        }
        let minimum = config.linger.saturating_add(config.client.request_timeout);
        if config.delivery_timeout < minimum {
            if self.explicit.delivery_timeout {
                return Err(Error::config(
                    "delivery.timeout.ms",
                    format!(
                        "must be at least linger.ms + request.timeout.ms ({} ms)",
                        minimum.as_millis()
                    ),
                ));
            }
            config.delivery_timeout = minimum;
        }
        config.validate()?;
        Ok(config)
    }
}

const ACKS: &[(&str, Acks)] = &[
    ("all", Acks::All),
    ("-1", Acks::All),
    ("1", Acks::Leader),
    ("0", Acks::None),
];

const COMPRESSIONS: &[(&str, Compression)] = &[
    ("none", Compression::None),
    ("gzip", Compression::Gzip),
    ("snappy", Compression::Snappy),
    ("lz4", Compression::Lz4),
    ("zstd", Compression::Zstd),
];

fn parse_level(v: &str) -> Result<i32, String> {
    v.parse::<i32>()
        .map_err(|_| format!("expected an integer level, got `{v}`"))
}

impl ApplyProperties for ProducerConfigBuilder {
    fn apply_properties(&mut self, props: &mut Properties) -> Result<()> {
        let c = &mut self.config;
        if let Some(id) = props.take_string("transactional.id") {
            c.transactional_id = Some(id);
        }
        if let Some(timeout) = props.take_duration_ms("transaction.timeout.ms")? {
            c.transaction_timeout = timeout;
        }
        if let Some(acks) = props.take_enum("acks", ACKS)? {
            c.acks = acks;
        }
        if let Some(linger) = props.take_duration_ms("linger.ms")? {
            c.linger = linger;
        }
        if let Some(size) = props.take_usize("batch.size")? {
            c.batch_size = size;
        }
        if let Some(size) = props.take_u64("buffer.memory")? {
            c.buffer_memory = usize::try_from(size).unwrap_or(usize::MAX);
        }
        if let Some(block) = props.take_duration_ms("max.block.ms")? {
            c.max_block = block;
        }
        if let Some(compression) = props.take_enum("compression.type", COMPRESSIONS)? {
            c.compression = compression;
        }
        // The codec-specific keys (KIP-390) are applied only for the chosen codec, after it is
        // known; the generic one applies to any.
        // A level this build cannot honour is refused here, naming the key that set it.
        let checked = |key: &str, codec: Compression, level: i32| {
            codec
                .check_level(level)
                .map(|()| level)
                .map_err(|why| Error::config(key, why))
        };
        let mut level = match props.take_parsed("compression.level", parse_level)? {
            Some(l) => Some(checked("compression.level", c.compression, l)?),
            None => None,
        };
        for (key, codec) in [
            ("compression.gzip.level", Compression::Gzip),
            ("compression.lz4.level", Compression::Lz4),
            ("compression.zstd.level", Compression::Zstd),
        ] {
            if let Some(l) = props.take_parsed(key, parse_level)? {
                // As in Java, a codec's own key counts only when that codec is chosen.
                if c.compression == codec {
                    level = Some(checked(key, codec, l)?);
                }
            }
        }
        if level.is_some() {
            c.compression_level = level;
        }
        if let Some(size) = props.take_usize("max.request.size")? {
            c.max_request_size = size;
        }
        if let Some(timeout) = props.take_duration_ms("delivery.timeout.ms")? {
            c.delivery_timeout = timeout;
            self.explicit.delivery_timeout = true;
        }
        if let Some(retries) = props.take_u32("retries")? {
            c.retries = retries;
        }
        if let Some(enable) = props.take_bool("enable.idempotence")? {
            c.enable_idempotence = enable;
            self.explicit.idempotence = true;
        }
        for key in ["partitioner.class", "partitioner"] {
            if let Some(kind) = props.take_parsed(key, |v| {
                PartitionerKind::parse(v).ok_or_else(|| {
                    format!("expected `default`, `round-robin`, `uniform-sticky` or a Java partitioner class, got `{v}`")
                })
            })? {
                c.partitioner = kind;
            }
        }
        if let Some(ignore) = props.take_bool("partitioner.ignore.keys")? {
            c.partitioner_ignore_keys = ignore;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![("bootstrap.servers", "localhost:9092")]
    }

    fn with(extra: &[(&'static str, &'static str)]) -> Result<ProducerConfig> {
        let mut props = base();
        props.extend_from_slice(extra);
        ProducerConfig::from_properties(props)
    }

    #[test]
    fn java_defaults() {
        let c = with(&[]).unwrap();
        assert_eq!(c.acks, Acks::All);
        assert_eq!(c.linger, Duration::from_millis(5));
        assert_eq!(c.batch_size, 16_384);
        assert_eq!(c.buffer_memory, 32 << 20);
        assert_eq!(c.max_block, Duration::from_secs(60));
        assert_eq!(c.delivery_timeout, Duration::from_secs(120));
        assert_eq!(c.retries, i32::MAX as u32);
        assert!(c.enable_idempotence);
        assert_eq!(c.max_request_size, 1_048_576);
        assert_eq!(c.compression, Compression::None);
    }

    #[test]
    fn parses_every_key() {
        let c = with(&[
            ("acks", "1"),
            ("linger.ms", "7"),
            ("batch.size", "1000"),
            ("buffer.memory", "2000000"),
            ("max.block.ms", "10"),
            ("compression.type", "gzip"),
            ("compression.gzip.level", "9"),
            ("compression.zstd.level", "3"),
            ("max.request.size", "5000"),
            ("delivery.timeout.ms", "60000"),
            ("retries", "3"),
            (
                "partitioner.class",
                "org.apache.kafka.clients.producer.RoundRobinPartitioner",
            ),
            ("partitioner.ignore.keys", "true"),
            ("max.in.flight.requests.per.connection", "10"),
        ])
        .unwrap();
        assert_eq!(c.acks, Acks::Leader);
        assert_eq!(c.linger, Duration::from_millis(7));
        assert_eq!(c.batch_size, 1000);
        assert_eq!(c.buffer_memory, 2_000_000);
        assert_eq!(c.compression, Compression::Gzip);
        assert_eq!(c.compression_level, Some(9));
        assert_eq!(c.max_request_size, 5000);
        assert_eq!(c.retries, 3);
        assert_eq!(c.partitioner, PartitionerKind::RoundRobin);
        assert!(c.partitioner_ignore_keys);
        assert!(
            !c.enable_idempotence,
            "default idempotence yields to acks=1"
        );
        assert_eq!(with(&[("acks", "-1")]).unwrap().acks, Acks::All);
        assert_eq!(with(&[("acks", "0")]).unwrap().acks, Acks::None);
    }

    #[test]
    fn compression_levels_are_honoured_or_refused_by_key() {
        let ok = with(&[("compression.type", "lz4"), ("compression.lz4.level", "9")]).unwrap();
        assert_eq!(ok.compression_level, Some(9));
        for (codec, key, value) in [
            ("lz4", "compression.lz4.level", "12"),
            ("lz4", "compression.level", "3"),
            ("gzip", "compression.gzip.level", "10"),
            ("snappy", "compression.level", "1"),
        ] {
            let err = with(&[("compression.type", codec), (key, value)]).unwrap_err();
            assert!(
                matches!(&err, Error::Config { key: k, .. } if k == key),
                "{codec} {key}={value}: {err}"
            );
        }
        // Another codec's key is not used, so not refused (as in Java).
        with(&[
            ("compression.type", "gzip"),
            ("compression.lz4.level", "12"),
        ])
        .unwrap();
        // The typed setter is checked when the config is built.
        let err = ProducerConfig::builder()
            .bootstrap_servers(["localhost:9092"])
            .compression(Compression::Lz4)
            .compression_level(Some(1))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("compression.level"), "{err}");
    }

    #[test]
    fn explicit_idempotence_conflicts_are_errors() {
        for (key, value) in [
            ("acks", "1"),
            ("retries", "0"),
            ("max.in.flight.requests.per.connection", "6"),
        ] {
            let err = with(&[("enable.idempotence", "true"), (key, value)]).unwrap_err();
            assert!(
                matches!(&err, Error::Config { key: k, .. } if k == key),
                "{key}: {err}"
            );
        }
        assert!(with(&[("enable.idempotence", "false"), ("acks", "0")]).is_ok());
    }

    #[test]
    fn transactional_id_implies_idempotence() {
        let c = with(&[
            ("transactional.id", "tx"),
            ("transaction.timeout.ms", "9000"),
        ])
        .unwrap();
        assert_eq!(c.transactional_id.as_deref(), Some("tx"));
        assert_eq!(c.transaction_timeout, Duration::from_secs(9));
        assert!(c.enable_idempotence);
        assert_eq!(c.acks, Acks::All);
        assert_eq!(
            with(&[]).unwrap().transaction_timeout,
            Duration::from_secs(60)
        );
        let err = with(&[("transactional.id", "tx"), ("enable.idempotence", "false")]).unwrap_err();
        assert!(
            matches!(err, Error::Config { ref key, .. } if key == "enable.idempotence"),
            "{err}"
        );
        let err = with(&[("transactional.id", "tx"), ("acks", "1")]).unwrap_err();
        assert!(
            matches!(err, Error::Config { ref key, .. } if key == "acks"),
            "{err}"
        );
        let err = with(&[("transactional.id", "tx"), ("retries", "0")]).unwrap_err();
        assert!(
            matches!(err, Error::Config { ref key, .. } if key == "retries"),
            "{err}"
        );
        let err = with(&[("transactional.id", "")]).unwrap_err();
        assert!(
            matches!(err, Error::Config { ref key, .. } if key == "transactional.id"),
            "{err}"
        );
    }

    #[test]
    fn rejects_bad_and_unknown_keys() {
        let err = with(&[("compression.type", "brotli")]).unwrap_err();
        assert!(matches!(err, Error::Config { ref key, .. } if key == "compression.type"));
        let err = with(&[("lingr.ms", "5")]).unwrap_err();
        assert!(matches!(err, Error::Config { ref key, .. } if key == "lingr.ms"));
        let err = with(&[("partitioner.class", "com.Foo")]).unwrap_err();
        assert!(matches!(err, Error::Config { ref key, .. } if key == "partitioner.class"));
    }

    #[test]
    fn delivery_timeout_covers_linger_and_request_timeout() {
        let err = with(&[("delivery.timeout.ms", "1000")]).unwrap_err();
        assert!(matches!(err, Error::Config { ref key, .. } if key == "delivery.timeout.ms"));
        let c = with(&[("request.timeout.ms", "200000")]).unwrap();
        assert_eq!(c.delivery_timeout, Duration::from_millis(200_005));
    }

    #[test]
    fn builder_setters() {
        let c = ProducerConfig::builder()
            .bootstrap_servers(["h:1"])
            .batch_size(10)
            .enable_idempotence(false)
            .acks(Acks::None)
            .build()
            .unwrap();
        assert_eq!(c.batch_size, 10);
        assert_eq!(c.acks, Acks::None);
    }
}
