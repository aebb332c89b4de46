/**
 * The ConsumerGroupHeartbeat requests of a KIP-848 member and the error for a
 * broker without the protocol: the pieces of the heartbeat that depend only on
 * the member's state passed in, kept apart from the member's timers and
 * reconciliation. What the member does about an error is the group error
 * policy's (group-error-policy.ts).
 */
import { UnsupportedVersionError, type RxKafkaError } from '../errors/index.js'
import type { ConsumerGroupHeartbeatRequest } from '../protocol/messages/ConsumerGroupHeartbeat.js'
import type { ResolvedGroupOptions } from './consumer-options.js'

/** Epochs with a meaning of their own in ConsumerGroupHeartbeat. */
export const JOIN_EPOCH = 0
const LEAVE_EPOCH = -1
const STATIC_LEAVE_EPOCH = -2

/** The partitions a member owns, by topic id, as the heartbeat reports them. */
export type OwnedPartitions = { topicId: string; partitions: number[] }[]

/** What the member is now, for its next heartbeat. */
export interface HeartbeatMember {
  readonly group: ResolvedGroupOptions
  readonly memberId: string
  /** Read at each request: the epoch moves with every answer. */
  epoch(): number
  /** The member's rack, or '' for none. */
  readonly rackId: string
  /** Asked only once joined: a joining member owns nothing. */
  owned(): OwnedPartitions
}

/**
 * Every heartbeat carries the member's whole state. The protocol allows
 * unchanged fields as null; sending them again is harmless and mends a lost
 * answer without tracking what the coordinator has seen.
 */
export function heartbeatRequest(version: number, member: HeartbeatMember): ConsumerGroupHeartbeatRequest {
  const { group } = member
  const regex = group.topicRegex
  if (regex !== null && version < 1) {
    throw new UnsupportedVersionError('topicRegex needs ConsumerGroupHeartbeat v1 (server-side regular expressions), and this broker has only v0', {
      api: 'ConsumerGroupHeartbeat',
      hint: 'subscribe with a list of topics, or use Apache Kafka 4.0 or newer',
    })
  }
  const memberEpoch = member.epoch()
  const owned = memberEpoch === JOIN_EPOCH ? [] : member.owned()
  return {
    groupId: group.groupId,
    memberId: member.memberId,
    memberEpoch,
    instanceId: group.groupInstanceId,
    rackId: member.rackId === '' ? null : member.rackId,
    rebalanceTimeoutMs: group.rebalanceTimeoutMs,
    subscribedTopicNames: regex === null ? [...group.topics] : null,
    ...(version >= 1 ? { subscribedTopicRegex: regex } : {}),
    serverAssignor: group.serverAssignor,
    topicPartitions: owned,
  }
}

/** The leave heartbeat: epoch -1, or -2 for a static member, which keeps its assignment for its return (KIP-848). */
export function leaveRequest(version: number, group: ResolvedGroupOptions, memberId: string): ConsumerGroupHeartbeatRequest {
  return {
    groupId: group.groupId,
    memberId,
    memberEpoch: group.groupInstanceId === null ? LEAVE_EPOCH : STATIC_LEAVE_EPOCH,
    instanceId: group.groupInstanceId,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    ...(version >= 1 ? { subscribedTopicRegex: null } : {}),
    serverAssignor: null,
    topicPartitions: null,
  }
}

/** The broker has no consumer group protocol (older than Kafka 4.0, or `group.coordinator.rebalance.protocols` without `consumer`). */
export function notEnabled(coordinator: number, cause: RxKafkaError): UnsupportedVersionError {
  return new UnsupportedVersionError(
    `the group coordinator (broker ${coordinator}) does not offer the consumer group protocol of KIP-848 (ConsumerGroupHeartbeat), which groupProtocol: 'consumer' needs`,
    {
      api: 'ConsumerGroupHeartbeat',
      broker: coordinator,
      cause,
      hint: "use groupProtocol: 'classic' (the default) with this broker, or Apache Kafka 4.0 or newer whose group.coordinator.rebalance.protocols includes consumer",
    },
  )
}
