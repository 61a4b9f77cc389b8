//! The record accumulator (Java's `RecordAccumulator`): one queue of batches per partition,
//! the open batch at its back taking appends, closed batches waiting for the sender.
//!
//! Plain data, no I/O and no clock of its own: callers pass `now`. The producer appends (under
//! a short lock, never across an `.await`); the sender asks [`RecordAccumulator::ready`] which
//! leaders have sendable batches and when to look again, then [`RecordAccumulator::drain`]s
//! one request's worth per leader. Draining only takes batches and stamps their sequences; the
//! sender encodes (compresses) them after the lock is released ([`DrainedBatch::encode`]), so
//! appends are never held up behind a compressor. A batch is sendable when it is full, when `linger.ms` has
//! passed since its first record, when a flush or close is under way, or when a newer batch
//! stands behind it — and not while it is backing off after a failure. Only the front batch of
//! a partition is ever looked at, so a retried batch (put back at the front) goes out before
//! anything newer: order is kept.
//!
//! The sender's pass costs little per queued partition, since at a thousand partitions it
//! runs for every few records: each queue keeps its leader, looked up once per metadata
//! generation (and when a queue is added), and the queues are indexed by leader, so a drain
//! for one broker visits only that broker's partitions; expiry walks the queues only once the
//! earliest deadline has come; and an append wakes the sender only when the sender would not
//! otherwise look in time (a full batch, a batch now waiting behind a newer one, or a linger
//! deadline before the sender's next look).
//!
//! Beside each topic's queues sits its [`TopicRouting`] (partition count, partitions with a
//! leader) for the metadata generation it was computed from: `send` finds a topic once, by
//! [`TopicSlot`], for both its routing and its append.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::records::{Compression, RecordHeader, RECORD_BATCH_OVERHEAD};
use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::producer::batch::{ProducerBatch, ProducerState, TryAppend};
use crate::producer::delivery::DeliveryFuture;
use crate::producer::record::Topic;

/// The accumulator's settings.
#[derive(Debug, Clone)]
pub(crate) struct AccumulatorConfig {
    pub batch_size: usize,
    /// How long a batch waits for more records before it is sendable: `linger.ms` less the
    /// sender timer's lateness ([`sendable_after`](crate::producer::sender::sendable_after)).
    pub linger: Duration,
    pub compression: Compression,
    pub compression_level: Option<i32>,
    pub delivery_timeout: Duration,
    /// Set for a transactional producer: its batches carry the transactional attribute.
    pub transactional: bool,
    /// Set when the producer has hooks: batches keep each record's timestamp, for the
    /// metadata of the hooks' acknowledgements.
    pub record_timestamps: bool,
}

/// How an append went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AppendOutcome {
    /// Appended. `new_batch`: it started a batch; `full`: its batch is now full (sendable at
    /// once); `wake`: the sender must look now, as its next look would come too late (a full
    /// batch, a batch left waiting behind the new one, or a linger deadline before the time
    /// the sender's last pass said it would look again).
    Appended {
        new_batch: bool,
        full: bool,
        wake: bool,
    },
    /// The open batch was full and the caller asked not to start a new one (a sticky
    /// partitioner moves on first, KIP-480). The full batch is closed; nothing was appended.
    NewBatchRequired,
}

/// What [`RecordAccumulator::ready`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ReadyCheck {
    /// Leaders with at least one sendable batch.
    pub ready_nodes: Vec<i32>,
    /// When something next becomes sendable or expires, if anything waits.
    pub next_check: Option<Instant>,
    /// Some partition with batches has no known leader: metadata should be refreshed.
    pub unknown_leaders: bool,
}

#[derive(Debug, Default)]
struct PartitionQueue {
    batches: VecDeque<ProducerBatch>,
    /// The partition's leader as of the accumulator's leader generation (`None`: unknown).
    leader: Option<i32>,
    /// The buffer a new batch starts with: sized by the last batch drained (`0`: none yet,
    /// take `batch.size`). Partitions whose batches linger out small (a thousand partitions
    /// sharing the traffic) then do not each allocate, and fault in, a `batch.size` buffer per
    /// batch, while a partition whose batches fill up keeps getting full-size buffers.
    next_capacity: usize,
}

/// The smallest buffer a batch starts with.
const MIN_BATCH_CAPACITY: usize = 4096;

