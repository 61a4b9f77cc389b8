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

use kafkito_protocol::messages::{ApiKey, FindCoordinatorRequest};
use kafkito_protocol::ErrorCode;
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
mod tests;
