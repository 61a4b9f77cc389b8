//! Compression codecs for record batch payloads.
//!
//! Each codec writes what the Java client writes, so that every consumer that reads Java
//! producers reads ours, and reads everything the Java client and librdkafka write:
//!
//! | codec  | writes                                   | reads                                   |
//! |--------|------------------------------------------|-----------------------------------------|
//! | gzip   | one gzip member (`flate2`, miniz_oxide)  | one or more gzip members                |
//! | snappy | xerial-framed, 32 KiB blocks (`snap`)    | xerial-framed and raw snappy            |
//! | lz4    | LZ4 frame, 64 KiB independent blocks     | LZ4 frame, incl. the KAFKA-3160 bad HC  |
//! | zstd   | zstd frame (`ruzstd`, or C with `zstd-c`)| zstd frames, skippable frames skipped   |
//!
//! All default codecs are pure Rust; the C zstd library is linked only with the `zstd-c`
//! feature. Decompression never produces more than a caller-given limit.

mod gzip;
mod lz4;
mod snappy;
mod xxh32;
mod zstd;

use std::fmt;
use std::io::Read;
use std::str::FromStr;

use bytes::BytesMut;

use super::RecordsError;

/// The codec of a batch payload: bits 0-2 of the batch attributes, and the values of the
/// `compression.type` producer setting.
///
/// ```
/// use kafkito_protocol::records::Compression;
///
/// let codec: Compression = "zstd".parse().unwrap();
/// assert_eq!(codec, Compression::Zstd);
/// assert_eq!(codec.id(), 4);
/// assert_eq!(Compression::from_id(3).unwrap(), Compression::Lz4);
/// assert_eq!(Compression::Gzip.to_string(), "gzip");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compression {
    /// No compression (id 0).
    #[default]
    None,
    /// gzip (id 1). Levels 1-9; Kafka's default is 6 (zlib's default).
    Gzip,
    /// snappy (id 2), written in the xerial framing the Java client uses. No levels.
    Snappy,
    /// LZ4 frame format (id 3). One level, the fast one: Kafka's default level 9, for which the
    /// Java client also uses LZ4's fast compressor. Other levels (LZ4 HC) are refused by
    /// [`Compression::check_level`].
    Lz4,
    /// Zstandard (id 4, brokers 2.1+). The pure-Rust encoder has one level (about zstd's 1);
    /// with the `zstd-c` feature levels are those of libzstd (default 3).
    Zstd,
}

impl Compression {
    /// The codec id stored in the attributes.
    pub const fn id(self) -> u8 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }

    /// The codec for an attributes id, or [`RecordsError::UnknownCompression`].
    pub fn from_id(id: u8) -> Result<Self, RecordsError> {
        Ok(match id {
            0 => Compression::None,
            1 => Compression::Gzip,
            2 => Compression::Snappy,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            _ => return Err(RecordsError::UnknownCompression { id }),
        })
    }

    /// Whether this build can honour compression level `level` for this codec: `Ok` when it
    /// compresses at exactly that level, else why not. A level is never accepted and ignored.
    ///
    /// | codec | honoured |
    /// |---|---|
    /// | gzip | 1-9, and -1 (zlib's default, 6), as Kafka's `compression.gzip.level` |
    /// | lz4 | 9, Kafka's default: LZ4's fast compressor (HC levels are not implemented) |
    /// | zstd | with `zstd-c`, libzstd's range; pure Rust: 1 only (its one encoder level) |
    /// | none, snappy | no level at all |
    ///
    /// ```
    /// use kafkito_protocol::records::Compression;
    ///
    /// assert!(Compression::Gzip.check_level(9).is_ok());
    /// assert!(Compression::Gzip.check_level(10).is_err());
    /// assert!(Compression::Lz4.check_level(9).is_ok());
    /// assert!(Compression::Lz4.check_level(12).unwrap_err().contains("fast"));
    /// assert!(Compression::Snappy.check_level(1).is_err());
    /// ```
    pub fn check_level(self, level: i32) -> Result<(), String> {
        match self {
            Compression::None | Compression::Snappy => {
                Err(format!("{self} has no compression levels"))
            }
            Compression::Gzip if level == -1 || (1..=9).contains(&level) => Ok(()),
            Compression::Gzip => Err(format!(
                "gzip levels are 1 to 9 (or -1 for the default, 6), got {level}"
            )),
            Compression::Lz4 if level == lz4::KAFKA_DEFAULT_LEVEL => Ok(()),
            Compression::Lz4 => Err(format!(
                "only level {} (LZ4's fast compressor, Kafka's default) is implemented, got \
                 {level}: LZ4 HC levels are not",
                lz4::KAFKA_DEFAULT_LEVEL
            )),
            Compression::Zstd => zstd::check_level(level),
        }
    }

    /// The name used by the `compression.type` setting.
    pub const fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Compression {
    type Err = RecordsError;

    /// Parses a `compression.type` value (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Compression::None,
            Compression::Gzip,
            Compression::Snappy,
            Compression::Lz4,
            Compression::Zstd,
        ]
        .into_iter()
        .find(|c| c.name().eq_ignore_ascii_case(s))
        .ok_or(RecordsError::InvalidRecord {
            reason: "unknown compression.type name",
        })
    }
}

