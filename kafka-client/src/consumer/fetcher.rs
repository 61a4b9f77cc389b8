//! The fetch side: building one Fetch per leader, the tasks that send them, and turning the
//! answers into records ([`CompletedFetch`], held in a [`FetchBuffer`]).
//!
//! Flow (as Java's `Fetcher`/`FetchCollector`): the consumer asks [`build_fetch_request`] for one
//! request per leader covering the fetchable partitions that have neither buffered data nor a
//! fetch in flight, and [`FetchTask::spawn`] sends each from its own task. The task owns its
//! request until the response (or error) comes back over a channel as a [`FetchOutcome`].
//! Because a partition is fetched again only once its buffered data is drained, and a broker
//! gets one fetch at a time, memory stays bounded by about `fetch.max.bytes` per broker plus
//! one response per partition — while the application processes a `poll`'s records, the
//! next fetches are already under way.
//!
//! A partition is fetched from its leader, or from the replica its leader named as the
//! preferred read replica (KIP-392; the rules are in [`super::subscription`]). Each
//! partition of a Fetch carries the leader epoch the consumer knows (a stale leader answers
//! FENCED_LEADER_EPOCH instead of data) and, from v12, the epoch of the last record read (a
//! leader whose log diverged answers with `diverging_epoch`); positions are validated after
//! a leader change with OffsetForLeaderEpoch ([`build_offset_for_leader_epoch_request`]).
//!
//! Decoding is lazy: a [`CompletedFetch`] keeps the response's record bytes and decodes one
//! batch at a time as `poll` drains it. Control batches are never surfaced.
//!
//! # `read_committed`
//!
//! Kafka's protocol gives a `read_committed` reader two facts: the broker answers only up to
//! the partition's *last stable offset* (the first offset of the oldest open transaction),
//! and it lists the aborted transactions (producer id, first offset) of the answered range.
//! Java trusts both: it drops a producer's batches from a listed first offset up to that
//! producer's ABORT marker, and delivers every other transactional batch.
//!
//! This client lets the transaction markers decide, and falls back on the list only where no
//! marker is in reach. The markers (COMMIT / ABORT control batches) are the log's own record of
//! each outcome, and below the last stable offset every transaction's marker exists; so a reader
//! that goes by them delivers no aborted record even when a broker's aborted-transactions list is
//! incomplete or empty, and it needs nothing but the answer in hand:
//!
//! 1. When a fetch is created, its bytes are scanned once for control batches (their 61-byte
//!    headers are read in place; only the tiny, never-compressed control batches are
//!    decoded). That gives, per producer, its COMMIT/ABORT markers in this answer: a few
//!    entries, no copy of the data.
//! 2. A transactional data batch is delivered if its producer's next marker in the answer is
//!    a COMMIT, and dropped if it is an ABORT — whatever the list says.
//! 3. If the marker is not in this answer (the answer was cut by `max.partition.fetch.bytes`,
//!    or the broker sent data past the last stable offset), delivery stops at that batch:
//!    the position stays at it and the next fetch starts there, so the marker has a whole
//!    fetch's worth of room. Records before it are delivered in order; nothing after it is
//!    (offsets are delivered in order, so one undecided transaction holds the partition, as
//!    the last stable offset does on Kafka).
//! 4. If the batch is the *first* of its fetch and its marker is still not there (one
//!    transaction larger than `max.partition.fetch.bytes`), waiting cannot help: Java's rule
//!    decides (dropped if the aborted-transactions list names it, delivered otherwise), which
//!    is exact when the list is complete, as Kafka's is. With `max.partition.fetch.bytes`
//!    above the largest transaction every decision stays with the markers.
//! 5. Given the response's last stable offset ([`CompletedFetch::with_last_stable_offset`]),
//!    nothing at or past it is delivered, whatever the broker sent.
//!
//! Memory stays bounded by the fetch itself: nothing is held across fetches, and step 3
//! re-fetches instead of buffering.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafkito_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafkito_protocol::messages::fetch_response::{AbortedTransaction, PartitionData};
use kafkito_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::messages::{
    FetchRequest, FetchResponse, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse,
};
use kafkito_protocol::records::{
    BatchDecoder, ControlRecord, ControlRecordType, DecodeOptions, Record, TimestampType,
};
use kafkito_protocol::ErrorCode;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::debug;

