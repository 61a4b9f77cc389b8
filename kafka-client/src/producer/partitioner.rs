//! Choosing the partition a record goes to.
//!
//! This file owns the hash (Kafka's murmur2, bit-for-bit the Java client's `Utils.murmur2`) and
//! the three partitioners Kafka users know: [`DefaultPartitioner`] (hash the key, stick keyless
//! records to one partition per batch), [`RoundRobinPartitioner`] and
//! [`UniformStickyPartitioner`]. It is separate from the accumulator because choosing a partition
//! is a pure function of the key, the topic's partition list and a little per-topic state, and
//! because it is the one place where we must agree byte-for-byte with every other Kafka client:
//! a keyed record has to land on the same partition whether the Java client, librdkafka
//! (`partitioner=murmur2_random`) or this crate produced it, or per-key ordering breaks for
//! anyone who mixes clients.
//!
//! # Who calls what
//! The producer calls [`Partitioner::partition`] once per record that has no explicit
//! partition, with the topic's current partition count and the ids of the partitions that have a
//! leader (`available`, possibly empty). When the accumulator closes a batch and opens a new one
//! for a partition, it calls [`Partitioner::on_new_batch`] so that sticky partitioners move on
//! (KIP-480): keyless records then fill one batch at a time instead of spreading thin batches
//! over every partition.
//!
//! # Example
//! ```
//! use kafkito::producer::partitioner::{murmur2, to_positive, PartitionerKind};
//!
//! let partitioner = PartitionerKind::Default.build();
//! // A keyed record: the same partition the Java client and librdkafka's murmur2 choose.
//! let p = partitioner.partition("orders", Some(b"customer-42"), 12, &[]);
//! assert_eq!(p, to_positive(murmur2(b"customer-42")) % 12);
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Kafka's murmur2 hash of `data`, identical to the Java client's `Utils.murmur2` (seed
/// `0x9747b28c`, multiplier `0x5bd1e995`, shift 24, little-endian 4-byte blocks) and to
/// librdkafka's `rd_murmur2`.
///
/// The result is the signed 32-bit value Java returns; pass it through [`to_positive`] before
/// taking a modulus, as every Kafka client does.
///
/// Implemented by the `murmur2` crate's endianness-independent `MurmurHash2` with its
/// `KAFKA_SEED`: that is the same algorithm as Java's (both read blocks little-endian and mix
/// the 1–3 tail bytes as unsigned bytes, which is what Java's `& 0xff` masking achieves), and
/// the tests below pin it to the vectors published by Kafka's `UtilsTest` and librdkafka.
///
/// # Example
/// ```
/// use kafkito::producer::partitioner::murmur2;
///
/// assert_eq!(murmur2(b"21"), -973932308);
/// assert_eq!(murmur2(b"abc"), 479470107);
/// ```
pub fn murmur2(data: &[u8]) -> i32 {
    // Java does the arithmetic in (wrapping) `int`; the bit pattern is the same in u32.
    // `::murmur2` is the crate; plain `murmur2` here would be this function.
    ::murmur2::murmur2(data, ::murmur2::KAFKA_SEED) as i32
}

/// Clears the sign bit, as Java's `Utils.toPositive` does (`n & 0x7fffffff`).
///
/// Unlike `abs`, this maps `i32::MIN` to 0 rather than overflowing, and it is what Kafka
/// uses to turn a hash into a partition index, so it must not be replaced by `abs` or
/// `rem_euclid` (they give different partitions for negative hashes).
///
/// # Example
/// ```
/// use kafkito::producer::partitioner::to_positive;
///
/// assert_eq!(to_positive(-1), i32::MAX);
/// assert_eq!(to_positive(i32::MIN), 0);
/// assert_eq!(to_positive(7), 7);
/// ```
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// Chooses the partition of a record that was sent without one.
///
/// `partition_count` is the topic's number of partitions (positive); `available` lists the ids
/// of the partitions that currently have a leader and may be empty when none is known.
/// Implementations are shared by every task that sends, hence `Send + Sync` and `&self`.
/// `partition` is called for every record while the producer holds its batches' lock (as
/// librdkafka calls its partitioner under the topic lock): keep it quick, and never call the
/// producer from it.
///
/// # Example
/// A partitioner that sends everything to partition 0:
/// ```
/// use kafkito::producer::partitioner::Partitioner;
///
/// #[derive(Debug)]
/// struct First;
///
/// impl Partitioner for First {
///     fn partition(&self, _topic: &str, _key: Option<&[u8]>, _count: i32, _available: &[i32]) -> i32 {
///         0
///     }
/// }
///
/// assert_eq!(First.partition("t", None, 3, &[]), 0);
/// ```
pub trait Partitioner: Send + Sync + std::fmt::Debug {
    /// Returns the partition, in `0..partition_count`, for one record of `topic`.
    fn partition(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        partition_count: i32,
        available: &[i32],
    ) -> i32;

    /// Told by the producer that a new batch was started for `topic`/`partition`: the batch a
    /// sticky partitioner was filling is full (or was sent), so it is time to move on.
    fn on_new_batch(
        &self,
        _topic: &str,
        _partition: i32,
        _partition_count: i32,
        _available: &[i32],
    ) {
    }
}

/// Java's default partitioning (`BuiltInPartitioner`): a record with a key goes to
/// `to_positive(murmur2(key)) % partition_count`; records without a key stick to one partition
/// per topic until a new batch is started there, then move to another (KIP-480, KIP-794).
///
/// An empty key (`Some(&[])`) is a key, hashed like any other, as in Java and librdkafka.
/// The adaptive part of KIP-794 (skipping partitions whose queues are slow) is not done here.
///
/// # Example
/// ```
/// use kafkito::producer::partitioner::{DefaultPartitioner, Partitioner};
///
/// let p = DefaultPartitioner::default();
/// // Keyless records stay on one partition ...
/// let first = p.partition("t", None, 8, &[]);
/// assert_eq!(p.partition("t", None, 8, &[]), first);
/// // ... until the producer starts a new batch there.
/// p.on_new_batch("t", first, 8, &[]);
/// assert_ne!(p.partition("t", None, 8, &[]), first);
/// ```
#[derive(Debug, Default)]
pub struct DefaultPartitioner {
    sticky: StickyPartitionCache,
}

impl Partitioner for DefaultPartitioner {
    fn partition(
        &self,
        topic: &str,
        key: Option<&[u8]>,
        partition_count: i32,
        available: &[i32],
    ) -> i32 {
        match key {
            Some(key) => partition_for_key(key, partition_count),
            None => self.sticky.partition(topic, partition_count, available),
        }
    }

    fn on_new_batch(&self, topic: &str, partition: i32, partition_count: i32, available: &[i32]) {
        self.sticky
            .next_partition(topic, partition, partition_count, available);
    }
}

/// Spreads records over the partitions in turn, one after the other, ignoring keys (Java's
/// `RoundRobinPartitioner`).
///
/// Each topic has its own counter. When some partitions are `available`, the counter walks over
/// those only; otherwise over all `partition_count` partitions. The counter moves once per
/// [`Partitioner::partition`] call and [`Partitioner::on_new_batch`] does nothing, so starting a
/// batch never skips a partition (the Java client used to call `partition` twice on a new batch
/// and skip every other partition, KAFKA-9965).
///
/// # Example
/// ```
/// use kafkito::producer::partitioner::{Partitioner, RoundRobinPartitioner};
///
/// let p = RoundRobinPartitioner::default();
/// let picks: Vec<i32> = (0..4).map(|_| p.partition("t", Some(b"k"), 3, &[])).collect();
/// assert_eq!(picks, [0, 1, 2, 0]);
/// ```
#[derive(Debug, Default)]
pub struct RoundRobinPartitioner {
    /// Per topic, the value of the next `partition` call (Java's `AtomicInteger`, wrapping).
    counters: Mutex<HashMap<String, i32>>,
}

impl Partitioner for RoundRobinPartitioner {
    fn partition(
        &self,
        topic: &str,
        _key: Option<&[u8]>,
        partition_count: i32,
        available: &[i32],
    ) -> i32 {
        let next = {
            let mut counters = lock(&self.counters);
            // Look up by `&str` first so that only a topic's first record allocates its name.
            if let Some(counter) = counters.get_mut(topic) {
                let next = *counter;
                *counter = counter.wrapping_add(1);
                next
            } else {
                counters.insert(topic.to_owned(), 1);
                0
            }
        };
        let next = to_positive(next);
        if available.is_empty() {
            next % partition_count.max(1)
        } else {
            available[next as usize % available.len()]
        }
    }
}

/// Sticks every record to one partition per topic until a new batch is started there, whether
/// or not it has a key (Java's `UniformStickyPartitioner`, or `partitioner.ignore.keys=true`).
///
/// # Example
/// ```
/// use kafkito::producer::partitioner::{Partitioner, UniformStickyPartitioner};
///
/// let p = UniformStickyPartitioner::default();
/// let first = p.partition("t", Some(b"a"), 4, &[]);
/// assert_eq!(p.partition("t", Some(b"b"), 4, &[]), first); // keys are ignored
/// ```
#[derive(Debug, Default)]
pub struct UniformStickyPartitioner {
    sticky: StickyPartitionCache,
}

impl Partitioner for UniformStickyPartitioner {
    fn partition(
        &self,
        topic: &str,
        _key: Option<&[u8]>,
        partition_count: i32,
        available: &[i32],
    ) -> i32 {
        self.sticky.partition(topic, partition_count, available)
    }

    fn on_new_batch(&self, topic: &str, partition: i32, partition_count: i32, available: &[i32]) {
        self.sticky
            .next_partition(topic, partition, partition_count, available);
    }
}

/// Which built-in partitioner a producer uses (`partitioner.class`).
///
/// # Example
/// ```
/// use kafkito::producer::partitioner::PartitionerKind;
///
/// assert_eq!(PartitionerKind::parse("round-robin"), Some(PartitionerKind::RoundRobin));
/// assert_eq!(
///     PartitionerKind::parse("org.apache.kafka.clients.producer.UniformStickyPartitioner"),
///     Some(PartitionerKind::UniformSticky),
/// );
/// let partitioner = PartitionerKind::default().build();
/// assert!(partitioner.partition("t", Some(b"k"), 3, &[]) < 3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartitionerKind {
    /// [`DefaultPartitioner`]: murmur2 of the key, sticky when there is none.
    #[default]
    Default,
    /// [`RoundRobinPartitioner`]: one partition after the other, keys ignored.
    RoundRobin,
    /// [`UniformStickyPartitioner`]: sticky for every record, keys ignored.
    UniformSticky,
}

