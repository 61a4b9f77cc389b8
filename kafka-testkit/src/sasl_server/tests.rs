//! The server state machines against this SDK's own client mechanisms
//! (`kafkito::net::sasl`), RFC 7677's published SCRAM-SHA-256 exchange, and Kafka's
//! failure messages. No broker: both sides are pure state machines.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kafkito::net::sasl::oauthbearer::OAuthBearerClient;
use kafkito::net::sasl::plain::PlainClient;
use kafkito::net::sasl::scram::{ScramAlgorithm, ScramClient};
use kafkito::net::sasl::{SaslClient, Step as ClientStep};

use super::*;

fn config(lifetime: Option<Duration>) -> Arc<SaslServerConfig> {
    let users = [
        "PLAIN:alice:alice-secret",
        "SCRAM-SHA-256:bob:bob:secret",
        "SCRAM-SHA-512:carol:carol-secret",
        "SCRAM-SHA-512:bob:other-secret",
        "OAUTHBEARER",
    ]
    .into_iter()
    .map(|u| SaslUser::parse(u).unwrap())
    .collect();
    Arc::new(SaslServerConfig::new(users, Vec::new(), lifetime))
}

fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// Runs one exchange, as the connection would: the client's messages in SaslAuthenticate,
/// the server's answers back, until the server says done or failed. Returns the server's last
/// step and what the client made of its last message.
fn exchange(
    server: &mut SaslServer,
    mechanism: &str,
    client: &mut dyn SaslClient,
    at: SystemTime,
) -> (
    Step,
    Option<Result<ClientStep, kafkito::net::sasl::SaslError>>,
) {
    server.handshake(mechanism).expect("mechanism enabled");
    let mut outgoing = client.initial_response().unwrap();
    for _ in 0..4 {
        match server.authenticate(&outgoing, at) {
            Step::Continue(challenge) => match client.step(&challenge).unwrap() {
                ClientStep::Respond(next) => outgoing = next,
                ClientStep::Done => panic!("client done before the server"),
            },
            done @ Step::Done { .. } => {
                let Step::Done { response, .. } = &done else {
                    unreachable!()
                };
                let client_view = client.step(response);
                return (done, Some(client_view));
            }
            failed @ Step::Failed { .. } => return (failed, None),
        }
    }
    panic!("no result after 4 rounds");
}

