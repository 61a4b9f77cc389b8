//! Describing the cluster (its brokers and controller) and the configs of topics and brokers.

use std::collections::BTreeMap;
use std::fmt;

use kafkito_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafkito_protocol::messages::{
    ApiKey, DescribeClusterRequest, DescribeConfigsRequest, MetadataRequest,
};
use tracing::{info_span, Instrument};

use super::{AdminClient, AdminOptions};
use crate::cluster::metadata::{BrokerInfo, Cluster};
use crate::error::{Error, Result};
use crate::net::Connection;
use crate::retry::{fail_all, Retry};

/// The cluster as one broker describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterDescription {
    /// The cluster id, when the broker reports one.
    pub cluster_id: Option<String>,
    /// The controller's broker id, when known.
    pub controller_id: Option<i32>,
    /// The live brokers, by id.
    pub brokers: BTreeMap<i32, BrokerInfo>,
    /// Which API answered: `"DescribeCluster"` or, on brokers without it, `"Metadata"`.
    pub source: &'static str,
}

/// Something that has configs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConfigResource {
    /// A topic, by name.
    Topic(String),
    /// A broker, by id.
    Broker(i32),
}

impl ConfigResource {
    /// The resource type on the wire (`ConfigResource.Type`).
    pub fn type_code(&self) -> i8 {
        match self {
            ConfigResource::Topic(_) => 2,
            ConfigResource::Broker(_) => 4,
        }
    }

    /// The resource name on the wire (a broker's id as a string).
    pub fn wire_name(&self) -> String {
        match self {
            ConfigResource::Topic(name) => name.clone(),
            ConfigResource::Broker(id) => id.to_string(),
        }
    }
}

impl fmt::Display for ConfigResource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigResource::Topic(name) => write!(f, "topic {name}"),
            ConfigResource::Broker(id) => write!(f, "broker {id}"),
        }
    }
}

/// One config of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// The key, e.g. `retention.ms`.
    pub name: String,
    /// The value; `None` for a sensitive one or one with no value.
    pub value: Option<String>,
    /// Whether it cannot be changed.
    pub read_only: bool,
    /// Whether it holds the default (v0's flag, or source `DEFAULT_CONFIG` from v1).
    pub is_default: bool,
    /// Whether the broker hides the value.
    pub is_sensitive: bool,
    /// Where the value comes from (`ConfigSource`: 1 topic, 4 static broker, 5 default...);
    /// -1 when unknown (v0).
    pub source: i8,
}

/// `ConfigSource.DEFAULT_CONFIG`.
const DEFAULT_CONFIG_SOURCE: i8 = 5;

impl AdminClient {
    /// Describes the cluster: its id, controller and brokers. Uses DescribeCluster when the
    /// broker offers it, else a Metadata request for no topics.
    pub async fn describe_cluster(&self, options: AdminOptions) -> Result<ClusterDescription> {
        let span = info_span!("kafka.admin", op = "describe_cluster");
        let retry = Retry::new(
            "describe_cluster",
            self.timeout(options.timeout),
            &self.metadata,
        );
        retry
            .whole(&self.metadata, || async {
                let (_, connection) = self.metadata.any_connection().await?;
                describe_cluster_on(&connection).await
            })
            .instrument(span)
            .await
    }

