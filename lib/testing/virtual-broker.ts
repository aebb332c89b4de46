/**
 * The server side of the virtual cluster: brokers, topics and their logs,
 * producer ids, group coordinators, and one handler per Kafka API that turns
 * a decoded request into the response a broker of that version would send.
 * Requests reach it already encoded and decoded at the negotiated version
 * (see virtual-cluster.ts), so what a handler sees is what a broker would see.
 */
import { createHash } from 'node:crypto'
import type { SchedulerLike, Subscription } from 'rxjs'
import { ErrorCode } from '../protocol/error-codes.js'
import { bytesToUuid, ZERO_UUID } from '../protocol/primitives.js'
import type { VersionRange } from '../protocol/versions.js'
import type { ApiVersionsRequest, ApiVersionsResponse } from '../protocol/messages/ApiVersions.js'
import type { FetchRequest, FetchResponse, FetchResponsePartitionData } from '../protocol/messages/Fetch.js'
import type { FindCoordinatorRequest, FindCoordinatorResponse } from '../protocol/messages/FindCoordinator.js'
import type { HeartbeatRequest, HeartbeatResponse } from '../protocol/messages/Heartbeat.js'
import type { InitProducerIdRequest, InitProducerIdResponse } from '../protocol/messages/InitProducerId.js'
import type { JoinGroupRequest, JoinGroupResponse } from '../protocol/messages/JoinGroup.js'
import type { LeaveGroupRequest, LeaveGroupResponse } from '../protocol/messages/LeaveGroup.js'
import type { ListOffsetsRequest, ListOffsetsResponse, ListOffsetsResponseListOffsetsPartitionResponse } from '../protocol/messages/ListOffsets.js'
import type { MetadataRequest, MetadataResponse, MetadataResponseTopic } from '../protocol/messages/Metadata.js'
import type { OffsetCommitRequest, OffsetCommitResponse } from '../protocol/messages/OffsetCommit.js'
import type { OffsetFetchRequest, OffsetFetchResponse } from '../protocol/messages/OffsetFetch.js'
import type { ProduceRequest, ProduceResponse, ProduceResponsePartitionProduceResponse } from '../protocol/messages/Produce.js'
import type { SyncGroupRequest, SyncGroupResponse } from '../protocol/messages/SyncGroup.js'
import { VirtualGroup, type GroupCoordinatorSettings, type JoinOutcome, type StoredOffset, type SyncOutcome } from './virtual-group.js'
import { VirtualClusterError } from '../errors/index.js'
import { PartitionLog } from './virtual-log.js'
import { adminErrorResponse, handleAdminRequest, VIRTUAL_ADMIN_API_NAMES, VIRTUAL_ADMIN_API_VERSIONS } from './virtual-admin.js'
import { VirtualTransactions } from './virtual-transactions.js'
import { VirtualConsumerGroup, type ConsumerGroupSettings } from './virtual-consumer-group.js'
import type { ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse } from '../protocol/messages/ConsumerGroupHeartbeat.js'
import { VirtualShareGroup, type ShareGroupSettings } from './virtual-share-group.js'
import type { ShareGroupHeartbeatRequest } from '../protocol/messages/ShareGroupHeartbeat.js'
import type { ShareFetchRequest } from '../protocol/messages/ShareFetch.js'
import type { ShareAcknowledgeRequest } from '../protocol/messages/ShareAcknowledge.js'
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../protocol/messages/AddOffsetsToTxn.js'
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/messages/AddPartitionsToTxn.js'
import type { EndTxnRequest, EndTxnResponse } from '../protocol/messages/EndTxn.js'
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../protocol/messages/TxnOffsetCommit.js'

/** Api key -> the versions the virtual brokers implement: the recent ones a Kafka 3.7+/4.x broker speaks. */
export const VIRTUAL_API_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([
  [0, { minVersion: 3, maxVersion: 11 }], // Produce
  [1, { minVersion: 4, maxVersion: 17 }], // Fetch
  [2, { minVersion: 1, maxVersion: 10 }], // ListOffsets
  [3, { minVersion: 1, maxVersion: 12 }], // Metadata
  [8, { minVersion: 2, maxVersion: 9 }], // OffsetCommit
  [9, { minVersion: 1, maxVersion: 9 }], // OffsetFetch
  [10, { minVersion: 0, maxVersion: 6 }], // FindCoordinator
  [11, { minVersion: 2, maxVersion: 9 }], // JoinGroup
  [12, { minVersion: 0, maxVersion: 4 }], // Heartbeat
  [13, { minVersion: 0, maxVersion: 5 }], // LeaveGroup
  [14, { minVersion: 0, maxVersion: 5 }], // SyncGroup
  [18, { minVersion: 0, maxVersion: 4 }], // ApiVersions
  [22, { minVersion: 0, maxVersion: 5 }], // InitProducerId
  // The admin APIs: virtual-admin.ts.
  ...VIRTUAL_ADMIN_API_VERSIONS,
  // Transactions (lib/testing/virtual-transactions.ts): transaction version 1 (no finalized features, so clients speak TV1).
  [24, { minVersion: 0, maxVersion: 3 }], // AddPartitionsToTxn
  [25, { minVersion: 0, maxVersion: 3 }], // AddOffsetsToTxn
  [26, { minVersion: 0, maxVersion: 4 }], // EndTxn
  [28, { minVersion: 0, maxVersion: 4 }], // TxnOffsetCommit
  // The consumer group protocol of KIP-848 (lib/testing/virtual-consumer-group.ts).
  [68, { minVersion: 0, maxVersion: 1 }], // ConsumerGroupHeartbeat
  // Share groups (KIP-932, lib/testing/virtual-share-group.ts).
  [76, { minVersion: 1, maxVersion: 1 }], // ShareGroupHeartbeat
  [78, { minVersion: 1, maxVersion: 2 }], // ShareFetch
  [79, { minVersion: 1, maxVersion: 2 }], // ShareAcknowledge
])

