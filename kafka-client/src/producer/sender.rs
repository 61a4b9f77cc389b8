//! The sender (Java's `Sender`): the one background task that turns ready batches into
//! Produce requests and their responses into completed delivery futures or retries.
//!
//! It owns its state — the connections it uses, the requests in flight per broker, the
//! idempotence bookkeeping ([`SequenceManager`]) — and shares only the accumulator (a short
//! lock, never held across an `.await`) and the buffer pool with the producer handles.
//!
//! One loop: look at the accumulator (`ready`), expire batches past `delivery.timeout.ms`,
//! drain one request per broker while it has fewer than `max.in.flight` requests in flight,
//! then wait for whichever comes first: a wake-up from `send`/`flush`/`close`, a response, or
//! the next linger/backoff deadline.
//!
//! A transactional producer (`transactional.id`) adds three duties, decided by the
//! transaction manager (`transaction.rs`) and carried out here: before a partition's first
//! batch of a transaction is drained, the partitions `send` named are added with one
//! AddPartitionsToTxn (batches of partitions not yet added stay queued); batches carry the
//! transactional attribute and the Produce request the transactional id; and while a
//! transaction is aborting or can only be aborted, queued batches are failed instead of sent.
//! The producer id and epoch come from `init_transactions` (not from the sender's own
//! InitProducerId), and a batch failure inside a transaction makes it abortable.
//!
//! A non-transactional idempotent producer gets its id with InitProducerId (id and epoch -1)
//! before the first drain. When a partition's sequence cannot continue, the sequence
//! bookkeeping asks for a recovery (`idempotence.rs`); the sender lets what is in flight come
//! back, then applies it: an epoch bump is local (no request), a reset asks InitProducerId
//! for a new id. Either way the queued batches are re-sequenced from 0 before draining
//! resumes. A non-retriable InitProducerId answer (CLUSTER_AUTHORIZATION_FAILED, …) is fatal:
//! queued records fail with it and `send` refuses new ones.
//!
//! Request order on a connection is the order of drain: each request future is polled once as
//! soon as it is created, which writes it to the connection's queue (its in-flight slot is
//! free, since we never exceed the limit), before the next one is created. So batches of a
//! partition reach the broker in sequence order, which idempotence relies on.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::FuturesUnordered;
use futures::{Future, StreamExt};
use kafkito_protocol::messages::init_producer_id_request::InitProducerIdRequest;
use kafkito_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafkito_protocol::messages::{ApiKey, ProduceRequest, ProduceResponse};
use kafkito_protocol::wire::Uuid;
use kafkito_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::{debug, warn};

use crate::backoff::ExponentialBackoff;
use crate::cluster::metadata::Cluster;
use crate::error::{Error, Result};
use crate::net::Connection;
use crate::producer::accumulator::{DrainedBatch, Leaders};
use crate::producer::batch::ProducerBatch;
use crate::producer::hook;
use crate::producer::idempotence::{ProducerIdAndEpoch, SequenceDecision, SequenceManager};
use crate::producer::transaction::{
    self, classify, classify_produce, PartitionKey, TransactionState, Transactions, TxnErrorKind,
    MAX_TRANSACTIONAL_PRODUCE_VERSION,
};
use crate::producer::Shared;

type EventFuture = Pin<Box<dyn Future<Output = Event> + Send>>;

enum Event {
    Connected(i32, Result<Connection>),
    Produced {
        node: i32,
        batches: Vec<ProducerBatch>,
        sent_at: Instant,
        result: Result<Option<ProduceResponse>>,
    },
    ProducerId(Result<ProducerIdAndEpoch>),
    AddedPartitions(Result<HashMap<PartitionKey, ErrorCode>>),
}

struct Sender {
    shared: Arc<Shared>,
    sequences: Option<SequenceManager>,
    connections: HashMap<i32, Connection>,
    connecting: HashSet<i32>,
    in_flight: HashMap<i32, usize>,
    total_in_flight: usize,
    init_pid_in_flight: bool,
    /// Backoff for InitProducerId failures.
    init_pid_failures: u32,
    init_pid_retry_at: Option<Instant>,
    last_refresh_request: Option<Instant>,
    backoff: ExponentialBackoff,
    tasks: FuturesUnordered<EventFuture>,
    max_in_flight: usize,
    /// Set for a transactional producer.
    txn: Option<Arc<Transactions>>,
    add_in_flight: bool,
    add_failures: u32,
    add_retry_at: Option<Instant>,
}

/// Runs the sender until the producer is closed and everything queued is done (or failed).
pub(crate) async fn run(shared: Arc<Shared>) {
    let config = &shared.config;
    let mut sender = Sender {
        sequences: config.enable_idempotence.then(|| {
            if shared.txn.is_some() {
                SequenceManager::new()
            } else {
                SequenceManager::idempotent()
            }
        }),
        connections: HashMap::new(),
        connecting: HashSet::new(),
        in_flight: HashMap::new(),
        total_in_flight: 0,
        init_pid_in_flight: false,
        init_pid_failures: 0,
        init_pid_retry_at: None,
        last_refresh_request: None,
        backoff: ExponentialBackoff::retry(&config.client),
        tasks: FuturesUnordered::new(),
        max_in_flight: config.client.max_in_flight_requests_per_connection.max(1),
        txn: shared.txn.clone(),
        add_in_flight: false,
        add_failures: 0,
        add_retry_at: None,
        shared: shared.clone(),
    };
    // Publishes the metrics while the sender runs, and once more when it ends.
    let _publisher = super::stats::publisher(&shared);
    sender.run().await;
}

