//! The `client_credentials` token provider: fetching (with Java's retry rules), checking the
//! token's claims (with Java's `LoginAccessTokenValidator` rules), caching, and refreshing
//! before expiry (with Java's `ExpiringCredentialRefreshingLogin` rules).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use base64::Engine as _;
use futures::future::BoxFuture;
use tracing::{debug, info, warn};

use super::http::{self, Endpoint, Failure, Transport};
use super::ClientCredentialsConfig;
use crate::config::{OAuthToken, OAuthTokenProvider};
use crate::error::{Error, Result};

/// HTTP codes Java's `HttpAccessTokenRetriever` does not retry: the request itself is wrong,
/// so asking again cannot help. Anything else that is not 200/201 is retried.
const UNRETRYABLE_STATUS: &[u16] = &[
    400, 401, 402, 403, 404, 405, 406, 407, 409, 410, 411, 412, 413, 414, 415, 501, 505,
];

/// After a failed refresh, how long to keep serving the still-valid token before trying
/// again (Java's `DELAY_SECONDS_BEFORE_NEXT_RETRY_WHEN_RELOGIN_FAILS`).
const RETRY_AFTER_FAILED_REFRESH: Duration = Duration::from_secs(10);

/// An [`OAuthTokenProvider`] that fetches tokens from an OAuth 2 token endpoint with the
/// `client_credentials` grant (KIP-768) and caches each one until its refresh point.
///
/// Each fetch `POST`s `grant_type=client_credentials[&scope=…]` with HTTP Basic
/// authentication (`client_id:client_secret`), retrying connection failures and unexpected
/// status codes with exponential backoff for up to `sasl.login.retry.backoff.max.ms`, as Java
/// does. The `access_token` must be a JWT with a string principal claim (`sub`) and an `exp`.
///
/// A token is reused until its refresh point ([`refresh_at`]); the first [`token`] call after
/// it fetches a new one (every new connection and every KIP-368 re-authentication asks). If
/// that fetch fails while the old token is still valid, the old one is served and the fetch
/// retried 10 s later, as Java's refresh thread keeps the old credential.
///
/// [`token`]: OAuthTokenProvider::token
///
/// ```no_run
/// # async fn demo() -> kafkito::Result<()> {
/// use std::sync::Arc;
/// use kafkito::config::{ClientConfig, SaslMechanism, SecurityProtocol};
/// use kafkito::oauth::{ClientCredentialsConfig, ClientCredentialsProvider};
///
/// // From string keys, as a Java client's properties file gives them...
/// let config = ClientConfig::from_properties([
///     ("bootstrap.servers", "kafka:9093"),
///     ("security.protocol", "SASL_SSL"),
///     ("sasl.mechanism", "OAUTHBEARER"),
///     ("sasl.oauthbearer.token.endpoint.url", "https://idp.example/oauth2/token"),
///     ("sasl.oauthbearer.client.credentials.client.id", "billing"),
///     ("sasl.oauthbearer.client.credentials.client.secret", "s3cret"),
///     ("sasl.oauthbearer.scope", "kafka"),
/// ])?;
/// // ...or in code.
/// let provider = ClientCredentialsProvider::new(ClientCredentialsConfig::new(
///     "https://idp.example/oauth2/token",
///     "billing",
///     "s3cret",
/// ))?;
/// let config = ClientConfig::builder()
///     .bootstrap_servers(["kafka:9093"])
///     .security_protocol(SecurityProtocol::SaslSsl)
///     .set("sasl.mechanism", "OAUTHBEARER")?
///     .sasl_token_provider(Arc::new(provider))
///     .build()?;
/// # let _ = config; Ok(()) }
/// ```
#[derive(Debug)]
pub struct ClientCredentialsProvider {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientCredentialsConfig,
    endpoint: Endpoint,
    transport: Transport,
    /// The request, formatted once.
    authorization: String,
    body: String,
    /// The cached token and when to fetch the next; the lock makes concurrent callers share
    /// one fetch.
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentialsProvider")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

struct Cached {
    token: OAuthToken,
    refresh_at: SystemTime,
}

/// What one HTTP attempt ended with.
enum Attempt {
    Retryable(Error),
    Final(Error),
}

impl ClientCredentialsProvider {
    /// A provider for `config` (validated; for `https://` the TLS trust settings are read
    /// here, so a bad CA file fails now rather than at the first connection).
    pub fn new(config: ClientCredentialsConfig) -> Result<ClientCredentialsProvider> {
        config.validate()?;
        let endpoint = Endpoint::parse(&config.token_endpoint_url)
            .map_err(|reason| Error::config("sasl.oauthbearer.token.endpoint.url", reason))?;
        let transport = if endpoint.https {
            #[cfg(feature = "tls")]
            {
                Transport::Tls(crate::net::tls::connector(&config.tls)?)
            }
            #[cfg(not(feature = "tls"))]
            {
                return Err(Error::config(
                    "sasl.oauthbearer.token.endpoint.url",
                    "an https:// token endpoint needs kafkito's `tls` feature",
                ));
            }
        } else {
            Transport::Plain
        };
        let (id, secret) = (config.client_id.trim(), config.client_secret.trim());
        let credentials = if config.header_urlencode {
            format!(
                "{}:{}",
                http::form_urlencode(id),
                http::form_urlencode(secret)
            )
        } else {
            format!("{id}:{secret}")
        };
        // RFC 7617: the standard (not URL-safe) base64 alphabet.
        let authorization = format!("Basic {}", BASE64.encode(credentials));
        let mut body = "grant_type=client_credentials".to_owned();
        if let Some(scope) = config
            .scope
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            body.push_str("&scope=");
            body.push_str(&http::form_urlencode(scope));
        }
        Ok(ClientCredentialsProvider {
            inner: Arc::new(Inner {
                config,
                endpoint,
                transport,
                authorization,
                body,
                cache: tokio::sync::Mutex::new(None),
            }),
        })
    }

