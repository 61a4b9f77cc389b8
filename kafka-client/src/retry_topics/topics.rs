//! Creating the retry and dead-letter topics on demand, with the source topic's partition
//! count, and learning every topic's partitions before the stages start.

use std::collections::HashMap;
use std::time::Duration;

use kafkito_protocol::ErrorCode;
use tokio::time::Instant;
use tracing::{debug, info};

use super::RetryTopicsConfig;
use crate::admin::{AdminClient, AdminConfig, CreateTopicsOptions, NewTopic};
use crate::error::{Error, Result};

/// Creates the missing target topics and returns the partition count of every topic read or
/// written. Bounded by the consumer's `default.api.timeout.ms`.
pub(super) async fn ensure(config: &RetryTopicsConfig) -> Result<HashMap<String, i32>> {
    let timeout = config.consumer.default_api_timeout;
    let admin = AdminClient::with_config(
        config.consumer.client.clone(),
        AdminConfig {
            default_api_timeout: timeout,
        },
    )?;
    let result = tokio::time::timeout(timeout, ensure_with(&admin, config)).await;
    admin.close();
    result.unwrap_or_else(|_| {
        Err(Error::Timeout {
            what: format!("creating the retry topics of {}", config.topic),
            after: timeout,
        })
    })
}

async fn ensure_with(
    admin: &AdminClient,
    config: &RetryTopicsConfig,
) -> Result<HashMap<String, i32>> {
    let source = partition_count(admin, &config.topic)
        .await?
        .ok_or_else(|| {
            Error::config(
                "topic",
                format!("the source topic {} does not exist", config.topic),
            )
        })?;
    let targets = config.target_topics();
    // Replication factor -1: the broker's default.replication.factor, as the source topic's
    // may be anything and the admin client cannot copy the broker's settings.
    let wanted = targets
        .iter()
        .map(|t| NewTopic::new(t.clone(), source, -1))
        .collect();
    let created = admin
        .create_topics(wanted, CreateTopicsOptions::default())
        .await?;
    for (topic, result) in created {
        match result {
            Ok(_) => info!(%topic, partitions = source, "created"),
            Err(Error::Protocol {
                code: ErrorCode::TopicAlreadyExists,
                ..
            }) => debug!(%topic, "exists already"),
            Err(error) => return Err(error),
        }
    }
    let mut counts = HashMap::from([(config.topic.clone(), source)]);
    for topic in targets {
        // A topic just created may take a moment to show in every broker's metadata.
        let mut backoff = Duration::from_millis(20);
        let count = loop {
            if let Some(count) = partition_count(admin, &topic).await? {
                break count;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(500));
        };
        counts.insert(topic, count);
    }
    Ok(counts)
}

/// The partition count of `topic` in fresh metadata; `None` while it is unknown.
async fn partition_count(admin: &AdminClient, topic: &str) -> Result<Option<i32>> {
    let started = Instant::now();
    let cluster = admin.metadata().refresh_topics(&[topic]).await?;
    debug!(%topic, took = ?started.elapsed(), "metadata");
    Ok(cluster
        .topic(topic)
        .filter(|info| info.error.is_none() && !info.partitions.is_empty())
        .map(|info| info.partitions.len() as i32))
}
