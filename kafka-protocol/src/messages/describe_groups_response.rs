//! DescribeGroupsResponse: generated from `kafka-protocol/schema/DescribeGroupsResponse.schema` by `tools/codegen`.
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

/// DescribeGroupsResponse (API key 15), versions 0-6, flexible from 5.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeGroupsResponse {
    /// Versions 1+.
    pub throttle_time_ms: i32,
    /// Versions 0+.
    pub groups: Vec<DescribedGroup>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribeGroupsResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            groups: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribeGroupsResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 5;
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        {
            wire::write_array_len(buf, Some(self.groups.len()), flexible)?;
            for el in &self.groups {
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
        let flexible = version >= 5;
        let mut this = Self::default();
        if version >= 1 {
            this.throttle_time_ms = wire::read_i32(buf)?;
        }
        this.groups = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Groups",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(DescribedGroup::decode_body(buf, version)?);
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
        let flexible = version >= 5;
        ((
            if version >= 1 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            proptest::collection::vec(DescribedGroup::strategy(version), 0..3).boxed(),
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
                groups: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `DescribedGroup`, part of [`DescribeGroupsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct DescribedGroup {
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 6+; nullable in 6+; default null.
    pub error_message: Option<String>,
    /// Versions 0+.
    pub group_id: String,
    /// Versions 0+.
    pub group_state: String,
    /// Versions 0+.
    pub protocol_type: String,
    /// Versions 0+.
    pub protocol_data: String,
    /// Versions 0+.
    pub members: Vec<DescribedGroupMember>,
    /// Versions 3+; default -2147483648.
    pub authorized_operations: i32,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribedGroup {
    fn default() -> Self {
        Self {
            error_code: 0,
            error_message: None,
            group_id: String::new(),
            group_state: String::new(),
            protocol_type: String::new(),
            protocol_data: String::new(),
            members: Vec::new(),
            authorized_operations: -2147483648,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribedGroup {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 5;
        {
            buf.put_i16(self.error_code);
        }
        if version >= 6 {
            if version >= 6 {
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
        {
            wire::write_string(buf, &self.group_id, flexible)?;
        }
        {
            wire::write_string(buf, &self.group_state, flexible)?;
        }
        {
            wire::write_string(buf, &self.protocol_type, flexible)?;
        }
        {
            wire::write_string(buf, &self.protocol_data, flexible)?;
        }
        {
            wire::write_array_len(buf, Some(self.members.len()), flexible)?;
            for el in &self.members {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 3 {
            buf.put_i32(self.authorized_operations);
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
        let flexible = version >= 5;
        let mut this = Self::default();
        this.error_code = wire::read_i16(buf)?;
        if version >= 6 {
            this.error_message = if version >= 6 {
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
        this.group_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "GroupId",
                version,
            })?;
        this.group_state =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "GroupState",
                version,
            })?;
        this.protocol_type =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ProtocolType",
                version,
            })?;
        this.protocol_data =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ProtocolData",
                version,
            })?;
        this.members = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Members",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(DescribedGroupMember::decode_body(buf, version)?);
            }
            items
        };
        if version >= 3 {
            this.authorized_operations = wire::read_i32(buf)?;
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
        let flexible = version >= 5;
        ((
            any::<i16>().boxed(),
            if version >= 6 {
                if version >= 6 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
            },
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            proptest::collection::vec(DescribedGroupMember::strategy(version), 0..3).boxed(),
            if version >= 3 {
                any::<i32>().boxed()
            } else {
                Just(-2147483648).boxed()
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7, v8),)| Self {
                error_code: v0,
                error_message: v1,
                group_id: v2,
                group_state: v3,
                protocol_type: v4,
                protocol_data: v5,
                members: v6,
                authorized_operations: v7,
                unknown_tagged_fields: v8,
            })
            .boxed()
    }
}

/// `DescribedGroupMember`, part of [`DescribeGroupsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct DescribedGroupMember {
    /// Versions 0+.
    pub member_id: String,
    /// Versions 4+; nullable in 4+; default null.
    pub group_instance_id: Option<String>,
    /// Versions 0+.
    pub client_id: String,
    /// Versions 0+.
    pub client_host: String,
    /// Versions 0+.
    pub member_metadata: Bytes,
    /// Versions 0+.
    pub member_assignment: Bytes,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribedGroupMember {
    fn default() -> Self {
        Self {
            member_id: String::new(),
            group_instance_id: None,
            client_id: String::new(),
            client_host: String::new(),
            member_metadata: Bytes::new(),
            member_assignment: Bytes::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribedGroupMember {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 5;
        {
            wire::write_string(buf, &self.member_id, flexible)?;
        }
        if version >= 4 {
            if version >= 4 {
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
            wire::write_string(buf, &self.client_id, flexible)?;
        }
        {
            wire::write_string(buf, &self.client_host, flexible)?;
        }
        {
            buf.write_bytes(&self.member_metadata, flexible)?;
        }
        {
            buf.write_bytes(&self.member_assignment, flexible)?;
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
        let flexible = version >= 5;
        let mut this = Self::default();
        this.member_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "MemberId",
                version,
            })?;
        if version >= 4 {
            this.group_instance_id = if version >= 4 {
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
        this.client_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ClientId",
                version,
            })?;
        this.client_host =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ClientHost",
                version,
            })?;
        this.member_metadata =
            wire::read_nullable_bytes(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "MemberMetadata",
                version,
            })?;
        this.member_assignment =
            wire::read_nullable_bytes(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "MemberAssignment",
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
        let flexible = version >= 5;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            if version >= 4 {
                if version >= 4 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
            },
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            proptest::collection::vec(any::<u8>(), 0..24)
                .prop_map(Bytes::from)
                .boxed(),
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6),)| Self {
                member_id: v0,
                group_instance_id: v1,
                client_id: v2,
                client_host: v3,
                member_metadata: v4,
                member_assignment: v5,
                unknown_tagged_fields: v6,
            })
            .boxed()
    }
}

impl Message for DescribeGroupsResponse {
    const NAME: &'static str = "DescribeGroupsResponse";
    const API_KEY: ApiKey = ApiKey::DescribeGroups;
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
