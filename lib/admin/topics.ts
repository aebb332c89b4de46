/**
 * Topics: create, delete, list, describe, add partitions. Create, delete and
 * create-partitions go to the controller and answer per topic; list and
 * describe are Metadata asked without auto-creation.
 */
import { map, type Observable } from 'rxjs'
import { partitionFromMetadata } from '../cluster/cluster-view.js'
import { AdminArgumentError } from '../errors/index.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { CreatePartitionsApi } from '../protocol/messages/CreatePartitions.js'
import { CreateTopicsApi } from '../protocol/messages/CreateTopics.js'
import { DeleteTopicsApi } from '../protocol/messages/DeleteTopics.js'
import type { MetadataResponse } from '../protocol/messages/Metadata.js'
import { settle, type AdminRouter, type ItemAnswers } from './admin-routing.js'
import type { AdminItem } from './admin-types.js'

/**
 * A topic to create.
 *
 * @example
 * ```ts
 * const orders: NewTopic = { name: 'orders', partitions: 6, replicationFactor: 3, configs: { 'cleanup.policy': 'compact' } }
 * ```
 */
export interface NewTopic {
  /** The topic name. */
  name: string
  /** Number of partitions; default: the broker's `num.partitions`. Not with `replicaAssignment`. */
  partitions?: number
  /** Replicas per partition; default: the broker's `default.replication.factor`. Not with `replicaAssignment`. */
  replicationFactor?: number
  /** Broker ids of each partition's replicas, partition 0 first (the first id is the preferred leader). */
  replicaAssignment?: readonly (readonly number[])[]
  /** Topic configs, such as `{ 'retention.ms': '86400000' }`. */
  configs?: Readonly<Record<string, string>>
}

/**
 * What a created topic got (the broker's defaults filled in).
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.createTopics([{ name: 'orders' }])
 * if (r.ok) console.log(r.topicId, r.partitions, r.replicationFactor)
 * ```
 */
export type CreateTopicResult = AdminItem<TopicName, CreatedTopic>

/**
 * Names the topic of a per-topic result.
 *
 * @example
 * ```ts
 * const key: TopicName = { name: 'orders' }
 * ```
 */
export interface TopicName {
  /** The topic name. */
  name: string
}

/**
 * What the broker made of a created topic.
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.createTopics([{ name: 'orders' }])
 * if (r.ok) console.log(r.partitions)
 * ```
 */
export interface CreatedTopic {
  /** The new topic's id ('' when the broker does not say). */
  topicId: string
  /** Its partition count. */
  partitions: number
  /** Its replication factor. */
  replicationFactor: number
  /** Its configs as the broker reports them. */
  configs: Record<string, string | null>
}

/**
 * A deleted topic, or why not.
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.deleteTopics(['orders'])
 * if (!r.ok && r.error.code === 'UNKNOWN_TOPIC_OR_PARTITION') console.log('already gone')
 * ```
 */
export type DeleteTopicResult = AdminItem<TopicName, {
  /** The deleted topic's id. */
  topicId: string
}>

/**
 * A topic's partitions, as metadata describes them.
 *
 * @example
 * ```ts
 * const [t] = await kafka.admin.describeTopics(['orders'])
 * if (t.ok) for (const p of t.partitions) console.log(p.partition, p.leader, p.replicas, p.isr)
 * ```
 */
export type TopicDescription = AdminItem<TopicName, DescribedTopic>

/**
 * A topic's facts, as metadata gives them.
 *
 * @example
 * ```ts
 * const leaders = (t: DescribedTopic) => t.partitions.map((p) => p.leader)
 * ```
 */
export interface DescribedTopic {
  /** The topic id. */
  topicId: string
  /** Whether it is one of Kafka's own. */
  isInternal: boolean
  /** Its partitions, by number. */
  partitions: DescribedPartition[]
}

/**
 * One partition of a described topic.
 *
 * @example
 * ```ts
 * const underReplicated = (p: DescribedPartition) => p.isr.length < p.replicas.length
 * ```
 */
export interface DescribedPartition {
  /** The partition number. */
  partition: number
  /** The leader's broker id, -1 while there is none. */
  leader: number
  /** The leader epoch, -1 when not reported. */
  leaderEpoch: number
  /** Broker ids of every replica. */
  replicas: number[]
  /** Broker ids of the in-sync replicas. */
  isr: number[]
  /** Broker ids of offline replicas. */
  offlineReplicas: number[]
}

/**
 * A topic's new partition count, or why not.
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.createPartitions([{ name: 'orders', count: 12 }])
 * ```
 */
export type CreatePartitionsResult = AdminItem<TopicName, {
  /** The partition count asked for. */
  count: number
}>

/**
 * Options of {@link Admin.createTopics} and {@link Admin.createPartitions}.
 *
 * @example
 * ```ts
 * await kafka.admin.createTopics([{ name: 'orders', partitions: 3 }], { validateOnly: true })
 * ```
 */
