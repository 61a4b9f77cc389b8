//! FetchResponse: generated from `kafka-protocol/schema/FetchResponse.schema` by `tools/codegen`.
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

/// FetchResponse (API key 1), versions 0-18, flexible from 12.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchResponse {
    /// Versions 1+.
    pub throttle_time_ms: i32,
    /// Versions 7+.
    pub error_code: i16,
    /// Versions 7+.
    pub session_id: i32,
    /// Versions 0+.
    pub responses: Vec<FetchableTopicResponse>,
    /// Versions 16+; tagged (tag 0) in 16+.
    pub node_endpoints: Vec<NodeEndpoint>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for FetchResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            error_code: 0,
            session_id: 0,
            responses: Vec::new(),
            node_endpoints: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl FetchResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        if version >= 7 {
            buf.put_i16(self.error_code);
        }
        if version >= 7 {
            buf.put_i32(self.session_id);
        }
        {
            wire::write_array_len(buf, Some(self.responses.len()), flexible)?;
            for el in &self.responses {
                (*el).encode_body(buf, version)?;
            }
        }
        if flexible {
            let write_node_endpoints = (version >= 16) && self.node_endpoints != Vec::new();
            let superseded = |tag: u32| (tag == 0 && write_node_endpoints);
            let count = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .count() as u32
                + write_node_endpoints as u32;
            wire::write_unsigned_varint(buf, count);
            let mut unknown = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .peekable();
            while let Some(field) = unknown.next_if(|u| u.tag < 0) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_node_endpoints {
                wire::write_tagged_field(buf, 0, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    wire::write_array_len(buf, Some(self.node_endpoints.len()), flexible)?;
                    for el in &self.node_endpoints {
                        (*el).encode_body(buf, version)?;
                    }
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
        if version >= 1 {
            this.throttle_time_ms = wire::read_i32(buf)?;
        }
        if version >= 7 {
            this.error_code = wire::read_i16(buf)?;
        }
        if version >= 7 {
            this.session_id = wire::read_i32(buf)?;
        }
        this.responses = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Responses",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(FetchableTopicResponse::decode_body(buf, version)?);
            }
            items
        };
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |tag, buf| match tag {
                0 if version >= 16 => {
                    let value = {
                        let n = wire::read_array_len(buf, flexible)?.ok_or(
                            DecodeError::UnexpectedNull {
                                field: "NodeEndpoints",
                                version,
                            },
                        )?;
                        let mut items = Vec::with_capacity(wire::initial_capacity(n));
                        for _ in 0..n {
                            items.push(NodeEndpoint::decode_body(buf, version)?);
                        }
                        items
                    };
                    if value == Vec::new() {
                        Ok(false)
                    } else {
                        this.node_endpoints = value;
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
            if version >= 1 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 7 {
                any::<i16>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 7 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            proptest::collection::vec(FetchableTopicResponse::strategy(version), 0..3).boxed(),
            if version >= 16 {
                proptest::collection::vec(NodeEndpoint::strategy(version), 0..3).boxed()
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
            .prop_map(|((v0, v1, v2, v3, v4, v5),)| Self {
                throttle_time_ms: v0,
                error_code: v1,
                session_id: v2,
                responses: v3,
                node_endpoints: v4,
                unknown_tagged_fields: v5,
            })
            .boxed()
    }
}

/// `AbortedTransaction`, part of [`FetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct AbortedTransaction {
    /// Versions 4+.
    pub producer_id: i64,
    /// Versions 4+.
    pub first_offset: i64,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for AbortedTransaction {
    fn default() -> Self {
        Self {
            producer_id: 0,
            first_offset: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl AbortedTransaction {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        if version >= 4 {
            buf.put_i64(self.producer_id);
        }
        if version >= 4 {
            buf.put_i64(self.first_offset);
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
        if version >= 4 {
            this.producer_id = wire::read_i64(buf)?;
        }
        if version >= 4 {
            this.first_offset = wire::read_i64(buf)?;
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
            if version >= 4 {
                any::<i64>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 4 {
                any::<i64>().boxed()
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
            .prop_map(|((v0, v1, v2),)| Self {
                producer_id: v0,
                first_offset: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `EpochEndOffset`, part of [`FetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct EpochEndOffset {
    /// Versions 12+; default -1.
    pub epoch: i32,
    /// Versions 12+; default -1.
    pub end_offset: i64,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for EpochEndOffset {
    fn default() -> Self {
        Self {
            epoch: -1,
            end_offset: -1,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl EpochEndOffset {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        if version >= 12 {
            buf.put_i32(self.epoch);
        }
        if version >= 12 {
            buf.put_i64(self.end_offset);
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
        if version >= 12 {
            this.epoch = wire::read_i32(buf)?;
        }
        if version >= 12 {
            this.end_offset = wire::read_i64(buf)?;
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
            if version >= 12 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 12 {
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
                epoch: v0,
                end_offset: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `FetchableTopicResponse`, part of [`FetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct FetchableTopicResponse {
    /// Versions 0-12.
    pub topic: String,
    /// Versions 13+.
    pub topic_id: Uuid,
    /// Versions 0+.
    pub partitions: Vec<PartitionData>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for FetchableTopicResponse {
    fn default() -> Self {
        Self {
            topic: String::new(),
            topic_id: Uuid::ZERO,
            partitions: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl FetchableTopicResponse {
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
                items.push(PartitionData::decode_body(buf, version)?);
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
            proptest::collection::vec(PartitionData::strategy(version), 0..3).boxed(),
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

/// `LeaderIdAndEpoch`, part of [`FetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderIdAndEpoch {
    /// Versions 12+; default -1.
    pub leader_id: i32,
    /// Versions 12+; default -1.
    pub leader_epoch: i32,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for LeaderIdAndEpoch {
    fn default() -> Self {
        Self {
            leader_id: -1,
            leader_epoch: -1,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl LeaderIdAndEpoch {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        if version >= 12 {
            buf.put_i32(self.leader_id);
        }
        if version >= 12 {
            buf.put_i32(self.leader_epoch);
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
        if version >= 12 {
            this.leader_id = wire::read_i32(buf)?;
        }
        if version >= 12 {
            this.leader_epoch = wire::read_i32(buf)?;
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
            if version >= 12 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 12 {
                any::<i32>().boxed()
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
                leader_id: v0,
                leader_epoch: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `NodeEndpoint`, part of [`FetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct NodeEndpoint {
    /// Versions 16+.
    pub node_id: i32,
    /// Versions 16+.
    pub host: String,
    /// Versions 16+.
    pub port: i32,
    /// Versions 16+; nullable in 16+; default null.
    pub rack: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for NodeEndpoint {
    fn default() -> Self {
        Self {
            node_id: 0,
            host: String::new(),
            port: 0,
            rack: None,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl NodeEndpoint {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        if version >= 16 {
            buf.put_i32(self.node_id);
        }
        if version >= 16 {
            wire::write_string(buf, &self.host, flexible)?;
        }
        if version >= 16 {
            buf.put_i32(self.port);
        }
        if version >= 16 {
            if version >= 16 {
                wire::write_nullable_string(buf, self.rack.as_ref().map(String::as_str), flexible)?;
            } else {
                let value = self.rack.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Rack",
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
        let flexible = version >= 12;
        let mut this = Self::default();
        if version >= 16 {
            this.node_id = wire::read_i32(buf)?;
        }
        if version >= 16 {
            this.host =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Host",
                    version,
                })?;
        }
        if version >= 16 {
            this.port = wire::read_i32(buf)?;
        }
        if version >= 16 {
            this.rack = if version >= 16 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "Rack",
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
        let flexible = version >= 12;
        ((
            if version >= 16 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 16 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 16 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 16 {
                if version >= 16 {
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
                node_id: v0,
                host: v1,
                port: v2,
                rack: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

/// `PartitionData`, part of [`FetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionData {
    /// Versions 0+.
    pub partition_index: i32,
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+.
    pub high_watermark: i64,
    /// Versions 4+; default -1.
    pub last_stable_offset: i64,
    /// Versions 5+; default -1.
    pub log_start_offset: i64,
    /// Versions 12+; tagged (tag 0) in 12+.
    pub diverging_epoch: EpochEndOffset,
    /// Versions 12+; tagged (tag 1) in 12+.
    pub current_leader: LeaderIdAndEpoch,
    /// Versions 12+; tagged (tag 2) in 12+.
    pub snapshot_id: SnapshotId,
    /// Versions 4+; nullable in 4+.
    pub aborted_transactions: Option<Vec<AbortedTransaction>>,
    /// Versions 11+; default -1.
    pub preferred_read_replica: i32,
    /// Versions 0+; nullable in 0+.
    pub records: Option<Bytes>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for PartitionData {
    fn default() -> Self {
        Self {
            partition_index: 0,
            error_code: 0,
            high_watermark: 0,
            last_stable_offset: -1,
            log_start_offset: -1,
            diverging_epoch: EpochEndOffset::default(),
            current_leader: LeaderIdAndEpoch::default(),
            snapshot_id: SnapshotId::default(),
            aborted_transactions: Some(Vec::new()),
            preferred_read_replica: -1,
            records: Some(Bytes::new()),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl PartitionData {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        {
            buf.put_i32(self.partition_index);
        }
        {
            buf.put_i16(self.error_code);
        }
        {
            buf.put_i64(self.high_watermark);
        }
        if version >= 4 {
            buf.put_i64(self.last_stable_offset);
        }
        if version >= 5 {
            buf.put_i64(self.log_start_offset);
        }
        if version >= 4 {
            if version >= 4 {
                match self.aborted_transactions.as_ref() {
                    None => wire::write_array_len(buf, None, flexible)?,
                    Some(value) => {
                        wire::write_array_len(buf, Some((*value).len()), flexible)?;
                        for el in &(*value) {
                            (*el).encode_body(buf, version)?;
                        }
                    }
                }
            } else {
                let value =
                    self.aborted_transactions
                        .as_ref()
                        .ok_or(EncodeError::NullNotAllowed {
                            field: "AbortedTransactions",
                            version,
                        })?;
                wire::write_array_len(buf, Some((*value).len()), flexible)?;
                for el in &(*value) {
                    (*el).encode_body(buf, version)?;
                }
            }
        }
        if version >= 11 {
            buf.put_i32(self.preferred_read_replica);
        }
        {
            buf.write_nullable_bytes(self.records.as_ref(), flexible)?;
        }
        if flexible {
            let write_diverging_epoch =
                (version >= 12) && self.diverging_epoch != EpochEndOffset::default();
            let write_current_leader =
                (version >= 12) && self.current_leader != LeaderIdAndEpoch::default();
            let write_snapshot_id = (version >= 12) && self.snapshot_id != SnapshotId::default();
            let superseded = |tag: u32| {
                (tag == 0 && write_diverging_epoch)
                    || (tag == 1 && write_current_leader)
                    || (tag == 2 && write_snapshot_id)
            };
            let count = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .count() as u32
                + write_diverging_epoch as u32
                + write_current_leader as u32
                + write_snapshot_id as u32;
            wire::write_unsigned_varint(buf, count);
            let mut unknown = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .peekable();
            while let Some(field) = unknown.next_if(|u| u.tag < 0) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_diverging_epoch {
                wire::write_tagged_field(buf, 0, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    self.diverging_epoch.encode_body(buf, version)?;
                    Ok(())
                })?;
            }
            while let Some(field) = unknown.next_if(|u| u.tag < 1) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_current_leader {
                wire::write_tagged_field(buf, 1, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    self.current_leader.encode_body(buf, version)?;
                    Ok(())
                })?;
            }
            while let Some(field) = unknown.next_if(|u| u.tag < 2) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_snapshot_id {
                wire::write_tagged_field(buf, 2, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    self.snapshot_id.encode_body(buf, version)?;
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
        this.partition_index = wire::read_i32(buf)?;
        this.error_code = wire::read_i16(buf)?;
        this.high_watermark = wire::read_i64(buf)?;
        if version >= 4 {
            this.last_stable_offset = wire::read_i64(buf)?;
        }
        if version >= 5 {
            this.log_start_offset = wire::read_i64(buf)?;
        }
        if version >= 4 {
            this.aborted_transactions = if version >= 4 {
                match wire::read_array_len(buf, flexible)? {
                    None => None,
                    Some(n) => Some({
                        let mut items = Vec::with_capacity(wire::initial_capacity(n));
                        for _ in 0..n {
                            items.push(AbortedTransaction::decode_body(buf, version)?);
                        }
                        items
                    }),
                }
            } else {
                Some({
                    let n = wire::read_array_len(buf, flexible)?.ok_or(
                        DecodeError::UnexpectedNull {
                            field: "AbortedTransactions",
                            version,
                        },
                    )?;
                    let mut items = Vec::with_capacity(wire::initial_capacity(n));
                    for _ in 0..n {
                        items.push(AbortedTransaction::decode_body(buf, version)?);
                    }
                    items
                })
            };
        }
        if version >= 11 {
            this.preferred_read_replica = wire::read_i32(buf)?;
        }
        this.records = wire::read_nullable_bytes(buf, flexible)?;
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |tag, buf| match tag {
                0 if version >= 12 => {
                    let value = EpochEndOffset::decode_body(buf, version)?;
                    if value == EpochEndOffset::default() {
                        Ok(false)
                    } else {
                        this.diverging_epoch = value;
                        Ok(true)
                    }
                }
                1 if version >= 12 => {
                    let value = LeaderIdAndEpoch::decode_body(buf, version)?;
                    if value == LeaderIdAndEpoch::default() {
                        Ok(false)
                    } else {
                        this.current_leader = value;
                        Ok(true)
                    }
                }
                2 if version >= 12 => {
                    let value = SnapshotId::decode_body(buf, version)?;
                    if value == SnapshotId::default() {
                        Ok(false)
                    } else {
                        this.snapshot_id = value;
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
                any::<i32>().boxed(),
                any::<i16>().boxed(),
                any::<i64>().boxed(),
                if version >= 4 {
                    any::<i64>().boxed()
                } else {
                    Just(-1).boxed()
                },
                if version >= 5 {
                    any::<i64>().boxed()
                } else {
                    Just(-1).boxed()
                },
                if version >= 12 {
                    EpochEndOffset::strategy(version)
                } else {
                    Just(EpochEndOffset::default()).boxed()
                },
                if version >= 12 {
                    LeaderIdAndEpoch::strategy(version)
                } else {
                    Just(LeaderIdAndEpoch::default()).boxed()
                },
                if version >= 12 {
                    SnapshotId::strategy(version)
                } else {
                    Just(SnapshotId::default()).boxed()
                },
                if version >= 4 {
                    if version >= 4 {
                        proptest::option::of(
                            proptest::collection::vec(AbortedTransaction::strategy(version), 0..3)
                                .boxed(),
                        )
                        .boxed()
                    } else {
                        proptest::collection::vec(AbortedTransaction::strategy(version), 0..3)
                            .boxed()
                            .prop_map(Some)
                            .boxed()
                    }
                } else {
                    Just(Some(Vec::new())).boxed()
                },
                if version >= 11 {
                    any::<i32>().boxed()
                } else {
                    Just(-1).boxed()
                },
            ),
            (
                proptest::option::of(
                    proptest::collection::vec(any::<u8>(), 0..24)
                        .prop_map(Bytes::from)
                        .boxed(),
                )
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
            ),
        )
            .prop_map(
                |((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9), (v10, v11))| Self {
                    partition_index: v0,
                    error_code: v1,
                    high_watermark: v2,
                    last_stable_offset: v3,
                    log_start_offset: v4,
                    diverging_epoch: v5,
                    current_leader: v6,
                    snapshot_id: v7,
                    aborted_transactions: v8,
                    preferred_read_replica: v9,
                    records: v10,
                    unknown_tagged_fields: v11,
                },
            )
            .boxed()
    }
}

/// `SnapshotId`, part of [`FetchResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotId {
    /// Versions 12+; default -1.
    pub end_offset: i64,
    /// Versions 12+; default -1.
    pub epoch: i32,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for SnapshotId {
    fn default() -> Self {
        Self {
            end_offset: -1,
            epoch: -1,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl SnapshotId {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 12;
        if version >= 12 {
            buf.put_i64(self.end_offset);
        }
        if version >= 12 {
            buf.put_i32(self.epoch);
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
        if version >= 12 {
            this.end_offset = wire::read_i64(buf)?;
        }
        if version >= 12 {
            this.epoch = wire::read_i32(buf)?;
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
            if version >= 12 {
                any::<i64>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 12 {
                any::<i32>().boxed()
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
                end_offset: v0,
                epoch: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

impl Message for FetchResponse {
    const NAME: &'static str = "FetchResponse";
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
