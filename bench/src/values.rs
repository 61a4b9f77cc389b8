//! What the measured records carry: keys `key-%012d` ([`record_key`](crate::args::record_key))
//! and values that compress like real data.
//!
//! `--values random` (the default) draws each value from one buffer of symbols from a 4-letter
//! alphabet (2 bits of entropy a byte): lz4 shrinks it about 1.9×, as it does typical JSON or
//! log lines, and no two values in a batch repeat each other, so a codec cannot find long
//! matches that real records would not offer. `--values same` gives every record the same
//! `x`s (what the first bench did: lz4 shrinks that ~50×, which flatters every codec).
//!
//! A value is a window of the buffer chosen by the record's index, so producing one costs
//! nothing per record, and a consumer can check every value it reads against the one its key
//! says was written.

use std::fmt;

/// Which values the records carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// Windows of a 4-symbol buffer (compresses like real data).
    Random,
    /// The same `x`s in every record.
    Same,
}

impl ValueKind {
    /// The name used on the command line and in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Random => "random",
            ValueKind::Same => "same",
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Bytes of symbols the random values are cut from: far more than a batch (1 MB), so that the
/// values of one batch never overlap.
const POOL: usize = 16 * 1024 * 1024;

/// The values of a run: `value(i)` is record `i`'s.
pub struct Values {
    pool: Vec<u8>,
    size: usize,
    /// Distinct window starts: values cycle after this many records.
    starts: usize,
}

impl Values {
    /// Values of `size` bytes of `kind`.
    pub fn new(kind: ValueKind, size: usize) -> Values {
        match kind {
            ValueKind::Same => Values {
                pool: vec![b'x'; size],
                size,
                starts: 1,
            },
            ValueKind::Random => {
                let len = POOL.max(4 * size) + size;
                let mut pool = Vec::with_capacity(len);
                // xorshift64*, fixed seed: the same values in every run and every client.
                let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
                while pool.len() < len {
                    state ^= state >> 12;
                    state ^= state << 25;
                    state ^= state >> 27;
                    let mut bits = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
                    for _ in 0..32 {
                        pool.push(b"ACGT"[(bits & 3) as usize]);
                        bits >>= 2;
                    }
                }
                pool.truncate(len);
                Values {
                    starts: len - size,
                    pool,
                    size,
                }
            }
        }
    }

    /// Record `i`'s value.
    #[inline]
    pub fn value(&self, i: u64) -> &[u8] {
        let start = if self.starts <= 1 {
            0
        } else {
            // Consecutive records take consecutive windows, so a batch never repeats a value.
            (i as usize).wrapping_mul(self.size) % self.starts
        };
        &self.pool[start..start + self.size]
    }
}

/// Writes record `i`'s value into `buf` with `sent` (nanoseconds since the run's clock started)
/// in its first 8 bytes: the e2e workload's send time.
#[inline]
pub fn stamped(values: &Values, i: u64, sent: u64, buf: &mut Vec<u8>) {
    buf.clear();
    buf.extend_from_slice(values.value(i));
    buf[..8].copy_from_slice(&sent.to_be_bytes());
}

/// The send time [`stamped`] into a value, if it is long enough.
#[inline]
pub fn stamp_of(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.get(..8)?.try_into().ok()?))
}

/// The index a `key-%012d` key names, if it is one.
#[inline]
pub fn key_index(key: &[u8]) -> Option<u64> {
    let digits = key.strip_prefix(b"key-")?;
    if digits.len() != 12 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::record_key;

    #[test]
    fn random_values_are_distinct_windows_of_four_symbols() {
        let values = Values::new(ValueKind::Random, 100);
        assert_eq!(values.value(0).len(), 100);
        assert_ne!(values.value(0), values.value(1));
        assert_eq!(
            values.value(7),
            Values::new(ValueKind::Random, 100).value(7)
        );
        assert!(values.value(3).iter().all(|b| b"ACGT".contains(b)));
        // Every symbol shows up, about equally.
        let counts = b"ACGT".map(|s| values.pool.iter().filter(|&&b| b == s).count());
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(*min as f64 > *max as f64 * 0.99, "{counts:?}");
    }

    #[test]
    fn same_values_are_all_x() {
        let values = Values::new(ValueKind::Same, 10);
        assert_eq!(values.value(5), b"xxxxxxxxxx");
        assert_eq!(Values::new(ValueKind::Same, 0).value(1), b"");
    }

    #[test]
    fn huge_values_fit() {
        let values = Values::new(ValueKind::Random, 256 * 1024);
        assert_eq!(values.value(1_000_000).len(), 256 * 1024);
    }

    #[test]
    fn send_times_ride_in_the_value() {
        let values = Values::new(ValueKind::Random, 16);
        let mut buf = Vec::new();
        stamped(&values, 3, 123_456_789, &mut buf);
        assert_eq!(buf.len(), 16);
        assert_eq!(stamp_of(&buf), Some(123_456_789));
        assert_eq!(&buf[8..], &values.value(3)[8..]);
        assert_eq!(stamp_of(b"short"), None);
    }

    #[test]
    fn keys_name_their_index() {
        let mut key = Vec::new();
        record_key(123_456, &mut key);
        assert_eq!(key_index(&key), Some(123_456));
        assert_eq!(key_index(b"key-warmup------"), None);
        assert_eq!(key_index(b"key-12"), None);
    }
}
