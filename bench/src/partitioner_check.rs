//! Same key, same partition: this SDK's default partitioner against librdkafka's own
//! `murmur2_random` partitioner function, called directly through its C API over many keys
//! and partition counts. (The SDK's unit tests pin murmur2 to published vectors; this checks
//! the whole key → partition mapping against the C implementation itself.)

use kafkito::producer::{DefaultPartitioner, Partitioner};
use rdkafka::bindings::rd_kafka_msg_partitioner_murmur2_random;

fn librdkafka_partition(key: &[u8], partition_count: i32) -> i32 {
    // SAFETY: for a non-NULL key the murmur2 partitioners read only `key[..keylen]` and
    // `partition_cnt`; the topic handle and opaques are not touched, so NULL is fine.
    unsafe {
        rd_kafka_msg_partitioner_murmur2_random(
            std::ptr::null(),
            key.as_ptr().cast(),
            key.len(),
            partition_count,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    }
}

#[test]
fn default_partitioner_places_keys_like_librdkafka_murmur2_random() {
    let ours = DefaultPartitioner::default();
    // The bench's own keys, then pseudo-random bytes of every length up to 64 (all tails).
    let mut keys: Vec<Vec<u8>> = (0..5_000)
        .map(|i| {
            let mut key = Vec::new();
            crate::args::record_key(i, &mut key);
            key
        })
        .collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for len in 0..=64 {
        for _ in 0..50 {
            keys.push(
                (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        state as u8
                    })
                    .collect(),
            );
        }
    }
    for partition_count in [1, 2, 3, 7, 8, 16, 17, 100, 1000] {
        for key in &keys {
            assert_eq!(
                ours.partition("t", Some(key), partition_count, &[]),
                librdkafka_partition(key, partition_count),
                "key {key:?}, {partition_count} partitions"
            );
        }
    }
}
