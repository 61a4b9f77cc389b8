//! At-most-once: commit the position *before* processing.
//!
//! Each poll's records are committed as consumed first, then transformed and sent with
//! `acks=1` and `retries=0`: a send is tried once, so a record is never written twice (a retry
//! after a lost acknowledgement would write it again; the seeds' definition of at-most-once).
//! `-X retries=N` with N > 0 is refused. A crash between the commit and the end of the
//! processing loses the rest of that poll (and whatever the producer had not sent yet): the
//! restarted run resumes after them. Nothing is ever processed twice, because no position is
//! committed behind a record that was processed. Choose this when a repeat is worse than a gap
//! (metrics, telemetry) — and measure the gap.
//!
//! ```sh
//! cargo run --release -p examples --bin at_most_once -- --bootstrap localhost:9092 \
//!     --input-topic in --output-topic out --group amo --count 3000 --crash-after 1234
//! ```

use std::process::ExitCode;
use std::time::Duration;

use examples::app::{self, AppError, AppResult};
use examples::cli::{Args, Spec};
use examples::pipeline::{Pipeline, PipelineArgs, OPTIONS};
use kafkito::producer::Producer;

const SPEC: Spec = Spec {
    name: "at_most_once",
    about: "At-most-once consume-transform-produce: commits each poll's position before \
            processing it (value-i -> processed-i). A crash loses records; none is duplicated.",
    options: OPTIONS,
};

async fn run(args: Args) -> AppResult {
    let args = PipelineArgs::from_args(&args)?;
    let config = app::producer_config(
        &args.bootstrap,
        &[("acks", "1"), ("retries", "0")],
        &args.properties,
        true,
    )?;
    // By construction, not by luck: a producer that retries can duplicate.
    if config.retries != 0 {
        return Err(AppError::Failed(format!(
            "at-most-once needs retries=0, got retries={}",
            config.retries
        )));
    }
    let producer = Producer::new(config).await?;
    let mut pipeline = Pipeline::start(SPEC.name, args, &[]).await?;
    while let Some(records) = pipeline.next_batch().await? {
        // 1. Commit first: the group now considers these records done, whatever happens next.
        pipeline.consumer.commit_sync().await?;
        // 2. Then process. A crash from here on loses the rest of the batch.
        for record in &records {
            producer.send_and_forget(pipeline.transform(record)).await?;
            pipeline.processed().await;
        }
    }
    producer.close(Duration::from_secs(30)).await?;
    pipeline.report();
    Ok(())
}

fn main() -> ExitCode {
    app::run(&SPEC, run)
}
