//! Every Kafka message this codec speaks, generated from `kafka-protocol/schema/` by
//! `tools/codegen`. Do not edit by hand: change the schema and run
//! `cargo run -p kafkito-codegen`.

#![allow(clippy::all)]

use bytes::{Bytes, BytesMut};

use crate::{DecodeError, EncodeError};

pub mod add_offsets_to_txn_request;
pub mod add_offsets_to_txn_response;
pub mod add_partitions_to_txn_request;
pub mod add_partitions_to_txn_response;
pub mod api_versions_request;
pub mod api_versions_response;
pub mod consumer_group_describe_request;
pub mod consumer_group_describe_response;
pub mod consumer_group_heartbeat_request;
pub mod consumer_group_heartbeat_response;
pub mod create_partitions_request;
pub mod create_partitions_response;
pub mod create_topics_request;
pub mod create_topics_response;
pub mod delete_records_request;
pub mod delete_records_response;
pub mod delete_topics_request;
pub mod delete_topics_response;
pub mod describe_cluster_request;
pub mod describe_cluster_response;
pub mod describe_configs_request;
pub mod describe_configs_response;
pub mod describe_groups_request;
pub mod describe_groups_response;
pub mod end_txn_request;
pub mod end_txn_response;
pub mod fetch_request;
pub mod fetch_response;
pub mod find_coordinator_request;
pub mod find_coordinator_response;
pub mod heartbeat_request;
pub mod heartbeat_response;
pub mod init_producer_id_request;
pub mod init_producer_id_response;
pub mod join_group_request;
pub mod join_group_response;
pub mod leave_group_request;
pub mod leave_group_response;
pub mod list_groups_request;
pub mod list_groups_response;
pub mod list_offsets_request;
pub mod list_offsets_response;
pub mod metadata_request;
pub mod metadata_response;
pub mod offset_commit_request;
pub mod offset_commit_response;
pub mod offset_fetch_request;
pub mod offset_fetch_response;
pub mod offset_for_leader_epoch_request;
pub mod offset_for_leader_epoch_response;
pub mod produce_request;
pub mod produce_response;
pub mod sasl_authenticate_request;
pub mod sasl_authenticate_response;
pub mod sasl_handshake_request;
pub mod sasl_handshake_response;
pub mod sync_group_request;
pub mod sync_group_response;
pub mod txn_offset_commit_request;
pub mod txn_offset_commit_response;

pub use add_offsets_to_txn_request::AddOffsetsToTxnRequest;
pub use add_offsets_to_txn_response::AddOffsetsToTxnResponse;
pub use add_partitions_to_txn_request::AddPartitionsToTxnRequest;
pub use add_partitions_to_txn_response::AddPartitionsToTxnResponse;
pub use api_versions_request::ApiVersionsRequest;
pub use api_versions_response::ApiVersionsResponse;
pub use consumer_group_describe_request::ConsumerGroupDescribeRequest;
pub use consumer_group_describe_response::ConsumerGroupDescribeResponse;
pub use consumer_group_heartbeat_request::ConsumerGroupHeartbeatRequest;
pub use consumer_group_heartbeat_response::ConsumerGroupHeartbeatResponse;
pub use create_partitions_request::CreatePartitionsRequest;
pub use create_partitions_response::CreatePartitionsResponse;
pub use create_topics_request::CreateTopicsRequest;
pub use create_topics_response::CreateTopicsResponse;
pub use delete_records_request::DeleteRecordsRequest;
pub use delete_records_response::DeleteRecordsResponse;
pub use delete_topics_request::DeleteTopicsRequest;
pub use delete_topics_response::DeleteTopicsResponse;
pub use describe_cluster_request::DescribeClusterRequest;
pub use describe_cluster_response::DescribeClusterResponse;
pub use describe_configs_request::DescribeConfigsRequest;
pub use describe_configs_response::DescribeConfigsResponse;
pub use describe_groups_request::DescribeGroupsRequest;
pub use describe_groups_response::DescribeGroupsResponse;
pub use end_txn_request::EndTxnRequest;
pub use end_txn_response::EndTxnResponse;
pub use fetch_request::FetchRequest;
pub use fetch_response::FetchResponse;
pub use find_coordinator_request::FindCoordinatorRequest;
pub use find_coordinator_response::FindCoordinatorResponse;
pub use heartbeat_request::HeartbeatRequest;
pub use heartbeat_response::HeartbeatResponse;
pub use init_producer_id_request::InitProducerIdRequest;
pub use init_producer_id_response::InitProducerIdResponse;
pub use join_group_request::JoinGroupRequest;
pub use join_group_response::JoinGroupResponse;
pub use leave_group_request::LeaveGroupRequest;
pub use leave_group_response::LeaveGroupResponse;
pub use list_groups_request::ListGroupsRequest;
pub use list_groups_response::ListGroupsResponse;
pub use list_offsets_request::ListOffsetsRequest;
pub use list_offsets_response::ListOffsetsResponse;
pub use metadata_request::MetadataRequest;
pub use metadata_response::MetadataResponse;
pub use offset_commit_request::OffsetCommitRequest;
pub use offset_commit_response::OffsetCommitResponse;
pub use offset_fetch_request::OffsetFetchRequest;
pub use offset_fetch_response::OffsetFetchResponse;
pub use offset_for_leader_epoch_request::OffsetForLeaderEpochRequest;
pub use offset_for_leader_epoch_response::OffsetForLeaderEpochResponse;
pub use produce_request::ProduceRequest;
pub use produce_response::ProduceResponse;
pub use sasl_authenticate_request::SaslAuthenticateRequest;
pub use sasl_authenticate_response::SaslAuthenticateResponse;
pub use sasl_handshake_request::SaslHandshakeRequest;
pub use sasl_handshake_response::SaslHandshakeResponse;
pub use sync_group_request::SyncGroupRequest;
pub use sync_group_response::SyncGroupResponse;
pub use txn_offset_commit_request::TxnOffsetCommitRequest;
pub use txn_offset_commit_response::TxnOffsetCommitResponse;

