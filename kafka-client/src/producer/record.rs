//! What the application hands the producer ([`ProducerRecord`], naming its [`Topic`]) and what
//! it gets back once the broker has the record ([`RecordMetadata`]). Plain data, no behaviour.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use bytes::Bytes;
use kafkito_protocol::records::RecordHeader;

/// A topic name, shared rather than copied: cloning one is a reference count. Make it once
/// per topic and clone it into each record, and naming the topic costs `send` no allocation
/// (a `&str` or `String` works too, at one allocation a record).
///
/// Compares, hashes and prints as the name; derefs to `&str`.
///
/// ```
/// use kafkito::producer::Topic;
/// use kafkito::ProducerRecord;
///
/// let orders = Topic::from("orders");
/// let record = ProducerRecord::new(&orders).value("v");
/// assert_eq!(record.topic, "orders");
/// assert_eq!(record.topic.len(), 6);
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Topic(Arc<str>);

impl Topic {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is a clone of this one (the same shared name): a pointer comparison.
    pub(crate) fn same_name_as(&self, other: &Topic) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for Topic {
    fn default() -> Self {
        Topic(Arc::from(""))
    }
}

impl Deref for Topic {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Topic {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Topic {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for Topic {
    fn from(name: &str) -> Self {
        Topic(Arc::from(name))
    }
}

impl From<&String> for Topic {
    fn from(name: &String) -> Self {
        Topic(Arc::from(name.as_str()))
    }
}

impl From<String> for Topic {
    fn from(name: String) -> Self {
        Topic(Arc::from(name))
    }
}

impl From<Arc<str>> for Topic {
    fn from(name: Arc<str>) -> Self {
        Topic(name)
    }
}

impl From<&Arc<str>> for Topic {
    fn from(name: &Arc<str>) -> Self {
        Topic(name.clone())
    }
}

impl From<&Topic> for Topic {
    fn from(topic: &Topic) -> Self {
        topic.clone()
    }
}

impl From<Topic> for Arc<str> {
    fn from(topic: Topic) -> Self {
        topic.0
    }
}

impl From<Topic> for String {
    fn from(topic: Topic) -> Self {
        topic.0.to_string()
    }
}

impl PartialEq<str> for Topic {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Topic {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Topic {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Topic> for str {
    fn eq(&self, other: &Topic) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Topic> for &str {
    fn eq(&self, other: &Topic) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Topic> for String {
    fn eq(&self, other: &Topic) -> bool {
        **self == *other.0
    }
}

/// A record to send: the topic, and optionally the partition, key, value, headers and
/// timestamp. Built with chained setters.
///
/// ```
/// use kafkito::ProducerRecord;
///
/// let record = ProducerRecord::new("orders")
///     .key("customer-17")
///     .value(&b"{\"total\": 12}"[..])
///     .header("source", "web");
/// assert_eq!(record.topic, "orders");
/// assert_eq!(record.partition, None); // chosen by the partitioner
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProducerRecord {
    /// The topic (a [`Topic`]: clone one into each record to send without allocating).
    pub topic: Topic,
    /// The partition; `None` lets the partitioner choose.
    pub partition: Option<i32>,
    /// The key; `None` is a null key (and keyless partitioning).
    pub key: Option<Bytes>,
    /// The value; `None` is a null value (a tombstone on compacted topics).
    pub value: Option<Bytes>,
    /// Record headers, in order.
    pub headers: Vec<RecordHeader>,
    /// Create time in milliseconds since the epoch; `None` means "now" at `send`.
    pub timestamp: Option<i64>,
}

impl ProducerRecord {
    /// A record for `topic` (a `&str`, `String` or [`Topic`]) with no key, value or headers.
    pub fn new(topic: impl Into<Topic>) -> Self {
        // Every field spelled out: `..Default::default()` would build (and free) an empty
        // `Topic` per record.
        ProducerRecord {
            topic: topic.into(),
            partition: None,
            key: None,
            value: None,
            headers: Vec::new(),
            timestamp: None,
        }
    }

    /// Sets the key.
    pub fn key(mut self, key: impl Into<Bytes>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Sets the value.
    pub fn value(mut self, value: impl Into<Bytes>) -> Self {
        self.value = Some(value.into());
        self
    }

    /// Appends a header.
    pub fn header(mut self, key: impl Into<Bytes>, value: impl Into<Bytes>) -> Self {
        self.headers.push(RecordHeader {
            key: key.into(),
            value: Some(value.into()),
        });
        self
    }

    /// Sends to this partition instead of asking the partitioner.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Sets the create time (milliseconds since the epoch).
    pub fn timestamp(mut self, timestamp_ms: i64) -> Self {
        self.timestamp = Some(timestamp_ms);
        self
    }
}

impl ProducerRecord {
    /// The record lent as a [`RecordRef`].
    pub fn as_record_ref(&self) -> RecordRef<'_> {
        RecordRef {
            topic: &self.topic,
            partition: self.partition,
            key: self.key.as_deref(),
            value: self.value.as_deref(),
            headers: &self.headers,
            timestamp: self.timestamp,
        }
    }
}

/// A record lent to [`Producer::send_ref`](crate::Producer::send_ref): the producer copies
/// its key, value and headers into the batch while it appends, so sending allocates and
/// reference-counts nothing per record (librdkafka's copy-on-produce). The fields are those
/// of [`ProducerRecord`], borrowed.
///
/// ```no_run
/// # async fn demo(producer: kafkito::Producer) -> kafkito::Result<()> {
/// use kafkito::producer::{RecordRef, Topic};
///
/// let orders = Topic::from("orders");
/// let mut value = Vec::new();
/// for i in 0..1000 {
///     value.clear();
///     value.extend_from_slice(format!("event {i}").as_bytes());
///     let delivery = producer.send_ref(RecordRef::new(&orders).key(b"k").value(&value)).await?;
///     # drop(delivery);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    /// The topic.
    pub topic: &'a Topic,
    /// The partition; `None` lets the partitioner choose.
    pub partition: Option<i32>,
    /// The key; `None` is a null key (and keyless partitioning).
    pub key: Option<&'a [u8]>,
    /// The value; `None` is a null value.
    pub value: Option<&'a [u8]>,
    /// Record headers, in order.
    pub headers: &'a [RecordHeader],
    /// Create time in milliseconds since the epoch; `None` means "now" at `send_ref`.
    pub timestamp: Option<i64>,
}

impl<'a> RecordRef<'a> {
    /// A record for `topic` with no key, value or headers.
    pub fn new(topic: &'a Topic) -> Self {
        RecordRef {
            topic,
            partition: None,
            key: None,
            value: None,
            headers: &[],
            timestamp: None,
        }
    }

