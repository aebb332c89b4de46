/**
 * A group's lag: committed offset (OffsetFetch at the coordinator) against the
 * end of each partition (ListOffsets latest at the leaders), once or on a period.
 */
import { exhaustMap, map, type Observable, of, switchMap, timer } from 'rxjs'
import { AdminArgumentError } from '../errors/index.js'
import type { AdminRouter } from './admin-routing.js'
import type { TopicPartition } from './admin-types.js'
import { fetchOffsets, listOffsets } from './offsets.js'

/**
 * One partition's lag. A partition without a commit has `committed` null and
 * its whole log (from offset 0) as lag, as Kafka's own tool counts it.
 *
 * @example
 * ```ts
 * const total = (await kafka.admin.groupLag('billing')).reduce((sum, p) => sum + p.lag, 0n)
 * ```
 */
export interface PartitionLag extends TopicPartition {
  /** The committed offset, null when the group has none for the partition. */
  committed: bigint | null
  /** The high watermark (the next offset to be written). */
  end: bigint
  /** `end - committed` (never negative). */
  lag: bigint
}

/**
 * Options of {@link Admin.lag$}.
 *
 * @example
 * ```ts
 * kafka.admin.lag$('billing', { every: 5_000, topics: ['orders'] }).subscribe(rows => console.table(rows))
 * ```
 */
export interface LagOptions {
  /** Period in ms. Default 10 000. */
  every?: number
  /** The topics to show; default: the topics the group has commits for. */
  topics?: readonly string[]
}

/**
 * The lag of every partition of `topics` (default: every partition the group
 * has a commit for), sorted by topic and partition.
 *
 * @example
 * ```ts
 * groupLag(router, 'billing', ['orders']).subscribe(console.log)
 * ```
 */
export function groupLag(router: AdminRouter, groupId: string, topics?: readonly string[]): Observable<PartitionLag[]> {
  return fetchOffsets(router, groupId, topics).pipe(
    switchMap((committed) => {
      const parts = committed.map((c) => ({ topic: c.topic, partition: c.partition }))
      if (parts.length === 0) return of([])
      return listOffsets(router, parts.map((p) => ({ ...p, spec: 'latest' as const }))).pipe(
        map((ends) =>
          committed.map((c, i) => {
            const e = ends[i]!
            if (!e.ok) throw e.error
            const at = c.ok && c.offset >= 0n ? c.offset : null
            const lag = e.offset - (at ?? 0n)
            return { topic: c.topic, partition: c.partition, committed: at, end: e.offset, lag: lag < 0n ? 0n : lag }
          }),
        ),
      )
    }),
  )
}

/**
 * {@link groupLag} now and every `every` ms while subscribed (a slow answer
 * skips ticks rather than piling requests up). Errors end the stream; put a
 * `retry` after it to keep watching through outages.
 *
 * @example
 * ```ts
 * lag$(router, 'billing', { every: 1_000 }).subscribe((rows) => console.log(rows))
 * ```
 */
export function lag$(router: AdminRouter, groupId: string, options: LagOptions = {}): Observable<PartitionLag[]> {
  const every = options.every ?? 10_000
  if (!Number.isFinite(every) || every <= 0) throw new AdminArgumentError('lag$', 'every', `must be a period in ms > 0, got ${every}`, 'pass every: 5000, for example')
  return router.client.use(() => timer(0, every, router.client.scheduler).pipe(exhaustMap(() => groupLag(router, groupId, options.topics))))
}
