//! `bench-mock-cluster [BROKERS]`: starts librdkafka's mock cluster (`test.mock.num.brokers`,
//! the same librdkafka as the bench's `rdkafka` client) in this process and serves it until
//! stdin closes or the process is killed. `scripts/bench` runs it so that every client, ours
//! included, can talk to a broker whose own cost is small, so the client's cost shows.
//!
//! Protocol, one line each: it first prints its bootstrap list (`host:port,…`) on stdout.
//! Then, for each line `TOPIC PARTITIONS` read from stdin, it creates that topic (the mock
//! answers no CreateTopics request, so clients cannot) and prints `ok TOPIC`, or
//! `error TOPIC: …`.
//!
//! The mock advertises the classic group APIs up to versions its handlers cannot read
//! (librdkafka 2.12.1): JoinGroup v6 and SyncGroup v4 are flexible, but their handlers read
//! the protocol and assignment arrays as plain int32-counted arrays, and the LeaveGroup
//! handler reads v0's single member id whatever the version. A client that takes the
//! advertised maximum (ours does) has the connection closed at its JoinGroup. librdkafka's own
//! consumer never asks for more than JoinGroup v5, SyncGroup v3, LeaveGroup v1 and Heartbeat
//! v3, so the mock is capped at those: every client then speaks what the mock reads.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use rdkafka::mocking::MockCluster;
use rdkafka::types::RDKafkaApiKey;

/// The classic group APIs' highest versions librdkafka's own consumer uses (see the module
/// comment).
const GROUP_API_CAPS: [(RDKafkaApiKey, i16); 4] = [
    (RDKafkaApiKey::JoinGroup, 5),
    (RDKafkaApiKey::SyncGroup, 3),
    (RDKafkaApiKey::LeaveGroup, 1),
    (RDKafkaApiKey::Heartbeat, 3),
];

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
    for (api, max) in GROUP_API_CAPS {
        if let Err(e) = cluster.apiversion(api, Some(0), Some(max)) {
            eprintln!("bench-mock-cluster: cannot cap {api:?} at v{max}: {e}");
            return ExitCode::from(1);
        }
    }
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
