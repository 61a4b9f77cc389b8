//! MetadataResponse: generated from `kafka-protocol/schema/MetadataResponse.schema` by `tools/codegen`.
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

/// MetadataResponse (API key 3), versions 0-13, flexible from 9.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataResponse {
    /// Versions 3+.
    pub throttle_time_ms: i32,
    /// Versions 0+.
    pub brokers: Vec<MetadataResponseBroker>,
    /// Versions 2+; nullable in 2+; default null.
    pub cluster_id: Option<String>,
    /// Versions 1+; default -1.
    pub controller_id: i32,
    /// Versions 0+.
    pub topics: Vec<MetadataResponseTopic>,
    /// Versions 8-10; default -2147483648.
    pub cluster_authorized_operations: i32,
    /// Versions 13+.
    pub error_code: i16,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for MetadataResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            brokers: Vec::new(),
            cluster_id: None,
            controller_id: -1,
            topics: Vec::new(),
            cluster_authorized_operations: -2147483648,
            error_code: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl MetadataResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 9;
        if version >= 3 {
            buf.put_i32(self.throttle_time_ms);
        }
        {
            wire::write_array_len(buf, Some(self.brokers.len()), flexible)?;
            for el in &self.brokers {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 2 {
            if version >= 2 {
                wire::write_nullable_string(
                    buf,
                    self.cluster_id.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self
                    .cluster_id
                    .as_ref()
                    .ok_or(EncodeError::NullNotAllowed {
                        field: "ClusterId",
                        version,
                    })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        if version >= 1 {
            buf.put_i32(self.controller_id);
        }
        {
            wire::write_array_len(buf, Some(self.topics.len()), flexible)?;
            for el in &self.topics {
                (*el).encode_body(buf, version)?;
            }
        }
        if (8..=10).contains(&version) {
            buf.put_i32(self.cluster_authorized_operations);
        }
        if version >= 13 {
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
        let flexible = version >= 9;
        let mut this = Self::default();
        if version >= 3 {
            this.throttle_time_ms = wire::read_i32(buf)?;
        }
        this.brokers = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Brokers",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(MetadataResponseBroker::decode_body(buf, version)?);
            }
            items
        };
        if version >= 2 {
            this.cluster_id = if version >= 2 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "ClusterId",
                        version,
                    },
                )?)
            };
        }
        if version >= 1 {
            this.controller_id = wire::read_i32(buf)?;
        }
        this.topics = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Topics",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(MetadataResponseTopic::decode_body(buf, version)?);
            }
            items
        };
        if (8..=10).contains(&version) {
            this.cluster_authorized_operations = wire::read_i32(buf)?;
        }
        if version >= 13 {
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
        let flexible = version >= 9;
        ((
            if version >= 3 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            proptest::collection::vec(MetadataResponseBroker::strategy(version), 0..3).boxed(),
            if version >= 2 {
                if version >= 2 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
            },
            if version >= 1 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            proptest::collection::vec(MetadataResponseTopic::strategy(version), 0..3).boxed(),
            if (8..=10).contains(&version) {
                any::<i32>().boxed()
            } else {
                Just(-2147483648).boxed()
            },
            if version >= 13 {
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7),)| Self {
                throttle_time_ms: v0,
                brokers: v1,
                cluster_id: v2,
                controller_id: v3,
                topics: v4,
                cluster_authorized_operations: v5,
                error_code: v6,
                unknown_tagged_fields: v7,
            })
            .boxed()
    }
}

