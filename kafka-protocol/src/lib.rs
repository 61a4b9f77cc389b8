//! The Kafka wire protocol: primitives, request and response headers, every message the client
//! speaks at every version, record batches and compression. No I/O.
//!
//! Messages are generated from the compact schema in `kafka-protocol/schema/` (see its README);
//! [`messages`] is never edited by hand.
//!
//! ```
//! use bytes::BytesMut;
//! use kafkito_protocol::messages::{ApiVersionsRequest, Message};
//!
//! let request = ApiVersionsRequest {
//!     client_software_name: "demo".into(),
//!     client_software_version: "1.0".into(),
//!     ..Default::default()
//! };
//! let mut buf = BytesMut::new();
//! request.encode(&mut buf, 3).unwrap();
//! let decoded = ApiVersionsRequest::decode(&mut buf.freeze(), 3).unwrap();
//! assert_eq!(decoded, request);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod error_code;
pub mod frame;
pub mod header;
pub mod messages;
pub mod records;
pub mod wire;

pub use error::{DecodeError, EncodeError};
pub use error_code::ErrorCode;

/// The README's code blocks, compiled as doc tests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