/// A request or response body: encodes and decodes itself at a given version.
pub trait Message: Sized {
    /// The message's name, e.g. `ProduceRequest`.
    const NAME: &'static str;
    /// The API this message belongs to.
    const API_KEY: ApiKey;
    /// Oldest version this codec speaks.
    const MIN_VERSION: i16;
    /// Newest version this codec speaks.
    const MAX_VERSION: i16;
    /// Appends the body at `version` to `buf`.
    fn encode(&self, buf: &mut BytesMut, version: i16) -> Result<(), EncodeError> {
        self.encode_to(&mut crate::wire::Encoder::new(buf), version)
    }
    /// Appends the body at `version` through `encoder`: a splicing one leaves large `bytes`
    /// fields out of its buffer (see [`Encoder`](crate::wire::Encoder)).
    fn encode_to(
        &self,
        encoder: &mut crate::wire::Encoder<'_>,
        version: i16,
    ) -> Result<(), EncodeError>;
    /// Reads a body at `version` from the front of `buf`.
    fn decode(buf: &mut Bytes, version: i16) -> Result<Self, DecodeError>;
}

/// A request, tied to the response type the broker answers it with.
pub trait Request: Message {
    /// The response body type.
    type Response: Message;
}

/// The APIs this codec speaks, with the version ranges it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ApiKey {
    /// API key 0.
    Produce = 0,
    /// API key 1.
    Fetch = 1,
    /// API key 2.
    ListOffsets = 2,
    /// API key 3.
    Metadata = 3,
    /// API key 8.
    OffsetCommit = 8,
    /// API key 9.
    OffsetFetch = 9,
    /// API key 10.
    FindCoordinator = 10,
    /// API key 11.
    JoinGroup = 11,
    /// API key 12.
    Heartbeat = 12,
    /// API key 13.
    LeaveGroup = 13,
    /// API key 14.
    SyncGroup = 14,
    /// API key 15.
    DescribeGroups = 15,
    /// API key 16.
    ListGroups = 16,
    /// API key 17.
    SaslHandshake = 17,
    /// API key 18.
    ApiVersions = 18,
    /// API key 19.
    CreateTopics = 19,
    /// API key 20.
    DeleteTopics = 20,
    /// API key 21.
    DeleteRecords = 21,
    /// API key 22.
    InitProducerId = 22,
    /// API key 23.
    OffsetForLeaderEpoch = 23,
    /// API key 24.
    AddPartitionsToTxn = 24,
    /// API key 25.
    AddOffsetsToTxn = 25,
    /// API key 26.
    EndTxn = 26,
    /// API key 28.
    TxnOffsetCommit = 28,
    /// API key 32.
    DescribeConfigs = 32,
    /// API key 36.
    SaslAuthenticate = 36,
    /// API key 37.
    CreatePartitions = 37,
    /// API key 60.
    DescribeCluster = 60,
    /// API key 68.
    ConsumerGroupHeartbeat = 68,
    /// API key 69.
    ConsumerGroupDescribe = 69,
}