/** The API names the virtual brokers serve, by api key, as the protocol spells them. */
export const VIRTUAL_API_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'Produce'],
  [1, 'Fetch'],
  [2, 'ListOffsets'],
  [3, 'Metadata'],
  [8, 'OffsetCommit'],
  [9, 'OffsetFetch'],
  [10, 'FindCoordinator'],
  [11, 'JoinGroup'],
  [12, 'Heartbeat'],
  [13, 'LeaveGroup'],
  [14, 'SyncGroup'],
  [18, 'ApiVersions'],
  [22, 'InitProducerId'],
  ...VIRTUAL_ADMIN_API_NAMES,
  [24, 'AddPartitionsToTxn'],
  [25, 'AddOffsetsToTxn'],
  [26, 'EndTxn'],
  [28, 'TxnOffsetCommit'],
  [68, 'ConsumerGroupHeartbeat'],
  [76, 'ShareGroupHeartbeat'],
  [78, 'ShareFetch'],
  [79, 'ShareAcknowledge'],
])

/** Where a handler runs and how it answers. `reply` may be called later (long polls, rebalances). */
export interface HandlerContext {
  broker: number
  version: number
  clientId: string
  nowMs: number
  reply: (response: unknown) => void
}

/** A handler's way to stop waiting when the request is abandoned (its broker went down). */
export type CancelWaiting = () => void

export interface VirtualPartition {
  readonly log: PartitionLog
  leader: number
  leaderEpoch: number
  readonly replicas: number[]
}

export interface VirtualTopic {
  readonly name: string
  readonly topicId: string
  readonly partitions: VirtualPartition[]
}

interface InjectedError {
  apiKey: number
  errorCode: number
  broker: number | undefined
  remaining: number
}

interface DataWaiter {
  partitions: Set<VirtualPartition>
  wake(): void
  cancel(): void
}

/** Settings of the virtual brokers. */
export interface VirtualBrokerSettings {
  brokerIds: number[]
  autoCreateTopics: boolean
  defaultPartitions: number
  group: GroupCoordinatorSettings
  /** The KIP-848 coordinator's session timeout and heartbeat interval. */
  consumerGroup: ConsumerGroupSettings
  /** Share groups' session timeout, heartbeat interval, record lock duration and delivery count limit. */
  shareGroup: ShareGroupSettings
  clusterId: string
  /** More requests than this without the clock moving is a client retrying without pause. */
  maxRequestsPerFrame: number
  /** A virtual clock this far past the cluster's start means a test that forgot to unsubscribe; 0: no limit. */
  maxVirtualTimeMs: number
}

const CONSUMER_OFFSETS_PARTITIONS = 50
const FIRST_PRODUCER_ID = 1000n
const MAX_EPOCH = 0x7fff

/** Java's String.hashCode, so coordinator placement follows the same rule as Kafka's (hash of the key modulo the offsets topic's partitions). */
function javaStringHash(text: string): number {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0
  return h
}

/** A stable, non-zero topic id derived from the name, so runs are reproducible. */
function topicIdFor(name: string): string {
  const digest = createHash('sha256').update(`virtual-topic:${name}`).digest()
  const id = bytesToUuid(digest.subarray(0, 16))
  return id === ZERO_UUID ? 'AQAAAAAAAAAAAAAAAAAAAA' : id
}

/** The whole virtual cluster's state, shared by every client made from it. */
export class VirtualBrokers {
  readonly topics = new Map<string, VirtualTopic>()
  private readonly topicsById = new Map<string, VirtualTopic>()
  readonly up = new Map<number, boolean>()
  readonly groups = new Map<string, VirtualGroup>()
  /** Groups under the consumer group protocol (KIP-848); a group id is in this map or in `groups`, never both. */
  readonly consumerGroups = new Map<string, VirtualConsumerGroup>()
  /** Share groups (KIP-932), a namespace of their own here. */
  readonly shareGroups = new Map<string, VirtualShareGroup>()
  private readonly injected: InjectedError[] = []
  private readonly waiters = new Set<DataWaiter>()
  private nextProducerId = FIRST_PRODUCER_ID
  private readonly producerEpochs = new Map<bigint, number>()
  private readonly transactionalProducers = new Map<string, bigint>()
  private memberSequence = 0
  private topicSequence = 0
  private stormFrame = Number.NaN
  private stormCount = 0
  /** Where a virtual clock started; undefined for a wall clock, which has no natural end. */
  private readonly virtualStart: number | undefined
  private overrunReported = false
  /** The transaction coordinator (lib/testing/virtual-transactions.ts). */
  readonly transactions = new VirtualTransactions({
    partition: (topic, partition) => this.topics.get(topic)?.partitions[partition],
    coordinatorError: (key, broker) => this.coordinatorError(key, broker),
    checkGroupCommit: (groupId, memberId, instanceId, generationId) =>
      this.consumerGroups.get(groupId)?.checkCommit(memberId, generationId) ?? this.groups.get(groupId)?.checkCommit(memberId, instanceId, generationId) ?? ErrorCode.ILLEGAL_GENERATION,
    commitOffset: (groupId, key, offset) => this.groupOffsets(groupId, true)!.set(key, offset),
    notifyAppended: (partitions) => this.notifyAppended(partitions),
    nowMs: () => this.scheduler.now(),
  })
  /** Called when a broker goes down, so clients can fail what is in flight to it. */
  readonly brokerDownListeners = new Set<(broker: number) => void>()

  constructor(
    readonly settings: VirtualBrokerSettings,
    readonly scheduler: SchedulerLike,
  ) {
    for (const id of settings.brokerIds) this.up.set(id, true)
    // Virtual clocks (TestScheduler, VirtualTimeScheduler) start at 0; wall clocks are far past 2001.
    const start = scheduler.now()
    this.virtualStart = start < 1e12 ? start : undefined
  }

  // ----- topology -----

  upBrokers(): number[] {
    return this.settings.brokerIds.filter((id) => this.up.get(id) === true)
  }

  createTopic(name: string, partitionCount: number): VirtualTopic {
    const brokers = this.settings.brokerIds
    const start = this.topicSequence++ % brokers.length
    const partitions: VirtualPartition[] = []
    for (let p = 0; p < partitionCount; p++) {
      const replicas = brokers.map((_, i) => brokers[(start + p + i) % brokers.length]!)
      const leader = replicas.find((b) => this.up.get(b) === true) ?? -1
      partitions.push({ log: new PartitionLog(name, p), leader, leaderEpoch: 0, replicas })
    }
    const topic: VirtualTopic = { name, topicId: topicIdFor(name), partitions }
    this.topics.set(name, topic)
    this.topicsById.set(topic.topicId, topic)
    return topic
  }

