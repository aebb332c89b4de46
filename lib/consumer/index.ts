/**
 * The consumer: consumer groups as Observables of partition substreams, and
 * group-less partition reads. (`consumeGroup` itself is exported from the
 * package root, lib/consume-group.ts, which gives the group its side-channel writer.)
 */
export { consumerGroupDiagnostics, ConsumerGroup } from './consume-group.js'
export { consumePartitions, PartitionReader } from './consume-partitions.js'
export { PartitionStream } from './partition-stream.js'
export type { FetchSessionDiagnostics } from './fetcher.js'
export type { ConsumedRecordFields, ConsumerMessage, Doneable, MessageHeader } from './consumer-message.js'
export { handleAndDone } from './handleAndDone.js'
export { processInOrder } from './processInOrder.js'
export { processConcurrently } from './processConcurrently.js'
export type { ProcessConcurrentlyOptions } from './processConcurrently.js'
export { ConsumerOptionError } from '../errors/index.js'
export type { CommitIdentity } from './offset-requests.js'
export type { ConsumeGroupOptions, ConsumePartitionsOptions, FetchOptions, GroupProtocol, OffsetAtTime, OffsetChoice, OffsetSpec, ServerAssignor } from './consumer-options.js'
export { rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor, DEFAULT_ASSIGNORS } from './assignors.js'
export type { GroupAssignor, GroupMemberSubscription, TopicPartitions } from './assignors.js'
export type { GroupAssignmentEvent, PartitionStartEvent } from './group-events.js'
export type { GroupMemberDiagnostics, PartitionDiagnostics } from './member-diagnostics.js'
export type { MemberState } from './member-state.js'
export * from './share-group/index.js'
