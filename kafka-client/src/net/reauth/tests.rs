//! Re-authentication against a scripted fake broker (`net::test_peer`) over an in-memory
//! stream with paused time: the broker announces a session lifetime and, like a Kafka broker
//! with `connections.max.reauth.ms`, closes the connection if the session runs out; it checks
//! when the client re-authenticates and that nothing else arrives during the exchange.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use kafkito_protocol::messages::api_versions_response::ApiVersion;
use kafkito_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, MetadataRequest, SaslAuthenticateRequest,
    SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};
use kafkito_protocol::ErrorCode;
use tokio::io::DuplexStream;
use tokio::time::Instant;

use super::*;
use crate::config::{ClientConfig, SaslMechanism, SecurityProtocol};
use crate::error::Error;
use crate::net::test_peer::{self, ask, echoed, Peer, Received};

const LIFETIME: Duration = Duration::from_secs(10);

fn plain_config() -> ClientConfig {
    ClientConfig {
        security_protocol: SecurityProtocol::SaslPlaintext,
        sasl: Some(SaslConfig {
            mechanism: SaslMechanism::Plain,
            username: "alice".into(),
            password: "s3cret".into(),
            token_provider: None,
        }),
        ..ClientConfig::default()
    }
}

fn start() -> (Connection, Peer<DuplexStream>) {
    let (client, peer) = test_peer::duplex_pair();
    let conn = Connection::start(
        client,
        "fake:9092",
        test_peer::options(5, Duration::from_secs(30)),
    );
    (conn, peer)
}

/// The fake broker's side of the opening handshake: ApiVersions (with SaslAuthenticate up to
/// `authenticate_max`), then one PLAIN login announcing `lifetime`.
async fn serve_login(peer: &mut Peer<DuplexStream>, authenticate_max: i16, lifetime: Duration) {
    let request = peer.read_request().await.unwrap();
    assert_eq!(request.api(), ApiKey::ApiVersions);
    let response = ApiVersionsResponse {
        api_keys: [
            (ApiKey::ApiVersions, 3),
            (ApiKey::Metadata, 12),
            (ApiKey::SaslHandshake, 1),
            (ApiKey::SaslAuthenticate, authenticate_max),
        ]
        .into_iter()
        .map(|(api, max)| ApiVersion {
            api_key: api.key(),
            min_version: 0,
            max_version: max,
            ..Default::default()
        })
        .collect(),
        ..Default::default()
    };
    peer.respond::<ApiVersionsRequest>(request.correlation_id(), request.version(), &response)
        .await;
    let request = peer.read_request().await.unwrap();
    serve_handshake(peer, &request).await;
    let request = peer.read_request().await.unwrap();
    serve_authenticate(peer, &request, lifetime, 0).await;
}

async fn serve_handshake(peer: &mut Peer<DuplexStream>, request: &Received) {
    assert_eq!(request.api(), ApiKey::SaslHandshake);
    assert_eq!(request.decode::<SaslHandshakeRequest>().mechanism, "PLAIN");
    let response = SaslHandshakeResponse {
        mechanisms: vec!["PLAIN".into()],
        ..Default::default()
    };
    peer.respond::<SaslHandshakeRequest>(request.correlation_id(), request.version(), &response)
        .await;
}

async fn serve_authenticate(
    peer: &mut Peer<DuplexStream>,
    request: &Received,
    lifetime: Duration,
    error_code: i16,
) {
    assert_eq!(
        request.api(),
        ApiKey::SaslAuthenticate,
        "nothing but SaslAuthenticate may follow SaslHandshake"
    );
    assert_eq!(
        &request.decode::<SaslAuthenticateRequest>().auth_bytes[..],
        b"\0alice\0s3cret"
    );
    let response = SaslAuthenticateResponse {
        error_code,
        error_message: (error_code != 0)
            .then(|| "Authentication failed: Invalid username or password".into()),
        auth_bytes: Bytes::new(),
        session_lifetime_ms: lifetime.as_millis() as i64,
        ..Default::default()
    };
    peer.respond::<SaslAuthenticateRequest>(request.correlation_id(), request.version(), &response)
        .await;
}

/// What the broker saw.
#[derive(Debug, Default)]
struct Seen {
    /// Metadata topic names, in arrival order.
    metadata: Vec<String>,
    /// Time from each authentication to the SaslHandshake that renewed it.
    renewed_after: Vec<Duration>,
    /// The broker closed the connection because the session ran out.
    closed_at_expiry: bool,
}

