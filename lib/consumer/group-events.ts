/**
 * What a consumer group tells its caller as it goes: the assignment of each
 * generation and where each partition's substream starts. Both group members
 * (classic, group-member.ts, and KIP-848, consumer-protocol-member.ts) report
 * through the same channels, so `ConsumerGroup` needs not know which it runs.
 */
import type { RxKafkaError } from '../errors/index.js'
import type { TopicPartitions } from './assignors.js'

/** The assignment this member received in one generation. */
export interface GroupAssignmentEvent {
  /** The group id. */
  groupId: string
  /** The generation this assignment belongs to. */
  generationId: number
  /** This member's id, as the coordinator gave it. */
  memberId: string
  /** The assignor the group agreed on. */
  protocol: string
  /** Whether this member computed the assignment (the group leader). */
  isLeader: boolean
  /** Everything this member holds in this generation. */
  assigned: TopicPartitions[]
  /**
   * Partitions whose substreams start now. With an eager assignor (range,
   * round-robin: the default) that is all of `assigned`, since every partition
   * was given up before rejoining; with a cooperative one, the partitions new
   * to this member.
   */
  added: TopicPartitions[]
  /**
   * Partitions this member still held when the assignment arrived and gives up
   * now: the ones a cooperative rebalance moves away. Always empty with an
   * eager assignor, which gives up everything before it rejoins (their
   * substreams complete before this event).
   */
  revoked: TopicPartitions[]
}

/** Where a partition's substream starts reading. */
export interface PartitionStartEvent {
  /** The topic. */
  topic: string
  /** The partition. */
  partition: number
  /** The first offset the substream will deliver (or, with `noMessages`, where the caller should start). */
  offset: bigint
  /** The group's committed offset, null when there was none. */
  committed: bigint | null
  /** The generation that assigned it. */
  generationId: number
}

/** Hot channels the member reports to (shared by all subscriptions of one ConsumerGroup). */
export interface MemberChannels {
  assignment(event: GroupAssignmentEvent): void
  partitionStart(event: PartitionStartEvent): void
  error(error: RxKafkaError): void
}
