//! A partitioner of one's own: keys that start with `--priority-prefix` (default `vip-`) all
//! go to partition 0, so that one consumer can serve them first; every other record is spread
//! over the remaining partitions by the murmur2 hash of its key, as Kafka's default
//! partitioner would (keyless records round-robin over them).
//!
//! It writes `--count` N records, alternating priority keys (`vip-i`) and normal keys
//! (`key-i`), reads back from each acknowledgement where the broker stored it, prints how many
//! landed on each partition, and fails if a priority record landed anywhere but partition 0
//! or a normal one did land there.
//!
//! ```sh
//! cargo run --release -p examples --bin custom_partitioner -- --bootstrap localhost:9092 \
//!     --topic orders --count 100
//! ```

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use examples::app::{self, AppError, AppResult};
use examples::cli::{Args, Opt, Spec};
use examples::records;
use kafkito::producer::partitioner::{murmur2, to_positive, Partitioner};
use kafkito::producer::{Producer, ProducerRecord};

const SPEC: Spec = Spec {
    name: "custom_partitioner",
    about: "Produces N records through a custom partitioner (priority keys to partition 0, \
            the rest hashed over the others), then prints and checks where they landed. The \
            topic needs at least 2 partitions.",
    options: &[
        Opt::required("bootstrap", "H:P", "a broker to bootstrap from"),
        Opt::required("topic", "T", "the topic to write to (2 partitions or more)"),
        Opt::required("count", "N", "how many records (half of them priority)"),
        Opt::optional(
            "priority-prefix",
            "PREFIX",
            "keys starting with this go to partition 0 (default `vip-`)",
        ),
    ],
};

/// Priority keys to partition 0; everything else over partitions `1..count`.
///
/// A partitioner is called for every record, from whichever task sends it: it takes `&self`
/// and keeps its state (here, a round-robin counter for keyless records) in atomics.
#[derive(Debug)]
struct PriorityPartitioner {
    prefix: Vec<u8>,
    next_keyless: AtomicU32,
}

impl Partitioner for PriorityPartitioner {
    fn partition(
        &self,
        _topic: &str,
        key: Option<&[u8]>,
        partition_count: i32,
        _available: &[i32],
    ) -> i32 {
        // With a single partition there is nothing to choose. (Never panic here: a bad
        // answer would only misplace a record, a panic would kill the sending task.)
        if partition_count <= 1 {
            return 0;
        }
        let others = partition_count - 1;
        match key {
            Some(key) if key.starts_with(&self.prefix) => 0,
            Some(key) => 1 + to_positive(murmur2(key)) % others,
            None => {
                let n = self.next_keyless.fetch_add(1, Ordering::Relaxed);
                1 + (n % others as u32) as i32
            }
        }
    }
}

async fn run(args: Args) -> AppResult {
    let count: u64 = args.number("count")?.unwrap_or_default();
    let topic = args.required("topic");
    let prefix = args.value("priority-prefix").unwrap_or("vip-").to_owned();
    let bootstrap = args.required("bootstrap");
    let partitions = app::partitions_of(bootstrap, args.properties(), topic).await?;
    if partitions.len() < 2 {
        return Err(AppError::Failed(format!(
            "topic `{topic}` has {} partition(s); this example needs at least 2",
            partitions.len()
        )));
    }
    // The config comes from `-X` properties as usual; the partitioner is set in code, since
    // an object has no string form.
    let mut config = app::producer_config(bootstrap, &[], args.properties(), false)?;
    config.custom_partitioner = Some(Arc::new(PriorityPartitioner {
        prefix: prefix.clone().into_bytes(),
        next_keyless: AtomicU32::new(0),
    }));
    let producer = Producer::new(config).await?;

    let mut deliveries = Vec::new();
    for i in 0..count {
        let key = if i % 2 == 0 {
            format!("{prefix}{i}")
        } else {
            records::key(i)
        };
        let record = ProducerRecord::new(topic)
            .key(key.clone())
            .value(records::value(i, None));
        deliveries.push((key, producer.send(record).await?));
    }
    let mut per_partition: BTreeMap<i32, (u64, u64)> = BTreeMap::new();
    let mut misplaced = 0;
    for (key, delivery) in deliveries {
        let metadata = delivery.await?;
        let priority = key.starts_with(&prefix);
        let entry = per_partition.entry(metadata.partition).or_default();
        if priority {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        if priority != (metadata.partition == 0) {
            misplaced += 1;
            eprintln!(
                "custom_partitioner: {key} landed on partition {}",
                metadata.partition
            );
        }
    }
    producer.close(Duration::from_secs(10)).await?;
    for (partition, (priority, normal)) in &per_partition {
        println!("partition {partition}: priority={priority} normal={normal}");
    }
    if misplaced > 0 {
        return Err(AppError::Failed(format!("{misplaced} records misplaced")));
    }
    println!("produced={count}");
    Ok(())
}

fn main() -> ExitCode {
    app::run(&SPEC, run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_keys_go_to_partition_zero_and_the_rest_elsewhere() {
        let p = PriorityPartitioner {
            prefix: b"vip-".to_vec(),
            next_keyless: AtomicU32::new(0),
        };
        for i in 0..100 {
            let vip = format!("vip-{i}");
            let normal = format!("key-{i}");
            assert_eq!(p.partition("t", Some(vip.as_bytes()), 4, &[]), 0);
            let n = p.partition("t", Some(normal.as_bytes()), 4, &[]);
            assert!((1..4).contains(&n), "{normal} -> {n}");
        }
        let keyless: Vec<i32> = (0..4).map(|_| p.partition("t", None, 3, &[])).collect();
        assert_eq!(keyless, [1, 2, 1, 2]);
        assert_eq!(p.partition("t", Some(b"key-1"), 1, &[]), 0);
    }
}
