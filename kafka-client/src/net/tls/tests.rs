use super::*;

#[test]
fn reasons_name_the_problem() {
    let unknown = describe(&rustls::Error::InvalidCertificate(
        CertificateError::UnknownIssuer,
    ));
    assert!(unknown.contains("unknown issuer"), "{unknown}");
    let expired = describe(&rustls::Error::InvalidCertificate(
        CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(10 * 86_400)),
            not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(86_400)),
        },
    ));
    assert!(
        expired.contains("expired") && expired.contains("9 days"),
        "{expired}"
    );
    let name = describe(&rustls::Error::InvalidCertificate(
        CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("broker-1.example").unwrap(),
            presented: vec!["DnsName(\"other.example\")".into()],
        },
    ));
    assert!(name.contains("hostname mismatch") && name.contains("broker-1.example"));
    let alert = describe(&rustls::Error::AlertReceived(
        AlertDescription::CertificateRequired,
    ));
    assert!(alert.contains("client certificate"), "{alert}");
}

#[test]
fn utc_dates() {
    assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(utc(978_307_200), "2001-01-01 00:00:00 UTC");
    assert_eq!(utc(1_709_210_096), "2024-02-29 12:34:56 UTC");
}

#[test]
fn missing_files_are_config_errors_naming_the_key() {
    let config = TlsConfig {
        ca_location: Some("/nonexistent/ca.pem".into()),
        ..TlsConfig::default()
    };
    let err = connector(&config).err().unwrap();
    assert!(
        matches!(&err, Error::Config { key, .. } if key == "ssl.ca.location"),
        "{err}"
    );

    let config = TlsConfig {
        certificate_location: Some("/nonexistent/client.pem".into()),
        ..TlsConfig::default()
    };
    let err = connector(&config).err().unwrap();
    assert!(
        matches!(&err, Error::Config { key, .. } if key == "ssl.key.location"),
        "{err}"
    );

    let config = TlsConfig {
        ca_pem: Some("not pem".into()),
        ..TlsConfig::default()
    };
    assert!(connector(&config).is_err());
}

#[test]
fn default_trusts_webpki_roots() {
    assert!(root_store(&TlsConfig::default()).unwrap().len() > 50);
    assert!(connector(&TlsConfig::default()).is_ok());
}

// ---------------------------------------------------------------------------------------------
// End to end against an in-process TLS listener, with certificates made by rcgen.

mod end_to_end {
    use std::net::SocketAddr;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use rcgen::{BasicConstraints, Certificate, CertificateParams, IsCa, KeyPair};
    use rustls::server::WebPkiClientVerifier;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio_rustls::TlsAcceptor;

    use crate::config::{ClientConfig, SecurityProtocol};
    use crate::net::test_peer::{echoed, metadata, Peer, METADATA_V};
    use crate::net::{Connection, Connector};

    use super::*;

    struct Ca {
        cert: Certificate,
        key: KeyPair,
    }

