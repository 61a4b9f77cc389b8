//! ConsumerGroupHeartbeatRequest: generated from `kafka-protocol/schema/ConsumerGroupHeartbeatRequest.schema` by `tools/codegen`.
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

/// ConsumerGroupHeartbeatRequest (API key 68), versions 0-1, flexible from 0.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerGroupHeartbeatRequest {
    /// Versions 0+.
    pub group_id: String,
    /// Versions 0+.
    pub member_id: String,
    /// Versions 0+.
    pub member_epoch: i32,
    /// Versions 0+; nullable in 0+; default null.
    pub instance_id: Option<String>,
    /// Versions 0+; nullable in 0+; default null.
    pub rack_id: Option<String>,
    /// Versions 0+; default -1.
    pub rebalance_timeout_ms: i32,
    /// Versions 0+; nullable in 0+; default null.
    pub subscribed_topic_names: Option<Vec<String>>,
    /// Versions 1+; nullable in 1+; default null.
    pub subscribed_topic_regex: Option<String>,
    /// Versions 0+; nullable in 0+; default null.
    pub server_assignor: Option<String>,
    /// Versions 0+; nullable in 0+; default null.
    pub topic_partitions: Option<Vec<TopicPartitions>>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ConsumerGroupHeartbeatRequest {
    fn default() -> Self {
        Self {
            group_id: String::new(),
            member_id: String::new(),
            member_epoch: 0,
            instance_id: None,
            rack_id: None,
            rebalance_timeout_ms: -1,
            subscribed_topic_names: None,
            subscribed_topic_regex: None,
            server_assignor: None,
            topic_partitions: None,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl ConsumerGroupHeartbeatRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = true;
        {
            wire::write_string(buf, &self.group_id, flexible)?;
        }
        {
            wire::write_string(buf, &self.member_id, flexible)?;
        }
        {
            buf.put_i32(self.member_epoch);
        }
        {
            wire::write_nullable_string(
                buf,
                self.instance_id.as_ref().map(String::as_str),
                flexible,
            )?;
        }
        {
            wire::write_nullable_string(buf, self.rack_id.as_ref().map(String::as_str), flexible)?;
        }
        {
            buf.put_i32(self.rebalance_timeout_ms);
        }
        {
            match self.subscribed_topic_names.as_ref() {
                None => wire::write_array_len(buf, None, flexible)?,
                Some(value) => {
                    wire::write_array_len(buf, Some((*value).len()), flexible)?;
                    for el in &(*value) {
                        wire::write_string(buf, &(*el), flexible)?;
                    }
                }
            }
        }
        if version >= 1 {
            if version >= 1 {
                wire::write_nullable_string(
                    buf,
                    self.subscribed_topic_regex.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value =
                    self.subscribed_topic_regex
                        .as_ref()
                        .ok_or(EncodeError::NullNotAllowed {
                            field: "SubscribedTopicRegex",
                            version,
                        })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        {
            wire::write_nullable_string(
                buf,
                self.server_assignor.as_ref().map(String::as_str),
                flexible,
            )?;
        }
        {
            match self.topic_partitions.as_ref() {
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
        let flexible = true;
        let mut this = Self::default();
        this.group_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "GroupId",
                version,
            })?;
        this.member_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "MemberId",
                version,
            })?;
        this.member_epoch = wire::read_i32(buf)?;
        this.instance_id = wire::read_nullable_string(buf, flexible)?;
        this.rack_id = wire::read_nullable_string(buf, flexible)?;
        this.rebalance_timeout_ms = wire::read_i32(buf)?;
        this.subscribed_topic_names = match wire::read_array_len(buf, flexible)? {
            None => None,
            Some(n) => Some({
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(wire::read_nullable_string(buf, flexible)?.ok_or(
                        DecodeError::UnexpectedNull {
                            field: "SubscribedTopicNames",
                            version,
                        },
                    )?);
                }
                items
            }),
        };
        if version >= 1 {
            this.subscribed_topic_regex = if version >= 1 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "SubscribedTopicRegex",
                        version,
                    },
                )?)
            };
        }
        this.server_assignor = wire::read_nullable_string(buf, flexible)?;
        this.topic_partitions = match wire::read_array_len(buf, flexible)? {
            None => None,
            Some(n) => Some({
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(TopicPartitions::decode_body(buf, version)?);
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
        let flexible = true;
        (
            (
                "[a-zA-Z0-9._-]{0,12}".boxed(),
                "[a-zA-Z0-9._-]{0,12}".boxed(),
                any::<i32>().boxed(),
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
                any::<i32>().boxed(),
                proptest::option::of(
                    proptest::collection::vec("[a-zA-Z0-9._-]{0,12}".boxed(), 0..3).boxed(),
                )
                .boxed(),
                if version >= 1 {
                    if version >= 1 {
                        proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                    } else {
                        "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                    }
                } else {
                    Just(None).boxed()
                },
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
                proptest::option::of(
                    proptest::collection::vec(TopicPartitions::strategy(version), 0..3).boxed(),
                )
                .boxed(),
            ),
            (if flexible {
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
            },),
        )
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9), (v10,))| Self {
                group_id: v0,
                member_id: v1,
                member_epoch: v2,
                instance_id: v3,
                rack_id: v4,
                rebalance_timeout_ms: v5,
                subscribed_topic_names: v6,
                subscribed_topic_regex: v7,
                server_assignor: v8,
                topic_partitions: v9,
                unknown_tagged_fields: v10,
            })
            .boxed()
    }
}

/// `TopicPartitions`, part of [`ConsumerGroupHeartbeatRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct TopicPartitions {
    /// Versions 0+.
    pub topic_id: Uuid,
    /// Versions 0+.
    pub partitions: Vec<i32>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for TopicPartitions {
    fn default() -> Self {
        Self {
            topic_id: Uuid::ZERO,
            partitions: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl TopicPartitions {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = true;
        {
            wire::write_uuid(buf, &self.topic_id);
        }
        {
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
        let flexible = true;
        let mut this = Self::default();
        this.topic_id = wire::read_uuid(buf)?;
        this.partitions = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Partitions",
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
        let flexible = true;
        ((
            any::<[u8; 16]>().prop_map(Uuid).boxed(),
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
            .prop_map(|((v0, v1, v2),)| Self {
                topic_id: v0,
                partitions: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

impl Message for ConsumerGroupHeartbeatRequest {
    const NAME: &'static str = "ConsumerGroupHeartbeatRequest";
    const API_KEY: ApiKey = ApiKey::ConsumerGroupHeartbeat;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 1;

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

impl crate::messages::Request for ConsumerGroupHeartbeatRequest {
    type Response = crate::messages::ConsumerGroupHeartbeatResponse;
}
