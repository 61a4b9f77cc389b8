//! Non-blocking retries through retry topics, and a dead-letter topic, as a library feature
//! (what Spring Kafka calls "retryable topics").
//!
//! Given a handler `async fn(record) -> Result<(), E>`, [`RetryTopics::start`] consumes the
//! source topic `T` and, when the handler fails on a record:
//!
//! 1. hands the record (key, value and headers unchanged, plus the `retry.*` headers of
//!    [`RetryHeaders`]: original topic, partition, offset and timestamp, the attempts made,
//!    the error text, the time the next attempt is due) to the retry topic of the next
//!    attempt, `T-retry-1`, `T-retry-2`, … (one topic per retry, each with its own delay from
//!    [`Backoff`]), on the same partition number;
//! 2. commits the original and goes on with the records behind it: one bad record does not
//!    stall its partition, and the consumer never sits in its poll loop past
//!    `max.poll.interval.ms`;
//! 3. a consumer per retry topic holds each record until it is due **without sleeping**: it
//!    pauses the partition and seeks back to the record, keeps polling its other partitions,
//!    and resumes the partition when the record is due ([`Consumer::pause`](crate::Consumer::pause) /
//!    [`Consumer::resume`](crate::Consumer::resume)). A retry topic's records all wait the same delay, so they fall due
//!    in the order they were written and holding the first one holds no due record back;
//! 4. after the last attempt (`attempts` counts the first try) the record goes to the
//!    dead-letter topic `T-dlt` with the same headers, for a person or another job to look at.
//!
//! The retry and dead-letter topics are created on demand (admin client, CreateTopics) with
//! the source topic's partition count and the broker's default replication factor; existing
//! ones are used as they are. Each topic is read by its own consumer (its own task), with the
//! configured `group.id` holding the positions of all of them, over all partitions of its topic
//! ([`Consumer::assign`](crate::Consumer::assign): a restarted instance resumes at once from the committed offsets,
//! without waiting for a group rebalance; run one instance per source topic and group).
//!
//! Every outcome — processed, or dead-lettered — is reported on [`RetryTopics::next_outcome`]
//! once it is committed.
//!
//! # Delivery
//!
//! A record moves on (to the next topic, or out as processed) only once the copy is
//! acknowledged and the original's offset committed after it: a crash in between hands the
//! copy on again after the restart (at least once). With
//! [`RetryTopicsConfig::exactly_once`], each poll's hand-offs and the commit of the originals'
//! offsets are one transaction (`send_offsets_to_transaction`), so a crash neither loses nor
//! duplicates a hand-off: read with `isolation.level=read_committed`, every record is on
//! exactly one topic after its attempt. (The handler's own side effects are outside Kafka's
//! transaction, as always: it runs again for a record whose transaction was aborted.)
//!
//! # Ordering: what non-blocking retries give up
//!
//! Kafka keeps order per partition, so records of one key are processed in the order they
//! were written — as long as each is processed where it stands. A record sent to a retry topic
//! is processed later, after records of the same key written behind it: **per-key order is not
//! kept across retries**. Where that order matters, use [`RetryMode::Blocking`]: the failed
//! record is retried in place, with the same backoff, and the records behind it wait (as
//! Kafka's own order has them wait). So that a record under retry never pushes the consumer
//! past `max.poll.interval.ms`, a wait that would end later than half of it after the last
//! poll is not slept through: the consumer seeks back to the record, polls, and waits out
//! the rest then (its attempt count kept in memory; a restart starts it over). Every delay
//! must therefore be shorter than half of `max.poll.interval.ms` ([`RetryTopicsConfig::validate`]).
//! In blocking mode there are no retry topics, only the dead-letter topic.
//!
//! # Records that cannot be decoded
//!
//! [`RetryTopics::start_typed`] decodes each record with the given [`Deserializer`]s first.
//! A record whose key or value does not decode is sent straight to the dead-letter topic with
//! its raw bytes, `retry.attempts` 0, `retry.error` saying why and `retry.error.kind`
//! `deserialization:key` or `deserialization:value`: decoding again would fail again, so it
//! is not retried, and the partition goes on.
//!
//! # Example
//!
//! ```no_run
//! # async fn demo() -> kafkito::Result<()> {
//! use std::time::Duration;
//! use kafkito::consumer::ConsumerConfig;
//! use kafkito::producer::ProducerConfig;
//! use kafkito::retry_topics::{Backoff, OutcomeKind, RetryTopics, RetryTopicsConfig};
//!
//! let consumer = ConsumerConfig::from_properties([
//!     ("bootstrap.servers", "localhost:9092"),
//!     ("group.id", "billing"),
//!     ("auto.offset.reset", "earliest"),
//! ])?;
//! let producer = ProducerConfig::from_properties([("bootstrap.servers", "localhost:9092")])?;
//! let config = RetryTopicsConfig::new("orders", consumer, producer)
//!     .attempts(4)
//!     .backoff("1000,10000,60000".parse::<Backoff>()?);
//! let mut retry = RetryTopics::start(config, |record| async move {
//!     let value = record.value.unwrap_or_default();
//!     if value.is_empty() { Err("empty order") } else { Ok(()) }
//! })
//! .await?;
//! while let Some(outcome) = retry.next_outcome().await {
//!     if outcome.kind == OutcomeKind::DeadLettered {
//!         eprintln!("{:?} gave up after {} attempts: {:?}", outcome.origin, outcome.attempts, outcome.error);
//!     }
//! #   break;
//! }
//! retry.stop().await?;
//! # Ok(()) }
//! ```

