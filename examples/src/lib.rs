//! Runnable examples of the SDK live in `src/bin/`; this library holds what they share.
//!
//! | program | shows |
//! | --- | --- |
//! | `producer` | a quick start: N keyed records, with acks, compression and partitioner choices |
//! | `consumer` | a quick start: N records printed as JSON lines |
//! | `at_most_once` | commit before processing: a crash loses records, never repeats them |
//! | `at_least_once` | process, flush, then commit: a crash repeats records, never loses them |
//! | `exactly_once` | transactions with `send_offsets_to_transaction`: neither |
//! | `verify` | counts the `processed-i` records of an output topic: lost and duplicated |
//! | `custom_partitioner` | a [`Partitioner`](kafkito::producer::Partitioner) of one's own |
//! | `dead_letter` | retries with backoff, then a dead-letter topic with error headers |
//! | `retry_topics` | non-blocking retries through retry topics, then a dead-letter topic ([`kafkito::retry_topics`]) |
//!
//! Every program takes `--help`, and repeated `-X key=value` Kafka properties handed to its
//! clients (a bad key or value exits non-zero, naming it). `scripts/demo` runs the semantics
//! examples against a throwaway broker, crashing each once.
//!
//! Every program shows the client's `tracing` events on stderr, filtered by `RUST_LOG`
//! (`RUST_LOG=kafkito=debug` for connects, retries, rebalances, commits and transaction
//! state changes); see [`logging`].
//!
//! Modules: [`cli`] (command lines), [`app`] (running, exit codes, configs from `-X`),
//! [`logging`] (the `RUST_LOG` subscriber),
//! [`records`] (record naming, JSON, the verify tally), [`pipeline`] (the consume-transform-
//! produce loop of the semantics examples).

#![warn(missing_docs)]

pub mod app;
pub mod cli;
pub mod logging;
pub mod pipeline;
pub mod records;
