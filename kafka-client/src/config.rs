//! Client configuration: typed settings whose names mirror Kafka's keys (`linger_ms` ↔
//! `linger.ms`), a builder, and construction from Kafka-style string properties that rejects
//! unknown keys and bad values with an error naming the key.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

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

/// `client.dns.lookup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DnsLookup {
    /// `use_all_dns_ips` (default): try every address a name resolves to, in order.
    #[default]
    UseAllDnsIps,
    /// `resolve_canonical_bootstrap_servers_only`: as above; canonical-name expansion of
    /// bootstrap servers is not done by this client (no reverse lookups), so this behaves like
    /// `use_all_dns_ips`. Accepted for compatibility.
    ResolveCanonicalBootstrapServersOnly,
}

/// Settings shared by every client (producer, consumer, admin): connection, security,
/// metadata. Field names mirror Kafka's keys.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `bootstrap.servers`: `host:port` pairs to discover the cluster from.
    pub bootstrap_servers: Vec<String>,
    /// `client.id`: sent with every request, for broker logs and quotas.
    pub client_id: String,
    /// `request.timeout.ms`: how long to wait for any one response.
    pub request_timeout: Duration,
    /// `socket.connection.setup.timeout.ms`: how long a TCP/TLS connect may take.
    pub socket_connection_setup_timeout: Duration,
    /// `connections.max.idle.ms`: close connections idle this long.
    pub connections_max_idle: Duration,
    /// `reconnect.backoff.ms`: first delay before reconnecting to a broker.
    pub reconnect_backoff: Duration,
    /// `reconnect.backoff.max.ms`: cap of the exponential reconnect delay.
    pub reconnect_backoff_max: Duration,
    /// `retry.backoff.ms`: first delay before retrying a failed request.
    pub retry_backoff: Duration,
    /// `retry.backoff.max.ms`: cap of the exponential retry delay.
    pub retry_backoff_max: Duration,
    /// `metadata.max.age.ms`: refresh metadata at least this often.
    pub metadata_max_age: Duration,
    /// `client.dns.lookup`.
    pub client_dns_lookup: DnsLookup,
    /// `max.in.flight.requests.per.connection`.
    pub max_in_flight_requests_per_connection: usize,
    /// `socket.max.response.bytes` (this client's guard, not a Java key): the largest response
    /// frame accepted; a larger size prefix means garbage or a non-Kafka peer.
    pub max_response_size: usize,
    /// `security.protocol`.
    pub security_protocol: SecurityProtocol,
    /// `ssl.*`.
    pub tls: TlsConfig,
    /// `sasl.*`; required when `security_protocol` uses SASL.
    pub sasl: Option<SaslConfig>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            bootstrap_servers: Vec::new(),
            client_id: "kafka-sdk-rust".into(),
            request_timeout: Duration::from_millis(30_000),
            socket_connection_setup_timeout: Duration::from_millis(10_000),
            connections_max_idle: Duration::from_millis(540_000),
            reconnect_backoff: Duration::from_millis(50),
            reconnect_backoff_max: Duration::from_millis(1_000),
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_millis(1_000),
            metadata_max_age: Duration::from_millis(300_000),
            client_dns_lookup: DnsLookup::default(),
            max_in_flight_requests_per_connection: 5,
            max_response_size: 100 * 1024 * 1024,
            security_protocol: SecurityProtocol::default(),
            tls: TlsConfig::default(),
            sasl: None,
        }
    }
}
