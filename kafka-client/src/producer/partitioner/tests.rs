use super::*;
use std::collections::HashSet;

/// Kafka's `UtilsTest.testMurmur2` (clients/src/test/java/org/apache/kafka/common/utils).
const JAVA_VECTORS: &[(&[u8], i32)] = &[
    (b"21", -973932308),
    (b"foobar", -790332482),
    (b"a-little-bit-long-string", -985981536),
    (b"a-little-bit-longer-string", -1486304829),
    (
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
        -58897971,
    ),
    (b"abc", 479470107),
];

/// librdkafka's `unittest_murmur2` (src/rdmurmur2.c), whose expected values were produced
/// by the Java client; they cover every tail length (0-3 bytes) and the empty input.
const LIBRDKAFKA_VECTORS: &[(&[u8], u32)] = &[
    (b"kafka", 0xd067cf64),
    (b"giberish123456789", 0x8f552b0c),
    (b"1234", 0x9fc97b14),
    (b"234", 0xe7c009ca),
    (b"34", 0x873930da),
    (b"4", 0x5a4b5ca1),
    (b"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424f1c),
    (b"reAmbleWillBeRemoved,ThePrePartThatIs", 0x4a62b377),
    (b"eAmbleWillBeRemoved,ThePrePartThatIs", 0xe0e4e09e),
    (b"AmbleWillBeRemoved,ThePrePartThatIs", 0x62b8b43f),
    (b"", 0x106e08d9),
];

#[test]
fn murmur2_matches_java_utils_test() {
    for &(input, expected) in JAVA_VECTORS {
        assert_eq!(
            murmur2(input),
            expected,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn murmur2_matches_librdkafka_unittest() {
    for &(input, expected) in LIBRDKAFKA_VECTORS {
        assert_eq!(
            murmur2(input),
            expected as i32,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

/// librdkafka's `tests/0048-partitioner.c` expects these partitions from
/// `partitioner=murmur2_random` for 7 and 17 partitions (its hashes come from the Java
/// client's murmur2, via `tests/java/Murmur2Cli`). An empty key is hashed, not random.
#[test]
fn keyed_partitions_match_librdkafka_murmur2_random() {
    let cases: &[(&[u8], i32)] = &[
        (b"", 0x106e08d9),
        (b"23456", 0x058d780f),
        (
            b"this is another string with more length to it perhaps",
            0x4f7703da,
        ),
        (b"hejsan", 0x5ec19395),
    ];
    let partitioner = DefaultPartitioner::default();
    for partition_count in [7, 17] {
        for &(key, hash) in cases {
            assert_eq!(
                partitioner.partition("t", Some(key), partition_count, &[]),
                hash % partition_count,
                "key {:?}, {partition_count} partitions",
                String::from_utf8_lossy(key)
            );
        }
    }
}

#[test]
fn to_positive_is_javas_mask_not_abs() {
    assert_eq!(to_positive(0), 0);
    assert_eq!(to_positive(5), 5);
    assert_eq!(to_positive(-1), 0x7fff_ffff);
    assert_eq!(to_positive(i32::MIN), 0);
    // "21" hashes negative: Java's partition uses the mask, which differs from abs.
    let h = murmur2(b"21");
    assert_eq!(to_positive(h), h & 0x7fff_ffff);
    assert_ne!(to_positive(h) % 7, h.unsigned_abs() as i32 % 7);
}

#[test]
fn keyed_records_ignore_availability_and_stickiness() {
    let p = DefaultPartitioner::default();
    let expected = to_positive(murmur2(b"foobar")) % 10;
    // Java hashes keys over all partitions, available or not.
    assert_eq!(
        p.partition("t", Some(b"foobar"), 10, &[expected + 1]),
        expected
    );
    p.on_new_batch("t", expected, 10, &[]);
    assert_eq!(p.partition("t", Some(b"foobar"), 10, &[]), expected);
}

#[test]
fn keyless_records_stick_until_a_new_batch_on_that_partition() {
    let p = DefaultPartitioner::default();
    let first = p.partition("t", None, 8, &[]);
    assert!((0..8).contains(&first));
    for _ in 0..100 {
        assert_eq!(p.partition("t", None, 8, &[]), first);
    }
    // A new batch on some other partition (e.g. started by a keyed record) changes nothing.
    let other = (first + 1) % 8;
    p.on_new_batch("t", other, 8, &[]);
    assert_eq!(p.partition("t", None, 8, &[]), first);
    // A new batch on the sticky partition moves the topic to a different one, once.
    p.on_new_batch("t", first, 8, &[]);
    let second = p.partition("t", None, 8, &[]);
    assert_ne!(second, first);
    assert!((0..8).contains(&second));
    // A late second notification for the old partition must not move it again.
    p.on_new_batch("t", first, 8, &[]);
    assert_eq!(p.partition("t", None, 8, &[]), second);
}

#[test]
fn sticky_partition_is_per_topic() {
    let p = DefaultPartitioner::default();
    let a = p.partition("a", None, 1000, &[]);
    let b = p.partition("b", None, 1000, &[]);
    p.on_new_batch("a", a, 1000, &[]);
    assert_ne!(p.partition("a", None, 1000, &[]), a);
    assert_eq!(p.partition("b", None, 1000, &[]), b);
}

#[test]
fn sticky_switching_eventually_visits_every_partition() {
    let p = UniformStickyPartitioner::default();
    let mut seen = HashSet::new();
    for _ in 0..1000 {
        let current = p.partition("t", None, 4, &[]);
        seen.insert(current);
        p.on_new_batch("t", current, 4, &[]);
    }
    assert_eq!(seen, HashSet::from([0, 1, 2, 3]));
}

#[test]
fn sticky_chooses_only_available_partitions() {
    let p = DefaultPartitioner::default();
    let available = [2, 5, 7];
    for _ in 0..200 {
        let current = p.partition("t", None, 8, &available);
        assert!(available.contains(&current), "{current}");
        p.on_new_batch("t", current, 8, &available);
        let next = p.partition("t", None, 8, &available);
        assert_ne!(next, current);
    }
}

#[test]
fn sticky_with_one_partition_or_one_available_stays_put() {
    let p = DefaultPartitioner::default();
    assert_eq!(p.partition("one", None, 1, &[]), 0);
    p.on_new_batch("one", 0, 1, &[]);
    assert_eq!(p.partition("one", None, 1, &[]), 0);

    assert_eq!(p.partition("t", None, 6, &[4]), 4);
    p.on_new_batch("t", 4, 6, &[4]);
    assert_eq!(p.partition("t", None, 6, &[4]), 4);
}

#[test]
fn sticky_moves_off_a_partition_that_is_no_longer_available() {
    let p = DefaultPartitioner::default();
    let current = p.partition("t", None, 4, &[]);
    // The leader of `current` went away and the accumulator started a batch elsewhere...
    let available: Vec<i32> = (0..4).filter(|&q| q != current).collect();
    p.on_new_batch("t", current, 4, &available);
    assert!(available.contains(&p.partition("t", None, 4, &available)));
}

#[test]
fn uniform_sticky_ignores_keys() {
    let p = UniformStickyPartitioner::default();
    let first = p.partition("t", Some(b"a"), 16, &[]);
    for key in [&b"b"[..], b"foobar", b""] {
        assert_eq!(p.partition("t", Some(key), 16, &[]), first);
    }
    assert_eq!(p.partition("t", None, 16, &[]), first);
    p.on_new_batch("t", first, 16, &[]);
    assert_ne!(p.partition("t", Some(b"a"), 16, &[]), first);
}

#[test]
fn round_robin_cycles_over_all_partitions_ignoring_keys() {
    let p = RoundRobinPartitioner::default();
    let picks: Vec<i32> = (0..7)
        .map(|i| {
            let key = format!("key-{i}");
            p.partition("t", Some(key.as_bytes()), 3, &[])
        })
        .collect();
    assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
}

#[test]
fn round_robin_cycles_over_available_partitions_only() {
    let p = RoundRobinPartitioner::default();
    let picks: Vec<i32> = (0..6)
        .map(|_| p.partition("t", None, 10, &[1, 4, 9]))
        .collect();
    assert_eq!(picks, [1, 4, 9, 1, 4, 9]);
}

#[test]
fn round_robin_counter_is_per_topic_and_not_moved_by_new_batches() {
    let p = RoundRobinPartitioner::default();
    assert_eq!(p.partition("a", None, 4, &[]), 0);
    assert_eq!(p.partition("a", None, 4, &[]), 1);
    assert_eq!(p.partition("b", None, 4, &[]), 0);
    p.on_new_batch("a", 1, 4, &[]);
    assert_eq!(p.partition("a", None, 4, &[]), 2);
}

#[test]
fn round_robin_wraps_like_java_int() {
    let p = RoundRobinPartitioner::default();
    lock(&p.counters).insert("t".to_owned(), i32::MAX);
    // MAX, then MIN (to_positive -> 0), then MIN + 1 (-> 1).
    assert_eq!(p.partition("t", None, 5, &[]), i32::MAX % 5);
    assert_eq!(p.partition("t", None, 5, &[]), 0);
    assert_eq!(p.partition("t", None, 5, &[]), 1);
}

#[test]
fn kinds_build_the_matching_partitioner() {
    let debug = |kind: PartitionerKind| format!("{:?}", kind.build());
    assert!(debug(PartitionerKind::Default).starts_with("DefaultPartitioner"));
    assert!(debug(PartitionerKind::RoundRobin).starts_with("RoundRobinPartitioner"));
    assert!(debug(PartitionerKind::UniformSticky).starts_with("UniformStickyPartitioner"));
    assert_eq!(PartitionerKind::default(), PartitionerKind::Default);
}

#[test]
fn parse_accepts_short_and_java_names() {
    use PartitionerKind::*;
    let cases = [
        ("default", Some(Default)),
        ("Default", Some(Default)),
        ("murmur2_random", Some(Default)),
        (
            "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
            Some(Default),
        ),
        ("round-robin", Some(RoundRobin)),
        ("roundrobin", Some(RoundRobin)),
        ("round_robin", Some(RoundRobin)),
        (
            "org.apache.kafka.clients.producer.RoundRobinPartitioner",
            Some(RoundRobin),
        ),
        ("uniform-sticky", Some(UniformSticky)),
        (
            " org.apache.kafka.clients.producer.UniformStickyPartitioner ",
            Some(UniformSticky),
        ),
        ("", None),
        ("random", None),
        ("com.example.MyPartitioner", None),
    ];
    for (input, expected) in cases {
        assert_eq!(PartitionerKind::parse(input), expected, "{input:?}");
    }
}

#[test]
fn partitioners_are_shareable_across_threads() {
    let p = PartitionerKind::Default.build();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let p = Arc::clone(&p);
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    let q = p.partition("t", None, 8, &[]);
                    assert!((0..8).contains(&q));
                    p.on_new_batch("t", q, 8, &[]);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}
