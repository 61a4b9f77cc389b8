//! SaslAuthenticateResponse: generated from `kafka-protocol/schema/SaslAuthenticateResponse.schema` by `tools/codegen`.
//! Do not edit by hand: change the schema and run `cargo run -p kafkito-codegen`.

#![allow(
    unused_imports,
    unused_variables,
    unused_parens,
    unused_comparisons,
    clippy::all
)]

use bytes::{BufMut, Bytes, BytesMut};

use crate::messages::{ApiKey, Message};
use crate::wire::{self, RawTaggedField, Uuid};
use crate::{DecodeError, EncodeError};

/// SaslAuthenticateResponse (API key 36), versions 0-2, flexible from 2.
#[derive(Debug, Clone, PartialEq)]
pub struct SaslAuthenticateResponse {
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+; nullable in 0+.
    pub error_message: Option<String>,
    /// Versions 0+.
    pub auth_bytes: Bytes,
    /// Versions 1+.
    pub session_lifetime_ms: i64,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for SaslAuthenticateResponse {
    fn default() -> Self {
        Self {
            error_code: 0,
            error_message: Some(String::new()),
            auth_bytes: Bytes::new(),
            session_lifetime_ms: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl SaslAuthenticateResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 2;
        {
            buf.put_i16(self.error_code);
        }
        {
            wire::write_nullable_string(
                buf,
                self.error_message.as_ref().map(String::as_str),
                flexible,
            )?;
        }
        {
            buf.write_bytes(&self.auth_bytes, flexible)?;
        }
        if version >= 1 {
            buf.put_i64(self.session_lifetime_ms);
        }
        if flexible {
            wire::write_unsigned_varint(buf, self.unknown_tagged_fields.len() as u32);
            for field in &self.unknown_tagged_fields {
                wire::write_raw_tagged_field(buf, field)?;
            }
        }
        Ok(())
    }

    pub(crate) fn decode_body(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {
        let flexible = version >= 2;
        let mut this = Self::default();
        this.error_code = wire::read_i16(buf)?;
        this.error_message = wire::read_nullable_string(buf, flexible)?;
        this.auth_bytes =
            wire::read_nullable_bytes(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "AuthBytes",
                version,
            })?;
        if version >= 1 {
            this.session_lifetime_ms = wire::read_i64(buf)?;
        }
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |_, _| Ok(false))?;
        }
        Ok(this)
    }

    /// A proptest strategy for values that round-trip at `version`.
    #[cfg(test)]
    pub(crate) fn strategy(version: i16) -> proptest::strategy::BoxedStrategy<Self> {
        use proptest::prelude::*;
        let flexible = version >= 2;
        ((
            any::<i16>().boxed(),
            proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
            proptest::collection::vec(any::<u8>(), 0..24)
                .prop_map(Bytes::from)
                .boxed(),
            if version >= 1 {
                any::<i64>().boxed()
            } else {
                Just(0).boxed()
            },
            if flexible {
                proptest::collection::btree_set(1000u32..1010, 0..2)
                    .prop_map(|tags| {
                        tags.into_iter()
                            .map(|tag| RawTaggedField {
                                tag,
                                data: Bytes::from(vec![tag as u8; 2]),
                            })
                            .collect::<Vec<_>>()
                    })
                    .boxed()
            } else {
                Just(Vec::new()).boxed()
            },
        ),)
            .prop_map(|((v0, v1, v2, v3, v4),)| Self {
                error_code: v0,
                error_message: v1,
                auth_bytes: v2,
                session_lifetime_ms: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

impl Message for SaslAuthenticateResponse {
    const NAME: &'static str = "SaslAuthenticateResponse";
    const API_KEY: ApiKey = ApiKey::SaslAuthenticate;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 2;

    fn encode_to(&self, buf: &mut wire::Encoder<'_>, version: i16) -> Result<(), EncodeError> {
        if !(Self::MIN_VERSION..=Self::MAX_VERSION).contains(&version) {
            return Err(EncodeError::UnsupportedVersion {
                api: Self::NAME,
                version,
                min: Self::MIN_VERSION,
                max: Self::MAX_VERSION,
            });
        }
        self.encode_body(buf, version)
    }

    fn decode(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {
        if !(Self::MIN_VERSION..=Self::MAX_VERSION).contains(&version) {
            return Err(DecodeError::UnsupportedVersion {
                api: Self::NAME,
                version,
                min: Self::MIN_VERSION,
                max: Self::MAX_VERSION,
            });
        }
        Self::decode_body(buf, version)
    }
}
