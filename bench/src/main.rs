//! `bench`: this SDK's producer against librdkafka on the same broker, same settings.
//!
//! One process measures one client on one workload and prints one JSON line (see
//! [`args::USAGE`]); `scripts/bench` runs the matrix and aggregates. Files: [`args`] (the
//! fixed command line), [`measure`] (clocks, percentiles, report), [`topic`] (creating the
//! topic), one module per client. Each client counts its per-record acknowledgements and the
//! run fails unless every record was acknowledged.

mod args;
mod librdkafka;
mod measure;
#[cfg(feature = "ours")]
mod ours;
#[cfg(all(test, feature = "ours"))]
mod partitioner_check;
mod topic;

use std::process::ExitCode;

use args::{Args, Client, Workload};

/// Errors of a run: this is a program, not a library, so one boxed type is enough.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::from(2);
        }
    };
    if args.workload == Workload::Consume || args.client == Client::Rskafka {
        eprintln!(
            "bench: `{}` with --client {} is not implemented yet",
            args.workload.name(),
            args.client.name()
        );
        return ExitCode::from(2);
    }
    if args.client == Client::Ours && cfg!(not(feature = "ours")) {
        eprintln!(
            "bench: --client ours needs kafka_client::producer; this binary was built without \
             the `ours` feature (cargo build -p bench --features ours)"
        );
        return ExitCode::from(2);
    }

    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("bench: cannot start the Tokio runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(&args)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "bench: {} {} failed: {e}",
                args.client.name(),
                args.workload.name()
            );
            ExitCode::from(1)
        }
    }
}

async fn run(args: &Args) -> Result<String, BoxError> {
    topic::prepare(args).await?;
    let (measured, latencies) = match (args.client, args.workload) {
        (Client::Rdkafka, Workload::Produce) => (
            // librdkafka's producer is driven synchronously from this thread.
            tokio::task::block_in_place(|| librdkafka::produce(args))?,
            None,
        ),
        (Client::Rdkafka, Workload::Latency) => {
            let (measured, latencies) = librdkafka::latency(args).await?;
            (measured, Some(latencies))
        }
        #[cfg(feature = "ours")]
        (Client::Ours, Workload::Produce) => (ours::produce(args).await?, None),
        #[cfg(feature = "ours")]
        (Client::Ours, Workload::Latency) => {
            let (measured, latencies) = ours::latency(args).await?;
            (measured, Some(latencies))
        }
        (client, workload) => unreachable!("{client:?} {workload:?} is refused in main"),
    };
    Ok(measure::report(args, measured, latencies))
}
