//! JoinGroupResponse: generated from `kafka-protocol/schema/JoinGroupResponse.schema` by `tools/codegen`.
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

/// JoinGroupResponse (API key 11), versions 0-9, flexible from 6.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinGroupResponse {
    /// Versions 2+.
    pub throttle_time_ms: i32,
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+; default -1.
    pub generation_id: i32,
    /// Versions 7+; nullable in 7+; default null.
    pub protocol_type: Option<String>,
    /// Versions 0+; nullable in 7+.
    pub protocol_name: Option<String>,
    /// Versions 0+.
    pub leader: String,
    /// Versions 9+.
    pub skip_assignment: bool,
    /// Versions 0+.
    pub member_id: String,
    /// Versions 0+.
    pub members: Vec<JoinGroupResponseMember>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for JoinGroupResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            error_code: 0,
            generation_id: -1,
            protocol_type: None,
            protocol_name: Some(String::new()),
            leader: String::new(),
            skip_assignment: false,
            member_id: String::new(),
            members: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl JoinGroupResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        if version >= 2 {
            buf.put_i32(self.throttle_time_ms);
        }
        {
            buf.put_i16(self.error_code);
        }
        {
            buf.put_i32(self.generation_id);
        }
        if version >= 7 {
            if version >= 7 {
                wire::write_nullable_string(
                    buf,
                    self.protocol_type.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self
                    .protocol_type
                    .as_ref()
                    .ok_or(EncodeError::NullNotAllowed {
                        field: "ProtocolType",
                        version,
                    })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        {
            if version >= 7 {
                wire::write_nullable_string(
                    buf,
                    self.protocol_name.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self
                    .protocol_name
                    .as_ref()
                    .ok_or(EncodeError::NullNotAllowed {
                        field: "ProtocolName",
                        version,
                    })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        {
            wire::write_string(buf, &self.leader, flexible)?;
        }
        if version >= 9 {
            wire::write_bool(buf, self.skip_assignment);
        }
        {
            wire::write_string(buf, &self.member_id, flexible)?;
        }
        {
            wire::write_array_len(buf, Some(self.members.len()), flexible)?;
            for el in &self.members {
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
        let flexible = version >= 6;
        let mut this = Self::default();
        if version >= 2 {
            this.throttle_time_ms = wire::read_i32(buf)?;
        }
        this.error_code = wire::read_i16(buf)?;
        this.generation_id = wire::read_i32(buf)?;
        if version >= 7 {
            this.protocol_type = if version >= 7 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "ProtocolType",
                        version,
                    },
                )?)
            };
        }
        this.protocol_name = if version >= 7 {
            wire::read_nullable_string(buf, flexible)?
        } else {
            Some(
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "ProtocolName",
                    version,
                })?,
            )
        };
        this.leader =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Leader",
                version,
            })?;
        if version >= 9 {
            this.skip_assignment = wire::read_bool(buf)?;
        }
        this.member_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "MemberId",
                version,
            })?;
        this.members = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Members",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(JoinGroupResponseMember::decode_body(buf, version)?);
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
        let flexible = version >= 6;
        ((
            if version >= 2 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            any::<i16>().boxed(),
            any::<i32>().boxed(),
            if version >= 7 {
                if version >= 7 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
            },
            if version >= 7 {
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
            } else {
                "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
            },
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            if version >= 9 {
                any::<bool>().boxed()
            } else {
                Just(false).boxed()
            },
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            proptest::collection::vec(JoinGroupResponseMember::strategy(version), 0..3).boxed(),
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9),)| Self {
                throttle_time_ms: v0,
                error_code: v1,
                generation_id: v2,
                protocol_type: v3,
                protocol_name: v4,
                leader: v5,
                skip_assignment: v6,
                member_id: v7,
                members: v8,
                unknown_tagged_fields: v9,
            })
            .boxed()
    }
}

/// `JoinGroupResponseMember`, part of [`JoinGroupResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct JoinGroupResponseMember {
    /// Versions 0+.
    pub member_id: String,
    /// Versions 5+; nullable in 5+; default null.
    pub group_instance_id: Option<String>,
    /// Versions 0+.
    pub metadata: Bytes,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for JoinGroupResponseMember {
    fn default() -> Self {
        Self {
            member_id: String::new(),
            group_instance_id: None,
            metadata: Bytes::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl JoinGroupResponseMember {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        {
            wire::write_string(buf, &self.member_id, flexible)?;
        }
        if version >= 5 {
            if version >= 5 {
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
        {
            buf.write_bytes(&self.metadata, flexible)?;
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
        let flexible = version >= 6;
        let mut this = Self::default();
        this.member_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "MemberId",
                version,
            })?;
        if version >= 5 {
            this.group_instance_id = if version >= 5 {
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
        this.metadata =
            wire::read_nullable_bytes(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Metadata",
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
        let flexible = version >= 6;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            if version >= 5 {
                if version >= 5 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
            },
            proptest::collection::vec(any::<u8>(), 0..24)
                .prop_map(Bytes::from)
                .boxed(),
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
                member_id: v0,
                group_instance_id: v1,
                metadata: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for JoinGroupResponse {
    const NAME: &'static str = "JoinGroupResponse";
    const API_KEY: ApiKey = ApiKey::JoinGroup;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 9;

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
