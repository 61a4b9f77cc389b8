//! The Kafka error-code table: every code a broker can put in an `ErrorCode` field, with Kafka's
//! constant name, how a client treats it, and a short description. **This is where an error code
//! is classified**: callers ask the predicates ([`ErrorCode::is_retriable`],
//! [`ErrorCode::invalidates_metadata`], [`ErrorCode::is_fatal_for_producer`]) instead of keeping
//! their own lists of codes.
//!
//! Codes, names and classes were checked against Apache Kafka 4.3.1
//! (`clients/src/main/java/org/apache/kafka/common/protocol/Errors.java`, read at
//! confluentinc/kafka tag v8.3.1, which carries Apache 4.3.1; codes up to 128 also agree with
//! Apache trunk of October 2024). The class of a code is that of the exception `Errors` maps it
//! to (the exception hierarchy, `clients/.../common/errors`, read at Apache trunk of October
//! 2024):
//!
//! | class | Java exception | what a client does |
//! |---|---|---|
//! | `InvalidMetadata` | extends `InvalidMetadataException` | refresh metadata (the leader moved, the topic is new or gone, the broker's disk failed), then retry |
//! | `Retriable` | extends `RetriableException` only | retry the same request, maybe after finding the coordinator again |
//! | `Final` | any other `ApiException` | report it: sending the same request again fails the same way |
//!
//! Everything is generated from the single table at the bottom of this file, so a code's number,
//! name, class and description cannot drift apart.

/// How Kafka's clients treat a code (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Final,
    Retriable,
    InvalidMetadata,
}

macro_rules! error_codes {
    ($(($variant:ident, $code:literal, $name:literal, $class:ident, $message:literal),)*) => {
        /// A Kafka protocol error code.
        ///
        /// [`ErrorCode::from_code`] maps every `i16`: codes missing from the table become
        /// [`ErrorCode::Unknown`], so a newer broker's codes still round-trip.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                #[doc = $message]
                $variant,
            )*
            /// A code this table does not know (for example one added by a newer broker).
            ///
            /// [`ErrorCode::from_code`] only produces it for codes not in the table.
            Unknown(i16),
        }

        impl ErrorCode {
            /// Every known code, in numeric order (without [`ErrorCode::Unknown`]).
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The error for a wire code; codes not in the table give [`ErrorCode::Unknown`].
            pub fn from_code(code: i16) -> ErrorCode {
                match code {
                    $($code => ErrorCode::$variant,)*
                    other => ErrorCode::Unknown(other),
                }
            }

            /// The wire code.
            pub fn code(self) -> i16 {
                match self {
                    $(ErrorCode::$variant => $code,)*
                    ErrorCode::Unknown(code) => code,
                }
            }

            /// Kafka's constant name, e.g. `"NOT_LEADER_OR_FOLLOWER"` (`"UNKNOWN"` for
            /// [`ErrorCode::Unknown`]).
            pub fn name(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                    ErrorCode::Unknown(_) => "UNKNOWN",
                }
            }

            /// The code's row of the table; unknown codes are final.
            fn class(self) -> Class {
                match self {
                    $(ErrorCode::$variant => Class::$class,)*
                    ErrorCode::Unknown(_) => Class::Final,
                }
            }

            /// A short human-readable description.
            pub fn message(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $message,)*
                    ErrorCode::Unknown(_) => "An error code this client does not know.",
                }
            }
        }
    };
}

impl ErrorCode {
    /// Whether this is code 0 ([`ErrorCode::None`]): no error.
    pub fn is_ok(self) -> bool {
        self.code() == 0
    }

    /// Whether Kafka classes the error as retriable (its exception extends
    /// `RetriableException`): the same request may succeed if sent again, after refreshing
    /// metadata ([`invalidates_metadata`](Self::invalidates_metadata)) or finding the
    /// coordinator again. Unknown codes are not retriable.
    ///
    /// ```
    /// use kafkito_protocol::ErrorCode;
    /// assert!(ErrorCode::CoordinatorLoadInProgress.is_retriable());
    /// assert!(!ErrorCode::TopicAuthorizationFailed.is_retriable());
    /// ```
    pub fn is_retriable(self) -> bool {
        self.class() != Class::Final
    }

