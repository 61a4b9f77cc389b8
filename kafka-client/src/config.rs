//! Client configuration: typed settings whose names mirror Kafka's keys (`linger_ms` ↔
//! `linger.ms`), a builder, and construction from Kafka-style string properties that rejects
//! unknown keys and bad values with an error naming the key.
//!
//! # How string keys are parsed, and how unknown keys are caught
//!
//! Kafka users hand a client one flat bag of `key = value` pairs in which shared keys
//! (`bootstrap.servers`), producer keys (`linger.ms`) and consumer keys (`group.id`) sit side by
//! side. No single config type knows every key, so none of them can say "unknown key" on its
//! own. Instead the bag is a [`Properties`] value, and every config *section* (this file's
//! [`ClientConfigBuilder`]; the producer and consumer builders later) implements
//! [`ApplyProperties`]: it *takes* the keys it knows out of the bag, parsing each value and
//! failing with the key and the bad value. Whoever owns the whole bag (e.g.
//! [`ClientConfig::from_properties`], or a producer's `from_properties` that applies its client
//! section and then its own) calls [`Properties::finish`] last, which fails on the first key
//! that nobody took: `Error::Config { key, reason: "unknown configuration key" }`.
//!
//! Cross-field rules (SASL needs credentials, a client certificate needs its key, …) are
//! checked once the bag is empty, in [`ClientConfigBuilder::build`] / [`ClientConfig::validate`],
//! so they apply equally to typed setters and string keys.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

use crate::error::{Error, Result};

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

// ---------------------------------------------------------------------------------------------
// String keys: the bag of properties, and the parsers every config section shares.
// ---------------------------------------------------------------------------------------------

/// A bag of Kafka-style `key = value` settings that config sections take their keys out of.
///
/// Keys and values are trimmed of surrounding whitespace, as Kafka's `ConfigDef` does, except
/// for secrets (see [`Properties::take_raw`]). When a key is inserted twice, the later value
/// wins, as in a Java `Properties` file. Insertion order is kept, so that the unknown key
/// [`Properties::finish`] reports is the first one the user wrote.
///
/// Each `take_*` method removes the key (whether or not its value parses), so that after every
/// section has run, whatever is left is unknown:
///
/// ```
/// use kafka_client::config::{ApplyProperties, ClientConfigBuilder, Properties};
/// use kafka_client::Error;
///
/// // A hypothetical producer section, as the producer's config will do it.
/// #[derive(Default)]
/// struct ProducerSection {
///     linger: std::time::Duration,
/// }
/// impl ApplyProperties for ProducerSection {
///     fn apply_properties(&mut self, props: &mut Properties) -> kafka_client::Result<()> {
///         if let Some(linger) = props.take_duration_ms("linger.ms")? {
///             self.linger = linger;
///         }
///         Ok(())
///     }
/// }
///
/// let mut client = ClientConfigBuilder::default();
/// let mut producer = ProducerSection::default();
/// let props: Properties = [
///     ("bootstrap.servers", "localhost:9092"),
///     ("linger.ms", "5"),
///     ("lingr.ms", "5"),
/// ]
/// .into_iter()
/// .collect();
/// let err = props.apply_all(&mut [&mut client, &mut producer]).unwrap_err();
/// assert!(matches!(err, Error::Config { ref key, .. } if key == "lingr.ms"));
/// assert_eq!(producer.linger, std::time::Duration::from_millis(5));
/// ```
#[derive(Clone, Default)]
pub struct Properties {
    entries: Vec<(String, String)>,
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Keys only: values may be passwords or JAAS configs.
        f.debug_struct("Properties")
            .field("keys", &self.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> FromIterator<(K, V)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut props = Properties::new();
        props.extend(iter);
        props
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Extend<(K, V)> for Properties {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (key, value) in iter {
            self.insert(key.as_ref(), value.as_ref());
        }
    }
}

/// A group of settings that reads its own keys out of a [`Properties`] bag: the client's shared
/// settings ([`ClientConfigBuilder`]), and the producer's and consumer's own.
pub trait ApplyProperties {
    /// Takes every key this section knows out of `props`, parsing its value into `self`.
    /// Keys it does not know stay in the bag for the next section.
    ///
    /// Fails with [`Error::Config`] naming the key and the bad value when a value does not
    /// parse. Cross-field rules wait for the section's `build`.
    fn apply_properties(&mut self, props: &mut Properties) -> Result<()>;
}

impl Properties {
    /// An empty bag.
    pub fn new() -> Self {
        Properties::default()
    }

    /// Sets `key` (trimmed) to `value`, replacing an earlier value of the same key.
    pub fn insert(&mut self, key: impl AsRef<str>, value: impl Into<String>) {
        let key = key.as_ref().trim();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key.to_owned(), value)),
        }
    }

    /// Number of keys not yet taken.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether every key has been taken.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `key` is still in the bag.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// The keys not yet taken, in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// Takes `key`'s value exactly as given, untrimmed: for secrets such as `sasl.password`,
    /// where surrounding spaces may be part of the value.
    pub fn take_raw(&mut self, key: &str) -> Option<String> {
        let index = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(index).1)
    }

    /// Takes `key`'s value, trimmed. Any string is valid, the empty one included.
    pub fn take_string(&mut self, key: &str) -> Option<String> {
        self.take_raw(key).map(|value| value.trim().to_owned())
    }

    /// Takes `key` and parses its trimmed value with `parse`, whose error is the reason put in
    /// [`Error::Config`] next to the key, e.g. ``"expected one of `a`, `b`, got `c`"``.
    pub fn take_parsed<T>(
        &mut self,
        key: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>> {
        match self.take_raw(key) {
            None => Ok(None),
            Some(value) => parse(value.trim())
                .map(Some)
                .map_err(|reason| Error::config(key, reason)),
        }
    }

    /// Takes a non-negative integer that fits Java's `long` (`0..=i64::MAX`).
    pub fn take_u64(&mut self, key: &str) -> Result<Option<u64>> {
        self.take_parsed(key, |v| parse_non_negative(v, i64::MAX as u64))
    }

    /// Takes a non-negative integer that fits Java's `int` (`0..=i32::MAX`), the type of most
    /// count and size settings.
    pub fn take_u32(&mut self, key: &str) -> Result<Option<u32>> {
        self.take_parsed(key, |v| {
            parse_non_negative(v, i32::MAX as u64).map(|n| n as u32)
        })
    }

    /// Takes a non-negative integer that fits Java's `int`, as a `usize`.
    pub fn take_usize(&mut self, key: &str) -> Result<Option<usize>> {
        Ok(self.take_u32(key)?.map(|n| n as usize))
    }

    /// Takes a duration given in milliseconds (`*.ms` keys): a non-negative integer.
    pub fn take_duration_ms(&mut self, key: &str) -> Result<Option<Duration>> {
        Ok(self.take_u64(key)?.map(Duration::from_millis))
    }

    /// Takes `true` or `false` (any case), as Kafka accepts.
    pub fn take_bool(&mut self, key: &str) -> Result<Option<bool>> {
        self.take_parsed(key, |v| {
            if v.eq_ignore_ascii_case("true") {
                Ok(true)
            } else if v.eq_ignore_ascii_case("false") {
                Ok(false)
            } else {
                Err(format!("expected `true` or `false`, got {}", shown(v)))
            }
        })
    }

    /// Takes a comma-separated list; items are trimmed and empty items dropped, so
    /// `"a, b,"` gives `["a", "b"]` and `""` the empty list.
    pub fn take_list(&mut self, key: &str) -> Option<Vec<String>> {
        self.take_raw(key).map(|value| split_list(&value))
    }

    /// Takes one of `choices` (matched ignoring ASCII case, as Kafka does for enum-like keys
    /// such as `security.protocol`).
    pub fn take_enum<T: Copy>(&mut self, key: &str, choices: &[(&str, T)]) -> Result<Option<T>> {
        self.take_parsed(key, |v| parse_enum(v, choices))
    }

    /// Takes a file path; the empty string means "not set" (`None`), as in Kafka.
    pub fn take_path(&mut self, key: &str) -> Option<Option<PathBuf>> {
        self.take_string(key)
            .map(|v| (!v.is_empty()).then(|| PathBuf::from(v)))
    }

    /// Fails on the first key (in insertion order) that no section took:
    /// `Error::Config { key, reason: "unknown configuration key" }`.
    pub fn finish(self) -> Result<()> {
        match self.entries.into_iter().next() {
            Some((key, _)) => Err(Error::config(key, "unknown configuration key")),
            None => Ok(()),
        }
    }

    /// Applies every section in order, then [`finish`](Properties::finish)es: the whole parse
    /// of a bag shared by several sections.
    pub fn apply_all(mut self, sections: &mut [&mut dyn ApplyProperties]) -> Result<()> {
        for section in sections.iter_mut() {
            section.apply_properties(&mut self)?;
        }
        self.finish()
    }
}

