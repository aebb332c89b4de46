/**
 * A small Kafka cluster in memory, for tests: `createVirtualCluster` returns a
 * {@link VirtualCluster}, which is a `KafkaCluster` (the same client logic as
 * against real brokers) whose transports reach in-memory brokers
 * ({@link VirtualTransport}), plus the controls a test steers it with. It is
 * deterministic under RxJS's TestScheduler: every answer comes on the given
 * scheduler, after `latencyMs` of its time, in request order per connection;
 * there are no sockets, real timers or randomness.
 *
 * Every request is encoded and decoded at the chosen version on the way in
 * and every response on the way out, with the generated protocol code, so a
 * body a real broker could not read fails here too.
 */
import { asyncScheduler, type Observable, type Subscription } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { VirtualClusterError } from '../errors/index.js'
import { murmur2Partition } from '../kit/murmur2.js'
import type { ApiDefinition } from '../protocol/api.js'
import { ConsumerProtocolAssignmentData } from '../protocol/messages/ConsumerProtocolAssignment.js'
import { Reader } from '../protocol/primitives.js'
import { RecordBatchBuilder, type ProducerRecord } from '../protocol/records/record-batch-builder.js'
import { VIRTUAL_API_NAMES, VIRTUAL_API_VERSIONS } from './virtual-apis.js'
import { VirtualBrokers, type VirtualPartition, type VirtualTopic } from './virtual-broker.js'
import { isValidTopicName } from './virtual-metadata.js'
import type {
  InjectErrorOptions,
  VirtualClusterOptions,
  VirtualCommittedOffset,
  VirtualConsumerGroupState,
  VirtualFeedRecord,
  VirtualGroupState,
  VirtualProduced,
  VirtualRecord,
} from './virtual-types.js'
import { VirtualClusterClient, type ClientSettings } from './virtual-client.js'
import type { VirtualRequestLogEntry, VirtualWire } from './virtual-transport.js'
import { splitPartitionKey } from './virtual-partition-key.js'



/**
 * A virtual cluster: a {@link ClusterClient} (pass it as `client` to
 * `produceTo` or `consumeGroup`) plus the controls a test steers it with.
 */
export class VirtualCluster extends VirtualClusterClient {
  private readonly options: VirtualClusterOptions
  private readonly wire: VirtualWire
  private readonly clients: VirtualClusterClient[] = []
  private readonly roundRobin = new Map<string, number>()

  /** @internal Use {@link createVirtualCluster}. */
  constructor(wire: VirtualWire, options: VirtualClusterOptions) {
    super(wire, clientSettings(options, options.clientId ?? 'rxkafka'))
    this.options = options
    this.wire = wire
  }

  /**
   * Another client of the same cluster, with its own connections, metadata
   * view and coordinator cache: use one per group member when a test runs
   * several, since a broker handles one request per connection at a time and
   * a parked JoinGroup would hold up the next member's.
   *
   * @example
   * ```ts
   * const second = cluster.client('worker-2')
   * consumeGroup({ client: second, groupId: 'g', topics: ['orders'] })
   * ```
   */
  client(clientId = `${this.clientId}-${this.clients.length + 2}`): VirtualClusterClient {
    this.assertOpen()
    const client = new VirtualClusterClient(this.wire, clientSettings(this.options, clientId))
    this.clients.push(client)
    return client
  }

