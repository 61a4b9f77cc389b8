//! At-least-once: process, make sure the output is written, *then* commit.
//!
//! Each poll's records are transformed and sent by an idempotent producer with `acks=all`
//! (retries never duplicate or reorder within a partition); `flush` waits until the broker has
//! every one of them. Only then is the position committed — here once at least
//! [`COMMIT_EVERY`] records are flushed since the last commit, as applications do to keep
//! commits cheap. A crash after some output was written but before its commit makes the
//! restarted run process those records again: duplicates, never a loss, because no position
//! is ever committed ahead of output the broker has not acknowledged.
//!
//! ```sh
//! cargo run --release -p examples --bin at_least_once -- --bootstrap localhost:9092 \
//!     --input-topic in --output-topic out --group alo --count 3000 --crash-after 1234
//! ```

use std::process::ExitCode;
use std::time::Duration;

use examples::app::{self, AppResult};
use examples::cli::{Args, Spec};
use examples::pipeline::{Pipeline, PipelineArgs, OPTIONS};

/// Commit once this many records are flushed since the last commit (and at the end).
const COMMIT_EVERY: u64 = 500;

const SPEC: Spec = Spec {
    name: "at_least_once",
    about: "At-least-once consume-transform-produce: an idempotent acks=all producer writes \
            each poll's output (value-i -> processed-i), flushes, then the position is \
            committed. A crash duplicates records; none is lost.",
    options: OPTIONS,
};

async fn run(args: Args) -> AppResult {
    let args = PipelineArgs::from_args(&args)?;
    let producer = app::producer(
        &args.bootstrap,
        &[("acks", "all"), ("enable.idempotence", "true")],
        &args.properties,
        true,
    )
    .await?;
    let mut pipeline = Pipeline::start(SPEC.name, args, &[]).await?;
    let mut uncommitted = 0;
    while let Some(records) = pipeline.next_batch().await? {
        // 1. Process. A crash from here until the commit below repeats these records.
        for record in &records {
            producer.send_and_forget(pipeline.transform(record)).await?;
            pipeline.processed().await;
        }
        // 2. Wait until the broker has all of it (fails if any record failed for good).
        producer.flush().await?;
        uncommitted += records.len() as u64;
        // 3. Only now may the position move past these records.
        if uncommitted >= COMMIT_EVERY {
            pipeline.consumer.commit_sync().await?;
            uncommitted = 0;
        }
    }
    producer.close(Duration::from_secs(30)).await?;
    pipeline.consumer.commit_sync().await?;
    pipeline.report();
    Ok(())
}

fn main() -> ExitCode {
    app::run(&SPEC, run)
}
