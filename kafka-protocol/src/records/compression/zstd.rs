//! Zstandard: pure Rust (`ruzstd`) by default, the C library (`zstd` crate) with the
//! `zstd-c` feature.
//!
//! The Java client writes standard zstd frames (zstd-jni's `ZstdOutputStream`), default
//! level 3. `ruzstd`'s encoder implements one level, close to zstd's level 1: good enough to
//! interoperate, a little larger than libzstd's output. Applications that want levels build
//! with `zstd-c`.

use bytes::{BufMut, BytesMut};

use super::Compression;
use crate::records::RecordsError;

/// The largest window a frame may ask for: libzstd's own default limit for decoding (windowLog
/// 27), enough for every level, including 22. A frame asking for more is refused instead of
/// reserving its window.
const MAX_WINDOW_SIZE: u64 = 1 << 27;

fn err(message: impl ToString) -> RecordsError {
    RecordsError::Decompression {
        codec: Compression::Zstd,
        message: message.to_string(),
    }
}

/// The pure-Rust encoder has one level, about zstd's level 1.
#[cfg(not(feature = "zstd-c"))]
pub(super) fn check_level(level: i32) -> Result<(), String> {
    if level == 1 {
        Ok(())
    } else {
        Err(format!(
            "the pure-Rust zstd encoder has one level (1), got {level}: build kafkito-protocol \
             with the `zstd-c` feature for libzstd's levels"
        ))
    }
}

#[cfg(feature = "zstd-c")]
pub(super) fn check_level(level: i32) -> Result<(), String> {
    let range = zstd::compression_level_range();
    if range.contains(&level) {
        Ok(())
    } else {
        Err(format!(
            "zstd levels are {} to {}, got {level}",
            range.start(),
            range.end()
        ))
    }
}

#[cfg(not(feature = "zstd-c"))]
pub(super) fn compress(
    input: &[u8],
    _level: Option<i32>,
    out: &mut BytesMut,
) -> Result<(), RecordsError> {
    // ruzstd implements `Uncompressed` and `Fastest` only; asking for any other level panics inside the crate.
    ruzstd::encoding::compress(
        input,
        out.writer(),
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    Ok(())
}

#[cfg(feature = "zstd-c")]
pub(super) fn compress(
    input: &[u8],
    level: Option<i32>,
    out: &mut BytesMut,
) -> Result<(), RecordsError> {
    // zstd-jni's default, which Kafka keeps (KIP-390).
    const DEFAULT_LEVEL: i32 = 3;
    let level = level.unwrap_or(DEFAULT_LEVEL);
    // The producer refuses levels out of range (`check_level`); a stray one is clamped.
    let level = level.clamp(
        *zstd::compression_level_range().start(),
        *zstd::compression_level_range().end(),
    );
    let compressed =
        zstd::bulk::compress(input, level).map_err(|e| RecordsError::CompressionFailed {
            codec: Compression::Zstd,
            message: e.to_string(),
        })?;
    out.put_slice(&compressed);
    Ok(())
}

#[cfg(not(feature = "zstd-c"))]
pub(super) fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, RecordsError> {
    use ruzstd::decoding::StreamingDecoder;

    const SKIPPABLE_MAGIC_MASK: u32 = 0xFFFF_FFF0;
    const SKIPPABLE_MAGIC: u32 = 0x184D_2A50;

    let mut out = Vec::new();
    let mut src: &[u8] = input;
    let mut first = true;
    // A payload may hold several frames back to back (and skippable frames between them);
    // zstd's own decoder reads them all, so do we.
    while first || !src.is_empty() {
        first = false;
        if src.len() >= 8 {
            let magic = u32::from_le_bytes([src[0], src[1], src[2], src[3]]);
            if magic & SKIPPABLE_MAGIC_MASK == SKIPPABLE_MAGIC {
                let len = u32::from_le_bytes([src[4], src[5], src[6], src[7]]) as usize;
                src = src
                    .get(8usize.saturating_add(len)..)
                    .ok_or_else(|| err("skippable frame longer than the payload"))?;
                continue;
            }
        }
        let mut decoder =
            StreamingDecoder::new_with_max_window_size(&mut src, MAX_WINDOW_SIZE).map_err(err)?;
        super::read_bounded(
            &mut decoder,
            &mut out,
            limit,
            input.len().saturating_mul(4),
            Compression::Zstd,
        )?;
        let frame = decoder.into_frame_decoder();
        if let (Some(stored), Some(computed)) = (
            frame.get_checksum_from_data(),
            frame.get_calculated_checksum(),
        ) {
            if stored != computed {
                return Err(err("zstd content checksum mismatch"));
            }
        }
    }
    Ok(out)
}

#[cfg(feature = "zstd-c")]
pub(super) fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, RecordsError> {
    let mut decoder = zstd::stream::read::Decoder::with_buffer(input).map_err(err)?;
    decoder
        .window_log_max(MAX_WINDOW_SIZE.trailing_zeros())
        .map_err(err)?;
    let mut out = Vec::new();
    super::read_bounded(
        decoder,
        &mut out,
        limit,
        input.len().saturating_mul(4),
        Compression::Zstd,
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_several_frames_and_skips_skippable_ones() {
        let mut payload = BytesMut::new();
        compress(b"first frame, ", None, &mut payload).unwrap();
        // A skippable frame: magic 0x184D2A5?, little-endian length, then that many bytes.
        payload.put_u32_le(0x184D_2A53);
        payload.put_u32_le(3);
        payload.put_slice(b"xyz");
        compress(b"second frame", None, &mut payload).unwrap();
        assert_eq!(
            decompress(&payload, 1 << 20).unwrap(),
            b"first frame, second frame"
        );
    }

    #[test]
    #[cfg(not(feature = "zstd-c"))]
    fn empty_payload_is_an_error() {
        assert!(decompress(b"", 1 << 20).is_err());
    }
}