  /**
   * Appends records without a producer, one batch per partition, stamped with
   * the scheduler's time unless a record has its own timestamp. Without a
   * partition, keyed records go where Kafka's default partitioner puts them
   * (murmur2 of the key) and unkeyed ones round-robin. Long-polling fetches
   * waiting on these partitions answer at once.
   *
   * @returns where each record went, in input order.
   * @example
   * ```ts
   * cluster.produceDirect('orders', 0, [{ key: 'a', value: 'one' }, { value: 'two' }])
   * cluster.produceDirect('orders', [{ key: 'customer-7', value: '{"total":3}' }])
   * ```
   */
  produceDirect(topic: string, records: readonly ProducerRecord[]): VirtualProduced[]
  produceDirect(topic: string, partition: number | undefined, records: readonly ProducerRecord[]): VirtualProduced[]
  produceDirect(
    topic: string,
    partitionOrRecords: number | undefined | readonly ProducerRecord[],
    maybeRecords?: readonly ProducerRecord[],
  ): VirtualProduced[] {
    this.assertOpen()
    const records = Array.isArray(partitionOrRecords) ? (partitionOrRecords as readonly ProducerRecord[]) : maybeRecords
    const partition = Array.isArray(partitionOrRecords) ? undefined : (partitionOrRecords as number | undefined)
    if (!Array.isArray(records)) {
      throw new VirtualClusterError('produceDirect needs an array of records', { topic, hint: 'call produceDirect(topic, partition?, [{ key, value }])' })
    }
    records.forEach((record: unknown, i) => {
      const value = (record as { value?: unknown } | null)?.value
      if (typeof record !== 'object' || record === null || !(value === null || typeof value === 'string' || Buffer.isBuffer(value))) {
        throw new VirtualClusterError(`produceDirect: record ${i} needs a value that is a string, a Buffer or null`, {
          topic,
          hint: "pass records such as { key: 'k', value: 'v' }",
        })
      }
    })
    const target = this.topicForControl(topic, 'produceDirect', true)
    if (partition !== undefined) this.partitionForControl(target, partition, 'produceDirect')
    const placed = records.map((record) => (partition !== undefined ? partition : this.choosePartition(target, record)))
    const byPartition = new Map<number, number[]>()
    placed.forEach((p, i) => {
      let list = byPartition.get(p)
      if (list === undefined) byPartition.set(p, (list = []))
      list.push(i)
    })
    const result: VirtualProduced[] = new Array(records.length)
    const now = this.scheduler.now()
    const touched: VirtualPartition[] = []
    for (const [p, indexes] of byPartition) {
      const builder = new RecordBatchBuilder({ initialCapacity: 1024 })
      for (const i of indexes) {
        const record = records[i]!
        builder.append({ ...record, timestamp: record.timestamp ?? now })
      }
      const vp = target.partitions[p]!
      const outcome = vp.log.append(builder.seal().bytes, vp.leaderEpoch, now)
      if (!('baseOffset' in outcome)) {
        throw new VirtualClusterError(`produceDirect could not append: ${outcome.errorMessage}`, { topic, partition: p })
      }
      indexes.forEach((i, n) => {
        result[i] = { partition: p, offset: outcome.baseOffset + BigInt(n) }
      })
      touched.push(vp)
    }
    this.brokers.notifyAppended(touched)
    return result
  }

  /**
   * Writes each record an Observable emits, when it emits it, with
   * {@link produceDirect}: the way to feed a topic from a marble. A record may
   * name its partition; otherwise it is placed as `produceDirect` places it.
   * Unsubscribe (or let the source complete) to stop.
   *
   * @example
   * ```ts
   * scheduler.run(({ cold }) => {
   *   cluster.feed('orders', cold('a 99ms b', { a: { value: 'first' }, b: { key: 'k', value: 'second', partition: 1 } }))
   * })
   * ```
   */
  feed(topic: string, records$: Observable<VirtualFeedRecord>): Subscription {
    this.topicForControl(topic, 'feed', true)
    return records$.subscribe((record) => {
      const { partition, ...rest } = record
      this.produceDirect(topic, partition, [rest])
    })
  }

  /**
   * The records in a partition's log (or every partition's, partition by
   * partition, when none is given), decoded, for assertions.
   *
   * @example
   * ```ts
   * expect(cluster.read('totals', 0).map((r) => r.value?.toString())).toEqual(['3', '5'])
   * ```
   */
  read(topic: string, partition?: number): VirtualRecord[] {
    const target = this.topicForControl(topic, 'read', false)
    const partitions = partition === undefined ? target.partitions.map((_, i) => i) : [this.partitionIndexForControl(target, partition, 'read')]
    const out: VirtualRecord[] = []
    for (const p of partitions) {
      const log = target.partitions[p]!.log
      for (const batch of log.batches) {
        if (batch.decoded.isControl) continue
        for (const record of batch.decoded.records()) {
          if (record.offset < log.logStartOffset) continue
          out.push({
            topic,
            partition: p,
            offset: record.offset,
            timestamp: record.timestamp,
            key: record.key,
            value: record.value,
            headers: record.headers,
            producerId: batch.decoded.producerId,
            producerEpoch: batch.decoded.producerEpoch,
          })
        }
      }
    }
    return out
  }

  /**
   * The values of {@link read} as UTF-8 strings (null stays null): the shortest way to assert on a topic's content.
   *
   * @example
   * ```ts
   * expect(cluster.readValues('totals')).toEqual(['3', '5'])
   * ```
   */
  readValues(topic: string, partition?: number): (string | null)[] {
    return this.read(topic, partition).map((r) => (r.value === null ? null : r.value.toString('utf8')))
  }

