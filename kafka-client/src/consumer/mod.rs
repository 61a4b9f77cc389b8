//! The consumer: of partitions the application chooses ([`Consumer::assign`]) or of those its
//! group gives it ([`Consumer::subscribe`], classic group protocol).
//!
//! | module | owns |
//! | --- | --- |
//! | [`config`] | [`ConsumerConfig`]: Kafka's keys and defaults |
//! | [`subscription`] | [`SubscriptionState`]: assignment, positions, pauses, watermarks (plain data) |
//! | [`fetcher`] | Fetch requests per leader, their tasks, [`CompletedFetch`] / [`FetchBuffer`], read_committed |
//! | [`offsets`] | resets and lookups (ListOffsets), committed offsets (OffsetFetch), commits (OffsetCommit) |
//! | `committer` | the ordered commit queue: every commit sent one at a time, in call order |
//! | [`group`] | membership state machine, assignors, and the background task driving them |
//! | [`listener`] | [`RebalanceListener`]: the application's awaited hook into rebalances |
//!
//! [`Consumer::poll`] first applies the assignment changes the group task reported (revoke →
//! commit if auto commit is on, await the listener's `on_revoked`, then drop; assign → add,
//! `on_assigned`; lost → drop without commit, `on_lost`), then
//! gives every partition without a position one (the committed offset when there is a
//! `group.id`, else `auto.offset.reset`), then returns buffered records, sending the next
//! Fetches before it returns so that they are under way while the application works (see
//! [`fetcher`]). The group task heartbeats on its own, so a slow application stays in the group
//! until `max.poll.interval.ms`.

mod committer;
pub mod config;
#[cfg(test)]
mod fetch_edge_tests;
pub mod fetcher;
pub mod group;
mod group_metadata;
pub mod listener;
#[cfg(test)]
mod lookup_tests;
pub mod offsets;
#[cfg(test)]
mod startup_tests;
pub mod subscription;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;
use kafka_protocol::records::{RecordHeader, TimestampType};
use kafka_protocol::ErrorCode;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::admin::{AdminClient, AdminConfig, OffsetSpec};
use crate::cluster::{Cluster, MetadataClient, RefreshWaiter};
use crate::error::{Error, Result};

pub use crate::admin::{IsolationLevel, OffsetAndMetadata, TopicPartition};
pub use config::{ConsumerConfig, ConsumerConfigBuilder, OffsetReset};
pub use fetcher::{CompletedFetch, FetchBuffer};
pub use group_metadata::ConsumerGroupMetadata;
pub use listener::RebalanceListener;
pub use offsets::OffsetAndTimestamp;
pub use subscription::{LogTruncation, SubscriptionState};

