//! Zig-zag varints as the record format uses them (protobuf encoding, Kafka's `ByteUtils`).
//!
//! The records module keeps its own copy rather than borrowing from `wire`: the record format
//! pins these exact semantics (a varint is at most 5 bytes, a varlong at most 10, extra high
//! bits of the last byte are dropped as the Java client drops them), and the decoder works on
//! a cursor over one `Bytes` rather than on a `Buf`.

use bytes::BufMut;

/// Most bytes a varint takes: 32 bits at 7 a byte.
pub(crate) const MAX_VARINT_LEN: usize = 5;
/// Most bytes a varlong takes: 64 bits at 7 a byte.
pub(crate) const MAX_VARLONG_LEN: usize = 10;

/// Bytes a zig-zag varint of `v` takes.
#[inline]
pub(crate) fn varint_len(v: i32) -> usize {
    unsigned_len(zigzag32(v) as u64)
}

/// Bytes a zig-zag varlong of `v` takes.
#[inline]
pub(crate) fn varlong_len(v: i64) -> usize {
    unsigned_len(zigzag64(v))
}

pub(crate) fn put_varint(buf: &mut impl BufMut, v: i32) {
    put_unsigned(buf, zigzag32(v) as u64);
}

pub(crate) fn put_varlong(buf: &mut impl BufMut, v: i64) {
    put_unsigned(buf, zigzag64(v));
}

/// Reads a zig-zag varint from the front of `src`; returns the value and the bytes used.
/// `None` if `src` ends first, `Some(Err)` if the varint is longer than [`MAX_VARINT_LEN`].
pub(crate) fn get_varint(src: &[u8]) -> Option<Result<(i32, usize), ()>> {
    match get_unsigned(src, MAX_VARINT_LEN)? {
        Ok((raw, n)) => {
            // Truncation to 32 bits is deliberate: the Java reader shifts extra bits out.
            let raw = raw as u32;
            Some(Ok((((raw >> 1) as i32) ^ -((raw & 1) as i32), n)))
        }
        Err(()) => Some(Err(())),
    }
}

/// Reads a zig-zag varlong from the front of `src`; see [`get_varint`].
pub(crate) fn get_varlong(src: &[u8]) -> Option<Result<(i64, usize), ()>> {
    match get_unsigned(src, MAX_VARLONG_LEN)? {
        Ok((raw, n)) => Some(Ok((((raw >> 1) as i64) ^ -((raw & 1) as i64), n))),
        Err(()) => Some(Err(())),
    }
}

fn zigzag32(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn zigzag64(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

/// 7 bits a byte, at least one byte: `ceil(significant bits / 7)`, without a loop or a
/// division (`(9 * bits + 64) / 64` equals it for 1 to 64 bits, as in protobuf's
/// `VarintSize`). Computed for every field of every record appended.
#[inline]
fn unsigned_len(v: u64) -> usize {
    let bits = 64 - (v | 1).leading_zeros() as usize;
    (bits * 9 + 64) / 64
}

fn put_unsigned(buf: &mut impl BufMut, mut v: u64) {
    while v >= 0x80 {
        buf.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    buf.put_u8(v as u8);
}

fn get_unsigned(src: &[u8], max_bytes: usize) -> Option<Result<(u64, usize), ()>> {
    let mut value: u64 = 0;
    for i in 0..max_bytes {
        let b = *src.get(i)?;
        // For i == 9 the shift is 63 and all but one bit fall off, as in the Java reader.
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(Ok((value, i + 1)));
        }
    }
    Some(Err(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip32(v: i32) {
        let mut buf = Vec::new();
        put_varint(&mut buf, v);
        assert_eq!(buf.len(), varint_len(v), "{v}");
        assert_eq!(get_varint(&buf), Some(Ok((v, buf.len()))));
    }

    fn roundtrip64(v: i64) {
        let mut buf = Vec::new();
        put_varlong(&mut buf, v);
        assert_eq!(buf.len(), varlong_len(v), "{v}");
        assert_eq!(get_varlong(&buf), Some(Ok((v, buf.len()))));
    }

    #[test]
    fn known_encodings() {
        // Values from the protobuf zig-zag table, which Kafka's ByteUtils follows.
        let cases: &[(i32, &[u8])] = &[
            (0, &[0x00]),
            (-1, &[0x01]),
            (1, &[0x02]),
            (-2, &[0x03]),
            (63, &[0x7e]),
            (-64, &[0x7f]),
            (64, &[0x80, 0x01]),
            (i32::MAX, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
            (i32::MIN, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ];
        for (v, bytes) in cases {
            let mut buf = Vec::new();
            put_varint(&mut buf, *v);
            assert_eq!(&buf[..], *bytes, "{v}");
        }
    }

    #[test]
    fn roundtrips() {
        for v in [0, 1, -1, 127, -128, 300, -300, i32::MAX, i32::MIN] {
            roundtrip32(v);
        }
        for v in [0, 1, -1, 1 << 40, -(1 << 40), i64::MAX, i64::MIN] {
            roundtrip64(v);
        }
        assert_eq!(varint_len(i32::MIN), MAX_VARINT_LEN);
        assert_eq!(varlong_len(i64::MIN), MAX_VARLONG_LEN);
        // Every length boundary (`unsigned_len` computes it without a loop).
        for shift in 0..63 {
            for v in [(1i64 << shift) - 1, 1i64 << shift, -(1i64 << shift)] {
                roundtrip64(v);
                if let Ok(v) = i32::try_from(v) {
                    roundtrip32(v);
                }
            }
        }
    }

    #[test]
    fn truncated_and_overlong() {
        assert_eq!(get_varint(&[]), None);
        assert_eq!(get_varint(&[0x80, 0x80]), None);
        assert_eq!(get_varint(&[0x80; 6]), Some(Err(())));
        assert_eq!(get_varlong(&[0x80; 11]), Some(Err(())));
        assert_eq!(get_varlong(&[0x80; 9]), None);
    }
}