/// How a value is quoted in an error: in backticks, cut short when long (a PEM blob, a typo'd
/// JAAS line) so that the message stays one readable line.
fn shown(value: &str) -> String {
    const MAX_CHARS: usize = 60;
    if value.chars().count() <= MAX_CHARS {
        format!("`{value}`")
    } else {
        let head: String = value.chars().take(MAX_CHARS).collect();
        format!("`{head}…`")
    }
}

fn parse_non_negative(value: &str, max: u64) -> Result<u64, String> {
    // Like Java's Long.parseLong: an optional `+`, then decimal digits. A `-` is reported as
    // "non-negative" rather than "not a number", since that is the actual mistake.
    let digits = value.strip_prefix('+').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "expected a non-negative integer, got {}",
            shown(value)
        ));
    }
    match digits.parse::<u64>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(format!("{} is out of range (at most {max})", shown(value))),
    }
}

fn parse_enum<T: Copy>(value: &str, choices: &[(&str, T)]) -> Result<T, String> {
    choices
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(value))
        .map(|&(_, choice)| choice)
        .ok_or_else(|| {
            let names: Vec<String> = choices
                .iter()
                .map(|(name, _)| format!("`{name}`"))
                .collect();
            format!("expected one of {}, got {}", names.join(", "), shown(value))
        })
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The client's own keys.
// ---------------------------------------------------------------------------------------------

const SECURITY_PROTOCOLS: &[(&str, SecurityProtocol)] = &[
    ("PLAINTEXT", SecurityProtocol::Plaintext),
    ("SSL", SecurityProtocol::Ssl),
    ("SASL_PLAINTEXT", SecurityProtocol::SaslPlaintext),
    ("SASL_SSL", SecurityProtocol::SaslSsl),
];

const DNS_LOOKUPS: &[(&str, DnsLookup)] = &[
    ("use_all_dns_ips", DnsLookup::UseAllDnsIps),
    (
        "resolve_canonical_bootstrap_servers_only",
        DnsLookup::ResolveCanonicalBootstrapServersOnly,
    ),
];

const SASL_MECHANISMS: &[(&str, SaslMechanism)] = &[
    ("PLAIN", SaslMechanism::Plain),
    ("SCRAM-SHA-256", SaslMechanism::ScramSha256),
    ("SCRAM-SHA-512", SaslMechanism::ScramSha512),
    ("OAUTHBEARER", SaslMechanism::OAuthBearer),
];

