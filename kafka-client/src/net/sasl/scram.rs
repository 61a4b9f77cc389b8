//! `SCRAM-SHA-256` and `SCRAM-SHA-512` (RFC 5802, RFC 7677), client side.
//!
//! Three messages: client-first (`n,,n=<user>,r=<client nonce>`), then, after the server's
//! salt and iteration count, client-final with the proof that we know the password; the
//! server's final message carries its signature, which proves that *it* knows the password
//! too. A wrong server signature fails the exchange: a server that cannot produce it is not the
//! one holding our credentials.
//!
//! The password is used as UTF-8 bytes without SASLprep normalization, as Kafka's own client
//! does; the username has `=` and `,` escaped as RFC 5802 requires.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

use super::{SaslClient, SaslError, Step};

/// Fewest iterations accepted: Kafka's minimum for SCRAM credentials (and RFC 7677's
/// recommendation); fewer would make a stolen exchange cheap to brute-force.
pub const MIN_ITERATIONS: u32 = 4096;
/// Most iterations accepted. Kafka brokers cap credentials at 16384; the margin admits other
/// servers while bounding the CPU a hostile server can make us spend (PBKDF2 runs inline).
pub const MAX_ITERATIONS: u32 = 65_536;

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramAlgorithm {
    /// `SCRAM-SHA-256`.
    Sha256,
    /// `SCRAM-SHA-512`.
    Sha512,
}

impl ScramAlgorithm {
    /// The SASL mechanism name.
    pub fn mechanism(self) -> &'static str {
        match self {
            ScramAlgorithm::Sha256 => "SCRAM-SHA-256",
            ScramAlgorithm::Sha512 => "SCRAM-SHA-512",
        }
    }

    /// `Hi(password, salt, i)`: PBKDF2 with HMAC of this hash.
    fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            ScramAlgorithm::Sha256 => pbkdf2_of::<Hmac<Sha256>, 32>(password, salt, iterations),
            ScramAlgorithm::Sha512 => pbkdf2_of::<Hmac<Sha512>, 64>(password, salt, iterations),
        }
    }

    fn hmac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        match self {
            ScramAlgorithm::Sha256 => new_mac::<Hmac<Sha256>>(key, message)
                .finalize()
                .into_bytes()
                .to_vec(),
            ScramAlgorithm::Sha512 => new_mac::<Hmac<Sha512>>(key, message)
                .finalize()
                .into_bytes()
                .to_vec(),
        }
    }

    /// Whether `tag` is `HMAC(key, message)`, compared in constant time.
    fn hmac_verify(self, key: &[u8], message: &[u8], tag: &[u8]) -> bool {
        match self {
            ScramAlgorithm::Sha256 => new_mac::<Hmac<Sha256>>(key, message)
                .verify_slice(tag)
                .is_ok(),
            ScramAlgorithm::Sha512 => new_mac::<Hmac<Sha512>>(key, message)
                .verify_slice(tag)
                .is_ok(),
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            ScramAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
            ScramAlgorithm::Sha512 => Sha512::digest(data).to_vec(),
        }
    }
}

fn new_mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> M {
    // HMAC accepts keys of any length (longer ones are hashed), so this cannot fail.
    let mut mac =
        <M as hmac::digest::KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    mac
}

