//! The server state machines against this SDK's own client mechanisms
//! (`kafka_client::net::sasl`), RFC 7677's published SCRAM-SHA-256 exchange, and Kafka's
//! failure messages. No broker: both sides are pure state machines.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kafka_client::net::sasl::oauthbearer::OAuthBearerClient;
use kafka_client::net::sasl::plain::PlainClient;
use kafka_client::net::sasl::scram::{ScramAlgorithm, ScramClient};
use kafka_client::net::sasl::{SaslClient, Step as ClientStep};

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
    Option<Result<ClientStep, kafka_client::net::sasl::SaslError>>,
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
