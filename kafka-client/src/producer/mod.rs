//! The producer: [`Producer`] and what it is built from.
//!
//! One job per file, with Java's names:
//! - [`record`]: [`ProducerRecord`] in, [`RecordMetadata`] out;
//! - [`config`]: [`ProducerConfig`] (Kafka's keys and defaults);
//! - [`partitioner`]: which partition a record goes to;
//! - `buffer_pool`: `buffer.memory`, the one place `send` waits;
//! - `batch`: one partition's batch of encoded records;
//! - `delivery`: [`DeliveryFuture`], resolved by its batch's one shared completion;
//! - [`hook`]: [`ProducerHook`], the application's hook into every send and acknowledgement;
//! - `accumulator`: per-partition batch queues, readiness (`linger.ms`, `batch.size`) and
//!   draining — plain data taking `now`;
//! - `idempotence`: producer id, epoch and sequence numbers — plain data;
//! - `sender`: the one background task doing the I/O, retries and completions;
//! - `transaction`: the transactional producer's state machine ([`TransactionState`], the
//!   `TransactionManager` deciding every step) and its coordinator requests;
//! - `transactional`: the transactional half of [`Producer`] (`init_transactions` …
//!   `abort_transaction`), which performs the steps the manager decides.
//!
//! This file is the handle: it routes a record (metadata, partitioner), reserves buffer space,
//! appends to the accumulator and wakes the sender.

pub mod config;
pub mod hook;
pub mod partitioner;
pub mod record;
pub mod serializer;

mod accumulator;
mod batch;
mod buffer_pool;
mod delivery;
mod idempotence;
mod sender;
mod stats;
mod transaction;
mod transactional;

#[cfg(test)]
mod growth_tests;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::records::RECORD_BATCH_OVERHEAD;
use kafkito_protocol::ErrorCode;
use tokio::sync::Notify;
use tokio::time::Instant;
use tracing::{debug, info_span, Instrument};

pub use crate::metrics::ProducerMetrics;
pub use config::{Acks, ProducerConfig, ProducerConfigBuilder};
pub use delivery::DeliveryFuture;
pub use hook::ProducerHook;
pub use partitioner::{
    murmur2, DefaultPartitioner, Partitioner, PartitionerKind, RoundRobinPartitioner,
    UniformStickyPartitioner,
};
pub use record::{ProducerRecord, RecordMetadata, RecordRef, Topic};
pub use transaction::TransactionState;

use crate::cluster::metadata::Cluster;
use crate::cluster::MetadataClient;
use crate::error::{Error, Result};
use crate::metrics::ProducerSensors;
use crate::net::pool::BrokerPool;
use accumulator::{AccumulatorConfig, AppendOutcome, RecordAccumulator, TopicRouting, TopicSlot};
use batch::ProducerBatch;
use buffer_pool::BufferPool;
use transaction::Transactions;

/// An asynchronous Kafka producer. Cheap to clone; every clone feeds the same batches and the
/// same background sender task.
///
/// With `transactional.id` set it is a transactional producer: call
/// [`init_transactions`](Self::init_transactions) once, then send inside
/// [`begin_transaction`](Self::begin_transaction) …
/// [`commit_transaction`](Self::commit_transaction) /
/// [`abort_transaction`](Self::abort_transaction) (see `init_transactions` for an example).
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use std::time::Duration;
/// use kafkito::{Producer, ProducerConfig, ProducerRecord};
///
/// let config = ProducerConfig::from_properties([
///     ("bootstrap.servers", "localhost:9092"),
///     ("linger.ms", "10"),
/// ])?;
/// let producer = Producer::new(config).await?;
///
/// // Wait for one record's acknowledgement ...
/// let delivery = producer.send(ProducerRecord::new("orders").key("k").value("v")).await?;
/// let metadata = delivery.await?;
/// println!("written at {}-{}@{}", metadata.topic, metadata.partition, metadata.offset);
///
/// // ... or send many without per-record futures, and check them all at flush.
/// for i in 0..1000 {
///     producer.send_and_forget(ProducerRecord::new("orders").value(format!("{i}"))).await?;
/// }
/// producer.flush().await?;
/// producer.close(Duration::from_secs(5)).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Producer {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("client_id", &self.shared().config.client.client_id)
            .finish_non_exhaustive()
    }
}

