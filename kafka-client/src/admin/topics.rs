//! Creating and deleting topics, and adding partitions: requests for the controller.

use std::collections::BTreeMap;
use std::time::Duration;

use kafkito_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafkito_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafkito_protocol::messages::delete_topics_request::DeleteTopicState;
use kafkito_protocol::messages::ApiKey;
use kafkito_protocol::messages::{
    CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest,
};
use kafkito_protocol::wire::Uuid;
use tracing::{info_span, Instrument};

use super::{AdminClient, AdminOptions};
use crate::error::{Error, Result};
use crate::retry::{fail_all, Retry};

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// The topic's name.
    pub name: String,
    /// Partitions; -1 for the broker's `num.partitions`.
    pub num_partitions: i32,
    /// Copies of each partition; -1 for the broker's `default.replication.factor`.
    pub replication_factor: i16,
    /// Topic configs, e.g. `("cleanup.policy", "compact")`.
    pub configs: Vec<(String, String)>,
}

impl NewTopic {
    /// A topic with `num_partitions` partitions of `replication_factor` copies each.
    pub fn new(name: impl Into<String>, num_partitions: i32, replication_factor: i16) -> Self {
        NewTopic {
            name: name.into(),
            num_partitions,
            replication_factor,
            configs: Vec::new(),
        }
    }

    /// Adds a topic config.
    pub fn with_config(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.configs.push((key.into(), value.into()));
        self
    }
}

/// Options of [`AdminClient::create_topics`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreateTopicsOptions {
    /// The call's deadline, also sent as the request's `timeout_ms`.
    pub timeout: Option<Duration>,
    /// Only check that the topics could be created (CreateTopics v1+).
    pub validate_only: bool,
}

/// What the controller reports about a topic it created. Fields a broker older than
/// CreateTopics v5 (Kafka 2.4) does not send are `None` or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTopic {
    /// The topic's name.
    pub name: String,
    /// Its id (v7+; [`Uuid::ZERO`] before).
    pub topic_id: Uuid,
    /// Its partition count (v5+).
    pub num_partitions: Option<i32>,
    /// Its replication factor (v5+).
    pub replication_factor: Option<i16>,
    /// Its configs with values (v5+).
    pub configs: Vec<(String, Option<String>)>,
}

impl AdminClient {
    /// Creates `topics` on the controller. One result per topic name; a topic that exists
    /// already is `Err` with code `TOPIC_ALREADY_EXISTS`.
    pub async fn create_topics(
        &self,
        topics: Vec<NewTopic>,
        options: CreateTopicsOptions,
    ) -> Result<BTreeMap<String, Result<CreatedTopic>>> {
        let span = info_span!("kafka.admin", op = "create_topics", topics = topics.len());
        let retry = Retry::new(
            "create_topics",
            self.timeout(options.timeout),
            &self.metadata,
        );
        let by_name: BTreeMap<String, NewTopic> =
            topics.into_iter().map(|t| (t.name.clone(), t)).collect();
        let names = by_name.keys().cloned().collect();
        let request_timeout = retry.remaining_ms();
        retry
            .per_item(&self.metadata, names, |names: Vec<String>| {
                let request = CreateTopicsRequest {
                    topics: names
                        .iter()
                        .map(|name| {
                            let topic = &by_name[name];
                            CreatableTopic {
                                name: topic.name.clone(),
                                num_partitions: topic.num_partitions,
                                replication_factor: topic.replication_factor,
                                configs: topic
                                    .configs
                                    .iter()
                                    .map(|(k, v)| CreatableTopicConfig {
                                        name: k.clone(),
                                        value: Some(v.clone()),
                                        ..Default::default()
                                    })
                                    .collect(),
                                ..Default::default()
                            }
                        })
                        .collect(),
                    timeout_ms: request_timeout,
                    validate_only: options.validate_only,
                    ..Default::default()
                };
                async move {
                    let (_, connection) = self.metadata.controller_connection().await?;
                    let response = connection.send(&request).await?;
                    let mut results: Vec<_> = response
                        .topics
                        .into_iter()
                        .map(|t| {
                            let result = Error::check(
                                ApiKey::CreateTopics,
                                t.error_code,
                                t.error_message.as_deref(),
                            )
                            .map(|()| CreatedTopic {
                                topic_id: t.topic_id,
                                num_partitions: (t.num_partitions >= 0).then_some(t.num_partitions),
                                replication_factor: (t.replication_factor >= 0)
                                    .then_some(t.replication_factor),
                                configs: t
                                    .configs
                                    .into_iter()
                                    .flatten()
                                    .map(|c| (c.name, c.value))
                                    .collect(),
                                name: t.name.clone(),
                            });
                            (t.name, result)
                        })
                        .collect();
                    add_missing(&mut results, &names, ApiKey::CreateTopics);
                    Ok(results)
                }
            })
            .instrument(span)
            .await
    }

