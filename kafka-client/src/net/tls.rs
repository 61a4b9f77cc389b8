//! TLS settings turned into a rustls client configuration, and rustls errors turned into
//! reasons an operator can act on.
//!
//! Separate from [`transport`](crate::net::transport) because this is where trust is decided (which
//! CAs, whether the hostname is checked, which client certificate is shown) and that deserves to
//! be read on its own; `transport` only moves bytes.
//!
//! **Crypto provider.** rustls needs a provider; this crate uses `ring`. Every
//! production-ready provider compiles C: `ring` needs a C compiler (no cmake), `aws-lc-rs`
//! needs a C compiler and, on some targets, cmake and is much slower to build. The pure-Rust
//! providers are not ready for production: `rustls-rustcrypto` is an unaudited alpha and
//! `rustls-graviola` covers only x86-64 and aarch64. So building this crate needs a C compiler.

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, DigitallySignedStruct, RootCertStore};

use crate::config::TlsConfig;
use crate::error::{Error, Result};

/// The crypto provider every TLS connection of this crate uses.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the rustls connector for `config`: trusted roots (the configured CA, else the bundled
/// webpki roots), the optional client certificate, and the hostname policy.
///
/// Files are read here, once, so that a missing or unreadable file is reported as a
/// configuration error naming its key rather than as a failure of every connection.
pub fn connector(config: &TlsConfig) -> Result<tokio_rustls::TlsConnector> {
    let provider = provider();
    let roots = Arc::new(root_store(config)?);
    let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| Error::config("ssl.ca.location", format!("unusable CA certificates: {e}")))?;
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config("security.protocol", e.to_string()))?;
    let builder = if config.endpoint_identification {
        builder.with_webpki_verifier(verifier)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(SkipHostnameCheck { inner: verifier }))
    };
    let client_config = match (&config.certificate_location, &config.key_location) {
        (Some(cert), Some(key)) => {
            let chain = read_certificates(cert, "ssl.certificate.location")?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
                Error::config(
                    "ssl.key.location",
                    format!("cannot read a PEM private key from {}: {e}", key.display()),
                )
            })?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                Error::config(
                    "ssl.key.location",
                    format!("the key does not fit the client certificate: {e}"),
                )
            })?
        }
        (None, None) => builder.with_no_client_auth(),
        (Some(_), None) => {
            return Err(Error::config(
                "ssl.key.location",
                "ssl.certificate.location is set but the key is not",
            ))
        }
        (None, Some(_)) => {
            return Err(Error::config(
                "ssl.certificate.location",
                "ssl.key.location is set but the certificate is not",
            ))
        }
    };
    Ok(tokio_rustls::TlsConnector::from(Arc::new(client_config)))
}

fn root_store(config: &TlsConfig) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let mut custom = Vec::new();
    if let Some(path) = &config.ca_location {
        custom.extend(read_certificates(path, "ssl.ca.location")?);
    }
    if let Some(pem) = &config.ca_pem {
        let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::config("ssl.ca.pem", format!("invalid PEM: {e}")))?;
        if certs.is_empty() {
            return Err(Error::config(
                "ssl.ca.pem",
                "no certificate in the PEM text",
            ));
        }
        custom.extend(certs);
    }
    if custom.is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(roots);
    }
    for cert in custom {
        roots.add(cert).map_err(|e| {
            Error::config("ssl.ca.location", format!("unusable CA certificate: {e}"))
        })?;
    }
    Ok(roots)
}

fn read_certificates(path: &Path, key: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(|e| {
            Error::config(
                key,
                format!("cannot read PEM certificates from {}: {e}", path.display()),
            )
        })?;
    if certs.is_empty() {
        return Err(Error::config(
            key,
            format!("no certificate in {}", path.display()),
        ));
    }
    Ok(certs)
}

