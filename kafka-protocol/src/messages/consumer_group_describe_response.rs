//! ConsumerGroupDescribeResponse: generated from `kafka-protocol/schema/ConsumerGroupDescribeResponse.schema` by `tools/codegen`.
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

/// ConsumerGroupDescribeResponse (API key 69), versions 0-1, flexible from 0.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumerGroupDescribeResponse {
    /// Versions 0+.
    pub throttle_time_ms: i32,
    /// Versions 0+.
    pub groups: Vec<DescribedGroup>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ConsumerGroupDescribeResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            groups: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl ConsumerGroupDescribeResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = true;
        {
            buf.put_i32(self.throttle_time_ms);
        }
        {
            wire::write_array_len(buf, Some(self.groups.len()), flexible)?;
            for el in &self.groups {
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
        let flexible = true;
        let mut this = Self::default();
        this.throttle_time_ms = wire::read_i32(buf)?;
        this.groups = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Groups",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(DescribedGroup::decode_body(buf, version)?);
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
            any::<i32>().boxed(),
            proptest::collection::vec(DescribedGroup::strategy(version), 0..3).boxed(),
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
                groups: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `Assignment`, part of [`ConsumerGroupDescribeResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Versions 0+.
    pub topic_partitions: Vec<TopicPartitions>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for Assignment {
    fn default() -> Self {
        Self {
            topic_partitions: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl Assignment {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = true;
        {
            wire::write_array_len(buf, Some(self.topic_partitions.len()), flexible)?;
            for el in &self.topic_partitions {
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
        let flexible = true;
        let mut this = Self::default();
        this.topic_partitions = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "TopicPartitions",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(TopicPartitions::decode_body(buf, version)?);
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
            proptest::collection::vec(TopicPartitions::strategy(version), 0..3).boxed(),
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
                topic_partitions: v0,
                unknown_tagged_fields: v1,
            })
            .boxed()
    }
}

/// `DescribedGroup`, part of [`ConsumerGroupDescribeResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct DescribedGroup {
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+; nullable in 0+; default null.
    pub error_message: Option<String>,
    /// Versions 0+.
    pub group_id: String,
    /// Versions 0+.
    pub group_state: String,
    /// Versions 0+.
    pub group_epoch: i32,
    /// Versions 0+.
    pub assignment_epoch: i32,
    /// Versions 0+.
    pub assignor_name: String,
    /// Versions 0+.
    pub members: Vec<Member>,
    /// Versions 0+; default -2147483648.
    pub authorized_operations: i32,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribedGroup {
    fn default() -> Self {
        Self {
            error_code: 0,
            error_message: None,
            group_id: String::new(),
            group_state: String::new(),
            group_epoch: 0,
            assignment_epoch: 0,
            assignor_name: String::new(),
            members: Vec::new(),
            authorized_operations: -2147483648,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribedGroup {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = true;
        {
            buf.put_i16(self.error_code);
        }
        {
            wire::write_nullable_string(
                buf,
                self.error_message.as_ref().map(String::as_str),
                flexible,
            )?;
        }
        {
            wire::write_string(buf, &self.group_id, flexible)?;
        }
        {
            wire::write_string(buf, &self.group_state, flexible)?;
        }
        {
            buf.put_i32(self.group_epoch);
        }
        {
            buf.put_i32(self.assignment_epoch);
        }
        {
            wire::write_string(buf, &self.assignor_name, flexible)?;
        }
        {
            wire::write_array_len(buf, Some(self.members.len()), flexible)?;
            for el in &self.members {
                (*el).encode_body(buf, version)?;
            }
        }
        {
            buf.put_i32(self.authorized_operations);
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
        this.error_code = wire::read_i16(buf)?;
        this.error_message = wire::read_nullable_string(buf, flexible)?;
        this.group_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "GroupId",
                version,
            })?;
        this.group_state =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "GroupState",
                version,
            })?;
        this.group_epoch = wire::read_i32(buf)?;
        this.assignment_epoch = wire::read_i32(buf)?;
        this.assignor_name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "AssignorName",
                version,
            })?;
        this.members = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Members",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(Member::decode_body(buf, version)?);
            }
            items
        };
        this.authorized_operations = wire::read_i32(buf)?;
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
            any::<i16>().boxed(),
            proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            any::<i32>().boxed(),
            any::<i32>().boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            proptest::collection::vec(Member::strategy(version), 0..3).boxed(),
            any::<i32>().boxed(),
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9),)| Self {
                error_code: v0,
                error_message: v1,
                group_id: v2,
                group_state: v3,
                group_epoch: v4,
                assignment_epoch: v5,
                assignor_name: v6,
                members: v7,
                authorized_operations: v8,
                unknown_tagged_fields: v9,
            })
            .boxed()
    }
}

