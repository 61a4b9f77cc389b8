//! What happens on a new connection before it carries requests: ApiVersions (which versions of
//! each API the broker speaks) and, when configured, SASL authentication.
//!
//! Separate from [`connection`](crate::net::connection), which only moves frames, and from
//! [`sasl`], whose mechanisms are pure byte-level state machines: this module is the
//! conversation that ties them together, and the one place that decides which version of an
//! API to speak ([`ApiVersions::version_for`]).
//!
//! # ApiVersions negotiation
//!
//! We ask at our newest ApiVersions version. A broker that does not know that version answers
//! `UNSUPPORTED_VERSION` with a **v0** body listing, among others, the ApiVersions range it does
//! know (KIP-511); we decode that body at v0 and ask again at the highest version we share, as
//! the Java client does. The version only goes down, so this ends, at worst with v0.

use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kafkito_protocol::frame::decode_response;
use kafkito_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, SaslAuthenticateRequest, SaslHandshakeRequest,
};
use kafkito_protocol::ErrorCode;
use tracing::{debug, info, info_span, warn, Instrument};

use crate::config::{ClientConfig, SaslConfig};
use crate::error::{Error, Result};
use crate::net::connection::Connection;
use crate::net::sasl::{self, Step};

/// Sent as `ClientSoftwareName` (ApiVersions v3+); brokers show it in metrics.
const SOFTWARE_NAME: &str = "kafka-sdk-rust";
/// Sent as `ClientSoftwareVersion`.
const SOFTWARE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Most SaslAuthenticate round trips accepted; SCRAM needs two, the others one or two.
const MAX_SASL_ROUNDS: usize = 8;

/// The API version ranges one broker announced in its ApiVersions response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiVersions {
    broker: String,
    /// API key → (min, max) as the broker announced them.
    ranges: BTreeMap<i16, (i16, i16)>,
}

impl ApiVersions {
    /// Version ranges of `broker`, as `(api_key, min, max)`.
    ///
    /// ```
    /// use kafkito::net::ApiVersions;
    /// use kafkito::protocol::messages::ApiKey;
    ///
    /// let versions = ApiVersions::new("b:9092", [(ApiKey::Metadata.key(), 0, 9)]);
    /// assert_eq!(versions.version_for(ApiKey::Metadata).unwrap(), 9);
    /// assert!(versions.version_for(ApiKey::Produce).is_err());
    /// ```
    pub fn new(
        broker: impl Into<String>,
        ranges: impl IntoIterator<Item = (i16, i16, i16)>,
    ) -> Self {
        ApiVersions {
            broker: broker.into(),
            ranges: ranges
                .into_iter()
                .map(|(key, min, max)| (key, (min, max)))
                .collect(),
        }
    }

    /// The ranges in an ApiVersions response.
    pub fn from_response(broker: impl Into<String>, response: &ApiVersionsResponse) -> Self {
        ApiVersions::new(
            broker,
            response
                .api_keys
                .iter()
                .map(|k| (k.api_key, k.min_version, k.max_version)),
        )
    }

    /// `host:port` of the broker.
    pub fn broker(&self) -> &str {
        &self.broker
    }

    /// The broker's `(min, max)` for `api`, if it supports the API at all.
    pub fn broker_range(&self, api: ApiKey) -> Option<(i16, i16)> {
        self.ranges.get(&api.key()).copied()
    }

    /// Whether some version of `api` is spoken by both sides.
    pub fn supports(&self, api: ApiKey) -> bool {
        self.version_for(api).is_ok()
    }

    /// Every announced range as `(api_key, min, max)`, including APIs this client does not
    /// know.
    pub fn iter(&self) -> impl Iterator<Item = (i16, i16, i16)> + '_ {
        self.ranges
            .iter()
            .map(|(&key, &(min, max))| (key, min, max))
    }

    /// The highest version of `api` both the broker and this client speak.
    ///
    /// Fails with [`Error::UnsupportedVersion`] when the ranges do not overlap; when the broker
    /// does not list the API at all, its range is given as `-1..-1`.
    pub fn version_for(&self, api: ApiKey) -> Result<i16> {
        let (client_min, client_max) = (api.min_version(), api.max_version());
        let (broker_min, broker_max) = self.broker_range(api).unwrap_or((-1, -1));
        let version = broker_max.min(client_max);
        if broker_min < 0 || version < broker_min.max(client_min) {
            return Err(Error::UnsupportedVersion {
                broker: self.broker.clone(),
                api,
                broker_min,
                broker_max,
                client_min,
                client_max,
            });
        }
        Ok(version)
    }
}

