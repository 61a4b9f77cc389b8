//! CreatePartitionsResponse: generated from `kafka-protocol/schema/CreatePartitionsResponse.schema` by `tools/codegen`.
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

/// CreatePartitionsResponse (API key 37), versions 0-3, flexible from 2.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePartitionsResponse {
    /// Versions 0+.
    pub throttle_time_ms: i32,
    /// Versions 0+.
    pub results: Vec<CreatePartitionsTopicResult>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for CreatePartitionsResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            results: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl CreatePartitionsResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 2;
        {
            buf.put_i32(self.throttle_time_ms);
        }
        {
            wire::write_array_len(buf, Some(self.results.len()), flexible)?;
            for el in &self.results {
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
        let flexible = version >= 2;
        let mut this = Self::default();
        this.throttle_time_ms = wire::read_i32(buf)?;
        this.results = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Results",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(CreatePartitionsTopicResult::decode_body(buf, version)?);
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
        let flexible = version >= 2;
        ((
            any::<i32>().boxed(),
            proptest::collection::vec(CreatePartitionsTopicResult::strategy(version), 0..3).boxed(),
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
                results: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `CreatePartitionsTopicResult`, part of [`CreatePartitionsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePartitionsTopicResult {
    /// Versions 0+.
    pub name: String,
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+; nullable in 0+; default null.
    pub error_message: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for CreatePartitionsTopicResult {
    fn default() -> Self {
        Self {
            name: String::new(),
            error_code: 0,
            error_message: None,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl CreatePartitionsTopicResult {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 2;
        {
            wire::write_string(buf, &self.name, flexible)?;
        }
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
        this.name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Name",
                version,
            })?;
        this.error_code = wire::read_i16(buf)?;
        this.error_message = wire::read_nullable_string(buf, flexible)?;
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
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            any::<i16>().boxed(),
            proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
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
            .prop_map(|((v0, v1, v2, v3),)| Self {
                name: v0,
                error_code: v1,
                error_message: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for CreatePartitionsResponse {
    const NAME: &'static str = "CreatePartitionsResponse";
    const API_KEY: ApiKey = ApiKey::CreatePartitions;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 3;

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
