//! The handshake against a scripted broker: version negotiation (including the KIP-511 v0
//! fallback) and the SASL conversation, success and each kind of refusal.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures::future::BoxFuture;
use kafkito_protocol::messages::api_versions_response::ApiVersion;
use kafkito_protocol::messages::{
    ApiVersionsResponse, MetadataRequest, SaslAuthenticateResponse, SaslHandshakeResponse,
};
use tokio::net::TcpStream;
use tower::{Service, ServiceExt};

use super::*;
use crate::config::{OAuthToken, OAuthTokenProvider, SaslMechanism, SecurityProtocol};
use crate::net::test_peer::{self, echoed, metadata, Peer};

type FakeBroker = Peer<TcpStream>;

/// The ranges our fake broker announces: Metadata up to 12 (below our newest), SASL APIs.
fn broker_ranges() -> Vec<(ApiKey, i16, i16)> {
    vec![
        (ApiKey::ApiVersions, 0, 4),
        (ApiKey::Metadata, 0, 12),
        (ApiKey::Produce, 3, 11),
        (ApiKey::SaslHandshake, 0, 1),
        (ApiKey::SaslAuthenticate, 0, 2),
    ]
}

fn api_versions_response(ranges: &[(ApiKey, i16, i16)], error_code: i16) -> ApiVersionsResponse {
    ApiVersionsResponse {
        error_code,
        api_keys: ranges
            .iter()
            .map(|&(api, min_version, max_version)| ApiVersion {
                api_key: api.key(),
                min_version,
                max_version,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// Reads an ApiVersions request and answers it with `ranges`; returns the request's version.
async fn serve_api_versions(peer: &mut FakeBroker, ranges: &[(ApiKey, i16, i16)]) -> i16 {
    let request = peer.read_request().await.unwrap();
    assert_eq!(request.api(), ApiKey::ApiVersions);
    let response = api_versions_response(ranges, 0);
    peer.respond::<ApiVersionsRequest>(request.correlation_id(), request.version(), &response)
        .await;
    request.version()
}

fn sasl_config(mechanism: SaslMechanism) -> ClientConfig {
    ClientConfig {
        security_protocol: SecurityProtocol::SaslPlaintext,
        sasl: Some(SaslConfig {
            mechanism,
            username: "alice".into(),
            password: "s3cret".into(),
            token_provider: None,
        }),
        ..ClientConfig::default()
    }
}

async fn connection() -> (Connection, FakeBroker) {
    test_peer::connection(test_peer::options(5, Duration::from_secs(30))).await
}

/// Reads a SaslHandshake request for `expected` and answers with `enabled`.
async fn serve_sasl_handshake(
    peer: &mut FakeBroker,
    expected: &str,
    enabled: &[&str],
    error_code: i16,
) {
    let request = peer.read_request().await.unwrap();
    assert_eq!(request.version(), 1);
    assert_eq!(request.decode::<SaslHandshakeRequest>().mechanism, expected);
    let response = SaslHandshakeResponse {
        error_code,
        mechanisms: enabled.iter().map(|m| m.to_string()).collect(),
        ..Default::default()
    };
    peer.respond::<SaslHandshakeRequest>(request.correlation_id(), 1, &response)
        .await;
}

/// Reads a SaslAuthenticate request, returns its bytes, answers with `response`.
async fn serve_sasl_authenticate(
    peer: &mut FakeBroker,
    response: SaslAuthenticateResponse,
) -> Bytes {
    let request = peer.read_request().await.unwrap();
    let auth_bytes = request.decode::<SaslAuthenticateRequest>().auth_bytes;
    peer.respond::<SaslAuthenticateRequest>(request.correlation_id(), request.version(), &response)
        .await;
    auth_bytes
}

fn auth_ok(auth_bytes: &[u8]) -> SaslAuthenticateResponse {
    SaslAuthenticateResponse {
        auth_bytes: Bytes::copy_from_slice(auth_bytes),
        session_lifetime_ms: 3_600_000,
        ..Default::default()
    }
}

#[tokio::test]
async fn api_versions_at_our_newest_version() {
    let (conn, mut peer) = connection().await;
    let broker = async {
        let request = peer.read_request().await.unwrap();
        assert_eq!(request.version(), ApiKey::ApiVersions.max_version());
        let body: ApiVersionsRequest = request.decode();
        assert_eq!(body.client_software_name, SOFTWARE_NAME);
        assert_eq!(body.client_software_version, SOFTWARE_VERSION);
        let response = api_versions_response(&broker_ranges(), 0);
        peer.respond::<ApiVersionsRequest>(request.correlation_id(), request.version(), &response)
            .await;
    };
    let config = ClientConfig::default();
    let ((), versions) = tokio::join!(broker, conn.handshake(&config));
    let versions = versions.unwrap();
    assert_eq!(versions.broker_range(ApiKey::Metadata), Some((0, 12)));
    assert_eq!(conn.version_for(ApiKey::Metadata).unwrap(), 12);
    assert_eq!(
        conn.version_for(ApiKey::Produce).unwrap(),
        11.min(ApiKey::Produce.max_version())
    );
    assert!(matches!(
        conn.version_for(ApiKey::Fetch),
        Err(Error::UnsupportedVersion { broker_min: -1, .. })
    ));
}

#[tokio::test]
async fn unsupported_version_retries_at_the_brokers_newest() {
    let (conn, mut peer) = connection().await;
    let broker = async {
        let first = peer.read_request().await.unwrap();
        assert_eq!(first.version(), ApiKey::ApiVersions.max_version());
        // KIP-511: the broker answers a version it does not know with a v0 body.
        let refusal = api_versions_response(&[(ApiKey::ApiVersions, 0, 2)], 35);
        peer.respond::<ApiVersionsRequest>(first.correlation_id(), 0, &refusal)
            .await;
        serve_api_versions(
            &mut peer,
            &[(ApiKey::ApiVersions, 0, 2), (ApiKey::Metadata, 0, 7)],
        )
        .await
    };
    let config = ClientConfig::default();
    let (retried_at, versions) = tokio::join!(broker, conn.handshake(&config));
    assert_eq!(retried_at, 2);
    assert_eq!(versions.unwrap().version_for(ApiKey::Metadata).unwrap(), 7);
}

#[tokio::test]
async fn unsupported_version_without_a_range_falls_back_to_v0() {
    let (conn, mut peer) = connection().await;
    let broker = async {
        let first = peer.read_request().await.unwrap();
        let refusal = api_versions_response(&[], 35);
        peer.respond::<ApiVersionsRequest>(first.correlation_id(), 0, &refusal)
            .await;
        serve_api_versions(&mut peer, &broker_ranges()).await
    };
    let config = ClientConfig::default();
    let (retried_at, versions) = tokio::join!(broker, conn.handshake(&config));
    assert_eq!(retried_at, 0);
    versions.unwrap();
}

#[test]
fn version_for_reports_both_ranges_when_they_do_not_overlap() {
    let versions = ApiVersions::new("b:9092", [(ApiKey::Metadata.key(), 50, 60)]);
    match versions.version_for(ApiKey::Metadata).unwrap_err() {
        Error::UnsupportedVersion {
            broker,
            api,
            broker_min,
            broker_max,
            client_min,
            client_max,
        } => {
            assert_eq!(broker, "b:9092");
            assert_eq!(api, ApiKey::Metadata);
            assert_eq!((broker_min, broker_max), (50, 60));
            assert_eq!(
                (client_min, client_max),
                (
                    ApiKey::Metadata.min_version(),
                    ApiKey::Metadata.max_version()
                )
            );
        }
        other => panic!("{other}"),
    }
    // Overlapping at one version only.
    let top = ApiKey::Metadata.max_version();
    let versions = ApiVersions::new("b:9092", [(ApiKey::Metadata.key(), top, top + 5)]);
    assert_eq!(versions.version_for(ApiKey::Metadata).unwrap(), top);
    assert!(versions.supports(ApiKey::Metadata));
    assert!(!versions.supports(ApiKey::Fetch));
}

#[tokio::test]
async fn sasl_plain_succeeds() {
    let (conn, mut peer) = connection().await;
    let broker = async {
        serve_api_versions(&mut peer, &broker_ranges()).await;
        serve_sasl_handshake(&mut peer, "PLAIN", &["SCRAM-SHA-512", "PLAIN"], 0).await;
        serve_sasl_authenticate(&mut peer, auth_ok(b"")).await
    };
    let config = sasl_config(SaslMechanism::Plain);
    let (sent, result) = tokio::join!(broker, conn.handshake(&config));
    result.unwrap();
    assert_eq!(&sent[..], b"\0alice\0s3cret");
    let m = conn.sensors().snapshot();
    assert_eq!(
        (
            m.successful_authentication_total,
            m.failed_authentication_total
        ),
        (1, 0)
    );
    // auth_ok announces a one-hour session.
    let expires_in = conn.session_expires_at().unwrap() - tokio::time::Instant::now();
    assert!(expires_in > Duration::from_secs(3590) && expires_in <= Duration::from_secs(3600));
}

#[tokio::test]
async fn sasl_mechanism_not_enabled_lists_the_brokers() {
    let (conn, mut peer) = connection().await;
    let broker = async {
        serve_api_versions(&mut peer, &broker_ranges()).await;
        serve_sasl_handshake(&mut peer, "PLAIN", &["SCRAM-SHA-512", "OAUTHBEARER"], 33).await;
        peer
    };
    let config = sasl_config(SaslMechanism::Plain);
    let (_peer, result) = tokio::join!(broker, conn.handshake(&config));
    let error = result.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::Authentication { .. }), "{text}");
    assert!(
        text.contains("PLAIN") && text.contains("SCRAM-SHA-512, OAUTHBEARER"),
        "{text}"
    );
    assert!(!error.is_retriable());
}

#[tokio::test]
async fn sasl_failure_names_mechanism_and_broker_message() {
    let (conn, mut peer) = connection().await;
    let broker = async {
        serve_api_versions(&mut peer, &broker_ranges()).await;
        serve_sasl_handshake(&mut peer, "SCRAM-SHA-256", &["SCRAM-SHA-256"], 0).await;
        let refusal = SaslAuthenticateResponse {
            error_code: 58,
            error_message: Some("Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256".into()),
            ..Default::default()
        };
        serve_sasl_authenticate(&mut peer, refusal).await;
        peer
    };
    let config = sasl_config(SaslMechanism::ScramSha256);
    let (_peer, result) = tokio::join!(broker, conn.handshake(&config));
    let error = result.unwrap_err();
    let text = error.to_string();
    assert!(matches!(error, Error::Authentication { .. }), "{text}");
    assert!(
        text.contains("SCRAM-SHA-256: Authentication failed"),
        "{text}"
    );
    assert!(text.contains("SASL_AUTHENTICATION_FAILED"), "{text}");
    let m = conn.sensors().snapshot();
    assert_eq!(
        (
            m.successful_authentication_total,
            m.failed_authentication_total
        ),
        (0, 1)
    );
}

#[tokio::test]
async fn scram_with_a_wrong_server_signature_fails() {
    let (conn, mut peer) = connection().await;
    let broker = async {
        serve_api_versions(&mut peer, &broker_ranges()).await;
        serve_sasl_handshake(&mut peer, "SCRAM-SHA-512", &["SCRAM-SHA-512"], 0).await;
        // client-first → server-first built from the client's nonce.
        let request = peer.read_request().await.unwrap();
        let client_first = request.decode::<SaslAuthenticateRequest>().auth_bytes;
        let client_first = std::str::from_utf8(&client_first).unwrap().to_owned();
        assert!(client_first.starts_with("n,,n=alice,r="), "{client_first}");
        let nonce = client_first.rsplit_once("r=").unwrap().1;
        let server_first = format!("r={nonce}server,s=c2FsdA==,i=4096");
        peer.respond::<SaslAuthenticateRequest>(
            request.correlation_id(),
            request.version(),
            &auth_ok(server_first.as_bytes()),
        )
        .await;
        // client-final → a server signature that proves nothing.
        let client_final = serve_sasl_authenticate(
            &mut peer,
            auth_ok(b"v=dGhpcyBpcyBub3QgdGhlIHNpZ25hdHVyZQ=="),
        )
        .await;
        assert!(client_final.starts_with(format!("c=biws,r={nonce}server,p=").as_bytes()));
        peer
    };
    let config = sasl_config(SaslMechanism::ScramSha512);
    let (_peer, result) = tokio::join!(broker, conn.handshake(&config));
    let error = result.unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error}");
    assert!(error.to_string().contains("server signature"), "{error}");
}

#[derive(Debug)]
struct FixedToken;

impl OAuthTokenProvider for FixedToken {
    fn token(&self) -> BoxFuture<'_, crate::Result<OAuthToken>> {
        Box::pin(async {
            Ok(OAuthToken {
                value: "eyJ.token.sig".into(),
                principal: "svc".into(),
                expires_at: SystemTime::now() + Duration::from_secs(3600),
                extensions: vec![("logicalCluster".into(), "lkc-1".into())],
            })
        })
    }
}