    /// Fetches a token now, ignoring the cache (the cache is not updated either).
    pub async fn fetch(&self) -> Result<OAuthToken> {
        self.inner.fetch().await.map(|(token, _)| token)
    }
}

impl OAuthTokenProvider for ClientCredentialsProvider {
    fn token(&self) -> BoxFuture<'_, Result<OAuthToken>> {
        Box::pin(self.inner.token())
    }
}

impl Inner {
    fn url(&self) -> &str {
        &self.config.token_endpoint_url
    }

    async fn token(&self) -> Result<OAuthToken> {
        let mut cache = self.cache.lock().await;
        let now = SystemTime::now();
        if let Some(cached) = cache.as_ref() {
            if now < cached.refresh_at {
                return Ok(cached.token.clone());
            }
        }
        match self.fetch().await {
            Ok((token, issued_at)) => {
                let refresh = refresh_at(
                    &self.config,
                    SystemTime::now(),
                    issued_at,
                    token.expires_at,
                    fastrand::f64(),
                );
                info!(
                    endpoint = self.url(),
                    principal = %token.principal,
                    expires_in_s = secs_until(token.expires_at),
                    refresh_in_s = secs_until(refresh),
                    "OAuth token fetched"
                );
                *cache = Some(Cached {
                    token: token.clone(),
                    refresh_at: refresh,
                });
                Ok(token)
            }
            Err(error) => match cache.as_mut() {
                Some(cached) if SystemTime::now() < cached.token.expires_at => {
                    cached.refresh_at = SystemTime::now() + RETRY_AFTER_FAILED_REFRESH;
                    warn!(
                        endpoint = self.url(),
                        %error,
                        expires_in_s = secs_until(cached.token.expires_at),
                        "refreshing the OAuth token failed; using the current one until it expires"
                    );
                    Ok(cached.token.clone())
                }
                _ => Err(error),
            },
        }
    }

