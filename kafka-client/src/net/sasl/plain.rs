//! `PLAIN` (RFC 4616): one message, `authzid NUL authcid NUL password`, with an empty authzid
//! as Kafka expects. Only safe over TLS: the password travels as is.

use super::{SaslClient, SaslError, Step};

/// The PLAIN client.
pub struct PlainClient {
    username: String,
    password: String,
    sent: bool,
}

impl PlainClient {
    /// A client for these credentials.
    pub fn new(username: String, password: String) -> Self {
        PlainClient {
            username,
            password,
            sent: false,
        }
    }
}

/// The PLAIN message: `\0username\0password` (empty authorization identity).
///
/// ```
/// use kafkito::net::sasl::plain::message;
/// assert_eq!(message("alice", "s3cret"), b"\0alice\0s3cret");
/// ```
pub fn message(username: &str, password: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + username.len() + password.len());
    out.push(0);
    out.extend_from_slice(username.as_bytes());
    out.push(0);
    out.extend_from_slice(password.as_bytes());
    out
}

impl SaslClient for PlainClient {
    fn initial_response(&mut self) -> Result<Vec<u8>, SaslError> {
        if self.username.contains('\0') || self.password.contains('\0') {
            return Err(SaslError::InvalidClientSetting(
                "PLAIN username and password may not contain NUL".into(),
            ));
        }
        self.sent = true;
        Ok(message(&self.username, &self.password))
    }

    fn step(&mut self, _server_message: &[u8]) -> Result<Step, SaslError> {
        // The broker's (empty) answer to our one message means success; anything after that is
        // out of protocol.
        if std::mem::take(&mut self.sent) {
            Ok(Step::Done)
        } else {
            Err(SaslError::UnexpectedMessage)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_layout() {
        let mut client = PlainClient::new("user".into(), "pencil".into());
        assert_eq!(client.initial_response().unwrap(), b"\x00user\x00pencil");
        assert_eq!(client.step(b"").unwrap(), Step::Done);
        assert_eq!(client.step(b""), Err(SaslError::UnexpectedMessage));
    }

    #[test]
    fn nul_is_rejected() {
        let mut client = PlainClient::new("us\0er".into(), "p".into());
        assert!(matches!(
            client.initial_response(),
            Err(SaslError::InvalidClientSetting(_))
        ));
    }
}