    /// Whether the error says the client's metadata is stale (its exception extends
    /// `InvalidMetadataException`): the partition's leader moved or is being elected, the
    /// broker does not host the partition or know the topic (id), or its log directory
    /// failed. The client refreshes its metadata before it retries, as Java's `Sender` does
    /// for Produce. Such errors are always retriable.
    ///
    /// `UNKNOWN_LEADER_EPOCH` is not one: the broker has not yet seen the leader epoch the
    /// client knows, so the client's metadata is newer than the broker's and only a retry
    /// is needed.
    ///
    /// ```
    /// use kafkito_protocol::ErrorCode;
    /// assert!(ErrorCode::NotLeaderOrFollower.invalidates_metadata());
    /// assert!(ErrorCode::FencedLeaderEpoch.invalidates_metadata());
    /// assert!(!ErrorCode::UnknownLeaderEpoch.invalidates_metadata());
    /// ```
    pub fn invalidates_metadata(self) -> bool {
        self.class() == Class::InvalidMetadata
    }

    /// Whether the error leaves a producer unable to go on, whatever it was doing: it was
    /// fenced by a newer instance with its `transactional.id` (`PRODUCER_FENCED`), it is not
    /// authorized (`TRANSACTIONAL_ID_AUTHORIZATION_FAILED`, `CLUSTER_AUTHORIZATION_FAILED`),
    /// the broker lacks a version it needs (`UNSUPPORTED_VERSION`), or the coordinator says its
    /// transaction state is impossible (`INVALID_TXN_STATE`). These are the codes Java's
    /// `TransactionManager` moves to its fatal state for, from any API
    /// (`maybeTransitionToErrorState` and the transactional response handlers).
    ///
    /// Inside a transaction every other error that is not retriable is *abortable*: the
    /// transaction cannot commit, but the producer can abort it and begin another
    /// (`TRANSACTION_ABORTABLE`, KIP-890, says so outright). One code depends on the API and
    /// is not listed: `INVALID_PRODUCER_EPOCH` is abortable on Produce (KIP-588), but from the
    /// transaction coordinator Java reports it as `PRODUCER_FENCED`, fatal.
    ///
    /// ```
    /// use kafkito_protocol::ErrorCode;
    /// assert!(ErrorCode::ProducerFenced.is_fatal_for_producer());
    /// assert!(!ErrorCode::TransactionAbortable.is_fatal_for_producer());
    /// ```
    pub fn is_fatal_for_producer(self) -> bool {
        matches!(
            self,
            ErrorCode::ProducerFenced
                | ErrorCode::TransactionalIdAuthorizationFailed
                | ErrorCode::ClusterAuthorizationFailed
                | ErrorCode::UnsupportedVersion
                | ErrorCode::InvalidTxnState
        )
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.name(), self.code(), self.message())
    }
}

impl std::error::Error for ErrorCode {}

impl From<i16> for ErrorCode {
    fn from(code: i16) -> Self {
        ErrorCode::from_code(code)
    }
}

impl From<ErrorCode> for i16 {
    fn from(error: ErrorCode) -> Self {
        error.code()
    }
}

