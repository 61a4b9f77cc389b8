//! The client-credentials provider against a local token endpoint: a tiny HTTP/1.1 server on
//! 127.0.0.1 in the test, answering from a script and recording every request it gets.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::http::{parse_response, Endpoint};
use super::*;
use crate::config::{ClientConfig, OAuthTokenProvider};

/// A request as the token endpoint received it.
#[derive(Debug, Clone)]
struct Seen {
    request_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One scripted answer: status, body, and whether to send it chunked.
type Answer = (u16, String, bool);

struct TokenEndpoint {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TokenEndpoint {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serves `answers` in order, one per connection; once they run out, answers 500.
async fn token_endpoint(answers: Vec<Answer>) -> TokenEndpoint {
    serve_token_endpoint(answers, None).await
}

/// What the endpoint's connections speak: plain HTTP, or HTTPS through this acceptor.
#[cfg(feature = "tls")]
type Acceptor = tokio_rustls::TlsAcceptor;
#[cfg(not(feature = "tls"))]
type Acceptor = std::convert::Infallible;

async fn serve_token_endpoint(answers: Vec<Answer>, tls: Option<Acceptor>) -> TokenEndpoint {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = match tls {
        Some(_) => format!("https://localhost:{port}/realms/kafka/token"),
        None => format!("http://127.0.0.1:{port}/realms/kafka/token"),
    };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let answers = Arc::new(Mutex::new(VecDeque::from(answers)));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            match &tls {
                None => serve_one(socket, &log, &answers).await,
                #[cfg(feature = "tls")]
                Some(acceptor) => {
                    // A client that refuses our certificate fails the handshake: nothing to
                    // serve then.
                    if let Ok(stream) = acceptor.accept(socket).await {
                        serve_one(stream, &log, &answers).await;
                    }
                }
                #[cfg(not(feature = "tls"))]
                Some(never) => match *never {},
            }
        }
    });
    TokenEndpoint { url, seen }
}

async fn serve_one<S>(mut socket: S, log: &Mutex<Vec<Seen>>, answers: &Mutex<VecDeque<Answer>>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut buf = Vec::new();
    let (head_end, content_length) = loop {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client closed before a whole request");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            break (end, length);
        }
    };
    while buf.len() < head_end + 4 + content_length {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "client closed before the whole body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap().to_owned();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.to_owned(), v.trim().to_owned())
        })
        .collect();
    let body =
        String::from_utf8(buf[head_end + 4..head_end + 4 + content_length].to_vec()).unwrap();
    log.lock().unwrap().push(Seen {
        request_line,
        headers,
        body,
    });
    let (status, body, chunked) = answers.lock().unwrap().pop_front().unwrap_or((
        500,
        r#"{"error":"server_error"}"#.into(),
        false,
    ));
    let response = if chunked {
        let (a, b) = body.split_at(body.len() / 2);
        format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
             {:x}\r\n{a}\r\n{:x};ext=1\r\n{b}\r\n0\r\n\r\n",
            a.len(),
            b.len()
        )
    } else {
        format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    socket.write_all(response.as_bytes()).await.unwrap();
    let _ = socket.shutdown().await;
}

