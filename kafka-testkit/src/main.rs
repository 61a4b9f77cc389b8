//! `kafkito-testkit [--brokers N] [--port P] [--rack] [--sasl MECH:USER:PASSWORD]...
//! [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]`
//!
//! Starts an in-memory cluster, prints exactly one line `bootstrap=HOST:PORT[,HOST:PORT...]`
//! on stdout once every broker accepts connections, then serves until SIGTERM or SIGINT and
//! exits 0. With `--sasl` (repeatable), every listener requires SASL (SASL_PLAINTEXT) and
//! logs in the users given, with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; `--sasl OAUTHBEARER`
//! enables OAUTHBEARER with Kafka's unsecured-JWS validation (any valid token logs in as its
//! `sub`). With `--tls-cert` and `--tls-key` (PEM; a binary built with the `tls` feature),
//! every listener is SSL, or SASL_SSL with `--sasl`; `--tls-client-ca` also requires client
//! certificates signed by those CAs (mutual TLS). Errors go to stderr with a non-zero exit (2 for bad arguments).

use std::io::Write;
use std::process::ExitCode;

#[derive(Debug)]
struct Args {
    brokers: usize,
    port: u16,
    rack: bool,
    sasl: Vec<String>,
    tls_cert: Option<std::path::PathBuf>,
    tls_key: Option<std::path::PathBuf>,
    tls_client_ca: Option<std::path::PathBuf>,
}

const USAGE: &str = "usage: kafkito-testkit [--brokers N] [--port P] [--rack] \
     [--sasl MECH:USER:PASSWORD | --sasl OAUTHBEARER]... \
     [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]";

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        brokers: 3,
        port: 0,
        rack: false,
        sasl: Vec::new(),
        tls_cert: None,
        tls_key: None,
        tls_client_ca: None,
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--brokers" => {
                let v = value("--brokers")?;
                parsed.brokers = v
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n >= 1)
                    .ok_or_else(|| format!("--brokers {v}: not a positive number"))?;
            }
            "--port" => {
                let v = value("--port")?;
                parsed.port = v
                    .parse()
                    .map_err(|_| format!("--port {v}: not a port number"))?;
            }
            "--rack" => parsed.rack = true,
            "--sasl" => parsed.sasl.push(value("--sasl")?),
            "--tls-cert" => parsed.tls_cert = Some(value("--tls-cert")?.into()),
            "--tls-key" => parsed.tls_key = Some(value("--tls-key")?.into()),
            "--tls-client-ca" => parsed.tls_client_ca = Some(value("--tls-client-ca")?.into()),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    match (&parsed.tls_cert, &parsed.tls_key) {
        (Some(_), None) | (None, Some(_)) => {
            return Err("--tls-cert and --tls-key go together".to_owned())
        }
        (None, None) if parsed.tls_client_ca.is_some() => {
            return Err("--tls-client-ca needs --tls-cert and --tls-key".to_owned())
        }
        _ => {}
    }
    Ok(parsed)
}

/// Turns on TLS for every listener, from the PEM files given.
#[cfg(feature = "tls")]
fn with_tls(
    builder: kafkito_testkit::ClusterBuilder,
    cert: &std::path::Path,
    key: &std::path::Path,
    client_ca: Option<&std::path::Path>,
) -> Result<kafkito_testkit::ClusterBuilder, String> {
    let config =
        kafkito_testkit::TlsConfig::from_files(cert, key, client_ca).map_err(|e| e.to_string())?;
    Ok(builder.tls(config))
}

/// This binary was built without the `tls` feature: TLS flags are refused, not ignored.
#[cfg(not(feature = "tls"))]
fn with_tls(
    _: kafkito_testkit::ClusterBuilder,
    _: &std::path::Path,
    _: &std::path::Path,
    _: Option<&std::path::Path>,
) -> Result<kafkito_testkit::ClusterBuilder, String> {
    Err(
        "--tls-cert: this kafkito-testkit was built without the `tls` feature \
         (cargo build -p kafkito-testkit --features tls)"
            .to_owned(),
    )
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("kafkito-testkit: {e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = kafkito_testkit::Cluster::builder()
        .brokers(args.brokers)
        .port(args.port)
        .racks(args.rack);
    for spec in &args.sasl {
        // MECH:USER:PASSWORD (the password may itself contain ':'), or OAUTHBEARER alone.
        // An unknown mechanism is refused rather than ignored: a script asking for one must
        // not get a cluster that cannot log it in.
        match kafkito_testkit::sasl_server::SaslUser::parse(spec) {
            Ok(user) => {
                builder = builder.sasl_user(user.mechanism, &user.username, &user.password);
            }
            Err(e) => {
                eprintln!("kafkito-testkit: --sasl: {e}");
                return ExitCode::from(2);
            }
        }
    }
    if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        builder = match with_tls(builder, cert, key, args.tls_client_ca.as_deref()) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("kafkito-testkit: {e}");
                return ExitCode::from(2);
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kafkito-testkit: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let cluster = match builder.build().await {
            Ok(c) => c,
            // Unusable --tls-* files are bad arguments, like an unknown --sasl mechanism.
            Err(e @ kafkito_testkit::Error::Tls(_)) => {
                eprintln!("kafkito-testkit: {e}");
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("kafkito-testkit: {e}");
                return ExitCode::from(1);
            }
        };
        // Watch SIGTERM and SIGINT before announcing the cluster: a script may send it as soon as it
        // has read the bootstrap line, and an unwatched SIGTERM kills the process (status 143).
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("kafkito-testkit: cannot watch SIGTERM: {e}");
                    return ExitCode::from(1);
                }
            };
        let mut interrupt =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("kafkito-testkit: cannot watch SIGINT: {e}");
                    return ExitCode::from(1);
                }
            };
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "bootstrap={}", cluster.bootstrap())
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return ExitCode::from(1);
        }
        drop(stdout);
        tokio::select! {
            _ = term.recv() => {}
            _ = interrupt.recv() => {}
        }
        drop(cluster);
        ExitCode::SUCCESS
    })
}