    /// The configs of each resource. Broker configs are asked of that broker (only it knows
    /// its dynamic settings); topic configs of any broker.
    pub async fn describe_configs(
        &self,
        resources: Vec<ConfigResource>,
        options: AdminOptions,
    ) -> Result<BTreeMap<ConfigResource, Result<Vec<ConfigEntry>>>> {
        let span = info_span!(
            "kafka.admin",
            op = "describe_configs",
            resources = resources.len()
        );
        let retry = Retry::new(
            "describe_configs",
            self.timeout(options.timeout),
            &self.metadata,
        );
        retry
            .per_item(
                &self.metadata,
                resources,
                |resources: Vec<ConfigResource>| async move {
                    // One request per destination: each broker resource to its broker, the topics
                    // together to any broker.
                    let mut by_target: BTreeMap<Option<i32>, Vec<ConfigResource>> = BTreeMap::new();
                    for resource in resources {
                        let target = match &resource {
                            ConfigResource::Broker(id) => Some(*id),
                            ConfigResource::Topic(_) => None,
                        };
                        by_target.entry(target).or_default().push(resource);
                    }
                    let requests = by_target.into_iter().map(|(target, resources)| async move {
                        let connection = match target {
                            Some(id) => {
                                self.metadata.ready_cluster().await?;
                                self.metadata.pool().connection(id).await
                            }
                            None => self.metadata.any_connection().await.map(|(_, c)| c),
                        };
                        match connection {
                            Ok(connection) => describe_configs_on(&connection, &resources).await,
                            Err(error) => Ok(fail_all(&resources, &error)),
                        }
                    });
                    let mut results = Vec::new();
                    for outcome in futures::future::join_all(requests).await {
                        results.extend(outcome?);
                    }
                    Ok(results)
                },
            )
            .instrument(span)
            .await
    }
}

async fn describe_cluster_on(connection: &Connection) -> Result<ClusterDescription> {
    if let Ok(version) = connection.version_for(ApiKey::DescribeCluster) {
        let response = connection
            .call(&DescribeClusterRequest::default(), version)
            .await?;
        Error::check(
            ApiKey::DescribeCluster,
            response.error_code,
            response.error_message.as_deref(),
        )?;
        return Ok(ClusterDescription {
            cluster_id: Some(response.cluster_id),
            controller_id: (response.controller_id >= 0).then_some(response.controller_id),
            brokers: response
                .brokers
                .into_iter()
                .filter_map(|b| {
                    Some((
                        b.broker_id,
                        BrokerInfo {
                            id: b.broker_id,
                            host: b.host,
                            port: u16::try_from(b.port).ok()?,
                            rack: b.rack,
                        },
                    ))
                })
                .collect(),
            source: "DescribeCluster",
        });
    }
    let version = connection.version_for(ApiKey::Metadata)?;
    let request = MetadataRequest {
        // No topics: brokers, controller and cluster id only (v1+; v0 has no "none").
        topics: Some(Vec::new()),
        allow_auto_topic_creation: false,
        ..Default::default()
    };
    let response = connection.call(&request, version).await?;
    let cluster = Cluster::from_response(&response, version)?;
    Ok(ClusterDescription {
        cluster_id: cluster.cluster_id,
        controller_id: cluster.controller_id,
        brokers: cluster.brokers,
        source: "Metadata",
    })
}

async fn describe_configs_on(
    connection: &Connection,
    resources: &[ConfigResource],
) -> Result<Vec<(ConfigResource, Result<Vec<ConfigEntry>>)>> {
    let request = DescribeConfigsRequest {
        resources: resources
            .iter()
            .map(|r| DescribeConfigsResource {
                resource_type: r.type_code(),
                resource_name: r.wire_name(),
                configuration_keys: None,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let version = connection.version_for(ApiKey::DescribeConfigs)?;
    let response = connection.call(&request, version).await?;
    let mut results = Vec::new();
    for resource in resources {
        let found = response.results.iter().find(|r| {
            r.resource_type == resource.type_code() && r.resource_name == resource.wire_name()
        });
        let result = match found {
            None => Err(Error::Protocol {
                api: ApiKey::DescribeConfigs,
                code: kafkito_protocol::ErrorCode::UnknownServerError,
                message: Some(format!("the response says nothing about {resource}")),
            }),
            Some(r) => Error::check(
                ApiKey::DescribeConfigs,
                r.error_code,
                r.error_message.as_deref(),
            )
            .map(|()| {
                r.configs
                    .iter()
                    .map(|c| ConfigEntry {
                        name: c.name.clone(),
                        value: c.value.clone(),
                        read_only: c.read_only,
                        is_default: if version == 0 {
                            c.is_default
                        } else {
                            c.config_source == DEFAULT_CONFIG_SOURCE
                        },
                        is_sensitive: c.is_sensitive,
                        source: if version == 0 { -1 } else { c.config_source },
                    })
                    .collect()
            }),
        };
        results.push((resource.clone(), result));
    }
    Ok(results)
}
