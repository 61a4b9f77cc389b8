//! Our own kafkito (its `tls` feature) against the testkit's TLS listeners (the testkit's
//! `tls` feature; `cargo test -p kafkito-testkit --features tls --test tls`): SSL and SASL_SSL
//! with SCRAM each produce and consume exactly; mutual TLS serves a client whose certificate
//! the cluster's client CA signed and refuses one without a certificate or with one from
//! another CA (the broker served it nothing); a server certificate the client does not trust
//! fails with a clear `Error::Tls`. Certificates are made per test with [`TestCa`].

// Release builds need more than the default 128 to lay out our consumer's poll future.
#![recursion_limit = "256"]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kafkito::admin::{AdminOptions, TopicPartition};
use kafkito::{AdminClient, ClientConfig, Consumer, ConsumerConfig, Error, Producer};
use kafkito::{ProducerConfig, ProducerRecord};
use kafkito_testkit::{ApiKey, Cluster, Mechanism, TestCa};

/// Generous bound for reading records back.
const WAIT: Duration = Duration::from_secs(60);

/// Records per round trip.
const N: usize = 200;

/// A directory of PEM files for one test, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let path = std::env::temp_dir().join(format!(
            "kafka-testkit-tls-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }

    fn write(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `key=value` client properties as borrowed pairs.
fn props<'a>(
    base: &'a [(&'a str, &'a str)],
    security: &'a [(&'a str, String)],
) -> Vec<(&'a str, &'a str)> {
    base.iter()
        .copied()
        .chain(security.iter().map(|(k, v)| (*k, v.as_str())))
        .collect()
}

async fn producer(bootstrap: &str, security: &[(&str, String)]) -> Result<Producer, Error> {
    let base = [
        ("bootstrap.servers", bootstrap),
        ("linger.ms", "5"),
        ("enable.idempotence", "true"),
        ("acks", "all"),
        ("retry.backoff.ms", "20"),
    ];
    Producer::new(ProducerConfig::from_properties(props(&base, security))?).await
}

async fn consumer(bootstrap: &str, security: &[(&str, String)]) -> Consumer {
    let base = [
        ("bootstrap.servers", bootstrap),
        ("group.id", "unused"),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
    ];
    Consumer::new(ConsumerConfig::from_properties(props(&base, security)).unwrap())
        .await
        .unwrap()
}

fn admin(bootstrap: &str, security: &[(&str, String)]) -> AdminClient {
    let base = [
        ("bootstrap.servers", bootstrap),
        ("request.timeout.ms", "10000"),
    ];
    let config = ClientConfig::from_properties(props(&base, security)).unwrap();
    AdminClient::new(config).unwrap()
}

/// Produces `v0..vN` to partition 0 of `topic` over `security`, then reads them back: every
/// record once, in order; the cluster holds exactly N.
async fn round_trip(cluster: &Cluster, topic: &str, security: &[(&str, String)]) {
    cluster.create_topic(topic, 1, 2).unwrap();
    let bootstrap = cluster.bootstrap();
    let p = producer(&bootstrap, security).await.unwrap();
    let mut deliveries = Vec::new();
    for i in 0..N {
        let record = ProducerRecord::new(topic)
            .partition(0)
            .key(format!("k{i}"))
            .value(format!("v{i}"));
        deliveries.push(p.send(record).await.unwrap());
    }
    for d in deliveries {
        d.await.unwrap();
    }
    p.close(Duration::from_secs(5)).await.unwrap();
    assert_eq!(
        cluster.offsets(topic, 0).unwrap().1,
        N as i64,
        "records held"
    );

    let mut c = consumer(&bootstrap, security).await;
    c.assign([TopicPartition::new(topic, 0)]).unwrap();
    let deadline = Instant::now() + WAIT;
    let mut read = Vec::new();
    while read.len() < N && Instant::now() < deadline {
        for r in c.poll(Duration::from_millis(500)).await.unwrap() {
            read.push(String::from_utf8(r.value.unwrap().to_vec()).unwrap());
        }
    }
    c.close().await.unwrap();
    let expected: Vec<String> = (0..N).map(|i| format!("v{i}")).collect();
    assert_eq!(read, expected, "every record once, in order");
}

fn ssl(ca: &TestCa) -> Vec<(&'static str, String)> {
    vec![
        ("security.protocol", "SSL".to_owned()),
        ("ssl.ca.pem", ca.pem()),
    ]
}

