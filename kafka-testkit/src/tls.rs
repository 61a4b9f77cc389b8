//! TLS listeners (the `tls` feature): with a [`TlsConfig`] every broker's listener is SSL, or
//! SASL_SSL when SASL users are configured too, as a Kafka listener with
//! `ssl.keystore.*` set. With a client CA it also requires a client certificate signed by
//! that CA (Kafka's `ssl.client.auth=required`): a client without one fails the handshake.
//!
//! [`TestCa`] makes the certificates a test needs (a CA, a server certificate for
//! `localhost` and `127.0.0.1`, client certificates) with `rcgen`, in memory.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::Error;

/// The TLS identity of every listener of a cluster, in PEM.
///
/// ```
/// # fn main() -> Result<(), kafkito_testkit::Error> {
/// use kafkito_testkit::{TestCa, TlsConfig};
/// let ca = TestCa::new("test CA")?;
/// let server: TlsConfig = ca.server_config()?; // for localhost and 127.0.0.1
/// // Mutual TLS: also require client certificates signed by this CA.
/// let mutual = TlsConfig { client_ca_pem: Some(ca.pem()), ..server };
/// # let _ = mutual;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// The server certificate, then any intermediates (Kafka's keystore chain).
    pub cert_chain_pem: String,
    /// The server certificate's private key (PKCS#8, PKCS#1 or SEC1).
    pub key_pem: String,
    /// When set, clients must present a certificate signed by one of these CAs
    /// (`ssl.client.auth=required`, with this as the truststore).
    pub client_ca_pem: Option<String>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The private key stays out of logs.
        f.debug_struct("TlsConfig")
            .field("cert_chain_pem", &self.cert_chain_pem)
            .field("key_pem", &"<redacted>")
            .field("client_ca_pem", &self.client_ca_pem)
            .finish()
    }
}

impl TlsConfig {
    /// Reads the PEM files: certificate chain, private key and, for mutual TLS, client CAs.
    pub fn from_files(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<Self, Error> {
        let read = |path: &Path| {
            std::fs::read_to_string(path)
                .map_err(|e| Error::Tls(format!("cannot read {}: {e}", path.display())))
        };
        Ok(TlsConfig {
            cert_chain_pem: read(cert)?,
            key_pem: read(key)?,
            client_ca_pem: client_ca.map(read).transpose()?,
        })
    }

    /// The rustls server configuration (ring provider, TLS 1.2 and 1.3), checked now so that
    /// a bad certificate or key fails the build, not every handshake.
    pub(crate) fn acceptor(&self) -> Result<tokio_rustls::TlsAcceptor, Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = certificates(&self.cert_chain_pem, "certificate chain")?;
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| Error::Tls(format!("private key: {e}")))?;
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(rustls::DEFAULT_VERSIONS)
            .map_err(|e| Error::Tls(e.to_string()))?;
        let builder = match &self.client_ca_pem {
            Some(pem) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in certificates(pem, "client CA")? {
                    roots
                        .add(cert)
                        .map_err(|e| Error::Tls(format!("client CA: {e}")))?;
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .map_err(|e| Error::Tls(format!("client CA: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = builder
            .with_single_cert(certs, key)
            .map_err(|e| Error::Tls(format!("certificate and key: {e}")))?;
        Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
    }
}

/// Every certificate of a PEM text; none at all is an error.
fn certificates(pem: &str, what: &str) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Tls(format!("{what}: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Tls(format!("{what}: no PEM certificate found")));
    }
    Ok(certs)
}

/// A certificate authority made for one test run, in memory: it signs a server certificate
/// for the testkit's listeners and client certificates for mutual TLS.
///
/// ```
/// # fn main() -> Result<(), kafkito_testkit::Error> {
/// let ca = kafkito_testkit::TestCa::new("test CA")?;
/// let client = ca.issue("alice", &[])?;
/// assert!(client.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// // clients trust `ca.pem()` (ssl.ca.pem) and present `client` (ssl.certificate.location)
/// # Ok(())
/// # }
/// ```
pub struct TestCa {
    cert: rcgen::Certificate,
    key: rcgen::KeyPair,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

/// A certificate and its private key, in PEM.
#[derive(Clone)]
pub struct IssuedCert {
    /// The certificate.
    pub cert_pem: String,
    /// Its private key (PKCS#8).
    pub key_pem: String,
}

impl std::fmt::Debug for IssuedCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedCert")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

impl TestCa {
    /// A new self-signed CA whose subject's common name is `name`.
    pub fn new(name: &str) -> Result<TestCa, Error> {
        let mut params =
            rcgen::CertificateParams::new(Vec::<String>::new()).map_err(rcgen_error)?;
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = rcgen::KeyPair::generate().map_err(rcgen_error)?;
        let cert = params.self_signed(&key).map_err(rcgen_error)?;
        Ok(TestCa { cert, key })
    }

    /// The CA certificate in PEM: what clients trust (`ssl.ca.pem`, or a file for
    /// `ssl.ca.location`) and what [`TlsConfig::client_ca_pem`] takes for mutual TLS.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// A certificate signed by this CA with common name `common_name` and these subject
    /// alternative names (DNS names, or IP addresses such as `127.0.0.1`).
    pub fn issue(&self, common_name: &str, names: &[&str]) -> Result<IssuedCert, Error> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = rcgen::CertificateParams::new(names).map_err(rcgen_error)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        let key = rcgen::KeyPair::generate().map_err(rcgen_error)?;
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .map_err(rcgen_error)?;
        Ok(IssuedCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// A listener identity signed by this CA, valid for `localhost` and `127.0.0.1` (the
    /// testkit's brokers listen on 127.0.0.1), without client authentication.
    pub fn server_config(&self) -> Result<TlsConfig, Error> {
        let server = self.issue("kafkito-testkit", &["localhost", "127.0.0.1"])?;
        Ok(TlsConfig {
            cert_chain_pem: server.cert_pem,
            key_pem: server.key_pem,
            client_ca_pem: None,
        })
    }
}

fn rcgen_error(e: rcgen::Error) -> Error {
    Error::Tls(format!("certificate generation: {e}"))
}