/// How long a batch waits before it is sendable: `linger.ms`, less the average lateness of the
/// sender's timer, so that batches go out `linger.ms` after their first record on average.
///
/// The sender sleeps on tokio's timer, which fires between 0 and 2 ms after the instant it is
/// set for, about 1 ms late on average: the instant is rounded up to the timer's 1 ms tick,
/// and the runtime then parks for whole milliseconds counted from the start of the current
/// one. A batch held for exactly `linger.ms` thus went out ~1 ms late (measured with linger
/// 5: 6.45 ms from send to acknowledgement at a 0.26 ms round trip, librdkafka 5.35 ms).
/// Kafka documents `linger.ms` as an upper bound on the delay added for batching, and Java's
/// own millisecond clock lets a batch go up to a millisecond early. At most half the linger
/// is taken off, so that a 1 ms linger still gathers records; linger 0 stays 0.
pub(crate) fn sendable_after(linger: Duration) -> Duration {
    linger - (linger / 2).min(Duration::from_millis(1))
}

impl Sender {
    async fn run(&mut self) {
        loop {
            let now = Instant::now();
            let next_check = self.run_once(now).await;
            if self.shared.stopping.load(Ordering::Acquire)
                && self.tasks.is_empty()
                && self.shared.accumulator().is_empty()
            {
                debug!("sender stopped");
                return;
            }
            let forced = self.shared.force_close.load(Ordering::Acquire);
            if forced {
                self.fail_everything(Error::Closed);
                if self.tasks.is_empty() {
                    return;
                }
            }
            let sleep = async {
                match next_check {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = self.shared.wake_sender.notified() => {}
                Some(event) = self.tasks.next(), if !self.tasks.is_empty() => self.handle(event),
                _ = sleep => {}
            }
        }
    }

    /// One pass: expire, start InitProducerId if due, drain and send. Returns when to look
    /// again (besides wake-ups and responses).
    async fn run_once(&mut self, now: Instant) -> Option<Instant> {
        // The generation first: the view read after it is at least that new, so leaders
        // cached under this generation are never older than it says.
        let generation = self.shared.metadata.generation();
        let cluster = self.shared.metadata.cluster();
        let leaders = Leaders {
            generation,
            leader_of: |topic: &str, p: i32| cluster.leader_for(topic, p).map(|b| b.id),
        };

        let (check, expired) = {
            let mut acc = self.shared.accumulator();
            let expired = acc.expire(now);
            (acc.ready(now, leaders), expired)
        };
        for batch in expired {
            self.expire(batch);
        }
        let mut next_check = check.next_check;
        if check.unknown_leaders {
            let due = self
                .last_refresh_request
                .is_none_or(|at| now >= at + self.shared.config.client.retry_backoff);
            if due {
                self.last_refresh_request = Some(now);
                drop(self.shared.metadata.request_refresh());
            }
            let retry = now + self.shared.config.client.retry_backoff;
            next_check = Some(next_check.map_or(retry, |n| n.min(retry)));
        }

        if let Some(txn) = self.txn.clone() {
            if self.transactional_pass(&txn, now, &mut next_check) {
                return next_check;
            }
        } else if let Some(sequences) = &mut self.sequences {
            if let Some(error) = self.shared.fatal_error() {
                // InitProducerId failed for good: nothing can be sent (`send` refuses new
                // records; fail any that slipped in before it knew).
                self.fail_everything(error);
                return next_check;
            }
            if sequences.needs_producer_id() {
                // Applied only with nothing in flight: no batch of the old epoch may still
                // be on the wire when the new one starts at sequence 0.
                if self.init_pid_in_flight || self.total_in_flight > 0 {
                    return next_check;
                }
                if sequences.bump_epoch_locally() {
                    // Only the restarted partitions' batches: the others keep the epoch and
                    // sequences they were sent under, so their retries stay duplicates.
                    self.forget_stale_sequences(false);
                } else {
                    match self.init_pid_retry_at {
                        Some(at) if at > now => {
                            next_check = Some(next_check.map_or(at, |n| n.min(at)));
                        }
                        _ => self.start_init_producer_id(),
                    }
                    return next_check;
                }
            }
        }

        for node in check.ready_nodes {
            if self.in_flight.get(&node).copied().unwrap_or(0) >= self.max_in_flight {
                continue;
            }
            let connection = match self.connections.get(&node) {
                Some(c) if !c.is_poisoned() => c.clone(),
                _ => {
                    self.connections.remove(&node);
                    self.connect(node);
                    continue;
                }
            };
            while self.in_flight.get(&node).copied().unwrap_or(0) < self.max_in_flight {
                let sequences = &mut self.sequences;
                let txn = self.txn.as_deref();
                let drained = self.shared.accumulator().drain(
                    node,
                    self.shared.config.max_request_size,
                    now,
                    leaders,
                    |batch| match sequences {
                        // A transaction's partition is sent to only once the broker has it in
                        // the transaction (AddPartitionsToTxn answered).
                        _ if txn.is_some_and(|t| {
                            !t.manager().is_send_allowed(&batch.topic, batch.partition)
                        }) =>
                        {
                            None
                        }
                        None => Some(None),
                        Some(sequences) => sequences
                            .stamp(
                                &batch.topic,
                                batch.partition,
                                batch.record_count(),
                                batch.producer_state,
                            )
                            .map(Some),
                    },
                );
                if drained.is_empty() {
                    break;
                }
                let encoded = self.encode(drained);
                if !encoded.is_empty() {
                    self.send_produce(node, &connection, &cluster, encoded)
                        .await;
                }
            }
        }
        next_check
    }

    /// Encodes (compresses) drained batches, outside the accumulator's lock so that sends go
    /// on meanwhile; a batch that cannot be encoded fails alone (its records were accepted,
    /// so this is not expected).
    fn encode(&mut self, drained: Vec<DrainedBatch>) -> Vec<(ProducerBatch, Bytes)> {
        let mut encoded = Vec::with_capacity(drained.len());
        let (mut uncompressed, mut compressed) = (0, 0);
        for drained in drained {
            let fresh = drained.batch.is_unencoded();
            match drained.encode() {
                (batch, Ok(bytes)) => {
                    // The first encoding notes the records' size before compression.
                    if fresh {
                        uncompressed += batch.uncompressed_size as usize;
                        compressed += bytes.len();
                    }
                    encoded.push((batch, bytes));
                }
                (batch, Err(error)) => self.fail(batch, error),
            }
        }
        if uncompressed > 0 {
            self.shared
                .accumulator()
                .observe_compression(uncompressed, compressed);
        }
        encoded
    }

    fn connect(&mut self, node: i32) {
        if !self.connecting.insert(node) {
            return;
        }
        let pool = self.shared.metadata.pool().clone();
        self.tasks.push(Box::pin(async move {
            Event::Connected(node, pool.connection(node).await)
        }));
    }

    /// The transactional part of a pass: sync the producer id and epoch from the transaction
    /// manager, fail queued batches when the transaction is aborting or broken, and start an
    /// AddPartitionsToTxn for new partitions. Returns whether draining must wait (no producer
    /// id yet, or an epoch bump pending).
    fn transactional_pass(
        &mut self,
        txn: &Arc<Transactions>,
        now: Instant,
        next_check: &mut Option<Instant>,
    ) -> bool {
        let (to_fail, to_add) = {
            let mut manager = txn.manager();
            if let Some(sequences) = &mut self.sequences {
                if let Some(producer) = manager.producer() {
                    if sequences.producer() != Some(producer) {
                        sequences.set_producer(producer);
                    }
                }
                if sequences.bump_requested() {
                    manager.request_epoch_bump(Error::Protocol {
                        api: ApiKey::Produce,
                        code: ErrorCode::OutOfOrderSequenceNumber,
                        message: Some("a batch's sequence may have left a gap".into()),
                    });
                }
            }
            let to_fail = match manager.state() {
                TransactionState::AbortingTransaction => Some(Error::TransactionAborted {
                    transactional_id: manager.transactional_id().to_owned(),
                }),
                TransactionState::AbortableError => manager.abortable_error(),
                TransactionState::FatalError => manager.last_error().cloned(),
                _ => None,
            };
            let due = !self.add_in_flight && self.add_retry_at.is_none_or(|at| at <= now);
            let to_add = if due {
                manager.partitions_to_add()
            } else {
                None
            };
            (to_fail, to_add)
        };
        if let Some(error) = to_fail {
            self.fail_everything(error);
        }
        if let Some((producer, partitions)) = to_add {
            self.add_in_flight = true;
            let metadata = self.shared.metadata.clone();
            let txn = txn.clone();
            self.tasks.push(Box::pin(async move {
                Event::AddedPartitions(
                    transaction::add_partitions(metadata, txn, producer, partitions).await,
                )
            }));
        } else if let Some(at) = self.add_retry_at.filter(|at| *at > now) {
            *next_check = Some(next_check.map_or(at, |n| n.min(at)));
        }
        self.sequences
            .as_ref()
            .is_none_or(|sequences| sequences.needs_producer_id())
    }

    /// InitProducerId for a non-transactional idempotent producer: always a new id (id and
    /// epoch -1). Its epoch bumps are local (see `idempotence.rs`); brokers refuse a
    /// non-transactional InitProducerId naming an existing id.
    fn start_init_producer_id(&mut self) {
        self.init_pid_in_flight = true;
        let metadata = self.shared.metadata.clone();
        let timeout_ms = self.shared.config.client.request_timeout.as_millis() as i32;
        self.tasks.push(Box::pin(async move {
            let result = async {
                let (_, connection) = metadata.any_connection().await?;
                let version = connection.version_for(ApiKey::InitProducerId)?;
                let request = InitProducerIdRequest {
                    transactional_id: None,
                    transaction_timeout_ms: timeout_ms.max(1),
                    producer_id: -1,
                    producer_epoch: -1,
                    ..Default::default()
                };
                let response = connection.call(&request, version).await?;
                Error::check(ApiKey::InitProducerId, response.error_code, None)?;
                Ok(ProducerIdAndEpoch {
                    producer_id: response.producer_id,
                    epoch: response.producer_epoch,
                })
            }
            .await;
            Event::ProducerId(result)
        }));
    }

    async fn send_produce(
        &mut self,
        node: i32,
        connection: &Connection,
        cluster: &Cluster,
        drained: Vec<(ProducerBatch, Bytes)>,
    ) {
        let config = &self.shared.config;
        let mut version = match connection.version_for(ApiKey::Produce) {
            Ok(v) if v >= 3 => v,
            Ok(v) => {
                let error = Error::UnsupportedVersion {
                    broker: connection.broker().to_owned(),
                    api: ApiKey::Produce,
                    broker_min: 0,
                    broker_max: v,
                    client_min: 3,
                    client_max: ApiKey::Produce.max_version(),
                };
                for (batch, _) in drained {
                    self.fail(batch, error.clone());
                }
                return;
            }
            Err(error) => {
                for (batch, _) in drained {
                    self.fail(batch, error.clone());
                }
                return;
            }
        };
        let topic_id = |name: &str| cluster.topic(name).map_or(Uuid::ZERO, |t| t.topic_id);
        if version >= 13 && drained.iter().any(|(b, _)| topic_id(&b.topic).is_zero()) {
            version = 12;
        }
        let transactional_id = self
            .txn
            .as_ref()
            .map(|t| t.manager().transactional_id().to_owned());
        if transactional_id.is_some() {
            version = version.min(MAX_TRANSACTIONAL_PRODUCE_VERSION);
        }
        let mut topic_data: Vec<TopicProduceData> = Vec::new();
        let mut bytes_sent = 0usize;
        let mut records = 0usize;
        let mut batches = Vec::with_capacity(drained.len());
        // A transactional producer's batches carry the transactional attribute from their
        // encoding (`ProducerBatch::transactional`): sent as they are.
        for (batch, bytes) in drained {
            bytes_sent += bytes.len();
            records += batch.record_count();
            self.shared
                .metrics
                .record_batch(bytes.len(), batch.uncompressed_size as usize);
            let partition = PartitionProduceData {
                index: batch.partition,
                records: Some(bytes),
                ..Default::default()
            };
            match topic_data.iter_mut().find(|t| *t.name == *batch.topic) {
                Some(t) => t.partition_data.push(partition),
                None => topic_data.push(TopicProduceData {
                    name: batch.topic.to_string(),
                    topic_id: if version >= 13 {
                        topic_id(&batch.topic)
                    } else {
                        Uuid::ZERO
                    },
                    partition_data: vec![partition],
                    ..Default::default()
                }),
            }
            batches.push(batch);
        }
        let request = ProduceRequest {
            transactional_id,
            acks: config.acks.wire(),
            timeout_ms: config
                .client
                .request_timeout
                .as_millis()
                .min(i32::MAX as u128) as i32,
            topic_data,
            ..Default::default()
        };
        debug!(
            node,
            version,
            batches = batches.len(),
            records,
            bytes = bytes_sent,
            "sending produce request"
        );
        let metrics = &self.shared.metrics;
        metrics.produce_requests.add(1);
        metrics.batches_sent.add(batches.len() as u64);
        metrics.bytes_sent.add(bytes_sent as u64);
        metrics.records_per_request.record(records as u64);

        *self.in_flight.entry(node).or_default() += 1;
        self.total_in_flight += 1;
        let acks_none = request.acks == 0;
        let connection = connection.clone();
        let sent_at = Instant::now();
        let mut future: EventFuture = Box::pin(async move {
            let result = if acks_none {
                connection
                    .send_no_response(&request, version)
                    .await
                    .map(|()| None)
            } else {
                connection.call(&request, version).await.map(Some)
            };
            Event::Produced {
                node,
                batches,
                sent_at,
                result,
            }
        });
        // Poll once now: this queues the frame on the connection before the next request is
        // built, so requests go out in drain order (see the module docs).
        match futures::poll!(future.as_mut()) {
            Poll::Ready(event) => self.handle(event),
            Poll::Pending => self.tasks.push(future),
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Connected(node, result) => {
                self.connecting.remove(&node);
                match result {
                    Ok(connection) => {
                        self.connections.insert(node, connection);
                    }
                    Err(error) => {
                        warn!(node, %error, "could not connect to the partition leader");
                        drop(self.shared.metadata.request_refresh());
                    }
                }
            }
            Event::ProducerId(result) => {
                self.init_pid_in_flight = false;
                match result {
                    Ok(pid) => {
                        debug!(
                            producer_id = pid.producer_id,
                            epoch = pid.epoch,
                            "producer id"
                        );
                        self.init_pid_failures = 0;
                        self.init_pid_retry_at = None;
                        if let Some(sequences) = &mut self.sequences {
                            sequences.set_producer(pid);
                            self.forget_stale_sequences(true);
                        }
                    }
                    Err(error) if init_producer_id_is_retriable(&error) => {
                        warn!(%error, "InitProducerId failed; retrying");
                        let delay = self.backoff.delay(self.init_pid_failures);
                        self.init_pid_failures += 1;
                        self.init_pid_retry_at = Some(Instant::now() + delay);
                    }
                    Err(error) => {
                        // As in Java: without a producer id nothing can be sent
                        // idempotently, and asking again would get the same answer (not
                        // authorized, not supported, a broker error). The producer is
                        // unusable: what waits fails now, every later `send` at once.
                        tracing::error!(%error, "InitProducerId failed for good: the idempotent producer cannot send");
                        self.shared.set_fatal(error.clone());
                        self.fail_everything(error);
                    }
                }
            }
            Event::AddedPartitions(result) => {
                self.add_in_flight = false;
                let Some(txn) = self.txn.clone() else {
                    return;
                };
                let retry = txn.manager().on_add_partitions(result);
                if retry {
                    let delay = self.backoff.delay(self.add_failures);
                    self.add_failures += 1;
                    self.add_retry_at = Some(Instant::now() + delay);
                } else {
                    self.add_failures = 0;
                    self.add_retry_at = None;
                }
                txn.changed.notify_waiters();
            }
            Event::Produced {
                node,
                batches,
                sent_at,
                result,
            } => {
                if let Some(n) = self.in_flight.get_mut(&node) {
                    *n = n.saturating_sub(1);
                }
                self.total_in_flight = self.total_in_flight.saturating_sub(1);
                self.shared.metrics.record_latency(sent_at.elapsed());
                match result {
                    Ok(Some(response)) => self.handle_response(batches, response),
                    Ok(None) => {
                        for batch in batches {
                            self.complete(batch, -1, None);
                        }
                    }
                    Err(error) => {
                        warn!(node, %error, "produce request failed");
                        if self
                            .connections
                            .get(&node)
                            .is_some_and(Connection::is_poisoned)
                        {
                            self.connections.remove(&node);
                        }
                        let refresh = error.is_retriable();
                        for batch in batches {
                            self.retry_or_fail(batch, error.clone());
                        }
                        if refresh {
                            drop(self.shared.metadata.request_refresh());
                        }
                    }
                }
            }
        }
    }

    fn handle_response(&mut self, batches: Vec<ProducerBatch>, response: ProduceResponse) {
        self.shared
            .metrics
            .produce_throttle
            .record(response.throttle_time_ms.max(0) as u64);
        let mut slots: Vec<Option<ProducerBatch>> = batches.into_iter().map(Some).collect();
        let cluster = self.shared.metadata.cluster();
        let mut refresh = false;
        for topic in &response.responses {
            let name: &str = if topic.name.is_empty() {
                cluster
                    .topic_by_id(topic.topic_id)
                    .map_or("", |t| t.name.as_str())
            } else {
                &topic.name
            };
            for p in &topic.partition_responses {
                let Some(slot) = slots.iter_mut().find(|s| {
                    s.as_ref()
                        .is_some_and(|b| b.partition == p.index && *b.topic == *name)
                }) else {
                    continue;
                };
                let batch = slot.take().expect("found above");
                let code = ErrorCode::from_code(p.error_code);
                if code.is_ok() || code == ErrorCode::DuplicateSequenceNumber {
                    let log_append_time =
                        (p.log_append_time_ms >= 0).then_some(p.log_append_time_ms);
                    self.complete(batch, p.base_offset, log_append_time);
                    continue;
                }
                let error = Error::Protocol {
                    api: ApiKey::Produce,
                    code,
                    message: p.error_message.clone(),
                };
                // The leader moved, the topic is new or gone: refresh before the retry, as
                // Java's `Sender` does for every InvalidMetadataException.
                refresh |= code.invalidates_metadata();
                self.on_partition_error(batch, code, error);
            }
        }
        for batch in slots.into_iter().flatten() {
            let error = Error::Protocol {
                api: ApiKey::Produce,
                code: ErrorCode::UnknownServerError,
                message: Some("the response did not mention this partition".into()),
            };
            self.fail(batch, error);
        }
        if refresh {
            drop(self.shared.metadata.request_refresh());
        }
    }

    fn on_partition_error(&mut self, mut batch: ProducerBatch, code: ErrorCode, error: Error) {
        if let Some(txn) = self.txn.clone() {
            // Fenced or unauthorized: fatal for a transactional producer (an idempotent one
            // would bump its epoch instead); TRANSACTION_ABORTABLE and the like: the batch
            // fails and the transaction can only be aborted (`fail` records that).
            let kind = classify_produce(code);
            if code == ErrorCode::InvalidProducerEpoch {
                // Not retried under a new epoch as an idempotent producer would: the abort
                // bumps it through the coordinator, which may say we are fenced.
                return self.fail(batch, error);
            }
            if matches!(
                kind,
                TxnErrorKind::Fenced | TxnErrorKind::Unauthorized | TxnErrorKind::Fatal
            ) && code != ErrorCode::UnsupportedForMessageFormat
            {
                let error = {
                    let mut manager = txn.manager();
                    let error =
                        transaction::txn_error(manager.transactional_id(), ApiKey::Produce, code);
                    manager.set_fatal(error.clone());
                    error
                };
                return self.fail(batch, error);
            }
        }
        if let (Some(sequences), Some(state)) = (&mut self.sequences, batch.producer_state) {
            match sequences.on_error(&batch.topic, batch.partition, &state, code) {
                SequenceDecision::Retry => return self.retry_or_fail(batch, error),
                SequenceDecision::Resequence => {
                    // Stamped anew (new epoch, new sequence) when drained again.
                    batch.producer_state = Some(state);
                    return self.retry_or_fail_forced(batch, error);
                }
                SequenceDecision::Fail => return self.fail(batch, error),
                SequenceDecision::NotSequenceError => {}
            }
        }
        if error.is_retriable() {
            self.retry_or_fail(batch, error);
        } else {
            self.fail(batch, error);
        }
    }

    /// A retry the sequence bookkeeping asked for: not counted against `retries`.
    fn retry_or_fail_forced(&mut self, batch: ProducerBatch, error: Error) {
        let deadline = batch.created + self.shared.config.delivery_timeout;
        if Instant::now() >= deadline {
            return self.expire_with(batch, Some(error));
        }
        self.requeue(batch, error);
    }

    fn retry_or_fail(&mut self, batch: ProducerBatch, error: Error) {
        let deadline = batch.created + self.shared.config.delivery_timeout;
        if Instant::now() >= deadline {
            return self.expire_with(batch, Some(error));
        }
        if batch.attempts > self.shared.config.retries {
            return self.fail(batch, error);
        }
        self.requeue(batch, error);
    }

    fn requeue(&mut self, mut batch: ProducerBatch, error: Error) {
        let delay: Duration = self.backoff.delay(batch.attempts.saturating_sub(1));
        debug!(topic = %batch.topic, partition = batch.partition, attempts = batch.attempts, ?delay, %error, "retrying batch");
        self.shared.metrics.retries.add(1);
        self.shared
            .metrics
            .record_retries
            .add(batch.record_count() as u64);
        batch.retry_at = Some(Instant::now() + delay);
        batch.last_error = Some(error);
        self.shared.accumulator().reenqueue(batch);
    }

    fn expire(&mut self, batch: ProducerBatch) {
        let last = batch.last_error.clone();
        self.expire_with(batch, last);
    }

    fn expire_with(&mut self, batch: ProducerBatch, last_error: Option<Error>) {
        let error = Error::DeliveryTimeout {
            topic: batch.topic.to_string(),
            partition: batch.partition,
            after: self.shared.config.delivery_timeout,
            last_error: last_error.map(|e| e.to_string()),
        };
        self.fail(batch, error);
    }

    fn complete(&mut self, batch: ProducerBatch, base_offset: i64, log_append_time: Option<i64>) {
        debug!(topic = %batch.topic, partition = batch.partition, base_offset, records = batch.record_count(), "batch acknowledged");
        if let (Some(sequences), Some(state)) = (&mut self.sequences, &batch.producer_state) {
            sequences.on_success(&batch.topic, batch.partition, batch.record_count(), state);
        }
        self.shared
            .metrics
            .records_sent
            .add(batch.record_count() as u64);
        let (id, reserved) = (batch.id, batch.reserved);
        hook::batch_decided(
            &self.shared.config.hooks,
            &batch,
            Ok((base_offset, log_append_time)),
        );
        batch.complete(base_offset, log_append_time);
        self.shared.batch_finished(id, reserved);
    }

    fn fail(&mut self, batch: ProducerBatch, error: Error) {
        warn!(topic = %batch.topic, partition = batch.partition, records = batch.record_count(), %error, "batch failed");
        if let Some(sequences) = &mut self.sequences {
            sequences.on_batch_failed(&batch.topic, batch.partition, batch.producer_state.as_ref());
            if let Some(txn) = &self.txn {
                // Told now, not at the next pass: an abort waiting for this batch must know
                // whether it has to bump the epoch.
                let mut manager = txn.manager();
                if sequences.bump_requested() {
                    manager.request_epoch_bump(error.clone());
                }
                manager.set_abortable(error.clone());
            }
        }
        self.shared.metrics.errors.add(batch.record_count() as u64);
        if batch.has_forgotten_records() {
            self.shared.record_forgotten_error(&error);
        }
        let (id, reserved) = (batch.id, batch.reserved);
        hook::batch_decided(&self.shared.config.hooks, &batch, Err(&error));
        batch.fail(&error);
        self.shared.batch_finished(id, reserved);
    }

    /// After a new epoch or producer id (nothing in flight, so every unacknowledged batch is
    /// queued): clears the producer fields of the queued batches, so each is stamped with a
    /// fresh sequence when drained, in queue order. After a new producer id (`all`) every
    /// batch's: a broker that restarted empty may hand out the very id and epoch it gave
    /// before, and such batches would look current and keep sequences the broker no longer
    /// expects. After a local epoch bump only those of the partitions it restarted.
    fn forget_stale_sequences(&mut self, all: bool) {
        if self.txn.is_some() {
            return;
        }
        let Some(sequences) = &self.sequences else {
            return;
        };
        let mut acc = self.shared.accumulator();
        let batches = acc.drain_all();
        let mut stale = 0;
        for mut batch in batches {
            if let Some(state) = &batch.producer_state {
                if all || !sequences.is_current(&batch.topic, batch.partition, state) {
                    batch.producer_state = None;
                    stale += 1;
                }
            }
            acc.reenqueue(batch);
        }
        if stale > 0 {
            debug!(batches = stale, "queued batches will be re-sequenced");
        }
    }

    fn fail_everything(&mut self, error: Error) {
        let batches = self.shared.accumulator().drain_all();
        for batch in batches {
            self.fail(batch, error.clone());
        }
    }
}

/// Whether a failed InitProducerId (of a non-transactional idempotent producer) is worth
/// sending again: connection trouble, and the codes of a coordinator that is moving, loading
/// or busy. Anything else (CLUSTER_AUTHORIZATION_FAILED, UNSUPPORTED_VERSION, an unknown
/// server error…) is fatal for the producer, as in Java's `InitProducerIdHandler`.
fn init_producer_id_is_retriable(error: &Error) -> bool {
    match error.code() {
        Some(code) => matches!(classify(code), TxnErrorKind::Retriable),
        None => error.is_retriable(),
    }
}

#[cfg(test)]
mod wire_tests {
    //! A non-transactional idempotent producer against a scripted broker: InitProducerId
    //! errors, and how sequence errors recover (local epoch bump, or a new producer id).

    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use kafkito_protocol::messages::{
        ApiKey, InitProducerIdRequest, InitProducerIdResponse, MetadataRequest, ProduceRequest,
    };
    use kafkito_protocol::ErrorCode;

