//! gzip through `flate2` with its default pure-Rust backend (miniz_oxide).

use std::io::Write;

use bytes::{BufMut, BytesMut};
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

use super::{read_bounded, Compression};
use crate::records::RecordsError;

/// zlib's default level, which is what the Java client's `GZIPOutputStream` uses.
const DEFAULT_LEVEL: u32 = 6;

pub(super) fn compress(
    input: &[u8],
    level: Option<i32>,
    out: &mut BytesMut,
) -> Result<(), RecordsError> {
    let level = match level {
        Some(l) if (1..=9).contains(&l) => l as u32,
        _ => DEFAULT_LEVEL,
    };
    let mut encoder = GzEncoder::new(out.writer(), flate2::Compression::new(level));
    encoder
        .write_all(input)
        .and_then(|()| encoder.try_finish())
        .map_err(|e| RecordsError::CompressionFailed {
            codec: Compression::Gzip,
            message: e.to_string(),
        })
}

pub(super) fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, RecordsError> {
    let mut out = Vec::new();
    // Several members may follow each other (concatenated gzip streams); read them all.
    read_bounded(
        MultiGzDecoder::new(input),
        &mut out,
        limit,
        input.len().saturating_mul(4),
        Compression::Gzip,
    )?;
    Ok(out)
}
