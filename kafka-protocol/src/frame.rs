//! Length-prefixed frames: every Kafka request and response travels as a big-endian `i32` size
//! followed by that many bytes (header, then body).
//!
//! These helpers build a whole request frame in one buffer (the size is patched in after the
//! body is written, so the body is walked once) and split a response frame into its header and
//! typed body.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::header::{RequestHeader, ResponseHeader};
use crate::messages::{Message, Request};
use crate::wire::Encoder;
use crate::{DecodeError, EncodeError};

/// Bytes of the size prefix in front of every frame.
pub const SIZE_PREFIX_LEN: usize = 4;

/// Appends a complete request frame (size, header, body) to `buf`.
///
/// ```
/// use bytes::BytesMut;
/// use kafkito_protocol::frame::encode_request;
/// use kafkito_protocol::messages::ApiVersionsRequest;
///
/// let mut buf = BytesMut::new();
/// encode_request(&mut buf, 1, Some("me"), 0, &ApiVersionsRequest::default()).unwrap();
/// assert_eq!(&buf[..4], &[0, 0, 0, 12]);
/// ```
pub fn encode_request<R: Request>(
    buf: &mut BytesMut,
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    body: &R,
) -> Result<(), EncodeError> {
    encode_request_to(
        &mut Encoder::new(buf),
        correlation_id,
        client_id,
        version,
        body,
    )
}

/// [`encode_request`] through `encoder`, which may leave large `bytes` fields out.
fn encode_request_to<R: Request>(
    encoder: &mut Encoder<'_>,
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    body: &R,
) -> Result<(), EncodeError> {
    let header = RequestHeader {
        api_key: R::API_KEY.key(),
        api_version: version,
        correlation_id,
        client_id: client_id.map(str::to_owned),
        unknown_tagged_fields: Vec::new(),
    };
    let start = encoder.len();
    encoder.put_i32(0);
    header.encode(encoder, R::API_KEY.request_header_version(version))?;
    body.encode_to(encoder, version)?;
    let size = encoder.len() - start - SIZE_PREFIX_LEN;
    let size = i32::try_from(size).map_err(|_| EncodeError::TooLong {
        what: "request frame",
        length: size,
    })?;
    encoder[start..start + SIZE_PREFIX_LEN].copy_from_slice(&size.to_be_bytes());
    Ok(())
}

/// A complete request frame (size prefix, header, body) in the order its parts go on the
/// wire: the encoded bytes, with each large `bytes` field (a Produce request's record
/// batches) between them as its own `Bytes`, referenced rather than copied. Written with one
/// vectored write; [`RequestFrame::to_bytes`] joins it for callers that want one buffer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestFrame {
    parts: Vec<Bytes>,
    /// Bytes encoded into the frame's own buffer; the rest is referenced.
    encoded: usize,
}

impl RequestFrame {
    /// The parts, in wire order; none is empty.
    pub fn parts(&self) -> &[Bytes] {
        &self.parts
    }

    /// Bytes in the whole frame.
    pub fn len(&self) -> usize {
        self.parts.iter().map(Bytes::len).sum()
    }

    /// Bytes the encoder wrote into the frame's own buffer (the whole frame, less the fields
    /// referenced): a size hint for the next buffer.
    pub fn encoded_len(&self) -> usize {
        self.encoded
    }

    /// Whether the frame has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The frame in one buffer (a copy unless it has a single part).
    pub fn to_bytes(&self) -> Bytes {
        match self.parts.as_slice() {
            [] => Bytes::new(),
            [one] => one.clone(),
            parts => {
                let mut all = BytesMut::with_capacity(self.len());
                for part in parts {
                    all.extend_from_slice(part);
                }
                all.freeze()
            }
        }
    }
}

impl From<Bytes> for RequestFrame {
    fn from(frame: Bytes) -> Self {
        RequestFrame {
            encoded: frame.len(),
            parts: if frame.is_empty() {
                Vec::new()
            } else {
                vec![frame]
            },
        }
    }
}