export interface CreateTopicsOptions {
  /** Only check that the topics could be created (the answer is as if they were). */
  validateOnly?: boolean
}

function checkNames(call: string, names: readonly string[]): void {
  if (names.length === 0) throw new AdminArgumentError(call, 'topics', 'is empty', 'name at least one topic')
  names.forEach((name, i) => {
    if (typeof name !== 'string' || name.length === 0) throw new AdminArgumentError(call, `topics[${i}]`, 'is not a topic name', 'pass a non-empty string')
    // Each topic has one answer; Kafka refuses a request that names one twice.
    if (names.indexOf(name) !== i) throw new AdminArgumentError(call, `topics[${i}]`, `names ${name} a second time`, 'name each topic once')
  })
}

/**
 * Creates topics on the controller; one result per topic.
 *
 * @example
 * ```ts
 * createTopics(router, [{ name: 'orders', partitions: 3, replicationFactor: 1 }]).subscribe(console.log)
 * ```
 */
export function createTopics(router: AdminRouter, topics: readonly NewTopic[], options: CreateTopicsOptions = {}): Observable<CreateTopicResult[]> {
  checkNames('createTopics', topics.map((t) => t.name))
  topics.forEach((t, i) => {
    for (const field of ['partitions', 'replicationFactor'] as const) {
      const value = t[field]
      if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
        throw new AdminArgumentError('createTopics', `topics[${i}].${field}`, `must be a whole number >= 1, got ${String(value)}`, 'leave it out for the broker default')
      }
    }
    if (t.replicaAssignment !== undefined && (t.partitions !== undefined || t.replicationFactor !== undefined)) {
      throw new AdminArgumentError('createTopics', `topics[${i}].replicaAssignment`, 'is given with partitions or replicationFactor', 'the assignment decides both: give one or the other')
    }
  })
  type Created = { topicId: string; partitions: number; replicationFactor: number; configs: Record<string, string | null> }
  return router
    .rounds<NewTopic, Created>(topics, (t) => t.name, (pending, round) =>
      router
        .toController(
          CreateTopicsApi,
          {
            topics: pending.map((t) => ({
              name: t.name,
              numPartitions: t.replicaAssignment !== undefined ? -1 : (t.partitions ?? -1),
              replicationFactor: t.replicaAssignment !== undefined ? -1 : (t.replicationFactor ?? -1),
              assignments: (t.replicaAssignment ?? []).map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds: [...brokerIds] })),
              configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
            })),
            timeoutMs: router.timeoutMs,
            validateOnly: options.validateOnly ?? false,
          },
          round,
        )
        .pipe(
          map((response) => {
            const answers: ItemAnswers<Created> = new Map()
            for (const t of response.topics) {
              const configs: Record<string, string | null> = {}
              for (const c of t.configs ?? []) configs[c.name] = c.value
              answers.set(t.name, {
                errorCode: t.errorCode,
                errorMessage: t.errorMessage,
                value: { topicId: t.topicId ?? '', partitions: t.numPartitions ?? -1, replicationFactor: t.replicationFactor ?? -1, configs },
              })
            }
            return answers
          }),
        ),
    )
    .pipe(map((answers) => topics.map((t) => settle({ name: t.name }, answers.get(t.name), { api: 'CreateTopics', topic: t.name }))))
}

/**
 * Deletes topics by name on the controller; one result per topic.
 *
 * @example
 * ```ts
 * deleteTopics(router, ['orders', 'payments']).subscribe(console.log)
 * ```
 */
export function deleteTopics(router: AdminRouter, names: readonly string[]): Observable<DeleteTopicResult[]> {
  checkNames('deleteTopics', names)
  return router
    .rounds<string, { topicId: string }>(names, (n) => n, (pending, round) =>
      router
        .toController(
          DeleteTopicsApi,
          (version) =>
            version >= 6
              ? { topics: pending.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })), timeoutMs: router.timeoutMs }
              : { topicNames: [...pending], timeoutMs: router.timeoutMs },
          round,
        )
        .pipe(
          map((response) => {
            const answers: ItemAnswers<{ topicId: string }> = new Map()
            for (const r of response.responses) {
              if (r.name !== null) answers.set(r.name, { errorCode: r.errorCode, errorMessage: r.errorMessage, value: { topicId: r.topicId ?? '' } })
            }
            return answers
          }),
        ),
    )
    .pipe(map((answers) => names.map((name) => settle({ name }, answers.get(name), { api: 'DeleteTopics', topic: name }))))
}

/**
 * Options of {@link Admin.listTopics}.
 *
 * @example
 * ```ts
 * await kafka.admin.listTopics({ includeInternal: true }) // with __consumer_offsets
 * ```
 */
export interface ListTopicsOptions {
  /** Include Kafka's own topics (`__consumer_offsets`, `__transaction_state`). Default false. */
  includeInternal?: boolean
}

