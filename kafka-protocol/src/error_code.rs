//! The Kafka error-code table: every code a broker can put in an `ErrorCode` field, with Kafka's
//! constant name, whether the client may retry, and a short description.
//!
//! Codes, names and retriability were checked against Apache Kafka 4.3.1
//! (`clients/src/main/java/org/apache/kafka/common/protocol/Errors.java`, read at
//! confluentinc/kafka tag v8.3.1, which carries Apache 4.3.1; codes up to 128 also agree with
//! Apache trunk of October 2024). A code is retriable when Kafka's exception class for it extends
//! `RetriableException`, directly or through `InvalidMetadataException`. The descriptions are
//! our own wording.
//!
//! Everything is generated from the single table at the bottom of this file, so a code's number,
//! name, retriability and description cannot drift apart.

macro_rules! error_codes {
    ($(($variant:ident, $code:literal, $name:literal, $retriable:literal, $message:literal),)*) => {
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

            /// Whether Kafka classes the error as retriable: the same request may succeed if
            /// sent again, usually after refreshing metadata or finding the coordinator.
            /// Unknown codes are not retriable.
            pub fn is_retriable(self) -> bool {
                match self {
                    $(ErrorCode::$variant => $retriable,)*
                    ErrorCode::Unknown(_) => false,
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

// (Variant, code, "KAFKA_NAME", retriable, "description")
error_codes! {
    (UnknownServerError, -1, "UNKNOWN_SERVER_ERROR", false,
        "The broker hit an unexpected error while handling the request."),
    (None, 0, "NONE", false, "No error."),
    (OffsetOutOfRange, 1, "OFFSET_OUT_OF_RANGE", false,
        "The requested offset is outside the range of offsets the broker holds for the partition."),
    (CorruptMessage, 2, "CORRUPT_MESSAGE", true,
        "A message failed its CRC check, is oversized, has a null key on a compacted topic, or is otherwise malformed."),
    (UnknownTopicOrPartition, 3, "UNKNOWN_TOPIC_OR_PARTITION", true,
        "This broker does not host the topic-partition."),
    (InvalidFetchSize, 4, "INVALID_FETCH_SIZE", false, "The fetch size in the request is invalid."),
    (LeaderNotAvailable, 5, "LEADER_NOT_AVAILABLE", true,
        "The partition has no leader at the moment, usually because an election is under way."),
    (NotLeaderOrFollower, 6, "NOT_LEADER_OR_FOLLOWER", true,
        "This broker is not the partition's leader (or, for replica requests, not one of its replicas)."),
    (RequestTimedOut, 7, "REQUEST_TIMED_OUT", true, "The broker did not finish the request in time."),
    (BrokerNotAvailable, 8, "BROKER_NOT_AVAILABLE", false, "The broker is not available."),
    (ReplicaNotAvailable, 9, "REPLICA_NOT_AVAILABLE", true,
        "A replica of the partition is not available on this broker."),
    (MessageTooLarge, 10, "MESSAGE_TOO_LARGE", false,
        "The message is larger than the broker or topic allows."),
    (StaleControllerEpoch, 11, "STALE_CONTROLLER_EPOCH", false,
        "The request came from a controller with an outdated epoch."),
    (OffsetMetadataTooLarge, 12, "OFFSET_METADATA_TOO_LARGE", false,
        "The metadata string attached to the offset commit is too large."),
    (NetworkException, 13, "NETWORK_EXCEPTION", true,
        "The connection closed before the response arrived."),
    (CoordinatorLoadInProgress, 14, "COORDINATOR_LOAD_IN_PROGRESS", true,
        "The coordinator is still loading its state."),
    (CoordinatorNotAvailable, 15, "COORDINATOR_NOT_AVAILABLE", true,
        "The coordinator is not available."),
    (NotCoordinator, 16, "NOT_COORDINATOR", true,
        "This broker is not the coordinator for the group or transactional id."),
    (InvalidTopicException, 17, "INVALID_TOPIC_EXCEPTION", false,
        "The topic name is invalid, or the topic is internal and may not be written to."),
    (RecordListTooLarge, 18, "RECORD_LIST_TOO_LARGE", false,
        "The record batch is larger than the broker's maximum segment size."),
    (NotEnoughReplicas, 19, "NOT_ENOUGH_REPLICAS", true,
        "Too few in-sync replicas to accept the write."),
    (NotEnoughReplicasAfterAppend, 20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true,
        "The write was appended, but with fewer in-sync replicas than required."),
    (InvalidRequiredAcks, 21, "INVALID_REQUIRED_ACKS", false, "The acks value is invalid."),
    (IllegalGeneration, 22, "ILLEGAL_GENERATION", false,
        "The group generation id is not the current one."),
    (InconsistentGroupProtocol, 23, "INCONSISTENT_GROUP_PROTOCOL", false,
        "The member's protocol type or protocol list does not match the group's."),
    (InvalidGroupId, 24, "INVALID_GROUP_ID", false, "The group id is invalid."),
    (UnknownMemberId, 25, "UNKNOWN_MEMBER_ID", false,
        "The coordinator does not know this member id."),
    (InvalidSessionTimeout, 26, "INVALID_SESSION_TIMEOUT", false,
        "The session timeout is outside the range the broker allows."),
    (RebalanceInProgress, 27, "REBALANCE_IN_PROGRESS", false,
        "The group is rebalancing, so the member has to rejoin."),
    (InvalidCommitOffsetSize, 28, "INVALID_COMMIT_OFFSET_SIZE", false,
        "The offset commit was rejected because it is too large."),
    (TopicAuthorizationFailed, 29, "TOPIC_AUTHORIZATION_FAILED", false,
        "Not authorized to access the topic."),
    (GroupAuthorizationFailed, 30, "GROUP_AUTHORIZATION_FAILED", false,
        "Not authorized to access the group."),
    (ClusterAuthorizationFailed, 31, "CLUSTER_AUTHORIZATION_FAILED", false,
        "Not authorized for this cluster-level operation."),
    (InvalidTimestamp, 32, "INVALID_TIMESTAMP", false,
        "A message timestamp is outside the range the broker accepts."),
    (UnsupportedSaslMechanism, 33, "UNSUPPORTED_SASL_MECHANISM", false,
        "The broker does not support the requested SASL mechanism."),
    (IllegalSaslState, 34, "ILLEGAL_SASL_STATE", false,
        "The request is not allowed at this point of the SASL exchange."),
    (UnsupportedVersion, 35, "UNSUPPORTED_VERSION", false,
        "The broker does not support this version of the API."),
    (TopicAlreadyExists, 36, "TOPIC_ALREADY_EXISTS", false, "A topic with this name already exists."),
    (InvalidPartitions, 37, "INVALID_PARTITIONS", false, "The partition count is invalid."),
    (InvalidReplicationFactor, 38, "INVALID_REPLICATION_FACTOR", false,
        "The replication factor is below 1 or above the number of available brokers."),
    (InvalidReplicaAssignment, 39, "INVALID_REPLICA_ASSIGNMENT", false,
        "The replica assignment is invalid."),
    (InvalidConfig, 40, "INVALID_CONFIG", false, "A configuration value is invalid."),
    (NotController, 41, "NOT_CONTROLLER", true, "This node is not the active controller."),
    (InvalidRequest, 42, "INVALID_REQUEST", false,
        "The request is malformed or not allowed; the broker log has details."),
    (UnsupportedForMessageFormat, 43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false,
        "The topic's message format version does not support this request."),
    (PolicyViolation, 44, "POLICY_VIOLATION", false,
        "The request violates a policy configured on the broker."),
    (OutOfOrderSequenceNumber, 45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false,
        "The broker received a producer sequence number out of order."),
    (DuplicateSequenceNumber, 46, "DUPLICATE_SEQUENCE_NUMBER", false,
        "The broker received a producer sequence number it has already seen."),
    (InvalidProducerEpoch, 47, "INVALID_PRODUCER_EPOCH", false,
        "The producer's epoch is older than the one the broker has for it."),
    (InvalidTxnState, 48, "INVALID_TXN_STATE", false,
        "The operation is not allowed in the transaction's current state."),
    (InvalidProducerIdMapping, 49, "INVALID_PRODUCER_ID_MAPPING", false,
        "The producer id does not belong to the transactional id in the request."),
    (InvalidTransactionTimeout, 50, "INVALID_TRANSACTION_TIMEOUT", false,
        "The transaction timeout is larger than the broker allows."),
    (ConcurrentTransactions, 51, "CONCURRENT_TRANSACTIONS", true,
        "The coordinator is still completing an earlier transaction operation for this producer."),
    (TransactionCoordinatorFenced, 52, "TRANSACTION_COORDINATOR_FENCED", false,
        "A newer transaction coordinator has taken over."),
    (TransactionalIdAuthorizationFailed, 53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false,
        "Not authorized to use the transactional id."),
    (SecurityDisabled, 54, "SECURITY_DISABLED", false,
        "Security features are disabled on the broker."),
    (OperationNotAttempted, 55, "OPERATION_NOT_ATTEMPTED", false,
        "The broker skipped this operation because another part of the same request failed."),
    (KafkaStorageError, 56, "KAFKA_STORAGE_ERROR", true,
        "The broker hit a disk error while accessing the log."),
    (LogDirNotFound, 57, "LOG_DIR_NOT_FOUND", false,
        "The requested log directory does not exist on the broker."),
    (SaslAuthenticationFailed, 58, "SASL_AUTHENTICATION_FAILED", false,
        "SASL authentication failed."),
    (UnknownProducerId, 59, "UNKNOWN_PRODUCER_ID", false,
        "The broker has no state for this producer id; it may have expired."),
    (ReassignmentInProgress, 60, "REASSIGNMENT_IN_PROGRESS", false,
        "A partition reassignment is already in progress."),
    (DelegationTokenAuthDisabled, 61, "DELEGATION_TOKEN_AUTH_DISABLED", false,
        "Delegation token authentication is disabled on the broker."),
    (DelegationTokenNotFound, 62, "DELEGATION_TOKEN_NOT_FOUND", false,
        "The broker does not know the delegation token."),
    (DelegationTokenOwnerMismatch, 63, "DELEGATION_TOKEN_OWNER_MISMATCH", false,
        "The principal is not the delegation token's owner or renewer."),
    (DelegationTokenRequestNotAllowed, 64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false,
        "Delegation token requests are not allowed on plaintext or token-authenticated connections."),
    (DelegationTokenAuthorizationFailed, 65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false,
        "Not authorized for this delegation token operation."),
    (DelegationTokenExpired, 66, "DELEGATION_TOKEN_EXPIRED", false,
        "The delegation token has expired."),
    (InvalidPrincipalType, 67, "INVALID_PRINCIPAL_TYPE", false,
        "The principal type is not supported."),
    (NonEmptyGroup, 68, "NON_EMPTY_GROUP", false, "The group still has active members."),
    (GroupIdNotFound, 69, "GROUP_ID_NOT_FOUND", false, "The group does not exist."),
    (FetchSessionIdNotFound, 70, "FETCH_SESSION_ID_NOT_FOUND", true,
        "The broker has no fetch session with this id."),
    (InvalidFetchSessionEpoch, 71, "INVALID_FETCH_SESSION_EPOCH", true,
        "The fetch session epoch is not the one the broker expects."),
    (ListenerNotFound, 72, "LISTENER_NOT_FOUND", true,
        "The partition leader has no endpoint for the listener the request came in on."),
    (TopicDeletionDisabled, 73, "TOPIC_DELETION_DISABLED", false,
        "Topic deletion is disabled on the broker."),
    (FencedLeaderEpoch, 74, "FENCED_LEADER_EPOCH", true,
        "The leader epoch in the request is older than the broker's."),
    (UnknownLeaderEpoch, 75, "UNKNOWN_LEADER_EPOCH", true,
        "The leader epoch in the request is newer than the broker's."),
    (UnsupportedCompressionType, 76, "UNSUPPORTED_COMPRESSION_TYPE", false,
        "The fetch version is too old for the compression type used by the topic."),
    (StaleBrokerEpoch, 77, "STALE_BROKER_EPOCH", false, "The broker epoch is out of date."),
    (OffsetNotAvailable, 78, "OFFSET_NOT_AVAILABLE", true,
        "The offset is not available yet because the new leader's high watermark is still catching up."),
    (MemberIdRequired, 79, "MEMBER_ID_REQUIRED", false,
        "The member must rejoin with the member id the coordinator assigned."),
    (PreferredLeaderNotAvailable, 80, "PREFERRED_LEADER_NOT_AVAILABLE", true,
        "The preferred leader is not available."),
    (GroupMaxSizeReached, 81, "GROUP_MAX_SIZE_REACHED", false,
        "The group already has the maximum number of members."),
    (FencedInstanceId, 82, "FENCED_INSTANCE_ID", false,
        "Another member with the same group instance id has fenced this one."),
    (EligibleLeadersNotAvailable, 83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true,
        "No replica eligible to become leader is available."),
    (ElectionNotNeeded, 84, "ELECTION_NOT_NEEDED", true,
        "The partition already has the requested leader, so no election is needed."),
    (NoReassignmentInProgress, 85, "NO_REASSIGNMENT_IN_PROGRESS", false,
        "No partition reassignment is in progress."),
    (GroupSubscribedToTopic, 86, "GROUP_SUBSCRIBED_TO_TOPIC", false,
        "The group's offsets for the topic cannot be deleted while it is subscribed to it."),
    (InvalidRecord, 87, "INVALID_RECORD", false, "A record failed the broker's validation."),
    (UnstableOffsetCommit, 88, "UNSTABLE_OFFSET_COMMIT", true,
        "A transactional offset commit for the partition is still pending."),
    (ThrottlingQuotaExceeded, 89, "THROTTLING_QUOTA_EXCEEDED", true,
        "The request was rejected because it would exceed a throttling quota."),
    (ProducerFenced, 90, "PRODUCER_FENCED", false,
        "A newer producer with the same transactional id has fenced this one."),
    (ResourceNotFound, 91, "RESOURCE_NOT_FOUND", false, "The resource does not exist."),
    (DuplicateResource, 92, "DUPLICATE_RESOURCE", false,
        "The request names the same resource more than once."),
    (UnacceptableCredential, 93, "UNACCEPTABLE_CREDENTIAL", false,
        "The credential does not meet the broker's requirements."),
    (InconsistentVoterSet, 94, "INCONSISTENT_VOTER_SET", false,
        "The sender's voter set differs from the receiver's."),
    (InvalidUpdateVersion, 95, "INVALID_UPDATE_VERSION", false, "The update version is invalid."),
    (FeatureUpdateFailed, 96, "FEATURE_UPDATE_FAILED", false,
        "The feature update could not be applied."),
    (PrincipalDeserializationFailure, 97, "PRINCIPAL_DESERIALIZATION_FAILURE", false,
        "The principal of a forwarded request could not be deserialized."),
    (SnapshotNotFound, 98, "SNAPSHOT_NOT_FOUND", false, "The requested snapshot does not exist."),
    (PositionOutOfRange, 99, "POSITION_OUT_OF_RANGE", false,
        "The requested position lies outside the snapshot."),
    (UnknownTopicId, 100, "UNKNOWN_TOPIC_ID", true, "This broker does not know the topic id."),
    (DuplicateBrokerRegistration, 101, "DUPLICATE_BROKER_REGISTRATION", false,
        "A broker with this id is already registered."),
    (BrokerIdNotRegistered, 102, "BROKER_ID_NOT_REGISTERED", false,
        "The broker id is not registered with the controller."),
    (InconsistentTopicId, 103, "INCONSISTENT_TOPIC_ID", true,
        "The topic id in the request differs from the one in the broker's log."),
    (InconsistentClusterId, 104, "INCONSISTENT_CLUSTER_ID", false,
        "The cluster id differs from the receiver's."),
    (TransactionalIdNotFound, 105, "TRANSACTIONAL_ID_NOT_FOUND", false,
        "The transactional id does not exist."),
    (FetchSessionTopicIdError, 106, "FETCH_SESSION_TOPIC_ID_ERROR", true,
        "A topic id changed within the fetch session, or requests mixed topic ids and names."),
    (IneligibleReplica, 107, "INELIGIBLE_REPLICA", false,
        "The replica may not join the in-sync replica set."),
    (NewLeaderElected, 108, "NEW_LEADER_ELECTED", false,
        "A new leader was elected before the partition change could be applied."),
    (OffsetMovedToTieredStorage, 109, "OFFSET_MOVED_TO_TIERED_STORAGE", false,
        "The offset now lives only in tiered storage."),
    (FencedMemberEpoch, 110, "FENCED_MEMBER_EPOCH", false,
        "The member epoch has been fenced; the member must rejoin with epoch 0."),
    (UnreleasedInstanceId, 111, "UNRELEASED_INSTANCE_ID", false,
        "The group instance id is still held by a member that has not left."),
    (UnsupportedAssignor, 112, "UNSUPPORTED_ASSIGNOR", false,
        "The group does not support the requested assignor."),
    (StaleMemberEpoch, 113, "STALE_MEMBER_EPOCH", false,
        "The member epoch in the offset commit is out of date."),
    (MismatchedEndpointType, 114, "MISMATCHED_ENDPOINT_TYPE", false,
        "The request went to the wrong kind of endpoint (broker versus controller)."),
    (UnsupportedEndpointType, 115, "UNSUPPORTED_ENDPOINT_TYPE", false,
        "The requested endpoint type is not supported."),
    (UnknownControllerId, 116, "UNKNOWN_CONTROLLER_ID", false, "The controller id is unknown."),
    (UnknownSubscriptionId, 117, "UNKNOWN_SUBSCRIPTION_ID", false,
        "The client telemetry subscription id is unknown or out of date."),
    (TelemetryTooLarge, 118, "TELEMETRY_TOO_LARGE", false,
        "The client telemetry payload is larger than the broker accepts."),
    (InvalidRegistration, 119, "INVALID_REGISTRATION", false,
        "The broker or controller registration is invalid."),
    (TransactionAbortable, 120, "TRANSACTION_ABORTABLE", false,
        "The transaction failed on the server and has to be aborted."),
    (InvalidRecordState, 121, "INVALID_RECORD_STATE", false,
        "The share-group record's delivery state does not allow this action."),
    (ShareSessionNotFound, 122, "SHARE_SESSION_NOT_FOUND", true,
        "The broker has no share session with this id."),
    (InvalidShareSessionEpoch, 123, "INVALID_SHARE_SESSION_EPOCH", true,
        "The share session epoch does not match the broker's."),
    (FencedStateEpoch, 124, "FENCED_STATE_EPOCH", false,
        "The share-group state epoch is out of date."),
    (InvalidVoterKey, 125, "INVALID_VOTER_KEY", false,
        "The voter key does not match the replica that received it."),
    (DuplicateVoter, 126, "DUPLICATE_VOTER", false, "The voter is already in the voter set."),
    (VoterNotFound, 127, "VOTER_NOT_FOUND", false, "The voter is not among the current voters."),
    (InvalidRegularExpression, 128, "INVALID_REGULAR_EXPRESSION", false,
        "The subscription's regular expression could not be parsed."),
    (RebootstrapRequired, 129, "REBOOTSTRAP_REQUIRED", false,
        "The client's metadata is too stale; it should rebootstrap."),
    (StreamsInvalidTopology, 130, "STREAMS_INVALID_TOPOLOGY", false,
        "The Streams topology sent by the client is invalid."),
    (StreamsInvalidTopologyEpoch, 131, "STREAMS_INVALID_TOPOLOGY_EPOCH", false,
        "The Streams topology epoch is invalid."),
    (StreamsTopologyFenced, 132, "STREAMS_TOPOLOGY_FENCED", false,
        "The Streams topology epoch is out of date."),
    (ShareSessionLimitReached, 133, "SHARE_SESSION_LIMIT_REACHED", true,
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