    use crate::producer::{Producer, ProducerConfig, ProducerRecord};
    use crate::test_support::{
        cluster, one_partition_topic, pop, produced, produced_batches, respond, FakeBroker, Reply,
    };

    /// Error codes the fake broker answers with (popped per request; none once empty), and
    /// what it saw.
    #[derive(Default)]
    struct Script {
        init: VecDeque<ErrorCode>,
        produce: VecDeque<ErrorCode>,
        /// Hand out id 7, epoch 0 every time (a broker that restarted empty, like tansu).
        same_id: bool,
        /// Per InitProducerId: the (id, epoch) it named.
        inits: Vec<(i64, i16)>,
        /// Per Produce: (producer id, epoch, base sequence) of its batch.
        sequences: Vec<(i64, i16, i32)>,
    }

    /// One broker, leader of partition 0 of topic "t". Each successful InitProducerId hands
    /// out a new id (7, 8, …) at epoch 0.
    async fn fake_broker(script: Arc<Mutex<Script>>) -> String {
        let apis = [
            (ApiKey::ApiVersions, 3),
            (ApiKey::Metadata, 12),
            (ApiKey::InitProducerId, 5),
            (ApiKey::Produce, 11),
        ];
        let broker = FakeBroker::start(&apis, move |request, address| match request.api() {
            ApiKey::Metadata => respond::<MetadataRequest>(
                request,
                &cluster(address, vec![one_partition_topic("t")]),
            ),
            ApiKey::InitProducerId => {
                let decoded: InitProducerIdRequest = request.decode();
                let (code, issued) = {
                    let mut s = script.lock().unwrap();
                    s.inits.push((decoded.producer_id, decoded.producer_epoch));
                    let code = pop(&mut s.init);
                    let issued = if s.same_id { 1 } else { s.inits.len() };
                    (code, issued as i64)
                };
                let response = InitProducerIdResponse {
                    error_code: code,
                    producer_id: if code == 0 { 6 + issued } else { -1 },
                    producer_epoch: if code == 0 { 0 } else { -1 },
                    ..Default::default()
                };
                respond::<InitProducerIdRequest>(request, &response)
            }
            ApiKey::Produce => {
                let decoded: ProduceRequest = request.decode();
                let batch = &produced_batches(&decoded)[0];
                let code = {
                    let mut s = script.lock().unwrap();
                    s.sequences.push((
                        batch.producer_id,
                        batch.producer_epoch,
                        batch.base_sequence,
                    ));
                    pop(&mut s.produce)
                };
                // Throttled 3 ms each time: the producer's throttle metrics read it.
                let mut response = produced("t", code);
                response.throttle_time_ms = 3;
                respond::<ProduceRequest>(request, &response)
            }
            _ => Reply::Unhandled,
        })
        .await;
        broker.address()
    }