fn epoch_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A signed-looking JWT (the signature is the broker's business) with these claims.
fn jwt(claims: &str) -> String {
    format!(
        "{}.{}.c2lnbmF0dXJl",
        BASE64URL.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
        BASE64URL.encode(claims)
    )
}

/// A token response for `sub`, issued `age` ago and valid `left` from now.
fn token_response(sub: &str, age: Duration, left: Duration) -> String {
    let now = SystemTime::now();
    let token = jwt(&format!(
        r#"{{"sub":"{sub}","iat":{},"exp":{},"scope":"kafka write"}}"#,
        epoch_secs(now - age),
        epoch_secs(now + left)
    ));
    format!(
        r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":{}}}"#,
        left.as_secs()
    )
}

fn ok(sub: &str, age: Duration, left: Duration) -> Answer {
    (200, token_response(sub, age, left), false)
}

const HOUR: Duration = Duration::from_secs(3600);

fn config(url: &str) -> ClientCredentialsConfig {
    ClientCredentialsConfig {
        scope: Some("kafka write".into()),
        retry_backoff: Duration::from_millis(10),
        retry_backoff_max: Duration::from_secs(5),
        ..ClientCredentialsConfig::new(url, "my-client", "my secret")
    }
}

/// The request is Java's: POST, Basic `client_id:client_secret` (standard base64), a
/// `client_credentials` form with the URL-encoded scope; the token's principal and expiry come
/// from its `sub` and `exp`; a second call within the refresh window reuses it. Endpoint:
/// local HTTP server in the test.
#[tokio::test]
async fn fetches_a_token_with_client_credentials() {
    let endpoint = token_endpoint(vec![ok("svc-billing", Duration::ZERO, HOUR)]).await;
    let provider = ClientCredentialsProvider::new(ClientCredentialsConfig {
        extensions: vec![("traceId".into(), "42".into())],
        ..config(&endpoint.url)
    })
    .unwrap();
    let token = provider.token().await.unwrap();
    assert_eq!(token.principal, "svc-billing");
    assert_eq!(token.extensions, vec![("traceId".into(), "42".into())]);
    let expires_in = token.expires_at.duration_since(SystemTime::now()).unwrap();
    assert!(expires_in > HOUR - Duration::from_secs(60) && expires_in <= HOUR);
    assert_eq!(token.value.split('.').count(), 3);

    let again = provider.token().await.unwrap();
    assert_eq!(again, token, "cached until its refresh point");
    let seen = endpoint.seen();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    assert_eq!(request.request_line, "POST /realms/kafka/token HTTP/1.1");
    assert_eq!(
        request.header("Authorization"),
        Some(format!("Basic {}", BASE64.encode("my-client:my secret")).as_str())
    );
    assert_eq!(
        request.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.header("Accept"), Some("application/json"));
    assert_eq!(
        request.body,
        "grant_type=client_credentials&scope=kafka+write"
    );
}

/// `sasl.oauthbearer.header.urlencode=true` URL-encodes id and secret inside the Basic header
/// (KIP-1025); without a scope the form has only the grant type. Endpoint: local HTTP server.
#[tokio::test]
async fn header_urlencode_and_no_scope() {
    let endpoint = token_endpoint(vec![ok("svc", Duration::ZERO, HOUR)]).await;
    let provider = ClientCredentialsProvider::new(ClientCredentialsConfig {
        header_urlencode: true,
        scope: None,
        ..config(&endpoint.url)
    })
    .unwrap();
    provider.token().await.unwrap();
    let seen = endpoint.seen();
    assert_eq!(
        seen[0].header("Authorization"),
        Some(format!("Basic {}", BASE64.encode("my-client:my+secret")).as_str())
    );
    assert_eq!(seen[0].body, "grant_type=client_credentials");
}

/// A token past its refresh point (80–85% of its life) is replaced at the next call, before
/// it expires; the new one is then cached. Endpoint: local HTTP server.
#[tokio::test]
async fn refreshes_before_expiry() {
    let endpoint = token_endpoint(vec![
        // Issued 1000 s ago, 30 s left: its refresh point has passed.
        ok("svc", Duration::from_secs(1000), Duration::from_secs(30)),
        ok("svc", Duration::ZERO, HOUR),
    ])
    .await;
    let provider = ClientCredentialsProvider::new(config(&endpoint.url)).unwrap();
    let first = provider.token().await.unwrap();
    assert!(first.expires_at > SystemTime::now(), "still valid");
    let second = provider.token().await.unwrap();
    assert_ne!(
        second.value, first.value,
        "refreshed while the old one was valid"
    );
    assert!(second.expires_at > first.expires_at);
    let third = provider.token().await.unwrap();
    assert_eq!(third, second);
    assert_eq!(endpoint.seen().len(), 2);
}

/// When a refresh fails but the current token is still valid, it is served (Java keeps the
/// old credential); the endpoint was asked again, with retries. Endpoint: local HTTP server
/// answering 500 after the first token.
#[tokio::test]
async fn failed_refresh_keeps_the_valid_token() {
    let endpoint = token_endpoint(vec![ok(
        "svc",
        Duration::from_secs(1000),
        Duration::from_secs(30),
    )])
    .await;
    let provider = ClientCredentialsProvider::new(ClientCredentialsConfig {
        retry_backoff_max: Duration::from_millis(100),
        ..config(&endpoint.url)
    })
    .unwrap();
    let first = provider.token().await.unwrap();
    let second = provider.token().await.unwrap();
    assert_eq!(second, first);
    assert!(
        endpoint.seen().len() >= 3,
        "the refresh was tried and retried"
    );
}

/// Unexpected status codes (5xx) are retried with backoff until one succeeds (here the
/// third, sent chunked); 4xx such as 401 are not retried and fail with the endpoint's
/// `error - error_description`; a budget of retries that all fail ends with an I/O error.
/// Endpoint: local HTTP server.
#[tokio::test]
async fn endpoint_errors() {
    let endpoint = token_endpoint(vec![
        (503, "busy".into(), false),
        (502, String::new(), false),
        (200, token_response("svc", Duration::ZERO, HOUR), true),
    ])
    .await;
    let provider = ClientCredentialsProvider::new(config(&endpoint.url)).unwrap();
    assert_eq!(provider.token().await.unwrap().principal, "svc");
    assert_eq!(endpoint.seen().len(), 3);

    let endpoint = token_endpoint(vec![(
        401,
        r#"{"error":"invalid_client","error_description":"bad secret"}"#.into(),
        false,
    )])
    .await;
    let provider = ClientCredentialsProvider::new(config(&endpoint.url)).unwrap();
    let error = provider.token().await.unwrap_err();
    assert!(!error.is_retriable());
    assert!(
        matches!(&error, Error::Authentication { reason, .. }
            if reason.contains("401") && reason.contains("{invalid_client - bad secret}")),
        "{error}"
    );
    assert_eq!(endpoint.seen().len(), 1, "a 401 is not retried");
    assert!(!error.to_string().contains("my secret"));

    let endpoint = token_endpoint(Vec::new()).await; // 500 forever
    let provider = ClientCredentialsProvider::new(ClientCredentialsConfig {
        retry_backoff: Duration::from_millis(10),
        retry_backoff_max: Duration::from_millis(200),
        ..config(&endpoint.url)
    })
    .unwrap();
    let error = provider.token().await.unwrap_err();
    assert!(error.is_retriable(), "{error}");
    assert!(error.to_string().contains("500"), "{error}");
    // 10 + 20 + 40 + 80 ms of waits fit in 200 ms: at least four attempts, and a bounded number.
    let attempts = endpoint.seen().len();
    assert!((4..=6).contains(&attempts), "{attempts} attempts");
}

/// Tokens the endpoint hands out that Java's validator would refuse are refused too.
/// Endpoint: local HTTP server.
#[tokio::test]
async fn unusable_tokens_are_refused() {
    let exp = epoch_secs(SystemTime::now() + HOUR);
    for (body, needle) in [
        (r#"{"token_type":"Bearer"}"#.to_owned(), "no access_token"),
        (r#"{"access_token":"opaque"}"#.to_owned(), "not a JWT"),
        (
            format!(r#"{{"access_token":"{}"}}"#, jwt(r#"{"sub":"svc"}"#)),
            "no `exp` claim",
        ),
        (
            format!(
                r#"{{"access_token":"{}"}}"#,
                jwt(&format!(r#"{{"exp":{exp}}}"#))
            ),
            "no string `sub` claim",
        ),
        ("not json".to_owned(), "not JSON"),
    ] {
        let endpoint = token_endpoint(vec![(200, body.clone(), false)]).await;
        let provider = ClientCredentialsProvider::new(config(&endpoint.url)).unwrap();
        let error = provider.token().await.unwrap_err();
        assert!(
            matches!(&error, Error::Authentication { reason, .. } if reason.contains(needle)),
            "{body}: {error}"
        );
    }
    // `sasl.oauthbearer.sub.claim.name` picks another claim.
    let endpoint = token_endpoint(vec![(
        200,
        format!(
            r#"{{"access_token":"{}"}}"#,
            jwt(&format!(r#"{{"client_id":"svc-7","exp":{exp}}}"#))
        ),
        false,
    )])
    .await;
    let provider = ClientCredentialsProvider::new(ClientCredentialsConfig {
        sub_claim_name: "client_id".into(),
        ..config(&endpoint.url)
    })
    .unwrap();
    assert_eq!(provider.token().await.unwrap().principal, "svc-7");
}

/// String keys build the provider: Kafka 4.1's explicit keys, or the JAAS options
/// (`clientId`, `clientSecret`, `scope`, `extension_*`) with explicit keys winning.
/// Endpoint: local HTTP server.
#[tokio::test]
async fn string_keys_and_jaas_build_the_provider() {
    let endpoint = token_endpoint(vec![
        ok("svc", Duration::ZERO, HOUR),
        ok("svc", Duration::ZERO, HOUR),
    ])
    .await;
    let explicit = ClientConfig::from_properties([
        ("bootstrap.servers", "k:9092"),
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "OAUTHBEARER"),
        ("sasl.oauthbearer.token.endpoint.url", endpoint.url.as_str()),
        ("sasl.oauthbearer.client.credentials.client.id", "id-1"),
        (
            "sasl.oauthbearer.client.credentials.client.secret",
            "secret-1",
        ),
        ("sasl.oauthbearer.scope", "kafka"),
        ("sasl.login.retry.backoff.max.ms", "1000"),
    ])
    .unwrap();
    let jaas = ClientConfig::from_properties([
        ("bootstrap.servers", "k:9092"),
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "OAUTHBEARER"),
        ("sasl.oauthbearer.token.endpoint.url", endpoint.url.as_str()),
        (
            "sasl.jaas.config",
            r#"org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required
               clientId="id-2" clientSecret="secret-2" scope="ignored" extension_traceId="42";"#,
        ),
        ("sasl.oauthbearer.scope", "explicit"),
    ])
    .unwrap();
    let token = explicit
        .sasl
        .unwrap()
        .token_provider
        .unwrap()
        .token()
        .await
        .unwrap();
    assert!(token.extensions.is_empty());
    let token = jaas
        .sasl
        .unwrap()
        .token_provider
        .unwrap()
        .token()
        .await
        .unwrap();
    assert_eq!(token.extensions, vec![("traceId".into(), "42".into())]);
    let seen = endpoint.seen();
    assert_eq!(
        seen[0].header("Authorization"),
        Some(format!("Basic {}", BASE64.encode("id-1:secret-1")).as_str())
    );
    assert_eq!(seen[0].body, "grant_type=client_credentials&scope=kafka");
    assert_eq!(
        seen[1].header("Authorization"),
        Some(format!("Basic {}", BASE64.encode("id-2:secret-2")).as_str())
    );
    assert_eq!(seen[1].body, "grant_type=client_credentials&scope=explicit");
}

#[test]
fn string_key_errors_name_the_key() {
    let base = [
        ("bootstrap.servers", "k:9092"),
        ("security.protocol", "SASL_PLAINTEXT"),
    ];
    let err = |extra: &[(&str, &str)]| match ClientConfig::from_properties(
        base.iter().chain(extra).copied(),
    )
    .unwrap_err()
    {
        Error::Config { key, reason } => (key, reason),
        other => panic!("{other}"),
    };
    let (key, reason) = err(&[
        ("sasl.mechanism", "PLAIN"),
        ("sasl.username", "u"),
        ("sasl.password", "p"),
        ("sasl.oauthbearer.token.endpoint.url", "http://idp/token"),
    ]);
    assert_eq!(key, "sasl.oauthbearer.token.endpoint.url");
    assert!(reason.contains("sasl.mechanism is PLAIN"), "{reason}");
    let (key, _) = err(&[
        ("sasl.mechanism", "OAUTHBEARER"),
        ("sasl.oauthbearer.token.endpoint.url", "http://idp/token"),
        ("sasl.oauthbearer.client.credentials.client.id", "id"),
    ]);
    assert_eq!(key, "sasl.oauthbearer.client.credentials.client.secret");
    let (key, _) = err(&[
        ("sasl.mechanism", "OAUTHBEARER"),
        ("sasl.oauthbearer.token.endpoint.url", "ftp://idp/token"),
        ("sasl.oauthbearer.client.credentials.client.id", "id"),
        ("sasl.oauthbearer.client.credentials.client.secret", "s"),
    ]);
    assert_eq!(key, "sasl.oauthbearer.token.endpoint.url");
    let (key, _) = err(&[
        ("sasl.mechanism", "OAUTHBEARER"),
        ("sasl.oauthbearer.token.endpoint.url", "http://idp/token"),
        ("sasl.oauthbearer.client.credentials.client.id", "id"),
        ("sasl.oauthbearer.client.credentials.client.secret", "s"),
        ("sasl.login.refresh.window.factor", "0.2"),
    ]);
    assert_eq!(key, "sasl.login.refresh.window.factor");
    let (key, reason) = err(&[
        ("sasl.mechanism", "OAUTHBEARER"),
        (
            "sasl.jaas.config",
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required \
             unsecuredLoginStringClaim_sub=\"alice\";",
        ),
    ]);
    assert_eq!(key, "sasl.jaas.config");
    assert!(reason.contains("unsecuredLoginStringClaim_sub"), "{reason}");
    #[cfg(not(feature = "tls"))]
    {
        let (key, reason) = err(&[
            ("sasl.mechanism", "OAUTHBEARER"),
            ("sasl.oauthbearer.token.endpoint.url", "https://idp/token"),
            ("sasl.oauthbearer.client.credentials.client.id", "id"),
            ("sasl.oauthbearer.client.credentials.client.secret", "s"),
        ]);
        assert_eq!(key, "sasl.oauthbearer.token.endpoint.url");
        assert!(reason.contains("`tls` feature"), "{reason}");
    }
}

#[test]
fn refresh_point_follows_javas_rules() {
    let config = ClientCredentialsConfig::new("http://idp/token", "id", "secret");
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let s = Duration::from_secs;
    // Window: 80% of the life, plus up to 5% jitter.
    assert_eq!(
        refresh_at(&config, now, Some(now), now + s(3600), 0.0),
        now + s(2880)
    );
    assert_eq!(
        refresh_at(&config, now, Some(now), now + s(3600), 1.0),
        now + s(3060)
    );
    // The life counts from `iat`.
    assert_eq!(
        refresh_at(&config, now, Some(now - s(600)), now + s(3000), 0.0),
        now - s(600) + s(2880)
    );
    // Buffer: not later than 300 s before expiry.
    assert_eq!(
        refresh_at(&config, now, Some(now), now + s(1200), 0.0),
        now + s(900)
    );
    // Minimum period: not sooner than 60 s from now.
    assert_eq!(
        refresh_at(&config, now, Some(now - s(10_000)), now + s(1000), 0.0),
        now + s(60)
    );
    // Too short for min period + buffer: the window alone.
    assert_eq!(
        refresh_at(&config, now, Some(now), now + s(100), 0.0),
        now + s(80)
    );
    // Expired: now.
    assert_eq!(
        refresh_at(&config, now, Some(now - s(100)), now - s(1), 0.0),
        now
    );
}

#[test]
fn http_parsing() {
    assert_eq!(
        Endpoint::parse("https://idp.example/oauth2/token?x=1").unwrap(),
        Endpoint {
            https: true,
            host: "idp.example".into(),
            port: 443,
            target: "/oauth2/token?x=1".into()
        }
    );
    assert_eq!(Endpoint::parse("http://[::1]:8080").unwrap().host, "::1");
    assert_eq!(Endpoint::parse("http://h?q").unwrap().target, "/?q");
    for bad in [
        "ftp://h/",
        "http://",
        "http://u:p@h/",
        "http://h:99999/",
        "http://h/a b",
    ] {
        assert!(Endpoint::parse(bad).is_err(), "{bad}");
    }
    let whole = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    let response = parse_response(whole, false).unwrap().unwrap();
    assert_eq!((response.status, &response.body[..]), (200, &b"abcde"[..]));
    assert!(parse_response(&whole[..whole.len() - 3], false)
        .unwrap()
        .is_none());
    let fixed = b"HTTP/1.0 401 Unauthorized\r\ncontent-length: 2\r\n\r\n{}";
    assert_eq!(parse_response(fixed, false).unwrap().unwrap().status, 401);
    assert!(parse_response(b"HTTP/1.1 200 OK\r\n\r\nabc", false)
        .unwrap()
        .is_none());
    assert_eq!(
        parse_response(b"HTTP/1.1 200 OK\r\n\r\nabc", true)
            .unwrap()
            .unwrap()
            .body,
        b"abc"
    );
    assert!(parse_response(b"SSH-2.0\r\n\r\n", false).is_err());
    assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", true).is_err());
    assert_eq!(super::http::form_urlencode("a b+c/é"), "a+b%2Bc%2F%C3%A9");
}

/// An `https://` endpoint (with the `tls` feature): the token comes over TLS when the
/// endpoint's CA is trusted (`ClientCredentialsConfig::tls`), and the fetch fails with the
/// TLS reason when it is not. Endpoint: local HTTPS server with an rcgen certificate.
#[cfg(feature = "tls")]
#[tokio::test]
async fn https_endpoint() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    use rustls_pki_types::PrivateKeyDer;

    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![leaf.der().clone()],
        PrivateKeyDer::try_from(leaf_key.serialize_der()).unwrap(),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let endpoint =
        serve_token_endpoint(vec![ok("svc-tls", Duration::ZERO, HOUR)], Some(acceptor)).await;

    let trusted = ClientCredentialsProvider::new(ClientCredentialsConfig {
        tls: crate::config::TlsConfig {
            ca_pem: Some(ca.pem()),
            ..Default::default()
        },
        ..config(&endpoint.url)
    })
    .unwrap();
    assert_eq!(trusted.token().await.unwrap().principal, "svc-tls");
    assert_eq!(endpoint.seen().len(), 1);

    let untrusted = ClientCredentialsProvider::new(ClientCredentialsConfig {
        retry_backoff_max: Duration::from_millis(50),
        ..config(&endpoint.url)
    })
    .unwrap();
    let error = untrusted.token().await.unwrap_err();
    assert!(
        error.to_string().to_lowercase().contains("certificate"),
        "{error}"
    );
    assert_eq!(
        endpoint.seen().len(),
        1,
        "no request without a trusted TLS session"
    );
}
