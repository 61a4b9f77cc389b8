//! snappy through `snap`'s raw block format, inside the xerial framing.
//!
//! Two encodings of "snappy" exist in Kafka:
//!
//! - The Java client writes through snappy-java's `SnappyOutputStream`: a 16-byte header
//!   (`\x82SNAPPY\x00`, then big-endian i32 version 1 and minimum-compatible version 1),
//!   followed by blocks of 32 KiB of input, each stored as a big-endian i32 length and one raw
//!   snappy block.
//! - librdkafka writes one raw snappy block with no framing.
//!
//! Both Java's `SnappyInputStream` (which falls back to raw when the header is missing) and
//! librdkafka (which looks for the header) read both, so either would be understood by those
//! two; we write the xerial framing because it is what the reference client writes, so any
//! consumer that can read Java producers can read us, and because its blocks keep every
//! decoding step small. We read both, as they do.

use bytes::{BufMut, BytesMut};
use snap::raw::{decompress_len, max_compress_len, Decoder, Encoder};

use super::Compression;
use crate::records::RecordsError;

const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
const XERIAL_HEADER_LEN: usize = 16;
const XERIAL_VERSION: i32 = 1;
const XERIAL_MIN_COMPATIBLE_VERSION: i32 = 1;
/// Input bytes per xerial block: the Java client's default (`CompressionType.SNAPPY`).
const XERIAL_BLOCK_SIZE: usize = 32 * 1024;

/// The longest output a raw snappy block of `n` bytes can decode to. The densest element is a
/// 3-byte copy of 64 bytes (21.3x); a literal yields no more bytes than it occupies. A block
/// that declares more is corrupt, and is refused before its output is allocated.
fn max_decompressed_len(n: usize) -> usize {
    n.saturating_mul(22).saturating_add(64)
}

fn err(message: impl ToString) -> RecordsError {
    RecordsError::Decompression {
        codec: Compression::Snappy,
        message: message.to_string(),
    }
}

pub(super) fn compress_xerial(input: &[u8], out: &mut BytesMut) {
    let blocks = input.len().div_ceil(XERIAL_BLOCK_SIZE);
    out.reserve(
        XERIAL_HEADER_LEN
            + blocks * 4
            + max_compress_len(input.len().min(XERIAL_BLOCK_SIZE))
            + input.len(),
    );
    out.put_slice(&XERIAL_MAGIC);
    out.put_i32(XERIAL_VERSION);
    out.put_i32(XERIAL_MIN_COMPATIBLE_VERSION);
    let mut encoder = Encoder::new();
    for block in input.chunks(XERIAL_BLOCK_SIZE) {
        let len_at = out.len();
        out.put_i32(0);
        let start = out.len();
        out.resize(start + max_compress_len(block.len()), 0);
        // Cannot fail: the output is sized by max_compress_len and a block is far below
        // snappy's 4 GiB input limit.
        let written = encoder
            .compress(block, &mut out[start..])
            .expect("snappy output sized by max_compress_len");
        out.truncate(start + written);
        out[len_at..start].copy_from_slice(&(written as i32).to_be_bytes());
    }
}

pub(super) fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, RecordsError> {
    let mut out = Vec::new();
    if input.starts_with(&XERIAL_MAGIC) {
        decompress_xerial(input, limit, &mut out)?;
    } else {
        decompress_raw(input, limit, &mut out)?;
    }
    Ok(out)
}

fn decompress_xerial(
    mut input: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), RecordsError> {
    let mut decoder = Decoder::new();
    while !input.is_empty() {
        // snappy-java accepts several streams back to back, each with its own header.
        if input.starts_with(&XERIAL_MAGIC) {
            if input.len() < XERIAL_HEADER_LEN {
                return Err(err("truncated xerial header"));
            }
            input = &input[XERIAL_HEADER_LEN..];
            continue;
        }
        if input.len() < 4 {
            return Err(err("truncated xerial block length"));
        }
        let block_len = i32::from_be_bytes([input[0], input[1], input[2], input[3]]);
        let block_len =
            usize::try_from(block_len).map_err(|_| err("negative xerial block length"))?;
        let block = input
            .get(4..4 + block_len)
            .ok_or_else(|| err("xerial block longer than the payload"))?;
        input = &input[4 + block_len..];
        decompress_block(&mut decoder, block, limit, out)?;
    }
    Ok(())
}

fn decompress_raw(input: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), RecordsError> {
    decompress_block(&mut Decoder::new(), input, limit, out)
}

/// Appends one raw snappy block to `out`, checking its declared length against the limit and
/// against what the block could possibly hold before allocating for it.
fn decompress_block(
    decoder: &mut Decoder,
    block: &[u8],
    limit: usize,
    out: &mut Vec<u8>,
) -> Result<(), RecordsError> {
    let len = decompress_len(block).map_err(err)?;
    if len > max_decompressed_len(block.len()) {
        return Err(err("declared length impossible for the block size"));
    }
    let start = out.len();
    if start.saturating_add(len) > limit {
        return Err(RecordsError::DecompressedTooLarge {
            codec: Compression::Snappy,
            limit,
        });
    }
    out.resize(start + len, 0);
    let written = decoder.decompress(block, &mut out[start..]).map_err(err)?;
    out.truncate(start + written);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_xerial_header_and_block_lengths() {
        let mut out = BytesMut::new();
        compress_xerial(b"hello hello hello hello", &mut out);
        assert_eq!(&out[..8], b"\x82SNAPPY\x00");
        assert_eq!(&out[8..16], &[0, 0, 0, 1, 0, 0, 0, 1]);
        let block_len = i32::from_be_bytes(out[16..20].try_into().unwrap()) as usize;
        assert_eq!(out.len(), 20 + block_len);
        let raw = snap::raw::Decoder::new()
            .decompress_vec(&out[20..])
            .unwrap();
        assert_eq!(raw, b"hello hello hello hello");
    }

    #[test]
    fn reads_raw_snappy_as_librdkafka_writes_it() {
        let input = b"librdkafka writes one raw block, librdkafka writes one raw block";
        let raw = snap::raw::Encoder::new().compress_vec(input).unwrap();
        assert_eq!(decompress(&raw, 1 << 20).unwrap(), input);
    }

    #[test]
    fn reads_concatenated_xerial_streams() {
        let mut out = BytesMut::new();
        compress_xerial(b"first ", &mut out);
        compress_xerial(b"second", &mut out);
        assert_eq!(decompress(&out, 1 << 20).unwrap(), b"first second");
    }

    #[test]
    fn refuses_impossible_declared_lengths_before_allocating() {
        // A 5-byte varint declaring ~4 GiB followed by nothing.
        let bomb = [0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(matches!(
            decompress(&bomb, usize::MAX),
            Err(RecordsError::Decompression { .. })
        ));
    }

    #[test]
    fn max_ratio_bound_holds_for_the_most_compressible_input() {
        let input = vec![7u8; 1 << 20];
        let raw = snap::raw::Encoder::new().compress_vec(&input).unwrap();
        assert!(input.len() <= max_decompressed_len(raw.len()));
    }
}
