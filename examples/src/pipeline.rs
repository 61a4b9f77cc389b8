//! The consume-transform-produce loop the three delivery-semantics examples share: reading the
//! input topic from the group's committed position, turning `value-i` into `processed-i`,
//! simulating a crash after `--crash-after K` records, and knowing when the input is done.
//!
//! What differs between at-most-once, at-least-once and exactly-once is *when* the position
//! is committed relative to the output being written; that stays in each program's `main`,
//! where a reader can see it in one screen.
//!
//! # Which partitions, and why not `subscribe` by default
//!
//! Each program reads every partition of the input topic with [`Consumer::assign`], using
//! `group.id` only for its committed offsets. A restarted instance then resumes at once. With
//! `--subscribe` it joins the group instead (the usual deployment when several instances share
//! the work); a restart right after a crash then waits for the broker to expire the crashed
//! member's session (`session.timeout.ms`) before the group rebalances, which is why the demo
//! does not use it.
//!
//! # "Consumed to the end of the input topic"
//!
//! The run is done when the positions of *all* input partitions are known, add up to at least
//! `--count` N, and each partition is caught up with the end its last Fetch reported (lag 0).
//!
//! The count is the main test. When the input was written by a non-transactional producer
//! into a fresh topic, as the demo's is, each partition's offsets run from 0 with no gaps, so
//! a partition's position — the offset of the next record to read — is the number of its
//! records consumed so far, by this run and by every run before it (whose progress the
//! committed offsets carry over). Summing positions, rather than counting the records this run
//! returned, stays right when a rebalance makes the consumer read some records twice.
//!
//! The lag guards against gaps in the offsets (transaction markers, compaction), which make
//! positions overstate what was read: with the sum at N but a lag left, the run reads on until
//! the lag is gone — or until nothing arrives for [`END_GRACE`], when it stops with a warning
//! rather than wait on an end that may be stale.
//!
//! ListOffsets is not asked for the end on purpose: tansu's "latest" is wrong after
//! multi-record batches, whereas the Fetch answers' high watermark is right, and N is what the
//! user asked to process anyway. If the records run out before N (a wrong `--count`), the run
//! fails after [`STALL_TIMEOUT`] without progress instead of hanging.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use kafkito::consumer::{Consumer, ConsumerRecord, TopicPartition};
use kafkito::producer::ProducerRecord;

use crate::app::{self, AppError, AppResult};
use crate::cli::{Args, Opt};
use crate::records;

/// The options of `at_most_once`, `at_least_once` and `exactly_once`.
pub const OPTIONS: &[Opt] = &[
    Opt::required("bootstrap", "H:P", "a broker to bootstrap from"),
    Opt::required(
        "input-topic",
        "I",
        "topic to read `value-i` records from (must exist)",
    ),
    Opt::required(
        "output-topic",
        "O",
        "topic to write `processed-i` records to (must exist)",
    ),
    Opt::required(
        "group",
        "G",
        "consumer group whose committed offsets the run resumes from",
    ),
    Opt::required(
        "count",
        "N",
        "records in the input topic; the run exits 0 once all N are consumed",
    ),
    Opt::optional(
        "crash-after",
        "K",
        "exit abruptly (code 3: no flush, no commit) after processing K records",
    ),
    Opt::optional(
        "work-ms",
        "MS",
        "simulated processing time per record (default 0), so that output is under way when \
         a crash comes",
    ),
    Opt::switch(
        "subscribe",
        "join the group (subscribe) instead of assigning every partition; see the docs",
    ),
];

/// How long a run may see no records before it gives up (the input ran out before N).
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// With the count reached but a lag left, how long to wait for more records before calling
/// the input done anyway (see the module docs).
pub const END_GRACE: Duration = Duration::from_secs(2);

/// One poll's wait.
const POLL_TIMEOUT: Duration = Duration::from_millis(500);

/// The parsed arguments of a semantics example.
#[derive(Debug, Clone)]
pub struct PipelineArgs {
    /// `--bootstrap`.
    pub bootstrap: String,
    /// `--input-topic`.
    pub input: String,
    /// `--output-topic`.
    pub output: String,
    /// `--group`.
    pub group: String,
    /// `--count`.
    pub count: u64,
    /// `--crash-after`.
    pub crash_after: Option<u64>,
    /// `--work-ms`: simulated processing time per record.
    pub work: Duration,
    /// `--subscribe`.
    pub subscribe: bool,
    /// The `-X` properties.
    pub properties: Vec<(String, String)>,
}

impl PipelineArgs {
    /// Reads them out of a command line parsed with [`OPTIONS`].
    pub fn from_args(args: &Args) -> AppResult<PipelineArgs> {
        Ok(PipelineArgs {
            bootstrap: args.required("bootstrap").to_owned(),
            input: args.required("input-topic").to_owned(),
            output: args.required("output-topic").to_owned(),
            group: args.required("group").to_owned(),
            count: args.number("count")?.unwrap_or_default(),
            crash_after: args.number("crash-after")?,
            work: Duration::from_millis(args.number("work-ms")?.unwrap_or(0)),
            subscribe: args.switch("subscribe"),
            properties: args.properties().to_vec(),
        })
    }
}

/// The consuming half of a semantics example, with its progress. See the module docs.
#[derive(Debug)]
pub struct Pipeline {
    program: &'static str,
    /// The arguments it runs with.
    pub args: PipelineArgs,
    /// Every partition of the input topic.
    pub partitions: Vec<TopicPartition>,
    /// The consumer of the input topic.
    pub consumer: Consumer,
    processed: u64,
    last_progress: Instant,
}

