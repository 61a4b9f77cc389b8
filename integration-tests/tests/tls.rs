//! TLS against a real TLS server: stunnel terminating TLS in front of tansu (which has no TLS
//! of its own), with certificates made per test. A good chain works end to end (handshake,
//! ApiVersions, Metadata naming the TLS address); a wrong CA, an expired certificate and a
//! hostname mismatch each fail with a clear `Error::Tls`.

use integration_tests::tls::{ServerCert, TlsBroker};
use kafkito::config::{SecurityProtocol, TlsConfig};
use kafkito::net::Connection;
use kafkito::{ClientConfig, Error};
use kafkito_protocol::messages::MetadataRequest;

fn tls_config(bootstrap: &str, ca: std::path::PathBuf) -> ClientConfig {
    ClientConfig {
        bootstrap_servers: vec![bootstrap.to_string()],
        security_protocol: SecurityProtocol::Ssl,
        tls: TlsConfig {
            ca_location: Some(ca),
            ..TlsConfig::default()
        },
        ..ClientConfig::default()
    }
}

fn tls_reason(result: Result<Connection, Error>) -> String {
    match result {
        Err(Error::Tls { reason, .. }) => reason,
        Err(other) => panic!("expected a TLS error, got {other:?}"),
        Ok(_) => panic!("expected a TLS error, but the connection succeeded"),
    }
}

#[tokio::test]
async fn good_chain_connects_and_talks_kafka() {
    let broker = TlsBroker::start(ServerCert::Valid).await;
    let config = tls_config(broker.bootstrap(), broker.ca_pem());
    let conn = Connection::connect(broker.bootstrap(), &config)
        .await
        .expect("TLS connect with the right CA");
    let metadata = conn
        .send(&MetadataRequest::default())
        .await
        .expect("metadata");
    // The broker advertises the TLS address, so clients stay on TLS when they reconnect.
    let advertised: Vec<String> = metadata
        .brokers
        .iter()
        .map(|b| format!("{}:{}", b.host, b.port))
        .collect();
    assert_eq!(advertised, vec![broker.bootstrap().to_string()]);
}

#[tokio::test]
async fn wrong_ca_is_a_clear_error() {
    let broker = TlsBroker::start(ServerCert::Valid).await;
    let config = tls_config(broker.bootstrap(), broker.other_ca_pem());
    let reason = tls_reason(Connection::connect(broker.bootstrap(), &config).await);
    assert!(reason.contains("not signed by a trusted CA"), "{reason}");
}

#[tokio::test]
async fn expired_certificate_is_a_clear_error() {
    let broker = TlsBroker::start(ServerCert::Expired).await;
    let config = tls_config(broker.bootstrap(), broker.ca_pem());
    let reason = tls_reason(Connection::connect(broker.bootstrap(), &config).await);
    assert!(reason.contains("expired"), "{reason}");
}

#[tokio::test]
async fn hostname_mismatch_is_a_clear_error_unless_the_check_is_off() {
    let broker = TlsBroker::start(ServerCert::WrongHost).await;
    let mut config = tls_config(broker.bootstrap(), broker.ca_pem());
    let reason = tls_reason(Connection::connect(broker.bootstrap(), &config).await);
    assert!(reason.contains("hostname mismatch"), "{reason}");
    assert!(
        reason.contains("localhost"),
        "names the host we asked for: {reason}"
    );

    // ssl.endpoint.identification.algorithm= (empty) skips only the name check.
    config.tls.endpoint_identification = false;
    let conn = Connection::connect(broker.bootstrap(), &config)
        .await
        .expect("chain still trusted without the hostname check");
    conn.send(&MetadataRequest::default())
        .await
        .expect("metadata");
}

#[tokio::test]
async fn plaintext_client_against_tls_listener_fails_fast_with_a_hint() {
    let broker = TlsBroker::start(ServerCert::Valid).await;
    let config = ClientConfig {
        bootstrap_servers: vec![broker.bootstrap().to_string()],
        request_timeout: std::time::Duration::from_secs(5),
        ..ClientConfig::default()
    };
    let started = std::time::Instant::now();
    let err = Connection::connect(broker.bootstrap(), &config)
        .await
        .expect_err("plaintext to a TLS port must fail");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "{err}"
    );
    assert!(!matches!(err, Error::Tls { .. }), "{err}");
}
