//! How bytes travel to the broker: `security.protocol`, TLS (`ssl.*`) and SASL (`sasl.*`)
//! settings.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use futures::future::BoxFuture;

use crate::error::Result;

/// `security.protocol`: how bytes travel to the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    /// `PLAINTEXT`: TCP, no authentication.
    #[default]
    Plaintext,
    /// `SSL`: TLS.
    Ssl,
    /// `SASL_PLAINTEXT`: SASL authentication over TCP.
    SaslPlaintext,
    /// `SASL_SSL`: SASL authentication over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Whether the transport is TLS.
    pub fn uses_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// Whether SASL authentication runs after connecting.
    pub fn uses_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }

    /// The name as written in `security.protocol`, e.g. `SASL_SSL`.
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }
}

/// TLS settings (`ssl.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// `ssl.ca.location`: PEM file of CA certificates to trust. `None` trusts the bundled
    /// webpki roots.
    pub ca_location: Option<PathBuf>,
    /// `ssl.ca.pem`: PEM text of CA certificates to trust (instead of a file).
    pub ca_pem: Option<String>,
    /// `ssl.certificate.location`: PEM client certificate chain, for mutual TLS.
    pub certificate_location: Option<PathBuf>,
    /// `ssl.key.location`: PEM private key of the client certificate.
    pub key_location: Option<PathBuf>,
    /// `ssl.endpoint.identification.algorithm`: `https` (default) checks that the broker's
    /// certificate names the host we connected to; `none` skips that check (the chain is still
    /// verified).
    pub endpoint_identification: bool,
}

impl Default for TlsConfig {
    fn default() -> Self {
        TlsConfig {
            ca_location: None,
            ca_pem: None,
            certificate_location: None,
            key_location: None,
            endpoint_identification: true,
        }
    }
}

/// `sasl.mechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SaslMechanism {
    /// `PLAIN` (RFC 4616).
    #[default]
    Plain,
    /// `SCRAM-SHA-256` (RFC 5802, RFC 7677).
    ScramSha256,
    /// `SCRAM-SHA-512`.
    ScramSha512,
    /// `OAUTHBEARER` (RFC 7628, KIP-255), with a token from [`OAuthTokenProvider`].
    OAuthBearer,
}

impl SaslMechanism {
    /// The mechanism's name as sent in SaslHandshake.
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// An OAuth bearer token, as an [`OAuthTokenProvider`] hands it out.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthToken {
    /// The token itself (sent as `auth=Bearer <value>`).
    pub value: String,
    /// The principal the token names, for logs.
    pub principal: String,
    /// When the token expires; the client fetches a new one before then.
    pub expires_at: SystemTime,
    /// SASL extensions (KIP-342) sent with the token.
    pub extensions: Vec<(String, String)>,
}

impl fmt::Debug for OAuthToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the token.
        f.debug_struct("OAuthToken")
            .field("principal", &self.principal)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Supplies OAuth bearer tokens for `sasl.mechanism=OAUTHBEARER`. Called on every new
/// connection; cache inside the provider if fetching is expensive.
pub trait OAuthTokenProvider: Send + Sync + fmt::Debug {
    /// Returns a valid token.
    fn token(&self) -> BoxFuture<'_, Result<OAuthToken>>;
}

/// SASL settings (`sasl.*`).
#[derive(Clone, Default)]
pub struct SaslConfig {
    /// `sasl.mechanism`.
    pub mechanism: SaslMechanism,
    /// `sasl.username` (PLAIN, SCRAM).
    pub username: String,
    /// `sasl.password` (PLAIN, SCRAM).
    pub password: String,
    /// The token source for OAUTHBEARER.
    pub token_provider: Option<Arc<dyn OAuthTokenProvider>>,
}

impl fmt::Debug for SaslConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the password.
        f.debug_struct("SaslConfig")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("token_provider", &self.token_provider)
            .finish_non_exhaustive()
    }
}