/// `MetadataResponseBroker`, part of [`MetadataResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataResponseBroker {
    /// Versions 0+.
    pub node_id: i32,
    /// Versions 0+.
    pub host: String,
    /// Versions 0+.
    pub port: i32,
    /// Versions 1+; nullable in 1+; default null.
    pub rack: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for MetadataResponseBroker {
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

impl MetadataResponseBroker {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 9;
        {
            buf.put_i32(self.node_id);
        }
        {
            wire::write_string(buf, &self.host, flexible)?;
        }
        {
            buf.put_i32(self.port);
        }
        if version >= 1 {
            if version >= 1 {
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
        this.node_id = wire::read_i32(buf)?;
        this.host =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Host",
                version,
            })?;
        this.port = wire::read_i32(buf)?;
        if version >= 1 {
            this.rack = if version >= 1 {
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
            any::<i32>().boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            any::<i32>().boxed(),
            if version >= 1 {
                if version >= 1 {
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

/// `MetadataResponsePartition`, part of [`MetadataResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataResponsePartition {
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+.
    pub partition_index: i32,
    /// Versions 0+.
    pub leader_id: i32,
    /// Versions 7+; default -1.
    pub leader_epoch: i32,
    /// Versions 0+.
    pub replica_nodes: Vec<i32>,
    /// Versions 0+.
    pub isr_nodes: Vec<i32>,
    /// Versions 5+.
    pub offline_replicas: Vec<i32>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for MetadataResponsePartition {
    fn default() -> Self {
        Self {
            error_code: 0,
            partition_index: 0,
            leader_id: 0,
            leader_epoch: -1,
            replica_nodes: Vec::new(),
            isr_nodes: Vec::new(),
            offline_replicas: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl MetadataResponsePartition {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 9;
        {
            buf.put_i16(self.error_code);
        }
        {
            buf.put_i32(self.partition_index);
        }
        {
            buf.put_i32(self.leader_id);
        }
        if version >= 7 {
            buf.put_i32(self.leader_epoch);
        }
        {
            wire::write_array_len(buf, Some(self.replica_nodes.len()), flexible)?;
            for el in &self.replica_nodes {
                buf.put_i32(*el);
            }
        }
        {
            wire::write_array_len(buf, Some(self.isr_nodes.len()), flexible)?;
            for el in &self.isr_nodes {
                buf.put_i32(*el);
            }
        }
        if version >= 5 {
            wire::write_array_len(buf, Some(self.offline_replicas.len()), flexible)?;
            for el in &self.offline_replicas {
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
        let flexible = version >= 9;
        let mut this = Self::default();
        this.error_code = wire::read_i16(buf)?;
        this.partition_index = wire::read_i32(buf)?;
        this.leader_id = wire::read_i32(buf)?;
        if version >= 7 {
            this.leader_epoch = wire::read_i32(buf)?;
        }
        this.replica_nodes = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ReplicaNodes",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(wire::read_i32(buf)?);
            }
            items
        };
        this.isr_nodes = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "IsrNodes",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(wire::read_i32(buf)?);
            }
            items
        };
        if version >= 5 {
            this.offline_replicas = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "OfflineReplicas",
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
        let flexible = version >= 9;
        ((
            any::<i16>().boxed(),
            any::<i32>().boxed(),
            any::<i32>().boxed(),
            if version >= 7 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            proptest::collection::vec(any::<i32>().boxed(), 0..3).boxed(),
            proptest::collection::vec(any::<i32>().boxed(), 0..3).boxed(),
            if version >= 5 {
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7),)| Self {
                error_code: v0,
                partition_index: v1,
                leader_id: v2,
                leader_epoch: v3,
                replica_nodes: v4,
                isr_nodes: v5,
                offline_replicas: v6,
                unknown_tagged_fields: v7,
            })
            .boxed()
    }
}

/// `MetadataResponseTopic`, part of [`MetadataResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataResponseTopic {
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+; nullable in 12+.
    pub name: Option<String>,
    /// Versions 10+.
    pub topic_id: Uuid,
    /// Versions 1+.
    pub is_internal: bool,
    /// Versions 0+.
    pub partitions: Vec<MetadataResponsePartition>,
    /// Versions 8+; default -2147483648.
    pub topic_authorized_operations: i32,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for MetadataResponseTopic {
    fn default() -> Self {
        Self {
            error_code: 0,
            name: Some(String::new()),
            topic_id: Uuid::ZERO,
            is_internal: false,
            partitions: Vec::new(),
            topic_authorized_operations: -2147483648,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl MetadataResponseTopic {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 9;
        {
            buf.put_i16(self.error_code);
        }
        {
            if version >= 12 {
                wire::write_nullable_string(buf, self.name.as_ref().map(String::as_str), flexible)?;
            } else {
                let value = self.name.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Name",
                    version,
                })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        if version >= 10 {
            wire::write_uuid(buf, &self.topic_id);
        }
        if version >= 1 {
            wire::write_bool(buf, self.is_internal);
        }
        {
            wire::write_array_len(buf, Some(self.partitions.len()), flexible)?;
            for el in &self.partitions {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 8 {
            buf.put_i32(self.topic_authorized_operations);
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
        this.error_code = wire::read_i16(buf)?;
        this.name = if version >= 12 {
            wire::read_nullable_string(buf, flexible)?
        } else {
            Some(
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?,
            )
        };
        if version >= 10 {
            this.topic_id = wire::read_uuid(buf)?;
        }
        if version >= 1 {
            this.is_internal = wire::read_bool(buf)?;
        }
        this.partitions = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Partitions",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(MetadataResponsePartition::decode_body(buf, version)?);
            }
            items
        };
        if version >= 8 {
            this.topic_authorized_operations = wire::read_i32(buf)?;
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
            any::<i16>().boxed(),
            if version >= 12 {
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
            } else {
                "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
            },
            if version >= 10 {
                any::<[u8; 16]>().prop_map(Uuid).boxed()
            } else {
                Just(Uuid::ZERO).boxed()
            },
            if version >= 1 {
                any::<bool>().boxed()
            } else {
                Just(false).boxed()
            },
            proptest::collection::vec(MetadataResponsePartition::strategy(version), 0..3).boxed(),
            if version >= 8 {
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6),)| Self {
                error_code: v0,
                name: v1,
                topic_id: v2,
                is_internal: v3,
                partitions: v4,
                topic_authorized_operations: v5,
                unknown_tagged_fields: v6,
            })
            .boxed()
    }
}

impl Message for MetadataResponse {
    const NAME: &'static str = "MetadataResponse";
    const API_KEY: ApiKey = ApiKey::Metadata;
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
