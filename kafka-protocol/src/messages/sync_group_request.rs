//! SyncGroupRequest: generated from `kafka-protocol/schema/SyncGroupRequest.schema` by `tools/codegen`.
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

/// SyncGroupRequest (API key 14), versions 0-5, flexible from 4.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncGroupRequest {
    /// Versions 0+.
    pub group_id: String,
    /// Versions 0+.
    pub generation_id: i32,
    /// Versions 0+.
    pub member_id: String,
    /// Versions 3+; nullable in 3+; default null.
    pub group_instance_id: Option<String>,
    /// Versions 5+; nullable in 5+; default null.
    pub protocol_type: Option<String>,
    /// Versions 5+; nullable in 5+; default null.
    pub protocol_name: Option<String>,
    /// Versions 0+.
    pub assignments: Vec<SyncGroupRequestAssignment>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for SyncGroupRequest {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            generation_id: 0,
            member_id: String::new(),
            group_instance_id: None,
            protocol_type: None,
            protocol_name: None,
            assignments: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl SyncGroupRequest {
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
        if version >= 5 {
            if version >= 5 {
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
        if version >= 5 {
            if version >= 5 {
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
            wire::write_array_len(buf, Some(self.assignments.len()), flexible)?;
            for el in &self.assignments {
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
        if version >= 5 {
            this.protocol_type = if version >= 5 {
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
        if version >= 5 {
            this.protocol_name = if version >= 5 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "ProtocolName",
                        version,
                    },
                )?)
            };
        }
        this.assignments = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Assignments",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(SyncGroupRequestAssignment::decode_body(buf, version)?);
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
            if version >= 5 {
                if version >= 5 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
            },
            if version >= 5 {
                if version >= 5 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
            },
            proptest::collection::vec(SyncGroupRequestAssignment::strategy(version), 0..3).boxed(),
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7),)| Self {
                group_id: v0,
                generation_id: v1,
                member_id: v2,
                group_instance_id: v3,
                protocol_type: v4,
                protocol_name: v5,
                assignments: v6,
                unknown_tagged_fields: v7,
            })
            .boxed()
    }
}

/// `SyncGroupRequestAssignment`, part of [`SyncGroupRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct SyncGroupRequestAssignment {
    /// Versions 0+.
    pub member_id: String,
    /// Versions 0+.
    pub assignment: Bytes,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for SyncGroupRequestAssignment {
    fn default() -> Self {
        Self {
            member_id: String::new(),
            assignment: Bytes::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl SyncGroupRequestAssignment {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        {
            wire::write_string(buf, &self.member_id, flexible)?;
        }
        {
            buf.write_bytes(&self.assignment, flexible)?;
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
        this.member_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "MemberId",
                version,
            })?;
        this.assignment =
            wire::read_nullable_bytes(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Assignment",
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
        let flexible = version >= 4;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
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
            .prop_map(|((v0, v1, v2),)| Self {
                member_id: v0,
                assignment: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

impl Message for SyncGroupRequest {
    const NAME: &'static str = "SyncGroupRequest";
    const API_KEY: ApiKey = ApiKey::SyncGroup;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 5;

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

impl crate::messages::Request for SyncGroupRequest {
    type Response = crate::messages::SyncGroupResponse;
}
