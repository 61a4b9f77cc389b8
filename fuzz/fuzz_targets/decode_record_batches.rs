//! Any bytes, read as a Fetch response's records field, must decode or fail with an error:
//! no panic, no allocation beyond what the input justifies (libFuzzer's -rss_limit_mb and
//! -malloc_limit_mb catch that).
#![no_main]

use bytes::Bytes;
use kafkito_protocol::records::{decode_batches_with, DecodeOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = DecodeOptions {
        max_decompressed_bytes: 16 << 20,
        ..DecodeOptions::default()
    };
    let _ = decode_batches_with(Bytes::copy_from_slice(data), &options);
});
