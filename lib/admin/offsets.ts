/**
 * Offsets: of partitions (ListOffsets at each leader: earliest, latest, by
 * timestamp, max-timestamp) and of groups (OffsetFetch, OffsetCommit as an
 * outsider, OffsetDelete, at the group's coordinator), and the reset plan
 * that `groups reset-offsets` shows and applies.
 */
import { concat, forkJoin, map, type Observable, of, switchMap, toArray } from 'rxjs'
import { AdminArgumentError, brokerError } from '../errors/index.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { ListOffsetsApi } from '../protocol/messages/ListOffsets.js'
import { OffsetCommitApi } from '../protocol/messages/OffsetCommit.js'
import { OffsetDeleteApi } from '../protocol/messages/OffsetDelete.js'
import { OffsetFetchApi } from '../protocol/messages/OffsetFetch.js'
import { settle, tpKey, type AdminRouter, type ItemAnswers } from './admin-routing.js'
import type { AdminItem, TopicPartition } from './admin-types.js'

/**
 * Which offset of a partition to look up: the first, the next to be written,
 * the first at or after a time (ms since the epoch, or a Date), or the record
 * with the highest timestamp.
 *
 * @example
 * ```ts
 * const specs: OffsetQuery[] = ['earliest', 'latest', 'max-timestamp', { timestamp: Date.parse('2026-01-01') }]
 * ```
 */
export type OffsetQuery = 'earliest' | 'latest' | 'max-timestamp' | AtTimestamp

/**
 * A point in time to look an offset up at.
 *
 * @example
 * ```ts
 * const spec: AtTimestamp = { timestamp: new Date('2026-01-01T00:00:00Z') }
 * ```
 */
export interface AtTimestamp {
  /** Ms since the epoch, or a Date. */
  timestamp: number | Date
}

/**
 * A partition's offset, or why not.
 *
 * @example
 * ```ts
 * const [p] = await kafka.admin.listOffsets([{ topic: 'orders', partition: 0, spec: 'latest' }])
 * if (p.ok) console.log(p.offset)
 * ```
 */
export type ListedOffset = AdminItem<TopicPartition, {
  /** The offset found (-1n: none, such as a timestamp after the last record). */
  offset: bigint
  /** The record's timestamp for timestamp lookups, else -1n. */
  timestamp: bigint
  /** The leader epoch of the offset. */
  leaderEpoch: number
}>

/**
 * A group's committed offset of one partition (`offset` -1n: none).
 *
 * @example
 * ```ts
 * const offsets = await kafka.admin.fetchOffsets('billing', ['orders'])
 * ```
 */
export type GroupCommittedOffset = AdminItem<TopicPartition, {
  /** The committed offset (-1n: none). */
  offset: bigint
  /** The leader epoch committed with it, -1 when none. */
  leaderEpoch: number
  /** The metadata string committed with it. */
  metadata: string | null
}>

/**
 * A result of altering or deleting a group's offset of one partition.
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.alterOffsets('billing', [{ topic: 'orders', partition: 0, offset: 42n }])
 * if (!r.ok) console.error(r.error.code) // UNKNOWN_MEMBER_ID: the group is not empty
 * ```
 */
export type OffsetChangeResult = AdminItem<TopicPartition, object>

/**
 * Options of {@link Admin.listOffsets}.
 *
 * @example
 * ```ts
 * await kafka.admin.listOffsets(parts, { isolationLevel: 'read_committed' })
 * ```
 */
export interface ListOffsetsOptions {
  /** `read_committed` stops `latest` at the last stable offset. Default `read_uncommitted`. */
  isolationLevel?: 'read_uncommitted' | 'read_committed'
}

function specTimestamp(spec: OffsetQuery): bigint {
  if (spec === 'earliest') return -2n
  if (spec === 'latest') return -1n
  if (spec === 'max-timestamp') return -3n
  const ms = spec.timestamp instanceof Date ? spec.timestamp.getTime() : spec.timestamp
  return BigInt(Math.trunc(ms))
}

/**
 * Looks up offsets at each partition's leader. For a timestamp after the last
 * record the answer is offset -1n (no such record).
 *
 * @example
 * ```ts
 * listOffsets(router, [{ topic: 'orders', partition: 0, spec: 'earliest' }]).subscribe(console.log)
 * ```
 */
