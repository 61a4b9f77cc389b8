//! A bounds-checked cursor over one `Bytes`, handing out zero-copy slices.
//!
//! Every read checks the bytes that remain first, so a hostile length costs an error, never a
//! panic or an allocation.

use bytes::Bytes;

use super::{varint, RecordsError};

pub(crate) struct Reader<'a> {
    buf: &'a Bytes,
    pos: usize,
    end: usize,
    context: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `buf[start..end]`; the range must lie inside `buf`.
    pub(crate) fn new(buf: &'a Bytes, start: usize, end: usize, context: &'static str) -> Self {
        debug_assert!(start <= end && end <= buf.len());
        Reader {
            buf,
            pos: start,
            end,
            context,
        }
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// A reader over the next `len` bytes, advancing this one past them.
    #[inline]
    pub(crate) fn sub(
        &mut self,
        len: usize,
        context: &'static str,
    ) -> Result<Reader<'a>, RecordsError> {
        self.need(len)?;
        let sub = Reader::new(self.buf, self.pos, self.pos + len, context);
        self.pos += len;
        Ok(sub)
    }

    #[inline]
    fn need(&self, n: usize) -> Result<(), RecordsError> {
        if self.remaining() < n {
            Err(RecordsError::UnexpectedEof {
                context: self.context,
                needed: n,
                remaining: self.remaining(),
            })
        } else {
            Ok(())
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordsError> {
        self.need(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[self.pos..self.pos + N]);
        self.pos += N;
        Ok(out)
    }

    pub(crate) fn i8(&mut self) -> Result<i8, RecordsError> {
        Ok(i8::from_be_bytes(self.array()?))
    }

    pub(crate) fn i16(&mut self) -> Result<i16, RecordsError> {
        Ok(i16::from_be_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, RecordsError> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, RecordsError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, RecordsError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// A zig-zag varint. One-byte varints (most key, value and header lengths, attributes of
    /// small records) take an inlined fast path: the general decoder, called for every field
    /// of every record, was a fifth of a consumer's decode cost (callgrind).
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<i32, RecordsError> {
        if let Some(b) = self.one_byte_varint() {
            return Ok(((b >> 1) as i32) ^ -((b & 1) as i32));
        }
        self.varint_slow()
    }

    /// The next byte when it is a whole varint (high bit clear), consumed; else `None` and
    /// nothing consumed.
    #[inline]
    fn one_byte_varint(&mut self) -> Option<u8> {
        if self.pos < self.end {
            let b = self.buf[self.pos];
            if b < 0x80 {
                self.pos += 1;
                return Some(b);
            }
        }
        None
    }

    #[inline(never)]
    fn varint_slow(&mut self) -> Result<i32, RecordsError> {
        match varint::get_varint(&self.buf[self.pos..self.end]) {
            Some(Ok((v, n))) => {
                self.pos += n;
                Ok(v)
            }
            Some(Err(())) => Err(RecordsError::InvalidVarint {
                context: self.context,
            }),
            None => Err(RecordsError::UnexpectedEof {
                context: self.context,
                needed: self.remaining() + 1,
                remaining: self.remaining(),
            }),
        }
    }

    /// A zig-zag varlong, with the one-byte fast path of [`Reader::varint`].
    #[inline]
    pub(crate) fn varlong(&mut self) -> Result<i64, RecordsError> {
        if let Some(b) = self.one_byte_varint() {
            return Ok(((b >> 1) as i64) ^ -((b & 1) as i64));
        }
        self.varlong_slow()
    }

    #[inline(never)]
    fn varlong_slow(&mut self) -> Result<i64, RecordsError> {
        match varint::get_varlong(&self.buf[self.pos..self.end]) {
            Some(Ok((v, n))) => {
                self.pos += n;
                Ok(v)
            }
            Some(Err(())) => Err(RecordsError::InvalidVarint {
                context: self.context,
            }),
            None => Err(RecordsError::UnexpectedEof {
                context: self.context,
                needed: self.remaining() + 1,
                remaining: self.remaining(),
            }),
        }
    }

    /// The next `len` bytes as a zero-copy slice of the underlying buffer.
    #[inline]
    pub(crate) fn bytes(&mut self, len: usize) -> Result<Bytes, RecordsError> {
        self.need(len)?;
        let out = self.buf.slice(self.pos..self.pos + len);
        self.pos += len;
        Ok(out)
    }

    /// A length-prefixed byte field: a negative length means null, as in the Java client.
    #[inline]
    pub(crate) fn nullable_bytes(&mut self, len: i64) -> Result<Option<Bytes>, RecordsError> {
        if len < 0 {
            return Ok(None);
        }
        let len = usize::try_from(len).map_err(|_| RecordsError::InvalidLength {
            context: self.context,
            length: len,
        })?;
        self.bytes(len).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_fast_and_slow_paths_agree() {
        // 0, -1, 63, -64 (one byte), 64, 300 (two bytes), then a varlong of 2^40.
        let mut bytes = vec![0x00, 0x01, 0x7e, 0x7f, 0x80, 0x01, 0xd8, 0x04];
        varint::put_varlong(&mut bytes, 1 << 40);
        let buf = Bytes::from(bytes);
        let mut r = Reader::new(&buf, 0, buf.len(), "test");
        for want in [0, -1, 63, -64, 64, 300] {
            assert_eq!(r.varint().unwrap(), want);
        }
        assert_eq!(r.varlong().unwrap(), 1 << 40);
        assert_eq!(r.remaining(), 0);
        assert!(matches!(
            r.varint(),
            Err(RecordsError::UnexpectedEof { .. })
        ));
    }

    #[test]
    fn the_fast_path_stops_at_the_end_of_the_window() {
        // The byte after `end` is a valid one-byte varint, but outside this reader.
        let buf = Bytes::from_static(&[0x80, 0x02]);
        let mut r = Reader::new(&buf, 1, 1, "test");
        assert!(matches!(
            r.varint(),
            Err(RecordsError::UnexpectedEof { .. })
        ));
        let mut r = Reader::new(&buf, 0, 1, "test");
        assert!(matches!(
            r.varlong(),
            Err(RecordsError::UnexpectedEof { .. })
        ));
    }
}
