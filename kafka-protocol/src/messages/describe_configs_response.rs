//! DescribeConfigsResponse: generated from `kafka-protocol/schema/DescribeConfigsResponse.schema` by `tools/codegen`.
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

/// DescribeConfigsResponse (API key 32), versions 0-4, flexible from 4.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeConfigsResponse {
    /// Versions 0+.
    pub throttle_time_ms: i32,
    /// Versions 0+.
    pub results: Vec<DescribeConfigsResult>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribeConfigsResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            results: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribeConfigsResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        {
            buf.put_i32(self.throttle_time_ms);
        }
        {
            wire::write_array_len(buf, Some(self.results.len()), flexible)?;
            for el in &self.results {
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
        let flexible = version >= 4;
        let mut this = Self::default();
        this.throttle_time_ms = wire::read_i32(buf)?;
        this.results = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Results",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(DescribeConfigsResult::decode_body(buf, version)?);
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
        let flexible = version >= 4;
        ((
            any::<i32>().boxed(),
            proptest::collection::vec(DescribeConfigsResult::strategy(version), 0..3).boxed(),
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
                results: v1,
                unknown_tagged_fields: v2,
            })
            .boxed()
    }
}

/// `DescribeConfigsResourceResult`, part of [`DescribeConfigsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeConfigsResourceResult {
    /// Versions 0+.
    pub name: String,
    /// Versions 0+; nullable in 0+.
    pub value: Option<String>,
    /// Versions 0+.
    pub read_only: bool,
    /// Versions 1+; default -1.
    pub config_source: i8,
    /// Versions 0.
    pub is_default: bool,
    /// Versions 0+.
    pub is_sensitive: bool,
    /// Versions 1+.
    pub synonyms: Vec<DescribeConfigsSynonym>,
    /// Versions 3+.
    pub config_type: i8,
    /// Versions 3+; nullable in 0+.
    pub documentation: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribeConfigsResourceResult {
    fn default() -> Self {
        Self {
            name: String::new(),
            value: Some(String::new()),
            read_only: false,
            config_source: -1,
            is_default: false,
            is_sensitive: false,
            synonyms: Vec::new(),
            config_type: 0,
            documentation: Some(String::new()),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribeConfigsResourceResult {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        {
            wire::write_string(buf, &self.name, flexible)?;
        }
        {
            wire::write_nullable_string(buf, self.value.as_ref().map(String::as_str), flexible)?;
        }
        {
            wire::write_bool(buf, self.read_only);
        }
        if version >= 1 {
            buf.put_i8(self.config_source);
        }
        if version <= 0 {
            wire::write_bool(buf, self.is_default);
        }
        {
            wire::write_bool(buf, self.is_sensitive);
        }
        if version >= 1 {
            wire::write_array_len(buf, Some(self.synonyms.len()), flexible)?;
            for el in &self.synonyms {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 3 {
            buf.put_i8(self.config_type);
        }
        if version >= 3 {
            wire::write_nullable_string(
                buf,
                self.documentation.as_ref().map(String::as_str),
                flexible,
            )?;
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
        let flexible = version >= 4;
        let mut this = Self::default();
        this.name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Name",
                version,
            })?;
        this.value = wire::read_nullable_string(buf, flexible)?;
        this.read_only = wire::read_bool(buf)?;
        if version >= 1 {
            this.config_source = wire::read_i8(buf)?;
        }
        if version <= 0 {
            this.is_default = wire::read_bool(buf)?;
        }
        this.is_sensitive = wire::read_bool(buf)?;
        if version >= 1 {
            this.synonyms = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "Synonyms",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(DescribeConfigsSynonym::decode_body(buf, version)?);
                }
                items
            };
        }
        if version >= 3 {
            this.config_type = wire::read_i8(buf)?;
        }
        if version >= 3 {
            this.documentation = wire::read_nullable_string(buf, flexible)?;
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
        let flexible = version >= 4;
        ((
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
            any::<bool>().boxed(),
            if version >= 1 {
                any::<i8>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version <= 0 {
                any::<bool>().boxed()
            } else {
                Just(false).boxed()
            },
            any::<bool>().boxed(),
            if version >= 1 {
                proptest::collection::vec(DescribeConfigsSynonym::strategy(version), 0..3).boxed()
            } else {
                Just(Vec::new()).boxed()
            },
            if version >= 3 {
                any::<i8>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 3 {
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
            } else {
                Just(Some(String::new())).boxed()
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7, v8, v9),)| Self {
                name: v0,
                value: v1,
                read_only: v2,
                config_source: v3,
                is_default: v4,
                is_sensitive: v5,
                synonyms: v6,
                config_type: v7,
                documentation: v8,
                unknown_tagged_fields: v9,
            })
            .boxed()
    }
}

/// `DescribeConfigsResult`, part of [`DescribeConfigsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeConfigsResult {
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+; nullable in 0+.
    pub error_message: Option<String>,
    /// Versions 0+.
    pub resource_type: i8,
    /// Versions 0+.
    pub resource_name: String,
    /// Versions 0+.
    pub configs: Vec<DescribeConfigsResourceResult>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribeConfigsResult {
    fn default() -> Self {
        Self {
            error_code: 0,
            error_message: Some(String::new()),
            resource_type: 0,
            resource_name: String::new(),
            configs: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribeConfigsResult {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
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
            buf.put_i8(self.resource_type);
        }
        {
            wire::write_string(buf, &self.resource_name, flexible)?;
        }
        {
            wire::write_array_len(buf, Some(self.configs.len()), flexible)?;
            for el in &self.configs {
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
        let flexible = version >= 4;
        let mut this = Self::default();
        this.error_code = wire::read_i16(buf)?;
        this.error_message = wire::read_nullable_string(buf, flexible)?;
        this.resource_type = wire::read_i8(buf)?;
        this.resource_name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ResourceName",
                version,
            })?;
        this.configs = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Configs",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(DescribeConfigsResourceResult::decode_body(buf, version)?);
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
        let flexible = version >= 4;
        ((
            any::<i16>().boxed(),
            proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed(),
            any::<i8>().boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            proptest::collection::vec(DescribeConfigsResourceResult::strategy(version), 0..3)
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
            .prop_map(|((v0, v1, v2, v3, v4, v5),)| Self {
                error_code: v0,
                error_message: v1,
                resource_type: v2,
                resource_name: v3,
                configs: v4,
                unknown_tagged_fields: v5,
            })
            .boxed()
    }
}

/// `DescribeConfigsSynonym`, part of [`DescribeConfigsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeConfigsSynonym {
    /// Versions 1+.
    pub name: String,
    /// Versions 1+; nullable in 0+.
    pub value: Option<String>,
    /// Versions 1+.
    pub source: i8,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribeConfigsSynonym {
    fn default() -> Self {
        Self {
            name: String::new(),
            value: Some(String::new()),
            source: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribeConfigsSynonym {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        if version >= 1 {
            wire::write_string(buf, &self.name, flexible)?;
        }
        if version >= 1 {
            wire::write_nullable_string(buf, self.value.as_ref().map(String::as_str), flexible)?;
        }
        if version >= 1 {
            buf.put_i8(self.source);
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
        let flexible = version >= 4;
        let mut this = Self::default();
        if version >= 1 {
            this.name =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?;
        }
        if version >= 1 {
            this.value = wire::read_nullable_string(buf, flexible)?;
        }
        if version >= 1 {
            this.source = wire::read_i8(buf)?;
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
        let flexible = version >= 4;
        ((
            if version >= 1 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 1 {
                proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
            } else {
                Just(Some(String::new())).boxed()
            },
            if version >= 1 {
                any::<i8>().boxed()
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
            .prop_map(|((v0, v1, v2, v3),)| Self {
                name: v0,
                value: v1,
                source: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for DescribeConfigsResponse {
    const NAME: &'static str = "DescribeConfigsResponse";
    const API_KEY: ApiKey = ApiKey::DescribeConfigs;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 4;

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