    /// One fetch with Java's retry rules: attempts until one succeeds, one fails for good, or
    /// `retry_backoff_max` has passed since the first; the wait doubles from `retry_backoff`
    /// and is cut to what is left of the budget.
    async fn fetch(&self) -> Result<(OAuthToken, Option<SystemTime>)> {
        let started = tokio::time::Instant::now();
        let budget_ends = started + self.config.retry_backoff_max;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let error = match self.attempt().await {
                Ok(body) => return self.parse(&body),
                Err(Attempt::Final(error)) => return Err(error),
                Err(Attempt::Retryable(error)) => error,
            };
            let now = tokio::time::Instant::now();
            let wait = self
                .config
                .retry_backoff
                .saturating_mul(1u32.checked_shl(attempt - 1).unwrap_or(u32::MAX))
                .min(budget_ends.saturating_duration_since(now));
            if wait.is_zero() {
                warn!(endpoint = self.url(), attempt, %error, "giving up on the token endpoint");
                return Err(error);
            }
            debug!(endpoint = self.url(), attempt, %error, wait_ms = wait.as_millis() as u64, "token endpoint failed; retrying");
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(&self) -> std::result::Result<Vec<u8>, Attempt> {
        let response = http::post_form(
            &self.endpoint,
            &self.transport,
            &[("Authorization", self.authorization.clone())],
            &self.body,
            self.config.connect_timeout,
            self.config.read_timeout,
        )
        .await
        .map_err(|failure| {
            Attempt::Retryable(match failure {
                Failure::Io(source) => Error::Io {
                    broker: self.url().to_owned(),
                    source: Arc::new(source),
                },
                Failure::Timeout(what, after) => Error::Timeout {
                    what: format!("{what} ({})", self.url()),
                    after,
                },
            })
        })?;
        match response.status {
            200 | 201 if response.body.iter().all(u8::is_ascii_whitespace) => {
                Err(Attempt::Retryable(self.io_error(format!(
                    "the token endpoint answered {} with an empty body",
                    response.status
                ))))
            }
            200 | 201 => Ok(response.body),
            status if UNRETRYABLE_STATUS.contains(&status) => {
                Err(Attempt::Final(Error::Authentication {
                    broker: self.url().to_owned(),
                    reason: format!(
                        "the token endpoint answered {status} {}; not retrying",
                        error_summary(&response.body)
                    ),
                }))
            }
            status => Err(Attempt::Retryable(self.io_error(format!(
                "the token endpoint answered {status} {}",
                error_summary(&response.body)
            )))),
        }
    }

    fn io_error(&self, message: String) -> Error {
        Error::Io {
            broker: self.url().to_owned(),
            source: Arc::new(std::io::Error::other(message)),
        }
    }

    /// The `access_token` of a token response, checked as Java's `LoginAccessTokenValidator`
    /// does (the signature is the broker's to check): three parts, a JSON payload with a
    /// numeric `exp`, a non-blank string principal claim, an optional numeric `iat`.
    fn parse(&self, body: &[u8]) -> Result<(OAuthToken, Option<SystemTime>)> {
        let invalid = |reason: String| Error::Authentication {
            broker: self.url().to_owned(),
            reason: format!("the token endpoint's answer is unusable: {reason}"),
        };
        let document: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| invalid(format!("not JSON ({e})")))?;
        let access_token = document
            .get("access_token")
            .and_then(|t| t.as_str())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| invalid("no access_token".into()))?;
        let parts: Vec<&str> = access_token.split('.').collect();
        let [_, payload, _] = parts[..] else {
            return Err(invalid(format!(
                "the access_token is not a JWT: expected three sections (header, payload, \
                 signature), found {}",
                parts.len()
            )));
        };
        let payload = BASE64URL
            .decode(payload.trim_end_matches('='))
            .map_err(|e| invalid(format!("the JWT payload is not base64url ({e})")))?;
        let claims: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&payload)
                .map_err(|e| invalid(format!("the JWT payload is not a JSON object ({e})")))?;
        let seconds = |name: &str| -> Result<Option<SystemTime>> {
            match claims.get(name) {
                None => Ok(None),
                Some(value) => {
                    let seconds = value.as_f64().filter(|s| *s >= 0.0).ok_or_else(|| {
                        invalid(format!("the `{name}` claim is not a non-negative number"))
                    })?;
                    Ok(Some(
                        UNIX_EPOCH + Duration::from_millis((seconds * 1000.0) as u64),
                    ))
                }
            }
        };
        let expires_at = seconds("exp")?.ok_or_else(|| invalid("no `exp` claim".into()))?;
        let issued_at = seconds("iat")?;
        let sub = &self.config.sub_claim_name;
        let principal = claims
            .get(sub)
            .and_then(|p| p.as_str())
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| invalid(format!("no string `{sub}` claim (the principal)")))?;
        if let Some(scope) = claims.get(&self.config.scope_claim_name) {
            if !(scope.is_string() || scope.is_array()) {
                return Err(invalid(format!(
                    "the `{}` claim is neither a string nor a list",
                    self.config.scope_claim_name
                )));
            }
        }
        Ok((
            OAuthToken {
                value: access_token.to_owned(),
                principal: principal.to_owned(),
                expires_at,
                extensions: self.config.extensions.clone(),
            },
            issued_at,
        ))
    }
}