  /** The log end offset (next offset) and log start offset of a partition. */
  offsets(
    topic: string,
    partition: number,
  ): {
    /** The first offset still in the log. */
    logStartOffset: bigint
    /** The next offset to be written (the high watermark). */
    endOffset: bigint
  } {
    const target = this.topicForControl(topic, 'offsets', false)
    const log = target.partitions[this.partitionIndexForControl(target, partition, 'offsets')]!.log
    return { logStartOffset: log.logStartOffset, endOffset: log.endOffset }
  }

  /**
   * Offsets committed by a group, sorted by topic and partition; empty when the group has committed nothing.
   *
   * @example
   * ```ts
   * expect(cluster.committedOffsets('billing')).toEqual([{ topic: 'orders', partition: 0, offset: 3n, leaderEpoch: 0, metadata: null }])
   * ```
   */
  committedOffsets(groupId: string): VirtualCommittedOffset[] {
    const offsets = this.brokers.groupOffsets(groupId, false)
    if (offsets === undefined) return []
    return [...offsets]
      .map(([key, stored]) => {
        const [topic, partition] = splitPartitionKey(key)
        return { topic, partition, offset: stored.offset, leaderEpoch: stored.leaderEpoch, metadata: stored.metadata }
      })
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
  }

  /**
   * Makes the next `count` requests of an API (to one broker, or any) fail with
   * `errorCode`, at the level where that API reports errors: per partition for
   * Produce, Fetch, ListOffsets and OffsetCommit, per topic for Metadata, at the
   * top for the group APIs, FindCoordinator, InitProducerId and OffsetFetch. The
   * request has no other effect. The API is named as the protocol spells it
   * (`'Produce'`), by api key, or by its definition.
   *
   * @example
   * ```ts
   * import { ErrorCode } from 'rxkafka'
   * cluster.injectError('Produce', ErrorCode.NOT_ENOUGH_REPLICAS, { count: 2 })
   * cluster.injectError('Heartbeat', ErrorCode.REBALANCE_IN_PROGRESS, { broker: 1 })
   * ```
   */
  injectError(api: string | number | ApiDefinition<unknown, unknown>, errorCode: number, options: InjectErrorOptions = {}): void {
    this.assertOpen()
    const apiKey =
      typeof api === 'number'
        ? api
        : typeof api === 'string'
          ? [...VIRTUAL_API_NAMES].find(([, name]) => name === api)?.[0] ?? -1
          : api.apiKey
    if (!VIRTUAL_API_VERSIONS.has(apiKey)) {
      throw new VirtualClusterError(`${typeof api === 'object' ? api.name : JSON.stringify(api)} is not an API the virtual cluster serves, so no error can be injected into it`, {
        hint: `use one of ${[...VIRTUAL_API_NAMES.values()].join(', ')}`,
      })
    }
    const count = options.count ?? 1
    if (!Number.isInteger(count) || count < 1) {
      throw new VirtualClusterError(`injectError count must be a positive integer, got ${count}`, { hint: 'pass { count: 1 } or more' })
    }
    if (!Number.isInteger(errorCode) || errorCode === 0) {
      throw new VirtualClusterError(`injectError needs a non-zero Kafka error code, got ${errorCode}`, { hint: 'use ErrorCode.NAME' })
    }
    if (options.broker !== undefined) this.brokerForControl(options.broker, 'injectError')
    this.brokers.inject(apiKey, errorCode, options.broker, count)
  }

  /**
   * Takes a broker down: requests in flight to it fail with a ConnectionError
   * (delivered on the scheduler), new ones fail after the latency, it leaves the
   * metadata, its partitions move to the next live replica (leader epoch + 1)
   * and its groups to the next live broker.
   *
   * @example
   * ```ts
   * scheduler.schedule(() => cluster.brokerDown(1), 50) // at frame 50
   * ```
   */
  brokerDown(id: number): void {
    this.assertOpen()
    this.brokerForControl(id, 'brokerDown')
    this.brokers.setBrokerUp(id, false)
  }

  /** Brings a broker back; partitions that had no live replica get it as leader. Leadership does not move back by itself (see {@link moveLeader}). */
  brokerUp(id: number): void {
    this.assertOpen()
    this.brokerForControl(id, 'brokerUp')
    this.brokers.setBrokerUp(id, true)
  }