#[tokio::test]
async fn oauthbearer_sends_the_providers_token() {
    let (conn, mut peer) = connection().await;
    let mut config = sasl_config(SaslMechanism::OAuthBearer);
    config.sasl.as_mut().unwrap().token_provider = Some(Arc::new(FixedToken));
    let broker = async {
        serve_api_versions(&mut peer, &broker_ranges()).await;
        serve_sasl_handshake(&mut peer, "OAUTHBEARER", &["OAUTHBEARER"], 0).await;
        serve_sasl_authenticate(&mut peer, auth_ok(b"")).await
    };
    let (sent, result) = tokio::join!(broker, conn.handshake(&config));
    result.unwrap();
    assert_eq!(
        &sent[..],
        b"n,,\x01auth=Bearer eyJ.token.sig\x01logicalCluster=lkc-1\x01\x01"
    );
}

#[tokio::test]
async fn broker_without_sasl_authenticate_is_refused_clearly() {
    let (conn, mut peer) = connection().await;
    let broker = async {
        serve_api_versions(
            &mut peer,
            &[(ApiKey::ApiVersions, 0, 1), (ApiKey::SaslHandshake, 0, 0)],
        )
        .await;
        peer
    };
    let config = sasl_config(SaslMechanism::Plain);
    let (_peer, result) = tokio::join!(broker, conn.handshake(&config));
    let error = result.unwrap_err();
    assert!(matches!(error, Error::Authentication { .. }), "{error}");
    assert!(error.to_string().contains("SaslAuthenticate"), "{error}");
}

