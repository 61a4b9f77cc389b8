//! SASL mechanisms as pure state machines: each turns the server's challenges into the client's
//! responses, with no I/O.
//!
//! Separate from [`handshake`](crate::net::handshake) so that the cryptography and byte layouts can be
//! unit-tested against the RFCs' test vectors without a socket; the handshake carries the bytes
//! in `SaslAuthenticate` requests and turns a [`SaslError`] into
//! [`Error::Authentication`] naming the broker and mechanism.
//!
//! | mechanism | module | spec |
//! | --- | --- | --- |
//! | `PLAIN` | [`plain`] | RFC 4616 |
//! | `SCRAM-SHA-256`, `SCRAM-SHA-512` | [`scram`] | RFC 5802, RFC 7677 |
//! | `OAUTHBEARER` | [`oauthbearer`] | RFC 7628, KIP-255, KIP-342 |

pub mod oauthbearer;
pub mod plain;
pub mod scram;

use crate::config::{SaslConfig, SaslMechanism};
use crate::error::{Error, Result};

/// What the client does after reading a server message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send these bytes in the next `SaslAuthenticate` request.
    Respond(Vec<u8>),
    /// The exchange is complete and the server is authenticated (where the mechanism can tell).
    Done,
}

/// Why a SASL exchange failed on the client's side (the broker's own refusals arrive as
/// `SaslAuthenticate` error codes instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SaslError {
    /// The server's message does not follow the mechanism's grammar.
    #[error("invalid server message: {0}")]
    InvalidServerMessage(String),
    /// SCRAM: the server's nonce does not extend ours (a replay or a broken server).
    #[error("the server nonce does not start with the client nonce")]
    NonceMismatch,
    /// SCRAM: the server asked for fewer iterations than the mechanism's minimum, or more than
    /// this client is willing to compute.
    #[error("server asked for {iterations} iterations; allowed are {min}..={max}")]
    IterationCount {
        /// Iterations the server asked for.
        iterations: u32,
        /// The mechanism's minimum.
        min: u32,
        /// This client's maximum.
        max: u32,
    },
    /// SCRAM: the server could not prove it knows the password (wrong server signature).
    #[error("the server signature is wrong: the server does not know the credentials")]
    ServerSignatureMismatch,
    /// The server reported an error inside the SASL exchange.
    #[error("server error: {0}")]
    Server(String),
    /// The client's own settings cannot be sent (e.g. an invalid OAUTHBEARER extension).
    #[error("invalid client setting: {0}")]
    InvalidClientSetting(String),
    /// The server sent a message after the exchange was complete.
    #[error("unexpected server message after the exchange completed")]
    UnexpectedMessage,
    /// The operating system's random source failed (SCRAM nonce).
    #[error("no secure random bytes for the nonce: {0}")]
    RandomUnavailable(String),
}

/// A client-side SASL mechanism: produces the first message, then reacts to each server message.
pub trait SaslClient: Send {
    /// The client's first message (the "initial response").
    fn initial_response(&mut self) -> Result<Vec<u8>, SaslError>;
    /// Reacts to a server message (the `auth_bytes` of a successful `SaslAuthenticate`
    /// response).
    fn step(&mut self, server_message: &[u8]) -> Result<Step, SaslError>;
}

/// Builds the client for `config.mechanism`, fetching an OAuth token when needed.
///
/// Errors from the token provider are returned unchanged (a token endpoint that is down may be
/// worth retrying); a missing provider is a configuration error.
pub async fn client_for(config: &SaslConfig) -> Result<Box<dyn SaslClient>> {
    Ok(match config.mechanism {
        SaslMechanism::Plain => Box::new(plain::PlainClient::new(
            config.username.clone(),
            config.password.clone(),
        )),
        SaslMechanism::ScramSha256 => Box::new(scram::ScramClient::new(
            scram::ScramAlgorithm::Sha256,
            &config.username,
            &config.password,
        )),
        SaslMechanism::ScramSha512 => Box::new(scram::ScramClient::new(
            scram::ScramAlgorithm::Sha512,
            &config.username,
            &config.password,
        )),
        SaslMechanism::OAuthBearer => {
            let provider = config.token_provider.as_ref().ok_or_else(|| {
                Error::config(
                    "sasl.mechanism",
                    "OAUTHBEARER needs a token provider (SaslConfig::token_provider)",
                )
            })?;
            let token = provider.token().await?;
            Box::new(oauthbearer::OAuthBearerClient::new(
                token.value,
                token.extensions,
            ))
        }
    })
}