/// `error - error_description` (or Okta's `errorCode - errorSummary`) from an error
/// response, as Java reports it; never more than 1000 characters of anything else.
fn error_summary(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body) {
        for (code, description) in [
            ("error", "error_description"),
            ("errorCode", "errorSummary"),
        ] {
            if let Some(code) = map.get(code) {
                let text = |v: Option<&serde_json::Value>| match v {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                return format!("{{{} - {}}}", text(Some(code)), text(map.get(description)));
            }
        }
    }
    let trimmed = text.trim();
    if trimmed.is_empty() {
        "{}".to_owned()
    } else {
        format!("{{{}}}", trimmed.chars().take(1000).collect::<String>())
    }
}

fn secs_until(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::now())
        .map_or(0, |d| d.as_secs())
}

/// When to fetch the next token, by Java's `ExpiringCredentialRefreshingLogin` rules, for a
/// token valid from `issued_at` (its `iat`, else `now`) to `expires_at`, with `jitter` in
/// `0.0..=1.0`:
///
/// - the proposal is `start + (expires_at − start) × (window factor + window jitter × jitter)`;
/// - if the token's remaining life is shorter than min period + buffer, the proposal stands;
/// - otherwise it is moved back to `expires_at − buffer` if later than that, and forward to
///   `now + min period` if sooner than that.
///
/// An expired token is due now.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use kafkito::oauth::{refresh_at, ClientCredentialsConfig};
///
/// let config = ClientCredentialsConfig::new("http://idp/token", "id", "secret");
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let hour = Duration::from_secs(3600);
/// // An hour-long token: refreshed after 80% (+ up to 5% jitter) of its life.
/// assert_eq!(refresh_at(&config, now, Some(now), now + hour, 0.0), now + Duration::from_secs(2880));
/// // A 20-minute token: no later than 5 minutes (the buffer) before expiry.
/// let twenty_min = Duration::from_secs(1200);
/// assert_eq!(refresh_at(&config, now, Some(now), now + twenty_min, 0.0), now + Duration::from_secs(900));
/// ```
pub fn refresh_at(
    config: &ClientCredentialsConfig,
    now: SystemTime,
    issued_at: Option<SystemTime>,
    expires_at: SystemTime,
    jitter: f64,
) -> SystemTime {
    if now >= expires_at {
        return now;
    }
    let start = issued_at.filter(|&iat| iat < expires_at).unwrap_or(now);
    let share =
        config.refresh_window_factor + config.refresh_window_jitter * jitter.clamp(0.0, 1.0);
    let life = expires_at.duration_since(start).unwrap_or_default();
    let proposed = start + life.mul_f64(share);
    if now + config.refresh_min_period + config.refresh_buffer > expires_at {
        return proposed;
    }
    let end_buffer_begins = expires_at - config.refresh_buffer;
    if proposed > end_buffer_begins {
        return end_buffer_begins;
    }
    let min_period_ends = now + config.refresh_min_period;
    if proposed < min_period_ends {
        return min_period_ends;
    }
    proposed
}