mod headers;
mod schedule;
mod stage;
mod topics;

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::info;

use crate::consumer::{ConsumerConfig, ConsumerRecord};
use crate::error::{Error, Result};
use crate::producer::ProducerConfig;
use crate::serdes::{decode, Deserializer, RecordPart, TypedRecord};

pub use headers::{
    Origin, RetryHeaders, ATTEMPTS, DUE, ERROR, ERROR_KIND, ORIGINAL_OFFSET, ORIGINAL_PARTITION,
    ORIGINAL_TIMESTAMP, ORIGINAL_TOPIC,
};
pub use schedule::{
    dead_letter_topic, now_ms, retry_topic, route_failure, time_until, Backoff, Route,
};

/// How failed records are retried.
///
/// ```
/// # fn demo(config: kafkito::retry_topics::RetryTopicsConfig) {
/// use kafkito::retry_topics::RetryMode;
///
/// assert_eq!(config.blocking().mode, RetryMode::Blocking);
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RetryMode {
    /// Through retry topics: the records behind a failed one go on at once; per-key order is
    /// not kept across retries.
    #[default]
    NonBlocking,
    /// In place, with the same backoff: the partition waits for the failed record, keeping
    /// per-key order (see the module docs on `max.poll.interval.ms`).
    Blocking,
}

/// What [`RetryTopics`] runs with.
///
/// ```
/// use kafkito::consumer::ConsumerConfig;
/// use kafkito::producer::ProducerConfig;
/// use kafkito::retry_topics::{RetryMode, RetryTopicsConfig};
///
/// let consumer = ConsumerConfig::from_properties([("bootstrap.servers", "b:9092"), ("group.id", "g")])?;
/// let producer = ProducerConfig::from_properties([("bootstrap.servers", "b:9092")])?;
/// let config = RetryTopicsConfig::new("orders", consumer, producer).attempts(3);
/// assert_eq!(config.stage_topics(), ["orders", "orders-retry-1", "orders-retry-2"]);
/// assert_eq!(config.clone().blocking().stage_topics(), ["orders"]);
/// assert!(config.validate().is_ok());
/// # Ok::<(), kafkito::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct RetryTopicsConfig {
    /// The source topic.
    pub topic: String,
    /// The consumers' settings (each topic's consumer gets a copy); `group.id` is required and
    /// holds the positions. `enable.auto.commit` is turned off (commits follow the hand-offs);
    /// the retry topics are read from their beginning when nothing is committed.
    pub consumer: ConsumerConfig,
    /// The settings of the producers that hand records on.
    pub producer: ProducerConfig,
    /// Attempts in all, the first try included (at least 1; default 3).
    pub attempts: u32,
    /// The delay before each retry (default 200 ms).
    pub backoff: Backoff,
    /// Retry topics, or retries in place.
    pub mode: RetryMode,
    /// With exactly-once hand-offs: the prefix of the producers' `transactional.id`s
    /// (`<prefix>-<topic read>`, stable across restarts so that a restart fences the crashed
    /// instance's transactions).
    pub transactional_id_prefix: Option<String>,
}

impl RetryTopicsConfig {
    /// Retries of `topic`'s records: 3 attempts, 200 ms apart, through retry topics.
    pub fn new(
        topic: impl Into<String>,
        consumer: ConsumerConfig,
        producer: ProducerConfig,
    ) -> RetryTopicsConfig {
        RetryTopicsConfig {
            topic: topic.into(),
            consumer,
            producer,
            attempts: 3,
            backoff: Backoff::default(),
            mode: RetryMode::NonBlocking,
            transactional_id_prefix: None,
        }
    }