  /**
   * Moves a partition's leadership (leader epoch + 1): requests to the old
   * leader get NOT_LEADER_OR_FOLLOWER, requests with the old epoch FENCED_LEADER_EPOCH.
   *
   * @example
   * ```ts
   * cluster.moveLeader('orders', 0, 2)
   * ```
   */
  moveLeader(topic: string, partition: number, brokerId: number): void {
    this.assertOpen()
    const target = this.topicForControl(topic, 'moveLeader', false)
    const vp = this.partitionForControl(target, partition, 'moveLeader')
    this.brokerForControl(brokerId, 'moveLeader')
    if (this.brokers.up.get(brokerId) !== true) {
      throw new VirtualClusterError(`cannot move the leader of ${topic}/${partition} to broker ${brokerId}: it is down`, {
        broker: brokerId,
        hint: 'call brokerUp(id) first',
      })
    }
    this.brokers.moveLeader(vp, brokerId)
  }

  /**
   * Removes a member from a group as if its session had expired: its parked
   * requests answer UNKNOWN_MEMBER_ID and the others rebalance.
   *
   * @example
   * ```ts
   * const [first] = cluster.groupState('billing')!.members
   * cluster.kickMember('billing', first.memberId)
   * ```
   */
  kickMember(groupId: string, memberId: string): void {
    this.assertOpen()
    const group = this.brokers.groups.get(groupId) ?? this.brokers.consumerGroups.get(groupId)
    if (group === undefined || !group.kick(memberId)) {
      throw new VirtualClusterError(`group ${JSON.stringify(groupId)} has no member ${JSON.stringify(memberId)}`, {
        hint: `members now: ${group === undefined ? 'none (no such group)' : [...group.members.keys()].join(', ') || 'none'}`,
      })
    }
  }

  /**
   * Starts a rebalance of a group now, as a new member or a changed
   * subscription would: heartbeats answer REBALANCE_IN_PROGRESS until every
   * member has rejoined.
   *
   * @example
   * ```ts
   * scheduler.schedule(() => cluster.rebalance('billing'), 100)
   * ```
   */
  rebalance(groupId: string): void {
    this.assertOpen()
    const group = this.brokers.groups.get(groupId)
    if (group === undefined || !group.forceRebalance()) {
      throw new VirtualClusterError(`group ${JSON.stringify(groupId)} has no members to rebalance`, {
        hint: 'wait until a consumer has joined (see groupState) before forcing a rebalance',
      })
    }
  }

  /**
   * A consumer group under the KIP-848 protocol (`groupProtocol: 'consumer'`):
   * its group epoch and each member's epoch, assigned partitions and target;
   * undefined when no such group exists (classic groups: {@link groupState}).
   *
   * @example
   * ```ts
   * const state = cluster.consumerGroupState('billing')!
   * expect(state.members.flatMap((m) => m.assigned.flatMap((t) => t.partitions)).sort()).toEqual([0, 1, 2, 3])
   * ```
   */
  consumerGroupState(groupId: string): VirtualConsumerGroupState | undefined {
    return this.brokers.consumerGroups.get(groupId)?.snapshot()
  }

  /**
   * A group's state, generation, protocol, leader and members (with decoded
   * consumer assignments), or undefined when no such group exists.
   *
   * @example
   * ```ts
   * expect(cluster.groupState('billing')?.state).toBe('Stable')
   * ```
   */
  groupState(groupId: string): VirtualGroupState | undefined {
    const group = this.brokers.groups.get(groupId)
    if (group === undefined) return undefined
    const snapshot = group.snapshot()
    return {
      ...snapshot,
      members: snapshot.members.map((m) => ({
        ...m,
        assigned: snapshot.protocolType === 'consumer' ? decodeConsumerAssignment(m.assignment) : undefined,
      })),
    }
  }

