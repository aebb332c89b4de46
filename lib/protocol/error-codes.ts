/**
 * Every error code a Kafka broker can put in a response, with what it means
 * and what a client should do about it. The codes, names and flags are facts
 * taken from Apache Kafka 4.1 (see docs/error-codes.md for the rules and the
 * sources); the descriptions and hints are ours.
 */

/**
 * Kafka error codes by name, spelled as Kafka's `Errors` enum spells them.
 * A const object so that `ErrorCode.NOT_LEADER_OR_FOLLOWER` is the literal
 * type `6` and a misspelt name is a compile error.
 *
 * @example
 * ```ts
 * import { ErrorCode } from 'rxkafka'
 * if (partition.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) refreshLeaders()
 * ```
 */
export const ErrorCode = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  INVALID_FETCH_SIZE: 4,
  LEADER_NOT_AVAILABLE: 5,
  NOT_LEADER_OR_FOLLOWER: 6,
  REQUEST_TIMED_OUT: 7,
  BROKER_NOT_AVAILABLE: 8,
  REPLICA_NOT_AVAILABLE: 9,
  MESSAGE_TOO_LARGE: 10,
  STALE_CONTROLLER_EPOCH: 11,
  OFFSET_METADATA_TOO_LARGE: 12,
  NETWORK_EXCEPTION: 13,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: 20,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  INVALID_COMMIT_OFFSET_SIZE: 28,
  TOPIC_AUTHORIZATION_FAILED: 29,
  GROUP_AUTHORIZATION_FAILED: 30,
  CLUSTER_AUTHORIZATION_FAILED: 31,
  INVALID_TIMESTAMP: 32,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  NOT_CONTROLLER: 41,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  DUPLICATE_SEQUENCE_NUMBER: 46,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTION_COORDINATOR_FENCED: 52,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SECURITY_DISABLED: 54,
  OPERATION_NOT_ATTEMPTED: 55,
  KAFKA_STORAGE_ERROR: 56,
  LOG_DIR_NOT_FOUND: 57,
  SASL_AUTHENTICATION_FAILED: 58,
  UNKNOWN_PRODUCER_ID: 59,
  REASSIGNMENT_IN_PROGRESS: 60,
  DELEGATION_TOKEN_AUTH_DISABLED: 61,
  DELEGATION_TOKEN_NOT_FOUND: 62,
  DELEGATION_TOKEN_OWNER_MISMATCH: 63,
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: 64,
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 65,
  DELEGATION_TOKEN_EXPIRED: 66,
  INVALID_PRINCIPAL_TYPE: 67,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  LISTENER_NOT_FOUND: 72,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  STALE_BROKER_EPOCH: 77,
  OFFSET_NOT_AVAILABLE: 78,
  MEMBER_ID_REQUIRED: 79,
  PREFERRED_LEADER_NOT_AVAILABLE: 80,
  GROUP_MAX_SIZE_REACHED: 81,
  FENCED_INSTANCE_ID: 82,
  ELIGIBLE_LEADERS_NOT_AVAILABLE: 83,
  ELECTION_NOT_NEEDED: 84,
  NO_REASSIGNMENT_IN_PROGRESS: 85,
  GROUP_SUBSCRIBED_TO_TOPIC: 86,
  INVALID_RECORD: 87,
  UNSTABLE_OFFSET_COMMIT: 88,
  THROTTLING_QUOTA_EXCEEDED: 89,
  PRODUCER_FENCED: 90,
  RESOURCE_NOT_FOUND: 91,
  DUPLICATE_RESOURCE: 92,
  UNACCEPTABLE_CREDENTIAL: 93,
  INCONSISTENT_VOTER_SET: 94,
  INVALID_UPDATE_VERSION: 95,
  FEATURE_UPDATE_FAILED: 96,
  PRINCIPAL_DESERIALIZATION_FAILURE: 97,
  SNAPSHOT_NOT_FOUND: 98,
  POSITION_OUT_OF_RANGE: 99,
  UNKNOWN_TOPIC_ID: 100,
  DUPLICATE_BROKER_REGISTRATION: 101,
  BROKER_ID_NOT_REGISTERED: 102,
  INCONSISTENT_TOPIC_ID: 103,
  INCONSISTENT_CLUSTER_ID: 104,
  TRANSACTIONAL_ID_NOT_FOUND: 105,
  FETCH_SESSION_TOPIC_ID_ERROR: 106,
  INELIGIBLE_REPLICA: 107,
  NEW_LEADER_ELECTED: 108,
  OFFSET_MOVED_TO_TIERED_STORAGE: 109,
  FENCED_MEMBER_EPOCH: 110,
  UNRELEASED_INSTANCE_ID: 111,
  UNSUPPORTED_ASSIGNOR: 112,
  STALE_MEMBER_EPOCH: 113,
  MISMATCHED_ENDPOINT_TYPE: 114,
  UNSUPPORTED_ENDPOINT_TYPE: 115,
  UNKNOWN_CONTROLLER_ID: 116,
  UNKNOWN_SUBSCRIPTION_ID: 117,
  TELEMETRY_TOO_LARGE: 118,
  INVALID_REGISTRATION: 119,
  TRANSACTION_ABORTABLE: 120,
  INVALID_RECORD_STATE: 121,
  SHARE_SESSION_NOT_FOUND: 122,
  INVALID_SHARE_SESSION_EPOCH: 123,
  FENCED_STATE_EPOCH: 124,
  INVALID_VOTER_KEY: 125,
  DUPLICATE_VOTER: 126,
  VOTER_NOT_FOUND: 127,
  INVALID_REGULAR_EXPRESSION: 128,
  REBOOTSTRAP_REQUIRED: 129,
  STREAMS_INVALID_TOPOLOGY: 130,
  STREAMS_INVALID_TOPOLOGY_EPOCH: 131,
  STREAMS_TOPOLOGY_FENCED: 132,
  SHARE_SESSION_LIMIT_REACHED: 133,
} as const

