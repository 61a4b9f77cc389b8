//! FindCoordinatorResponse: generated from `kafka-protocol/schema/FindCoordinatorResponse.schema` by `tools/codegen`.
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

/// FindCoordinatorResponse (API key 10), versions 0-6, flexible from 3.
#[derive(Debug, Clone, PartialEq)]
pub struct FindCoordinatorResponse {
    /// Versions 1+.
    pub throttle_time_ms: i32,
    /// Versions 0-3.
    pub error_code: i16,
    /// Versions 1-3; nullable in 1-3.
    pub error_message: Option<String>,
    /// Versions 0-3.
    pub node_id: i32,
    /// Versions 0-3.
    pub host: String,
    /// Versions 0-3.
    pub port: i32,
    /// Versions 4+.
    pub coordinators: Vec<Coordinator>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for FindCoordinatorResponse {
    fn default() -> Self {
        Self {
            throttle_time_ms: 0,
            error_code: 0,
            error_message: Some(String::new()),
            node_id: 0,
            host: String::new(),
            port: 0,
            coordinators: Vec::new(),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl FindCoordinatorResponse {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 3;
        if version >= 1 {
            buf.put_i32(self.throttle_time_ms);
        }
        if version <= 3 {
            buf.put_i16(self.error_code);
        }
        if (1..=3).contains(&version) {
            if (1..=3).contains(&version) {
                wire::write_nullable_string(
                    buf,
                    self.error_message.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self
                    .error_message
                    .as_ref()
                    .ok_or(EncodeError::NullNotAllowed {
                        field: "ErrorMessage",
                        version,
                    })?;
                wire::write_string(buf, &(*value), flexible)?;
            }
        }
        if version <= 3 {
            buf.put_i32(self.node_id);
        }
        if version <= 3 {
            wire::write_string(buf, &self.host, flexible)?;
        }
        if version <= 3 {
            buf.put_i32(self.port);
        }
        if version >= 4 {
            wire::write_array_len(buf, Some(self.coordinators.len()), flexible)?;
            for el in &self.coordinators {
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
        let flexible = version >= 3;
        let mut this = Self::default();
        if version >= 1 {
            this.throttle_time_ms = wire::read_i32(buf)?;
        }
        if version <= 3 {
            this.error_code = wire::read_i16(buf)?;
        }
        if (1..=3).contains(&version) {
            this.error_message = if (1..=3).contains(&version) {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "ErrorMessage",
                        version,
                    },
                )?)
            };
        }
        if version <= 3 {
            this.node_id = wire::read_i32(buf)?;
        }
        if version <= 3 {
            this.host =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Host",
                    version,
                })?;
        }
        if version <= 3 {
            this.port = wire::read_i32(buf)?;
        }
        if version >= 4 {
            this.coordinators = {
                let n =
                    wire::read_array_len(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                        field: "Coordinators",
                        version,
                    })?;
                let mut items = Vec::with_capacity(wire::initial_capacity(n));
                for _ in 0..n {
                    items.push(Coordinator::decode_body(buf, version)?);
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
        let flexible = version >= 3;
        ((
            if version >= 1 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version <= 3 {
                any::<i16>().boxed()
            } else {
                Just(0).boxed()
            },
            if (1..=3).contains(&version) {
                if (1..=3).contains(&version) {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
            } else {
                Just(Some(String::new())).boxed()
            },
            if version <= 3 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version <= 3 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version <= 3 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 4 {
                proptest::collection::vec(Coordinator::strategy(version), 0..3).boxed()
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6, v7),)| Self {
                throttle_time_ms: v0,
                error_code: v1,
                error_message: v2,
                node_id: v3,
                host: v4,
                port: v5,
                coordinators: v6,
                unknown_tagged_fields: v7,
            })
            .boxed()
    }
}

/// `Coordinator`, part of [`FindCoordinatorResponse`].
#[derive(Debug, Clone, PartialEq)]
pub struct Coordinator {
    /// Versions 4+.
    pub key: String,
    /// Versions 4+.
    pub node_id: i32,
    /// Versions 4+.
    pub host: String,
    /// Versions 4+.
    pub port: i32,
    /// Versions 4+.
    pub error_code: i16,
    /// Versions 4+; nullable in 4+.
    pub error_message: Option<String>,
    /// Tagged fields this codec does not know, kept so that re-encoding preserves them.
    pub unknown_tagged_fields: Vec<RawTaggedField>,
}

impl Default for Coordinator {
    fn default() -> Self {
        Self {
            key: String::new(),
            node_id: 0,
            host: String::new(),
            port: 0,
            error_code: 0,
            error_message: Some(String::new()),
            unknown_tagged_fields: Vec::new(),
        }
    }
}

impl Coordinator {
    pub(crate) fn encode_body(
        &self,
        buf: &mut wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError> {
        let flexible = version >= 3;
        if version >= 4 {
            wire::write_string(buf, &self.key, flexible)?;
        }
        if version >= 4 {
            buf.put_i32(self.node_id);
        }
        if version >= 4 {
            wire::write_string(buf, &self.host, flexible)?;
        }
        if version >= 4 {
            buf.put_i32(self.port);
        }
        if version >= 4 {
            buf.put_i16(self.error_code);
        }
        if version >= 4 {
            if version >= 4 {
                wire::write_nullable_string(
                    buf,
                    self.error_message.as_ref().map(String::as_str),
                    flexible,
                )?;
            } else {
                let value = self
                    .error_message
                    .as_ref()
                    .ok_or(EncodeError::NullNotAllowed {
                        field: "ErrorMessage",
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
        let flexible = version >= 3;
        let mut this = Self::default();
        if version >= 4 {
            this.key =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Key",
                    version,
                })?;
        }
        if version >= 4 {
            this.node_id = wire::read_i32(buf)?;
        }
        if version >= 4 {
            this.host =
                wire::read_nullable_string(buf, flexible)?.ok_or(DecodeError::UnexpectedNull {
                    field: "Host",
                    version,
                })?;
        }
        if version >= 4 {
            this.port = wire::read_i32(buf)?;
        }
        if version >= 4 {
            this.error_code = wire::read_i16(buf)?;
        }
        if version >= 4 {
            this.error_message = if version >= 4 {
                wire::read_nullable_string(buf, flexible)?
            } else {
                Some(wire::read_nullable_string(buf, flexible)?.ok_or(
                    DecodeError::UnexpectedNull {
                        field: "ErrorMessage",
                        version,
                    },
                )?)
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
        let flexible = version >= 3;
        ((
            if version >= 4 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 4 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 4 {
                "[a-zA-Z0-9._-]{0,12}".boxed()
            } else {
                Just(String::new()).boxed()
            },
            if version >= 4 {
                any::<i32>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 4 {
                any::<i16>().boxed()
            } else {
                Just(0).boxed()
            },
            if version >= 4 {
                if version >= 4 {
                    proptest::option::of("[a-zA-Z0-9._-]{0,12}".boxed()).boxed()
                } else {
                    "[a-zA-Z0-9._-]{0,12}".boxed().prop_map(Some).boxed()
                }
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
            .prop_map(|((v0, v1, v2, v3, v4, v5, v6),)| Self {
                key: v0,
                node_id: v1,
                host: v2,
                port: v3,
                error_code: v4,
                error_message: v5,
                unknown_tagged_fields: v6,
            })
            .boxed()
    }
}

impl Message for FindCoordinatorResponse {
    const NAME: &'static str = "FindCoordinatorResponse";
    const API_KEY: ApiKey = ApiKey::FindCoordinator;
    const MIN_VERSION: i16 = 0;
    const MAX_VERSION: i16 = 6;

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
