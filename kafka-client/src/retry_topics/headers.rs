//! The headers a record carries on a retry or dead-letter topic: where it came from, how many
//! attempts it had, why the last one failed, and (on a retry topic) when it is due. Plain data,
//! encoded as UTF-8 text (decimal numbers) so that any tool — kcat, Java, a person — reads
//! them.
//!
//! The record's own headers are kept as they were, in order, ahead of these; `retry.*`
//! headers of an earlier hop are replaced, never repeated.

use bytes::Bytes;
use kafkito_protocol::records::RecordHeader;

use crate::consumer::ConsumerRecord;

/// Header: the topic the record was first written to.
pub const ORIGINAL_TOPIC: &str = "retry.original.topic";
/// Header: its partition there.
pub const ORIGINAL_PARTITION: &str = "retry.original.partition";
/// Header: its offset there.
pub const ORIGINAL_OFFSET: &str = "retry.original.offset";
/// Header: its timestamp there (milliseconds since the epoch, -1 for none).
pub const ORIGINAL_TIMESTAMP: &str = "retry.original.timestamp";
/// Header: the attempts made so far (the first try counts; 0 when it never reached the
/// handler because it could not be decoded).
pub const ATTEMPTS: &str = "retry.attempts";
/// Header: why the last attempt failed.
pub const ERROR: &str = "retry.error";
/// Header: `handler` (the handler returned an error) or `deserialization:key` /
/// `deserialization:value` (the record could not be decoded).
pub const ERROR_KIND: &str = "retry.error.kind";
/// Header (retry topics only): when the next attempt is due, milliseconds since the epoch.
pub const DUE: &str = "retry.due";

const PREFIX: &str = "retry.";

/// Where a record was first written: what the retry and dead-letter headers record.
///
/// ```
/// # fn demo(record: &kafkito::consumer::ConsumerRecord) {
/// use kafkito::retry_topics::Origin;
///
/// let origin = Origin::of(record);
/// assert_eq!((origin.partition, origin.offset), (record.partition, record.offset));
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The source topic.
    pub topic: String,
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its timestamp (milliseconds since the epoch; -1 for none).
    pub timestamp: i64,
}

impl Origin {
    /// The coordinates of `record` itself.
    pub fn of(record: &ConsumerRecord) -> Origin {
        Origin {
            topic: record.topic.to_string(),
            partition: record.partition,
            offset: record.offset,
            timestamp: record.timestamp,
        }
    }
}

/// What the `retry.*` headers of a record say.
///
/// ```
/// use kafkito::retry_topics::{Origin, RetryHeaders};
///
/// let headers = RetryHeaders {
///     origin: Origin { topic: "orders".into(), partition: 2, offset: 41, timestamp: 1_700_000_000_000 },
///     attempts: 1,
///     error: "timeout calling billing".into(),
///     error_kind: "handler".into(),
///     due_ms: Some(1_700_000_000_200),
/// };
/// let written = headers.write(&[]);
/// assert_eq!(RetryHeaders::read(&written), Ok(Some(headers)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryHeaders {
    /// Where the record was first written.
    pub origin: Origin,
    /// Attempts made so far ([`ATTEMPTS`]).
    pub attempts: u32,
    /// Why the last attempt failed ([`ERROR`]).
    pub error: String,
    /// [`ERROR_KIND`].
    pub error_kind: String,
    /// When the next attempt is due ([`DUE`]); `None` on the dead-letter topic.
    pub due_ms: Option<i64>,
}

