//! ApiVersionsResponse: generated from `kafka-protocol/schema/ApiVersionsResponse.schema` by `tools/codegen`.
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

/// ApiVersionsResponse (API key 18), versions 0-4, flexible from 3.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiVersionsResponse {
    /// Versions 0+.
    pub error_code: i16,
    /// Versions 0+.
    pub api_keys: Vec<ApiVersion>,
    /// Versions 1+.
    pub throttle_time_ms: i32,
    /// Versions 3+; tagged (tag 0) in 3+.
    pub supported_features: Vec<SupportedFeatureKey>,
    /// Versions 3+; tagged (tag 1) in 3+; default -1.
    pub finalized_features_epoch: i64,
    /// Versions 3+; tagged (tag 2) in 3+.
    pub finalized_features: Vec<FinalizedFeatureKey>,
    /// Versions 3+; tagged (tag 3) in 3+.
    pub zk_migration_ready: bool,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ApiVersionsResponse {
    fn default() -> Self {
        Self {
            error_code: 0,
            api_keys: Vec::new(),
            throttle_time_ms: 0,
            supported_features: Vec::new(),
            finalized_features_epoch: -1,
            finalized_features: Vec::new(),
            zk_migration_ready: false,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl ApiVersionsResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 3;
        {
            buf.put_i16(self.error_code);
        }
        {
            wire::write_array_len(buf, Some(self.api_keys.len()), flexible)?;
            for el in &self.api_keys {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        if flexible {
            let write_supported_features = (version >= 3) && self.supported_features != Vec::new();
            let write_finalized_features_epoch =
                (version >= 3) && self.finalized_features_epoch != -1;
            let write_finalized_features = (version >= 3) && self.finalized_features != Vec::new();
            let write_zk_migration_ready = (version >= 3) && self.zk_migration_ready != false;
            let superseded = |tag: u32| {
                (tag == 0 && write_supported_features)
                    || (tag == 1 && write_finalized_features_epoch)
                    || (tag == 2 && write_finalized_features)
                    || (tag == 3 && write_zk_migration_ready)
            };
            let count = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .count() as u32
                + write_supported_features as u32
                + write_finalized_features_epoch as u32
                + write_finalized_features as u32
                + write_zk_migration_ready as u32;
            wire::write_unsigned_varint(buf, count);
            let mut unknown = self
                .unknown_tagged_fields
                .iter()
                .filter(|u| !superseded(u.tag))
                .peekable();
            while let Some(field) = unknown.next_if(|u| u.tag < 0) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_supported_features {
                wire::write_tagged_field(buf, 0, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    wire::write_array_len(buf, Some(self.supported_features.len()), flexible)?;
                    for el in &self.supported_features {
                        (*el).encode_body(buf, version)?;
                    }
                    Ok(())
                })?;
            }
            while let Some(field) = unknown.next_if(|u| u.tag < 1) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_finalized_features_epoch {
                wire::write_tagged_field(buf, 1, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    buf.put_i64(self.finalized_features_epoch);
                    Ok(())
                })?;
            }
            while let Some(field) = unknown.next_if(|u| u.tag < 2) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_finalized_features {
                wire::write_tagged_field(buf, 2, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    wire::write_array_len(buf, Some(self.finalized_features.len()), flexible)?;
                    for el in &self.finalized_features {
                        (*el).encode_body(buf, version)?;
                    }
                    Ok(())
                })?;
            }
            while let Some(field) = unknown.next_if(|u| u.tag < 3) {
                wire::write_raw_tagged_field(buf, field)?;
            }
            if write_zk_migration_ready {
                wire::write_tagged_field(buf, 3, |buf| {
                    let buf = &mut wire::Encoder::new(buf);
                    wire::write_bool(buf, self.zk_migration_ready);
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
        let flexible = version >= 3;
        let mut this = Self::default();
        this.error_code = wire::read_i16(buf)?;
        this.api_keys = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ApiKeys",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(ApiVersion::decode_body(buf, version)?);
            }
            items
        };
        if version >= 1 {
            this.throttle_time_ms = wire::read_i32(buf)?;
        }
        if flexible {
            wire::read_tagged_fields(buf, &mut this.unknown_tagged_fields, |tag, buf| match tag {
                0 if version >= 3 => {
                    let value = {
                        let n = wire::read_array_len(buf, flexible)?.ok_or(
                            DecodeError::UnexpectedNull {
                                field: "SupportedFeatures",
                                version,
                            },
                        )?;
                        let mut items = Vec::with_capacity(wire::initial_capacity(n));
                        for _ in 0..n {
                            items.push(SupportedFeatureKey::decode_body(buf, version)?);
                        }
                        items
                    };
                    if value == Vec::new() {
                        Ok(false)
                    } else {
                        this.supported_features = value;
                        Ok(true)
                    }
                }
                1 if version >= 3 => {
                    let value = wire::read_i64(buf)?;
                    if value == -1 {
                        Ok(false)
                    } else {
                        this.finalized_features_epoch = value;
                        Ok(true)
                    }
                }
                2 if version >= 3 => {
                    let value = {
                        let n = wire::read_array_len(buf, flexible)?.ok_or(
                            DecodeError::UnexpectedNull {
                                field: "FinalizedFeatures",
                                version,
                            },
                        )?;
                        let mut items = Vec::with_capacity(wire::initial_capacity(n));
                        for _ in 0..n {
                            items.push(FinalizedFeatureKey::decode_body(buf, version)?);
                        }
                        items
                    };
                    if value == Vec::new() {
                        Ok(false)
                    } else {
                        this.finalized_features = value;
                        Ok(true)
                    }
                }
                3 if version >= 3 => {
                    let value = wire::read_bool(buf)?;
                    if value == false {
                        Ok(false)
                    } else {
                        this.zk_migration_ready = value;
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
        let flexible = version >= 3;
        ((
            any::<i16>().boxed(),
            proptest::collection::vec(ApiVersion::strategy(version), 0..3).boxed(),
            if version >= 1 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 3 {
                proptest::collection::vec(SupportedFeatureKey::strategy(version), 0..3).boxed()
            } else {
                Just(Vec::new()).boxed()
            },
            if version >= 3 {
                any::<i64>().boxed()
            } else {
                Just(-1).boxed()
            },
            if version >= 3 {
                proptest::collection::vec(FinalizedFeatureKey::strategy(version), 0..3).boxed()
            } else {
                Just(Vec::new()).boxed()
            },
            if version >= 3 {
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7),)| Self {
                error_code: v0,
                api_keys: v1,
                throttle_time_ms: v2,
                supported_features: v3,
                finalized_features_epoch: v4,
                finalized_features: v5,
                zk_migration_ready: v6,
                unknown_tagged_fields: v7,
            })
            .boxed()
    }
}

/// `ApiVersion`, part of [`ApiVersionsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct ApiVersion {
    /// Versions 0+.
    pub api_key: i16,
    /// Versions 0+.
    pub min_version: i16,
    /// Versions 0+.
    pub max_version: i16,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for ApiVersion {
    fn default() -> Self {
        Self {
            api_key: 0,
            min_version: 0,
            max_version: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl ApiVersion {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 3;
        {
            buf.put_i16(self.api_key);
        }
        {
            buf.put_i16(self.min_version);
        }
        {
            buf.put_i16(self.max_version);
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
        this.api_key = wire::read_i16(buf)?;
        this.min_version = wire::read_i16(buf)?;
        this.max_version = wire::read_i16(buf)?;
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
            any::<i16>().boxed(),
            any::<i16>().boxed(),
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
            .prop_map(|((v0, v1, v2, v3),)| Self {
                api_key: v0,
                min_version: v1,
                max_version: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

/// `FinalizedFeatureKey`, part of [`ApiVersionsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct FinalizedFeatureKey {
    /// Versions 3+.
    pub name: String,
    /// Versions 3+.
    pub max_version_level: i16,
    /// Versions 3+.
    pub min_version_level: i16,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for FinalizedFeatureKey {
    fn default() -> Self {
        Self {
            name: String::new(),
            max_version_level: 0,
            min_version_level: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl FinalizedFeatureKey {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 3;
        if version >= 3 {
            wire::write_string(buf, &self.name, flexible)?;
        }
        if version >= 3 {
            buf.put_i16(self.max_version_level);
        }
        if version >= 3 {
            buf.put_i16(self.min_version_level);
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
        if version >= 3 {
            this.name =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?;
        }
        if version >= 3 {
            this.max_version_level = wire::read_i16(buf)?;
        }
        if version >= 3 {
            this.min_version_level = wire::read_i16(buf)?;
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
            if version >= 3 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 3 {
                any::<i16>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 3 {
                any::<i16>().boxed()
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
                max_version_level: v1,
                min_version_level: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

/// `SupportedFeatureKey`, part of [`ApiVersionsResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct SupportedFeatureKey {
    /// Versions 3+.
    pub name: String,
    /// Versions 3+.
    pub min_version: i16,
    /// Versions 3+.
    pub max_version: i16,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for SupportedFeatureKey {
    fn default() -> Self {
        Self {
            name: String::new(),
            min_version: 0,
            max_version: 0,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl SupportedFeatureKey {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 3;
        if version >= 3 {
            wire::write_string(buf, &self.name, flexible)?;
        }
        if version >= 3 {
            buf.put_i16(self.min_version);
        }
        if version >= 3 {
            buf.put_i16(self.max_version);
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
        if version >= 3 {
            this.name =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Name",
                    version,
                })?;
        }
        if version >= 3 {
            this.min_version = wire::read_i16(buf)?;
        }
        if version >= 3 {
            this.max_version = wire::read_i16(buf)?;
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
            if version >= 3 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 3 {
                any::<i16>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 3 {
                any::<i16>().boxed()
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
                min_version: v1,
                max_version: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for ApiVersionsResponse {
    const NAME: &'static str = "ApiVersionsResponse";
    const API_KEY: ApiKey = ApiKey::ApiVersions;
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
