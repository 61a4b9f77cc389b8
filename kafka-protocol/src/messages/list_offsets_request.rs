//! ListOffsetsRequest: generated from `kafka-protocol/schema/ListOffsetsRequest.schema` by `tools/codegen`.
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

/// ListOffsetsRequest (API key 2), versions 0-11, flexible from 6.
#[derive(Debug, Clone, PartialEq)]
pub struct ListOffsetsRequest {
    /// Versions 0+.
    pub replica_id: i32,
    /// Versions 2+.
    pub isolation_level: i8,
    /// Versions 0+.
    pub topics: Vec<ListOffsetsTopic>,
    /// Versions 10+.
    pub timeout_ms: i32,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ListOffsetsRequest {
    fn default() -> Self {
        Self {
            replica_id: 0,
            isolation_level: 0,
            topics: Vec::new(),
            timeout_ms: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl ListOffsetsRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        {
            buf.put_i32(self.replica_id);
        }
        if version >= 2 {
            buf.put_i8(self.isolation_level);
        }
        {
            wire::write_array_len(buf, Some(self.topics.len()), flexible)?;
            for el in &self.topics {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 10 {
            buf.put_i32(self.timeout_ms);
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
        this.replica_id = wire::read_i32(buf)?;
        if version >= 2 {
            this.isolation_level = wire::read_i8(buf)?;
        }
        this.topics = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Topics",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(ListOffsetsTopic::decode_body(buf, version)?);
            }
            items
        };
        if version >= 10 {
            this.timeout_ms = wire::read_i32(buf)?;
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
            any::<i32>().boxed(),
            if version >= 2 {
                any::<i8>().boxed()
            } else {
                Just(0).boxed()
            },
            proptest::collection::vec(ListOffsetsTopic::strategy(version), 0..3).boxed(),
            if version >= 10 {
                any::<i32>().boxed()
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
            .prop_map(|((v0, v1, v2, v3, v4),)| Self {
                replica_id: v0,
                isolation_level: v1,
                topics: v2,
                timeout_ms: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

/// `ListOffsetsPartition`, part of [`ListOffsetsRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct ListOffsetsPartition {
    /// Versions 0+.
    pub partition_index: i32,
    /// Versions 4+; default -1.
    pub current_leader_epoch: i32,
    /// Versions 0+.
    pub timestamp: i64,
    /// Versions 0; default 1.
    pub max_num_offsets: i32,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ListOffsetsPartition {
    fn default() -> Self {
        Self {
            partition_index: 0,
            current_leader_epoch: -1,
            timestamp: 0,
            max_num_offsets: 1,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl ListOffsetsPartition {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        {
            buf.put_i32(self.partition_index);
        }
        if version >= 4 {
            buf.put_i32(self.current_leader_epoch);
        }
        {
            buf.put_i64(self.timestamp);
        }
        if version <= 0 {
            buf.put_i32(self.max_num_offsets);
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
        this.partition_index = wire::read_i32(buf)?;
        if version >= 4 {
            this.current_leader_epoch = wire::read_i32(buf)?;
        }
        this.timestamp = wire::read_i64(buf)?;
        if version <= 0 {
            this.max_num_offsets = wire::read_i32(buf)?;
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
            any::<i32>().boxed(),
            if version >= 4 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            any::<i64>().boxed(),
            if version <= 0 {
                any::<i32>().boxed()
            } else {
                Just(1).boxed()
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
                partition_index: v0,
                current_leader_epoch: v1,
                timestamp: v2,
                max_num_offsets: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

/// `ListOffsetsTopic`, part of [`ListOffsetsRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct ListOffsetsTopic {
    /// Versions 0+.
    pub name: String,
    /// Versions 0+.
    pub partitions: Vec<ListOffsetsPartition>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ListOffsetsTopic {
    fn default() -> Self {
        Self {
            name: String::new(),
            partitions: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl ListOffsetsTopic {
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
        this.name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Name",
                version,
            })?;
        this.partitions = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Partitions",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(ListOffsetsPartition::decode_body(buf, version)?);
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
        let flexible = version >= 6;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            proptest::collection::vec(ListOffsetsPartition::strategy(version), 0..3).boxed(),
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

impl Message for ListOffsetsRequest {
    const NAME: &'static str = "ListOffsetsRequest";
    const API_KEY: ApiKey = ApiKey::ListOffsets;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 11;

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

impl crate::messages::Request for ListOffsetsRequest {
    type Response = crate::messages::ListOffsetsResponse;
}
