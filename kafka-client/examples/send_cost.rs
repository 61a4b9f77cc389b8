//! A produce micro-workload for counting instructions with callgrind (deterministic, unlike
//! wall-clock timings on a shared machine): `N` records through `send_and_forget` and one
//! `flush`, against an in-process `kafkito-testkit` broker, on one thread. The per-record cost
//! is the difference of two runs divided by the difference of their `N`:
//!
//! ```text
//! cargo build --release -p kafkito --example send_cost [--features metrics]
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/send_cost 20000
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/send_cost 120000
//! ```
//!
//! (`Collected` in the summary is the instruction count.) Used to check that the metrics cost
//! the hot path nothing measurable (issue 21).

mod common;

fn main() {
    let n = common::records();
    common::with_cluster(|cluster| async move {
        common::produce(&cluster.bootstrap(), n).await;
    });
}
