//! `OAUTHBEARER` (RFC 7628 as Kafka uses it, KIP-255), with SASL extensions (KIP-342).
//!
//! The client sends one message, `n,,\x01auth=Bearer <token>\x01[key=value\x01]*\x01`. A broker
//! that accepts the token answers with an empty message. A broker that rejects it answers with
//! an error document (JSON) instead; RFC 7628 §3.2.3 then requires the client to send a lone
//! `\x01`, after which the broker fails the exchange with its error message, which the
//! handshake reports.

use super::{SaslClient, SaslError, Step};

/// The separator between key/value pairs (`kvsep` in RFC 7628).
const SEP: u8 = 0x01;

/// The OAUTHBEARER client.
pub struct OAuthBearerClient {
    token: String,
    extensions: Vec<(String, String)>,
    state: State,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Initial,
    Sent,
    /// The server rejected the token with this error document; we acknowledged it.
    Rejected(String),
    Done,
}

impl OAuthBearerClient {
    /// A client sending `token` with KIP-342 `extensions`.
    pub fn new(token: String, extensions: Vec<(String, String)>) -> Self {
        OAuthBearerClient {
            token,
            extensions,
            state: State::Initial,
        }
    }
}

/// The initial client response for `token` and `extensions`, validating the extensions as
/// KIP-342 requires (keys `[A-Za-z]+` other than `auth`, values of printable ASCII, space and
/// `\t\r\n`).
///
/// ```
/// use kafkito::net::sasl::oauthbearer::initial_response;
/// let msg = initial_response("tok", &[("traceId".into(), "42".into())]).unwrap();
/// assert_eq!(msg, b"n,,\x01auth=Bearer tok\x01traceId=42\x01\x01");
/// ```
pub fn initial_response(
    token: &str,
    extensions: &[(String, String)],
) -> Result<Vec<u8>, SaslError> {
    // RFC 6750 b64token: the token itself may not contain the separator or spaces.
    if token.is_empty() || token.bytes().any(|b| !(0x21..=0x7e).contains(&b)) {
        return Err(SaslError::InvalidClientSetting(
            "the OAuth token is empty or contains characters other than printable ASCII".into(),
        ));
    }
    let mut out = Vec::with_capacity(32 + token.len());
    out.extend_from_slice(b"n,,");
    out.push(SEP);
    out.extend_from_slice(b"auth=Bearer ");
    out.extend_from_slice(token.as_bytes());
    out.push(SEP);
    for (key, value) in extensions {
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphabetic()) || key == "auth" {
            return Err(SaslError::InvalidClientSetting(format!(
                "SASL extension key `{key}` must be letters only and not `auth`"
            )));
        }
        let value_ok = !value.is_empty()
            && value
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) || matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        if !value_ok {
            return Err(SaslError::InvalidClientSetting(format!(
                "SASL extension `{key}` has an empty value or one with characters outside printable ASCII"
            )));
        }
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        out.extend_from_slice(value.as_bytes());
        out.push(SEP);
    }
    out.push(SEP);
    Ok(out)
}

impl SaslClient for OAuthBearerClient {
    fn initial_response(&mut self) -> Result<Vec<u8>, SaslError> {
        let message = initial_response(&self.token, &self.extensions)?;
        self.state = State::Sent;
        Ok(message)
    }

    fn step(&mut self, server_message: &[u8]) -> Result<Step, SaslError> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Sent if server_message.is_empty() => Ok(Step::Done),
            State::Sent => {
                // An error document: acknowledge it so that the broker ends the exchange with
                // its error code and message (RFC 7628 §3.2.3).
                self.state = State::Rejected(String::from_utf8_lossy(server_message).into_owned());
                Ok(Step::Respond(vec![SEP]))
            }
            // The broker should have failed the exchange after our acknowledgement.
            State::Rejected(document) => Err(SaslError::Server(document)),
            State::Initial | State::Done => Err(SaslError::UnexpectedMessage),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_layout_without_extensions() {
        let mut client = OAuthBearerClient::new("eyJhbGciOi.x.y".into(), Vec::new());
        assert_eq!(
            client.initial_response().unwrap(),
            b"n,,\x01auth=Bearer eyJhbGciOi.x.y\x01\x01"
        );
        assert_eq!(client.step(b"").unwrap(), Step::Done);
    }

    #[test]
    fn byte_layout_with_extensions() {
        let ext = vec![
            ("logicalCluster".to_string(), "lkc-123".to_string()),
            ("identityPoolId".to_string(), "pool 1".to_string()),
        ];
        assert_eq!(
            initial_response("t", &ext).unwrap(),
            b"n,,\x01auth=Bearer t\x01logicalCluster=lkc-123\x01identityPoolId=pool 1\x01\x01"
        );
    }

    #[test]
    fn invalid_extensions_and_tokens_are_rejected() {
        for (key, value) in [
            ("auth", "x"),
            ("bad-key", "x"),
            ("", "x"),
            ("k", ""),
            ("k", "\x01"),
        ] {
            let ext = vec![(key.to_string(), value.to_string())];
            assert!(
                matches!(
                    initial_response("t", &ext),
                    Err(SaslError::InvalidClientSetting(_))
                ),
                "{key:?}={value:?}"
            );
        }
        assert!(initial_response("", &[]).is_err());
        assert!(initial_response("a b", &[]).is_err());
    }

    #[test]
    fn rejection_is_acknowledged() {
        let mut client = OAuthBearerClient::new("t".into(), Vec::new());
        client.initial_response().unwrap();
        let doc = br#"{"status":"invalid_token"}"#;
        assert_eq!(client.step(doc).unwrap(), Step::Respond(vec![0x01]));
        assert_eq!(
            client.step(b""),
            Err(SaslError::Server(r#"{"status":"invalid_token"}"#.into()))
        );
    }
}
