/**
 * The admin APIs of the virtual brokers, so admin code (createAdmin over a
 * virtual cluster) runs in tests and in virtual time: CreateTopics,
 * DeleteTopics, CreatePartitions, DescribeConfigs, IncrementalAlterConfigs
 * (topics and brokers), ListGroups, DescribeGroups, DeleteGroups,
 * OffsetDelete and DescribeCluster. ListOffsets is virtual-produce-fetch.ts's.
 *
 * What the virtual brokers model, and no more: topics are created with the
 * virtual cluster's own placement (every broker a replica; an explicit
 * assignment only sets the partition count), configs are a small table of
 * defaults plus what was altered, and OffsetDelete of a group that has
 * members refuses every partition (GROUP_SUBSCRIBED_TO_TOPIC) since the
 * coordinator does not read subscriptions. docs/testing.md says the same.
 */
import { ErrorCode } from '../protocol/error-codes.js'
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../protocol/messages/CreatePartitions.js'
import type { CreateTopicsRequest, CreateTopicsResponse } from '../protocol/messages/CreateTopics.js'
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../protocol/messages/DeleteGroups.js'
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../protocol/messages/DeleteTopics.js'
import type { DescribeClusterRequest, DescribeClusterResponse } from '../protocol/messages/DescribeCluster.js'
import type { DescribeConfigsRequest, DescribeConfigsResponse } from '../protocol/messages/DescribeConfigs.js'
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../protocol/messages/DescribeGroups.js'
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../protocol/messages/IncrementalAlterConfigs.js'
import type { ListGroupsRequest, ListGroupsResponse } from '../protocol/messages/ListGroups.js'
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../protocol/messages/OffsetDelete.js'
import type { VirtualBrokers } from './virtual-broker.js'
import { answering, virtualApi, type HandlerContext, type VirtualApi } from './virtual-handler.js'
import { isValidTopicName } from './virtual-metadata.js'
import { partitionKey } from './virtual-partition-key.js'

/** Topic configs a virtual topic has before any is altered (Kafka's defaults). */
const TOPIC_DEFAULTS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'delete',
  'compression.type': 'producer',
  'max.message.bytes': '1048588',
  'min.insync.replicas': '1',
  'retention.bytes': '-1',
  'retention.ms': '604800000',
  'segment.bytes': '1073741824',
}
const BROKER_DEFAULTS: Readonly<Record<string, string>> = {
  'auto.create.topics.enable': 'false',
  'default.replication.factor': '1',
  'num.partitions': '1',
}
const TOPIC_ENUMS: Readonly<Record<string, readonly string[]>> = { 'cleanup.policy': ['delete', 'compact', 'delete,compact', 'compact,delete'] }

/** What the admin APIs keep beside the brokers' own state: altered configs, by resource. */
const alteredConfigs = new WeakMap<VirtualBrokers, Map<string, Map<string, string>>>()

function configsOf(brokers: VirtualBrokers, key: string): Map<string, string> {
  let all = alteredConfigs.get(brokers)
  if (all === undefined) alteredConfigs.set(brokers, (all = new Map()))
  let one = all.get(key)
  if (one === undefined) all.set(key, (one = new Map()))
  return one
}

/** A topic config value the virtual broker accepts; undefined when it is not one. */
function validValue(name: string, value: string | null): boolean {
  if (!(name in TOPIC_DEFAULTS) || value === null) return false
  const choices = TOPIC_ENUMS[name]
  if (choices !== undefined) return choices.includes(value)
  return /^-?\d+$/.test(value) || name === 'compression.type'
}