impl ApiKey {
    /// Every API this codec speaks, by key.
    pub const ALL: &'static [ApiKey] = &[
        ApiKey::Produce,
        ApiKey::Fetch,
        ApiKey::ListOffsets,
        ApiKey::Metadata,
        ApiKey::OffsetCommit,
        ApiKey::OffsetFetch,
        ApiKey::FindCoordinator,
        ApiKey::JoinGroup,
        ApiKey::Heartbeat,
        ApiKey::LeaveGroup,
        ApiKey::SyncGroup,
        ApiKey::DescribeGroups,
        ApiKey::ListGroups,
        ApiKey::SaslHandshake,
        ApiKey::ApiVersions,
        ApiKey::CreateTopics,
        ApiKey::DeleteTopics,
        ApiKey::DeleteRecords,
        ApiKey::InitProducerId,
        ApiKey::OffsetForLeaderEpoch,
        ApiKey::AddPartitionsToTxn,
        ApiKey::AddOffsetsToTxn,
        ApiKey::EndTxn,
        ApiKey::TxnOffsetCommit,
        ApiKey::DescribeConfigs,
        ApiKey::SaslAuthenticate,
        ApiKey::CreatePartitions,
        ApiKey::DescribeCluster,
        ApiKey::ConsumerGroupHeartbeat,
        ApiKey::ConsumerGroupDescribe,
    ];

    /// The API with this key, if this codec speaks it.
    pub fn from_key(key: i16) -> Option<ApiKey> {
        Some(match key {
            0 => ApiKey::Produce,
            1 => ApiKey::Fetch,
            2 => ApiKey::ListOffsets,
            3 => ApiKey::Metadata,
            8 => ApiKey::OffsetCommit,
            9 => ApiKey::OffsetFetch,
            10 => ApiKey::FindCoordinator,
            11 => ApiKey::JoinGroup,
            12 => ApiKey::Heartbeat,
            13 => ApiKey::LeaveGroup,
            14 => ApiKey::SyncGroup,
            15 => ApiKey::DescribeGroups,
            16 => ApiKey::ListGroups,
            17 => ApiKey::SaslHandshake,
            18 => ApiKey::ApiVersions,
            19 => ApiKey::CreateTopics,
            20 => ApiKey::DeleteTopics,
            21 => ApiKey::DeleteRecords,
            22 => ApiKey::InitProducerId,
            23 => ApiKey::OffsetForLeaderEpoch,
            24 => ApiKey::AddPartitionsToTxn,
            25 => ApiKey::AddOffsetsToTxn,
            26 => ApiKey::EndTxn,
            28 => ApiKey::TxnOffsetCommit,
            32 => ApiKey::DescribeConfigs,
            36 => ApiKey::SaslAuthenticate,
            37 => ApiKey::CreatePartitions,
            60 => ApiKey::DescribeCluster,
            68 => ApiKey::ConsumerGroupHeartbeat,
            69 => ApiKey::ConsumerGroupDescribe,
            _ => return None,
        })
    }

    /// The numeric API key.
    pub fn key(self) -> i16 {
        self as i16
    }

    /// The API's name, e.g. `Produce`.
    pub fn name(self) -> &'static str {
        match self {
            ApiKey::Produce => "Produce",
            ApiKey::Fetch => "Fetch",
            ApiKey::ListOffsets => "ListOffsets",
            ApiKey::Metadata => "Metadata",
            ApiKey::OffsetCommit => "OffsetCommit",
            ApiKey::OffsetFetch => "OffsetFetch",
            ApiKey::FindCoordinator => "FindCoordinator",
            ApiKey::JoinGroup => "JoinGroup",
            ApiKey::Heartbeat => "Heartbeat",
            ApiKey::LeaveGroup => "LeaveGroup",
            ApiKey::SyncGroup => "SyncGroup",
            ApiKey::DescribeGroups => "DescribeGroups",
            ApiKey::ListGroups => "ListGroups",
            ApiKey::SaslHandshake => "SaslHandshake",
            ApiKey::ApiVersions => "ApiVersions",
            ApiKey::CreateTopics => "CreateTopics",
            ApiKey::DeleteTopics => "DeleteTopics",
            ApiKey::DeleteRecords => "DeleteRecords",
            ApiKey::InitProducerId => "InitProducerId",
            ApiKey::OffsetForLeaderEpoch => "OffsetForLeaderEpoch",
            ApiKey::AddPartitionsToTxn => "AddPartitionsToTxn",
            ApiKey::AddOffsetsToTxn => "AddOffsetsToTxn",
            ApiKey::EndTxn => "EndTxn",
            ApiKey::TxnOffsetCommit => "TxnOffsetCommit",
            ApiKey::DescribeConfigs => "DescribeConfigs",
            ApiKey::SaslAuthenticate => "SaslAuthenticate",
            ApiKey::CreatePartitions => "CreatePartitions",
            ApiKey::DescribeCluster => "DescribeCluster",
            ApiKey::ConsumerGroupHeartbeat => "ConsumerGroupHeartbeat",
            ApiKey::ConsumerGroupDescribe => "ConsumerGroupDescribe",
        }
    }

    /// Oldest version this codec speaks.
    pub fn min_version(self) -> i16 {
        match self {
            ApiKey::Produce => 0,
            ApiKey::Fetch => 0,
            ApiKey::ListOffsets => 0,
            ApiKey::Metadata => 0,
            ApiKey::OffsetCommit => 0,
            ApiKey::OffsetFetch => 0,
            ApiKey::FindCoordinator => 0,
            ApiKey::JoinGroup => 0,
            ApiKey::Heartbeat => 0,
            ApiKey::LeaveGroup => 0,
            ApiKey::SyncGroup => 0,
            ApiKey::DescribeGroups => 0,
            ApiKey::ListGroups => 0,
            ApiKey::SaslHandshake => 0,
            ApiKey::ApiVersions => 0,
            ApiKey::CreateTopics => 0,
            ApiKey::DeleteTopics => 0,
            ApiKey::DeleteRecords => 0,
            ApiKey::InitProducerId => 0,
            ApiKey::OffsetForLeaderEpoch => 0,
            ApiKey::AddPartitionsToTxn => 0,
            ApiKey::AddOffsetsToTxn => 0,
            ApiKey::EndTxn => 0,
            ApiKey::TxnOffsetCommit => 0,
            ApiKey::DescribeConfigs => 0,
            ApiKey::SaslAuthenticate => 0,
            ApiKey::CreatePartitions => 0,
            ApiKey::DescribeCluster => 0,
            ApiKey::ConsumerGroupHeartbeat => 0,
            ApiKey::ConsumerGroupDescribe => 0,
        }
    }

    /// Newest version this codec speaks.
    pub fn max_version(self) -> i16 {
        match self {
            ApiKey::Produce => 13,
            ApiKey::Fetch => 18,
            ApiKey::ListOffsets => 11,
            ApiKey::Metadata => 13,
            ApiKey::OffsetCommit => 10,
            ApiKey::OffsetFetch => 10,
            ApiKey::FindCoordinator => 6,
            ApiKey::JoinGroup => 9,
            ApiKey::Heartbeat => 4,
            ApiKey::LeaveGroup => 5,
            ApiKey::SyncGroup => 5,
            ApiKey::DescribeGroups => 6,
            ApiKey::ListGroups => 5,
            ApiKey::SaslHandshake => 1,
            ApiKey::ApiVersions => 4,
            ApiKey::CreateTopics => 7,
            ApiKey::DeleteTopics => 6,
            ApiKey::DeleteRecords => 2,
            ApiKey::InitProducerId => 5,
            ApiKey::OffsetForLeaderEpoch => 4,
            ApiKey::AddPartitionsToTxn => 5,
            ApiKey::AddOffsetsToTxn => 4,
            ApiKey::EndTxn => 5,
            ApiKey::TxnOffsetCommit => 5,
            ApiKey::DescribeConfigs => 4,
            ApiKey::SaslAuthenticate => 2,
            ApiKey::CreatePartitions => 3,
            ApiKey::DescribeCluster => 2,
            ApiKey::ConsumerGroupHeartbeat => 1,
            ApiKey::ConsumerGroupDescribe => 1,
        }
    }

    /// Whether `version` uses the flexible (KIP-482) encoding: compact strings and arrays, tagged fields.
    pub fn is_flexible(self, version: i16) -> bool {
        match self {
            ApiKey::Produce => version >= 9,
            ApiKey::Fetch => version >= 12,
            ApiKey::ListOffsets => version >= 6,
            ApiKey::Metadata => version >= 9,
            ApiKey::OffsetCommit => version >= 8,
            ApiKey::OffsetFetch => version >= 6,
            ApiKey::FindCoordinator => version >= 3,
            ApiKey::JoinGroup => version >= 6,
            ApiKey::Heartbeat => version >= 4,
            ApiKey::LeaveGroup => version >= 4,
            ApiKey::SyncGroup => version >= 4,
            ApiKey::DescribeGroups => version >= 5,
            ApiKey::ListGroups => version >= 3,
            ApiKey::SaslHandshake => false,
            ApiKey::ApiVersions => version >= 3,
            ApiKey::CreateTopics => version >= 5,
            ApiKey::DeleteTopics => version >= 4,
            ApiKey::DeleteRecords => version >= 2,
            ApiKey::InitProducerId => version >= 2,
            ApiKey::OffsetForLeaderEpoch => version >= 4,
            ApiKey::AddPartitionsToTxn => version >= 3,
            ApiKey::AddOffsetsToTxn => version >= 3,
            ApiKey::EndTxn => version >= 3,
            ApiKey::TxnOffsetCommit => version >= 3,
            ApiKey::DescribeConfigs => version >= 4,
            ApiKey::SaslAuthenticate => version >= 2,
            ApiKey::CreatePartitions => version >= 2,
            ApiKey::DescribeCluster => version >= 0,
            ApiKey::ConsumerGroupHeartbeat => version >= 0,
            ApiKey::ConsumerGroupDescribe => version >= 0,
        }
    }
}