    async fn producer(bootstrap: &str) -> Producer {
        let config = ProducerConfig::from_properties([
            ("bootstrap.servers", bootstrap),
            ("enable.idempotence", "true"),
            ("retry.backoff.ms", "5"),
            ("retry.backoff.max.ms", "20"),
            ("linger.ms", "0"),
            ("max.block.ms", "5000"),
            ("request.timeout.ms", "3000"),
            ("delivery.timeout.ms", "5000"),
        ])
        .unwrap();
        Producer::new(config).await.unwrap()
    }

    async fn send(producer: &Producer, value: &str) -> crate::Result<()> {
        let delivery = producer
            .send(
                ProducerRecord::new("t")
                    .partition(0)
                    .value(value.to_owned()),
            )
            .await?;
        tokio::time::timeout(std::time::Duration::from_secs(10), delivery)
            .await
            .expect("delivery completes")
            .map(|_| ())
    }

    /// CLUSTER_AUTHORIZATION_FAILED from InitProducerId is fatal: the waiting record fails
    /// with it, once; every later send fails at once with it; it is not asked again.
    #[tokio::test]
    async fn non_retriable_init_producer_id_is_fatal() {
        let script = Arc::new(Mutex::new(Script::default()));
        script.lock().unwrap().init = VecDeque::from([ErrorCode::ClusterAuthorizationFailed]);
        let bootstrap = fake_broker(script.clone()).await;
        let producer = producer(&bootstrap).await;
        for value in ["a", "b", "c"] {
            let err = send(&producer, value).await.unwrap_err();
            assert_eq!(
                err.code(),
                Some(ErrorCode::ClusterAuthorizationFailed),
                "{err}"
            );
            assert!(!err.is_retriable());
        }
        let s = script.lock().unwrap();
        assert_eq!(s.inits.len(), 1, "not retried");
        assert!(s.sequences.is_empty(), "nothing written without an id");
    }

