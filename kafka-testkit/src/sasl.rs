//! The server side of SASL on a connection: SaslHandshake (v1) picks the mechanism, then
//! SaslAuthenticate rounds carry its tokens — PLAIN (RFC 4616) and SCRAM-SHA-256/512
//! (RFC 5802 / RFC 7677, as Kafka's ScramSaslServer: at least 4096 iterations, no channel
//! binding). Until a connection has authenticated, only ApiVersions, SaslHandshake and
//! SaslAuthenticate are served, as on a Kafka SASL_PLAINTEXT listener.
//!
//! Plain data with no I/O: each step takes the client's token and returns the server's.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use kafka_protocol::ErrorCode;
use sha2::{Digest, Sha256, Sha512};

/// SCRAM iterations for the stored credentials (Kafka's minimum, 4096).
const SCRAM_ITERATIONS: u32 = 4096;

/// A SASL mechanism the testkit serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// `PLAIN`: user name and password in the clear.
    Plain,
    /// `SCRAM-SHA-256`.
    ScramSha256,
    /// `SCRAM-SHA-512`.
    ScramSha512,
}

impl Mechanism {
    /// The mechanism named as Kafka names it (`PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`).
    pub fn from_name(name: &str) -> Option<Mechanism> {
        match name {
            "PLAIN" => Some(Mechanism::Plain),
            "SCRAM-SHA-256" => Some(Mechanism::ScramSha256),
            "SCRAM-SHA-512" => Some(Mechanism::ScramSha512),
            _ => None,
        }
    }

    /// Kafka's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// A user allowed to log in with a mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SaslUser {
    pub mechanism: Mechanism,
    pub user: String,
    pub password: String,
}

/// Where a connection's authentication stands.
#[derive(Debug, Clone)]
enum Step {
    /// Waiting for SaslHandshake.
    Start,
    /// Mechanism chosen; waiting for the first token.
    Handshaken(Mechanism),
    /// SCRAM: server-first sent; waiting for client-final.
    ScramFirstSent {
        mechanism: Mechanism,
        user: String,
        client_first_bare: String,
        server_first: String,
        nonce: String,
        salt: Vec<u8>,
    },
    /// Authenticated as this user.
    Done(String),
}

/// One connection's SASL state.
#[derive(Debug, Clone)]
pub(crate) struct Authenticator {
    step: Step,
}

/// An authentication failure: the error code and the message Kafka sends with it.
pub(crate) type Failure = (ErrorCode, String);

fn failed() -> Failure {
    (
        ErrorCode::SaslAuthenticationFailed,
        "Authentication failed: Invalid username or password".to_owned(),
    )
}

fn malformed(what: &str) -> Failure {
    (
        ErrorCode::SaslAuthenticationFailed,
        format!("Authentication failed: malformed {what}"),
    )
}

impl Authenticator {
    pub fn new() -> Self {
        Authenticator { step: Step::Start }
    }

    /// The authenticated user, once done.
    pub fn user(&self) -> Option<&str> {
        match &self.step {
            Step::Done(user) => Some(user),
            _ => None,
        }
    }

    /// SaslHandshake: the mechanism must be one some user is configured for. Returns the
    /// enabled mechanisms either way (the response lists them).
    pub fn handshake(&mut self, mechanism: &str, users: &[SaslUser]) -> (ErrorCode, Vec<String>) {
        let mut enabled: Vec<Mechanism> = Vec::new();
        for u in users {
            if !enabled.contains(&u.mechanism) {
                enabled.push(u.mechanism);
            }
        }
        let names = enabled.iter().map(|m| m.name().to_owned()).collect();
        if !matches!(self.step, Step::Start) {
            return (ErrorCode::IllegalSaslState, names);
        }
        match Mechanism::from_name(mechanism).filter(|m| enabled.contains(m)) {
            Some(m) => {
                self.step = Step::Handshaken(m);
                (ErrorCode::None, names)
            }
            None => (ErrorCode::UnsupportedSaslMechanism, names),
        }
    }