impl PartitionerKind {
    /// A new partitioner of this kind, with its own per-topic state.
    pub fn build(self) -> Arc<dyn Partitioner> {
        match self {
            PartitionerKind::Default => Arc::new(DefaultPartitioner::default()),
            PartitionerKind::RoundRobin => Arc::new(RoundRobinPartitioner::default()),
            PartitionerKind::UniformSticky => Arc::new(UniformStickyPartitioner::default()),
        }
    }

    /// Parses a `partitioner.class` value: `default`, `round-robin` (or `roundrobin`),
    /// `uniform-sticky`, or the Java class names
    /// `org.apache.kafka.clients.producer.RoundRobinPartitioner`,
    /// `org.apache.kafka.clients.producer.UniformStickyPartitioner` and
    /// `org.apache.kafka.clients.producer.internals.DefaultPartitioner`. Short names ignore
    /// case, `-` and `_`. librdkafka's `murmur2_random` also maps to [`PartitionerKind::Default`],
    /// whose keyed placement is the same, so configurations carried over from librdkafka keep
    /// their key-to-partition mapping. Anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        match s {
            "org.apache.kafka.clients.producer.internals.DefaultPartitioner" => {
                return Some(PartitionerKind::Default)
            }
            "org.apache.kafka.clients.producer.RoundRobinPartitioner" => {
                return Some(PartitionerKind::RoundRobin)
            }
            "org.apache.kafka.clients.producer.UniformStickyPartitioner" => {
                return Some(PartitionerKind::UniformSticky)
            }
            _ => {}
        }
        let short: String = s
            .chars()
            .filter(|c| *c != '-' && *c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match short.as_str() {
            "default" | "murmur2random" => Some(PartitionerKind::Default),
            "roundrobin" => Some(PartitionerKind::RoundRobin),
            "uniformsticky" => Some(PartitionerKind::UniformSticky),
            _ => None,
        }
    }
}

