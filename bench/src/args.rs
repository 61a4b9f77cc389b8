//! The command line. Scripts rely on it exactly, so it is parsed by hand here, in one place,
//! and every error names the flag and says what it takes.

use std::fmt;

use crate::values::ValueKind;

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Send `--records` records as fast as the client accepts them, then flush.
    Produce,
    /// Read `--records` records from the beginning of the topic (filled first if needed).
    Consume,
    /// Send one record, wait for its acknowledgement, repeat; percentiles of those waits.
    Latency,
    /// Transactions of `--txn-records` records each, one after the other, each committed.
    Transactions,
    /// Produce at `--rate` records/s while a consumer in the same process reads them:
    /// percentiles of the time from send to receipt.
    EndToEnd,
    /// `--members` consumers of one group (subscribed, each its own consumer) read the topic
    /// from the beginning together.
    Group,
}

impl Workload {
    /// The name used on the command line and in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Produce => "produce",
            Workload::Consume => "consume",
            Workload::Latency => "latency",
            Workload::Transactions => "transactions",
            Workload::EndToEnd => "e2e",
            Workload::Group => "group",
        }
    }
}

/// Which client library is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    /// This SDK (`kafkito`).
    Ours,
    /// librdkafka through the `rdkafka` crate.
    Rdkafka,
    /// InfluxData's `rskafka` crate.
    Rskafka,
}

impl Client {
    /// The name used on the command line and in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Client::Ours => "ours",
            Client::Rdkafka => "rdkafka",
            Client::Rskafka => "rskafka",
        }
    }
}

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct Args {
    pub workload: Workload,
    pub client: Client,
    /// `--bootstrap H:P`.
    pub bootstrap: String,
    pub topic: String,
    /// Records in the measured window (a warm-up record is sent before it).
    pub records: u64,
    /// Value size in bytes; keys are always the 16 bytes `key-%012d`.
    pub size: usize,
    /// Partitions of the topic the bench creates.
    pub partitions: i32,
    /// `compression.type`: none, gzip, snappy, lz4, zstd.
    pub compression: String,
    /// `linger.ms`; 5 (both clients' default) for produce, 0 for latency.
    pub linger_ms: u64,
    /// `acks`: 0, 1 or all (-1); 1 unless `--idempotence`, then all.
    pub acks: String,
    /// `enable.idempotence`.
    pub idempotence: bool,
    /// `batch.size` in bytes, the same for both clients (librdkafka's default, 1000000).
    pub batch_size: u64,
    /// Bytes of records a client may hold unsent before `send` waits: `buffer.memory` for
    /// ours, `queue.buffering.max.kbytes` for librdkafka. Java's default, 32 MiB, unless given.
    pub buffer_memory: u64,
    /// `max.in.flight.requests.per.connection`; each client's own default when absent.
    pub max_in_flight: Option<u32>,
    /// A broker process on this machine whose CPU time to report over the measured window.
    pub broker_pid: Option<u32>,
    /// `--values random|same`: what the values hold (see [`crate::values`]).
    pub values: ValueKind,
    /// `--tasks N`: producing tasks (threads for librdkafka) sharing one producer.
    pub tasks: u32,
    /// `--txn-records N`: records per transaction (transactions workload).
    pub txn_records: u64,
    /// `--rate N`: records per second the e2e workload produces.
    pub rate: u64,
    /// `--members N`: consumers in the group (group workload).
    pub members: u32,
    /// `--batch-stats` (produce): report the Produce requests and batches the run sent.
    pub batch_stats: bool,
}

pub const USAGE: &str = "\
usage: bench produce|consume|latency|transactions|e2e|group --client ours|rdkafka|rskafka
             --bootstrap HOST:PORT --topic T [--records N] [--size BYTES] [--partitions P]
             [--compression C] [--linger-ms L] [--acks 0|1|all] [--idempotence]
             [--batch-size BYTES] [--buffer-memory BYTES] [--max-in-flight N]
             [--broker-pid PID] [--values random|same] [--tasks N] [--txn-records N]
             [--rate N] [--members N] [--batch-stats]

