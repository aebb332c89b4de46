/**
 * The server side of the virtual cluster: brokers, topics and their logs,
 * producer ids, group and transaction coordinators, injected errors and the
 * fetches waiting for data. Requests reach it already encoded and decoded at
 * the negotiated version (see virtual-transport.ts), so what a handler sees is
 * what a broker would see; `handle` passes each to its API's handler by the
 * table of virtual-apis.ts.
 */
import { createHash } from 'node:crypto'
import type { SchedulerLike } from 'rxjs'
import { ErrorCode } from '../protocol/error-codes.js'
import { bytesToUuid, ZERO_UUID } from '../protocol/primitives.js'
import { VirtualGroup, type GroupCoordinatorSettings, type StoredOffset } from './virtual-group.js'
import { VirtualClusterError } from '../errors/index.js'
import { PartitionLog } from './virtual-log.js'
import { VirtualTransactions } from './virtual-transactions.js'
import type { VirtualConsumerGroup, ConsumerGroupSettings } from './virtual-consumer-group.js'
import { VirtualShareGroup, type ShareGroupSettings } from './virtual-share-group.js'
import { VIRTUAL_APIS } from './virtual-apis.js'
import type { CancelWaiting, HandlerContext } from './virtual-handler.js'
import { VirtualProducerIds } from './virtual-producer-ids.js'

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
  /** Producer ids and epochs (lib/testing/virtual-producer-ids.ts). */
  readonly producerIds = new VirtualProducerIds({
    coordinatorFor: (transactionalId) => this.coordinatorFor(transactionalId),
    onInitProducerId: (transactionalId, producerId, epoch) => this.transactions.onInitProducerId(transactionalId, producerId, epoch),
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
        topicById: (id) => this.topicById(id),
        waitForData: (partitions, wake) => this.waitForData(partitions, wake),
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

  /** The topic of that id, or undefined. */
  topicById(topicId: string): VirtualTopic | undefined {
    return this.topicsById.get(topicId)
  }

  /** NOT_COORDINATOR when `broker` does not coordinate the group, INVALID_GROUP_ID for an empty id, else 0. */
  coordinatorError(groupId: string, broker: number): number {
    if (groupId.length === 0) return ErrorCode.INVALID_GROUP_ID
    return this.coordinatorFor(groupId) === broker ? 0 : ErrorCode.NOT_COORDINATOR
  }

  /**
   * Calls `wake` when one of `partitions` gets data, changes leader or the
   * cluster changes (wake may find nothing new), until the returned function
   * is called; `cancel` runs instead when the cluster is disposed.
   */
  waitForData(partitions: Set<VirtualPartition>, wake: () => void, cancel?: () => void): () => void {
    const stop = (): void => void this.waiters.delete(waiter)
    const waiter: DataWaiter = { partitions, wake, cancel: cancel ?? stop }
    this.waiters.add(waiter)
    return stop
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
    const api = VIRTUAL_APIS.get(apiKey)
    const injected = this.takeInjected(apiKey, ctx.broker)
    if (injected !== undefined) {
      if (api?.failed === undefined) throw new Error(`no error response shape for api key ${apiKey}`)
      ctx.reply(api.failed(request, ctx.version, injected))
      return undefined
    }
    // Version negotiation keeps unknown APIs from getting here.
    if (api === undefined) throw new Error(`virtual broker has no handler for api key ${apiKey}`)
    return api.handle(this, request, ctx)
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
}