/// `ssl.endpoint.identification.algorithm=` (empty): the chain, validity and signatures are
/// checked as usual; only a certificate that fails *solely* because it does not name the host
/// is accepted. rustls' verifier checks the chain before the name, so a name error means the
/// chain was already found good.
#[derive(Debug)]
struct SkipHostnameCheck {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for SkipHostnameCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Turns a failed TLS handshake into an [`Error::Tls`] whose reason says what to fix.
pub fn handshake_error(broker: &str, err: &io::Error) -> Error {
    let reason = match err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => describe(tls),
        None if err.kind() == io::ErrorKind::UnexpectedEof => {
            "the broker closed the connection during the TLS handshake: is the listener \
             plaintext (security.protocol PLAINTEXT or SASL_PLAINTEXT)?"
                .to_owned()
        }
        None => format!("I/O error during the TLS handshake: {err}"),
    };
    Error::Tls {
        broker: broker.to_owned(),
        reason,
    }
}

/// A readable reason for a rustls error, naming the likely fix for the common ones.
pub fn describe(err: &rustls::Error) -> String {
    match err {
        rustls::Error::InvalidCertificate(cert) => describe_certificate(cert),
        rustls::Error::AlertReceived(alert) => {
            let hint = match alert {
                AlertDescription::CertificateRequired
                | AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateUnknown
                | AlertDescription::AccessDenied => {
                    ": the broker did not accept our client certificate (set ssl.certificate.location \
                     and ssl.key.location to one signed by a CA the broker trusts)"
                }
                AlertDescription::HandshakeFailure | AlertDescription::ProtocolVersion => {
                    ": no TLS version or cipher suite in common"
                }
                _ => "",
            };
            format!("the broker aborted the handshake with alert {alert:?}{hint}")
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            format!("the broker did not answer with TLS ({err}): is the listener plaintext?")
        }
        other => other.to_string(),
    }
}

fn describe_certificate(err: &CertificateError) -> String {
    match err {
        CertificateError::UnknownIssuer => {
            "the broker's certificate is not signed by a trusted CA \
             (unknown issuer): set ssl.ca.location to the CA that signed it"
                .to_owned()
        }
        CertificateError::Expired => "the broker's certificate has expired".to_owned(),
        CertificateError::ExpiredContext { time, not_after } => format!(
            "the broker's certificate has expired: it was valid until {}, {} ago",
            utc(not_after.as_secs()),
            humanize(time.as_secs().saturating_sub(not_after.as_secs()))
        ),
        CertificateError::NotValidYet => "the broker's certificate is not valid yet".to_owned(),
        CertificateError::NotValidYetContext { time, not_before } => format!(
            "the broker's certificate is not valid yet: it becomes valid in {} (check the clocks)",
            humanize(not_before.as_secs().saturating_sub(time.as_secs()))
        ),
        CertificateError::NotValidForName => "hostname mismatch: the broker's certificate does \
             not name the host we connected to (set ssl.endpoint.identification.algorithm to \
             empty to skip this check)"
            .to_owned(),
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "hostname mismatch: the broker's certificate does not name `{}` (it names {}); fix \
             the advertised listener or set ssl.endpoint.identification.algorithm to empty to \
             skip this check",
            expected.to_str(),
            if presented.is_empty() {
                "nothing usable".to_owned()
            } else {
                presented
                    .iter()
                    .map(|name| {
                        // rustls renders names as `DnsName("host")`; show just the host.
                        name.strip_prefix("DnsName(\"")
                            .and_then(|n| n.strip_suffix("\")"))
                            .unwrap_or(name)
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        CertificateError::Revoked => "the broker's certificate has been revoked".to_owned(),
        CertificateError::BadSignature => {
            "the broker's certificate has an invalid signature".to_owned()
        }
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "the broker's certificate is not meant for TLS servers (extended key usage)".to_owned()
        }
        other => format!("the broker's certificate was rejected: {other}"),
    }
}

/// `YYYY-MM-DD hh:mm:ss UTC` for seconds since the Unix epoch (proleptic Gregorian calendar,
/// H. Hinnant's `civil_from_days`), to avoid a date crate for one error message.
fn utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let second_of_day = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        second_of_day / 3_600,
        second_of_day / 60 % 60,
        second_of_day % 60
    )
}

fn humanize(seconds: u64) -> String {
    match seconds {
        s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s >= 2 * 3_600 => format!("{} hours", s / 3_600),
        s if s >= 120 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

#[cfg(test)]
mod tests;
