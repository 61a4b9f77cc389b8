//! Group and transaction coordinators: finding them (FindCoordinator), remembering them, and
//! forgetting them when a request says they moved.
//!
//! Every consumer group and every transactional id is owned by one broker, its coordinator:
//! the leader of the `__consumer_offsets` (groups) or `__transaction_state` (transactional
//! ids) partition the key hashes to. Any broker answers FindCoordinator with that broker's id,
//! and the client then needs the broker's address from metadata, so a lookup waits for the
//! cluster view first.
//!
//! FindCoordinator comes in two forms: v0–3 asks for one `key`; v4+ (KIP-699) asks for a list
//! of `coordinator_keys` and answers one entry per key, each with its own error. The admin
//! client asks for many groups at once; the producer and consumer ask for one key.
//!
//! [`Coordinators`] caches the answer per (key type, key). A request to a coordinator says
//! what to do with the cached entry ([`forgets_coordinator`]), as the Java client does:
//!
//! - `NOT_COORDINATOR`, `COORDINATOR_NOT_AVAILABLE`, or a broken connection: the
//!   coordinator moved or is gone — forget it and look it up again before the next attempt;
//! - `COORDINATOR_LOAD_IN_PROGRESS`: the right broker is still loading the group or
//!   transaction state — keep it and ask it again after a backoff;
//! - anything else says nothing about where the coordinator is.
//!
//! When to retry and how long to wait is [`crate::retry`]'s decision, not this module's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kafka_protocol::messages::{ApiKey, FindCoordinatorRequest};
use kafka_protocol::ErrorCode;
use tracing::debug;

use crate::cluster::MetadataClient;
use crate::error::{Error, Result};

/// What a coordinator coordinates: FindCoordinator's `key_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum CoordinatorType {
    /// A consumer group (`group.id`): key type 0.
    Group,
    /// A transactional id (`transactional.id`): key type 1.
    Transaction,
}

impl CoordinatorType {
    /// FindCoordinator's `key_type` for this kind of key.
    pub(crate) const fn key_type(self) -> i8 {
        match self {
            CoordinatorType::Group => 0,
            CoordinatorType::Transaction => 1,
        }
    }
}

/// Whether a request to a coordinator that failed with `error` means the coordinator moved
/// or is gone (forget it, look it up again), as opposed to "ask it again later"
/// (`COORDINATOR_LOAD_IN_PROGRESS`) or an error about the request itself.
pub(crate) fn forgets_coordinator(error: &Error) -> bool {
    match error {
        Error::Protocol { code, .. } => {
            matches!(
                code,
                ErrorCode::NotCoordinator | ErrorCode::CoordinatorNotAvailable
            )
        }
        error => error.is_transport(),
    }
}

/// The coordinator of each of `keys` (of kind `kind`), asked of any broker: one batched
/// FindCoordinator (v4+) or one request per key. Each key gets its own answer; the call
/// fails as a whole only when no request could be made.
pub(crate) async fn find_coordinators(
    metadata: &MetadataClient,
    kind: CoordinatorType,
    keys: &[String],
) -> Result<Vec<(String, Result<i32>)>> {
    // The coordinator's address must be known to the pool: it comes from metadata.
    metadata.ready_cluster().await?;
    let (_, connection) = metadata.any_connection().await?;
    let version = connection.version_for(ApiKey::FindCoordinator)?;
    let found = if version >= 4 {
        let request = FindCoordinatorRequest {
            key_type: kind.key_type(),
            coordinator_keys: keys.to_vec(),
            ..Default::default()
        };
        let response = connection.call(&request, version).await?;
        keys.iter()
            .map(|key| {
                let result = match response.coordinators.iter().find(|c| &c.key == key) {
                    None => Err(Error::Protocol {
                        api: ApiKey::FindCoordinator,
                        code: ErrorCode::CoordinatorNotAvailable,
                        message: Some(format!("no answer for {kind:?} {key}")),
                    }),
                    Some(c) => Error::check(
                        ApiKey::FindCoordinator,
                        c.error_code,
                        c.error_message.as_deref(),
                    )
                    .map(|()| c.node_id),
                };
                (key.clone(), result)
            })
            .collect()
    } else {
        let mut found = Vec::with_capacity(keys.len());
        for key in keys {
            let request = FindCoordinatorRequest {
                key: key.clone(),
                key_type: kind.key_type(),
                ..Default::default()
            };
            let result = connection.call(&request, version).await.and_then(|r| {
                Error::check(
                    ApiKey::FindCoordinator,
                    r.error_code,
                    r.error_message.as_deref(),
                )
                .map(|()| r.node_id)
            });
            found.push((key.clone(), result));
        }
        found
    };
    for (key, result) in &found {
        match result {
            Ok(node) => debug!(?kind, key, node, "found coordinator"),
            Err(error) => debug!(?kind, key, %error, "coordinator not found"),
        }
    }
    Ok(found)
}