/// Where the sender's metadata says partitions' leaders are: the generation of that metadata
/// view and a lookup in it. Leaders are looked up again only when the generation changes or
/// a queue was added.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Leaders<F> {
    pub generation: u64,
    pub leader_of: F,
}

/// One topic's partition queues, indexed by partition number: partitions are numbered
/// densely from 0, so a record finds its queue without a second hash lookup.
#[derive(Debug, Default)]
struct TopicQueues {
    partitions: Vec<PartitionQueue>,
}

impl TopicQueues {
    /// The queue of `partition`, made when missing; `None` for a negative partition (which
    /// `send` never lets through).
    fn entry(&mut self, partition: i32) -> Option<&mut PartitionQueue> {
        let i = usize::try_from(partition).ok()?;
        if i >= self.partitions.len() {
            self.partitions.resize_with(i + 1, PartitionQueue::default);
        }
        self.partitions.get_mut(i)
    }

    fn get_mut(&mut self, partition: i32) -> Option<&mut PartitionQueue> {
        self.partitions.get_mut(usize::try_from(partition).ok()?)
    }

    fn values(&self) -> impl Iterator<Item = &PartitionQueue> {
        self.partitions.iter()
    }

    fn values_mut(&mut self) -> impl Iterator<Item = &mut PartitionQueue> {
        self.partitions.iter_mut()
    }
}

/// A topic's slot in the accumulator (an index, not one of Kafka's topic UUIDs): found by name once per record
/// ([`RecordAccumulator::topic_id`]), then used for its routing and its append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TopicSlot(usize);

/// What the producer knows of a topic's partitions from one metadata view: how many, and
/// which have a leader (for partitioners that avoid the others).
#[derive(Debug)]
pub(crate) struct TopicRouting {
    pub partition_count: i32,
    pub available: Vec<i32>,
}

/// A topic's queues and the routing cached for it.
#[derive(Debug)]
struct TopicEntry {
    name: Arc<str>,
    queues: TopicQueues,
    /// The routing and the metadata generation it was computed from.
    routing: Option<(u64, Arc<TopicRouting>)>,
}

/// The queues one broker leads, and where its next drain starts.
#[derive(Debug, Default)]
struct Led {
    queues: Vec<(TopicSlot, i32)>,
    /// Index into `queues` of the first one the next drain looks at: the first one the last
    /// drain did not take (it did not fit in the request), so that `max.request.size` makes
    /// partitions take turns. Were every drain to start at the same place, the partitions
    /// after the cut would wait while those before it were sent over and over in small
    /// batches: the buffer fills with the waiting ones and the broker receives many small
    /// batches instead of fewer large ones (Java keeps the same position, its `drainIndex`).
    next: usize,
}

/// Batches per partition.
#[derive(Debug)]
pub(crate) struct RecordAccumulator {
    config: AccumulatorConfig,
    /// Every topic appended to (or routed) so far; never shrinks, so a [`TopicSlot`] stays
    /// valid.
    topics: Vec<TopicEntry>,
    /// Indexes `topics`.
    by_name: FastMap<Arc<str>, usize>,
    /// The topic of the last record and its id: a record whose [`Topic`] is a clone of it
    /// (the way to send without allocating a name) skips hashing the name.
    last_topic: Option<(Topic, TopicSlot)>,
    next_batch_id: u64,
    /// Batches created and not yet completed or failed, by id: what `flush` waits for.
    incomplete: BTreeSet<u64>,
    /// Batches with an id up to this are sendable at once (a flush is waiting for them).
    flush_up_to: Option<u64>,
    /// Closing: every batch is sendable at once.
    closing: bool,
    /// Encoded size ÷ uncompressed size of recent batches (1 without compression): how
    /// `drain` sizes a request from batches that are compressed only after it.
    compression_ratio: f64,
    /// The metadata generation the queues' leaders were looked up in (`None`: never).
    leaders_generation: Option<u64>,
    /// How many queues there were at that lookup: queues are never removed, so more now means
    /// some were added since, with leaders not looked up yet.
    leaders_queues: usize,
    /// Every queue by its leader (`-1`: none known), for draining one broker's partitions.
    by_leader: FastMap<i32, Led>,
    /// No queued batch's `delivery.timeout.ms` runs out before this (`None`: nothing queued):
    /// until then `expire` need not walk the queues.
    next_expiry: Option<Instant>,
    /// When the sender's last pass said it would look again (`None`: only when woken).
    sender_looks_at: Option<Instant>,
}