    /// SaslAuthenticate: the client's token in, the server's token out.
    pub fn authenticate(&mut self, token: &[u8], users: &[SaslUser]) -> Result<Vec<u8>, Failure> {
        match std::mem::replace(&mut self.step, Step::Start) {
            Step::Handshaken(Mechanism::Plain) => {
                let user = plain(token, users)?;
                self.step = Step::Done(user);
                Ok(Vec::new())
            }
            Step::Handshaken(mechanism) => {
                let (next, server_first) = scram_first(mechanism, token, users)?;
                self.step = next;
                Ok(server_first.into_bytes())
            }
            Step::ScramFirstSent {
                mechanism,
                user,
                client_first_bare,
                server_first,
                nonce,
                salt,
            } => {
                let password = users
                    .iter()
                    .find(|u| u.mechanism == mechanism && u.user == user)
                    .map(|u| u.password.clone())
                    .ok_or_else(failed)?;
                let server_final = scram_final(
                    mechanism,
                    token,
                    &password,
                    &salt,
                    &client_first_bare,
                    &server_first,
                    &nonce,
                )?;
                self.step = Step::Done(user);
                Ok(server_final.into_bytes())
            }
            other => {
                self.step = other;
                Err((
                    ErrorCode::IllegalSaslState,
                    "SaslAuthenticate before SaslHandshake, or after authentication".to_owned(),
                ))
            }
        }
    }
}

/// PLAIN: `authzid NUL authcid NUL passwd`; the authorization id, if given, must be the user.
fn plain(token: &[u8], users: &[SaslUser]) -> Result<String, Failure> {
    let text = std::str::from_utf8(token).map_err(|_| malformed("PLAIN token"))?;
    let mut parts = text.split('\0');
    let (Some(authzid), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("PLAIN token"));
    };
    if !authzid.is_empty() && authzid != user {
        return Err((
            ErrorCode::SaslAuthenticationFailed,
            "Authentication failed: Client requested an authorization id that is different from username".to_owned(),
        ));
    }
    let ok = users
        .iter()
        .any(|u| u.mechanism == Mechanism::Plain && u.user == user && u.password == password);
    if ok {
        Ok(user.to_owned())
    } else {
        Err(failed())
    }
}

/// SCRAM user names escape `,` and `=` as `=2C` and `=3D`.
fn scram_unescape(name: &str) -> String {
    name.replace("=2C", ",").replace("=3D", "=")
}

fn random_nonce() -> String {
    let bytes: Vec<u8> = (0..18).map(|_| fastrand::u8(..)).collect();
    B64.encode(bytes)
}

/// client-first (`n,,n=user,r=nonce`) in, server-first (`r=nonce+ours,s=salt,i=n`) out.
fn scram_first(
    mechanism: Mechanism,
    token: &[u8],
    users: &[SaslUser],
) -> Result<(Step, String), Failure> {
    let text = std::str::from_utf8(token).map_err(|_| malformed("SCRAM client-first message"))?;
    // GS2 header: no channel binding ("n"), no authorization id other than empty.
    let bare = text
        .strip_prefix("n,,")
        .or_else(|| text.strip_prefix("y,,"))
        .ok_or_else(|| malformed("SCRAM GS2 header (channel binding is not supported)"))?;
    let mut user = None;
    let mut client_nonce = None;
    for attribute in bare.split(',') {
        if let Some(v) = attribute.strip_prefix("n=") {
            user = Some(scram_unescape(v));
        } else if let Some(v) = attribute.strip_prefix("r=") {
            client_nonce = Some(v.to_owned());
        }
    }
    let (Some(user), Some(client_nonce)) = (user, client_nonce) else {
        return Err(malformed("SCRAM client-first message"));
    };
    if !users
        .iter()
        .any(|u| u.mechanism == mechanism && u.user == user)
    {
        return Err(failed());
    }
    let nonce = format!("{client_nonce}{}", random_nonce());
    let salt: Vec<u8> = (0..16).map(|_| fastrand::u8(..)).collect();
    let server_first = format!("r={nonce},s={},i={SCRAM_ITERATIONS}", B64.encode(&salt));
    Ok((
        Step::ScramFirstSent {
            mechanism,
            user,
            client_first_bare: bare.to_owned(),
            server_first: server_first.clone(),
            nonce,
            salt,
        },
        server_first,
    ))
}

