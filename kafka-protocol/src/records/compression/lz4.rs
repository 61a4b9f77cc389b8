//! The LZ4 frame format around `lz4_flex`'s block codec.
//!
//! Kafka uses the standard LZ4 frame (magic `0x184D2204`) with a restricted profile, which the
//! Java client's `Lz4BlockOutputStream`/`Lz4BlockInputStream` define:
//!
//! - FLG: version 01, independent blocks, no block checksum, no content size, no content
//!   checksum (byte `0x60`); BD: 64 KiB maximum block size (byte `0x40`).
//! - HC, the header checksum, is `(xxh32(FLG..) >> 8) & 0xFF`. Kafka clients before 0.10
//!   computed it over the magic too (KAFKA-3160), so for magic-v0 messages the Java client does
//!   not check it, and neither do we.
//! - Each block is a little-endian u32 size (high bit set: stored uncompressed) and its data;
//!   a zero size ends the frame.
//!
//! The frame layer is written here rather than taken from `lz4_flex::frame` so that the HC
//! quirk can be tolerated and so that every block is bounded before its output is allocated.

use bytes::{BufMut, BytesMut};

use super::xxh32::xxh32;
use super::Compression;
use crate::records::RecordsError;

/// Kafka's default `compression.lz4.level`; the Java client compresses it with LZ4's fast
/// compressor, the only one written here.
pub(super) const KAFKA_DEFAULT_LEVEL: i32 = 9;

const MAGIC: u32 = 0x184D_2204;
const FLG_VERSION_01: u8 = 0b0100_0000;
const FLG_BLOCK_INDEPENDENCE: u8 = 0b0010_0000;
const FLG_BLOCK_CHECKSUM: u8 = 0b0001_0000;
const FLG_CONTENT_SIZE: u8 = 0b0000_1000;
const FLG_CONTENT_CHECKSUM: u8 = 0b0000_0100;
/// Bit 0 is the dictionary id flag in LZ4 1.6+, reserved before; bit 1 is reserved.
const FLG_RESERVED_OR_DICT: u8 = 0b0000_0011;
const BD_64KB: u8 = 4 << 4;
const BLOCK_SIZE_64KB: usize = 64 * 1024;
const UNCOMPRESSED_BLOCK: u32 = 0x8000_0000;

/// The longest output a compressed LZ4 block of `n` bytes can decode to in a frame whose
/// blocks hold at most `max_block` bytes: a match's length grows by 255 per extra length byte,
/// so no block expands by more than 255x (plus a short literal tail).
fn max_decompressed_len(n: usize, max_block: usize) -> usize {
    max_block.min(n.saturating_mul(255).saturating_add(64))
}

fn err(message: impl ToString) -> RecordsError {
    RecordsError::Decompression {
        codec: Compression::Lz4,
        message: message.to_string(),
    }
}

fn header_checksum(descriptor: &[u8]) -> u8 {
    (xxh32(descriptor, 0) >> 8) as u8
}

pub(super) fn compress(input: &[u8], out: &mut BytesMut) {
    let flg = FLG_VERSION_01 | FLG_BLOCK_INDEPENDENCE;
    out.reserve(7 + input.len() + input.len() / 255 + 64);
    out.put_u32_le(MAGIC);
    out.put_u8(flg);
    out.put_u8(BD_64KB);
    out.put_u8(header_checksum(&[flg, BD_64KB]));
    let mut scratch = vec![0u8; lz4_flex::block::get_maximum_output_size(BLOCK_SIZE_64KB)];
    for block in input.chunks(BLOCK_SIZE_64KB) {
        // `scratch` is sized for the largest block, so compression cannot run out of room; if
        // it ever reported an error the block is simply stored uncompressed.
        match lz4_flex::block::compress_into(block, &mut scratch) {
            Ok(n) if n < block.len() => {
                out.put_u32_le(n as u32);
                out.put_slice(&scratch[..n]);
            }
            _ => {
                // Incompressible: store as is, as the Java client does.
                out.put_u32_le(block.len() as u32 | UNCOMPRESSED_BLOCK);
                out.put_slice(block);
            }
        }
    }
    out.put_u32_le(0);
}