    /// Deletes the topics named `names` on the controller. One result per name; a topic that
    /// does not exist is `Err` with `UNKNOWN_TOPIC_OR_PARTITION`.
    pub async fn delete_topics(
        &self,
        names: &[&str],
        options: AdminOptions,
    ) -> Result<BTreeMap<String, Result<()>>> {
        let span = info_span!("kafka.admin", op = "delete_topics", topics = names.len());
        let retry = Retry::new(
            "delete_topics",
            self.timeout(options.timeout),
            &self.metadata,
        );
        let request_timeout = retry.remaining_ms();
        let names = names.iter().map(|n| (*n).to_owned()).collect();
        retry
            .per_item(&self.metadata, names, |names: Vec<String>| {
                // v6 names topics in `topics`, v0-5 in `topic_names`; the encoder writes the
                // one its version has.
                let request = DeleteTopicsRequest {
                    topics: names
                        .iter()
                        .map(|name| DeleteTopicState {
                            name: Some(name.clone()),
                            ..Default::default()
                        })
                        .collect(),
                    topic_names: names.clone(),
                    timeout_ms: request_timeout,
                    ..Default::default()
                };
                async move {
                    let (_, connection) = self.metadata.controller_connection().await?;
                    let response = connection.send(&request).await?;
                    let mut results: Vec<_> = response
                        .responses
                        .into_iter()
                        .filter_map(|r| {
                            let result = Error::check(
                                ApiKey::DeleteTopics,
                                r.error_code,
                                r.error_message.as_deref(),
                            );
                            Some((r.name?, result))
                        })
                        .collect();
                    add_missing(&mut results, &names, ApiKey::DeleteTopics);
                    Ok(results)
                }
            })
            .instrument(span)
            .await
    }

    /// Raises the partition count of each topic to the given total, on the controller.
    ///
    /// A broker without CreatePartitions (API key 37) fails the call with
    /// [`Error::UnsupportedVersion`].
    pub async fn create_partitions(
        &self,
        new_totals: Vec<(String, i32)>,
        options: AdminOptions,
    ) -> Result<BTreeMap<String, Result<()>>> {
        let span = info_span!(
            "kafka.admin",
            op = "create_partitions",
            topics = new_totals.len()
        );
        let retry = Retry::new(
            "create_partitions",
            self.timeout(options.timeout),
            &self.metadata,
        );
        let request_timeout = retry.remaining_ms();
        let totals: BTreeMap<String, i32> = new_totals.into_iter().collect();
        let names = totals.keys().cloned().collect();
        let result = retry
            .per_item(&self.metadata, names, |names: Vec<String>| {
                let request = create_partitions_request(
                    names.iter().map(|n| (n.as_str(), totals[n])),
                    request_timeout,
                    false,
                );
                async move {
                    let (_, connection) = self.metadata.controller_connection().await?;
                    let response = connection.send(&request).await?;
                    let mut results: Vec<_> = response
                        .results
                        .into_iter()
                        .map(|r| {
                            let result = Error::check(
                                ApiKey::CreatePartitions,
                                r.error_code,
                                r.error_message.as_deref(),
                            );
                            (r.name, result)
                        })
                        .collect();
                    add_missing(&mut results, &names, ApiKey::CreatePartitions);
                    Ok(results)
                }
            })
            .instrument(span)
            .await?;
        Ok(result)
    }
}

/// The CreatePartitions request for `(topic, new total)` pairs, replicas placed by the broker.
pub fn create_partitions_request<'a>(
    totals: impl IntoIterator<Item = (&'a str, i32)>,
    timeout_ms: i32,
    validate_only: bool,
) -> CreatePartitionsRequest {
    CreatePartitionsRequest {
        topics: totals
            .into_iter()
            .map(|(name, count)| CreatePartitionsTopic {
                name: name.to_owned(),
                count,
                assignments: None,
                ..Default::default()
            })
            .collect(),
        timeout_ms,
        validate_only,
        ..Default::default()
    }
}

/// Gives every name the response left out an error, so that no item is silently dropped.
fn add_missing<V>(results: &mut Vec<(String, Result<V>)>, names: &[String], api: ApiKey) {
    for name in names {
        if !results.iter().any(|(n, _)| n == name) {
            results.extend(fail_all(
                std::slice::from_ref(name),
                &Error::Protocol {
                    api,
                    code: kafkito_protocol::ErrorCode::UnknownServerError,
                    message: Some(format!("the response says nothing about {name}")),
                },
            ));
        }
    }
}