/// [`encode_request`] into `buf` (empty; its capacity is the caller's size hint), with every
/// `bytes` field of at least [`SPLICE_MIN`](crate::wire::SPLICE_MIN) bytes referenced
/// instead of copied: a Produce frame costs no copy of its record batches.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use kafkito_protocol::frame::{encode_request, encode_request_frame};
/// use kafkito_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
/// use kafkito_protocol::messages::ProduceRequest;
///
/// let batch = Bytes::from(vec![0u8; 4096]);
/// let mut request = ProduceRequest::default();
/// let mut topic = TopicProduceData::default();
/// topic.name = "t".into();
/// let mut partition = PartitionProduceData::default();
/// partition.records = Some(batch.clone());
/// topic.partition_data.push(partition);
/// request.topic_data.push(topic);
///
/// let frame = encode_request_frame(BytesMut::new(), 7, Some("me"), 9, &request).unwrap();
/// assert_eq!(frame.parts().len(), 3, "before the batch, the batch, after it");
/// assert_eq!(frame.parts()[1].as_ptr(), batch.as_ptr(), "referenced, not copied");
/// let mut whole = BytesMut::new();
/// encode_request(&mut whole, 7, Some("me"), 9, &request).unwrap();
/// assert_eq!(frame.to_bytes(), whole.freeze());
/// ```
pub fn encode_request_frame<R: Request>(
    mut buf: BytesMut,
    correlation_id: i32,
    client_id: Option<&str>,
    version: i16,
    body: &R,
) -> Result<RequestFrame, EncodeError> {
    debug_assert!(buf.is_empty());
    let mut encoder = Encoder::splicing(&mut buf);
    encode_request_to(&mut encoder, correlation_id, client_id, version, body)?;
    let splices = encoder.into_splices();
    if splices.is_empty() {
        return Ok(RequestFrame::from(buf.freeze()));
    }
    // The size prefix `encode_request` wrote counts only what is in `buf`.
    let spliced: usize = splices.iter().map(|s| s.bytes.len()).sum();
    let size = buf.len() - SIZE_PREFIX_LEN + spliced;
    let size = i32::try_from(size).map_err(|_| EncodeError::TooLong {
        what: "request frame",
        length: size,
    })?;
    buf[..SIZE_PREFIX_LEN].copy_from_slice(&size.to_be_bytes());
    let encoded = buf.freeze();
    let mut parts = Vec::with_capacity(2 * splices.len() + 1);
    let mut from = 0;
    for splice in splices {
        if splice.at > from {
            parts.push(encoded.slice(from..splice.at));
        }
        parts.push(splice.bytes);
        from = splice.at;
    }
    if from < encoded.len() {
        parts.push(encoded.slice(from..));
    }
    Ok(RequestFrame {
        parts,
        encoded: encoded.len(),
    })
}

/// Reads the correlation id at the front of a response frame (without its size prefix), before
/// the caller knows which request it answers and so which header version to decode.
pub fn peek_correlation_id(frame: &[u8]) -> Result<i32, DecodeError> {
    match frame.get(..4) {
        Some(id) => Ok(i32::from_be_bytes([id[0], id[1], id[2], id[3]])),
        None => Err(DecodeError::UnexpectedEof {
            needed: 4,
            remaining: frame.len(),
        }),
    }
}

/// Decodes a response frame (without its size prefix) to `R`'s response type at `version`.
/// Bytes left over after the body are an error: they mean the peer and we disagree on the
/// format, and silently ignoring them would hide a codec bug.
pub fn decode_response<R: Request>(
    frame: Bytes,
    version: i16,
) -> Result<(ResponseHeader, R::Response), DecodeError> {
    let (header, body, trailing) = decode_response_with_trailing::<R>(frame, version)?;
    if trailing > 0 {
        return Err(DecodeError::TrailingBytes {
            what: <R::Response as Message>::NAME,
            remaining: trailing,
        });
    }
    Ok((header, body))
}