/// A batch taken by [`RecordAccumulator::drain`] for one Produce request, with the producer
/// fields (sequence) it was stamped with, not yet encoded.
#[derive(Debug)]
pub(crate) struct DrainedBatch {
    pub batch: ProducerBatch,
    pub state: Option<ProducerState>,
}

impl DrainedBatch {
    /// Encodes (and compresses) the batch with its producer fields: the costly part of
    /// sending, done without the accumulator's lock. The batch comes back either way; on
    /// failure with its producer fields set, for the caller to fail it.
    pub fn encode(self) -> (ProducerBatch, Result<bytes::Bytes>) {
        let DrainedBatch { mut batch, state } = self;
        let encoded = batch.encode(state);
        if encoded.is_err() {
            batch.producer_state = state;
        }
        (batch, encoded)
    }
}

/// The accumulator's topic index: looked up once per record, where std's SipHash cost ~180
/// instructions a record (callgrind). Its keys are topic names the application chose, not
/// attacker-controlled input, so HashDoS resistance buys nothing here: rustc's Fx hash.
pub(super) type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;

fn min_instant(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.min(b)))
}

impl RecordAccumulator {
    pub fn new(config: AccumulatorConfig) -> Self {
        RecordAccumulator {
            config,
            topics: Vec::new(),
            by_name: FastMap::default(),
            last_topic: None,
            next_batch_id: 0,
            incomplete: BTreeSet::new(),
            flush_up_to: None,
            closing: false,
            compression_ratio: 1.0,
            leaders_generation: None,
            leaders_queues: 0,
            by_leader: FastMap::default(),
            next_expiry: None,
            sender_looks_at: None,
        }
    }

    /// The id of `topic`, added on first use: the one lookup by name a record costs.
    pub fn topic_id(&mut self, topic: &str) -> TopicSlot {
        if let Some(&i) = self.by_name.get(topic) {
            return TopicSlot(i);
        }
        let name: Arc<str> = Arc::from(topic);
        let i = self.topics.len();
        self.topics.push(TopicEntry {
            name: name.clone(),
            queues: TopicQueues::default(),
            routing: None,
        });
        self.by_name.insert(name, i);
        TopicSlot(i)
    }

    /// [`topic_id`](Self::topic_id) for a record's topic: one pointer comparison when it
    /// shares its name with the previous record's (a hash lookup was ~100 instructions).
    pub fn record_topic_id(&mut self, topic: &Topic) -> TopicSlot {
        if let Some((last, id)) = &self.last_topic {
            if last.same_name_as(topic) {
                return *id;
            }
        }
        let id = self.topic_id(topic);
        self.last_topic = Some((topic.clone(), id));
        id
    }

    /// The routing cached for `topic` if it was computed from metadata `generation`.
    pub fn routing(&self, topic: TopicSlot, generation: u64) -> Option<&Arc<TopicRouting>> {
        match &self.topics[topic.0].routing {
            Some((g, routing)) if *g == generation => Some(routing),
            _ => None,
        }
    }

    /// The routing cached for `topic`, whatever its generation.
    pub fn last_routing(&self, topic: TopicSlot) -> Option<&Arc<TopicRouting>> {
        self.topics[topic.0].routing.as_ref().map(|(_, r)| r)
    }

    /// Caches `routing`, computed from metadata `generation`, for `topic`.
    pub fn set_routing(
        &mut self,
        topic: TopicSlot,
        generation: u64,
        routing: Arc<TopicRouting>,
    ) -> &Arc<TopicRouting> {
        &self.topics[topic.0].routing.insert((generation, routing)).1
    }