/// Any request body, for code that handles messages by API key at run time.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RequestBody {
    /// A [`ProduceRequest`].
    Produce(ProduceRequest),
    /// A [`FetchRequest`].
    Fetch(FetchRequest),
    /// A [`ListOffsetsRequest`].
    ListOffsets(ListOffsetsRequest),
    /// A [`MetadataRequest`].
    Metadata(MetadataRequest),
    /// A [`OffsetCommitRequest`].
    OffsetCommit(OffsetCommitRequest),
    /// A [`OffsetFetchRequest`].
    OffsetFetch(OffsetFetchRequest),
    /// A [`FindCoordinatorRequest`].
    FindCoordinator(FindCoordinatorRequest),
    /// A [`JoinGroupRequest`].
    JoinGroup(JoinGroupRequest),
    /// A [`HeartbeatRequest`].
    Heartbeat(HeartbeatRequest),
    /// A [`LeaveGroupRequest`].
    LeaveGroup(LeaveGroupRequest),
    /// A [`SyncGroupRequest`].
    SyncGroup(SyncGroupRequest),
    /// A [`DescribeGroupsRequest`].
    DescribeGroups(DescribeGroupsRequest),
    /// A [`ListGroupsRequest`].
    ListGroups(ListGroupsRequest),
    /// A [`SaslHandshakeRequest`].
    SaslHandshake(SaslHandshakeRequest),
    /// A [`ApiVersionsRequest`].
    ApiVersions(ApiVersionsRequest),
    /// A [`CreateTopicsRequest`].
    CreateTopics(CreateTopicsRequest),
    /// A [`DeleteTopicsRequest`].
    DeleteTopics(DeleteTopicsRequest),
    /// A [`DeleteRecordsRequest`].
    DeleteRecords(DeleteRecordsRequest),
    /// A [`InitProducerIdRequest`].
    InitProducerId(InitProducerIdRequest),
    /// A [`OffsetForLeaderEpochRequest`].
    OffsetForLeaderEpoch(OffsetForLeaderEpochRequest),
    /// A [`AddPartitionsToTxnRequest`].
    AddPartitionsToTxn(AddPartitionsToTxnRequest),
    /// A [`AddOffsetsToTxnRequest`].
    AddOffsetsToTxn(AddOffsetsToTxnRequest),
    /// A [`EndTxnRequest`].
    EndTxn(EndTxnRequest),
    /// A [`TxnOffsetCommitRequest`].
    TxnOffsetCommit(TxnOffsetCommitRequest),
    /// A [`DescribeConfigsRequest`].
    DescribeConfigs(DescribeConfigsRequest),
    /// A [`SaslAuthenticateRequest`].
    SaslAuthenticate(SaslAuthenticateRequest),
    /// A [`CreatePartitionsRequest`].
    CreatePartitions(CreatePartitionsRequest),
    /// A [`DescribeClusterRequest`].
    DescribeCluster(DescribeClusterRequest),
    /// A [`ConsumerGroupHeartbeatRequest`].
    ConsumerGroupHeartbeat(ConsumerGroupHeartbeatRequest),
    /// A [`ConsumerGroupDescribeRequest`].
    ConsumerGroupDescribe(ConsumerGroupDescribeRequest),
}

