//! DeleteTopicsResponse: generated from `kafka-protocol/schema/DeleteTopicsResponse.schema` by `tools/codegen`.
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

/// DeleteTopicsResponse (API key 20), versions 0-6, flexible from 4.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteTopicsResponse {
    /// Versions 1+.
    pub throttle_time_ms: i32,
    /// Versions 0+.
    pub responses: Vec<DeletableTopicResult>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DeleteTopicsResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            responses: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DeleteTopicsResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        {
            wire::write_array_len(buf, Some(self.responses.len()), flexible)?;
            for el in &self.responses {
                (*el).encode_body(buf, version)?;
            }
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
        let flexible = version >= 4;
        let mut this = Self::default();
        if version >= 1 {
            this.throttle_time_ms = wire::read_i32(buf)?;
        }
        this.responses = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Responses",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(DeletableTopicResult::decode_body(buf, version)?);
            }
            items
        };
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |_, _| Ok(false))?;
        }
        Ok(this)
    }

    /// A proptest strategy for values that round-trip at `version`.
    #[cfg(test)]
    pub(crate) fn strategy(version: i16) -> proptest::strategy::BoxedStrategy<Self> {
        use proptest::prelude::*;
        let flexible = version >= 4;
        ((
            if version >= 1 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            proptest::collection::vec(DeletableTopicResult::strategy(version), 0..3).boxed(),
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
            .prop_map(|((v0, v1, v2),)| Self {
                throttle_time_ms: v0,
                responses: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `DeletableTopicResult`, part of [`DeleteTopicsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct DeletableTopicResult {
    /// Versions 0+; nullable in 6+.
    pub name: Option<String>,
    /// Versions 6+.
    pub topic_id: Uuid,
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 5+; nullable in 5+; default null.
    pub error_message: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DeletableTopicResult {
    fn default() -> Self {
        Self {
            name: Some(String::new()),
            topic_id: Uuid::ZERO,
            error_code: 0,
            error_message: None,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DeletableTopicResult {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        {
            if version >= 6 {
                wire::write_nullable_string(buf, self.name.as_ref().map(String::as_str), flexible)?;
            } else {
                let value = self.name.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Name",
                    version,
                })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        if version >= 6 {
            wire::write_uuid(buf, &self.topic_id);
        }
        {
            buf.put_i16(self.error_code);
        }
        if version >= 5 {
            if version >= 5 {
                wire::write_nullable_string(
                    buf,
                    self.error_message.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self
                    .error_message
                    .as_ref()
                    .ok_or(EncodeError::NullNotAllowed {
                        field: "ErrorMessage",
                        version,
                    })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
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
        let flexible = version >= 4;
        let mut this = Self::default();
        this.name = if version >= 6 {
            wire::read_nullable_string(buf, flexible)?
        } else {
            Some(
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?,
            )
        };
        if version >= 6 {
            this.topic_id = wire::read_uuid(buf)?;
        }
        this.error_code = wire::read_i16(buf)?;
        if version >= 5 {
            this.error_message = if version >= 5 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "ErrorMessage",
                        version,
                    },
                )?)
            };
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
        let flexible = version >= 4;
        ((
            if version >= 6 {
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
            } else {
                "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
            },
            if version >= 6 {
                any::<[u8; 16]>().prop_map(Uuid).boxed()
            } else {
                Just(Uuid::ZERO).boxed()
            },
            any::<i16>().boxed(),
            if version >= 5 {
                if version >= 5 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
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
                name: v0,
                topic_id: v1,
                error_code: v2,
                error_message: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

impl Message for DeleteTopicsResponse {
    const NAME: &'static str = "DeleteTopicsResponse";
    const API_KEY: ApiKey = ApiKey::DeleteTopics;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 6;

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
