//! The cross-field rules of the shared settings, checked once every key is in, so that they
//! apply alike to typed setters and string keys.

use super::client::ClientConfig;
use super::properties::shown;
use super::security::*;
use crate::error::{Error, Result};

impl ClientConfig {
    /// Checks the rules that span several settings; [`ClientConfigBuilder::build`](super::ClientConfigBuilder::build) runs it,
    /// and code that fills a `ClientConfig` by hand should too.
    ///
    /// - `bootstrap.servers` is non-empty and each entry is `host:port` (IPv6 in brackets)
    ///   with a port from 1 to 65535;
    /// - `request.timeout.ms`, `socket.connection.setup.timeout.ms`,
    ///   `max.in.flight.requests.per.connection` and `socket.max.response.bytes` are positive;
    /// - `ssl.*` settings need a TLS `security.protocol`; `ssl.ca.location` and `ssl.ca.pem`
    ///   exclude each other; `ssl.certificate.location` and `ssl.key.location` come together;
    /// - a SASL `security.protocol` needs SASL settings, and SASL settings need one: PLAIN and
    ///   SCRAM need a username and password and no token provider; OAUTHBEARER needs a token
    ///   provider and no username or password.
    ///
    /// The error names the key to fix.
    pub fn validate(&self) -> Result<()> {
        const BOOTSTRAP: &str = "bootstrap.servers";
        if self.bootstrap_servers.is_empty() {
            return Err(Error::config(
                BOOTSTRAP,
                "no servers given: list at least one `host:port`",
            ));
        }
        for server in &self.bootstrap_servers {
            check_host_port(server).map_err(|reason| Error::config(BOOTSTRAP, reason))?;
        }
        for (key, value) in [
            ("request.timeout.ms", self.request_timeout),
            (
                "socket.connection.setup.timeout.ms",
                self.socket_connection_setup_timeout,
            ),
            ("metrics.sample.window.ms", self.metrics_sample_window),
        ] {
            if value.is_zero() {
                return Err(Error::config(key, "must be at least 1 ms"));
            }
        }
        for (key, value) in [
            (
                "max.in.flight.requests.per.connection",
                self.max_in_flight_requests_per_connection,
            ),
            ("socket.max.response.bytes", self.max_response_size),
            ("metrics.num.samples", self.metrics_num_samples as usize),
        ] {
            if value == 0 {
                return Err(Error::config(key, "must be at least 1"));
            }
        }
        self.validate_tls()?;
        self.validate_sasl()
    }

    fn validate_tls(&self) -> Result<()> {
        let tls = &self.tls;
        if !self.security_protocol.uses_tls() && *tls != TlsConfig::default() {
            // Most likely `security.protocol` was forgotten; connecting in plaintext to a TLS
            // listener would otherwise fail later with a confusing "malformed response".
            return Err(Error::config(
                "security.protocol",
                format!(
                    "ssl.* settings are present but security.protocol is {}; use SSL or SASL_SSL",
                    self.security_protocol.name()
                ),
            ));
        }
        if tls.ca_location.is_some() && tls.ca_pem.is_some() {
            return Err(Error::config(
                "ssl.ca.pem",
                "set either ssl.ca.location or ssl.ca.pem, not both",
            ));
        }
        match (&tls.certificate_location, &tls.key_location) {
            (Some(_), None) => Err(Error::config(
                "ssl.key.location",
                "ssl.certificate.location is set but ssl.key.location is not: a client certificate needs its private key",
            )),
            (None, Some(_)) => Err(Error::config(
                "ssl.certificate.location",
                "ssl.key.location is set but ssl.certificate.location is not: a private key needs its certificate",
            )),
            _ => Ok(()),
        }
    }

    fn validate_sasl(&self) -> Result<()> {
        let protocol = self.security_protocol;
        let sasl = match (&self.sasl, protocol.uses_sasl()) {
            (None, false) => return Ok(()),
            (None, true) => {
                return Err(Error::config(
                    "sasl.mechanism",
                    format!(
                        "security.protocol is {} but no SASL settings are given: set sasl.mechanism with \
                         sasl.username and sasl.password (PLAIN, SCRAM) or a token provider (OAUTHBEARER)",
                        protocol.name()
                    ),
                ))
            }
            (Some(_), false) => {
                return Err(Error::config(
                    "security.protocol",
                    format!(
                        "sasl.* settings are present but security.protocol is {}; use SASL_PLAINTEXT or SASL_SSL",
                        protocol.name()
                    ),
                ))
            }
            (Some(sasl), true) => sasl,
        };
        let mechanism = sasl.mechanism.name();
        match sasl.mechanism {
            SaslMechanism::Plain | SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
                if sasl.username.is_empty() {
                    return Err(Error::config(
                        "sasl.username",
                        format!("{mechanism} needs a username (sasl.username or sasl.jaas.config)"),
                    ));
                }
                if sasl.password.is_empty() {
                    return Err(Error::config(
                        "sasl.password",
                        format!("{mechanism} needs a password (sasl.password or sasl.jaas.config)"),
                    ));
                }
                if sasl.token_provider.is_some() {
                    return Err(Error::config(
                        "sasl.mechanism",
                        format!("an OAuth token provider is set but sasl.mechanism is {mechanism}; use OAUTHBEARER"),
                    ));
                }
            }
            SaslMechanism::OAuthBearer => {
                if sasl.token_provider.is_none() {
                    return Err(Error::config(
                        "sasl.mechanism",
                        "OAUTHBEARER needs a token provider: set it with ClientConfigBuilder::sasl_token_provider",
                    ));
                }
                if !sasl.username.is_empty() || !sasl.password.is_empty() {
                    return Err(Error::config(
                        "sasl.username",
                        "OAUTHBEARER takes its credentials from the token provider; remove sasl.username and sasl.password",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Checks one `bootstrap.servers` entry: `host:port` or `[ipv6]:port`.
fn check_host_port(entry: &str) -> Result<(), String> {
    if let Some((scheme, _)) = entry.split_once("://") {
        return Err(format!(
            "{}: expected host:port without the `{scheme}://` prefix (the protocol comes from security.protocol)",
            shown(entry)
        ));
    }
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("{}: `[` without a closing `]`", shown(entry)))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| format!("{}: expected host:port", shown(entry)))?;
        // An address, then an optional `%zone` (interface name) for link-local addresses.
        let (address, zone) = host.split_once('%').unwrap_or((host, "x"));
        let address_ok = address.contains(':')
            && address
                .chars()
                .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'));
        let zone_ok = !zone.is_empty()
            && zone
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !(address_ok && zone_ok) {
            return Err(format!(
                "{}: `[{host}]` is not an IPv6 address",
                shown(entry)
            ));
        }
        (host, port)
    } else {
        let (host, port) = entry
            .rsplit_once(':')
            .ok_or_else(|| format!("{}: expected host:port", shown(entry)))?;
        if host.contains(':') {
            return Err(format!(
                "{}: an IPv6 address needs brackets, e.g. `[::1]:9092`",
                shown(entry)
            ));
        }
        if let Some(bad) = host
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '%')))
        {
            return Err(format!(
                "{}: `{bad}` cannot appear in a host name",
                shown(entry)
            ));
        }
        (host, port)
    };
    if host.is_empty() {
        return Err(format!("{}: the host is missing", shown(entry)));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        _ => Err(format!(
            "{}: the port `{port}` is not a number from 1 to 65535",
            shown(entry)
        )),
    }
}
