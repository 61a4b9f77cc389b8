//! Our own kafkito logging in to the testkit's SASL listeners for real
//! (`security.protocol=SASL_PLAINTEXT`): PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER
//! (an unsecured JWS from a token provider in the client's config) each produce and consume;
//! wrong credentials fail with Kafka's own messages; and KIP-368 re-authentication keeps a
//! producer going across several session lifetimes without a lost, doubled or reordered
//! record and without the broker closing a connection. Every test reads what the testkit saw
//! (its logs, its per-connection SASL sessions, its request counters) besides what the client
//! reports.

// Release builds need more than the default 128 to lay out our consumer's poll future.
#![recursion_limit = "256"]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use base64::Engine as _;
use kafkito::admin::{AdminOptions, TopicPartition};
use kafkito::config::{
    OAuthToken, OAuthTokenProvider, SaslConfig, SaslMechanism, SecurityProtocol,
};
use kafkito::{
    AdminClient, Consumer, ConsumerConfig, Error, Producer, ProducerConfig, ProducerRecord,
};
use kafkito_testkit::{ApiKey, Cluster, Mechanism, SaslSession};

/// Generous bound for reading records back.
const WAIT: Duration = Duration::from_secs(60);

/// How a client logs in.
#[derive(Clone, Debug)]
enum Login {
    /// PLAIN or SCRAM: mechanism name, user, password.
    Password(&'static str, &'static str, &'static str),
    /// OAUTHBEARER with unsecured JWSs for `sub`, each valid for `valid_for`.
    Token(Arc<UnsecuredJws>),
}

impl Login {
    fn sasl(&self) -> SaslConfig {
        match self {
            Login::Password(mechanism, user, password) => SaslConfig {
                mechanism: match *mechanism {
                    "PLAIN" => SaslMechanism::Plain,
                    "SCRAM-SHA-256" => SaslMechanism::ScramSha256,
                    "SCRAM-SHA-512" => SaslMechanism::ScramSha512,
                    other => panic!("no such mechanism in these tests: {other}"),
                },
                username: (*user).to_owned(),
                password: (*password).to_owned(),
                token_provider: None,
            },
            Login::Token(provider) => SaslConfig {
                mechanism: SaslMechanism::OAuthBearer,
                token_provider: Some(provider.clone()),
                ..SaslConfig::default()
            },
        }
    }
}

/// An OAUTHBEARER token provider that mints unsecured JWSs (`{"alg":"none"}`, a `sub`, `iat`
/// and `exp`), the tokens Kafka's default `OAuthBearerUnsecuredValidatorCallbackHandler`
/// accepts. Counts the tokens it hands out.
#[derive(Debug)]
struct UnsecuredJws {
    sub: String,
    valid_for: Duration,
    minted: AtomicU32,
}

impl UnsecuredJws {
    fn new(sub: &str, valid_for: Duration) -> Arc<UnsecuredJws> {
        Arc::new(UnsecuredJws {
            sub: sub.to_owned(),
            valid_for,
            minted: AtomicU32::new(0),
        })
    }
}

impl OAuthTokenProvider for UnsecuredJws {
    fn token(&self) -> Pin<Box<dyn Future<Output = kafkito::Result<OAuthToken>> + Send + '_>> {
        Box::pin(async move {
            self.minted.fetch_add(1, Ordering::SeqCst);
            // JWT NumericDates in whole seconds: `iat` rounded down, so it is never in the
            // broker's future (Kafka refuses a token issued later than now).
            let iat = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let exp = iat + self.valid_for.as_secs();
            let header = BASE64URL.encode(br#"{"alg":"none"}"#);
            let claims = BASE64URL
                .encode(format!(r#"{{"sub":"{}","iat":{iat},"exp":{exp}}}"#, self.sub).as_bytes());
            Ok(OAuthToken {
                value: format!("{header}.{claims}."),
                principal: self.sub.clone(),
                expires_at: UNIX_EPOCH + Duration::from_secs(exp),
                extensions: Vec::new(),
            })
        })
    }
}

/// A cluster of two brokers with a user for each password mechanism, and OAUTHBEARER.
fn sasl_cluster() -> kafkito_testkit::ClusterBuilder {
    Cluster::builder()
        .brokers(2)
        .sasl_user(Mechanism::Plain, "alice", "alice-pw")
        .sasl_user(Mechanism::ScramSha256, "bob", "bob-pw")
        .sasl_user(Mechanism::ScramSha512, "carol", "carol-pw")
        .sasl_oauthbearer()
}

async fn producer(bootstrap: &str, login: &Login) -> Producer {
    let mut config = ProducerConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("linger.ms", "5"),
        ("enable.idempotence", "true"),
        ("acks", "all"),
        ("retry.backoff.ms", "20"),
    ])
    .unwrap();
    config.client.security_protocol = SecurityProtocol::SaslPlaintext;
    config.client.sasl = Some(login.sasl());
    Producer::new(config).await.unwrap()
}

async fn consumer(bootstrap: &str, login: &Login) -> Consumer {
    let mut config = ConsumerConfig::from_properties([
        ("bootstrap.servers", bootstrap),
        ("group.id", "unused"),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
    ])
    .unwrap();
    config.client.security_protocol = SecurityProtocol::SaslPlaintext;
    config.client.sasl = Some(login.sasl());
    Consumer::new(config).await.unwrap()
}

fn admin(bootstrap: &str, login: &Login) -> AdminClient {
    let mut config = kafkito::ClientConfig {
        bootstrap_servers: bootstrap.split(',').map(str::to_owned).collect(),
        security_protocol: SecurityProtocol::SaslPlaintext,
        sasl: Some(login.sasl()),
        ..Default::default()
    };
    config.request_timeout = Duration::from_secs(10);
    AdminClient::new(config).unwrap()
}

/// Sends `v{from}..v{from+count}` to partition 0 of `topic` and waits for every ack.
async fn produce(producer: &Producer, topic: &str, from: usize, count: usize) {
    let mut deliveries = Vec::new();
    for i in from..from + count {
        let record = ProducerRecord::new(topic)
            .partition(0)
            .key(format!("k{i}"))
            .value(format!("v{i}"));
        deliveries.push(producer.send(record).await.unwrap());
    }
    for d in deliveries {
        d.await.unwrap();
    }
}

/// Reads partition 0 of `topic` until `count` records arrived or `WAIT` passed; the values in
/// the order read (duplicates kept).
async fn read_values(consumer: &mut Consumer, topic: &str, count: usize) -> Vec<String> {
    consumer.assign([TopicPartition::new(topic, 0)]).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut out = Vec::new();
    while out.len() < count && Instant::now() < deadline {
        for r in consumer.poll(Duration::from_millis(500)).await.unwrap() {
            out.push(String::from_utf8(r.value.unwrap().to_vec()).unwrap());
        }
    }
    out
}

fn expected(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("v{i}")).collect()
}

