//! OffsetFetchResponse: generated from `kafka-protocol/schema/OffsetFetchResponse.schema` by `tools/codegen`.
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

/// OffsetFetchResponse (API key 9), versions 0-10, flexible from 6.
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetFetchResponse {
    /// Versions 3+.
    pub throttle_time_ms: i32,
    /// Versions 0-7.
    pub topics: Vec<OffsetFetchResponseTopic>,
    /// Versions 2-7.
    pub error_code: i16,
    /// Versions 8+.
    pub groups: Vec<OffsetFetchResponseGroup>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetFetchResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            topics: Vec::new(),
            error_code: 0,
            groups: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetFetchResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        if version >= 3 {
            buf.put_i32(self.throttle_time_ms);
        }
        if version <= 7 {
            wire::write_array_len(buf, Some(self.topics.len()), flexible)?;
            for el in &self.topics {
                (*el).encode_body(buf, version)?;
            }
        }
        if (2..=7).contains(&version) {
            buf.put_i16(self.error_code);
        }
        if version >= 8 {
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
        let flexible = version >= 6;
        let mut this = Self::default();
        if version >= 3 {
            this.throttle_time_ms = wire::read_i32(buf)?;
        }
        if version <= 7 {
            this.topics = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "Topics",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(OffsetFetchResponseTopic::decode_body(buf, version)?);
                }
                items
            };
        }
        if (2..=7).contains(&version) {
            this.error_code = wire::read_i16(buf)?;
        }
        if version >= 8 {
            this.groups = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "Groups",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(OffsetFetchResponseGroup::decode_body(buf, version)?);
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
        let flexible = version >= 6;
        ((
            if version >= 3 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version <= 7 {
                proptest::collection::vec(OffsetFetchResponseTopic::strategy(version), 0..3).boxed()
            } else {
                Just(Vec::new()).boxed()
            },
            if (2..=7).contains(&version) {
                any::<i16>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 8 {
                proptest::collection::vec(OffsetFetchResponseGroup::strategy(version), 0..3).boxed()
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
            .prop_map(|((v0, v1, v2, v3, v4),)| Self {
                throttle_time_ms: v0,
                topics: v1,
                error_code: v2,
                groups: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

/// `OffsetFetchResponseGroup`, part of [`OffsetFetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetFetchResponseGroup {
    /// Versions 8+.
    pub group_id: String,
    /// Versions 8+.
    pub topics: Vec<OffsetFetchResponseTopics>,
    /// Versions 8+.
    pub error_code: i16,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetFetchResponseGroup {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            topics: Vec::new(),
            error_code: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetFetchResponseGroup {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        if version >= 8 {
            wire::write_string(buf, &self.group_id, flexible)?;
        }
        if version >= 8 {
            wire::write_array_len(buf, Some(self.topics.len()), flexible)?;
            for el in &self.topics {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 8 {
            buf.put_i16(self.error_code);
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
        if version >= 8 {
            this.group_id =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "GroupId",
                    version,
                })?;
        }
        if version >= 8 {
            this.topics = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "Topics",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(OffsetFetchResponseTopics::decode_body(buf, version)?);
                }
                items
            };
        }
        if version >= 8 {
            this.error_code = wire::read_i16(buf)?;
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
            if version >= 8 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 8 {
                proptest::collection::vec(OffsetFetchResponseTopics::strategy(version), 0..3)
                    .boxed()
            } else {
                Just(Vec::new()).boxed()
            },
            if version >= 8 {
                any::<i16>().boxed()
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
            .prop_map(|((v0, v1, v2, v3),)| Self {
                group_id: v0,
                topics: v1,
                error_code: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

/// `OffsetFetchResponsePartition`, part of [`OffsetFetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetFetchResponsePartition {
    /// Versions 0-7.
    pub partition_index: i32,
    /// Versions 0-7.
    pub committed_offset: i64,
    /// Versions 5-7; default -1.
    pub committed_leader_epoch: i32,
    /// Versions 0-7; nullable in 0-7.
    pub metadata: Option<String>,
    /// Versions 0-7.
    pub error_code: i16,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetFetchResponsePartition {
    fn default() -> Self {
        Self {
            partition_index: 0,
            committed_offset: 0,
            committed_leader_epoch: -1,
            metadata: Some(String::new()),
            error_code: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetFetchResponsePartition {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        if version <= 7 {
            buf.put_i32(self.partition_index);
        }
        if version <= 7 {
            buf.put_i64(self.committed_offset);
        }
        if (5..=7).contains(&version) {
            buf.put_i32(self.committed_leader_epoch);
        }
        if version <= 7 {
            if version <= 7 {
                wire::write_nullable_string(
                    buf,
                    self.metadata.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self.metadata.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Metadata",
                    version,
                })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        if version <= 7 {
            buf.put_i16(self.error_code);
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
        if version <= 7 {
            this.partition_index = wire::read_i32(buf)?;
        }
        if version <= 7 {
            this.committed_offset = wire::read_i64(buf)?;
        }
        if (5..=7).contains(&version) {
            this.committed_leader_epoch = wire::read_i32(buf)?;
        }
        if version <= 7 {
            this.metadata = if version <= 7 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "Metadata",
                        version,
                    },
                )?)
            };
        }
        if version <= 7 {
            this.error_code = wire::read_i16(buf)?;
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
            if version <= 7 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version <= 7 {
                any::<i64>().boxed()
            } else {
                Just(0).boxed()
            },
            if (5..=7).contains(&version) {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version <= 7 {
                if version <= 7 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(Some(String::new())).boxed()
            },
            if version <= 7 {
                any::<i16>().boxed()
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
            .prop_map(|((v0, v1, v2, v3, v4, v5),)| Self {
                partition_index: v0,
                committed_offset: v1,
                committed_leader_epoch: v2,
                metadata: v3,
                error_code: v4,
                unknown_tagged_fields: v5,
            })
            .boxed()
    }
}

/// `OffsetFetchResponsePartitions`, part of [`OffsetFetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetFetchResponsePartitions {
    /// Versions 8+.
    pub partition_index: i32,
    /// Versions 8+.
    pub committed_offset: i64,
    /// Versions 8+; default -1.
    pub committed_leader_epoch: i32,
    /// Versions 8+; nullable in 8+.
    pub metadata: Option<String>,
    /// Versions 8+.
    pub error_code: i16,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetFetchResponsePartitions {
    fn default() -> Self {
        Self {
            partition_index: 0,
            committed_offset: 0,
            committed_leader_epoch: -1,
            metadata: Some(String::new()),
            error_code: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetFetchResponsePartitions {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        if version >= 8 {
            buf.put_i32(self.partition_index);
        }
        if version >= 8 {
            buf.put_i64(self.committed_offset);
        }
        if version >= 8 {
            buf.put_i32(self.committed_leader_epoch);
        }
        if version >= 8 {
            if version >= 8 {
                wire::write_nullable_string(
                    buf,
                    self.metadata.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self.metadata.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Metadata",
                    version,
                })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        if version >= 8 {
            buf.put_i16(self.error_code);
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
        if version >= 8 {
            this.partition_index = wire::read_i32(buf)?;
        }
        if version >= 8 {
            this.committed_offset = wire::read_i64(buf)?;
        }
        if version >= 8 {
            this.committed_leader_epoch = wire::read_i32(buf)?;
        }
        if version >= 8 {
            this.metadata = if version >= 8 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "Metadata",
                        version,
                    },
                )?)
            };
        }
        if version >= 8 {
            this.error_code = wire::read_i16(buf)?;
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
            if version >= 8 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 8 {
                any::<i64>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 8 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 8 {
                if version >= 8 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(Some(String::new())).boxed()
            },
            if version >= 8 {
                any::<i16>().boxed()
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
            .prop_map(|((v0, v1, v2, v3, v4, v5),)| Self {
                partition_index: v0,
                committed_offset: v1,
                committed_leader_epoch: v2,
                metadata: v3,
                error_code: v4,
                unknown_tagged_fields: v5,
            })
            .boxed()
    }
}

/// `OffsetFetchResponseTopic`, part of [`OffsetFetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetFetchResponseTopic {
    /// Versions 0-7.
    pub name: String,
    /// Versions 0-7.
    pub partitions: Vec<OffsetFetchResponsePartition>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetFetchResponseTopic {
    fn default() -> Self {
        Self {
            name: String::new(),
            partitions: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetFetchResponseTopic {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        if version <= 7 {
            wire::write_string(buf, &self.name, flexible)?;
        }
        if version <= 7 {
            wire::write_array_len(buf, Some(self.partitions.len()), flexible)?;
            for el in &self.partitions {
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
        if version <= 7 {
            this.name =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?;
        }
        if version <= 7 {
            this.partitions = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "Partitions",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(OffsetFetchResponsePartition::decode_body(buf, version)?);
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
        let flexible = version >= 6;
        ((
            if version <= 7 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version <= 7 {
                proptest::collection::vec(OffsetFetchResponsePartition::strategy(version), 0..3)
                    .boxed()
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
            .prop_map(|((v0, v1, v2),)| Self {
                name: v0,
                partitions: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `OffsetFetchResponseTopics`, part of [`OffsetFetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetFetchResponseTopics {
    /// Versions 8-9.
    pub name: String,
    /// Versions 10+.
    pub topic_id: Uuid,
    /// Versions 8+.
    pub partitions: Vec<OffsetFetchResponsePartitions>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetFetchResponseTopics {
    fn default() -> Self {
        Self {
            name: String::new(),
            topic_id: Uuid::ZERO,
            partitions: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetFetchResponseTopics {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        if (8..=9).contains(&version) {
            wire::write_string(buf, &self.name, flexible)?;
        }
        if version >= 10 {
            wire::write_uuid(buf, &self.topic_id);
        }
        if version >= 8 {
            wire::write_array_len(buf, Some(self.partitions.len()), flexible)?;
            for el in &self.partitions {
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
        if (8..=9).contains(&version) {
            this.name =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?;
        }
        if version >= 10 {
            this.topic_id = wire::read_uuid(buf)?;
        }
        if version >= 8 {
            this.partitions = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "Partitions",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(OffsetFetchResponsePartitions::decode_body(buf, version)?);
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
        let flexible = version >= 6;
        ((
            if (8..=9).contains(&version) {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 10 {
                any::<[u8; 16]>().prop_map(Uuid).boxed()
            } else {
                Just(Uuid::ZERO).boxed()
            },
            if version >= 8 {
                proptest::collection::vec(OffsetFetchResponsePartitions::strategy(version), 0..3)
                    .boxed()
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
                name: v0,
                topic_id: v1,
                partitions: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for OffsetFetchResponse {
    const NAME: &'static str = "OffsetFetchResponse";
    const API_KEY: ApiKey = ApiKey::OffsetFetch;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 10;

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
