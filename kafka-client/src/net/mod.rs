//! Talking to one broker: getting a byte stream to it, carrying requests and responses over
//! that stream, and the opening conversation (versions, authentication).
//!
//! | module | owns |
//! | --- | --- |
//! | [`transport`] | DNS, TCP connect with a deadline, TLS on top: a [`Stream`] |
//! | `tls` | what to trust (CAs, hostname check, client certificate), readable TLS errors; only with the `tls` feature |
//! | [`connection`] | one socket shared by many callers: correlation ids, poisoning, timeouts |
//! | [`handshake`] | ApiVersions negotiation and SASL, version choice per API |
//! | [`reauth`] | KIP-368 re-authentication of a connection before its SASL session ends |
//! | [`sasl`] | SASL mechanisms as byte-level state machines (no I/O) |
//! | [`service`] | [`Connection`] as a `tower::Service` |
//!
//! The pool that keeps one connection per broker, reconnects and closes idle ones sits on top of
//! [`Connector`] and [`Connection`].

pub mod connection;
pub mod handshake;
pub mod pool;
pub mod reauth;
pub mod sasl;
pub mod service;
#[cfg(feature = "tls")]
pub mod tls;
pub mod transport;

#[cfg(test)]
pub(crate) mod test_peer;

pub use connection::{Connection, ConnectionOptions};
pub use handshake::ApiVersions;
pub use transport::{Connector, Stream};
