//! Readers: each takes `&mut Bytes`, advances it past the value, and fails rather than panics.

use bytes::{Buf, Bytes};

use super::{RawTaggedField, Uuid};
use crate::DecodeError;

fn need(buf: &Bytes, n: usize) -> Result<(), DecodeError> {
    if buf.remaining() < n {
        return Err(DecodeError::UnexpectedEof {
            needed: n,
            remaining: buf.remaining(),
        });
    }
    Ok(())
}

macro_rules! fixed_readers {
    ($($name:ident -> $ty:ty, $get:ident, $n:expr;)*) => {$(
        #[doc = concat!("Reads a big-endian `", stringify!($ty), "`.")]
        pub fn $name(buf: &mut Bytes) -> Result<$ty, DecodeError> {
            need(buf, $n)?;
            Ok(buf.$get())
        }
    )*};
}

fixed_readers! {
    read_i8 -> i8, get_i8, 1;
    read_i16 -> i16, get_i16, 2;
    read_i32 -> i32, get_i32, 4;
    read_i64 -> i64, get_i64, 8;
    read_u16 -> u16, get_u16, 2;
    read_u32 -> u32, get_u32, 4;
    read_f64 -> f64, get_f64, 8;
}

/// Reads a boolean: any non-zero byte is `true`, as in the Java client.
pub fn read_bool(buf: &mut Bytes) -> Result<bool, DecodeError> {
    Ok(read_i8(buf)? != 0)
}

/// Reads a 16-byte UUID.
pub fn read_uuid(buf: &mut Bytes) -> Result<Uuid, DecodeError> {
    need(buf, 16)?;
    let mut id = [0u8; 16];
    buf.copy_to_slice(&mut id);
    Ok(Uuid(id))
}