/** The name of a Kafka error code known to this client, such as `'NOT_LEADER_OR_FOLLOWER'`. */
export type ErrorName = keyof typeof ErrorCode

/** A Kafka error code known to this client, such as `6`. */
export type KnownErrorCode = (typeof ErrorCode)[ErrorName]

/** The name given to a code this client does not know (a newer broker, or a corrupt response). */
export const UNKNOWN_ERROR_CODE_NAME = 'UNKNOWN_ERROR_CODE'

/** What a Kafka error code means and what a client should do about it. */
export interface ErrorCodeInfo {
  /** The code on the wire (an int16). */
  readonly code: number
  /** Kafka's name for it, or {@link UNKNOWN_ERROR_CODE_NAME} for a code this client does not know. */
  readonly name: ErrorName | typeof UNKNOWN_ERROR_CODE_NAME
  /** One line saying what went wrong, in rxkafka's words. */
  readonly message: string
  /** Whether the same request may succeed if sent again (Kafka maps the code to a `RetriableException`). */
  readonly retriable: boolean
  /** Whether cluster metadata (leaders, topic ids, controller) must be refreshed before retrying. */
  readonly refreshMetadata: boolean
  /** Whether the group or transaction coordinator must be looked up again (FindCoordinator) before retrying. */
  readonly findCoordinator: boolean
  /** What the user can do about it, when there is something useful to say. */
  readonly hint: string | undefined
  /** False only for the synthetic entry describing a code this client does not know. */
  readonly known: boolean
}

interface Facts {
  readonly message: string
  readonly retriable?: true
  readonly refreshMetadata?: true
  readonly findCoordinator?: true
  readonly hint?: string
}

const RETRY = 'rxkafka retries this by itself; if it persists, check the broker logs.'
const NEED_ACL = 'Grant the client principal the needed ACL, or use another principal.'
const ADMIN_INPUT = 'Check the arguments of the admin call.'
const BROKER_ONLY = 'Only brokers and controllers send this to each other; a client seeing it suggests a misrouted request.'

