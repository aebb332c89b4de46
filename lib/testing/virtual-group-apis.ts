/**
 * The group coordinator's APIs: the classic protocol (JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup; the state machine is virtual-group.ts), the
 * consumer group protocol of KIP-848 (ConsumerGroupHeartbeat,
 * virtual-consumer-group.ts), share groups (KIP-932: ShareGroupHeartbeat,
 * ShareFetch, ShareAcknowledge, virtual-share-group.ts), and the offsets of
 * groups of either protocol (OffsetCommit, OffsetFetch). Each checks first
 * that the broker asked coordinates the group.
 */
import { ErrorCode } from '../protocol/error-codes.js'
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '../protocol/messages/ConsumerGroupHeartbeat.js'
import type { HeartbeatRequest, HeartbeatResponse } from '../protocol/messages/Heartbeat.js'
import type { JoinGroupRequest, JoinGroupResponse } from '../protocol/messages/JoinGroup.js'
import type { LeaveGroupRequest, LeaveGroupResponse } from '../protocol/messages/LeaveGroup.js'
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/messages/OffsetCommit.js'
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/messages/OffsetFetch.js'
import type { ShareAcknowledgeRequest } from '../protocol/messages/ShareAcknowledge.js'
import type { ShareFetchRequest } from '../protocol/messages/ShareFetch.js'
import type { ShareGroupHeartbeatRequest } from '../protocol/messages/ShareGroupHeartbeat.js'
import type { SyncGroupRequest, SyncGroupResponse } from '../protocol/messages/SyncGroup.js'
import type { VirtualBrokers } from './virtual-broker.js'
import { VirtualConsumerGroup } from './virtual-consumer-group.js'
import type { JoinOutcome, SyncOutcome } from './virtual-group.js'
import { answering, virtualApi, type HandlerContext } from './virtual-handler.js'
import { partitionKey, partitionsByTopic } from './virtual-partition-key.js'

export const OFFSET_COMMIT_API = virtualApi<OffsetCommitRequest>({
  apiKey: 8,
  name: 'OffsetCommit',
  versions: { minVersion: 2, maxVersion: 9 },
  handle: answering(offsetCommit),
  failed: (request, _version, errorCode): OffsetCommitResponse => ({
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  }),
})

export const OFFSET_FETCH_API = virtualApi<OffsetFetchRequest>({
  apiKey: 9,
  name: 'OffsetFetch',
  versions: { minVersion: 1, maxVersion: 9 },
  handle: answering(offsetFetch),
  failed: (request, version, errorCode): OffsetFetchResponse => {
    if (version >= 8) return { throttleTimeMs: 0, groups: (request.groups ?? []).map((g) => ({ groupId: g.groupId, errorCode, topics: [] })) }
    return { throttleTimeMs: 0, errorCode, topics: [] }
  },
})

export const JOIN_GROUP_API = virtualApi<JoinGroupRequest>({
  apiKey: 11,
  name: 'JoinGroup',
  versions: { minVersion: 2, maxVersion: 9 },
  handle: joinGroup,
  failed: (request, version, errorCode): JoinGroupResponse => ({
    throttleTimeMs: 0,
    errorCode,
    generationId: -1,
    ...(version >= 7 ? { protocolType: null } : {}),
    protocolName: version >= 7 ? null : '',
    leader: '',
    memberId: request.memberId,
    members: [],
  }),
})

export const HEARTBEAT_API = virtualApi<HeartbeatRequest>({
  apiKey: 12,
  name: 'Heartbeat',
  versions: { minVersion: 0, maxVersion: 4 },
  handle: answering(heartbeat),
  failed: (_request, _version, errorCode): HeartbeatResponse => ({ throttleTimeMs: 0, errorCode }),
})

export const LEAVE_GROUP_API = virtualApi<LeaveGroupRequest>({
  apiKey: 13,
  name: 'LeaveGroup',
  versions: { minVersion: 0, maxVersion: 5 },
  handle: answering(leaveGroup),
  failed: (_request, version, errorCode): LeaveGroupResponse => ({ throttleTimeMs: 0, errorCode, ...(version >= 3 ? { members: [] } : {}) }),
})

export const SYNC_GROUP_API = virtualApi<SyncGroupRequest>({
  apiKey: 14,
  name: 'SyncGroup',
  versions: { minVersion: 0, maxVersion: 5 },
  handle: syncGroup,
  failed: (_request, _version, errorCode): SyncGroupResponse => ({ throttleTimeMs: 0, errorCode, assignment: Buffer.alloc(0) }),
})

export const CONSUMER_GROUP_HEARTBEAT_API = virtualApi<ConsumerGroupHeartbeatRequest>({
  apiKey: 68,
  name: 'ConsumerGroupHeartbeat',
  versions: { minVersion: 0, maxVersion: 1 },
  handle: answering(consumerGroupHeartbeat),
})

