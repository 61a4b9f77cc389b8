//! The requests a transactional producer sends, one attempt each: the I/O the
//! [`TransactionManager`](super::TransactionManager) asks for. Retrying them is the caller's
//! (the client's retry policy, with [`retriable`](super::retriable) as the rule); finding,
//! caching and forgetting the coordinators is `cluster/coordinator.rs`'s.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use kafkito_protocol::messages::add_partitions_to_txn_request::AddPartitionsToTxnTopic;
use kafkito_protocol::messages::txn_offset_commit_request::{
    TxnOffsetCommitRequestPartition, TxnOffsetCommitRequestTopic,
};
use kafkito_protocol::messages::{
    AddOffsetsToTxnRequest, AddPartitionsToTxnRequest, AddPartitionsToTxnResponse, ApiKey,
    EndTxnRequest, InitProducerIdRequest, TxnOffsetCommitRequest,
};
use kafkito_protocol::ErrorCode;
use tracing::debug;

use super::{txn_error, PartitionKey, Transactions};
use crate::cluster::coordinator::CoordinatorType;
use crate::cluster::MetadataClient;
use crate::consumer::ConsumerGroupMetadata;
use crate::error::{Error, Result};
use crate::net::Connection;
use crate::producer::idempotence::ProducerIdAndEpoch;
use crate::types::TopicPartition;

/// Highest AddPartitionsToTxn version a client sends: v4+ is the broker-to-broker form.
const MAX_ADD_PARTITIONS_VERSION: i16 = 3;
/// Highest EndTxn version used: v5 is KIP-890 part 2 (an epoch bump per transaction).
const MAX_END_TXN_VERSION: i16 = 4;
/// Highest TxnOffsetCommit version used: v5 implies AddOffsetsToTxn (KIP-890 part 2).
const MAX_TXN_OFFSET_COMMIT_VERSION: i16 = 4;

/// Runs `request` on a connection to the transaction coordinator of `txn` (cached, or found),
/// with the transactional id; forgets the coordinator when the failure says it moved.
async fn at_transaction_coordinator<T, F, Fut>(
    metadata: &MetadataClient,
    txn: &Transactions,
    request: F,
) -> Result<T>
where
    F: FnOnce(Connection, String) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let id = txn.manager().transactional_id().to_owned();
    let kind = CoordinatorType::Transaction;
    let result = async {
        let node = txn.coordinators.get(metadata, kind, &id).await?;
        let connection = metadata.pool().connection(node).await?;
        request(connection, id.clone()).await
    }
    .await;
    if let Err(error) = &result {
        txn.coordinators.on_error(kind, &id, error);
    }
    result
}

/// InitProducerId for a transactional id. `bump_from` names the current id and epoch
/// (KIP-360, v3+), so that a producer bumping its own epoch is not mistaken for a zombie.
pub(crate) async fn init_producer_id(
    metadata: &MetadataClient,
    txn: &Transactions,
    transaction_timeout: Duration,
    bump_from: Option<ProducerIdAndEpoch>,
) -> Result<ProducerIdAndEpoch> {
    at_transaction_coordinator(metadata, txn, |connection, transactional_id| async move {
        init_producer_id_on(
            &connection,
            &transactional_id,
            transaction_timeout,
            bump_from,
        )
        .await
    })
    .await
}

async fn init_producer_id_on(
    connection: &Connection,
    transactional_id: &str,
    transaction_timeout: Duration,
    bump_from: Option<ProducerIdAndEpoch>,
) -> Result<ProducerIdAndEpoch> {
    let version = connection.version_for(ApiKey::InitProducerId)?;
    let mut request = InitProducerIdRequest {
        transactional_id: Some(transactional_id.to_owned()),
        transaction_timeout_ms: i32::try_from(transaction_timeout.as_millis()).unwrap_or(i32::MAX),
        producer_id: -1,
        producer_epoch: -1,
        ..Default::default()
    };
    if let (Some(from), true) = (bump_from, version >= 3) {
        request.producer_id = from.producer_id;
        request.producer_epoch = from.epoch;
    }
    let response = connection.call(&request, version).await?;
    let code = ErrorCode::from_code(response.error_code);
    if !code.is_ok() {
        return Err(txn_error(transactional_id, ApiKey::InitProducerId, code));
    }
    Ok(ProducerIdAndEpoch {
        producer_id: response.producer_id,
        epoch: response.producer_epoch,
    })
}

