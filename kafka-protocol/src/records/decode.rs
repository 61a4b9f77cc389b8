//! Reading the `records` field of a Fetch response (or anything else holding a log slice):
//! batches back to back, of any magic, possibly ending with a partial batch.
//!
//! Framing first, format second: every batch of every magic starts with `offset: i64` and
//! `length: i32`, and its magic byte sits at byte 16, so the decoder can cut the input into
//! batches and detect a partial tail before it knows (or trusts) anything else. This mirrors
//! the Java client's `ByteBufferLogInputStream`.

use bytes::Bytes;

use super::batch::{self, LENGTH_OFFSET, LOG_OVERHEAD, MAGIC_OFFSET};
use super::{legacy, RecordBatch, RecordsError};

/// Default for [`DecodeOptions::max_decompressed_bytes`]: 256 MiB, well above any batch a
/// broker accepts by default (`message.max.bytes` is 1 MiB compressed) while keeping one
/// hostile batch from taking the process's memory.
pub const DEFAULT_MAX_DECOMPRESSED_BYTES: usize = 256 * 1024 * 1024;

/// The smallest `length` any batch can have: a v0 message with null key and value (crc,
/// magic, attributes, key length, value length). Smaller is corruption, not truncation.
const MIN_BATCH_LENGTH: i32 = 14;

/// How to decode.
///
/// ```
/// use kafkito_protocol::records::DecodeOptions;
///
/// let opts = DecodeOptions::default().max_decompressed_bytes(64 << 20).verify_crc(true);
/// assert_eq!(opts.max_decompressed_bytes, 64 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// The most bytes one batch's payload may decompress to; more is
    /// [`RecordsError::DecompressedTooLarge`]. Default [`DEFAULT_MAX_DECOMPRESSED_BYTES`].
    pub max_decompressed_bytes: usize,
    /// Whether to check CRCs (the consumer's `check.crcs`, default true).
    pub verify_crc: bool,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_decompressed_bytes: DEFAULT_MAX_DECOMPRESSED_BYTES,
            verify_crc: true,
        }
    }
}

impl DecodeOptions {
    /// Sets [`max_decompressed_bytes`](Self::max_decompressed_bytes).
    pub fn max_decompressed_bytes(mut self, limit: usize) -> Self {
        self.max_decompressed_bytes = limit;
        self
    }

    /// Sets [`verify_crc`](Self::verify_crc).
    pub fn verify_crc(mut self, verify: bool) -> Self {
        self.verify_crc = verify;
        self
    }
}

/// A partial batch at the end of the input.
///
/// Brokers fill a fetch response up to `max_bytes`/`max.partition.fetch.bytes` and may cut
/// the last batch short; the consumer simply fetches again from the next offset. If the
/// partial batch is the *only* thing returned, the batch is larger than the fetch size (on
/// brokers before KIP-74 that is a `RecordTooLarge` condition for the consumer to report).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TruncatedBatch {
    /// Byte position of the partial batch in the input.
    pub position: usize,
    /// Bytes of it that are present.
    pub available: usize,
    /// Its full size (`12 + length`), when its length field was present.
    pub declared_size: Option<usize>,
    /// Its first offset field (base offset, or message offset for v0/v1), when present.
    pub base_offset: Option<i64>,
}

/// Everything decoded from one input by [`decode_batches`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedBatches {
    /// The complete batches, in input order.
    pub batches: Vec<RecordBatch>,
    /// The partial batch at the end of the input, if any.
    pub truncated: Option<TruncatedBatch>,
}

/// Decodes every complete batch in `input` with default options.
///
/// `input` may hold any number of batches of magic 0, 1 and 2 back to back; a partial last
/// batch is reported in [`DecodedBatches::truncated`], not as an error. The first malformed
/// batch fails the whole call; use [`BatchDecoder`] to keep the batches before it.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use kafkito_protocol::records::{decode_batches, Compression, RecordBatchBuilder};
///
/// let mut input = BytesMut::new();
/// for base_offset in [0, 1] {
///     let mut b = RecordBatchBuilder::new(Compression::None);
///     b.base_offset(base_offset);
///     b.append(0, None, Some(b"v"), &[])?;
///     input.put(b.finish()?);
/// }
/// input.put_slice(&[0, 0, 0, 0, 0, 0, 0, 2, 0, 0]); // a broker-truncated third batch
///
/// let decoded = decode_batches(input.freeze())?;
/// assert_eq!(decoded.batches.len(), 2);
/// assert_eq!(decoded.truncated.unwrap().available, 10);
/// # Ok::<(), kafkito_protocol::records::RecordsError>(())
/// ```
pub fn decode_batches(input: Bytes) -> Result<DecodedBatches, RecordsError> {
    decode_batches_with(input, &DecodeOptions::default())
}

