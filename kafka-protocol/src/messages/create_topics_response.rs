//! CreateTopicsResponse: generated from `kafka-protocol/schema/CreateTopicsResponse.schema` by `tools/codegen`.
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

/// CreateTopicsResponse (API key 19), versions 0-7, flexible from 5.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTopicsResponse {
    /// Versions 2+.
    pub throttle_time_ms: i32,
    /// Versions 0+.
    pub topics: Vec<CreatableTopicResult>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for CreateTopicsResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            topics: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl CreateTopicsResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 5;
        if version >= 2 {
            buf.put_i32(self.throttle_time_ms);
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
        let flexible = version >= 5;
        let mut this = Self::default();
        if version >= 2 {
            this.throttle_time_ms = wire::read_i32(buf)?;
        }
        this.topics = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Topics",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(CreatableTopicResult::decode_body(buf, version)?);
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
        let flexible = version >= 5;
        ((
            if version >= 2 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            proptest::collection::vec(CreatableTopicResult::strategy(version), 0..3).boxed(),
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
                throttle_time_ms: v0,
                topics: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `CreatableTopicConfigs`, part of [`CreateTopicsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct CreatableTopicConfigs {
    /// Versions 5+.
    pub name: String,
    /// Versions 5+; nullable in 5+.
    pub value: Option<String>,
    /// Versions 5+.
    pub read_only: bool,
    /// Versions 5+; default -1.
    pub config_source: i8,
    /// Versions 5+.
    pub is_sensitive: bool,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for CreatableTopicConfigs {
    fn default() -> Self {
        Self {
            name: String::new(),
            value: Some(String::new()),
            read_only: false,
            config_source: -1,
            is_sensitive: false,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl CreatableTopicConfigs {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 5;
        if version >= 5 {
            wire::write_string(buf, &self.name, flexible)?;
        }
        if version >= 5 {
            if version >= 5 {
                wire::write_nullable_string(
                    buf,
                    self.value.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self.value.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Value",
                    version,
                })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        if version >= 5 {
            wire::write_bool(buf, self.read_only);
        }
        if version >= 5 {
            buf.put_i8(self.config_source);
        }
        if version >= 5 {
            wire::write_bool(buf, self.is_sensitive);
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
        let flexible = version >= 5;
        let mut this = Self::default();
        if version >= 5 {
            this.name =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?;
        }
        if version >= 5 {
            this.value = if version >= 5 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "Value",
                        version,
                    },
                )?)
            };
        }
        if version >= 5 {
            this.read_only = wire::read_bool(buf)?;
        }
        if version >= 5 {
            this.config_source = wire::read_i8(buf)?;
        }
        if version >= 5 {
            this.is_sensitive = wire::read_bool(buf)?;
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
        let flexible = version >= 5;
        ((
            if version >= 5 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 5 {
                if version >= 5 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(Some(String::new())).boxed()
            },
            if version >= 5 {
                any::<bool>().boxed()
            } else {
                Just(false).boxed()
            },
            if version >= 5 {
                any::<i8>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 5 {
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
            .prop_map(|((v0, v1, v2, v3, v4, v5),)| Self {
                name: v0,
                value: v1,
                read_only: v2,
                config_source: v3,
                is_sensitive: v4,
                unknown_tagged_fields: v5,
            })
            .boxed()
    }
}

/// `CreatableTopicResult`, part of [`CreateTopicsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct CreatableTopicResult {
    /// Versions 0+.
    pub name: String,
    /// Versions 7+.
    pub topic_id: Uuid,
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 1+; nullable in 0+.
    pub error_message: Option<String>,
    /// Versions 5+; tagged (tag 0) in 5+.
    pub topic_config_error_code: i16,
    /// Versions 5+; default -1.
    pub num_partitions: i32,
    /// Versions 5+; default -1.
    pub replication_factor: i16,
    /// Versions 5+; nullable in 5+.
    pub configs: Option<Vec<CreatableTopicConfigs>>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for CreatableTopicResult {
    fn default() -> Self {
        Self {
            name: String::new(),
            topic_id: Uuid::ZERO,
            error_code: 0,
            error_message: Some(String::new()),
            topic_config_error_code: 0,
            num_partitions: -1,
            replication_factor: -1,
            configs: Some(Vec::new()),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl CreatableTopicResult {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 5;
        {
            wire::write_string(buf, &self.name, flexible)?;
        }
        if version >= 7 {
            wire::write_uuid(buf, &self.topic_id);
        }
        {
            buf.put_i16(self.error_code);
        }
        if version >= 1 {
            wire::write_nullable_string(
                buf,
                self.error_message.as_ref().map(String::as_str),
                flexible,
            )?;
        }
        if version >= 5 {
            buf.put_i32(self.num_partitions);
        }
        if version >= 5 {
            buf.put_i16(self.replication_factor);
        }
        if version >= 5 {
            if version >= 5 {
                match self.configs.as_ref() {
                    None => wire::write_array_len(buf, None, flexible)?,
                    Some(value) => {
                        wire::write_array_len(buf, Some((*value).len()), flexible)?;
                        for el in &(*value) {
                            (*el).encode_body(buf, version)?;
                        }
                    }
                }
            } else {
                let value = self.configs.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Configs",
                    version,
                })?;
                wire::write_array_len(buf, Some((*value).len()), flexible)?;
                for el in &(*value) {
                    (*el).encode_body(buf, version)?;
                }
            }
        }
        if flexible {
            let write_topic_config_error_code = (version >= 5) && self.topic_config_error_code != 0;
            let superseded = |tag: u32| (tag == 0 && write_topic_config_error_code);
            let count = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .count() as u32
                + write_topic_config_error_code as u32;
            wire::write_unsigned_varint(buf, count);
            let mut unknown = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .peekable();
            while let Some(field) = unknown.next_if(|u| u.tag < 0) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_topic_config_error_code {
                wire::write_tagged_field(buf, 0, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    buf.put_i16(self.topic_config_error_code);
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
        let flexible = version >= 5;
        let mut this = Self::default();
        this.name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Name",
                version,
            })?;
        if version >= 7 {
            this.topic_id = wire::read_uuid(buf)?;
        }
        this.error_code = wire::read_i16(buf)?;
        if version >= 1 {
            this.error_message = wire::read_nullable_string(buf, flexible)?;
        }
        if version >= 5 {
            this.num_partitions = wire::read_i32(buf)?;
        }
        if version >= 5 {
            this.replication_factor = wire::read_i16(buf)?;
        }
        if version >= 5 {
            this.configs = if version >= 5 {
                match wire::read_array_len(buf, flexible)? {
                    None => None,
                    Some(n) => Some({
                        let mut items = Vec::with_capacity(wire::initial_capacity(n));
                        for _ in 0..n {
                            items.push(CreatableTopicConfigs::decode_body(buf, version)?);
                        }
                        items
                    }),
                }
            } else {
                Some({
                    let n = wire::read_array_len(buf, flexible)?.ok_or(
                        DecodeError::UnexpectedNull {
                            field: "Configs",
                            version,
                        },
                    )?;
                    let mut items = Vec::with_capacity(wire::initial_capacity(n));
                    for _ in 0..n {
                        items.push(CreatableTopicConfigs::decode_body(buf, version)?);
                    }
                    items
                })
            };
        }
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |tag, buf| match tag {
                0 if version >= 5 => {
                    let value = wire::read_i16(buf)?;
                    if value == 0 {
                        Ok(false)
                    } else {
                        this.topic_config_error_code = value;
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
        let flexible = version >= 5;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            if version >= 7 {
                any::<[u8; 16]>().prop_map(Uuid).boxed()
            } else {
                Just(Uuid::ZERO).boxed()
            },
            any::<i16>().boxed(),
            if version >= 1 {
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
            } else {
                Just(Some(String::new())).boxed()
            },
            if version >= 5 {
                any::<i16>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 5 {
                any::<i32>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 5 {
                any::<i16>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 5 {
                if version >= 5 {
                    proptest::option::of(
                        proptest::collection::vec(CreatableTopicConfigs::strategy(version), 0..3)
                            .boxed(),
                    )
                    .boxed()
                } else {
                    proptest::collection::vec(CreatableTopicConfigs::strategy(version), 0..3)
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7, v8),)| Self {
                name: v0,
                topic_id: v1,
                error_code: v2,
                error_message: v3,
                topic_config_error_code: v4,
                num_partitions: v5,
                replication_factor: v6,
                configs: v7,
                unknown_tagged_fields: v8,
            })
            .boxed()
    }
}

impl Message for CreateTopicsResponse {
    const NAME: &'static str = "CreateTopicsResponse";
    const API_KEY: ApiKey = ApiKey::CreateTopics;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 7;

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
