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
//! Decoding is lazy: a [`CompletedFetch`] keeps the response's record bytes and decodes one
//! batch at a time as `poll` drains it. Control batches are never surfaced. Under
//! `read_committed`, records of aborted transactions are dropped with the response's
//! aborted-transactions list and the abort markers (see [`CompletedFetch::drain`]).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::fetch_response::{AbortedTransaction, PartitionData};
use kafka_protocol::messages::{FetchRequest, FetchResponse};
use kafka_protocol::records::{
    BatchDecoder, ControlRecord, ControlRecordType, DecodeOptions, Record, TimestampType,
};
use tokio::sync::mpsc;
use tracing::debug;

use super::subscription::SubscriptionState;
use super::{ConsumerRecord, TopicPartition};
use crate::error::{Error, Result};
use crate::net::Connection;

/// The highest Fetch version used: v13+ names topics by id.
pub const MAX_FETCH_VERSION: i16 = 12;

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

/// The Fetch for one leader: `partitions` with the offset each is fetched from.
pub fn build_fetch_request(
    settings: &FetchSettings,
    partitions: &[(TopicPartition, i64)],
) -> FetchRequest {
    let mut topics: BTreeMap<&str, Vec<FetchPartition>> = BTreeMap::new();
    for (tp, offset) in partitions {
        topics.entry(&tp.topic).or_default().push(FetchPartition {
            partition: tp.partition,
            fetch_offset: *offset,
            partition_max_bytes: settings.partition_max_bytes,
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
            let result = connection
                .call_with_timeout(&request, version, timeout)
                .await
                .and_then(|response| {
                    Error::check("Fetch", response.error_code, None)?;
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
    /// The offset after the batch being drained (it may end past its last record after
    /// compaction).
    batch_end: Option<i64>,
    read_committed: bool,
    /// Aborted transactions not yet reached, lowest first offset first.
    aborted: BinaryHeap<Reverse<(i64, i64)>>,
    /// Producers whose current transaction is aborted (until their abort marker).
    aborted_producers: HashSet<i64>,
    /// A decode error met after some records were returned: reported by the next drain.
    error: Option<Error>,
    done: bool,
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
            batch_end: None,
            read_committed,
            aborted,
            aborted_producers: HashSet::new(),
            error: None,
            done: false,
        }
    }

    /// Whether everything has been drained.
    pub fn is_consumed(&self) -> bool {
        self.done && self.records.is_empty() && self.batch_end.is_none() && self.error.is_none()
    }

    /// Moves records into `out` until it holds `max` or this fetch is drained, advancing
    /// [`next_fetch_offset`](Self::next_fetch_offset).
    ///
    /// Skipped, never returned: records before the position (a batch is returned whole even
    /// when the fetch offset is in its middle), control batches, and under
    /// `read_committed` the batches of aborted transactions. The last works as Java's: the
    /// response lists each aborted transaction as (producer id, first offset); when a
    /// transactional batch is reached, every listed transaction that starts at or before the
    /// batch's last offset becomes "aborted" for its producer, and that producer's batches
    /// are dropped until its ABORT marker (a control batch) is passed. Committed
    /// transactions and other producers' batches interleaved with them are kept.
    pub fn drain(&mut self, max: usize, out: &mut Vec<ConsumerRecord>) -> Result<()> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let start = out.len();
        loop {
            if self.records.is_empty() {
                if let Some(end) = self.batch_end.take() {
                    self.next_fetch_offset = self.next_fetch_offset.max(end);
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
            if self.read_committed && batch.is_transactional && !batch.is_control {
                let last = batch.last_offset();
                while let Some(Reverse((first, producer))) = self.aborted.peek().copied() {
                    if first > last {
                        break;
                    }
                    self.aborted.pop();
                    self.aborted_producers.insert(producer);
                }
                if self.aborted_producers.contains(&batch.producer_id) {
                    self.next_fetch_offset = batch.next_offset();
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
                continue;
            }
            self.timestamp_type = batch.timestamp_type;
            self.leader_epoch =
                (batch.partition_leader_epoch >= 0).then_some(batch.partition_leader_epoch);
            self.batch_end = Some(batch.next_offset());
            self.records = batch.records.into();
        }
    }
}

/// The completed fetches not yet drained, in arrival order (Java's `FetchBuffer`).
#[derive(Debug, Default)]
pub struct FetchBuffer {
    fetches: VecDeque<CompletedFetch>,
}

impl FetchBuffer {
    /// Adds a completed fetch.
    pub fn push(&mut self, fetch: CompletedFetch) {
        self.fetches.push_back(fetch);
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
        self.fetches.retain(|f| keep(f));
    }

    /// Drains up to `max` records from the fetches of partitions that are current (their
    /// position is still the fetch's next offset) and not paused, advancing the positions.
    /// A fetch whose partition moved (seek) or was unassigned is dropped; a paused one waits.
    pub fn collect(
        &mut self,
        max: usize,
        subscriptions: &mut SubscriptionState,
    ) -> Result<Vec<ConsumerRecord>> {
        let mut out = Vec::new();
        let mut index = 0;
        while index < self.fetches.len() && out.len() < max {
            let fetch = &mut self.fetches[index];
            if subscriptions.position(&fetch.tp) != Some(fetch.next_fetch_offset) {
                self.fetches.remove(index);
                continue;
            }
            if subscriptions.is_paused(&fetch.tp) {
                index += 1;
                continue;
            }
            let result = fetch.drain(max, &mut out);
            subscriptions.seek(&fetch.tp, fetch.next_fetch_offset);
            if fetch.is_consumed() {
                self.fetches.remove(index);
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

/// Groups fetchable partitions by leader. Partitions with no known leader are returned apart.
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
mod tests {
    use super::*;
    use crate::consumer::OffsetReset;
    use kafka_protocol::messages::fetch_response::FetchableTopicResponse;
    use kafka_protocol::messages::Message;
    use kafka_protocol::records::{Compression, RecordBatchBuilder};

    fn tp() -> TopicPartition {
        TopicPartition::new("t", 0)
    }

    /// A batch at `base` with one record per value, from `producer` (transactional if
    /// `producer >= 0`).
    fn batch(base: i64, producer: i64, values: &[&str]) -> Vec<u8> {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.base_offset(base);
        if producer >= 0 {
            b.producer_state(producer, 0, 0);
            b.transactional(true);
        }
        for v in values {
            b.append(1000 + base, Some(b"k"), Some(v.as_bytes()), &[])
                .unwrap();
        }
        b.finish().unwrap().to_vec()
    }

    fn marker(offset: i64, producer: i64, commit: bool) -> Vec<u8> {
        let mut b = RecordBatchBuilder::new(Compression::None);
        b.base_offset(offset);
        b.producer_state(producer, 0, 0);
        b.transactional(true);
        b.control(true);
        let record = if commit {
            ControlRecord::commit(0)
        } else {
            ControlRecord::abort(0)
        };
        b.append_control(1000, &record).unwrap();
        b.finish().unwrap().to_vec()
    }

    fn values(records: &[ConsumerRecord]) -> Vec<String> {
        records
            .iter()
            .map(|r| String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap())
            .collect()
    }

    fn drain_all(fetch: &mut CompletedFetch) -> Vec<ConsumerRecord> {
        let mut out = Vec::new();
        fetch.drain(usize::MAX, &mut out).unwrap();
        assert!(fetch.is_consumed());
        out
    }

    /// Producers 1 and 2 interleave: 1 commits, 2 aborts, then 2 commits a second
    /// transaction; a non-transactional batch sits in the middle. The crafted response goes
    /// through the real codec (encode + decode at v12) first.
    #[test]
    fn read_committed_drops_aborted_transactions() {
        let mut log = Vec::new();
        log.extend(batch(0, 1, &["p1-a", "p1-b"])); // 0-1
        log.extend(batch(2, 2, &["p2-aborted-a"])); // 2
        log.extend(batch(3, -1, &["plain"])); // 3
        log.extend(batch(4, 2, &["p2-aborted-b"])); // 4
        log.extend(marker(5, 1, true)); // 5: p1 commits
        log.extend(marker(6, 2, false)); // 6: p2 aborts
        log.extend(batch(7, 2, &["p2-committed"])); // 7
        log.extend(marker(8, 2, true)); // 8
        let response = FetchResponse {
            responses: vec![FetchableTopicResponse {
                topic: "t".into(),
                partitions: vec![PartitionData {
                    partition_index: 0,
                    high_watermark: 9,
                    last_stable_offset: 9,
                    aborted_transactions: Some(vec![AbortedTransaction {
                        producer_id: 2,
                        first_offset: 2,
                        ..Default::default()
                    }]),
                    records: Some(Bytes::from(log)),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        };
        let mut buf = bytes::BytesMut::new();
        Message::encode(&response, &mut buf, 12).unwrap();
        let mut decoded = <FetchResponse as Message>::decode(&mut buf.freeze(), 12).unwrap();
        let data = take_partition(&mut decoded, &tp()).unwrap();

        let mut committed = CompletedFetch::new(
            tp(),
            0,
            data.records.clone().unwrap(),
            data.aborted_transactions.clone(),
            true,
            true,
        );
        let out = drain_all(&mut committed);
        assert_eq!(values(&out), ["p1-a", "p1-b", "plain", "p2-committed"]);
        assert_eq!(committed.next_fetch_offset, 9, "past the last marker");

        let mut uncommitted = CompletedFetch::new(
            tp(),
            0,
            data.records.unwrap(),
            data.aborted_transactions,
            false,
            true,
        );
        let out = drain_all(&mut uncommitted);
        assert_eq!(
            values(&out),
            [
                "p1-a",
                "p1-b",
                "p2-aborted-a",
                "plain",
                "p2-aborted-b",
                "p2-committed"
            ]
        );
        assert_eq!(
            out.iter().map(|r| r.offset).collect::<Vec<_>>(),
            [0, 1, 2, 3, 4, 7]
        );
    }

    #[test]
    fn trims_records_before_the_position_and_respects_max() {
        let mut log = batch(10, -1, &["a", "b", "c", "d"]);
        log.extend(batch(14, -1, &["e"]));
        let mut fetch = CompletedFetch::new(tp(), 12, Bytes::from(log), None, false, true);
        let mut out = Vec::new();
        fetch.drain(2, &mut out).unwrap();
        assert_eq!(values(&out), ["c", "d"]);
        assert_eq!(fetch.next_fetch_offset, 14);
        assert!(!fetch.is_consumed());
        let mut more = Vec::new();
        fetch.drain(10, &mut more).unwrap();
        assert_eq!(values(&more), ["e"]);
        assert_eq!(more[0].offset, 14);
        assert_eq!(more[0].key.as_deref(), Some(&b"k"[..]));
        assert!(fetch.is_consumed());
        assert_eq!(fetch.next_fetch_offset, 15);
    }

    #[test]
    fn partial_tail_is_ignored_and_corruption_is_reported() {
        let full = batch(0, -1, &["a"]);
        let mut log = full.clone();
        log.extend_from_slice(&batch(1, -1, &["b"])[..20]);
        let mut fetch = CompletedFetch::new(tp(), 0, Bytes::from(log), None, false, true);
        assert_eq!(values(&drain_all(&mut fetch)), ["a"]);
        assert_eq!(fetch.next_fetch_offset, 1);

        let mut bad = full;
        let last = bad.len() - 1;
        bad[last] ^= 0xff;
        let mut fetch = CompletedFetch::new(tp(), 0, Bytes::from(bad), None, false, true);
        let err = fetch.drain(10, &mut Vec::new()).unwrap_err();
        assert!(
            matches!(err, Error::CorruptRecord { offset: 0, .. }),
            "{err}"
        );
    }

    #[test]
    fn buffer_drops_stale_fetches_and_keeps_paused_ones() {
        let mut buffer = FetchBuffer::default();
        let other = TopicPartition::new("t", 1);
        buffer.push(CompletedFetch::new(
            tp(),
            0,
            Bytes::from(batch(0, -1, &["a"])),
            None,
            false,
            true,
        ));
        buffer.push(CompletedFetch::new(
            other.clone(),
            0,
            Bytes::from(batch(0, -1, &["b"])),
            None,
            false,
            true,
        ));
        // Partition 0 was sought to 5 after the fetch went out; partition 1 is paused.
        let mut subs = SubscriptionState::new(OffsetReset::Earliest, false);
        subs.assign([tp(), other.clone()]);
        subs.seek(&tp(), 5);
        subs.seek(&other, 0);
        subs.set_paused(&other, true);
        let out = buffer.collect(10, &mut subs).unwrap();
        assert!(out.is_empty());
        assert!(!buffer.contains(&tp()));
        assert!(buffer.contains(&other));
        subs.set_paused(&other, false);
        let out = buffer.collect(10, &mut subs).unwrap();
        assert_eq!(values(&out), ["b"]);
        assert_eq!(subs.position(&other), Some(1));
        assert_eq!(subs.position(&tp()), Some(5));
        assert!(buffer.is_empty());
    }

    #[test]
    fn request_groups_topics() {
        let settings = FetchSettings {
            max_wait: Duration::from_millis(250),
            min_bytes: 1,
            max_bytes: 1000,
            partition_max_bytes: 100,
            read_committed: true,
            rack_id: String::new(),
        };
        let request = build_fetch_request(
            &settings,
            &[
                (TopicPartition::new("b", 1), 7),
                (TopicPartition::new("a", 0), 3),
                (TopicPartition::new("b", 0), 5),
            ],
        );
        assert_eq!(request.max_wait_ms, 250);
        assert_eq!(request.isolation_level, 1);
        assert_eq!(request.topics.len(), 2);
        assert_eq!(request.topics[0].topic, "a");
        assert_eq!(request.topics[1].partitions[1].fetch_offset, 5);
        assert_eq!(request.topics[1].partitions[1].partition_max_bytes, 100);
    }
}