/// Owned by the `Producer` clones: when the last goes, the sender is told to finish.
struct Handle {
    shared: Arc<Shared>,
    sender: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.stop();
    }
}

/// What the producer handles and the sender task share.
pub(crate) struct Shared {
    pub config: ProducerConfig,
    pub metadata: MetadataClient,
    accumulator: Mutex<RecordAccumulator>,
    pool: BufferPool,
    partitioner: Arc<dyn Partitioner>,
    pub wake_sender: Notify,
    batch_done: Notify,
    pub metrics: ProducerSensors,
    /// The first failure of a `send_and_forget` record since the last `flush`.
    forgotten_error: Mutex<Option<Error>>,
    /// Set when the idempotent producer cannot get a producer id (InitProducerId answered
    /// with a non-retriable error): every later `send` fails with it.
    fatal: Mutex<Option<Error>>,
    /// Whether `fatal` is set: read on every `send`, so that the usual answer costs no lock.
    has_fatal: AtomicBool,
    closed: AtomicBool,
    /// Set by close/drop: the sender finishes what is queued and stops.
    pub stopping: AtomicBool,
    /// Set when close's timeout ran out: the sender fails what is left.
    pub force_close: AtomicBool,
    /// The transaction manager of a transactional producer.
    pub txn: Option<Arc<Transactions>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn accumulator(&self) -> MutexGuard<'_, RecordAccumulator> {
        lock(&self.accumulator)
    }

    /// A batch completed or failed: free its memory and wake `flush`.
    pub fn batch_finished(&self, id: u64, reserved: usize) {
        self.pool.release(reserved);
        self.accumulator().batch_done(id);
        self.batch_done.notify_waiters();
    }

    pub fn record_forgotten_error(&self, error: &Error) {
        lock(&self.forgotten_error).get_or_insert_with(|| error.clone());
    }

    /// Makes the producer unusable: `send` fails with `error` from now on.
    pub fn set_fatal(&self, error: Error) {
        lock(&self.fatal).get_or_insert(error);
        self.has_fatal.store(true, Ordering::Release);
    }

    /// The error that made the producer unusable, if any. Checked twice a record: the
    /// common answer (none) is one inlined atomic load.
    #[inline]
    pub fn fatal_error(&self) -> Option<Error> {
        if !self.has_fatal.load(Ordering::Acquire) {
            return None;
        }
        self.recorded_fatal_error()
    }

    #[cold]
    fn recorded_fatal_error(&self) -> Option<Error> {
        lock(&self.fatal).clone()
    }

    fn stop(&self) {
        self.closed.store(true, Ordering::Release);
        self.accumulator().begin_close();
        self.stopping.store(true, Ordering::Release);
        self.wake_sender.notify_one();
    }
}

/// The routing of `topic` in `cluster`: `None` when the metadata does not know the topic's
/// partitions yet, `Some(Err)` when it reports a non-retriable error for it.
fn routing_in(cluster: &Cluster, topic: &str) -> Option<Result<TopicRouting>> {
    let info = cluster.topic(topic)?;
    match info.error {
        Some(code) if !code.is_retriable() => Some(Err(Error::Protocol {
            api: ApiKey::Metadata,
            code,
            message: Some(format!("metadata for topic {topic}")),
        })),
        _ if !info.partitions.is_empty() => Some(Ok(TopicRouting {
            partition_count: info.partitions.len() as i32,
            available: info
                .partitions
                .iter()
                .filter(|p| p.leader.is_some())
                .map(|p| p.partition)
                .collect(),
        })),
        _ => None,
    }
}

/// A record past `send`'s checks that waits for its topic's metadata or for memory.
struct Pending<'a> {
    record: RecordRef<'a>,
    /// The record's size upper bound: what it reserves of `buffer.memory`.
    size: usize,
    /// Whether it gets a delivery future (`send`) or not (`send_and_forget`).
    tracked: bool,
}

