//! OAUTHBEARER tokens from an OpenID Connect / OAuth 2 token endpoint with the
//! `client_credentials` grant (KIP-768), as Java's `OAuthBearerLoginCallbackHandler` with its
//! default `ClientCredentialsJwtRetriever` fetches them.
//!
//! Separate from [`net::sasl`](crate::net::sasl), which only puts a token on the wire: this
//! module owns where tokens come from and when a new one is needed. It has two halves:
//!
//! - [`ClientCredentialsConfig`], the settings, always compiled so that string keys parse (and
//!   say what is missing) in every build;
//! - `ClientCredentialsProvider`, the [`OAuthTokenProvider`](crate::config::OAuthTokenProvider)
//!   that talks HTTP(S), behind the `oauth-oidc` cargo feature (HTTPS also needs `tls`).
//!
//! # Settings, as Kafka names them
//!
//! | key | JAAS option (`OAuthBearerLoginModule`) | default |
//! | --- | --- | --- |
//! | `sasl.oauthbearer.token.endpoint.url` | | required |
//! | `sasl.oauthbearer.client.credentials.client.id` (Kafka 4.1+) | `clientId` | required |
//! | `sasl.oauthbearer.client.credentials.client.secret` (Kafka 4.1+) | `clientSecret` | required |
//! | `sasl.oauthbearer.scope` (Kafka 4.1+) | `scope` | none |
//! | | `extension_<name>` (KIP-342 SASL extensions) | none |
//! | `sasl.oauthbearer.scope.claim.name` | | `scope` |
//! | `sasl.oauthbearer.sub.claim.name` | | `sub` |
//! | `sasl.oauthbearer.header.urlencode` (KIP-1025) | | `false` |
//! | `sasl.login.connect.timeout.ms` | | 10 s here (Java: none) |
//! | `sasl.login.read.timeout.ms` | | 30 s here (Java: none) |
//! | `sasl.login.retry.backoff.ms` | | 100 ms |
//! | `sasl.login.retry.backoff.max.ms` | | 10 s |
//! | `sasl.login.refresh.window.factor` | | 0.8 |
//! | `sasl.login.refresh.window.jitter` | | 0.05 |
//! | `sasl.login.refresh.min.period.seconds` | | 60 |
//! | `sasl.login.refresh.buffer.seconds` | | 300 |
//!
//! The explicit keys win over the JAAS options when both are given, as in Kafka 4.1.

#[cfg(feature = "oauth-oidc")]
mod http;
#[cfg(feature = "oauth-oidc")]
mod provider;
#[cfg(all(test, feature = "oauth-oidc"))]
mod tests;

use std::fmt;
use std::time::Duration;

#[cfg(feature = "oauth-oidc")]
pub use provider::{refresh_at, ClientCredentialsProvider};

use crate::config::{ApplyProperties, ClientConfig, Properties, SaslMechanism, TlsConfig};
use crate::error::{Error, Result};

/// Where and how to fetch OAUTHBEARER tokens with the `client_credentials` grant. Field names
/// mirror Kafka's keys (see the [module docs](self)); [`ClientCredentialsConfig::new`] gives
/// Kafka's defaults.
#[derive(Clone, PartialEq)]
pub struct ClientCredentialsConfig {
    /// `sasl.oauthbearer.token.endpoint.url` (`http://` or, with the `tls` feature,
    /// `https://`).
    pub token_endpoint_url: String,
    /// `sasl.oauthbearer.client.credentials.client.id` (JAAS `clientId`).
    pub client_id: String,
    /// `sasl.oauthbearer.client.credentials.client.secret` (JAAS `clientSecret`).
    pub client_secret: String,
    /// `sasl.oauthbearer.scope` (JAAS `scope`): sent as the `scope` form parameter.
    pub scope: Option<String>,
    /// SASL extensions (KIP-342) sent with every token (JAAS `extension_<name>` options).
    pub extensions: Vec<(String, String)>,
    /// `sasl.oauthbearer.scope.claim.name`: the token claim holding its scopes.
    pub scope_claim_name: String,
    /// `sasl.oauthbearer.sub.claim.name`: the token claim naming the principal.
    pub sub_claim_name: String,
    /// `sasl.oauthbearer.header.urlencode`: URL-encode the client id and secret inside the
    /// Basic authorization header (some identity providers need it, KIP-1025).
    pub header_urlencode: bool,
    /// `sasl.login.connect.timeout.ms`: how long connecting to the endpoint may take.
    pub connect_timeout: Duration,
    /// `sasl.login.read.timeout.ms`: how long the endpoint may take to answer once connected.
    pub read_timeout: Duration,
    /// `sasl.login.retry.backoff.ms`: the first wait before retrying a failed request; it
    /// doubles with each attempt.
    pub retry_backoff: Duration,
    /// `sasl.login.retry.backoff.max.ms`: the total time spent retrying one fetch, as Java's
    /// `Retry` uses it.
    pub retry_backoff_max: Duration,
    /// `sasl.login.refresh.window.factor`: refresh once this share of the token's lifetime
    /// has passed (0.5..=1.0).
    pub refresh_window_factor: f64,
    /// `sasl.login.refresh.window.jitter`: a random share (0..=0.25) added to the factor.
    pub refresh_window_jitter: f64,
    /// `sasl.login.refresh.min.period.seconds`: never refresh sooner than this after a fetch
    /// (0..=900 s).
    pub refresh_min_period: Duration,
    /// `sasl.login.refresh.buffer.seconds`: refresh at least this long before expiry
    /// (0..=3600 s).
    pub refresh_buffer: Duration,
    /// What to trust for an `https://` endpoint (default: the bundled webpki roots). Kafka
    /// configures this apart from the broker's `ssl.*` settings, and so does this client.
    pub tls: TlsConfig,
}