impl RequestBody {
    /// Decodes a request body of `api_key` at `version`.
    pub fn decode(api_key: ApiKey, buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {
        Ok(match api_key {
            ApiKey::Produce => RequestBody::Produce(ProduceRequest::decode(buf, version)?),
            ApiKey::Fetch => RequestBody::Fetch(FetchRequest::decode(buf, version)?),
            ApiKey::ListOffsets => {
                RequestBody::ListOffsets(ListOffsetsRequest::decode(buf, version)?)
            }
            ApiKey::Metadata => RequestBody::Metadata(MetadataRequest::decode(buf, version)?),
            ApiKey::OffsetCommit => {
                RequestBody::OffsetCommit(OffsetCommitRequest::decode(buf, version)?)
            }
            ApiKey::OffsetFetch => {
                RequestBody::OffsetFetch(OffsetFetchRequest::decode(buf, version)?)
            }
            ApiKey::FindCoordinator => {
                RequestBody::FindCoordinator(FindCoordinatorRequest::decode(buf, version)?)
            }
            ApiKey::JoinGroup => RequestBody::JoinGroup(JoinGroupRequest::decode(buf, version)?),
            ApiKey::Heartbeat => RequestBody::Heartbeat(HeartbeatRequest::decode(buf, version)?),
            ApiKey::LeaveGroup => RequestBody::LeaveGroup(LeaveGroupRequest::decode(buf, version)?),
            ApiKey::SyncGroup => RequestBody::SyncGroup(SyncGroupRequest::decode(buf, version)?),
            ApiKey::DescribeGroups => {
                RequestBody::DescribeGroups(DescribeGroupsRequest::decode(buf, version)?)
            }
            ApiKey::ListGroups => RequestBody::ListGroups(ListGroupsRequest::decode(buf, version)?),
            ApiKey::SaslHandshake => {
                RequestBody::SaslHandshake(SaslHandshakeRequest::decode(buf, version)?)
            }
            ApiKey::ApiVersions => {
                RequestBody::ApiVersions(ApiVersionsRequest::decode(buf, version)?)
            }
            ApiKey::CreateTopics => {
                RequestBody::CreateTopics(CreateTopicsRequest::decode(buf, version)?)
            }
            ApiKey::DeleteTopics => {
                RequestBody::DeleteTopics(DeleteTopicsRequest::decode(buf, version)?)
            }
            ApiKey::DeleteRecords => {
                RequestBody::DeleteRecords(DeleteRecordsRequest::decode(buf, version)?)
            }
            ApiKey::InitProducerId => {
                RequestBody::InitProducerId(InitProducerIdRequest::decode(buf, version)?)
            }
            ApiKey::OffsetForLeaderEpoch => RequestBody::OffsetForLeaderEpoch(
                OffsetForLeaderEpochRequest::decode(buf, version)?,
            ),
            ApiKey::AddPartitionsToTxn => {
                RequestBody::AddPartitionsToTxn(AddPartitionsToTxnRequest::decode(buf, version)?)
            }
            ApiKey::AddOffsetsToTxn => {
                RequestBody::AddOffsetsToTxn(AddOffsetsToTxnRequest::decode(buf, version)?)
            }
            ApiKey::EndTxn => RequestBody::EndTxn(EndTxnRequest::decode(buf, version)?),
            ApiKey::TxnOffsetCommit => {
                RequestBody::TxnOffsetCommit(TxnOffsetCommitRequest::decode(buf, version)?)
            }
            ApiKey::DescribeConfigs => {
                RequestBody::DescribeConfigs(DescribeConfigsRequest::decode(buf, version)?)
            }
            ApiKey::SaslAuthenticate => {
                RequestBody::SaslAuthenticate(SaslAuthenticateRequest::decode(buf, version)?)
            }
            ApiKey::CreatePartitions => {
                RequestBody::CreatePartitions(CreatePartitionsRequest::decode(buf, version)?)
            }
            ApiKey::DescribeCluster => {
                RequestBody::DescribeCluster(DescribeClusterRequest::decode(buf, version)?)
            }
            ApiKey::ConsumerGroupHeartbeat => RequestBody::ConsumerGroupHeartbeat(
                ConsumerGroupHeartbeatRequest::decode(buf, version)?,
            ),
            ApiKey::ConsumerGroupDescribe => RequestBody::ConsumerGroupDescribe(
                ConsumerGroupDescribeRequest::decode(buf, version)?,
            ),
        })
    }

    /// Encodes the body at `version`.
    pub fn encode(&self, buf: &mut BytesMut, version: i16) -> Result<(), EncodeError> {
        match self {
            RequestBody::Produce(m) => m.encode(buf, version),
            RequestBody::Fetch(m) => m.encode(buf, version),
            RequestBody::ListOffsets(m) => m.encode(buf, version),
            RequestBody::Metadata(m) => m.encode(buf, version),
            RequestBody::OffsetCommit(m) => m.encode(buf, version),
            RequestBody::OffsetFetch(m) => m.encode(buf, version),
            RequestBody::FindCoordinator(m) => m.encode(buf, version),
            RequestBody::JoinGroup(m) => m.encode(buf, version),
            RequestBody::Heartbeat(m) => m.encode(buf, version),
            RequestBody::LeaveGroup(m) => m.encode(buf, version),
            RequestBody::SyncGroup(m) => m.encode(buf, version),
            RequestBody::DescribeGroups(m) => m.encode(buf, version),
            RequestBody::ListGroups(m) => m.encode(buf, version),
            RequestBody::SaslHandshake(m) => m.encode(buf, version),
            RequestBody::ApiVersions(m) => m.encode(buf, version),
            RequestBody::CreateTopics(m) => m.encode(buf, version),
            RequestBody::DeleteTopics(m) => m.encode(buf, version),
            RequestBody::DeleteRecords(m) => m.encode(buf, version),
            RequestBody::InitProducerId(m) => m.encode(buf, version),
            RequestBody::OffsetForLeaderEpoch(m) => m.encode(buf, version),
            RequestBody::AddPartitionsToTxn(m) => m.encode(buf, version),
            RequestBody::AddOffsetsToTxn(m) => m.encode(buf, version),
            RequestBody::EndTxn(m) => m.encode(buf, version),
            RequestBody::TxnOffsetCommit(m) => m.encode(buf, version),
            RequestBody::DescribeConfigs(m) => m.encode(buf, version),
            RequestBody::SaslAuthenticate(m) => m.encode(buf, version),
            RequestBody::CreatePartitions(m) => m.encode(buf, version),
            RequestBody::DescribeCluster(m) => m.encode(buf, version),
            RequestBody::ConsumerGroupHeartbeat(m) => m.encode(buf, version),
            RequestBody::ConsumerGroupDescribe(m) => m.encode(buf, version),
        }
    }

    /// The API this body belongs to.
    pub fn api_key(&self) -> ApiKey {
        match self {
            RequestBody::Produce(_) => ApiKey::Produce,
            RequestBody::Fetch(_) => ApiKey::Fetch,
            RequestBody::ListOffsets(_) => ApiKey::ListOffsets,
            RequestBody::Metadata(_) => ApiKey::Metadata,
            RequestBody::OffsetCommit(_) => ApiKey::OffsetCommit,
            RequestBody::OffsetFetch(_) => ApiKey::OffsetFetch,
            RequestBody::FindCoordinator(_) => ApiKey::FindCoordinator,
            RequestBody::JoinGroup(_) => ApiKey::JoinGroup,
            RequestBody::Heartbeat(_) => ApiKey::Heartbeat,
            RequestBody::LeaveGroup(_) => ApiKey::LeaveGroup,
            RequestBody::SyncGroup(_) => ApiKey::SyncGroup,
            RequestBody::DescribeGroups(_) => ApiKey::DescribeGroups,
            RequestBody::ListGroups(_) => ApiKey::ListGroups,
            RequestBody::SaslHandshake(_) => ApiKey::SaslHandshake,
            RequestBody::ApiVersions(_) => ApiKey::ApiVersions,
            RequestBody::CreateTopics(_) => ApiKey::CreateTopics,
            RequestBody::DeleteTopics(_) => ApiKey::DeleteTopics,
            RequestBody::DeleteRecords(_) => ApiKey::DeleteRecords,
            RequestBody::InitProducerId(_) => ApiKey::InitProducerId,
            RequestBody::OffsetForLeaderEpoch(_) => ApiKey::OffsetForLeaderEpoch,
            RequestBody::AddPartitionsToTxn(_) => ApiKey::AddPartitionsToTxn,
            RequestBody::AddOffsetsToTxn(_) => ApiKey::AddOffsetsToTxn,
            RequestBody::EndTxn(_) => ApiKey::EndTxn,
            RequestBody::TxnOffsetCommit(_) => ApiKey::TxnOffsetCommit,
            RequestBody::DescribeConfigs(_) => ApiKey::DescribeConfigs,
            RequestBody::SaslAuthenticate(_) => ApiKey::SaslAuthenticate,
            RequestBody::CreatePartitions(_) => ApiKey::CreatePartitions,
            RequestBody::DescribeCluster(_) => ApiKey::DescribeCluster,
            RequestBody::ConsumerGroupHeartbeat(_) => ApiKey::ConsumerGroupHeartbeat,
            RequestBody::ConsumerGroupDescribe(_) => ApiKey::ConsumerGroupDescribe,
        }
    }
}

/// Any response body, for code that handles messages by API key at run time.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ResponseBody {
    /// A [`ProduceResponse`].
    Produce(ProduceResponse),
    /// A [`FetchResponse`].
    Fetch(FetchResponse),
    /// A [`ListOffsetsResponse`].
    ListOffsets(ListOffsetsResponse),
    /// A [`MetadataResponse`].
    Metadata(MetadataResponse),
    /// A [`OffsetCommitResponse`].
    OffsetCommit(OffsetCommitResponse),
    /// A [`OffsetFetchResponse`].
    OffsetFetch(OffsetFetchResponse),
    /// A [`FindCoordinatorResponse`].
    FindCoordinator(FindCoordinatorResponse),
    /// A [`JoinGroupResponse`].
    JoinGroup(JoinGroupResponse),
    /// A [`HeartbeatResponse`].
    Heartbeat(HeartbeatResponse),
    /// A [`LeaveGroupResponse`].
    LeaveGroup(LeaveGroupResponse),
    /// A [`SyncGroupResponse`].
    SyncGroup(SyncGroupResponse),
    /// A [`DescribeGroupsResponse`].
    DescribeGroups(DescribeGroupsResponse),
    /// A [`ListGroupsResponse`].
    ListGroups(ListGroupsResponse),
    /// A [`SaslHandshakeResponse`].
    SaslHandshake(SaslHandshakeResponse),
    /// A [`ApiVersionsResponse`].
    ApiVersions(ApiVersionsResponse),
    /// A [`CreateTopicsResponse`].
    CreateTopics(CreateTopicsResponse),
    /// A [`DeleteTopicsResponse`].
    DeleteTopics(DeleteTopicsResponse),
    /// A [`DeleteRecordsResponse`].
    DeleteRecords(DeleteRecordsResponse),
    /// A [`InitProducerIdResponse`].
    InitProducerId(InitProducerIdResponse),
    /// A [`OffsetForLeaderEpochResponse`].
    OffsetForLeaderEpoch(OffsetForLeaderEpochResponse),
    /// A [`AddPartitionsToTxnResponse`].
    AddPartitionsToTxn(AddPartitionsToTxnResponse),
    /// A [`AddOffsetsToTxnResponse`].
    AddOffsetsToTxn(AddOffsetsToTxnResponse),
    /// A [`EndTxnResponse`].
    EndTxn(EndTxnResponse),
    /// A [`TxnOffsetCommitResponse`].
    TxnOffsetCommit(TxnOffsetCommitResponse),
    /// A [`DescribeConfigsResponse`].
    DescribeConfigs(DescribeConfigsResponse),
    /// A [`SaslAuthenticateResponse`].
    SaslAuthenticate(SaslAuthenticateResponse),
    /// A [`CreatePartitionsResponse`].
    CreatePartitions(CreatePartitionsResponse),
    /// A [`DescribeClusterResponse`].
    DescribeCluster(DescribeClusterResponse),
    /// A [`ConsumerGroupHeartbeatResponse`].
    ConsumerGroupHeartbeat(ConsumerGroupHeartbeatResponse),
    /// A [`ConsumerGroupDescribeResponse`].
    ConsumerGroupDescribe(ConsumerGroupDescribeResponse),
}