    /// Attempts in all, the first try included.
    pub fn attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// The delay before each retry.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Retries in place ([`RetryMode::Blocking`]).
    pub fn blocking(mut self) -> Self {
        self.mode = RetryMode::Blocking;
        self
    }

    /// Hands records on and commits the originals in one transaction per poll; the
    /// producers' `transactional.id`s are `<prefix>-<topic read>`.
    pub fn exactly_once(mut self, transactional_id_prefix: impl Into<String>) -> Self {
        self.transactional_id_prefix = Some(transactional_id_prefix.into());
        self
    }

    /// The topics read: the source topic, then (non-blocking) one retry topic per retry.
    pub fn stage_topics(&self) -> Vec<String> {
        let retries = match self.mode {
            RetryMode::NonBlocking => self.attempts.saturating_sub(1),
            RetryMode::Blocking => 0,
        };
        std::iter::once(self.topic.clone())
            .chain((1..=retries).map(|n| retry_topic(&self.topic, n)))
            .collect()
    }

    /// The topics written: the retry topics, then the dead-letter topic.
    pub fn target_topics(&self) -> Vec<String> {
        self.stage_topics()
            .into_iter()
            .skip(1)
            .chain(std::iter::once(dead_letter_topic(&self.topic)))
            .collect()
    }

