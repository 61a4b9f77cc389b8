//! The consumer: of partitions the application chooses ([`Consumer::assign`]) or of those its
//! group gives it ([`Consumer::subscribe`], classic or KIP-848 group protocol).
//!
//! | module | owns |
//! | --- | --- |
//! | [`config`] | [`ConsumerConfig`]: Kafka's keys and defaults |
//! | [`subscription`] | [`SubscriptionState`]: assignment, positions, pauses, watermarks (plain data) |
//! | [`fetcher`] | Fetch requests per leader, their tasks, [`CompletedFetch`] / [`FetchBuffer`], read_committed |
//! | [`offsets`] | resets and lookups (ListOffsets), committed offsets (OffsetFetch), commits (OffsetCommit) |
//! | `committer` | the ordered commit queue: every commit sent one at a time, in call order |
//! | [`group`] | the two group engines (`group/classic/`, `group/kip848/`): membership state machines, the tasks driving them, assignors |
//! | [`listener`] | [`RebalanceListener`]: the application's awaited hook into rebalances |
//! | [`hook`] | [`ConsumerHook`]: the application's hook into records, commits and rebalances |
//!
//! [`Consumer`] itself is written in three files, one `impl Consumer` block each:
//!
//! | file | owns |
//! | --- | --- |
//! | `mod.rs` | the handle: construction, assign / subscribe, seek / pause, positions, offset lookups, commits, close |
//! | `poll.rs` | the poll loop: positions to look up and validate (KIP-320), Fetches to send, their answers |
//! | `rebalance.rs` | applying what the group task reports: revoke / assign / lose, the listener's calls |
//!
//! [`Consumer::poll`] first applies the assignment changes the group task reported (revoke →
//! commit if auto commit is on, await the listener's `on_revoked`, then drop; assign → add,
//! `on_assigned`; lost → drop without commit, `on_lost`), then
//! gives every partition without a position one (the committed offset when there is a
//! `group.id`, else `auto.offset.reset`), then returns buffered records, sending the next
//! Fetches before it returns so that they are under way while the application works (see
//! [`fetcher`]). The group task heartbeats on its own, so a slow application stays in the group
//! until `max.poll.interval.ms`.
//!
//! Unit tests sit with what they test: inline at the bottom of the file while they are short,
//! in a sibling `<module>/tests.rs` once they run past about 250 lines (`fetcher/tests.rs`,
//! `group/classic/membership/tests.rs`, …). Tests that drive the whole consumer on crafted
//! answers or a scripted fake broker are named by topic beside it (`fetch_edge_tests.rs`,
//! `lookup_tests.rs`, `startup_tests.rs`).

mod committer;
pub mod config;
#[cfg(test)]
mod fetch_edge_tests;
pub mod fetcher;
pub mod group;
mod group_metadata;
pub mod hook;
pub mod listener;
#[cfg(test)]
mod lookup_tests;
pub mod offsets;
mod poll;
mod rebalance;
#[cfg(test)]
mod startup_tests;
mod stats;
pub mod subscription;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::records::{RecordHeader, TimestampType};
use kafkito_protocol::ErrorCode;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::admin::{AdminClient, AdminConfig, OffsetSpec};
use crate::cluster::{MetadataClient, RefreshWaiter};
use crate::error::{Error, Result};
use crate::metrics::{ConsumerSensors, Publisher};

pub use crate::types::{IsolationLevel, OffsetAndMetadata, TopicPartition};
pub use config::{ConsumerConfig, ConsumerConfigBuilder, OffsetReset};
pub use fetcher::{CompletedFetch, FetchBuffer};
pub use group_metadata::ConsumerGroupMetadata;
pub use hook::ConsumerHook;
pub use listener::RebalanceListener;
pub use offsets::OffsetAndTimestamp;
pub use subscription::{LogTruncation, SubscriptionState};

use fetcher::{FetchOutcome, FetchSettings};
use group::consumer_protocol::ConsumerProtocolConfig;
use group::coordinator::{GroupCommand, GroupEvent, GroupHandle};
use group::membership::{CommitGeneration, CommitRejected, GroupConfig};
use listener::ListenerSlot;
use rebalance::ListenerCall;
use subscription::TopicPattern;

/// A record read from a partition. Key, value and header values are slices of the Fetch
/// response (no copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerRecord {
    /// The topic (shared by the records of one fetch).
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The record's offset.
    pub offset: i64,
    /// Milliseconds since the epoch (-1 when the record has none).
    pub timestamp: i64,
    /// Whether `timestamp` is the producer's or the broker's.
    pub timestamp_type: TimestampType,
    /// The key; `None` is a null key.
    pub key: Option<Bytes>,
    /// The value; `None` is a null value (a tombstone).
    pub value: Option<Bytes>,
    /// The headers, in order.
    pub headers: Vec<RecordHeader>,
    /// The leader epoch of the record's batch, when the broker set one.
    pub leader_epoch: Option<i32>,
}

impl ConsumerRecord {
    /// The record's partition as a [`TopicPartition`].
    pub fn topic_partition(&self) -> TopicPartition {
        TopicPartition::new(&*self.topic, self.partition)
    }
}

