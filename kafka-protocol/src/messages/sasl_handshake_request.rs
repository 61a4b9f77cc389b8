//! SaslHandshakeRequest: generated from `kafka-protocol/schema/SaslHandshakeRequest.schema` by `tools/codegen`.
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

/// SaslHandshakeRequest (API key 17), versions 0-1.
#[derive(Debug, Clone, PartialEq)]
pub struct SaslHandshakeRequest {
    /// Versions 0+.
    pub mechanism: String,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for SaslHandshakeRequest {
    fn default() -> Self {
        Self {
            mechanism: String::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl SaslHandshakeRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = false;
        {
            wire::write_string(buf, &self.mechanism, flexible)?;
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
        let flexible = false;
        let mut this = Self::default();
        this.mechanism =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Mechanism",
                version,
            })?;
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |_, _| Ok(false))?;
        }
        Ok(this)
    }

    /// A proptest strategy for values that round-trip at `version`.
    #[cfg(test)]
    pub(crate) fn strategy(version: i16) -> proptest::strategy::BoxedStrategy<Self> {
        use proptest::prelude::*;
        let flexible = false;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
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
            .prop_map(|((v0, v1),)| Self {
                mechanism: v0,
                unknown_tagged_fields: v1,
            })
            .boxed()
    }
}

impl Message for SaslHandshakeRequest {
    const NAME: &'static str = "SaslHandshakeRequest";
    const API_KEY: ApiKey = ApiKey::SaslHandshake;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 1;

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

impl crate::messages::Request for SaslHandshakeRequest {
    type Response = crate::messages::SaslHandshakeResponse;
}