/// One login: produce `N` records and read them back, exactly and in order, then check the
/// broker logged the client in with that mechanism and principal.
async fn round_trip(
    cluster: &Cluster,
    topic: &str,
    login: Login,
    mechanism: Mechanism,
    principal: &str,
) {
    const N: usize = 200;
    cluster.create_topic(topic, 1, 2).unwrap();
    let bootstrap = cluster.bootstrap();
    let p = producer(&bootstrap, &login).await;
    produce(&p, topic, 0, N).await;
    p.close(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        cluster.offsets(topic, 0).unwrap().1,
        N as i64,
        "{mechanism}: records held"
    );

    let mut c = consumer(&bootstrap, &login).await;
    let read = read_values(&mut c, topic, N).await;
    assert_eq!(
        read,
        expected(N),
        "{mechanism}: every record once, in order"
    );
    c.close().await.unwrap();

    let sessions = cluster.sasl_sessions();
    let served: Vec<&SaslSession> = sessions.iter().filter(|s| s.requests_served > 0).collect();
    assert!(
        !served.is_empty(),
        "{mechanism}: no authenticated connection served requests"
    );
    for s in served {
        assert_eq!(s.mechanism, Some(mechanism), "{s:?}");
        assert_eq!(s.principal.as_deref(), Some(principal), "{s:?}");
        assert_eq!(
            s.logins.len(),
            1,
            "no session lifetime, no re-authentication: {s:?}"
        );
        assert!(!s.closed_for_expiry, "{s:?}");
    }
    assert!(
        cluster.total_requests(ApiKey::SaslHandshake) >= 2,
        "producer and consumer logged in"
    );
}