/// A change of a subscribed consumer's assignment, in the order the group made it (see
/// [`Consumer::rebalance_events`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RebalanceEvent {
    /// These partitions were added to the assignment.
    Assigned(Vec<TopicPartition>),
    /// These were given up in good order (their offsets were committed first when
    /// `enable.auto.commit` is on).
    Revoked(Vec<TopicPartition>),
    /// These were lost (the member fell out of the group): someone else may own them already,
    /// so their offsets were not committed.
    Lost(Vec<TopicPartition>),
}

/// A Kafka consumer of manually assigned partitions ([`Consumer::assign`]) or of the
/// partitions its group gives it ([`Consumer::subscribe`]).
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use std::time::Duration;
/// use kafkito::consumer::{Consumer, ConsumerConfig, TopicPartition};
///
/// let config = ConsumerConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
///     ("group.id", "billing"),
///     ("auto.offset.reset", "earliest"),
/// ])?;
/// let mut consumer = Consumer::new(config).await?;
/// consumer.assign([TopicPartition::new("orders", 0), TopicPartition::new("orders", 1)])?;
/// loop {
///     let records = consumer.poll(Duration::from_secs(1)).await?;
///     for record in &records {
///         println!("{}-{}@{}: {:?}", record.topic, record.partition, record.offset, record.value);
///     }
///     if !records.is_empty() {
///         consumer.commit_sync().await?;
///     }
/// #   break;
/// }
/// consumer.close().await?;
/// # Ok(()) }
/// ```
///
/// # Closing and dropping
///
/// [`close`](Consumer::close) is the orderly end: it calls the listener's `on_revoked` for
/// what is still owned, commits (with `enable.auto.commit`), leaves the group, all within
/// `default.api.timeout.ms` even when the brokers are unreachable.
///
/// Dropping a subscribed consumer without `close` is allowed and deliberately friendly to
/// dynamic members: the group's background task sees the consumer gone and sends a
/// best-effort LeaveGroup on its own (bounded by `request.timeout.ms`, on the runtime the
/// consumer was created in; if that runtime is gone too, nothing is sent and the group waits
/// out `session.timeout.ms`). So the group rebalances at once instead of a session later. No
/// offsets are committed and no listener is called on drop: a drop is treated like a crash,
/// and the next owner resumes from the last commit. A **static** member
/// (`group.instance.id`, KIP-345) never sends LeaveGroup, on drop or on close: its
/// partitions wait for it (up to `session.timeout.ms`) so that a restart does not rebalance
/// the group.
#[derive(Debug)]
pub struct Consumer {
    config: Arc<ConsumerConfig>,
    admin: AdminClient,
    metadata: MetadataClient,
    subscriptions: SubscriptionState,
    buffer: FetchBuffer,
    settings: FetchSettings,
    /// Brokers with a Fetch in flight, and the partitions in it.
    in_flight: HashMap<i32, Vec<TopicPartition>>,
    outcomes_tx: mpsc::UnboundedSender<FetchOutcome>,
    outcomes: mpsc::UnboundedReceiver<FetchOutcome>,
    /// The assignment changed: its topics must be added to the metadata refreshes.
    topics_changed: bool,
    /// The metadata refresh asked for when a fetchable partition had no known leader: with
    /// nothing in flight, `poll` waits for it (not a blind `retry.backoff.ms`).
    leader_refresh: Option<RefreshWaiter>,
    /// An error a Fetch answer carried, surfaced by the next `poll`.
    pending_error: Option<Error>,
    next_auto_commit: Instant,
    /// The group task, once [`Consumer::subscribe`] was called.
    group: Option<GroupHandle>,
    /// Assignment changes applied by `poll`, not yet taken by the application.
    rebalance_events: VecDeque<RebalanceEvent>,
    /// Partitions were lost and no assignment came since: a commit must fail.
    partitions_lost: bool,
    /// The application's rebalance listener.
    listener: ListenerSlot,
    /// A listener call is under way: `poll` refuses, and commits do not apply group events.
    in_listener: bool,
    /// While a revocation is handled: the generation its partitions were owned in, which
    /// commits carry (the group task holds the JoinGroup until the revocation is done).
    revoking: Option<CommitGeneration>,
    /// Group events received while `poll` waited for fetches, not yet applied.
    group_backlog: VecDeque<GroupEvent>,
    /// The group membership failed for good: every `poll` returns this.
    fatal: Option<Error>,
    /// Log truncations detected and recovered from, not yet taken by the application.
    log_truncations: VecDeque<LogTruncation>,
    /// After a failed position validation (OffsetForLeaderEpoch), not before this.
    validation_retry_at: Option<Instant>,
    /// Fetch answers taken in so far (part of what [`poll::PassInputs`] compares).
    outcomes_handled: u64,
    /// What the last complete pass of `send_fetches` saw: while nothing it reads changed,
    /// another pass would send nothing.
    fetch_pass: Option<poll::PassInputs>,
    /// What the last pass of `validate_positions` over the leader epochs saw.
    epoch_pass: Option<poll::PassInputs>,
    /// The subscription's change count when no partition waited for a position.
    positions_settled: Option<u64>,
    /// The subscription's change count when no position waited for validation.
    validation_settled: Option<u64>,
    /// The ordered commit queue, when there is a `group.id`.
    committer: Option<committer::Committer>,
    /// What the consumer counts (see [`crate::metrics`]), shared with its fetch tasks, commit
    /// queue and group task.
    sensors: Arc<ConsumerSensors>,
    /// Publishes the metrics with the `metrics` feature; stops with the consumer.
    _publisher: Publisher,
}