    /// Sets the key.
    pub fn key(mut self, key: &'a [u8]) -> Self {
        self.key = Some(key);
        self
    }

    /// Sets the value.
    pub fn value(mut self, value: &'a [u8]) -> Self {
        self.value = Some(value);
        self
    }

    /// An owned copy: the topic's name is shared, key, value and headers are copied.
    ///
    /// ```
    /// use kafkito::producer::{RecordRef, Topic};
    ///
    /// let topic = Topic::from("orders");
    /// let record = RecordRef::new(&topic).key(b"k").value(b"v").to_record();
    /// assert_eq!(record.key.as_deref(), Some(&b"k"[..]));
    /// assert_eq!(record.topic, "orders");
    /// ```
    pub fn to_record(&self) -> ProducerRecord {
        ProducerRecord {
            topic: self.topic.clone(),
            partition: self.partition,
            key: self.key.map(Bytes::copy_from_slice),
            value: self.value.map(Bytes::copy_from_slice),
            headers: self.headers.to_vec(),
            timestamp: self.timestamp,
        }
    }

    /// Sets the headers.
    pub fn headers(mut self, headers: &'a [RecordHeader]) -> Self {
        self.headers = headers;
        self
    }

    /// Sends to this partition instead of asking the partitioner.
    pub fn partition(mut self, partition: i32) -> Self {
        self.partition = Some(partition);
        self
    }

    /// Sets the create time (milliseconds since the epoch).
    pub fn timestamp(mut self, timestamp_ms: i64) -> Self {
        self.timestamp = Some(timestamp_ms);
        self
    }
}

/// Where a record landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    /// The topic, shared by every record of its batch.
    pub topic: Topic,
    /// The partition.
    pub partition: i32,
    /// The record's offset; `-1` with `acks=0`, where the broker does not say.
    pub offset: i64,
    /// The record's timestamp: the broker's log-append time when the topic uses
    /// `LogAppendTime`, else the create time.
    pub timestamp: i64,
}
