//! The one error type of the records module.

use super::Compression;

/// Why a record batch could not be encoded or decoded.
///
/// Every variant carries the facts needed to act on it; none of them is ever produced by a
/// panic. A partial batch at the end of a fetch response is *not* an error (see
/// [`DecodedBatches::truncated`](super::DecodedBatches::truncated)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordsError {
    /// A field ran past the end of its enclosing batch, record or compressed block.
    #[error("unexpected end of {context}: needed {needed} bytes, {remaining} remain")]
    UnexpectedEof {
        /// What was being read.
        context: &'static str,
        /// Bytes the field needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },

    /// The stored checksum does not match the bytes: the batch was corrupted in transit or on
    /// disk. Magic v2 uses CRC-32C over `attributes..end`; v0/v1 use CRC-32 (IEEE) over
    /// `magic..end` of each message.
    #[error(
        "record batch at offset {base_offset} is corrupt: stored crc {expected:#010x}, \
         computed {actual:#010x}"
    )]
    CrcMismatch {
        /// The CRC stored in the batch.
        expected: u32,
        /// The CRC computed over the bytes received.
        actual: u32,
        /// Base offset (v2) or message offset (v0/v1) of the corrupt batch.
        base_offset: i64,
    },

    /// The magic byte is not 0, 1 or 2.
    #[error("unknown record batch magic {magic} (this client reads 0, 1 and 2)")]
    UnknownMagic {
        /// The magic byte found.
        magic: i8,
    },

    /// The compression bits of the attributes name no codec Kafka defines.
    #[error("unknown compression codec id {id}")]
    UnknownCompression {
        /// The codec id found (attributes & 0x07).
        id: u8,
    },

    /// A length or count field holds a value that cannot be right (negative where that is not
    /// allowed, smaller than the fixed header, larger than what follows it, ...).
    #[error("invalid {context}: {length}")]
    InvalidLength {
        /// Which length or count.
        context: &'static str,
        /// The value found.
        length: i64,
    },

    /// A zig-zag varint is longer than 5 bytes (varint) or 10 bytes (varlong).
    #[error("malformed varint in {context}")]
    InvalidVarint {
        /// Which field.
        context: &'static str,
    },

    /// The batch or record structure is inconsistent in a way not covered by a more precise
    /// variant (nested compression in a legacy wrapper, zstd in a v0/v1 message, ...).
    #[error("invalid record batch: {reason}")]
    InvalidRecord {
        /// What is wrong.
        reason: &'static str,
    },

    /// The batch declares more or fewer records than its payload holds.
    #[error("record batch declares {declared} records but its payload holds {actual}")]
    RecordCountMismatch {
        /// The `recordsCount` field.
        declared: i32,
        /// Records actually read before the payload ended.
        actual: usize,
    },

    /// Bytes remain after the declared number of records (or inside one record after its
    /// last header).
    #[error("{count} unexpected trailing bytes after {context}")]
    TrailingBytes {
        /// Where.
        context: &'static str,
        /// How many bytes were left over.
        count: usize,
    },

    /// The compressed payload is not valid for its codec.
    #[error("{codec} decompression failed: {message}")]
    Decompression {
        /// The codec named by the batch attributes.
        codec: Compression,
        /// The codec's own description of the failure.
        message: String,
    },

    /// Decompressing would produce more than the configured limit
    /// ([`DecodeOptions::max_decompressed_bytes`](super::DecodeOptions::max_decompressed_bytes)).
    #[error("{codec} payload decompresses to more than the limit of {limit} bytes")]
    DecompressedTooLarge {
        /// The codec named by the batch attributes.
        codec: Compression,
        /// The limit in force.
        limit: usize,
    },

    /// The codec failed while compressing.
    #[error("{codec} compression failed: {message}")]
    CompressionFailed {
        /// The codec.
        codec: Compression,
        /// The codec's own description of the failure.
        message: String,
    },

    /// A record, or the whole batch, would not fit the i32 length fields of the format.
    #[error("{context} of {size} bytes does not fit the record batch format")]
    TooLarge {
        /// What was too large.
        context: &'static str,
        /// Its size.
        size: usize,
    },

    /// The builder was used in a way the format cannot express (finishing an empty batch,
    /// setting the delete horizon after records were appended, ...).
    #[error("record batch builder: {reason}")]
    InvalidBuilderState {
        /// What was wrong.
        reason: &'static str,
    },

    /// A control record's key or value could not be parsed.
    #[error("invalid control record: {reason}")]
    InvalidControlRecord {
        /// What was wrong.
        reason: &'static str,
    },
}