    /// A coordinator that is loading is asked again.
    #[tokio::test]
    async fn retriable_init_producer_id_is_retried() {
        let script = Arc::new(Mutex::new(Script::default()));
        script.lock().unwrap().init = VecDeque::from([
            ErrorCode::CoordinatorLoadInProgress,
            ErrorCode::NotCoordinator,
        ]);
        let bootstrap = fake_broker(script.clone()).await;
        let producer = producer(&bootstrap).await;
        send(&producer, "a").await.unwrap();
        let s = script.lock().unwrap();
        assert_eq!(s.inits, [(-1, -1); 3]);
        assert_eq!(s.sequences, [(9, 0, 0)]);
    }

    /// A batch failing for good leaves a sequence gap: the epoch is bumped locally (no
    /// InitProducerId naming the old id, which brokers refuse without a transactional id),
    /// and the next record goes out at sequence 0 of the new epoch.
    #[tokio::test]
    async fn fatal_batch_error_bumps_the_epoch_locally() {
        let script = Arc::new(Mutex::new(Script::default()));
        let bootstrap = fake_broker(script.clone()).await;
        let producer = producer(&bootstrap).await;
        send(&producer, "a").await.unwrap();
        script.lock().unwrap().produce = VecDeque::from([ErrorCode::TopicAuthorizationFailed]);
        let err = send(&producer, "b").await.unwrap_err();
        assert_eq!(err.code(), Some(ErrorCode::TopicAuthorizationFailed));
        send(&producer, "c").await.unwrap();
        send(&producer, "d").await.unwrap();
        let s = script.lock().unwrap();
        assert_eq!(s.inits, [(-1, -1)], "the bump asks the broker nothing");
        assert_eq!(s.sequences, [(7, 0, 0), (7, 0, 1), (7, 1, 0), (7, 1, 1)]);
    }

