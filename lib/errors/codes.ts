/**
 * The closed list of error codes: every `code` an {@link RxKafkaError} can
 * carry. A code is either one of rxkafka's own (below, each with what it
 * means) or Kafka's name for a broker error code (`NOT_LEADER_OR_FOLLOWER`,
 * from the table in `lib/protocol/error-codes.ts`). A new kind of error adds
 * its code here first; the compiler refuses a code that is not listed.
 */
import type { ErrorName, UNKNOWN_ERROR_CODE_NAME } from '../protocol/error-codes.js'

/**
 * rxkafka's own error codes and what each means. docs/error-codes.md lists
 * them with the class that raises each.
 *
 * @example
 * ```ts
 * import { CLIENT_ERROR_CODES } from 'rxkafka'
 * console.log(CLIENT_ERROR_CODES.CONNECTION) // what a CONNECTION error means
 * ```
 */
export const CLIENT_ERROR_CODES = {
  // configuration and lifecycle
  CONFIG: 'a client setting cannot work (no brokers, a malformed broker address)',
  CLOSED: 'the client (or virtual cluster) was closed and cannot be used any more',
  INVALID_OPERATOR_OPTION: 'an option of an operator or of the producer cannot work',
  INVALID_CONSUMER_OPTION: 'an option of consumeGroup or consumePartitions cannot work',
  USAGE: 'a command-line usage mistake',
  INVALID_ADMIN_ARGUMENT: 'an admin call given an argument it cannot send',
  // connection layer
  CONNECTION: 'the TCP/TLS connection to a broker failed, closed, or could not be made',
  REQUEST_TIMEOUT: 'a broker did not answer a request within its timeout',
  AUTHENTICATION: 'SASL authentication failed',
  FRAME_TOO_LARGE: 'a response frame was larger than allowed, usually a peer that is not a Kafka broker',
  ENCODE: 'a request body could not be encoded for an unexpected reason',
  // protocol and records
  PROTOCOL_DECODE: 'bytes that do not decode as the message they claim to be',
  PROTOCOL_ENCODE: 'a message that cannot be encoded as asked',
  UNSUPPORTED_VERSION: 'no version of an API is supported by both sides',
  CORRUPT_RECORD: 'a record batch whose bytes are not what they claim to be',
  COMPRESSION_CORRUPT: 'compressed bytes that do not decompress',
  DECOMPRESSED_SIZE_EXCEEDED: 'decompression would exceed the allowed size',
  CODEC_UNAVAILABLE: 'a compression codec with no usable implementation',
  CODEC_WORKER_FAILED: "a codec worker died holding a batch's records",
  // cluster
  UNKNOWN_TOPIC: 'a topic that does not exist, or has no leaders, after the topic wait',
  // producer
  DELIVERY_TIMEOUT: 'a message not delivered within deliveryTimeoutMs',
  DELIVERY_FAILED: 'a message not delivered, for a reason without a code of its own',
  PRODUCER_BUFFER_FULL: "the producer's buffer was full",
  PRODUCER_INPUT: 'a message the producer cannot encode (serializer, partitioner, missing value)',
  INVALID_PARTITION: 'a message named a partition the topic does not have',
  PRODUCER_ID: 'no producer id could be obtained for idempotent producing',
  TOPIC_METADATA_PENDING: "a topic's partitions and leaders were not known in time",
  NO_RESPONSE: 'a request completed without an answer',
  MISSING_PARTITION_RESPONSE: 'a Produce answer did not mention a partition it was asked about',
  // transactions
  TRANSACTION_FENCED: 'a newer producer with the same transactionalId (or a group rebalance) fenced this one: it cannot produce or commit any more',
  TRANSACTION_ABORTED: 'a transaction was aborted: an abortable error, or the callback threw; nothing it wrote or committed is visible',
  TRANSACTION_FAILED: 'a transactional producer hit an error it cannot recover from (authorization, an unsupported broker, a state it cannot leave)',
  TRANSACTION_STATE: 'a transaction call made in a state that does not allow it (send after commit, two transactions at once)',
  // consumer
  CONSUMER: 'a consumer failure that is not an rxkafka error (a throwing hook, for example)',
  PARTITION_STREAM_BUSY: 'a second subscriber to a partition substream that already has an active one',
  // operators
  CIRCUIT_OPEN: 'a call refused because its circuit breaker is open',
  MESSAGE_TOO_OLD: 'a message older than the maximum age for its topic',
  // testing
  VIRTUAL_CLUSTER: 'a virtual-cluster control called with something the cluster does not have',
  MOCK_CLUSTER_BUILD: 'the mock-cluster program could not be built',
  MOCK_CLUSTER_STOPPED: 'the mock cluster is not running',
  MOCK_CLUSTER_ARGUMENT: 'a mock-cluster control called with an argument that cannot be right',
  MOCK_CLUSTER_CONTROL: 'the mock cluster refused a control',
  MOCK_CLUSTER_PROBE: 'a mock-cluster broker answered a probe request with an error',
  KAFKA_INSTALL: 'Apache Kafka could not be installed for the tests (no java, no mvn, or Maven failed)',
  KAFKA_START: 'a node of the test Apache Kafka cluster did not become ready',
  KAFKA_CONTROL: 'a control of the test Apache Kafka cluster was refused',
} as const

/** One of rxkafka's own error codes. */
export type ClientErrorCode = keyof typeof CLIENT_ERROR_CODES

/**
 * Every code an {@link RxKafkaError} can carry: rxkafka's own, or Kafka's name
 * for a broker error code (`UNKNOWN_ERROR_CODE` for a code this client does not know).
 *
 * @example
 * ```ts
 * import type { RxKafkaErrorCode } from 'rxkafka'
 * const retryLater: RxKafkaErrorCode[] = ['CONNECTION', 'REQUEST_TIMEOUT', 'NOT_LEADER_OR_FOLLOWER']
 * ```
 */
export type RxKafkaErrorCode = ClientErrorCode | ErrorName | typeof UNKNOWN_ERROR_CODE_NAME