impl Consumer {
    /// A consumer for `config`. Connects lazily (the first `poll`); must be called within a
    /// Tokio runtime.
    pub async fn new(config: ConsumerConfig) -> Result<Consumer> {
        config.validate()?;
        let admin = AdminClient::with_config(
            config.client.clone(),
            AdminConfig {
                default_api_timeout: config.default_api_timeout,
            },
        )?;
        let metadata = admin.metadata().clone();
        let settings = FetchSettings {
            max_wait: config.fetch_max_wait,
            min_bytes: config.fetch_min_bytes,
            max_bytes: config.fetch_max_bytes,
            partition_max_bytes: config.max_partition_fetch_bytes,
            read_committed: config.isolation_level == IsolationLevel::ReadCommitted,
            rack_id: config.client_rack.clone(),
        };
        let (outcomes_tx, outcomes) = mpsc::unbounded_channel();
        let sensors = Arc::new(ConsumerSensors::new(&config.client));
        let committer = config.group_id.clone().map(|group| {
            committer::Committer::start(
                metadata.clone(),
                group,
                sensors.clone(),
                config.hooks.clone(),
            )
        });
        let publisher = stats::publisher(&config, &sensors, metadata.pool());
        Ok(Consumer {
            committer,
            sensors,
            _publisher: publisher,
            subscriptions: SubscriptionState::new(
                config.auto_offset_reset,
                config.group_id.is_some(),
            ),
            next_auto_commit: Instant::now() + config.auto_commit_interval,
            config: Arc::new(config),
            admin,
            metadata,
            buffer: FetchBuffer::default(),
            settings,
            in_flight: HashMap::new(),
            outcomes_tx,
            outcomes,
            topics_changed: false,
            leader_refresh: None,
            pending_error: None,
            group: None,
            rebalance_events: VecDeque::new(),
            partitions_lost: false,
            listener: ListenerSlot::default(),
            in_listener: false,
            revoking: None,
            group_backlog: VecDeque::new(),
            fatal: None,
            log_truncations: VecDeque::new(),
            validation_retry_at: None,
            outcomes_handled: 0,
            fetch_pass: None,
            epoch_pass: None,
            positions_settled: None,
            validation_settled: None,
        })
    }

    /// The config this consumer runs with.
    pub fn config(&self) -> &ConsumerConfig {
        &self.config
    }

    /// Reads exactly `partitions` from now on (replacing the previous assignment). Partitions
    /// kept keep their position; new ones start at the committed offset (with a `group.id`)
    /// or by `auto.offset.reset`.
    pub fn assign(&mut self, partitions: impl IntoIterator<Item = TopicPartition>) -> Result<()> {
        if self.group.is_some() {
            return Err(Error::config(
                "assign",
                "the consumer is subscribed: its group assigns its partitions",
            ));
        }
        let partitions: Vec<TopicPartition> = partitions.into_iter().collect();
        if let Some(tp) = partitions.iter().find(|tp| tp.topic.is_empty()) {
            return Err(Error::config("assign", format!("empty topic name in {tp}")));
        }
        self.subscriptions.assign(partitions);
        let subscriptions = &self.subscriptions;
        self.buffer.retain(|f| subscriptions.is_assigned(&f.tp));
        self.topics_changed = true;
        Ok(())
    }