/// What the handshake learned.
pub(crate) struct Outcome {
    pub versions: ApiVersions,
    /// The SASL session lifetime the broker announced (KIP-368), if any: the broker closes the
    /// connection when it ends unless the client re-authenticates.
    pub session_lifetime: Option<Duration>,
}

/// Runs ApiVersions, then SASL when `config.security_protocol` asks for it.
pub(crate) async fn handshake(connection: &Connection, config: &ClientConfig) -> Result<Outcome> {
    let versions = negotiate_api_versions(connection).await?;
    let mut session_lifetime = None;
    if config.security_protocol.uses_sasl() {
        let sasl = config.sasl.as_ref().ok_or_else(|| {
            Error::config(
                "sasl.mechanism",
                "security.protocol uses SASL but no SASL settings are given",
            )
        })?;
        session_lifetime = authenticate(connection, &versions, sasl, false).await?;
    }
    Ok(Outcome {
        versions,
        session_lifetime,
    })
}

async fn negotiate_api_versions(connection: &Connection) -> Result<ApiVersions> {
    let broker = connection.broker();
    let mut version = ApiKey::ApiVersions.max_version();
    loop {
        let request = ApiVersionsRequest {
            client_software_name: SOFTWARE_NAME.into(),
            client_software_version: SOFTWARE_VERSION.into(),
            ..Default::default()
        };
        let frame = connection
            .call_raw(&request, version, connection.request_timeout())
            .await?;
        let refused =
            frame.get(4..6) == Some(&ErrorCode::UnsupportedVersion.code().to_be_bytes()[..]);
        let response = match decode_api_versions(broker, frame, version) {
            Ok(response) => response,
            // Some peers (librdkafka's mock cluster) refuse a version they do not know with
            // UNSUPPORTED_VERSION in a body of their own layout: the code is readable, the
            // list is not. Ask again at v0, where the KIP-511 fallback ends anyway.
            Err(_) if refused && version > 0 => {
                debug!(
                    broker,
                    tried = version,
                    "unreadable ApiVersions refusal; retrying at v0"
                );
                version = 0;
                continue;
            }
            Err(e) => return Err(e),
        };
        match ErrorCode::from_code(response.error_code) {
            code if code.is_ok() => {
                debug!(
                    broker,
                    version,
                    apis = response.api_keys.len(),
                    "ApiVersions"
                );
                return Ok(ApiVersions::from_response(broker, &response));
            }
            ErrorCode::UnsupportedVersion if version > 0 => {
                let theirs = response
                    .api_keys
                    .iter()
                    .find(|k| k.api_key == ApiKey::ApiVersions.key())
                    .map_or(0, |k| k.max_version);
                // Strictly lower than what failed, so the loop ends.
                let next = theirs.clamp(0, version - 1);
                debug!(
                    broker,
                    tried = version,
                    next,
                    "broker does not know our ApiVersions version"
                );
                version = next;
            }
            _ => {
                return Err(Error::Protocol {
                    api: ApiKey::ApiVersions,
                    code: ErrorCode::from_code(response.error_code),
                    message: None,
                })
            }
        }
    }
}

