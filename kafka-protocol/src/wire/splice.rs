//! Zero-copy `bytes` fields: while a frame is encoded under [`collect_splices`], a `bytes`
//! field of at least [`SPLICE_MIN`] bytes (a Produce request's record batches) is not copied
//! into the frame. Its length prefix is written as usual, and the field is noted with the
//! offset where its bytes belong, so the caller can send the frame as segments, the field's
//! own `Bytes` among them, with one vectored write.
//!
//! The note is a thread-local because the generated encoders take a plain `&mut BytesMut`.
//! Encoding is synchronous, so the collection opened by [`collect_splices`] sees exactly the
//! fields of the frame it encodes. A guard closes it again, even if an encoder panics.

use std::cell::RefCell;

use bytes::{Bytes, BytesMut};

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

thread_local! {
    static OPEN: RefCell<Option<Vec<Splice>>> = const { RefCell::new(None) };
}

/// Closes the collection when dropped, so a panicking encoder leaves none open.
struct Collection;

impl Drop for Collection {
    fn drop(&mut self) {
        OPEN.with(|open| open.borrow_mut().take());
    }
}

/// Runs `encode` with the `bytes` fields of [`SPLICE_MIN`] bytes or more left out of the
/// buffer, and returns what it returned with the fields left out, in buffer order.
pub fn collect_splices<T>(encode: impl FnOnce() -> T) -> (T, Vec<Splice>) {
    OPEN.with(|open| *open.borrow_mut() = Some(Vec::new()));
    let collection = Collection;
    let out = encode();
    let splices = OPEN
        .with(|open| open.borrow_mut().take())
        .unwrap_or_default();
    drop(collection);
    (out, splices)
}

/// Called by the `bytes` writers after the length prefix: notes `field` instead of copying
/// it when a collection is open and the field is large enough. `true` when noted.
pub(crate) fn splice(buf: &BytesMut, field: &Bytes) -> bool {
    if field.len() < SPLICE_MIN {
        return false;
    }
    OPEN.with(|open| match open.borrow_mut().as_mut() {
        Some(splices) => {
            splices.push(Splice {
                at: buf.len(),
                bytes: field.clone(),
            });
            true
        }
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::write_nullable_bytes;

    #[test]
    fn large_fields_are_noted_small_ones_copied_and_nothing_outside_a_collection() {
        let large = Bytes::from(vec![7u8; SPLICE_MIN]);
        let small = Bytes::from_static(b"abc");
        let mut buf = BytesMut::new();
        let ((), splices) = collect_splices(|| {
            write_nullable_bytes(&mut buf, Some(&small), false).unwrap();
            write_nullable_bytes(&mut buf, Some(&large), true).unwrap();
        });
        // i32 length + "abc", then the compact length (2 bytes for 1025) only.
        assert_eq!(buf.len(), 4 + 3 + 2);
        assert_eq!(splices.len(), 1);
        assert_eq!(splices[0].at, 9);
        assert_eq!(splices[0].bytes, large);

        let mut plain = BytesMut::new();
        write_nullable_bytes(&mut plain, Some(&large), true).unwrap();
        assert_eq!(
            plain.len(),
            2 + SPLICE_MIN,
            "copied when no collection is open"
        );
    }

    #[test]
    fn a_panicking_encoder_leaves_no_collection_open() {
        let large = Bytes::from(vec![1u8; SPLICE_MIN]);
        let caught = std::panic::catch_unwind(|| collect_splices(|| panic!("encoder bug")));
        assert!(caught.is_err());
        let mut buf = BytesMut::new();
        write_nullable_bytes(&mut buf, Some(&large), false).unwrap();
        assert_eq!(buf.len(), 4 + SPLICE_MIN);
    }
}
