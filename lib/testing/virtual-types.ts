/**
 * The public types of the virtual cluster: its options, and what its
 * controls take and return (lib/testing/virtual-cluster.ts).
 */
import type { ProducerRecord } from '../protocol/records/record-batch-builder.js'
import type { ConsumedRecordHeader } from '../protocol/records/record-batch-decoder.js'
import type { SchedulerLike } from 'rxjs'
import type { VirtualGroupSnapshot } from './virtual-group.js'

/** A topic to create when the cluster starts. */
export interface VirtualTopicSpec {
  /** The topic's name. */
  name: string
  /** Default 1. */
  partitions?: number
}

/** Group coordinator settings (Kafka's broker settings of the same names). Durations in ms of scheduler time. */
export interface VirtualGroupSettings {
  /** `group.min.session.timeout.ms`. Default 6 000, as in Kafka. */
  minSessionTimeoutMs?: number
  /** `group.max.session.timeout.ms`. Default 1 800 000, as in Kafka. */
  maxSessionTimeoutMs?: number
  /**
   * `group.initial.rebalance.delay.ms`: how long the first rebalance of an empty
   * group waits for more members. Default 0 (Kafka's default is 3 000; tests
   * usually want the first generation at once).
   */
  initialRebalanceDelayMs?: number
  /** `group.consumer.session.timeout.ms` (KIP-848 groups): a member silent this long is removed. Default 45 000, as in Kafka. */
  consumerSessionTimeoutMs?: number
  /** `group.consumer.heartbeat.interval.ms` (KIP-848 groups), which the coordinator tells its members. Default 5 000, as in Kafka. */
  consumerHeartbeatIntervalMs?: number
  /** `group.share.session.timeout.ms` (share groups). Default 45 000, as in Kafka. */
  shareSessionTimeoutMs?: number
  /** `group.share.heartbeat.interval.ms` (share groups). Default 5 000, as in Kafka. */
  shareHeartbeatIntervalMs?: number
  /** `group.share.record.lock.duration.ms`: how long an acquired record stays locked to its member. Default 30 000, as in Kafka. */
  shareRecordLockDurationMs?: number
  /** `group.share.delivery.count.limit`: deliveries after which a record is archived instead of delivered again. Default 5, as in Kafka. */
  shareDeliveryCountLimit?: number
}

/** Options of {@link createVirtualCluster}. */
export interface VirtualClusterOptions {
  /** How many brokers (node ids 1..n). Default 1. */
  brokers?: number
  /** Topics that exist from the start. */
  topics?: readonly VirtualTopicSpec[]
  /** Time source of every answer and broker timer. Default `asyncScheduler` (which `TestScheduler.run` makes virtual). */
  scheduler?: SchedulerLike
  /** Scheduler time between a request being handled and its answer arriving. Default 0: see docs/virtual-cluster.md. */
  latencyMs?: number
  /** Metadata requests create unknown topics (`auto.create.topics.enable`). Default false, so a misspelt topic fails the test. */
  autoCreateTopics?: boolean
  /** Partitions of auto-created topics (`num.partitions`). Default 1. */
  defaultPartitions?: number
  /** Client id of the client the cluster itself is. Default `'rxkafka'`. */
  clientId?: string
  /** Default timeout of requests, in scheduler time. Default 30 000. */
  requestTimeoutMs?: number
  /** Pause between retries of metadata and coordinator lookups. Default 100. */
  retryBackoffMs?: number
  /** How long `ensureTopics` waits for topics. Default 10 000. */
  topicWaitMs?: number
  /** Refresh metadata this often while the client is in use (see `use`), as the real client does. Default 300 000; 0 never. */
  metadataMaxAgeMs?: number
  /** Group coordinator settings. */
  group?: VirtualGroupSettings
  /**
   * More requests than this at one instant of the scheduler stop the test with
   * a VirtualClusterError (a client retrying without a pause would otherwise
   * spin `TestScheduler.run` forever). Default 10 000.
   */
  maxRequestsPerFrame?: number
  /**
   * On a virtual clock (one that starts near 0, as TestScheduler's does),
   * requests later than this after the cluster was made stop the test with a
   * VirtualClusterError: an app that is never unsubscribed would otherwise
   * keep `TestScheduler.run` busy forever. Default 3 600 000 (one virtual
   * hour); 0 for no limit. Wall clocks are never limited.
   */
  maxVirtualTimeMs?: number
}