/// Decodes an ApiVersions response sent for a request at `version`. A broker that does not know
/// `version` answers with a v0 body (KIP-511), so when the error code (right after the v0
/// header's correlation id) says `UNSUPPORTED_VERSION`, v0 is tried first.
fn decode_api_versions(broker: &str, frame: Bytes, version: i16) -> Result<ApiVersionsResponse> {
    let unsupported =
        frame.get(4..6) == Some(&ErrorCode::UnsupportedVersion.code().to_be_bytes()[..]);
    let order = if unsupported {
        [0, version]
    } else {
        [version, 0]
    };
    let mut first_error = None;
    for v in order {
        match decode_response::<ApiVersionsRequest>(frame.clone(), v) {
            Ok((_, response)) => return Ok(response),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(Error::Malformed {
        broker: broker.to_owned(),
        source: first_error.expect("two attempts were made"),
        hint: None,
    })
}

/// Re-authenticates an authenticated connection in place (KIP-368): SaslHandshake and
/// SaslAuthenticate again with the same mechanism and fresh credentials (a new token from the
/// provider), with the versions the connection already negotiated; ApiVersions is not sent
/// again, as in Java's `SaslClientAuthenticator`. Returns the new session lifetime.
pub(crate) async fn reauthenticate(
    connection: &Connection,
    versions: &ApiVersions,
    config: &SaslConfig,
) -> Result<Option<Duration>> {
    authenticate(connection, versions, config, true).await
}

/// SaslHandshake, then SaslAuthenticate rounds until the mechanism is done. Returns the
/// session lifetime the broker announced, if any.
async fn authenticate(
    connection: &Connection,
    versions: &ApiVersions,
    config: &SaslConfig,
    reauthentication: bool,
) -> Result<Option<Duration>> {
    let mechanism = config.mechanism.name();
    let span = info_span!(
        "kafka.sasl",
        broker = connection.broker(),
        mechanism,
        reauthentication
    );
    let result = authenticate_inner(connection, versions, config)
        .instrument(span.clone())
        .await
        .map_err(|error| match error {
            // Brokers close the connection on some SASL failures (an unknown mechanism, or
            // any failure before Kafka 1.0) instead of answering: say so, keep it retriable.
            Error::ConnectionClosed { broker, .. } => Error::Io {
                broker,
                source: Arc::new(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    format!(
                        "the broker closed the connection during {mechanism} authentication: \
                         is the mechanism enabled on this listener, and are the credentials right?"
                    ),
                )),
            },
            other => other,
        });
    let _entered = span.enter();
    let sensors = connection.sensors();
    match (&result, reauthentication) {
        (Ok(_), false) => sensors.authentications.add(1),
        (Ok(_), true) => sensors.reauthentications.add(1),
        (Err(_), false) => sensors.failed_authentications.add(1),
        (Err(_), true) => sensors.failed_reauthentications.add(1),
    }
    match &result {
        Ok(session_lifetime) => {
            let session_lifetime_ms = session_lifetime.map_or(0, |l| l.as_millis() as u64);
            info!(
                outcome = "success",
                session_lifetime_ms, "SASL authentication"
            )
        }
        Err(error) => warn!(outcome = "failure", %error, "SASL authentication"),
    }
    result
}

/// Returns the session lifetime the broker announced (KIP-368), if any. It is only carried by
/// SaslAuthenticate v1+: against a broker that speaks v0 only, there is none, and the
/// connection is never re-authenticated.
async fn authenticate_inner(
    connection: &Connection,
    versions: &ApiVersions,
    config: &SaslConfig,
) -> Result<Option<Duration>> {
    let broker = connection.broker();
    let mechanism = config.mechanism.name();
    let fail = |reason: String| Error::Authentication {
        broker: broker.to_owned(),
        reason: format!("{mechanism}: {reason}"),
    };

    // SaslHandshake v1+ announces that SaslAuthenticate requests follow; v0 would mean raw
    // SASL tokens on the socket (Kafka before 1.0), which this client does not speak.
    let handshake_version = versions
        .version_for(ApiKey::SaslHandshake)
        .ok()
        .filter(|&v| v >= 1);
    let authenticate_version = versions.version_for(ApiKey::SaslAuthenticate).ok();
    let (Some(handshake_version), Some(authenticate_version)) =
        (handshake_version, authenticate_version)
    else {
        return Err(fail(
            "the broker does not support SaslHandshake v1 and SaslAuthenticate (Kafka 1.0+), \
             which this client requires"
                .into(),
        ));
    };

    let handshake = connection
        .call(
            &SaslHandshakeRequest {
                mechanism: mechanism.into(),
                ..Default::default()
            },
            handshake_version,
        )
        .await?;
    let code = ErrorCode::from_code(handshake.error_code);
    let offered = if handshake.mechanisms.is_empty() {
        "none".to_owned()
    } else {
        handshake.mechanisms.join(", ")
    };
    if !code.is_ok() {
        return Err(fail(format!(
            "the broker refused the mechanism ({code}); mechanisms it lists: {offered}"
        )));
    }
    if !handshake.mechanisms.iter().any(|m| m == mechanism) {
        return Err(fail(format!(
            "the mechanism is not enabled on the broker; it offers: {offered}"
        )));
    }

    let mut client = sasl::client_for(config).await?;
    let mut outgoing = client.initial_response().map_err(|e| fail(e.to_string()))?;
    for _round in 0..MAX_SASL_ROUNDS {
        let response = connection
            .call(
                &SaslAuthenticateRequest {
                    auth_bytes: Bytes::from(outgoing),
                    ..Default::default()
                },
                authenticate_version,
            )
            .await?;
        let code = ErrorCode::from_code(response.error_code);
        if !code.is_ok() {
            let message = response
                .error_message
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| code.message().to_owned());
            return Err(fail(format!("{message} ({code})")));
        }
        match client
            .step(&response.auth_bytes)
            .map_err(|e| fail(e.to_string()))?
        {
            Step::Respond(next) => outgoing = next,
            Step::Done => {
                let lifetime = u64::try_from(response.session_lifetime_ms)
                    .ok()
                    .filter(|&ms| ms > 0 && authenticate_version >= 1)
                    .map(Duration::from_millis);
                return Ok(lifetime);
            }
        }
    }
    Err(fail(format!(
        "no result after {MAX_SASL_ROUNDS} SaslAuthenticate rounds"
    )))
}

#[cfg(test)]
mod tests;