use super::subscription::{EpochEndOffset, SubscriptionState};
use super::{ConsumerRecord, TopicPartition};
use crate::error::{Error, Result};
use crate::metrics::ConsumerSensors;
use crate::net::Connection;

/// The highest Fetch version used: v13+ names topics by id.
pub const MAX_FETCH_VERSION: i16 = 12;

/// The fewest bytes one record takes in a v2 batch (empty key and value, no headers: length,
/// attributes, deltas, key and value lengths, header count), for estimates only.
const MIN_RECORD_BYTES: usize = 8;

/// Request-wide Fetch settings (from the consumer config).
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// `fetch.max.wait.ms`.
    pub max_wait: Duration,
    /// `fetch.min.bytes`.
    pub min_bytes: i32,
    /// `fetch.max.bytes`.
    pub max_bytes: i32,
    /// `max.partition.fetch.bytes`.
    pub partition_max_bytes: i32,
    /// `isolation.level=read_committed`.
    pub read_committed: bool,
    /// `client.rack`.
    pub rack_id: String,
}

/// The Fetch for one broker (a leader, or a preferred read replica): `partitions` with the
/// offset each is fetched from. `epochs` gives each partition's `(current_leader_epoch,
/// last_fetched_epoch)` (`-1`: unknown; see [`SubscriptionState::fetch_epochs`]): with the
/// first a broker refuses to serve from a stale leader (FENCED_LEADER_EPOCH), with the
/// second (v12+) it reports a log that diverged from what was read (`diverging_epoch`).
///
/// The request lists the partitions in the order given, each topic once, at its first
/// partition's place: a broker fills its answer in request order until `fetch.max.bytes`, so
/// the order is the fetch order the subscription keeps
/// ([`SubscriptionState::move_to_end`](super::subscription::SubscriptionState::move_to_end)).
pub fn build_fetch_request(
    settings: &FetchSettings,
    partitions: &[(TopicPartition, i64)],
    epochs: impl Fn(&TopicPartition) -> (i32, i32),
) -> FetchRequest {
    let mut topics: Vec<(&str, Vec<FetchPartition>)> = Vec::new();
    let mut topic_index: HashMap<&str, usize> = HashMap::new();
    for (tp, offset) in partitions {
        let (current_leader_epoch, last_fetched_epoch) = epochs(tp);
        let index = *topic_index.entry(&tp.topic).or_insert_with(|| {
            topics.push((&tp.topic, Vec::new()));
            topics.len() - 1
        });
        topics[index].1.push(FetchPartition {
            partition: tp.partition,
            fetch_offset: *offset,
            partition_max_bytes: settings.partition_max_bytes,
            current_leader_epoch,
            last_fetched_epoch,
            ..Default::default()
        });
    }
    FetchRequest {
        replica_id: -1,
        max_wait_ms: i32::try_from(settings.max_wait.as_millis()).unwrap_or(i32::MAX),
        min_bytes: settings.min_bytes,
        max_bytes: settings.max_bytes,
        isolation_level: i8::from(settings.read_committed),
        // No fetch session (KIP-227): every request is a full one.
        session_id: 0,
        session_epoch: -1,
        topics: topics
            .into_iter()
            .map(|(topic, partitions)| FetchTopic {
                topic: topic.to_owned(),
                partitions,
                ..Default::default()
            })
            .collect(),
        rack_id: settings.rack_id.clone(),
        ..Default::default()
    }
}