/** The admin APIs, in api key order. */
export const VIRTUAL_ADMIN_APIS: readonly VirtualApi[] = [
  virtualApi<DescribeGroupsRequest>({
    apiKey: 15,
    name: 'DescribeGroups',
    versions: { minVersion: 0, maxVersion: 6 },
    handle: answering(describeGroups),
    failed: (request, _version, errorCode) => ({ throttleTimeMs: 0, groups: request.groups.map((groupId) => ({ errorCode, errorMessage: null, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 })) }),
  }),
  virtualApi<ListGroupsRequest>({
    apiKey: 16,
    name: 'ListGroups',
    versions: { minVersion: 0, maxVersion: 5 },
    handle: answering(listGroups),
    failed: (_request, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] }),
  }),
  virtualApi<CreateTopicsRequest>({
    apiKey: 19,
    name: 'CreateTopics',
    versions: { minVersion: 2, maxVersion: 7 },
    handle: answering(createTopics),
    failed: (request, _version, errorCode) => ({ throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null, numPartitions: -1, replicationFactor: -1, configs: [] })) }),
  }),
  virtualApi<DeleteTopicsRequest>({
    apiKey: 20,
    name: 'DeleteTopics',
    versions: { minVersion: 1, maxVersion: 6 },
    handle: answering(deleteTopics),
    failed: (request, _version, errorCode) => {
      const names = request.topicNames ?? (request.topics ?? []).map((t) => t.name ?? '')
      return { throttleTimeMs: 0, responses: names.map((name) => ({ name, errorCode, errorMessage: null })) }
    },
  }),
  virtualApi<DescribeConfigsRequest>({
    apiKey: 32,
    name: 'DescribeConfigs',
    // v1+: the source, not isDefault, says where a value comes from.
    versions: { minVersion: 1, maxVersion: 4 },
    handle: answering(describeConfigs),
    failed: (request, _version, errorCode) => ({ throttleTimeMs: 0, results: request.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })) }),
  }),
  virtualApi<CreatePartitionsRequest>({
    apiKey: 37,
    name: 'CreatePartitions',
    versions: { minVersion: 0, maxVersion: 3 },
    handle: answering(createPartitions),
    failed: (request, _version, errorCode) => ({ throttleTimeMs: 0, results: request.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) }),
  }),
  virtualApi<DeleteGroupsRequest>({
    apiKey: 42,
    name: 'DeleteGroups',
    versions: { minVersion: 0, maxVersion: 2 },
    handle: answering(deleteGroups),
    failed: (request, _version, errorCode) => ({ throttleTimeMs: 0, results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) }),
  }),
  virtualApi<IncrementalAlterConfigsRequest>({
    apiKey: 44,
    name: 'IncrementalAlterConfigs',
    versions: { minVersion: 0, maxVersion: 1 },
    handle: answering(alterConfigs),
    failed: (request, _version, errorCode) => ({ throttleTimeMs: 0, responses: request.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) }),
  }),
  virtualApi<OffsetDeleteRequest>({
    apiKey: 47,
    name: 'OffsetDelete',
    versions: { minVersion: 0, maxVersion: 0 },
    handle: answering(offsetDelete),
    failed: (_request, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, topics: [] }),
  }),
  virtualApi<DescribeClusterRequest>({
    apiKey: 60,
    name: 'DescribeCluster',
    versions: { minVersion: 0, maxVersion: 1 },
    handle: answering(describeCluster),
    failed: (_request, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, errorMessage: null, clusterId: '', controllerId: -1, brokers: [], clusterAuthorizedOperations: -2147483648 }),
  }),
]

