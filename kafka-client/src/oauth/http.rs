//! Just enough HTTP/1.1 for a token endpoint: one `POST` of a form per connection
//! (`Connection: close`), over TCP or, with the `tls` feature, TLS; the response's status and
//! body (by `Content-Length`, chunked, or up to EOF), capped in size.
//!
//! A whole HTTP client crate would be more code than this for the one request we make; the
//! parts that matter for safety (bounded sizes, deadlines, no half-read state kept) are here.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response accepted (headers and body).
const MAX_RESPONSE: usize = 1 << 20;

/// A parsed `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub https: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub target: String,
}

impl Endpoint {
    /// Parses `scheme://host[:port][/path][?query]` (IPv6 hosts in brackets; no user info).
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url.trim();
        let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
            (true, rest)
        } else if let Some(rest) = url.strip_prefix("http://") {
            (false, rest)
        } else {
            return Err("expected an http:// or https:// URL".into());
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let (authority, target) = match rest.find(['/', '?']) {
            Some(at) if rest[at..].starts_with('/') => (&rest[..at], rest[at..].to_owned()),
            Some(at) => (&rest[..at], format!("/{}", &rest[at..])),
            None => (rest, "/".to_owned()),
        };
        if authority.contains('@') {
            return Err("user information in the URL is not supported".into());
        }
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or("unclosed `[` in the host")?;
            (host, after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err("the URL has no host".into());
        }
        let port = match port {
            Some(port) => port.parse().map_err(|_| format!("invalid port `{port}`"))?,
            None if https => 443,
            None => 80,
        };
        if target.chars().any(|c| c.is_ascii_control() || c == ' ') {
            return Err("the path contains spaces or control characters".into());
        }
        Ok(Endpoint {
            https,
            host: host.to_owned(),
            port,
            target,
        })
    }

    /// `host:port` as a socket address to connect to.
    fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The `Host` header value.
    fn host_header(&self) -> String {
        let default = if self.https { 443 } else { 80 };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == default {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

/// A response: status code and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why a request failed before a response was read.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Connecting, writing or reading failed, or the response was not HTTP.
    Io(io::Error),
    /// Connecting or reading took longer than allowed (which step, and the limit).
    Timeout(&'static str, Duration),
}

/// What to connect with: plain TCP, or TLS for `https://`.
#[derive(Clone)]
pub(crate) enum Transport {
    Plain,
    #[cfg(feature = "tls")]
    Tls(tokio_rustls::TlsConnector),
}

/// `POST`s `body` (`application/x-www-form-urlencoded`) with `headers` and reads the response.
pub(crate) async fn post_form(
    endpoint: &Endpoint,
    transport: &Transport,
    headers: &[(&str, String)],
    body: &str,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> Result<Response, Failure> {
    let tcp = tokio::time::timeout(connect_timeout, TcpStream::connect(endpoint.address()))
        .await
        .map_err(|_| Failure::Timeout("connecting to the token endpoint", connect_timeout))?
        .map_err(Failure::Io)?;
    let _ = tcp.set_nodelay(true);
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: kafka-sdk-rust\r\nAccept: application/json\r\n\
         Cache-Control: no-cache\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        endpoint.target,
        endpoint.host_header(),
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    let exchange = async {
        match transport {
            Transport::Plain => exchange(tcp, request.as_bytes()).await,
            #[cfg(feature = "tls")]
            Transport::Tls(connector) => {
                let name = rustls_pki_types::ServerName::try_from(endpoint.host.clone())
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                let stream = connector.connect(name, tcp).await?;
                exchange(stream, request.as_bytes()).await
            }
        }
    };
    tokio::time::timeout(read_timeout, exchange)
        .await
        .map_err(|_| Failure::Timeout("the token endpoint's response", read_timeout))?
        .map_err(Failure::Io)
}

async fn exchange<S>(mut stream: S, request: &[u8]) -> io::Result<Response>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stream.write_all(request).await?;
    stream.flush().await?;
    let mut buf = Vec::with_capacity(4096);
    loop {
        if let Some(response) = parse_response(&buf, false)? {
            return Ok(response);
        }
        if buf.len() >= MAX_RESPONSE {
            return Err(invalid(format!(
                "the response is larger than {MAX_RESPONSE} bytes"
            )));
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return parse_response(&buf, true)?.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the token endpoint closed the connection before a whole response",
                )
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Parses a whole response from `buf`; `None` while more bytes are needed. With `eof`, a body
/// without length runs to the end. Interim (1xx) responses are skipped.
pub(crate) fn parse_response(buf: &[u8], eof: bool) -> io::Result<Option<Response>> {
    let mut rest = buf;
    loop {
        let Some(end) = find(rest, b"\r\n\r\n") else {
            return Ok(None);
        };
        let head = std::str::from_utf8(&rest[..end])
            .map_err(|_| invalid("the response headers are not UTF-8".into()))?;
        let body = &rest[end + 4..];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
            return Err(invalid(format!("not an HTTP status line: `{status_line}`")));
        };
        if !version.starts_with("HTTP/1.") {
            return Err(invalid(format!(
                "not an HTTP/1.x response: `{status_line}`"
            )));
        }
        let status: u16 = code
            .parse()
            .map_err(|_| invalid(format!("invalid status code `{code}`")))?;
        let mut content_length = None;
        let mut chunked = false;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                content_length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| invalid(format!("invalid Content-Length `{value}`")))?,
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            }
        }
        if (100..200).contains(&status) {
            rest = body;
            continue;
        }
        if chunked {
            return dechunk(body).map(|body| body.map(|body| Response { status, body }));
        }
        return Ok(match content_length {
            Some(length) if body.len() >= length => Some(Response {
                status,
                body: body[..length].to_vec(),
            }),
            Some(length) if eof => {
                return Err(invalid(format!(
                    "the body ended after {} of {length} bytes",
                    body.len()
                )))
            }
            Some(_) => None,
            None if eof || status == 204 || status == 304 => Some(Response {
                status,
                body: body.to_vec(),
            }),
            None => None,
        });
    }
}

/// Decodes a chunked body; `None` until the last chunk has arrived.
fn dechunk(mut body: &[u8]) -> io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = find(body, b"\r\n") else {
            return Ok(None);
        };
        let size_line = std::str::from_utf8(&body[..line_end])
            .map_err(|_| invalid("a chunk size is not UTF-8".into()))?;
        let size_hex = size_line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16)
            .map_err(|_| invalid(format!("invalid chunk size `{size_hex}`")))?;
        body = &body[line_end + 2..];
        if size == 0 {
            // Trailers end with an empty line; nothing of them is needed.
            return Ok(find(body, b"\r\n").map(|_| out));
        }
        if body.len() < size + 2 {
            return Ok(None);
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// `application/x-www-form-urlencoded`, as Java's `URLEncoder`: letters, digits and `.-*_`
/// stay, a space becomes `+`, every other byte of the UTF-8 form becomes `%XX`.
pub(crate) fn form_urlencode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