/// Java's `BuiltInPartitioner.partitionForKey`.
fn partition_for_key(key: &[u8], partition_count: i32) -> i32 {
    debug_assert!(partition_count > 0, "a topic has at least one partition");
    to_positive(murmur2(key)) % partition_count.max(1)
}

/// The sticky partition of each topic (Java's `StickyPartitionCache`).
#[derive(Debug, Default)]
struct StickyPartitionCache {
    current: Mutex<HashMap<String, i32>>,
}

impl StickyPartitionCache {
    /// The topic's sticky partition, chosen now if it has none yet.
    fn partition(&self, topic: &str, partition_count: i32, available: &[i32]) -> i32 {
        let mut current = lock(&self.current);
        match current.get(topic) {
            // A partition count never shrinks in Kafka, but a stale or bogus count must not
            // make us return an out-of-range partition.
            Some(&p) if p < partition_count => p,
            _ => {
                let p = choose_other(None, partition_count, available);
                current.insert(topic.to_owned(), p);
                p
            }
        }
    }

    /// A new batch was started on `prev`: if that is the topic's sticky partition, move to
    /// another one. If it is not (another task moved on already, or a keyed record started the
    /// batch), keep the current choice, so that one full batch moves the topic only once.
    fn next_partition(&self, topic: &str, prev: i32, partition_count: i32, available: &[i32]) {
        let mut current = lock(&self.current);
        let moved = match current.get(topic) {
            Some(&p) if p != prev && p < partition_count => return,
            _ => choose_other(Some(prev), partition_count, available),
        };
        current.insert(topic.to_owned(), moved);
    }
}

/// A random partition other than `old` where possible: among `available` when it is not
/// empty, else among all `partition_count`. Bounded time (no retry loop, unlike Java's).
fn choose_other(old: Option<i32>, partition_count: i32, available: &[i32]) -> i32 {
    if available.is_empty() {
        let n = partition_count.max(1);
        match old {
            Some(old) if (0..n).contains(&old) && n > 1 => {
                // Pick among the n - 1 others: skip over `old`.
                let i = fastrand::i32(0..n - 1);
                if i >= old {
                    i + 1
                } else {
                    i
                }
            }
            _ => fastrand::i32(0..n),
        }
    } else {
        let n = available.len();
        match old.and_then(|old| available.iter().position(|&p| p == old)) {
            Some(old_index) if n > 1 => {
                let i = fastrand::usize(0..n - 1);
                available[if i >= old_index { i + 1 } else { i }]
            }
            _ => available[fastrand::usize(0..n)],
        }
    }
}

/// Locks a partitioner's map. A panic while holding it cannot leave the map inconsistent (each
/// update is a single insert), so a poisoned lock is used as is rather than failing every send.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests;