/// The coordinator of one `key`, asked of any broker (no cache).
pub(crate) async fn find_coordinator(
    metadata: &MetadataClient,
    kind: CoordinatorType,
    key: &str,
) -> Result<i32> {
    let keys = [key.to_owned()];
    let (_, found) = find_coordinators(metadata, kind, &keys)
        .await?
        .pop()
        .ok_or_else(|| Error::Protocol {
            api: ApiKey::FindCoordinator,
            code: ErrorCode::CoordinatorNotAvailable,
            message: Some(format!("no answer for {kind:?} {key}")),
        })?;
    found
}

/// Known coordinators, per (key type, key): looked up when unknown, forgotten when a request
/// says they moved (see the module docs). Cheap to clone; clones share the cache.
#[derive(Debug, Clone, Default)]
pub(crate) struct Coordinators {
    known: Arc<Mutex<HashMap<(CoordinatorType, String), i32>>>,
}

impl Coordinators {
    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<(CoordinatorType, String), i32>> {
        self.known.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached coordinator of `key`, if any.
    pub(crate) fn cached(&self, kind: CoordinatorType, key: &str) -> Option<i32> {
        self.known().get(&(kind, key.to_owned())).copied()
    }

    /// The coordinator of `key`: the cached one, or a FindCoordinator (remembered).
    pub(crate) async fn get(
        &self,
        metadata: &MetadataClient,
        kind: CoordinatorType,
        key: &str,
    ) -> Result<i32> {
        if let Some(node) = self.cached(kind, key) {
            return Ok(node);
        }
        let node = find_coordinator(metadata, kind, key).await?;
        self.known().insert((kind, key.to_owned()), node);
        Ok(node)
    }

    /// The coordinator of each of `keys`: cached ones as they are, the others with one
    /// lookup ([`find_coordinators`]) and remembered. Answers in the order of `keys`.
    pub(crate) async fn get_many(
        &self,
        metadata: &MetadataClient,
        kind: CoordinatorType,
        keys: &[String],
    ) -> Result<Vec<(String, Result<i32>)>> {
        let cached: Vec<Option<i32>> = keys.iter().map(|k| self.cached(kind, k)).collect();
        let missing: Vec<String> = keys
            .iter()
            .zip(&cached)
            .filter(|(_, c)| c.is_none())
            .map(|(k, _)| k.clone())
            .collect();
        let mut found: HashMap<String, Result<i32>> = if missing.is_empty() {
            HashMap::new()
        } else {
            find_coordinators(metadata, kind, &missing)
                .await?
                .into_iter()
                .collect()
        };
        {
            let mut known = self.known();
            for (key, result) in &found {
                if let Ok(node) = result {
                    known.insert((kind, key.clone()), *node);
                }
            }
        }
        Ok(keys
            .iter()
            .zip(cached)
            .map(|(key, cached)| {
                let result = match cached {
                    Some(node) => Ok(node),
                    None => found.remove(key).unwrap_or_else(|| {
                        Err(Error::Protocol {
                            api: ApiKey::FindCoordinator,
                            code: ErrorCode::CoordinatorNotAvailable,
                            message: Some(format!("no answer for {kind:?} {key}")),
                        })
                    }),
                };
                (key.clone(), result)
            })
            .collect())
    }

    /// A request to the coordinator of `key` failed with `error`: forget the coordinator when
    /// the error says it moved ([`forgets_coordinator`]). Returns whether it was forgotten.
    pub(crate) fn on_error(&self, kind: CoordinatorType, key: &str, error: &Error) -> bool {
        if !forgets_coordinator(error) {
            return false;
        }
        if let Some(node) = self.known().remove(&(kind, key.to_owned())) {
            debug!(?kind, key, node, %error, "coordinator forgotten");
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::find_coordinator_response::Coordinator;
    use kafka_protocol::messages::{FindCoordinatorResponse, MetadataRequest};

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
}
