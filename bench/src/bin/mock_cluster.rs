//! `bench-mock-cluster [BROKERS]`: starts librdkafka's mock cluster (`test.mock.num.brokers`,
//! the same librdkafka as the bench's `rdkafka` client) in this process and serves it until
//! stdin closes or the process is killed. `scripts/bench` runs it so that every client, ours
//! included, can talk to a broker whose own cost is small, so the client's cost shows.
//!
//! Protocol, one line each: it first prints its bootstrap list (`host:port,…`) on stdout.
//! Then, for each line `TOPIC PARTITIONS` read from stdin, it creates that topic (the mock
//! answers no CreateTopics request, so clients cannot) and prints `ok TOPIC`, or
//! `error TOPIC: …`.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use rdkafka::mocking::MockCluster;

fn main() -> ExitCode {
    let brokers: i32 = match std::env::args().nth(1).map(|s| s.parse()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            eprintln!("usage: bench-mock-cluster [BROKERS (>= 1)]");
            return ExitCode::from(2);
        }
    };
    let cluster = match MockCluster::new(brokers) {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("bench-mock-cluster: cannot start a mock cluster: {e}");
            return ExitCode::from(1);
        }
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "{}", cluster.bootstrap_servers())
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(1);
    }
    // The mock brokers run on librdkafka's threads; this one only takes topic requests.
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split_whitespace();
        let reply = match (words.next(), words.next().map(str::parse::<i32>)) {
            (Some(topic), Some(Ok(partitions))) if partitions >= 1 => {
                match cluster.create_topic(topic, partitions, 1) {
                    Ok(()) => format!("ok {topic}"),
                    Err(e) => format!("error {topic}: {e}"),
                }
            }
            _ => format!("error {line:?}: expected `TOPIC PARTITIONS`"),
        };
        if writeln!(stdout, "{reply}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
    drop(cluster);
    ExitCode::SUCCESS
}