/// Proven on: the testkit (2 brokers, TLS listeners with a server certificate from a test CA);
/// our client with `security.protocol=SSL` and `ssl.ca.pem` produces 200 records and reads
/// them back exactly, in order.
#[tokio::test]
async fn ssl_produces_and_consumes_exactly() {
    let ca = TestCa::new("testkit CA").unwrap();
    let cluster = Cluster::builder()
        .brokers(2)
        .tls(ca.server_config().unwrap())
        .build()
        .await
        .unwrap();
    round_trip(&cluster, "over-ssl", &ssl(&ca)).await;
    assert!(
        cluster.sasl_sessions().is_empty(),
        "SSL without SASL users: no SASL"
    );
}

/// Proven on: the testkit (2 brokers, TLS listeners and SCRAM users: SASL_SSL); our client
/// with `security.protocol=SASL_SSL` logs in with SCRAM-SHA-512 through TLS, produces 200
/// records and reads them back exactly; the broker recorded SCRAM logins as that user.
#[tokio::test]
async fn sasl_ssl_with_scram_produces_and_consumes_exactly() {
    let ca = TestCa::new("testkit CA").unwrap();
    let cluster = Cluster::builder()
        .brokers(2)
        .tls(ca.server_config().unwrap())
        .sasl_user(Mechanism::ScramSha512, "carol", "carol-pw")
        .sasl_user(Mechanism::ScramSha256, "bob", "bob-pw")
        .build()
        .await
        .unwrap();
    let security = vec![
        ("security.protocol", "SASL_SSL".to_owned()),
        ("ssl.ca.pem", ca.pem()),
        ("sasl.mechanism", "SCRAM-SHA-512".to_owned()),
        ("sasl.username", "carol".to_owned()),
        ("sasl.password", "carol-pw".to_owned()),
    ];
    round_trip(&cluster, "over-sasl-ssl", &security).await;
    let sessions = cluster.sasl_sessions();
    let served: Vec<_> = sessions.iter().filter(|s| s.requests_served > 0).collect();
    assert!(
        !served.is_empty(),
        "no authenticated connection: {sessions:?}"
    );
    for s in served {
        assert_eq!(s.mechanism, Some(Mechanism::ScramSha512), "{s:?}");
        assert_eq!(s.principal.as_deref(), Some("User:carol"), "{s:?}");
    }

    // A wrong password over SASL_SSL: TLS succeeds, SCRAM refuses, with Kafka's message.
    let mut wrong = security.clone();
    wrong[4].1 = "not-carol-pw".to_owned();
    match admin(&cluster.bootstrap(), &wrong)
        .describe_cluster(AdminOptions::default())
        .await
    {
        Err(Error::Authentication { reason, .. }) => assert!(
            reason.contains("invalid credentials with SASL mechanism SCRAM-SHA-512"),
            "{reason}"
        ),
        other => panic!("expected Error::Authentication, got {other:?}"),
    }
}

/// Mutual TLS: the client presents `cert` (PEM files written to `dir`).
fn mutual(
    ca: &TestCa,
    dir: &Dir,
    name: &str,
    cert: &kafkito_testkit::IssuedCert,
) -> Vec<(&'static str, String)> {
    let mut security = ssl(ca);
    security.push((
        "ssl.certificate.location",
        dir.write(&format!("{name}.pem"), &cert.cert_pem),
    ));
    security.push((
        "ssl.key.location",
        dir.write(&format!("{name}.key"), &cert.key_pem),
    ));
    security
}

/// Asks for the cluster's description and expects a failure; returns it.
async fn refused(bootstrap: &str, security: &[(&str, String)]) -> Error {
    let started = Instant::now();
    let result = admin(bootstrap, security)
        .describe_cluster(AdminOptions::default())
        .await;
    let err = result.expect_err("the cluster must refuse this client");
    assert!(
        started.elapsed() < WAIT,
        "refused within the request timeout, not hung: {err}"
    );
    err
}

/// Proven on: the testkit (2 brokers, TLS listeners requiring client certificates signed by
/// the test CA, as Kafka's `ssl.client.auth=required`). A client presenting a certificate
/// from that CA produces and consumes exactly; a client without a certificate, and one
/// whose certificate another CA signed, are refused at the handshake: they get an error and
/// the broker served them no request at all.
#[tokio::test]
async fn mutual_tls_accepts_the_right_client_certificate_and_refuses_others() {
    let ca = TestCa::new("testkit CA").unwrap();
    let dir = Dir::new("mutual");
    let mut server = ca.server_config().unwrap();
    server.client_ca_pem = Some(ca.pem());
    let cluster = Cluster::builder()
        .brokers(2)
        .tls(server)
        .build()
        .await
        .unwrap();
    let bootstrap = cluster.bootstrap();

    // No client certificate: the broker's alert says a certificate was required.
    match refused(&bootstrap, &ssl(&ca)).await {
        Error::Tls { reason, .. } => assert!(reason.contains("CertificateRequired"), "{reason}"),
        other => panic!("expected Error::Tls, got {other:?}"),
    }
    // A certificate from another CA: the broker's alert says its issuer is unknown.
    let other_ca = TestCa::new("some other CA").unwrap();
    let stranger = other_ca.issue("mallory", &[]).unwrap();
    match refused(&bootstrap, &mutual(&ca, &dir, "mallory", &stranger)).await {
        Error::Tls { reason, .. } => assert!(reason.contains("UnknownCA"), "{reason}"),
        other => panic!("expected Error::Tls, got {other:?}"),
    }
    assert_eq!(
        cluster.total_requests(ApiKey::ApiVersions) + cluster.total_requests(ApiKey::Metadata),
        0,
        "a refused client got no request served"
    );

    // The right certificate.
    let alice = ca.issue("alice", &[]).unwrap();
    round_trip(&cluster, "over-mtls", &mutual(&ca, &dir, "alice", &alice)).await;
    assert!(cluster.total_requests(ApiKey::Metadata) > 0);
}

