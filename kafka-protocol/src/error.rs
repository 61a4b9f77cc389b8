//! Errors of the codec: one for decoding untrusted bytes, one for encoding our own values.

use thiserror::Error;

/// Why a sequence of bytes could not be decoded as a Kafka message.
///
/// Decoding never panics: every malformed input ends in one of these variants.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before the value did.
    #[error("unexpected end of input: needed {needed} more bytes, {remaining} remaining")]
    UnexpectedEof {
        /// Bytes the next value needs.
        needed: usize,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A length or count prefix is negative (other than the null marker) or larger than the
    /// remaining input could hold.
    #[error("invalid {what} length {length} ({remaining} bytes remaining)")]
    InvalidLength {
        /// What the length prefixes (string, bytes, array, ...).
        what: &'static str,
        /// The length as read from the wire.
        length: i64,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// A varint ran past its maximum encoded size.
    #[error("varint longer than {max_bytes} bytes")]
    VarintTooLong {
        /// Most bytes the varint may take.
        max_bytes: usize,
    },
    /// A string is not valid UTF-8.
    #[error("string field is not valid UTF-8")]
    InvalidUtf8,
    /// A field that is not nullable in this version was null on the wire.
    #[error("field {field} is null, but not nullable in version {version}")]
    UnexpectedNull {
        /// The field's name in the schema.
        field: &'static str,
        /// The message version being decoded.
        version: i16,
    },
    /// The message version is outside what this codec knows.
    #[error("{api} version {version} is not supported (this codec knows {min}-{max})")]
    UnsupportedVersion {
        /// Message name.
        api: &'static str,
        /// The version asked for.
        version: i16,
        /// Oldest known version.
        min: i16,
        /// Newest known version.
        max: i16,
    },
    /// An API key this codec does not know.
    #[error("unknown API key {0}")]
    UnknownApiKey(i16),
    /// Tagged fields must come in strictly ascending tag order (KIP-482).
    #[error("tagged field {tag} follows tag {previous}: tags must be strictly ascending")]
    TagOutOfOrder {
        /// The tag read.
        tag: u32,
        /// The tag before it.
        previous: u32,
    },
    /// A response carried a correlation id that no request on its connection is waiting for
    /// (never issued, or answered twice): the peer is broken, and nothing after it can be
    /// matched with confidence.
    #[error("response with correlation id {correlation_id}, which no request awaits")]
    UnexpectedCorrelationId {
        /// The id the response carried.
        correlation_id: i32,
    },
    /// Bytes were left over after a complete message: the peer and we disagree on the format.
    #[error("{remaining} trailing bytes after decoding {what}")]
    TrailingBytes {
        /// What was decoded.
        what: &'static str,
        /// Bytes left over.
        remaining: usize,
    },
}

/// Why a value could not be encoded at the requested version.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The message version is outside what this codec knows.
    #[error("{api} version {version} is not supported (this codec knows {min}-{max})")]
    UnsupportedVersion {
        /// Message name.
        api: &'static str,
        /// The version asked for.
        version: i16,
        /// Oldest known version.
        min: i16,
        /// Newest known version.
        max: i16,
    },
    /// A `None` was given for a field that is not nullable in this version.
    #[error("field {field} is None, but not nullable in version {version}")]
    NullNotAllowed {
        /// The field's name in the schema.
        field: &'static str,
        /// The message version being encoded.
        version: i16,
    },
    /// A string, byte array or array is longer than its length prefix can express.
    #[error("{what} of length {length} does not fit its length prefix")]
    TooLong {
        /// What was too long.
        what: &'static str,
        /// Its length.
        length: usize,
    },
}