export function listOffsets(router: AdminRouter, partitions: readonly (TopicPartition & { spec: OffsetQuery })[], options: ListOffsetsOptions = {}): Observable<ListedOffset[]> {
  if (partitions.length === 0) return of([])
  partitions.forEach((p, i) => {
    const spec = p.spec
    if (spec !== 'earliest' && spec !== 'latest' && spec !== 'max-timestamp' && !(typeof spec === 'object' && spec !== null && 'timestamp' in spec && Number.isFinite(spec.timestamp instanceof Date ? spec.timestamp.getTime() : spec.timestamp))) {
      throw new AdminArgumentError('listOffsets', `partitions[${i}].spec`, `is ${JSON.stringify(spec)}`, "use 'earliest', 'latest', 'max-timestamp' or { timestamp: ms }")
    }
  })
  const isolationLevel = options.isolationLevel === 'read_committed' ? 1 : 0
  // Kafka refuses a partition named twice in one request: the k-th query of each partition goes in batch k.
  const batches: (TopicPartition & { spec: OffsetQuery; index: number })[][] = []
  const seen = new Map<string, number>()
  partitions.forEach((p, index) => {
    const k = seen.get(tpKey(p.topic, p.partition)) ?? 0
    seen.set(tpKey(p.topic, p.partition), k + 1)
    ;(batches[k] ??= []).push({ ...p, index })
  })
  type Found = { offset: bigint; timestamp: bigint; leaderEpoch: number }
  const results: ListedOffset[] = new Array<ListedOffset>(partitions.length)
  return concat(
    ...batches.map((batch) =>
      router
        .toLeaders<TopicPartition & { spec: OffsetQuery; index: number }, Found>(batch, (leader, items) =>
          router.client
            .request(leader, ListOffsetsApi, {
              replicaId: -1,
              isolationLevel,
              timeoutMs: router.timeoutMs,
              topics: groupByTopic(items).map(([name, list]) => ({
                name,
                partitions: list.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp: specTimestamp(p.spec), maxNumOffsets: 1 })),
              })),
            })
            .pipe(
              map((response) => {
                const answers: ItemAnswers<Found> = new Map()
                for (const t of response.topics) {
                  for (const p of t.partitions) {
                    answers.set(tpKey(t.name, p.partitionIndex), { errorCode: p.errorCode, value: { offset: p.offset ?? p.oldStyleOffsets?.[0] ?? -1n, timestamp: p.timestamp ?? -1n, leaderEpoch: p.leaderEpoch ?? -1 } })
                  }
                }
                return answers
              }),
            ),
        )
        .pipe(
          map((answers) => {
            for (const p of batch) {
              results[p.index] = settle({ topic: p.topic, partition: p.partition }, answers.get(tpKey(p.topic, p.partition)), { api: 'ListOffsets', topic: p.topic, partition: p.partition })
            }
          }),
        ),
    ),
  ).pipe(
    toArray(),
    map(() => results),
  )
}

function groupByTopic<T extends TopicPartition>(items: readonly T[]): [string, T[]][] {
  const byTopic = new Map<string, T[]>()
  for (const item of items) {
    const list = byTopic.get(item.topic) ?? []
    list.push(item)
    byTopic.set(item.topic, list)
  }
  return [...byTopic]
}

/**
 * A group's committed offsets at its coordinator: of the partitions of
 * `topics`, or of every partition it has a commit for (topics omitted).
 * Partitions of named topics without a commit are listed with offset -1n.
 *
 * @example
 * ```ts
 * fetchOffsets(router, 'billing', ['orders']).subscribe(console.log)
 * ```
 */
