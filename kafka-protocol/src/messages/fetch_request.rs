//! FetchRequest: generated from `kafka-protocol/schema/FetchRequest.schema` by `tools/codegen`.
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

/// FetchRequest (API key 1), versions 0-18, flexible from 12.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchRequest {
    /// Versions 12+; nullable in 12+; tagged (tag 0) in 12+; default null.
    pub cluster_id: Option<String>,
    /// Versions 0-14; default -1.
    pub replica_id: i32,
    /// Versions 15+; tagged (tag 1) in 15+.
    pub replica_state: ReplicaState,
    /// Versions 0+.
    pub max_wait_ms: i32,
    /// Versions 0+.
    pub min_bytes: i32,
    /// Versions 3+; default 2147483647.
    pub max_bytes: i32,
    /// Versions 4+.
    pub isolation_level: i8,
    /// Versions 7+.
    pub session_id: i32,
    /// Versions 7+; default -1.
    pub session_epoch: i32,
    /// Versions 0+.
    pub topics: Vec<FetchTopic>,
    /// Versions 7+.
    pub forgotten_topics_data: Vec<ForgottenTopic>,
    /// Versions 11+.
    pub rack_id: String,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for FetchRequest {
    fn default() -> Self {
        Self {
            cluster_id: None,
            replica_id: -1,
            replica_state: ReplicaState::default(),
            max_wait_ms: 0,
            min_bytes: 0,
            max_bytes: 2147483647,
            isolation_level: 0,
            session_id: 0,
            session_epoch: -1,
            topics: Vec::new(),
            forgotten_topics_data: Vec::new(),
            rack_id: String::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl FetchRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        if version <= 14 {
            buf.put_i32(self.replica_id);
        }
        {
            buf.put_i32(self.max_wait_ms);
        }
        {
            buf.put_i32(self.min_bytes);
        }
        if version >= 3 {
            buf.put_i32(self.max_bytes);
        }
        if version >= 4 {
            buf.put_i8(self.isolation_level);
        }
        if version >= 7 {
            buf.put_i32(self.session_id);
        }
        if version >= 7 {
            buf.put_i32(self.session_epoch);
        }
        {
            wire::write_array_len(buf, Some(self.topics.len()), flexible)?;
            for el in &self.topics {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 7 {
            wire::write_array_len(buf, Some(self.forgotten_topics_data.len()), flexible)?;
            for el in &self.forgotten_topics_data {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 11 {
            wire::write_string(buf, &self.rack_id, flexible)?;
        }
        if flexible {
            let write_cluster_id = (version >= 12) && self.cluster_id != None;
            let write_replica_state =
                (version >= 15) && self.replica_state != ReplicaState::default();
            let superseded =
                |tag: u32| (tag == 0 && write_cluster_id) || (tag == 1 && write_replica_state);
            let count = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .count() as u32
                + write_cluster_id as u32
                + write_replica_state as u32;
            wire::write_unsigned_varint(buf, count);
            let mut unknown = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .peekable();
            while let Some(field) = unknown.next_if(|u| u.tag < 0) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_cluster_id {
                wire::write_tagged_field(buf, 0, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    if version >= 12 {
                        wire::write_nullable_string(
                            buf,
                            self.cluster_id.as_ref().map(String::as_str),
                            flexible,
                        )?;
                    } else {
                        let value =
                            self.cluster_id
                                .as_ref()
                                .ok_or(EncodeError::NullNotAllowed {
                                    field: "ClusterId",
                                    version,
                                })?;
                        wire::write_string(buf, &(*value), flexible)?;
                    }
                    Ok(())
                })?;
            }
            while let Some(field) = unknown.next_if(|u| u.tag < 1) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_replica_state {
                wire::write_tagged_field(buf, 1, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    self.replica_state.encode_body(buf, version)?;
                    Ok(())
                })?;
            }
            for field in unknown {
                wire::write_raw_tagged_field(buf, field)?;
            }
        }
        Ok(())
    }

    pub(crate) fn decode_body(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {
        let flexible = version >= 12;
        let mut this = Self::default();
        if version <= 14 {
            this.replica_id = wire::read_i32(buf)?;
        }
        this.max_wait_ms = wire::read_i32(buf)?;
        this.min_bytes = wire::read_i32(buf)?;
        if version >= 3 {
            this.max_bytes = wire::read_i32(buf)?;
        }
        if version >= 4 {
            this.isolation_level = wire::read_i8(buf)?;
        }
        if version >= 7 {
            this.session_id = wire::read_i32(buf)?;
        }
        if version >= 7 {
            this.session_epoch = wire::read_i32(buf)?;
        }
        this.topics = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Topics",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(FetchTopic::decode_body(buf, version)?);
            }
            items
        };
        if version >= 7 {
            this.forgotten_topics_data = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "ForgottenTopicsData",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(ForgottenTopic::decode_body(buf, version)?);
                }
                items
            };
        }
        if version >= 11 {
            this.rack_id =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "RackId",
                    version,
                })?;
        }
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |tag, buf| match tag {
                0 if version >= 12 => {
                    let value = if version >= 12 {
                        wire::read_nullable_string(buf, flexible)?
                    } else {
                        Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                            DecodeError::UnexpectedNull {
                                field: "ClusterId",
                                version,
                            },
                        )?)
                    };
                    if value == None {
                        Ok(false)
                    } else {
                        this.cluster_id = value;
                        Ok(true)
                    }
                }
                1 if version >= 15 => {
                    let value = ReplicaState::decode_body(buf, version)?;
                    if value == ReplicaState::default() {
                        Ok(false)
                    } else {
                        this.replica_state = value;
                        Ok(true)
                    }
                }
                _ => Ok(false),
            })?;
        }
        Ok(this)
    }

    /// A proptest strategy for values that round-trip at `version`.
    #[cfg(test)]
    pub(crate) fn strategy(version: i16) -> proptest::strategy::BoxedStrategy<Self> {
        use proptest::prelude::*;
        let flexible = version >= 12;
        (
            (
                if version >= 12 {
                    if version >= 12 {
                        proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                    } else {
                        "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                    }
                } else {
                    Just(None).boxed()
                },
                if version <= 14 {
                    any::<i32>().boxed()
                } else {
                    Just(-1).boxed()
                },
                if version >= 15 {
                    ReplicaState::strategy(version)
                } else {
                    Just(ReplicaState::default()).boxed()
                },
                any::<i32>().boxed(),
                any::<i32>().boxed(),
                if version >= 3 {
                    any::<i32>().boxed()
                } else {
                    Just(2147483647).boxed()
                },
                if version >= 4 {
                    any::<i8>().boxed()
                } else {
                    Just(0).boxed()
                },
                if version >= 7 {
                    any::<i32>().boxed()
                } else {
                    Just(0).boxed()
                },
                if version >= 7 {
                    any::<i32>().boxed()
                } else {
                    Just(-1).boxed()
                },
                proptest::collection::vec(FetchTopic::strategy(version), 0..3).boxed(),
            ),
            (
                if version >= 7 {
                    proptest::collection::vec(ForgottenTopic::strategy(version), 0..3).boxed()
                } else {
                    Just(Vec::new()).boxed()
                },
                if version >= 11 {
                    "[a-zA-Z0-9._-]{0,12}".boxed()
                } else {
                    Just(String::new()).boxed()
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
            ),
        )
            .prop_map(
                |((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9), (v10, v11, v12))| Self {
                    cluster_id: v0,
                    replica_id: v1,
                    replica_state: v2,
                    max_wait_ms: v3,
                    min_bytes: v4,
                    max_bytes: v5,
                    isolation_level: v6,
                    session_id: v7,
                    session_epoch: v8,
                    topics: v9,
                    forgotten_topics_data: v10,
                    rack_id: v11,
                    unknown_tagged_fields: v12,
                },
            )
            .boxed()
    }
}

/// `FetchPartition`, part of [`FetchRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct FetchPartition {
    /// Versions 0+.
    pub partition: i32,
    /// Versions 9+; default -1.
    pub current_leader_epoch: i32,
    /// Versions 0+.
    pub fetch_offset: i64,
    /// Versions 12+; default -1.
    pub last_fetched_epoch: i32,
    /// Versions 5+; default -1.
    pub log_start_offset: i64,
    /// Versions 0+.
    pub partition_max_bytes: i32,
    /// Versions 17+; tagged (tag 0) in 17+.
    pub replica_directory_id: Uuid,
    /// Versions 18+; tagged (tag 1) in 18+; default 9223372036854775807.
    pub high_watermark: i64,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for FetchPartition {
    fn default() -> Self {
        Self {
            partition: 0,
            current_leader_epoch: -1,
            fetch_offset: 0,
            last_fetched_epoch: -1,
            log_start_offset: -1,
            partition_max_bytes: 0,
            replica_directory_id: Uuid::ZERO,
            high_watermark: 9223372036854775807,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl FetchPartition {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        {
            buf.put_i32(self.partition);
        }
        if version >= 9 {
            buf.put_i32(self.current_leader_epoch);
        }
        {
            buf.put_i64(self.fetch_offset);
        }
        if version >= 12 {
            buf.put_i32(self.last_fetched_epoch);
        }
        if version >= 5 {
            buf.put_i64(self.log_start_offset);
        }
        {
            buf.put_i32(self.partition_max_bytes);
        }
        if flexible {
            let write_replica_directory_id =
                (version >= 17) && self.replica_directory_id != Uuid::ZERO;
            let write_high_watermark =
                (version >= 18) && self.high_watermark != 9223372036854775807;
            let superseded = |tag: u32| {
                (tag == 0 && write_replica_directory_id) || (tag == 1 && write_high_watermark)
            };
            let count = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .count() as u32
                + write_replica_directory_id as u32
                + write_high_watermark as u32;
            wire::write_unsigned_varint(buf, count);
            let mut unknown = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .peekable();
            while let Some(field) = unknown.next_if(|u| u.tag < 0) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_replica_directory_id {
                wire::write_tagged_field(buf, 0, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    wire::write_uuid(buf, &self.replica_directory_id);
                    Ok(())
                })?;
            }
            while let Some(field) = unknown.next_if(|u| u.tag < 1) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_high_watermark {
                wire::write_tagged_field(buf, 1, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    buf.put_i64(self.high_watermark);
                    Ok(())
                })?;
            }
            for field in unknown {
                wire::write_raw_tagged_field(buf, field)?;
            }
        }
        Ok(())
    }

    pub(crate) fn decode_body(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {
        let flexible = version >= 12;
        let mut this = Self::default();
        this.partition = wire::read_i32(buf)?;
        if version >= 9 {
            this.current_leader_epoch = wire::read_i32(buf)?;
        }
        this.fetch_offset = wire::read_i64(buf)?;
        if version >= 12 {
            this.last_fetched_epoch = wire::read_i32(buf)?;
        }
        if version >= 5 {
            this.log_start_offset = wire::read_i64(buf)?;
        }
        this.partition_max_bytes = wire::read_i32(buf)?;
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |tag, buf| match tag {
                0 if version >= 17 => {
                    let value = wire::read_uuid(buf)?;
                    if value == Uuid::ZERO {
                        Ok(false)
                    } else {
                        this.replica_directory_id = value;
                        Ok(true)
                    }
                }
                1 if version >= 18 => {
                    let value = wire::read_i64(buf)?;
                    if value == 9223372036854775807 {
                        Ok(false)
                    } else {
                        this.high_watermark = value;
                        Ok(true)
                    }
                }
                _ => Ok(false),
            })?;
        }
        Ok(this)
    }

    /// A proptest strategy for values that round-trip at `version`.
    #[cfg(test)]
    pub(crate) fn strategy(version: i16) -> proptest::strategy::BoxedStrategy<Self> {
        use proptest::prelude::*;
        let flexible = version >= 12;
        ((
            any::<i32>().boxed(),
            if version >= 9 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            any::<i64>().boxed(),
            if version >= 12 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 5 {
                any::<i64>().boxed()
            } else {
                Just(-1).boxed()
            },
            any::<i32>().boxed(),
            if version >= 17 {
                any::<[u8; 16]>().prop_map(Uuid).boxed()
            } else {
                Just(Uuid::ZERO).boxed()
            },
            if version >= 18 {
                any::<i64>().boxed()
            } else {
                Just(9223372036854775807).boxed()
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
                partition: v0,
                current_leader_epoch: v1,
                fetch_offset: v2,
                last_fetched_epoch: v3,
                log_start_offset: v4,
                partition_max_bytes: v5,
                replica_directory_id: v6,
                high_watermark: v7,
                unknown_tagged_fields: v8,
            })
            .boxed()
    }
}

/// `FetchTopic`, part of [`FetchRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct FetchTopic {
    /// Versions 0-12.
    pub topic: String,
    /// Versions 13+.
    pub topic_id: Uuid,
    /// Versions 0+.
    pub partitions: Vec<FetchPartition>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for FetchTopic {
    fn default() -> Self {
        Self {
            topic: String::new(),
            topic_id: Uuid::ZERO,
            partitions: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl FetchTopic {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        if version <= 12 {
            wire::write_string(buf, &self.topic, flexible)?;
        }
        if version >= 13 {
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
        let flexible = version >= 12;
        let mut this = Self::default();
        if version <= 12 {
            this.topic =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Topic",
                    version,
                })?;
        }
        if version >= 13 {
            this.topic_id = wire::read_uuid(buf)?;
        }
        this.partitions = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Partitions",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(FetchPartition::decode_body(buf, version)?);
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
        let flexible = version >= 12;
        ((
            if version <= 12 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 13 {
                any::<[u8; 16]>().prop_map(Uuid).boxed()
            } else {
                Just(Uuid::ZERO).boxed()
            },
            proptest::collection::vec(FetchPartition::strategy(version), 0..3).boxed(),
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
                topic: v0,
                topic_id: v1,
                partitions: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

/// `ForgottenTopic`, part of [`FetchRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct ForgottenTopic {
    /// Versions 7-12.
    pub topic: String,
    /// Versions 13+.
    pub topic_id: Uuid,
    /// Versions 7+.
    pub partitions: Vec<i32>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ForgottenTopic {
    fn default() -> Self {
        Self {
            topic: String::new(),
            topic_id: Uuid::ZERO,
            partitions: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl ForgottenTopic {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        if (7..=12).contains(&version) {
            wire::write_string(buf, &self.topic, flexible)?;
        }
        if version >= 13 {
            wire::write_uuid(buf, &self.topic_id);
        }
        if version >= 7 {
            wire::write_array_len(buf, Some(self.partitions.len()), flexible)?;
            for el in &self.partitions {
                buf.put_i32(*el);
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
        let flexible = version >= 12;
        let mut this = Self::default();
        if (7..=12).contains(&version) {
            this.topic =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Topic",
                    version,
                })?;
        }
        if version >= 13 {
            this.topic_id = wire::read_uuid(buf)?;
        }
        if version >= 7 {
            this.partitions = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "Partitions",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(wire::read_i32(buf)?);
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
        let flexible = version >= 12;
        ((
            if (7..=12).contains(&version) {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 13 {
                any::<[u8; 16]>().prop_map(Uuid).boxed()
            } else {
                Just(Uuid::ZERO).boxed()
            },
            if version >= 7 {
                proptest::collection::vec(any::<i32>().boxed(), 0..3).boxed()
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
                topic: v0,
                topic_id: v1,
                partitions: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

/// `ReplicaState`, part of [`FetchRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaState {
    /// Versions 15+; default -1.
    pub replica_id: i32,
    /// Versions 15+; default -1.
    pub replica_epoch: i64,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ReplicaState {
    fn default() -> Self {
        Self {
            replica_id: -1,
            replica_epoch: -1,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl ReplicaState {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        if version >= 15 {
            buf.put_i32(self.replica_id);
        }
        if version >= 15 {
            buf.put_i64(self.replica_epoch);
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
        let flexible = version >= 12;
        let mut this = Self::default();
        if version >= 15 {
            this.replica_id = wire::read_i32(buf)?;
        }
        if version >= 15 {
            this.replica_epoch = wire::read_i64(buf)?;
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
        let flexible = version >= 12;
        ((
            if version >= 15 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 15 {
                any::<i64>().boxed()
            } else {
                Just(-1).boxed()
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
                replica_id: v0,
                replica_epoch: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

impl Message for FetchRequest {
    const NAME: &'static str = "FetchRequest";
    const API_KEY: ApiKey = ApiKey::Fetch;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 18;

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

impl crate::messages::Request for FetchRequest {
    type Response = crate::messages::FetchResponse;
}
