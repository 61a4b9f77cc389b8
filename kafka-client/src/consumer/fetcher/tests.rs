use super::*;
use crate::consumer::OffsetReset;
use kafkito_protocol::messages::fetch_response::FetchableTopicResponse;
use kafkito_protocol::messages::Message;
use kafkito_protocol::records::{Compression, RecordBatchBuilder};

fn tp() -> TopicPartition {
    TopicPartition::new("t", 0)
}

/// A batch at `base` with one record per value, from `producer` (transactional if
/// `producer >= 0`).
fn batch(base: i64, producer: i64, values: &[&str]) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.base_offset(base);
    if producer >= 0 {
        b.producer_state(producer, 0, 0);
        b.transactional(true);
    }
    for v in values {
        b.append(1000 + base, Some(b"k"), Some(v.as_bytes()), &[])
            .unwrap();
    }
    b.finish().unwrap().to_vec()
}

fn marker(offset: i64, producer: i64, commit: bool) -> Vec<u8> {
    let mut b = RecordBatchBuilder::new(Compression::None);
    b.base_offset(offset);
    b.producer_state(producer, 0, 0);
    b.transactional(true);
    b.control(true);
    let record = if commit {
        ControlRecord::commit(0)
    } else {
        ControlRecord::abort(0)
    };
    b.append_control(1000, &record).unwrap();
    b.finish().unwrap().to_vec()
}

fn values(records: &[ConsumerRecord]) -> Vec<String> {
    records
        .iter()
        .map(|r| String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap())
        .collect()
}

fn drain_all(fetch: &mut CompletedFetch) -> Vec<ConsumerRecord> {
    let mut out = Vec::new();
    fetch.drain(usize::MAX, &mut out).unwrap();
    assert!(fetch.is_consumed());
    out
}

