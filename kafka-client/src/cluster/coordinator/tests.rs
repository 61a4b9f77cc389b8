use kafkito_protocol::messages::find_coordinator_response::Coordinator;
use kafkito_protocol::messages::{FindCoordinatorResponse, MetadataRequest};

use super::*;
use crate::config::ClientConfig;
use crate::test_support::{cluster, respond, FakeBroker, Reply};

/// `code` as a coordinator's answer to an OffsetCommit.
fn protocol(code: ErrorCode) -> Error {
    Error::check(ApiKey::OffsetCommit, code.code(), None).unwrap_err()
}

#[test]
fn key_types_are_kafkas() {
    assert_eq!(CoordinatorType::Group.key_type(), 0);
    assert_eq!(CoordinatorType::Transaction.key_type(), 1);
}

#[test]
fn moved_or_unreachable_coordinators_are_forgotten_loading_ones_kept() {
    for code in [
        ErrorCode::NotCoordinator,
        ErrorCode::CoordinatorNotAvailable,
    ] {
        assert!(forgets_coordinator(&protocol(code)), "{code}");
    }
    assert!(forgets_coordinator(&Error::ConnectionClosed {
        broker: "b".into(),
        mid_frame: false
    }));
    for code in [
        ErrorCode::CoordinatorLoadInProgress,
        ErrorCode::ConcurrentTransactions,
        ErrorCode::IllegalGeneration,
    ] {
        assert!(!forgets_coordinator(&protocol(code)), "{code}");
    }

    let coordinators = Coordinators::default();
    let key = (CoordinatorType::Group, "g".to_owned());
    coordinators.known().insert(key.clone(), 3);
    coordinators
        .known()
        .insert((CoordinatorType::Transaction, "g".to_owned()), 4);
    assert!(!coordinators.on_error(
        CoordinatorType::Group,
        "g",
        &protocol(ErrorCode::CoordinatorLoadInProgress)
    ));
    assert_eq!(coordinators.cached(CoordinatorType::Group, "g"), Some(3));
    assert!(coordinators.on_error(
        CoordinatorType::Group,
        "g",
        &protocol(ErrorCode::NotCoordinator)
    ));
    assert_eq!(coordinators.cached(CoordinatorType::Group, "g"), None);
    assert_eq!(
        coordinators.cached(CoordinatorType::Transaction, "g"),
        Some(4),
        "the same key of the other type is another coordinator"
    );
}

/// Per FindCoordinator request: its key type and keys.
type Seen = Arc<Mutex<Vec<(i8, Vec<String>)>>>;

/// A fake broker advertising FindCoordinator up to `max_version`, answering each key
/// with node 1 (or COORDINATOR_NOT_AVAILABLE for a key named "busy"), recording the
/// FindCoordinator requests and the keys each carried.
async fn broker(max_version: i16, requests: Seen) -> String {
    let apis = [
        (ApiKey::ApiVersions, 3),
        (ApiKey::Metadata, 12),
        (ApiKey::FindCoordinator, max_version),
    ];
    let broker = FakeBroker::start(&apis, move |request, address| match request.api() {
        ApiKey::Metadata => respond::<MetadataRequest>(request, &cluster(address, vec![])),
        ApiKey::FindCoordinator => {
            let decoded: FindCoordinatorRequest = request.decode();
            let keys = if request.version() >= 4 {
                decoded.coordinator_keys.clone()
            } else {
                vec![decoded.key.clone()]
            };
            requests
                .lock()
                .unwrap()
                .push((decoded.key_type, keys.clone()));
            let answer = |key: &str| {
                let code = if key == "busy" {
                    ErrorCode::CoordinatorNotAvailable.code()
                } else {
                    0
                };
                (code, 1, address)
            };
            let response = if request.version() >= 4 {
                FindCoordinatorResponse {
                    coordinators: keys
                        .iter()
                        .map(|k| {
                            let (code, node, address) = answer(k);
                            Coordinator {
                                key: k.clone(),
                                node_id: node,
                                host: address.ip().to_string(),
                                port: i32::from(address.port()),
                                error_code: code,
                                ..Default::default()
                            }
                        })
                        .collect(),
                    ..Default::default()
                }
            } else {
                let (code, node, address) = answer(&keys[0]);
                FindCoordinatorResponse {
                    error_code: code,
                    node_id: node,
                    host: address.ip().to_string(),
                    port: i32::from(address.port()),
                    ..Default::default()
                }
            };
            respond::<FindCoordinatorRequest>(request, &response)
        }
        _ => Reply::Unhandled,
    })
    .await;
    broker.address()
}

fn metadata(bootstrap: &str) -> MetadataClient {
    MetadataClient::from_config(
        ClientConfig::builder()
            .bootstrap_servers([bootstrap])
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// Crafted FindCoordinator answers (fake broker), both forms: v4 asks for every missing
/// key in one request, v3 one request per key; each key gets its own answer, found
/// coordinators are cached (a second ask sends nothing) and a forgotten one is asked again.
#[tokio::test]
async fn batched_and_single_key_lookups_are_cached_per_key() {
    for (version, requests_for_three) in [(4, 1), (3, 3)] {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let metadata = metadata(&broker(version, requests.clone()).await);
        let coordinators = Coordinators::default();
        let keys: Vec<String> = ["a", "busy", "b"].map(String::from).to_vec();
        let found = coordinators
            .get_many(&metadata, CoordinatorType::Group, &keys)
            .await
            .unwrap();
        assert_eq!(found.len(), 3, "v{version}");
        assert_eq!(found[0].0, "a");
        assert_eq!(*found[0].1.as_ref().unwrap(), 1);
        assert!(
            matches!(
                found[1].1,
                Err(Error::Protocol {
                    code: ErrorCode::CoordinatorNotAvailable,
                    ..
                })
            ),
            "v{version}: {:?}",
            found[1].1
        );
        assert_eq!(*found[2].1.as_ref().unwrap(), 1);
        assert_eq!(
            requests.lock().unwrap().len(),
            requests_for_three,
            "v{version}"
        );
        assert!(requests.lock().unwrap().iter().all(|(t, _)| *t == 0));

        // Cached: only the failed key is asked again.
        let asked = requests.lock().unwrap().len();
        coordinators
            .get_many(&metadata, CoordinatorType::Group, &keys)
            .await
            .unwrap();
        let after = requests.lock().unwrap().clone();
        assert_eq!(after.len(), asked + 1, "v{version}");
        assert_eq!(after.last().unwrap().1, ["busy"]);

        // The transactional id "a" is another key: asked with key type 1.
        let node = coordinators
            .get(&metadata, CoordinatorType::Transaction, "a")
            .await
            .unwrap();
        assert_eq!(node, 1);
        assert_eq!(requests.lock().unwrap().last().unwrap().0, 1);

        // Forgotten after NOT_COORDINATOR: the next get asks again.
        let before = requests.lock().unwrap().len();
        coordinators.on_error(
            CoordinatorType::Group,
            "a",
            &protocol(ErrorCode::NotCoordinator),
        );
        coordinators
            .get(&metadata, CoordinatorType::Group, "a")
            .await
            .unwrap();
        assert_eq!(requests.lock().unwrap().len(), before + 1, "v{version}");
    }
}
