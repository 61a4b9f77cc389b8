//! Typed keys and values on both sides: the producer's [`Serializer`] (re-exported from
//! [`producer::serializer`](crate::producer::serializer)), the consumer's [`Deserializer`],
//! their byte, UTF-8 and (feature `json`) JSON implementations, and [`TypedConsumer`], a view
//! of a [`Consumer`] that hands out decoded records.
//!
//! Kafka itself only stores bytes; decoding is the client's job, and a record that does not
//! decode is a fact about the data, not a failure of the consumer. So a decode failure is a
//! value here ([`DecodeFailure`], holding the raw record and the reason), returned in place of
//! the record: the application decides what to do with it (log it, skip it, or send it to a
//! dead-letter topic, as [`retry_topics`](crate::retry_topics) does), and the records behind it
//! keep flowing. Nothing is lost and nothing panics. Java's `ErrorHandlingDeserializer` plays the
//! same part, by turning the exception into a null value plus a header.
//!
//! ```toml
//! [dependencies]
//! kafkito = { version = "0.1", features = ["json"] }   # JsonSerializer / JsonDeserializer
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use bytes::Bytes;

use crate::consumer::{Consumer, ConsumerRecord};
use crate::error::Result;

pub use crate::producer::serializer::{Serializer, StringSerializer};

/// Turns record bytes of `topic` back into a `T`, as the Java client's `Deserializer<T>`.
/// Null keys and values are never handed to it (they stay `None`).
///
/// Closures `Fn(&str, &Bytes) -> Result<T, String>` are deserializers too:
///
/// ```
/// use bytes::Bytes;
/// use kafkito::serdes::Deserializer;
///
/// let parse_u32 = |_topic: &str, bytes: &Bytes| -> Result<u32, String> {
///     std::str::from_utf8(bytes)
///         .map_err(|e| e.to_string())?
///         .parse()
///         .map_err(|e: std::num::ParseIntError| e.to_string())
/// };
/// assert_eq!(parse_u32.deserialize("t", &Bytes::from_static(b"42")), Ok(42));
/// assert!(parse_u32.deserialize("t", &Bytes::from_static(b"x")).is_err());
/// ```
pub trait Deserializer<T> {
    /// The value `bytes` encode, or why they do not encode one.
    fn deserialize(&self, topic: &str, bytes: &Bytes) -> std::result::Result<T, String>;
}

impl<T, F> Deserializer<T> for F
where
    F: Fn(&str, &Bytes) -> std::result::Result<T, String>,
{
    fn deserialize(&self, topic: &str, bytes: &Bytes) -> std::result::Result<T, String> {
        self(topic, bytes)
    }
}

/// The bytes as they are (a cheap clone of the fetched buffer), as Java's
/// `ByteArrayDeserializer`; never fails. Also a [`Serializer`] of [`Bytes`].
///
/// ```
/// use bytes::Bytes;
/// use kafkito::serdes::{BytesSerde, Deserializer, Serializer};
///
/// let raw = Bytes::from_static(&[0xff, 0x00]);
/// assert_eq!(BytesSerde.deserialize("t", &raw), Ok(raw.clone()));
/// assert_eq!(BytesSerde.serialize("t", &raw), Ok(raw));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct BytesSerde;

impl Deserializer<Bytes> for BytesSerde {
    fn deserialize(&self, _topic: &str, bytes: &Bytes) -> std::result::Result<Bytes, String> {
        Ok(bytes.clone())
    }
}

impl Serializer<Bytes> for BytesSerde {
    fn serialize(&self, _topic: &str, value: &Bytes) -> std::result::Result<Bytes, String> {
        Ok(value.clone())
    }
}

/// UTF-8 text, as Java's `StringDeserializer`; bytes that are not UTF-8 are refused (with the
/// position of the first bad byte) rather than replaced.
///
/// ```
/// use bytes::Bytes;
/// use kafkito::serdes::{Deserializer, StringDeserializer};
///
/// assert_eq!(StringDeserializer.deserialize("t", &Bytes::from_static(b"hi")), Ok("hi".to_string()));
/// assert!(StringDeserializer.deserialize("t", &Bytes::from_static(&[0xff])).is_err());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct StringDeserializer;

impl Deserializer<String> for StringDeserializer {
    fn deserialize(&self, _topic: &str, bytes: &Bytes) -> std::result::Result<String, String> {
        String::from_utf8(bytes.to_vec()).map_err(|e| format!("not UTF-8: {}", e.utf8_error()))
    }
}