impl fmt::Debug for ClientCredentialsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret.
        f.debug_struct("ClientCredentialsConfig")
            .field("token_endpoint_url", &self.token_endpoint_url)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("sub_claim_name", &self.sub_claim_name)
            .finish_non_exhaustive()
    }
}

impl Default for ClientCredentialsConfig {
    fn default() -> Self {
        ClientCredentialsConfig::new("", "", "")
    }
}

impl ClientCredentialsConfig {
    /// Settings for `client_id`/`client_secret` at `token_endpoint_url`, everything else at
    /// Kafka's defaults.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kafkito::oauth::ClientCredentialsConfig;
    ///
    /// let config = ClientCredentialsConfig::new("https://idp.example/oauth2/token", "billing", "s3cret");
    /// assert_eq!(config.refresh_window_factor, 0.8);
    /// assert_eq!(config.retry_backoff_max, Duration::from_secs(10));
    /// assert!(config.validate().is_ok());
    /// ```
    pub fn new(
        token_endpoint_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        ClientCredentialsConfig {
            token_endpoint_url: token_endpoint_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: None,
            extensions: Vec::new(),
            scope_claim_name: "scope".into(),
            sub_claim_name: "sub".into(),
            header_urlencode: false,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            retry_backoff: Duration::from_millis(100),
            retry_backoff_max: Duration::from_secs(10),
            refresh_window_factor: 0.8,
            refresh_window_jitter: 0.05,
            refresh_min_period: Duration::from_secs(60),
            refresh_buffer: Duration::from_secs(300),
            tls: TlsConfig::default(),
        }
    }

    /// Checks each setting against Kafka's allowed range; the error names the key.
    pub fn validate(&self) -> Result<()> {
        let url = self.token_endpoint_url.trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Error::config(
                "sasl.oauthbearer.token.endpoint.url",
                "expected an http:// or https:// URL",
            ));
        }
        for (key, value) in [
            (
                "sasl.oauthbearer.client.credentials.client.id",
                &self.client_id,
            ),
            (
                "sasl.oauthbearer.client.credentials.client.secret",
                &self.client_secret,
            ),
        ] {
            if value.trim().is_empty() {
                return Err(Error::config(
                    key,
                    "required with sasl.oauthbearer.token.endpoint.url (or the JAAS clientId / \
                     clientSecret options)",
                ));
            }
        }
        let ranges = [
            (
                "sasl.login.refresh.window.factor",
                self.refresh_window_factor,
                0.5,
                1.0,
            ),
            (
                "sasl.login.refresh.window.jitter",
                self.refresh_window_jitter,
                0.0,
                0.25,
            ),
            (
                "sasl.login.refresh.min.period.seconds",
                self.refresh_min_period.as_secs_f64(),
                0.0,
                900.0,
            ),
            (
                "sasl.login.refresh.buffer.seconds",
                self.refresh_buffer.as_secs_f64(),
                0.0,
                3600.0,
            ),
        ];
        for (key, value, min, max) in ranges {
            if !(min..=max).contains(&value) {
                return Err(Error::config(
                    key,
                    format!("{value} is outside Kafka's range {min}..={max}"),
                ));
            }
        }
        Ok(())
    }
}