function createTopics(brokers: VirtualBrokers, request: CreateTopicsRequest): CreateTopicsResponse {
  const brokerCount = brokers.settings.brokerIds.length
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((t) => {
      const fail = (errorCode: number, errorMessage: string) => ({ name: t.name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', errorCode, errorMessage, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: null })
      if (!isValidTopicName(t.name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name ${t.name}`)
      if (brokers.topics.has(t.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`)
      const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? brokers.settings.defaultPartitions : t.numPartitions
      const replication = t.assignments.length > 0 ? (t.assignments[0]?.brokerIds.length ?? 1) : t.replicationFactor === -1 ? 1 : t.replicationFactor
      if (partitions < 1) return fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.')
      if (replication < 1 || replication > brokerCount) {
        return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `Unable to replicate the partition ${replication} time(s): The target replication factor of ${replication} cannot be reached because only ${brokerCount} broker(s) are registered.`)
      }
      const bad = t.configs.find((c) => !validValue(c.name, c.value))
      if (bad !== undefined) return fail(ErrorCode.INVALID_CONFIG, `invalid value ${JSON.stringify(bad.value)} for ${bad.name}`)
      const topicId = request.validateOnly === true ? 'AAAAAAAAAAAAAAAAAAAAAA' : brokers.createTopic(t.name, partitions).topicId
      if (request.validateOnly !== true) for (const c of t.configs) configsOf(brokers, `2:${t.name}`).set(c.name, c.value!)
      return { name: t.name, topicId, errorCode: 0, errorMessage: null, topicConfigErrorCode: 0, numPartitions: partitions, replicationFactor: replication, configs: [] }
    }),
  }
}

function deleteTopics(brokers: VirtualBrokers, request: DeleteTopicsRequest, ctx: HandlerContext): DeleteTopicsResponse {
  const names = ctx.version >= 6 ? (request.topics ?? []).map((t) => t.name ?? '') : (request.topicNames ?? [])
  return {
    throttleTimeMs: 0,
    responses: names.map((name) => {
      const topic = brokers.topics.get(name)
      if (topic === undefined) return { name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null }
      brokers.deleteTopic(name)
      alteredConfigs.get(brokers)?.delete(`2:${name}`)
      return { name, topicId: topic.topicId, errorCode: 0, errorMessage: null }
    }),
  }
}

function createPartitions(brokers: VirtualBrokers, request: CreatePartitionsRequest): CreatePartitionsResponse {
  return {
    throttleTimeMs: 0,
    results: request.topics.map((t) => {
      const topic = brokers.topics.get(t.name)
      if (topic === undefined) return { name: t.name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null }
      const have = topic.partitions.length
      if (t.count <= have) return { name: t.name, errorCode: ErrorCode.INVALID_PARTITIONS, errorMessage: `Topic currently has ${have} partitions, which is higher than the requested ${t.count}.` }
      if (!request.validateOnly) brokers.addPartitions(topic, t.count)
      return { name: t.name, errorCode: 0, errorMessage: null }
    }),
  }
}

function describeConfigs(brokers: VirtualBrokers, request: DescribeConfigsRequest): DescribeConfigsResponse {
  return {
    throttleTimeMs: 0,
    results: request.resources.map((r) => {
      const isTopic = r.resourceType === 2
      const isBroker = r.resourceType === 4
      const known = isTopic ? brokers.topics.has(r.resourceName) : isBroker && (r.resourceName === '' || brokers.up.has(Number(r.resourceName)))
      if (!known) {
        return { errorCode: isTopic ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_REQUEST, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] }
      }
      const defaults = isTopic ? TOPIC_DEFAULTS : BROKER_DEFAULTS
      const altered = configsOf(brokers, `${r.resourceType}:${r.resourceName}`)
      const names = r.configurationKeys ?? Object.keys(defaults)
      return {
        errorCode: 0,
        errorMessage: null,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs: names
          .filter((name) => name in defaults)
          .map((name) => {
            const set = altered.get(name)
            return { name, value: set ?? defaults[name]!, readOnly: false, isDefault: false, configSource: set === undefined ? 5 : isTopic ? 1 : 2, isSensitive: false, synonyms: [], configType: 0, documentation: null }
          }),
      }
    }),
  }
}

function alterConfigs(brokers: VirtualBrokers, request: IncrementalAlterConfigsRequest): IncrementalAlterConfigsResponse {
  return {
    throttleTimeMs: 0,
    responses: request.resources.map((r) => {
      const answer = (errorCode: number, errorMessage: string | null) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName })
      if (r.resourceType === 2 && !brokers.topics.has(r.resourceName)) return answer(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null)
      if (r.resourceType !== 2 && r.resourceType !== 4) return answer(ErrorCode.INVALID_REQUEST, 'the virtual cluster has configs of topics and brokers only')
      const defaults = r.resourceType === 2 ? TOPIC_DEFAULTS : BROKER_DEFAULTS
      for (const c of r.configs) {
        if (!(c.name in defaults)) return answer(ErrorCode.INVALID_CONFIG, `unknown config ${c.name}`)
        if (c.configOperation === 0 && r.resourceType === 2 && !validValue(c.name, c.value)) return answer(ErrorCode.INVALID_CONFIG, `invalid value ${JSON.stringify(c.value)} for ${c.name}`)
        if (c.configOperation > 1) return answer(ErrorCode.INVALID_REQUEST, 'the virtual cluster has no list-valued configs to append to or subtract from')
      }
      if (!request.validateOnly) {
        const altered = configsOf(brokers, `${r.resourceType}:${r.resourceName}`)
        for (const c of r.configs) {
          if (c.configOperation === 0) altered.set(c.name, c.value ?? '')
          else altered.delete(c.name)
        }
      }
      return answer(0, null)
    }),
  }
}