/// JSON through serde (feature `json`): serializes any `T: Serialize`, deserializes any
/// `T: DeserializeOwned`. Malformed JSON, or JSON of another shape, is a refusal naming
/// serde_json's reason (line and column).
///
/// ```
/// # #[cfg(feature = "json")] {
/// use bytes::Bytes;
/// use kafkito::serdes::{Deserializer, Json, Serializer};
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Order { id: u32 }
///
/// let bytes = Json.serialize("orders", &Order { id: 7 }).unwrap();
/// assert_eq!(&bytes[..], br#"{"id":7}"#);
/// let back: Order = Json.deserialize("orders", &bytes).unwrap();
/// assert_eq!(back, Order { id: 7 });
/// let bad: Result<Order, _> = Json.deserialize("orders", &Bytes::from_static(b"{"));
/// assert!(bad.is_err());
/// # }
/// ```
#[cfg(feature = "json")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

#[cfg(feature = "json")]
impl<T: serde::Serialize + ?Sized> Serializer<T> for Json {
    fn serialize(&self, _topic: &str, value: &T) -> std::result::Result<Bytes, String> {
        serde_json::to_vec(value)
            .map(Bytes::from)
            .map_err(|e| e.to_string())
    }
}

#[cfg(feature = "json")]
impl<T: serde::de::DeserializeOwned> Deserializer<T> for Json {
    fn deserialize(&self, _topic: &str, bytes: &Bytes) -> std::result::Result<T, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }
}

/// Which part of a record did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordPart {
    /// The key.
    Key,
    /// The value.
    Value,
}

impl RecordPart {
    /// `"key"` or `"value"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordPart::Key => "key",
            RecordPart::Value => "value",
        }
    }
}

impl fmt::Display for RecordPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record whose key or value did not decode: the record exactly as fetched (raw bytes,
/// headers, position) and why. A value, not an error of the consumer: the records behind it
/// are unaffected.
/// See [`decode`] for an example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    /// The record as fetched.
    pub record: ConsumerRecord,
    /// Which part did not decode (the key is tried first).
    pub part: RecordPart,
    /// The deserializer's reason.
    pub reason: String,
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not decode the {} of {}-{}@{}: {}",
            self.part, self.record.topic, self.record.partition, self.record.offset, self.reason
        )
    }
}

impl std::error::Error for DecodeFailure {}

/// A record with its key and value decoded; `raw` is the record as fetched (its topic,
/// partition, offset, timestamp and headers, and the original bytes).
///
/// ```
/// # fn demo(record: kafkito::consumer::ConsumerRecord) {
/// use kafkito::serdes::{decode, StringDeserializer, TypedRecord};
///
/// if let Ok(typed) = decode(record, &StringDeserializer, &StringDeserializer) {
///     let typed: TypedRecord<String, String> = typed;
///     println!("{}@{}: {:?}", typed.raw.topic, typed.raw.offset, typed.value);
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedRecord<K, V> {
    /// The decoded key; `None` for a null key.
    pub key: Option<K>,
    /// The decoded value; `None` for a null value (a tombstone).
    pub value: Option<V>,
    /// The record as fetched.
    pub raw: ConsumerRecord,
}

/// Decodes `record`'s key, then its value; a refusal is a [`DecodeFailure`] that keeps the
/// record. Nulls stay `None` without asking the deserializer.
///
/// ```
/// use bytes::Bytes;
/// use kafkito::consumer::ConsumerRecord;
/// use kafkito::protocol::records::TimestampType;
/// use kafkito::serdes::{decode, RecordPart, StringDeserializer};
///
/// let record = ConsumerRecord {
///     topic: "t".into(), partition: 0, offset: 5, timestamp: 0,
///     timestamp_type: TimestampType::CreateTime,
///     key: None, value: Some(Bytes::from_static(&[0xc3, 0x28])), headers: vec![], leader_epoch: None,
/// };
/// let failure = decode(record.clone(), &StringDeserializer, &StringDeserializer).unwrap_err();
/// assert_eq!(failure.part, RecordPart::Value);
/// assert_eq!(failure.record, record); // the raw bytes are kept
/// ```
// The failure carries the whole record on purpose (it is routed, not dropped), and the `Ok`
// side carries it too: boxing it would cost an allocation per failure and save nothing.
#[allow(clippy::result_large_err)]
pub fn decode<K, V>(
    record: ConsumerRecord,
    key: &impl Deserializer<K>,
    value: &impl Deserializer<V>,
) -> std::result::Result<TypedRecord<K, V>, DecodeFailure> {
    let topic = record.topic.clone();
    let decoded_key = match record.key.as_ref().map(|k| key.deserialize(&topic, k)) {
        None => None,
        Some(Ok(k)) => Some(k),
        Some(Err(reason)) => {
            return Err(DecodeFailure {
                record,
                part: RecordPart::Key,
                reason,
            })
        }
    };
    let decoded_value = match record.value.as_ref().map(|v| value.deserialize(&topic, v)) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(reason)) => {
            return Err(DecodeFailure {
                record,
                part: RecordPart::Value,
                reason,
            })
        }
    };
    Ok(TypedRecord {
        key: decoded_key,
        value: decoded_value,
        raw: record,
    })
}