/// Producers 1 and 2 interleave: 1 commits, 2 aborts, then 2 commits a second
/// transaction; a non-transactional batch sits in the middle. The crafted response goes
/// through the real codec (encode + decode at v12) first.
#[test]
fn read_committed_drops_aborted_transactions() {
    let mut log = Vec::new();
    log.extend(batch(0, 1, &["p1-a", "p1-b"])); // 0-1
    log.extend(batch(2, 2, &["p2-aborted-a"])); // 2
    log.extend(batch(3, -1, &["plain"])); // 3
    log.extend(batch(4, 2, &["p2-aborted-b"])); // 4
    log.extend(marker(5, 1, true)); // 5: p1 commits
    log.extend(marker(6, 2, false)); // 6: p2 aborts
    log.extend(batch(7, 2, &["p2-committed"])); // 7
    log.extend(marker(8, 2, true)); // 8
    let response = FetchResponse {
        responses: vec![FetchableTopicResponse {
            topic: "t".into(),
            partitions: vec![PartitionData {
                partition_index: 0,
                high_watermark: 9,
                last_stable_offset: 9,
                aborted_transactions: Some(vec![AbortedTransaction {
                    producer_id: 2,
                    first_offset: 2,
                    ..Default::default()
                }]),
                records: Some(Bytes::from(log)),
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut buf = bytes::BytesMut::new();
    Message::encode(&response, &mut buf, 12).unwrap();
    let mut decoded = <FetchResponse as Message>::decode(&mut buf.freeze(), 12).unwrap();
    let data = take_partition(&mut decoded, &tp()).unwrap();

    let mut committed = CompletedFetch::new(
        tp(),
        0,
        data.records.clone().unwrap(),
        data.aborted_transactions.clone(),
        true,
        true,
    );
    let out = drain_all(&mut committed);
    assert_eq!(values(&out), ["p1-a", "p1-b", "plain", "p2-committed"]);
    assert_eq!(committed.next_fetch_offset, 9, "past the last marker");

    let mut uncommitted = CompletedFetch::new(
        tp(),
        0,
        data.records.unwrap(),
        data.aborted_transactions,
        false,
        true,
    );
    let out = drain_all(&mut uncommitted);
    assert_eq!(
        values(&out),
        [
            "p1-a",
            "p1-b",
            "p2-aborted-a",
            "plain",
            "p2-aborted-b",
            "p2-committed"
        ]
    );
    assert_eq!(
        out.iter().map(|r| r.offset).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4, 7]
    );
}

/// The log of `interleaved_log` from `from` (whole batches, as a broker answers), up to
/// (not including) offset `until`.
fn slice_log(parts: &[(i64, Vec<u8>)], from: i64, until: i64) -> Bytes {
    let mut out = Vec::new();
    for (base, bytes) in parts {
        if *base >= from && *base < until {
            out.extend_from_slice(bytes);
        }
    }
    Bytes::from(out)
}

/// Three producers interleaved: 1 commits, 2 aborts then commits, 3 aborts; a plain
/// batch in the middle; producer 4's transaction is still open at the end.
fn interleaved_log() -> Vec<(i64, Vec<u8>)> {
    vec![
        (0, batch(0, 1, &["p1-a", "p1-b"])), // 0-1
        (2, batch(2, 2, &["p2-x"])),         // 2 (aborted)
        (3, batch(3, 3, &["p3-x"])),         // 3 (aborted)
        (4, batch(4, -1, &["plain"])),       // 4
        (5, batch(5, 1, &["p1-c"])),         // 5
        (6, marker(6, 2, false)),            // 6: p2 aborts
        (7, marker(7, 1, true)),             // 7: p1 commits
        (8, batch(8, 2, &["p2-y"])),         // 8
        (9, marker(9, 3, false)),            // 9: p3 aborts
        (10, marker(10, 2, true)),           // 10: p2 commits
        (11, batch(11, 4, &["p4-open"])),    // 11: no marker yet
    ]
}

const COMMITTED: [&str; 5] = ["p1-a", "p1-b", "plain", "p1-c", "p2-y"];

/// With the broker's aborted-transactions list (Kafka) and without it (tansu, which
/// sends an empty list): the markers decide, and the open transaction at the end is not
/// delivered.
#[test]
fn read_committed_interleaved_producers_with_and_without_an_aborted_list() {
    let log = slice_log(&interleaved_log(), 0, i64::MAX);
    let listed = vec![
        AbortedTransaction {
            producer_id: 2,
            first_offset: 2,
            ..Default::default()
        },
        AbortedTransaction {
            producer_id: 3,
            first_offset: 3,
            ..Default::default()
        },
    ];
    for aborted in [Some(listed), Some(Vec::new()), None] {
        let mut fetch = CompletedFetch::new(tp(), 0, log.clone(), aborted.clone(), true, true);
        let mut out = Vec::new();
        fetch.drain(usize::MAX, &mut out).unwrap();
        assert_eq!(values(&out), COMMITTED, "list {aborted:?}");
        assert_eq!(
            out.iter().map(|r| r.offset).collect::<Vec<_>>(),
            [0, 1, 4, 5, 8]
        );
        assert!(fetch.is_consumed());
        assert_eq!(
            fetch.next_fetch_offset, 11,
            "stops at the open transaction, to fetch it again"
        );
    }
    // read_uncommitted: every data record, in offset order, no control records.
    let mut fetch = CompletedFetch::new(tp(), 0, log, None, false, true);
    let out = drain_all(&mut fetch);
    assert_eq!(
        values(&out),
        ["p1-a", "p1-b", "p2-x", "p3-x", "plain", "p1-c", "p2-y", "p4-open"]
    );
    assert_eq!(fetch.next_fetch_offset, 12);
}

/// A fetch cut before a transaction's marker stops at the transaction's first batch; the
/// next fetch, starting there, decides it.
#[test]
fn read_committed_waits_for_a_marker_beyond_the_fetch() {
    let parts = interleaved_log();
    // The answer ends after offset 5. p1's first batch has no marker in it, but it is
    // the fetch's first batch, so the list decides (not aborted: delivered, Java's rule).
    // p2's batch at 2 has no marker either: delivery stops there.
    let mut first = CompletedFetch::new(tp(), 0, slice_log(&parts, 0, 6), Some(vec![]), true, true);
    assert_eq!(values(&drain_all(&mut first)), ["p1-a", "p1-b"]);
    assert_eq!(first.next_fetch_offset, 2, "p2-x waits for a fetch from 2");
    // The next fetch from 2 reaches the markers: p2 and p3 aborted, p1 committed.
    let mut again =
        CompletedFetch::new(tp(), 2, slice_log(&parts, 2, 11), Some(vec![]), true, true);
    assert_eq!(values(&drain_all(&mut again)), ["plain", "p1-c", "p2-y"]);
    assert_eq!(again.next_fetch_offset, 11);
    // Cut after offset 8 when reading from 8: p2-y is the fetch's first batch, so waiting
    // cannot help; nothing lists it as aborted, so it is delivered (Java's rule).
    let mut from8 = CompletedFetch::new(tp(), 8, slice_log(&parts, 8, 9), Some(vec![]), true, true);
    assert_eq!(values(&drain_all(&mut from8)), ["p2-y"]);
    // The same, listed as aborted from 8: dropped.
    let mut listed = CompletedFetch::new(
        tp(),
        8,
        slice_log(&parts, 8, 9),
        Some(vec![AbortedTransaction {
            producer_id: 2,
            first_offset: 8,
            ..Default::default()
        }]),
        true,
        true,
    );
    assert!(drain_all(&mut listed).is_empty());
    assert_eq!(listed.next_fetch_offset, 9);
    // Records before an undecided batch are delivered, and the position stops at it.
    let mut partial =
        CompletedFetch::new(tp(), 4, slice_log(&parts, 4, 9), Some(vec![]), true, true);
    assert_eq!(values(&drain_all(&mut partial)), ["plain", "p1-c"]);
    assert_eq!(
        partial.next_fetch_offset, 8,
        "p2-y waits for its marker at 10"
    );
}

/// A broker that sends data past the last stable offset: nothing from there on is
/// delivered, even the fetch's first batch (whose marker is missing).
#[test]
fn read_committed_stops_at_the_last_stable_offset() {
    let parts = interleaved_log();
    let mut fetch = CompletedFetch::new(
        tp(),
        11,
        slice_log(&parts, 11, 12),
        Some(vec![]),
        true,
        true,
    )
    .with_last_stable_offset(11);
    assert!(drain_all(&mut fetch).is_empty(), "p4's open transaction");
    assert_eq!(fetch.next_fetch_offset, 11);
    let mut all = CompletedFetch::new(tp(), 0, slice_log(&parts, 0, i64::MAX), None, true, true)
        .with_last_stable_offset(5);
    assert_eq!(values(&drain_all(&mut all)), ["p1-a", "p1-b", "plain"]);
    assert_eq!(all.next_fetch_offset, 5);
    // read_uncommitted ignores it.
    let mut uncommitted =
        CompletedFetch::new(tp(), 11, slice_log(&parts, 11, 12), None, false, true)
            .with_last_stable_offset(11);
    assert_eq!(values(&drain_all(&mut uncommitted)), ["p4-open"]);
}

#[test]
fn markers_are_scanned_from_headers() {
    let log = slice_log(&interleaved_log(), 0, i64::MAX);
    let markers = scan_markers(&log);
    assert_eq!(markers[&1], VecDeque::from([(7, true)]));
    assert_eq!(markers[&2], VecDeque::from([(6, false), (10, true)]));
    assert_eq!(markers[&3], VecDeque::from([(9, false)]));
    assert!(!markers.contains_key(&4));
    // A partial tail and garbage end the scan without a panic.
    let mut cut = log.to_vec();
    cut.truncate(cut.len() - 5);
    assert_eq!(scan_markers(&Bytes::from(cut)).len(), 3);
    assert!(scan_markers(&Bytes::from_static(&[0xff; 40])).is_empty());
    assert!(scan_markers(&Bytes::new()).is_empty());
}

#[test]
fn trims_records_before_the_position_and_respects_max() {
    let mut log = batch(10, -1, &["a", "b", "c", "d"]);
    log.extend(batch(14, -1, &["e"]));
    let mut fetch = CompletedFetch::new(tp(), 12, Bytes::from(log), None, false, true);
    let mut out = Vec::new();
    fetch.drain(2, &mut out).unwrap();
    assert_eq!(values(&out), ["c", "d"]);
    assert_eq!(fetch.next_fetch_offset, 14);
    assert!(!fetch.is_consumed());
    let mut more = Vec::new();
    fetch.drain(10, &mut more).unwrap();
    assert_eq!(values(&more), ["e"]);
    assert_eq!(more[0].offset, 14);
    assert_eq!(more[0].key.as_deref(), Some(&b"k"[..]));
    assert!(fetch.is_consumed());
    assert_eq!(fetch.next_fetch_offset, 15);
}

#[test]
fn partial_tail_is_ignored_and_corruption_is_reported() {
    let full = batch(0, -1, &["a"]);
    let mut log = full.clone();
    log.extend_from_slice(&batch(1, -1, &["b"])[..20]);
    let mut fetch = CompletedFetch::new(tp(), 0, Bytes::from(log), None, false, true);
    assert_eq!(values(&drain_all(&mut fetch)), ["a"]);
    assert_eq!(fetch.next_fetch_offset, 1);

    let mut bad = full;
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    let mut fetch = CompletedFetch::new(tp(), 0, Bytes::from(bad), None, false, true);
    let err = fetch.drain(10, &mut Vec::new()).unwrap_err();
    assert!(
        matches!(err, Error::CorruptRecord { offset: 0, .. }),
        "{err}"
    );
}

#[test]
fn buffer_drops_stale_fetches_and_keeps_paused_ones() {
    let mut buffer = FetchBuffer::default();
    let other = TopicPartition::new("t", 1);
    buffer.push(CompletedFetch::new(
        tp(),
        0,
        Bytes::from(batch(0, -1, &["a"])),
        None,
        false,
        true,
    ));
    buffer.push(CompletedFetch::new(
        other.clone(),
        0,
        Bytes::from(batch(0, -1, &["b"])),
        None,
        false,
        true,
    ));
    // Partition 0 was sought to 5 after the fetch went out; partition 1 is paused.
    let mut subs = SubscriptionState::new(OffsetReset::Earliest, false);
    subs.assign([tp(), other.clone()]);
    subs.seek(&tp(), 5);
    subs.seek(&other, 0);
    subs.set_paused(&other, true);
    let out = buffer.collect(10, &mut subs).unwrap();
    assert!(out.is_empty());
    assert!(!buffer.contains(&tp()));
    assert!(buffer.contains(&other));
    subs.set_paused(&other, false);
    let out = buffer.collect(10, &mut subs).unwrap();
    assert_eq!(values(&out), ["b"]);
    assert_eq!(subs.position(&other), Some(1));
    assert_eq!(subs.position(&tp()), Some(5));
    assert!(buffer.is_empty());
}

/// Each topic appears once, where its first partition is in the order given, and the
/// partitions keep that order (the fetch order: a broker fills its answer in it).
#[test]
fn request_groups_topics_in_the_order_given() {
    let settings = FetchSettings {
        max_wait: Duration::from_millis(250),
        min_bytes: 1,
        max_bytes: 1000,
        partition_max_bytes: 100,
        read_committed: true,
        rack_id: String::new(),
    };
    let request = build_fetch_request(
        &settings,
        &[
            (TopicPartition::new("b", 1), 7),
            (TopicPartition::new("a", 0), 3),
            (TopicPartition::new("b", 0), 5),
        ],
        |tp| if tp.topic == "b" { (4, 3) } else { (-1, -1) },
    );
    assert_eq!(request.max_wait_ms, 250);
    assert_eq!(request.isolation_level, 1);
    let order: Vec<(&str, Vec<i32>)> = request
        .topics
        .iter()
        .map(|t| {
            let partitions = t.partitions.iter().map(|p| p.partition).collect();
            (t.topic.as_str(), partitions)
        })
        .collect();
    assert_eq!(order, vec![("b", vec![1, 0]), ("a", vec![0])]);
    assert_eq!(request.topics[0].partitions[1].fetch_offset, 5);
    assert_eq!(request.topics[0].partitions[1].partition_max_bytes, 100);
    assert_eq!(request.topics[0].partitions[1].current_leader_epoch, 4);
    assert_eq!(request.topics[0].partitions[1].last_fetched_epoch, 3);
    assert_eq!(request.topics[1].partitions[0].current_leader_epoch, -1);
    assert_eq!(request.topics[1].partitions[0].last_fetched_epoch, -1);
}

#[test]
fn buffer_changes_only_when_a_new_fetch_can_go_out() {
    // Partitions 0 and 1 from broker 7, partition 2 from broker 8; each fetch holds one
    // record at offset 0, and the high watermark is 1: drained, each is caught up.
    let tps: Vec<TopicPartition> = (0..3).map(|p| TopicPartition::new("t", p)).collect();
    let mut subs = SubscriptionState::new(OffsetReset::Earliest, false);
    subs.assign(tps.clone());
    let mut buffer = FetchBuffer::default();
    for (tp, node) in tps.iter().zip([7, 7, 8]) {
        subs.seek(tp, 0);
        subs.update_watermarks(tp, 1, -1);
        let fetch = CompletedFetch::new(
            tp.clone(),
            0,
            Bytes::from(batch(0, -1, &["v"])),
            None,
            false,
            true,
        );
        buffer.push(fetch.fetched_from(node));
    }
    let pushed = buffer.changes();
    // Partition 0 drained and caught up while broker 7 still has data held for partition 1:
    // nothing can be sent for it yet, so no change.
    assert_eq!(values(&buffer.collect(1, &mut subs).unwrap()), ["v"]);
    assert_eq!(buffer.changes(), pushed);
    // Partition 1 was the last data from broker 7: its Fetch may go out now.
    assert_eq!(values(&buffer.collect(1, &mut subs).unwrap()), ["v"]);
    assert_eq!(buffer.changes(), pushed + 1);
    // Partition 2 not caught up (more was written): it is fetched again at once.
    subs.update_watermarks(&tps[2], 5, -1);
    assert_eq!(values(&buffer.collect(1, &mut subs).unwrap()), ["v"]);
    assert_eq!(buffer.changes(), pushed + 2);
    assert!(buffer.is_empty());
    // Dropping nothing is no change; dropping something is.
    buffer.retain(|_| true);
    assert_eq!(buffer.changes(), pushed + 2);
    buffer.push(CompletedFetch::new(
        tps[0].clone(),
        1,
        Bytes::from(batch(1, -1, &["w"])),
        None,
        false,
        true,
    ));
    buffer.retain(|_| false);
    assert_eq!(buffer.changes(), pushed + 4);
}
