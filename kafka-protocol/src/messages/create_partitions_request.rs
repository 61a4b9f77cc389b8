//! CreatePartitionsRequest: generated from `kafka-protocol/schema/CreatePartitionsRequest.schema` by `tools/codegen`.
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

/// CreatePartitionsRequest (API key 37), versions 0-3, flexible from 2.
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePartitionsRequest {
    /// Versions 0+.
    pub topics: Vec<CreatePartitionsTopic>,
    /// Versions 0+.
    pub timeout_ms: i32,
    /// Versions 0+.
    pub validate_only: bool,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for CreatePartitionsRequest {
    fn default() -> Self {
        Self {
            topics: Vec::new(),
            timeout_ms: 0,
            validate_only: false,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl CreatePartitionsRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 2;
        {
            wire::write_array_len(buf, Some(self.topics.len()), flexible)?;
            for el in &self.topics {
                (*el).encode_body(buf, version)?;
            }
        }
        {
            buf.put_i32(self.timeout_ms);
        }
        {
            wire::write_bool(buf, self.validate_only);
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
        let flexible = version >= 2;
        let mut this = Self::default();
        this.topics = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Topics",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(CreatePartitionsTopic::decode_body(buf, version)?);
            }
            items
        };
        this.timeout_ms = wire::read_i32(buf)?;
        this.validate_only = wire::read_bool(buf)?;
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |_, _| Ok(false))?;
        }
        Ok(this)
    }

    /// A proptest strategy for values that round-trip at `version`.
    #[cfg(test)]
    pub(crate) fn strategy(version: i16) -> proptest::strategy::BoxedStrategy<Self> {
        use proptest::prelude::*;
        let flexible = version >= 2;
        ((
            proptest::collection::vec(CreatePartitionsTopic::strategy(version), 0..3).boxed(),
            any::<i32>().boxed(),
            any::<bool>().boxed(),
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
                topics: v0,
                timeout_ms: v1,
                validate_only: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

/// `CreatePartitionsAssignment`, part of [`CreatePartitionsRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePartitionsAssignment {
    /// Versions 0+.
    pub broker_ids: Vec<i32>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for CreatePartitionsAssignment {
    fn default() -> Self {
        Self {
            broker_ids: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl CreatePartitionsAssignment {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 2;
        {
            wire::write_array_len(buf, Some(self.broker_ids.len()), flexible)?;
            for el in &self.broker_ids {
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
        let flexible = version >= 2;
        let mut this = Self::default();
        this.broker_ids = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "BrokerIds",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(wire::read_i32(buf)?);
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
        let flexible = version >= 2;
        ((
            proptest::collection::vec(any::<i32>().boxed(), 0..3).boxed(),
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
            .prop_map(|((v0, v1),)| Self {
                broker_ids: v0,
                unknown_tagged_fields: v1,
            })
            .boxed()
    }
}

/// `CreatePartitionsTopic`, part of [`CreatePartitionsRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct CreatePartitionsTopic {
    /// Versions 0+.
    pub name: String,
    /// Versions 0+.
    pub count: i32,
    /// Versions 0+; nullable in 0+.
    pub assignments: Option<Vec<CreatePartitionsAssignment>>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for CreatePartitionsTopic {
    fn default() -> Self {
        Self {
            name: String::new(),
            count: 0,
            assignments: Some(Vec::new()),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl CreatePartitionsTopic {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 2;
        {
            wire::write_string(buf, &self.name, flexible)?;
        }
        {
            buf.put_i32(self.count);
        }
        {
            match self.assignments.as_ref() {
                None => wire::write_array_len(buf, None, flexible)?,
                Some(value) => {
                    wire::write_array_len(buf, Some((*value).len()), flexible)?;
                    for el in &(*value) {
                        (*el).encode_body(buf, version)?;
                    }
                }
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
        let flexible = version >= 2;
        let mut this = Self::default();
        this.name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Name",
                version,
            })?;
        this.count = wire::read_i32(buf)?;
        this.assignments = match wire::read_array_len(buf, flexible)? {
            None => None,
            Some(n) => Some({
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(CreatePartitionsAssignment::decode_body(buf, version)?);
                }
                items
            }),
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
        let flexible = version >= 2;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            any::<i32>().boxed(),
            proptest::option::of(
                proptest::collection::vec(CreatePartitionsAssignment::strategy(version), 0..3)
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
        ),)
            .prop_map(|((v0, v1, v2, v3),)| Self {
                name: v0,
                count: v1,
                assignments: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for CreatePartitionsRequest {
    const NAME: &'static str = "CreatePartitionsRequest";
    const API_KEY: ApiKey = ApiKey::CreatePartitions;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 3;

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

impl crate::messages::Request for CreatePartitionsRequest {
    type Response = crate::messages::CreatePartitionsResponse;
}