use fetcher::{FetchOutcome, FetchSettings, FetchTask, MAX_FETCH_VERSION};
use group::consumer_protocol::ConsumerProtocolConfig;
use group::coordinator::{GroupCommand, GroupEvent, GroupHandle};
use group::membership::{CommitGeneration, CommitRejected, GroupConfig};
use listener::ListenerSlot;
use subscription::{
    out_of_range_decision, EpochEndOffset, OutOfRangeDecision, PositionSource, TopicPattern,
    ValidationOutcome,
};

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
/// # async fn demo() -> kafka_client::Result<()> {
/// use std::time::Duration;
/// use kafka_client::consumer::{Consumer, ConsumerConfig, TopicPartition};
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
    /// The ordered commit queue, when there is a `group.id`.
    committer: Option<committer::Committer>,
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
        let committer = config
            .group_id
            .clone()
            .map(|group| committer::Committer::start(metadata.clone(), group));
        Ok(Consumer {
            committer,
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
    /// # async fn demo() -> kafka_client::Result<()> {
    /// use std::time::Duration;
    /// use kafka_client::consumer::{Consumer, ConsumerConfig};
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
    /// # async fn demo() -> kafka_client::Result<()> {
    /// use std::time::Duration;
    /// use kafka_client::consumer::{Consumer, ConsumerConfig};
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
                server_assignor: None,
                retry_backoff: self.config.client.retry_backoff,
            };
            self.group = Some(GroupHandle::start_consumer_protocol(
                self.metadata.clone(),
                config,
                self.config.client.request_timeout,
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
        self.group = Some(GroupHandle::start(
            self.metadata.clone(),
            config,
            &self.config.partition_assignment_strategy,
            self.config.client.request_timeout,
            self.config.client.metadata_max_age,
        )?);
        Ok(())
    }

    /// The assignment changes `poll` applied since the last call, oldest first.
    pub fn rebalance_events(&mut self) -> Vec<RebalanceEvent> {
        self.rebalance_events.drain(..).collect()
    }

    /// The next group event to apply: those `poll` already took off the channel first.
    fn next_group_event(&mut self) -> Option<GroupEvent> {
        if let Some(event) = self.group_backlog.pop_front() {
            return Some(event);
        }
        self.group.as_mut()?.events.try_recv().ok()
    }

    /// Applies what the group task reported, in order, awaiting the listener for each change.
    /// A listener's error is returned after its change was applied (the events after it wait
    /// for the next call).
    async fn apply_group_events(&mut self) -> Result<()> {
        if self.in_listener {
            // A commit from inside a listener: the change being handled is not finished.
            return Ok(());
        }
        if let Some(error) = &self.fatal {
            return Err(error.clone());
        }
        while let Some(event) = self.next_group_event() {
            match event {
                GroupEvent::Revoked {
                    partitions,
                    generation,
                    done,
                } => {
                    // No more records of these for the application.
                    self.buffer.retain(|f| !partitions.contains(&f.tp));
                    if let (true, Some(generation)) = (self.config.enable_auto_commit, &generation)
                    {
                        // Commit what was read of the revoked partitions while their
                        // generation is still the group's (the task holds the JoinGroup).
                        let positions = self.positions_to_commit(|tp| partitions.contains(tp));
                        let commit = self.queue_commit(positions, Some(generation.clone()));
                        if let Err(error) = commit.await {
                            warn!(%error, "commit of revoked partitions failed");
                        }
                    }
                    // The listener's commits carry the generation the partitions were owned
                    // in; their positions stay readable until it returns.
                    self.revoking = generation;
                    let result = self.call_listener(ListenerCall::Revoked, &partitions).await;
                    self.revoking = None;
                    self.remove_partitions(&partitions);
                    if let Some(done) = done {
                        let _ = done.send(());
                    }
                    self.rebalance_events
                        .push_back(RebalanceEvent::Revoked(partitions));
                    result?;
                }
                GroupEvent::Assigned(partitions) => {
                    self.partitions_lost = false;
                    let mut next = self.subscriptions.assignment();
                    next.extend(partitions.iter().cloned());
                    self.subscriptions.assign(next);
                    self.topics_changed = true;
                    let result = self
                        .call_listener(ListenerCall::Assigned, &partitions)
                        .await;
                    self.rebalance_events
                        .push_back(RebalanceEvent::Assigned(partitions));
                    result?;
                }
                GroupEvent::Lost(partitions) => {
                    self.partitions_lost = true;
                    self.buffer.retain(|f| !partitions.contains(&f.tp));
                    let result = self.call_listener(ListenerCall::Lost, &partitions).await;
                    self.remove_partitions(&partitions);
                    self.rebalance_events
                        .push_back(RebalanceEvent::Lost(partitions));
                    result?;
                }
                GroupEvent::Fatal(code) => {
                    let instance = self.config.group_instance_id.as_deref();
                    let error = self
                        .fatal
                        .get_or_insert_with(|| group_fatal_error(code, instance))
                        .clone();
                    return Err(error);
                }
                GroupEvent::Failed(error) => {
                    self.fatal = Some(error.clone());
                    return Err(error);
                }
            }
        }
        Ok(())
    }

    /// Awaits the listener (if any) for one change, with the consumer in hand.
    async fn call_listener(
        &mut self,
        call: ListenerCall,
        partitions: &[TopicPartition],
    ) -> Result<()> {
        let Some(mut listener) = self.listener.take() else {
            return Ok(());
        };
        self.in_listener = true;
        let result = match call {
            ListenerCall::Revoked => listener.on_revoked(self, partitions).await,
            ListenerCall::Assigned => listener.on_assigned(self, partitions).await,
            ListenerCall::Lost => listener.on_lost(self, partitions).await,
        };
        self.in_listener = false;
        self.listener.put_back(listener);
        if let Err(error) = &result {
            warn!(?call, %error, "rebalance listener failed");
        }
        result
    }

    fn remove_partitions(&mut self, partitions: &[TopicPartition]) {
        let next: Vec<TopicPartition> = self
            .subscriptions
            .assignment()
            .into_iter()
            .filter(|tp| !partitions.contains(tp))
            .collect();
        self.subscriptions.assign(next);
        let subscriptions = &self.subscriptions;
        self.buffer.retain(|f| subscriptions.is_assigned(&f.tp));
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
                api: "OffsetCommit",
                code: ErrorCode::RebalanceInProgress,
                message: Some("a rebalance is under way; commit again after it".into()),
            }),
            Err(CommitRejected::Fatal(code)) => Err(Error::Protocol {
                api: "OffsetCommit",
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

    /// Up to `max.poll.records` records, waiting up to `timeout` for some; empty when none
    /// came in time. Fails with [`Error::OffsetOutOfRange`],
    /// [`Error::NoOffsetForPartition`] or [`Error::LogTruncation`] under
    /// `auto.offset.reset=none`, and with errors the
    /// broker gives for a partition that retrying will not heal (authorization, …).
    pub async fn poll(&mut self, timeout: Duration) -> Result<Vec<ConsumerRecord>> {
        self.poll_up_to(self.config.max_poll_records, timeout).await
    }

    /// The records one at a time, as a stream (polling as needed). Never ends; an error is
    /// one item and the stream goes on after it. `Unpin`, so `stream.next().await` works.
    pub fn stream(
        &mut self,
    ) -> impl futures::Stream<Item = Result<ConsumerRecord>> + Send + Unpin + '_ {
        // Boxed so that the stream is `Unpin`: `stream.next().await` works without pinning.
        Box::pin(futures::stream::unfold(self, |consumer| async move {
            loop {
                // One record per poll: a record is only taken (and the position moved past
                // it) when the stream hands it out, so dropping the stream loses nothing.
                match consumer.poll_up_to(1, Duration::from_secs(1)).await {
                    Ok(mut records) => {
                        if let Some(record) = records.pop() {
                            return Some((Ok(record), consumer));
                        }
                    }
                    Err(error) => return Some((Err(error), consumer)),
                }
            }
        }))
    }

    async fn poll_up_to(&mut self, max: usize, timeout: Duration) -> Result<Vec<ConsumerRecord>> {
        if self.in_listener {
            return Err(Error::config(
                "poll",
                "poll was called from a rebalance listener; return from the listener first",
            ));
        }
        let deadline = Instant::now() + timeout;
        if let Some(group) = &self.group {
            group.send(GroupCommand::Polled);
        }
        self.maybe_auto_commit();
        loop {
            if let Some(error) = self.pending_error.take() {
                return Err(error);
            }
            self.apply_group_events().await?;
            // Before the offset lookups: they then find the leaders in the view instead of
            // refreshing it themselves, and the fetches after them need no second refresh
            // (which the metadata backoff would hold back by `retry.backoff.ms`).
            if tokio::time::timeout_at(deadline, self.refresh_assigned_topics())
                .await
                .is_err()
            {
                return Ok(Vec::new());
            }
            match tokio::time::timeout_at(deadline, self.update_positions()).await {
                Ok(result) => result?,
                Err(_) => return Ok(Vec::new()),
            }
            match tokio::time::timeout_at(deadline, self.validate_positions()).await {
                Ok(result) => result?,
                Err(_) => return Ok(Vec::new()),
            }
            if let Some(error) = self.pending_error.take() {
                return Err(error);
            }
            while let Ok(outcome) = self.outcomes.try_recv() {
                self.handle_outcome(outcome);
            }
            let records = self.buffer.collect(max, &mut self.subscriptions)?;
            if !records.is_empty() {
                // Pipelining: the next fetches run while the application handles these.
                while let Ok(outcome) = self.outcomes.try_recv() {
                    self.handle_outcome(outcome);
                }
                let _ = tokio::time::timeout_at(deadline, self.send_fetches()).await;
                return Ok(records);
            }
            if self.pending_error.is_some() {
                continue;
            }
            if tokio::time::timeout_at(deadline, self.send_fetches())
                .await
                .is_err()
            {
                return Ok(Vec::new());
            }
            if self.in_flight.is_empty() {
                if let Some(refresh) = self.leader_refresh.take() {
                    // A leader is unknown: look again as soon as the refresh asked for it
                    // answers. The metadata backoff paces refreshes, so a leader that stays
                    // unknown costs one refresh per `retry.backoff.ms`, not a spin.
                    debug!("no fetch in flight; waiting for the metadata refresh");
                    let waited = tokio::time::timeout_at(deadline, refresh.wait()).await;
                    match waited {
                        Err(_) => return Ok(Vec::new()),
                        Ok(Err(Error::Closed)) => return Err(Error::Closed),
                        Ok(Err(error)) => {
                            // Failed refreshes back off in the refresher; retried next round.
                            debug!(%error, "metadata refresh for a leader failed");
                        }
                        Ok(Ok(_)) => {}
                    }
                    continue;
                }
                // Nothing to wait for (all paused, nothing assigned): look again after a
                // backoff rather than spin.
                let wake =
                    (Instant::now() + self.metadata.pool().config().retry_backoff).min(deadline);
                tokio::time::sleep_until(wake).await;
                if Instant::now() >= deadline {
                    return Ok(Vec::new());
                }
                continue;
            }
            // Wait for a Fetch answer, or for the group to change the assignment (so that a
            // revocation is handled at once, not after fetch.max.wait.ms).
            let outcomes = &mut self.outcomes;
            let group = self.group.as_mut();
            let woken = tokio::time::timeout_at(deadline, async move {
                match group {
                    Some(group) => tokio::select! {
                        outcome = outcomes.recv() => Wake::Fetch(outcome),
                        Some(event) = group.events.recv() => Wake::Group(event),
                    },
                    None => Wake::Fetch(outcomes.recv().await),
                }
            })
            .await;
            match woken {
                Ok(Wake::Fetch(Some(outcome))) => self.handle_outcome(outcome),
                Ok(Wake::Fetch(None)) => return Err(Error::Closed),
                Ok(Wake::Group(event)) => self.group_backlog.push_back(event),
                Err(_) => return Ok(Vec::new()),
            }
        }
    }

    /// Gives partitions without a position one: committed offset, else the reset strategy.
    async fn update_positions(&mut self) -> Result<()> {
        let pending = self.subscriptions.pending_positions();
        if pending.is_empty() {
            return Ok(());
        }
        let mut resets = Vec::new();
        let from_committed: Vec<TopicPartition> = pending
            .iter()
            .filter(|(_, source)| *source == PositionSource::Committed)
            .map(|(tp, _)| tp.clone())
            .collect();
        if let (false, Some(group)) = (from_committed.is_empty(), &self.config.group_id) {
            let committed = offsets::committed(&self.admin, group, &from_committed).await?;
            for tp in from_committed {
                match committed.get(&tp).cloned().flatten() {
                    Some(found) => {
                        debug!(%tp, offset = found.offset, epoch = ?found.leader_epoch, "starting at the committed offset");
                        // With the epoch it was committed with, the position is validated
                        // against the leader's log before fetching (KIP-320), as Java does.
                        self.subscriptions
                            .seek_with_epoch(&tp, found.offset, found.leader_epoch);
                    }
                    None => resets.push((tp, self.subscriptions.default_reset())),
                }
            }
        }
        for (tp, source) in pending {
            if let PositionSource::Reset(to) = source {
                resets.push((tp, to));
            }
        }
        if let Some((tp, _)) = resets.iter().find(|(_, to)| *to == OffsetReset::None) {
            return Err(Error::NoOffsetForPartition {
                topic: tp.topic.clone(),
                partition: tp.partition,
            });
        }
        if resets.is_empty() {
            return Ok(());
        }
        let found =
            offsets::reset_offsets(&self.admin, &resets, self.config.isolation_level).await?;
        for (tp, offset) in found {
            info!(%tp, offset, "reset offset");
            self.subscriptions.seek(&tp, offset);
        }
        Ok(())
    }

    /// KIP-320: takes in the leader epochs of the current metadata (a new one marks the
    /// position for validation), then validates the marked positions with their leaders
    /// (OffsetForLeaderEpoch) before they are fetched again. A truncation found is recovered
    /// from (and reported) or, under `auto.offset.reset=none`, left for `poll` to report.
    /// FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH and other retriable failures refresh the
    /// metadata and try again later; they never reset a position.
    async fn validate_positions(&mut self) -> Result<()> {
        let cluster = self.metadata.cluster();
        for tp in self.subscriptions.assignment() {
            let epoch = cluster
                .partition(&tp.topic, tp.partition)
                .and_then(|p| p.leader_epoch);
            if self.subscriptions.update_leader_epoch(&tp, epoch) {
                debug!(%tp, leader_epoch = ?epoch, "new leader epoch; validating the position before fetching on");
                self.buffer.retain(|f| f.tp != tp);
            }
        }
        let awaiting = self.subscriptions.awaiting_validation();
        if awaiting.is_empty()
            || self
                .validation_retry_at
                .is_some_and(|at| Instant::now() < at)
        {
            return Ok(());
        }
        self.validation_retry_at = None;
        let mut by_node: HashMap<i32, Vec<(TopicPartition, i64, i32, i32)>> = HashMap::new();
        for item in awaiting {
            match cluster.leader_for(&item.0.topic, item.0.partition) {
                Some(leader) => by_node.entry(leader.id).or_default().push(item),
                None => {
                    debug!(tp = %item.0, "no known leader to validate the position with");
                    self.leader_refresh = Some(self.metadata.request_refresh());
                }
            }
        }
        for (node, partitions) in by_node {
            if let Err(error) = self.validate_on(node, partitions).await {
                if !error.is_retriable() {
                    return Err(error);
                }
                warn!(node, %error, "position validation failed; will retry");
                self.validation_retry_at =
                    Some(Instant::now() + self.metadata.pool().config().retry_backoff);
                self.leader_refresh = Some(self.metadata.request_refresh());
            }
        }
        Ok(())
    }

    /// One OffsetForLeaderEpoch to `node` for `partitions` (tp, position, epoch of the record
    /// before it, current leader epoch), and what its answers mean.
    async fn validate_on(
        &mut self,
        node: i32,
        partitions: Vec<(TopicPartition, i64, i32, i32)>,
    ) -> Result<()> {
        let connection = self.metadata.pool().connection(node).await?;
        let version = connection
            .version_for(ApiKey::OffsetForLeaderEpoch)
            .ok()
            .filter(|v| *v >= fetcher::MIN_OFFSET_FOR_LEADER_EPOCH_VERSION);
        let Some(version) = version else {
            // A broker that cannot fence a stale leader's answer cannot validate either
            // (Java skips validation then too): fetch on from the position.
            debug!(
                node,
                "broker has no usable OffsetForLeaderEpoch; not validating"
            );
            for (tp, _, _, _) in &partitions {
                self.subscriptions.skip_validation(tp);
            }
            return Ok(());
        };
        let request = fetcher::build_offset_for_leader_epoch_request(
            &partitions
                .iter()
                .map(|(tp, _, epoch, current)| (tp.clone(), *epoch, *current))
                .collect::<Vec<_>>(),
        );
        let started = Instant::now();
        let response = connection.call(&request, version).await?;
        let positions: HashMap<TopicPartition, i64> = partitions
            .into_iter()
            .map(|(tp, position, _, _)| (tp, position))
            .collect();
        for (tp, answer) in fetcher::epoch_end_offsets(response) {
            let Some(&position) = positions.get(&tp) else {
                continue;
            };
            self.apply_epoch_end_offset(&tp, position, answer, started)?;
        }
        Ok(())
    }

    /// What one OffsetForLeaderEpoch answer means for `tp`, validated at `position`.
    fn apply_epoch_end_offset(
        &mut self,
        tp: &TopicPartition,
        position: i64,
        answer: std::result::Result<EpochEndOffset, ErrorCode>,
        started: Instant,
    ) -> Result<()> {
        let backoff = self.metadata.pool().config().retry_backoff;
        match answer {
            Ok(answer) => {
                self.apply_validation(tp, position, answer, false);
                debug!(%tp, position, ?answer, elapsed = ?started.elapsed(), "position validation answered");
            }
            Err(
                code @ (ErrorCode::FencedLeaderEpoch
                | ErrorCode::UnknownLeaderEpoch
                | ErrorCode::NotLeaderOrFollower
                | ErrorCode::UnknownTopicOrPartition
                | ErrorCode::LeaderNotAvailable
                | ErrorCode::KafkaStorageError),
            ) => {
                // Our view of the leader is stale (or the leader's view of itself): look
                // again, and validate against whoever leads then. Never a reset.
                debug!(%tp, error = %code, "validation needs fresh metadata");
                self.leader_refresh = Some(self.metadata.request_refresh());
                self.validation_retry_at = Some(Instant::now() + backoff);
            }
            Err(code) if code.is_retriable() => {
                debug!(%tp, error = %code, "retriable validation error");
                self.validation_retry_at = Some(Instant::now() + backoff);
            }
            Err(code) => {
                return Err(Error::Protocol {
                    api: "OffsetForLeaderEpoch",
                    code,
                    message: Some(format!("validating the position of {tp} at {position}")),
                })
            }
        }
        Ok(())
    }

    /// Applies a leader's answer about where an epoch ends (validation, or a Fetch's
    /// `diverging_epoch`) to `tp`, validated or fetched at `position`.
    fn apply_validation(
        &mut self,
        tp: &TopicPartition,
        position: i64,
        answer: EpochEndOffset,
        from_fetch: bool,
    ) {
        match self
            .subscriptions
            .complete_validation(tp, position, answer, from_fetch)
        {
            ValidationOutcome::Stale | ValidationOutcome::Valid => {}
            ValidationOutcome::Truncated(truncation) => {
                warn!(
                    %tp,
                    position,
                    reset_to = ?truncation.reset_to,
                    epoch = ?truncation.epoch,
                    "log truncation detected: records read from the old leader are gone; moving back"
                );
                self.buffer.retain(|f| &f.tp != tp);
                self.log_truncations.push_back(truncation);
            }
            ValidationOutcome::Fail(truncation) => {
                let error = truncation.to_error();
                warn!(%tp, position, %error, "log truncation detected and auto.offset.reset is none");
                self.buffer.retain(|f| &f.tp != tp);
                self.pending_error = Some(error);
            }
        }
    }

    /// The log truncations (KIP-320) detected and recovered from since the last call,
    /// oldest first. For each, records the application had read were removed from the
    /// partition's log by a leader change, and the consumer moved back to where the old
    /// and new logs agree (and reads the new leader's records from there). Under
    /// `auto.offset.reset=none` there is no recovery: `poll` fails with
    /// [`Error::LogTruncation`] instead, until the partition is sought.
    ///
    /// ```no_run
    /// # async fn demo(consumer: &mut kafka_client::consumer::Consumer) -> kafka_client::Result<()> {
    /// let records = consumer.poll(std::time::Duration::from_secs(1)).await?;
    /// for t in consumer.log_truncations() {
    ///     eprintln!("{}: read up to {}, the log now ends at {:?}", t.tp, t.position, t.reset_to);
    /// }
    /// # drop(records); Ok(()) }
    /// ```
    pub fn log_truncations(&mut self) -> Vec<LogTruncation> {
        self.log_truncations.drain(..).collect()
    }

    /// After the assignment changed, makes sure metadata is tracked and known for its topics.
    /// Returns whether it is (`false`: the refresh failed; tried again on the next call).
    ///
    /// No round trip when the view already names a leader for every assigned partition
    /// (a topic is in the view only if refreshes ask about it): a second refresh so soon
    /// after the one that brought them would only wait out the metadata backoff.
    async fn refresh_assigned_topics(&mut self) -> bool {
        if !self.topics_changed {
            return true;
        }
        let assignment = self.subscriptions.assignment();
        let known = |cluster: &Cluster| {
            assignment
                .iter()
                .all(|tp| cluster.leader_for(&tp.topic, tp.partition).is_some())
        };
        if known(&self.metadata.cluster()) {
            debug!(
                partitions = assignment.len(),
                "leaders of the assigned partitions already known"
            );
            self.topics_changed = false;
            return true;
        }
        let topics: BTreeSet<&str> = assignment.iter().map(|tp| tp.topic.as_str()).collect();
        let names: Vec<&str> = topics.into_iter().collect();
        // `refresh_topics` waits for a refresh that starts after it is called; right after
        // start-up that is the one after the client's first, which the metadata backoff holds
        // back `retry.backoff.ms`. But the first one may already carry these topics (the
        // refresher reads the topic set when it starts): so, once the topics are registered
        // (the first poll of `refresh`, hence `biased`), whichever view comes first and names
        // every leader will do.
        let refresh = self.metadata.refresh_topics(&names);
        let joined = self.metadata.ready_cluster();
        tokio::pin!(refresh, joined);
        let outcome = tokio::select! {
            biased;
            outcome = &mut refresh => outcome.map(drop),
            outcome = &mut joined => match outcome {
                Ok(cluster) if known(&cluster) => Ok(()),
                _ => (&mut refresh).await.map(drop),
            },
        };
        if let Err(error) = outcome {
            warn!(%error, "metadata refresh for the assigned topics failed");
            return false;
        }
        debug!(
            topics = names.len(),
            "metadata refreshed for the assigned topics"
        );
        self.topics_changed = false;
        true
    }

    /// Sends a Fetch to each leader of fetchable partitions that have no buffered data and
    /// no fetch in flight, unless that leader already has one in flight.
    async fn send_fetches(&mut self) {
        if !self.refresh_assigned_topics().await {
            return;
        }
        let cluster = self.metadata.cluster();
        let buffered = self.buffer.partitions();
        let now = Instant::now();
        // Where each partition is fetched from: its preferred read replica (KIP-392) while
        // that is named, unexpired and a broker the metadata knows; else its leader.
        let mut source: HashMap<TopicPartition, i32> = HashMap::new();
        for (tp, _) in self.subscriptions.fetchable() {
            let leader = cluster.leader_for(&tp.topic, tp.partition).map(|b| b.id);
            let replica = self
                .subscriptions
                .preferred_read_replica(&tp, now)
                .filter(|id| cluster.broker(*id).is_some());
            if let Some(node) = replica.or(leader) {
                source.insert(tp, node);
            }
        }
        let in_flight: HashSet<&TopicPartition> = self.in_flight.values().flatten().collect();
        let candidates: Vec<(TopicPartition, i64)> = self
            .subscriptions
            .fetchable()
            .into_iter()
            .filter(|(tp, _)| !buffered.contains(tp) && !in_flight.contains(tp))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let (nodes, leaderless) = fetcher::by_leader(candidates, |tp| source.get(tp).copied());
        if !leaderless.is_empty() {
            debug!(partitions = ?leaderless, "no known leader; refreshing metadata");
            self.leader_refresh = Some(self.metadata.request_refresh());
        }
        let timeout = self.config.client.request_timeout + self.config.fetch_max_wait;
        let backoff = self.config.client.retry_backoff;
        // Nodes that still have buffered records for the application.
        let busy: HashSet<i32> = buffered
            .iter()
            .filter_map(|tp| source.get(tp).copied())
            .collect();
        for (node, partitions) in nodes {
            if self.in_flight.contains_key(&node) {
                continue;
            }
            // A Fetch of only caught-up partitions is held by the broker for
            // fetch.max.wait.ms, and while it is in flight the node gets no other Fetch: the
            // partitions still being drained would then wait that long for their next data.
            // So such a Fetch waits until the node's buffered data is drained, and then
            // goes out together with those partitions.
            let caught_up = partitions
                .iter()
                .all(|(tp, _)| self.subscriptions.lag(tp, false) == Some(0));
            if caught_up && busy.contains(&node) {
                continue;
            }
            let connection = match self.metadata.pool().connection(node).await {
                Ok(connection) => connection,
                Err(error) => {
                    // A preferred read replica that cannot be reached: its partitions go
                    // back to their leader at once (KIP-392).
                    let mut replica_of = Vec::new();
                    for (tp, _) in &partitions {
                        if self
                            .subscriptions
                            .clear_preferred_read_replica(tp)
                            .is_some()
                        {
                            replica_of.push(tp.clone());
                        }
                    }
                    if replica_of.is_empty() {
                        warn!(node, %error, "cannot reach leader for fetch");
                        self.leader_refresh = Some(self.metadata.request_refresh());
                    } else {
                        warn!(node, %error, partitions = ?replica_of, "cannot reach the preferred read replica; fetching from the leader");
                    }
                    continue;
                }
            };
            let version = match connection.version_for(ApiKey::Fetch) {
                Ok(v) => v.min(MAX_FETCH_VERSION),
                Err(error) => {
                    self.pending_error = Some(error);
                    return;
                }
            };
            let subscriptions = &self.subscriptions;
            let request = fetcher::build_fetch_request(&self.settings, &partitions, |tp| {
                subscriptions.fetch_epochs(tp)
            });
            self.in_flight
                .insert(node, partitions.iter().map(|(tp, _)| tp.clone()).collect());
            FetchTask {
                node,
                connection,
                request,
                version,
                partitions,
                timeout,
                backoff,
            }
            .spawn(self.outcomes_tx.clone());
        }
    }

    /// Takes in a Fetch answer: buffers the records, records watermarks, and decides what
    /// each partition error means.
    fn handle_outcome(&mut self, outcome: FetchOutcome) {
        self.in_flight.remove(&outcome.node);
        let mut response = match outcome.result {
            Ok(response) => response,
            Err(error) if !error.is_retriable() => {
                // A top-level code no retry heals (TOPIC_AUTHORIZATION_FAILED, an unsupported
                // version): the application must hear of it, or poll would return nothing
                // forever while this retried in the background.
                warn!(node = outcome.node, %error, "fetch failed; reporting it to poll");
                self.pending_error = Some(error);
                return;
            }
            Err(error) => {
                // A failed fetch from a preferred read replica goes back to the leader.
                for (tp, _) in &outcome.partitions {
                    self.subscriptions.clear_preferred_read_replica(tp);
                }
                warn!(node = outcome.node, %error, "fetch failed; will retry");
                drop(self.metadata.request_refresh());
                return;
            }
        };
        let cluster = self.metadata.cluster();
        let now = Instant::now();
        let mut refresh = false;
        for (tp, fetch_offset) in outcome.partitions {
            let Some(data) = fetcher::take_partition(&mut response, &tp) else {
                continue;
            };
            let position = self.subscriptions.position(&tp);
            if position != Some(fetch_offset) || self.subscriptions.is_awaiting_validation(&tp) {
                // Sought or unassigned while the fetch was in flight, or the leader changed
                // and the position is validated first.
                continue;
            }
            let code = ErrorCode::from_code(data.error_code);
            if code.is_ok() && data.diverging_epoch.epoch >= 0 {
                // KIP-320 on Fetch v12+: the log diverged from the epoch of the last record
                // read; the answer carries no records.
                let answer = EpochEndOffset {
                    epoch: data.diverging_epoch.epoch,
                    end_offset: data.diverging_epoch.end_offset,
                };
                debug!(%tp, fetch_offset, ?answer, "fetch reports a diverging epoch");
                self.apply_validation(&tp, fetch_offset, answer, true);
                continue;
            }
            if code.is_ok() {
                self.subscriptions.update_watermarks(
                    &tp,
                    data.high_watermark,
                    data.last_stable_offset,
                );
                if data.preferred_read_replica >= 0 {
                    // KIP-392: the leader names a replica to read from (usually with no
                    // records); kept for metadata.max.age.ms, as Java does.
                    let until = now + self.config.client.metadata_max_age;
                    debug!(%tp, replica = data.preferred_read_replica, node = outcome.node, "fetching from the preferred read replica");
                    self.subscriptions.update_preferred_read_replica(
                        &tp,
                        data.preferred_read_replica,
                        until,
                    );
                }
                if let Some(records) = data.records.filter(|r| !r.is_empty()) {
                    self.buffer.push(
                        CompletedFetch::new(
                            tp,
                            fetch_offset,
                            records,
                            data.aborted_transactions,
                            self.settings.read_committed,
                            self.config.check_crcs,
                        )
                        // read_committed never delivers past the last stable offset.
                        .with_last_stable_offset(data.last_stable_offset),
                    );
                }
                continue;
            }
            // Whether this answer came from a preferred read replica rather than the leader.
            let cleared = self.subscriptions.clear_preferred_read_replica(&tp);
            let leader = cluster.leader_for(&tp.topic, tp.partition).map(|b| b.id);
            let from_replica = cleared.is_some() || leader.is_some_and(|l| l != outcome.node);
            match code {
                ErrorCode::OffsetOutOfRange | ErrorCode::OffsetNotAvailable if from_replica => {
                    // A replica may lag the leader's high watermark or keep less history:
                    // ask the leader, never reset on a replica's word (KIP-392).
                    debug!(%tp, fetch_offset, node = outcome.node, error = %code, "the read replica cannot serve this offset; fetching from the leader");
                }
                ErrorCode::OffsetOutOfRange => {
                    let reset = self.subscriptions.default_reset();
                    match out_of_range_decision(position, fetch_offset, reset) {
                        OutOfRangeDecision::Ignore => {}
                        OutOfRangeDecision::Reset(to) => {
                            info!(%tp, fetch_offset, reset = ?to, "offset out of range; resetting");
                            self.subscriptions.request_reset(&tp, to);
                        }
                        OutOfRangeDecision::Fail => {
                            warn!(%tp, fetch_offset, "offset out of range and auto.offset.reset is none");
                            self.pending_error = Some(Error::OffsetOutOfRange {
                                topic: tp.topic.clone(),
                                partition: tp.partition,
                                offset: fetch_offset,
                            });
                        }
                    }
                }
                ErrorCode::NotLeaderOrFollower
                | ErrorCode::UnknownTopicOrPartition
                | ErrorCode::LeaderNotAvailable
                | ErrorCode::ReplicaNotAvailable
                | ErrorCode::OffsetNotAvailable
                | ErrorCode::FencedLeaderEpoch
                | ErrorCode::UnknownLeaderEpoch
                | ErrorCode::KafkaStorageError
                | ErrorCode::UnknownTopicId => {
                    // FENCED/UNKNOWN_LEADER_EPOCH: our leader epoch and the broker's differ;
                    // fresh metadata brings the new leader (and a validation), never a reset.
                    debug!(%tp, error = %code, node = outcome.node, from_replica, "fetch needs fresh metadata");
                    refresh = true;
                }
                code if code.is_retriable() => {
                    debug!(%tp, error = %code, "retriable fetch error");
                }
                code => {
                    warn!(%tp, error = %code, "fetch failed");
                    self.pending_error = Some(Error::Protocol {
                        api: "Fetch",
                        code,
                        message: Some(format!("fetching {tp} at {fetch_offset}")),
                    });
                }
            }
        }
        if refresh {
            drop(self.metadata.request_refresh());
        }
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
    /// # async fn demo(consumer: &kafka_client::consumer::Consumer) -> kafka_client::Result<()> {
    /// use kafka_client::consumer::TopicPartition;
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
                    api: "ListOffsets",
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
    /// # async fn demo(consumer: &mut kafka_client::consumer::Consumer) -> kafka_client::Result<()> {
    /// use std::collections::HashMap;
    /// use kafka_client::consumer::TopicPartition;
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
    /// # async fn demo(consumer: &mut kafka_client::consumer::Consumer) -> kafka_client::Result<()> {
    /// use kafka_client::consumer::TopicPartition;
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
    /// # async fn demo(consumer: &mut kafka_client::consumer::Consumer) -> kafka_client::Result<()> {
    /// use std::collections::HashMap;
    /// use kafka_client::consumer::{OffsetAndMetadata, TopicPartition};
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
            if !owned.is_empty() && !self.partitions_lost && self.listener.is_set() {
                self.call_listener(ListenerCall::Revoked, &owned).await?;
            }
        }
        if self.config.enable_auto_commit && self.config.group_id.is_some() {
            self.commit_sync().await?;
        }
        Ok(())
    }
}