    /// The broker forgot the producer (UNKNOWN_PRODUCER_ID): a new id (InitProducerId with
    /// -1), and the record is sent again under it, not failed.
    #[tokio::test]
    async fn unknown_producer_id_gets_a_new_id_and_resends() {
        let script = Arc::new(Mutex::new(Script::default()));
        let bootstrap = fake_broker(script.clone()).await;
        let producer = producer(&bootstrap).await;
        send(&producer, "a").await.unwrap();
        script.lock().unwrap().produce = VecDeque::from([ErrorCode::UnknownProducerId]);
        send(&producer, "b").await.unwrap();
        send(&producer, "c").await.unwrap();
        let s = script.lock().unwrap();
        assert_eq!(s.inits, [(-1, -1), (-1, -1)]);
        assert_eq!(s.sequences, [(7, 0, 0), (7, 0, 1), (8, 0, 0), (8, 0, 1)]);
    }

    /// A broker that restarted empty forgets the producer and hands out the same id and
    /// epoch again: the batch is still re-sequenced from 0 (it would otherwise keep its old
    /// sequence, which the broker refuses as out of order until the delivery timeout).
    #[tokio::test]
    async fn reset_to_the_same_id_still_resequences() {
        let script = Arc::new(Mutex::new(Script {
            same_id: true,
            ..Script::default()
        }));
        let bootstrap = fake_broker(script.clone()).await;
        let producer = producer(&bootstrap).await;
        send(&producer, "a").await.unwrap();
        send(&producer, "b").await.unwrap();
        script.lock().unwrap().produce = VecDeque::from([ErrorCode::UnknownProducerId]);
        send(&producer, "c").await.unwrap();
        send(&producer, "d").await.unwrap();
        let s = script.lock().unwrap();
        assert_eq!(s.inits, [(-1, -1), (-1, -1)]);
        assert_eq!(
            s.sequences,
            [(7, 0, 0), (7, 0, 1), (7, 0, 2), (7, 0, 0), (7, 0, 1)]
        );
    }