#[tokio::test]
async fn sasl_protocol_without_sasl_settings_is_a_config_error() {
    let (conn, mut peer) = connection().await;
    let config = ClientConfig {
        security_protocol: SecurityProtocol::SaslSsl,
        ..ClientConfig::default()
    };
    let broker = async {
        serve_api_versions(&mut peer, &broker_ranges()).await;
        peer
    };
    let (_peer, result) = tokio::join!(broker, conn.handshake(&config));
    assert!(matches!(result.unwrap_err(), Error::Config { .. }));
}

#[tokio::test]
async fn tower_service_uses_the_negotiated_version() {
    let (conn, mut peer) = connection().await;
    let config = ClientConfig::default();
    let ranges = broker_ranges();
    let (_, versions) = tokio::join!(
        serve_api_versions(&mut peer, &ranges),
        conn.handshake(&config)
    );
    versions.unwrap();
    let broker = async {
        let request = peer.read_request().await.unwrap();
        assert_eq!(request.version(), 12);
        peer.respond_echo(&request).await;
    };
    let ((), response) = tokio::join!(broker, conn.clone().oneshot(metadata("svc")));
    assert_eq!(echoed(&response.unwrap()), "svc");

    // A poisoned connection is not ready.
    conn.close();
    let mut service = conn.clone();
    let ready =
        std::future::poll_fn(|cx| Service::<MetadataRequest>::poll_ready(&mut service, cx)).await;
    assert!(matches!(ready, Err(Error::ConnectionClosed { .. })));
}

