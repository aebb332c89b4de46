/**
 * Producers and transactions, for operations on stuck transactions:
 * DescribeProducers (each partition's leader: the producers with state on it
 * and any open transaction's first offset), ListTransactions (every broker,
 * each lists the transactional ids it coordinates) and DescribeTransactions
 * (each transactional id's coordinator).
 */
import { forkJoin, map, type Observable, of } from 'rxjs'
import { brokerError } from '../errors/index.js'
import { DescribeProducersApi } from '../protocol/messages/DescribeProducers.js'
import { DescribeTransactionsApi } from '../protocol/messages/DescribeTransactions.js'
import { ListTransactionsApi } from '../protocol/messages/ListTransactions.js'
import { settle, tpKey, type AdminRouter, type ItemAnswers } from './admin-routing.js'
import type { AdminItem, TopicPartition } from './admin-types.js'

/**
 * A producer with state on a partition.
 *
 * @example
 * ```ts
 * const stuck = producers.filter((p) => p.currentTxnStartOffset >= 0n)
 * ```
 */
export interface ActiveProducer {
  /** The producer id. */
  producerId: bigint
  /** Its epoch. */
  producerEpoch: number
  /** The last sequence number written. */
  lastSequence: number
  /** The timestamp of its last write (ms). */
  lastTimestamp: bigint
  /** The coordinator epoch of its transaction, -1 when none. */
  coordinatorEpoch: number
  /** First offset of its open transaction, -1n when none is open. */
  currentTxnStartOffset: bigint
}

/**
 * A partition's active producers, or why not.
 *
 * @example
 * ```ts
 * const [p] = await kafka.admin.describeProducers([{ topic: 'orders', partition: 0 }])
 * if (p.ok) console.log(p.producers)
 * ```
 */
export type PartitionProducers = AdminItem<TopicPartition, {
  /** The producers with state on the partition. */
  producers: ActiveProducer[]
}>

/**
 * A transaction as ListTransactions lists it.
 *
 * @example
 * ```ts
 * const open = (await kafka.admin.listTransactions({ states: ['Ongoing'] })).map((t) => t.transactionalId)
 * ```
 */
export interface TransactionListing {
  /** The transactional id. */
  transactionalId: string
  /** Its producer id. */
  producerId: bigint
  /** Such as `Ongoing`, `PrepareCommit`, `CompleteCommit`, `Empty`. */
  state: string
  /** The coordinator that listed it. */
  coordinator: number
}

/**
 * A transaction described by its coordinator, or why not (TRANSACTIONAL_ID_NOT_FOUND).
 *
 * @example
 * ```ts
 * const [t] = await kafka.admin.describeTransactions(['payments-1'])
 * if (t.ok) console.log(t.state, t.partitions)
 * ```
 */
export type TransactionDescription = AdminItem<
  {
    /** The transactional id. */
    transactionalId: string
  },
  {
    /** Such as `Ongoing`, `PrepareCommit`, `CompleteAbort`, `Empty`. */
    state: string
    /** The transaction timeout. */
    timeoutMs: number
    /** When the open transaction started (ms), -1n when none is open. */
    startTimeMs: bigint
    /** Its producer id. */
    producerId: bigint
    /** Its producer epoch. */
    producerEpoch: number
    /** The partitions in the open transaction. */
    partitions: TopicPartition[]
  }
>

/**
 * Producers with state on partitions, asked of each leader.
 *
 * @example
 * ```ts
 * describeProducers(router, [{ topic: 'orders', partition: 0 }]).subscribe(console.log)
 * ```
 */
export function describeProducers(router: AdminRouter, partitions: readonly TopicPartition[]): Observable<PartitionProducers[]> {
  if (partitions.length === 0) return of([])
  return router
    .toLeaders<TopicPartition, { producers: ActiveProducer[] }>(partitions, (leader, items) =>
      router.client
        .request(leader, DescribeProducersApi, {
          topics: [...new Set(items.map((i) => i.topic))].map((name) => ({ name, partitionIndexes: items.filter((i) => i.topic === name).map((i) => i.partition) })),
        })
        .pipe(
          map((response) => {
            const answers: ItemAnswers<{ producers: ActiveProducer[] }> = new Map()
            for (const t of response.topics) {
              for (const p of t.partitions) {
                answers.set(tpKey(t.name, p.partitionIndex), { errorCode: p.errorCode, errorMessage: p.errorMessage, value: { producers: p.activeProducers.map((a) => ({ ...a })) } })
              }
            }
            return answers
          }),
        ),
    )
    .pipe(map((answers) => partitions.map((p) => settle({ topic: p.topic, partition: p.partition }, answers.get(tpKey(p.topic, p.partition)), { api: 'DescribeProducers', topic: p.topic, partition: p.partition }))))
}

/**
 * Filters of {@link Admin.listTransactions}.
 *
 * @example
 * ```ts
 * await kafka.admin.listTransactions({ states: ['Ongoing'], longerThanMs: 60_000 })
 * ```
 */
export interface ListTransactionsOptions {
  /** Only transactions in these states. */
  states?: readonly string[]
  /** Only these producer ids. */
  producerIds?: readonly bigint[]
  /** Only transactions open longer than this (v1+). */
  longerThanMs?: number
}

/**
 * Every transactional id of every broker.
 *
 * @example
 * ```ts
 * listTransactions(router).subscribe(console.log)
 * ```
 */
export function listTransactions(router: AdminRouter, options: ListTransactionsOptions = {}): Observable<TransactionListing[]> {
  return router
    .toEveryBroker(ListTransactionsApi, (version) => ({
      stateFilters: [...(options.states ?? [])],
      producerIdFilters: [...(options.producerIds ?? [])],
      ...(version >= 1 ? { durationFilter: BigInt(options.longerThanMs ?? -1) } : {}),
      ...(version >= 2 ? { transactionalIdPattern: null } : {}),
    }))
    .pipe(
      map((answers) => {
        const rows: TransactionListing[] = []
        for (const [coordinator, response] of answers) {
          if (response.errorCode !== 0) throw brokerError(response.errorCode, { api: 'ListTransactions', broker: coordinator })
          for (const t of response.transactionStates) rows.push({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState, coordinator })
        }
        return rows.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : 1))
      }),
    )
}

/**
 * Describes transactions, each at its transaction coordinator.
 *
 * @example
 * ```ts
 * describeTransactions(router, ['payments-1']).subscribe(console.log)
 * ```
 */
export function describeTransactions(router: AdminRouter, transactionalIds: readonly string[]): Observable<TransactionDescription[]> {
  if (transactionalIds.length === 0) return of([])
  return forkJoin(
    transactionalIds.map((transactionalId) =>
      router
        .once(() => router.toCoordinator('transaction', transactionalId, DescribeTransactionsApi, { transactionalIds: [transactionalId] }, (r) => r.transactionStates[0]?.errorCode ?? 0))
        .pipe(
          map((response) => {
            const t = response.transactionStates.find((x) => x.transactionalId === transactionalId)
            return settle(
              { transactionalId },
              t === undefined
                ? undefined
                : {
                    errorCode: t.errorCode,
                    value: {
                      state: t.transactionState,
                      timeoutMs: t.transactionTimeoutMs,
                      startTimeMs: t.transactionStartTimeMs,
                      producerId: t.producerId,
                      producerEpoch: t.producerEpoch,
                      partitions: t.topics.flatMap((x) => x.partitions.map((partition) => ({ topic: x.topic, partition }))),
                    },
                  },
              { api: 'DescribeTransactions' },
            )
          }),
        ),
    ),
  )
}