/** A record in a partition's log, as {@link VirtualCluster.read} returns it. */
export interface VirtualRecord {
  /** The topic it is in. */
  topic: string
  /** The partition it is in. */
  partition: number
  /** Its offset in the partition. */
  offset: bigint
  /** Its timestamp, ms (CreateTime as produced). */
  timestamp: number
  /** The key, or null. */
  key: Buffer | null
  /** The value, or null (a tombstone). */
  value: Buffer | null
  /** Headers in order. */
  headers: readonly ConsumedRecordHeader[]
  /** -1n when the producer was not idempotent. */
  producerId: bigint
  /** The producer's epoch; -1 when the producer was not idempotent. */
  producerEpoch: number
}

/** A record for {@link VirtualCluster.feed}: a producer record, optionally with its partition. */
export interface VirtualFeedRecord extends ProducerRecord {
  /** The partition to write to. Default: as `produceDirect` places it (murmur2 of the key, round-robin without one). */
  partition?: number
}

/** Where a record written by {@link VirtualCluster.produceDirect} went. */
export interface VirtualProduced {
  /** The partition it went to. */
  partition: number
  /** Its offset there. */
  offset: bigint
}

/** A committed offset, as {@link VirtualCluster.committedOffsets} returns it. */
export interface VirtualCommittedOffset {
  /** The topic. */
  topic: string
  /** The partition. */
  partition: number
  /** The committed offset: the next one the group will read. */
  offset: bigint
  /** The leader epoch committed with it (-1 when none was given). */
  leaderEpoch: number
  /** The metadata string committed with it, or null. */
  metadata: string | null
}

/** A group member, with its assignment decoded where the group speaks the consumer protocol. */
export interface VirtualGroupMember {
  /** The id the coordinator gave the member. */
  memberId: string
  /** Its static membership id (KIP-345), or null. */
  groupInstanceId: string | null
  /** The client id of the member's connection. */
  clientId: string
  /** The assignment bytes its SyncGroup answer carries. */
  assignment: Buffer
  /** The protocols (assignors) it offered, in its order of preference. */
  protocols: string[]
  /** Decoded consumer-protocol assignment, sorted by topic; undefined for other protocol types or an undecodable one. */
  assigned:
    | {
        /** The topic. */
        topic: string
        /** The member's partitions of it, ascending. */
        partitions: number[]
      }[]
    | undefined
}

/** A group, as {@link VirtualCluster.groupState} returns it. */
export interface VirtualGroupState extends Omit<VirtualGroupSnapshot, 'members'> {
  /** Every member, sorted by member id. */
  members: VirtualGroupMember[]
}

/** Partitions of one topic, ascending. */
export interface VirtualTopicPartitions {
  /** The topic. */
  topic: string
  /** Its partitions, ascending. */
  partitions: number[]
}

/** A member of a consumer group under the KIP-848 protocol, as {@link VirtualCluster.consumerGroupState} returns it. */
export interface VirtualConsumerGroupMember {
  /** The id the member chose (ConsumerGroupHeartbeat v1). */
  memberId: string
  /** The client id of the member's connection. */
  clientId: string
  /** Its member epoch; behind the group epoch while it is still revoking partitions. */
  memberEpoch: number
  /** What the coordinator lets it own now, sorted by topic. */
  assigned: VirtualTopicPartitions[]
  /** Its share of the target assignment; partitions in it but not in `assigned` wait for another member to release them. */
  target: VirtualTopicPartitions[]
}

/** A consumer group under the KIP-848 protocol, as {@link VirtualCluster.consumerGroupState} returns it. */
export interface VirtualConsumerGroupState {
  /** The group id. */
  groupId: string
  /** The group epoch: bumped whenever members, subscriptions or partition counts change. */
  groupEpoch: number
  /** Every member, sorted by member id. */
  members: VirtualConsumerGroupMember[]
}

/** Options of {@link VirtualCluster.injectError}. */
export interface InjectErrorOptions {
  /** Only requests to this broker. Default: any broker. */
  broker?: number
  /** How many requests answer with the error. Default 1. */
  count?: number
}
