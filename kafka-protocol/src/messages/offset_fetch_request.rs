//! OffsetFetchRequest: generated from `kafka-protocol/schema/OffsetFetchRequest.schema` by `tools/codegen`.
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

/// OffsetFetchRequest (API key 9), versions 0-10, flexible from 6.
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetFetchRequest {
    /// Versions 0-7.
    pub group_id: String,
    /// Versions 0-7; nullable in 2-7.
    pub topics: Option<Vec<OffsetFetchRequestTopic>>,
    /// Versions 8+.
    pub groups: Vec<OffsetFetchRequestGroup>,
    /// Versions 7+.
    pub require_stable: bool,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetFetchRequest {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            topics: Some(Vec::new()),
            groups: Vec::new(),
            require_stable: false,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetFetchRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        if version <= 7 {
            wire::write_string(buf, &self.group_id, flexible)?;
        }
        if version <= 7 {
            if (2..=7).contains(&version) {
                match self.topics.as_ref() {
                    None => wire::write_array_len(buf, None, flexible)?,
                    Some(value) => {
                        wire::write_array_len(buf, Some((*value).len()), flexible)?;
                        for el in &(*value) {
                            (*el).encode_body(buf, version)?;
                        }
                    }
                }
            } else {
                let value = self.topics.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Topics",
                    version,
                })?;
                wire::write_array_len(buf, Some((*value).len()), flexible)?;
                for el in &(*value) {
                    (*el).encode_body(buf, version)?;
                }
            }
        }
        if version >= 8 {
            wire::write_array_len(buf, Some(self.groups.len()), flexible)?;
            for el in &self.groups {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 7 {
            wire::write_bool(buf, self.require_stable);
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
            this.group_id =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "GroupId",
                    version,
                })?;
        }
        if version <= 7 {
            this.topics = if (2..=7).contains(&version) {
                match wire::read_array_len(buf, flexible)? {
                    None => None,
                    Some(n) => Some({
                        let mut items = Vec::with_capacity(wire::initial_capacity(n));
                        for _ in 0..n {
                            items.push(OffsetFetchRequestTopic::decode_body(buf, version)?);
                        }
                        items
                    }),
                }
            } else {
                Some({
                    let n = wire::read_array_len(buf, flexible)?.ok_or(
                        DecodeError::UnexpectedNull {
                            field: "Topics",
                            version,
                        },
                    )?;
                    let mut items = Vec::with_capacity(wire::initial_capacity(n));
                    for _ in 0..n {
                        items.push(OffsetFetchRequestTopic::decode_body(buf, version)?);
                    }
                    items
                })
            };
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
                    items.push(OffsetFetchRequestGroup::decode_body(buf, version)?);
                }
                items
            };
        }
        if version >= 7 {
            this.require_stable = wire::read_bool(buf)?;
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
                if (2..=7).contains(&version) {
                    proptest::option::of(
                        proptest::collection::vec(OffsetFetchRequestTopic::strategy(version), 0..3)
                            .boxed(),
                    )
                    .boxed()
                } else {
                    proptest::collection::vec(OffsetFetchRequestTopic::strategy(version), 0..3)
                        .boxed()
                        .prop_map(Some)
                        .boxed()
                }
            } else {
                Just(Some(Vec::new())).boxed()
            },
            if version >= 8 {
                proptest::collection::vec(OffsetFetchRequestGroup::strategy(version), 0..3).boxed()
            } else {
                Just(Vec::new()).boxed()
            },
            if version >= 7 {
                any::<bool>().boxed()
            } else {
                Just(false).boxed()
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
                group_id: v0,
                topics: v1,
                groups: v2,
                require_stable: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

/// `OffsetFetchRequestGroup`, part of [`OffsetFetchRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetFetchRequestGroup {
    /// Versions 8+.
    pub group_id: String,
    /// Versions 9+; nullable in 9+; default null.
    pub member_id: Option<String>,
    /// Versions 9+; default -1.
    pub member_epoch: i32,
    /// Versions 8+; nullable in 8+.
    pub topics: Option<Vec<OffsetFetchRequestTopics>>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetFetchRequestGroup {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            member_id: None,
            member_epoch: -1,
            topics: Some(Vec::new()),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetFetchRequestGroup {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 6;
        if version >= 8 {
            wire::write_string(buf, &self.group_id, flexible)?;
        }
        if version >= 9 {
            if version >= 9 {
                wire::write_nullable_string(
                    buf,
                    self.member_id.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self.member_id.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "MemberId",
                    version,
                })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        if version >= 9 {
            buf.put_i32(self.member_epoch);
        }
        if version >= 8 {
            if version >= 8 {
                match self.topics.as_ref() {
                    None => wire::write_array_len(buf, None, flexible)?,
                    Some(value) => {
                        wire::write_array_len(buf, Some((*value).len()), flexible)?;
                        for el in &(*value) {
                            (*el).encode_body(buf, version)?;
                        }
                    }
                }
            } else {
                let value = self.topics.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Topics",
                    version,
                })?;
                wire::write_array_len(buf, Some((*value).len()), flexible)?;
                for el in &(*value) {
                    (*el).encode_body(buf, version)?;
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
        let flexible = version >= 6;
        let mut this = Self::default();
        if version >= 8 {
            this.group_id =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "GroupId",
                    version,
                })?;
        }
        if version >= 9 {
            this.member_id = if version >= 9 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "MemberId",
                        version,
                    },
                )?)
            };
        }
        if version >= 9 {
            this.member_epoch = wire::read_i32(buf)?;
        }
        if version >= 8 {
            this.topics = if version >= 8 {
                match wire::read_array_len(buf, flexible)? {
                    None => None,
                    Some(n) => Some({
                        let mut items = Vec::with_capacity(wire::initial_capacity(n));
                        for _ in 0..n {
                            items.push(OffsetFetchRequestTopics::decode_body(buf, version)?);
                        }
                        items
                    }),
                }
            } else {
                Some({
                    let n = wire::read_array_len(buf, flexible)?.ok_or(
                        DecodeError::UnexpectedNull {
                            field: "Topics",
                            version,
                        },
                    )?;
                    let mut items = Vec::with_capacity(wire::initial_capacity(n));
                    for _ in 0..n {
                        items.push(OffsetFetchRequestTopics::decode_body(buf, version)?);
                    }
                    items
                })
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
            if version >= 8 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 9 {
                if version >= 9 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(None).boxed()
            },
            if version >= 9 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 8 {
                if version >= 8 {
                    proptest::option::of(
                        proptest::collection::vec(
                            OffsetFetchRequestTopics::strategy(version),
                            0..3,
                        )
                        .boxed(),
                    )
                    .boxed()
                } else {
                    proptest::collection::vec(OffsetFetchRequestTopics::strategy(version), 0..3)
                        .boxed()
                        .prop_map(Some)
                        .boxed()
                }
            } else {
                Just(Some(Vec::new())).boxed()
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
                group_id: v0,
                member_id: v1,
                member_epoch: v2,
                topics: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

/// `OffsetFetchRequestTopic`, part of [`OffsetFetchRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetFetchRequestTopic {
    /// Versions 0-7.
    pub name: String,
    /// Versions 0-7.
    pub partition_indexes: Vec<i32>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetFetchRequestTopic {
    fn default() -> Self {
        Self {
            name: String::new(),
            partition_indexes: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetFetchRequestTopic {
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
            wire::write_array_len(buf, Some(self.partition_indexes.len()), flexible)?;
            for el in &self.partition_indexes {
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
            this.partition_indexes = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "PartitionIndexes",
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
        let flexible = version >= 6;
        ((
            if version <= 7 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version <= 7 {
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
            .prop_map(|((v0, v1, v2),)| Self {
                name: v0,
                partition_indexes: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `OffsetFetchRequestTopics`, part of [`OffsetFetchRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct OffsetFetchRequestTopics {
    /// Versions 8-9.
    pub name: String,
    /// Versions 10+.
    pub topic_id: Uuid,
    /// Versions 8+.
    pub partition_indexes: Vec<i32>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for OffsetFetchRequestTopics {
    fn default() -> Self {
        Self {
            name: String::new(),
            topic_id: Uuid::ZERO,
            partition_indexes: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl OffsetFetchRequestTopics {
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
            wire::write_array_len(buf, Some(self.partition_indexes.len()), flexible)?;
            for el in &self.partition_indexes {
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
            this.partition_indexes = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "PartitionIndexes",
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
                name: v0,
                topic_id: v1,
                partition_indexes: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for OffsetFetchRequest {
    const NAME: &'static str = "OffsetFetchRequest";
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

impl crate::messages::Request for OffsetFetchRequest {
    type Response = crate::messages::OffsetFetchResponse;
}