  /** Grows a topic to `partitionCount` partitions (CreatePartitions): the new ones are empty, led as createTopic would lead them. */
  addPartitions(topic: VirtualTopic, partitionCount: number): void {
    const brokers = this.settings.brokerIds
    for (let p = topic.partitions.length; p < partitionCount; p++) {
      const replicas = brokers.map((_, i) => brokers[(p + i) % brokers.length]!)
      const leader = replicas.find((b) => this.up.get(b) === true) ?? -1
      topic.partitions.push({ log: new PartitionLog(topic.name, p), leader, leaderEpoch: 0, replicas })
    }
  }

  /** Removes a topic (DeleteTopics); fetches of it answer UNKNOWN_TOPIC_OR_PARTITION from now on. */
  deleteTopic(name: string): boolean {
    const topic = this.topics.get(name)
    if (topic === undefined) return false
    this.topics.delete(name)
    this.topicsById.delete(topic.topicId)
    this.wakeAll()
    return true
  }

  /** The coordinator of a group or transactional id: its preferred broker, or the next one up. */
  coordinatorFor(key: string): number {
    const brokers = this.settings.brokerIds
    const offsetsPartition = Math.abs(javaStringHash(key) % CONSUMER_OFFSETS_PARTITIONS)
    for (let i = 0; i < brokers.length; i++) {
      const candidate = brokers[(offsetsPartition + i) % brokers.length]!
      if (this.up.get(candidate) === true) return candidate
    }
    return -1
  }

  setBrokerUp(id: number, isUp: boolean): void {
    if (this.up.get(id) === isUp) return
    const coordinated = [...this.groups.keys()].filter((g) => this.coordinatorFor(g) === id)
    this.up.set(id, isUp)
    if (!isUp) {
      // The controller moves leadership to a live replica (every replica has the whole log here).
      for (const topic of this.topics.values()) {
        for (const p of topic.partitions) {
          if (p.leader !== id) continue
          p.leader = p.replicas.find((b) => this.up.get(b) === true) ?? -1
          p.leaderEpoch++
        }
      }
      for (const groupId of coordinated) this.groups.get(groupId)!.dropParkedRequests()
      for (const listener of this.brokerDownListeners) listener(id)
    } else {
      for (const topic of this.topics.values()) {
        for (const p of topic.partitions) {
          if (p.leader >= 0) continue
          p.leader = id
          p.leaderEpoch++
        }
      }
    }
    this.wakeAll()
  }

  moveLeader(partition: VirtualPartition, broker: number): void {
    partition.leader = broker
    partition.leaderEpoch++
    this.wakeAll()
  }

  group(groupId: string): VirtualGroup {
    let group = this.groups.get(groupId)
    if (group === undefined) {
      group = new VirtualGroup(groupId, this.scheduler, this.settings.group, (clientId) => `${clientId}-${++this.memberSequence}`)
      this.groups.set(groupId, group)
    }
    return group
  }

  /** The share group of that id, made on first use. */
  shareGroup(groupId: string): VirtualShareGroup {
    let group = this.shareGroups.get(groupId)
    if (group === undefined) {
      group = new VirtualShareGroup(groupId, this.scheduler, this.settings.shareGroup, {
        topicByName: (name) => this.topics.get(name),
        topicById: (id) => this.topicsById.get(id),
        waitForData: (partitions, wake) => {
          const waiter: DataWaiter = { partitions, wake, cancel: () => this.waiters.delete(waiter) }
          this.waiters.add(waiter)
          return () => this.waiters.delete(waiter)
        },
        notifyAppended: (partitions) => this.notifyAppended(partitions),
      })
      this.shareGroups.set(groupId, group)
    }
    return group
  }

  /** The committed offsets of a group of either protocol; `create` makes a classic group when there is none. */
  groupOffsets(groupId: string, create: boolean): Map<string, StoredOffset> | undefined {
    const consumer = this.consumerGroups.get(groupId)
    if (consumer !== undefined) return consumer.offsets
    return create ? this.group(groupId).offsets : this.groups.get(groupId)?.offsets
  }

  inject(apiKey: number, errorCode: number, broker: number | undefined, count: number): void {
    this.injected.push({ apiKey, errorCode, broker, remaining: count })
  }

  private takeInjected(apiKey: number, broker: number): number | undefined {
    const index = this.injected.findIndex((e) => e.apiKey === apiKey && (e.broker === undefined || e.broker === broker))
    if (index < 0) return undefined
    const entry = this.injected[index]!
    if (--entry.remaining <= 0) this.injected.splice(index, 1)
    return entry.errorCode
  }

  /** New data or a leadership change: long-polling fetches look again. */
  notifyAppended(partitions: Iterable<VirtualPartition>): void {
    const touched = new Set(partitions)
    for (const waiter of [...this.waiters]) {
      for (const p of waiter.partitions) {
        if (touched.has(p)) {
          waiter.wake()
          break
        }
      }
    }
  }