/// The SCRAM keys for one hash function.
struct Keys {
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

fn hmac256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so this never fails; an empty result would only fail
    // the proof check.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hmac512(key: &[u8], data: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<Sha512>::new_from_slice(key) else {
        return Vec::new();
    };
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// PBKDF2-HMAC (RFC 2898) of the password: SCRAM's SaltedPassword.
fn salted_password(mechanism: Mechanism, password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
    let mut out = vec![
        0u8;
        if mechanism == Mechanism::ScramSha512 {
            64
        } else {
            32
        }
    ];
    // Only an output length HMAC cannot produce fails, and these are the hash sizes.
    let _ = match mechanism {
        Mechanism::ScramSha512 => {
            pbkdf2::pbkdf2::<Hmac<Sha512>>(password.as_bytes(), salt, iterations, &mut out)
        }
        _ => pbkdf2::pbkdf2::<Hmac<Sha256>>(password.as_bytes(), salt, iterations, &mut out),
    };
    out
}

fn keys(mechanism: Mechanism, password: &str, salt: &[u8]) -> Keys {
    let salted = salted_password(mechanism, password, salt, SCRAM_ITERATIONS);
    let client_key = mac(mechanism, &salted, b"Client Key");
    Keys {
        stored_key: digest(mechanism, &client_key),
        server_key: mac(mechanism, &salted, b"Server Key"),
    }
}

fn mac(mechanism: Mechanism, key: &[u8], data: &[u8]) -> Vec<u8> {
    match mechanism {
        Mechanism::ScramSha512 => hmac512(key, data),
        _ => hmac256(key, data),
    }
}

fn digest(mechanism: Mechanism, data: &[u8]) -> Vec<u8> {
    match mechanism {
        Mechanism::ScramSha512 => Sha512::digest(data).to_vec(),
        _ => Sha256::digest(data).to_vec(),
    }
}