/// Appends `input` compressed with `codec` to `out`.
pub(crate) fn compress(
    codec: Compression,
    level: Option<i32>,
    input: &[u8],
    out: &mut BytesMut,
) -> Result<(), RecordsError> {
    match codec {
        Compression::None => {
            out.extend_from_slice(input);
            Ok(())
        }
        Compression::Gzip => gzip::compress(input, level, out),
        Compression::Snappy => {
            snappy::compress_xerial(input, out);
            Ok(())
        }
        Compression::Lz4 => {
            lz4::compress(input, out);
            Ok(())
        }
        Compression::Zstd => zstd::compress(input, level, out),
    }
}

/// Decompresses a batch payload, refusing to produce more than `limit` bytes.
///
/// `magic` matters only for LZ4: magic-v0 messages were written with a wrong frame header
/// checksum (KAFKA-3160), which is therefore not checked for them.
pub(crate) fn decompress(
    codec: Compression,
    input: &[u8],
    limit: usize,
    magic: i8,
) -> Result<Vec<u8>, RecordsError> {
    match codec {
        Compression::None => {
            if input.len() > limit {
                return Err(RecordsError::DecompressedTooLarge { codec, limit });
            }
            Ok(input.to_vec())
        }
        Compression::Gzip => gzip::decompress(input, limit),
        Compression::Snappy => snappy::decompress(input, limit),
        Compression::Lz4 => lz4::decompress(input, limit, magic == 0),
        Compression::Zstd => zstd::decompress(input, limit),
    }
}

/// XXH32 with seed 0, for tests elsewhere in the module that fake old LZ4 headers.
#[cfg(test)]
pub(crate) fn test_xxh32(data: &[u8]) -> u32 {
    xxh32::xxh32(data, 0)
}

