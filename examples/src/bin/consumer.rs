//! Quick start: print `--count` N records of a topic as JSON lines, then exit.
//!
//! One line per record: `{"topic":..,"partition":..,"offset":..,"key":..,"value":..}`, key and
//! value decoded as UTF-8 (lossy; `null` when absent). With `--group` the consumer joins that
//! group and commits what it printed when it exits; without, it reads every partition on its
//! own and commits nothing.
//!
//! ```sh
//! cargo run --release -p examples --bin consumer -- --bootstrap localhost:9092 --topic orders \
//!     --count 10 --from-beginning
//! ```

use std::collections::HashMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use examples::app::{self, AppResult};
use examples::cli::{Args, Opt, Spec};
use examples::records;

const SPEC: Spec = Spec {
    name: "consumer",
    about: "Prints N records of a topic, one JSON line each \
            ({\"topic\":..,\"partition\":..,\"offset\":..,\"key\":..,\"value\":..}), then exits.",
    options: &[
        Opt::required("bootstrap", "H:P", "a broker to bootstrap from"),
        Opt::required("topic", "T", "the topic to read"),
        Opt::required("count", "N", "exit after this many records"),
        Opt::optional(
            "group",
            "G",
            "join this consumer group (subscribe; commits what was printed on exit); without it every \
             partition is read and nothing is committed",
        ),
        Opt::switch(
            "from-beginning",
            "start where no offset is committed at the earliest record (default: the end)",
        ),
    ],
};

async fn consume(args: Args) -> AppResult {
    let count: u64 = args.number("count")?.unwrap_or_default();
    let topic = args.required("topic");
    let bootstrap = args.required("bootstrap");
    let reset = if args.switch("from-beginning") {
        "earliest"
    } else {
        "latest"
    };
    let mut settings = vec![("auto.offset.reset", reset)];
    if let Some(group) = args.value("group") {
        // Commit exactly what was printed, at exit (below), rather than every position.
        settings.extend([("group.id", group), ("enable.auto.commit", "false")]);
    }
    let mut consumer = app::consumer(bootstrap, &settings, args.properties(), false).await?;
    if args.value("group").is_some() {
        consumer.subscribe(&[topic])?;
    } else {
        consumer.assign(app::partitions_of(bootstrap, args.properties(), topic).await?)?;
    }
    let stdout = std::io::stdout();
    let mut printed = 0;
    // Per partition, the offset after the last record printed: what the group commits.
    let mut next_offsets = HashMap::new();
    while printed < count {
        for record in consumer.poll(Duration::from_secs(1)).await? {
            if printed == count {
                break;
            }
            let line = records::json_line(
                &record.topic,
                record.partition,
                record.offset,
                record.key.as_deref(),
                record.value.as_deref(),
            );
            let mut out = stdout.lock();
            // A closed pipe (`consumer ... | head`) ends the program quietly.
            if writeln!(out, "{line}").is_err() {
                return Ok(());
            }
            printed += 1;
            next_offsets.insert(record.topic_partition(), record.offset + 1);
        }
    }
    // The last poll may have returned more than was printed: committing the positions would
    // make the group's next reader skip those, so commit the printed records only.
    if args.value("group").is_some() && !next_offsets.is_empty() {
        consumer.commit_offsets_sync(next_offsets).await?;
    }
    consumer.close().await?;
    Ok(())
}

fn main() -> ExitCode {
    app::run(&SPEC, consume)
}