impl ResponseBody {
    /// Decodes a response body of `api_key` at `version`.
    pub fn decode(api_key: ApiKey, buf: &mut Bytes, version: i16) -> Result<Self, DecodeError> {
        Ok(match api_key {
            ApiKey::Produce => ResponseBody::Produce(ProduceResponse::decode(buf, version)?),
            ApiKey::Fetch => ResponseBody::Fetch(FetchResponse::decode(buf, version)?),
            ApiKey::ListOffsets => {
                ResponseBody::ListOffsets(ListOffsetsResponse::decode(buf, version)?)
            }
            ApiKey::Metadata => ResponseBody::Metadata(MetadataResponse::decode(buf, version)?),
            ApiKey::OffsetCommit => {
                ResponseBody::OffsetCommit(OffsetCommitResponse::decode(buf, version)?)
            }
            ApiKey::OffsetFetch => {
                ResponseBody::OffsetFetch(OffsetFetchResponse::decode(buf, version)?)
            }
            ApiKey::FindCoordinator => {
                ResponseBody::FindCoordinator(FindCoordinatorResponse::decode(buf, version)?)
            }
            ApiKey::JoinGroup => ResponseBody::JoinGroup(JoinGroupResponse::decode(buf, version)?),
            ApiKey::Heartbeat => ResponseBody::Heartbeat(HeartbeatResponse::decode(buf, version)?),
            ApiKey::LeaveGroup => {
                ResponseBody::LeaveGroup(LeaveGroupResponse::decode(buf, version)?)
            }
            ApiKey::SyncGroup => ResponseBody::SyncGroup(SyncGroupResponse::decode(buf, version)?),
            ApiKey::DescribeGroups => {
                ResponseBody::DescribeGroups(DescribeGroupsResponse::decode(buf, version)?)
            }
            ApiKey::ListGroups => {
                ResponseBody::ListGroups(ListGroupsResponse::decode(buf, version)?)
            }
            ApiKey::SaslHandshake => {
                ResponseBody::SaslHandshake(SaslHandshakeResponse::decode(buf, version)?)
            }
            ApiKey::ApiVersions => {
                ResponseBody::ApiVersions(ApiVersionsResponse::decode(buf, version)?)
            }
            ApiKey::CreateTopics => {
                ResponseBody::CreateTopics(CreateTopicsResponse::decode(buf, version)?)
            }
            ApiKey::DeleteTopics => {
                ResponseBody::DeleteTopics(DeleteTopicsResponse::decode(buf, version)?)
            }
            ApiKey::DeleteRecords => {
                ResponseBody::DeleteRecords(DeleteRecordsResponse::decode(buf, version)?)
            }
            ApiKey::InitProducerId => {
                ResponseBody::InitProducerId(InitProducerIdResponse::decode(buf, version)?)
            }
            ApiKey::OffsetForLeaderEpoch => ResponseBody::OffsetForLeaderEpoch(
                OffsetForLeaderEpochResponse::decode(buf, version)?,
            ),
            ApiKey::AddPartitionsToTxn => {
                ResponseBody::AddPartitionsToTxn(AddPartitionsToTxnResponse::decode(buf, version)?)
            }
            ApiKey::AddOffsetsToTxn => {
                ResponseBody::AddOffsetsToTxn(AddOffsetsToTxnResponse::decode(buf, version)?)
            }
            ApiKey::EndTxn => ResponseBody::EndTxn(EndTxnResponse::decode(buf, version)?),
            ApiKey::TxnOffsetCommit => {
                ResponseBody::TxnOffsetCommit(TxnOffsetCommitResponse::decode(buf, version)?)
            }
            ApiKey::DescribeConfigs => {
                ResponseBody::DescribeConfigs(DescribeConfigsResponse::decode(buf, version)?)
            }
            ApiKey::SaslAuthenticate => {
                ResponseBody::SaslAuthenticate(SaslAuthenticateResponse::decode(buf, version)?)
            }
            ApiKey::CreatePartitions => {
                ResponseBody::CreatePartitions(CreatePartitionsResponse::decode(buf, version)?)
            }
            ApiKey::DescribeCluster => {
                ResponseBody::DescribeCluster(DescribeClusterResponse::decode(buf, version)?)
            }
            ApiKey::ConsumerGroupHeartbeat => ResponseBody::ConsumerGroupHeartbeat(
                ConsumerGroupHeartbeatResponse::decode(buf, version)?,
            ),
            ApiKey::ConsumerGroupDescribe => ResponseBody::ConsumerGroupDescribe(
                ConsumerGroupDescribeResponse::decode(buf, version)?,
            ),
        })
    }