fn pbkdf2_of<P, const N: usize>(password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8>
where
    P: hmac::digest::KeyInit + hmac::digest::Update + hmac::digest::FixedOutput + Clone + Sync,
{
    let mut out = [0u8; N];
    // Only fails for keys HMAC cannot take, and HMAC takes any key.
    pbkdf2::pbkdf2::<P>(password, salt, iterations, &mut out)
        .expect("HMAC accepts keys of any length");
    out.to_vec()
}

/// Escapes a username for the `n=` attribute: `=` becomes `=3D` and `,` becomes `=2C`.
///
/// ```
/// use kafkito::net::sasl::scram::escape_username;
/// assert_eq!(escape_username("a=b,c"), "a=3Db=2Cc");
/// ```
pub fn escape_username(username: &str) -> String {
    let mut out = String::with_capacity(username.len());
    for c in username.chars() {
        match c {
            '=' => out.push_str("=3D"),
            ',' => out.push_str("=2C"),
            c => out.push(c),
        }
    }
    out
}

/// The SCRAM client state machine.
pub struct ScramClient {
    algorithm: ScramAlgorithm,
    username: String,
    password: String,
    /// Fixed for tests; drawn from the OS when `None`.
    nonce: Option<String>,
    state: State,
}

enum State {
    Initial,
    /// Sent client-first; remember its bare part and our nonce.
    ClientFirstSent {
        client_first_bare: String,
        client_nonce: String,
    },
    /// Sent client-final; remember what the server must sign.
    ClientFinalSent {
        server_key: Vec<u8>,
        auth_message: String,
    },
    Done,
}

impl ScramClient {
    /// A client for these credentials, with a random nonce.
    pub fn new(algorithm: ScramAlgorithm, username: &str, password: &str) -> Self {
        ScramClient {
            algorithm,
            username: username.to_owned(),
            password: password.to_owned(),
            nonce: None,
            state: State::Initial,
        }
    }

    /// A client with a fixed nonce: for test vectors only.
    #[cfg(test)]
    pub(crate) fn with_nonce(
        algorithm: ScramAlgorithm,
        username: &str,
        password: &str,
        nonce: &str,
    ) -> Self {
        ScramClient {
            nonce: Some(nonce.to_owned()),
            ..ScramClient::new(algorithm, username, password)
        }
    }

    fn client_final(
        &self,
        server_first: &[u8],
        client_first_bare: &str,
        client_nonce: &str,
    ) -> Result<(String, State), SaslError> {
        let server_first = std::str::from_utf8(server_first).map_err(|_| {
            SaslError::InvalidServerMessage("server-first-message is not UTF-8".into())
        })?;
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for (i, attribute) in server_first.split(',').enumerate() {
            let (key, value) = attribute.split_once('=').ok_or_else(|| {
                SaslError::InvalidServerMessage(format!("attribute `{attribute}` has no value"))
            })?;
            match key {
                "m" if i == 0 => {
                    return Err(SaslError::InvalidServerMessage(
                        "the server requires an extension this client does not know".into(),
                    ))
                }
                "e" => return Err(SaslError::Server(value.to_owned())),
                "r" => nonce = Some(value),
                "s" => salt = Some(value),
                "i" => iterations = Some(value),
                // RFC 5802 allows extensions after the mandatory attributes.
                _ => {}
            }
        }
        let missing = |what| {
            SaslError::InvalidServerMessage(format!("server-first-message has no `{what}=`"))
        };
        let nonce = nonce.ok_or_else(|| missing("r"))?;
        let salt = salt.ok_or_else(|| missing("s"))?;
        let iterations = iterations.ok_or_else(|| missing("i"))?;
        if !nonce.starts_with(client_nonce) || nonce.len() == client_nonce.len() {
            return Err(SaslError::NonceMismatch);
        }
        let salt = BASE64
            .decode(salt)
            .map_err(|e| SaslError::InvalidServerMessage(format!("salt is not base64: {e}")))?;
        let iterations: u32 = iterations.parse().map_err(|_| {
            SaslError::InvalidServerMessage(format!("iteration count `{iterations}`"))
        })?;
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(SaslError::IterationCount {
                iterations,
                min: MIN_ITERATIONS,
                max: MAX_ITERATIONS,
            });
        }

        let alg = self.algorithm;
        let salted_password = alg.salted_password(self.password.as_bytes(), &salt, iterations);
        let client_key = alg.hmac(&salted_password, b"Client Key");
        let stored_key = alg.hash(&client_key);
        // "biws" is base64("n,,"): the gs2 header without channel binding or authzid.
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        let client_signature = alg.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(k, s)| k ^ s)
            .collect();
        let server_key = alg.hmac(&salted_password, b"Server Key");
        let client_final = format!("{without_proof},p={}", BASE64.encode(proof));
        Ok((
            client_final,
            State::ClientFinalSent {
                server_key,
                auth_message,
            },
        ))
    }

    fn verify_server_final(
        &self,
        server_final: &[u8],
        server_key: &[u8],
        auth_message: &str,
    ) -> Result<Step, SaslError> {
        let server_final = std::str::from_utf8(server_final).map_err(|_| {
            SaslError::InvalidServerMessage("server-final-message is not UTF-8".into())
        })?;
        let first = server_final.split(',').next().unwrap_or_default();
        if let Some(error) = first.strip_prefix("e=") {
            return Err(SaslError::Server(error.to_owned()));
        }
        let signature = first.strip_prefix("v=").ok_or_else(|| {
            SaslError::InvalidServerMessage("server-final-message has no `v=`".into())
        })?;
        let signature = BASE64
            .decode(signature)
            .map_err(|_| SaslError::ServerSignatureMismatch)?;
        if self
            .algorithm
            .hmac_verify(server_key, auth_message.as_bytes(), &signature)
        {
            Ok(Step::Done)
        } else {
            Err(SaslError::ServerSignatureMismatch)
        }
    }
}

