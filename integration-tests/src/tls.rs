//! A TLS endpoint for the broker: tansu has no working TLS of its own (measured), so stunnel
//! (from Debian) terminates TLS in front of a tansu process, with a CA and server certificate
//! generated here for each test.
//!
//! tansu runs as a plain process rather than in the shared container because it must
//! advertise the proxy's address: clients reconnect to whatever Metadata names, and that has
//! to be the TLS port too.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rcgen::{
    date_time_ymd, BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyPair,
};
use tokio::process::{Child, Command};

use crate::probe::probe_api_versions;

/// Which server certificate the proxy presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCert {
    /// Signed by the test CA, valid now, for `localhost`.
    Valid,
    /// Signed by the test CA, for `localhost`, but expired in 2021.
    Expired,
    /// Signed by the test CA, valid now, but for `broker.invalid` only.
    WrongHost,
}

/// tansu behind stunnel, reachable with TLS at [`TlsBroker::bootstrap`]. Both processes are
/// killed when this is dropped.
pub struct TlsBroker {
    bootstrap: String,
    dir: tempdir::Dir,
    _tansu: Child,
    _stunnel: Child,
}

impl TlsBroker {
    /// Starts tansu and a TLS proxy presenting `cert`. Panics with the reason when either
    /// cannot start (a test must fail, not skip, without its broker).
    pub async fn start(cert: ServerCert) -> TlsBroker {
        let dir = tempdir::Dir::new("tls-broker");
        let (ca, ca_key) = certificate_authority("kafka-sdk test CA");
        write(dir.path(), "ca.pem", &ca.pem());
        // A second CA that signed nothing here: trusting only it must fail the handshake.
        let (other_ca, _) = certificate_authority("some other CA");
        write(dir.path(), "other-ca.pem", &other_ca.pem());

        let (names, not_after) = match cert {
            ServerCert::Valid => (vec!["localhost".to_string()], date_time_ymd(2100, 1, 1)),
            ServerCert::Expired => (vec!["localhost".to_string()], date_time_ymd(2021, 1, 1)),
            ServerCert::WrongHost => (
                vec!["broker.invalid".to_string()],
                date_time_ymd(2100, 1, 1),
            ),
        };
        let mut params = CertificateParams::new(names).expect("server params");
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = not_after;
        params
            .distinguished_name
            .push(DnType::CommonName, "kafka test broker");
        let key = KeyPair::generate().expect("server key");
        let server = params
            .signed_by(&key, &ca, &ca_key)
            .expect("sign server cert");
        write(dir.path(), "server.pem", &server.pem());
        write(dir.path(), "server.key", &key.serialize_pem());

        let broker_port = free_port();
        let tls_port = free_port();
        let tansu = Command::new(tansu_path())
            .args([
                "broker",
                "--listener-url",
                &format!("tcp://127.0.0.1:{broker_port}"),
                "--advertised-listener-url",
                &format!("tcp://localhost:{tls_port}"),
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tansu ({}): {e}", tansu_path().display()));
        // The process needs a moment before it listens: probe until it answers.
        let deadline = Instant::now() + Duration::from_secs(30);
        let broker_addr = format!("127.0.0.1:{broker_port}");
        while let Err(e) = probe_api_versions(&broker_addr, Duration::from_secs(2)).await {
            assert!(
                Instant::now() < deadline,
                "tansu behind the TLS proxy did not start: {e}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let config = format!(
            "foreground = yes\npid =\ndebug = warning\n[kafka]\naccept = 127.0.0.1:{tls_port}\nconnect = 127.0.0.1:{broker_port}\ncert = {}\nkey = {}\n",
            dir.path().join("server.pem").display(),
            dir.path().join("server.key").display()
        );
        write(dir.path(), "stunnel.conf", &config);
        let stunnel = Command::new("stunnel")
            .arg(dir.path().join("stunnel.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start stunnel (scripts/install-broker installs stunnel4): {e}")
            });
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", tls_port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "stunnel did not listen on {tls_port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        TlsBroker {
            bootstrap: format!("localhost:{tls_port}"),
            dir,
            _tansu: tansu,
            _stunnel: stunnel,
        }
    }

    /// `localhost:<tls port>`: the name matches the valid certificate.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The same endpoint by IP address, which no certificate here names.
    pub fn bootstrap_by_ip(&self) -> String {
        self.bootstrap.replacen("localhost", "127.0.0.1", 1)
    }

    /// PEM file of the CA that signed the server certificate.
    pub fn ca_pem(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// PEM file of a CA that signed nothing this broker presents.
    pub fn other_ca_pem(&self) -> PathBuf {
        self.dir.path().join("other-ca.pem")
    }
}

fn certificate_authority(name: &str) -> (Certificate, KeyPair) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2100, 1, 1);
    let key = KeyPair::generate().expect("CA key");
    let cert = params.self_signed(&key).expect("self-sign CA");
    (cert, key)
}

fn write(dir: &Path, name: &str, contents: &str) {
    std::fs::write(dir.join(name), contents).expect("write test certificate files");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// The tansu binary `scripts/install-broker` extracts.
fn tansu_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.broker/bin/tansu")
}

/// A temporary directory removed on drop (tiny, to avoid a dependency for one use).
mod tempdir {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU32, Ordering};

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new(prefix: &str) -> Dir {
            static N: AtomicU32 = AtomicU32::new(0);
            let path = std::env::temp_dir().join(format!(
                "{prefix}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).expect("create temp dir");
            Dir(path)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