/**
 * Every topic's name, sorted (Metadata of all topics, from any broker).
 *
 * @example
 * ```ts
 * listTopics(router).subscribe((names) => console.log(names))
 * ```
 */
export function listTopics(router: AdminRouter, options: ListTopicsOptions = {}): Observable<string[]> {
  return router.metadata(null).pipe(
    map((response) =>
      response.topics
        .filter((t) => t.errorCode === 0 && t.name != null && (options.includeInternal === true || t.isInternal !== true))
        .map((t) => t.name!)
        .sort(),
    ),
  )
}

/**
 * Partitions, leaders, replicas, ISR and offline replicas of topics (null: all).
 * A topic that does not exist is an item with UNKNOWN_TOPIC_OR_PARTITION; it is
 * not created.
 *
 * @example
 * ```ts
 * describeTopics(router, ['orders']).subscribe(([t]) => console.log(t))
 * ```
 */
export function describeTopics(router: AdminRouter, names: readonly string[] | null): Observable<TopicDescription[]> {
  if (names === null) return router.metadata(null).pipe(map((response) => describeFrom(response, null)))
  checkNames('describeTopics', names)
  // A topic just created may answer LEADER_NOT_AVAILABLE for a moment: that topic is asked again.
  return router
    .rounds<string, MetadataResponse>(names, (n) => n, (pending) =>
      router.metadata(pending).pipe(
        map((response) => {
          const answers: ItemAnswers<MetadataResponse> = new Map()
          for (const name of pending) {
            const t = response.topics.find((x) => x.name === name)
            const leaderless = t !== undefined && t.errorCode === 0 && t.partitions.some((p) => p.leaderId < 0)
            answers.set(name, { errorCode: t === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : t.errorCode !== 0 ? t.errorCode : leaderless ? ErrorCode.LEADER_NOT_AVAILABLE : 0, value: response })
          }
          return answers
        }),
      ),
    )
    .pipe(map((answers) => names.map((name) => describeFrom(answers.get(name)!.value!, [name])[0]!)))
}

function describeFrom(response: MetadataResponse, names: readonly string[] | null): TopicDescription[] {
  const wanted = names ?? response.topics.filter((t) => t.name != null && t.errorCode === 0).map((t) => t.name!).sort()
  return wanted.map((name) => {
    const t = response.topics.find((x) => x.name === name)
    return settle(
      { name },
      t === undefined
        ? { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
        : {
            errorCode: t.errorCode,
            value: {
              topicId: t.topicId ?? '',
              isInternal: t.isInternal ?? false,
              partitions: t.partitions.map(partitionFromMetadata).sort((a, b) => a.partition - b.partition),
            },
          },
      { api: 'Metadata', topic: name },
    )
  })
}

/**
 * A topic's new partition count, with optional replica assignments of the new partitions.
 *
 * @example
 * ```ts
 * const more: NewPartitions = { name: 'orders', count: 12 }
 * ```
 */
export interface NewPartitions {
  /** The topic. */
  name: string
  /** The total number of partitions it should have (more than now). */
  count: number
  /** Broker ids of each new partition's replicas. */
  assignments?: readonly (readonly number[])[]
}

/**
 * Raises topics' partition counts on the controller; one result per topic.
 *
 * @example
 * ```ts
 * createPartitions(router, [{ name: 'orders', count: 6 }]).subscribe(console.log)
 * ```
 */
export function createPartitions(router: AdminRouter, topics: readonly NewPartitions[], options: CreateTopicsOptions = {}): Observable<CreatePartitionsResult[]> {
  checkNames('createPartitions', topics.map((t) => t.name))
  topics.forEach((t, i) => {
    if (!Number.isInteger(t.count) || t.count < 1) throw new AdminArgumentError('createPartitions', `topics[${i}].count`, `must be a whole number >= 1, got ${String(t.count)}`, 'pass the total partition count wanted')
  })
  return router
    .rounds<NewPartitions, { count: number }>(topics, (t) => t.name, (pending, round) =>
      router
        .toController(
          CreatePartitionsApi,
          {
            topics: pending.map((t) => ({ name: t.name, count: t.count, assignments: t.assignments === undefined ? null : t.assignments.map((b) => ({ brokerIds: [...b] })) })),
            timeoutMs: router.timeoutMs,
            validateOnly: options.validateOnly ?? false,
          },
          round,
        )
        .pipe(
          map((response) => {
            const answers: ItemAnswers<{ count: number }> = new Map()
            for (const r of response.results) {
              answers.set(r.name, { errorCode: r.errorCode, errorMessage: r.errorMessage, value: { count: pending.find((t) => t.name === r.name)?.count ?? -1 } })
            }
            return answers
          }),
        ),
    )
    .pipe(map((answers) => topics.map((t) => settle({ name: t.name }, answers.get(t.name), { api: 'CreatePartitions', topic: t.name }))))
}
