//! What the application hands the producer ([`ProducerRecord`]) and what it gets back once the
//! broker has the record ([`RecordMetadata`]). Plain data, no behaviour.

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::records::RecordHeader;

/// A record to send: the topic, and optionally the partition, key, value, headers and
/// timestamp. Built with chained setters.
///
/// ```
/// use kafka_client::ProducerRecord;
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
    /// The topic.
    pub topic: String,
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
    /// A record for `topic` with no key, value or headers.
    pub fn new(topic: impl Into<String>) -> Self {
        ProducerRecord {
            topic: topic.into(),
            ..ProducerRecord::default()
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

/// Where a record landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    /// The topic, shared by every record of its batch (compare with `&*metadata.topic`, or
    /// `metadata.topic.to_string()` for an owned `String`).
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The record's offset; `-1` with `acks=0`, where the broker does not say.
    pub offset: i64,
    /// The record's timestamp: the broker's log-append time when the topic uses
    /// `LogAppendTime`, else the create time.
    pub timestamp: i64,
}