  /**
   * Creates a topic now (leaders spread over the brokers as at start-up).
   *
   * @example
   * ```ts
   * cluster.createTopic('late-topic', 3)
   * ```
   */
  createTopic(name: string, partitions = 1): void {
    this.assertOpen()
    if (!isValidTopicName(name)) {
      throw new VirtualClusterError(`invalid topic name ${JSON.stringify(name)}`, { hint: "use 1-249 characters of letters, digits, '.', '_' and '-'" })
    }
    if (this.brokers.topics.has(name)) throw new VirtualClusterError(`topic ${name} already exists`, { topic: name })
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new VirtualClusterError(`topic ${name} needs a positive whole number of partitions, got ${partitions}`, { topic: name })
    }
    this.brokers.createTopic(name, partitions)
  }

  /**
   * Grows a topic to `partitions` partitions, as CreatePartitions (or
   * `kafka-topics --alter --partitions`) would: the new partitions are empty;
   * clients see them at their next metadata refresh.
   *
   * @example
   * ```ts
   * scheduler.schedule(() => cluster.addPartitions('orders', 4), 1_000)
   * ```
   */
  addPartitions(topic: string, partitions: number): void {
    this.assertOpen()
    const target = this.topicForControl(topic, 'addPartitions', false)
    if (!Number.isInteger(partitions) || partitions <= target.partitions.length) {
      throw new VirtualClusterError(`topic ${topic} has ${target.partitions.length} partitions; addPartitions needs a larger whole number, got ${partitions}`, {
        topic,
        hint: 'a topic can only grow: pass the new total, above the current count',
      })
    }
    this.brokers.addPartitions(target, partitions)
  }

  /**
   * Deletes records before `offset` (whole batches), as retention would, so
   * fetches below the new log start get OFFSET_OUT_OF_RANGE.
   *
   * @example
   * ```ts
   * cluster.deleteRecordsBefore('orders', 0, 10n)
   * ```
   */
  deleteRecordsBefore(topic: string, partition: number, offset: bigint): void {
    this.assertOpen()
    const target = this.topicForControl(topic, 'deleteRecordsBefore', false)
    this.partitionForControl(target, partition, 'deleteRecordsBefore').log.truncateBefore(offset)
  }

  /** Every request the brokers handled so far, in order (all clients of this cluster). */
  requests(): readonly VirtualRequestLogEntry[] {
    return this.wire.log
  }

  /** Closes this client and every client made with {@link client}, and cancels every broker timer. */
  override async close(): Promise<void> {
    for (const c of this.clients) await c.close()
    await super.close()
    this.brokers.dispose()
  }

  private topicForControl(topic: string, control: string, create: boolean): VirtualTopic {
    const found = this.brokers.topics.get(topic)
    if (found !== undefined) return found
    if (create && this.options.autoCreateTopics === true && isValidTopicName(topic)) {
      return this.brokers.createTopic(topic, this.options.defaultPartitions ?? 1)
    }
    throw new VirtualClusterError(`${control}: topic ${JSON.stringify(topic)} does not exist`, {
      topic,
      hint: `declare it in createVirtualCluster({ topics: [{ name: '${topic}', partitions: 1 }] }) or call createTopic(); topics now: ${[...this.brokers.topics.keys()].join(', ') || 'none'}`,
    })
  }

  private partitionIndexForControl(topic: VirtualTopic, partition: number, control: string): number {
    this.partitionForControl(topic, partition, control)
    return partition
  }

  private partitionForControl(topic: VirtualTopic, partition: number, control: string): VirtualPartition {
    const found = Number.isInteger(partition) ? topic.partitions[partition] : undefined
    if (found === undefined) {
      throw new VirtualClusterError(`${control}: topic ${topic.name} has no partition ${partition}`, {
        topic: topic.name,
        hint: `partitions are 0..${topic.partitions.length - 1}`,
      })
    }
    return found
  }

  private brokerForControl(id: number, control: string): void {
    if (!this.brokers.up.has(id)) {
      throw new VirtualClusterError(`${control}: there is no broker ${id}`, {
        broker: id,
        hint: `the virtual cluster has brokers ${this.brokers.settings.brokerIds.join(', ')}`,
      })
    }
  }

  private choosePartition(topic: VirtualTopic, record: ProducerRecord): number {
    const key = record.key
    if (key !== undefined && key !== null) {
      return murmur2Partition(typeof key === 'string' ? Buffer.from(key, 'utf8') : key, topic.partitions.length)
    }
    const next = this.roundRobin.get(topic.name) ?? 0
    this.roundRobin.set(topic.name, next + 1)
    return next % topic.partitions.length
  }
}

/**
 * Creates a virtual in-memory Kafka cluster for tests: a {@link ClusterClient}
 * that `produceTo` and `consumeGroup` accept as their `client`, plus controls
 * (`produceDirect`, `read`, `committedOffsets`, `injectError`, `brokerDown`,
 * `moveLeader`, `kickMember`, `rebalance`, `groupState`, ...). Deterministic
 * under `TestScheduler.run`: pass no scheduler (the default `asyncScheduler` is
 * virtual inside `run`) or the TestScheduler itself.
 *
 * @throws VirtualClusterError for an invalid option (named in the message).
 * @example
 * ```ts
 * import { TestScheduler } from 'rxjs/testing'
 * import { createVirtualCluster } from 'rxkafka/testing'
 *
 * new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ expectObservable }) => {
 *   const cluster = createVirtualCluster({ brokers: 3, topics: [{ name: 'orders', partitions: 2 }] })
 *   cluster.produceDirect('orders', 0, [{ value: 'first' }])
 *   // ... run the app with { client: cluster } and assert on its output and on cluster.read('totals')
 * })
 * ```
 */