    /// The producer's metrics count what the crafted answers did: a record written at once,
    /// one retried (NOT_LEADER_OR_FOLLOWER) and written, one failed for good; four Produce
    /// round trips, each throttled 3 ms.
    #[tokio::test]
    async fn metrics_count_sends_retries_errors_and_throttling() {
        let script = Arc::new(Mutex::new(Script::default()));
        let bootstrap = fake_broker(script.clone()).await;
        let producer = producer(&bootstrap).await;
        send(&producer, "a").await.unwrap();
        script.lock().unwrap().produce = VecDeque::from([ErrorCode::NotLeaderOrFollower]);
        send(&producer, "b").await.unwrap();
        script.lock().unwrap().produce = VecDeque::from([ErrorCode::TopicAuthorizationFailed]);
        send(&producer, "c").await.unwrap_err();
        assert_eq!(
            script.lock().unwrap().sequences.len(),
            4,
            "four Produce requests"
        );
        let m = producer.metrics();
        assert_eq!((m.records_sent, m.errors), (2, 1));
        assert_eq!((m.retries, m.record_retry_total), (1, 1));
        assert_eq!((m.produce_requests, m.batches_sent), (4, 4));
        assert_eq!(m.records_per_request_avg, 1.0);
        assert_eq!(
            (m.produce_throttle_time_avg, m.produce_throttle_time_max),
            (3.0, 3.0)
        );
        assert!(m.batch_size_max > 0 && m.batch_size_avg > 0.0);
        assert!(
            m.compression_rate_avg > 0.9 && m.compression_rate_avg < 1.5,
            "uncompressed: about 1, {}",
            m.compression_rate_avg
        );
        assert!(m.request_latency_max >= m.request_latency_avg);
        assert_eq!(m.buffer_available_bytes, m.buffer_total_bytes);
        let c = m.connections;
        // To the bootstrap address (metadata) and to broker 0 (produce): the pool keeps them
        // apart (see `net::pool`).
        assert_eq!(c.connection_creation_total, 2, "{c:?}");
        assert_eq!((c.connection_count, c.connection_close_total), (2, 0));
        // ApiVersions, Metadata (at least twice: the retry refreshed it), InitProducerId and
        // the four Produce requests, each answered.
        assert!(c.request_total >= 8, "{c:?}");
        assert_eq!(c.request_total, c.response_total);
        assert!(c.outgoing_byte_total > m.bytes_sent && c.incoming_byte_total > 0);
    }

