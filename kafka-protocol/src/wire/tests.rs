//! Round trips of every primitive, known encodings, and hostile inputs.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;

use super::*;
use crate::DecodeError;

fn encoded(f: impl FnOnce(&mut BytesMut)) -> Bytes {
    let mut buf = BytesMut::new();
    f(&mut buf);
    buf.freeze()
}

#[test]
fn varints_match_known_encodings() {
    // Values and encodings from the protobuf/Kafka zigzag definition.
    for (v, bytes) in [
        (0i32, &[0x00][..]),
        (-1, &[0x01]),
        (1, &[0x02]),
        (-64, &[0x7f]),
        (64, &[0x80, 0x01]),
        (300, &[0xd8, 0x04]),
        (i32::MAX, &[0xfe, 0xff, 0xff, 0xff, 0x0f]),
        (i32::MIN, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
    ] {
        assert_eq!(&encoded(|b| write_varint(b, v))[..], bytes, "{v}");
        assert_eq!(read_varint(&mut Bytes::copy_from_slice(bytes)).unwrap(), v);
    }
    assert_eq!(
        &encoded(|b| write_unsigned_varint(b, 300))[..],
        &[0xac, 0x02]
    );
}

#[test]
fn overlong_varints_are_rejected() {
    let mut six = Bytes::from_static(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    assert_eq!(
        read_unsigned_varint(&mut six),
        Err(DecodeError::VarintTooLong { max_bytes: 5 })
    );
    let mut top_bits = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0x1f]);
    assert!(read_unsigned_varint(&mut top_bits).is_err());
    let mut eleven = Bytes::from_static(&[0xff; 11]);
    assert!(read_varlong(&mut eleven).is_err());
}

