/**
 * rxkafka: a Kafka client toolkit in which Kafka is RxJS.
 *
 * @example
 * ```ts
 * import { createKafka } from 'rxkafka'
 * const kafka = createKafka({ brokers: ['localhost:9092'], clientId: 'billing' })
 * orders$.pipe(kafka.produceTo('orders')).subscribe(r => console.log(r.partition, r.offset))
 * ```
 *
 * @module rxkafka
 */
export { createKafka } from './kafka.js'
export type { Kafka, KafkaConfig, KafkaDiagnostics, KafkaOnClient } from './kafka.js'

// Producer
export * from './producer/index.js'

// Consumer
export * from './consumer/index.js'
export { consumeGroup } from './consume-group.js'

// Admin client
export * from './admin/index.js'

// Operators
export * from './operators/index.js'

// Transactions (docs/transactions.md)
export * from './transactions/index.js'

// Cluster and connections: the ClusterClient the producer and consumer stand on, and the BrokerTransport seam under it
export { KafkaCluster, parseBrokerAddress } from './cluster/kafka-cluster.js'
export type {
  ClusterConfig,
  ClusterDiagnostics,
  ClusterMetadataDiagnostics,
  CoordinatorDiagnostics,
  PooledConnectionDiagnostics,
} from './cluster/kafka-cluster.js'
export type {
  CloseOptions,
  ClusterClient,
  ClusterRequestBody,
  ClusterRequestOptions,
  ConnectionRole,
  CoordinatorType,
  EnsureTopicsOptions,
} from './cluster/cluster-client.js'
export type { BrokerInfo, ClusterView, PartitionInfo, TopicInfo } from './cluster/cluster-view.js'
export { BrokerConnection } from './connection/broker-connection.js'
export type {
  BrokerAddress,
  BrokerTransport,
  ConnectTransport,
  ConnectionOptions,
  ConnectionState,
  ConnectionStats,
  RequestBody,
  RequestOptions,
} from './connection/broker-transport.js'
export { DiagnosticsRegistry, partKind } from './kit/diagnostics-registry.js'
export type { Diagnosable, PartKind } from './kit/diagnostics-registry.js'
export { TOPIC_NAME_RULES, topicNameProblem } from './kit/topic-name.js'
export type { SaslOptions } from './connection/sasl/authenticate.js'
export type { BrokerCompatibility } from './connection/broker-compatibility.js'
export type { OAuthBearerToken } from './connection/sasl/oauthbearer.js'

// Errors: every class rxkafka raises, and the closed list of their codes
export {
  AdminArgumentError,
  AuthenticationError,
  BufferFullError,
  TransactionAbortedError,
  TransactionFailedError,
  TransactionFencedError,
  TransactionStateError,
  CircuitOpenError,
  CLIENT_ERROR_CODES,
  CodecUnavailableError,
  CompressionError,
  ConnectionError,
  ConsumerOptionError,
  CorruptRecordError,
  DecompressedSizeExceededError,
  DeliveryTimeoutError,
  FrameTooLargeError,
  InvalidPartitionError,
  KafkaBrokerError,
  OperatorOptionError,
  ProducerDeliveryError,
  ProducerInputError,
  ProtocolDecodeError,
  ProtocolEncodeError,
  RequestTimeoutError,
  RxKafkaError,
  StaleMessageError,
  UnknownTopicError,
  UnsupportedVersionError,
  brokerError,
} from './errors/index.js'
export type { BrokerErrorLocation, CircuitOpenErrorOptions, ClientErrorCode, ErrorLocation, RxKafkaErrorCode, RxKafkaErrorOptions, StaleMessageLocation } from './errors/index.js'
export { ErrorCode, errorCodeInfo } from './protocol/error-codes.js'
export type { ErrorCodeInfo } from './protocol/error-codes.js'
export { registerCodec } from './protocol/compression/index.js'
export type { CompressionCodec, CompressionCodecName } from './protocol/compression/index.js'

// Observability: the node:diagnostics_channel channels rxkafka publishes on and their payloads (docs/observability.md)
export { CHANNELS } from './observability/channels.js'
export type {
  AuthenticationEvent,
  BatchAcknowledgedEvent,
  BatchEventSource,
  BatchSealedEvent,
  ChannelName,
  CloseEvent,
  CommittedOffset,
  ConnectEvent,
  ConnectionEventSource,
  FetchEvent,
  FetchPartitionEvent,
  GroupCommitEvent,
  GroupEventSource,
  GroupJoinEvent,
  GroupLeaveEvent,
  GroupRebalanceEvent,
  GroupSyncEvent,
  MetadataEvent,
  ReconnectEvent,
  RequestEvent,
} from './observability/channels.js'

export { ratesBetween } from './kafka-rates.js'
export type { BrokerRates, KafkaRates } from './kafka-rates.js'
export { toPrometheus } from './prometheus.js'

// Logging
export { consoleLogger, silentLogger } from './logger.js'
export type { LogFields, LogLevel, Logger } from './logger.js'

// The protocol layer (every generated API, primitives, record batches, codecs) is
// its own entry point, `rxkafka/protocol`: re-exporting it here would make every
// user load all generated message modules. See docs/protocol-generator.md.