/// client-final (`c=biws,r=nonce,p=proof`) in, server-final (`v=signature`) out, after
/// checking the proof: H(proof XOR ClientSignature) must be the stored key.
fn scram_final(
    mechanism: Mechanism,
    token: &[u8],
    password: &str,
    salt: &[u8],
    client_first_bare: &str,
    server_first: &str,
    nonce: &str,
) -> Result<String, Failure> {
    let text = std::str::from_utf8(token).map_err(|_| malformed("SCRAM client-final message"))?;
    let (without_proof, proof) = text
        .rsplit_once(",p=")
        .ok_or_else(|| malformed("SCRAM client-final message"))?;
    let got_nonce = without_proof
        .split(',')
        .find_map(|a| a.strip_prefix("r="))
        .ok_or_else(|| malformed("SCRAM client-final message"))?;
    if got_nonce != nonce {
        return Err((
            ErrorCode::SaslAuthenticationFailed,
            "Authentication failed: Invalid client nonce in the final client message.".to_owned(),
        ));
    }
    let proof = B64
        .decode(proof)
        .map_err(|_| malformed("SCRAM client proof"))?;
    let keys = keys(mechanism, password, salt);
    let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
    let client_signature = mac(mechanism, &keys.stored_key, auth_message.as_bytes());
    if proof.len() != client_signature.len() {
        return Err(failed());
    }
    let client_key: Vec<u8> = proof
        .iter()
        .zip(&client_signature)
        .map(|(a, b)| a ^ b)
        .collect();
    if digest(mechanism, &client_key) != keys.stored_key {
        return Err(failed());
    }
    let server_signature = mac(mechanism, &keys.server_key, auth_message.as_bytes());
    Ok(format!("v={}", B64.encode(server_signature)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Vec<SaslUser> {
        vec![
            SaslUser {
                mechanism: Mechanism::Plain,
                user: "alice".into(),
                password: "pw".into(),
            },
            SaslUser {
                mechanism: Mechanism::ScramSha256,
                user: "bob".into(),
                password: "secret".into(),
            },
        ]
    }

    #[test]
    fn plain_checks_user_and_password() {
        let mut a = Authenticator::new();
        assert_eq!(a.handshake("PLAIN", &users()).0, ErrorCode::None);
        assert!(a.authenticate(b"\0alice\0pw", &users()).is_ok());
        assert_eq!(a.user(), Some("alice"));
        let mut b = Authenticator::new();
        b.handshake("PLAIN", &users());
        assert_eq!(
            b.authenticate(b"\0alice\0nope", &users()).unwrap_err().0,
            ErrorCode::SaslAuthenticationFailed
        );
        let mut c = Authenticator::new();
        let (code, enabled) = c.handshake("SCRAM-SHA-512", &users());
        assert_eq!(code, ErrorCode::UnsupportedSaslMechanism);
        assert_eq!(enabled, vec!["PLAIN", "SCRAM-SHA-256"]);
    }

    /// A client side of SCRAM written from RFC 5802, to drive the server.
    fn scram_client(
        password: &str,
        tamper: bool,
    ) -> Result<(Authenticator, Vec<u8>, Vec<u8>), Failure> {
        let mut a = Authenticator::new();
        a.handshake("SCRAM-SHA-256", &users());
        let client_first_bare = "n=bob,r=abc123";
        let server_first =
            a.authenticate(format!("n,,{client_first_bare}").as_bytes(), &users())?;
        let server_first = String::from_utf8(server_first).unwrap();
        let mut nonce = "";
        let mut salt = Vec::new();
        let mut iterations = 0;
        for attr in server_first.split(',') {
            if let Some(v) = attr.strip_prefix("r=") {
                nonce = v;
            } else if let Some(v) = attr.strip_prefix("s=") {
                salt = B64.decode(v).unwrap();
            } else if let Some(v) = attr.strip_prefix("i=") {
                iterations = v.parse().unwrap();
            }
        }
        assert!(nonce.starts_with("abc123") && iterations >= 4096);
        let salted = salted_password(Mechanism::ScramSha256, password, &salt, iterations);
        let client_key = hmac256(&salted, b"Client Key");
        let stored_key = Sha256::digest(&client_key);
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        let signature = hmac256(&stored_key, auth_message.as_bytes());
        let mut proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(a, b)| a ^ b)
            .collect();
        if tamper {
            proof[0] ^= 1;
        }
        let server_final = a.authenticate(
            format!("{without_proof},p={}", B64.encode(&proof)).as_bytes(),
            &users(),
        )?;
        let server_key = hmac256(&salted, b"Server Key");
        let expected = format!(
            "v={}",
            B64.encode(hmac256(&server_key, auth_message.as_bytes()))
        );
        Ok((a, server_final, expected.into_bytes()))
    }

    #[test]
    fn scram_accepts_the_right_proof_and_proves_itself() {
        let (a, server_final, expected) = scram_client("secret", false).unwrap();
        assert_eq!(server_final, expected, "the server signature verifies");
        assert_eq!(a.user(), Some("bob"));
        assert_eq!(
            scram_client("wrong", false).unwrap_err().0,
            ErrorCode::SaslAuthenticationFailed
        );
        assert_eq!(
            scram_client("secret", true).unwrap_err().0,
            ErrorCode::SaslAuthenticationFailed
        );
    }
}
