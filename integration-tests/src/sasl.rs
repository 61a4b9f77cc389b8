//! A broker that requires SASL: a tansu process started with `--authentication`, on a free
//! local port, killed on drop.
//!
//! A plain process rather than the shared container because the shared broker must stay
//! open to every other test, and this one refuses all but ApiVersions and SASL until a client
//! authenticates.
//!
//! What tansu 0.6 can and cannot do here (measured, see `tests/sasl.rs`): it offers SCRAM-SHA-256
//! and SCRAM-SHA-512 and answers an unknown user with SASL error `unknown-user`; it drops the
//! connection when asked for PLAIN. Its users are created with `tansu user create`, which sends
//! AlterUserScramCredentials to a broker, and a broker with `--authentication` refuses that
//! before authentication (`NotAuthenticated`, then it closes the connection): with
//! `memory://` storage nobody can ever log in. [`SaslBroker::create_scram_user`] runs that
//! command so the tests show the refusal, and start passing the day tansu allows it.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::probe::probe_api_versions;

/// tansu with `--authentication`, reachable in plaintext (SASL_PLAINTEXT) at
/// [`SaslBroker::bootstrap`]. The process is killed when this is dropped.
pub struct SaslBroker {
    port: u16,
    _tansu: Child,
}

impl SaslBroker {
    /// Starts tansu with `--authentication` and waits until it answers ApiVersions (allowed
    /// before authentication). Panics with the reason when it cannot start: a test must fail,
    /// not skip, without its broker.
    pub async fn start() -> SaslBroker {
        let port = free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let tansu = Command::new(tansu_path())
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--authentication",
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start tansu ({}; scripts/install-broker installs it): {e}",
                    tansu_path().display()
                )
            });
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = format!("127.0.0.1:{port}");
        while let Err(e) = probe_api_versions(&addr, Duration::from_secs(2)).await {
            assert!(
                Instant::now() < deadline,
                "tansu with --authentication did not start on {addr}: {e}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        SaslBroker {
            port,
            _tansu: tansu,
        }
    }

    /// `127.0.0.1:<port>`, also what the broker advertises in Metadata.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Creates (or replaces) a SCRAM user with `tansu user create`; `mechanism` is tansu's
    /// name for it, `scram256` or `scram512`. Returns tansu's output when it fails.
    pub async fn create_scram_user(
        &self,
        mechanism: &str,
        user: &str,
        password: &str,
    ) -> Result<(), String> {
        let output = Command::new(tansu_path())
            .args([
                "user",
                "create",
                "--broker",
                &format!("tcp://127.0.0.1:{}", self.port),
                "--mechanism",
                mechanism,
                user,
                password,
            ])
            .env("RUST_LOG", "warn")
            // Its error goes into a panic message: no terminal colour codes.
            .env("NO_COLOR", "1")
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(Duration::from_secs(30), output)
            .await
            .map_err(|_| "tansu user create did not finish within 30 s".to_string())?
            .map_err(|e| format!("cannot run tansu user create: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "tansu user create exited with {}: {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// The tansu binary `scripts/install-broker` extracts.
fn tansu_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.broker/bin/tansu")
}