/// Proven on: the testkit (2 SASL brokers); our client's PLAIN (RFC 4616) logs in, produces
/// 200 records and reads them back exactly, in order.
#[tokio::test]
async fn plain_logs_in_produces_and_consumes() {
    let cluster = sasl_cluster().build().await.unwrap();
    let login = Login::Password("PLAIN", "alice", "alice-pw");
    round_trip(&cluster, "plain", login, Mechanism::Plain, "User:alice").await;
}

/// Proven on: the testkit; our client's SCRAM-SHA-256 (RFC 5802/7677: the broker checks the
/// client proof against a stored credential, the client checks the server signature).
#[tokio::test]
async fn scram_sha_256_logs_in_produces_and_consumes() {
    let cluster = sasl_cluster().build().await.unwrap();
    let login = Login::Password("SCRAM-SHA-256", "bob", "bob-pw");
    round_trip(
        &cluster,
        "scram256",
        login,
        Mechanism::ScramSha256,
        "User:bob",
    )
    .await;
    assert!(
        cluster.total_requests(ApiKey::SaslAuthenticate)
            >= 2 * cluster.total_requests(ApiKey::SaslHandshake),
        "SCRAM takes two SaslAuthenticate rounds per login"
    );
}

/// Proven on: the testkit; our client's SCRAM-SHA-512.
#[tokio::test]
async fn scram_sha_512_logs_in_produces_and_consumes() {
    let cluster = sasl_cluster().build().await.unwrap();
    let login = Login::Password("SCRAM-SHA-512", "carol", "carol-pw");
    round_trip(
        &cluster,
        "scram512",
        login,
        Mechanism::ScramSha512,
        "User:carol",
    )
    .await;
}

/// Proven on: the testkit with OAUTHBEARER and Kafka's default unsecured-JWS validation; our
/// client's OAUTHBEARER (RFC 7628) sends tokens from the `token_provider` of its config, and
/// the broker logs in the token's `sub`.
#[tokio::test]
async fn oauthbearer_logs_in_with_an_unsecured_jws() {
    let cluster = sasl_cluster().build().await.unwrap();
    let provider = UnsecuredJws::new("dave", Duration::from_secs(3600));
    let login = Login::Token(provider.clone());
    round_trip(
        &cluster,
        "oauth",
        login,
        Mechanism::OAuthBearer,
        "User:dave",
    )
    .await;
    assert!(
        provider.minted.load(Ordering::SeqCst) >= 2,
        "one token per login at least"
    );
    // The session lifetime is the token's remaining life (no connections.max.reauth.ms).
    let lifetime = cluster.sasl_sessions()[0].logins[0].session_lifetime_ms;
    assert!(
        (3_000_000..=3_600_000).contains(&lifetime),
        "session lifetime follows the token's exp: {lifetime} ms"
    );
}

/// The reason of the `Error::Authentication` a login with `login` ends in.
async fn login_failure(bootstrap: &str, login: Login) -> String {
    match admin(bootstrap, &login)
        .describe_cluster(AdminOptions::default())
        .await
    {
        Err(Error::Authentication { reason, .. }) => reason,
        other => panic!("{login:?}: expected Error::Authentication, got {other:?}"),
    }
}