/// Reads `reader` to its end into `out`, failing once more than `limit` bytes in total would
/// be in `out`. The buffer grows geometrically from `hint`, never past `limit + 1` bytes, so
/// the memory spent is bounded by what the stream really produced.
pub(crate) fn read_bounded(
    mut reader: impl Read,
    out: &mut Vec<u8>,
    limit: usize,
    hint: usize,
    codec: Compression,
) -> Result<(), RecordsError> {
    let cap = limit.saturating_add(1);
    let mut filled = out.len();
    if filled > limit {
        return Err(RecordsError::DecompressedTooLarge { codec, limit });
    }
    let initial = filled.saturating_add(hint.max(256)).min(cap);
    out.resize(initial.max(filled), 0);
    loop {
        if filled == out.len() {
            if out.len() >= cap {
                // The stream produced limit + 1 bytes: over the limit, whatever follows.
                out.truncate(filled);
                return Err(RecordsError::DecompressedTooLarge { codec, limit });
            }
            let grown = out.len().saturating_mul(2).max(4096).min(cap);
            out.resize(grown, 0);
        }
        match reader.read(&mut out[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                out.truncate(filled);
                return Err(RecordsError::Decompression {
                    codec,
                    message: e.to_string(),
                });
            }
        }
    }
    out.truncate(filled);
    if filled > limit {
        return Err(RecordsError::DecompressedTooLarge { codec, limit });
    }
    // The buffer becomes the records' backing `Bytes` and lives as long as any record does:
    // give back doubling slack worth the copy.
    if out.capacity() - out.len() > out.len() / 4 {
        out.shrink_to_fit();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    fn sample(len: usize) -> Vec<u8> {
        // Compressible but not trivial: a repeating pattern with a counter mixed in.
        (0..len)
            .map(|i| (i % 251) as u8 ^ ((i / 1000) as u8))
            .collect()
    }

    #[test]
    fn ids_and_names_roundtrip() {
        for c in ALL {
            assert_eq!(Compression::from_id(c.id()), Ok(c));
            assert_eq!(c.name().parse::<Compression>(), Ok(c));
        }
        assert_eq!("LZ4".parse::<Compression>(), Ok(Compression::Lz4));
        for id in 5..=7 {
            assert_eq!(
                Compression::from_id(id),
                Err(RecordsError::UnknownCompression { id })
            );
        }
    }

    #[test]
    fn every_codec_roundtrips_various_sizes() {
        for c in ALL {
            for len in [0, 1, 100, 32 * 1024, 64 * 1024, 64 * 1024 + 1, 300_000] {
                let input = sample(len);
                let mut out = BytesMut::new();
                compress(c, None, &input, &mut out).unwrap();
                let back = decompress(c, &out, usize::MAX, 2).unwrap();
                assert_eq!(back, input, "{c} len {len}");
            }
        }
    }

    #[test]
    fn levels_are_accepted() {
        let input = sample(10_000);
        for c in ALL {
            for level in [-5, 1, 3, 9, 22] {
                let mut out = BytesMut::new();
                compress(c, Some(level), &input, &mut out).unwrap();
                assert_eq!(
                    decompress(c, &out, usize::MAX, 2).unwrap(),
                    input,
                    "{c} {level}"
                );
            }
        }
    }

    #[test]
    fn decompression_is_bounded() {
        // 1 MiB of zeros compresses to a few KiB with every codec: a small bomb.
        let input = vec![0u8; 1 << 20];
        for c in ALL {
            let mut out = BytesMut::new();
            compress(c, None, &input, &mut out).unwrap();
            let limit = 64 * 1024;
            assert_eq!(
                decompress(c, &out, limit, 2),
                Err(RecordsError::DecompressedTooLarge { codec: c, limit }),
                "{c}"
            );
            // Exactly at the limit is fine.
            assert_eq!(
                decompress(c, &out, 1 << 20, 2).unwrap().len(),
                1 << 20,
                "{c}"
            );
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let inputs: [&[u8]; 6] = [
            b"",
            b"\x00",
            b"not compressed at all, just text",
            b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01\x7f\xff\xff\xff",
            b"\x04\x22\x4d\x18\x60\x40\x82\xff\xff\xff\x7f",
            b"\x28\xb5\x2f\xfd\x00\x00\x00",
        ];
        for c in ALL.into_iter().skip(1) {
            for input in inputs {
                let result = decompress(c, input, 1 << 20, 2);
                if let Ok(out) = &result {
                    // Only an empty stream may legitimately decode (to nothing).
                    assert!(out.is_empty(), "{c} {input:?}");
                }
            }
        }
    }
}
