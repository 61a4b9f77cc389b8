//! MetadataRequest: generated from `kafka-protocol/schema/MetadataRequest.schema` by `tools/codegen`.
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

/// MetadataRequest (API key 3), versions 0-13, flexible from 9.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataRequest {
    /// Versions 0+; nullable in 1+.
    pub topics: Option<Vec<MetadataRequestTopic>>,
    /// Versions 4+; default true.
    pub allow_auto_topic_creation: bool,
    /// Versions 8-10.
    pub include_cluster_authorized_operations: bool,
    /// Versions 8+.
    pub include_topic_authorized_operations: bool,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for MetadataRequest {
    fn default() -> Self {
        Self {
            topics: Some(Vec::new()),
            allow_auto_topic_creation: true,
            include_cluster_authorized_operations: false,
            include_topic_authorized_operations: false,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl MetadataRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 9;
        {
            if version >= 1 {
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
        if version >= 4 {
            wire::write_bool(buf, self.allow_auto_topic_creation);
        }
        if (8..=10).contains(&version) {
            wire::write_bool(buf, self.include_cluster_authorized_operations);
        }
        if version >= 8 {
            wire::write_bool(buf, self.include_topic_authorized_operations);
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
        this.topics = if version >= 1 {
            match wire::read_array_len(buf, flexible)? {
                None => None,
                Some(n) => Some({
                    let mut items = Vec::with_capacity(wire::initial_capacity(n));
                    for _ in 0..n {
                        items.push(MetadataRequestTopic::decode_body(buf, version)?);
                    }
                    items
                }),
            }
        } else {
            Some({
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "Topics",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(MetadataRequestTopic::decode_body(buf, version)?);
                }
                items
            })
        };
        if version >= 4 {
            this.allow_auto_topic_creation = wire::read_bool(buf)?;
        }
        if (8..=10).contains(&version) {
            this.include_cluster_authorized_operations = wire::read_bool(buf)?;
        }
        if version >= 8 {
            this.include_topic_authorized_operations = wire::read_bool(buf)?;
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
            if version >= 1 {
                proptest::option::of(
                    proptest::collection::vec(MetadataRequestTopic::strategy(version), 0..3)
                        .boxed(),
                )
                .boxed()
            } else {
                proptest::collection::vec(MetadataRequestTopic::strategy(version), 0..3)
                    .boxed()
                    .prop_map(Some)
                    .boxed()
            },
            if version >= 4 {
                any::<bool>().boxed()
            } else {
                Just(true).boxed()
            },
            if (8..=10).contains(&version) {
                any::<bool>().boxed()
            } else {
                Just(false).boxed()
            },
            if version >= 8 {
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
                topics: v0,
                allow_auto_topic_creation: v1,
                include_cluster_authorized_operations: v2,
                include_topic_authorized_operations: v3,
                unknown_tagged_fields: v4,
            })
            .boxed()
    }
}

/// `MetadataRequestTopic`, part of [`MetadataRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataRequestTopic {
    /// Versions 10+.
    pub topic_id: Uuid,
    /// Versions 0+; nullable in 10+.
    pub name: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for MetadataRequestTopic {
    fn default() -> Self {
        Self {
            topic_id: Uuid::ZERO,
            name: Some(String::new()),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl MetadataRequestTopic {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 9;
        if version >= 10 {
            wire::write_uuid(buf, &self.topic_id);
        }
        {
            if version >= 10 {
                wire::write_nullable_string(buf, self.name.as_ref().map(String::as_str), flexible)?;
            } else {
                let value = self.name.as_ref().ok_or(EncodeError::NullNotAllowed {
                    field: "Name",
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
            this.topic_id = wire::read_uuid(buf)?;
        }
        this.name = if version >= 10 {
            wire::read_nullable_string(buf, flexible)?
        } else {
            Some(
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?,
            )
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
            if version >= 10 {
                any::<[u8; 16]>().prop_map(Uuid).boxed()
            } else {
                Just(Uuid::ZERO).boxed()
            },
            if version >= 10 {
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
            } else {
                "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
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
                topic_id: v0,
                name: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

impl Message for MetadataRequest {
    const NAME: &'static str = "MetadataRequest";
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

impl crate::messages::Request for MetadataRequest {
    type Response = crate::messages::MetadataResponse;
}