/// Proven on: the testkit (TLS listener whose certificate one test CA signed); a client that
/// trusts only another CA refuses the broker with a clear `Error::Tls`, and never sends it a
/// request.
#[tokio::test]
async fn untrusted_server_certificate_is_refused_by_the_client() {
    let ca = TestCa::new("testkit CA").unwrap();
    let cluster = Cluster::builder()
        .brokers(1)
        .tls(ca.server_config().unwrap())
        .build()
        .await
        .unwrap();
    let other_ca = TestCa::new("some other CA").unwrap();
    match refused(&cluster.bootstrap(), &ssl(&other_ca)).await {
        Error::Tls { reason, .. } => {
            assert!(reason.contains("not signed by a trusted CA"), "{reason}")
        }
        other => panic!("expected Error::Tls, got {other:?}"),
    }
    assert_eq!(cluster.total_requests(ApiKey::ApiVersions), 0);
}

/// Proven on: the `kafkito-testkit` binary (built with the `tls` feature) started with
/// `--tls-cert`, `--tls-key` and `--tls-client-ca`: it still prints exactly one `bootstrap=`
/// line, its listener is mutual TLS (our client with the right certificate describes the
/// cluster; without one it gets the broker's CertificateRequired alert), and SIGTERM exits 0.
#[tokio::test]
async fn binary_serves_mutual_tls_from_pem_files() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};

    let ca = TestCa::new("testkit CA").unwrap();
    let dir = Dir::new("binary");
    let server = ca.server_config().unwrap();
    let cert = dir.write("server.pem", &server.cert_chain_pem);
    let key = dir.write("server.key", &server.key_pem);
    let client_ca = dir.write("ca.pem", &ca.pem());
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafkito-testkit"))
        .args(["--brokers", "1", "--tls-cert", &cert, "--tls-key", &key])
        .args(["--tls-client-ca", &client_ca])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let bootstrap = line
        .trim_end()
        .strip_prefix("bootstrap=")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();

    let alice = ca.issue("alice", &[]).unwrap();
    let served = admin(&bootstrap, &mutual(&ca, &dir, "alice", &alice))
        .describe_cluster(AdminOptions::default())
        .await;
    let refused = refused(&bootstrap, &ssl(&ca)).await;

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let exit = child.wait().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();

    let served = served.expect("the right client certificate is served");
    assert_eq!(served.brokers.len(), 1, "{served:?}");
    match refused {
        Error::Tls { reason, .. } => assert!(reason.contains("CertificateRequired"), "{reason}"),
        other => panic!("expected Error::Tls, got {other:?}"),
    }
    assert_eq!(exit.code(), Some(0), "SIGTERM exits 0");
    assert_eq!(rest, "", "exactly one line on stdout");
}

/// Proven on: the `kafkito-testkit` binary: half a TLS configuration (a certificate without
/// its key, a client CA without a server certificate) or a key that is not PEM is refused
/// with exit status 2 and the reason on stderr, before anything is printed on stdout.
#[test]
fn binary_refuses_incomplete_or_bad_tls_flags() {
    let ca = TestCa::new("testkit CA").unwrap();
    let dir = Dir::new("binary-bad");
    let server = ca.server_config().unwrap();
    let cert = dir.write("server.pem", &server.cert_chain_pem);
    let not_a_key = dir.write("server.key", "not a key");
    for (args, says) in [
        (
            vec!["--tls-cert", cert.as_str()],
            "--tls-cert and --tls-key go together",
        ),
        (
            vec!["--tls-client-ca", cert.as_str()],
            "--tls-client-ca needs --tls-cert and --tls-key",
        ),
        (
            vec!["--tls-cert", cert.as_str(), "--tls-key", not_a_key.as_str()],
            "private key",
        ),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kafkito-testkit"))
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