    /// Encodes the body at `version`.
    pub fn encode(&self, buf: &mut BytesMut, version: i16) -> Result<(), EncodeError> {
        match self {
            ResponseBody::Produce(m) => m.encode(buf, version),
            ResponseBody::Fetch(m) => m.encode(buf, version),
            ResponseBody::ListOffsets(m) => m.encode(buf, version),
            ResponseBody::Metadata(m) => m.encode(buf, version),
            ResponseBody::OffsetCommit(m) => m.encode(buf, version),
            ResponseBody::OffsetFetch(m) => m.encode(buf, version),
            ResponseBody::FindCoordinator(m) => m.encode(buf, version),
            ResponseBody::JoinGroup(m) => m.encode(buf, version),
            ResponseBody::Heartbeat(m) => m.encode(buf, version),
            ResponseBody::LeaveGroup(m) => m.encode(buf, version),
            ResponseBody::SyncGroup(m) => m.encode(buf, version),
            ResponseBody::DescribeGroups(m) => m.encode(buf, version),
            ResponseBody::ListGroups(m) => m.encode(buf, version),
            ResponseBody::SaslHandshake(m) => m.encode(buf, version),
            ResponseBody::ApiVersions(m) => m.encode(buf, version),
            ResponseBody::CreateTopics(m) => m.encode(buf, version),
            ResponseBody::DeleteTopics(m) => m.encode(buf, version),
            ResponseBody::DeleteRecords(m) => m.encode(buf, version),
            ResponseBody::InitProducerId(m) => m.encode(buf, version),
            ResponseBody::OffsetForLeaderEpoch(m) => m.encode(buf, version),
            ResponseBody::AddPartitionsToTxn(m) => m.encode(buf, version),
            ResponseBody::AddOffsetsToTxn(m) => m.encode(buf, version),
            ResponseBody::EndTxn(m) => m.encode(buf, version),
            ResponseBody::TxnOffsetCommit(m) => m.encode(buf, version),
            ResponseBody::DescribeConfigs(m) => m.encode(buf, version),
            ResponseBody::SaslAuthenticate(m) => m.encode(buf, version),
            ResponseBody::CreatePartitions(m) => m.encode(buf, version),
            ResponseBody::DescribeCluster(m) => m.encode(buf, version),
            ResponseBody::ConsumerGroupHeartbeat(m) => m.encode(buf, version),
            ResponseBody::ConsumerGroupDescribe(m) => m.encode(buf, version),
        }
    }

    /// The API this body belongs to.
    pub fn api_key(&self) -> ApiKey {
        match self {
            ResponseBody::Produce(_) => ApiKey::Produce,
            ResponseBody::Fetch(_) => ApiKey::Fetch,
            ResponseBody::ListOffsets(_) => ApiKey::ListOffsets,
            ResponseBody::Metadata(_) => ApiKey::Metadata,
            ResponseBody::OffsetCommit(_) => ApiKey::OffsetCommit,
            ResponseBody::OffsetFetch(_) => ApiKey::OffsetFetch,
            ResponseBody::FindCoordinator(_) => ApiKey::FindCoordinator,
            ResponseBody::JoinGroup(_) => ApiKey::JoinGroup,
            ResponseBody::Heartbeat(_) => ApiKey::Heartbeat,
            ResponseBody::LeaveGroup(_) => ApiKey::LeaveGroup,
            ResponseBody::SyncGroup(_) => ApiKey::SyncGroup,
            ResponseBody::DescribeGroups(_) => ApiKey::DescribeGroups,
            ResponseBody::ListGroups(_) => ApiKey::ListGroups,
            ResponseBody::SaslHandshake(_) => ApiKey::SaslHandshake,
            ResponseBody::ApiVersions(_) => ApiKey::ApiVersions,
            ResponseBody::CreateTopics(_) => ApiKey::CreateTopics,
            ResponseBody::DeleteTopics(_) => ApiKey::DeleteTopics,
            ResponseBody::DeleteRecords(_) => ApiKey::DeleteRecords,
            ResponseBody::InitProducerId(_) => ApiKey::InitProducerId,
            ResponseBody::OffsetForLeaderEpoch(_) => ApiKey::OffsetForLeaderEpoch,
            ResponseBody::AddPartitionsToTxn(_) => ApiKey::AddPartitionsToTxn,
            ResponseBody::AddOffsetsToTxn(_) => ApiKey::AddOffsetsToTxn,
            ResponseBody::EndTxn(_) => ApiKey::EndTxn,
            ResponseBody::TxnOffsetCommit(_) => ApiKey::TxnOffsetCommit,
            ResponseBody::DescribeConfigs(_) => ApiKey::DescribeConfigs,
            ResponseBody::SaslAuthenticate(_) => ApiKey::SaslAuthenticate,
            ResponseBody::CreatePartitions(_) => ApiKey::CreatePartitions,
            ResponseBody::DescribeCluster(_) => ApiKey::DescribeCluster,
            ResponseBody::ConsumerGroupHeartbeat(_) => ApiKey::ConsumerGroupHeartbeat,
            ResponseBody::ConsumerGroupDescribe(_) => ApiKey::ConsumerGroupDescribe,
        }
    }
}

#[cfg(test)]
mod round_trip {
    use super::*;
    use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
    use proptest::test_runner::{Config, TestRunner};

    /// Encode, decode, compare, and re-encode to identical bytes, at every version.
    fn check<M: Message + Clone + PartialEq + std::fmt::Debug>(
        strategy: fn(i16) -> BoxedStrategy<M>,
    ) {
        for version in M::MIN_VERSION..=M::MAX_VERSION {
            let mut runner = TestRunner::new(Config {
                cases: 48,
                ..Config::default()
            });
            let result = runner.run(&strategy(version), |value| {
                let mut buf = BytesMut::new();
                value.encode(&mut buf, version).expect("encode");
                let bytes = buf.freeze();
                let mut input = bytes.clone();
                let decoded = M::decode(&mut input, version).expect("decode");
                proptest::prop_assert_eq!(input.len(), 0, "trailing bytes");
                proptest::prop_assert_eq!(&decoded, &value);
                let mut again = BytesMut::new();
                decoded.encode(&mut again, version).expect("re-encode");
                proptest::prop_assert_eq!(&again[..], &bytes[..]);
                Ok(())
            });
            if let Err(e) = result {
                panic!("{} v{version}: {e}", M::NAME);
            }
            // Strategies must produce something at every version.
            let _ = strategy(version)
                .new_tree(&mut runner)
                .expect("tree")
                .current();
        }
    }