impl ClientConfig {
    /// Every string key [`ClientConfig::from_properties`] and [`ClientConfigBuilder::set`]
    /// accept.
    pub const KEYS: &'static [&'static str] = &[
        "bootstrap.servers",
        "client.id",
        "request.timeout.ms",
        "socket.connection.setup.timeout.ms",
        "connections.max.idle.ms",
        "reconnect.backoff.ms",
        "reconnect.backoff.max.ms",
        "retry.backoff.ms",
        "retry.backoff.max.ms",
        "metadata.max.age.ms",
        "client.dns.lookup",
        "max.in.flight.requests.per.connection",
        "socket.max.response.bytes",
        "security.protocol",
        "ssl.ca.location",
        "ssl.ca.pem",
        "ssl.certificate.location",
        "ssl.key.location",
        "ssl.endpoint.identification.algorithm",
        "sasl.mechanism",
        "sasl.username",
        "sasl.password",
        "sasl.jaas.config",
        // OAUTHBEARER from a token endpoint (KIP-768; see `crate::oauth`).
        "sasl.oauthbearer.token.endpoint.url",
        "sasl.oauthbearer.client.credentials.client.id",
        "sasl.oauthbearer.client.credentials.client.secret",
        "sasl.oauthbearer.scope",
        "sasl.oauthbearer.scope.claim.name",
        "sasl.oauthbearer.sub.claim.name",
        "sasl.oauthbearer.header.urlencode",
        "sasl.login.connect.timeout.ms",
        "sasl.login.read.timeout.ms",
        "sasl.login.retry.backoff.ms",
        "sasl.login.retry.backoff.max.ms",
        "sasl.login.refresh.window.factor",
        "sasl.login.refresh.window.jitter",
        "sasl.login.refresh.min.period.seconds",
        "sasl.login.refresh.buffer.seconds",
    ];

    /// A builder starting from the defaults.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder::default()
    }

    /// Builds and validates a config from Kafka-style string keys (see [`ClientConfig::KEYS`]).
    ///
    /// Fails with [`Error::Config`] naming the key on an unknown key, a value that does not
    /// parse, or a broken cross-field rule (see [`ClientConfig::validate`]). Settings that have
    /// no string form (an OAuth token provider) need [`ClientConfigBuilder`]; to combine
    /// string keys with them, use [`ClientConfigBuilder::set_all`].
    ///
    /// ```
    /// use std::time::Duration;
    /// use kafka_client::config::{ClientConfig, SaslMechanism, SecurityProtocol};
    ///
    /// let config = ClientConfig::from_properties([
    ///     ("bootstrap.servers", "kafka-1:9092, kafka-2:9092"),
    ///     ("client.id", "billing"),
    ///     ("request.timeout.ms", "15000"),
    ///     ("security.protocol", "sasl_ssl"),
    ///     ("sasl.mechanism", "SCRAM-SHA-512"),
    ///     (
    ///         "sasl.jaas.config",
    ///         r#"org.apache.kafka.common.security.scram.ScramLoginModule required
    ///            username="billing" password="s3cret";"#,
    ///     ),
    /// ])?;
    /// assert_eq!(config.bootstrap_servers, ["kafka-1:9092", "kafka-2:9092"]);
    /// assert_eq!(config.request_timeout, Duration::from_secs(15));
    /// assert_eq!(config.security_protocol, SecurityProtocol::SaslSsl);
    /// let sasl = config.sasl.unwrap();
    /// assert_eq!(sasl.mechanism, SaslMechanism::ScramSha512);
    /// assert_eq!(sasl.username, "billing");
    ///
    /// let err = ClientConfig::from_properties([
    ///     ("bootstrap.servers", "localhost:9092"),
    ///     ("request.timeout.ms", "abc"),
    /// ])
    /// .unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid configuration `request.timeout.ms`: expected a non-negative integer, got `abc`"
    /// );
    /// # Ok::<(), kafka_client::Error>(())
    /// ```
    pub fn from_properties<I, K, V>(properties: I) -> Result<ClientConfig>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        ClientConfigBuilder::default().set_all(properties)?.build()
    }

    /// Checks the rules that span several settings; [`ClientConfigBuilder::build`] runs it,
    /// and code that fills a `ClientConfig` by hand should too.
    ///
    /// - `bootstrap.servers` is non-empty and each entry is `host:port` (IPv6 in brackets)
    ///   with a port from 1 to 65535;
    /// - `request.timeout.ms`, `socket.connection.setup.timeout.ms`,
    ///   `max.in.flight.requests.per.connection` and `socket.max.response.bytes` are positive;
    /// - `ssl.*` settings need a TLS `security.protocol`; `ssl.ca.location` and `ssl.ca.pem`
    ///   exclude each other; `ssl.certificate.location` and `ssl.key.location` come together;
    /// - a SASL `security.protocol` needs SASL settings, and SASL settings need one: PLAIN and
    ///   SCRAM need a username and password and no token provider; OAUTHBEARER needs a token
    ///   provider and no username or password.
    ///
    /// The error names the key to fix.
    pub fn validate(&self) -> Result<()> {
        const BOOTSTRAP: &str = "bootstrap.servers";
        if self.bootstrap_servers.is_empty() {
            return Err(Error::config(
                BOOTSTRAP,
                "no servers given: list at least one `host:port`",
            ));
        }
        for server in &self.bootstrap_servers {
            check_host_port(server).map_err(|reason| Error::config(BOOTSTRAP, reason))?;
        }
        for (key, value) in [
            ("request.timeout.ms", self.request_timeout),
            (
                "socket.connection.setup.timeout.ms",
                self.socket_connection_setup_timeout,
            ),
        ] {
            if value.is_zero() {
                return Err(Error::config(key, "must be at least 1 ms"));
            }
        }
        for (key, value) in [
            (
                "max.in.flight.requests.per.connection",
                self.max_in_flight_requests_per_connection,
            ),
            ("socket.max.response.bytes", self.max_response_size),
        ] {
            if value == 0 {
                return Err(Error::config(key, "must be at least 1"));
            }
        }
        self.validate_tls()?;
        self.validate_sasl()
    }

    fn validate_tls(&self) -> Result<()> {
        let tls = &self.tls;
        if !self.security_protocol.uses_tls() && *tls != TlsConfig::default() {
            // Most likely `security.protocol` was forgotten; connecting in plaintext to a TLS
            // listener would otherwise fail later with a confusing "malformed response".
            return Err(Error::config(
                "security.protocol",
                format!(
                    "ssl.* settings are present but security.protocol is {}; use SSL or SASL_SSL",
                    self.security_protocol.name()
                ),
            ));
        }
        if tls.ca_location.is_some() && tls.ca_pem.is_some() {
            return Err(Error::config(
                "ssl.ca.pem",
                "set either ssl.ca.location or ssl.ca.pem, not both",
            ));
        }
        match (&tls.certificate_location, &tls.key_location) {
            (Some(_), None) => Err(Error::config(
                "ssl.key.location",
                "ssl.certificate.location is set but ssl.key.location is not: a client certificate needs its private key",
            )),
            (None, Some(_)) => Err(Error::config(
                "ssl.certificate.location",
                "ssl.key.location is set but ssl.certificate.location is not: a private key needs its certificate",
            )),
            _ => Ok(()),
        }
    }

    fn validate_sasl(&self) -> Result<()> {
        let protocol = self.security_protocol;
        let sasl = match (&self.sasl, protocol.uses_sasl()) {
            (None, false) => return Ok(()),
            (None, true) => {
                return Err(Error::config(
                    "sasl.mechanism",
                    format!(
                        "security.protocol is {} but no SASL settings are given: set sasl.mechanism with \
                         sasl.username and sasl.password (PLAIN, SCRAM) or a token provider (OAUTHBEARER)",
                        protocol.name()
                    ),
                ))
            }
            (Some(_), false) => {
                return Err(Error::config(
                    "security.protocol",
                    format!(
                        "sasl.* settings are present but security.protocol is {}; use SASL_PLAINTEXT or SASL_SSL",
                        protocol.name()
                    ),
                ))
            }
            (Some(sasl), true) => sasl,
        };
        let mechanism = sasl.mechanism.name();
        match sasl.mechanism {
            SaslMechanism::Plain | SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
                if sasl.username.is_empty() {
                    return Err(Error::config(
                        "sasl.username",
                        format!("{mechanism} needs a username (sasl.username or sasl.jaas.config)"),
                    ));
                }
                if sasl.password.is_empty() {
                    return Err(Error::config(
                        "sasl.password",
                        format!("{mechanism} needs a password (sasl.password or sasl.jaas.config)"),
                    ));
                }
                if sasl.token_provider.is_some() {
                    return Err(Error::config(
                        "sasl.mechanism",
                        format!("an OAuth token provider is set but sasl.mechanism is {mechanism}; use OAUTHBEARER"),
                    ));
                }
            }
            SaslMechanism::OAuthBearer => {
                if sasl.token_provider.is_none() {
                    return Err(Error::config(
                        "sasl.mechanism",
                        "OAUTHBEARER needs a token provider: set it with ClientConfigBuilder::sasl_token_provider",
                    ));
                }
                if !sasl.username.is_empty() || !sasl.password.is_empty() {
                    return Err(Error::config(
                        "sasl.username",
                        "OAUTHBEARER takes its credentials from the token provider; remove sasl.username and sasl.password",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Checks one `bootstrap.servers` entry: `host:port` or `[ipv6]:port`.
fn check_host_port(entry: &str) -> Result<(), String> {
    if let Some((scheme, _)) = entry.split_once("://") {
        return Err(format!(
            "{}: expected host:port without the `{scheme}://` prefix (the protocol comes from security.protocol)",
            shown(entry)
        ));
    }
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{}: `[` without a closing `]`", shown(entry)))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| format!("{}: expected host:port", shown(entry)))?;
        // An address, then an optional `%zone` (interface name) for link-local addresses.
        let (address, zone) = host.split_once('%').unwrap_or((host, "x"));
        let address_ok = address.contains(':')
            && address
                .chars()
                .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'));
        let zone_ok = !zone.is_empty()
            && zone
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !(address_ok && zone_ok) {
            return Err(format!(
                "{}: `[{host}]` is not an IPv6 address",
                shown(entry)
            ));
        }
        (host, port)
    } else {
        let (host, port) = entry
            .rsplit_once(':')
            .ok_or_else(|| format!("{}: expected host:port", shown(entry)))?;
        if host.contains(':') {
            return Err(format!(
                "{}: an IPv6 address needs brackets, e.g. `[::1]:9092`",
                shown(entry)
            ));
        }
        if let Some(bad) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '%')))
        {
            return Err(format!(
                "{}: `{bad}` cannot appear in a host name",
                shown(entry)
            ));
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(format!("{}: the host is missing", shown(entry)));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(format!(
            "{}: the port `{port}` is not a number from 1 to 65535",
            shown(entry)
        )),
    }
}

fn parse_endpoint_identification(value: &str) -> Result<bool, String> {
    if value.eq_ignore_ascii_case("https") {
        Ok(true)
    } else if value.is_empty() || value.eq_ignore_ascii_case("none") {
        Ok(false)
    } else {
        Err(format!(
            "expected `https`, `none` or empty, got {}",
            shown(value)
        ))
    }
}

fn parse_sasl_mechanism(value: &str) -> Result<SaslMechanism, String> {
    if value.eq_ignore_ascii_case("GSSAPI") {
        return Err(
            "GSSAPI (Kerberos) is not supported by this client; use PLAIN, SCRAM-SHA-256, \
             SCRAM-SHA-512 or OAUTHBEARER"
                .to_owned(),
        );
    }
    parse_enum(value, SASL_MECHANISMS)
}

fn parse_ca_pem(value: &str) -> Result<Option<String>, String> {
    if value.is_empty() {
        Ok(None)
    } else if value.contains("-----BEGIN ") {
        Ok(Some(value.to_owned()))
    } else {
        Err(format!(
            "expected PEM text with `-----BEGIN CERTIFICATE-----` blocks, got {}",
            shown(value)
        ))
    }
}

/// Builds a [`ClientConfig`] from typed setters and Kafka-style string keys, then checks the
/// cross-field rules in [`build`](ClientConfigBuilder::build).
///
/// ```
/// use std::time::Duration;
/// use kafka_client::config::{ClientConfig, SaslConfig, SaslMechanism, SecurityProtocol};
///
/// let config = ClientConfig::builder()
///     .bootstrap_servers(["localhost:9092"])
///     .client_id("reporting")
///     .request_timeout(Duration::from_secs(10))
///     .set("metadata.max.age.ms", "60000")?
///     .security_protocol(SecurityProtocol::SaslPlaintext)
///     .sasl(SaslConfig {
///         mechanism: SaslMechanism::Plain,
///         username: "reporting".into(),
///         password: "s3cret".into(),
///         token_provider: None,
///     })
///     .build()?;
/// assert_eq!(config.metadata_max_age, Duration::from_secs(60));
///
/// // Cross-field rules are checked by `build`.
/// let err = ClientConfig::builder()
///     .bootstrap_servers(["localhost:9092"])
///     .set("security.protocol", "SASL_SSL")?
///     .build()
///     .unwrap_err();
/// assert!(err.to_string().contains("sasl.mechanism"));
/// # Ok::<(), kafka_client::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
    /// `sasl.jaas.config` supplied the SASL credentials.
    credentials_from_jaas: bool,
    /// `sasl.username` or `sasl.password` supplied them.
    credentials_from_keys: bool,
    /// `sasl.oauthbearer.*`, `sasl.login.*` and an `OAuthBearerLoginModule` JAAS line.
    oauth: crate::oauth::OAuthKeys,
}

impl ClientConfigBuilder {
    /// A builder starting from [`ClientConfig::default`].
    pub fn new() -> Self {
        ClientConfigBuilder::default()
    }

    /// Sets one Kafka-style key (see [`ClientConfig::KEYS`]). Fails on an unknown key or a
    /// value that does not parse; the error names the key.
    pub fn set(self, key: &str, value: &str) -> Result<Self> {
        self.set_all([(key, value)])
    }

    /// Sets many Kafka-style keys, failing on the first unknown key or bad value. Later keys
    /// replace earlier ones.
    pub fn set_all<I, K, V>(mut self, properties: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        properties
            .into_iter()
            .collect::<Properties>()
            .apply_all(&mut [&mut self])?;
        Ok(self)
    }

    /// `bootstrap.servers`: `host:port` pairs to discover the cluster from.
    pub fn bootstrap_servers<S: Into<String>>(
        mut self,
        servers: impl IntoIterator<Item = S>,
    ) -> Self {
        self.config.bootstrap_servers = servers
            .into_iter()
            .map(|s| s.into().trim().to_owned())
            .collect();
        self
    }

    /// `client.id`.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.config.client_id = client_id.into();
        self
    }

    /// `request.timeout.ms`.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.config.request_timeout = timeout;
        self
    }

    /// `socket.connection.setup.timeout.ms`.
    pub fn socket_connection_setup_timeout(mut self, timeout: Duration) -> Self {
        self.config.socket_connection_setup_timeout = timeout;
        self
    }

    /// `connections.max.idle.ms`.
    pub fn connections_max_idle(mut self, idle: Duration) -> Self {
        self.config.connections_max_idle = idle;
        self
    }

    /// `reconnect.backoff.ms`.
    pub fn reconnect_backoff(mut self, backoff: Duration) -> Self {
        self.config.reconnect_backoff = backoff;
        self
    }

    /// `reconnect.backoff.max.ms`.
    pub fn reconnect_backoff_max(mut self, backoff: Duration) -> Self {
        self.config.reconnect_backoff_max = backoff;
        self
    }

    /// `retry.backoff.ms`.
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.config.retry_backoff = backoff;
        self
    }

    /// `retry.backoff.max.ms`.
    pub fn retry_backoff_max(mut self, backoff: Duration) -> Self {
        self.config.retry_backoff_max = backoff;
        self
    }

    /// `metadata.max.age.ms`.
    pub fn metadata_max_age(mut self, age: Duration) -> Self {
        self.config.metadata_max_age = age;
        self
    }

    /// `client.dns.lookup`.
    pub fn client_dns_lookup(mut self, lookup: DnsLookup) -> Self {
        self.config.client_dns_lookup = lookup;
        self
    }

    /// `max.in.flight.requests.per.connection`.
    pub fn max_in_flight_requests_per_connection(mut self, max: usize) -> Self {
        self.config.max_in_flight_requests_per_connection = max;
        self
    }

    /// `socket.max.response.bytes`: the largest response frame accepted.
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.config.max_response_size = bytes;
        self
    }

    /// `security.protocol`.
    pub fn security_protocol(mut self, protocol: SecurityProtocol) -> Self {
        self.config.security_protocol = protocol;
        self
    }

    /// All `ssl.*` settings at once.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.config.tls = tls;
        self
    }

    /// All `sasl.*` settings at once, replacing any set before (by key or setter).
    pub fn sasl(mut self, sasl: SaslConfig) -> Self {
        self.config.sasl = Some(sasl);
        self.credentials_from_jaas = false;
        self.credentials_from_keys = false;
        self
    }

    /// The token source for `sasl.mechanism=OAUTHBEARER`, keeping the other `sasl.*`
    /// settings. The only way to give one: a provider has no string form.
    pub fn sasl_token_provider(mut self, provider: Arc<dyn OAuthTokenProvider>) -> Self {
        self.sasl_mut().token_provider = Some(provider);
        self
    }

    /// Checks the cross-field rules ([`ClientConfig::validate`]) and returns the config.
    pub fn build(self) -> Result<ClientConfig> {
        if self.credentials_from_jaas && self.credentials_from_keys {
            return Err(Error::config(
                "sasl.jaas.config",
                "set either sasl.jaas.config or sasl.username/sasl.password, not both",
            ));
        }
        let mut config = self.config;
        self.oauth.finish(&mut config)?;
        config.validate()?;
        Ok(config)
    }

    fn sasl_mut(&mut self) -> &mut SaslConfig {
        self.config.sasl.get_or_insert_with(SaslConfig::default)
    }
}