/// The OAuth settings a [`ClientConfigBuilder`](crate::config::ClientConfigBuilder) collected
/// from string keys and `sasl.jaas.config`, turned into a token provider at `build()`.
#[derive(Debug, Clone, Default)]
pub(crate) struct OAuthKeys {
    config: ClientCredentialsConfig,
    /// The first key that asked for OAuth (for errors), if any did.
    first_key: Option<&'static str>,
    explicit_id: bool,
    explicit_secret: bool,
    explicit_scope: bool,
}

impl OAuthKeys {
    fn mark(&mut self, key: &'static str) {
        self.first_key.get_or_insert(key);
    }

    /// The options of an `OAuthBearerLoginModule` line in `sasl.jaas.config`: `clientId`,
    /// `clientSecret`, `scope` and `extension_<name>`; explicit keys set before or after win.
    /// Other options (Java's unsecured-login `unsecuredLogin*` ones) are refused: this client
    /// has no unsecured token builder.
    pub(crate) fn apply_jaas_options(&mut self, options: Vec<(String, String)>) -> Result<()> {
        self.mark("sasl.jaas.config");
        for (name, value) in options {
            match name.as_str() {
                "clientId" if !self.explicit_id => self.config.client_id = value,
                "clientSecret" if !self.explicit_secret => self.config.client_secret = value,
                "scope" if !self.explicit_scope => self.config.scope = Some(value),
                "clientId" | "clientSecret" | "scope" => {}
                _ => match name.strip_prefix("extension_") {
                    Some(extension) if !extension.is_empty() => {
                        self.config.extensions.push((extension.to_owned(), value))
                    }
                    _ => {
                        return Err(Error::config(
                            "sasl.jaas.config",
                            format!(
                                "OAuthBearerLoginModule option `{name}` is not supported; use \
                                 clientId, clientSecret, scope and extension_<name>"
                            ),
                        ))
                    }
                },
            }
        }
        Ok(())
    }

    /// Turns the collected settings into `config.sasl.token_provider`, or explains why not.
    pub(crate) fn finish(self, config: &mut ClientConfig) -> Result<()> {
        let Some(first_key) = self.first_key else {
            return Ok(());
        };
        let mechanism = config.sasl.as_ref().map(|s| s.mechanism);
        if mechanism != Some(SaslMechanism::OAuthBearer) {
            return Err(Error::config(
                first_key,
                format!(
                    "OAuth settings are for sasl.mechanism=OAUTHBEARER, but sasl.mechanism is {}; \
                     for OAUTHBEARER set sasl.oauthbearer.token.endpoint.url or a token provider \
                     with ClientConfigBuilder::sasl_token_provider",
                    mechanism.map_or("not set", |m| m.name())
                ),
            ));
        }
        let has_provider = config
            .sasl
            .as_ref()
            .is_some_and(|s| s.token_provider.is_some());
        if self.config.token_endpoint_url.is_empty() {
            if has_provider {
                // `OAuthBearerLoginModule required;` beside a provider given in code.
                return Ok(());
            }
            return Err(Error::config(
                "sasl.oauthbearer.token.endpoint.url",
                "OAUTHBEARER configured with string keys needs the token endpoint URL (and client \
                 credentials), or a token provider set with ClientConfigBuilder::sasl_token_provider",
            ));
        }
        if has_provider {
            return Err(Error::config(
                "sasl.oauthbearer.token.endpoint.url",
                "both a token endpoint and a token provider are set; use one",
            ));
        }
        self.config.validate()?;
        #[cfg(feature = "oauth-oidc")]
        {
            let provider = ClientCredentialsProvider::new(self.config)?;
            if let Some(sasl) = config.sasl.as_mut() {
                sasl.token_provider = Some(std::sync::Arc::new(provider));
            }
            Ok(())
        }
        #[cfg(not(feature = "oauth-oidc"))]
        {
            Err(Error::config(
                "sasl.oauthbearer.token.endpoint.url",
                "this build has no OIDC token provider: enable kafkito's `oauth-oidc` \
                 feature, or set a token provider with ClientConfigBuilder::sasl_token_provider",
            ))
        }
    }
}