/// Reads an unsigned LEB128 varint of at most 5 bytes.
pub fn read_unsigned_varint(buf: &mut Bytes) -> Result<u32, DecodeError> {
    let mut value = 0u32;
    for i in 0..5 {
        let b = read_i8(buf)? as u8;
        // The fifth byte may only carry the top 4 bits of a u32.
        if i == 4 && b > 0x0f {
            return Err(DecodeError::VarintTooLong { max_bytes: 5 });
        }
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(DecodeError::VarintTooLong { max_bytes: 5 })
}

/// Reads an unsigned LEB128 varlong of at most 10 bytes.
pub fn read_unsigned_varlong(buf: &mut Bytes) -> Result<u64, DecodeError> {
    let mut value = 0u64;
    for i in 0..10 {
        let b = read_i8(buf)? as u8;
        if i == 9 && b > 0x01 {
            return Err(DecodeError::VarintTooLong { max_bytes: 10 });
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(DecodeError::VarintTooLong { max_bytes: 10 })
}

/// Reads a zigzag-encoded signed varint (record fields).
pub fn read_varint(buf: &mut Bytes) -> Result<i32, DecodeError> {
    let v = read_unsigned_varint(buf)?;
    Ok(((v >> 1) as i32) ^ -((v & 1) as i32))
}

/// Reads a zigzag-encoded signed varlong (record fields).
pub fn read_varlong(buf: &mut Bytes) -> Result<i64, DecodeError> {
    let v = read_unsigned_varlong(buf)?;
    Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
}

/// Checks a length read from the wire against the remaining input; `None` for the null marker.
fn checked_len(
    buf: &Bytes,
    what: &'static str,
    length: i64,
    unit: usize,
) -> Result<Option<usize>, DecodeError> {
    if length == -1 {
        return Ok(None);
    }
    let fits = length >= 0 && (length as u64).saturating_mul(unit as u64) <= buf.remaining() as u64;
    if !fits {
        return Err(DecodeError::InvalidLength {
            what,
            length,
            remaining: buf.remaining(),
        });
    }
    Ok(Some(length as usize))
}

/// Reads a length prefix: classic (`i16` or `i32`, -1 for null) or compact (unsigned varint of
/// length + 1, 0 for null). `unit` is the least number of bytes one element takes.
fn read_len(
    buf: &mut Bytes,
    what: &'static str,
    compact: bool,
    classic_i16: bool,
    unit: usize,
) -> Result<Option<usize>, DecodeError> {
    let length = if compact {
        i64::from(read_unsigned_varint(buf)?) - 1
    } else if classic_i16 {
        i64::from(read_i16(buf)?)
    } else {
        i64::from(read_i32(buf)?)
    };
    checked_len(buf, what, length, unit)
}

fn not_null<T>(value: Option<T>, what: &'static str) -> Result<T, DecodeError> {
    value.ok_or(DecodeError::InvalidLength {
        what,
        length: -1,
        remaining: 0,
    })
}

/// Reads a nullable string (classic `i16` length or compact).
pub fn read_nullable_string(buf: &mut Bytes, compact: bool) -> Result<Option<String>, DecodeError> {
    let Some(len) = read_len(buf, "string", compact, true, 1)? else {
        return Ok(None);
    };
    let raw = buf.split_to(len);
    String::from_utf8(raw.to_vec())
        .map(Some)
        .map_err(|_| DecodeError::InvalidUtf8)
}

/// Reads a non-nullable string (classic `i16` length or compact).
pub fn read_string(buf: &mut Bytes, compact: bool) -> Result<String, DecodeError> {
    not_null(read_nullable_string(buf, compact)?, "string")
}

/// Reads nullable bytes (classic `i32` length or compact) as a zero-copy slice of the input.
pub fn read_nullable_bytes(buf: &mut Bytes, compact: bool) -> Result<Option<Bytes>, DecodeError> {
    let Some(len) = read_len(buf, "bytes", compact, false, 1)? else {
        return Ok(None);
    };
    Ok(Some(buf.split_to(len)))
}

/// Reads non-nullable bytes (classic `i32` length or compact) as a zero-copy slice.
pub fn read_bytes(buf: &mut Bytes, compact: bool) -> Result<Bytes, DecodeError> {
    not_null(read_nullable_bytes(buf, compact)?, "bytes")
}

/// Reads an array length (classic `i32` or compact); `None` for a null array. Every element
/// takes at least one byte, so a count above the remaining input is rejected before any
/// allocation.
pub fn read_array_len(buf: &mut Bytes, compact: bool) -> Result<Option<usize>, DecodeError> {
    read_len(buf, "array", compact, false, 1)
}

/// A capacity to pre-allocate for `count` elements: bounded, so that even a count that passed
/// the length check cannot make us reserve far more memory than the input holds.
pub fn initial_capacity(count: usize) -> usize {
    count.min(1024)
}

/// Reads a tagged-field section, handing each tag's bytes to `known`, which returns `false` for
/// a tag it does not take; those are kept verbatim in `unknown`.
pub fn read_tagged_fields(
    buf: &mut Bytes,
    unknown: &mut Vec<RawTaggedField>,
    mut known: impl FnMut(u32, &mut Bytes) -> Result<bool, DecodeError>,
) -> Result<(), DecodeError> {
    let count = read_unsigned_varint(buf)? as usize;
    checked_len(buf, "tagged fields", count as i64, 2)?;
    let mut previous: Option<u32> = None;
    for _ in 0..count {
        let tag = read_unsigned_varint(buf)?;
        // KIP-482: tags are strictly ascending, so each appears once and re-encoding in tag
        // order reproduces the input.
        if previous.is_some_and(|p| tag <= p) {
            return Err(DecodeError::TagOutOfOrder {
                tag,
                previous: previous.unwrap_or(0),
            });
        }
        previous = Some(tag);
        let size = read_unsigned_varint(buf)? as i64;
        let size = not_null(checked_len(buf, "tagged field", size, 1)?, "tagged field")?;
        let data = buf.split_to(size);
        // `known` reads from its own cursor, so a tag it declines is kept whole.
        let mut cursor = data.clone();
        if !known(tag, &mut cursor)? {
            unknown.push(RawTaggedField { tag, data });
        } else if !cursor.is_empty() {
            return Err(DecodeError::TrailingBytes {
                what: "tagged field",
                remaining: cursor.len(),
            });
        }
    }
    Ok(())
}