/// The AddPartitionsToTxn request (client form, v0–3) for `partitions`.
pub(crate) fn add_partitions_request(
    transactional_id: &str,
    producer: ProducerIdAndEpoch,
    partitions: &[PartitionKey],
) -> AddPartitionsToTxnRequest {
    let mut topics: Vec<AddPartitionsToTxnTopic> = Vec::new();
    for (topic, partition) in partitions {
        match topics.iter_mut().find(|t| *t.name == **topic) {
            Some(t) => t.partitions.push(*partition),
            None => topics.push(AddPartitionsToTxnTopic {
                name: topic.to_string(),
                partitions: vec![*partition],
                ..Default::default()
            }),
        }
    }
    AddPartitionsToTxnRequest {
        v3_and_below_transactional_id: transactional_id.to_owned(),
        v3_and_below_producer_id: producer.producer_id,
        v3_and_below_producer_epoch: producer.epoch,
        v3_and_below_topics: topics,
        ..Default::default()
    }
}

/// Each partition's error code in an AddPartitionsToTxn (v0–3) response.
pub(crate) fn add_partitions_codes(
    response: &AddPartitionsToTxnResponse,
) -> HashMap<PartitionKey, ErrorCode> {
    let mut codes = HashMap::new();
    for topic in &response.results_by_topic_v3_and_below {
        let name: Arc<str> = Arc::from(topic.name.as_str());
        for p in &topic.results_by_partition {
            codes.insert(
                (name.clone(), p.partition_index),
                ErrorCode::from_code(p.partition_error_code),
            );
        }
    }
    codes
}

/// Sends AddPartitionsToTxn for `partitions` (finding the coordinator if needed); each
/// partition's code goes to [`TransactionManager::on_add_partitions`](super::TransactionManager::on_add_partitions).
pub(crate) async fn add_partitions(
    metadata: MetadataClient,
    txn: Arc<Transactions>,
    producer: ProducerIdAndEpoch,
    partitions: Vec<PartitionKey>,
) -> Result<HashMap<PartitionKey, ErrorCode>> {
    let codes = at_transaction_coordinator(&metadata, &txn, |connection, id| async move {
        let version = connection
            .version_for(ApiKey::AddPartitionsToTxn)?
            .min(MAX_ADD_PARTITIONS_VERSION);
        let request = add_partitions_request(&id, producer, &partitions);
        debug!(transactional_id = %id, partitions = partitions.len(), "AddPartitionsToTxn");
        let response = connection.call(&request, version).await?;
        Ok(add_partitions_codes(&response))
    })
    .await?;
    // The coordinator answers per partition: one NOT_COORDINATOR says it moved.
    if let Some(code) = codes.values().find(|c| !c.is_ok()) {
        let id = txn.manager().transactional_id().to_owned();
        let error = Error::Protocol {
            api: ApiKey::AddPartitionsToTxn,
            code: *code,
            message: None,
        };
        txn.coordinators
            .on_error(CoordinatorType::Transaction, &id, &error);
    }
    Ok(codes)
}

/// AddOffsetsToTxn for `group` at the transaction coordinator.
pub(crate) async fn add_offsets(
    metadata: &MetadataClient,
    txn: &Transactions,
    producer: ProducerIdAndEpoch,
    group: &str,
) -> Result<()> {
    at_transaction_coordinator(metadata, txn, |connection, transactional_id| async move {
        add_offsets_on(&connection, &transactional_id, producer, group).await
    })
    .await
}

async fn add_offsets_on(
    connection: &Connection,
    transactional_id: &str,
    producer: ProducerIdAndEpoch,
    group: &str,
) -> Result<()> {
    let version = connection.version_for(ApiKey::AddOffsetsToTxn)?;
    let request = AddOffsetsToTxnRequest {
        transactional_id: transactional_id.to_owned(),
        producer_id: producer.producer_id,
        producer_epoch: producer.epoch,
        group_id: group.to_owned(),
        ..Default::default()
    };
    let response = connection.call(&request, version).await?;
    check_code(
        transactional_id,
        ApiKey::AddOffsetsToTxn,
        response.error_code,
    )
}

fn check_code(transactional_id: &str, api: ApiKey, code: i16) -> Result<()> {
    let code = ErrorCode::from_code(code);
    if code.is_ok() {
        Ok(())
    } else {
        Err(txn_error(transactional_id, api, code))
    }
}

