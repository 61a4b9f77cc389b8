//! DescribeClusterResponse: generated from `kafka-protocol/schema/DescribeClusterResponse.schema` by `tools/codegen`.
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

/// DescribeClusterResponse (API key 60), versions 0-2, flexible from 0.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeClusterResponse {
    /// Versions 0+.
    pub throttle_time_ms: i32,
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+; nullable in 0+; default null.
    pub error_message: Option<String>,
    /// Versions 1+; default 1.
    pub endpoint_type: i8,
    /// Versions 0+.
    pub cluster_id: String,
    /// Versions 0+; default -1.
    pub controller_id: i32,
    /// Versions 0+.
    pub brokers: Vec<DescribeClusterBroker>,
    /// Versions 0+; default -2147483648.
    pub cluster_authorized_operations: i32,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribeClusterResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: None,
            endpoint_type: 1,
            cluster_id: String::new(),
            controller_id: -1,
            brokers: Vec::new(),
            cluster_authorized_operations: -2147483648,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribeClusterResponse {
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
            buf.put_i16(self.error_code);
        }
        {
            wire::write_nullable_string(
                buf,
                self.error_message.as_ref().map(String::as_str),
                flexible,
            )?;
        }
        if version >= 1 {
            buf.put_i8(self.endpoint_type);
        }
        {
            wire::write_string(buf, &self.cluster_id, flexible)?;
        }
        {
            buf.put_i32(self.controller_id);
        }
        {
            wire::write_array_len(buf, Some(self.brokers.len()), flexible)?;
            for el in &self.brokers {
                (*el).encode_body(buf, version)?;
            }
        }
        {
            buf.put_i32(self.cluster_authorized_operations);
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
        this.error_code = wire::read_i16(buf)?;
        this.error_message = wire::read_nullable_string(buf, flexible)?;
        if version >= 1 {
            this.endpoint_type = wire::read_i8(buf)?;
        }
        this.cluster_id =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ClusterId",
                version,
            })?;
        this.controller_id = wire::read_i32(buf)?;
        this.brokers = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Brokers",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(DescribeClusterBroker::decode_body(buf, version)?);
            }
            items
        };
        this.cluster_authorized_operations = wire::read_i32(buf)?;
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
            any::<i16>().boxed(),
            proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
            if version >= 1 {
                any::<i8>().boxed()
            } else {
                Just(1).boxed()
            },
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            any::<i32>().boxed(),
            proptest::collection::vec(DescribeClusterBroker::strategy(version), 0..3).boxed(),
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7, v8),)| Self {
                throttle_time_ms: v0,
                error_code: v1,
                error_message: v2,
                endpoint_type: v3,
                cluster_id: v4,
                controller_id: v5,
                brokers: v6,
                cluster_authorized_operations: v7,
                unknown_tagged_fields: v8,
            })
            .boxed()
    }
}

/// `DescribeClusterBroker`, part of [`DescribeClusterResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeClusterBroker {
    /// Versions 0+.
    pub broker_id: i32,
    /// Versions 0+.
    pub host: String,
    /// Versions 0+.
    pub port: i32,
    /// Versions 0+; nullable in 0+; default null.
    pub rack: Option<String>,
    /// Versions 2+.
    pub is_fenced: bool,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribeClusterBroker {
    fn default() -> Self {
        Self {
            broker_id: 0,
            host: String::new(),
            port: 0,
            rack: None,
            is_fenced: false,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribeClusterBroker {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = true;
        {
            buf.put_i32(self.broker_id);
        }
        {
            wire::write_string(buf, &self.host, flexible)?;
        }
        {
            buf.put_i32(self.port);
        }
        {
            wire::write_nullable_string(buf, self.rack.as_ref().map(String::as_str), flexible)?;
        }
        if version >= 2 {
            wire::write_bool(buf, self.is_fenced);
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
        this.broker_id = wire::read_i32(buf)?;
        this.host =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Host",
                version,
            })?;
        this.port = wire::read_i32(buf)?;
        this.rack = wire::read_nullable_string(buf, flexible)?;
        if version >= 2 {
            this.is_fenced = wire::read_bool(buf)?;
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
        ((
            any::<i32>().boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            any::<i32>().boxed(),
            proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
            if version >= 2 {
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
                broker_id: v0,
                host: v1,
                port: v2,
                rack: v3,
                is_fenced: v4,
                unknown_tagged_fields: v5,
            })
            .boxed()
    }
}

impl Message for DescribeClusterResponse {
    const NAME: &'static str = "DescribeClusterResponse";
    const API_KEY: ApiKey = ApiKey::DescribeCluster;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 2;

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
