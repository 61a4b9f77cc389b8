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

    pub(crate) fn remaining(&self) -> usize {
        self.end - self.pos
    }

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// A reader over the next `len` bytes, advancing this one past them.
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

    pub(crate) fn varint(&mut self) -> Result<i32, RecordsError> {
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

    pub(crate) fn varlong(&mut self) -> Result<i64, RecordsError> {
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
    pub(crate) fn bytes(&mut self, len: usize) -> Result<Bytes, RecordsError> {
        self.need(len)?;
        let out = self.buf.slice(self.pos..self.pos + len);
        self.pos += len;
        Ok(out)
    }

    /// A length-prefixed byte field: a negative length means null, as in the Java client.
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
