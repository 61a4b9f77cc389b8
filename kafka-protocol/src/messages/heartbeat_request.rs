//! HeartbeatRequest: generated from `kafka-protocol/schema/HeartbeatRequest.schema` by `tools/codegen`.
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

/// HeartbeatRequest (API key 12), versions 0-4, flexible from 4.
#[derive(Debug, Clone, PartialEq)]
pub struct HeartbeatRequest {
    /// Versions 0+.
    pub group_id: String,
    /// Versions 0+.
    pub generation_id: i32,
    /// Versions 0+.
    pub member_id: String,
    /// Versions 3+; nullable in 3+; default null.
    pub group_instance_id: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for HeartbeatRequest {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            generation_id: 0,
            member_id: String::new(),
            group_instance_id: None,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl HeartbeatRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        {
            wire::write_string(buf, &self.group_id, flexible)?;
        }
        {
            buf.put_i32(self.generation_id);
        }
        {
            wire::write_string(buf, &self.member_id, flexible)?;
        }
        if version >= 3 {
            if version >= 3 {
                wire::write_nullable_string(
                    buf,
                    self.group_instance_id.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self
                    .group_instance_id
                    .as_ref()
                    .ok_or(EncodeError::NullNotAllowed {
                        field: "GroupInstanceId",
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
        this.group_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "GroupId",
                version,
            })?;
        this.generation_id = wire::read_i32(buf)?;
        this.member_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "MemberId",
                version,
            })?;
        if version >= 3 {
            this.group_instance_id = if version >= 3 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "GroupInstanceId",
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
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            any::<i32>().boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            if version >= 3 {
                if version >= 3 {
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
                group_id: v0,
                generation_id: v1,
                member_id: v2,
                group_instance_id: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

impl Message for HeartbeatRequest {
    const NAME: &'static str = "HeartbeatRequest";
    const API_KEY: ApiKey = ApiKey::Heartbeat;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 4;

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

impl crate::messages::Request for HeartbeatRequest {
    type Response = crate::messages::HeartbeatResponse;
}
