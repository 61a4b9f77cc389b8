//! The settings every client shares (connection, security, metadata), their string keys and
//! their builder.

use std::sync::Arc;
use std::time::Duration;

use super::jaas::parse_jaas_config;
use super::properties::{parse_enum, shown, ApplyProperties, Properties};
use super::security::*;
use crate::error::{Error, Result};

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
    /// `metrics.sample.window.ms`: the length of one sample of the windowed rates, averages
    /// and maxima in the clients' [metrics](crate::metrics) (Java's default, 30 s).
    pub metrics_sample_window: Duration,
    /// `metrics.num.samples`: how many samples the window holds (Java's default, 2).
    pub metrics_num_samples: u32,
    /// How often a client publishes its metrics to the `metrics` facade (only with the cargo
    /// feature `metrics`; see [`crate::metrics`]). Not a Java key: set it with
    /// [`ClientConfigBuilder::metrics_publish_interval`] or on the field. Default 10 s.
    pub metrics_publish_interval: Duration,
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
            metrics_sample_window: Duration::from_millis(30_000),
            metrics_num_samples: 2,
            metrics_publish_interval: Duration::from_secs(10),
        }
    }
}

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
        "metrics.sample.window.ms",
        "metrics.num.samples",
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
    /// use kafkito::config::{ClientConfig, SaslMechanism, SecurityProtocol};
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
    /// # Ok::<(), kafkito::Error>(())
    /// ```
    pub fn from_properties<I, K, V>(properties: I) -> Result<ClientConfig>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        ClientConfigBuilder::default().set_all(properties)?.build()
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
/// use kafkito::config::{ClientConfig, SaslConfig, SaslMechanism, SecurityProtocol};
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
/// # Ok::<(), kafkito::Error>(())
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

    /// `metrics.sample.window.ms` and `metrics.num.samples`: the [metrics](crate::metrics)
    /// window is `samples` samples of `window` each (Java's defaults: 30 s × 2).
    ///
    /// ```
    /// use std::time::Duration;
    /// use kafkito::ClientConfig;
    ///
    /// let config = ClientConfig::builder()
    ///     .bootstrap_servers(["localhost:9092"])
    ///     .metrics_window(Duration::from_secs(10), 6)
    ///     .build()?;
    /// assert_eq!(config.metrics_num_samples, 6);
    /// # Ok::<(), kafkito::Error>(())
    /// ```
    pub fn metrics_window(mut self, window: Duration, samples: u32) -> Self {
        self.config.metrics_sample_window = window;
        self.config.metrics_num_samples = samples;
        self
    }

    /// How often the client publishes its metrics to the `metrics` facade, with the cargo
    /// feature `metrics` (default 10 s; Java has no such key). Without the feature it has no
    /// effect.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kafkito::ClientConfig;
    ///
    /// let config = ClientConfig::builder()
    ///     .bootstrap_servers(["localhost:9092"])
    ///     .metrics_publish_interval(Duration::from_secs(15))
    ///     .build()?;
    /// assert_eq!(config.metrics_publish_interval, Duration::from_secs(15));
    /// # Ok::<(), kafkito::Error>(())
    /// ```
    pub fn metrics_publish_interval(mut self, interval: Duration) -> Self {
        self.config.metrics_publish_interval = interval;
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
            ("metrics.sample.window.ms", &mut c.metrics_sample_window),
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
        if let Some(samples) = props.take_u32("metrics.num.samples")? {
            c.metrics_num_samples = samples;
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