    /// OUT_OF_ORDER_SEQUENCE_NUMBER on the next expected batch (a broker that lost batches):
    /// bump the epoch and resend from 0; refused again at sequence 0 (it lost our state
    /// altogether): a new id. The record is written, not failed.
    #[tokio::test]
    async fn out_of_order_sequence_bumps_then_resets() {
        let script = Arc::new(Mutex::new(Script::default()));
        let bootstrap = fake_broker(script.clone()).await;
        let producer = producer(&bootstrap).await;
        send(&producer, "a").await.unwrap();
        script.lock().unwrap().produce = VecDeque::from([
            ErrorCode::OutOfOrderSequenceNumber,
            ErrorCode::OutOfOrderSequenceNumber,
        ]);
        send(&producer, "b").await.unwrap();
        let s = script.lock().unwrap();
        assert_eq!(s.inits, [(-1, -1), (-1, -1)]);
        assert_eq!(s.sequences, [(7, 0, 0), (7, 0, 1), (7, 1, 0), (8, 0, 0)]);
    }
}

#[cfg(test)]
mod linger_tests {
    use super::*;

    #[test]
    fn batches_are_sendable_a_timer_lateness_before_linger_ends() {
        let ms = Duration::from_millis;
        // The timer's average lateness (1 ms) comes off…
        assert_eq!(sendable_after(ms(5)), ms(4));
        assert_eq!(sendable_after(ms(100)), ms(99));
        // …but never more than half the linger, and linger 0 stays 0.
        assert_eq!(sendable_after(ms(1)), Duration::from_micros(500));
        assert_eq!(sendable_after(Duration::ZERO), Duration::ZERO);
    }
}