/// A [`Consumer`] whose `poll` decodes: each record comes back as a [`TypedRecord`] or, when
/// its key or value does not decode, as a [`DecodeFailure`] in its place (same order). The
/// position moves past both alike, so a commit after handling a failure (for example after
/// sending it to a dead-letter topic) never replays it.
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use std::time::Duration;
/// use kafkito::consumer::{Consumer, ConsumerConfig, TopicPartition};
/// use kafkito::serdes::{StringDeserializer, TypedConsumer};
///
/// let config = ConsumerConfig::from_properties([("bootstrap.servers", "localhost:9092")])?;
/// let mut consumer = Consumer::new(config).await?;
/// consumer.assign([TopicPartition::new("names", 0)])?;
/// let mut typed = TypedConsumer::new(consumer, StringDeserializer, StringDeserializer);
/// for outcome in typed.poll(Duration::from_secs(1)).await? {
///     match outcome {
///         Ok(record) => println!("{:?} = {:?}", record.key, record.value),
///         Err(failure) => eprintln!("skipping: {failure}"),
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TypedConsumer<K, V, KD, VD> {
    consumer: Consumer,
    key: KD,
    value: VD,
    _types: PhantomData<fn() -> (K, V)>,
}

impl<K, V, KD, VD> TypedConsumer<K, V, KD, VD>
where
    KD: Deserializer<K>,
    VD: Deserializer<V>,
{
    /// Wraps `consumer`, decoding keys with `key` and values with `value`.
    pub fn new(consumer: Consumer, key: KD, value: VD) -> Self {
        TypedConsumer {
            consumer,
            key,
            value,
            _types: PhantomData,
        }
    }

    /// [`Consumer::poll`], each record decoded (see the type's docs).
    #[allow(clippy::result_large_err)] // as `decode`
    pub async fn poll(
        &mut self,
        timeout: Duration,
    ) -> Result<Vec<std::result::Result<TypedRecord<K, V>, DecodeFailure>>> {
        let records = self.consumer.poll(timeout).await?;
        Ok(records
            .into_iter()
            .map(|record| decode(record, &self.key, &self.value))
            .collect())
    }

    /// The consumer, for commits, seeks and the rest.
    pub fn consumer(&mut self) -> &mut Consumer {
        &mut self.consumer
    }

    /// The consumer back (to `close` it).
    pub fn into_inner(self) -> Consumer {
        self.consumer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafkito_protocol::records::TimestampType;

    fn record(key: Option<&'static [u8]>, value: Option<&'static [u8]>) -> ConsumerRecord {
        ConsumerRecord {
            topic: "t".into(),
            partition: 1,
            offset: 9,
            timestamp: 0,
            timestamp_type: TimestampType::CreateTime,
            key: key.map(Bytes::from_static),
            value: value.map(Bytes::from_static),
            headers: vec![],
            leader_epoch: None,
        }
    }

    #[test]
    fn nulls_stay_null_and_are_not_decoded() {
        let refuse = |_: &str, _: &Bytes| -> std::result::Result<String, String> {
            Err("never called for nulls".into())
        };
        let typed = decode(record(None, None), &refuse, &refuse).unwrap();
        assert_eq!((typed.key, typed.value), (None, None));
    }

    #[test]
    fn the_key_is_tried_first_and_the_failure_keeps_the_raw_record() {
        let raw = record(Some(&[0xff]), Some(&[0xfe]));
        let failure = decode(raw.clone(), &StringDeserializer, &StringDeserializer).unwrap_err();
        assert_eq!(failure.part, RecordPart::Key);
        assert_eq!(failure.record, raw);
        assert!(failure.reason.contains("not UTF-8"), "{}", failure.reason);
        assert_eq!(
            failure.to_string(),
            format!("could not decode the key of t-1@9: {}", failure.reason)
        );
        let failure = decode(
            record(Some(b"k"), Some(&[0xfe])),
            &StringDeserializer,
            &StringDeserializer,
        )
        .unwrap_err();
        assert_eq!(failure.part, RecordPart::Value);
    }

    #[test]
    fn bytes_pass_through() {
        let typed = decode(record(Some(b"k"), Some(b"v")), &BytesSerde, &BytesSerde).unwrap();
        assert_eq!(typed.value.as_deref(), Some(&b"v"[..]));
    }

    #[cfg(feature = "json")]
    #[test]
    fn json_of_the_wrong_shape_is_refused() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Order {
            id: u32,
        }
        let failure =
            decode::<Bytes, Order>(record(None, Some(br#"{"id":"seven"}"#)), &BytesSerde, &Json)
                .unwrap_err();
        assert_eq!(failure.part, RecordPart::Value);
        assert!(
            failure.reason.contains("invalid type"),
            "{}",
            failure.reason
        );
    }
}
