//! Request and response headers, and which header version each message version uses.
//!
//! Flexible message versions (KIP-482) use request header v2 and response header v1, which add
//! a tagged-field section; older versions use request header v1 and response header v0. The one
//! exception is the ApiVersions response, whose header is always v0: a client must be able to
//! read it before it knows what the broker speaks.

use bytes::{Bytes, BytesMut};

use crate::messages::ApiKey;
use crate::wire::{self, RawTaggedField};
use crate::{DecodeError, EncodeError};

/// The header in front of every request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestHeader {
    /// The API key of the request.
    pub api_key: i16,
    /// The version of the request body.
    pub api_version: i16,
    /// Echoed by the broker in the response, to match responses to requests.
    pub correlation_id: i32,
    /// The client's id, for broker logs and quotas.
    pub client_id: Option<String>,
    /// Tagged fields this codec does not know (header v2).
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

/// The header in front of every response.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResponseHeader {
    /// The correlation id of the request this answers.
    pub correlation_id: i32,
    /// Tagged fields this codec does not know (header v1).
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl RequestHeader {
    /// Encodes the header at `header_version` (1 or 2; 0 lacks the client id).
    pub fn encode(&self, buf: &mut BytesMut, header_version: i16) -> Result<(), EncodeError> {
        use bytes::BufMut;
        buf.put_i16(self.api_key);
        buf.put_i16(self.api_version);
        buf.put_i32(self.correlation_id);
        if header_version >= 1 {
            // The client id stays a classic (non-compact) string even in header v2.
            wire::write_nullable_string(buf, self.client_id.as_deref(), false)?;
        }
        if header_version >= 2 {
            write_unknown_tagged(buf, &self.unknown_tagged_fields)?;
        }
        Ok(())
    }

    /// Decodes a header at `header_version`.
    pub fn decode(buf: &mut Bytes, header_version: i16) -> Result<Self, DecodeError> {
        let mut header = RequestHeader {
            api_key: wire::read_i16(buf)?,
            api_version: wire::read_i16(buf)?,
            correlation_id: wire::read_i32(buf)?,
            ..Default::default()
        };
        if header_version >= 1 {
            header.client_id = wire::read_nullable_string(buf, false)?;
        }
        if header_version >= 2 {
            wire::read_tagged_fields(buf, &mut header.unknown_tagged_fields, |_, _| Ok(false))?;
        }
        Ok(header)
    }
}

impl ResponseHeader {
    /// Encodes the header at `header_version` (0 or 1).
    pub fn encode(&self, buf: &mut BytesMut, header_version: i16) -> Result<(), EncodeError> {
        use bytes::BufMut;
        buf.put_i32(self.correlation_id);
        if header_version >= 1 {
            write_unknown_tagged(buf, &self.unknown_tagged_fields)?;
        }
        Ok(())
    }

    /// Decodes a header at `header_version`.
    pub fn decode(buf: &mut Bytes, header_version: i16) -> Result<Self, DecodeError> {
        let mut header = ResponseHeader {
            correlation_id: wire::read_i32(buf)?,
            ..Default::default()
        };
        if header_version >= 1 {
            wire::read_tagged_fields(buf, &mut header.unknown_tagged_fields, |_, _| Ok(false))?;
        }
        Ok(header)
    }
}

fn write_unknown_tagged(buf: &mut BytesMut, fields: &[RawTaggedField]) -> Result<(), EncodeError> {
    wire::write_unsigned_varint(buf, fields.len() as u32);
    fields
        .iter()
        .try_for_each(|f| wire::write_raw_tagged_field(buf, f))
}

impl ApiKey {
    /// The request header version for `api_version` of this API.
    pub fn request_header_version(self, api_version: i16) -> i16 {
        if self.is_flexible(api_version) {
            2
        } else {
            1
        }
    }

    /// The response header version for `api_version` of this API.
    pub fn response_header_version(self, api_version: i16) -> i16 {
        // ApiVersions answers with header v0 at every version: see the module docs.
        if self != ApiKey::ApiVersions && self.is_flexible(api_version) {
            1
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_versions_follow_flexible_versions() {
        assert_eq!(ApiKey::Metadata.request_header_version(8), 1);
        assert_eq!(ApiKey::Metadata.request_header_version(9), 2);
        assert_eq!(ApiKey::Metadata.response_header_version(8), 0);
        assert_eq!(ApiKey::Metadata.response_header_version(9), 1);
        assert_eq!(ApiKey::ApiVersions.request_header_version(3), 2);
        assert_eq!(ApiKey::ApiVersions.response_header_version(3), 0);
    }

    #[test]
    fn request_header_v2_round_trips() {
        let header = RequestHeader {
            api_key: 3,
            api_version: 12,
            correlation_id: 7,
            client_id: Some("client".into()),
            unknown_tagged_fields: vec![RawTaggedField {
                tag: 5,
                data: Bytes::from_static(b"xy"),
            }],
        };
        let mut buf = BytesMut::new();
        header.encode(&mut buf, 2).unwrap();
        assert_eq!(
            &buf[..],
            b"\x00\x03\x00\x0c\x00\x00\x00\x07\x00\x06client\x01\x05\x02xy"
        );
        let decoded = RequestHeader::decode(&mut buf.freeze(), 2).unwrap();
        assert_eq!(decoded, header);
    }

    #[test]
    fn null_client_id_is_minus_one() {
        let header = RequestHeader::default();
        let mut buf = BytesMut::new();
        header.encode(&mut buf, 1).unwrap();
        assert_eq!(&buf[8..], b"\xff\xff");
    }
}
