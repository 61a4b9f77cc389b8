//! One record as a consumer sees it, whatever the magic of the batch it came in.

use bytes::Bytes;

/// What a batch's timestamps mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimestampType {
    /// Magic v0 messages carry no timestamp at all.
    NoTimestampType,
    /// The producer's timestamp (`message.timestamp.type=CreateTime`, the default).
    #[default]
    CreateTime,
    /// The broker's append time (`message.timestamp.type=LogAppendTime`); every record of the
    /// batch then reports the batch's `maxTimestamp`.
    LogAppendTime,
}

impl TimestampType {
    /// The id the Java client uses: -1, 0 or 1.
    pub const fn id(self) -> i8 {
        match self {
            TimestampType::NoTimestampType => -1,
            TimestampType::CreateTime => 0,
            TimestampType::LogAppendTime => 1,
        }
    }
}

/// A record header: a key (UTF-8 by convention, kept as bytes so decoding stays zero-copy and
/// never fails on a producer that broke the convention) and an optional value.
///
/// ```
/// use bytes::Bytes;
/// use kafkito_protocol::records::RecordHeader;
///
/// let header = RecordHeader::new("content-type", Some(Bytes::from_static(b"json")));
/// assert_eq!(header.key_str(), Ok("content-type"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordHeader {
    /// Header key. The Java client writes it as UTF-8; see [`RecordHeader::key_str`].
    pub key: Bytes,
    /// Header value; `None` is a null value, distinct from an empty one.
    pub value: Option<Bytes>,
}

impl RecordHeader {
    /// A header from any key and value that convert to [`Bytes`] (`&'static str`, `String`,
    /// `Vec<u8>`, `Bytes`, ...).
    pub fn new(key: impl Into<Bytes>, value: Option<impl Into<Bytes>>) -> Self {
        RecordHeader {
            key: key.into(),
            value: value.map(Into::into),
        }
    }

    /// The key as a string, if it is valid UTF-8 (it is, when a Java producer wrote it).
    pub fn key_str(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(&self.key)
    }
}

/// One record, with its absolute offset and effective timestamp already resolved.
///
/// The same shape comes out of magic v0, v1 and v2 batches: v0 records have
/// `timestamp == -1` and never carry headers; records of a `LogAppendTime` batch report the
/// broker's timestamp. Batch-level facts (producer id, transactional, control, compression)
/// live on the enclosing [`RecordBatch`](super::RecordBatch).
///
/// ```
/// use bytes::Bytes;
/// use kafkito_protocol::records::{decode_batches, Compression, RecordBatchBuilder};
///
/// let mut builder = RecordBatchBuilder::new(Compression::None);
/// builder.append(42, Some(b"k"), None, &[])?;
/// let batch = decode_batches(builder.finish()?)?.batches.remove(0);
/// let record = &batch.records[0];
/// assert_eq!((record.offset, record.timestamp), (0, 42));
/// assert_eq!(record.key, Some(Bytes::from_static(b"k")));
/// assert_eq!(record.value, None); // a tombstone
/// # Ok::<(), kafkito_protocol::records::RecordsError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// Absolute offset in the partition.
    pub offset: i64,
    /// Milliseconds since the epoch, or -1 (`NO_TIMESTAMP`) for magic v0.
    pub timestamp: i64,
    /// The key; `None` is a null key.
    pub key: Option<Bytes>,
    /// The value; `None` is a null value (a tombstone on a compacted topic).
    pub value: Option<Bytes>,
    /// Headers in wire order (duplicates allowed, as in Kafka).
    pub headers: Vec<RecordHeader>,
}