    /// Appends a record to `topic`/`partition`'s open batch, starting a batch when there is
    /// none or it has no room (unless `abort_on_new_batch`). `reserved` is the `buffer.memory`
    /// the caller reserved for the record; the batch gives it back when it completes.
    /// With `delivery`, the record's delivery future is put there once appended (`send`);
    /// without, the record has none (`send_and_forget`). `now` is asked only when a batch is
    /// started (its creation time): most records join an open batch, and a clock read is a
    /// tenth of a record's cost (perf).
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &mut self,
        topic: TopicSlot,
        partition: i32,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[RecordHeader],
        delivery: Option<&mut Option<DeliveryFuture>>,
        reserved: usize,
        abort_on_new_batch: bool,
        now: impl FnOnce() -> Instant,
    ) -> Result<AppendOutcome> {
        let batch_size = self.config.batch_size;
        let entry = &mut self.topics[topic.0];
        let Some(queue) = entry.queues.entry(partition) else {
            return Err(Error::config(
                "partition",
                format!("partition {partition} of topic {} is negative", entry.name),
            ));
        };
        if let Some(last) = queue.batches.back_mut() {
            let tracked = delivery.is_some();
            if let TryAppend::Appended(future) = last.try_append(
                batch_size, timestamp, key, value, headers, tracked, reserved,
            )? {
                if let Some(slot) = delivery {
                    *slot = future;
                }
                let full = last.estimated_size() >= batch_size;
                last.closed |= full;
                return Ok(AppendOutcome::Appended {
                    new_batch: false,
                    full,
                    wake: full,
                });
            }
            last.closed = true;
            if abort_on_new_batch {
                return Ok(AppendOutcome::NewBatchRequired);
            }
        }
        let waiting_behind = !queue.batches.is_empty();
        let capacity = match queue.next_capacity {
            0 => batch_size,
            learned => learned,
        };
        let topic_arc = entry.name.clone();
        let id = self.next_batch_id;
        self.next_batch_id += 1;
        self.incomplete.insert(id);
        let size_hint = RECORD_BATCH_OVERHEAD
            .max(ProducerBatch::record_size_hint(key, value, headers).max(capacity));
        let mut batch = ProducerBatch::new(
            id,
            topic_arc,
            partition,
            self.config.compression,
            self.config.compression_level,
            size_hint,
            now(),
        );
        batch.transactional = self.config.transactional;
        if self.config.record_timestamps {
            batch.keep_record_timestamps();
        }
        let future = batch.append(timestamp, key, value, headers, delivery.is_some(), reserved)?;
        if let Some(slot) = delivery {
            *slot = future;
        }
        let full = batch.estimated_size() >= batch_size;
        batch.closed = full;
        let expires = batch.created + self.config.delivery_timeout;
        self.next_expiry = min_instant(self.next_expiry, expires);
        let linger_ends = batch.created + self.config.linger;
        let wake = full || waiting_behind || self.sender_looks_at.is_none_or(|at| at > linger_ends);
        self.topics[topic.0]
            .queues
            .get_mut(partition)
            .expect("created above")
            .batches
            .push_back(batch);
        Ok(AppendOutcome::Appended {
            new_batch: true,
            full,
            wake,
        })
    }

    fn queue_mut(&mut self, topic: TopicSlot, partition: i32) -> Option<&mut PartitionQueue> {
        self.topics.get_mut(topic.0)?.queues.get_mut(partition)
    }

    fn sendable(&self, batch: &ProducerBatch, queue_len: usize, now: Instant) -> bool {
        queue_len > 1
            || batch.closed
            || self.closing
            || self.flush_up_to.is_some_and(|up_to| batch.id <= up_to)
            || now >= batch.created + self.config.linger
    }

    /// Looks the queues' leaders up again when `leaders` is of another metadata generation
    /// than the last lookup, or a queue was added since; rebuilds the index by leader.
    fn refresh_leaders<F: Fn(&str, i32) -> Option<i32>>(&mut self, leaders: &Leaders<F>) {
        let queues = self
            .topics
            .iter()
            .map(|entry| entry.queues.partitions.len())
            .sum();
        if self.leaders_generation == Some(leaders.generation) && self.leaders_queues == queues {
            return;
        }
        self.leaders_generation = Some(leaders.generation);
        self.leaders_queues = queues;
        for led in self.by_leader.values_mut() {
            led.queues.clear();
        }
        for (i, entry) in self.topics.iter_mut().enumerate() {
            for (partition, queue) in entry.queues.partitions.iter_mut().enumerate() {
                let partition = partition as i32;
                queue.leader = (leaders.leader_of)(&entry.name, partition);
                self.by_leader
                    .entry(queue.leader.unwrap_or(-1))
                    .or_default()
                    .queues
                    .push((TopicSlot(i), partition));
            }
        }
        self.by_leader.retain(|_, led| !led.queues.is_empty());
    }

    /// Which leaders have sendable batches at `now`, and when to look again (which the
    /// accumulator remembers: appends whose linger ends later need not wake the sender, so
    /// the caller must look again by then). `leaders` says where partitions' leaders are.
    pub fn ready<F: Fn(&str, i32) -> Option<i32>>(
        &mut self,
        now: Instant,
        leaders: Leaders<F>,
    ) -> ReadyCheck {
        self.refresh_leaders(&leaders);
        let mut check = ReadyCheck::default();
        let mut next_expiry = None;
        for TopicEntry { queues, .. } in &self.topics {
            for queue in queues.values() {
                let Some(front) = queue.batches.front() else {
                    continue;
                };
                next_expiry =
                    min_instant(next_expiry, front.created + self.config.delivery_timeout);
                let Some(leader) = queue.leader else {
                    check.unknown_leaders = true;
                    continue;
                };
                if let Some(retry_at) = front.retry_at.filter(|at| *at > now) {
                    check.next_check = min_instant(check.next_check, retry_at);
                    continue;
                }
                if self.sendable(front, queue.batches.len(), now) {
                    if !check.ready_nodes.contains(&leader) {
                        check.ready_nodes.push(leader);
                    }
                } else {
                    check.next_check =
                        min_instant(check.next_check, front.created + self.config.linger);
                }
            }
        }
        self.next_expiry = next_expiry;
        if let Some(expiry) = next_expiry {
            check.next_check = min_instant(check.next_check, expiry);
        }
        self.sender_looks_at = check.next_check;
        check
    }

    /// Takes sendable batches of partitions led by `node` for one Produce request: at most one
    /// per partition, up to about `max_request_size` bytes once encoded (always at least one
    /// batch; an unencoded batch counts its uncompressed size times the recent compression
    /// ratio). `stamp` gives each batch its producer fields (sequence numbers) as it is
    /// drained, in queue order; `None` from it leaves that partition's batch queued and goes on
    /// to the next partition (a transaction's partition the broker has not added yet; with
    /// idempotence waiting for a producer id, every partition). The caller encodes what it
    /// gets ([`DrainedBatch::encode`]) outside the lock and reports the sizes with
    /// [`RecordAccumulator::observe_compression`].
    pub fn drain<F: Fn(&str, i32) -> Option<i32>>(
        &mut self,
        node: i32,
        max_request_size: usize,
        now: Instant,
        leaders: Leaders<F>,
        mut stamp: impl FnMut(&ProducerBatch) -> Option<Option<ProducerState>>,
    ) -> Vec<DrainedBatch> {
        self.refresh_leaders(&leaders);
        // Taken out for the drain (and put back), so that the queues can be borrowed meanwhile.
        let Some(mut led) = self.by_leader.get_mut(&node).map(std::mem::take) else {
            return Vec::new();
        };
        let count = led.queues.len();
        let start = led.next % count.max(1);
        let ratio = self.compression_ratio;
        let batch_size = self.config.batch_size;
        let mut drained = Vec::new();
        let mut size = 0usize;
        let mut next = start;
        for at in (start..count).chain(0..start) {
            let (topic, partition) = led.queues[at];
            let queue = &self.topics[topic.0].queues.partitions[partition as usize];
            let Some(front) = queue.batches.front() else {
                continue;
            };
            if front.retry_at.is_some_and(|at| at > now)
                || !self.sendable(front, queue.batches.len(), now)
            {
                continue;
            }
            let expected = front.expected_encoded_size(ratio);
            if !drained.is_empty() && size + expected > max_request_size {
                next = at;
                break;
            }
            let Some(state) = stamp(front) else {
                continue;
            };
            let queue = self
                .queue_mut(topic, partition)
                .expect("a led queue exists");
            let mut batch = queue.batches.pop_front().expect("front exists");
            if batch.attempts == 0 {
                // A quarter more than this batch took, so that a partition whose traffic
                // grows a little does not regrow its buffer every batch.
                let used = batch.estimated_size();
                queue.next_capacity = (used + used / 4).max(MIN_BATCH_CAPACITY).min(batch_size);
            }
            size += expected;
            batch.attempts += 1;
            batch.retry_at = None;
            drained.push(DrainedBatch { batch, state });
            next = at + 1;
        }
        led.next = next;
        *self.by_leader.get_mut(&node).expect("taken above") = led;
        drained
    }

    /// Encoded sizes of freshly encoded batches against their uncompressed sizes: keeps the
    /// ratio [`RecordAccumulator::drain`] sizes requests with. It follows a worse ratio at
    /// once (a request should not grow past `max.request.size`) and a better one gradually.
    pub fn observe_compression(&mut self, uncompressed: usize, encoded: usize) {
        if self.config.compression == Compression::None || uncompressed == 0 {
            return;
        }
        let observed = (encoded as f64 / uncompressed as f64).clamp(0.01, 2.0);
        self.compression_ratio = if observed >= self.compression_ratio {
            observed
        } else {
            self.compression_ratio * 0.875 + observed * 0.125
        };
    }

    /// Puts a batch back for a retry, ahead of every newer batch of its partition, so that
    /// order is kept (batches are ordered by id, which is creation order).
    pub fn reenqueue(&mut self, batch: ProducerBatch) {
        let topic = self.topic_id(&batch.topic);
        self.next_expiry = min_instant(
            self.next_expiry,
            batch.created + self.config.delivery_timeout,
        );
        let Some(queue) = self.topics[topic.0].queues.entry(batch.partition) else {
            // Unreachable: batches are only made for partitions `append` accepted.
            self.incomplete.remove(&batch.id);
            batch.fail(&Error::config("partition", "negative partition".to_owned()));
            return;
        };
        let at = queue
            .batches
            .iter()
            .position(|b| b.id > batch.id)
            .unwrap_or(queue.batches.len());
        queue.batches.insert(at, batch);
    }

    /// Removes the queued batches whose `delivery.timeout.ms` ran out at `now`.
    pub fn expire(&mut self, now: Instant) -> Vec<ProducerBatch> {
        if self.next_expiry.is_none_or(|at| now < at) {
            return Vec::new();
        }
        let timeout = self.config.delivery_timeout;
        let mut expired = Vec::new();
        let mut next_expiry = None;
        for entry in &mut self.topics {
            for queue in entry.queues.values_mut() {
                // Oldest first: stop at the first batch still within its deadline (a retried
                // batch at the front may be older than those behind it, never younger).
                while queue
                    .batches
                    .front()
                    .is_some_and(|b| now >= b.created + timeout)
                {
                    expired.push(queue.batches.pop_front().expect("front exists"));
                }
                if let Some(front) = queue.batches.front() {
                    next_expiry = min_instant(next_expiry, front.created + timeout);
                }
            }
        }
        self.next_expiry = next_expiry;
        expired
    }

    /// Removes every queued batch (on close after the timeout).
    pub fn drain_all(&mut self) -> Vec<ProducerBatch> {
        let mut all = Vec::new();
        for entry in &mut self.topics {
            for queue in entry.queues.values_mut() {
                all.extend(queue.batches.drain(..));
            }
        }
        all
    }

    /// Whether no batch is queued.
    pub fn is_empty(&self) -> bool {
        self.topics
            .iter()
            .all(|entry| entry.queues.values().all(|q| q.batches.is_empty()))
    }

    /// A batch completed or failed: `flush` stops waiting for it.
    pub fn batch_done(&mut self, id: u64) {
        self.incomplete.remove(&id);
    }

    /// Starts a flush: every batch created so far becomes sendable. Returns the last id the
    /// flush waits for (`None`: nothing to wait for).
    pub fn begin_flush(&mut self) -> Option<u64> {
        let last = self.next_batch_id.checked_sub(1)?;
        self.flush_up_to = Some(self.flush_up_to.map_or(last, |u| u.max(last)));
        Some(last)
    }

    /// Whether every batch up to `last` is done.
    pub fn flushed(&self, last: u64) -> bool {
        self.incomplete.first().is_none_or(|&first| first > last)
    }

    /// Makes every batch sendable at once, for close.
    pub fn begin_close(&mut self) {
        self.closing = true;
    }

    /// Batches not yet done (queued or in flight).
    #[cfg(test)]
    pub fn incomplete_batches(&self) -> usize {
        self.incomplete.len()
    }
}

#[cfg(test)]
mod tests;