    /// Joins the consumer's group (`group.id` is required) to read `topics`, replacing the
    /// previous subscription; an empty list leaves the group. The group's coordinator assigns
    /// the partitions: `poll` applies each change (see [`Consumer::rebalance_events`]) and
    /// starts new partitions at their committed offsets. A background task heartbeats however
    /// slowly the application polls, but a consumer that does not poll within
    /// `max.poll.interval.ms` leaves the group (and rejoins at its next poll).
    ///
    /// ```no_run
    /// # async fn demo() -> kafkito::Result<()> {
    /// use std::time::Duration;
    /// use kafkito::consumer::{Consumer, ConsumerConfig};
    ///
    /// let config = ConsumerConfig::from_properties([
    ///     ("bootstrap.servers", "localhost:9092"),
    ///     ("group.id", "billing"),
    /// ])?;
    /// let mut consumer = Consumer::new(config).await?;
    /// consumer.subscribe(&["orders"])?;
    /// let records = consumer.poll(Duration::from_secs(1)).await?;
    /// for event in consumer.rebalance_events() {
    ///     println!("{event:?}");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn subscribe(&mut self, topics: &[&str]) -> Result<()> {
        if let Some(topic) = topics.iter().find(|t| t.is_empty()) {
            return Err(Error::config(
                "subscribe",
                format!("empty topic name {topic:?}"),
            ));
        }
        self.start_group()?;
        let topics = topics.iter().map(|t| (*t).to_owned()).collect();
        if let Some(group) = &self.group {
            group.send(GroupCommand::Subscribe(topics));
        }
        // As Java's `subscribe(topics)`: no listener unless one is given with these topics.
        self.listener.set(None);
        Ok(())
    }

    /// [`subscribe`](Self::subscribe), with `listener` awaited by `poll` on every change of the
    /// assignment (see [`RebalanceListener`]). Every subscribe call replaces the listener: one
    /// without a listener removes it, as in Java.
    pub fn subscribe_with_listener(
        &mut self,
        topics: &[&str],
        listener: impl RebalanceListener + 'static,
    ) -> Result<()> {
        self.subscribe(topics)?;
        self.listener.set(Some(Box::new(listener)));
        Ok(())
    }

    /// Joins the consumer's group to read every topic whose **whole** name matches `pattern`
    /// (Java's `subscribe(Pattern)`: `orders-.*` matches `orders-eu`, not `old-orders-eu`),
    /// replacing the previous subscription. Internal topics (`__consumer_offsets`, …) are
    /// never included. The cluster's topics are listed at once and again every
    /// `metadata.max.age.ms`: a topic created later that matches joins the subscription (the
    /// member rejoins the group) within that time. While nothing matches, the member stays
    /// out of the group.
    ///
    /// Fails with [`Error::Config`] (key `subscribe_pattern`, naming the pattern) when
    /// `pattern` is not a valid regular expression (Rust `regex` syntax), and (key
    /// `group.protocol`) with `group.protocol=consumer`, whose engine does not take patterns
    /// yet.
    ///
    /// ```no_run
    /// # async fn demo() -> kafkito::Result<()> {
    /// use std::time::Duration;
    /// use kafkito::consumer::{Consumer, ConsumerConfig};
    ///
    /// let config = ConsumerConfig::from_properties([
    ///     ("bootstrap.servers", "localhost:9092"),
    ///     ("group.id", "audit"),
    ///     ("metadata.max.age.ms", "30000"),
    /// ])?;
    /// let mut consumer = Consumer::new(config).await?;
    /// consumer.subscribe_pattern("orders-.*")?;
    /// let records = consumer.poll(Duration::from_secs(1)).await?;
    /// # let _ = records; Ok(()) }
    /// ```
    pub fn subscribe_pattern(&mut self, pattern: &str) -> Result<()> {
        let pattern = TopicPattern::new(pattern)?;
        if self.config.group_protocol == "consumer" {
            // KIP-848 resolves patterns on the broker (SubscribedTopicRegex, v1); not yet
            // sent by this client's engine.
            return Err(Error::config(
                "group.protocol",
                "pattern subscriptions need group.protocol=classic for now",
            ));
        }
        self.start_group()?;
        if let Some(group) = &self.group {
            group.send(GroupCommand::SubscribePattern(pattern));
        }
        self.listener.set(None);
        Ok(())
    }

    /// [`subscribe_pattern`](Self::subscribe_pattern) with a [`RebalanceListener`].
    pub fn subscribe_pattern_with_listener(
        &mut self,
        pattern: &str,
        listener: impl RebalanceListener + 'static,
    ) -> Result<()> {
        self.subscribe_pattern(pattern)?;
        self.listener.set(Some(Box::new(listener)));
        Ok(())
    }

    /// Starts the group task on the first subscribe.
    fn start_group(&mut self) -> Result<()> {
        let group_id = self.group()?;
        if self.group.is_some() {
            return Ok(());
        }
        // Partitions assigned by hand are not the group's.
        self.assign(Vec::new())?;
        if self.config.group_protocol == "consumer" {
            // KIP-848: the broker assigns. Whether the broker has it is checked by the task
            // (the first `poll` fails with a Config error on `group.protocol` if not).
            let config = ConsumerProtocolConfig {
                group_id,
                member_id: String::new(),
                group_instance_id: self.config.group_instance_id.clone(),
                rack_id: Some(self.config.client_rack.clone()).filter(|r| !r.is_empty()),
                rebalance_timeout: self.config.max_poll_interval,
                server_assignor: self.config.group_remote_assignor.clone(),
                retry_backoff: self.config.client.retry_backoff,
            };
            self.group = Some(GroupHandle::start_consumer_protocol_measured(
                self.metadata.clone(),
                config,
                self.config.client.request_timeout,
                self.sensors.clone(),
            ));
            return Ok(());
        }
        let config = GroupConfig {
            group_id,
            group_instance_id: self.config.group_instance_id.clone(),
            session_timeout: self.config.session_timeout,
            max_poll_interval: self.config.max_poll_interval,
            heartbeat_interval: self.config.heartbeat_interval,
            retry_backoff: self.config.client.retry_backoff,
            client_rack: Some(self.config.client_rack.clone()).filter(|r| !r.is_empty()),
        };
        self.group = Some(GroupHandle::start_measured(
            self.metadata.clone(),
            config,
            &self.config.partition_assignment_strategy,
            self.config.client.request_timeout,
            self.config.client.metadata_max_age,
            self.sensors.clone(),
        )?);
        Ok(())
    }

    /// The assignment changes `poll` applied since the last call, oldest first.
    pub fn rebalance_events(&mut self) -> Vec<RebalanceEvent> {
        self.rebalance_events.drain(..).collect()
    }

    /// What a commit must carry: `None` outside group mode; an error when the member may not
    /// commit now (partitions lost, rebalance under way, fatal error).
    fn commit_generation(&self) -> Result<Option<CommitGeneration>> {
        let Some(group) = &self.group else {
            return Ok(None);
        };
        if let Some(generation) = &self.revoking {
            // Inside `on_revoked`: the group task holds the JoinGroup, the generation the
            // partitions were owned in is still the group's.
            return Ok(Some(generation.clone()));
        }
        let state = group.generation.borrow().clone();
        match state {
            Ok(generation) => Ok(Some(generation)),
            Err(CommitRejected::CommitFailed) => Err(commit_failed()),
            Err(CommitRejected::RebalanceInProgress) => Err(Error::Protocol {
                api: ApiKey::OffsetCommit,
                code: ErrorCode::RebalanceInProgress,
                message: Some("a rebalance is under way; commit again after it".into()),
            }),
            Err(CommitRejected::Fatal(code)) => Err(Error::Protocol {
                api: ApiKey::OffsetCommit,
                code,
                message: Some("the member hit a fatal group error".into()),
            }),
        }
    }

    /// The member's place in its group now, for `Producer::send_offsets_to_transaction`
    /// (exactly-once consume-transform-produce). Outside group mode (or before the first join)
    /// it carries only `group.id`.
    pub fn group_metadata(&self) -> Result<ConsumerGroupMetadata> {
        let mut metadata = ConsumerGroupMetadata::new(self.group()?);
        metadata.group_instance_id = self.config.group_instance_id.clone();
        if let Some(group) = &self.group {
            if let Ok(generation) = &*group.generation.borrow() {
                metadata.generation_id = generation.generation_id;
                metadata.member_id = generation.member_id.clone();
            }
        }
        Ok(metadata)
    }

    /// The assigned partitions.
    pub fn assignment(&self) -> Vec<TopicPartition> {
        self.subscriptions.assignment()
    }

    /// Moves the position of `tp` to `offset`; the next `poll` reads from there.
    pub fn seek(&mut self, tp: &TopicPartition, offset: i64) -> Result<()> {
        if offset < 0 {
            return Err(Error::config("seek", format!("negative offset {offset}")));
        }
        if !self.subscriptions.seek(tp, offset) {
            return Err(Error::config(
                "seek",
                format!("{tp} is not assigned to this consumer"),
            ));
        }
        self.buffer.retain(|f| &f.tp != tp);
        Ok(())
    }

    /// Moves the position of `tp` to `offset`, given the leader epoch of the record before it
    /// (as Java's `seek(tp, OffsetAndMetadata)` with a leader epoch, e.g. a position stored
    /// outside Kafka with [`ConsumerRecord::leader_epoch`] of the last record processed).
    /// Before fetching from there, the consumer checks with the partition's leader that its
    /// log still holds that epoch up to `offset` (KIP-320); if it does not, the log was
    /// truncated and the consumer moves back to where the logs agree, reported by
    /// [`log_truncations`](Self::log_truncations) (or, under `auto.offset.reset=none`, `poll`
    /// fails with [`Error::LogTruncation`]).
    pub fn seek_with_epoch(
        &mut self,
        tp: &TopicPartition,
        offset: i64,
        leader_epoch: i32,
    ) -> Result<()> {
        if offset < 0 || leader_epoch < 0 {
            return Err(Error::config(
                "seek",
                format!("negative offset {offset} or leader epoch {leader_epoch}"),
            ));
        }
        if !self
            .subscriptions
            .seek_with_epoch(tp, offset, Some(leader_epoch))
        {
            return Err(Error::config(
                "seek",
                format!("{tp} is not assigned to this consumer"),
            ));
        }
        self.buffer.retain(|f| &f.tp != tp);
        Ok(())
    }

    /// Moves the positions of `tps` to the start of their logs (looked up at the next poll).
    pub fn seek_to_beginning(&mut self, tps: &[TopicPartition]) {
        self.reset(tps, OffsetReset::Earliest);
    }

    /// Moves the positions of `tps` to the end of their logs (looked up at the next poll).
    pub fn seek_to_end(&mut self, tps: &[TopicPartition]) {
        self.reset(tps, OffsetReset::Latest);
    }

    fn reset(&mut self, tps: &[TopicPartition], to: OffsetReset) {
        for tp in tps {
            self.subscriptions.request_reset(tp, to);
        }
        self.buffer.retain(|f| !tps.contains(&f.tp));
    }

    /// Stops returning (and fetching) records of `tps` until [`resume`](Self::resume).
    pub fn pause(&mut self, tps: &[TopicPartition]) {
        for tp in tps {
            self.subscriptions.set_paused(tp, true);
        }
    }

    /// Undoes [`pause`](Self::pause).
    pub fn resume(&mut self, tps: &[TopicPartition]) {
        for tp in tps {
            self.subscriptions.set_paused(tp, false);
        }
    }

    /// The paused partitions.
    pub fn paused(&self) -> Vec<TopicPartition> {
        self.subscriptions.paused()
    }

    /// The offset of the next record `poll` returns for `tp`; `None` if not assigned or not
    /// yet looked up.
    pub fn position(&self, tp: &TopicPartition) -> Option<i64> {
        self.subscriptions.position(tp)
    }

    /// How far `tp`'s position is behind the end of its log (the high watermark, or the last
    /// stable offset under read_committed), as of the last Fetch.
    pub fn lag(&self, tp: &TopicPartition) -> Option<i64> {
        self.subscriptions.lag(tp, self.settings.read_committed)
    }

    /// The first offset still in the log of each of `tps` (their log start offsets), asked
    /// of the leaders now; the partitions need not be assigned. Bounded by
    /// `default.api.timeout.ms`.
    ///
    /// ```no_run
    /// # async fn demo(consumer: &kafkito::consumer::Consumer) -> kafkito::Result<()> {
    /// use kafkito::consumer::TopicPartition;
    ///
    /// let tps = [TopicPartition::new("orders", 0), TopicPartition::new("orders", 1)];
    /// let start = consumer.beginning_offsets(&tps).await?;
    /// let end = consumer.end_offsets(&tps).await?;
    /// let held: i64 = tps.iter().map(|tp| end[tp] - start[tp]).sum();
    /// println!("{held} records held");
    /// # Ok(()) }
    /// ```
    pub async fn beginning_offsets(
        &self,
        tps: &[TopicPartition],
    ) -> Result<HashMap<TopicPartition, i64>> {
        self.look_up_offsets(tps, OffsetSpec::Earliest).await
    }

    /// The end of the log of each of `tps` as this consumer reads it: the high watermark, or
    /// under `isolation.level=read_committed` the last stable offset (the first offset of the
    /// oldest open transaction), as Java's `endOffsets`. Asked of the leaders now.
    pub async fn end_offsets(
        &self,
        tps: &[TopicPartition],
    ) -> Result<HashMap<TopicPartition, i64>> {
        self.look_up_offsets(tps, OffsetSpec::Latest).await
    }

    async fn look_up_offsets(
        &self,
        tps: &[TopicPartition],
        spec: OffsetSpec,
    ) -> Result<HashMap<TopicPartition, i64>> {
        let specs = tps.iter().map(|tp| (tp.clone(), spec)).collect();
        let found = offsets::list(&self.admin, specs, self.config.isolation_level, None).await?;
        found
            .into_iter()
            .map(|(tp, listed)| match listed.offset {
                Some(offset) => Ok((tp, offset)),
                None => Err(Error::Protocol {
                    api: ApiKey::ListOffsets,
                    code: ErrorCode::UnknownServerError,
                    message: Some(format!("the leader gave no offset for {tp}")),
                }),
            })
            .collect()
    }

    /// For each partition, the first offset whose record timestamp is at or after the given
    /// time (milliseconds since the epoch), with that record's timestamp; `None` where no
    /// such record exists (every record is older). As Java's `offsetsForTimes`, asked of the
    /// leaders now, under this consumer's `isolation.level`.
    ///
    /// A negative timestamp is refused ([`Error::Config`]): Kafka reads -1 and -2 as "latest"
    /// and "earliest", which is not what a time means.
    ///
    /// ```no_run
    /// # async fn demo(consumer: &mut kafkito::consumer::Consumer) -> kafkito::Result<()> {
    /// use std::collections::HashMap;
    /// use kafkito::consumer::TopicPartition;
    ///
    /// let tp = TopicPartition::new("orders", 0);
    /// let an_hour_ago = 1_700_000_000_000;
    /// let found = consumer.offsets_for_times(HashMap::from([(tp.clone(), an_hour_ago)])).await?;
    /// if let Some(at) = found[&tp] {
    ///     consumer.seek(&tp, at.offset)?; // replay the last hour (tp must be assigned)
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn offsets_for_times(
        &self,
        times: HashMap<TopicPartition, i64>,
    ) -> Result<HashMap<TopicPartition, Option<OffsetAndTimestamp>>> {
        if let Some((tp, time)) = times.iter().find(|(_, time)| **time < 0) {
            return Err(Error::config(
                "offsets_for_times",
                format!("negative timestamp {time} for {tp}"),
            ));
        }
        let specs = times
            .into_iter()
            .map(|(tp, time)| (tp, OffsetSpec::Timestamp(time)))
            .collect();
        let found = offsets::list(&self.admin, specs, self.config.isolation_level, None).await?;
        Ok(found
            .into_iter()
            .map(|(tp, listed)| {
                let at = listed.offset.map(|offset| OffsetAndTimestamp {
                    offset,
                    timestamp: listed.timestamp.unwrap_or(-1),
                    leader_epoch: listed.leader_epoch,
                });
                (tp, at)
            })
            .collect())
    }

    fn group(&self) -> Result<String> {
        self.config
            .group_id
            .clone()
            .ok_or_else(|| Error::config("group.id", "committed offsets need a group.id"))
    }

    /// The offsets the group committed for `tps`, with the metadata string and leader epoch
    /// committed beside each (`None` where nothing is committed).
    ///
    /// ```no_run
    /// # async fn demo(consumer: &mut kafkito::consumer::Consumer) -> kafkito::Result<()> {
    /// use kafkito::consumer::TopicPartition;
    ///
    /// let tp = TopicPartition::new("orders", 0);
    /// let committed = consumer.committed(std::slice::from_ref(&tp)).await?;
    /// if let Some(found) = &committed[&tp] {
    ///     println!("resume {tp} at {} ({:?})", found.offset, found.metadata);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn committed(
        &mut self,
        tps: &[TopicPartition],
    ) -> Result<HashMap<TopicPartition, Option<OffsetAndMetadata>>> {
        let group = self.group()?;
        offsets::committed(&self.admin, &group, tps).await
    }

    /// Commits the current positions (after what `poll` returned) of the assignment, once
    /// every commit made before it is done (see [`Consumer::commit_async`]).
    ///
    /// In group mode the commit carries the member's generation; it fails with
    /// [`ErrorCode::IllegalGeneration`] ("commit failed") after the member lost its partitions,
    /// and with [`ErrorCode::RebalanceInProgress`] during a rebalance.
    pub async fn commit_sync(&mut self) -> Result<()> {
        self.group()?;
        self.apply_group_events().await?;
        let positions = self.positions_to_commit(|_| true);
        let generation = self.checked_generation(positions.is_empty())?;
        self.queue_commit(positions, generation).await
    }

    /// Commits the given offsets (each the offset of the next record to read), once every
    /// commit made before it is done. Takes plain offsets or [`OffsetAndMetadata`] (to store a
    /// metadata string beside an offset, which [`Consumer::committed`] returns):
    ///
    /// ```no_run
    /// # async fn demo(consumer: &mut kafkito::consumer::Consumer) -> kafkito::Result<()> {
    /// use std::collections::HashMap;
    /// use kafkito::consumer::{OffsetAndMetadata, TopicPartition};
    ///
    /// let tp = TopicPartition::new("orders", 0);
    /// consumer.commit_offsets_sync(HashMap::from([(tp.clone(), 42)])).await?;
    /// let noted = OffsetAndMetadata::new(43).with_metadata("invoice-run-7");
    /// consumer.commit_offsets_sync(HashMap::from([(tp, noted)])).await?;
    /// # Ok(()) }
    /// ```
    pub async fn commit_offsets_sync<O: Into<OffsetAndMetadata>>(
        &mut self,
        offsets: impl IntoIterator<Item = (TopicPartition, O)>,
    ) -> Result<()> {
        self.commit_offsets_async(offsets).await
    }

    /// Commits the current positions in the background. The positions are taken now.
    ///
    /// Commits — async, sync, automatic — are sent one at a time in the order they were
    /// made: a commit starts only once the one before it succeeded or failed for good, so an
    /// older position never lands after (and overwrites) a newer one, even when a commit is
    /// retried. The returned future gives this commit's outcome; it need not be awaited, and
    /// dropping it does not cancel the commit.
    pub fn commit_async(&mut self) -> impl Future<Output = Result<()>> + Send + 'static {
        let positions = self.positions_to_commit(|_| true);
        self.commit_offsets_async(positions)
    }

    /// Commits the given offsets in the background, in call order with every other commit
    /// (see [`Consumer::commit_async`]).
    pub fn commit_offsets_async<O: Into<OffsetAndMetadata>>(
        &mut self,
        offsets: impl IntoIterator<Item = (TopicPartition, O)>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let offsets: BTreeMap<TopicPartition, OffsetAndMetadata> = offsets
            .into_iter()
            .map(|(tp, offset)| (tp, offset.into()))
            .collect();
        let queued = self
            .group()
            .and_then(|_| self.checked_generation(offsets.is_empty()))
            .and_then(|generation| self.checked_offsets(&offsets).map(|()| generation))
            .map(|generation| self.queue_commit(offsets, generation));
        async move { queued?.await }
    }

    /// The positions of the assigned partitions that `keep` selects, as commits.
    fn positions_to_commit(
        &self,
        keep: impl Fn(&TopicPartition) -> bool,
    ) -> BTreeMap<TopicPartition, OffsetAndMetadata> {
        self.subscriptions
            .all_positions()
            .into_iter()
            .filter(|(tp, _)| keep(tp))
            .map(|(tp, offset)| {
                // The epoch of the last consumed record goes with the offset (KIP-320), so that
                // whoever resumes from it can validate it against the leader's log.
                let epoch = self.subscriptions.get(&tp).and_then(|s| s.offset_epoch);
                let commit = OffsetAndMetadata::new(offset).with_leader_epoch(epoch);
                (tp, commit)
            })
            .collect()
    }

    /// A negative offset is no position: Kafka would store it and every later reader of the
    /// group would reset.
    fn checked_offsets(&self, offsets: &BTreeMap<TopicPartition, OffsetAndMetadata>) -> Result<()> {
        match offsets.iter().find(|(_, o)| o.offset < 0) {
            Some((tp, o)) => Err(Error::config(
                "offsets",
                format!("cannot commit negative offset {} for {tp}", o.offset),
            )),
            None => Ok(()),
        }
    }

    /// Queues a commit behind every earlier one (see [`committer`]).
    fn queue_commit(
        &self,
        offsets: BTreeMap<TopicPartition, OffsetAndMetadata>,
        generation: Option<CommitGeneration>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let queued = match (&self.committer, offsets.is_empty()) {
            (_, true) => None,
            (Some(committer), false) => {
                Some(committer.submit(offsets, generation, self.config.default_api_timeout))
            }
            (None, false) => {
                return futures::future::Either::Left(futures::future::ready(Err(Error::config(
                    "group.id",
                    "committed offsets need a group.id",
                ))))
            }
        };
        futures::future::Either::Right(async move {
            match queued {
                Some(commit) => commit.await,
                None => Ok(()),
            }
        })
    }

    /// [`Consumer::commit_generation`] for a commit of `offsets`: an empty commit is a no-op
    /// (as in Java) unless partitions were lost since the last assignment.
    fn checked_generation(&self, empty: bool) -> Result<Option<CommitGeneration>> {
        match self.commit_generation() {
            Err(_) if empty && !self.partitions_lost => Ok(None),
            other => other,
        }
    }

    fn maybe_auto_commit(&mut self) {
        if !self.config.enable_auto_commit || self.config.group_id.is_none() {
            return;
        }
        let now = Instant::now();
        if now >= self.next_auto_commit {
            self.next_auto_commit = now + self.config.auto_commit_interval;
            drop(self.commit_async());
        }
    }

    /// Ends the consumer in good order, within `default.api.timeout.ms` in all (even when the
    /// brokers are unreachable): applies the group's pending changes, calls the listener's
    /// `on_revoked` for the partitions still owned, commits the positions when
    /// `enable.auto.commit` (and a `group.id`) asks for it, leaves the group when subscribed
    /// (a static member sends no LeaveGroup, KIP-345), then closes the connections.
    ///
    /// Returns the commit's (or the listener's) error, or [`Error::Timeout`] when that work
    /// ran out of time; the group is left and the connections closed in every case. See
    /// [`Consumer`] for dropping without `close`.
    pub async fn close(mut self) -> Result<()> {
        let timeout = self.config.default_api_timeout;
        let deadline = Instant::now() + timeout;
        let result = match tokio::time::timeout_at(deadline, self.close_work()).await {
            Ok(result) => result,
            Err(_) => {
                warn!(
                    ?timeout,
                    "close ran out of default.api.timeout.ms before committing"
                );
                Err(Error::Timeout {
                    what: "closing the consumer (commit, on_revoked)".into(),
                    after: timeout,
                })
            }
        };
        if let Some(group) = self.group.take() {
            group
                .leave(deadline.saturating_duration_since(Instant::now()))
                .await;
        }
        self.admin.close();
        debug!("consumer closed");
        result
    }

    /// `close` up to leaving the group.
    async fn close_work(&mut self) -> Result<()> {
        if self.group.is_some() {
            if let Err(error) = self.apply_group_events().await {
                // A member that failed for good (e.g. fenced) has nothing to commit; a
                // listener's error is reported, but closing goes on.
                if self.fatal.is_some() {
                    return Ok(());
                }
                warn!(%error, "applying the last group changes failed while closing");
            }
            let owned = self.subscriptions.assignment();
            if !owned.is_empty() && !self.partitions_lost {
                if self.listener.is_set() {
                    self.call_listener(ListenerCall::Revoked, &owned).await?;
                }
                hook::rebalanced(&self.config.hooks, &RebalanceEvent::Revoked(owned));
            }
        }
        if self.config.enable_auto_commit && self.config.group_id.is_some() {
            self.commit_sync().await?;
        }
        Ok(())
    }
}

