/**
 * `rxkafka/testing`: tools for testing Kafka clients, including your own code
 * built on rxkafka.
 */
export { startMockCluster } from './mock-cluster.js'
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
export {
  MockClusterArgumentError,
  MockClusterBuildError,
  MockClusterControlError,
  MockClusterError,
  MockClusterStoppedError,
} from './mock-errors.js'
export { createVirtualCluster, VirtualCluster, VirtualClusterClient } from './virtual-cluster.js'
export type {
  InjectErrorOptions,
  VirtualClusterOptions,
  VirtualCommittedOffset,
  VirtualFeedRecord,
  VirtualGroupMember,
  VirtualGroupSettings,
  VirtualGroupState,
  VirtualProduced,
  VirtualRecord,
  VirtualRequestLogEntry,
  VirtualTopicSpec,
} from './virtual-cluster.js'
export type { VirtualGroupStateName } from './virtual-group.js'
export { VirtualClusterError } from './virtual-errors.js'
