//! Zero-copy `bytes` fields: a message is encoded through an [`Encoder`], and a splicing one
//! ([`Encoder::splicing`]) does not copy a `bytes` field of at least [`SPLICE_MIN`] bytes (a
//! Produce request's record batches) into the buffer. Its length prefix is written as usual,
//! and the field is noted with the offset where its bytes belong, so the caller can send the
//! frame as segments, the field's own `Bytes` among them, with one vectored write.

use std::ops::{Deref, DerefMut};

use bytes::{BufMut, Bytes, BytesMut};

use crate::EncodeError;

/// Smaller fields are copied: below this a reference costs more than the copy it saves.
pub const SPLICE_MIN: usize = 1024;

/// A `bytes` field left out of the buffer: its bytes belong at `at`.
#[derive(Debug, Clone)]
pub struct Splice {
    /// Offset in the buffer the frame was encoded into.
    pub at: usize,
    /// The field's bytes.
    pub bytes: Bytes,
}

/// The buffer a message is encoded into, and, when splicing, the `bytes` fields left out of
/// it. Everything but `bytes` fields is written to the buffer it dereferences to.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use kafkito_protocol::wire::{Encoder, SPLICE_MIN};
///
/// let large = Bytes::from(vec![7u8; SPLICE_MIN]);
/// let mut buf = BytesMut::new();
/// let mut encoder = Encoder::splicing(&mut buf);
/// encoder.write_bytes(&Bytes::from_static(b"abc"), false).unwrap();
/// encoder.write_bytes(&large, false).unwrap();
/// let splices = encoder.into_splices();
/// // Two i32 lengths and "abc"; the large field is referenced where it belongs.
/// assert_eq!(buf.len(), 4 + 3 + 4);
/// assert_eq!((splices[0].at, &splices[0].bytes), (11, &large));
/// ```
#[derive(Debug)]
pub struct Encoder<'a> {
    buf: &'a mut BytesMut,
    /// `Some` when large `bytes` fields are left out; they are noted here, in buffer order.
    splices: Option<Vec<Splice>>,
}

impl<'a> Encoder<'a> {
    /// An encoder that copies every field into `buf`.
    pub fn new(buf: &'a mut BytesMut) -> Self {
        Encoder { buf, splices: None }
    }

    /// An encoder that leaves `bytes` fields of [`SPLICE_MIN`] bytes or more out of `buf`;
    /// [`into_splices`](Self::into_splices) tells where they belong.
    pub fn splicing(buf: &'a mut BytesMut) -> Self {
        Encoder {
            buf,
            splices: Some(Vec::new()),
        }
    }

    /// The fields left out of the buffer, in buffer order (none unless splicing).
    pub fn into_splices(self) -> Vec<Splice> {
        self.splices.unwrap_or_default()
    }

    /// Writes nullable bytes (classic `i32` length or compact); when splicing, a large
    /// value's length only, noting the value itself.
    pub fn write_nullable_bytes(
        &mut self,
        v: Option<&Bytes>,
        compact: bool,
    ) -> Result<(), EncodeError> {
        super::write::write_len(self.buf, "bytes", v.map(Bytes::len), compact, false)?;
        if let Some(b) = v {
            match self.splices.as_mut() {
                Some(splices) if b.len() >= SPLICE_MIN => splices.push(Splice {
                    at: self.buf.len(),
                    bytes: b.clone(),
                }),
                _ => self.buf.put_slice(b),
            }
        }
        Ok(())
    }

    /// Writes non-nullable bytes, like [`write_nullable_bytes`](Self::write_nullable_bytes).
    pub fn write_bytes(&mut self, v: &Bytes, compact: bool) -> Result<(), EncodeError> {
        self.write_nullable_bytes(Some(v), compact)
    }
}

impl Deref for Encoder<'_> {
    type Target = BytesMut;

    fn deref(&self) -> &BytesMut {
        self.buf
    }
}

impl DerefMut for Encoder<'_> {
    fn deref_mut(&mut self) -> &mut BytesMut {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_fields_are_noted_when_splicing_small_ones_copied() {
        let large = Bytes::from(vec![7u8; SPLICE_MIN]);
        let small = Bytes::from_static(b"abc");
        let mut buf = BytesMut::new();
        let mut encoder = Encoder::splicing(&mut buf);
        encoder.write_nullable_bytes(Some(&small), false).unwrap();
        encoder.write_nullable_bytes(Some(&large), true).unwrap();
        encoder.write_nullable_bytes(None, true).unwrap();
        let splices = encoder.into_splices();
        // i32 length + "abc", then the compact length (2 bytes for 1025) only, then null.
        assert_eq!(buf.len(), 4 + 3 + 2 + 1);
        assert_eq!(splices.len(), 1);
        assert_eq!(splices[0].at, 9);
        assert_eq!(splices[0].bytes, large);
    }

    #[test]
    fn a_plain_encoder_copies_every_field() {
        let large = Bytes::from(vec![7u8; SPLICE_MIN]);
        let mut buf = BytesMut::new();
        let mut encoder = Encoder::new(&mut buf);
        encoder.write_bytes(&large, true).unwrap();
        assert!(encoder.into_splices().is_empty());
        let mut expected = BytesMut::new();
        crate::wire::write_bytes(&mut expected, &large, true).unwrap();
        assert_eq!(buf, expected);
        assert_eq!(buf.len(), 2 + SPLICE_MIN);
    }
}