impl ApplyProperties for OAuthKeys {
    fn apply_properties(&mut self, props: &mut Properties) -> Result<()> {
        let c = &mut self.config;
        let mut seen = Vec::new();
        if let Some(url) = props.take_string("sasl.oauthbearer.token.endpoint.url") {
            c.token_endpoint_url = url;
            seen.push("sasl.oauthbearer.token.endpoint.url");
        }
        if let Some(id) = props.take_string("sasl.oauthbearer.client.credentials.client.id") {
            c.client_id = id;
            self.explicit_id = true;
            seen.push("sasl.oauthbearer.client.credentials.client.id");
        }
        // Untrimmed, as a password.
        if let Some(secret) = props.take_raw("sasl.oauthbearer.client.credentials.client.secret") {
            c.client_secret = secret;
            self.explicit_secret = true;
            seen.push("sasl.oauthbearer.client.credentials.client.secret");
        }
        if let Some(scope) = props.take_string("sasl.oauthbearer.scope") {
            c.scope = Some(scope);
            self.explicit_scope = true;
            seen.push("sasl.oauthbearer.scope");
        }
        for (key, field) in [
            ("sasl.oauthbearer.scope.claim.name", &mut c.scope_claim_name),
            ("sasl.oauthbearer.sub.claim.name", &mut c.sub_claim_name),
        ] {
            if let Some(value) = props.take_string(key) {
                *field = value;
                seen.push(key);
            }
        }
        if let Some(encode) = props.take_bool("sasl.oauthbearer.header.urlencode")? {
            c.header_urlencode = encode;
            seen.push("sasl.oauthbearer.header.urlencode");
        }
        for (key, field) in [
            ("sasl.login.connect.timeout.ms", &mut c.connect_timeout),
            ("sasl.login.read.timeout.ms", &mut c.read_timeout),
            ("sasl.login.retry.backoff.ms", &mut c.retry_backoff),
            ("sasl.login.retry.backoff.max.ms", &mut c.retry_backoff_max),
        ] {
            if let Some(value) = props.take_duration_ms(key)? {
                *field = value;
                seen.push(key);
            }
        }
        for (key, field) in [
            (
                "sasl.login.refresh.min.period.seconds",
                &mut c.refresh_min_period,
            ),
            ("sasl.login.refresh.buffer.seconds", &mut c.refresh_buffer),
        ] {
            if let Some(seconds) = props.take_u64(key)? {
                *field = Duration::from_secs(seconds);
                seen.push(key);
            }
        }
        for (key, field) in [
            (
                "sasl.login.refresh.window.factor",
                &mut c.refresh_window_factor,
            ),
            (
                "sasl.login.refresh.window.jitter",
                &mut c.refresh_window_jitter,
            ),
        ] {
            if let Some(value) = props.take_parsed(key, |v| {
                v.parse::<f64>()
                    .map_err(|_| format!("expected a number, got `{v}`"))
            })? {
                *field = value;
                seen.push(key);
            }
        }
        // Only the keys that name an endpoint or credentials ask for OAuth; tuning keys alone
        // (a shared properties file) do not.
        for key in seen {
            if matches!(
                key,
                "sasl.oauthbearer.token.endpoint.url"
                    | "sasl.oauthbearer.client.credentials.client.id"
                    | "sasl.oauthbearer.client.credentials.client.secret"
            ) {
                self.mark(key);
            }
        }
        Ok(())
    }
}

#[cfg(all(test, not(feature = "oauth-oidc")))]
mod tests_without_the_feature {
    use crate::config::ClientConfig;
    use crate::error::Error;

    /// Without `oauth-oidc`, a token endpoint URL is a configuration error that says which
    /// feature to enable, not an unknown key.
    #[test]
    fn a_token_endpoint_needs_the_feature() {
        let err = ClientConfig::from_properties([
            ("bootstrap.servers", "k:9092"),
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.token.endpoint.url", "http://idp/token"),
            ("sasl.oauthbearer.client.credentials.client.id", "id"),
            ("sasl.oauthbearer.client.credentials.client.secret", "s"),
        ])
        .unwrap_err();
        assert!(
            matches!(&err, Error::Config { key, reason }
                if key == "sasl.oauthbearer.token.endpoint.url" && reason.contains("`oauth-oidc` feature")),
            "{err}"
        );
    }
}
