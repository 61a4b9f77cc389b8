//! The `kafkito-testkit` binary's contract, which scripts rely on: one `bootstrap=` line on
//! stdout once every broker accepts connections, serving until SIGTERM, exit 0; `--sasl`
//! users logged in for real (OAUTHBEARER enabled by `--sasl OAUTHBEARER`), and unknown
//! mechanisms refused (non-zero exit) rather than ignored.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use kafkito_protocol::frame::{decode_response, encode_request};
use kafkito_protocol::messages::{Request, SaslAuthenticateRequest, SaslHandshakeRequest};
use kafkito_testkit::ErrorCode;

const BIN: &str = env!("CARGO_BIN_EXE_kafkito-testkit");

/// Proven on: the binary. Two brokers with racks: the line names two loopback listeners,
/// both accept connections, and SIGTERM ends the process with status 0 and nothing more on
/// stdout.
#[test]
fn prints_one_bootstrap_line_serves_and_exits_zero_on_sigterm() {
    let mut child = Command::new(BIN)
        .args(["--brokers", "2", "--rack"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addresses = line
        .trim_end()
        .strip_prefix("bootstrap=")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    let addresses: Vec<&str> = addresses.split(',').collect();
    assert_eq!(addresses.len(), 2);
    for a in &addresses {
        assert!(a.starts_with("127.0.0.1:"), "{a}");
        TcpStream::connect_timeout(&a.parse().unwrap(), Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{a} does not accept connections: {e}"));
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "SIGTERM exits 0");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "exactly one line on stdout");
}

/// Runs the binary with `args`, expecting it to exit on its own within 30 s (a binary that
/// ignored a refused flag would serve forever: it is killed and the test fails).
fn run_to_exit(args: &[&str]) -> (Option<i32>, String, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("kafkito-testkit {args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), out, err)
}

/// Proven on: the binary. A mechanism the testkit does not implement is refused with a
/// clear message and exit status 2, before anything is printed on stdout; so are a
/// malformed `--sasl` and a bad `--brokers`.
#[test]
fn unknown_sasl_mechanisms_and_bad_arguments_are_refused() {
    let (code, stdout, stderr) = run_to_exit(&["--sasl", "GSSAPI:alice:secret"]);
    assert_eq!(code, Some(2));
    assert!(stdout.is_empty());
    assert!(stderr.contains("unknown mechanism `GSSAPI`"), "{stderr}");
    assert!(
        !stderr.contains("secret"),
        "the password is not echoed: {stderr}"
    );
    let (code, _, stderr) = run_to_exit(&["--sasl", "PLAIN-alice"]);
    assert_eq!(code, Some(2), "{stderr}");
    let (code, _, stderr) = run_to_exit(&["--brokers", "zero"]);
    assert_eq!(code, Some(2), "{stderr}");
}

/// One request on a blocking socket, its response decoded.
fn call<R: Request>(stream: &mut TcpStream, version: i16, request: &R) -> R::Response {
    let mut buf = BytesMut::new();
    encode_request(&mut buf, 1, Some("binary-test"), version, request).unwrap();
    stream.write_all(&buf).unwrap();
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).unwrap();
    let mut body = vec![0u8; i32::from_be_bytes(size) as usize];
    stream.read_exact(&mut body).unwrap();
    decode_response::<R>(body.into(), version).unwrap().1
}

/// Proven on: the binary with `--sasl PLAIN:alice:se:cret` (a password holding ':') and
/// `--sasl OAUTHBEARER`: the listener logs alice in with that password, refuses another,
/// enables OAUTHBEARER too, and SIGTERM still exits 0.
#[test]
fn sasl_listeners_log_in_the_given_users() {
    let mut child = Command::new(BIN)
        .args([
            "--brokers",
            "1",
            "--sasl",
            "PLAIN:alice:se:cret",
            "--sasl",
            "OAUTHBEARER",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let address = line
        .trim_end()
        .strip_prefix("bootstrap=")
        .unwrap()
        .to_owned();
    let login = |password: &str| {
        let mut stream = TcpStream::connect(&address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let handshake = call(
            &mut stream,
            1,
            &SaslHandshakeRequest {
                mechanism: "PLAIN".into(),
                ..Default::default()
            },
        );
        assert_eq!(handshake.error_code, 0);
        call(
            &mut stream,
            2,
            &SaslAuthenticateRequest {
                auth_bytes: format!("\0alice\0{password}").into_bytes().into(),
                ..Default::default()
            },
        )
        .error_code
    };
    assert_eq!(login("se:cret"), 0);
    let mut stream = TcpStream::connect(&address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let oauth = call(
        &mut stream,
        1,
        &SaslHandshakeRequest {
            mechanism: "OAUTHBEARER".into(),
            ..Default::default()
        },
    );
    assert_eq!(oauth.error_code, 0);
    assert_eq!(oauth.mechanisms, ["PLAIN", "OAUTHBEARER"]);
    assert_eq!(
        ErrorCode::from_code(login("secret")),
        ErrorCode::SaslAuthenticationFailed
    );
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}