Creates topic T with P partitions (if it does not exist), runs the workload and prints one
JSON line: client, workload, records, seconds, records_per_sec, mb_per_sec (MiB of values per
second), cpu_us_per_record (this process's user+sys CPU over the measured window per record),
p50_us, p99_us (latency only, else null), broker_cpu_us_per_record (with --broker-pid, else
null), peak_rss_mib (this process's peak resident memory), first_record_ms (consume and
group only: from creating the consumer(s) to the first records, which the throughput window
excludes), values, tasks, and for group only members. The effective client configuration
goes to stderr.

produce: the window runs from the first send to the last acknowledgement (librdkafka is
polled in 1 ms slices and its clock stops in the delivery report of the last record; no
flush). consume first writes N records of SIZE bytes into T with this SDK's producer unless T
already lists records, then reads N from the beginning of every partition (manual
assignment); the window runs from the first records to the last, and every key is checked to
arrive once with the value that was written for it.

--values random (default): values cut from a 4-symbol buffer, compressing like real data
(lz4 ~1.9x); same: every value is `x`s. --tasks N (produce): N tasks (librdkafka: threads)
share one producer, each sending every N-th record. transactions: --records records in
transactions of --txn-records (default 100) records each, one after the other, each committed
(an idempotent acks=all transactional producer); the window runs from the first
begin_transaction to the last commit (librdkafka: rdkafka's commit_transaction, which flushes).
e2e: a consumer reads T (every partition, from its end) while a producer in the same process
sends --records records at --rate records/s (default 10000); p50_us and p99_us are the times
from each send to its receipt (the send time travels in the value's first 8 bytes); both
consumers wait at most 10 ms in a Fetch (fetch.max.wait.ms).
group: like consume (T filled first unless it lists records), but --members consumers (default
3; tasks of this process for ours, threads for rdkafka), each its own consumer instance with
the same fresh group.id, subscribe to T and read it from the beginning together. The group
forms first: each member pauses whatever it is assigned until the members' assignments cover
the P partitions once, then seeks them to the beginning; the members start reading together.
The window runs from the first records any member receives to the last record of all; every
key must arrive once across the members (a duplicate or a loss fails the run). P must be at
least --members. Not written for rskafka (no consumer groups).
--batch-stats (produce, ours and rdkafka): also writes to stderr a line `bench: batches:`
with the Produce requests, record batches and records per batch of the measured window: a
broker's cost grows with the batches it appends, so this tells whether one client's records
cost the broker more. ours reads its producer metrics; librdkafka its statistics
(statistics.interval.ms=200, an emission every 200 ms inside the window, so its times are
not comparable with a run without the option).

defaults: --records 100000 --size 100 --partitions 1 --compression none
          --linger-ms 5 (0 for latency) --acks 1 (all with --idempotence)
          --batch-size 1000000 --buffer-memory 33554432 --values random --tasks 1
          --members 3";

/// A command line that does not parse.
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n\n{USAGE}", self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(msg: impl Into<String>) -> UsageError {
    UsageError(msg.into())
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, UsageError> {
    value
        .parse()
        .map_err(|_| usage(format!("{flag}: expected a number, got {value:?}")))
}

impl Args {
    /// Parses `argv` without the program name.
    pub fn parse<I: IntoIterator<Item = String>>(argv: I) -> Result<Args, UsageError> {
        let mut argv = argv.into_iter();
        let workload = match argv.next().as_deref() {
            Some("produce") => Workload::Produce,
            Some("consume") => Workload::Consume,
            Some("latency") => Workload::Latency,
            Some("transactions") => Workload::Transactions,
            Some("e2e") => Workload::EndToEnd,
            Some("group") => Workload::Group,
            Some("-h" | "--help") | None => return Err(usage("")),
            Some(other) => {
                return Err(usage(format!(
                    "unknown workload {other:?}: expected produce, consume, latency, transactions, e2e or group"
                )))
            }
        };

        let mut client = None;
        let mut bootstrap = None;
        let mut topic = None;
        let mut records = 100_000;
        let mut size = 100;
        let mut partitions = 1;
        let mut compression = "none".to_owned();
        let mut linger_ms = None;
        let mut acks = None;
        let mut idempotence = false;
        let mut batch_size = 1_000_000;
        let mut buffer_memory = 32 * 1024 * 1024;
        let mut max_in_flight = None;
        let mut batch_stats = false;
        let mut broker_pid = None;
        let mut values = ValueKind::Random;
        let mut tasks = 1;
        let mut txn_records = 100;
        let mut rate = 10_000;
        let mut members = 3;

        while let Some(arg) = argv.next() {
            // Accept both `--flag value` and `--flag=value`.
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_owned(), Some(value.to_owned()))
                }
                _ => (arg, None),
            };
            if flag == "--idempotence" {
                idempotence = true;
                continue;
            }
            if flag == "--batch-stats" {
                batch_stats = true;
                continue;
            }
            if flag == "-h" || flag == "--help" {
                return Err(usage(""));
            }
            let value = match inline.or_else(|| argv.next()) {
                Some(value) => value,
                None => return Err(usage(format!("{flag} needs a value"))),
            };
            match flag.as_str() {
                "--client" => {
                    client = Some(match value.as_str() {
                        "ours" => Client::Ours,
                        "rdkafka" => Client::Rdkafka,
                        "rskafka" => Client::Rskafka,
                        _ => {
                            return Err(usage(format!(
                                "--client: expected ours, rdkafka or rskafka, got {value:?}"
                            )))
                        }
                    })
                }
                "--bootstrap" => bootstrap = Some(value),
                "--topic" => topic = Some(value),
                "--records" => records = number(&flag, &value)?,
                "--size" => size = number(&flag, &value)?,
                "--partitions" => partitions = number(&flag, &value)?,
                "--compression" => {
                    if !["none", "gzip", "snappy", "lz4", "zstd"].contains(&value.as_str()) {
                        return Err(usage(format!(
                            "--compression: expected none, gzip, snappy, lz4 or zstd, got {value:?}"
                        )));
                    }
                    compression = value
                }
                "--linger-ms" => linger_ms = Some(number(&flag, &value)?),
                "--acks" => {
                    acks = Some(match value.as_str() {
                        "0" | "1" => value,
                        "all" | "-1" => "all".to_owned(),
                        _ => {
                            return Err(usage(format!(
                                "--acks: expected 0, 1 or all, got {value:?}"
                            )))
                        }
                    })
                }
                "--batch-size" => batch_size = number(&flag, &value)?,
                "--buffer-memory" => buffer_memory = number(&flag, &value)?,
                "--max-in-flight" => max_in_flight = Some(number(&flag, &value)?),
                "--broker-pid" => broker_pid = Some(number(&flag, &value)?),
                "--values" => {
                    values = match value.as_str() {
                        "random" => ValueKind::Random,
                        "same" => ValueKind::Same,
                        _ => {
                            return Err(usage(format!(
                                "--values: expected random or same, got {value:?}"
                            )))
                        }
                    }
                }
                "--tasks" => tasks = number(&flag, &value)?,
                "--txn-records" => txn_records = number(&flag, &value)?,
                "--rate" => rate = number(&flag, &value)?,
                "--members" => members = number(&flag, &value)?,
                _ => return Err(usage(format!("unknown flag {flag:?}"))),
            }
        }

        if records == 0 {
            return Err(usage("--records must be at least 1"));
        }
        if partitions < 1 {
            return Err(usage("--partitions must be at least 1"));
        }
        if buffer_memory < 1024 {
            return Err(usage("--buffer-memory must be at least 1024"));
        }
        if batch_size == 0 {
            return Err(usage("--batch-size must be at least 1"));
        }
        if tasks == 0 {
            return Err(usage("--tasks must be at least 1"));
        }
        if txn_records == 0 {
            return Err(usage("--txn-records must be at least 1"));
        }
        if rate == 0 {
            return Err(usage("--rate must be at least 1"));
        }
        if members == 0 {
            return Err(usage("--members must be at least 1"));
        }
        if workload == Workload::Group && i64::from(members) > i64::from(partitions) {
            return Err(usage(format!(
                "group needs --partitions of at least --members ({members}): \
                 a member without a partition would never read"
            )));
        }
        if workload == Workload::EndToEnd && size < 8 {
            return Err(usage(
                "e2e needs --size of at least 8 (the send time rides in the value)",
            ));
        }
        // Transactions need idempotence, hence acks=all, in both clients.
        let idempotence = idempotence || workload == Workload::Transactions;
        Ok(Args {
            workload,
            client: client.ok_or_else(|| usage("--client is required"))?,
            bootstrap: bootstrap.ok_or_else(|| usage("--bootstrap is required"))?,
            topic: topic.ok_or_else(|| usage("--topic is required"))?,
            records,
            size,
            partitions,
            compression,
            linger_ms: linger_ms.unwrap_or(match workload {
                Workload::Latency => 0,
                _ => 5,
            }),
            // Idempotence needs acks=all in both clients: make that the default with it.
            acks: acks.unwrap_or_else(|| if idempotence { "all" } else { "1" }.to_owned()),
            idempotence,
            batch_size,
            buffer_memory,
            max_in_flight,
            broker_pid,
            values,
            tasks,
            txn_records,
            rate,
            members,
            batch_stats,
        })
    }

    /// The producer settings both clients are given, under Kafka's (and librdkafka's) names.
    /// Each client adds only what has no counterpart in the other (see their modules).
    pub fn shared_producer_config(&self) -> Vec<(&'static str, String)> {
        let mut config = vec![
            ("bootstrap.servers", self.bootstrap.clone()),
            ("acks", self.acks.clone()),
            ("enable.idempotence", self.idempotence.to_string()),
            ("linger.ms", self.linger_ms.to_string()),
            ("batch.size", self.batch_size.to_string()),
            ("compression.type", self.compression.clone()),
        ];
        if let Some(n) = self.max_in_flight {
            config.push(("max.in.flight.requests.per.connection", n.to_string()));
        }
        config
    }

    /// The consumer settings both clients are given for `consume`: ours' defaults (Kafka's),
    /// written out so that librdkafka reads with the same limits. librdkafka calls the wait
    /// `fetch.wait.max.ms`; each client's module renames it. `check.crcs` is on in ours (and
    /// Java) by default, off in librdkafka: on for both.
    pub fn shared_consumer_config(&self) -> Vec<(&'static str, String)> {
        vec![
            ("bootstrap.servers", self.bootstrap.clone()),
            ("auto.offset.reset", "earliest".to_owned()),
            ("enable.auto.commit", "false".to_owned()),
            ("fetch.min.bytes", "1".to_owned()),
            ("fetch.max.bytes", "52428800".to_owned()),
            ("max.partition.fetch.bytes", "1048576".to_owned()),
            ("fetch.max.wait.ms", "500".to_owned()),
            ("check.crcs", "true".to_owned()),
        ]
    }
}

