//! AddPartitionsToTxnResponse: generated from `kafka-protocol/schema/AddPartitionsToTxnResponse.schema` by `tools/codegen`.
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

/// AddPartitionsToTxnResponse (API key 24), versions 0-5, flexible from 3.
#[derive(Debug, Clone, PartialEq)]
pub struct AddPartitionsToTxnResponse {
    /// Versions 0+.
    pub throttle_time_ms: i32,
    /// Versions 4+.
    pub error_code: i16,
    /// Versions 4+.
    pub results_by_transaction: Vec<AddPartitionsToTxnResult>,
    /// Versions 0-3.
    pub results_by_topic_v3_and_below: Vec<AddPartitionsToTxnTopicResult>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for AddPartitionsToTxnResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            error_code: 0,
            results_by_transaction: Vec::new(),
            results_by_topic_v3_and_below: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl AddPartitionsToTxnResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 3;
        {
            buf.put_i32(self.throttle_time_ms);
        }
        if version >= 4 {
            buf.put_i16(self.error_code);
        }
        if version >= 4 {
            wire::write_array_len(buf, Some(self.results_by_transaction.len()), flexible)?;
            for el in &self.results_by_transaction {
                (*el).encode_body(buf, version)?;
            }
        }
        if version <= 3 {
            wire::write_array_len(
                buf,
                Some(self.results_by_topic_v3_and_below.len()),
                flexible,
            )?;
            for el in &self.results_by_topic_v3_and_below {
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
        let flexible = version >= 3;
        let mut this = Self::default();
        this.throttle_time_ms = wire::read_i32(buf)?;
        if version >= 4 {
            this.error_code = wire::read_i16(buf)?;
        }
        if version >= 4 {
            this.results_by_transaction = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "ResultsByTransaction",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(AddPartitionsToTxnResult::decode_body(buf, version)?);
                }
                items
            };
        }
        if version <= 3 {
            this.results_by_topic_v3_and_below = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "ResultsByTopicV3AndBelow",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(AddPartitionsToTxnTopicResult::decode_body(buf, version)?);
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
        let flexible = version >= 3;
        ((
            any::<i32>().boxed(),
            if version >= 4 {
                any::<i16>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 4 {
                proptest::collection::vec(AddPartitionsToTxnResult::strategy(version), 0..3).boxed()
            } else {
                Just(Vec::new()).boxed()
            },
            if version <= 3 {
                proptest::collection::vec(AddPartitionsToTxnTopicResult::strategy(version), 0..3)
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
            .prop_map(|((v0, v1, v2, v3, v4),)| Self {
                throttle_time_ms: v0,
                error_code: v1,
                results_by_transaction: v2,
                results_by_topic_v3_and_below: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

/// `AddPartitionsToTxnPartitionResult`, part of [`AddPartitionsToTxnResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct AddPartitionsToTxnPartitionResult {
    /// Versions 0+.
    pub partition_index: i32,
    /// Versions 0+.
    pub partition_error_code: i16,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for AddPartitionsToTxnPartitionResult {
    fn default() -> Self {
        Self {
            partition_index: 0,
            partition_error_code: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl AddPartitionsToTxnPartitionResult {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 3;
        {
            buf.put_i32(self.partition_index);
        }
        {
            buf.put_i16(self.partition_error_code);
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
        let flexible = version >= 3;
        let mut this = Self::default();
        this.partition_index = wire::read_i32(buf)?;
        this.partition_error_code = wire::read_i16(buf)?;
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |_, _| Ok(false))?;
        }
        Ok(this)
    }

    /// A proptest strategy for values that round-trip at `version`.
    #[cfg(test)]
    pub(crate) fn strategy(version: i16) -> proptest::strategy::BoxedStrategy<Self> {
        use proptest::prelude::*;
        let flexible = version >= 3;
        ((
            any::<i32>().boxed(),
            any::<i16>().boxed(),
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
                partition_index: v0,
                partition_error_code: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `AddPartitionsToTxnResult`, part of [`AddPartitionsToTxnResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct AddPartitionsToTxnResult {
    /// Versions 4+.
    pub transactional_id: String,
    /// Versions 4+.
    pub topic_results: Vec<AddPartitionsToTxnTopicResult>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for AddPartitionsToTxnResult {
    fn default() -> Self {
        Self {
            transactional_id: String::new(),
            topic_results: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl AddPartitionsToTxnResult {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 3;
        if version >= 4 {
            wire::write_string(buf, &self.transactional_id, flexible)?;
        }
        if version >= 4 {
            wire::write_array_len(buf, Some(self.topic_results.len()), flexible)?;
            for el in &self.topic_results {
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
        let flexible = version >= 3;
        let mut this = Self::default();
        if version >= 4 {
            this.transactional_id =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "TransactionalId",
                    version,
                })?;
        }
        if version >= 4 {
            this.topic_results = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "TopicResults",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(AddPartitionsToTxnTopicResult::decode_body(buf, version)?);
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
        let flexible = version >= 3;
        ((
            if version >= 4 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 4 {
                proptest::collection::vec(AddPartitionsToTxnTopicResult::strategy(version), 0..3)
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
                transactional_id: v0,
                topic_results: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `AddPartitionsToTxnTopicResult`, part of [`AddPartitionsToTxnResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct AddPartitionsToTxnTopicResult {
    /// Versions 0+.
    pub name: String,
    /// Versions 0+.
    pub results_by_partition: Vec<AddPartitionsToTxnPartitionResult>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for AddPartitionsToTxnTopicResult {
    fn default() -> Self {
        Self {
            name: String::new(),
            results_by_partition: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl AddPartitionsToTxnTopicResult {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 3;
        {
            wire::write_string(buf, &self.name, flexible)?;
        }
        {
            wire::write_array_len(buf, Some(self.results_by_partition.len()), flexible)?;
            for el in &self.results_by_partition {
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
        let flexible = version >= 3;
        let mut this = Self::default();
        this.name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Name",
                version,
            })?;
        this.results_by_partition = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ResultsByPartition",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(AddPartitionsToTxnPartitionResult::decode_body(
                    buf, version,
                )?);
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
        let flexible = version >= 3;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            proptest::collection::vec(AddPartitionsToTxnPartitionResult::strategy(version), 0..3)
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
                results_by_partition: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

impl Message for AddPartitionsToTxnResponse {
    const NAME: &'static str = "AddPartitionsToTxnResponse";
    const API_KEY: ApiKey = ApiKey::AddPartitionsToTxn;
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