export const SHARE_GROUP_HEARTBEAT_API = virtualApi<ShareGroupHeartbeatRequest>({
  apiKey: 76,
  name: 'ShareGroupHeartbeat',
  versions: { minVersion: 1, maxVersion: 1 },
  handle: answering((brokers, request, ctx) => {
    const refused = brokers.coordinatorError(request.groupId, ctx.broker)
    if (refused !== 0) return { throttleTimeMs: 0, errorCode: refused, errorMessage: null, memberId: request.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null }
    return brokers.shareGroup(request.groupId).heartbeat(request)
  }),
})

export const SHARE_FETCH_API = virtualApi<ShareFetchRequest>({
  apiKey: 78,
  name: 'ShareFetch',
  versions: { minVersion: 1, maxVersion: 2 },
  handle: (brokers, request, ctx) => brokers.shareGroup(request.groupId ?? '').shareFetch(request, ctx.reply),
})

export const SHARE_ACKNOWLEDGE_API = virtualApi<ShareAcknowledgeRequest>({
  apiKey: 79,
  name: 'ShareAcknowledge',
  versions: { minVersion: 1, maxVersion: 2 },
  handle: answering((brokers, request) => brokers.shareGroup(request.groupId ?? '').shareAcknowledge(request)),
})

function joinGroup(brokers: VirtualBrokers, request: JoinGroupRequest, ctx: HandlerContext): undefined {
  const version = ctx.version
  const shape = (o: JoinOutcome): JoinGroupResponse => ({
    throttleTimeMs: 0,
    errorCode: o.errorCode,
    generationId: o.generationId,
    ...(version >= 7 ? { protocolType: o.protocolType } : {}),
    protocolName: version >= 7 ? o.protocolName : (o.protocolName ?? ''),
    leader: o.leader,
    skipAssignment: version >= 9 && o.skipAssignment,
    memberId: o.memberId,
    members: o.members.map((m) => ({ memberId: m.memberId, ...(version >= 5 ? { groupInstanceId: m.groupInstanceId } : {}), metadata: m.metadata })),
  })
  const refused = brokers.coordinatorError(request.groupId, ctx.broker)
  if (refused !== 0) {
    ctx.reply(shape({ errorCode: refused, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: request.memberId, members: [] }))
    return undefined
  }
  brokers.group(request.groupId).join(
    {
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId ?? null,
      clientId: ctx.clientId,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: (request.rebalanceTimeoutMs ?? -1) >= 0 ? request.rebalanceTimeoutMs! : request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
      requireKnownMemberId: version >= 4,
    },
    (outcome) => ctx.reply(shape(outcome)),
  )
  return undefined
}

function syncGroup(brokers: VirtualBrokers, request: SyncGroupRequest, ctx: HandlerContext): undefined {
  const version = ctx.version
  const shape = (o: SyncOutcome): SyncGroupResponse => ({
    throttleTimeMs: 0,
    errorCode: o.errorCode,
    ...(version >= 5 ? { protocolType: o.protocolType, protocolName: o.protocolName } : {}),
    assignment: o.assignment,
  })
  const refused = brokers.coordinatorError(request.groupId, ctx.broker)
  if (refused !== 0) {
    ctx.reply(shape({ errorCode: refused, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }))
    return undefined
  }
  const group = brokers.groups.get(request.groupId)
  if (group === undefined) {
    ctx.reply(shape({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }))
    return undefined
  }
  group.sync(
    request.memberId,
    version >= 3 ? (request.groupInstanceId ?? null) : null,
    request.generationId,
    version >= 5 ? (request.protocolType ?? null) : null,
    version >= 5 ? (request.protocolName ?? null) : null,
    request.assignments,
    (outcome) => ctx.reply(shape(outcome)),
  )
  return undefined
}

function heartbeat(brokers: VirtualBrokers, request: HeartbeatRequest, ctx: HandlerContext): HeartbeatResponse {
  const refused = brokers.coordinatorError(request.groupId, ctx.broker)
  if (refused !== 0) return { throttleTimeMs: 0, errorCode: refused }
  const group = brokers.groups.get(request.groupId)
  const errorCode = group === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : group.heartbeat(request.memberId, ctx.version >= 3 ? (request.groupInstanceId ?? null) : null, request.generationId)
  return { throttleTimeMs: 0, errorCode }
}

function leaveGroup(brokers: VirtualBrokers, request: LeaveGroupRequest, ctx: HandlerContext): LeaveGroupResponse {
  const refused = brokers.coordinatorError(request.groupId, ctx.broker)
  const group = brokers.groups.get(request.groupId)
  if (ctx.version < 3) {
    if (refused !== 0) return { throttleTimeMs: 0, errorCode: refused }
    const code = group === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : group.leave([{ memberId: request.memberId ?? '', groupInstanceId: null }])[0]!
    return { throttleTimeMs: 0, errorCode: code }
  }
  const members = request.members ?? []
  if (refused !== 0) return { throttleTimeMs: 0, errorCode: refused, members: [] }
  const codes = group === undefined ? members.map(() => ErrorCode.UNKNOWN_MEMBER_ID) : group.leave(members)
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    members: members.map((m, i) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: codes[i]! })),
  }
}

