//! JoinGroupRequest: generated from `kafka-protocol/schema/JoinGroupRequest.schema` by `tools/codegen`.
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

/// JoinGroupRequest (API key 11), versions 0-9, flexible from 6.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinGroupRequest {
    /// Versions 0+.
    pub group_id: String,
    /// Versions 0+.
    pub session_timeout_ms: i32,
    /// Versions 1+; default -1.
    pub rebalance_timeout_ms: i32,
    /// Versions 0+.
    pub member_id: String,
    /// Versions 5+; nullable in 5+; default null.
    pub group_instance_id: Option<String>,
    /// Versions 0+.
    pub protocol_type: String,
    /// Versions 0+.
    pub protocols: Vec<JoinGroupRequestProtocol>,
    /// Versions 8+; nullable in 8+; default null.
    pub reason: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for JoinGroupRequest {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            session_timeout_ms: 0,
            rebalance_timeout_ms: -1,
            member_id: String::new(),
            group_instance_id: None,
            protocol_type: String::new(),
            protocols: Vec::new(),
            reason: None,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl JoinGroupRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        {
            wire::write_string(buf, &self.group_id, flexible)?;
        }
        {
            buf.put_i32(self.session_timeout_ms);
        }
        if version >= 1 {
            buf.put_i32(self.rebalance_timeout_ms);
        }
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
            wire::write_string(buf, &self.protocol_type, flexible)?;
        }
        {
            wire::write_array_len(buf, Some(self.protocols.len()), flexible)?;
            for el in &self.protocols {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 8 {
            if version >= 8 {
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
        let flexible = version >= 6;
        let mut this = Self::default();
        this.group_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "GroupId",
                version,
            })?;
        this.session_timeout_ms = wire::read_i32(buf)?;
        if version >= 1 {
            this.rebalance_timeout_ms = wire::read_i32(buf)?;
        }
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
        this.protocol_type =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ProtocolType",
                version,
            })?;
        this.protocols = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Protocols",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(JoinGroupRequestProtocol::decode_body(buf, version)?);
            }
            items
        };
        if version >= 8 {
            this.reason = if version >= 8 {
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
        let flexible = version >= 6;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            any::<i32>().boxed(),
            if version >= 1 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
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
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            proptest::collection::vec(JoinGroupRequestProtocol::strategy(version), 0..3).boxed(),
            if version >= 8 {
                if version >= 8 {
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7, v8),)| Self {
                group_id: v0,
                session_timeout_ms: v1,
                rebalance_timeout_ms: v2,
                member_id: v3,
                group_instance_id: v4,
                protocol_type: v5,
                protocols: v6,
                reason: v7,
                unknown_tagged_fields: v8,
            })
            .boxed()
    }
}

/// `JoinGroupRequestProtocol`, part of [`JoinGroupRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct JoinGroupRequestProtocol {
    /// Versions 0+.
    pub name: String,
    /// Versions 0+.
    pub metadata: Bytes,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for JoinGroupRequestProtocol {
    fn default() -> Self {
        Self {
            name: String::new(),
            metadata: Bytes::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl JoinGroupRequestProtocol {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        {
            wire::write_string(buf, &self.name, flexible)?;
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
        this.name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Name",
                version,
            })?;
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
                name: v0,
                metadata: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

impl Message for JoinGroupRequest {
    const NAME: &'static str = "JoinGroupRequest";
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

impl crate::messages::Request for JoinGroupRequest {
    type Response = crate::messages::JoinGroupResponse;
}
