/**
 * `rxkafka/testing`: tools for testing Kafka clients, including your own code
 * built on rxkafka.
 *
 * @module rxkafka/testing
 */
export { MOCK_COMPATIBILITY, startMockCluster } from './mock-cluster.js'
export type {
  MockBroker,
  MockBrokerError,
  MockCluster,
  MockClusterOptions,
  MockCoordinatorType,
  MockRequest,
  MockTopicSpec,
} from './mock-cluster.js'
export { buildMockClusterBinary } from './mock-build.js'
export type { BuildMockClusterOptions, MockClusterBuildInfo } from './mock-build.js'
export { fetchApiVersions, sendRawRequest } from './mock-wire.js'
export type { ApiVersionRange, ApiVersionsAnswer, RawRequestOptions } from './mock-wire.js'
export { MockClusterArgumentError, MockClusterBuildError, MockClusterControlError, MockClusterError, MockClusterStoppedError } from '../errors/index.js'
export { createVirtualCluster, VirtualCluster } from './virtual-cluster.js'
export { VirtualClusterClient } from './virtual-client.js'
export type {
  InjectErrorOptions,
  VirtualClusterOptions,
  VirtualCommittedOffset,
  VirtualConsumerGroupMember,
  VirtualConsumerGroupState,
  VirtualFeedRecord,
  VirtualGroupMember,
  VirtualGroupSettings,
  VirtualGroupState,
  VirtualProduced,
  VirtualRecord,
  VirtualTopicPartitions,
  VirtualTopicSpec,
} from './virtual-types.js'
export type { VirtualRequestLogEntry } from './virtual-transport.js'
export type { VirtualGroupStateName } from './virtual-group.js'
export { VirtualClusterError } from '../errors/index.js'
export { startKafkaCluster } from './apache-kafka.js'
export type { KafkaCluster, KafkaClusterOptions, KafkaNode, KafkaTopicSpec } from './apache-kafka.js'
export type { KafkaSaslUser } from './apache-kafka-config.js'
export { installKafka } from './apache-kafka-install.js'
export type { InstallKafkaOptions, KafkaInstall } from './apache-kafka-install.js'
export { KafkaClusterError, KafkaControlError, KafkaInstallError, KafkaStartError } from '../errors/index.js'
