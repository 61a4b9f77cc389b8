//! The broker's side of SASL as Kafka's `SaslServerAuthenticator` runs it, as pure state
//! machines with no I/O: a connection's [`SaslServer`] takes the mechanism from SaslHandshake
//! and the client's tokens from SaslAuthenticate, and says what to answer, when the session
//! ends (KIP-368) and when the connection must be closed instead.
//!
//! Mechanisms, each following Kafka's own server classes:
//!
//! | mechanism | Kafka class | what is checked |
//! | --- | --- | --- |
//! | `PLAIN` | `PlainSaslServer` | `authzid NUL user NUL password` against the configured users |
//! | `SCRAM-SHA-256`, `SCRAM-SHA-512` | `ScramSaslServer` | RFC 5802 client proof against a stored credential (salt, iterations, StoredKey, ServerKey); the server signature proves the broker back |
//! | `OAUTHBEARER` | `OAuthBearerSaslServer` with `OAuthBearerUnsecuredValidatorCallbackHandler` | an unsecured JWS (`alg: none`): principal claim (`sub`), `exp` required and not past, `iat` before `exp`, optional required scope |
//!
//! Error codes and messages are Kafka's. Kafka hides the reason of most failures from the client
//! (a `SaslException` becomes "Authentication failed during authentication due to invalid
//! credentials with SASL mechanism M", so an attacker cannot tell an unknown user from a wrong
//! proof); the few it spells out (`SaslAuthenticationException`: PLAIN's "Authentication
//! failed: Invalid username or password", an authorization id that differs from the user, a
//! principal that changes on re-authentication) are passed on word for word.
//!
//! # Session lifetime (KIP-368)
//!
//! On success the broker announces a session lifetime in the SaslAuthenticate (v1+) response:
//! `connections.max.reauth.ms` when set, the credential's remaining lifetime when the mechanism
//! has one (an OAuth token's `exp`), the smaller of the two when both are known, and 0 (no
//! limit) otherwise. Once it is over, the broker closes the connection at the next request that
//! is not a SaslHandshake starting a re-authentication ([`SaslServer::admit`]).
//! Re-authentication must keep the mechanism and the principal.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::ErrorCode;
use sha2::{Digest, Sha256, Sha512};

/// Kafka's default (and minimum) SCRAM iteration count.
pub const DEFAULT_SCRAM_ITERATIONS: u32 = 4096;

/// A SASL mechanism the broker can enable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SaslMechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `SCRAM-SHA-256` (RFC 5802, RFC 7677).
    ScramSha256,
    /// `SCRAM-SHA-512`.
    ScramSha512,
    /// `OAUTHBEARER` (RFC 7628, KIP-255) with Kafka's unsecured-JWS validation.
    OAuthBearer,
}

impl SaslMechanism {
    /// Every mechanism, in the order brokers usually list them.
    pub const ALL: [SaslMechanism; 4] = [
        SaslMechanism::Plain,
        SaslMechanism::ScramSha256,
        SaslMechanism::ScramSha512,
        SaslMechanism::OAuthBearer,
    ];

    /// Kafka's name (`PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`, `OAUTHBEARER`).
    pub fn name(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
            SaslMechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The mechanism Kafka calls `name` (exact, case-sensitive, as SaslHandshake matches it).
    ///
    /// ```
    /// use kafkito_testkit::sasl_server::SaslMechanism;
    /// assert_eq!(SaslMechanism::from_name("SCRAM-SHA-512"), Some(SaslMechanism::ScramSha512));
    /// assert_eq!(SaslMechanism::from_name("GSSAPI"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<SaslMechanism> {
        SaslMechanism::ALL.into_iter().find(|m| m.name() == name)
    }