/// Java's `CommitFailedException`: the member is no longer in the generation its partitions
/// were assigned in.
fn commit_failed() -> Error {
    Error::CommitFailed {
        reason: "the member is not in a generation of its group (its partitions were lost, or \
                 it has not joined yet)"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    //! The handle without a broker; [`consumer`] and [`tp`] serve the poll loop's and the
    //! rebalance application's tests too.

    use super::*;

    /// A subscribed-capable consumer (group `g`, static member `instance-7`, no auto commit)
    /// whose bootstrap address nothing listens on: nothing here needs a broker.
    pub(super) async fn consumer() -> Consumer {
        let config = ConsumerConfig::from_properties([
            ("bootstrap.servers", "127.0.0.1:1"),
            ("group.id", "g"),
            ("enable.auto.commit", "false"),
            ("group.instance.id", "instance-7"),
        ])
        .unwrap();
        Consumer::new(config).await.unwrap()
    }

    /// Partition `p` of `orders`.
    pub(super) fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("orders", p)
    }

    #[tokio::test]
    async fn subscribe_pattern_rejects_an_invalid_regex_by_name() {
        let mut consumer = consumer().await;
        let err = consumer.subscribe_pattern("orders-[").unwrap_err();
        assert!(
            matches!(&err, Error::Config { key, reason } if key == "subscribe_pattern" && reason.contains("orders-[")),
            "{err}"
        );
        assert!(consumer.group.is_none(), "nothing was started");
    }
}
