//! Quick start: write `--count` N records to a topic and wait until the broker has them all.
//!
//! Record i has key `key-i` and value `value-i` (padded with `.` to `--size` bytes); the last
//! line printed is `produced=N`.
//!
//! ```sh
//! cargo run --release -p examples --bin producer -- --bootstrap localhost:9092 --topic orders \
//!     --count 1000 --acks all --compression lz4
//! ```

use std::process::ExitCode;
use std::time::Duration;

use examples::app::{self, AppResult};
use examples::cli::{Args, Opt, Spec};
use examples::records;
use kafkito::producer::ProducerRecord;

const SPEC: Spec = Spec {
    name: "producer",
    about: "Writes N records (key `key-i`, value `value-i`) to a topic, waits for every \
            acknowledgement, and prints `produced=N`.",
    options: &[
        Opt::required("bootstrap", "H:P", "a broker to bootstrap from"),
        Opt::required("topic", "T", "the topic to write to"),
        Opt::required("count", "N", "how many records"),
        Opt::optional(
            "size",
            "BYTES",
            "pad each value with `.` to this many bytes",
        ),
        Opt::optional(
            "acks",
            "0|1|all",
            "acknowledgements to wait for (default all)",
        ),
        Opt::optional(
            "compression",
            "none|gzip|snappy|lz4|zstd",
            "batch compression (default none)",
        ),
        Opt::optional(
            "partitioner",
            "default|round-robin",
            "default: murmur2 of the key; round-robin: one partition after the other",
        ),
    ],
};

async fn produce(args: Args) -> AppResult {
    let count: u64 = args.number("count")?.unwrap_or_default();
    let size: Option<usize> = args.number("size")?;
    // The options are Kafka properties under another name; `-X` still wins over them.
    let mut settings = Vec::new();
    if let Some(acks) = args.choice("acks", &["0", "1", "all"])? {
        settings.push(("acks", acks));
    }
    if let Some(codec) = args.choice("compression", &["none", "gzip", "snappy", "lz4", "zstd"])? {
        settings.push(("compression.type", codec));
    }
    if let Some(partitioner) = args.choice("partitioner", &["default", "round-robin"])? {
        settings.push(("partitioner.class", partitioner));
    }
    let topic = args.required("topic");
    let producer = app::producer(
        args.required("bootstrap"),
        &settings,
        args.properties(),
        false,
    )
    .await?;
    for i in 0..count {
        // `send_and_forget` only waits for buffer space; a failed record is reported by the
        // `flush` below, which waits for every acknowledgement.
        producer
            .send_and_forget(
                ProducerRecord::new(topic)
                    .key(records::key(i))
                    .value(records::value(i, size)),
            )
            .await?;
    }
    producer.flush().await?;
    producer.close(Duration::from_secs(10)).await?;
    println!("produced={count}");
    Ok(())
}

fn main() -> ExitCode {
    app::run(&SPEC, produce)
}