export function createVirtualCluster(options: VirtualClusterOptions = {}): VirtualCluster {
  const brokerCount = options.brokers ?? 1
  if (!Number.isInteger(brokerCount) || brokerCount < 1 || brokerCount > 100) {
    throw new VirtualClusterError(`brokers must be a whole number from 1 to 100, got ${brokerCount}`, { hint: 'pass brokers: 3, for example' })
  }
  const latencyMs = options.latencyMs ?? 0
  if (!Number.isFinite(latencyMs) || latencyMs < 0) {
    throw new VirtualClusterError(`latencyMs must be 0 or more, got ${latencyMs}`, { hint: 'pass latencyMs: 0 (the default) or 1' })
  }
  const defaultPartitions = options.defaultPartitions ?? 1
  if (!Number.isInteger(defaultPartitions) || defaultPartitions < 1) {
    throw new VirtualClusterError(`defaultPartitions must be a positive whole number, got ${defaultPartitions}`)
  }
  const group = options.group ?? {}
  const brokers = new VirtualBrokers(
    {
      brokerIds: Array.from({ length: brokerCount }, (_, i) => i + 1),
      autoCreateTopics: options.autoCreateTopics ?? false,
      defaultPartitions,
      clusterId: 'virtual-cluster',
      maxRequestsPerFrame: options.maxRequestsPerFrame ?? 10_000,
      maxVirtualTimeMs: options.maxVirtualTimeMs ?? 3_600_000,
      group: {
        minSessionTimeoutMs: group.minSessionTimeoutMs ?? 6_000,
        maxSessionTimeoutMs: group.maxSessionTimeoutMs ?? 1_800_000,
        initialRebalanceDelayMs: group.initialRebalanceDelayMs ?? 0,
      },
      consumerGroup: {
        sessionTimeoutMs: group.consumerSessionTimeoutMs ?? 45_000,
        heartbeatIntervalMs: group.consumerHeartbeatIntervalMs ?? 5_000,
      },
      shareGroup: {
        sessionTimeoutMs: group.shareSessionTimeoutMs ?? 45_000,
        heartbeatIntervalMs: group.shareHeartbeatIntervalMs ?? 5_000,
        recordLockDurationMs: group.shareRecordLockDurationMs ?? 30_000,
        deliveryCountLimit: group.shareDeliveryCountLimit ?? 5,
      },
    },
    options.scheduler ?? asyncScheduler,
  )
  const seen = new Set<string>()
  for (const spec of options.topics ?? []) {
    const partitions = spec.partitions ?? 1
    if (!isValidTopicName(spec.name)) {
      throw new VirtualClusterError(`invalid topic name ${JSON.stringify(spec.name)}`, { hint: "use 1-249 characters of letters, digits, '.', '_' and '-'" })
    }
    if (seen.has(spec.name)) throw new VirtualClusterError(`topic ${spec.name} is declared twice`, { topic: spec.name })
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new VirtualClusterError(`topic ${spec.name} needs a positive whole number of partitions, got ${partitions}`, { topic: spec.name })
    }
    seen.add(spec.name)
    brokers.createTopic(spec.name, partitions)
  }
  return new VirtualCluster({ brokers, latencyMs, log: [] }, options)
}

function clientSettings(options: VirtualClusterOptions, clientId: string): ClientSettings {
  return {
    clientId,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    retryBackoffMs: options.retryBackoffMs ?? 100,
    topicWaitMs: options.topicWaitMs ?? 10_000,
    metadataMaxAgeMs: options.metadataMaxAgeMs ?? 300_000,
  }
}

function decodeConsumerAssignment(bytes: Buffer): { topic: string; partitions: number[] }[] | undefined {
  if (bytes.length === 0) return []
  try {
    const reader = new Reader(bytes)
    const version = reader.int16()
    const decoded = ConsumerProtocolAssignmentData.decode(reader, Math.min(Math.max(version, 0), ConsumerProtocolAssignmentData.maxVersion))
    return decoded.assignedPartitions
      .map((t) => ({ topic: t.topic, partitions: [...t.partitions].sort((a, b) => a - b) }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0))
  } catch {
    return undefined
  }
}