pub(super) fn decompress(
    input: &[u8],
    limit: usize,
    ignore_header_checksum: bool,
) -> Result<Vec<u8>, RecordsError> {
    let mut pos = 0;
    let take = |pos: &mut usize, n: usize| -> Result<&[u8], RecordsError> {
        let s = input
            .get(*pos..pos.saturating_add(n))
            .ok_or_else(|| err("frame ended prematurely"))?;
        *pos += n;
        Ok(s)
    };
    let le32 = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);

    if le32(take(&mut pos, 4)?) != MAGIC {
        return Err(err("not an LZ4 frame (bad magic)"));
    }
    let descriptor_start = pos;
    let flg = take(&mut pos, 1)?[0];
    let bd = take(&mut pos, 1)?[0];
    if flg & 0b1100_0000 != FLG_VERSION_01 {
        return Err(err("unsupported LZ4 frame version"));
    }
    if flg & FLG_RESERVED_OR_DICT != 0 {
        return Err(err(
            "LZ4 dictionary ids and reserved flag bits are not supported",
        ));
    }
    if flg & FLG_BLOCK_INDEPENDENCE == 0 {
        // Kafka's own reader refuses these too.
        return Err(err("dependent LZ4 blocks are not supported"));
    }
    if bd & 0b1000_1111 != 0 {
        return Err(err("reserved bits set in the LZ4 block descriptor"));
    }
    let block_size_id = (bd >> 4) & 0x07;
    if !(4..=7).contains(&block_size_id) {
        return Err(err("invalid LZ4 maximum block size"));
    }
    // 64 KiB, 256 KiB, 1 MiB or 4 MiB.
    let max_block = 1usize << (2 * block_size_id as usize + 8);
    if flg & FLG_CONTENT_SIZE != 0 {
        // The declared size is not trusted for anything; skip it.
        take(&mut pos, 8)?;
    }
    let descriptor_end = pos;
    let hc = take(&mut pos, 1)?[0];
    if !ignore_header_checksum && hc != header_checksum(&input[descriptor_start..descriptor_end]) {
        return Err(err("LZ4 frame descriptor checksum mismatch"));
    }

    // One allocation, sized from the block headers, instead of a buffer grown by doubling:
    // growing copied the output once more on average and left it up to twice its size, held
    // for as long as any record of the batch is.
    let mut out = Vec::with_capacity(output_bound(&input[pos..], flg, max_block, limit));
    loop {
        let raw = le32(take(&mut pos, 4)?);
        if raw == 0 {
            break;
        }
        let stored = raw & UNCOMPRESSED_BLOCK != 0;
        let len = (raw & !UNCOMPRESSED_BLOCK) as usize;
        if len > max_block {
            return Err(err("LZ4 block larger than the frame's maximum block size"));
        }
        let data = take(&mut pos, len)?;
        if flg & FLG_BLOCK_CHECKSUM != 0 {
            let sum = le32(take(&mut pos, 4)?);
            if sum != xxh32(data, 0) {
                return Err(err("LZ4 block checksum mismatch"));
            }
        }
        let start = out.len();
        if stored {
            if start.saturating_add(len) > limit {
                return Err(RecordsError::DecompressedTooLarge {
                    codec: Compression::Lz4,
                    limit,
                });
            }
            out.extend_from_slice(data);
        } else {
            // Room for the block's largest possible output, but never past limit + 1, so an
            // over-limit block is detected without allocating all of it.
            let most = max_decompressed_len(len, max_block);
            let room = most.min(limit.saturating_add(1).saturating_sub(start));
            out.resize(start + room, 0);
            let n = match lz4_flex::block::decompress_into(data, &mut out[start..]) {
                Ok(n) => n,
                Err(e) => {
                    // Ran out of room: over the limit if the limit is what cut the room short.
                    if room < most {
                        return Err(RecordsError::DecompressedTooLarge {
                            codec: Compression::Lz4,
                            limit,
                        });
                    }
                    return Err(err(e));
                }
            };
            out.truncate(start + n);
            if out.len() > limit {
                return Err(RecordsError::DecompressedTooLarge {
                    codec: Compression::Lz4,
                    limit,
                });
            }
        }
    }
    if flg & FLG_CONTENT_CHECKSUM != 0 {
        let sum = le32(take(&mut pos, 4)?);
        if sum != xxh32(&out, 0) {
            return Err(err("LZ4 content checksum mismatch"));
        }
    }
    Ok(out)
}

