//! LeaveGroupRequest: generated from `kafka-protocol/schema/LeaveGroupRequest.schema` by `tools/codegen`.
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

/// LeaveGroupRequest (API key 13), versions 0-5, flexible from 4.
#[derive(Debug, Clone, PartialEq)]
pub struct LeaveGroupRequest {
    /// Versions 0+.
    pub group_id: String,
    /// Versions 0-2.
    pub member_id: String,
    /// Versions 3+.
    pub members: Vec<MemberIdentity>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for LeaveGroupRequest {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            member_id: String::new(),
            members: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl LeaveGroupRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        {
            wire::write_string(buf, &self.group_id, flexible)?;
        }
        if version <= 2 {
            wire::write_string(buf, &self.member_id, flexible)?;
        }
        if version >= 3 {
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
        let flexible = version >= 4;
        let mut this = Self::default();
        this.group_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "GroupId",
                version,
            })?;
        if version <= 2 {
            this.member_id =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "MemberId",
                    version,
                })?;
        }
        if version >= 3 {
            this.members = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "Members",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(MemberIdentity::decode_body(buf, version)?);
                }
                items
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
            if version <= 2 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 3 {
                proptest::collection::vec(MemberIdentity::strategy(version), 0..3).boxed()
            } else {
                Just(Vec::new()).boxed()
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
            .prop_map(|((v0, v1, v2, v3),)| Self {
                group_id: v0,
                member_id: v1,
                members: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

/// `MemberIdentity`, part of [`LeaveGroupRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct MemberIdentity {
    /// Versions 3+.
    pub member_id: String,
    /// Versions 3+; nullable in 3+; default null.
    pub group_instance_id: Option<String>,
    /// Versions 5+; nullable in 5+; default null.
    pub reason: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for MemberIdentity {
    fn default() -> Self {
        Self {
            member_id: String::new(),
            group_instance_id: None,
            reason: None,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl MemberIdentity {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        if version >= 3 {
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
                    self.reason.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self.reason.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Reason",
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
        if version >= 3 {
            this.member_id =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "MemberId",
                    version,
                })?;
        }
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
            this.reason = if version >= 5 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "Reason",
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
            if version >= 3 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
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
                reason: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for LeaveGroupRequest {
    const NAME: &'static str = "LeaveGroupRequest";
    const API_KEY: ApiKey = ApiKey::LeaveGroup;
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

impl crate::messages::Request for LeaveGroupRequest {
    type Response = crate::messages::LeaveGroupResponse;
}