    /// Checks the rules: a `group.id`, a source topic, at least one attempt, idempotence for
    /// exactly-once, and in blocking mode every delay under half of `max.poll.interval.ms`.
    pub fn validate(&self) -> Result<()> {
        self.consumer.validate()?;
        self.producer.validate()?;
        if self.consumer.group_id.is_none() {
            return Err(Error::config(
                "group.id",
                "retry topics commit each topic's progress: a group.id is required",
            ));
        }
        if self.topic.is_empty() {
            return Err(Error::config("topic", "must not be empty"));
        }
        if self.attempts == 0 {
            return Err(Error::config(
                "attempts",
                "must be at least 1 (the first try counts)",
            ));
        }
        if let Some(prefix) = &self.transactional_id_prefix {
            if prefix.is_empty() {
                return Err(Error::config(
                    "transactional.id",
                    "the prefix must not be empty",
                ));
            }
            if !self.producer.enable_idempotence {
                return Err(Error::config(
                    "enable.idempotence",
                    "must be true for exactly-once hand-offs",
                ));
            }
        }
        if self.mode == RetryMode::Blocking {
            let limit = self.consumer.max_poll_interval / 2;
            if let Some(n) = (1..self.attempts).find(|n| self.backoff.delay(*n) >= limit) {
                return Err(Error::config(
                    "backoff",
                    format!(
                        "blocking retries wait in the poll loop: the delay before retry {n} \
                         ({:?}) must be under half of max.poll.interval.ms ({:?})",
                        self.backoff.delay(n),
                        self.consumer.max_poll_interval
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// How a record ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeKind {
    /// The handler succeeded.
    Processed,
    /// It is on the dead-letter topic.
    DeadLettered,
}

/// A record's final outcome, reported once it is committed.
///
/// ```no_run
/// # async fn demo(mut retry: kafkito::retry_topics::RetryTopics) {
/// use kafkito::retry_topics::OutcomeKind;
///
/// while let Some(outcome) = retry.next_outcome().await {
///     let o = &outcome.origin;
///     match outcome.kind {
///         OutcomeKind::Processed => println!("{}-{}@{} done in {} attempts", o.topic, o.partition, o.offset, outcome.attempts),
///         OutcomeKind::DeadLettered => println!("{}-{}@{} parked: {:?}", o.topic, o.partition, o.offset, outcome.error),
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outcome {
    /// Processed or dead-lettered.
    pub kind: OutcomeKind,
    /// The attempts made, the first try included (0: it could not be decoded).
    pub attempts: u32,
    /// Where the record was first written.
    pub origin: Origin,
    /// Its key.
    pub key: Option<Bytes>,
    /// Its value.
    pub value: Option<Bytes>,
    /// Why the last attempt failed (dead-lettered records).
    pub error: Option<String>,
}

/// Why one attempt failed, as the stages see it.
#[derive(Debug, Clone)]
enum Failure {
    /// The handler returned an error: retried.
    Handler(String),
    /// The record did not decode: straight to the dead-letter topic.
    Decode { part: RecordPart, reason: String },
}

type HandlerFuture = Pin<Box<dyn Future<Output = std::result::Result<(), Failure>> + Send>>;
type Handler = Arc<dyn Fn(ConsumerRecord) -> HandlerFuture + Send + Sync>;

/// The running retry topics: one task per topic read. Outcomes come out of
/// [`next_outcome`](Self::next_outcome) (kept until read: read them, or memory grows);
/// [`stop`](Self::stop) ends the tasks in order, [`abort`](Self::abort) as a crash would.
/// Dropping it ends them in order too, in the background, without reporting their errors.
///
/// ```no_run
/// # async fn demo(config: kafkito::retry_topics::RetryTopicsConfig) -> kafkito::Result<()> {
/// use kafkito::retry_topics::RetryTopics;
///
/// let mut retry = RetryTopics::start(config, |record| async move {
///     match record.value {
///         Some(_) => Ok(()),
///         None => Err("a tombstone cannot be billed"),
///     }
/// })
/// .await?;
/// let first = retry.next_outcome().await;
/// println!("{first:?}");
/// retry.stop().await // or retry.abort(): a crash, for tests
/// # }
/// ```
#[derive(Debug)]
pub struct RetryTopics {
    outcomes: mpsc::UnboundedReceiver<Outcome>,
    tasks: Vec<(String, JoinHandle<Result<()>>)>,
    stop: watch::Sender<bool>,
}

impl RetryTopics {
    /// Creates the retry and dead-letter topics that are missing, then starts a consumer (and
    /// producer) for the source topic and for each retry topic, handing each record to
    /// `handler`. Fails when the source topic does not exist or the config breaks a rule
    /// ([`RetryTopicsConfig::validate`]). See the module docs.
    pub async fn start<H, Fut, E>(config: RetryTopicsConfig, handler: H) -> Result<RetryTopics>
    where
        H: Fn(ConsumerRecord) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: Display,
    {
        let handler: Handler = Arc::new(move |record| {
            let attempt = handler(record);
            Box::pin(async move { attempt.await.map_err(|e| Failure::Handler(e.to_string())) })
        });
        Self::start_erased(config, handler).await
    }

    /// As [`start`](Self::start), the handler receiving decoded records; a record whose key
    /// or value does not decode goes straight to the dead-letter topic (module docs).
    ///
    /// ```no_run
    /// # async fn demo(config: kafkito::retry_topics::RetryTopicsConfig) -> kafkito::Result<()> {
    /// use kafkito::retry_topics::RetryTopics;
    /// use kafkito::serdes::{StringDeserializer, TypedRecord};
    ///
    /// let retry = RetryTopics::start_typed(
    ///     config,
    ///     StringDeserializer,
    ///     StringDeserializer,
    ///     |record: TypedRecord<String, String>| async move {
    ///         match record.value.as_deref() {
    ///             Some("") | None => Err("nothing to bill"),
    ///             Some(_) => Ok(()),
    ///         }
    ///     },
    /// )
    /// .await?;
    /// # retry.stop().await }
    /// ```
    pub async fn start_typed<K, V, KD, VD, H, Fut, E>(
        config: RetryTopicsConfig,
        key: KD,
        value: VD,
        handler: H,
    ) -> Result<RetryTopics>
    where
        KD: Deserializer<K> + Send + Sync + 'static,
        VD: Deserializer<V> + Send + Sync + 'static,
        H: Fn(TypedRecord<K, V>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: Display,
    {
        let handler: Handler = Arc::new(move |record| match decode(record, &key, &value) {
            Ok(typed) => {
                let attempt = handler(typed);
                Box::pin(async move { attempt.await.map_err(|e| Failure::Handler(e.to_string())) })
            }
            Err(failure) => Box::pin(std::future::ready(Err(Failure::Decode {
                part: failure.part,
                reason: failure.reason,
            }))),
        });
        Self::start_erased(config, handler).await
    }

    async fn start_erased(config: RetryTopicsConfig, handler: Handler) -> Result<RetryTopics> {
        config.validate()?;
        let partitions = topics::ensure(&config).await?;
        let (outcomes_tx, outcomes) = mpsc::unbounded_channel();
        let (stop, stop_rx) = watch::channel(false);
        let settings = Arc::new(stage::Settings {
            source: config.topic.clone(),
            attempts: config.attempts,
            backoff: config.backoff.clone(),
            mode: config.mode,
            partitions,
        });
        let mut tasks = Vec::new();
        for (retry, topic) in (0u32..).zip(config.stage_topics()) {
            let stage = stage::Stage::new(
                &config,
                retry,
                topic.clone(),
                Arc::clone(&settings),
                Arc::clone(&handler),
                outcomes_tx.clone(),
                stop_rx.clone(),
            )
            .await;
            let stage = match stage {
                Ok(stage) => stage,
                Err(error) => {
                    // Whatever started already is ended in good order.
                    let _ = stop.send(true);
                    for (_, task) in tasks {
                        let _ = task.await;
                    }
                    return Err(error);
                }
            };
            tasks.push((topic, tokio::spawn(stage.run())));
        }
        info!(topic = %config.topic, stages = tasks.len(), mode = ?config.mode, exactly_once = config.transactional_id_prefix.is_some(), "retry topics started");
        Ok(RetryTopics {
            outcomes,
            tasks,
            stop,
        })
    }

    /// The next outcome, in the order they were committed per topic read; `None` once every
    /// task has ended.
    pub async fn next_outcome(&mut self) -> Option<Outcome> {
        self.outcomes.recv().await
    }

    /// The next outcome if one is ready, without waiting.
    pub fn try_next_outcome(&mut self) -> Option<Outcome> {
        self.outcomes.try_recv().ok()
    }

    /// Whether some task has ended (it failed, or [`stop`](Self::stop) was called).
    pub fn has_stopped_task(&self) -> bool {
        self.tasks.iter().any(|(_, task)| task.is_finished())
    }

    /// Ends every task in good order: each finishes the poll it is handling (hand-offs
    /// acknowledged, offsets committed), then closes its producer and consumer. Returns the
    /// first error a task failed with, naming its topic.
    pub async fn stop(self) -> Result<()> {
        let _ = self.stop.send(true);
        let mut first = None;
        for (topic, task) in self.tasks {
            let result = match task.await {
                Ok(result) => result,
                Err(join) => Err(Error::config(
                    "retry_topics",
                    format!("the task reading {topic} panicked or was cancelled: {join}"),
                )),
            };
            if let Err(error) = result {
                first.get_or_insert(error);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// Ends every task at once, as a crash would: nothing more is acknowledged, committed or
    /// closed; an open transaction stays open until a restart with the same
    /// `transactional.id`s fences it. The next start resumes from the committed offsets.
    pub fn abort(self) {
        for (_, task) in &self.tasks {
            task.abort();
        }
    }
}

impl Outcome {
    fn new(
        kind: OutcomeKind,
        attempts: u32,
        origin: Origin,
        record: &ConsumerRecord,
        error: Option<String>,
    ) -> Outcome {
        Outcome {
            kind,
            attempts,
            origin,
            key: record.key.clone(),
            value: record.value.clone(),
            error,
        }
    }
}

/// How long a stage's poll waits at most, so that a due record or a stop is seen soon.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RetryTopicsConfig {
        let consumer = ConsumerConfig::from_properties([
            ("bootstrap.servers", "b:9092"),
            ("group.id", "g"),
            ("max.poll.interval.ms", "10000"),
        ])
        .unwrap();
        let producer = ProducerConfig::from_properties([("bootstrap.servers", "b:9092")]).unwrap();
        RetryTopicsConfig::new("t", consumer, producer)
    }

    #[test]
    fn topics_follow_the_attempts() {
        let c = config().attempts(1);
        assert_eq!(c.stage_topics(), ["t"]);
        assert_eq!(c.target_topics(), ["t-dlt"]);
        let c = config().attempts(3);
        assert_eq!(c.target_topics(), ["t-retry-1", "t-retry-2", "t-dlt"]);
    }

    #[test]
    fn bad_configs_are_typed_errors() {
        let key_of = |c: RetryTopicsConfig| match c.validate() {
            Err(Error::Config { key, .. }) => key,
            other => panic!("{other:?}"),
        };
        assert_eq!(key_of(config().attempts(0)), "attempts");
        let mut no_group = config();
        no_group.consumer.group_id = None;
        assert_eq!(key_of(no_group), "group.id");
        // Blocking: 5 s is half of max.poll.interval.ms=10000, refused; 4.9 s is fine.
        let slow = config()
            .blocking()
            .backoff("100,5000".parse().unwrap())
            .attempts(3);
        assert_eq!(key_of(slow.clone()), "backoff");
        // The delay of a retry that never happens does not count.
        assert!(slow.attempts(2).validate().is_ok());
        assert!(config()
            .blocking()
            .backoff("4900".parse().unwrap())
            .validate()
            .is_ok());
        let mut no_idempotence = config().exactly_once("tx");
        no_idempotence.producer.enable_idempotence = false;
        assert_eq!(key_of(no_idempotence), "enable.idempotence");
    }
}