/// Which listener method to call.
#[derive(Debug, Clone, Copy)]
enum ListenerCall {
    Revoked,
    Assigned,
    Lost,
}

/// What woke `poll` while it waited.
enum Wake {
    Fetch(Option<FetchOutcome>),
    Group(GroupEvent),
}

/// The error every `poll` returns once the member failed for good.
fn group_fatal_error(code: ErrorCode, group_instance_id: Option<&str>) -> Error {
    let message = match (code, group_instance_id) {
        (ErrorCode::FencedInstanceId, Some(id)) => format!(
            "another consumer joined the group with group.instance.id {id:?}: this one is \
             fenced (KIP-345) and must be closed"
        ),
        _ => "the consumer cannot stay in its group and must be closed".to_owned(),
    };
    warn!(%code, "{message}");
    Error::Protocol {
        api: "group membership",
        code,
        message: Some(message),
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
    //! The consumer's side of rebalances without a broker: the test plays the group task
    //! (events in, generation watch) and checks what the consumer and its listener do.

    use std::sync::{Arc, Mutex};

    use futures::future::BoxFuture;
    use tokio::sync::oneshot;

    use super::*;

    async fn consumer() -> Consumer {
        // Nothing listens there; nothing here needs a broker.
        let config = ConsumerConfig::from_properties([
            ("bootstrap.servers", "127.0.0.1:1"),
            ("group.id", "g"),
            ("enable.auto.commit", "false"),
            ("group.instance.id", "instance-7"),
        ])
        .unwrap();
        Consumer::new(config).await.unwrap()
    }

    fn tp(p: i32) -> TopicPartition {
        TopicPartition::new("orders", p)
    }

    fn generation(id: i32) -> CommitGeneration {
        CommitGeneration {
            generation_id: id,
            member_id: "m".into(),
            group_instance_id: Some("instance-7".into()),
        }
    }

    #[derive(Default)]
    struct Log {
        calls: Vec<String>,
        /// What a commit in on_revoked would carry, and the revoked partitions' positions.
        revoke_generation: Option<i32>,
        revoke_positions: Vec<Option<i64>>,
        poll_in_listener: Option<String>,
    }

    struct Recorder(Arc<Mutex<Log>>, bool);

    impl RebalanceListener for Recorder {
        fn on_revoked<'a>(
            &'a mut self,
            consumer: &'a mut Consumer,
            partitions: &'a [TopicPartition],
        ) -> BoxFuture<'a, Result<()>> {
            Box::pin(async move {
                let polled = consumer.poll(Duration::from_millis(1)).await;
                let mut log = self.0.lock().unwrap();
                log.calls.push(format!("revoked {partitions:?}"));
                log.revoke_generation = consumer
                    .commit_generation()
                    .ok()
                    .flatten()
                    .map(|g| g.generation_id);
                log.revoke_positions = partitions.iter().map(|tp| consumer.position(tp)).collect();
                log.poll_in_listener = polled.err().map(|e| e.to_string());
                if self.1 {
                    return Err(Error::config("test", "the listener failed"));
                }
                Ok(())
            })
        }

        fn on_assigned<'a>(
            &'a mut self,
            _consumer: &'a mut Consumer,
            partitions: &'a [TopicPartition],
        ) -> BoxFuture<'a, Result<()>> {
            self.0
                .lock()
                .unwrap()
                .calls
                .push(format!("assigned {partitions:?}"));
            Box::pin(async { Ok(()) })
        }

        fn on_lost<'a>(
            &'a mut self,
            consumer: &'a mut Consumer,
            partitions: &'a [TopicPartition],
        ) -> BoxFuture<'a, Result<()>> {
            let refused = consumer.commit_generation().is_err();
            self.0
                .lock()
                .unwrap()
                .calls
                .push(format!("lost {partitions:?} commit refused: {refused}"));
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn the_listener_runs_in_order_with_the_revoking_generation() {
        let mut consumer = consumer().await;
        let (handle, events, generation_watch) = GroupHandle::detached();
        consumer.group = Some(handle);
        let log = Arc::new(Mutex::new(Log::default()));
        consumer
            .listener
            .set(Some(Box::new(Recorder(log.clone(), false))));

        events
            .send(GroupEvent::Assigned(vec![tp(0), tp(1)]))
            .unwrap();
        consumer.apply_group_events().await.unwrap();
        consumer.seek(&tp(0), 5).unwrap();
        consumer.seek(&tp(1), 9).unwrap();

        // Mid-rebalance the watch refuses commits, but the revocation carries the generation
        // the partitions were owned in, and a commit inside on_revoked uses it.
        generation_watch
            .send(Err(CommitRejected::RebalanceInProgress))
            .unwrap();
        let (done, applied) = oneshot::channel();
        events
            .send(GroupEvent::Revoked {
                partitions: vec![tp(1)],
                generation: Some(generation(4)),
                done: Some(done),
            })
            .unwrap();
        events.send(GroupEvent::Lost(vec![tp(0)])).unwrap();
        consumer.apply_group_events().await.unwrap();
        applied
            .await
            .expect("the group task is told the revocation is done");

        let log = log.lock().unwrap();
        assert_eq!(
            log.calls,
            [
                "assigned [TopicPartition { topic: \"orders\", partition: 0 }, TopicPartition { topic: \"orders\", partition: 1 }]",
                "revoked [TopicPartition { topic: \"orders\", partition: 1 }]",
                "lost [TopicPartition { topic: \"orders\", partition: 0 }] commit refused: true",
            ]
        );
        assert_eq!(log.revoke_generation, Some(4));
        assert_eq!(log.revoke_positions, [Some(9)], "positions stay readable");
        let refused = log.poll_in_listener.as_deref().unwrap_or_default();
        assert!(refused.contains("rebalance listener"), "{refused}");
        assert!(consumer.assignment().is_empty());
        assert!(consumer.revoking.is_none() && !consumer.in_listener);
        assert_eq!(
            consumer.rebalance_events(),
            [
                RebalanceEvent::Assigned(vec![tp(0), tp(1)]),
                RebalanceEvent::Revoked(vec![tp(1)]),
                RebalanceEvent::Lost(vec![tp(0)]),
            ]
        );
    }

    #[tokio::test]
    async fn a_listener_error_surfaces_after_the_change_is_applied() {
        let mut consumer = consumer().await;
        let (handle, events, _watch) = GroupHandle::detached();
        consumer.group = Some(handle);
        consumer
            .listener
            .set(Some(Box::new(Recorder(Arc::default(), true))));
        events.send(GroupEvent::Assigned(vec![tp(0)])).unwrap();
        let (done, applied) = oneshot::channel();
        events
            .send(GroupEvent::Revoked {
                partitions: vec![tp(0)],
                generation: None,
                done: Some(done),
            })
            .unwrap();
        let err = consumer.apply_group_events().await.unwrap_err();
        assert!(err.to_string().contains("the listener failed"), "{err}");
        applied.await.unwrap();
        assert!(consumer.assignment().is_empty());
        // The listener is still registered after failing.
        assert!(consumer.listener.is_set());
    }

    #[tokio::test]
    async fn a_fenced_static_member_fails_every_poll_with_a_clear_error() {
        let mut consumer = consumer().await;
        let (handle, events, _watch) = GroupHandle::detached();
        consumer.group = Some(handle);
        events.send(GroupEvent::Lost(vec![tp(0)])).unwrap();
        events
            .send(GroupEvent::Fatal(ErrorCode::FencedInstanceId))
            .unwrap();
        for _ in 0..2 {
            let err = consumer.poll(Duration::from_millis(10)).await.unwrap_err();
            assert_eq!(err.code(), Some(ErrorCode::FencedInstanceId));
            assert!(err.to_string().contains("instance-7"), "{err}");
        }
        // Closing a fenced member is not an error.
        consumer.close().await.unwrap();
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

    #[tokio::test]
    async fn a_non_retriable_fetch_error_reaches_poll_and_a_retriable_one_does_not() {
        let mut consumer = consumer().await;
        let outcome = |result| FetchOutcome {
            node: 1,
            partitions: vec![(tp(0), 0)],
            result,
        };
        let timeout = Error::Timeout {
            what: "a Fetch response".into(),
            after: Duration::from_secs(1),
        };
        assert!(timeout.is_retriable());
        consumer.handle_outcome(outcome(Err(timeout)));
        assert!(
            consumer.pending_error.is_none(),
            "a retriable failure is retried"
        );
        let denied =
            Error::check("Fetch", ErrorCode::TopicAuthorizationFailed.code(), None).unwrap_err();
        consumer.handle_outcome(outcome(Err(denied)));
        let error = consumer.pending_error.take().expect("reported to poll");
        assert_eq!(error.code(), Some(ErrorCode::TopicAuthorizationFailed));
    }

    #[tokio::test]
    async fn read_committed_delivers_nothing_past_the_fetch_responses_last_stable_offset() {
        use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
        use kafka_protocol::messages::FetchResponse;
        use kafka_protocol::records::{Compression, RecordBatchBuilder};

        let config = ConsumerConfig::from_properties([
            ("bootstrap.servers", "127.0.0.1:1"),
            ("isolation.level", "read_committed"),
        ])
        .unwrap();
        let mut consumer = Consumer::new(config).await.unwrap();
        consumer.assign([tp(0)]).unwrap();
        consumer.seek(&tp(0), 0).unwrap();
        // Two non-transactional batches (offsets 0-1 and 2-3); the broker says 2 is stable.
        let mut log = Vec::new();
        for base in [0, 2] {
            let mut batch = RecordBatchBuilder::new(Compression::None);
            batch.base_offset(base);
            for _ in 0..2 {
                batch.append(1000, None, Some(b"v"), &[]).unwrap();
            }
            log.extend_from_slice(&batch.finish().unwrap());
        }
        let response = FetchResponse {
            responses: vec![FetchableTopicResponse {
                topic: "orders".into(),
                partitions: vec![PartitionData {
                    partition_index: 0,
                    high_watermark: 4,
                    last_stable_offset: 2,
                    records: Some(bytes::Bytes::from(log)),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        consumer.handle_outcome(FetchOutcome {
            node: 1,
            partitions: vec![(tp(0), 0)],
            result: Ok(response),
        });
        let records = consumer
            .buffer
            .collect(100, &mut consumer.subscriptions)
            .unwrap();
        let offsets: Vec<i64> = records.iter().map(|r| r.offset).collect();
        assert_eq!(offsets, [0, 1], "nothing at or past the LSO");
        assert_eq!(consumer.position(&tp(0)), Some(2));
    }
}