/// Serves Metadata (in order, at once: with paused time a request is read at the instant it
/// is sent, so the broker's clock tells when the client sent it) and re-authentications
/// until the client closes; closes the connection itself, as Kafka does, if the session ends
/// first.
async fn serve(mut peer: Peer<DuplexStream>, mut authenticated_at: Instant) -> Seen {
    let mut seen = Seen::default();
    loop {
        let expiry = authenticated_at + LIFETIME;
        let request = tokio::select! {
            request = peer.read_request() => request,
            _ = tokio::time::sleep_until(expiry) => {
                seen.closed_at_expiry = true;
                return seen; // dropping the stream closes the connection
            }
        };
        let Some(request) = request else {
            return seen;
        };
        match request.api() {
            ApiKey::Metadata => {
                let name = request.decode::<MetadataRequest>().topics.unwrap()[0]
                    .name
                    .clone()
                    .unwrap();
                peer.respond_echo(&request).await;
                seen.metadata.push(name);
            }
            ApiKey::SaslHandshake => {
                seen.renewed_after.push(authenticated_at.elapsed());
                serve_handshake(&mut peer, &request).await;
                let next = peer.read_request().await.unwrap();
                serve_authenticate(&mut peer, &next, LIFETIME, 0).await;
                authenticated_at = Instant::now();
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// A broker announcing a 10 s session (SaslAuthenticate v2) sees the client re-authenticate
/// between 8.5 and 9.5 s after each login, twice in 25 s of steady traffic from three
/// callers; it never has to close the connection, and every request arrives once, in each
/// caller's order, and is answered to its caller. Broker: scripted fake (test_peer), paused
/// time.
#[tokio::test(start_paused = true)]
async fn reauthenticates_before_the_session_ends_without_losing_requests() {
    let (conn, mut peer) = start();
    let config = plain_config();
    let (_, handshake) = tokio::join!(serve_login(&mut peer, 2, LIFETIME), conn.handshake(&config));
    handshake.unwrap();
    let broker = tokio::spawn(serve(peer, Instant::now()));
    let expires = conn.session_expires_at().unwrap();
    assert_eq!(expires - Instant::now(), LIFETIME);

    let until = Instant::now() + Duration::from_secs(25);
    let workers: Vec<_> = (0..3)
        .map(|w| {
            let conn = conn.clone();
            tokio::spawn(async move {
                let mut sent = Vec::new();
                while Instant::now() < until {
                    let name = format!("w{w}-{:05}", sent.len());
                    let response = ask(&conn, &name).await.unwrap();
                    assert_eq!(echoed(&response), name);
                    sent.push(name);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                sent
            })
        })
        .collect();
    let mut sent = BTreeMap::new();
    for (w, worker) in workers.into_iter().enumerate() {
        sent.insert(w, worker.await.unwrap());
    }
    // The session was renewed: the connection now expires 10 s after the last renewal.
    assert!(conn.session_expires_at().unwrap() > expires + Duration::from_secs(8));
    let m = conn.sensors().snapshot();
    assert_eq!(
        (
            m.successful_authentication_total,
            m.successful_reauthentication_total
        ),
        (1, 2),
        "one login, two renewals"
    );
    drop(conn);
    let seen = broker.await.unwrap();

    assert!(!seen.closed_at_expiry, "the session ran out");
    assert_eq!(seen.renewed_after.len(), 2, "{:?}", seen.renewed_after);
    for after in &seen.renewed_after {
        assert!(
            (Duration::from_millis(8_500)..=Duration::from_millis(9_500)).contains(after),
            "re-authenticated {after:?} after the login"
        );
    }
    let total: usize = sent.values().map(Vec::len).sum();
    assert!(total > 1000, "only {total} requests in 25 s");
    assert_eq!(seen.metadata.len(), total, "lost or duplicated requests");
    for (w, names) in &sent {
        let arrived: Vec<&String> = seen
            .metadata
            .iter()
            .filter(|n| n.starts_with(&format!("w{w}-")))
            .collect();
        assert_eq!(
            arrived,
            names.iter().collect::<Vec<_>>(),
            "caller {w} reordered"
        );
    }
}

/// A request already in flight when re-authentication starts is answered (before the
/// SaslHandshake, as Kafka answers in order); one issued during the exchange is held back and
/// sent after the last SaslAuthenticate. Broker: scripted fake (test_peer), paused time.
#[tokio::test(start_paused = true)]
async fn requests_wait_while_reauthenticating() {
    let (conn, mut peer) = start();
    let config = plain_config();
    let (_, handshake) = tokio::join!(serve_login(&mut peer, 2, LIFETIME), conn.handshake(&config));
    handshake.unwrap();
    let login = Instant::now();

    let broker = async {
        // t = 8.4 s: read "before", do not answer yet.
        let before = peer.read_request().await.unwrap();
        assert_eq!(before.api(), ApiKey::Metadata);
        // The re-authentication starts while "before" is in flight.
        let handshake = peer.read_request().await.unwrap();
        assert_eq!(handshake.api(), ApiKey::SaslHandshake);
        let started = login.elapsed();
        peer.respond_echo(&before).await;
        // Stall the exchange past 9.7 s, when the client issues "during".
        tokio::time::sleep_until(login + Duration::from_millis(9_800)).await;
        serve_handshake(&mut peer, &handshake).await;
        let authenticate = peer.read_request().await.unwrap();
        serve_authenticate(&mut peer, &authenticate, LIFETIME, 0).await;
        let during = peer.read_request().await.unwrap();
        assert_eq!(during.api(), ApiKey::Metadata);
        peer.respond_echo(&during).await;
        (started, peer)
    };
    let client = async {
        tokio::time::sleep_until(login + Duration::from_millis(8_400)).await;
        let before = ask(&conn, "before");
        let during = async {
            tokio::time::sleep_until(login + Duration::from_millis(9_700)).await;
            let response = ask(&conn, "during").await;
            (response, login.elapsed())
        };
        tokio::join!(before, during)
    };
    let ((started, _peer), (before, (during, during_answered))) = tokio::join!(broker, client);
    assert!(
        (Duration::from_millis(8_500)..=Duration::from_millis(9_500)).contains(&started),
        "{started:?}"
    );
    assert_eq!(echoed(&before.unwrap()), "before");
    assert_eq!(echoed(&during.unwrap()), "during");
    assert!(during_answered >= Duration::from_millis(9_800));
    assert_eq!(
        conn.session_expires_at().unwrap(),
        login + Duration::from_millis(9_800) + LIFETIME
    );
}

/// A broker whose SaslAuthenticate is v0 only cannot announce a lifetime (the field is v1+),
/// so the client never re-authenticates, even when the broker puts one in its (v0) response.
/// Broker: scripted fake (test_peer), paused time.
#[tokio::test(start_paused = true)]
async fn no_reauthentication_without_sasl_authenticate_v1() {
    let (conn, mut peer) = start();
    let config = plain_config();
    let (_, handshake) = tokio::join!(serve_login(&mut peer, 0, LIFETIME), conn.handshake(&config));
    handshake.unwrap();
    assert_eq!(conn.session_expires_at(), None);
    let broker = async {
        let mut apis = Vec::new();
        while let Some(request) = peer.read_request().await {
            apis.push(request.api());
            peer.respond_echo(&request).await;
        }
        apis
    };
    let client = async {
        for i in 0..30 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            ask(&conn, &format!("t{i}")).await.unwrap();
        }
        drop(conn);
    };
    let (apis, ()) = tokio::join!(broker, client);
    assert_eq!(apis, vec![ApiKey::Metadata; 30]);
}

/// A refused re-authentication closes the connection with the broker's reason: requests
/// held back fail with it, and so does everything after. Broker: scripted fake (test_peer),
/// paused time.
#[tokio::test(start_paused = true)]
async fn failed_reauthentication_poisons_the_connection() {
    let (conn, mut peer) = start();
    let config = plain_config();
    let (_, handshake) = tokio::join!(serve_login(&mut peer, 2, LIFETIME), conn.handshake(&config));
    handshake.unwrap();
    let login = Instant::now();
    let broker = async {
        let handshake = peer.read_request().await.unwrap();
        tokio::time::sleep_until(login + Duration::from_millis(9_800)).await;
        serve_handshake(&mut peer, &handshake).await;
        let authenticate = peer.read_request().await.unwrap();
        serve_authenticate(
            &mut peer,
            &authenticate,
            Duration::ZERO,
            ErrorCode::SaslAuthenticationFailed.code(),
        )
        .await;
        peer
    };
    let client = async {
        tokio::time::sleep_until(login + Duration::from_millis(9_700)).await;
        ask(&conn, "held").await
    };
    let (mut peer, held) = tokio::join!(broker, client);
    let error = held.unwrap_err();
    assert!(
        matches!(&error, Error::Authentication { reason, .. } if reason.contains("Invalid username or password")),
        "{error}"
    );
    assert!(conn.is_poisoned());
    assert!(peer.closed_by_client().await);
    let m = conn.sensors().snapshot();
    assert_eq!(m.failed_reauthentication_total, 1);
    assert_eq!(
        (m.connection_creation_total, m.connection_close_total),
        (1, 1)
    );
}

#[test]
fn the_point_is_85_to_95_percent_of_the_lifetime() {
    let start = Instant::now();
    for jitter in [-1.0, 0.0, 0.5, 1.0, 2.0] {
        let at = reauthentication_point(start, LIFETIME, jitter) - start;
        assert!(
            (Duration::from_millis(8_500)..=Duration::from_millis(9_500)).contains(&at),
            "{jitter}: {at:?}"
        );
    }
    assert_eq!(
        reauthentication_point(start, LIFETIME, 0.5) - start,
        Duration::from_secs(9)
    );
}
