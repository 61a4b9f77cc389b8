//! OffsetCommitRequest: generated from `kafka-protocol/schema/OffsetCommitRequest.schema` by `tools/codegen`.
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

/// OffsetCommitRequest (API key 8), versions 0-10, flexible from 8.
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetCommitRequest {
    /// Versions 0+.
    pub group_id: String,
    /// Versions 1+; default -1.
    pub generation_id_or_member_epoch: i32,
    /// Versions 1+.
    pub member_id: String,
    /// Versions 7+; nullable in 7+; default null.
    pub group_instance_id: Option<String>,
    /// Versions 2-4; default -1.
    pub retention_time_ms: i64,
    /// Versions 0+.
    pub topics: Vec<OffsetCommitRequestTopic>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetCommitRequest {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            generation_id_or_member_epoch: -1,
            member_id: String::new(),
            group_instance_id: None,
            retention_time_ms: -1,
            topics: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetCommitRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 8;
        {
            wire::write_string(buf, &self.group_id, flexible)?;
        }
        if version >= 1 {
            buf.put_i32(self.generation_id_or_member_epoch);
        }
        if version >= 1 {
            wire::write_string(buf, &self.member_id, flexible)?;
        }
        if version >= 7 {
            if version >= 7 {
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
        if (2..=4).contains(&version) {
            buf.put_i64(self.retention_time_ms);
        }
        {
            wire::write_array_len(buf, Some(self.topics.len()), flexible)?;
            for el in &self.topics {
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
        let flexible = version >= 8;
        let mut this = Self::default();
        this.group_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "GroupId",
                version,
            })?;
        if version >= 1 {
            this.generation_id_or_member_epoch = wire::read_i32(buf)?;
        }
        if version >= 1 {
            this.member_id =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "MemberId",
                    version,
                })?;
        }
        if version >= 7 {
            this.group_instance_id = if version >= 7 {
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
        if (2..=4).contains(&version) {
            this.retention_time_ms = wire::read_i64(buf)?;
        }
        this.topics = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Topics",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(OffsetCommitRequestTopic::decode_body(buf, version)?);
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
        let flexible = version >= 8;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            if version >= 1 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 1 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 7 {
                if version >= 7 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
            },
            if (2..=4).contains(&version) {
                any::<i64>().boxed()
            } else {
                Just(-1).boxed()
            },
            proptest::collection::vec(OffsetCommitRequestTopic::strategy(version), 0..3).boxed(),
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
                group_id: v0,
                generation_id_or_member_epoch: v1,
                member_id: v2,
                group_instance_id: v3,
                retention_time_ms: v4,
                topics: v5,
                unknown_tagged_fields: v6,
            })
            .boxed()
    }
}

/// `OffsetCommitRequestPartition`, part of [`OffsetCommitRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetCommitRequestPartition {
    /// Versions 0+.
    pub partition_index: i32,
    /// Versions 0+.
    pub committed_offset: i64,
    /// Versions 6+; default -1.
    pub committed_leader_epoch: i32,
    /// Versions 1; default -1.
    pub commit_timestamp: i64,
    /// Versions 0+; nullable in 0+.
    pub committed_metadata: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetCommitRequestPartition {
    fn default() -> Self {
        Self {
            partition_index: 0,
            committed_offset: 0,
            committed_leader_epoch: -1,
            commit_timestamp: -1,
            committed_metadata: Some(String::new()),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetCommitRequestPartition {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 8;
        {
            buf.put_i32(self.partition_index);
        }
        {
            buf.put_i64(self.committed_offset);
        }
        if version >= 6 {
            buf.put_i32(self.committed_leader_epoch);
        }
        if version == 1 {
            buf.put_i64(self.commit_timestamp);
        }
        {
            wire::write_nullable_string(
                buf,
                self.committed_metadata.as_ref().map(String::as_str),
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
        let flexible = version >= 8;
        let mut this = Self::default();
        this.partition_index = wire::read_i32(buf)?;
        this.committed_offset = wire::read_i64(buf)?;
        if version >= 6 {
            this.committed_leader_epoch = wire::read_i32(buf)?;
        }
        if version == 1 {
            this.commit_timestamp = wire::read_i64(buf)?;
        }
        this.committed_metadata = wire::read_nullable_string(buf, flexible)?;
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |_, _| Ok(false))?;
        }
        Ok(this)
    }

    /// A proptest strategy for values that round-trip at `version`.
    #[cfg(test)]
    pub(crate) fn strategy(version: i16) -> proptest::strategy::BoxedStrategy<Self> {
        use proptest::prelude::*;
        let flexible = version >= 8;
        ((
            any::<i32>().boxed(),
            any::<i64>().boxed(),
            if version >= 6 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version == 1 {
                any::<i64>().boxed()
            } else {
                Just(-1).boxed()
            },
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
            .prop_map(|((v0, v1, v2, v3, v4, v5),)| Self {
                partition_index: v0,
                committed_offset: v1,
                committed_leader_epoch: v2,
                commit_timestamp: v3,
                committed_metadata: v4,
                unknown_tagged_fields: v5,
            })
            .boxed()
    }
}

/// `OffsetCommitRequestTopic`, part of [`OffsetCommitRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetCommitRequestTopic {
    /// Versions 0-9.
    pub name: String,
    /// Versions 10+.
    pub topic_id: Uuid,
    /// Versions 0+.
    pub partitions: Vec<OffsetCommitRequestPartition>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetCommitRequestTopic {
    fn default() -> Self {
        Self {
            name: String::new(),
            topic_id: Uuid::ZERO,
            partitions: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetCommitRequestTopic {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 8;
        if version <= 9 {
            wire::write_string(buf, &self.name, flexible)?;
        }
        if version >= 10 {
            wire::write_uuid(buf, &self.topic_id);
        }
        {
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
        let flexible = version >= 8;
        let mut this = Self::default();
        if version <= 9 {
            this.name =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?;
        }
        if version >= 10 {
            this.topic_id = wire::read_uuid(buf)?;
        }
        this.partitions = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Partitions",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(OffsetCommitRequestPartition::decode_body(buf, version)?);
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
        let flexible = version >= 8;
        ((
            if version <= 9 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 10 {
                any::<[u8; 16]>().prop_map(Uuid).boxed()
            } else {
                Just(Uuid::ZERO).boxed()
            },
            proptest::collection::vec(OffsetCommitRequestPartition::strategy(version), 0..3)
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
                name: v0,
                topic_id: v1,
                partitions: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for OffsetCommitRequest {
    const NAME: &'static str = "OffsetCommitRequest";
    const API_KEY: ApiKey = ApiKey::OffsetCommit;
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

impl crate::messages::Request for OffsetCommitRequest {
    type Response = crate::messages::OffsetCommitResponse;
}
