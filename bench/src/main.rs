//! `bench`: this SDK's producer and consumer against librdkafka on the same broker, same
//! settings.
//!
//! One process measures one client on one workload and prints one JSON line (see
//! [`args::USAGE`]); `scripts/bench` runs the matrix and aggregates. Files: [`args`] (the
//! fixed command line), [`measure`] (clocks, percentiles, report), [`topic`] (creating the
//! topic), [`consume`] (what the consumers share), [`group`] (what the members of a consumer
//! group share), one module per client (`ours`,
//! [`librdkafka`], [`rskafka`]). Each producer
//! counts its per-record acknowledgements and the run fails unless every record was
//! acknowledged; each consumer counts records and value bytes and fails unless it read them all.

mod args;
mod consume;
mod group;
mod librdkafka;
mod measure;
#[cfg(feature = "ours")]
mod ours;
#[cfg(all(test, feature = "ours"))]
mod partitioner_check;
mod rskafka;
mod topic;
mod values;

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
    if args.client == Client::Ours && cfg!(not(feature = "ours")) {
        eprintln!(
            "bench: --client ours needs kafkito::producer; this binary was built without \
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
    let created = topic::prepare(args).await?;
    if matches!(args.workload, Workload::Consume | Workload::Group) {
        fill_unless_full(args, created).await?;
    }
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
        (Client::Rdkafka, Workload::Consume) => (
            tokio::task::block_in_place(|| librdkafka::consume(args))?,
            None,
        ),
        #[cfg(feature = "ours")]
        (Client::Ours, Workload::Consume) => (ours::consume(args).await?, None),
        #[cfg(feature = "ours")]
        (Client::Ours, Workload::Produce) => (ours::produce(args).await?, None),
        #[cfg(feature = "ours")]
        (Client::Ours, Workload::Latency) => {
            let (measured, latencies) = ours::latency(args).await?;
            (measured, Some(latencies))
        }
        (Client::Rdkafka, Workload::Transactions) => (
            tokio::task::block_in_place(|| librdkafka::transactions(args))?,
            None,
        ),
        #[cfg(feature = "ours")]
        (Client::Ours, Workload::Transactions) => (ours::transactions(args).await?, None),
        (Client::Rdkafka, Workload::EndToEnd) => {
            let (measured, latencies) = tokio::task::block_in_place(|| librdkafka::e2e(args))?;
            (measured, Some(latencies))
        }
        #[cfg(feature = "ours")]
        (Client::Ours, Workload::EndToEnd) => {
            let (measured, latencies) = ours::e2e(args).await?;
            (measured, Some(latencies))
        }
        (Client::Rskafka, Workload::EndToEnd) => {
            return Err("the e2e workload is not written for rskafka".into())
        }
        (Client::Rskafka, Workload::Transactions) => {
            return Err("rskafka has no transactional producer".into())
        }
        (Client::Rdkafka, Workload::Group) => (
            tokio::task::block_in_place(|| librdkafka::group(args))?,
            None,
        ),
        #[cfg(feature = "ours")]
        (Client::Ours, Workload::Group) => (ours::group(args).await?, None),
        (Client::Rskafka, Workload::Group) => return Err("rskafka has no consumer groups".into()),
        (Client::Rskafka, Workload::Produce) => (rskafka::produce(args).await?, None),
        (Client::Rskafka, Workload::Consume) => (rskafka::consume(args).await?, None),
        (Client::Rskafka, Workload::Latency) => {
            let (measured, latencies) = rskafka::latency(args).await?;
            (measured, Some(latencies))
        }
        #[allow(unreachable_patterns)]
        (client, workload) => unreachable!("{client:?} {workload:?} is refused in main"),
    };
    Ok(measure::report(args, measured, latencies))
}

/// For `consume` and `group`: writes `--records` records (our producer when built with `ours`, it is the
/// faster) into a topic just created or listed as empty. A topic listed as holding some records
/// is used as it is: tansu under-reports end offsets, so a topic the bench filled can list as
/// holding fewer than it does; if it really holds too few, the consume run stalls and fails.
async fn fill_unless_full(args: &Args, created: bool) -> Result<(), BoxError> {
    if !created {
        let listed = topic::listed_records(args).await?;
        if listed > 0 {
            eprintln!(
                "bench: topic {} lists {listed} records (a lower bound under tansu); not filling",
                args.topic
            );
            return Ok(());
        }
    }
    eprintln!(
        "bench: filling {} with {} records",
        args.topic, args.records
    );
    #[cfg(feature = "ours")]
    ours::fill(args).await?;
    #[cfg(not(feature = "ours"))]
    tokio::task::block_in_place(|| librdkafka::fill(args))?;
    Ok(())
}
