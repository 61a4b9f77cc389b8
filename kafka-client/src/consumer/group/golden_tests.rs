//! The consumer protocol against real bytes: librdkafka's subscription (JoinGroup request
//! metadata, echoed in the JoinGroup response) and its leader's assignment (SyncGroup request and
//! response), captured by `scripts/capture-golden` in `kafka-protocol/tests/fixtures/golden/`.

use std::fs;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use kafkito_protocol::header::{RequestHeader, ResponseHeader};
use kafkito_protocol::messages::{ApiKey, RequestBody, ResponseBody};

use super::protocol::{Assignment, Subscription, TopicPartition};

/// Written by `tools/capture-golden`: the topic and group its consumer uses.
const TOPIC: &str = "golden";

fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kafka-protocol/tests/fixtures/golden/librdkafka-2.12.1-tansu-0.6.0")
}

/// The fixture files whose name contains `needle`, sorted.
fn files(needle: &str) -> Vec<(String, Bytes)> {
    let mut out: Vec<(String, Bytes)> = fs::read_dir(peer_dir())
        .expect("golden fixtures present")
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| f.contains(needle))
        .map(|f| {
            let bytes = Bytes::from(fs::read(peer_dir().join(&f)).unwrap());
            (f, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixture matches {needle}");
    out
}

fn request(bytes: &Bytes) -> RequestBody {
    let key = i16::from_be_bytes([bytes[0], bytes[1]]);
    let version = i16::from_be_bytes([bytes[2], bytes[3]]);
    let api = ApiKey::from_key(key).unwrap();
    let mut buf = bytes.clone();
    RequestHeader::decode(&mut buf, api.request_header_version(version)).unwrap();
    RequestBody::decode(api, &mut buf, version).unwrap()
}

fn response(api: ApiKey, version: i16, bytes: &Bytes) -> ResponseBody {
    let mut buf = bytes.clone();
    ResponseHeader::decode(&mut buf, api.response_header_version(version)).unwrap();
    ResponseBody::decode(api, &mut buf, version).unwrap()
}

fn version_of(file: &str) -> i16 {
    let v = file.split("-v").nth(1).unwrap();
    v.split('-').next().unwrap().parse().unwrap()
}

/// librdkafka 2.12.1 writes v3 with empty (not null) user data and rack, no owned partitions and
/// generation -1; our encoder must give back the very same bytes.
fn assert_golden_subscription(file: &str, s: &Subscription, raw: &Bytes) {
    let expected = Subscription {
        topics: vec![TOPIC.to_owned()],
        user_data: Some(Bytes::new()),
        owned_partitions: vec![],
        generation_id: -1,
        rack_id: Some(String::new()),
    };
    assert_eq!(s, &expected, "{file}");
    let version = i16::from_be_bytes([raw[0], raw[1]]);
    assert_eq!(version, 3, "{file}");
    assert_eq!(
        &s.encode(version).unwrap(),
        raw,
        "{file}: re-encoding differs"
    );
}

#[test]
fn librdkafka_subscriptions_decode() {
    let mut seen = 0;
    for (file, bytes) in files("JoinGroup") {
        if file.ends_with("request.bin") {
            let RequestBody::JoinGroup(join) = request(&bytes) else {
                panic!("{file}: not a JoinGroup request")
            };
            assert_eq!(join.protocol_type, "consumer", "{file}");
            for protocol in &join.protocols {
                let s = Subscription::decode(&protocol.metadata)
                    .unwrap_or_else(|e| panic!("{file} {}: {e}", protocol.name));
                assert_eq!(s.topics, vec![TOPIC.to_owned()], "{file} {}", protocol.name);
                assert_golden_subscription(&file, &s, &protocol.metadata);
                seen += 1;
            }
        } else {
            let ResponseBody::JoinGroup(join) =
                response(ApiKey::JoinGroup, version_of(&file), &bytes)
            else {
                panic!("{file}: not a JoinGroup response")
            };
            for member in &join.members {
                let s = Subscription::decode(&member.metadata)
                    .unwrap_or_else(|e| panic!("{file} {}: {e}", member.member_id));
                assert_golden_subscription(&file, &s, &member.metadata);
                seen += 1;
            }
        }
    }
    assert!(seen > 0, "no subscription found in the JoinGroup fixtures");
}

#[test]
fn librdkafka_assignments_decode() {
    let mut seen = 0;
    for (file, bytes) in files("SyncGroup") {
        let assignments: Vec<Bytes> = if file.ends_with("request.bin") {
            let RequestBody::SyncGroup(sync) = request(&bytes) else {
                panic!("{file}: not a SyncGroup request")
            };
            sync.assignments.into_iter().map(|a| a.assignment).collect()
        } else {
            let ResponseBody::SyncGroup(sync) =
                response(ApiKey::SyncGroup, version_of(&file), &bytes)
            else {
                panic!("{file}: not a SyncGroup response")
            };
            assert_eq!(sync.error_code, 0, "{file}");
            vec![sync.assignment]
        };
        for raw in assignments {
            let a = Assignment::decode(&raw).unwrap_or_else(|e| panic!("{file}: {e}"));
            // librdkafka's range leader, alone in the group, at v0 with empty user data.
            assert_eq!(a.user_data, Some(Bytes::new()), "{file}");
            let version = i16::from_be_bytes([raw[0], raw[1]]);
            assert_eq!(
                &a.encode(version).unwrap(),
                &raw,
                "{file}: re-encoding differs"
            );
            assert!(!a.partitions.is_empty(), "{file}: empty assignment");
            assert!(
                a.partitions.iter().all(|tp| tp.topic == TOPIC),
                "{file}: {a:?}"
            );
            // A lone consumer gets every partition, each once.
            let mut sorted = a.partitions.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), a.partitions.len(), "{file}");
            assert!(sorted.contains(&TopicPartition::new(TOPIC, 0)), "{file}");
            seen += 1;
        }
    }
    assert!(seen > 0, "no assignment found in the SyncGroup fixtures");
}