#[test]
fn huge_declared_lengths_fail_without_allocating() {
    // An i32 array count of 2^31-1 with four bytes behind it.
    let mut array = Bytes::from_static(&[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    assert!(matches!(
        read_array_len(&mut array, false),
        Err(DecodeError::InvalidLength { what: "array", .. })
    ));
    let mut compact = Bytes::from_static(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert!(read_nullable_bytes(&mut compact, true).is_err());
    let mut string = Bytes::from_static(&[0x00, 0x05, b'a']);
    assert!(read_string(&mut string, false).is_err());
    let mut negative = Bytes::from_static(&[0xff, 0xff, 0xff, 0xfe]);
    assert!(read_nullable_bytes(&mut negative, false).is_err());
}

#[test]
fn null_markers() {
    assert_eq!(
        &encoded(|b| write_nullable_string(b, None, false).unwrap())[..],
        &[0xff, 0xff]
    );
    assert_eq!(
        &encoded(|b| write_nullable_string(b, None, true).unwrap())[..],
        &[0x00]
    );
    assert_eq!(
        &encoded(|b| write_nullable_bytes(b, None, false).unwrap())[..],
        &[0xff; 4]
    );
    assert_eq!(
        &encoded(|b| write_array_len(b, None, true).unwrap())[..],
        &[0x00]
    );
    assert_eq!(
        read_nullable_string(&mut Bytes::from_static(&[0xff, 0xff]), false),
        Ok(None)
    );
}

#[test]
fn invalid_utf8_is_an_error() {
    let mut buf = Bytes::from_static(&[0x00, 0x02, 0xc3, 0x28]);
    assert_eq!(read_string(&mut buf, false), Err(DecodeError::InvalidUtf8));
}

#[test]
fn bytes_are_zero_copy_slices() {
    let input = Bytes::from_static(&[0x04, b'a', b'b', b'c']);
    let mut cursor = input.clone();
    let value = read_bytes(&mut cursor, true).unwrap();
    assert_eq!(value.as_ptr(), input[1..].as_ptr());
}

#[test]
fn tagged_fields_keep_unknown_tags_in_order() {
    let buf = encoded(|b| {
        write_unsigned_varint(b, 2);
        write_tagged_field(b, 1, |b| {
            b.extend_from_slice(b"k");
            Ok(())
        })
        .unwrap();
        write_raw_tagged_field(
            b,
            &RawTaggedField {
                tag: 7,
                data: Bytes::from_static(b"xyz"),
            },
        )
        .unwrap();
    });
    assert_eq!(&buf[..], &[2, 1, 1, b'k', 7, 3, b'x', b'y', b'z']);
    let mut unknown = Vec::new();
    let mut seen = Vec::new();
    read_tagged_fields(&mut buf.clone(), &mut unknown, |tag, data| {
        seen.push((tag, data.clone()));
        if tag == 1 {
            assert_eq!(read_i8(data)?, b'k' as i8);
        }
        Ok(tag == 1)
    })
    .unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        unknown,
        vec![RawTaggedField {
            tag: 7,
            data: Bytes::from_static(b"xyz")
        }]
    );
}

#[test]
fn tagged_fields_must_ascend_and_be_consumed() {
    let mut repeated = Bytes::from_static(&[2, 3, 0, 3, 0]);
    assert_eq!(
        read_tagged_fields(&mut repeated, &mut Vec::new(), |_, _| Ok(false)),
        Err(DecodeError::TagOutOfOrder {
            tag: 3,
            previous: 3
        })
    );
    let mut oversized = Bytes::from_static(&[1, 0, 2, 1, 1]);
    let taken = read_tagged_fields(&mut oversized, &mut Vec::new(), |_, data| {
        read_i8(data)?;
        Ok(true)
    });
    assert!(matches!(taken, Err(DecodeError::TrailingBytes { .. })));
}

#[test]
fn uuid_displays_canonically() {
    let id = Uuid([
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd,
        0xef,
    ]);
    assert_eq!(id.to_string(), "12345678-9abc-def0-0123-456789abcdef");
}

proptest! {
    #[test]
    fn fixed_ints_round_trip(a: i8, b: i16, c: i32, d: i64, e: u16, f: u32, g: bool) {
        use bytes::BufMut;
        let mut buf = encoded(|buf| {
            buf.put_i8(a); buf.put_i16(b); buf.put_i32(c); buf.put_i64(d);
            buf.put_u16(e); buf.put_u32(f); write_bool(buf, g);
        });
        prop_assert_eq!(read_i8(&mut buf)?, a);
        prop_assert_eq!(read_i16(&mut buf)?, b);
        prop_assert_eq!(read_i32(&mut buf)?, c);
        prop_assert_eq!(read_i64(&mut buf)?, d);
        prop_assert_eq!(read_u16(&mut buf)?, e);
        prop_assert_eq!(read_u32(&mut buf)?, f);
        prop_assert_eq!(read_bool(&mut buf)?, g);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn float64_round_trips(v in any::<f64>().prop_filter("not NaN", |v| !v.is_nan())) {
        use bytes::BufMut;
        let mut buf = encoded(|buf| buf.put_f64(v));
        prop_assert_eq!(read_f64(&mut buf)?, v);
    }

    #[test]
    fn varints_round_trip(v: i32, l: i64, u: u32, ul: u64) {
        let mut buf = encoded(|buf| {
            write_varint(buf, v); write_varlong(buf, l);
            write_unsigned_varint(buf, u); write_unsigned_varlong(buf, ul);
        });
        prop_assert_eq!(unsigned_varint_len(u), encoded(|b| write_unsigned_varint(b, u)).len());
        prop_assert_eq!(read_varint(&mut buf)?, v);
        prop_assert_eq!(read_varlong(&mut buf)?, l);
        prop_assert_eq!(read_unsigned_varint(&mut buf)?, u);
        prop_assert_eq!(read_unsigned_varlong(&mut buf)?, ul);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn strings_round_trip(s in ".{0,40}", n in proptest::option::of(".{0,40}"), compact: bool) {
        let mut buf = encoded(|buf| {
            write_string(buf, &s, compact).unwrap();
            write_nullable_string(buf, n.as_deref(), compact).unwrap();
        });
        prop_assert_eq!(read_string(&mut buf, compact)?, s);
        prop_assert_eq!(read_nullable_string(&mut buf, compact)?, n);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn bytes_round_trip(b in proptest::collection::vec(any::<u8>(), 0..300), null: bool, compact: bool) {
        let b = Bytes::from(b);
        let n = (!null).then(|| b.clone());
        let mut buf = encoded(|buf| {
            write_bytes(buf, &b, compact).unwrap();
            write_nullable_bytes(buf, n.as_ref(), compact).unwrap();
        });
        prop_assert_eq!(read_bytes(&mut buf, compact)?, b);
        prop_assert_eq!(read_nullable_bytes(&mut buf, compact)?, n);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn array_lengths_round_trip(len in proptest::option::of(0usize..200), compact: bool) {
        let mut buf = encoded(|buf| {
            write_array_len(buf, len, compact).unwrap();
            buf.extend_from_slice(&vec![0; len.unwrap_or(0)]);
        });
        prop_assert_eq!(read_array_len(&mut buf, compact)?, len);
    }

    #[test]
    fn uuids_round_trip(id: [u8; 16]) {
        let mut buf = encoded(|buf| write_uuid(buf, &Uuid(id)));
        prop_assert_eq!(read_uuid(&mut buf)?, Uuid(id));
    }

    #[test]
    fn readers_never_panic_on_garbage(data in proptest::collection::vec(any::<u8>(), 0..64), compact: bool) {
        let input = Bytes::from(data);
        let _ = read_string(&mut input.clone(), compact);
        let _ = read_nullable_bytes(&mut input.clone(), compact);
        let _ = read_array_len(&mut input.clone(), compact);
        let _ = read_varlong(&mut input.clone());
        let _ = read_tagged_fields(&mut input.clone(), &mut Vec::new(), |_, _| Ok(false));
    }
}
