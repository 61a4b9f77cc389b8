//! A measurement, not a check: the cost of appending records to v2 batches the way the
//! producer does (`record_size_upper_bound`, then `try_append` into 16 KiB batches, finishing
//! each when full). Run it under callgrind in release mode to count instructions per record:
//!
//! ```text
//! cargo test --release -p kafkito-protocol --test append_cost --no-run
//! valgrind --tool=callgrind --toggle-collect='*append_cost*append_records*' \
//!     target/release/deps/append_cost-<hash> --ignored --exact append_one_million_records
//! ```
//!
//! With `--toggle-collect`, callgrind counts only the append loop (not the test harness or the
//! digest), so the "Collected" total divided by [`RECORDS`] is the cost of one record,
//! including its share of builder creation and `finish` (header and CRC-32C). The printed
//! digest lets two builds be compared for byte-identical output.

use std::hint::black_box;

use bytes::Bytes;
use kafkito_protocol::records::{Compression, RecordBatchBuilder};

const RECORDS: usize = 1_000_000;
const BATCH_SIZE: usize = 16 * 1024;
const KEY_LEN: usize = 16;
const VALUE_LEN: usize = 100;

/// The measured loop; kept out of line so callgrind can collect it alone.
#[inline(never)]
fn append_records(keys: &[[u8; KEY_LEN]], value: &[u8], batches: &mut Vec<Bytes>) {
    let mut builder = RecordBatchBuilder::with_capacity(Compression::None, BATCH_SIZE);
    for (i, key) in keys.iter().enumerate() {
        // Timestamps move slowly, as a busy producer's do: small positive deltas.
        let timestamp = 1_700_000_000_000 + (i / 64) as i64;
        // Opaque to the optimizer, as the application's records are to the producer: no
        // sizing folded into constants.
        let (key, value) = black_box((&key[..], value));
        let hint = RecordBatchBuilder::record_size_upper_bound(Some(key), Some(value), &[]);
        black_box(hint);
        let appended = builder
            .try_append(BATCH_SIZE, timestamp, Some(key), Some(value), &[])
            .expect("record fits the format");
        if appended.is_none() {
            let full = std::mem::replace(
                &mut builder,
                RecordBatchBuilder::with_capacity(Compression::None, BATCH_SIZE),
            );
            batches.push(full.finish().expect("batch has records"));
            builder
                .try_append(BATCH_SIZE, timestamp, Some(key), Some(value), &[])
                .expect("record fits the format")
                .expect("an empty batch takes any record");
        }
    }
    batches.push(builder.finish().expect("batch has records"));
}

#[test]
#[ignore = "measurement: run under callgrind in release mode (see the module doc)"]
fn append_one_million_records() {
    let keys: Vec<[u8; KEY_LEN]> = (0..RECORDS as u64)
        .map(|i| {
            let mut key = [b'k'; KEY_LEN];
            key[KEY_LEN - 8..].copy_from_slice(&i.to_be_bytes());
            key
        })
        .collect();
    let value: Vec<u8> = (0..VALUE_LEN).map(|i| i as u8).collect();
    let mut batches = Vec::with_capacity(RECORDS / 100);

    append_records(&keys, &value, &mut batches);

    let total: usize = batches.iter().map(Bytes::len).sum();
    let digest = batches
        .iter()
        .fold(0u32, |crc, batch| crc32c::crc32c_append(crc, batch));
    println!(
        "{RECORDS} records, {} batches, {total} bytes, digest {digest:08x}",
        batches.len()
    );
}