export function fetchOffsets(router: AdminRouter, groupId: string, topics?: readonly string[]): Observable<GroupCommittedOffset[]> {
  if (groupId.length === 0) throw new AdminArgumentError('fetchOffsets', 'groupId', 'is empty', 'name the group')
  const partitionsOf: Observable<{ name: string; partitionIndexes: number[] }[] | null> =
    topics === undefined
      ? of(null)
      : router.metadata(topics).pipe(
          map((m) => topics.map((name) => ({ name, partitionIndexes: (m.topics.find((t) => t.name === name)?.partitions ?? []).map((p) => p.partitionIndex).sort((a, b) => a - b) }))),
        )
  return partitionsOf.pipe(
    switchMap((wanted) =>
      router.once(() =>
        router.toCoordinator(
          'group',
          groupId,
          OffsetFetchApi,
          (version) =>
            version >= 8
              ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: wanted }], requireStable: true }
              : { groupId, topics: wanted, ...(version >= 7 ? { requireStable: true } : {}) },
          (r) => r.groups?.[0]?.errorCode ?? r.errorCode ?? 0,
        ),
      ),
    ),
    map((response) => {
      const groupError = response.groups?.[0]?.errorCode ?? response.errorCode ?? 0
      if (groupError !== 0) throw brokerError(groupError, { api: 'OffsetFetch' })
      const rows: GroupCommittedOffset[] = []
      for (const t of response.groups?.[0]?.topics ?? response.topics ?? []) {
        const name = t.name ?? ''
        for (const p of t.partitions) {
          rows.push(
            settle(
              { topic: name, partition: p.partitionIndex },
              { errorCode: p.errorCode, value: { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch ?? -1, metadata: p.metadata } },
              { api: 'OffsetFetch', topic: name, partition: p.partitionIndex },
            ),
          )
        }
      }
      return rows.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    }),
  )
}

/**
 * Commits offsets for a group from outside it (generation -1): Kafka accepts
 * this only while the group has no members (else UNKNOWN_MEMBER_ID per
 * partition), so stop the consumers first.
 *
 * @example
 * ```ts
 * alterOffsets(router, 'billing', [{ topic: 'orders', partition: 0, offset: 0n }]).subscribe(console.log)
 * ```
 */
export function alterOffsets(router: AdminRouter, groupId: string, offsets: readonly (TopicPartition & { offset: bigint; metadata?: string })[]): Observable<OffsetChangeResult[]> {
  if (groupId.length === 0) throw new AdminArgumentError('alterOffsets', 'groupId', 'is empty', 'name the group')
  offsets.forEach((o, i) => {
    if (typeof o.offset !== 'bigint' || o.offset < 0n) throw new AdminArgumentError('alterOffsets', `offsets[${i}].offset`, `must be a bigint >= 0n, got ${String(o.offset)}`, 'pass the next offset to consume, such as 42n')
  })
  if (offsets.length === 0) return of([])
  return router
    .rounds<TopicPartition & { offset: bigint; metadata?: string }, object>(offsets, (o) => tpKey(o.topic, o.partition), (pending) =>
      router
        .toCoordinator(
          'group',
          groupId,
          OffsetCommitApi,
          {
            groupId,
            generationIdOrMemberEpoch: -1,
            memberId: '',
            groupInstanceId: null,
            topics: groupByTopic(pending).map(([name, list]) => ({
              name,
              partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null })),
            })),
          },
          (r) => r.topics[0]?.partitions[0]?.errorCode ?? 0,
        )
        .pipe(map((response) => partitionAnswers(response.topics))),
    )
    .pipe(map((answers) => offsets.map((o) => settle({ topic: o.topic, partition: o.partition }, answers.get(tpKey(o.topic, o.partition)), { api: 'OffsetCommit', topic: o.topic, partition: o.partition }))))
}

function partitionAnswers(topics: readonly { name?: string; partitions: readonly { partitionIndex: number; errorCode: number }[] }[]): ItemAnswers<object> {
  const answers: ItemAnswers<object> = new Map()
  for (const t of topics) for (const p of t.partitions) answers.set(tpKey(t.name ?? '', p.partitionIndex), { errorCode: p.errorCode, value: {} })
  return answers
}

/**
 * Deletes a group's committed offsets of partitions (OffsetDelete). A
 * partition of a topic the group's members still subscribe to is refused with
 * GROUP_SUBSCRIBED_TO_TOPIC.
 *
 * @example
 * ```ts
 * deleteOffsets(router, 'billing', [{ topic: 'orders', partition: 0 }]).subscribe(console.log)
 * ```
 */