/// Like [`decode_response`], but returns how many bytes were left over after the body instead
/// of failing on them. For clients: Kafka's own clients ignore trailing bytes, and some peers
/// send them (librdkafka's mock cluster ends Metadata v9+ with a second tag section), so a
/// client reports them (a log line) rather than refusing an otherwise complete answer.
pub fn decode_response_with_trailing<R: Request>(
    mut frame: Bytes,
    version: i16,
) -> Result<(ResponseHeader, R::Response, usize), DecodeError> {
    let header = ResponseHeader::decode(&mut frame, R::API_KEY.response_header_version(version))?;
    let body = R::Response::decode(&mut frame, version)?;
    Ok((header, body, frame.remaining()))
}

/// Splits the first complete frame off the front of `buf`, if it holds one. Checks the size
/// prefix against `max_size` before waiting for the body, so a garbage prefix is reported
/// at once instead of buffering up to 2 GiB.
pub fn split_frame(buf: &mut BytesMut, max_size: usize) -> Result<Option<BytesMut>, DecodeError> {
    let Some(prefix) = buf.get(..SIZE_PREFIX_LEN) else {
        return Ok(None);
    };
    let size = i32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]);
    if size < 0 || size as usize > max_size {
        return Err(DecodeError::InvalidLength {
            what: "frame",
            length: i64::from(size),
            remaining: buf.len() - SIZE_PREFIX_LEN,
        });
    }
    let size = size as usize;
    if buf.len() < SIZE_PREFIX_LEN + size {
        buf.reserve(SIZE_PREFIX_LEN + size - buf.len());
        return Ok(None);
    }
    buf.advance(SIZE_PREFIX_LEN);
    Ok(Some(buf.split_to(size)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::{ApiVersionsRequest, ApiVersionsResponse, MetadataRequest};

    #[test]
    fn request_frame_size_is_patched() {
        let mut buf = BytesMut::from(&b"prefix"[..]);
        encode_request(&mut buf, 9, None, 12, &MetadataRequest::default()).unwrap();
        let size = i32::from_be_bytes(buf[6..10].try_into().unwrap()) as usize;
        assert_eq!(size, buf.len() - 10);
    }

    #[test]
    fn split_frame_waits_for_a_whole_frame() {
        let mut buf = BytesMut::from(&[0, 0, 0, 3, 1, 2][..]);
        assert_eq!(split_frame(&mut buf, 100).unwrap(), None);
        buf.extend_from_slice(&[3, 0]);
        assert_eq!(
            &split_frame(&mut buf, 100).unwrap().unwrap()[..],
            &[1, 2, 3]
        );
        assert_eq!(&buf[..], &[0]);
    }

    #[test]
    fn split_frame_rejects_oversized_and_negative_sizes() {
        let mut buf = BytesMut::from(&[0x7f, 0xff, 0xff, 0xff][..]);
        assert!(split_frame(&mut buf, 1 << 20).is_err());
        let mut buf = BytesMut::from(&[0xff, 0xff, 0xff, 0xfe][..]);
        assert!(split_frame(&mut buf, 1 << 20).is_err());
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let mut body = BytesMut::new();
        ResponseHeader::default().encode(&mut body, 0).unwrap();
        ApiVersionsResponse::default().encode(&mut body, 0).unwrap();
        body.put_u8(0xaa);
        let frame = body.freeze();
        let err = decode_response::<ApiVersionsRequest>(frame.clone(), 0).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::TrailingBytes { remaining: 1, .. }
        ));
        let (_, response, trailing) =
            decode_response_with_trailing::<ApiVersionsRequest>(frame, 0).unwrap();
        assert_eq!((response, trailing), (ApiVersionsResponse::default(), 1));
    }
}