    fn ca() -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca { cert, key }
    }

    /// A leaf certificate for `names`, signed by `ca`; `expired` puts its validity in 2000.
    fn leaf(ca: &Ca, names: &[&str], expired: bool) -> (Certificate, KeyPair) {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &ca.cert, &ca.key).unwrap();
        (cert, key)
    }

    /// A TLS listener on 127.0.0.1 presenting `leaf`; with `client_ca`, it requires a client
    /// certificate signed by that CA. Each accepted connection acts as a broker answering one
    /// ApiVersions-free Metadata echo (the tests skip the handshake where they can).
    async fn tls_listener(
        leaf: &(Certificate, KeyPair),
        client_ca: Option<&Ca>,
    ) -> (SocketAddr, TlsAcceptor, TcpListener) {
        let provider = provider();
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = RootCertStore::empty();
                roots.add(ca.cert.der().clone()).unwrap();
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                        .build()
                        .unwrap();
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = builder
            .with_single_cert(
                vec![leaf.0.der().clone()],
                PrivateKeyDer::try_from(leaf.1.serialize_der()).unwrap(),
            )
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        (
            listener.local_addr().unwrap(),
            TlsAcceptor::from(Arc::new(config)),
            listener,
        )
    }

    /// Accepts one TLS connection and, if the handshake succeeds, answers Metadata echoes until
    /// the client leaves. The outcome of the server side handshake is returned.
    fn serve(acceptor: TlsAcceptor, listener: TcpListener) -> tokio::task::JoinHandle<bool> {
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let Ok(tls) = acceptor.accept(tcp).await else {
                return false;
            };
            let mut peer = Peer::new(tls);
            while let Some(request) = peer.read_request().await {
                peer.respond_echo(&request).await;
            }
            true
        })
    }

    fn ssl_config(ca: Option<&Ca>) -> ClientConfig {
        ClientConfig {
            security_protocol: SecurityProtocol::Ssl,
            tls: TlsConfig {
                ca_pem: ca.map(|ca| ca.cert.pem()),
                ..TlsConfig::default()
            },
            ..ClientConfig::default()
        }
    }

    /// Connects the transport only and sends one Metadata request over a raw connection.
    async fn metadata_over_tls(config: &ClientConfig, address: SocketAddr) -> crate::Result<()> {
        let connector = Connector::new(config)?;
        let stream = connector.connect_stream(&address.to_string()).await?;
        assert!(stream.is_tls());
        let connection = Connection::start(stream, address.to_string(), Default::default());
        let response = connection.call(&metadata("tls"), METADATA_V).await?;
        assert_eq!(echoed(&response), "tls");
        Ok(())
    }

    fn temp_dir() -> PathBuf {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kafka-client-tls-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn tls_reason(result: crate::Result<()>) -> String {
        match result {
            Err(Error::Tls { reason, .. }) => reason,
            other => panic!("expected a TLS error, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn trusted_ca_carries_requests() {
        let ca = ca();
        let leaf = leaf(&ca, &["127.0.0.1", "localhost"], false);
        let (address, acceptor, listener) = tls_listener(&leaf, None).await;
        let server = serve(acceptor, listener);
        metadata_over_tls(&ssl_config(Some(&ca)), address)
            .await
            .unwrap();
        assert!(server.await.unwrap());
    }

    #[tokio::test]
    async fn ca_from_a_file() {
        let ca = ca();
        let leaf = leaf(&ca, &["127.0.0.1"], false);
        let (address, acceptor, listener) = tls_listener(&leaf, None).await;
        let server = serve(acceptor, listener);
        let dir = temp_dir();
        std::fs::write(dir.join("ca.pem"), ca.cert.pem()).unwrap();
        let mut config = ssl_config(None);
        config.tls.ca_location = Some(dir.join("ca.pem"));
        metadata_over_tls(&config, address).await.unwrap();
        assert!(server.await.unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn unknown_ca_is_named() {
        let ca = ca();
        let leaf = leaf(&ca, &["127.0.0.1"], false);
        let (address, acceptor, listener) = tls_listener(&leaf, None).await;
        let server = serve(acceptor, listener);
        // Default trust: the webpki roots, which never signed our test CA.
        let reason = tls_reason(metadata_over_tls(&ssl_config(None), address).await);
        assert!(reason.contains("unknown issuer"), "{reason}");
        assert!(!server.await.unwrap());
    }

    #[tokio::test]
    async fn hostname_mismatch_is_named_and_can_be_allowed() {
        let ca = ca();
        let leaf = leaf(&ca, &["kafka-1.other.example"], false);
        let (address, acceptor, listener) = tls_listener(&leaf, None).await;
        let server = serve(acceptor, listener);
        let reason = tls_reason(metadata_over_tls(&ssl_config(Some(&ca)), address).await);
        assert!(
            reason.contains("hostname mismatch") && reason.contains("127.0.0.1"),
            "{reason}"
        );
        assert!(!server.await.unwrap());

        // ssl.endpoint.identification.algorithm= : the same certificate is accepted...
        let (address, acceptor, listener) = tls_listener(&leaf, None).await;
        let server = serve(acceptor, listener);
        let mut config = ssl_config(Some(&ca));
        config.tls.endpoint_identification = false;
        metadata_over_tls(&config, address).await.unwrap();
        assert!(server.await.unwrap());

        // ...but the chain is still checked.
        let (address, acceptor, listener) = tls_listener(&leaf, None).await;
        let server = serve(acceptor, listener);
        let mut config = ssl_config(None);
        config.tls.endpoint_identification = false;
        let reason = tls_reason(metadata_over_tls(&config, address).await);
        assert!(reason.contains("unknown issuer"), "{reason}");
        assert!(!server.await.unwrap());
    }

    #[tokio::test]
    async fn expired_certificate_is_named() {
        let ca = ca();
        let leaf = leaf(&ca, &["127.0.0.1"], true);
        let (address, acceptor, listener) = tls_listener(&leaf, None).await;
        let server = serve(acceptor, listener);
        let reason = tls_reason(metadata_over_tls(&ssl_config(Some(&ca)), address).await);
        assert!(reason.contains("expired"), "{reason}");
        assert!(!server.await.unwrap());
    }

    #[tokio::test]
    async fn mutual_tls() {
        let ca = ca();
        let server_leaf = leaf(&ca, &["127.0.0.1"], false);

        // Without a client certificate the broker refuses, and the reason says what to set.
        let (address, acceptor, listener) = tls_listener(&server_leaf, Some(&ca)).await;
        let server = serve(acceptor, listener);
        let reason = tls_reason(metadata_over_tls(&ssl_config(Some(&ca)), address).await);
        assert!(reason.contains("client certificate"), "{reason}");
        assert!(!server.await.unwrap());

        // With one signed by the CA the broker trusts, requests flow.
        let (client_cert, client_key) = leaf(&ca, &["client.example"], false);
        let dir = temp_dir();
        std::fs::write(dir.join("client.pem"), client_cert.pem()).unwrap();
        std::fs::write(dir.join("client.key"), client_key.serialize_pem()).unwrap();
        let mut config = ssl_config(Some(&ca));
        config.tls.certificate_location = Some(dir.join("client.pem"));
        config.tls.key_location = Some(dir.join("client.key"));
        let (address, acceptor, listener) = tls_listener(&server_leaf, Some(&ca)).await;
        let server = serve(acceptor, listener);
        metadata_over_tls(&config, address).await.unwrap();
        assert!(server.await.unwrap());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn plaintext_client_to_tls_listener_gets_a_hint() {
        let ca = ca();
        let leaf = leaf(&ca, &["127.0.0.1"], false);
        let (address, acceptor, listener) = tls_listener(&leaf, None).await;
        let server = serve(acceptor, listener);
        // The full connect: the ApiVersions request is what the TLS listener chokes on.
        let error = Connection::connect(&address.to_string(), &ClientConfig::default())
            .await
            .unwrap_err();
        assert!(error.to_string().contains("is the listener TLS"), "{error}");
        assert!(!server.await.unwrap());
    }

    #[tokio::test]
    async fn tls_client_to_plaintext_listener_gets_a_hint() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        // Like a Kafka broker: read the "size" of the ClientHello, find it absurd, hang up.
        let server = tokio::spawn(async move {
            let (mut tcp, _): (TcpStream, _) = listener.accept().await.unwrap();
            let mut size = [0u8; 4];
            tcp.read_exact(&mut size).await.unwrap();
            tcp.shutdown().await.unwrap();
        });
        let ca = ca();
        let connector = Connector::new(&ssl_config(Some(&ca))).unwrap();
        let error = connector
            .connect_stream(&address.to_string())
            .await
            .unwrap_err();
        server.await.unwrap();
        match error {
            Error::Tls { reason, .. } => {
                assert!(reason.contains("is the listener plaintext"), "{reason}")
            }
            other => panic!("expected a TLS error, got {other}"),
        }
    }
}
