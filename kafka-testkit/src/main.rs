//! `kafka-testkit [--brokers N] [--port P] [--rack] [--sasl MECH:USER:PASSWORD]...`
//!
//! Starts an in-memory cluster, prints exactly one line `bootstrap=HOST:PORT[,HOST:PORT...]`
//! on stdout once every broker accepts connections, then serves until SIGTERM or SIGINT and
//! exits 0. With `--sasl` (repeatable), every listener requires SASL (SASL_PLAINTEXT) and
//! logs in the users given, with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; `--sasl OAUTHBEARER`
//! enables OAUTHBEARER with Kafka's unsecured-JWS validation (any valid token logs in as its
//! `sub`). Errors go to stderr with a non-zero exit (2 for bad arguments).

use std::io::Write;
use std::process::ExitCode;

#[derive(Debug)]
struct Args {
    brokers: usize,
    port: u16,
    rack: bool,
    sasl: Vec<String>,
}

const USAGE: &str = "usage: kafka-testkit [--brokers N] [--port P] [--rack] \
     [--sasl MECH:USER:PASSWORD | --sasl OAUTHBEARER]...";

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        brokers: 3,
        port: 0,
        rack: false,
        sasl: Vec::new(),
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
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("kafka-testkit: {e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = kafka_testkit::Cluster::builder()
        .brokers(args.brokers)
        .port(args.port)
        .racks(args.rack);
    for spec in &args.sasl {
        // MECH:USER:PASSWORD (the password may itself contain ':'), or OAUTHBEARER alone.
        // An unknown mechanism is refused rather than ignored: a script asking for one must
        // not get a cluster that cannot log it in.
        match kafka_testkit::sasl_server::SaslUser::parse(spec) {
            Ok(user) => {
                builder = builder.sasl_user(user.mechanism, &user.username, &user.password);
            }
            Err(e) => {
                eprintln!("kafka-testkit: --sasl: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kafka-testkit: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(async move {
        let cluster = match builder.build().await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("kafka-testkit: {e}");
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
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("kafka-testkit: cannot watch SIGTERM: {e}");
                    return ExitCode::from(1);
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        drop(cluster);
        ExitCode::SUCCESS
    })
}