impl ApplyProperties for ClientConfigBuilder {
    fn apply_properties(&mut self, props: &mut Properties) -> Result<()> {
        let c = &mut self.config;
        if let Some(servers) = props.take_list("bootstrap.servers") {
            c.bootstrap_servers = servers;
        }
        if let Some(id) = props.take_string("client.id") {
            c.client_id = id;
        }
        for (key, field) in [
            ("request.timeout.ms", &mut c.request_timeout),
            (
                "socket.connection.setup.timeout.ms",
                &mut c.socket_connection_setup_timeout,
            ),
            ("connections.max.idle.ms", &mut c.connections_max_idle),
            ("reconnect.backoff.ms", &mut c.reconnect_backoff),
            ("reconnect.backoff.max.ms", &mut c.reconnect_backoff_max),
            ("retry.backoff.ms", &mut c.retry_backoff),
            ("retry.backoff.max.ms", &mut c.retry_backoff_max),
            ("metadata.max.age.ms", &mut c.metadata_max_age),
        ] {
            if let Some(value) = props.take_duration_ms(key)? {
                *field = value;
            }
        }
        if let Some(lookup) = props.take_enum("client.dns.lookup", DNS_LOOKUPS)? {
            c.client_dns_lookup = lookup;
        }
        if let Some(max) = props.take_usize("max.in.flight.requests.per.connection")? {
            c.max_in_flight_requests_per_connection = max;
        }
        if let Some(max) = props.take_usize("socket.max.response.bytes")? {
            c.max_response_size = max;
        }
        if let Some(protocol) = props.take_enum("security.protocol", SECURITY_PROTOCOLS)? {
            c.security_protocol = protocol;
        }

        let tls = &mut c.tls;
        if let Some(path) = props.take_path("ssl.ca.location") {
            tls.ca_location = path;
        }
        if let Some(pem) = props.take_parsed("ssl.ca.pem", parse_ca_pem)? {
            tls.ca_pem = pem;
        }
        if let Some(path) = props.take_path("ssl.certificate.location") {
            tls.certificate_location = path;
        }
        if let Some(path) = props.take_path("ssl.key.location") {
            tls.key_location = path;
        }
        if let Some(check) = props.take_parsed(
            "ssl.endpoint.identification.algorithm",
            parse_endpoint_identification,
        )? {
            tls.endpoint_identification = check;
        }

        if let Some(mechanism) = props.take_parsed("sasl.mechanism", parse_sasl_mechanism)? {
            self.sasl_mut().mechanism = mechanism;
        }
        if let Some(username) = props.take_string("sasl.username") {
            self.sasl_mut().username = username;
            self.credentials_from_keys = true;
        }
        // Untrimmed: spaces around a password may be part of it.
        if let Some(password) = props.take_raw("sasl.password") {
            self.sasl_mut().password = password;
            self.credentials_from_keys = true;
        }
        self.oauth.apply_properties(props)?;
        if let Some(jaas) = props.take_parsed("sasl.jaas.config", parse_jaas_config)? {
            if let Some(options) = jaas.oauth_options {
                self.oauth.apply_jaas_options(options)?;
            } else {
                let sasl = self.sasl_mut();
                sasl.username = jaas.username;
                sasl.password = jaas.password;
                self.credentials_from_jaas = true;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// sasl.jaas.config
// ---------------------------------------------------------------------------------------------

/// The credentials a `sasl.jaas.config` value carries.
struct JaasCredentials {
    username: String,
    password: String,
    /// An `OAuthBearerLoginModule` line's options instead (see `crate::oauth`).
    oauth_options: Option<Vec<(String, String)>>,
}

/// Parses the JAAS form Kafka clients take in `sasl.jaas.config`: exactly one login module,
///
/// ```text
/// <LoginModuleClass> <required|requisite|sufficient|optional> (<option>=<value>)* ;
/// ```
///
/// tokenised like Java's `JaasConfig` (a `StreamTokenizer`): words, values in double or single
/// quotes with backslash escapes, `//` and `/* */` comments, anything between tokens ignored
/// if whitespace. Only `PlainLoginModule` and `ScramLoginModule` are accepted, and their
/// `username` and `password` options are required. A missing final `;` is forgiven.
///
/// Errors point at a character position and name options, but never quote a value: values are
/// secrets.
fn parse_jaas_config(text: &str) -> Result<JaasCredentials, String> {
    const FLAGS: [&str; 4] = ["required", "requisite", "sufficient", "optional"];
    let mut tokens = jaas_tokens(text)?.into_iter();

    let module = match tokens.next() {
        Some((JaasToken::Word(module), _)) => module,
        Some((_, at)) => {
            return Err(format!(
                "expected a login module class name at character {at}"
            ))
        }
        None => {
            return Err(
                "empty: expected `<LoginModule> required username=\"…\" password=\"…\";`"
                    .to_owned(),
            )
        }
    };
    match tokens.next() {
        Some((JaasToken::Word(flag), _)) if FLAGS.iter().any(|f| f.eq_ignore_ascii_case(&flag)) => {
        }
        Some((_, at)) => {
            return Err(format!(
                "expected a control flag (`required`, `requisite`, `sufficient` or `optional`) \
                 after `{module}` at character {at}"
            ))
        }
        None => {
            return Err(format!(
                "expected a control flag (`required`, `requisite`, `sufficient` or `optional`) \
                 after `{module}`"
            ))
        }
    }

    let mut options: Vec<(String, String)> = Vec::new();
    loop {
        match tokens.next() {
            None => break,
            Some((JaasToken::Semicolon, _)) => {
                if let Some((_, at)) = tokens.next() {
                    return Err(format!(
                        "exactly one login module is allowed, found more at character {at}"
                    ));
                }
                break;
            }
            Some((JaasToken::Word(name), at)) => {
                if !matches!(tokens.next(), Some((JaasToken::Equals, _))) {
                    return Err(format!(
                        "expected `=` after option `{name}` (character {at})"
                    ));
                }
                match tokens.next() {
                    Some((JaasToken::Word(value) | JaasToken::Quoted(value), _)) => {
                        // Later options replace earlier ones, as in Java's option map.
                        options.retain(|(k, _)| *k != name);
                        options.push((name, value));
                    }
                    _ => return Err(format!("expected a value for option `{name}`")),
                }
            }
            Some((JaasToken::Quoted(_), at)) => {
                return Err(format!(
                    "expected an option name at character {at}, found a quoted string"
                ))
            }
            Some((JaasToken::Equals, at)) => {
                return Err(format!("unexpected `=` at character {at}"))
            }
        }
    }

    let class = module.rsplit('.').next().unwrap_or(&module);
    match class {
        "PlainLoginModule" | "ScramLoginModule" => {}
        "OAuthBearerLoginModule" => {
            return Ok(JaasCredentials {
                username: String::new(),
                password: String::new(),
                oauth_options: Some(options),
            })
        }
        _ => {
            return Err(format!(
                "login module `{module}` is not supported: use PlainLoginModule or \
                 ScramLoginModule with username and password options"
            ))
        }
    }
    let mut take = |name: &str| {
        let index = options.iter().position(|(k, _)| k == name);
        index
            .map(|i| options.remove(i).1)
            .ok_or_else(|| format!("{class} has no `{name}` option"))
    };
    Ok(JaasCredentials {
        username: take("username")?,
        password: take("password")?,
        oauth_options: None,
    })
}

#[derive(Debug, PartialEq)]
enum JaasToken {
    Word(String),
    Quoted(String),
    Equals,
    Semicolon,
}

/// Splits a JAAS config into tokens, each with its 1-based character position.
fn jaas_tokens(text: &str) -> Result<Vec<(JaasToken, usize)>, String> {
    fn is_word_char(c: char) -> bool {
        c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '$')
    }
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let at = i + 1;
        match chars[i] {
            c if c.is_whitespace() => i += 1,
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                loop {
                    if i + 1 >= chars.len() {
                        return Err(format!("unterminated `/*` comment at character {at}"));
                    }
                    if chars[i] == '*' && chars[i + 1] == '/' {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            '=' => {
                tokens.push((JaasToken::Equals, at));
                i += 1;
            }
            ';' => {
                tokens.push((JaasToken::Semicolon, at));
                i += 1;
            }
            quote @ ('"' | '\'') => {
                i += 1;
                let mut value = String::new();
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(format!(
                                "unterminated quoted string starting at character {at}"
                            ))
                        }
                        Some(&c) if c == quote => {
                            i += 1;
                            break;
                        }
                        Some('\\') => {
                            let escaped = *chars.get(i + 1).ok_or_else(|| {
                                format!("unterminated quoted string starting at character {at}")
                            })?;
                            value.push(match escaped {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                other => other,
                            });
                            i += 2;
                        }
                        Some(&c) => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
                tokens.push((JaasToken::Quoted(value), at));
            }
            c if is_word_char(c) => {
                let start = i;
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                tokens.push((JaasToken::Word(chars[start..i].iter().collect()), at));
            }
            other => return Err(format!("unexpected `{other}` at character {at}")),
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOTSTRAP: (&str, &str) = ("bootstrap.servers", "localhost:9092");

    /// Parses `props` plus a valid `bootstrap.servers`.
    fn parse(props: &[(&str, &str)]) -> Result<ClientConfig> {
        ClientConfig::from_properties(std::iter::once(BOOTSTRAP).chain(props.iter().copied()))
    }

    /// The `(key, reason)` of a config error.
    fn config_err(result: Result<impl fmt::Debug>) -> (String, String) {
        match result {
            Err(Error::Config { key, reason }) => (key, reason),
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    /// Asserts that `props` fail on `key` with a reason containing `needle`.
    #[track_caller]
    fn assert_rejects(props: &[(&str, &str)], key: &str, needle: &str) {
        let (got_key, reason) = config_err(parse(props));
        assert_eq!(got_key, key, "reason: {reason}");
        assert!(
            reason.contains(needle),
            "reason {reason:?} should contain {needle:?}"
        );
    }

    #[derive(Debug)]
    struct StaticToken;

    impl OAuthTokenProvider for StaticToken {
        fn token(&self) -> BoxFuture<'_, Result<OAuthToken>> {
            Box::pin(async {
                Ok(OAuthToken {
                    value: "token".into(),
                    principal: "alice".into(),
                    expires_at: SystemTime::UNIX_EPOCH,
                    extensions: Vec::new(),
                })
            })
        }
    }

    const PLAIN_JAAS: &str = r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="p@ss word";"#;

    // --- Properties ------------------------------------------------------------------------

    #[test]
    fn unknown_key_is_reported_with_the_exact_reason() {
        let (key, reason) = config_err(parse(&[("bootstrap.server", "x:1")]));
        assert_eq!(key, "bootstrap.server");
        assert_eq!(reason, "unknown configuration key");
    }

    #[test]
    fn first_unknown_key_in_insertion_order_is_reported() {
        let (key, _) = config_err(parse(&[("zzz", "1"), ("aaa", "1")]));
        assert_eq!(key, "zzz");
    }

    #[test]
    fn producer_and_consumer_keys_are_unknown_to_the_client_alone() {
        for key in ["linger.ms", "group.id", "acks"] {
            let (got, reason) = config_err(parse(&[(key, "1")]));
            assert_eq!(
                (got.as_str(), reason.as_str()),
                (key, "unknown configuration key")
            );
        }
    }

    #[test]
    fn keys_are_shared_between_sections_and_leftovers_are_unknown() {
        #[derive(Default)]
        struct Producer {
            linger: Option<Duration>,
            idempotence: Option<bool>,
        }
        impl ApplyProperties for Producer {
            fn apply_properties(&mut self, props: &mut Properties) -> Result<()> {
                self.linger = props.take_duration_ms("linger.ms")?;
                self.idempotence = props.take_bool("enable.idempotence")?;
                Ok(())
            }
        }
        let mut client = ClientConfigBuilder::default();
        let mut producer = Producer::default();
        let props: Properties = [
            ("bootstrap.servers", "a:1"),
            ("linger.ms", "7"),
            ("enable.idempotence", "TRUE"),
        ]
        .into_iter()
        .collect();
        props.apply_all(&mut [&mut client, &mut producer]).unwrap();
        assert_eq!(producer.linger, Some(Duration::from_millis(7)));
        assert_eq!(producer.idempotence, Some(true));
        assert_eq!(client.build().unwrap().bootstrap_servers, ["a:1"]);

        let props: Properties = [("linger.ms", "7"), ("group.id", "g")]
            .into_iter()
            .collect();
        let err = props
            .apply_all(&mut [
                &mut ClientConfigBuilder::default(),
                &mut Producer::default(),
            ])
            .unwrap_err();
        assert!(matches!(err, Error::Config { ref key, .. } if key == "group.id"));
    }

    #[test]
    fn bad_value_error_names_key_and_value() {
        let mut props: Properties = [("linger.ms", "abc")].into_iter().collect();
        let err = props.take_duration_ms("linger.ms").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid configuration `linger.ms`: expected a non-negative integer, got `abc`"
        );
        // Taken even though it failed: it must not also show up as "unknown".
        assert!(props.is_empty());
    }

    #[test]
    fn later_duplicate_wins_and_keys_are_trimmed() {
        let config = parse(&[("client.id", "first"), (" client.id ", " second ")]).unwrap();
        assert_eq!(config.client_id, "second");
    }

    #[test]
    fn properties_helpers() {
        let mut props: Properties = [
            ("b1", "true"),
            ("b2", "False"),
            ("b3", "yes"),
            ("n", "2147483648"),
            ("l", " a , b,, "),
            ("e", "Two"),
            ("e2", "three"),
            ("p", ""),
        ]
        .into_iter()
        .collect();
        assert_eq!(props.len(), 8);
        assert!(props.contains_key("b1"));
        assert_eq!(props.take_bool("b1").unwrap(), Some(true));
        assert_eq!(props.take_bool("b2").unwrap(), Some(false));
        let (_, reason) = config_err(props.take_bool("b3"));
        assert_eq!(reason, "expected `true` or `false`, got `yes`");
        let (_, reason) = config_err(props.take_u32("n"));
        assert_eq!(reason, "`2147483648` is out of range (at most 2147483647)");
        assert_eq!(props.take_list("l").unwrap(), ["a", "b"]);
        let choices = [("one", 1), ("two", 2)];
        assert_eq!(props.take_enum("e", &choices).unwrap(), Some(2));
        let (_, reason) = config_err(props.take_enum("e2", &choices));
        assert_eq!(reason, "expected one of `one`, `two`, got `three`");
        assert_eq!(props.take_path("p"), Some(None));
        assert_eq!(props.take_bool("missing").unwrap(), None);
        assert!(props.is_empty());
        props.finish().unwrap();
    }

    #[test]
    fn properties_debug_shows_keys_not_values() {
        let props: Properties = [("sasl.password", "hunter2")].into_iter().collect();
        let debug = format!("{props:?}");
        assert!(debug.contains("sasl.password"));
        assert!(!debug.contains("hunter2"));
    }

    #[test]
    fn long_values_are_cut_short_in_errors() {
        let long = "x".repeat(500);
        let (_, reason) = config_err(parse(&[("request.timeout.ms", &long)]));
        assert!(reason.len() < 120, "{reason}");
        assert!(reason.ends_with("…`"));
    }

    // --- every key -------------------------------------------------------------------------

    #[test]
    fn defaults_apply_to_unset_keys() {
        let config = parse(&[]).unwrap();
        let default = ClientConfig::default();
        assert_eq!(config.client_id, default.client_id);
        assert_eq!(config.request_timeout, Duration::from_secs(30));
        assert_eq!(config.security_protocol, SecurityProtocol::Plaintext);
        assert_eq!(config.tls, TlsConfig::default());
        assert!(config.sasl.is_none());
    }

    #[test]
    fn every_listed_key_is_accepted() {
        // A value each key accepts in a config where the SSL/SASL keys are legal.
        let value = |key: &str| match key {
            "bootstrap.servers" => "b:1",
            "client.dns.lookup" => "use_all_dns_ips",
            "security.protocol" => "SASL_SSL",
            "ssl.ca.location" | "ssl.certificate.location" | "ssl.key.location" => "/x.pem",
            "ssl.ca.pem" => "",
            "ssl.endpoint.identification.algorithm" => "https",
            "sasl.mechanism" => "PLAIN",
            "sasl.jaas.config" => PLAIN_JAAS,
            "sasl.oauthbearer.header.urlencode" => "false",
            "sasl.login.refresh.window.factor" | "sasl.login.refresh.window.jitter" => "0.1",
            k if k.ends_with(".ms") || k.starts_with("max.") || k.ends_with(".bytes") => "1",
            k if k.ends_with(".seconds") => "1",
            _ => "x",
        };
        for key in ClientConfig::KEYS {
            let mut props = Properties::new();
            props.insert(key, value(key));
            let mut builder = ClientConfigBuilder::default();
            builder.apply_properties(&mut props).unwrap();
            assert!(props.is_empty(), "{key} was not taken");
        }
    }

    #[test]
    fn every_key_sets_its_field() {
        let config = ClientConfig::from_properties([
            (
                "bootstrap.servers",
                " a:1 , [::1]:9093, b-2.example.com:9094,",
            ),
            ("client.id", "app"),
            ("request.timeout.ms", "1001"),
            ("socket.connection.setup.timeout.ms", "1002"),
            ("connections.max.idle.ms", "1003"),
            ("reconnect.backoff.ms", "1004"),
            ("reconnect.backoff.max.ms", "1005"),
            ("retry.backoff.ms", "1006"),
            ("retry.backoff.max.ms", "1007"),
            ("metadata.max.age.ms", " 1008 "),
            (
                "client.dns.lookup",
                "RESOLVE_CANONICAL_BOOTSTRAP_SERVERS_ONLY",
            ),
            ("max.in.flight.requests.per.connection", "1"),
            ("socket.max.response.bytes", "1048576"),
            ("security.protocol", "sasl_ssl"),
            ("ssl.certificate.location", "/etc/client.pem"),
            ("ssl.key.location", "/etc/client.key"),
            ("ssl.ca.location", "/etc/ca.pem"),
            ("ssl.endpoint.identification.algorithm", "none"),
            ("sasl.mechanism", "scram-sha-256"),
            ("sasl.username", " bob "),
            ("sasl.password", " pw "),
        ])
        .unwrap();
        assert_eq!(
            config.bootstrap_servers,
            ["a:1", "[::1]:9093", "b-2.example.com:9094"]
        );
        assert_eq!(config.client_id, "app");
        let ms = Duration::from_millis;
        assert_eq!(config.request_timeout, ms(1001));
        assert_eq!(config.socket_connection_setup_timeout, ms(1002));
        assert_eq!(config.connections_max_idle, ms(1003));
        assert_eq!(config.reconnect_backoff, ms(1004));
        assert_eq!(config.reconnect_backoff_max, ms(1005));
        assert_eq!(config.retry_backoff, ms(1006));
        assert_eq!(config.retry_backoff_max, ms(1007));
        assert_eq!(config.metadata_max_age, ms(1008));
        assert_eq!(
            config.client_dns_lookup,
            DnsLookup::ResolveCanonicalBootstrapServersOnly
        );
        assert_eq!(config.max_in_flight_requests_per_connection, 1);
        assert_eq!(config.max_response_size, 1 << 20);
        assert_eq!(config.security_protocol, SecurityProtocol::SaslSsl);
        assert_eq!(
            config.tls,
            TlsConfig {
                ca_location: Some("/etc/ca.pem".into()),
                ca_pem: None,
                certificate_location: Some("/etc/client.pem".into()),
                key_location: Some("/etc/client.key".into()),
                endpoint_identification: false,
            }
        );
        let sasl = config.sasl.unwrap();
        assert_eq!(sasl.mechanism, SaslMechanism::ScramSha256);
        // Usernames are trimmed like every value; passwords are kept as given.
        assert_eq!(sasl.username, "bob");
        assert_eq!(sasl.password, " pw ");
    }

    #[test]
    fn client_id_may_be_empty() {
        assert_eq!(parse(&[("client.id", "")]).unwrap().client_id, "");
    }

    #[test]
    fn duration_keys_reject_bad_values() {
        let durations = ClientConfig::KEYS.iter().filter(|k| k.ends_with(".ms"));
        for key in durations {
            for bad in ["abc", "-5", "1.5", "", "10ms"] {
                let (got, reason) = config_err(parse(&[(key, bad)]));
                assert_eq!(&got, key);
                assert_eq!(
                    reason,
                    format!("expected a non-negative integer, got `{bad}`")
                );
            }
            let (_, reason) = config_err(parse(&[(key, "9223372036854775808")]));
            assert!(reason.contains("out of range"), "{reason}");
            // The largest Java long is accepted, and zero where zero makes sense.
            parse(&[(key, "9223372036854775807")]).unwrap();
        }
        parse(&[("metadata.max.age.ms", "0"), ("retry.backoff.ms", "+0")]).unwrap();
    }

    #[test]
    fn timeouts_must_be_positive() {
        assert_rejects(
            &[("request.timeout.ms", "0")],
            "request.timeout.ms",
            "at least 1 ms",
        );
        assert_rejects(
            &[("socket.connection.setup.timeout.ms", "0")],
            "socket.connection.setup.timeout.ms",
            "at least 1 ms",
        );
    }

    #[test]
    fn count_keys_reject_bad_values() {
        for key in [
            "max.in.flight.requests.per.connection",
            "socket.max.response.bytes",
        ] {
            assert_rejects(&[(key, "0")], key, "must be at least 1");
            assert_rejects(
                &[(key, "-1")],
                key,
                "expected a non-negative integer, got `-1`",
            );
            assert_rejects(&[(key, "many")], key, "expected a non-negative integer");
            assert_rejects(&[(key, "4294967296")], key, "out of range");
        }
    }

    #[test]
    fn dns_lookup_values() {
        assert_eq!(
            parse(&[("client.dns.lookup", "use_all_dns_ips")])
                .unwrap()
                .client_dns_lookup,
            DnsLookup::UseAllDnsIps
        );
        assert_rejects(
            &[("client.dns.lookup", "default")],
            "client.dns.lookup",
            "expected one of `use_all_dns_ips`, `resolve_canonical_bootstrap_servers_only`, got `default`",
        );
    }

    #[test]
    fn security_protocol_is_case_insensitive() {
        for (text, protocol) in [
            ("PLAINTEXT", SecurityProtocol::Plaintext),
            ("ssl", SecurityProtocol::Ssl),
            ("Sasl_Plaintext", SecurityProtocol::SaslPlaintext),
            ("sasl_ssl", SecurityProtocol::SaslSsl),
        ] {
            let mut builder = ClientConfig::builder().bootstrap_servers(["a:1"]);
            if protocol.uses_sasl() {
                builder = builder.set("sasl.jaas.config", PLAIN_JAAS).unwrap();
            }
            let config = builder
                .set("security.protocol", text)
                .unwrap()
                .build()
                .unwrap();
            assert_eq!(config.security_protocol, protocol);
            assert_eq!(
                protocol.name().to_ascii_lowercase(),
                text.to_ascii_lowercase()
            );
        }
        assert_rejects(
            &[("security.protocol", "TLS")],
            "security.protocol",
            "expected one of `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT`, `SASL_SSL`, got `TLS`",
        );
    }

    // --- bootstrap.servers -----------------------------------------------------------------

    #[test]
    fn bootstrap_servers_are_required() {
        let (key, reason) = config_err(ClientConfig::from_properties(Vec::<(&str, &str)>::new()));
        assert_eq!(key, "bootstrap.servers");
        assert!(reason.contains("no servers"));
        let (key, _) = config_err(ClientConfig::from_properties([(
            "bootstrap.servers",
            " , ",
        )]));
        assert_eq!(key, "bootstrap.servers");
        let (key, _) = config_err(ClientConfig::builder().build());
        assert_eq!(key, "bootstrap.servers");
    }

    #[test]
    fn bootstrap_server_entries_are_host_port() {
        for (entry, needle) in [
            ("localhost", "expected host:port"),
            ("localhost:", "the port `` is not a number from 1 to 65535"),
            ("localhost:0", "the port `0`"),
            ("localhost:65536", "the port `65536`"),
            ("localhost:+80", "the port `+80`"),
            ("localhost:http", "the port `http`"),
            (":9092", "the host is missing"),
            ("SASL_SSL://kafka:9092", "without the `SASL_SSL://` prefix"),
            ("::1:9092", "needs brackets"),
            ("[::1:9092", "without a closing `]`"),
            ("[::1]9092", "expected host:port"),
            ("[kafka]:9092", "is not an IPv6 address"),
            ("kaf ka:9092", "` ` cannot appear"),
            ("kafka/1:9092", "`/` cannot appear"),
        ] {
            let (key, reason) = config_err(ClientConfig::from_properties([(
                "bootstrap.servers",
                format!("ok:1,{entry}"),
            )]));
            assert_eq!(key, "bootstrap.servers");
            assert!(reason.contains(needle), "{entry}: {reason}");
            assert!(reason.contains(&format!("`{entry}`")), "{entry}: {reason}");
        }
        for good in [
            "k:1",
            "k:65535",
            "10.0.0.1:9092",
            "[fe80::1%eth0]:9092",
            "my_host.local:9092",
        ] {
            ClientConfig::from_properties([("bootstrap.servers", good)]).unwrap();
        }
    }

    #[test]
    fn typed_bootstrap_servers_are_validated_too() {
        let err = ClientConfig::builder()
            .bootstrap_servers(["a:1", "b"])
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("`b`: expected host:port"));
        let config = ClientConfig::builder()
            .bootstrap_servers(vec![String::from(" a:1 ")])
            .build()
            .unwrap();
        assert_eq!(config.bootstrap_servers, ["a:1"]);
    }

    // --- ssl.* -----------------------------------------------------------------------------

    #[test]
    fn ssl_keys_need_a_tls_protocol() {
        assert_rejects(
            &[("ssl.ca.location", "/ca.pem")],
            "security.protocol",
            "ssl.* settings are present but security.protocol is PLAINTEXT",
        );
        assert_rejects(
            &[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.jaas.config", PLAIN_JAAS),
                ("ssl.endpoint.identification.algorithm", "none"),
            ],
            "security.protocol",
            "is SASL_PLAINTEXT; use SSL or SASL_SSL",
        );
        // Values equal to the defaults are not "settings present".
        parse(&[
            ("ssl.ca.location", ""),
            ("ssl.endpoint.identification.algorithm", "https"),
        ])
        .unwrap();
    }

    #[test]
    fn ssl_ca_pem() {
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let config = parse(&[("security.protocol", "SSL"), ("ssl.ca.pem", pem)]).unwrap();
        assert_eq!(config.tls.ca_pem.as_deref(), Some(pem.trim()));
        assert_rejects(
            &[("security.protocol", "SSL"), ("ssl.ca.pem", "/etc/ca.pem")],
            "ssl.ca.pem",
            "expected PEM text",
        );
        assert_rejects(
            &[
                ("security.protocol", "SSL"),
                ("ssl.ca.pem", pem),
                ("ssl.ca.location", "/ca.pem"),
            ],
            "ssl.ca.pem",
            "not both",
        );
    }

    #[test]
    fn ssl_certificate_and_key_come_together() {
        assert_rejects(
            &[
                ("security.protocol", "SSL"),
                ("ssl.certificate.location", "/c.pem"),
            ],
            "ssl.key.location",
            "needs its private key",
        );
        assert_rejects(
            &[("security.protocol", "SSL"), ("ssl.key.location", "/k.pem")],
            "ssl.certificate.location",
            "needs its certificate",
        );
    }

    #[test]
    fn ssl_endpoint_identification_values() {
        for (text, check) in [
            ("https", true),
            ("HTTPS", true),
            ("none", false),
            ("", false),
        ] {
            let config = parse(&[
                ("security.protocol", "SSL"),
                ("ssl.endpoint.identification.algorithm", text),
            ])
            .unwrap();
            assert_eq!(config.tls.endpoint_identification, check, "{text:?}");
        }
        assert_rejects(
            &[
                ("security.protocol", "SSL"),
                ("ssl.endpoint.identification.algorithm", "ldaps"),
            ],
            "ssl.endpoint.identification.algorithm",
            "expected `https`, `none` or empty, got `ldaps`",
        );
    }

    // --- sasl.* ----------------------------------------------------------------------------

    #[test]
    fn sasl_mechanism_values() {
        for mechanism in [
            SaslMechanism::Plain,
            SaslMechanism::ScramSha256,
            SaslMechanism::ScramSha512,
        ] {
            let config = parse(&[
                ("security.protocol", "SASL_PLAINTEXT"),
                ("sasl.mechanism", &mechanism.name().to_ascii_lowercase()),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ])
            .unwrap();
            assert_eq!(config.sasl.unwrap().mechanism, mechanism);
        }
        assert_rejects(
            &[("sasl.mechanism", "GSSAPI")],
            "sasl.mechanism",
            "Kerberos",
        );
        assert_rejects(
            &[("sasl.mechanism", "SCRAM")],
            "sasl.mechanism",
            "got `SCRAM`",
        );
    }

    #[test]
    fn sasl_protocol_needs_sasl_settings() {
        assert_rejects(
            &[("security.protocol", "SASL_SSL")],
            "sasl.mechanism",
            "security.protocol is SASL_SSL but no SASL settings",
        );
    }

    #[test]
    fn sasl_settings_need_a_sasl_protocol() {
        assert_rejects(
            &[("sasl.username", "u"), ("sasl.password", "p")],
            "security.protocol",
            "sasl.* settings are present but security.protocol is PLAINTEXT",
        );
        assert_rejects(
            &[("security.protocol", "SSL"), ("sasl.mechanism", "PLAIN")],
            "security.protocol",
            "is SSL; use SASL_PLAINTEXT or SASL_SSL",
        );
    }

    #[test]
    fn plain_and_scram_need_username_and_password() {
        let sasl = ("security.protocol", "SASL_PLAINTEXT");
        assert_rejects(
            &[sasl, ("sasl.mechanism", "PLAIN"), ("sasl.password", "p")],
            "sasl.username",
            "PLAIN needs a username",
        );
        assert_rejects(
            &[
                sasl,
                ("sasl.mechanism", "SCRAM-SHA-512"),
                ("sasl.username", "u"),
            ],
            "sasl.password",
            "SCRAM-SHA-512 needs a password",
        );
        // PLAIN is the default mechanism.
        let config = parse(&[sasl, ("sasl.username", "u"), ("sasl.password", "p")]).unwrap();
        assert_eq!(config.sasl.unwrap().mechanism, SaslMechanism::Plain);
    }

    #[test]
    fn plain_with_a_token_provider_is_rejected() {
        let err = ClientConfig::builder()
            .set_all([
                BOOTSTRAP,
                ("security.protocol", "SASL_SSL"),
                ("sasl.username", "u"),
                ("sasl.password", "p"),
            ])
            .unwrap()
            .sasl_token_provider(Arc::new(StaticToken))
            .build();
        let (key, reason) = config_err(err);
        assert_eq!(key, "sasl.mechanism");
        assert!(reason.contains("use OAUTHBEARER"), "{reason}");
    }

    #[test]
    fn oauthbearer_needs_a_token_provider_from_the_typed_setter() {
        let props = [
            BOOTSTRAP,
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "OAUTHBEARER"),
        ];
        let (key, reason) = config_err(ClientConfig::from_properties(props));
        assert_eq!(key, "sasl.mechanism");
        assert!(reason.contains("token provider"), "{reason}");

        let config = ClientConfig::builder()
            .set_all(props)
            .unwrap()
            .sasl_token_provider(Arc::new(StaticToken))
            .build()
            .unwrap();
        let sasl = config.sasl.unwrap();
        assert_eq!(sasl.mechanism, SaslMechanism::OAuthBearer);
        assert!(sasl.token_provider.is_some());

        let err = ClientConfig::builder()
            .set_all(props)
            .unwrap()
            .set("sasl.username", "u")
            .unwrap()
            .sasl_token_provider(Arc::new(StaticToken))
            .build();
        assert_eq!(config_err(err).0, "sasl.username");
    }

    #[test]
    fn typed_sasl_setter_replaces_key_settings() {
        let config = ClientConfig::builder()
            .set_all([
                BOOTSTRAP,
                ("security.protocol", "SASL_SSL"),
                ("sasl.username", "u"),
                ("sasl.jaas.config", PLAIN_JAAS),
            ])
            .unwrap()
            .sasl(SaslConfig {
                mechanism: SaslMechanism::ScramSha256,
                username: "typed".into(),
                password: "pw".into(),
                token_provider: None,
            })
            .build()
            .unwrap();
        assert_eq!(config.sasl.unwrap().username, "typed");
    }

    #[test]
    fn jaas_config_plain_and_scram() {
        let config = parse(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.jaas.config", PLAIN_JAAS),
        ])
        .unwrap();
        let sasl = config.sasl.unwrap();
        assert_eq!(sasl.username, "alice");
        assert_eq!(sasl.password, "p@ss word");

        let scram = r#"
            // a comment
            org.apache.kafka.common.security.scram.ScramLoginModule REQUIRED /* inline */
                username='bob' password="a \"quoted\" \\ value;=" extra=unquoted-word_1.0;
        "#;
        let config = parse(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-256"),
            ("sasl.jaas.config", scram),
        ])
        .unwrap();
        let sasl = config.sasl.unwrap();
        assert_eq!(sasl.username, "bob");
        assert_eq!(sasl.password, r#"a "quoted" \ value;="#);
    }

    #[test]
    fn jaas_config_forgives_a_missing_semicolon_and_takes_the_last_duplicate() {
        let creds =
            parse_jaas_config("x.PlainLoginModule optional username=a password=b password=c")
                .unwrap();
        assert_eq!(
            (creds.username.as_str(), creds.password.as_str()),
            ("a", "c")
        );
    }

    #[test]
    fn jaas_config_errors() {
        let module = "org.apache.kafka.common.security.plain.PlainLoginModule";
        for (text, needle) in [
            ("", "empty"),
            ("   // only a comment", "empty"),
            (
                "\"quoted\" required;",
                "expected a login module class name at character 1",
            ),
            (module, "expected a control flag"),
            (
                &format!("{module} mandatory username=\"u\";"),
                "expected a control flag",
            ),
            (
                &format!("{module} required username \"u\";"),
                "expected `=` after option `username`",
            ),
            (
                &format!("{module} required username=;"),
                "expected a value for option `username`",
            ),
            (
                &format!("{module} required \"u\"=x;"),
                "found a quoted string",
            ),
            (&format!("{module} required =x;"), "unexpected `=`"),
            (
                &format!("{module} required password=\"secret\";"),
                "PlainLoginModule has no `username` option",
            ),
            (
                &format!("{module} required username=\"u\";"),
                "PlainLoginModule has no `password` option",
            ),
            (
                &format!("{module} required username=\"u\" password=\"p\"; {module} required;"),
                "exactly one login module",
            ),
            (
                &format!("{module} required username=\"u\" password=\"secret"),
                "unterminated quoted string",
            ),
            (
                &format!("{module} required username=\"u\" password=\"secret\\"),
                "unterminated quoted string",
            ),
            (
                &format!("{module} required /* username=\"u\""),
                "unterminated `/*` comment",
            ),
            (
                &format!("{module} required username=\"u\" password=\"p\" ,"),
                "unexpected `,`",
            ),
            (
                "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;",
                "sasl_token_provider",
            ),
            (
                "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;",
                "is not supported",
            ),
        ] {
            let (key, reason) = config_err(parse(&[
                ("security.protocol", "SASL_SSL"),
                ("sasl.jaas.config", text),
            ]));
            assert_eq!(key, "sasl.jaas.config", "{text}");
            assert!(reason.contains(needle), "{text}: {reason}");
            assert!(!reason.contains("secret"), "leaks the password: {reason}");
        }
    }

    #[test]
    fn jaas_config_and_username_keys_conflict() {
        let (key, reason) = config_err(parse(&[
            ("security.protocol", "SASL_SSL"),
            ("sasl.jaas.config", PLAIN_JAAS),
            ("sasl.password", "other"),
        ]));
        assert_eq!(key, "sasl.jaas.config");
        assert!(reason.contains("not both"));
    }

    #[test]
    fn builder_setters_and_set() {
        let tls = TlsConfig {
            endpoint_identification: false,
            ..TlsConfig::default()
        };
        let config = ClientConfig::builder()
            .bootstrap_servers(["a:1"])
            .client_id("c")
            .request_timeout(Duration::from_millis(1))
            .socket_connection_setup_timeout(Duration::from_millis(2))
            .connections_max_idle(Duration::from_millis(3))
            .reconnect_backoff(Duration::from_millis(4))
            .reconnect_backoff_max(Duration::from_millis(5))
            .retry_backoff(Duration::from_millis(6))
            .retry_backoff_max(Duration::from_millis(7))
            .metadata_max_age(Duration::from_millis(8))
            .client_dns_lookup(DnsLookup::ResolveCanonicalBootstrapServersOnly)
            .max_in_flight_requests_per_connection(1)
            .max_response_size(9)
            .security_protocol(SecurityProtocol::Ssl)
            .tls(tls.clone())
            .set("client.id", "from-key")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(config.client_id, "from-key");
        assert_eq!(config.request_timeout, Duration::from_millis(1));
        assert_eq!(
            config.socket_connection_setup_timeout,
            Duration::from_millis(2)
        );
        assert_eq!(config.connections_max_idle, Duration::from_millis(3));
        assert_eq!(config.reconnect_backoff, Duration::from_millis(4));
        assert_eq!(config.reconnect_backoff_max, Duration::from_millis(5));
        assert_eq!(config.retry_backoff, Duration::from_millis(6));
        assert_eq!(config.retry_backoff_max, Duration::from_millis(7));
        assert_eq!(config.metadata_max_age, Duration::from_millis(8));
        assert_eq!(
            config.client_dns_lookup,
            DnsLookup::ResolveCanonicalBootstrapServersOnly
        );
        assert_eq!(config.max_in_flight_requests_per_connection, 1);
        assert_eq!(config.max_response_size, 9);
        assert_eq!(config.tls, tls);

        let (key, reason) = config_err(ClientConfig::builder().set("nope", "1"));
        assert_eq!(
            (key.as_str(), reason.as_str()),
            ("nope", "unknown configuration key")
        );
        let (key, _) = config_err(ClientConfig::builder().set("retry.backoff.ms", "-1"));
        assert_eq!(key, "retry.backoff.ms");
    }

    #[test]
    fn builder_debug_hides_the_password() {
        let builder = ClientConfig::builder()
            .set_all([("sasl.password", "hunter2")])
            .unwrap();
        assert!(!format!("{builder:?}").contains("hunter2"));
    }
}
