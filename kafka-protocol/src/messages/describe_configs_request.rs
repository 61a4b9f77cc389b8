//! DescribeConfigsRequest: generated from `kafka-protocol/schema/DescribeConfigsRequest.schema` by `tools/codegen`.
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

/// DescribeConfigsRequest (API key 32), versions 0-4, flexible from 4.
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeConfigsRequest {
    /// Versions 0+.
    pub resources: Vec<DescribeConfigsResource>,
    /// Versions 1+.
    pub include_synonyms: bool,
    /// Versions 3+.
    pub include_documentation: bool,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribeConfigsRequest {
    fn default() -> Self {
        Self {
            resources: Vec::new(),
            include_synonyms: false,
            include_documentation: false,
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribeConfigsRequest {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        {
            wire::write_array_len(buf, Some(self.resources.len()), flexible)?;
            for el in &self.resources {
                (*el).encode_body(buf, version)?;
            }
        }
        if version >= 1 {
            wire::write_bool(buf, self.include_synonyms);
        }
        if version >= 3 {
            wire::write_bool(buf, self.include_documentation);
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
        this.resources = {
            let n = wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "Resources",
                version,
            })?;
            let mut items = Vec::with_capacity(wire::initial_capacity(n));
            for _ in 0..n {
                items.push(DescribeConfigsResource::decode_body(buf, version)?);
            }
            items
        };
        if version >= 1 {
            this.include_synonyms = wire::read_bool(buf)?;
        }
        if version >= 3 {
            this.include_documentation = wire::read_bool(buf)?;
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
            proptest::collection::vec(DescribeConfigsResource::strategy(version), 0..3).boxed(),
            if version >= 1 {
                any::<bool>().boxed()
            } else {
                Just(false).boxed()
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
            .prop_map(|((v0, v1, v2, v3),)| Self {
                resources: v0,
                include_synonyms: v1,
                include_documentation: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

/// `DescribeConfigsResource`, part of [`DescribeConfigsRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeConfigsResource {
    /// Versions 0+.
    pub resource_type: i8,
    /// Versions 0+.
    pub resource_name: String,
    /// Versions 0+; nullable in 0+.
    pub configuration_keys: Option<Vec<String>>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for DescribeConfigsResource {
    fn default() -> Self {
        Self {
            resource_type: 0,
            resource_name: String::new(),
            configuration_keys: Some(Vec::new()),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl DescribeConfigsResource {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 4;
        {
            buf.put_i8(self.resource_type);
        }
        {
            wire::write_string(buf, &self.resource_name, flexible)?;
        }
        {
            match self.configuration_keys.as_ref() {
                None => wire::write_array_len(buf, None, flexible)?,
                Some(value) => {
                    wire::write_array_len(buf, Some((*value).len()), flexible)?;
                    for el in &(*value) {
                        wire::write_string(buf, &(*el), flexible)?;
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
        let flexible = version >= 4;
        let mut this = Self::default();
        this.resource_type = wire::read_i8(buf)?;
        this.resource_name =
            wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                field: "ResourceName",
                version,
            })?;
        this.configuration_keys = match wire::read_array_len(buf, flexible)? {
            None => None,
            Some(n) => Some({
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(wire::read_nullable_string(buf, flexible)?.ok_or(
                        DecodeError::UnexpectedNull {
                            field: "ConfigurationKeys",
                            version,
                        },
                    )?);
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
        let flexible = version >= 4;
        ((
            any::<i8>().boxed(),
            "[a-zA-Z0-9._-]{0,12}".boxed(),
            proptest::option::of(
                proptest::collection::vec("[a-zA-Z0-9._-]{0,12}".boxed(), 0..3).boxed(),
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
                resource_type: v0,
                resource_name: v1,
                configuration_keys: v2,
                unknown_tagged_fields: v3,
            })
            .boxed()
    }
}

impl Message for DescribeConfigsRequest {
    const NAME: &'static str = "DescribeConfigsRequest";
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

impl crate::messages::Request for DescribeConfigsRequest {
    type Response = crate::messages::DescribeConfigsResponse;
}