    #[test]
    fn produce_request() {
        check(ProduceRequest::strategy);
    }

    #[test]
    fn produce_response() {
        check(ProduceResponse::strategy);
    }

    #[test]
    fn fetch_request() {
        check(FetchRequest::strategy);
    }

    #[test]
    fn fetch_response() {
        check(FetchResponse::strategy);
    }

    #[test]
    fn list_offsets_request() {
        check(ListOffsetsRequest::strategy);
    }

    #[test]
    fn list_offsets_response() {
        check(ListOffsetsResponse::strategy);
    }

    #[test]
    fn metadata_request() {
        check(MetadataRequest::strategy);
    }

    #[test]
    fn metadata_response() {
        check(MetadataResponse::strategy);
    }

    #[test]
    fn offset_commit_request() {
        check(OffsetCommitRequest::strategy);
    }

    #[test]
    fn offset_commit_response() {
        check(OffsetCommitResponse::strategy);
    }

    #[test]
    fn offset_fetch_request() {
        check(OffsetFetchRequest::strategy);
    }

    #[test]
    fn offset_fetch_response() {
        check(OffsetFetchResponse::strategy);
    }

    #[test]
    fn find_coordinator_request() {
        check(FindCoordinatorRequest::strategy);
    }

    #[test]
    fn find_coordinator_response() {
        check(FindCoordinatorResponse::strategy);
    }

    #[test]
    fn join_group_request() {
        check(JoinGroupRequest::strategy);
    }

    #[test]
    fn join_group_response() {
        check(JoinGroupResponse::strategy);
    }

    #[test]
    fn heartbeat_request() {
        check(HeartbeatRequest::strategy);
    }

    #[test]
    fn heartbeat_response() {
        check(HeartbeatResponse::strategy);
    }

    #[test]
    fn leave_group_request() {
        check(LeaveGroupRequest::strategy);
    }

    #[test]
    fn leave_group_response() {
        check(LeaveGroupResponse::strategy);
    }

    #[test]
    fn sync_group_request() {
        check(SyncGroupRequest::strategy);
    }

    #[test]
    fn sync_group_response() {
        check(SyncGroupResponse::strategy);
    }

    #[test]
    fn describe_groups_request() {
        check(DescribeGroupsRequest::strategy);
    }

    #[test]
    fn describe_groups_response() {
        check(DescribeGroupsResponse::strategy);
    }

    #[test]
    fn list_groups_request() {
        check(ListGroupsRequest::strategy);
    }

    #[test]
    fn list_groups_response() {
        check(ListGroupsResponse::strategy);
    }

    #[test]
    fn sasl_handshake_request() {
        check(SaslHandshakeRequest::strategy);
    }

    #[test]
    fn sasl_handshake_response() {
        check(SaslHandshakeResponse::strategy);
    }

    #[test]
    fn api_versions_request() {
        check(ApiVersionsRequest::strategy);
    }

    #[test]
    fn api_versions_response() {
        check(ApiVersionsResponse::strategy);
    }

    #[test]
    fn create_topics_request() {
        check(CreateTopicsRequest::strategy);
    }

    #[test]
    fn create_topics_response() {
        check(CreateTopicsResponse::strategy);
    }

    #[test]
    fn delete_topics_request() {
        check(DeleteTopicsRequest::strategy);
    }

    #[test]
    fn delete_topics_response() {
        check(DeleteTopicsResponse::strategy);
    }

    #[test]
    fn delete_records_request() {
        check(DeleteRecordsRequest::strategy);
    }

    #[test]
    fn delete_records_response() {
        check(DeleteRecordsResponse::strategy);
    }

    #[test]
    fn init_producer_id_request() {
        check(InitProducerIdRequest::strategy);
    }

    #[test]
    fn init_producer_id_response() {
        check(InitProducerIdResponse::strategy);
    }

    #[test]
    fn offset_for_leader_epoch_request() {
        check(OffsetForLeaderEpochRequest::strategy);
    }

    #[test]
    fn offset_for_leader_epoch_response() {
        check(OffsetForLeaderEpochResponse::strategy);
    }

    #[test]
    fn add_partitions_to_txn_request() {
        check(AddPartitionsToTxnRequest::strategy);
    }

    #[test]
    fn add_partitions_to_txn_response() {
        check(AddPartitionsToTxnResponse::strategy);
    }

    #[test]
    fn add_offsets_to_txn_request() {
        check(AddOffsetsToTxnRequest::strategy);
    }

    #[test]
    fn add_offsets_to_txn_response() {
        check(AddOffsetsToTxnResponse::strategy);
    }

    #[test]
    fn end_txn_request() {
        check(EndTxnRequest::strategy);
    }

    #[test]
    fn end_txn_response() {
        check(EndTxnResponse::strategy);
    }

    #[test]
    fn txn_offset_commit_request() {
        check(TxnOffsetCommitRequest::strategy);
    }

    #[test]
    fn txn_offset_commit_response() {
        check(TxnOffsetCommitResponse::strategy);
    }

    #[test]
    fn describe_configs_request() {
        check(DescribeConfigsRequest::strategy);
    }

    #[test]
    fn describe_configs_response() {
        check(DescribeConfigsResponse::strategy);
    }

    #[test]
    fn sasl_authenticate_request() {
        check(SaslAuthenticateRequest::strategy);
    }

    #[test]
    fn sasl_authenticate_response() {
        check(SaslAuthenticateResponse::strategy);
    }

    #[test]
    fn create_partitions_request() {
        check(CreatePartitionsRequest::strategy);
    }

    #[test]
    fn create_partitions_response() {
        check(CreatePartitionsResponse::strategy);
    }

    #[test]
    fn describe_cluster_request() {
        check(DescribeClusterRequest::strategy);
    }

    #[test]
    fn describe_cluster_response() {
        check(DescribeClusterResponse::strategy);
    }

    #[test]
    fn consumer_group_heartbeat_request() {
        check(ConsumerGroupHeartbeatRequest::strategy);
    }

    #[test]
    fn consumer_group_heartbeat_response() {
        check(ConsumerGroupHeartbeatResponse::strategy);
    }

    #[test]
    fn consumer_group_describe_request() {
        check(ConsumerGroupDescribeRequest::strategy);
    }

    #[test]
    fn consumer_group_describe_response() {
        check(ConsumerGroupDescribeResponse::strategy);
    }
}