/// `fetch.max.wait.ms` of both clients' consumers in the e2e workload. The brokers here answer
/// a waiting Fetch only when its wait runs out, not when records arrive (measured: p50 about a
/// quarter to a half of the wait at 500 ms), so a short wait keeps the broker's wait out of
/// what is measured.
pub const E2E_FETCH_WAIT_MS: u64 = 10;

/// The key of record `i`: `key-%012d`, 16 bytes for any `i` below 10^12 (the low 12 digits
/// of larger ones).
///
/// Written digit by digit rather than with `write!`: every client's measured loop calls this
/// once per record, and `core::fmt` cost ~700 instructions a key (callgrind), a fifth of a
/// client's whole per-record cost, the same overhead added to every column.
pub fn record_key(i: u64, buf: &mut Vec<u8>) {
    let mut key = *b"key-000000000000";
    let mut n = i;
    for digit in key[4..].iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
    buf.clear();
    buf.extend_from_slice(&key);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Args, UsageError> {
        Args::parse(s.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn parses_the_fixed_command_line() {
        let args = parse(
            "produce --client rdkafka --bootstrap 127.0.0.1:9092 --topic t --records 10 \
             --size 100 --partitions 8 --compression lz4 --linger-ms 7",
        )
        .unwrap();
        assert_eq!(args.workload, Workload::Produce);
        assert_eq!(args.client, Client::Rdkafka);
        assert_eq!(args.bootstrap, "127.0.0.1:9092");
        assert_eq!(args.topic, "t");
        assert_eq!((args.records, args.size, args.partitions), (10, 100, 8));
        assert_eq!(args.compression, "lz4");
        assert_eq!(args.linger_ms, 7);
        assert_eq!(args.acks, "1");
        assert!(!args.idempotence);
        assert_eq!((args.values, args.tasks), (ValueKind::Random, 1));
        let args = parse("produce --client ours --bootstrap h:1 --topic t --values same --tasks 4")
            .unwrap();
        assert_eq!((args.values, args.tasks), (ValueKind::Same, 4));
    }

    #[test]
    fn group_takes_members_up_to_the_partitions() {
        let args =
            parse("group --client rdkafka --bootstrap h:1 --topic t --partitions 8").unwrap();
        assert_eq!((args.workload, args.members), (Workload::Group, 3));
        let args =
            parse("group --client ours --bootstrap h:1 --topic t --partitions 4 --members 4")
                .unwrap();
        assert_eq!(args.members, 4);
        for (line, expect) in [
            (
                "group --client ours --bootstrap h:1 --topic t",
                "--partitions of at least",
            ),
            (
                "group --client ours --bootstrap h:1 --topic t --partitions 8 --members 0",
                "--members must",
            ),
        ] {
            let err = parse(line).unwrap_err().to_string();
            assert!(err.contains(expect), "{line}: {err}");
        }
    }

    #[test]
    fn latency_lingers_zero_by_default() {
        let args = parse("latency --client ours --bootstrap h:1 --topic t").unwrap();
        assert_eq!(args.linger_ms, 0);
        let args = parse("produce --client ours --bootstrap h:1 --topic t --idempotence").unwrap();
        assert_eq!(args.linger_ms, 5);
        assert!(args.idempotence);
        assert_eq!(args.acks, "all");
        assert!(!args.batch_stats);
        let args = parse("produce --client ours --bootstrap h:1 --topic t --batch-stats").unwrap();
        assert!(args.batch_stats);
    }

    #[test]
    fn rejects_bad_input_naming_the_flag() {
        for (line, expect) in [
            ("produce --bootstrap h:1 --topic t", "--client is required"),
            ("produce --client x --bootstrap h:1 --topic t", "--client"),
            (
                "produce --client ours --bootstrap h:1 --topic t --records x",
                "--records",
            ),
            (
                "produce --client ours --bootstrap h:1 --topic t --bogus 1",
                "--bogus",
            ),
            (
                "produce --client ours --bootstrap h:1 --topic t --size",
                "--size needs",
            ),
            ("fly --client ours", "unknown workload"),
            (
                "produce --client ours --bootstrap h:1 --topic t --values zeros",
                "--values",
            ),
            (
                "produce --client ours --bootstrap h:1 --topic t --tasks 0",
                "--tasks",
            ),
        ] {
            let err = parse(line).unwrap_err().to_string();
            assert!(err.contains(expect), "{line}: {err}");
        }
    }

    #[test]
    fn keys_are_sixteen_bytes() {
        let mut buf = Vec::new();
        record_key(42, &mut buf);
        assert_eq!(buf, b"key-000000000042");
        record_key(999_999_999_999, &mut buf);
        assert_eq!(buf, b"key-999999999999");
        record_key(0, &mut buf);
        assert_eq!(buf, b"key-000000000000");
    }
}