// Keyed by ErrorName so the compiler rejects a missing or extra entry.
const FACTS: { readonly [N in ErrorName]: Facts } = {
  UNKNOWN_SERVER_ERROR: {
    message: 'the broker failed with an error it could not express as a Kafka error code',
    hint: 'Look in the broker logs for the exception behind it.',
  },
  NONE: { message: 'no error' },
  OFFSET_OUT_OF_RANGE: {
    message: 'the requested offset is before the start or after the end of the partition log',
    hint: 'Choose a starting offset policy (earliest or latest) or seek to a valid offset.',
  },
  CORRUPT_MESSAGE: {
    message: 'a record batch failed its CRC or size check, or is otherwise malformed',
    retriable: true,
    hint: 'If it repeats, the data or the network is damaged; check the producer and the broker disks.',
  },
  UNKNOWN_TOPIC_OR_PARTITION: {
    message: 'this broker does not host the topic or partition: it may not exist, or our metadata is stale',
    retriable: true,
    refreshMetadata: true,
    hint: 'Check the topic name and partition count, or create the topic; rxkafka refreshes metadata and retries meanwhile.',
  },
  INVALID_FETCH_SIZE: { message: 'the fetch size in the request is not acceptable' },
  LEADER_NOT_AVAILABLE: {
    message: 'the partition has no leader right now, usually because an election is under way',
    retriable: true,
    refreshMetadata: true,
    hint: RETRY,
  },
  NOT_LEADER_OR_FOLLOWER: {
    message: 'this broker is not the leader (or not a replica) of the partition, so our leader information is stale',
    retriable: true,
    refreshMetadata: true,
    hint: RETRY,
  },
  REQUEST_TIMED_OUT: {
    message: 'the broker gave up on the request before it completed, for example while waiting for replicas',
    retriable: true,
    hint: 'rxkafka retries this; if it persists, raise the request timeout or look at broker load and replication.',
  },
  BROKER_NOT_AVAILABLE: { message: 'the broker the request concerns is not available' },
  REPLICA_NOT_AVAILABLE: {
    message: 'a replica of the partition is not available on the broker',
    retriable: true,
    refreshMetadata: true,
    hint: RETRY,
  },
  MESSAGE_TOO_LARGE: {
    message: 'a record or batch is larger than the broker or topic accepts',
    hint: 'Send smaller records, lower the producer batch size, or raise max.message.bytes on the topic (message.max.bytes on the broker).',
  },
  STALE_CONTROLLER_EPOCH: { message: 'the request came from a controller that has since been replaced', hint: BROKER_ONLY },
  OFFSET_METADATA_TOO_LARGE: {
    message: 'the metadata string attached to a committed offset is too long',
    hint: 'Shorten the commit metadata, or raise offset.metadata.max.bytes on the brokers.',
  },
  NETWORK_EXCEPTION: {
    message: 'the broker lost a connection it needed before it could answer',
    retriable: true,
    refreshMetadata: true,
    hint: RETRY,
  },
  COORDINATOR_LOAD_IN_PROGRESS: {
    message: 'the coordinator is still loading its state and cannot serve the request yet',
    retriable: true,
    hint: 'rxkafka retries after a short wait.',
  },
  COORDINATOR_NOT_AVAILABLE: {
    message: 'the group or transaction coordinator is not available',
    retriable: true,
    findCoordinator: true,
    hint: 'rxkafka looks the coordinator up again and retries; if it persists, check that the internal topics (__consumer_offsets, __transaction_state) are healthy.',
  },
  NOT_COORDINATOR: {
    message: 'this broker is not the coordinator for the group or transactional id',
    retriable: true,
    findCoordinator: true,
    hint: 'rxkafka looks the coordinator up again and retries.',
  },
  INVALID_TOPIC_EXCEPTION: {
    message: 'the topic name is not valid, or the operation is not allowed on that topic',
    hint: 'Topic names use only letters, digits, ".", "_" and "-", at most 249 characters; internal topics cannot be written to.',
  },
  RECORD_LIST_TOO_LARGE: {
    message: 'a record batch is larger than the log segment size on the broker',
    hint: 'Lower the producer batch size, or raise segment.bytes on the topic.',
  },
  NOT_ENOUGH_REPLICAS: {
    message: 'too few in-sync replicas to accept the write, so nothing was written',
    retriable: true,
    hint: 'rxkafka retries; if it persists, bring replicas back in sync or review min.insync.replicas.',
  },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: {
    message: 'the write reached the leader log but too few in-sync replicas to be acknowledged',
    retriable: true,
    hint: 'rxkafka retries (idempotence keeps this from duplicating); if it persists, bring replicas back in sync.',
  },
  INVALID_REQUIRED_ACKS: {
    message: 'the produce request asked for an acks value the broker does not accept',
    hint: "Use acks 0, 1 or 'all' (-1).",
  },
  ILLEGAL_GENERATION: {
    message: 'the group generation in the request is not the current one: a rebalance happened',
    hint: 'The member must rejoin the group; uncommitted work since the rebalance may be redone by another member.',
  },
  INCONSISTENT_GROUP_PROTOCOL: {
    message: "the member's protocol type or assignors do not match those of the group's other members (or the list is empty)",
    hint: 'Make every member of the group use the same protocol type and at least one common assignor.',
  },
  INVALID_GROUP_ID: { message: 'the group id is empty or otherwise not valid', hint: 'Use a non-empty group id.' },
  UNKNOWN_MEMBER_ID: {
    message: 'the coordinator does not know this member id: it expired or was removed',
    hint: 'The member must rejoin the group without a member id.',
  },
  INVALID_SESSION_TIMEOUT: {
    message: 'the session timeout is outside the range the broker allows',
    hint: 'Pick a session timeout between group.min.session.timeout.ms and group.max.session.timeout.ms of the brokers.',
  },
  REBALANCE_IN_PROGRESS: {
    message: 'the group is rebalancing, so the member has to rejoin',
    hint: 'The member rejoins the group; commits made during the rebalance are rejected.',
  },
  INVALID_COMMIT_OFFSET_SIZE: { message: 'the offset commit data is too large or otherwise not acceptable' },
  TOPIC_AUTHORIZATION_FAILED: { message: 'the client is not allowed to perform this operation on the topic', hint: NEED_ACL },
  GROUP_AUTHORIZATION_FAILED: { message: 'the client is not allowed to use this consumer group', hint: NEED_ACL },
  CLUSTER_AUTHORIZATION_FAILED: {
    message: 'the client is not allowed to perform this cluster-level operation',
    hint: `${NEED_ACL} Idempotent producing on old brokers needs IDEMPOTENT_WRITE on the cluster.`,
  },
  INVALID_TIMESTAMP: {
    message: "a record timestamp is too far from the broker's clock for the topic's settings",
    hint: 'Fix the record timestamps, or review message.timestamp.before.max.ms / after.max.ms on the topic.',
  },
  UNSUPPORTED_SASL_MECHANISM: {
    message: 'the broker does not enable the requested SASL mechanism',
    hint: 'Use a mechanism listed in the broker sasl.enabled.mechanisms.',
  },
  ILLEGAL_SASL_STATE: { message: 'the request is not allowed at this point of the SASL exchange' },
  UNSUPPORTED_VERSION: {
    message: 'the broker does not support this version of the API',
    hint: 'The broker is older or newer than this client expects; check the ApiVersions negotiation.',
  },
  TOPIC_ALREADY_EXISTS: { message: 'a topic with this name already exists' },
  INVALID_PARTITIONS: { message: 'the partition count is not valid: below 1, or not an increase', hint: ADMIN_INPUT },
  INVALID_REPLICATION_FACTOR: {
    message: 'the replication factor is below 1 or above the number of available brokers',
    hint: ADMIN_INPUT,
  },
  INVALID_REPLICA_ASSIGNMENT: { message: 'the replica assignment is not valid', hint: ADMIN_INPUT },
  INVALID_CONFIG: { message: 'a configuration value is not valid', hint: ADMIN_INPUT },
  NOT_CONTROLLER: {
    message: 'this broker is not the active controller',
    retriable: true,
    refreshMetadata: true,
    hint: 'rxkafka refreshes metadata to find the controller and retries.',
  },
  INVALID_REQUEST: {
    message: 'the broker judged the request malformed or inconsistent',
    hint: 'This usually means a client bug or an incompatible broker; the broker log says which field was wrong.',
  },
  UNSUPPORTED_FOR_MESSAGE_FORMAT: {
    message: "the request needs a newer record format than the topic's message format allows",
  },
  POLICY_VIOLATION: {
    message: 'the request breaks a policy configured on the broker',
    hint: 'See the broker create-topic or alter-config policy.',
  },
  OUT_OF_ORDER_SEQUENCE_NUMBER: {
    message: 'the broker received a producer sequence number out of order, so a batch may have been lost',
    hint: 'The idempotent producer must reset its sequence state (epoch bump); records sent since may be out of order or duplicated.',
  },
  DUPLICATE_SEQUENCE_NUMBER: {
    message: 'the broker already has a batch with this producer sequence number',
  },
  INVALID_PRODUCER_EPOCH: {
    message: 'the producer epoch is older than the one the broker knows for this producer id',
    hint: 'The producer must bump its epoch (or abort the transaction) before sending again.',
  },
  INVALID_TXN_STATE: {
    message: 'the transactional operation is not allowed in the current transaction state',
  },
  INVALID_PRODUCER_ID_MAPPING: {
    message: 'the producer id is not the one currently assigned to this transactional id',
    hint: 'Initialise the producer again (InitProducerId) to get a valid producer id.',
  },
  INVALID_TRANSACTION_TIMEOUT: {
    message: 'the transaction timeout is larger than the broker allows',
    hint: 'Use a timeout at most transaction.max.timeout.ms of the brokers.',
  },
  CONCURRENT_TRANSACTIONS: {
    message: 'another operation on the same transaction is still in progress',
    retriable: true,
    hint: 'rxkafka retries after a short wait.',
  },
  TRANSACTION_COORDINATOR_FENCED: {
    message: 'a transaction coordinator that has been replaced tried to write transaction markers',
    hint: BROKER_ONLY,
  },
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: {
    message: 'the client is not allowed to use this transactional id',
    hint: NEED_ACL,
  },
  SECURITY_DISABLED: { message: 'the security feature needed for the request is not enabled on the broker' },
  OPERATION_NOT_ATTEMPTED: {
    message: 'the broker skipped this operation because another one in the same request failed',
    hint: 'Fix the other failed operation and send this one again.',
  },
  KAFKA_STORAGE_ERROR: {
    message: 'the broker could not read or write the partition log on its disk',
    retriable: true,
    refreshMetadata: true,
    hint: 'rxkafka retries against the new leader once one is elected; the broker operator should check its disks.',
  },
  LOG_DIR_NOT_FOUND: { message: 'the log directory named in the request is not configured on the broker' },
  SASL_AUTHENTICATION_FAILED: {
    message: 'SASL authentication failed',
    hint: 'Check the user name, password or token, and the SASL mechanism.',
  },
  UNKNOWN_PRODUCER_ID: {
    message: 'the broker no longer has state for this producer id, for example because its records expired',
    hint: 'The producer must reset its idempotence state (new epoch or producer id) before sending again.',
  },
  REASSIGNMENT_IN_PROGRESS: { message: 'a partition reassignment is under way, so the operation cannot run now' },
  DELEGATION_TOKEN_AUTH_DISABLED: { message: 'delegation tokens are not enabled on the broker' },
  DELEGATION_TOKEN_NOT_FOUND: { message: 'the broker does not know this delegation token' },
  DELEGATION_TOKEN_OWNER_MISMATCH: { message: 'the principal is neither the owner nor a renewer of the delegation token' },
  DELEGATION_TOKEN_REQUEST_NOT_ALLOWED: {
    message: 'delegation token requests are not accepted on plaintext, one-way TLS or token-authenticated connections',
  },
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: { message: 'the client is not allowed to perform this delegation token operation', hint: NEED_ACL },
  DELEGATION_TOKEN_EXPIRED: { message: 'the delegation token has expired', hint: 'Create or renew a token.' },
  INVALID_PRINCIPAL_TYPE: { message: 'the broker does not support the principal type given' },
  NON_EMPTY_GROUP: {
    message: 'the group still has members, so it cannot be deleted',
    hint: 'Stop every member of the group first.',
  },
  GROUP_ID_NOT_FOUND: { message: 'no group with this id exists' },
  FETCH_SESSION_ID_NOT_FOUND: {
    message: 'the broker does not know the incremental fetch session: it was evicted, or the broker restarted',
    retriable: true,
    hint: 'rxkafka starts a new fetch session.',
  },
  INVALID_FETCH_SESSION_EPOCH: {
    message: 'the fetch session epoch does not match what the broker expects',
    retriable: true,
    hint: 'rxkafka starts a new fetch session.',
  },
  LISTENER_NOT_FOUND: {
    message: 'the partition leader has no listener matching the one the metadata request arrived on',
    retriable: true,
    refreshMetadata: true,
    hint: 'If it persists, every broker must define the listener the client connects through.',
  },
  TOPIC_DELETION_DISABLED: { message: 'topic deletion is disabled on the brokers', hint: 'Enable delete.topic.enable on the brokers.' },
  FENCED_LEADER_EPOCH: {
    message: 'the leader epoch we sent is older than the broker\'s, so our metadata is stale',
    retriable: true,
    refreshMetadata: true,
    hint: RETRY,
  },
  UNKNOWN_LEADER_EPOCH: {
    message: 'the leader epoch we sent is newer than the broker\'s, so the broker has not caught up yet',
    retriable: true,
    refreshMetadata: true,
    hint: RETRY,
  },
  UNSUPPORTED_COMPRESSION_TYPE: {
    message: 'the topic data uses a compression type this request version cannot carry',
    hint: 'Use a newer Fetch version (zstd needs Fetch v10+), or change the topic compression.',
  },
  STALE_BROKER_EPOCH: { message: 'the broker epoch in the request is out of date', hint: BROKER_ONLY },
  OFFSET_NOT_AVAILABLE: {
    message: 'a newly elected leader cannot serve offsets until its high watermark has caught up',
    retriable: true,
    refreshMetadata: true,
    hint: RETRY,
  },
  MEMBER_ID_REQUIRED: {
    message: 'the coordinator assigned a member id that must be used to join the group',
    hint: 'rxkafka joins again with the member id from the response.',
  },
  PREFERRED_LEADER_NOT_AVAILABLE: {
    message: 'the preferred leader could not be made leader',
    retriable: true,
    refreshMetadata: true,
  },
  GROUP_MAX_SIZE_REACHED: {
    message: 'the group already has as many members as the broker allows',
    hint: 'Run fewer members, or raise group.max.size on the brokers.',
  },
  FENCED_INSTANCE_ID: {
    message: 'another member with the same group instance id has replaced this one',
    hint: 'Give every static member a distinct group instance id.',
  },
  ELIGIBLE_LEADERS_NOT_AVAILABLE: {
    message: 'no eligible replica is available to become leader',
    retriable: true,
    refreshMetadata: true,
  },
  ELECTION_NOT_NEEDED: {
    message: 'the requested leader election is not needed',
    retriable: true,
    refreshMetadata: true,
  },
  NO_REASSIGNMENT_IN_PROGRESS: { message: 'there is no partition reassignment to cancel' },
  GROUP_SUBSCRIBED_TO_TOPIC: {
    message: 'offsets of a topic cannot be deleted while the group is subscribed to it',
    hint: 'Unsubscribe the group from the topic first.',
  },
  INVALID_RECORD: {
    message: 'the broker rejected a record that failed its validation, such as a missing key on a compacted topic',
    hint: 'The broker message says which record and why; fix the record.',
  },
  UNSTABLE_OFFSET_COMMIT: {
    message: 'a transaction touching these offsets is still open, so committed offsets are not stable yet',
    retriable: true,
    hint: 'rxkafka retries after a short wait.',
  },
  THROTTLING_QUOTA_EXCEEDED: {
    message: 'the request exceeded a throttling quota, such as the topic mutation rate',
    retriable: true,
    hint: 'rxkafka retries after the throttle time; raise the quota if this is routine.',
  },
  PRODUCER_FENCED: {
    message: 'a newer producer with the same transactional id has taken over',
    hint: 'Close this producer; only one producer may use a transactional id at a time.',
  },
  RESOURCE_NOT_FOUND: { message: 'the request referred to a resource that does not exist' },
  DUPLICATE_RESOURCE: { message: 'the request named the same resource more than once' },
  UNACCEPTABLE_CREDENTIAL: { message: 'the requested credential does not meet the broker criteria' },
  INCONSISTENT_VOTER_SET: { message: 'the sender or receiver is not among the expected KRaft voters', hint: BROKER_ONLY },
  INVALID_UPDATE_VERSION: { message: 'the update version given is not valid' },
  FEATURE_UPDATE_FAILED: { message: 'the finalized feature update failed because of an unexpected server error' },
  PRINCIPAL_DESERIALIZATION_FAILURE: {
    message: 'a forwarded request carried a principal the controller could not deserialize',
    hint: 'The broker operator should check the cluster security setup (principal builder).',
  },
  SNAPSHOT_NOT_FOUND: { message: 'the requested metadata snapshot does not exist', hint: BROKER_ONLY },
  POSITION_OUT_OF_RANGE: { message: 'the requested position is outside the metadata snapshot', hint: BROKER_ONLY },
  UNKNOWN_TOPIC_ID: {
    message: 'this broker does not know the topic id: the topic may be new, deleted or recreated',
    retriable: true,
    refreshMetadata: true,
    hint: RETRY,
  },
  DUPLICATE_BROKER_REGISTRATION: { message: 'another broker already registered with this broker id', hint: BROKER_ONLY },
  BROKER_ID_NOT_REGISTERED: { message: 'the broker id is not registered with the controller', hint: BROKER_ONLY },
  INCONSISTENT_TOPIC_ID: {
    message: 'the topic id in the request does not match the topic id of the partition log',
    retriable: true,
    refreshMetadata: true,
    hint: 'The topic was probably deleted and recreated; rxkafka refreshes metadata and retries.',
  },
  INCONSISTENT_CLUSTER_ID: { message: 'the cluster id in the request does not match this cluster', hint: BROKER_ONLY },
  TRANSACTIONAL_ID_NOT_FOUND: { message: 'no transaction state exists for this transactional id' },
  FETCH_SESSION_TOPIC_ID_ERROR: {
    message: 'the fetch session used topic ids inconsistently: with and without ids, or an id that changed',
    retriable: true,
    hint: 'rxkafka starts a new fetch session.',
  },
  INELIGIBLE_REPLICA: { message: 'the proposed ISR contains a replica that is not eligible', hint: BROKER_ONLY },
  NEW_LEADER_ELECTED: { message: 'the partition state was updated but the leader has meanwhile changed', hint: BROKER_ONLY },
  OFFSET_MOVED_TO_TIERED_STORAGE: { message: 'the requested offset is no longer in local storage but in tiered storage' },
  FENCED_MEMBER_EPOCH: {
    message: 'the coordinator fenced this member epoch; the member must give up its partitions and rejoin',
    hint: 'The member rejoins the group with epoch 0.',
  },
  UNRELEASED_INSTANCE_ID: {
    message: 'another member still holds this group instance id',
    hint: 'Wait for the other member to leave, or use a different group instance id.',
  },
  UNSUPPORTED_ASSIGNOR: { message: 'the group does not support the requested server-side assignor or its version' },
  STALE_MEMBER_EPOCH: {
    message: 'the member epoch is out of date',
    hint: 'The member retries after receiving its current epoch in a ConsumerGroupHeartbeat response.',
  },
  MISMATCHED_ENDPOINT_TYPE: { message: 'the request reached an endpoint of the wrong type (broker vs controller)' },
  UNSUPPORTED_ENDPOINT_TYPE: { message: 'the endpoint type in the request is not supported yet' },
  UNKNOWN_CONTROLLER_ID: { message: 'the controller id is not known' },
  UNKNOWN_SUBSCRIPTION_ID: {
    message: 'the client telemetry subscription id is unknown or out of date',
    hint: 'The client fetches a fresh telemetry subscription.',
  },
  TELEMETRY_TOO_LARGE: { message: 'the pushed client telemetry is larger than the broker accepts' },
  INVALID_REGISTRATION: { message: 'the controller found the broker registration invalid', hint: BROKER_ONLY },
  TRANSACTION_ABORTABLE: {
    message: 'the transaction hit an error on the server and must be aborted',
    hint: 'Abort the transaction; the transactional id can then be used again.',
  },
  INVALID_RECORD_STATE: { message: 'the acknowledged record is not in a state that allows this acknowledgement' },
  SHARE_SESSION_NOT_FOUND: {
    message: 'the broker does not know the share session',
    retriable: true,
    hint: 'The client starts a new share session.',
  },
  INVALID_SHARE_SESSION_EPOCH: {
    message: 'the share session epoch does not match what the broker expects',
    retriable: true,
    hint: 'The client starts a new share session.',
  },
  FENCED_STATE_EPOCH: { message: 'the share-group state epoch in the request is out of date', hint: BROKER_ONLY },
  INVALID_VOTER_KEY: { message: 'the KRaft voter key does not match the receiving replica', hint: BROKER_ONLY },
  DUPLICATE_VOTER: { message: 'the replica is already a KRaft voter' },
  VOTER_NOT_FOUND: { message: 'the replica is not a KRaft voter' },
  INVALID_REGULAR_EXPRESSION: {
    message: 'the subscription regular expression is not valid',
    hint: 'The broker evaluates it with RE2/J syntax; fix the pattern.',
  },
  REBOOTSTRAP_REQUIRED: {
    message: 'the client metadata is too stale to continue; it must reconnect to the bootstrap servers',
    refreshMetadata: true,
    hint: 'rxkafka discards its cluster view and bootstraps again.',
  },
  STREAMS_INVALID_TOPOLOGY: { message: 'the Streams topology sent is not valid' },
  STREAMS_INVALID_TOPOLOGY_EPOCH: { message: 'the Streams topology epoch sent is not valid' },
  STREAMS_TOPOLOGY_FENCED: { message: 'the Streams topology epoch sent is out of date' },
  SHARE_SESSION_LIMIT_REACHED: {
    message: 'the broker has as many share sessions as it allows',
    retriable: true,
    hint: 'Retry later, or raise the share session limit on the brokers.',
  },
}