/// Proven on: the testkit, whose SASL server sends Kafka's messages: PLAIN's
/// `PlainSaslServer` spells out "Invalid username or password"; SCRAM's failures are hidden
/// behind `SaslServerAuthenticator`'s generic text (a wrong password and an unknown user look
/// alike); an expired OAUTHBEARER token gets RFC 7628's error document. Our client surfaces
/// each as `Error::Authentication` carrying the broker's message.
#[tokio::test]
async fn wrong_credentials_fail_with_kafkas_messages() {
    let cluster = sasl_cluster().build().await.unwrap();
    let bootstrap = cluster.bootstrap();
    let reason = login_failure(&bootstrap, Login::Password("PLAIN", "alice", "wrong")).await;
    assert!(
        reason.contains("Authentication failed: Invalid username or password"),
        "{reason}"
    );
    for (mechanism, user, password) in [
        ("SCRAM-SHA-256", "bob", "wrong"),
        ("SCRAM-SHA-512", "carol", "wrong"),
        ("SCRAM-SHA-512", "nobody", "carol-pw"),
    ] {
        let reason = login_failure(&bootstrap, Login::Password(mechanism, user, password)).await;
        let kafka = format!(
            "Authentication failed during authentication due to invalid credentials with SASL \
             mechanism {mechanism}"
        );
        assert!(reason.contains(&kafka), "{mechanism}/{user}: {reason}");
    }
    // A token that expires as it is minted (`exp` = `iat`).
    let expired = Arc::new(UnsecuredJws {
        sub: "dave".into(),
        valid_for: Duration::ZERO,
        minted: AtomicU32::new(0),
    });
    let reason = login_failure(&bootstrap, Login::Token(expired)).await;
    assert!(reason.contains(r#"{"status":"invalid_token"}"#), "{reason}");
    // A mechanism the broker has not enabled is refused at SaslHandshake.
    let only_plain = Cluster::builder()
        .brokers(1)
        .sasl_user(Mechanism::Plain, "alice", "alice-pw")
        .build()
        .await
        .unwrap();
    let reason = login_failure(
        &only_plain.bootstrap(),
        Login::Password("SCRAM-SHA-256", "bob", "bob-pw"),
    )
    .await;
    assert!(
        reason.contains("UNSUPPORTED_SASL_MECHANISM") || reason.contains("PLAIN"),
        "{reason}"
    );
    // A client that does not authenticate at all: its first request other than ApiVersions
    // closes the connection ("Unexpected Kafka request ... during SASL handshake").
    let plaintext = AdminClient::new(kafkito::ClientConfig {
        bootstrap_servers: bootstrap.split(',').map(str::to_owned).collect(),
        request_timeout: Duration::from_secs(3),
        ..Default::default()
    })
    .unwrap();
    let denied = plaintext
        .describe_cluster(AdminOptions::with_timeout(Duration::from_secs(5)))
        .await;
    assert!(denied.is_err(), "SASL is required: {denied:?}");
    let sessions = cluster.sasl_sessions();
    assert!(
        sessions.len() >= 6,
        "each login reached the broker: {sessions:?}"
    );
    assert!(
        sessions
            .iter()
            .all(|s| s.principal.is_none() && s.requests_served == 0),
        "no failed login authenticated a connection: {sessions:?}"
    );
}

/// Produces to partition 0 of a new topic `reauth` continuously for ten seconds through
/// `login`, checks what KIP-368 promises (see the tests), and reads everything back. Returns
/// the producer's sessions as the broker saw them just before it closed.
async fn produce_across_sessions(cluster: &Cluster, login: &Login) -> Vec<SaslSession> {
    const RUN: Duration = Duration::from_secs(10);
    cluster.create_topic("reauth", 1, 2).unwrap();
    let (leader, _) = cluster.leader("reauth", 0).unwrap();
    let p = producer(&cluster.bootstrap(), login).await;

    let start = Instant::now();
    let mut sent = 0;
    // Pacing, not waiting: a batch of five every 50 ms, each acknowledged before the next.
    let mut pace = tokio::time::interval(Duration::from_millis(50));
    while start.elapsed() < RUN {
        pace.tick().await;
        produce(&p, "reauth", sent, 5).await;
        sent += 5;
    }
    let elapsed = start.elapsed();
    // Before the producer closes: which connections it used, and that all are still open.
    let sessions = cluster.sasl_sessions();
    p.close(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        cluster.offsets("reauth", 0).unwrap().1,
        sent as i64,
        "every record written once"
    );

    let used: Vec<&SaslSession> = sessions.iter().filter(|s| s.requests_served > 0).collect();
    assert!(
        used.iter().any(|s| s.node_id == leader),
        "the leader served Produce: {sessions:?}"
    );
    for s in &sessions {
        assert!(
            !s.closed_for_expiry,
            "the broker closed an expired session: {s:?}"
        );
        assert!(s.open, "a connection was closed during the run: {s:?}");
        assert!(
            s.logins.iter().all(|l| l.session_lifetime_ms > 0),
            "every login announced a lifetime: {s:?}"
        );
    }
    for s in &used {
        assert!(
            s.logins.len() >= 3,
            "a connection used for {elapsed:?} re-authenticated fewer than twice: {s:?}"
        );
        // Each re-authentication began (its SaslHandshake arrived) before the session it
        // renews had ended; its SCRAM rounds may finish after that, as on Kafka.
        for pair in s.logins.windows(2) {
            let ends = pair[0].session_ends_after().unwrap();
            assert!(
                pair[1].started_after < ends,
                "a re-authentication began after the session expired: {s:?}"
            );
        }
    }
    for node in 0..2 {
        let connections = sessions.iter().filter(|s| s.node_id == node).count() as u64;
        let handshakes = cluster.requests(node, ApiKey::SaslHandshake);
        assert!(
            handshakes >= 3 * connections,
            "broker {node}: {handshakes} SaslHandshakes over {connections} connections"
        );
    }
    eprintln!("KIP-368 run: {sent} records in {elapsed:?}");
    for s in &sessions {
        eprintln!(
            "  node {} {:?}: {} requests, logins (started, completed, lifetime ms): {:?}",
            s.node_id,
            s.mechanism,
            s.requests_served,
            s.logins
                .iter()
                .map(|l| (l.started_after, l.completed_after, l.session_lifetime_ms))
                .collect::<Vec<_>>()
        );
    }

    let mut c = consumer(&cluster.bootstrap(), login).await;
    let read = read_values(&mut c, "reauth", sent).await;
    assert_eq!(
        read.len(),
        sent,
        "read back exactly the records acknowledged"
    );
    assert_eq!(read, expected(sent), "once each, in order");
    c.close().await.unwrap();
    assert!(
        cluster.sasl_sessions().iter().all(|s| !s.closed_for_expiry),
        "the consumer's connections were not closed for expiry either"
    );
    sessions
}

/// Proven on: the testkit with `connections.max.reauth.ms` = 3000 (KIP-368): the broker
/// announces a 3 s session lifetime and closes a connection used past it. Our producer sends
/// continuously for ten seconds with SCRAM-SHA-512; its connections re-authenticate in place
/// (SaslHandshake + SaslAuthenticate on the same socket) before their sessions end, so every
/// record is acknowledged and read back once and in order, each connection it used
/// authenticated at least three times, and the broker closed none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kip368_scram_reauthentication_keeps_a_producer_going() {
    let cluster = sasl_cluster()
        .sasl_session_lifetime_ms(3_000)
        .build()
        .await
        .unwrap();
    let login = Login::Password("SCRAM-SHA-512", "carol", "carol-pw");
    for s in produce_across_sessions(&cluster, &login).await {
        assert!(
            s.logins.iter().all(|l| l.session_lifetime_ms == 3_000),
            "{s:?}"
        );
    }
}

/// Proven on: the testkit with OAUTHBEARER and no `connections.max.reauth.ms`: the session
/// lifetime is the token's remaining life (Kafka's `SaslServerAuthenticator` takes the
/// credential's expiry), here tokens valid for 4 s. Our client re-authenticates each
/// connection in place with a fresh token from its provider before the old one expires.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kip368_oauthbearer_reauthentication_takes_fresh_tokens() {
    let cluster = sasl_cluster().build().await.unwrap();
    let provider = UnsecuredJws::new("dave", Duration::from_secs(4));
    let sessions = produce_across_sessions(&cluster, &Login::Token(provider.clone())).await;
    for s in &sessions {
        // Whole-second `exp`: between 3 and 4 s remain when the broker checks the token.
        assert!(
            s.logins
                .iter()
                .all(|l| (2_000..=4_000).contains(&l.session_lifetime_ms)),
            "{s:?}"
        );
    }
    let logins: usize = sessions.iter().map(|s| s.logins.len()).sum();
    assert!(
        provider.minted.load(Ordering::SeqCst) as usize >= logins,
        "a token per (re-)authentication at least"
    );
}