// (Variant, code, "KAFKA_NAME", class, "description")
error_codes! {
    (UnknownServerError, -1, "UNKNOWN_SERVER_ERROR", Final,
        "The broker hit an unexpected error while handling the request."),
    (None, 0, "NONE", Final, "No error."),
    (OffsetOutOfRange, 1, "OFFSET_OUT_OF_RANGE", Final,
        "The requested offset is outside the range of offsets the broker holds for the partition."),
    (CorruptMessage, 2, "CORRUPT_MESSAGE", Retriable,
        "A message failed its CRC check, is oversized, has a null key on a compacted topic, or is otherwise malformed."),
    (UnknownTopicOrPartition, 3, "UNKNOWN_TOPIC_OR_PARTITION", InvalidMetadata,
        "This broker does not host the topic-partition."),
    (InvalidFetchSize, 4, "INVALID_FETCH_SIZE", Final, "The fetch size in the request is invalid."),
    (LeaderNotAvailable, 5, "LEADER_NOT_AVAILABLE", InvalidMetadata,
        "The partition has no leader at the moment, usually because an election is under way."),
    (NotLeaderOrFollower, 6, "NOT_LEADER_OR_FOLLOWER", InvalidMetadata,
        "This broker is not the partition's leader (or, for replica requests, not one of its replicas)."),
    (RequestTimedOut, 7, "REQUEST_TIMED_OUT", Retriable, "The broker did not finish the request in time."),
    (BrokerNotAvailable, 8, "BROKER_NOT_AVAILABLE", Final, "The broker is not available."),
    (ReplicaNotAvailable, 9, "REPLICA_NOT_AVAILABLE", InvalidMetadata,
        "A replica of the partition is not available on this broker."),
    (MessageTooLarge, 10, "MESSAGE_TOO_LARGE", Final,
        "The message is larger than the broker or topic allows."),
    (StaleControllerEpoch, 11, "STALE_CONTROLLER_EPOCH", Final,
        "The request came from a controller with an outdated epoch."),
    (OffsetMetadataTooLarge, 12, "OFFSET_METADATA_TOO_LARGE", Final,
        "The metadata string attached to the offset commit is too large."),
    (NetworkException, 13, "NETWORK_EXCEPTION", InvalidMetadata,
        "The connection closed before the response arrived."),
    (CoordinatorLoadInProgress, 14, "COORDINATOR_LOAD_IN_PROGRESS", Retriable,
        "The coordinator is still loading its state."),
    (CoordinatorNotAvailable, 15, "COORDINATOR_NOT_AVAILABLE", Retriable,
        "The coordinator is not available."),
    (NotCoordinator, 16, "NOT_COORDINATOR", Retriable,
        "This broker is not the coordinator for the group or transactional id."),
    (InvalidTopicException, 17, "INVALID_TOPIC_EXCEPTION", Final,
        "The topic name is invalid, or the topic is internal and may not be written to."),
    (RecordListTooLarge, 18, "RECORD_LIST_TOO_LARGE", Final,
        "The record batch is larger than the broker's maximum segment size."),
    (NotEnoughReplicas, 19, "NOT_ENOUGH_REPLICAS", Retriable,
        "Too few in-sync replicas to accept the write."),
    (NotEnoughReplicasAfterAppend, 20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", Retriable,
        "The write was appended, but with fewer in-sync replicas than required."),
    (InvalidRequiredAcks, 21, "INVALID_REQUIRED_ACKS", Final, "The acks value is invalid."),
    (IllegalGeneration, 22, "ILLEGAL_GENERATION", Final,
        "The group generation id is not the current one."),
    (InconsistentGroupProtocol, 23, "INCONSISTENT_GROUP_PROTOCOL", Final,
        "The member's protocol type or protocol list does not match the group's."),
    (InvalidGroupId, 24, "INVALID_GROUP_ID", Final, "The group id is invalid."),
    (UnknownMemberId, 25, "UNKNOWN_MEMBER_ID", Final,
        "The coordinator does not know this member id."),
    (InvalidSessionTimeout, 26, "INVALID_SESSION_TIMEOUT", Final,
        "The session timeout is outside the range the broker allows."),
    (RebalanceInProgress, 27, "REBALANCE_IN_PROGRESS", Final,
        "The group is rebalancing, so the member has to rejoin."),
    (InvalidCommitOffsetSize, 28, "INVALID_COMMIT_OFFSET_SIZE", Final,
        "The offset commit was rejected because it is too large."),
    (TopicAuthorizationFailed, 29, "TOPIC_AUTHORIZATION_FAILED", Final,
        "Not authorized to access the topic."),
    (GroupAuthorizationFailed, 30, "GROUP_AUTHORIZATION_FAILED", Final,
        "Not authorized to access the group."),
    (ClusterAuthorizationFailed, 31, "CLUSTER_AUTHORIZATION_FAILED", Final,
        "Not authorized for this cluster-level operation."),
    (InvalidTimestamp, 32, "INVALID_TIMESTAMP", Final,
        "A message timestamp is outside the range the broker accepts."),
    (UnsupportedSaslMechanism, 33, "UNSUPPORTED_SASL_MECHANISM", Final,
        "The broker does not support the requested SASL mechanism."),
    (IllegalSaslState, 34, "ILLEGAL_SASL_STATE", Final,
        "The request is not allowed at this point of the SASL exchange."),
    (UnsupportedVersion, 35, "UNSUPPORTED_VERSION", Final,
        "The broker does not support this version of the API."),
    (TopicAlreadyExists, 36, "TOPIC_ALREADY_EXISTS", Final, "A topic with this name already exists."),
    (InvalidPartitions, 37, "INVALID_PARTITIONS", Final, "The partition count is invalid."),
    (InvalidReplicationFactor, 38, "INVALID_REPLICATION_FACTOR", Final,
        "The replication factor is below 1 or above the number of available brokers."),
    (InvalidReplicaAssignment, 39, "INVALID_REPLICA_ASSIGNMENT", Final,
        "The replica assignment is invalid."),
    (InvalidConfig, 40, "INVALID_CONFIG", Final, "A configuration value is invalid."),
    (NotController, 41, "NOT_CONTROLLER", Retriable, "This node is not the active controller."),
    (InvalidRequest, 42, "INVALID_REQUEST", Final,
        "The request is malformed or not allowed; the broker log has details."),
    (UnsupportedForMessageFormat, 43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", Final,
        "The topic's message format version does not support this request."),
    (PolicyViolation, 44, "POLICY_VIOLATION", Final,
        "The request violates a policy configured on the broker."),
    (OutOfOrderSequenceNumber, 45, "OUT_OF_ORDER_SEQUENCE_NUMBER", Final,
        "The broker received a producer sequence number out of order."),
    (DuplicateSequenceNumber, 46, "DUPLICATE_SEQUENCE_NUMBER", Final,
        "The broker received a producer sequence number it has already seen."),
    (InvalidProducerEpoch, 47, "INVALID_PRODUCER_EPOCH", Final,
        "The producer's epoch is older than the one the broker has for it."),
    (InvalidTxnState, 48, "INVALID_TXN_STATE", Final,
        "The operation is not allowed in the transaction's current state."),
    (InvalidProducerIdMapping, 49, "INVALID_PRODUCER_ID_MAPPING", Final,
        "The producer id does not belong to the transactional id in the request."),
    (InvalidTransactionTimeout, 50, "INVALID_TRANSACTION_TIMEOUT", Final,
        "The transaction timeout is larger than the broker allows."),
    (ConcurrentTransactions, 51, "CONCURRENT_TRANSACTIONS", Retriable,
        "The coordinator is still completing an earlier transaction operation for this producer."),
    (TransactionCoordinatorFenced, 52, "TRANSACTION_COORDINATOR_FENCED", Final,
        "A newer transaction coordinator has taken over."),
    (TransactionalIdAuthorizationFailed, 53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", Final,
        "Not authorized to use the transactional id."),
    (SecurityDisabled, 54, "SECURITY_DISABLED", Final,
        "Security features are disabled on the broker."),
    (OperationNotAttempted, 55, "OPERATION_NOT_ATTEMPTED", Final,
        "The broker skipped this operation because another part of the same request failed."),
    (KafkaStorageError, 56, "KAFKA_STORAGE_ERROR", InvalidMetadata,
        "The broker hit a disk error while accessing the log."),
    (LogDirNotFound, 57, "LOG_DIR_NOT_FOUND", Final,
        "The requested log directory does not exist on the broker."),
    (SaslAuthenticationFailed, 58, "SASL_AUTHENTICATION_FAILED", Final,
        "SASL authentication failed."),
    (UnknownProducerId, 59, "UNKNOWN_PRODUCER_ID", Final,
        "The broker has no state for this producer id; it may have expired."),
    (ReassignmentInProgress, 60, "REASSIGNMENT_IN_PROGRESS", Final,
        "A partition reassignment is already in progress."),
    (DelegationTokenAuthDisabled, 61, "DELEGATION_TOKEN_AUTH_DISABLED", Final,
        "Delegation token authentication is disabled on the broker."),
    (DelegationTokenNotFound, 62, "DELEGATION_TOKEN_NOT_FOUND", Final,
        "The broker does not know the delegation token."),
    (DelegationTokenOwnerMismatch, 63, "DELEGATION_TOKEN_OWNER_MISMATCH", Final,
        "The principal is not the delegation token's owner or renewer."),
    (DelegationTokenRequestNotAllowed, 64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", Final,
        "Delegation token requests are not allowed on plaintext or token-authenticated connections."),
    (DelegationTokenAuthorizationFailed, 65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", Final,
        "Not authorized for this delegation token operation."),
    (DelegationTokenExpired, 66, "DELEGATION_TOKEN_EXPIRED", Final,
        "The delegation token has expired."),
    (InvalidPrincipalType, 67, "INVALID_PRINCIPAL_TYPE", Final,
        "The principal type is not supported."),
    (NonEmptyGroup, 68, "NON_EMPTY_GROUP", Final, "The group still has active members."),
    (GroupIdNotFound, 69, "GROUP_ID_NOT_FOUND", Final, "The group does not exist."),
    (FetchSessionIdNotFound, 70, "FETCH_SESSION_ID_NOT_FOUND", Retriable,
        "The broker has no fetch session with this id."),
    (InvalidFetchSessionEpoch, 71, "INVALID_FETCH_SESSION_EPOCH", Retriable,
        "The fetch session epoch is not the one the broker expects."),
    (ListenerNotFound, 72, "LISTENER_NOT_FOUND", InvalidMetadata,
        "The partition leader has no endpoint for the listener the request came in on."),
    (TopicDeletionDisabled, 73, "TOPIC_DELETION_DISABLED", Final,
        "Topic deletion is disabled on the broker."),
    (FencedLeaderEpoch, 74, "FENCED_LEADER_EPOCH", InvalidMetadata,
        "The leader epoch in the request is older than the broker's."),
    (UnknownLeaderEpoch, 75, "UNKNOWN_LEADER_EPOCH", Retriable,
        "The leader epoch in the request is newer than the broker's."),
    (UnsupportedCompressionType, 76, "UNSUPPORTED_COMPRESSION_TYPE", Final,
        "The fetch version is too old for the compression type used by the topic."),
    (StaleBrokerEpoch, 77, "STALE_BROKER_EPOCH", Final, "The broker epoch is out of date."),
    (OffsetNotAvailable, 78, "OFFSET_NOT_AVAILABLE", Retriable,
        "The offset is not available yet because the new leader's high watermark is still catching up."),
    (MemberIdRequired, 79, "MEMBER_ID_REQUIRED", Final,
        "The member must rejoin with the member id the coordinator assigned."),
    (PreferredLeaderNotAvailable, 80, "PREFERRED_LEADER_NOT_AVAILABLE", InvalidMetadata,
        "The preferred leader is not available."),
    (GroupMaxSizeReached, 81, "GROUP_MAX_SIZE_REACHED", Final,
        "The group already has the maximum number of members."),
    (FencedInstanceId, 82, "FENCED_INSTANCE_ID", Final,
        "Another member with the same group instance id has fenced this one."),
    (EligibleLeadersNotAvailable, 83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", InvalidMetadata,
        "No replica eligible to become leader is available."),
    (ElectionNotNeeded, 84, "ELECTION_NOT_NEEDED", InvalidMetadata,
        "The partition already has the requested leader, so no election is needed."),
    (NoReassignmentInProgress, 85, "NO_REASSIGNMENT_IN_PROGRESS", Final,
        "No partition reassignment is in progress."),
    (GroupSubscribedToTopic, 86, "GROUP_SUBSCRIBED_TO_TOPIC", Final,
        "The group's offsets for the topic cannot be deleted while it is subscribed to it."),
    (InvalidRecord, 87, "INVALID_RECORD", Final, "A record failed the broker's validation."),
    (UnstableOffsetCommit, 88, "UNSTABLE_OFFSET_COMMIT", Retriable,
        "A transactional offset commit for the partition is still pending."),
    (ThrottlingQuotaExceeded, 89, "THROTTLING_QUOTA_EXCEEDED", Retriable,
        "The request was rejected because it would exceed a throttling quota."),
    (ProducerFenced, 90, "PRODUCER_FENCED", Final,
        "A newer producer with the same transactional id has fenced this one."),
    (ResourceNotFound, 91, "RESOURCE_NOT_FOUND", Final, "The resource does not exist."),
    (DuplicateResource, 92, "DUPLICATE_RESOURCE", Final,
        "The request names the same resource more than once."),
    (UnacceptableCredential, 93, "UNACCEPTABLE_CREDENTIAL", Final,
        "The credential does not meet the broker's requirements."),
    (InconsistentVoterSet, 94, "INCONSISTENT_VOTER_SET", Final,
        "The sender's voter set differs from the receiver's."),
    (InvalidUpdateVersion, 95, "INVALID_UPDATE_VERSION", Final, "The update version is invalid."),
    (FeatureUpdateFailed, 96, "FEATURE_UPDATE_FAILED", Final,
        "The feature update could not be applied."),
    (PrincipalDeserializationFailure, 97, "PRINCIPAL_DESERIALIZATION_FAILURE", Final,
        "The principal of a forwarded request could not be deserialized."),
    (SnapshotNotFound, 98, "SNAPSHOT_NOT_FOUND", Final, "The requested snapshot does not exist."),
    (PositionOutOfRange, 99, "POSITION_OUT_OF_RANGE", Final,
        "The requested position lies outside the snapshot."),
    (UnknownTopicId, 100, "UNKNOWN_TOPIC_ID", InvalidMetadata, "This broker does not know the topic id."),
    (DuplicateBrokerRegistration, 101, "DUPLICATE_BROKER_REGISTRATION", Final,
        "A broker with this id is already registered."),
    (BrokerIdNotRegistered, 102, "BROKER_ID_NOT_REGISTERED", Final,
        "The broker id is not registered with the controller."),
    (InconsistentTopicId, 103, "INCONSISTENT_TOPIC_ID", InvalidMetadata,
        "The topic id in the request differs from the one in the broker's log."),
    (InconsistentClusterId, 104, "INCONSISTENT_CLUSTER_ID", Final,
        "The cluster id differs from the receiver's."),
    (TransactionalIdNotFound, 105, "TRANSACTIONAL_ID_NOT_FOUND", Final,
        "The transactional id does not exist."),
    (FetchSessionTopicIdError, 106, "FETCH_SESSION_TOPIC_ID_ERROR", Retriable,
        "A topic id changed within the fetch session, or requests mixed topic ids and names."),
    (IneligibleReplica, 107, "INELIGIBLE_REPLICA", Final,
        "The replica may not join the in-sync replica set."),
    (NewLeaderElected, 108, "NEW_LEADER_ELECTED", Final,
        "A new leader was elected before the partition change could be applied."),
    (OffsetMovedToTieredStorage, 109, "OFFSET_MOVED_TO_TIERED_STORAGE", Final,
        "The offset now lives only in tiered storage."),
    (FencedMemberEpoch, 110, "FENCED_MEMBER_EPOCH", Final,
        "The member epoch has been fenced; the member must rejoin with epoch 0."),
    (UnreleasedInstanceId, 111, "UNRELEASED_INSTANCE_ID", Final,
        "The group instance id is still held by a member that has not left."),
    (UnsupportedAssignor, 112, "UNSUPPORTED_ASSIGNOR", Final,
        "The group does not support the requested assignor."),
    (StaleMemberEpoch, 113, "STALE_MEMBER_EPOCH", Final,
        "The member epoch in the offset commit is out of date."),
    (MismatchedEndpointType, 114, "MISMATCHED_ENDPOINT_TYPE", Final,
        "The request went to the wrong kind of endpoint (broker versus controller)."),
    (UnsupportedEndpointType, 115, "UNSUPPORTED_ENDPOINT_TYPE", Final,
        "The requested endpoint type is not supported."),
    (UnknownControllerId, 116, "UNKNOWN_CONTROLLER_ID", Final, "The controller id is unknown."),
    (UnknownSubscriptionId, 117, "UNKNOWN_SUBSCRIPTION_ID", Final,
        "The client telemetry subscription id is unknown or out of date."),
    (TelemetryTooLarge, 118, "TELEMETRY_TOO_LARGE", Final,
        "The client telemetry payload is larger than the broker accepts."),
    (InvalidRegistration, 119, "INVALID_REGISTRATION", Final,
        "The broker or controller registration is invalid."),
    (TransactionAbortable, 120, "TRANSACTION_ABORTABLE", Final,
        "The transaction failed on the server and has to be aborted."),
    (InvalidRecordState, 121, "INVALID_RECORD_STATE", Final,
        "The share-group record's delivery state does not allow this action."),
    (ShareSessionNotFound, 122, "SHARE_SESSION_NOT_FOUND", Retriable,
        "The broker has no share session with this id."),
    (InvalidShareSessionEpoch, 123, "INVALID_SHARE_SESSION_EPOCH", Retriable,
        "The share session epoch does not match the broker's."),
    (FencedStateEpoch, 124, "FENCED_STATE_EPOCH", Final,
        "The share-group state epoch is out of date."),
    (InvalidVoterKey, 125, "INVALID_VOTER_KEY", Final,
        "The voter key does not match the replica that received it."),
    (DuplicateVoter, 126, "DUPLICATE_VOTER", Final, "The voter is already in the voter set."),
    (VoterNotFound, 127, "VOTER_NOT_FOUND", Final, "The voter is not among the current voters."),
    (InvalidRegularExpression, 128, "INVALID_REGULAR_EXPRESSION", Final,
        "The subscription's regular expression could not be parsed."),
    (RebootstrapRequired, 129, "REBOOTSTRAP_REQUIRED", Final,
        "The client's metadata is too stale; it should rebootstrap."),
    (StreamsInvalidTopology, 130, "STREAMS_INVALID_TOPOLOGY", Final,
        "The Streams topology sent by the client is invalid."),
    (StreamsInvalidTopologyEpoch, 131, "STREAMS_INVALID_TOPOLOGY_EPOCH", Final,
        "The Streams topology epoch is invalid."),
    (StreamsTopologyFenced, 132, "STREAMS_TOPOLOGY_FENCED", Final,
        "The Streams topology epoch is out of date."),
    (ShareSessionLimitReached, 133, "SHARE_SESSION_LIMIT_REACHED", Retriable,
        "The broker already has as many share sessions as it allows."),
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;
    use std::collections::HashSet;

    #[test]
    fn every_code_round_trips() {
        for &error in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_code(error.code()), error, "{error}");
            assert_eq!(ErrorCode::from(i16::from(error)), error);
        }
    }

    #[test]
    fn table_is_contiguous_and_unique() {
        let codes: Vec<i16> = ErrorCode::ALL.iter().map(|e| e.code()).collect();
        let expected: Vec<i16> = (-1..=133).collect();
        assert_eq!(codes, expected);
        let names: HashSet<&str> = ErrorCode::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        assert!(ErrorCode::ALL.iter().all(|e| !e.message().is_empty()));
    }

    #[test]
    fn known_facts() {
        let e = ErrorCode::from_code(6);
        assert_eq!(e, ErrorCode::NotLeaderOrFollower);
        assert_eq!(e.name(), "NOT_LEADER_OR_FOLLOWER");
        assert!(e.is_retriable());

        let e = ErrorCode::from_code(3);
        assert_eq!(e, ErrorCode::UnknownTopicOrPartition);
        assert_eq!(e.name(), "UNKNOWN_TOPIC_OR_PARTITION");
        assert!(e.is_retriable());

        let e = ErrorCode::from_code(47);
        assert_eq!(e, ErrorCode::InvalidProducerEpoch);
        assert_eq!(e.name(), "INVALID_PRODUCER_EPOCH");
        assert!(!e.is_retriable());

        let e = ErrorCode::from_code(90);
        assert_eq!(e, ErrorCode::ProducerFenced);
        assert_eq!(e.name(), "PRODUCER_FENCED");
        assert!(!e.is_retriable());

        assert_eq!(ErrorCode::from_code(-1), ErrorCode::UnknownServerError);
        assert!(ErrorCode::from_code(51).is_retriable()); // CONCURRENT_TRANSACTIONS
        assert!(ErrorCode::from_code(100).is_retriable()); // UNKNOWN_TOPIC_ID (invalid metadata)
        assert!(!ErrorCode::from_code(8).is_retriable()); // BROKER_NOT_AVAILABLE
        assert!(!ErrorCode::from_code(27).is_retriable()); // REBALANCE_IN_PROGRESS
    }

    #[test]
    fn metadata_invalidating_codes_are_javas_invalid_metadata_exceptions() {
        // Every `Errors` entry whose exception extends InvalidMetadataException.
        let expected: HashSet<i16> = [3, 5, 6, 9, 13, 56, 72, 74, 80, 83, 84, 100, 103].into();
        let found: HashSet<i16> = ErrorCode::ALL
            .iter()
            .filter(|e| e.invalidates_metadata())
            .map(|e| e.code())
            .collect();
        assert_eq!(found, expected);
        assert!(ErrorCode::ALL
            .iter()
            .filter(|e| e.invalidates_metadata())
            .all(|e| e.is_retriable()));
        assert!(!ErrorCode::UnknownLeaderEpoch.invalidates_metadata());
        assert!(!ErrorCode::OffsetNotAvailable.invalidates_metadata());
        assert!(!ErrorCode::Unknown(32000).invalidates_metadata());
    }

    #[test]
    fn fatal_for_the_producer() {
        let fatal: Vec<i16> = ErrorCode::ALL
            .iter()
            .filter(|e| e.is_fatal_for_producer())
            .map(|e| e.code())
            .collect();
        assert_eq!(fatal, [31, 35, 48, 53, 90]);
        // Abortable on Produce (KIP-588), fenced from the coordinator: decided per API.
        assert!(!ErrorCode::InvalidProducerEpoch.is_fatal_for_producer());
        assert!(ErrorCode::ALL
            .iter()
            .filter(|e| e.is_fatal_for_producer())
            .all(|e| !e.is_retriable()));
    }

    #[test]
    fn only_none_is_ok() {
        assert!(ErrorCode::None.is_ok());
        assert!(ErrorCode::from_code(0).is_ok());
        assert_eq!(ErrorCode::ALL.iter().filter(|e| e.is_ok()).count(), 1);
        assert!(!ErrorCode::Unknown(32000).is_ok());
    }

    #[test]
    fn unknown_codes() {
        let e = ErrorCode::from_code(32000);
        assert_eq!(e, ErrorCode::Unknown(32000));
        assert_eq!(e.code(), 32000);
        assert_eq!(e.name(), "UNKNOWN");
        assert!(!e.is_retriable());
        assert_eq!(ErrorCode::from_code(-2), ErrorCode::Unknown(-2));
        assert_eq!(ErrorCode::from_code(134), ErrorCode::Unknown(134));
        assert!(e.to_string().starts_with("UNKNOWN (32000): "));
    }

    #[test]
    fn display() {
        assert_eq!(
            ErrorCode::NotLeaderOrFollower.to_string(),
            format!(
                "NOT_LEADER_OR_FOLLOWER (6): {}",
                ErrorCode::NotLeaderOrFollower.message()
            )
        );
    }
}