/// The oldest OffsetForLeaderEpoch version that carries `current_leader_epoch` (so that a
/// stale leader is fenced instead of answering), the first a consumer can use (KIP-320).
/// The newest version both sides support is sent; v3 only adds `replica_id`, which a consumer
/// leaves at -1, so a broker offering just v2 serves as well (librdkafka's consumer uses v2).
pub const MIN_OFFSET_FOR_LEADER_EPOCH_VERSION: i16 = 2;

/// An OffsetForLeaderEpoch request for positions to validate: per partition `(tp, epoch
/// of the record before the position, current leader epoch)`. Sent as a consumer
/// (`replica_id = -1`), so the broker answers only as the partition's leader.
pub fn build_offset_for_leader_epoch_request(
    partitions: &[(TopicPartition, i32, i32)],
) -> OffsetForLeaderEpochRequest {
    let mut topics: BTreeMap<&str, Vec<OffsetForLeaderPartition>> = BTreeMap::new();
    for (tp, epoch, current) in partitions {
        topics
            .entry(&tp.topic)
            .or_default()
            .push(OffsetForLeaderPartition {
                partition: tp.partition,
                current_leader_epoch: *current,
                leader_epoch: *epoch,
                ..Default::default()
            });
    }
    OffsetForLeaderEpochRequest {
        replica_id: -1,
        topics: topics
            .into_iter()
            .map(|(topic, partitions)| OffsetForLeaderTopic {
                topic: topic.to_owned(),
                partitions,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// The answers of an OffsetForLeaderEpoch response, per partition: where the asked epoch
/// ends, or the partition's error code.
pub fn epoch_end_offsets(
    response: OffsetForLeaderEpochResponse,
) -> Vec<(
    TopicPartition,
    std::result::Result<EpochEndOffset, ErrorCode>,
)> {
    let mut out = Vec::new();
    for topic in response.topics {
        for p in topic.partitions {
            let tp = TopicPartition::new(&topic.topic, p.partition);
            let code = ErrorCode::from_code(p.error_code);
            out.push((
                tp,
                if code.is_ok() {
                    Ok(EpochEndOffset {
                        epoch: p.leader_epoch,
                        end_offset: p.end_offset,
                    })
                } else {
                    Err(code)
                },
            ));
        }
    }
    out
}

/// What a fetch task hands back.
#[derive(Debug)]
pub struct FetchOutcome {
    /// The broker it went to.
    pub node: i32,
    /// The partitions it asked for, with their fetch offsets.
    pub partitions: Vec<(TopicPartition, i64)>,
    /// The response, or why there is none.
    pub result: Result<FetchResponse>,
}

/// Partitions with the offset each is fetched from.
pub type FetchPositions = Vec<(TopicPartition, i64)>;

/// One Fetch to send to one broker.
#[derive(Debug)]
pub struct FetchTask {
    /// The broker.
    pub node: i32,
    /// Its connection.
    pub connection: Connection,
    /// The request (see [`build_fetch_request`]).
    pub request: FetchRequest,
    /// The Fetch version (at most [`MAX_FETCH_VERSION`]).
    pub version: i16,
    /// What the request asks for.
    pub partitions: FetchPositions,
    /// `request.timeout.ms` + `fetch.max.wait.ms`: the broker may hold a Fetch that long.
    pub timeout: Duration,
    /// How long to wait after a failure before reporting it.
    pub backoff: Duration,
}

impl FetchTask {
    /// Sends the Fetch from its own task; the outcome arrives on `tx`. After a failure the
    /// task waits `backoff` before reporting, so that the consumer does not resend to a
    /// broken broker in a tight loop.
    pub fn spawn(self, tx: mpsc::UnboundedSender<FetchOutcome>) {
        self.spawn_measured(tx, None);
    }

    /// [`spawn`](Self::spawn), counting the Fetch in `sensors` (the consumer's): its round
    /// trip, throttle time and record bytes, once per response.
    pub(crate) fn spawn_measured(
        self,
        tx: mpsc::UnboundedSender<FetchOutcome>,
        sensors: Option<Arc<ConsumerSensors>>,
    ) {
        tokio::spawn(async move {
            let FetchTask {
                node,
                connection,
                request,
                version,
                partitions,
                timeout,
                backoff,
            } = self;
            let started = Instant::now();
            let result = connection
                .call_with_timeout(&request, version, timeout)
                .await
                .inspect(|response| {
                    if let Some(sensors) = &sensors {
                        record_fetch(sensors, response, started.elapsed());
                    }
                })
                .and_then(|response| {
                    Error::check(ApiKey::Fetch, response.error_code, None)?;
                    Ok(response)
                });
            if let Err(error) = &result {
                debug!(node, %error, "fetch failed");
                tokio::time::sleep(backoff).await;
            }
            // The consumer may be gone; then nobody needs the answer.
            let _ = tx.send(FetchOutcome {
                node,
                partitions,
                result,
            });
        });
    }
}

/// Java's fetch metrics for one answered Fetch: `fetch-total`, `fetch-latency`,
/// `fetch-throttle-time`, `fetch-size` and `bytes-consumed` (record-batch bytes, per response,
/// not per record).
fn record_fetch(sensors: &ConsumerSensors, response: &FetchResponse, latency: Duration) {
    let bytes: usize = response
        .responses
        .iter()
        .flat_map(|topic| &topic.partitions)
        .filter_map(|partition| partition.records.as_ref().map(Bytes::len))
        .sum();
    sensors.fetches.add(1);
    sensors.fetch_latency.record(latency.as_micros() as u64);
    sensors
        .fetch_throttle
        .record(response.throttle_time_ms.max(0) as u64);
    sensors.fetch_size.record(bytes as u64);
    sensors.bytes_consumed.add(bytes as u64);
}

/// The partition data of `tp` in `response`, taken out of it.
pub fn take_partition(response: &mut FetchResponse, tp: &TopicPartition) -> Option<PartitionData> {
    let topic = response
        .responses
        .iter_mut()
        .find(|t| t.topic == tp.topic)?;
    let index = topic
        .partitions
        .iter()
        .position(|p| p.partition_index == tp.partition)?;
    Some(topic.partitions.swap_remove(index))
}

/// One partition's records from one Fetch response, decoded a batch at a time as they are
/// drained (Java's `CompletedFetch`).
#[derive(Debug)]
pub struct CompletedFetch {
    /// The partition.
    pub tp: TopicPartition,
    topic: Arc<str>,
    /// The offset the next record returned must have at least; the consumer's position
    /// after the records drained so far.
    pub next_fetch_offset: i64,
    decoder: BatchDecoder,
    /// Records of the batch being drained, with the batch's timestamp type and leader epoch.
    records: VecDeque<Record>,
    timestamp_type: TimestampType,
    leader_epoch: Option<i32>,
    /// The leader epoch of the batch holding the record before `next_fetch_offset` (what the
    /// position's epoch becomes), once a batch was passed.
    last_epoch: Option<i32>,
    /// The offset after the batch being drained (it may end past its last record after
    /// compaction).
    batch_end: Option<i64>,
    read_committed: bool,
    /// Aborted transactions not yet reached, lowest first offset first.
    aborted: BinaryHeap<Reverse<(i64, i64)>>,
    /// Producers whose current transaction is aborted (until their abort marker).
    aborted_producers: HashSet<i64>,
    /// The transaction markers in this fetch's bytes, by producer, in offset order: (offset,
    /// committed). Only under read_committed.
    markers: HashMap<i64, VecDeque<(i64, bool)>>,
    /// A batch has been passed (delivered or skipped) in this fetch: an undecided
    /// transactional batch after it waits for the next fetch instead (module docs, step 3).
    progressed: bool,
    /// The partition's last stable offset from the response (read_committed): nothing at or
    /// past it is delivered. `None`: not given (the broker's cut is trusted).
    last_stable_offset: Option<i64>,
    /// A decode error met after some records were returned: reported by the next drain.
    error: Option<Error>,
    done: bool,
    /// Length of the fetched bytes (with the decoder's position: the bytes not yet decoded).
    input_len: usize,
    /// The broker it was fetched from, when known (see [`FetchBuffer::changes`]).
    node: Option<i32>,
}

impl CompletedFetch {
    /// The records of `data` for `tp`, fetched from `fetch_offset`.
    pub fn new(
        tp: TopicPartition,
        fetch_offset: i64,
        records: Bytes,
        aborted: Option<Vec<AbortedTransaction>>,
        read_committed: bool,
        check_crcs: bool,
    ) -> Self {
        let markers = if read_committed {
            scan_markers(&records)
        } else {
            HashMap::new()
        };
        let aborted = if read_committed {
            aborted
                .unwrap_or_default()
                .into_iter()
                .map(|a| Reverse((a.first_offset, a.producer_id)))
                .collect()
        } else {
            BinaryHeap::new()
        };
        CompletedFetch {
            input_len: records.len(),
            topic: Arc::from(tp.topic.as_str()),
            tp,
            next_fetch_offset: fetch_offset,
            decoder: BatchDecoder::with_options(
                records,
                DecodeOptions::default().verify_crc(check_crcs),
            ),
            records: VecDeque::new(),
            timestamp_type: TimestampType::CreateTime,
            leader_epoch: None,
            last_epoch: None,
            batch_end: None,
            read_committed,
            aborted,
            aborted_producers: HashSet::new(),
            markers,
            progressed: false,
            last_stable_offset: None,
            error: None,
            done: false,
            node: None,
        }
    }

    /// Notes the broker this fetch came from.
    pub(crate) fn fetched_from(mut self, node: i32) -> Self {
        self.node = Some(node);
        self
    }

    /// Under `read_committed`, delivers nothing at or past `last_stable_offset` (the
    /// response's field; negative values are ignored), even if the broker sent data beyond
    /// it: the fetch ends there and the partition is fetched again from it.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use kafkito::consumer::{CompletedFetch, TopicPartition};
    ///
    /// let fetch = CompletedFetch::new(TopicPartition::new("t", 0), 0, Bytes::new(), None, true, true)
    ///     .with_last_stable_offset(42);
    /// assert!(!fetch.is_consumed());
    /// ```
    pub fn with_last_stable_offset(mut self, last_stable_offset: i64) -> Self {
        if self.read_committed && last_stable_offset >= 0 {
            self.last_stable_offset = Some(last_stable_offset);
        }
        self
    }

    /// The leader epoch of the batch holding the record before
    /// [`next_fetch_offset`](Self::next_fetch_offset), once this fetch moved it (KIP-320:
    /// what validation after a leader change asks about).
    pub fn last_epoch(&self) -> Option<i32> {
        self.last_epoch
    }

    /// Whether everything has been drained.
    pub fn is_consumed(&self) -> bool {
        self.done && self.records.is_empty() && self.batch_end.is_none() && self.error.is_none()
    }

    /// An upper estimate of the records left to drain: those of the decoded batch, plus the
    /// undecoded bytes over `MIN_RECORD_BYTES`. Sizes the drain's output up front.
    pub fn records_hint(&self) -> usize {
        if self.done {
            return self.records.len();
        }
        let undecoded = self.input_len.saturating_sub(self.decoder.position());
        self.records.len() + undecoded / MIN_RECORD_BYTES
    }

    /// Moves records into `out` until it holds `max` or this fetch is drained, advancing
    /// [`next_fetch_offset`](Self::next_fetch_offset).
    ///
    /// Skipped, never returned: records before the position (a batch is returned whole even
    /// when the fetch offset is in its middle), control batches, and under
    /// `read_committed` the batches of aborted transactions. A transactional batch is decided
    /// by its producer's next COMMIT/ABORT marker in this fetch; without one, delivery stops
    /// at the batch until the next fetch, unless it is the fetch's first batch: then, as
    /// Java, the response's aborted-transactions list decides (every listed transaction that
    /// starts at or before the batch's last offset becomes "aborted" for its producer, whose
    /// batches are dropped until its ABORT marker). See the module docs for why.
    pub fn drain(&mut self, max: usize, out: &mut Vec<ConsumerRecord>) -> Result<()> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let start = out.len();
        loop {
            if self.records.is_empty() {
                if let Some(end) = self.batch_end.take() {
                    if end > self.next_fetch_offset {
                        self.next_fetch_offset = end;
                        self.last_epoch = self.leader_epoch;
                    }
                }
            }
            if !self.records.is_empty() && out.len() >= max {
                return Ok(());
            }
            // With `out` full but this batch used up, the next batch is still decoded: so a
            // fetch whose last record was just taken is seen as consumed at once, and its
            // partition is fetched again without waiting for another drain.
            if let Some(record) = self.records.pop_front() {
                if record.offset < self.next_fetch_offset {
                    continue;
                }
                self.next_fetch_offset = record.offset + 1;
                self.last_epoch = self.leader_epoch;
                out.push(ConsumerRecord {
                    topic: self.topic.clone(),
                    partition: self.tp.partition,
                    offset: record.offset,
                    timestamp: record.timestamp,
                    timestamp_type: self.timestamp_type,
                    key: record.key,
                    value: record.value,
                    headers: record.headers,
                    leader_epoch: self.leader_epoch,
                });
                continue;
            }
            if self.done {
                return Ok(());
            }
            let batch = match self.decoder.next() {
                None => {
                    self.done = true;
                    return Ok(());
                }
                Some(Err(e)) => {
                    self.done = true;
                    let error = Error::CorruptRecord {
                        topic: self.tp.topic.clone(),
                        partition: self.tp.partition,
                        offset: self.next_fetch_offset,
                        reason: e.to_string(),
                    };
                    if out.len() > start {
                        self.error = Some(error);
                        return Ok(());
                    }
                    return Err(error);
                }
                Some(Ok(batch)) => batch,
            };
            if batch.next_offset() <= self.next_fetch_offset {
                continue;
            }
            if self
                .last_stable_offset
                .is_some_and(|lso| batch.base_offset >= lso)
            {
                debug!(tp = %self.tp, offset = batch.base_offset, "at the last stable offset");
                self.done = true;
                return Ok(());
            }
            let first_of_fetch = !std::mem::replace(&mut self.progressed, true);
            if self.read_committed && batch.is_transactional && !batch.is_control {
                let last = batch.last_offset();
                while let Some(Reverse((first, producer))) = self.aborted.peek().copied() {
                    if first > last {
                        break;
                    }
                    self.aborted.pop();
                    self.aborted_producers.insert(producer);
                }
                let marker = self.markers.get(&batch.producer_id).and_then(|m| {
                    m.iter()
                        .find(|(offset, _)| *offset > last)
                        .map(|(_, committed)| *committed)
                });
                let aborted = match marker {
                    Some(committed) => !committed,
                    None if first_of_fetch => {
                        debug!(tp = %self.tp, offset = batch.base_offset, producer_id = batch.producer_id, "transaction marker not in a whole fetch; deciding by the aborted-transactions list");
                        self.aborted_producers.contains(&batch.producer_id)
                    }
                    None => {
                        // Wait for a fetch starting here (module docs, step 3).
                        debug!(tp = %self.tp, offset = batch.base_offset, producer_id = batch.producer_id, "transaction marker not in this fetch; fetching again from its batch");
                        self.done = true;
                        return Ok(());
                    }
                };
                if aborted {
                    self.next_fetch_offset = batch.next_offset();
                    self.last_epoch = epoch_of(batch.partition_leader_epoch);
                    continue;
                }
            }
            if batch.is_control {
                if self.read_committed {
                    let aborts = batch.records.iter().any(|r| {
                        ControlRecord::parse(r).is_ok_and(|c| c.kind == ControlRecordType::Abort)
                    });
                    if aborts {
                        self.aborted_producers.remove(&batch.producer_id);
                    }
                }
                self.next_fetch_offset = batch.next_offset();
                self.last_epoch = epoch_of(batch.partition_leader_epoch);
                continue;
            }
            self.timestamp_type = batch.timestamp_type;
            self.leader_epoch = epoch_of(batch.partition_leader_epoch);
            self.batch_end = Some(batch.next_offset());
            self.records = batch.records.into();
        }
    }
}

/// A batch's `partition_leader_epoch`, when it has one (`-1`: written before KIP-101).
fn epoch_of(partition_leader_epoch: i32) -> Option<i32> {
    (partition_leader_epoch >= 0).then_some(partition_leader_epoch)
}

/// The transaction markers (COMMIT/ABORT control batches) in `records`, by producer id, in
/// offset order. Reads the v2 batch headers in place; only control batches (a few dozen
/// bytes, never compressed) are decoded. Stops at a partial tail or anything malformed (the
/// drain reports corruption when it gets there).
fn scan_markers(records: &Bytes) -> HashMap<i64, VecDeque<(i64, bool)>> {
    // RecordBatch v2 header: baseOffset i64 @0, batchLength i32 @8, magic i8 @16,
    // attributes i16 @21, lastOffsetDelta i32 @23, producerId i64 @43; 61 bytes in all.
    const HEADER: usize = 61;
    const CONTROL: i16 = 0x20;
    let mut markers: HashMap<i64, VecDeque<(i64, bool)>> = HashMap::new();
    let mut pos = 0usize;
    let be_i64 =
        |b: &[u8], at: usize| i64::from_be_bytes(b[at..at + 8].try_into().unwrap_or([0; 8]));
    while records.len() >= pos + 12 {
        let b = &records[pos..];
        let length = i32::from_be_bytes(b[8..12].try_into().unwrap_or([0; 4]));
        let Ok(length) = usize::try_from(length) else {
            break;
        };
        let total = 12 + length;
        if length < 14 || b.len() < total {
            break;
        }
        if total >= HEADER && b[16] == 2 {
            let attributes = i16::from_be_bytes([b[21], b[22]]);
            if attributes & CONTROL != 0 {
                let slice = records.slice(pos..pos + total);
                if let Ok(decoded) = kafkito_protocol::records::decode_batches(slice) {
                    for batch in decoded.batches {
                        let kind = batch
                            .records
                            .first()
                            .and_then(|r| ControlRecord::parse(r).ok())
                            .map(|c| c.kind);
                        let committed = match kind {
                            Some(ControlRecordType::Commit) => true,
                            Some(ControlRecordType::Abort) => false,
                            _ => continue,
                        };
                        markers
                            .entry(be_i64(b, 43))
                            .or_default()
                            .push_back((batch.base_offset, committed));
                    }
                }
            }
        }
        pos += total;
    }
    markers
}

/// The completed fetches not yet drained, in arrival order (Java's `FetchBuffer`).
#[derive(Debug, Default)]
pub struct FetchBuffer {
    fetches: VecDeque<CompletedFetch>,
    /// See [`changes`](Self::changes).
    changes: u64,
}

impl FetchBuffer {
    /// Adds a completed fetch.
    pub fn push(&mut self, fetch: CompletedFetch) {
        self.changes += 1;
        self.fetches.push_back(fetch);
    }

    /// A count that moves whenever a fetch is added or dropped, or drained to its end in a
    /// way that can let a new Fetch go out: its partition was not caught up (so it is fetched
    /// again at once), or it was the last data held from its broker (which may now get the
    /// Fetch of its caught-up partitions; see the consumer's `send_fetches`). A fetch of a
    /// caught-up partition drained while its broker's other data is still held does not
    /// move it: nothing can be sent for it until then. The consumer skips its pass over the
    /// assignment for new Fetches while this, the subscription's changes, the fetch answers
    /// and the metadata stay as they were.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Whether `tp` has data waiting.
    pub fn contains(&self, tp: &TopicPartition) -> bool {
        self.fetches.iter().any(|f| &f.tp == tp)
    }

    /// The partitions with data waiting.
    pub fn partitions(&self) -> HashSet<TopicPartition> {
        self.fetches.iter().map(|f| f.tp.clone()).collect()
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.fetches.is_empty()
    }

    /// Drops the data of partitions `keep` rejects (unassigned, sought elsewhere).
    pub fn retain(&mut self, mut keep: impl FnMut(&CompletedFetch) -> bool) {
        let before = self.fetches.len();
        self.fetches.retain(|f| keep(f));
        if self.fetches.len() != before {
            self.changes += 1;
        }
    }

    /// Drains up to `max` records from the fetches of partitions that are current (their
    /// position is still the fetch's next offset) and not paused, advancing the positions
    /// (with the leader epoch of the last record passed). A fetch whose partition moved
    /// (seek), was unassigned, or waits for its position to be validated after a leader
    /// change (its records may be from the old leader's log) is dropped; a paused one waits.
    pub fn collect(
        &mut self,
        max: usize,
        subscriptions: &mut SubscriptionState,
    ) -> Result<Vec<ConsumerRecord>> {
        // Sized once: growing it record by record cost a reallocation and copy per doubling
        // (hundreds per run in the consume benchmark).
        let hint: usize = self
            .fetches
            .iter()
            .map(CompletedFetch::records_hint)
            .fold(0, usize::saturating_add);
        let mut out = Vec::with_capacity(hint.min(max));
        let mut index = 0;
        while index < self.fetches.len() && out.len() < max {
            let fetch = &mut self.fetches[index];
            if subscriptions.position(&fetch.tp) != Some(fetch.next_fetch_offset)
                || subscriptions.is_awaiting_validation(&fetch.tp)
            {
                self.fetches.remove(index);
                self.changes += 1;
                continue;
            }
            if subscriptions.is_paused(&fetch.tp) {
                index += 1;
                continue;
            }
            let result = fetch.drain(max, &mut out);
            subscriptions.advance(&fetch.tp, fetch.next_fetch_offset, fetch.last_epoch());
            if fetch.is_consumed() {
                let caught_up = subscriptions.lag(&fetch.tp, false) == Some(0);
                let node = fetch.node;
                self.fetches.remove(index);
                let node_still_busy = node.is_some() && self.fetches.iter().any(|f| f.node == node);
                if !(caught_up && node_still_busy) {
                    self.changes += 1;
                }
            } else if result.is_ok() {
                index += 1;
            }
            if let Err(error) = result {
                if out.is_empty() {
                    return Err(error);
                }
                break;
            }
        }
        Ok(out)
    }
}

/// Groups fetchable partitions by the broker to fetch them from (`leader` gives it: the
/// partition's leader, or its preferred read replica). Partitions with none known are
/// returned apart.
pub fn by_leader(
    partitions: FetchPositions,
    leader: impl Fn(&TopicPartition) -> Option<i32>,
) -> (HashMap<i32, FetchPositions>, Vec<TopicPartition>) {
    let mut nodes: HashMap<i32, FetchPositions> = HashMap::new();
    let mut leaderless = Vec::new();
    for (tp, offset) in partitions {
        match leader(&tp) {
            Some(node) => nodes.entry(node).or_default().push((tp, offset)),
            None => leaderless.push(tp),
        }
    }
    (nodes, leaderless)
}

#[cfg(test)]
mod tests;