#[tokio::test]
async fn eof_at_the_first_request_after_a_plain_handshake_hints_at_sasl() {
    let (conn, mut peer) = connection().await;
    let config = ClientConfig::default();
    let ranges = broker_ranges();
    let (_, versions) = tokio::join!(
        serve_api_versions(&mut peer, &ranges),
        conn.handshake(&config)
    );
    versions.unwrap();
    // What a Kafka SASL listener does with a Metadata request before authentication.
    let broker = async {
        peer.read_request().await.unwrap();
        drop(peer);
    };
    let ((), result) = tokio::join!(broker, test_peer::ask(&conn, "x"));
    let error = result.unwrap_err();
    assert!(
        matches!(error, Error::Io { .. }) && error.is_retriable(),
        "{error}"
    );
    assert!(error.to_string().contains("require SASL"), "{error}");
}

#[tokio::test]
async fn broker_closing_during_sasl_is_explained() {
    let (conn, mut peer) = connection().await;
    let broker = async {
        serve_api_versions(&mut peer, &broker_ranges()).await;
        // Like tansu for a mechanism it has not enabled: hang up instead of answering.
        peer.read_request().await.unwrap();
        drop(peer);
    };
    let config = sasl_config(SaslMechanism::Plain);
    let ((), result) = tokio::join!(broker, conn.handshake(&config));
    let error = result.unwrap_err();
    assert!(error.is_retriable(), "{error}");
    assert!(
        error.to_string().contains("during PLAIN authentication"),
        "{error}"
    );
}