function toInfo(name: ErrorName): ErrorCodeInfo {
  const facts = FACTS[name]
  return Object.freeze({
    code: ErrorCode[name],
    name,
    message: facts.message,
    retriable: facts.retriable === true,
    refreshMetadata: facts.refreshMetadata === true,
    findCoordinator: facts.findCoordinator === true,
    hint: facts.hint,
    known: true,
  })
}

/**
 * Every Kafka error code this client knows, in code order, from -1
 * (UNKNOWN_SERVER_ERROR) up.
 *
 * @example
 * ```ts
 * import { ERROR_CODES } from 'rxkafka/protocol'
 * const retriable = ERROR_CODES.filter(e => e.retriable).map(e => e.name)
 * ```
 */
export const ERROR_CODES: readonly ErrorCodeInfo[] = Object.freeze(
  (Object.keys(ErrorCode) as ErrorName[]).map(toInfo).sort((a, b) => a.code - b.code),
)

const BY_CODE: ReadonlyMap<number, ErrorCodeInfo> = new Map(ERROR_CODES.map(e => [e.code, e]))

/**
 * What a Kafka error code means. Never fails: a code this client does not know
 * (from a newer broker, or a corrupt response) gets a synthetic, non-retriable
 * entry named {@link UNKNOWN_ERROR_CODE_NAME} that carries the code.
 *
 * @example
 * ```ts
 * import { errorCodeInfo } from 'rxkafka'
 * const info = errorCodeInfo(partition.errorCode)
 * if (info.refreshMetadata) refreshMetadata()
 * if (info.retriable) retry()
 * ```
 */
export function errorCodeInfo(code: number): ErrorCodeInfo {
  const known = BY_CODE.get(code)
  if (known !== undefined) return known
  const inRange = Number.isInteger(code) && code >= -32768 && code <= 32767
  return Object.freeze({
    code,
    name: UNKNOWN_ERROR_CODE_NAME,
    message: inRange
      ? `error code ${code} is not known to this client (the broker may be newer than rxkafka)`
      : `${String(code)} is not a valid Kafka error code (an int16 was expected; the response may be corrupt)`,
    retriable: false,
    refreshMetadata: false,
    findCoordinator: false,
    hint: inRange
      ? 'Look the code up in the Kafka protocol documentation of your broker version, and consider upgrading rxkafka.'
      : 'This points to a decoding bug or a corrupt response; please report it.',
    known: false,
  })
}
