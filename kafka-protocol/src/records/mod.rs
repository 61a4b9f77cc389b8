//! Kafka record batches: the bytes inside a Produce request and a Fetch response.
//!
//! This module owns everything between "a user record" and "the `records` field on the wire":
//!
//! - [`RecordBatchBuilder`] writes a magic-v2 batch (KIP-98) one record at a time into a single
//!   buffer, then [`finish`](RecordBatchBuilder::finish) compresses it, fills in the lengths and
//!   the CRC-32C and hands back [`Bytes`](bytes::Bytes).
//! - [`decode_batches`] and [`BatchDecoder`] read what a broker returns: any number of
//!   concatenated batches, magic v2 as well as the legacy v0/v1 message sets, possibly with a
//!   partial batch at the end (brokers cut the response at `max_bytes`, so a partial tail is
//!   normal, not an error). Every magic decodes to the same [`RecordBatch`] and [`Record`]
//!   shapes. Keys, values and header values are zero-copy slices of the input (or of the
//!   decompressed buffer).
//! - [`Compression`] and the codecs behind it: gzip, snappy, lz4 and zstd, all pure Rust by
//!   default (the C `zstd` library only with the `zstd-c` feature). Decompression is bounded by
//!   [`DecodeOptions::max_decompressed_bytes`], so a compression bomb costs an error, not memory.
//! - [`ControlRecord`]: the transaction markers (and KRaft control records) that sit in control
//!   batches.
//!
//! It is separate from the message codecs because a batch is a format of its own, with its own
//! integrity check, compression and versioning, and because the producer and consumer work with
//! it directly (the producer builds batches, the consumer iterates them).
//!
//! Decoding never panics and never allocates more than the input in hand justifies: every count
//! and length is checked against the bytes that remain before anything is reserved.
//!
//! ```
//! use bytes::Bytes;
//! use kafkito_protocol::records::{decode_batches, Compression, RecordBatchBuilder, RecordHeader};
//!
//! let mut builder = RecordBatchBuilder::new(Compression::Lz4);
//! builder.base_offset(100);
//! builder.append(1_700_000_000_000, Some(b"key"), Some(b"value"), &[])?;
//! let header = RecordHeader::new("trace-id", Some(Bytes::from_static(b"abc")));
//! builder.append(1_700_000_000_001, None, Some(b"second"), &[header])?;
//! let bytes = builder.finish()?;
//!
//! let decoded = decode_batches(bytes)?;
//! assert!(decoded.truncated.is_none());
//! let batch = &decoded.batches[0];
//! assert_eq!(batch.compression, Compression::Lz4);
//! assert_eq!(batch.records[1].offset, 101);
//! assert_eq!(batch.records[1].value.as_deref(), Some(&b"second"[..]));
//! # Ok::<(), kafkito_protocol::records::RecordsError>(())
//! ```

mod batch;
mod builder;
mod compression;
mod control;
mod decode;
mod error;
mod legacy;
mod reader;
mod record;
mod varint;

pub use batch::{RecordBatch, RECORD_BATCH_OVERHEAD};
pub use builder::{rewrite_producer_state, set_partition_leader_epoch, RecordBatchBuilder};
pub use compression::Compression;
pub use control::{ControlRecord, ControlRecordType, EndTransactionMarker};
pub use decode::{
    decode_batches, decode_batches_with, BatchDecoder, DecodeOptions, DecodedBatches,
    TruncatedBatch, DEFAULT_MAX_DECOMPRESSED_BYTES,
};
pub use error::RecordsError;
pub use record::{Record, RecordHeader, TimestampType};

/// `producerId` of a batch written without idempotence.
pub const NO_PRODUCER_ID: i64 = -1;
/// `producerEpoch` of a batch written without idempotence.
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// `baseSequence` of a batch written without idempotence.
pub const NO_SEQUENCE: i32 = -1;
/// `partitionLeaderEpoch` before the broker has assigned one (and for legacy batches).
pub const NO_PARTITION_LEADER_EPOCH: i32 = -1;
/// Timestamp of a record that has none (magic v0 records, empty batches).
pub const NO_TIMESTAMP: i64 = -1;
