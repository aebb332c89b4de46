/**
 * The cluster-view APIs of the virtual brokers: Metadata (with
 * auto-creation of topics, as `auto.create.topics.enable` does) and
 * FindCoordinator (group and transactional ids, placed as Kafka places them:
 * see VirtualBrokers.coordinatorFor).
 */
import { ErrorCode } from '../protocol/error-codes.js'
import { ZERO_UUID } from '../protocol/primitives.js'
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/messages/FindCoordinator.js'
import type { MetadataRequest, MetadataResponse, MetadataResponseTopic } from '../protocol/messages/Metadata.js'
import type { VirtualBrokers, VirtualTopic } from './virtual-broker.js'
import { answering, virtualApi, type HandlerContext } from './virtual-handler.js'

/** Kafka's rule: 1-249 characters of ASCII letters, digits, '.', '_' and '-', and not '.' or '..'. */
export function isValidTopicName(name: string): boolean {
  return name.length > 0 && name.length <= 249 && name !== '.' && name !== '..' && /^[a-zA-Z0-9._-]+$/.test(name)
}

export const METADATA_API = virtualApi<MetadataRequest>({
  apiKey: 3,
  name: 'Metadata',
  versions: { minVersion: 1, maxVersion: 12 },
  handle: answering(metadata),
  failed: (request, version, errorCode): MetadataResponse => ({
    throttleTimeMs: 0,
    brokers: [],
    clusterId: null,
    controllerId: -1,
    topics: (request.topics ?? []).map((t) => ({
      errorCode,
      name: version >= 12 ? t.name : (t.name ?? ''),
      topicId: t.topicId ?? ZERO_UUID,
      isInternal: false,
      partitions: [],
      topicAuthorizedOperations: -2147483648,
    })),
  }),
})

export const FIND_COORDINATOR_API = virtualApi<FindCoordinatorRequest>({
  apiKey: 10,
  name: 'FindCoordinator',
  versions: { minVersion: 0, maxVersion: 6 },
  handle: answering(findCoordinator),
  failed: (request, version, errorCode): FindCoordinatorResponse => {
    if (version >= 4) {
      return {
        throttleTimeMs: 0,
        coordinators: (request.coordinatorKeys ?? []).map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })),
      }
    }
    return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 }
  },
})

function metadata(brokers: VirtualBrokers, request: MetadataRequest, ctx: HandlerContext): MetadataResponse {
  const up = brokers.upBrokers().map((nodeId) => ({ nodeId, host: `virtual-broker-${nodeId}`, port: 9092, rack: null }))
  const allowAutoCreate = brokers.settings.autoCreateTopics && (ctx.version < 4 || request.allowAutoTopicCreation !== false)
  const topics: MetadataResponseTopic[] = []
  const describe = (topic: VirtualTopic): MetadataResponseTopic => ({
    errorCode: 0,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: false,
    partitions: topic.partitions.map((p, index) => ({
      errorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : 0,
      partitionIndex: index,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: p.replicas,
      isrNodes: p.replicas.filter((b) => brokers.up.get(b) === true),
      offlineReplicas: p.replicas.filter((b) => brokers.up.get(b) !== true),
    })),
    topicAuthorizedOperations: -2147483648,
  })
  if (request.topics === null) {
    for (const topic of [...brokers.topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) topics.push(describe(topic))
  } else {
    for (const asked of request.topics) {
      const byId = asked.topicId !== undefined && asked.topicId !== ZERO_UUID ? brokers.topicById(asked.topicId) : undefined
      const name = asked.name ?? byId?.name ?? null
      const topic = byId ?? (name === null ? undefined : brokers.topics.get(name))
      if (topic !== undefined) {
        topics.push(describe(topic))
        continue
      }
      const creatable = name !== null && allowAutoCreate && isValidTopicName(name)
      if (creatable) brokers.createTopic(name, brokers.settings.defaultPartitions)
      topics.push({
        // As a broker does, the request that creates a topic hears "no leader yet"; the next one sees it.
        errorCode: creatable
          ? ErrorCode.LEADER_NOT_AVAILABLE
          : name !== null && !isValidTopicName(name)
            ? ErrorCode.INVALID_TOPIC_EXCEPTION
            : name === null
              ? ErrorCode.UNKNOWN_TOPIC_ID
              : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        name: ctx.version >= 12 ? name : (name ?? ''),
        topicId: asked.topicId ?? ZERO_UUID,
        isInternal: false,
        partitions: [],
        topicAuthorizedOperations: -2147483648,
      })
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: up,
    clusterId: brokers.settings.clusterId,
    controllerId: up[0]?.nodeId ?? -1,
    topics,
  }
}

function findCoordinator(brokers: VirtualBrokers, request: FindCoordinatorRequest, ctx: HandlerContext): FindCoordinatorResponse {
  const keyType = request.keyType ?? 0
  const locate = (key: string): { nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null } => {
    if (keyType !== 0 && keyType !== 1) {
      return { nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown key type ${keyType}` }
    }
    const nodeId = brokers.coordinatorFor(key)
    if (nodeId < 0) return { nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null }
    return { nodeId, host: `virtual-broker-${nodeId}`, port: 9092, errorCode: 0, errorMessage: null }
  }
  if (ctx.version >= 4) {
    return { throttleTimeMs: 0, coordinators: (request.coordinatorKeys ?? []).map((key) => ({ key, ...locate(key) })) }
  }
  return { throttleTimeMs: 0, ...locate(request.key ?? '') }
}
