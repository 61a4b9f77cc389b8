//! ProduceResponse: generated from `kafka-protocol/schema/ProduceResponse.schema` by `tools/codegen`.
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

/// ProduceResponse (API key 0), versions 0-13, flexible from 9.
#[derive(Debug, Clone, PartialEq)]
pub struct ProduceResponse {
    /// Versions 0+.
    pub responses: Vec<TopicProduceResponse>,
    /// Versions 1+.
    pub throttle_time_ms: i32,
    /// Versions 10+; tagged (tag 0) in 10+.
    pub node_endpoints: Vec<NodeEndpoint>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ProduceResponse {
    fn default() -> Self {
        Self {
            responses: Vec::new(),
            throttle_time_ms: 0,
            node_endpoints: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl ProduceResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 9;
        {
            wire::write_array_len(buf, Some(self.responses.len()), flexible)?;
            for el in &self.responses {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        if flexible {
            let write_node_endpoints = (version >= 10) && self.node_endpoints != Vec::new();
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
        let flexible = version >= 9;
        let mut this = Self::default();
        this.responses = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Responses",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(TopicProduceResponse::decode_body(buf, version)?);
            }
            items
        };
        if version >= 1 {
            this.throttle_time_ms = wire::read_i32(buf)?;
        }
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |tag, buf| match tag {
                0 if version >= 10 => {
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
        let flexible = version >= 9;
        ((
            proptest::collection::vec(TopicProduceResponse::strategy(version), 0..3).boxed(),
            if version >= 1 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 10 {
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
            .prop_map(|((v0, v1, v2, v3),)| Self {
                responses: v0,
                throttle_time_ms: v1,
                node_endpoints: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

/// `BatchIndexAndErrorMessage`, part of [`ProduceResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct BatchIndexAndErrorMessage {
    /// Versions 8+.
    pub batch_index: i32,
    /// Versions 8+; nullable in 8+; default null.
    pub batch_index_error_message: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for BatchIndexAndErrorMessage {
    fn default() -> Self {
        Self {
            batch_index: 0,
            batch_index_error_message: None,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl BatchIndexAndErrorMessage {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 9;
        if version >= 8 {
            buf.put_i32(self.batch_index);
        }
        if version >= 8 {
            if version >= 8 {
                wire::write_nullable_string(
                    buf,
                    self.batch_index_error_message.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value =
                    self.batch_index_error_message
                        .as_ref()
                        .ok_or(EncodeError::NullNotAllowed {
                            field: "BatchIndexErrorMessage",
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
        let flexible = version >= 9;
        let mut this = Self::default();
        if version >= 8 {
            this.batch_index = wire::read_i32(buf)?;
        }
        if version >= 8 {
            this.batch_index_error_message = if version >= 8 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "BatchIndexErrorMessage",
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
        let flexible = version >= 9;
        ((
            if version >= 8 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
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
            .prop_map(|((v0, v1, v2),)| Self {
                batch_index: v0,
                batch_index_error_message: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `LeaderIdAndEpoch`, part of [`ProduceResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct LeaderIdAndEpoch {
    /// Versions 10+; default -1.
    pub leader_id: i32,
    /// Versions 10+; default -1.
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
        let flexible = version >= 9;
        if version >= 10 {
            buf.put_i32(self.leader_id);
        }
        if version >= 10 {
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
        let flexible = version >= 9;
        let mut this = Self::default();
        if version >= 10 {
            this.leader_id = wire::read_i32(buf)?;
        }
        if version >= 10 {
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
        let flexible = version >= 9;
        ((
            if version >= 10 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 10 {
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

/// `NodeEndpoint`, part of [`ProduceResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct NodeEndpoint {
    /// Versions 10+.
    pub node_id: i32,
    /// Versions 10+.
    pub host: String,
    /// Versions 10+.
    pub port: i32,
    /// Versions 10+; nullable in 10+; default null.
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
        let flexible = version >= 9;
        if version >= 10 {
            buf.put_i32(self.node_id);
        }
        if version >= 10 {
            wire::write_string(buf, &self.host, flexible)?;
        }
        if version >= 10 {
            buf.put_i32(self.port);
        }
        if version >= 10 {
            if version >= 10 {
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
        let flexible = version >= 9;
        let mut this = Self::default();
        if version >= 10 {
            this.node_id = wire::read_i32(buf)?;
        }
        if version >= 10 {
            this.host =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Host",
                    version,
                })?;
        }
        if version >= 10 {
            this.port = wire::read_i32(buf)?;
        }
        if version >= 10 {
            this.rack = if version >= 10 {
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
        let flexible = version >= 9;
        ((
            if version >= 10 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 10 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 10 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 10 {
                if version >= 10 {
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

/// `PartitionProduceResponse`, part of [`ProduceResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionProduceResponse {
    /// Versions 0+.
    pub index: i32,
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+.
    pub base_offset: i64,
    /// Versions 2+; default -1.
    pub log_append_time_ms: i64,
    /// Versions 5+; default -1.
    pub log_start_offset: i64,
    /// Versions 8+.
    pub record_errors: Vec<BatchIndexAndErrorMessage>,
    /// Versions 8+; nullable in 8+; default null.
    pub error_message: Option<String>,
    /// Versions 10+; tagged (tag 0) in 10+.
    pub current_leader: LeaderIdAndEpoch,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for PartitionProduceResponse {
    fn default() -> Self {
        Self {
            index: 0,
            error_code: 0,
            base_offset: 0,
            log_append_time_ms: -1,
            log_start_offset: -1,
            record_errors: Vec::new(),
            error_message: None,
            current_leader: LeaderIdAndEpoch::default(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl PartitionProduceResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 9;
        {
            buf.put_i32(self.index);
        }
        {
            buf.put_i16(self.error_code);
        }
        {
            buf.put_i64(self.base_offset);
        }
        if version >= 2 {
            buf.put_i64(self.log_append_time_ms);
        }
        if version >= 5 {
            buf.put_i64(self.log_start_offset);
        }
        if version >= 8 {
            wire::write_array_len(buf, Some(self.record_errors.len()), flexible)?;
            for el in &self.record_errors {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 8 {
            if version >= 8 {
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
        if flexible {
            let write_current_leader =
                (version >= 10) && self.current_leader != LeaderIdAndEpoch::default();
            let superseded = |tag: u32| (tag == 0 && write_current_leader);
            let count = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .count() as u32
                + write_current_leader as u32;
            wire::write_unsigned_varint(buf, count);
            let mut unknown = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .peekable();
            while let Some(field) = unknown.next_if(|u| u.tag < 0) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_current_leader {
                wire::write_tagged_field(buf, 0, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    self.current_leader.encode_body(buf, version)?;
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
        let flexible = version >= 9;
        let mut this = Self::default();
        this.index = wire::read_i32(buf)?;
        this.error_code = wire::read_i16(buf)?;
        this.base_offset = wire::read_i64(buf)?;
        if version >= 2 {
            this.log_append_time_ms = wire::read_i64(buf)?;
        }
        if version >= 5 {
            this.log_start_offset = wire::read_i64(buf)?;
        }
        if version >= 8 {
            this.record_errors = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "RecordErrors",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(BatchIndexAndErrorMessage::decode_body(buf, version)?);
                }
                items
            };
        }
        if version >= 8 {
            this.error_message = if version >= 8 {
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
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |tag, buf| match tag {
                0 if version >= 10 => {
                    let value = LeaderIdAndEpoch::decode_body(buf, version)?;
                    if value == LeaderIdAndEpoch::default() {
                        Ok(false)
                    } else {
                        this.current_leader = value;
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
        let flexible = version >= 9;
        ((
            any::<i32>().boxed(),
            any::<i16>().boxed(),
            any::<i64>().boxed(),
            if version >= 2 {
                any::<i64>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 5 {
                any::<i64>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 8 {
                proptest::collection::vec(BatchIndexAndErrorMessage::strategy(version), 0..3)
                    .boxed()
            } else {
                Just(Vec::new()).boxed()
            },
            if version >= 8 {
                if version >= 8 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
            },
            if version >= 10 {
                LeaderIdAndEpoch::strategy(version)
            } else {
                Just(LeaderIdAndEpoch::default()).boxed()
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
                index: v0,
                error_code: v1,
                base_offset: v2,
                log_append_time_ms: v3,
                log_start_offset: v4,
                record_errors: v5,
                error_message: v6,
                current_leader: v7,
                unknown_tagged_fields: v8,
            })
            .boxed()
    }
}

/// `TopicProduceResponse`, part of [`ProduceResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct TopicProduceResponse {
    /// Versions 0-12.
    pub name: String,
    /// Versions 13+.
    pub topic_id: Uuid,
    /// Versions 0+.
    pub partition_responses: Vec<PartitionProduceResponse>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for TopicProduceResponse {
    fn default() -> Self {
        Self {
            name: String::new(),
            topic_id: Uuid::ZERO,
            partition_responses: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl TopicProduceResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 9;
        if version <= 12 {
            wire::write_string(buf, &self.name, flexible)?;
        }
        if version >= 13 {
            wire::write_uuid(buf, &self.topic_id);
        }
        {
            wire::write_array_len(buf, Some(self.partition_responses.len()), flexible)?;
            for el in &self.partition_responses {
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
        let flexible = version >= 9;
        let mut this = Self::default();
        if version <= 12 {
            this.name =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?;
        }
        if version >= 13 {
            this.topic_id = wire::read_uuid(buf)?;
        }
        this.partition_responses = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "PartitionResponses",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(PartitionProduceResponse::decode_body(buf, version)?);
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
        let flexible = version >= 9;
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
            proptest::collection::vec(PartitionProduceResponse::strategy(version), 0..3).boxed(),
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
                partition_responses: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for ProduceResponse {
    const NAME: &'static str = "ProduceResponse";
    const API_KEY: ApiKey = ApiKey::Produce;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 13;

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