/// The most bytes the blocks starting at `blocks` can decompress to, capped at `limit + 1`
/// (enough to detect an over-limit frame): each stored block its length, each compressed one
/// the frame's maximum block size or what its length can expand to, if smaller. Kafka's
/// writers fill every block but the last, so this is the output's size within one block.
/// Stops at the end mark or at anything malformed, which the decoder then reports.
fn output_bound(blocks: &[u8], flg: u8, max_block: usize, limit: usize) -> usize {
    let cap = limit.saturating_add(1);
    let checksum = if flg & FLG_BLOCK_CHECKSUM != 0 { 4 } else { 0 };
    let (mut pos, mut bound) = (0usize, 0usize);
    while let Some(header) = blocks.get(pos..pos.saturating_add(4)) {
        let raw = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let len = (raw & !UNCOMPRESSED_BLOCK) as usize;
        if raw == 0 || len > max_block {
            break;
        }
        let most = if raw & UNCOMPRESSED_BLOCK != 0 {
            len
        } else {
            max_decompressed_len(len, max_block)
        };
        bound = bound.saturating_add(most);
        if bound >= cap {
            return cap;
        }
        pos = pos.saturating_add(4 + len + checksum);
    }
    bound
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn compressed(input: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        compress(input, &mut out);
        out.to_vec()
    }

    #[test]
    fn header_is_kafkas_profile() {
        let frame = compressed(b"abc");
        assert_eq!(&frame[..4], &[0x04, 0x22, 0x4d, 0x18]);
        assert_eq!(frame[4], 0x60);
        assert_eq!(frame[5], 0x40);
        assert_eq!(frame[6], header_checksum(&[0x60, 0x40]));
        assert_eq!(&frame[frame.len() - 4..], &[0, 0, 0, 0]);
    }

    #[test]
    fn our_frames_are_read_by_lz4_flex_frame_decoder() {
        // lz4_flex's frame decoder checks HC and the frame structure independently of ours.
        let input: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 977).to_le_bytes())
            .collect();
        let frame = compressed(&input);
        let mut decoder = lz4_flex::frame::FrameDecoder::new(&frame[..]);
        let mut back = Vec::new();
        decoder.read_to_end(&mut back).unwrap();
        assert_eq!(back, input);
    }

    #[test]
    fn reads_lz4_flex_frames_with_checksums() {
        let input: Vec<u8> = (0..100_000u32)
            .flat_map(|i| (i % 13).to_be_bytes())
            .collect();
        let info = lz4_flex::frame::FrameInfo::new()
            .block_checksums(true)
            .content_checksum(true)
            .content_size(Some(input.len() as u64))
            .block_size(lz4_flex::frame::BlockSize::Max256KB);
        let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
        enc.write_all(&input).unwrap();
        let frame = enc.finish().unwrap();
        assert_eq!(decompress(&frame, usize::MAX, false).unwrap(), input);

        // A flipped bit in the data is caught by the block checksum.
        let mut bad = frame.clone();
        let n = bad.len();
        bad[n - 20] ^= 1;
        assert!(decompress(&bad, usize::MAX, false).is_err());
    }

    #[test]
    fn kafka_3160_header_checksum_tolerated_only_when_asked() {
        let mut frame = compressed(b"legacy lz4 message");
        // What pre-0.10 clients wrote: the checksum computed over magic + descriptor.
        frame[6] = header_checksum(&frame[..6]);
        assert!(decompress(&frame, usize::MAX, false).is_err());
        assert_eq!(
            decompress(&frame, usize::MAX, true).unwrap(),
            b"legacy lz4 message"
        );
    }

    #[test]
    fn incompressible_blocks_are_stored() {
        // xorshift32 noise: nothing for LZ4 to find.
        let mut x = 0x1234_5678u32;
        let input: Vec<u8> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect();
        let frame = compressed(&input);
        let size = u32::from_le_bytes(frame[7..11].try_into().unwrap());
        assert_ne!(size & UNCOMPRESSED_BLOCK, 0);
        assert_eq!(decompress(&frame, usize::MAX, false).unwrap(), input);
    }

    #[test]
    fn output_is_allocated_once_within_a_block_of_its_size() {
        // 16 full blocks and a short one, as Kafka's writers frame a batch.
        let input: Vec<u8> = (0..16 * BLOCK_SIZE_64KB + 100)
            .map(|i| b"abcd"[(i * 7 + i / 3) % 4])
            .collect();
        let frame = compressed(&input);
        let out = decompress(&frame, usize::MAX, false).unwrap();
        assert_eq!(out, input);
        // Grown by doubling it would hold 2 MiB.
        assert!(
            out.capacity() <= out.len() + BLOCK_SIZE_64KB,
            "{} bytes allocated for {}",
            out.capacity(),
            out.len()
        );
        // The limit still caps the allocation, and is still enforced.
        assert!(output_bound(&frame[7..], frame[4], BLOCK_SIZE_64KB, 1000) <= 1001);
        assert!(matches!(
            decompress(&frame, 1000, false),
            Err(RecordsError::DecompressedTooLarge { .. })
        ));
    }
}