impl Pipeline {
    /// Creates the consumer (`group.id` from `--group`, `auto.offset.reset=earliest`, no auto
    /// commit, then `consumer_defaults`, then the user's `-X`), takes the input partitions,
    /// and reports on stderr where the group's committed offsets resume.
    pub async fn start(
        program: &'static str,
        args: PipelineArgs,
        consumer_defaults: &[(&str, &str)],
    ) -> AppResult<Pipeline> {
        let mut defaults = vec![
            ("group.id", args.group.as_str()),
            ("auto.offset.reset", "earliest"),
            ("enable.auto.commit", "false"),
            // Small polls: a crash then loses (or repeats) at most about one poll's worth.
            ("max.poll.records", "100"),
            ("fetch.max.wait.ms", "100"),
        ];
        defaults.extend_from_slice(consumer_defaults);
        let mut consumer =
            app::consumer(&args.bootstrap, &defaults, &args.properties, true).await?;
        let partitions = app::partitions_of(&args.bootstrap, &args.properties, &args.input).await?;
        let committed: HashMap<TopicPartition, Option<i64>> = consumer
            .committed(&partitions)
            .await?
            .into_iter()
            .map(|(tp, found)| (tp, found.map(|c| c.offset)))
            .collect();
        let resumed: i64 = committed.values().flatten().sum();
        eprintln!(
            "{program}: group `{}` resumes {} at {resumed} of {} records (committed: {})",
            args.group,
            args.input,
            args.count,
            describe(&partitions, |tp| committed.get(tp).copied().flatten()),
        );
        if args.crash_after == Some(0) {
            app::crash(program, 0);
        }
        if args.subscribe {
            consumer.subscribe(&[args.input.as_str()])?;
        } else {
            consumer.assign(partitions.clone())?;
        }
        Ok(Pipeline {
            program,
            args,
            partitions,
            consumer,
            processed: 0,
            last_progress: Instant::now(),
        })
    }

    /// The next batch of input records, or `None` once the input is consumed to the end (see
    /// the module docs). Fails when no record came for [`STALL_TIMEOUT`].
    pub async fn next_batch(&mut self) -> AppResult<Option<Vec<ConsumerRecord>>> {
        let mut counted_since: Option<Instant> = None;
        loop {
            if self.counted_to_end() {
                if self.caught_up() {
                    return Ok(None);
                }
                // The count says done, a lag says there is more: gaps in the offsets, or a
                // stale end. Read on for a while (module docs).
                let since = *counted_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= END_GRACE {
                    eprintln!(
                        "{}: {} records counted but a lag remains and nothing came for \
                         {END_GRACE:?}: taking the input as done",
                        self.program,
                        self.consumed()
                    );
                    return Ok(None);
                }
            }
            let records = self.consumer.poll(POLL_TIMEOUT).await?;
            if !records.is_empty() {
                self.last_progress = Instant::now();
                return Ok(Some(records));
            }
            if counted_since.is_none() && self.last_progress.elapsed() > STALL_TIMEOUT {
                return Err(AppError::Failed(format!(
                    "no input for {STALL_TIMEOUT:?} with {} of {} records consumed: is --count \
                     right? (positions: {})",
                    self.consumed(),
                    self.args.count,
                    describe(&self.partitions, |tp| self.consumer.position(tp)),
                )));
            }
        }
    }

    /// Records consumed from the input by every run so far: the sum of the known positions.
    pub fn consumed(&self) -> i64 {
        self.partitions
            .iter()
            .filter_map(|tp| self.consumer.position(tp))
            .sum()
    }

    /// Every partition's lag, as of its last Fetch, is zero.
    fn caught_up(&self) -> bool {
        self.partitions
            .iter()
            .all(|tp| self.consumer.lag(tp) == Some(0))
    }

    fn counted_to_end(&self) -> bool {
        self.partitions
            .iter()
            .all(|tp| self.consumer.position(tp).is_some())
            && u64::try_from(self.consumed()).unwrap_or_default() >= self.args.count
    }

    /// The positions (next offset to read) of the assigned partitions: what a commit of
    /// "everything returned so far" carries.
    pub fn positions(&self) -> HashMap<TopicPartition, i64> {
        self.consumer
            .assignment()
            .into_iter()
            .filter_map(|tp| self.consumer.position(&tp).map(|p| (tp, p)))
            .collect()
    }

    /// The output record of an input record: `processed-i`, same key.
    pub fn transform(&self, record: &ConsumerRecord) -> ProducerRecord {
        let mut out = ProducerRecord::new(self.args.output.as_str())
            .value(records::transform(record.value.as_deref()));
        if let Some(key) = &record.key {
            out = out.key(key.clone());
        }
        out
    }

    /// Finishes processing one record — after `--work-ms` of simulated work — and crashes
    /// the process if that was the `--crash-after` K-th record of this run.
    pub async fn processed(&mut self) {
        if !self.args.work.is_zero() {
            tokio::time::sleep(self.args.work).await;
        }
        self.processed += 1;
        if self.args.crash_after == Some(self.processed) {
            app::crash(self.program, self.processed);
        }
    }

    /// Records processed by this run.
    pub fn processed_count(&self) -> u64 {
        self.processed
    }

    /// The line a run ends with on stdout.
    pub fn report(&self) {
        println!(
            "{}: processed={} consumed={} of {} (input {} consumed to the end)",
            self.program,
            self.processed,
            self.consumed(),
            self.args.count,
            self.args.input
        );
    }
}

/// `p0=12 p1=- …` for logs.
fn describe(
    partitions: &[TopicPartition],
    offset: impl Fn(&TopicPartition) -> Option<i64>,
) -> String {
    partitions
        .iter()
        .map(|tp| match offset(tp) {
            Some(o) => format!("p{}={o}", tp.partition),
            None => format!("p{}=-", tp.partition),
        })
        .collect::<Vec<_>>()
        .join(" ")
}