function consumerGroupHeartbeat(brokers: VirtualBrokers, request: ConsumerGroupHeartbeatRequest, ctx: HandlerContext): ConsumerGroupHeartbeatResponse {
  const fail = (errorCode: number): ConsumerGroupHeartbeatResponse => ({
    throttleTimeMs: 0, errorCode, errorMessage: null, memberId: request.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null,
  })
  const refused = brokers.coordinatorError(request.groupId, ctx.broker)
  if (refused !== 0) return fail(refused)
  let group = brokers.consumerGroups.get(request.groupId)
  if (group === undefined) {
    const classic = brokers.groups.get(request.groupId)
    // No online migration between the protocols (KIP-848's upgrade path) is modelled.
    if (classic !== undefined && classic.members.size > 0) return fail(ErrorCode.GROUP_ID_NOT_FOUND)
    group = new VirtualConsumerGroup(request.groupId, brokers.scheduler, brokers.settings.consumerGroup, {
      byName: (name) => {
        const topic = brokers.topics.get(name)
        return topic === undefined ? undefined : { topicId: topic.topicId, partitions: topic.partitions.length }
      },
      nameOf: (topicId) => brokers.topicById(topicId)?.name,
    })
    // Offsets committed while the id was an empty classic group stay the group's.
    if (classic !== undefined) for (const [k, v] of classic.offsets) group.offsets.set(k, v)
    brokers.groups.delete(request.groupId)
    brokers.consumerGroups.set(request.groupId, group)
  }
  return group.heartbeat(request, ctx.clientId)
}

function offsetCommit(brokers: VirtualBrokers, request: OffsetCommitRequest, ctx: HandlerContext): OffsetCommitResponse {
  const refused = brokers.coordinatorError(request.groupId, ctx.broker)
  let groupError = refused
  const existing = brokers.groups.get(request.groupId)
  const consumerGroup = brokers.consumerGroups.get(request.groupId)
  const generationId = request.generationIdOrMemberEpoch ?? -1
  const memberId = request.memberId ?? ''
  if (groupError === 0) {
    if (consumerGroup !== undefined) {
      // KIP-848: OffsetCommit v9 carries the member epoch where the generation was.
      groupError = consumerGroup.checkCommit(memberId, generationId)
    } else if (existing === undefined) {
      groupError = generationId < 0 && memberId === '' ? 0 : ErrorCode.ILLEGAL_GENERATION
      if (memberId !== '') groupError = ErrorCode.UNKNOWN_MEMBER_ID
    } else {
      groupError = existing.checkCommit(memberId, ctx.version >= 7 ? (request.groupInstanceId ?? null) : null, generationId)
    }
  }
  const offsets = groupError === 0 ? brokers.groupOffsets(request.groupId, true) : undefined
  return {
    throttleTimeMs: 0,
    // Names are there up to OffsetCommit v9; the served versions stop below v10 (topic ids).
    topics: request.topics.map(({ name = '', partitions }) => ({
      name,
      partitions: partitions.map((p) => {
        let errorCode = groupError
        if (errorCode === 0 && brokers.topics.get(name)?.partitions[p.partitionIndex] === undefined) {
          errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        }
        if (errorCode === 0 && offsets !== undefined) {
          offsets.set(partitionKey(name, p.partitionIndex), {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch ?? -1,
            metadata: p.committedMetadata,
          })
        }
        return { partitionIndex: p.partitionIndex, errorCode }
      }),
    })),
  }
}

function offsetFetch(brokers: VirtualBrokers, request: OffsetFetchRequest, ctx: HandlerContext): OffsetFetchResponse {
  // Names are there up to OffsetFetch v9; the served versions stop below v10 (topic ids).
  const lookup = (groupId: string, topics: { name?: string; partitionIndexes: number[] }[] | null) => {
    const offsets = brokers.groupOffsets(groupId, false)
    const asked =
      topics ??
      partitionsByTopic(offsets?.keys() ?? []).map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
    return asked.map(({ name = '', partitionIndexes }) => ({
      name,
      partitions: partitionIndexes.map((partitionIndex) => {
        const stored = offsets?.get(partitionKey(name, partitionIndex))
        return {
          partitionIndex,
          committedOffset: stored?.offset ?? -1n,
          committedLeaderEpoch: stored?.leaderEpoch ?? -1,
          metadata: stored?.metadata ?? null,
          errorCode: 0,
        }
      }),
    }))
  }
  if (ctx.version >= 8) {
    return {
      throttleTimeMs: 0,
      groups: (request.groups ?? []).map((g) => {
        const refused = brokers.coordinatorError(g.groupId, ctx.broker)
        return { groupId: g.groupId, errorCode: refused, topics: refused === 0 ? lookup(g.groupId, g.topics) : [] }
      }),
    }
  }
  const groupId = request.groupId ?? ''
  const refused = brokers.coordinatorError(groupId, ctx.broker)
  if (refused !== 0) return { throttleTimeMs: 0, errorCode: refused, topics: [] }
  return { throttleTimeMs: 0, errorCode: 0, topics: lookup(groupId, request.topics ?? null) }
}