impl RetryHeaders {
    /// `headers` with every earlier `retry.*` header replaced by these, the others kept in
    /// order.
    pub fn write(&self, headers: &[RecordHeader]) -> Vec<RecordHeader> {
        let mut out: Vec<RecordHeader> = headers
            .iter()
            .filter(|h| !h.key.starts_with(PREFIX.as_bytes()))
            .cloned()
            .collect();
        let mut add = |key: &'static str, value: String| {
            out.push(RecordHeader {
                key: Bytes::from_static(key.as_bytes()),
                value: Some(Bytes::from(value)),
            })
        };
        add(ORIGINAL_TOPIC, self.origin.topic.clone());
        add(ORIGINAL_PARTITION, self.origin.partition.to_string());
        add(ORIGINAL_OFFSET, self.origin.offset.to_string());
        add(ORIGINAL_TIMESTAMP, self.origin.timestamp.to_string());
        add(ATTEMPTS, self.attempts.to_string());
        add(ERROR, self.error.clone());
        add(ERROR_KIND, self.error_kind.clone());
        if let Some(due) = self.due_ms {
            add(DUE, due.to_string());
        }
        out
    }

    /// The `retry.*` headers of a record: `Ok(None)` when it has none (a first try), an error
    /// naming the header when one is missing or not what it should be.
    pub fn read(headers: &[RecordHeader]) -> Result<Option<RetryHeaders>, String> {
        let Some(topic) = text(headers, ORIGINAL_TOPIC)? else {
            return Ok(None);
        };
        let required =
            |key: &str| text(headers, key)?.ok_or_else(|| format!("header {key} is missing"));
        fn number<T: std::str::FromStr>(key: &str, value: String) -> Result<T, String> {
            value
                .parse()
                .map_err(|_| format!("header {key} is not a number: {value:?}"))
        }
        Ok(Some(RetryHeaders {
            origin: Origin {
                topic,
                partition: number(ORIGINAL_PARTITION, required(ORIGINAL_PARTITION)?)?,
                offset: number(ORIGINAL_OFFSET, required(ORIGINAL_OFFSET)?)?,
                timestamp: number(ORIGINAL_TIMESTAMP, required(ORIGINAL_TIMESTAMP)?)?,
            },
            attempts: number(ATTEMPTS, required(ATTEMPTS)?)?,
            error: text(headers, ERROR)?.unwrap_or_default(),
            error_kind: text(headers, ERROR_KIND)?.unwrap_or_default(),
            due_ms: text(headers, DUE)?.map(|v| number(DUE, v)).transpose()?,
        }))
    }
}

/// The last header `key` as UTF-8 (a null value reads as empty).
fn text(headers: &[RecordHeader], key: &str) -> Result<Option<String>, String> {
    headers
        .iter()
        .rev()
        .find(|h| h.key == key.as_bytes())
        .map(|h| {
            String::from_utf8(h.value.as_deref().unwrap_or_default().to_vec())
                .map_err(|_| format!("header {key} is not UTF-8"))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(key: &'static str, value: &'static str) -> RecordHeader {
        RecordHeader {
            key: Bytes::from_static(key.as_bytes()),
            value: Some(Bytes::from_static(value.as_bytes())),
        }
    }

    fn sample(due_ms: Option<i64>) -> RetryHeaders {
        RetryHeaders {
            origin: Origin {
                topic: "orders".into(),
                partition: 3,
                offset: 99,
                timestamp: -1,
            },
            attempts: 2,
            error: "no: \u{e9}".into(),
            error_kind: "handler".into(),
            due_ms,
        }
    }

    #[test]
    fn the_record_headers_are_kept_and_earlier_hops_replaced() {
        let original = [
            header("trace", "abc"),
            RecordHeader {
                key: Bytes::from_static(b"null"),
                value: None,
            },
        ];
        let first = sample(Some(5)).write(&original);
        let second = RetryHeaders {
            attempts: 3,
            due_ms: None,
            ..sample(None)
        }
        .write(&first);
        assert_eq!(&second[..2], &original[..]);
        let keys: Vec<&[u8]> = second.iter().map(|h| &h.key[..]).collect();
        assert_eq!(
            keys.iter().filter(|k| **k == ATTEMPTS.as_bytes()).count(),
            1
        );
        assert!(!keys.contains(&DUE.as_bytes()));
        let read = RetryHeaders::read(&second).unwrap().unwrap();
        assert_eq!(read.attempts, 3);
        assert_eq!(read.due_ms, None);
        assert_eq!(read.error, "no: \u{e9}");
    }

    #[test]
    fn values_are_decimal_text() {
        let written = sample(Some(1_700_000_000_123)).write(&[]);
        let get = |k: &str| {
            written
                .iter()
                .find(|h| h.key == k.as_bytes())
                .and_then(|h| h.value.clone())
        };
        assert_eq!(get(ORIGINAL_OFFSET).as_deref(), Some(&b"99"[..]));
        assert_eq!(get(ORIGINAL_TIMESTAMP).as_deref(), Some(&b"-1"[..]));
        assert_eq!(get(DUE).as_deref(), Some(&b"1700000000123"[..]));
    }

    #[test]
    fn no_headers_is_a_first_try_and_bad_ones_are_named() {
        assert_eq!(RetryHeaders::read(&[header("trace", "x")]), Ok(None));
        let missing = RetryHeaders::read(&[header(ORIGINAL_TOPIC, "t")]).unwrap_err();
        assert!(missing.contains(ORIGINAL_PARTITION), "{missing}");
        let mut bad = sample(None).write(&[]);
        bad.push(header(ORIGINAL_OFFSET, "ninety"));
        let error = RetryHeaders::read(&bad).unwrap_err();
        assert!(error.contains("ninety"), "{error}");
    }
}