/// An unsecured JWS (`alg: none`) with these claims.
fn jws(claims: &str) -> String {
    format!(
        "{}.{}.",
        BASE64URL.encode(r#"{"alg":"none"}"#),
        BASE64URL.encode(claims)
    )
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn generic(mechanism: &str) -> String {
    format!(
        "Authentication failed during authentication due to invalid credentials with SASL \
         mechanism {mechanism}"
    )
}

/// RFC 7677 §3's SCRAM-SHA-256 exchange (user "user", password "pencil", salt
/// `W22ZaJ0SNY7soEsUEjb6gQ==`, 4096 iterations): the server's first and final messages must be
/// the published ones byte for byte.
#[test]
fn scram_sha_256_matches_rfc_7677() {
    let mut config = SaslServerConfig::new(Vec::new(), vec![SaslMechanism::ScramSha256], None);
    config.add_scram_credential(
        SaslMechanism::ScramSha256,
        "user",
        "pencil",
        BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap(),
        4096,
    );
    let mut server =
        SaslServer::new(Arc::new(config)).with_fixed_server_nonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    server.handshake("SCRAM-SHA-256").unwrap();
    let first = server.authenticate(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO", now());
    assert_eq!(
        first,
        Step::Continue(
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
                .to_vec()
        )
    );
    let last = server.authenticate(
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        now(),
    );
    assert_eq!(
        last,
        Step::Done {
            principal: "User:user".into(),
            response: b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".to_vec(),
            session_lifetime_ms: 0,
        }
    );
}

/// The same published exchange with one bit of the client proof flipped is refused with
/// Kafka's generic message.
#[test]
fn scram_with_a_wrong_proof_is_refused() {
    let mut config = SaslServerConfig::new(Vec::new(), vec![SaslMechanism::ScramSha256], None);
    config.add_scram_credential(
        SaslMechanism::ScramSha256,
        "user",
        "pencil",
        BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap(),
        4096,
    );
    let mut server =
        SaslServer::new(Arc::new(config)).with_fixed_server_nonce("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    server.handshake("SCRAM-SHA-256").unwrap();
    server.authenticate(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO", now());
    let last = server.authenticate(
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVA=",
        now(),
    );
    assert_eq!(
        last,
        Step::Failed {
            code: ErrorCode::SaslAuthenticationFailed,
            message: generic("SCRAM-SHA-256"),
        }
    );
    assert_eq!(server.principal(), None);
}

/// Our client's PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER log in; the SCRAM client
/// verifies the server signature (its `Done`).
#[test]
fn our_clients_log_in() {
    let config = config(None);
    let cases: Vec<(&str, Box<dyn SaslClient>, &str)> = vec![
        (
            "PLAIN",
            Box::new(PlainClient::new("alice".into(), "alice-secret".into())),
            "User:alice",
        ),
        (
            "SCRAM-SHA-256",
            Box::new(ScramClient::new(
                ScramAlgorithm::Sha256,
                "bob",
                "bob:secret",
            )),
            "User:bob",
        ),
        (
            "SCRAM-SHA-512",
            Box::new(ScramClient::new(
                ScramAlgorithm::Sha512,
                "carol",
                "carol-secret",
            )),
            "User:carol",
        ),
        (
            "SCRAM-SHA-512",
            Box::new(ScramClient::new(
                ScramAlgorithm::Sha512,
                "bob",
                "other-secret",
            )),
            "User:bob",
        ),
        (
            "OAUTHBEARER",
            Box::new(OAuthBearerClient::new(
                jws(&format!(r#"{{"sub":"dave","exp":{}}}"#, secs(now()) + 3600)),
                vec![("traceId".into(), "42".into())],
            )),
            "User:dave",
        ),
    ];
    for (mechanism, mut client, expected) in cases {
        let mut server = SaslServer::new(config.clone());
        let (step, client_view) = exchange(&mut server, mechanism, client.as_mut(), now());
        let Step::Done { principal, .. } = step else {
            panic!("{mechanism}: {step:?}");
        };
        assert_eq!(principal, expected, "{mechanism}");
        assert_eq!(client_view, Some(Ok(ClientStep::Done)), "{mechanism}");
        assert_eq!(server.principal(), Some(expected));
        assert_eq!(server.admit(ApiKey::Metadata, now()), Admission::Serve);
    }
}

/// Wrong credentials fail as Kafka reports them: PLAIN says "Invalid username or password";
/// SCRAM hides whether the user exists (an unknown user fails at the first message, a wrong
/// password at the proof) behind the generic message.
#[test]
fn wrong_credentials_fail_with_kafkas_messages() {
    let config = config(None);
    let cases: Vec<(&str, Box<dyn SaslClient>, String)> = vec![
        (
            "PLAIN",
            Box::new(PlainClient::new("alice".into(), "wrong".into())),
            "Authentication failed: Invalid username or password".into(),
        ),
        (
            "PLAIN",
            Box::new(PlainClient::new("nobody".into(), "alice-secret".into())),
            "Authentication failed: Invalid username or password".into(),
        ),
        (
            "SCRAM-SHA-256",
            Box::new(ScramClient::new(ScramAlgorithm::Sha256, "bob", "wrong")),
            generic("SCRAM-SHA-256"),
        ),
        (
            "SCRAM-SHA-256",
            Box::new(ScramClient::new(ScramAlgorithm::Sha256, "nobody", "x")),
            generic("SCRAM-SHA-256"),
        ),
        (
            // carol is a SCRAM-SHA-512 user only.
            "SCRAM-SHA-256",
            Box::new(ScramClient::new(
                ScramAlgorithm::Sha256,
                "carol",
                "carol-secret",
            )),
            generic("SCRAM-SHA-256"),
        ),
    ];
    for (mechanism, mut client, message) in cases {
        let mut server = SaslServer::new(config.clone());
        let (step, _) = exchange(&mut server, mechanism, client.as_mut(), now());
        assert_eq!(
            step,
            Step::Failed {
                code: ErrorCode::SaslAuthenticationFailed,
                message
            },
            "{mechanism}"
        );
        assert!(matches!(
            server.admit(ApiKey::Metadata, now()),
            Admission::Close(_)
        ));
    }
}

/// PLAIN edge cases from `PlainSaslServer`: missing fields, an authorization id that is not
/// the user.
#[test]
fn plain_edge_cases() {
    let config = config(None);
    for (bytes, message) in [
        (
            &b"\0\0alice-secret"[..],
            "Authentication failed: username not specified".to_owned(),
        ),
        (
            b"\0alice\0",
            "Authentication failed: password not specified".into(),
        ),
        (b"alice-secret", generic("PLAIN")),
        (
            b"bob\0alice\0alice-secret",
            "Authentication failed: Client requested an authorization id that is different from \
             username"
                .into(),
        ),
    ] {
        let mut server = SaslServer::new(config.clone());
        server.handshake("PLAIN").unwrap();
        assert_eq!(
            server.authenticate(bytes, now()),
            Step::Failed {
                code: ErrorCode::SaslAuthenticationFailed,
                message
            }
        );
    }
    let mut server = SaslServer::new(config);
    server.handshake("PLAIN").unwrap();
    assert!(matches!(
        server.authenticate(b"alice\0alice\0alice-secret", now()),
        Step::Done { .. }
    ));
}

/// OAUTHBEARER refusals: the server sends the RFC 7628 error document, our client
/// acknowledges it with %x01, and the exchange fails with the document as the message.
#[test]
fn oauthbearer_refusals() {
    let config = config(None);
    let t = secs(now());
    let cases = [
        // expired
        jws(&format!(r#"{{"sub":"dave","exp":{}}}"#, t - 1)),
        // exp missing
        jws(r#"{"sub":"dave"}"#),
        // sub missing
        jws(&format!(r#"{{"exp":{}}}"#, t + 60)),
        // iat after exp
        jws(&format!(r#"{{"sub":"dave","iat":{},"exp":{}}}"#, t, t - 10)),
        // signed, not unsecured
        format!(
            "{}.{}.c2ln",
            BASE64URL.encode(r#"{"alg":"HS256"}"#),
            BASE64URL.encode(format!(r#"{{"sub":"dave","exp":{}}}"#, t + 60))
        ),
        "not-a-jws".into(),
    ];
    for token in cases {
        let mut server = SaslServer::new(config.clone());
        let mut client = OAuthBearerClient::new(token.clone(), Vec::new());
        server.handshake("OAUTHBEARER").unwrap();
        let first = server.authenticate(&client.initial_response().unwrap(), now());
        assert_eq!(
            first,
            Step::Continue(br#"{"status":"invalid_token"}"#.to_vec()),
            "{token}"
        );
        let Step::Continue(document) = first else {
            unreachable!()
        };
        let ClientStep::Respond(ack) = client.step(&document).unwrap() else {
            panic!("client must acknowledge")
        };
        assert_eq!(
            server.authenticate(&ack, now()),
            Step::Failed {
                code: ErrorCode::SaslAuthenticationFailed,
                message: r#"{"status":"invalid_token"}"#.into()
            }
        );
    }
}

/// A required scope (`unsecuredValidatorRequiredScope`) missing from the token is
/// `insufficient_scope` naming it; present (as a string or an array), the token passes.
#[test]
fn oauthbearer_required_scope() {
    let config = Arc::new(
        (*config(None))
            .clone()
            .with_oauth_validation(UnsecuredJwsValidation {
                required_scope: vec!["kafka".into()],
                ..Default::default()
            }),
    );
    let exp = secs(now()) + 60;
    let attempt = |claims: String| {
        let mut server = SaslServer::new(config.clone());
        server.handshake("OAUTHBEARER").unwrap();
        let mut client = OAuthBearerClient::new(jws(&claims), Vec::new());
        server.authenticate(&client.initial_response().unwrap(), now())
    };
    assert_eq!(
        attempt(format!(r#"{{"sub":"d","exp":{exp},"scope":"read"}}"#)),
        Step::Continue(br#"{"status":"insufficient_scope", "scope":"kafka"}"#.to_vec())
    );
    assert!(matches!(
        attempt(format!(r#"{{"sub":"d","exp":{exp},"scope":"read kafka"}}"#)),
        Step::Done { .. }
    ));
    assert!(matches!(
        attempt(format!(r#"{{"sub":"d","exp":{exp},"scope":["kafka"]}}"#)),
        Step::Done { .. }
    ));
}

/// KIP-368: the session lifetime is `connections.max.reauth.ms`, capped by an OAuth token's
/// remaining life; after it, any request but a SaslHandshake closes the connection; a
/// re-authentication as the same principal starts a new session.
#[test]
fn session_lifetime_and_reauthentication() {
    let ten_s = Some(Duration::from_secs(10));
    let config = config(ten_s);
    let mut server = SaslServer::new(config.clone());
    let (step, _) = exchange(
        &mut server,
        "PLAIN",
        &mut PlainClient::new("alice".into(), "alice-secret".into()),
        now(),
    );
    assert!(matches!(
        step,
        Step::Done {
            session_lifetime_ms: 10_000,
            ..
        }
    ));
    let at = |s: u64| now() + Duration::from_secs(s);
    assert_eq!(server.admit(ApiKey::Metadata, at(10)), Admission::Serve);
    assert!(matches!(
        server.admit(ApiKey::Metadata, at(11)),
        Admission::Close(_)
    ));
    assert_eq!(server.admit(ApiKey::SaslHandshake, at(9)), Admission::Sasl);

    // Re-authenticate at 9 s: a new 10 s session from then.
    let (step, _) = exchange(
        &mut server,
        "PLAIN",
        &mut PlainClient::new("alice".into(), "alice-secret".into()),
        at(9),
    );
    assert!(matches!(
        step,
        Step::Done {
            session_lifetime_ms: 10_000,
            ..
        }
    ));
    assert_eq!(server.authentications(), 2);
    assert_eq!(server.admit(ApiKey::Metadata, at(18)), Admission::Serve);
    assert_eq!(server.session_expires_at(), Some(at(19)));

    // Another principal may not take the connection over...
    server.handshake("PLAIN").unwrap();
    assert_eq!(
        server.authenticate(b"\0bob\0bob:secret", at(10)),
        Step::Failed {
            code: ErrorCode::SaslAuthenticationFailed,
            // bob is no PLAIN user: refused before the principal check.
            message: "Authentication failed: Invalid username or password".into(),
        }
    );
    let plain_users = Arc::new(SaslServerConfig::new(
        vec![
            SaslUser::parse("PLAIN:alice:a").unwrap(),
            SaslUser::parse("PLAIN:bob:b").unwrap(),
            SaslUser::parse("SCRAM-SHA-256:alice:a").unwrap(),
        ],
        Vec::new(),
        ten_s,
    ));
    let mut server = SaslServer::new(plain_users.clone());
    server.handshake("PLAIN").unwrap();
    assert!(matches!(
        server.authenticate(b"\0alice\0a", now()),
        Step::Done { .. }
    ));
    server.handshake("PLAIN").unwrap();
    assert_eq!(
        server.authenticate(b"\0bob\0b", now()),
        Step::Failed {
            code: ErrorCode::SaslAuthenticationFailed,
            message: "Cannot change principals during re-authentication from User:alice: \
                      User:bob"
                .into(),
        }
    );
    // ...nor change mechanism.
    let mut server = SaslServer::new(plain_users);
    server.handshake("PLAIN").unwrap();
    assert!(matches!(
        server.authenticate(b"\0alice\0a", now()),
        Step::Done { .. }
    ));
    server.handshake("SCRAM-SHA-256").unwrap();
    assert_eq!(
        server.authenticate(b"n,,n=alice,r=abc", now()),
        Step::Failed {
            code: ErrorCode::SaslAuthenticationFailed,
            message: "SASL mechanism 'SCRAM-SHA-256' requested by client is not supported for \
                      re-authentication of mechanism 'PLAIN'"
                .into(),
        }
    );

    // OAUTHBEARER: the token's remaining life when shorter than the configured maximum, and
    // a lifetime even without one.
    for (lifetime, token_left, expected_ms) in
        [(ten_s, 5, 5_000), (None, 30, 30_000), (ten_s, 30, 10_000)]
    {
        let mut server = SaslServer::new(self::config(lifetime));
        let token = jws(&format!(
            r#"{{"sub":"dave","exp":{}}}"#,
            secs(now()) + token_left
        ));
        let (step, _) = exchange(
            &mut server,
            "OAUTHBEARER",
            &mut OAuthBearerClient::new(token, Vec::new()),
            now(),
        );
        let Step::Done {
            session_lifetime_ms,
            ..
        } = step
        else {
            panic!("{step:?}")
        };
        assert_eq!(session_lifetime_ms, expected_ms);
    }
    // Without connections.max.reauth.ms, PLAIN sessions never end.
    let mut server = SaslServer::new(self::config(None));
    let (step, _) = exchange(
        &mut server,
        "PLAIN",
        &mut PlainClient::new("alice".into(), "alice-secret".into()),
        now(),
    );
    assert!(matches!(
        step,
        Step::Done {
            session_lifetime_ms: 0,
            ..
        }
    ));
    assert_eq!(
        server.admit(ApiKey::Metadata, now() + Duration::from_secs(86_400 * 365)),
        Admission::Serve
    );
}

/// Before authentication only ApiVersions and SaslHandshake are admitted; an unknown or
/// disabled mechanism is refused with the enabled list.
#[test]
fn handshake_and_admission_before_authentication() {
    let config = Arc::new(SaslServerConfig::new(
        vec![SaslUser::parse("SCRAM-SHA-512:bob:x").unwrap()],
        Vec::new(),
        None,
    ));
    let mut server = SaslServer::new(config.clone());
    assert_eq!(server.admit(ApiKey::ApiVersions, now()), Admission::Serve);
    assert_eq!(server.admit(ApiKey::SaslHandshake, now()), Admission::Sasl);
    assert_eq!(
        server.admit(ApiKey::Metadata, now()),
        Admission::Close("Unexpected Kafka request of type Metadata during SASL handshake".into())
    );
    assert_eq!(
        server.authenticate(b"x", now()),
        Step::Failed {
            code: ErrorCode::IllegalSaslState,
            message: "SaslAuthenticate without a preceding SaslHandshake".into()
        }
    );
    let mut server = SaslServer::new(config.clone());
    assert_eq!(
        server.handshake("PLAIN"),
        Err(HandshakeRefused {
            code: ErrorCode::UnsupportedSaslMechanism,
            enabled: vec!["SCRAM-SHA-512".into()],
        })
    );
    let mut server = SaslServer::new(config);
    assert_eq!(
        server.handshake("SCRAM-SHA-512"),
        Ok(vec!["SCRAM-SHA-512".into()])
    );
    assert_eq!(
        server.admit(ApiKey::SaslAuthenticate, now()),
        Admission::Sasl
    );
    assert!(matches!(
        server.admit(ApiKey::ApiVersions, now()),
        Admission::Close(_)
    ));
}

#[test]
fn users_parse() {
    assert_eq!(
        SaslUser::parse("PLAIN::x").unwrap_err().setting,
        "PLAIN::***"
    );
    let err = SaslUser::parse("GSSAPI:a:b").unwrap_err();
    assert!(err.reason.contains("unknown mechanism"), "{err}");
    assert!(!err.to_string().contains(":b"), "password shown: {err}");
    assert_eq!(
        SaslUser::parse("OAUTHBEARER").unwrap().mechanism,
        SaslMechanism::OAuthBearer
    );
    assert_eq!(scram_unescape("a=2Cb=3Dc").as_deref(), Some("a,b=c"));
    assert_eq!(scram_unescape("a=2"), None);
}

/// Our real client stack against these state machines over a socket: a minimal broker loop
/// that wires [`SaslServer`] as the testkit's connection handler should (admit, then
/// handshake / authenticate, close on failure or expiry), driven by `kafkito`'s
/// `Connection` (ApiVersions, SASL, KIP-368 re-authentication). In-memory stream and paused
/// Tokio time; the broker's wall clock is derived from Tokio's so that session expiry follows
/// the paused clock.
mod over_a_connection {
    use std::time::{Duration, UNIX_EPOCH};

    use bytes::{Bytes, BytesMut};
    use kafkito::config::{ClientConfig, SaslConfig, SecurityProtocol};
    use kafkito::net::{Connection, ConnectionOptions};
    use kafkito_protocol::frame::split_frame;
    use kafkito_protocol::header::{RequestHeader, ResponseHeader};
    use kafkito_protocol::messages::api_versions_response::ApiVersion;
    use kafkito_protocol::messages::{
        ApiVersionsRequest, ApiVersionsResponse, Message, MetadataRequest, MetadataResponse,
        Request, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
        SaslHandshakeResponse,
    };
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
    use tokio::time::Instant;

    use super::super::*;
    use super::config;

    /// What the broker saw on the connection.
    #[derive(Debug, Default)]
    pub(super) struct Log {
        /// Successful authentications, with the broker's clock at each.
        pub logins: Vec<Duration>,
        pub metadata: usize,
        /// Why the broker closed the connection, if it did.
        pub closed: Option<String>,
    }

    fn frame<R: Request>(correlation_id: i32, version: i16, body: &R::Response) -> Vec<u8> {
        let mut out = BytesMut::new();
        ResponseHeader {
            correlation_id,
            ..Default::default()
        }
        .encode(&mut out, R::API_KEY.response_header_version(version))
        .unwrap();
        body.encode(&mut out, version).unwrap();
        let mut framed = (out.len() as i32).to_be_bytes().to_vec();
        framed.extend_from_slice(&out);
        framed
    }

    fn decode<R: Request>(body: &mut Bytes, version: i16) -> R {
        R::decode(body, version).unwrap()
    }

    /// One broker connection, driving `SaslServer` as `server.rs` does.
    pub(super) async fn broker(mut stream: DuplexStream, mut server: SaslServer) -> Log {
        let started = Instant::now();
        let clock = || UNIX_EPOCH + Duration::from_secs(1_800_000_000) + started.elapsed();
        let mut log = Log::default();
        let mut buf = BytesMut::new();
        loop {
            let Some(frame) = split_frame(&mut buf, 1 << 20).unwrap() else {
                if stream.read_buf(&mut buf).await.unwrap_or(0) == 0 {
                    return log;
                }
                continue;
            };
            let mut frame = frame.freeze();
            let api = ApiKey::from_key(i16::from_be_bytes([frame[0], frame[1]])).unwrap();
            let version = i16::from_be_bytes([frame[2], frame[3]]);
            let header =
                RequestHeader::decode(&mut frame, api.request_header_version(version)).unwrap();
            let id = header.correlation_id;
            let now = clock();
            let (response, close) = match server.admit(api, now) {
                Admission::Close(reason) => {
                    log.closed = Some(reason);
                    return log; // dropping the stream closes the connection, unanswered
                }
                Admission::Serve if api == ApiKey::ApiVersions => {
                    let response = ApiVersionsResponse {
                        api_keys: [
                            (ApiKey::ApiVersions, 0, 3),
                            (ApiKey::Metadata, 0, 12),
                            (ApiKey::SaslHandshake, 1, 1),
                            (ApiKey::SaslAuthenticate, 0, 2),
                        ]
                        .into_iter()
                        .map(|(api, min_version, max_version)| ApiVersion {
                            api_key: api.key(),
                            min_version,
                            max_version,
                            ..Default::default()
                        })
                        .collect(),
                        ..Default::default()
                    };
                    (
                        frame_of::<ApiVersionsRequest>(id, version, &response),
                        false,
                    )
                }
                Admission::Serve => {
                    assert_eq!(api, ApiKey::Metadata);
                    let _: MetadataRequest = decode(&mut frame, version);
                    log.metadata += 1;
                    let response = MetadataResponse::default();
                    (frame_of::<MetadataRequest>(id, version, &response), false)
                }
                Admission::Sasl if api == ApiKey::SaslHandshake => {
                    let request: SaslHandshakeRequest = decode(&mut frame, version);
                    let (error_code, mechanisms, close) = match server.handshake(&request.mechanism)
                    {
                        Ok(enabled) => (0, enabled, false),
                        Err(refused) => (refused.code.code(), refused.enabled, true),
                    };
                    let response = SaslHandshakeResponse {
                        error_code,
                        mechanisms,
                        ..Default::default()
                    };
                    (
                        frame_of::<SaslHandshakeRequest>(id, version, &response),
                        close,
                    )
                }
                Admission::Sasl => {
                    let request: SaslAuthenticateRequest = decode(&mut frame, version);
                    let (response, close) = match server.authenticate(&request.auth_bytes, now) {
                        Step::Continue(bytes) => (
                            SaslAuthenticateResponse {
                                auth_bytes: Bytes::from(bytes),
                                ..Default::default()
                            },
                            false,
                        ),
                        Step::Done {
                            response,
                            session_lifetime_ms,
                            ..
                        } => {
                            log.logins.push(started.elapsed());
                            (
                                SaslAuthenticateResponse {
                                    auth_bytes: Bytes::from(response),
                                    session_lifetime_ms,
                                    ..Default::default()
                                },
                                false,
                            )
                        }
                        Step::Failed { code, message } => (
                            SaslAuthenticateResponse {
                                error_code: code.code(),
                                error_message: Some(message),
                                ..Default::default()
                            },
                            true,
                        ),
                    };
                    (
                        frame_of::<SaslAuthenticateRequest>(id, version, &response),
                        close,
                    )
                }
            };
            stream.write_all(&response).await.unwrap();
            if close {
                log.closed = Some("after a SASL failure".into());
                return log;
            }
        }
    }

    fn frame_of<R: Request>(id: i32, version: i16, body: &R::Response) -> Vec<u8> {
        frame::<R>(id, version, body)
    }

    fn client_config(
        mechanism: kafkito::config::SaslMechanism,
        user: &str,
        password: &str,
    ) -> ClientConfig {
        ClientConfig {
            security_protocol: SecurityProtocol::SaslPlaintext,
            sasl: Some(SaslConfig {
                mechanism,
                username: user.into(),
                password: password.into(),
                token_provider: None,
            }),
            ..ClientConfig::default()
        }
    }

    fn start(lifetime: Option<Duration>) -> (Connection, tokio::task::JoinHandle<Log>) {
        let (client, server_end) = tokio::io::duplex(1 << 20);
        let connection = Connection::start(client, "testkit:9092", ConnectionOptions::default());
        let server = SaslServer::new(config(lifetime));
        (connection, tokio::spawn(broker(server_end, server)))
    }

    /// SCRAM-SHA-512 logs in over the wire with a 10 s `connections.max.reauth.ms`; over 30 s
    /// of traffic the client re-authenticates three times, each 8.5–9.5 s after the previous
    /// login, and the broker never has to close the connection for expiry.
    #[tokio::test(start_paused = true)]
    async fn scram_login_and_reauthentication() {
        let (connection, broker) = start(Some(Duration::from_secs(10)));
        let config = client_config(
            kafkito::config::SaslMechanism::ScramSha512,
            "carol",
            "carol-secret",
        );
        connection.handshake(&config).await.unwrap();
        let until = Instant::now() + Duration::from_secs(30);
        let mut sent = 0;
        while Instant::now() < until {
            connection.send(&MetadataRequest::default()).await.unwrap();
            sent += 1;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        drop(connection);
        let log = broker.await.unwrap();
        assert_eq!(log.closed, None);
        assert_eq!(log.metadata, sent);
        assert_eq!(log.logins.len(), 4, "{:?}", log.logins);
        for pair in log.logins.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                (Duration::from_millis(8_500)..=Duration::from_millis(9_500)).contains(&gap),
                "{gap:?}"
            );
        }
    }

    /// Wrong credentials fail the handshake with Kafka's message, and the broker closes.
    #[tokio::test(start_paused = true)]
    async fn wrong_password_fails_clearly() {
        let (connection, broker) = start(None);
        let config = client_config(kafkito::config::SaslMechanism::Plain, "alice", "nope");
        let error = connection.handshake(&config).await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("Authentication failed: Invalid username or password"),
            "{error}"
        );
        let log = broker.await.unwrap();
        assert!(log.closed.is_some());
        assert!(log.logins.is_empty());
    }

    /// A client that logs in by hand (no re-authentication task) is served within its 10 s
    /// session and cut off, unanswered, at its first request after it.
    #[tokio::test(start_paused = true)]
    async fn expired_session_is_closed() {
        let (connection, broker) = start(Some(Duration::from_secs(10)));
        connection
            .call(&ApiVersionsRequest::default(), 3)
            .await
            .unwrap();
        let handshake = connection
            .call(
                &SaslHandshakeRequest {
                    mechanism: "PLAIN".into(),
                    ..Default::default()
                },
                1,
            )
            .await
            .unwrap();
        assert_eq!(handshake.error_code, 0);
        let login = connection
            .call(
                &SaslAuthenticateRequest {
                    auth_bytes: Bytes::from_static(b"\0alice\0alice-secret"),
                    ..Default::default()
                },
                2,
            )
            .await
            .unwrap();
        assert_eq!(login.session_lifetime_ms, 10_000);
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(5)).await;
        connection
            .call(&MetadataRequest::default(), 12)
            .await
            .unwrap();
        tokio::time::sleep_until(started + Duration::from_secs(11)).await;
        let error = connection
            .call(&MetadataRequest::default(), 12)
            .await
            .unwrap_err();
        assert!(error.is_retriable(), "{error}");
        let log = broker.await.unwrap();
        assert_eq!(log.metadata, 1);
        assert!(
            log.closed.as_deref().is_some_and(|r| r.contains("expired")),
            "{:?}",
            log.closed
        );
    }
}

use over_a_connection::broker as over_a_connection_broker;

/// OAUTHBEARER over the wire: our client presents an unsecured JWS from a token provider and
/// logs in as its `sub`; the session lasts `connections.max.reauth.ms` (10 s, shorter than
/// the token), and the re-authentication asks the provider for a token again.
mod oauthbearer_over_a_connection {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    use kafkito::config::{
        ClientConfig, OAuthToken, OAuthTokenProvider, SaslConfig, SaslMechanism as ClientMechanism,
        SecurityProtocol,
    };
    use kafkito::net::{Connection, ConnectionOptions};
    use kafkito_protocol::messages::MetadataRequest;
    use std::future::Future;
    use std::pin::Pin;
    use tokio::time::Instant;

    use super::super::*;
    use super::{config, jws};

    #[derive(Debug, Default)]
    struct UnsecuredTokens {
        issued: AtomicUsize,
    }

    impl OAuthTokenProvider for UnsecuredTokens {
        fn token(&self) -> Pin<Box<dyn Future<Output = kafkito::Result<OAuthToken>> + Send + '_>> {
            self.issued.fetch_add(1, Ordering::SeqCst);
            // The broker's clock in these tests starts at 1_800_000_000 s.
            let exp = 1_800_000_000 + 3600;
            Box::pin(async move {
                Ok(OAuthToken {
                    value: jws(&format!(r#"{{"sub":"dave","exp":{exp}}}"#)),
                    principal: "dave".into(),
                    expires_at: UNIX_EPOCH + Duration::from_secs(exp),
                    extensions: Vec::new(),
                })
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn oauthbearer_login_and_reauthentication() {
        let (client, server_end) = tokio::io::duplex(1 << 20);
        let connection = Connection::start(client, "testkit:9092", ConnectionOptions::default());
        let server = SaslServer::new(config(Some(Duration::from_secs(10))));
        let broker = tokio::spawn(super::over_a_connection_broker(server_end, server));
        let tokens = Arc::new(UnsecuredTokens::default());
        let config = ClientConfig {
            security_protocol: SecurityProtocol::SaslPlaintext,
            sasl: Some(SaslConfig {
                mechanism: ClientMechanism::OAuthBearer,
                token_provider: Some(tokens.clone()),
                ..Default::default()
            }),
            ..ClientConfig::default()
        };
        connection.handshake(&config).await.unwrap();
        let until = Instant::now() + Duration::from_secs(15);
        while Instant::now() < until {
            connection.send(&MetadataRequest::default()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        drop(connection);
        let log = broker.await.unwrap();
        assert_eq!(log.closed, None);
        assert_eq!(log.logins.len(), 2, "{:?}", log.logins);
        assert_eq!(tokens.issued.load(Ordering::SeqCst), 2);
    }
}
