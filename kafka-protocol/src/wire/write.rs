//! Writers: each appends one value to a `BytesMut`.

use bytes::{BufMut, Bytes, BytesMut};

use super::{RawTaggedField, Uuid};
use crate::EncodeError;

/// Writes a boolean as one byte.
pub fn write_bool(buf: &mut BytesMut, v: bool) {
    buf.put_i8(v as i8);
}

/// Writes a UUID as 16 raw bytes.
pub fn write_uuid(buf: &mut BytesMut, v: &Uuid) {
    buf.put_slice(&v.0);
}

/// Writes an unsigned LEB128 varint.
pub fn write_unsigned_varint(buf: &mut BytesMut, mut v: u32) {
    while v >= 0x80 {
        buf.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    buf.put_u8(v as u8);
}

/// Writes an unsigned LEB128 varlong.
pub fn write_unsigned_varlong(buf: &mut BytesMut, mut v: u64) {
    while v >= 0x80 {
        buf.put_u8((v as u8) | 0x80);
        v >>= 7;
    }
    buf.put_u8(v as u8);
}

/// Writes a zigzag-encoded signed varint.
pub fn write_varint(buf: &mut BytesMut, v: i32) {
    write_unsigned_varint(buf, ((v << 1) ^ (v >> 31)) as u32);
}

/// Writes a zigzag-encoded signed varlong.
pub fn write_varlong(buf: &mut BytesMut, v: i64) {
    write_unsigned_varlong(buf, ((v << 1) ^ (v >> 63)) as u64);
}

/// Bytes an unsigned varint takes.
pub fn unsigned_varint_len(v: u32) -> usize {
    match v {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        0x4000..=0x1f_ffff => 3,
        0x20_0000..=0xfff_ffff => 4,
        _ => 5,
    }
}

/// Writes a length prefix, or the null marker for `None`.
pub(super) fn write_len(
    buf: &mut BytesMut,
    what: &'static str,
    len: Option<usize>,
    compact: bool,
    classic_i16: bool,
) -> Result<(), EncodeError> {
    let too_long = |length| EncodeError::TooLong { what, length };
    match (len, compact, classic_i16) {
        (None, true, _) => write_unsigned_varint(buf, 0),
        (None, false, true) => buf.put_i16(-1),
        (None, false, false) => buf.put_i32(-1),
        (Some(n), true, _) => {
            let n1 = u32::try_from(n)
                .ok()
                .and_then(|n| n.checked_add(1))
                .ok_or(too_long(n))?;
            write_unsigned_varint(buf, n1)
        }
        (Some(n), false, true) => buf.put_i16(i16::try_from(n).map_err(|_| too_long(n))?),
        (Some(n), false, false) => buf.put_i32(i32::try_from(n).map_err(|_| too_long(n))?),
    }
    Ok(())
}

/// Writes a nullable string (classic `i16` length or compact).
pub fn write_nullable_string(
    buf: &mut BytesMut,
    v: Option<&str>,
    compact: bool,
) -> Result<(), EncodeError> {
    write_len(buf, "string", v.map(str::len), compact, true)?;
    if let Some(s) = v {
        buf.put_slice(s.as_bytes());
    }
    Ok(())
}

/// Writes a non-nullable string.
pub fn write_string(buf: &mut BytesMut, v: &str, compact: bool) -> Result<(), EncodeError> {
    write_nullable_string(buf, Some(v), compact)
}

/// Writes nullable bytes (classic `i32` length or compact).
pub fn write_nullable_bytes(
    buf: &mut BytesMut,
    v: Option<&Bytes>,
    compact: bool,
) -> Result<(), EncodeError> {
    write_len(buf, "bytes", v.map(Bytes::len), compact, false)?;
    if let Some(b) = v {
        buf.put_slice(b);
    }
    Ok(())
}

/// Writes non-nullable bytes.
pub fn write_bytes(buf: &mut BytesMut, v: &Bytes, compact: bool) -> Result<(), EncodeError> {
    write_nullable_bytes(buf, Some(v), compact)
}

/// Writes an array length (classic `i32` or compact), or the null marker for `None`.
pub fn write_array_len(
    buf: &mut BytesMut,
    len: Option<usize>,
    compact: bool,
) -> Result<(), EncodeError> {
    write_len(buf, "array", len, compact, false)
}

/// Writes one tagged field whose value `encode` writes: tag, size, then the value. The value
/// goes through a scratch buffer because its size prefixes it.
pub fn write_tagged_field(
    buf: &mut BytesMut,
    tag: u32,
    encode: impl FnOnce(&mut BytesMut) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let mut scratch = BytesMut::new();
    encode(&mut scratch)?;
    write_unsigned_varint(buf, tag);
    let size = u32::try_from(scratch.len()).map_err(|_| EncodeError::TooLong {
        what: "tagged field",
        length: scratch.len(),
    })?;
    write_unsigned_varint(buf, size);
    buf.extend_from_slice(&scratch);
    Ok(())
}

/// Writes a raw (unknown) tagged field as it was received.
pub fn write_raw_tagged_field(
    buf: &mut BytesMut,
    field: &RawTaggedField,
) -> Result<(), EncodeError> {
    write_tagged_field(buf, field.tag, |b| {
        b.extend_from_slice(&field.data);
        Ok(())
    })
}