function listGroups(brokers: VirtualBrokers, request: ListGroupsRequest, ctx: HandlerContext): ListGroupsResponse {
  const states = request.statesFilter ?? []
  const types = request.typesFilter ?? []
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: [...brokers.groups.values()]
      .filter((g) => brokers.coordinatorFor(g.groupId) === ctx.broker && g.state !== 'Dead')
      .filter((g) => (states.length === 0 || states.includes(g.state)) && (types.length === 0 || types.includes('classic')))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' })),
  }
}

function describeGroups(brokers: VirtualBrokers, request: DescribeGroupsRequest, ctx: HandlerContext): DescribeGroupsResponse {
  return {
    throttleTimeMs: 0,
    groups: request.groups.map((groupId) => {
      const refused = brokers.coordinatorError(groupId, ctx.broker)
      const group = brokers.groups.get(groupId)
      const empty = { errorMessage: null, groupId, protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 }
      if (refused !== 0) return { ...empty, errorCode: refused, groupState: '' }
      if (group === undefined) return ctx.version >= 6 ? { ...empty, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, groupState: 'Dead' } : { ...empty, errorCode: 0, groupState: 'Dead' }
      const snapshot = group.snapshot()
      return {
        errorCode: 0,
        errorMessage: null,
        groupId,
        groupState: snapshot.state,
        protocolType: snapshot.protocolType ?? '',
        protocolData: snapshot.protocolName ?? '',
        members: snapshot.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: '/127.0.0.1', memberMetadata: Buffer.alloc(0), memberAssignment: m.assignment })),
        authorizedOperations: -2147483648,
      }
    }),
  }
}

function deleteGroups(brokers: VirtualBrokers, request: DeleteGroupsRequest, ctx: HandlerContext): DeleteGroupsResponse {
  return {
    throttleTimeMs: 0,
    results: request.groupsNames.map((groupId) => {
      const refused = brokers.coordinatorError(groupId, ctx.broker)
      if (refused !== 0) return { groupId, errorCode: refused, errorMessage: null }
      const group = brokers.groups.get(groupId)
      if (group === undefined) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: null }
      if (group.members.size > 0) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage: null }
      group.dispose()
      brokers.groups.delete(groupId)
      return { groupId, errorCode: 0, errorMessage: null }
    }),
  }
}

function offsetDelete(brokers: VirtualBrokers, request: OffsetDeleteRequest, ctx: HandlerContext): OffsetDeleteResponse {
  const refused = brokers.coordinatorError(request.groupId, ctx.broker)
  const group = brokers.groups.get(request.groupId)
  const groupError = refused !== 0 ? refused : group === undefined ? ErrorCode.GROUP_ID_NOT_FOUND : 0
  if (groupError !== 0 || group === undefined) return { errorCode: groupError, throttleTimeMs: 0, topics: [] }
  return {
    errorCode: 0,
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (group.members.size > 0) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }
        if (brokers.topics.get(t.name)?.partitions[p.partitionIndex] === undefined) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
        group.offsets.delete(partitionKey(t.name, p.partitionIndex))
        return { partitionIndex: p.partitionIndex, errorCode: 0 }
      }),
    })),
  }
}

function describeCluster(brokers: VirtualBrokers): DescribeClusterResponse {
  const up = brokers.upBrokers()
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: null,
    endpointType: 1,
    clusterId: brokers.settings.clusterId,
    controllerId: up[0] ?? -1,
    brokers: up.map((id) => ({ brokerId: id, host: `virtual-broker-${id}`, port: 9092, rack: null })),
    clusterAuthorizedOperations: -2147483648,
  }
}