/// The TxnOffsetCommit request for `offsets` of `group` (KIP-447 member fields on v3+).
pub(crate) fn txn_offset_commit_request(
    transactional_id: &str,
    producer: ProducerIdAndEpoch,
    offsets: &HashMap<TopicPartition, i64>,
    group: &ConsumerGroupMetadata,
) -> TxnOffsetCommitRequest {
    let mut topics: Vec<TxnOffsetCommitRequestTopic> = Vec::new();
    let mut sorted: Vec<_> = offsets.iter().collect();
    sorted.sort_by(|a, b| (&a.0.topic, a.0.partition).cmp(&(&b.0.topic, b.0.partition)));
    for (tp, offset) in sorted {
        let partition = TxnOffsetCommitRequestPartition {
            partition_index: tp.partition,
            committed_offset: *offset,
            committed_leader_epoch: -1,
            committed_metadata: Some(String::new()),
            ..Default::default()
        };
        match topics.iter_mut().find(|t| t.name == tp.topic) {
            Some(t) => t.partitions.push(partition),
            None => topics.push(TxnOffsetCommitRequestTopic {
                name: tp.topic.clone(),
                partitions: vec![partition],
                ..Default::default()
            }),
        }
    }
    TxnOffsetCommitRequest {
        transactional_id: transactional_id.to_owned(),
        group_id: group.group_id.clone(),
        producer_id: producer.producer_id,
        producer_epoch: producer.epoch,
        generation_id: group.generation_id,
        member_id: group.member_id.clone(),
        group_instance_id: group.group_instance_id.clone(),
        topics,
        ..Default::default()
    }
}

/// TxnOffsetCommit at the group coordinator. The first partition error is returned; member
/// errors (a zombie member: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID) are
/// abortable, as in Java.
pub(crate) async fn txn_offset_commit(
    metadata: &MetadataClient,
    txn: &Transactions,
    producer: ProducerIdAndEpoch,
    offsets: &HashMap<TopicPartition, i64>,
    group: &ConsumerGroupMetadata,
) -> Result<()> {
    let transactional_id = txn.manager().transactional_id().to_owned();
    let kind = CoordinatorType::Group;
    let committed = async {
        let node = txn
            .coordinators
            .get(metadata, kind, &group.group_id)
            .await?;
        let connection = metadata.pool().connection(node).await?;
        txn_offset_commit_on(&connection, &transactional_id, producer, offsets, group).await
    };
    committed.await.inspect_err(|error| {
        txn.coordinators.on_error(kind, &group.group_id, error);
    })
}

async fn txn_offset_commit_on(
    connection: &Connection,
    transactional_id: &str,
    producer: ProducerIdAndEpoch,
    offsets: &HashMap<TopicPartition, i64>,
    group: &ConsumerGroupMetadata,
) -> Result<()> {
    let version = connection
        .version_for(ApiKey::TxnOffsetCommit)?
        .min(MAX_TXN_OFFSET_COMMIT_VERSION);
    let request = txn_offset_commit_request(transactional_id, producer, offsets, group);
    let response = connection.call(&request, version).await?;
    for topic in &response.topics {
        for p in &topic.partitions {
            if p.error_code != 0 {
                debug!(topic = %topic.name, partition = p.partition_index, code = p.error_code, "TxnOffsetCommit partition error");
                return check_code(transactional_id, ApiKey::TxnOffsetCommit, p.error_code);
            }
        }
    }
    Ok(())
}

/// EndTxn (commit or abort) at the transaction coordinator.
pub(crate) async fn end_txn(
    metadata: &MetadataClient,
    txn: &Transactions,
    producer: ProducerIdAndEpoch,
    commit: bool,
) -> Result<()> {
    at_transaction_coordinator(metadata, txn, |connection, transactional_id| async move {
        end_txn_on(&connection, &transactional_id, producer, commit).await
    })
    .await
}

async fn end_txn_on(
    connection: &Connection,
    transactional_id: &str,
    producer: ProducerIdAndEpoch,
    commit: bool,
) -> Result<()> {
    let version = connection
        .version_for(ApiKey::EndTxn)?
        .min(MAX_END_TXN_VERSION);
    let request = EndTxnRequest {
        transactional_id: transactional_id.to_owned(),
        producer_id: producer.producer_id,
        producer_epoch: producer.epoch,
        committed: commit,
        ..Default::default()
    };
    let response = connection.call(&request, version).await?;
    check_code(transactional_id, ApiKey::EndTxn, response.error_code)
}
