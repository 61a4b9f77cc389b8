//! The cost of each compression codec on a producer's batches: builds `BATCHES` record batches
//! of about 1 MB (100-byte values from a 4-symbol alphabet, 16-byte keys, as `scripts/bench`
//! writes them), compresses each with the codec named on the command line, then decodes them
//! all. Meant to be counted with callgrind, whose instruction counts do not depend on what else
//! the machine is doing:
//!
//! ```text
//! cargo build --release -p kafkito-protocol --example codec_cost
//! valgrind --tool=callgrind target/release/examples/codec_cost lz4
//! valgrind --tool=callgrind target/release/examples/codec_cost none
//! ```
//!
//! The difference of the two totals, divided by the records (printed), is the codec's cost
//! per record; `bench/results/` keeps the measurements that decided a codec setting.

use kafkito_protocol::records::{decode_batches, Compression, RecordBatchBuilder};

const BATCHES: usize = 4;
const RECORDS_PER_BATCH: usize = 8_000;
const VALUE_SIZE: usize = 100;

fn main() {
    let codec = match std::env::args().nth(1).as_deref() {
        Some("none") | None => Compression::None,
        Some("gzip") => Compression::Gzip,
        Some("snappy") => Compression::Snappy,
        Some("lz4") => Compression::Lz4,
        Some("zstd") => Compression::Zstd,
        Some(other) => {
            eprintln!("codec_cost: unknown codec {other:?} (none, gzip, snappy, lz4, zstd)");
            std::process::exit(2);
        }
    };
    // The bench's values: xorshift64* over "ACGT", the same seed.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut symbols = Vec::with_capacity(BATCHES * RECORDS_PER_BATCH * VALUE_SIZE);
    while symbols.len() < BATCHES * RECORDS_PER_BATCH * VALUE_SIZE {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let mut bits = state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        for _ in 0..32 {
            symbols.push(b"ACGT"[(bits & 3) as usize]);
            bits >>= 2;
        }
    }
    let mut encoded = Vec::with_capacity(BATCHES);
    let (mut raw, mut compressed) = (0usize, 0usize);
    for b in 0..BATCHES {
        let mut batch = RecordBatchBuilder::new(codec);
        for r in 0..RECORDS_PER_BATCH {
            let i = b * RECORDS_PER_BATCH + r;
            let key = format!("key-{i:012}");
            let value = &symbols[i * VALUE_SIZE..(i + 1) * VALUE_SIZE];
            batch
                .append(1_700_000_000_000, Some(key.as_bytes()), Some(value), &[])
                .expect("append");
        }
        raw += batch.uncompressed_size();
        let bytes = batch.finish().expect("finish");
        compressed += bytes.len();
        encoded.push(bytes);
    }
    let mut decoded = 0usize;
    for bytes in &encoded {
        for batch in decode_batches(bytes.clone()).expect("decode").batches {
            decoded += batch.records.len();
        }
    }
    assert_eq!(decoded, BATCHES * RECORDS_PER_BATCH);
    println!(
        "codec={codec:?} records={decoded} raw={raw} compressed={compressed} ratio={:.2}",
        raw as f64 / compressed as f64
    );
}