fn random_nonce() -> Result<String, SaslError> {
    let mut bytes = [0u8; 24];
    getrandom::getrandom(&mut bytes).map_err(|e| SaslError::RandomUnavailable(e.to_string()))?;
    // Base64 never produces ',', the attribute separator.
    Ok(BASE64.encode(bytes))
}

impl SaslClient for ScramClient {
    fn initial_response(&mut self) -> Result<Vec<u8>, SaslError> {
        let client_nonce = match &self.nonce {
            Some(nonce) => nonce.clone(),
            None => random_nonce()?,
        };
        let client_first_bare = format!("n={},r={client_nonce}", escape_username(&self.username));
        let message = format!("n,,{client_first_bare}");
        self.state = State::ClientFirstSent {
            client_first_bare,
            client_nonce,
        };
        Ok(message.into_bytes())
    }

    fn step(&mut self, server_message: &[u8]) -> Result<Step, SaslError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::ClientFirstSent {
                client_first_bare,
                client_nonce,
            } => {
                let (client_final, next) =
                    self.client_final(server_message, &client_first_bare, &client_nonce)?;
                self.state = next;
                Ok(Step::Respond(client_final.into_bytes()))
            }
            State::ClientFinalSent {
                server_key,
                auth_message,
            } => self.verify_server_final(server_message, &server_key, &auth_message),
            State::Initial | State::Done => Err(SaslError::UnexpectedMessage),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 §3, the SCRAM-SHA-256 example exchange, byte for byte.
    #[test]
    fn rfc7677_sha256_test_vector() {
        let mut client = ScramClient::with_nonce(
            ScramAlgorithm::Sha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        );
        assert_eq!(
            client.initial_response().unwrap(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let server_first =
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let Step::Respond(client_final) = client.step(server_first).unwrap() else {
            panic!("expected client-final");
        };
        assert_eq!(
            std::str::from_utf8(&client_final).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert_eq!(
            client
                .step(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
                .unwrap(),
            Step::Done
        );
    }

    #[test]
    fn wrong_server_signature_fails() {
        let mut client = ScramClient::with_nonce(
            ScramAlgorithm::Sha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        );
        client.initial_response().unwrap();
        client
            .step(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
            .unwrap();
        assert_eq!(
            client.step(b"v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
            Err(SaslError::ServerSignatureMismatch)
        );
    }

    /// A tiny independent SCRAM server (same primitives, computed from the stored credentials
    /// the way a broker does) checks the SHA-512 client end to end.
    #[test]
    fn sha512_client_and_server_agree() {
        let alg = ScramAlgorithm::Sha512;
        let (user, password, salt, iterations) = ("al=ice,", "päss wörd", b"NaCl-salt", 4096);
        // What the broker stores: StoredKey and ServerKey, never the password.
        let salted = alg.salted_password(password.as_bytes(), salt, iterations);
        let stored_key = alg.hash(&alg.hmac(&salted, b"Client Key"));
        let server_key = alg.hmac(&salted, b"Server Key");
        assert_eq!(salted.len(), 64);

        let mut client = ScramClient::new(alg, user, password);
        let client_first = String::from_utf8(client.initial_response().unwrap()).unwrap();
        let client_first_bare = client_first.strip_prefix("n,,").unwrap();
        assert!(client_first_bare.starts_with("n=al=3Dice=2C,r="));
        let client_nonce = client_first_bare.split_once(",r=").unwrap().1;
        let server_first = format!(
            "r={client_nonce}srv-nonce,s={},i={iterations}",
            BASE64.encode(salt)
        );
        let Step::Respond(client_final) = client.step(server_first.as_bytes()).unwrap() else {
            panic!("expected client-final");
        };
        let client_final = String::from_utf8(client_final).unwrap();
        let (without_proof, proof) = client_final.split_once(",p=").unwrap();
        let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
        // Server side: recover ClientKey from the proof and check it hashes to StoredKey.
        let signature = alg.hmac(&stored_key, auth_message.as_bytes());
        let client_key: Vec<u8> = BASE64
            .decode(proof)
            .unwrap()
            .iter()
            .zip(&signature)
            .map(|(p, s)| p ^ s)
            .collect();
        assert_eq!(
            alg.hash(&client_key),
            stored_key,
            "client proof must verify"
        );
        let server_signature = alg.hmac(&server_key, auth_message.as_bytes());
        let server_final = format!("v={}", BASE64.encode(server_signature));
        assert_eq!(client.step(server_final.as_bytes()).unwrap(), Step::Done);
    }

    #[test]
    fn hostile_server_first_messages_are_rejected() {
        type Check = fn(&SaslError) -> bool;
        let cases: &[(&[u8], Check)] = &[
            (b"r=other,s=QUJD,i=4096", |e| {
                matches!(e, SaslError::NonceMismatch)
            }),
            (b"r=abc,s=QUJD,i=4096", |e| {
                matches!(e, SaslError::NonceMismatch)
            }),
            (b"r=abcX,s=QUJD,i=1", |e| {
                matches!(e, SaslError::IterationCount { iterations: 1, .. })
            }),
            (b"r=abcX,s=QUJD,i=99999999", |e| {
                matches!(e, SaslError::IterationCount { .. })
            }),
            (b"r=abcX,s=!!,i=4096", |e| {
                matches!(e, SaslError::InvalidServerMessage(_))
            }),
            (b"r=abcX,i=4096", |e| {
                matches!(e, SaslError::InvalidServerMessage(_))
            }),
            (b"m=ext,r=abcX,s=QUJD,i=4096", |e| {
                matches!(e, SaslError::InvalidServerMessage(_))
            }),
            (b"e=unknown-user", |e| matches!(e, SaslError::Server(_))),
            (b"\xff\xfe", |e| {
                matches!(e, SaslError::InvalidServerMessage(_))
            }),
        ];
        for (message, check) in cases {
            let mut client = ScramClient::with_nonce(ScramAlgorithm::Sha256, "u", "p", "abc");
            client.initial_response().unwrap();
            let err = client.step(message).unwrap_err();
            assert!(
                check(&err),
                "{:?}: {err:?}",
                String::from_utf8_lossy(message)
            );
        }
    }

    #[test]
    fn server_error_in_final_message() {
        let mut client = ScramClient::with_nonce(
            ScramAlgorithm::Sha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        );
        client.initial_response().unwrap();
        client
            .step(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
            .unwrap();
        assert_eq!(
            client.step(b"e=invalid-proof"),
            Err(SaslError::Server("invalid-proof".into()))
        );
        assert_eq!(client.step(b"v="), Err(SaslError::UnexpectedMessage));
    }

    #[test]
    fn random_nonces_differ() {
        let a = random_nonce().unwrap();
        let b = random_nonce().unwrap();
        assert_ne!(a, b);
        assert!(!a.contains(','));
    }
}
