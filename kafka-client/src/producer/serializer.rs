//! Typed keys and values: a [`Serializer`] turns a value into the bytes a [`ProducerRecord`]
//! carries, as the Java client's `Serializer<T>` does. The producer itself only moves bytes;
//! serializing is done before `send`, so a serializer error never reaches the accumulator.

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::producer::ProducerRecord;

/// Turns a `T` into record bytes for `topic`.
///
/// Closures `Fn(&str, &T) -> Result<Bytes, String>` are serializers too.
pub trait Serializer<T: ?Sized> {
    /// The bytes for `value`, or why it cannot be written.
    fn serialize(&self, topic: &str, value: &T) -> std::result::Result<Bytes, String>;
}

impl<T: ?Sized, F> Serializer<T> for F
where
    F: Fn(&str, &T) -> std::result::Result<Bytes, String>,
{
    fn serialize(&self, topic: &str, value: &T) -> std::result::Result<Bytes, String> {
        self(topic, value)
    }
}

/// UTF-8 text, as Java's `StringSerializer`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StringSerializer;

impl Serializer<str> for StringSerializer {
    fn serialize(&self, _topic: &str, value: &str) -> std::result::Result<Bytes, String> {
        Ok(Bytes::copy_from_slice(value.as_bytes()))
    }
}

impl Serializer<String> for StringSerializer {
    fn serialize(&self, _topic: &str, value: &String) -> std::result::Result<Bytes, String> {
        Ok(Bytes::copy_from_slice(value.as_bytes()))
    }
}

/// Big-endian integers, as Java's `IntegerSerializer` and `LongSerializer` (so Java consumers
/// read them back with the matching deserializer).
#[derive(Debug, Clone, Copy, Default)]
pub struct BigEndianSerializer;

impl Serializer<i32> for BigEndianSerializer {
    fn serialize(&self, _topic: &str, value: &i32) -> std::result::Result<Bytes, String> {
        Ok(Bytes::copy_from_slice(&value.to_be_bytes()))
    }
}

impl Serializer<i64> for BigEndianSerializer {
    fn serialize(&self, _topic: &str, value: &i64) -> std::result::Result<Bytes, String> {
        Ok(Bytes::copy_from_slice(&value.to_be_bytes()))
    }
}

impl ProducerRecord {
    /// A record for `topic` whose key and value are serialized from typed values. A `None`
    /// key or value stays null. A serializer's refusal is [`Error::Serialization`].
    ///
    /// ```
    /// use kafkito::producer::serializer::{BigEndianSerializer, StringSerializer};
    /// use kafkito::ProducerRecord;
    ///
    /// let record = ProducerRecord::serialized(
    ///     "scores",
    ///     Some("alice"),
    ///     Some(&42i64),
    ///     &StringSerializer,
    ///     &BigEndianSerializer,
    /// )?;
    /// assert_eq!(record.key.as_deref(), Some(&b"alice"[..]));
    /// assert_eq!(record.value.as_deref(), Some(&42i64.to_be_bytes()[..]));
    /// # Ok::<(), kafkito::Error>(())
    /// ```
    pub fn serialized<K: ?Sized, V: ?Sized>(
        topic: impl Into<String>,
        key: Option<&K>,
        value: Option<&V>,
        key_serializer: &impl Serializer<K>,
        value_serializer: &impl Serializer<V>,
    ) -> Result<ProducerRecord> {
        let topic = topic.into();
        let fail = |what, reason| Error::Serialization {
            what,
            topic: topic.clone(),
            reason,
        };
        let key = key
            .map(|k| key_serializer.serialize(&topic, k))
            .transpose()
            .map_err(|reason| fail("key", reason))?;
        let value = value
            .map(|v| value_serializer.serialize(&topic, v))
            .transpose()
            .map_err(|reason| fail("value", reason))?;
        Ok(ProducerRecord {
            key,
            value,
            ..ProducerRecord::new(topic)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_stay_null_and_errors_name_the_field() {
        let record = ProducerRecord::serialized::<str, str>(
            "t",
            None,
            Some("v"),
            &StringSerializer,
            &StringSerializer,
        )
        .unwrap();
        assert_eq!(record.key, None);
        assert_eq!(record.value.as_deref(), Some(&b"v"[..]));

        let refuse = |_: &str, _: &str| -> std::result::Result<Bytes, String> {
            Err("too long".to_string())
        };
        let err = ProducerRecord::serialized("t", Some("k"), Some("v"), &StringSerializer, &refuse)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not serialize the value of a record for t: too long"
        );
        assert!(!err.is_retriable());
    }

    #[test]
    fn integers_are_big_endian_like_java() {
        let bytes = BigEndianSerializer.serialize("t", &1i32).unwrap();
        assert_eq!(&bytes[..], &[0, 0, 0, 1]);
    }
}