/// `Member`, part of [`ConsumerGroupDescribeResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Versions 0+.
    pub member_id: String,
    /// Versions 0+; nullable in 0+; default null.
    pub instance_id: Option<String>,
    /// Versions 0+; nullable in 0+; default null.
    pub rack_id: Option<String>,
    /// Versions 0+.
    pub member_epoch: i32,
    /// Versions 0+.
    pub client_id: String,
    /// Versions 0+.
    pub client_host: String,
    /// Versions 0+.
    pub subscribed_topic_names: Vec<String>,
    /// Versions 0+; nullable in 0+; default null.
    pub subscribed_topic_regex: Option<String>,
    /// Versions 0+.
    pub assignment: Assignment,
    /// Versions 0+.
    pub target_assignment: Assignment,
    /// Versions 1+; default -1.
    pub member_type: i8,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for Member {
    fn default() -> Self {
        Self {
            member_id: String::new(),
            instance_id: None,
            rack_id: None,
            member_epoch: 0,
            client_id: String::new(),
            client_host: String::new(),
            subscribed_topic_names: Vec::new(),
            subscribed_topic_regex: None,
            assignment: Assignment::default(),
            target_assignment: Assignment::default(),
            member_type: -1,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl Member {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = true;
        {
            wire::write_string(buf, &self.member_id, flexible)?;
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
            buf.put_i32(self.member_epoch);
        }
        {
            wire::write_string(buf, &self.client_id, flexible)?;
        }
        {
            wire::write_string(buf, &self.client_host, flexible)?;
        }
        {
            wire::write_array_len(buf, Some(self.subscribed_topic_names.len()), flexible)?;
            for el in &self.subscribed_topic_names {
                wire::write_string(buf, &(*el), flexible)?;
            }
        }
        {
            wire::write_nullable_string(
                buf,
                self.subscribed_topic_regex.as_ref().map(String::as_str),
                flexible,
            )?;
        }
        {
            self.assignment.encode_body(buf, version)?;
        }
        {
            self.target_assignment.encode_body(buf, version)?;
        }
        if version >= 1 {
            buf.put_i8(self.member_type);
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
        this.member_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "MemberId",
                version,
            })?;
        this.instance_id = wire::read_nullable_string(buf, flexible)?;
        this.rack_id = wire::read_nullable_string(buf, flexible)?;
        this.member_epoch = wire::read_i32(buf)?;
        this.client_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ClientId",
                version,
            })?;
        this.client_host =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ClientHost",
                version,
            })?;
        this.subscribed_topic_names = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "SubscribedTopicNames",
                version,
            })?;
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
        };
        this.subscribed_topic_regex = wire::read_nullable_string(buf, flexible)?;
        this.assignment = Assignment::decode_body(buf, version)?;
        this.target_assignment = Assignment::decode_body(buf, version)?;
        if version >= 1 {
            this.member_type = wire::read_i8(buf)?;
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
        let flexible = true;
        (
            (
                "[a-zA-Z0-9._-]{0,12}".boxed(),
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
                any::<i32>().boxed(),
                "[a-zA-Z0-9._-]{0,12}".boxed(),
                "[a-zA-Z0-9._-]{0,12}".boxed(),
                proptest::collection::vec("[a-zA-Z0-9._-]{0,12}".boxed(), 0..3).boxed(),
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
                Assignment::strategy(version),
                Assignment::strategy(version),
            ),
            (
                if version >= 1 {
                    any::<i8>().boxed()
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
            ),
        )
            .prop_map(
                |((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9), (v10, v11))| Self {
                    member_id: v0,
                    instance_id: v1,
                    rack_id: v2,
                    member_epoch: v3,
                    client_id: v4,
                    client_host: v5,
                    subscribed_topic_names: v6,
                    subscribed_topic_regex: v7,
                    assignment: v8,
                    target_assignment: v9,
                    member_type: v10,
                    unknown_tagged_fields: v11,
                },
            )
            .boxed()
    }
}

/// `TopicPartitions`, part of [`ConsumerGroupDescribeResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct TopicPartitions {
    /// Versions 0+.
    pub topic_id: Uuid,
    /// Versions 0+.
    pub topic_name: String,
    /// Versions 0+.
    pub partitions: Vec<i32>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for TopicPartitions {
    fn default() -> Self {
        Self {
            topic_id: Uuid::ZERO,
            topic_name: String::new(),
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
            wire::write_string(buf, &self.topic_name, flexible)?;
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
        this.topic_name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "TopicName",
                version,
            })?;
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
            "[a-zA-Z0-9._-]{0,12}".boxed(),
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
            .prop_map(|((v0, v1, v2, v3),)| Self {
                topic_id: v0,
                topic_name: v1,
                partitions: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for ConsumerGroupDescribeResponse {
    const NAME: &'static str = "ConsumerGroupDescribeResponse";
    const API_KEY: ApiKey = ApiKey::ConsumerGroupDescribe;
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
