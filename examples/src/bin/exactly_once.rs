//! Exactly-once: consume-transform-produce inside transactions.
//!
//! Each poll's records are transformed and sent inside one transaction, together with the
//! consumer's new positions (`send_offsets_to_transaction`): the output records and the
//! input offsets are committed as one, or neither is. A crash mid-transaction leaves it open;
//! the restarted instance uses the same `transactional.id` (derived from the group), so its
//! `init_transactions` fences the crashed one and has the coordinator abort its transaction.
//! The restart then resumes from the last committed offsets and redoes that batch; readers
//! with `isolation.level=read_committed` (as this program reads its own input) never see the
//! aborted copy. The output thus holds every input record exactly once — for read_committed
//! readers, on a broker that tells them which transactions were aborted.
//!
//! One instance per group: a second instance would share the derived `transactional.id` and
//! fence the first. To run several, give each its own stable id with
//! `-X transactional.id=...` (and `--subscribe` to share the partitions).
//!
//! ```sh
//! cargo run --release -p examples --bin exactly_once -- --bootstrap localhost:9092 \
//!     --input-topic in --output-topic out --group eos --count 3000 --crash-after 1234
//! ```

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use examples::app::{self, AppResult};
use examples::cli::{Args, Spec};
use examples::pipeline::{Pipeline, PipelineArgs, OPTIONS};
use kafkito::consumer::{ConsumerRecord, TopicPartition};
use kafkito::Producer;

const SPEC: Spec = Spec {
    name: "exactly_once",
    about: "Exactly-once consume-transform-produce: each poll's output (value-i -> \
            processed-i) and input offsets are committed in one transaction \
            (send_offsets_to_transaction); read_committed input. transactional.id is \
            `<group>-exactly-once` unless -X transactional.id is given.",
    options: OPTIONS,
};

/// Processes one poll's records in one transaction. On an abortable failure the caller aborts
/// and rewinds; nothing of the batch becomes visible to read_committed readers.
async fn transact(
    producer: &Producer,
    pipeline: &mut Pipeline,
    records: &[ConsumerRecord],
) -> kafkito::Result<()> {
    producer.begin_transaction()?;
    for record in records {
        // A failed record makes commit_transaction fail (abortable): none is lost silently.
        producer.send_and_forget(pipeline.transform(record)).await?;
        pipeline.processed().await;
    }
    // The positions after this batch are committed for the group if, and only if, the
    // transaction commits.
    let metadata = pipeline.consumer.group_metadata()?;
    producer
        .send_offsets_to_transaction(&pipeline.positions(), &metadata)
        .await?;
    producer.commit_transaction().await
}

/// Per partition, the offset of the batch's first record: where to go back to after an abort.
fn batch_start(records: &[ConsumerRecord]) -> HashMap<TopicPartition, i64> {
    let mut start = HashMap::new();
    for record in records {
        start
            .entry(record.topic_partition())
            .and_modify(|o: &mut i64| *o = (*o).min(record.offset))
            .or_insert(record.offset);
    }
    start
}

async fn run(args: Args) -> AppResult {
    let args = PipelineArgs::from_args(&args)?;
    // Stable across restarts, so that a restart fences its crashed predecessor. `-X` wins.
    let transactional_id = format!("{}-exactly-once", args.group);
    let producer = app::producer(
        &args.bootstrap,
        &[("transactional.id", transactional_id.as_str())],
        &args.properties,
        true,
    )
    .await?;
    // Fences any earlier instance with this id and aborts its open transaction.
    producer.init_transactions().await?;
    let mut pipeline =
        Pipeline::start(SPEC.name, args, &[("isolation.level", "read_committed")]).await?;
    while let Some(records) = pipeline.next_batch().await? {
        match transact(&producer, &mut pipeline, &records).await {
            Ok(()) => {}
            Err(error) if error.is_abortable() => {
                eprintln!("exactly_once: aborting the transaction and redoing its batch: {error}");
                producer.abort_transaction().await?;
                for (tp, offset) in batch_start(&records) {
                    pipeline.consumer.seek(&tp, offset)?;
                }
            }
            Err(error) => return Err(error.into()),
        }
    }
    producer.close(Duration::from_secs(30)).await?;
    pipeline.report();
    Ok(())
}

fn main() -> ExitCode {
    app::run(&SPEC, run)
}