/// [`decode_batches`] with explicit options.
pub fn decode_batches_with(
    input: Bytes,
    opts: &DecodeOptions,
) -> Result<DecodedBatches, RecordsError> {
    let mut decoder = BatchDecoder::with_options(input, *opts);
    let mut batches = Vec::new();
    for batch in &mut decoder {
        batches.push(batch?);
    }
    Ok(DecodedBatches {
        batches,
        truncated: decoder.truncated,
    })
}

/// An iterator over the batches in an input, decoding each as it is reached.
///
/// It yields `Ok(batch)` per complete batch, stops at a partial tail (then see
/// [`truncated`](Self::truncated)), and stops after yielding the first `Err`: once one batch
/// is malformed nothing after it is trusted.
///
/// ```
/// use kafkito_protocol::records::{BatchDecoder, Compression, RecordBatchBuilder};
///
/// let mut b = RecordBatchBuilder::new(Compression::Gzip);
/// b.append(0, None, Some(b"hello"), &[])?;
/// let mut decoder = BatchDecoder::new(b.finish()?);
/// let batch = decoder.next().unwrap()?;
/// assert_eq!(batch.records[0].value.as_deref(), Some(&b"hello"[..]));
/// assert!(decoder.next().is_none());
/// assert!(decoder.truncated().is_none());
/// # Ok::<(), kafkito_protocol::records::RecordsError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BatchDecoder {
    input: Bytes,
    pos: usize,
    opts: DecodeOptions,
    truncated: Option<TruncatedBatch>,
    done: bool,
}

impl BatchDecoder {
    /// A decoder over `input` with default options.
    pub fn new(input: Bytes) -> Self {
        Self::with_options(input, DecodeOptions::default())
    }

    /// A decoder over `input` with `opts`.
    pub fn with_options(input: Bytes, opts: DecodeOptions) -> Self {
        BatchDecoder {
            input,
            pos: 0,
            opts,
            truncated: None,
            done: false,
        }
    }

    /// The partial batch the iteration stopped at, once it has.
    pub fn truncated(&self) -> Option<&TruncatedBatch> {
        self.truncated.as_ref()
    }

    /// Byte position of the next batch in the input: after the iteration, how much of the
    /// input was consumed by complete batches.
    pub fn position(&self) -> usize {
        self.pos
    }

    fn stop_truncated(&mut self) -> Option<Result<RecordBatch, RecordsError>> {
        let rest = &self.input[self.pos..];
        self.truncated = Some(TruncatedBatch {
            position: self.pos,
            available: rest.len(),
            declared_size: rest
                .get(LENGTH_OFFSET..LOG_OVERHEAD)
                .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
                .and_then(|len| usize::try_from(len).ok())
                .map(|len| len + LOG_OVERHEAD),
            base_offset: rest
                .get(..8)
                .map(|b| i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])),
        });
        self.done = true;
        None
    }

    fn fail(&mut self, e: RecordsError) -> Option<Result<RecordBatch, RecordsError>> {
        self.done = true;
        Some(Err(e))
    }
}

impl Iterator for BatchDecoder {
    type Item = Result<RecordBatch, RecordsError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let remaining = self.input.len() - self.pos;
        if remaining == 0 {
            self.done = true;
            return None;
        }
        if remaining < LOG_OVERHEAD {
            return self.stop_truncated();
        }
        let at = self.pos + LENGTH_OFFSET;
        let b = &self.input[at..at + 4];
        let length = i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        if length < MIN_BATCH_LENGTH {
            return self.fail(RecordsError::InvalidLength {
                context: "batch length",
                length: length.into(),
            });
        }
        let size = LOG_OVERHEAD + length as usize;
        if remaining <= MAGIC_OFFSET || remaining < size {
            return self.stop_truncated();
        }
        let magic = self.input[self.pos + MAGIC_OFFSET] as i8;
        let bytes = self.input.slice(self.pos..self.pos + size);
        self.pos += size;
        let result = match magic {
            2 => batch::decode_v2(bytes, &self.opts),
            0 | 1 => legacy::decode_message(bytes, &self.opts),
            _ => Err(RecordsError::UnknownMagic { magic }),
        };
        match result {
            Ok(batch) => Some(Ok(batch)),
            Err(e) => self.fail(e),
        }
    }
}

impl std::iter::FusedIterator for BatchDecoder {}