/// What [`Producer::try_enqueue`] did.
enum Enqueued<'a> {
    /// Appended, with the record's delivery future when it is tracked.
    Appended(Option<DeliveryFuture>),
    /// Waiting for metadata or memory: for [`Producer::enqueue_waiting`].
    Waiting(Pending<'a>),
    /// Not looked at: the producer has hooks, for [`Producer::send_hooked`].
    Hooked,
}

/// Fails a record whose explicit partition no topic can have (a negative one). A partition
/// at or beyond the count the metadata knows is not refused here: it may have been added since
/// the last refresh (CreatePartitions), so the record waits for the metadata to show it (see
/// [`beyond_known`]).
fn check_partition(record: &RecordRef<'_>, routing: &TopicRouting) -> Result<()> {
    match record.partition {
        Some(p) if p < 0 => Err(Error::Protocol {
            api: ApiKey::Produce,
            code: ErrorCode::UnknownTopicOrPartition,
            message: Some(format!(
                "partition {p} of topic {}, which has {} partitions",
                record.topic, routing.partition_count
            )),
        }),
        _ => Ok(()),
    }
}

/// Whether `record`'s explicit partition is beyond what the metadata knows of its topic. As
/// Java's `waitOnMetadata` does, such a record waits (within `max.block.ms`) for refreshes to
/// show the partition, rather than failing: right after `CreatePartitions` the producer's
/// metadata is up to `metadata.max.age.ms` old.
fn beyond_known(record: &RecordRef<'_>, routing: &TopicRouting) -> bool {
    record
        .partition
        .is_some_and(|p| p >= routing.partition_count)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Producer {
    /// Starts a producer: the metadata client, and the sender task (which fetches a producer
    /// id first when idempotence is on). Connects lazily; fails only on a bad config.
    pub async fn new(config: ProducerConfig) -> Result<Producer> {
        config.validate()?;
        let metadata = MetadataClient::new(BrokerPool::new(config.client.clone())?);
        let accumulator = RecordAccumulator::new(AccumulatorConfig {
            batch_size: config.batch_size,
            linger: sender::sendable_after(config.linger),
            compression: config.compression,
            compression_level: config.compression_level,
            delivery_timeout: config.delivery_timeout,
            transactional: config.transactional_id.is_some(),
            record_timestamps: !config.hooks.is_empty(),
        });
        let shared = Arc::new(Shared {
            partitioner: config.build_partitioner(),
            pool: BufferPool::new(config.buffer_memory),
            accumulator: Mutex::new(accumulator),
            metadata,
            wake_sender: Notify::new(),
            batch_done: Notify::new(),
            metrics: ProducerSensors::new(&config.client),
            forgotten_error: Mutex::new(None),
            fatal: Mutex::new(None),
            has_fatal: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            force_close: AtomicBool::new(false),
            txn: config
                .transactional_id
                .as_deref()
                .map(|id| Arc::new(Transactions::new(id))),
            config,
        });
        let task = tokio::spawn(sender::run(shared.clone()).instrument(
            info_span!("kafka.producer.sender", client_id = %shared.config.client.client_id),
        ));
        Ok(Producer {
            handle: Arc::new(Handle {
                shared,
                sender: Mutex::new(Some(task)),
            }),
        })
    }

    fn shared(&self) -> &Shared {
        &self.handle.shared
    }

    /// Enqueues `record` and returns the future of its acknowledgement. Waits only for the
    /// topic's first metadata and for `buffer.memory` space, both within `max.block.ms`.
    ///
    /// Fails at once with [`Error::RecordTooLarge`] for a record over `max.request.size`,
    /// [`Error::Closed`] after [`close`](Self::close). Once an idempotent producer could not
    /// get a producer id for good (InitProducerId answered with a non-retriable error such as
    /// CLUSTER_AUTHORIZATION_FAILED), fails at once with that error: the producer cannot
    /// write anything, so drop it.
    pub async fn send(&self, record: ProducerRecord) -> Result<DeliveryFuture> {
        let enqueued = match self.try_enqueue(record.as_record_ref(), true)? {
            Enqueued::Appended(delivery) => Some(delivery),
            // Boxed so that the waiting machinery (metadata refresh, buffer-pool wait) is not
            // part of `send`'s own future, which callers create and move once per record.
            Enqueued::Waiting(pending) => Some(Box::pin(self.enqueue_waiting(pending)).await?),
            Enqueued::Hooked => None,
        };
        // Out of the match, where the record is no longer lent: the hooks get it whole.
        let delivery = match enqueued {
            Some(delivery) => delivery,
            None => Box::pin(self.send_hooked(record, true)).await?,
        };
        Ok(delivery.expect("a tracked record is appended with its delivery future"))
    }

    /// [`send`](Self::send) for a lent record: its key, value and headers are copied into
    /// the batch during the call, so nothing is allocated or reference-counted per record
    /// (the cheapest tracked send). Same waits and errors as `send`.
    pub async fn send_ref(&self, record: RecordRef<'_>) -> Result<DeliveryFuture> {
        let delivery = match self.try_enqueue(record, true)? {
            Enqueued::Appended(delivery) => delivery,
            // Boxed so that the waiting machinery (metadata refresh, buffer-pool wait) is not
            // part of `send`'s own future, which callers create and move once per record.
            Enqueued::Waiting(pending) => Box::pin(self.enqueue_waiting(pending)).await?,
            // Hooks may add headers: they get an owned copy of the lent record.
            Enqueued::Hooked => Box::pin(self.send_hooked(record.to_record(), true)).await?,
        };
        Ok(delivery.expect("a tracked record is appended with its delivery future"))
    }

    /// Enqueues `record` without a delivery future: the cheapest way to send. A failure is
    /// reported by the next [`flush`](Self::flush).
    pub async fn send_and_forget(&self, record: ProducerRecord) -> Result<()> {
        let hooked = match self.try_enqueue(record.as_record_ref(), false)? {
            Enqueued::Appended(_) => false,
            Enqueued::Waiting(pending) => {
                Box::pin(self.enqueue_waiting(pending)).await?;
                false
            }
            Enqueued::Hooked => true,
        };
        if hooked {
            Box::pin(self.send_hooked(record, false)).await?;
        }
        Ok(())
    }

    /// Every send with hooks registered: the hooks' `on_send`, then the usual enqueueing; a
    /// record refused on the way (too large, closed, timed out waiting for metadata) is
    /// reported to the hooks' `on_acknowledgement` as failed, as Java's `onSendError` does.
    async fn send_hooked(
        &self,
        mut record: ProducerRecord,
        tracked: bool,
    ) -> Result<Option<DeliveryFuture>> {
        let hooks = &self.shared().config.hooks;
        hook::run_on_send(hooks, &mut record);
        let enqueued = match self.try_append(record.as_record_ref(), tracked) {
            Ok(Enqueued::Appended(delivery)) => Ok(delivery),
            Ok(Enqueued::Waiting(pending)) => self.enqueue_waiting(pending).await,
            Ok(Enqueued::Hooked) => unreachable!("try_append does not consult the hooks"),
            Err(error) => Err(error),
        };
        if let Err(error) = &enqueued {
            hook::run_on_acknowledgement(hooks, Err(error));
        }
        enqueued
    }

    /// The checks every record passes, then the fast path: with the topic's routing cached
    /// and room in `buffer.memory`, appends right away, without awaiting
    /// ([`Enqueued::Appended`]). Otherwise hands the record back ([`Enqueued::Waiting`]) for
    /// [`enqueue_waiting`](Self::enqueue_waiting), having reserved nothing and consulted no
    /// partitioner, so that path behaves as if the fast one had not been tried.
    ///
    /// With hooks registered it only answers [`Enqueued::Hooked`]: one check of an empty list
    /// is all the hooks cost a producer without them.
    fn try_enqueue<'a>(&self, record: RecordRef<'a>, tracked: bool) -> Result<Enqueued<'a>> {
        if !self.shared().config.hooks.is_empty() {
            return Ok(Enqueued::Hooked);
        }
        self.try_append(record, tracked)
    }

    /// [`try_enqueue`](Self::try_enqueue) past the hooks.
    #[inline(always)]
    fn try_append<'a>(&self, record: RecordRef<'a>, tracked: bool) -> Result<Enqueued<'a>> {
        let shared = self.shared();
        if shared.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        if let Some(error) = shared.fatal_error() {
            return Err(error);
        }
        if let Some(txn) = &shared.txn {
            // Fail fast, before waiting for metadata or memory.
            txn.manager().check_send()?;
        }
        let config = &shared.config;
        let size = ProducerBatch::record_size_hint(record.key, record.value, record.headers);
        let batch_bytes = size + RECORD_BATCH_OVERHEAD;
        if batch_bytes > config.max_request_size {
            return Err(Error::RecordTooLarge {
                size: batch_bytes,
                max: config.max_request_size,
                key: "max.request.size",
            });
        }
        if batch_bytes > config.buffer_memory {
            return Err(Error::RecordTooLarge {
                size: batch_bytes,
                max: config.buffer_memory,
                key: "buffer.memory",
            });
        }
        // One lock and one lookup by name a record: the topic's routing is cached beside its
        // queues (two locks and lookups, with the `Arc` counts they cost, were a tenth of a
        // record's cost; perf).
        let generation = shared.metadata.generation();
        let mut acc = shared.accumulator();
        let topic = acc.record_topic_id(record.topic);
        let routing = match self.cached_routing(&mut acc, topic, record.topic, generation) {
            Some(routing) => routing?,
            None => {
                drop(acc);
                return Ok(Enqueued::Waiting(Pending {
                    record,
                    size,
                    tracked,
                }));
            }
        };
        check_partition(&record, routing)?;
        if beyond_known(&record, routing) || !shared.pool.try_reserve(size) {
            drop(acc);
            return Ok(Enqueued::Waiting(Pending {
                record,
                size,
                tracked,
            }));
        }
        let partition = self.choose_partition(&record, routing);
        // The record is lent, not moved: each move of it is a copy.
        let appended = self.append_reserved(&mut acc, topic, &record, size, tracked, partition);
        drop(acc);
        self.woken_after_append(appended).map(Enqueued::Appended)
    }

    /// `topic`'s routing for metadata `generation`, from `acc`'s cache or computed from the
    /// current metadata (and cached): `None` while the metadata does not know the topic's
    /// partitions, `Some(Err)` when it reports a non-retriable error for it.
    fn cached_routing<'a>(
        &self,
        acc: &'a mut RecordAccumulator,
        topic: TopicSlot,
        name: &str,
        generation: u64,
    ) -> Option<Result<&'a Arc<TopicRouting>>> {
        if acc.routing(topic, generation).is_some() {
            return acc.routing(topic, generation).map(Ok);
        }
        // The `Arc<Cluster>` (whose count the sender task touches too) is cloned only here.
        match routing_in(&self.shared().metadata.cluster(), name)? {
            Ok(routing) => Some(Ok(acc.set_routing(topic, generation, Arc::new(routing)))),
            Err(error) => Some(Err(error)),
        }
    }

    /// Wakes the sender when an append asked for it (a new or full batch), once the
    /// accumulator is unlocked so that the sender does not wake into a held lock.
    fn woken_after_append(
        &self,
        appended: Result<(Option<DeliveryFuture>, bool)>,
    ) -> Result<Option<DeliveryFuture>> {
        let (delivery, wake) = appended?;
        if wake {
            self.shared().wake_sender.notify_one();
        }
        Ok(delivery)
    }

    /// The slow path of `send`: waits (within `max.block.ms`) for the topic's metadata and
    /// for `buffer.memory` space, then appends. The record's delivery future when tracked.
    async fn enqueue_waiting(&self, pending: Pending<'_>) -> Result<Option<DeliveryFuture>> {
        let shared = self.shared();
        let deadline = Instant::now() + shared.config.max_block;
        let Pending {
            record,
            size,
            tracked,
        } = pending;
        let routing = self.routing_with(&record, deadline).await?;
        let partition = self.choose_partition(&record, &routing);
        shared
            .pool
            .reserve(size, deadline.saturating_duration_since(Instant::now()))
            .await?;
        let mut acc = shared.accumulator();
        let topic = acc.record_topic_id(record.topic);
        let appended = self.append_reserved(&mut acc, topic, &record, size, tracked, partition);
        drop(acc);
        self.woken_after_append(appended)
    }

    /// The partition of a record whose explicit partition (if any) `check_partition` passed.
    fn choose_partition(&self, record: &RecordRef<'_>, routing: &TopicRouting) -> i32 {
        match record.partition {
            Some(p) => p,
            None => self.shared().partitioner.partition(
                record.topic,
                record.key,
                routing.partition_count,
                &routing.available,
            ),
        }
    }

    /// Appends a record whose `buffer.memory` bytes are reserved (released again on failure)
    /// to `batches`, locked by the caller. Never waits. Returns the record's delivery future
    /// when `tracked`, and whether the sender should be woken (a batch was started or filled).
    ///
    /// The partitioner runs under that lock, as librdkafka's does under its topic lock: it is
    /// called once a record and must be quick.
    fn append_reserved(
        &self,
        acc: &mut RecordAccumulator,
        topic_id: TopicSlot,
        record: &RecordRef<'_>,
        size: usize,
        tracked: bool,
        mut partition: i32,
    ) -> Result<(Option<DeliveryFuture>, bool)> {
        let shared = self.shared();
        let RecordRef {
            topic,
            partition: explicit,
            key,
            value,
            headers,
            timestamp,
        } = *record;
        let timestamp = timestamp.unwrap_or_else(now_ms);
        // Only a partition the partitioner chose for a keyless record may move when its batch
        // fills (KIP-480): keyed records must stay where their key hashes.
        let mut abort_on_new_batch = explicit.is_none() && key.is_none();
        let mut delivery = None;
        let mut wake = false;
        loop {
            if let Some(error) = shared.fatal_error() {
                // Checked again: InitProducerId may have failed while `send` waited.
                shared.pool.release(size);
                return Err(error);
            }
            if let Some(txn) = &shared.txn {
                // Checked again: the transaction may have ended while `send` waited. (The
                // manager is locked inside the accumulator's lock, the sender's order too.)
                if let Err(error) = txn.manager().on_send(topic, partition) {
                    shared.pool.release(size);
                    return Err(error);
                }
            }
            let outcome = acc.append(
                topic_id,
                partition,
                timestamp,
                key,
                value,
                headers,
                tracked.then_some(&mut delivery),
                size,
                abort_on_new_batch,
                Instant::now,
            );
            match outcome {
                Ok(AppendOutcome::Appended { wake: woken, .. }) => {
                    return Ok((delivery, wake || woken));
                }
                Ok(AppendOutcome::NewBatchRequired) => {
                    wake = true;
                    abort_on_new_batch = false;
                    // The routing the partition was chosen with (both paths cache it first).
                    let Some(routing) = acc.last_routing(topic_id) else {
                        continue;
                    };
                    shared.partitioner.on_new_batch(
                        topic,
                        partition,
                        routing.partition_count,
                        &routing.available,
                    );
                    partition = shared.partitioner.partition(
                        topic,
                        None,
                        routing.partition_count,
                        &routing.available,
                    );
                }
                Err(error) => {
                    shared.pool.release(size);
                    return Err(error);
                }
            }
        }
    }

    /// [`cached_routing`](Self::cached_routing) for a caller that may wait: the routing,
    /// shared.
    fn known_routing(&self, topic: &str) -> Option<Result<Arc<TopicRouting>>> {
        let generation = self.shared().metadata.generation();
        let mut acc = self.shared().accumulator();
        let id = acc.topic_id(topic);
        let routing = self.cached_routing(&mut acc, id, topic, generation)?;
        Some(routing.cloned())
    }

    /// [`routing`](Self::routing) for `record`, waiting also (until `deadline`) for its
    /// explicit partition to appear when the metadata knows fewer partitions (see
    /// [`beyond_known`]); each wait asks for a refresh, which the metadata backoff paces.
    async fn routing_with(
        &self,
        record: &RecordRef<'_>,
        deadline: Instant,
    ) -> Result<Arc<TopicRouting>> {
        let shared = self.shared();
        loop {
            let routing = self.routing(record.topic, deadline).await?;
            check_partition(record, &routing)?;
            if !beyond_known(record, &routing) {
                return Ok(routing);
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    what: format!(
                        "partition {} of topic {} in the metadata, which shows {} partitions \
                         (max.block.ms)",
                        record.partition.unwrap_or_default(),
                        record.topic,
                        routing.partition_count
                    ),
                    after: shared.config.max_block,
                });
            }
            debug!(
                topic = %record.topic,
                partition = record.partition,
                known = routing.partition_count,
                "partition beyond the known count; refreshing metadata"
            );
            let refreshed = shared.metadata.request_refresh().wait();
            match tokio::time::timeout_at(deadline, refreshed).await {
                Ok(Err(error)) if !error.is_retriable() => return Err(error),
                Ok(_) => {}
                // The next turn reports the timeout.
                Err(_) => {}
            }
        }
    }

    /// The partition count and available partitions of `topic`, waiting (until `deadline`)
    /// for metadata when the topic is not known yet.
    async fn routing(&self, topic: &str, deadline: Instant) -> Result<Arc<TopicRouting>> {
        let shared = self.shared();
        loop {
            if let Some(routing) = self.known_routing(topic) {
                return routing;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout {
                    what: format!("metadata for topic {topic} (max.block.ms)"),
                    after: shared.config.max_block,
                });
            }
            match tokio::time::timeout_at(deadline, shared.metadata.refresh_topics(&[topic])).await
            {
                Ok(Ok(_)) => {}
                Ok(Err(error)) if !error.is_retriable() => return Err(error),
                Ok(Err(_)) | Err(_) => {}
            }
            // A topic that is still unknown (being created) is asked about again after the
            // retry backoff, not in a tight loop.
            let cluster = shared.metadata.cluster();
            if cluster.topic(topic).is_none_or(|t| t.partitions.is_empty()) {
                let pause = shared.config.client.retry_backoff;
                tokio::time::sleep_until(deadline.min(Instant::now() + pause)).await;
            }
        }
    }

    /// Sends everything enqueued so far at once (ignoring `linger.ms`) and waits until all of
    /// it is acknowledged or failed. Returns the first failure of a
    /// [`send_and_forget`](Self::send_and_forget) record since the last flush.
    pub async fn flush(&self) -> Result<()> {
        let shared = self.shared();
        let target = shared.accumulator().begin_flush();
        shared.wake_sender.notify_one();
        if let Some(last) = target {
            loop {
                let notified = shared.batch_done.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if shared.accumulator().flushed(last) {
                    break;
                }
                notified.await;
            }
        }
        match lock(&shared.forgotten_error).take() {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Flushes within `timeout`, then stops the sender; records still pending after that fail
    /// with [`Error::Closed`]. Later sends fail with [`Error::Closed`]. Any clone may close.
    pub async fn close(&self, timeout: Duration) -> Result<()> {
        let shared = self.shared();
        shared.stop();
        let flushed = tokio::time::timeout(timeout, self.flush()).await;
        if flushed.is_err() {
            shared.force_close.store(true, Ordering::Release);
            shared.wake_sender.notify_one();
        }
        let task = lock(&self.handle.sender).take();
        if let Some(task) = task {
            if flushed.is_err() {
                // Requests in flight are abandoned after a short grace.
                let _ = tokio::time::timeout(Duration::from_millis(100), task).await;
            } else {
                let _ = task.await;
            }
        }
        match flushed {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                what: "flushing the producer on close".into(),
                after: timeout,
            }),
        }
    }

    /// A snapshot of the producer's metrics (Java's `producer-metrics`; see
    /// [`crate::metrics`] for each one's Java name), its connections' included. Cheap: a few
    /// dozen atomic loads and, once a sample window, a short lock.
    ///
    /// ```no_run
    /// # async fn demo(producer: kafkito::Producer) -> kafkito::Result<()> {
    /// producer.flush().await?;
    /// let m = producer.metrics();
    /// println!("{} sent, {} failed, {:.2} ms per request", m.records_sent, m.errors, m.request_latency_avg);
    /// # Ok(()) }
    /// ```
    pub fn metrics(&self) -> ProducerMetrics {
        self.shared().metrics_snapshot()
    }
}