export function deleteOffsets(router: AdminRouter, groupId: string, partitions: readonly TopicPartition[]): Observable<OffsetChangeResult[]> {
  if (groupId.length === 0) throw new AdminArgumentError('deleteOffsets', 'groupId', 'is empty', 'name the group')
  if (partitions.length === 0) return of([])
  return router
    .once(() =>
      router.toCoordinator(
        'group',
        groupId,
        OffsetDeleteApi,
        { groupId, topics: groupByTopic(partitions).map(([name, list]) => ({ name, partitions: list.map((p) => ({ partitionIndex: p.partition })) })) },
        (r) => r.errorCode,
      ),
    )
    .pipe(
      map((response) => {
        // A group-level error (GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP) is every partition's answer.
        const answers = response.errorCode !== 0 ? new Map(partitions.map((p) => [tpKey(p.topic, p.partition), { errorCode: response.errorCode }])) : partitionAnswers(response.topics)
        return partitions.map((p) => settle({ topic: p.topic, partition: p.partition }, answers.get(tpKey(p.topic, p.partition)) as { errorCode: number; value?: object } | undefined, { api: 'OffsetDelete', topic: p.topic, partition: p.partition }))
      }),
    )
}

/**
 * Where `groups reset-offsets` moves a group: to the earliest or latest
 * offset, the first offset at or after a time, an offset, or the committed
 * offset shifted by some (negative: back). Offsets and shifts are clamped to
 * the partition's earliest..latest, as Kafka's own tool clamps them.
 *
 * @example
 * ```ts
 * const to: ResetSpec = { shiftBy: -100n }
 * ```
 */
export type ResetSpec = 'earliest' | 'latest' | AtTimestamp | {
  /** The offset to go to. */
  offset: bigint
} | {
  /** How far to move the committed offset (negative: back). */
  shiftBy: bigint
}

/**
 * One partition of a reset plan: where the group is and where it would go.
 *
 * @example
 * ```ts
 * for (const p of await kafka.admin.planOffsetReset('billing', ['orders'], 'earliest')) console.log(p.topic, p.partition, p.current, p.target)
 * ```
 */
export interface PlannedOffset extends TopicPartition {
  /** The committed offset now, -1n when there is none. */
  current: bigint
  /** The offset the reset commits. */
  target: bigint
}

/**
 * The offsets a reset of `groupId` on every partition of `topics` would
 * commit (nothing is changed: apply the plan with {@link alterOffsets}). A
 * topic that does not exist fails the plan.
 *
 * @example
 * ```ts
 * planOffsetReset(router, 'billing', ['orders'], 'latest').subscribe(console.log)
 * ```
 */
export function planOffsetReset(router: AdminRouter, groupId: string, topics: readonly string[], to: ResetSpec): Observable<PlannedOffset[]> {
  if (topics.length === 0) throw new AdminArgumentError('planOffsetReset', 'topics', 'is empty', 'name at least one topic')
  return router.metadata(topics).pipe(
    switchMap((m) => {
      const parts: TopicPartition[] = []
      for (const name of topics) {
        const t = m.topics.find((x) => x.name === name)
        if (t === undefined || t.errorCode !== 0) throw brokerError(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, { api: 'Metadata', topic: name })
        for (const p of [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)) parts.push({ topic: name, partition: p.partitionIndex })
      }
      const lookup = (spec: OffsetQuery) => listOffsets(router, parts.map((p) => ({ ...p, spec }))).pipe(map(mustAll))
      const timed = typeof to === 'object' && 'timestamp' in to ? lookup({ timestamp: to.timestamp }) : of(undefined)
      return forkJoin([fetchOffsets(router, groupId, topics), lookup('earliest'), lookup('latest'), timed]).pipe(
        map(([committed, earliest, latest, atTime]) =>
          parts.map((p, i) => {
            const c = committed.find((x) => x.topic === p.topic && x.partition === p.partition)
            const current = c?.ok === true ? c.offset : -1n
            const low = earliest[i]!
            const high = latest[i]!
            const clamp = (o: bigint) => (o < low ? low : o > high ? high : o)
            let target: bigint
            if (to === 'earliest') target = low
            else if (to === 'latest') target = high
            else if ('timestamp' in to) target = atTime![i]! < 0n ? high : atTime![i]!
            else if ('offset' in to) target = clamp(to.offset)
            else target = clamp((current < 0n ? low : current) + to.shiftBy)
            return { ...p, current, target }
          }),
        ),
      )
    }),
  )
}

function mustAll(listed: ListedOffset[]): bigint[] {
  return listed.map((l) => {
    if (!l.ok) throw l.error
    return l.offset
  })
}