    fn scram_hash(self) -> Option<ScramHash> {
        match self {
            SaslMechanism::ScramSha256 => Some(ScramHash::Sha256),
            SaslMechanism::ScramSha512 => Some(ScramHash::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for SaslMechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `MECH:USER:PASSWORD` setting that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid SASL user `{setting}`: {reason}")]
pub struct SaslUserError {
    /// The setting, with the password replaced by `***`.
    pub setting: String,
    /// What is wrong.
    pub reason: String,
}

/// A user the broker accepts: `MECH:USER:PASSWORD` in the binary's `--sasl` flag.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslUser {
    /// The mechanism this user logs in with.
    pub mechanism: SaslMechanism,
    /// The user name (the principal is `User:<username>`).
    pub username: String,
    /// The password (PLAIN, SCRAM).
    pub password: String,
}

impl fmt::Debug for SaslUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslUser")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl SaslUser {
    /// Parses `MECH:USER:PASSWORD`; the password is everything after the second `:`, so it may
    /// contain colons. `OAUTHBEARER` takes no user (any valid token logs in as its `sub`), so
    /// `OAUTHBEARER` alone is accepted and enables the mechanism.
    ///
    /// ```
    /// use kafkito_testkit::sasl_server::{SaslMechanism, SaslUser};
    /// let user = SaslUser::parse("SCRAM-SHA-256:alice:pa:ss").unwrap();
    /// assert_eq!(user.mechanism, SaslMechanism::ScramSha256);
    /// assert_eq!((user.username.as_str(), user.password.as_str()), ("alice", "pa:ss"));
    /// assert!(SaslUser::parse("PLAIN:alice").is_err());
    /// ```
    pub fn parse(setting: &str) -> Result<SaslUser, SaslUserError> {
        let mut parts = setting.splitn(3, ':');
        let mechanism_name = parts.next().unwrap_or_default();
        let username = parts.next();
        let password = parts.next();
        let shown = match (username, password) {
            (Some(u), Some(_)) => format!("{mechanism_name}:{u}:***"),
            _ => setting.to_owned(),
        };
        let error = |reason: String| SaslUserError {
            setting: shown.clone(),
            reason,
        };
        let mechanism = SaslMechanism::from_name(mechanism_name).ok_or_else(|| {
            error(format!(
                "unknown mechanism `{mechanism_name}`; known are PLAIN, SCRAM-SHA-256, \
                 SCRAM-SHA-512, OAUTHBEARER"
            ))
        })?;
        match (mechanism, username, password) {
            (SaslMechanism::OAuthBearer, None, None) => Ok(SaslUser {
                mechanism,
                username: String::new(),
                password: String::new(),
            }),
            (_, Some(username), Some(password)) if !username.is_empty() => Ok(SaslUser {
                mechanism,
                username: username.to_owned(),
                password: password.to_owned(),
            }),
            _ => Err(error(
                "expected MECH:USER:PASSWORD with a non-empty user".into(),
            )),
        }
    }
}

/// A SCRAM credential as Kafka stores it (`ScramCredential`): never the password itself.
#[derive(Clone, PartialEq, Eq)]
pub struct ScramCredential {
    salt: Vec<u8>,
    iterations: u32,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl fmt::Debug for ScramCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredential")
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl ScramCredential {
    /// The credential of `password` with `salt` and `iterations` (RFC 5802 §3: SaltedPassword
    /// = PBKDF2-HMAC(password, salt, iterations), StoredKey = H(HMAC(SaltedPassword, "Client
    /// Key")), ServerKey = HMAC(SaltedPassword, "Server Key")). `None` for a non-SCRAM
    /// mechanism.
    pub fn new(
        mechanism: SaslMechanism,
        password: &str,
        salt: Vec<u8>,
        iterations: u32,
    ) -> Option<ScramCredential> {
        let hash = mechanism.scram_hash()?;
        let salted = hash.pbkdf2(password.as_bytes(), &salt, iterations);
        let client_key = hash.hmac(&salted, b"Client Key");
        Some(ScramCredential {
            stored_key: hash.digest(&client_key),
            server_key: hash.hmac(&salted, b"Server Key"),
            salt,
            iterations,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScramHash {
    Sha256,
    Sha512,
}

fn mac_of<M: Mac + hmac::digest::KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

impl ScramHash {
    fn len(self) -> usize {
        match self {
            ScramHash::Sha256 => 32,
            ScramHash::Sha512 => 64,
        }
    }

    fn pbkdf2(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut out = vec![0u8; self.len()];
        // Only fails for an HMAC key length HMAC cannot take; it takes any.
        let _ = match self {
            ScramHash::Sha256 => {
                pbkdf2::pbkdf2::<Hmac<Sha256>>(password, salt, iterations, &mut out)
            }
            ScramHash::Sha512 => {
                pbkdf2::pbkdf2::<Hmac<Sha512>>(password, salt, iterations, &mut out)
            }
        };
        out
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => mac_of::<Hmac<Sha256>>(key, data),
            ScramHash::Sha512 => mac_of::<Hmac<Sha512>>(key, data),
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramHash::Sha256 => Sha256::digest(data).to_vec(),
            ScramHash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

/// How the broker validates unsecured OAUTHBEARER tokens: the options of Kafka's
/// `OAuthBearerUnsecuredValidatorCallbackHandler`, with its defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsecuredJwsValidation {
    /// `unsecuredValidatorPrincipalClaimName` (default `sub`).
    pub principal_claim: String,
    /// `unsecuredValidatorScopeClaimName` (default `scope`).
    pub scope_claim: String,
    /// `unsecuredValidatorRequiredScope` (default none).
    pub required_scope: Vec<String>,
    /// `unsecuredValidatorAllowableClockSkewMs` (default 0).
    pub allowable_clock_skew: Duration,
}

impl Default for UnsecuredJwsValidation {
    fn default() -> Self {
        UnsecuredJwsValidation {
            principal_claim: "sub".into(),
            scope_claim: "scope".into(),
            required_scope: Vec::new(),
            allowable_clock_skew: Duration::ZERO,
        }
    }
}

/// The broker's SASL settings, shared by every connection of a listener.
#[derive(Debug, Clone)]
pub struct SaslServerConfig {
    /// `sasl.enabled.mechanisms`, in the order SaslHandshake lists them.
    enabled: Vec<SaslMechanism>,
    plain: BTreeMap<String, String>,
    scram: BTreeMap<(SaslMechanism, String), ScramCredential>,
    /// `connections.max.reauth.ms` (`None` or zero: no limit).
    session_lifetime: Option<Duration>,
    oauth: UnsecuredJwsValidation,
}

impl SaslServerConfig {
    /// Settings for `users`, with `enabled_mechanisms` enabled (in that order; empty means
    /// every mechanism some user names) and `session_lifetime` as `connections.max.reauth.ms`.
    /// SCRAM credentials are derived here, once, with a random salt and
    /// [`DEFAULT_SCRAM_ITERATIONS`], as `kafka-configs --alter --add-config
    /// SCRAM-SHA-256=[password=…]` stores them.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kafkito_testkit::sasl_server::{SaslMechanism, SaslServerConfig, SaslUser};
    ///
    /// let users = ["PLAIN:alice:alice-secret", "SCRAM-SHA-512:bob:bob-secret"]
    ///     .into_iter()
    ///     .map(SaslUser::parse)
    ///     .collect::<Result<Vec<_>, _>>()?;
    /// let config = SaslServerConfig::new(users, Vec::new(), Some(Duration::from_secs(10)));
    /// assert_eq!(config.enabled(), [SaslMechanism::Plain, SaslMechanism::ScramSha512]);
    /// # Ok::<(), kafkito_testkit::sasl_server::SaslUserError>(())
    /// ```
    pub fn new(
        users: Vec<SaslUser>,
        enabled_mechanisms: Vec<SaslMechanism>,
        session_lifetime: Option<Duration>,
    ) -> SaslServerConfig {
        let mut enabled = enabled_mechanisms;
        if enabled.is_empty() {
            for user in &users {
                if !enabled.contains(&user.mechanism) {
                    enabled.push(user.mechanism);
                }
            }
        }
        let mut config = SaslServerConfig {
            enabled,
            plain: BTreeMap::new(),
            scram: BTreeMap::new(),
            session_lifetime: session_lifetime.filter(|d| !d.is_zero()),
            oauth: UnsecuredJwsValidation::default(),
        };
        for user in users {
            match user.mechanism {
                SaslMechanism::Plain => {
                    config.plain.insert(user.username, user.password);
                }
                SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
                    let salt: Vec<u8> = (0..16).map(|_| fastrand::u8(..)).collect();
                    config.add_scram_credential(
                        user.mechanism,
                        &user.username,
                        &user.password,
                        salt,
                        DEFAULT_SCRAM_ITERATIONS,
                    );
                }
                SaslMechanism::OAuthBearer => {}
            }
        }
        config
    }

    /// Adds (or replaces) a SCRAM credential with a chosen salt and iteration count; ignored for
    /// a non-SCRAM mechanism.
    pub fn add_scram_credential(
        &mut self,
        mechanism: SaslMechanism,
        username: &str,
        password: &str,
        salt: Vec<u8>,
        iterations: u32,
    ) {
        if let Some(credential) = ScramCredential::new(mechanism, password, salt, iterations) {
            self.scram
                .insert((mechanism, username.to_owned()), credential);
        }
    }

    /// Replaces the OAUTHBEARER validation options.
    pub fn with_oauth_validation(mut self, validation: UnsecuredJwsValidation) -> Self {
        self.oauth = validation;
        self
    }

    /// The enabled mechanisms, in SaslHandshake order.
    pub fn enabled(&self) -> &[SaslMechanism] {
        &self.enabled
    }

    /// `connections.max.reauth.ms`, if set.
    pub fn session_lifetime(&self) -> Option<Duration> {
        self.session_lifetime
    }

    fn enabled_names(&self) -> Vec<String> {
        self.enabled.iter().map(|m| m.name().to_owned()).collect()
    }
}

/// A refused SaslHandshake: the error code and the enabled mechanisms the response lists.
/// Kafka closes the connection after sending it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandshakeRefused {
    /// `UNSUPPORTED_SASL_MECHANISM` or `ILLEGAL_SASL_STATE`.
    pub code: ErrorCode,
    /// The enabled mechanisms.
    pub enabled: Vec<String>,
}

/// What to answer to one SaslAuthenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Answer with these `auth_bytes` (error code NONE, session lifetime 0) and wait for the
    /// next SaslAuthenticate.
    Continue(Vec<u8>),
    /// Authenticated: answer with `response` and `session_lifetime_ms`; the connection now
    /// serves every API as `principal`.
    Done {
        /// `User:<name>`, as Kafka's default principal builder names it.
        principal: String,
        /// The final `auth_bytes` (empty for PLAIN and OAUTHBEARER, SCRAM's server-final).
        response: Vec<u8>,
        /// The session lifetime to announce (0: none).
        session_lifetime_ms: i64,
    },
    /// Refused: answer with `code` and `message`, then close the connection.
    Failed {
        /// `SASL_AUTHENTICATION_FAILED` or `ILLEGAL_SASL_STATE`.
        code: ErrorCode,
        /// The message Kafka sends.
        message: String,
    },
}

/// Whether a request may be served on the connection ([`SaslServer::admit`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// Serve it with the regular handler.
    Serve,
    /// Hand it to [`SaslServer::handshake`] / [`SaslServer::authenticate`].
    Sasl,
    /// Close the connection without answering (as Kafka does), for this reason (for logs).
    Close(String),
}

#[derive(Debug, Clone)]
enum State {
    /// No mechanism chosen yet (before the first SaslHandshake).
    Initial,
    /// SaslHandshake chose `mechanism`; waiting for its first token. `reauth_bad_mechanism`
    /// holds Kafka's message when a re-authentication asked for another mechanism.
    Handshaken {
        mechanism: SaslMechanism,
        reauth_bad_mechanism: Option<String>,
    },
    /// SCRAM: server-first sent.
    ScramServerFirstSent {
        mechanism: SaslMechanism,
        username: String,
        client_first_bare: String,
        server_first: String,
        nonce: String,
    },
    /// OAUTHBEARER: the token was refused with this error document; waiting for the client's
    /// `%x01` acknowledgement.
    OAuthErrorSent { error_document: String },
    /// Authenticated.
    Authenticated,
    /// A failure was reported: the connection is to be closed.
    Failed,
}

/// One connection's SASL state.
///
/// ```
/// use std::sync::Arc;
/// use std::time::SystemTime;
/// use kafkito_testkit::sasl_server::{SaslServer, SaslServerConfig, SaslUser, Step};
///
/// let config = SaslServerConfig::new(vec![SaslUser::parse("PLAIN:alice:s3cret")?], Vec::new(), None);
/// let mut server = SaslServer::new(Arc::new(config));
/// server.handshake("PLAIN").unwrap();
/// let step = server.authenticate(b"\0alice\0s3cret", SystemTime::now());
/// assert!(matches!(step, Step::Done { ref principal, .. } if principal == "User:alice"));
/// # Ok::<(), kafkito_testkit::sasl_server::SaslUserError>(())
/// ```
#[derive(Debug)]
pub struct SaslServer {
    config: Arc<SaslServerConfig>,
    state: State,
    /// The mechanism and principal of the last successful authentication.
    authenticated: Option<(SaslMechanism, String)>,
    session_expires_at: Option<SystemTime>,
    authentications: u32,
    /// Fixed server nonce suffix, for test vectors.
    nonce_override: Option<String>,
}

impl SaslServer {
    /// A new connection's state: nothing but ApiVersions and SaslHandshake is served yet.
    pub fn new(config: Arc<SaslServerConfig>) -> SaslServer {
        SaslServer {
            config,
            state: State::Initial,
            authenticated: None,
            session_expires_at: None,
            authentications: 0,
            nonce_override: None,
        }
    }

    /// Uses `nonce` as the server's part of every SCRAM nonce instead of a random one: only
    /// for reproducing published test vectors.
    pub fn with_fixed_server_nonce(mut self, nonce: &str) -> SaslServer {
        self.nonce_override = Some(nonce.to_owned());
        self
    }

    /// The principal (`User:<name>`) once authenticated.
    pub fn principal(&self) -> Option<&str> {
        self.authenticated.as_ref().map(|(_, p)| p.as_str())
    }

    /// The mechanism of the last successful authentication.
    pub fn mechanism(&self) -> Option<SaslMechanism> {
        self.authenticated.as_ref().map(|(m, _)| *m)
    }

    /// Successful authentications so far (1 + re-authentications).
    pub fn authentications(&self) -> u32 {
        self.authentications
    }

    /// When the current session ends (KIP-368), if it has a lifetime.
    pub fn session_expires_at(&self) -> Option<SystemTime> {
        self.session_expires_at
    }

    /// Whether the session has ended at `now` (strictly after its expiry, as Kafka checks).
    pub fn session_expired(&self, now: SystemTime) -> bool {
        self.session_expires_at.is_some_and(|at| now > at)
    }

    /// What to do with a request of `api` arriving at `now`, as Kafka's `SocketServer` and
    /// `SaslServerAuthenticator` decide:
    ///
    /// - before authentication, ApiVersions is served, SaslHandshake and SaslAuthenticate go
    ///   to this state machine, and anything else closes the connection ("Unexpected Kafka
    ///   request of type … during SASL handshake");
    /// - after it, a SaslHandshake starts a re-authentication (even once the session is over),
    ///   any other request is served, unless the session has expired: then the connection is
    ///   closed without an answer;
    /// - during a re-authentication only SaslAuthenticate is expected; anything else closes.
    pub fn admit(&self, api: ApiKey, now: SystemTime) -> Admission {
        let authenticating = match self.state {
            State::Initial => false,
            State::Authenticated => {
                return if api == ApiKey::SaslHandshake {
                    Admission::Sasl
                } else if self.session_expired(now) {
                    Admission::Close(format!(
                        "{} after the SASL session expired without re-authentication",
                        api.name()
                    ))
                } else {
                    Admission::Serve
                };
            }
            State::Failed => return Admission::Close("after a SASL failure".into()),
            _ => true,
        };
        match api {
            ApiKey::SaslAuthenticate => Admission::Sasl,
            ApiKey::SaslHandshake if !authenticating => Admission::Sasl,
            ApiKey::ApiVersions if !authenticating && self.authenticated.is_none() => {
                Admission::Serve
            }
            other => Admission::Close(format!(
                "Unexpected Kafka request of type {} during SASL {}",
                other.name(),
                if authenticating {
                    "authentication"
                } else {
                    "handshake"
                }
            )),
        }
    }

    /// SaslHandshake (v1+): chooses `mechanism` and returns the enabled mechanisms to list;
    /// on an authenticated connection this starts a re-authentication. A refusal is answered
    /// with its code and list, then Kafka closes the connection.
    pub fn handshake(&mut self, mechanism: &str) -> Result<Vec<String>, HandshakeRefused> {
        let enabled = self.config.enabled_names();
        if !matches!(self.state, State::Initial | State::Authenticated) {
            return Err(HandshakeRefused {
                code: ErrorCode::IllegalSaslState,
                enabled,
            });
        }
        let Some(chosen) =
            SaslMechanism::from_name(mechanism).filter(|m| self.config.enabled.contains(m))
        else {
            self.state = State::Failed;
            return Err(HandshakeRefused {
                code: ErrorCode::UnsupportedSaslMechanism,
                enabled,
            });
        };
        // Kafka accepts the handshake of a re-authentication with another enabled mechanism,
        // and fails the SaslAuthenticate that follows.
        let reauth_bad_mechanism = match &self.authenticated {
            Some((previous, _)) if *previous != chosen => Some(format!(
                "SASL mechanism '{}' requested by client is not supported for \
                 re-authentication of mechanism '{}'",
                chosen, previous
            )),
            _ => None,
        };
        self.state = State::Handshaken {
            mechanism: chosen,
            reauth_bad_mechanism,
        };
        Ok(enabled)
    }

    /// SaslAuthenticate: the client's `auth_bytes` at wall-clock `now` (token expiry is
    /// wall-clock time). See [`Step`] for what to answer.
    pub fn authenticate(&mut self, auth_bytes: &[u8], now: SystemTime) -> Step {
        let state = std::mem::replace(&mut self.state, State::Failed);
        let mechanism = match &state {
            State::Handshaken { mechanism, .. } | State::ScramServerFirstSent { mechanism, .. } => {
                Some(*mechanism)
            }
            State::OAuthErrorSent { .. } => Some(SaslMechanism::OAuthBearer),
            _ => None,
        };
        let result = match state {
            State::Handshaken {
                reauth_bad_mechanism: Some(message),
                ..
            } => Err(Refusal::Explained(message)),
            State::Handshaken {
                mechanism: SaslMechanism::Plain,
                ..
            } => self.plain(auth_bytes).map(|user| (user, Vec::new(), None)),
            State::Handshaken {
                mechanism: SaslMechanism::OAuthBearer,
                ..
            } => match self.oauth(auth_bytes, now) {
                Ok(OAuthOutcome::Valid {
                    principal,
                    expires_at,
                }) => Ok((principal, Vec::new(), Some(expires_at))),
                Ok(OAuthOutcome::Invalid(error_document)) => {
                    let response = error_document.clone().into_bytes();
                    self.state = State::OAuthErrorSent { error_document };
                    return Step::Continue(response);
                }
                Err(refusal) => Err(refusal),
            },
            State::Handshaken { mechanism, .. } => match self.scram_first(mechanism, auth_bytes) {
                Ok((next, server_first)) => {
                    self.state = next;
                    return Step::Continue(server_first.into_bytes());
                }
                Err(refusal) => Err(refusal),
            },
            State::ScramServerFirstSent {
                mechanism,
                username,
                client_first_bare,
                server_first,
                nonce,
            } => self
                .scram_final(
                    mechanism,
                    &username,
                    &client_first_bare,
                    &server_first,
                    &nonce,
                    auth_bytes,
                )
                .map(|server_final| (username, server_final.into_bytes(), None)),
            State::OAuthErrorSent { error_document } => {
                // RFC 7628 §3.2.3: the client acknowledges our error document with a lone
                // %x01; the exchange then fails with the document as the message.
                if auth_bytes == [0x01] {
                    Err(Refusal::Explained(error_document))
                } else {
                    Err(Refusal::Hidden)
                }
            }
            State::Initial | State::Authenticated | State::Failed => {
                return Step::Failed {
                    code: ErrorCode::IllegalSaslState,
                    message: "SaslAuthenticate without a preceding SaslHandshake".into(),
                }
            }
        };
        let mechanism = mechanism.unwrap_or(SaslMechanism::Plain);
        match result {
            Ok((user, response, credential_expires_at)) => {
                self.complete(mechanism, user, response, credential_expires_at, now)
            }
            Err(refusal) => self.fail(mechanism, refusal),
        }
    }

    fn reauthenticating(&self) -> bool {
        self.authenticated.is_some()
    }

    fn fail(&mut self, mechanism: SaslMechanism, refusal: Refusal) -> Step {
        self.state = State::Failed;
        let message = match refusal {
            Refusal::Explained(message) => message,
            Refusal::Hidden => format!(
                "Authentication failed during {} due to invalid credentials with SASL \
                 mechanism {mechanism}",
                if self.reauthenticating() {
                    "re-authentication"
                } else {
                    "authentication"
                }
            ),
        };
        Step::Failed {
            code: ErrorCode::SaslAuthenticationFailed,
            message,
        }
    }

    fn complete(
        &mut self,
        mechanism: SaslMechanism,
        user: String,
        response: Vec<u8>,
        credential_expires_at: Option<SystemTime>,
        now: SystemTime,
    ) -> Step {
        let principal = format!("User:{user}");
        if let Some((_, previous)) = &self.authenticated {
            if *previous != principal {
                let message = format!(
                    "Cannot change principals during re-authentication from {previous}: \
                     {principal}"
                );
                return self.fail(mechanism, Refusal::Explained(message));
            }
        }
        // SaslServerAuthenticator's rule: the credential's remaining life, the configured
        // maximum, or the smaller of the two; never negative.
        let credential_remaining =
            credential_expires_at.map(|at| at.duration_since(now).unwrap_or(Duration::ZERO));
        let lifetime = match (credential_remaining, self.config.session_lifetime) {
            (Some(c), Some(m)) => Some(c.min(m)),
            (c, m) => c.or(m),
        };
        self.session_expires_at = lifetime.map(|l| now + l);
        let session_lifetime_ms =
            lifetime.map_or(0, |l| i64::try_from(l.as_millis()).unwrap_or(i64::MAX));
        self.state = State::Authenticated;
        self.authenticated = Some((mechanism, principal.clone()));
        self.authentications += 1;
        Step::Done {
            principal,
            response,
            session_lifetime_ms,
        }
    }

    /// PLAIN (`PlainSaslServer`): exactly three NUL-separated fields.
    fn plain(&self, auth_bytes: &[u8]) -> Result<String, Refusal> {
        let text = std::str::from_utf8(auth_bytes).map_err(|_| Refusal::Hidden)?;
        let fields: Vec<&str> = text.split('\0').collect();
        let [authzid, username, password] = fields[..] else {
            return Err(Refusal::Hidden);
        };
        if username.is_empty() {
            return Err(Refusal::explained(
                "Authentication failed: username not specified",
            ));
        }
        if password.is_empty() {
            return Err(Refusal::explained(
                "Authentication failed: password not specified",
            ));
        }
        let known = self.config.plain.get(username);
        // Constant-time enough for a test broker; Kafka compares with `MessageDigest.isEqual`.
        if known.map(String::as_bytes) != Some(password.as_bytes()) {
            return Err(Refusal::explained(
                "Authentication failed: Invalid username or password",
            ));
        }
        if !authzid.is_empty() && authzid != username {
            return Err(Refusal::explained(
                "Authentication failed: Client requested an authorization id that is different \
                 from username",
            ));
        }
        Ok(username.to_owned())
    }

    /// SCRAM client-first (`n,[a=authzid],n=saslname,r=nonce[,ext]`) → server-first.
    fn scram_first(
        &self,
        mechanism: SaslMechanism,
        auth_bytes: &[u8],
    ) -> Result<(State, String), Refusal> {
        let text = std::str::from_utf8(auth_bytes).map_err(|_| Refusal::Hidden)?;
        // GS2 header: only "n" (no channel binding), as Kafka's ClientFirstMessage pattern.
        let rest = text.strip_prefix("n,").ok_or(Refusal::Hidden)?;
        let (authzid, bare) = rest.split_once(',').ok_or(Refusal::Hidden)?;
        let authzid = match authzid {
            "" => "",
            a => a.strip_prefix("a=").ok_or(Refusal::Hidden)?,
        };
        let mut attributes = bare.split(',');
        let mut next = |prefix: &str| {
            attributes
                .next()
                .and_then(|a| a.strip_prefix(prefix))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        // An `m=` (mandatory extension) attribute makes the pattern fail in Kafka too.
        let saslname = next("n=").ok_or(Refusal::Hidden)?;
        let client_nonce = next("r=").ok_or(Refusal::Hidden)?;
        let username = scram_unescape(&saslname).ok_or(Refusal::Hidden)?;
        let credential = self
            .config
            .scram
            .get(&(mechanism, username.clone()))
            .ok_or(Refusal::Hidden)?;
        if !authzid.is_empty() && authzid != username {
            return Err(Refusal::explained(
                "Authentication failed: Client requested an authorization id that is different \
                 from username",
            ));
        }
        if credential.iterations < DEFAULT_SCRAM_ITERATIONS {
            return Err(Refusal::Hidden);
        }
        let server_part = match &self.nonce_override {
            Some(nonce) => nonce.clone(),
            None => random_nonce(),
        };
        let nonce = format!("{client_nonce}{server_part}");
        let server_first = format!(
            "r={nonce},s={},i={}",
            BASE64.encode(&credential.salt),
            credential.iterations
        );
        Ok((
            State::ScramServerFirstSent {
                mechanism,
                username,
                client_first_bare: bare.to_owned(),
                server_first: server_first.clone(),
                nonce,
            },
            server_first,
        ))
    }

    /// SCRAM client-final (`c=…,r=nonce[,ext],p=proof`) → server-final (`v=signature`), after
    /// checking the proof: H(proof XOR HMAC(StoredKey, AuthMessage)) must be StoredKey.
    fn scram_final(
        &self,
        mechanism: SaslMechanism,
        username: &str,
        client_first_bare: &str,
        server_first: &str,
        nonce: &str,
        auth_bytes: &[u8],
    ) -> Result<String, Refusal> {
        let hash = mechanism.scram_hash().ok_or(Refusal::Hidden)?;
        let credential = self
            .config
            .scram
            .get(&(mechanism, username.to_owned()))
            .ok_or(Refusal::Hidden)?;
        let text = std::str::from_utf8(auth_bytes).map_err(|_| Refusal::Hidden)?;
        let (without_proof, proof) = text.rsplit_once(",p=").ok_or(Refusal::Hidden)?;
        let mut attributes = without_proof.split(',');
        let channel_binding = attributes.next().and_then(|a| a.strip_prefix("c="));
        let client_nonce = attributes.next().and_then(|a| a.strip_prefix("r="));
        if channel_binding.is_none() || client_nonce != Some(nonce) {
            return Err(Refusal::Hidden);
        }
        let proof = BASE64.decode(proof).map_err(|_| Refusal::Hidden)?;
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        let client_signature = hash.hmac(&credential.stored_key, auth_message.as_bytes());
        if proof.len() != client_signature.len() {
            return Err(Refusal::Hidden);
        }
        let client_key: Vec<u8> = proof
            .iter()
            .zip(&client_signature)
            .map(|(p, s)| p ^ s)
            .collect();
        if hash.digest(&client_key) != credential.stored_key {
            return Err(Refusal::Hidden);
        }
        let server_signature = hash.hmac(&credential.server_key, auth_message.as_bytes());
        Ok(format!("v={}", BASE64.encode(server_signature)))
    }

    /// OAUTHBEARER client initial response, `n,[a=authzid],%x01auth=Bearer <token>%x01
    /// [key=value%x01]*%x01`, then Kafka's unsecured-JWS validation of the token.
    fn oauth(&self, auth_bytes: &[u8], now: SystemTime) -> Result<OAuthOutcome, Refusal> {
        let text = std::str::from_utf8(auth_bytes).map_err(|_| Refusal::Hidden)?;
        let rest = text.strip_prefix("n,").ok_or(Refusal::Hidden)?;
        let (authzid, rest) = rest.split_once(',').ok_or(Refusal::Hidden)?;
        let authzid = match authzid {
            "" => "",
            a => a.strip_prefix("a=").ok_or(Refusal::Hidden)?,
        };
        let body = rest
            .strip_prefix('\x01')
            .and_then(|r| r.strip_suffix("\x01\x01"))
            .ok_or(Refusal::Hidden)?;
        let mut token = None;
        for pair in body.split('\x01') {
            let (key, value) = pair.split_once('=').ok_or(Refusal::Hidden)?;
            if key == "auth" {
                token = Some(value.strip_prefix("Bearer ").ok_or(Refusal::Hidden)?);
            } else if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(Refusal::Hidden);
            }
            // Other keys are SASL extensions (KIP-342); the unsecured validator accepts them.
        }
        let token = token.ok_or(Refusal::Hidden)?;
        match validate_unsecured_jws(token, &self.config.oauth, now) {
            Ok((principal, expires_at)) => {
                if !authzid.is_empty() && authzid != principal {
                    return Err(Refusal::Explained(format!(
                        "Authentication failed: Client requested an authorization id ({authzid}) \
                         that is different from the token's principal name ({principal})"
                    )));
                }
                Ok(OAuthOutcome::Valid {
                    principal,
                    expires_at,
                })
            }
            Err(invalid) => Ok(OAuthOutcome::Invalid(invalid.error_document())),
        }
    }
}

/// Why an exchange failed: a message Kafka hides behind its generic text, or one it sends.
enum Refusal {
    Hidden,
    Explained(String),
}

impl Refusal {
    fn explained(message: &str) -> Refusal {
        Refusal::Explained(message.to_owned())
    }
}

enum OAuthOutcome {
    Valid {
        principal: String,
        expires_at: SystemTime,
    },
    /// The RFC 7628 error document to send.
    Invalid(String),
}

/// A token the unsecured validator refuses: `invalid_token`, or `insufficient_scope` with the
/// scope that was required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidToken {
    /// RFC 6749 error status.
    pub status: &'static str,
    /// The required scope, for `insufficient_scope`.
    pub scope: Option<String>,
    /// Why (for logs; never sent: Kafka sends only the status).
    pub reason: String,
}

impl InvalidToken {
    fn invalid(reason: impl Into<String>) -> InvalidToken {
        InvalidToken {
            status: "invalid_token",
            scope: None,
            reason: reason.into(),
        }
    }

    /// The JSON error document Kafka's `OAuthBearerSaslServer` sends:
    /// `{"status":"invalid_token"}`, with `, "scope":"…"` for a missing scope.
    pub fn error_document(&self) -> String {
        match &self.scope {
            Some(scope) => format!(r#"{{"status":"{}", "scope":"{scope}"}}"#, self.status),
            None => format!(r#"{{"status":"{}"}}"#, self.status),
        }
    }
}

/// Validates an unsecured JWS as Kafka's `OAuthBearerUnsecuredValidatorCallbackHandler`:
/// three dot-separated parts with an empty signature, a header with `"alg":"none"`, a string
/// principal claim, a numeric `exp` (seconds since the epoch) not reached at `now` (less the
/// allowed clock skew), an `iat` (if any) before `exp`, and every required scope in the scope
/// claim (a space-separated string or an array of strings). Returns the principal and the
/// expiry.
///
/// ```
/// use std::time::{Duration, SystemTime, UNIX_EPOCH};
/// use kafkito_testkit::sasl_server::{validate_unsecured_jws, UnsecuredJwsValidation};
///
/// // {"alg":"none"} . {"sub":"alice","exp":4102444800} . (no signature)
/// let token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.";
/// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let (principal, expires) = validate_unsecured_jws(token, &UnsecuredJwsValidation::default(), now).unwrap();
/// assert_eq!(principal, "alice");
/// assert_eq!(expires, UNIX_EPOCH + Duration::from_secs(4_102_444_800));
/// ```
pub fn validate_unsecured_jws(
    token: &str,
    validation: &UnsecuredJwsValidation,
    now: SystemTime,
) -> Result<(String, SystemTime), InvalidToken> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return Err(InvalidToken::invalid(
            "an unsecured JWS has three dot-separated parts",
        ));
    };
    if !signature.is_empty() {
        return Err(InvalidToken::invalid(
            "an unsecured JWS has an empty signature",
        ));
    }
    let decode = |part: &str,
                  what: &str|
     -> Result<serde_json::Map<String, serde_json::Value>, InvalidToken> {
        let bytes = BASE64URL
            .decode(part.trim_end_matches('='))
            .map_err(|e| InvalidToken::invalid(format!("{what} is not base64url: {e}")))?;
        match serde_json::from_slice(&bytes) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            _ => Err(InvalidToken::invalid(format!(
                "{what} is not a JSON object"
            ))),
        }
    };
    let header = decode(header, "the header")?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("none") {
        return Err(InvalidToken::invalid(
            "the header's `alg` must be `none` for an unsecured JWS",
        ));
    }
    let claims = decode(claims, "the claims")?;
    let principal = match claims.get(&validation.principal_claim) {
        Some(serde_json::Value::String(p)) if !p.trim().is_empty() => p.clone(),
        _ => {
            return Err(InvalidToken::invalid(format!(
                "no string `{}` claim (the principal)",
                validation.principal_claim
            )))
        }
    };
    let seconds = |name: &str, required: bool| -> Result<Option<f64>, InvalidToken> {
        match claims.get(name) {
            None if !required => Ok(None),
            Some(value) => value
                .as_f64()
                .map(Some)
                .ok_or_else(|| InvalidToken::invalid(format!("`{name}` is not a number"))),
            None => Err(InvalidToken::invalid(format!("no `{name}` claim"))),
        }
    };
    let exp = seconds("exp", true)?.unwrap_or_default();
    let iat = seconds("iat", false)?;
    let to_ms = |s: f64| (s * 1000.0) as i64;
    let now_ms = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let skew_ms = validation.allowable_clock_skew.as_millis() as i64;
    if let Some(iat) = iat {
        if now_ms + skew_ms < to_ms(iat) {
            return Err(InvalidToken::invalid("`iat` is in the future"));
        }
        if to_ms(exp) <= to_ms(iat) {
            return Err(InvalidToken::invalid("`exp` is not after `iat`"));
        }
    }
    if now_ms - skew_ms >= to_ms(exp) {
        return Err(InvalidToken::invalid("the token has expired"));
    }
    if !validation.required_scope.is_empty() {
        let granted: Vec<String> = match claims.get(&validation.scope_claim) {
            Some(serde_json::Value::String(s)) => s.split(' ').map(str::to_owned).collect(),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        };
        if let Some(missing) = validation
            .required_scope
            .iter()
            .find(|s| !granted.contains(s))
        {
            return Err(InvalidToken {
                status: "insufficient_scope",
                scope: Some(validation.required_scope.join(" ")),
                reason: format!("the token lacks scope `{missing}`"),
            });
        }
    }
    let expires_at = UNIX_EPOCH + Duration::from_millis(to_ms(exp).max(0) as u64);
    Ok((principal, expires_at))
}

/// `=2C` → `,` and `=3D` → `=`; any other `=` escape is invalid (RFC 5802 `saslname`).
fn scram_unescape(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        let escape = rest.get(at..at + 3)?;
        out.push(match escape {
            "=2C" => ',',
            "=3D" => '=',
            _ => return None,
        });
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    Some(out)
}

/// 24 random bytes, base64 (no `,`), as the server's part of the SCRAM nonce. `fastrand` is
/// not a cryptographic generator; for a test broker an unpredictable-enough nonce is enough.
fn random_nonce() -> String {
    let bytes: Vec<u8> = (0..24).map(|_| fastrand::u8(..)).collect();
    BASE64.encode(bytes)
}

#[cfg(test)]
mod tests;
