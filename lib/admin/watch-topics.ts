/**
 * Topic changes seen in metadata: topics that appeared, disappeared, or
 * whose partition count changed, polled with Metadata of every topic
 * (auto-creation off) on a period.
 */
import { exhaustMap, filter, map, type Observable, scan, timer } from 'rxjs'
import { AdminArgumentError } from '../errors/index.js'
import type { AdminRouter } from './admin-routing.js'

/**
 * What changed between two looks at the cluster's topics. The first emission
 * lists every topic as added.
 *
 * @example
 * ```ts
 * kafka.admin.watchTopics$().subscribe(({ added, removed }) => console.log('new', added, 'gone', removed))
 * ```
 */
export interface TopicChanges {
  /** Topics that are new since the last emission. */
  added: string[]
  /** Topics that are gone. */
  removed: string[]
  /** Topics whose partition count changed, with the new count. */
  repartitioned: {
    /** The topic. */
    name: string
    /** Its partition count now. */
    partitions: number
  }[]
  /** Every topic now, with its partition count. */
  topics: ReadonlyMap<string, number>
}

/**
 * Options of {@link Admin.watchTopics$}.
 *
 * @example
 * ```ts
 * kafka.admin.watchTopics$({ every: 2_000, includeInternal: true })
 * ```
 */
export interface WatchTopicsOptions {
  /** Period in ms. Default 10 000. */
  every?: number
  /** Include Kafka's own topics. Default false. */
  includeInternal?: boolean
}

/**
 * Emits the topic changes seen on each period; periods without change emit nothing.
 *
 * @example
 * ```ts
 * watchTopics$(router, { every: 1_000 }).subscribe(console.log)
 * ```
 */
export function watchTopics$(router: AdminRouter, options: WatchTopicsOptions = {}): Observable<TopicChanges> {
  const every = options.every ?? 10_000
  if (!Number.isFinite(every) || every <= 0) throw new AdminArgumentError('watchTopics$', 'every', `must be a period in ms > 0, got ${every}`, 'pass every: 5000, for example')
  return router.client.use(() =>
    timer(0, every, router.client.scheduler).pipe(
      exhaustMap(() => router.metadata(null)),
      map((response) => {
        const now = new Map<string, number>()
        for (const t of response.topics) {
          if (t.errorCode === 0 && t.name != null && (options.includeInternal === true || t.isInternal !== true)) now.set(t.name, t.partitions.length)
        }
        return now
      }),
      scan<ReadonlyMap<string, number>, { changes: TopicChanges | undefined; last: ReadonlyMap<string, number> | undefined }>(
        (state, now) => {
          const before = state.last ?? new Map<string, number>()
          const added = [...now.keys()].filter((n) => !before.has(n)).sort()
          const removed = [...before.keys()].filter((n) => !now.has(n)).sort()
          const repartitioned = [...now].filter(([n, count]) => before.has(n) && before.get(n) !== count).map(([name, partitions]) => ({ name, partitions })).sort((a, b) => (a.name < b.name ? -1 : 1))
          const changed = state.last === undefined || added.length + removed.length + repartitioned.length > 0
          return { changes: changed ? { added, removed, repartitioned, topics: now } : undefined, last: now }
        },
        { changes: undefined, last: undefined },
      ),
      map((state) => state.changes),
      filter((changes): changes is TopicChanges => changes !== undefined),
    ),
  )
}