  private wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter.wake()
  }

  dispose(): void {
    for (const g of this.groups.values()) g.dispose()
    for (const g of this.consumerGroups.values()) g.dispose()
    for (const g of this.shareGroups.values()) g.dispose()
    for (const waiter of [...this.waiters]) waiter.cancel()
    this.waiters.clear()
  }

  // ----- dispatch -----

  /** Runs the handler of `apiKey`; returns how to stop a request that is still waiting. */
  handle(apiKey: number, request: unknown, ctx: HandlerContext): CancelWaiting | undefined {
    this.watchForStorm(apiKey)
    const injected = this.takeInjected(apiKey, ctx.broker)
    if (injected !== undefined) {
      ctx.reply(errorResponse(apiKey, ctx.version, request, injected))
      return undefined
    }
    switch (apiKey) {
      case 0:
        ctx.reply(this.produce(request as ProduceRequest, ctx))
        return undefined
      case 1:
        return this.fetch(request as FetchRequest, ctx)
      case 2:
        ctx.reply(this.listOffsets(request as ListOffsetsRequest, ctx))
        return undefined
      case 3:
        ctx.reply(this.metadata(request as MetadataRequest, ctx))
        return undefined
      case 8:
        ctx.reply(this.offsetCommit(request as OffsetCommitRequest, ctx))
        return undefined
      case 9:
        ctx.reply(this.offsetFetch(request as OffsetFetchRequest, ctx))
        return undefined
      case 10:
        ctx.reply(this.findCoordinator(request as FindCoordinatorRequest, ctx))
        return undefined
      case 11:
        this.joinGroup(request as JoinGroupRequest, ctx)
        return undefined
      case 12:
        ctx.reply(this.heartbeat(request as HeartbeatRequest, ctx))
        return undefined
      case 13:
        ctx.reply(this.leaveGroup(request as LeaveGroupRequest, ctx))
        return undefined
      case 14:
        this.syncGroup(request as SyncGroupRequest, ctx)
        return undefined
      case 18:
        ctx.reply(this.apiVersions(request as ApiVersionsRequest))
        return undefined
      case 22:
        ctx.reply(this.initProducerId(request as InitProducerIdRequest, ctx))
        return undefined
      case 24:
        ctx.reply(this.transactions.addPartitions(request as AddPartitionsToTxnRequest, ctx.broker))
        return undefined
      case 25:
        ctx.reply(this.transactions.addOffsets(request as AddOffsetsToTxnRequest, ctx.broker))
        return undefined
      case 26:
        ctx.reply(this.transactions.endTxn(request as EndTxnRequest, ctx.broker))
        return undefined
      case 28:
        ctx.reply(this.transactions.txnOffsetCommit(request as TxnOffsetCommitRequest, ctx.broker))
        return undefined
      case 68:
        ctx.reply(this.consumerGroupHeartbeat(request as ConsumerGroupHeartbeatRequest, ctx))
        return undefined
      case 76: {
        const r = request as ShareGroupHeartbeatRequest
        const refused = this.coordinatorError(r.groupId, ctx.broker)
        if (refused !== 0) ctx.reply({ throttleTimeMs: 0, errorCode: refused, errorMessage: null, memberId: r.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null })
        else ctx.reply(this.shareGroup(r.groupId).heartbeat(r))
        return undefined
      }
      case 78: {
        const r = request as ShareFetchRequest
        return this.shareGroup(r.groupId ?? '').shareFetch(r, ctx.reply)
      }
      case 79: {
        const r = request as ShareAcknowledgeRequest
        ctx.reply(this.shareGroup(r.groupId ?? '').shareAcknowledge(r))
        return undefined
      }
      default:
        if (handleAdminRequest(this, apiKey, request, ctx)) return undefined
        // Version negotiation keeps unknown APIs from getting here.
        throw new Error(`virtual broker has no handler for api key ${apiKey}`)
    }
  }

  /**
   * Under a virtual clock a client that retries without any pause never lets
   * time move, and TestScheduler.run would spin forever. Past the limit this
   * throws from a scheduled action, which stops the flush with a message that
   * says what happened instead of hanging the test.
   */
  private watchForStorm(apiKey: number): void {
    const now = this.scheduler.now()
    this.watchForOverrun(now)
    if (now !== this.stormFrame) {
      this.stormFrame = now
      this.stormCount = 0
    }
    if (++this.stormCount !== this.settings.maxRequestsPerFrame + 1) return
    const error = new VirtualClusterError(
      `more than ${this.settings.maxRequestsPerFrame} requests at time ${now} without the clock moving (the last one api key ${apiKey}): some client retries without a pause`,
      {
        hint: 'give retries a backoff on the scheduler (or raise maxRequestsPerFrame if the test really sends this many at once); cluster.requests() shows which requests repeat',
      },
    )
    this.scheduler.schedule(() => {
      throw error
    }, 0)
  }

  /**
   * A test whose app is never unsubscribed keeps heartbeating and fetching, so
   * TestScheduler.run never runs out of actions. Past the limit of virtual
   * time this stops the flush with a message saying so.
   */
  private watchForOverrun(now: number): void {
    if (this.virtualStart === undefined || this.settings.maxVirtualTimeMs <= 0 || this.overrunReported) return
    if (now - this.virtualStart <= this.settings.maxVirtualTimeMs) return
    this.overrunReported = true
    const error = new VirtualClusterError(
      `the virtual cluster is still serving requests ${now - this.virtualStart} ms of virtual time after it started: a test that never ends its app's subscription makes TestScheduler.run spin forever`,
      {
        hint: "end the app's subscription at a frame (expectObservable(app$, '^ 9999ms !'), or unsubscribe in a scheduled action), or raise maxVirtualTimeMs for a deliberately long test",
      },
    )
    this.scheduler.schedule(() => {
      throw error
    }, 0)
  }

  // ----- handlers -----

  private apiVersions(_request: ApiVersionsRequest): ApiVersionsResponse {
    return {
      errorCode: 0,
      apiKeys: [...VIRTUAL_API_VERSIONS].map(([apiKey, r]) => ({ apiKey, minVersion: r.minVersion, maxVersion: r.maxVersion })),
      throttleTimeMs: 0,
    }
  }

  private metadata(request: MetadataRequest, ctx: HandlerContext): MetadataResponse {
    const brokers = this.upBrokers().map((nodeId) => ({ nodeId, host: `virtual-broker-${nodeId}`, port: 9092, rack: null }))
    const allowAutoCreate = this.settings.autoCreateTopics && (ctx.version < 4 || request.allowAutoTopicCreation !== false)
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
        isrNodes: p.replicas.filter((b) => this.up.get(b) === true),
        offlineReplicas: p.replicas.filter((b) => this.up.get(b) !== true),
      })),
      topicAuthorizedOperations: -2147483648,
    })
    if (request.topics === null) {
      for (const topic of [...this.topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) topics.push(describe(topic))
    } else {
      for (const asked of request.topics) {
        const byId = asked.topicId !== undefined && asked.topicId !== ZERO_UUID ? this.topicsById.get(asked.topicId) : undefined
        const name = asked.name ?? byId?.name ?? null
        const topic = byId ?? (name === null ? undefined : this.topics.get(name))
        if (topic !== undefined) {
          topics.push(describe(topic))
          continue
        }
        const creatable = name !== null && allowAutoCreate && isValidTopicName(name)
        if (creatable) this.createTopic(name, this.settings.defaultPartitions)
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
      brokers,
      clusterId: this.settings.clusterId,
      controllerId: brokers[0]?.nodeId ?? -1,
      topics,
    }
  }

  private partitionFor(topic: VirtualTopic | undefined, index: number): VirtualPartition | undefined {
    return topic?.partitions[index]
  }

  /** The error a partition-level request to `broker` gets, or 0. */
  private leadershipError(partition: VirtualPartition | undefined, broker: number, currentLeaderEpoch: number | undefined): number {
    if (partition === undefined) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    if (currentLeaderEpoch !== undefined && currentLeaderEpoch >= 0) {
      if (currentLeaderEpoch < partition.leaderEpoch) return ErrorCode.FENCED_LEADER_EPOCH
      if (currentLeaderEpoch > partition.leaderEpoch) return ErrorCode.UNKNOWN_LEADER_EPOCH
    }
    if (partition.leader < 0) return ErrorCode.LEADER_NOT_AVAILABLE
    if (partition.leader !== broker) return ErrorCode.NOT_LEADER_OR_FOLLOWER
    return 0
  }

  private produce(request: ProduceRequest, ctx: HandlerContext): ProduceResponse {
    const touched: VirtualPartition[] = []
    const leaders = new Set<number>()
    const responses = request.topicData.map((t) => {
      // Names are there up to Produce v12; VIRTUAL_API_VERSIONS stops below v13 (topic ids).
      const name = t.name ?? ''
      const topic = this.topics.get(name)
      return {
        name,
        partitionResponses: t.partitionData.map((pd): ProduceResponsePartitionProduceResponse => {
          const partition = this.partitionFor(topic, pd.index)
          const fail = (errorCode: number, errorMessage: string | null = null): ProduceResponsePartitionProduceResponse => ({
            index: pd.index,
            errorCode,
            baseOffset: -1n,
            logAppendTimeMs: -1n,
            logStartOffset: -1n,
            recordErrors: [],
            errorMessage,
            ...(errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && partition !== undefined && ctx.version >= 10
              ? { currentLeader: { leaderId: partition.leader, leaderEpoch: partition.leaderEpoch } }
              : {}),
          })
          if (request.acks !== 0 && request.acks !== 1 && request.acks !== -1) return fail(ErrorCode.INVALID_REQUIRED_ACKS)
          const leadership = this.leadershipError(partition, ctx.broker, undefined)
          if (leadership !== 0 || partition === undefined) {
            if (leadership === ErrorCode.NOT_LEADER_OR_FOLLOWER && partition !== undefined) leaders.add(partition.leader)
            return fail(leadership)
          }
          const refusedByTxn = transactionalRefusal(this.transactions, pd.records, partition)
          if (refusedByTxn !== 0) return fail(refusedByTxn)
          const outcome = partition.log.append(pd.records, partition.leaderEpoch, ctx.nowMs)
          if (outcome.errorCode !== 0 || !('baseOffset' in outcome)) {
            return fail(outcome.errorCode, 'errorMessage' in outcome ? outcome.errorMessage : null)
          }
          touched.push(partition)
          return {
            index: pd.index,
            errorCode: 0,
            baseOffset: outcome.baseOffset,
            logAppendTimeMs: outcome.logAppendTimeMs,
            logStartOffset: partition.log.logStartOffset,
            recordErrors: [],
            errorMessage: null,
          }
        }),
      }
    })
    if (touched.length > 0) this.notifyAppended(touched)
    const response: ProduceResponse = { responses, throttleTimeMs: 0 }
    if (ctx.version >= 10 && leaders.size > 0) {
      response.nodeEndpoints = [...leaders].filter((b) => b >= 0).map((nodeId) => ({ nodeId, host: `virtual-broker-${nodeId}`, port: 9092, rack: null }))
    }
    return response
  }

  private fetch(request: FetchRequest, ctx: HandlerContext): CancelWaiting | undefined {
    if (ctx.version >= 7 && (request.sessionId ?? 0) !== 0) {
      // Fetch sessions are not kept: a client holding a session id is told to start over.
      ctx.reply({ throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] } satisfies FetchResponse)
      return undefined
    }
    const involved = new Set<VirtualPartition>()
    for (const t of request.topics) {
      const topic = ctx.version >= 13 ? this.topicsById.get(t.topicId ?? ZERO_UUID) : this.topics.get(t.topic ?? '')
      for (const p of t.partitions) {
        const partition = this.partitionFor(topic, p.partition)
        if (partition !== undefined) involved.add(partition)
      }
    }
    const answer = (final: boolean): FetchResponse | undefined => {
      let total = 0
      let errors = false
      const budget = { bytes: request.maxBytes ?? 0x7fffffff, first: true }
      const responses = request.topics.map((t) => {
        const topic = ctx.version >= 13 ? this.topicsById.get(t.topicId ?? ZERO_UUID) : this.topics.get(t.topic ?? '')
        return {
          ...(ctx.version >= 13 ? { topicId: t.topicId ?? ZERO_UUID } : { topic: t.topic ?? '' }),
          partitions: t.partitions.map((p): FetchResponsePartitionData => {
            const partition = this.partitionFor(topic, p.partition)
            const base = {
              partitionIndex: p.partition,
              lastStableOffset: -1n,
              logStartOffset: -1n,
              abortedTransactions: null,
              preferredReadReplica: -1,
            }
            let errorCode: number = this.leadershipError(partition, ctx.broker, ctx.version >= 9 ? p.currentLeaderEpoch : undefined)
            if (topic === undefined) errorCode = ctx.version >= 13 ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
            if (errorCode !== 0 || partition === undefined) {
              errors = true
              return {
                ...base,
                errorCode,
                highWatermark: -1n,
                records: null,
                ...(ctx.version >= 12 && partition !== undefined && errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER
                  ? { currentLeader: { leaderId: partition.leader, leaderEpoch: partition.leaderEpoch } }
                  : {}),
              }
            }
            const log = partition.log
            const readCommitted = (request.isolationLevel ?? 0) === 1
            const stable = log.lastStableOffset
            const position = {
              ...base,
              highWatermark: log.endOffset,
              lastStableOffset: stable,
              logStartOffset: log.logStartOffset,
              abortedTransactions: readCommitted ? log.abortedIn(p.fetchOffset, stable) : null,
            }
            if (p.fetchOffset < log.logStartOffset || p.fetchOffset > log.endOffset) {
              errors = true
              return { ...position, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, records: null }
            }
            // Whole batches; the first batch of the response goes out even when it is larger than the limits (KIP-74).
            const limit = Math.min(p.partitionMaxBytes, budget.bytes)
            // read_committed readers get nothing at or past the last stable offset (an open transaction's records).
            const batches = log.read(p.fetchOffset, limit, budget.first).filter((b) => !readCommitted || b.baseOffset < stable)
            const size = batches.reduce((sum, b) => sum + b.bytes.length, 0)
            if (batches.length > 0) budget.first = false
            budget.bytes = Math.max(0, budget.bytes - size)
            total += size
            return {
              ...position,
              errorCode: 0,
              records: batches.length === 0 ? Buffer.alloc(0) : Buffer.concat(batches.map((b) => b.bytes), size),
            }
          }),
        }
      })
      if (!final && !errors && total < request.minBytes && request.maxWaitMs > 0) return undefined
      return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses }
    }
    const immediate = answer(false)
    if (immediate !== undefined) {
      ctx.reply(immediate)
      return undefined
    }
    let timer: Subscription | undefined
    const waiter: DataWaiter = {
      partitions: involved,
      wake: () => {
        const ready = answer(false)
        if (ready === undefined) return
        finish()
        ctx.reply(ready)
      },
      cancel: () => finish(),
    }
    const finish = (): void => {
      this.waiters.delete(waiter)
      timer?.unsubscribe()
      timer = undefined
    }
    this.waiters.add(waiter)
    timer = this.scheduler.schedule(() => {
      timer = undefined
      finish()
      ctx.reply(answer(true))
    }, request.maxWaitMs)
    return finish
  }

  private listOffsets(request: ListOffsetsRequest, ctx: HandlerContext): ListOffsetsResponse {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => {
        const topic = this.topics.get(t.name)
        return {
          name: t.name,
          partitions: t.partitions.map((p): ListOffsetsResponseListOffsetsPartitionResponse => {
            const partition = this.partitionFor(topic, p.partitionIndex)
            const errorCode = this.leadershipError(partition, ctx.broker, ctx.version >= 4 ? p.currentLeaderEpoch : undefined)
            if (errorCode !== 0 || partition === undefined) {
              return { partitionIndex: p.partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 }
            }
            const log = partition.log
            const found = (offset: bigint, timestamp: bigint): ListOffsetsResponseListOffsetsPartitionResponse => ({
              partitionIndex: p.partitionIndex,
              errorCode: 0,
              timestamp,
              offset,
              leaderEpoch: partition.leaderEpoch,
            })
            const ts = p.timestamp
            if (ts === -2n || ts === -4n) return found(log.logStartOffset, -1n)
            if (ts === -1n) return found(log.endOffset, -1n)
            if (ts === -3n) {
              const max = log.maxTimestampRecord()
              return max === undefined ? found(-1n, -1n) : found(max.offset, BigInt(max.timestamp))
            }
            if (ts < 0n) {
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.INVALID_REQUEST, timestamp: -1n, offset: -1n, leaderEpoch: -1 }
            }
            const hit = log.offsetForTimestamp(Number(ts))
            return hit === undefined ? found(-1n, -1n) : found(hit.offset, BigInt(hit.timestamp))
          }),
        }
      }),
    }
  }

  private initProducerId(request: InitProducerIdRequest, ctx: HandlerContext): InitProducerIdResponse {
    const fail = (errorCode: number): InitProducerIdResponse => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 })
    let producerId: bigint
    if (request.transactionalId !== null) {
      if (this.coordinatorFor(request.transactionalId) !== ctx.broker) return fail(ErrorCode.NOT_COORDINATOR)
      const known = this.transactionalProducers.get(request.transactionalId)
      if (known === undefined) {
        producerId = this.nextProducerId++
        this.transactionalProducers.set(request.transactionalId, producerId)
        this.producerEpochs.set(producerId, 0)
        this.transactions.onInitProducerId(request.transactionalId, producerId, 0)
        return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 0 }
      }
      producerId = known
    } else if ((request.producerId ?? -1n) >= 0n) {
      // KIP-360: an idempotent producer may ask to bump its epoch after a sequence error.
      producerId = request.producerId!
      const current = this.producerEpochs.get(producerId)
      if (current === undefined || current !== request.producerEpoch) return fail(ErrorCode.INVALID_PRODUCER_EPOCH)
    } else {
      producerId = this.nextProducerId++
      this.producerEpochs.set(producerId, 0)
      return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: 0 }
    }
    const epoch = this.producerEpochs.get(producerId)! + 1
    if (epoch > MAX_EPOCH) {
      // The epoch ran out: the producer continues under a fresh id.
      const fresh = this.nextProducerId++
      this.producerEpochs.set(fresh, 0)
      if (request.transactionalId !== null) {
        this.transactionalProducers.set(request.transactionalId, fresh)
        this.transactions.onInitProducerId(request.transactionalId, fresh, 0)
      }
      return { throttleTimeMs: 0, errorCode: 0, producerId: fresh, producerEpoch: 0 }
    }
    this.producerEpochs.set(producerId, epoch)
    // A new epoch fences the older one: the transaction it left open is aborted.
    if (request.transactionalId !== null) this.transactions.onInitProducerId(request.transactionalId, producerId, epoch)
    return { throttleTimeMs: 0, errorCode: 0, producerId, producerEpoch: epoch }
  }

  private findCoordinator(request: FindCoordinatorRequest, ctx: HandlerContext): FindCoordinatorResponse {
    const keyType = request.keyType ?? 0
    const locate = (key: string): { nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null } => {
      if (keyType !== 0 && keyType !== 1) {
        return { nodeId: -1, host: '', port: -1, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unknown key type ${keyType}` }
      }
      const nodeId = this.coordinatorFor(key)
      if (nodeId < 0) return { nodeId: -1, host: '', port: -1, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: null }
      return { nodeId, host: `virtual-broker-${nodeId}`, port: 9092, errorCode: 0, errorMessage: null }
    }
    if (ctx.version >= 4) {
      return { throttleTimeMs: 0, coordinators: (request.coordinatorKeys ?? []).map((key) => ({ key, ...locate(key) })) }
    }
    return { throttleTimeMs: 0, ...locate(request.key ?? '') }
  }

  /** NOT_COORDINATOR when `broker` does not coordinate the group, INVALID_GROUP_ID for an empty id, else 0. */
  private coordinatorError(groupId: string, broker: number): number {
    if (groupId.length === 0) return ErrorCode.INVALID_GROUP_ID
    return this.coordinatorFor(groupId) === broker ? 0 : ErrorCode.NOT_COORDINATOR
  }

  private joinGroup(request: JoinGroupRequest, ctx: HandlerContext): void {
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
    const refused = this.coordinatorError(request.groupId, ctx.broker)
    if (refused !== 0) {
      ctx.reply(shape({ errorCode: refused, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId: request.memberId, members: [] }))
      return
    }
    this.group(request.groupId).join(
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
  }

  private syncGroup(request: SyncGroupRequest, ctx: HandlerContext): void {
    const version = ctx.version
    const shape = (o: SyncOutcome): SyncGroupResponse => ({
      throttleTimeMs: 0,
      errorCode: o.errorCode,
      ...(version >= 5 ? { protocolType: o.protocolType, protocolName: o.protocolName } : {}),
      assignment: o.assignment,
    })
    const refused = this.coordinatorError(request.groupId, ctx.broker)
    if (refused !== 0) {
      ctx.reply(shape({ errorCode: refused, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }))
      return
    }
    const group = this.groups.get(request.groupId)
    if (group === undefined) {
      ctx.reply(shape({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }))
      return
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
  }

  private heartbeat(request: HeartbeatRequest, ctx: HandlerContext): HeartbeatResponse {
    const refused = this.coordinatorError(request.groupId, ctx.broker)
    if (refused !== 0) return { throttleTimeMs: 0, errorCode: refused }
    const group = this.groups.get(request.groupId)
    const errorCode = group === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : group.heartbeat(request.memberId, ctx.version >= 3 ? (request.groupInstanceId ?? null) : null, request.generationId)
    return { throttleTimeMs: 0, errorCode }
  }

  private leaveGroup(request: LeaveGroupRequest, ctx: HandlerContext): LeaveGroupResponse {
    const refused = this.coordinatorError(request.groupId, ctx.broker)
    const group = this.groups.get(request.groupId)
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

  private consumerGroupHeartbeat(request: ConsumerGroupHeartbeatRequest, ctx: HandlerContext): ConsumerGroupHeartbeatResponse {
    const fail = (errorCode: number): ConsumerGroupHeartbeatResponse => ({
      throttleTimeMs: 0, errorCode, errorMessage: null, memberId: request.memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null,
    })
    const refused = this.coordinatorError(request.groupId, ctx.broker)
    if (refused !== 0) return fail(refused)
    let group = this.consumerGroups.get(request.groupId)
    if (group === undefined) {
      const classic = this.groups.get(request.groupId)
      // No online migration between the protocols (KIP-848's upgrade path) is modelled.
      if (classic !== undefined && classic.members.size > 0) return fail(ErrorCode.GROUP_ID_NOT_FOUND)
      group = new VirtualConsumerGroup(request.groupId, this.scheduler, this.settings.consumerGroup, {
        byName: (name) => {
          const topic = this.topics.get(name)
          return topic === undefined ? undefined : { topicId: topic.topicId, partitions: topic.partitions.length }
        },
        nameOf: (topicId) => this.topicsById.get(topicId)?.name,
      })
      // Offsets committed while the id was an empty classic group stay the group's.
      if (classic !== undefined) for (const [k, v] of classic.offsets) group.offsets.set(k, v)
      this.groups.delete(request.groupId)
      this.consumerGroups.set(request.groupId, group)
    }
    return group.heartbeat(request, ctx.clientId)
  }

  private offsetCommit(request: OffsetCommitRequest, ctx: HandlerContext): OffsetCommitResponse {
    const refused = this.coordinatorError(request.groupId, ctx.broker)
    let groupError = refused
    const existing = this.groups.get(request.groupId)
    const consumerGroup = this.consumerGroups.get(request.groupId)
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
    const offsets = groupError === 0 ? this.groupOffsets(request.groupId, true) : undefined
    return {
      throttleTimeMs: 0,
      // Names are there up to OffsetCommit v9; VIRTUAL_API_VERSIONS stops below v10 (topic ids).
      topics: request.topics.map(({ name = '', partitions }) => ({
        name,
        partitions: partitions.map((p) => {
          let errorCode = groupError
          if (errorCode === 0 && this.topics.get(name)?.partitions[p.partitionIndex] === undefined) {
            errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
          }
          if (errorCode === 0 && offsets !== undefined) {
            offsets.set(`${name}\u0000${p.partitionIndex}`, {
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

  private offsetFetch(request: OffsetFetchRequest, ctx: HandlerContext): OffsetFetchResponse {
    // Names are there up to OffsetFetch v9; VIRTUAL_API_VERSIONS stops below v10 (topic ids).
    const lookup = (groupId: string, topics: { name?: string; partitionIndexes: number[] }[] | null) => {
      const offsets = this.groupOffsets(groupId, false)
      const asked =
        topics ??
        groupTopics(offsets === undefined ? [] : [...offsets.keys()]).map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
      return asked.map(({ name = '', partitionIndexes }) => ({
        name,
        partitions: partitionIndexes.map((partitionIndex) => {
          const stored = offsets?.get(`${name}\u0000${partitionIndex}`)
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
          const refused = this.coordinatorError(g.groupId, ctx.broker)
          return { groupId: g.groupId, errorCode: refused, topics: refused === 0 ? lookup(g.groupId, g.topics) : [] }
        }),
      }
    }
    const groupId = request.groupId ?? ''
    const refused = this.coordinatorError(groupId, ctx.broker)
    if (refused !== 0) return { throttleTimeMs: 0, errorCode: refused, topics: [] }
    return { throttleTimeMs: 0, errorCode: 0, topics: lookup(groupId, request.topics ?? null) }
  }
}

function groupTopics(keys: string[]): [string, number[]][] {
  const byTopic = new Map<string, number[]>()
  for (const key of keys) {
    const [name, partition] = key.split('\u0000') as [string, string]
    let list = byTopic.get(name)
    if (list === undefined) byTopic.set(name, (list = []))
    list.push(Number(partition))
  }
  return [...byTopic].map(([name, list]) => [name, list.sort((a, b) => a - b)])
}

/** Kafka's rule: 1-249 characters of ASCII letters, digits, '.', '_' and '-', and not '.' or '..'. */
export function isValidTopicName(name: string): boolean {
  return name.length > 0 && name.length <= 249 && name !== '.' && name !== '..' && /^[a-zA-Z0-9._-]+$/.test(name)
}

/** The response a broker gives when it fails the whole request with `errorCode`, at the level the API reports errors. */
export function errorResponse(apiKey: number, version: number, request: unknown, errorCode: number): unknown {
  switch (apiKey) {
    case 0: {
      const r = request as ProduceRequest
      return {
        throttleTimeMs: 0,
        responses: r.topicData.map((t) => ({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => ({
            index: p.index,
            errorCode,
            baseOffset: -1n,
            logAppendTimeMs: -1n,
            logStartOffset: -1n,
            recordErrors: [],
            errorMessage: null,
          })),
        })),
      } satisfies ProduceResponse
    }
    case 1: {
      const r = request as FetchRequest
      return {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 0,
        responses: r.topics.map((t) => ({
          ...(version >= 13 ? { topicId: t.topicId ?? ZERO_UUID } : { topic: t.topic ?? '' }),
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partition,
            errorCode,
            highWatermark: -1n,
            lastStableOffset: -1n,
            logStartOffset: -1n,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: null,
          })),
        })),
      } satisfies FetchResponse
    }
    case 2: {
      const r = request as ListOffsetsRequest
      return {
        throttleTimeMs: 0,
        topics: r.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 })),
        })),
      } satisfies ListOffsetsResponse
    }
    case 3: {
      const r = request as MetadataRequest
      return {
        throttleTimeMs: 0,
        brokers: [],
        clusterId: null,
        controllerId: -1,
        topics: (r.topics ?? []).map((t) => ({
          errorCode,
          name: version >= 12 ? t.name : (t.name ?? ''),
          topicId: t.topicId ?? ZERO_UUID,
          isInternal: false,
          partitions: [],
          topicAuthorizedOperations: -2147483648,
        })),
      } satisfies MetadataResponse
    }
    case 8: {
      const r = request as OffsetCommitRequest
      return {
        throttleTimeMs: 0,
        topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
      } satisfies OffsetCommitResponse
    }
    case 9: {
      const r = request as OffsetFetchRequest
      if (version >= 8) {
        return { throttleTimeMs: 0, groups: (r.groups ?? []).map((g) => ({ groupId: g.groupId, errorCode, topics: [] })) } satisfies OffsetFetchResponse
      }
      return { throttleTimeMs: 0, errorCode, topics: [] } satisfies OffsetFetchResponse
    }
    case 10: {
      const r = request as FindCoordinatorRequest
      if (version >= 4) {
        return {
          throttleTimeMs: 0,
          coordinators: (r.coordinatorKeys ?? []).map((key) => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage: null })),
        } satisfies FindCoordinatorResponse
      }
      return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 } satisfies FindCoordinatorResponse
    }
    case 11: {
      const r = request as JoinGroupRequest
      return {
        throttleTimeMs: 0,
        errorCode,
        generationId: -1,
        ...(version >= 7 ? { protocolType: null } : {}),
        protocolName: version >= 7 ? null : '',
        leader: '',
        memberId: r.memberId,
        members: [],
      } satisfies JoinGroupResponse
    }
    case 12:
      return { throttleTimeMs: 0, errorCode } satisfies HeartbeatResponse
    case 13:
      return { throttleTimeMs: 0, errorCode, ...(version >= 3 ? { members: [] } : {}) } satisfies LeaveGroupResponse
    case 14:
      return { throttleTimeMs: 0, errorCode, assignment: Buffer.alloc(0) } satisfies SyncGroupResponse
    case 18:
      return { errorCode, apiKeys: [], throttleTimeMs: 0 } satisfies ApiVersionsResponse
    case 22:
      return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 } satisfies InitProducerIdResponse
    case 24: {
      const r = request as AddPartitionsToTxnRequest
      return {
        throttleTimeMs: 0,
        resultsByTopicV3AndBelow: (r.v3AndBelowTopics ?? []).map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: errorCode })) })),
      } satisfies AddPartitionsToTxnResponse
    }
    case 25:
    case 26:
      return { throttleTimeMs: 0, errorCode } satisfies AddOffsetsToTxnResponse | EndTxnResponse
    case 28: {
      const r = request as TxnOffsetCommitRequest
      return {
        throttleTimeMs: 0,
        topics: r.topics.map((t) => ({ name: t.name ?? '', partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
      } satisfies TxnOffsetCommitResponse
    }
    default: {
      const admin = adminErrorResponse(apiKey, request, errorCode)
      if (admin !== undefined) return admin
      throw new Error(`no error response shape for api key ${apiKey}`)
    }
  }
}

/** RecordBatch v2 header fields a broker reads before it appends (offsets from the start of the batch). */
const ATTRIBUTES_AT = 21
const PRODUCER_ID_AT = 43
const PRODUCER_EPOCH_AT = 51
const TRANSACTIONAL_BIT = 0x10

/** 0, or why the coordinator refuses a transactional batch (an older epoch, a partition not added to the transaction). */
function transactionalRefusal(transactions: VirtualTransactions, records: Buffer | null, partition: VirtualPartition): number {
  if (records === null || records.length < PRODUCER_EPOCH_AT + 2) return 0
  if ((records.readInt16BE(ATTRIBUTES_AT) & TRANSACTIONAL_BIT) === 0) return 0
  return transactions.checkProduce(records.readBigInt64BE(PRODUCER_ID_AT), records.readInt16BE(PRODUCER_EPOCH_AT), partition)
}
