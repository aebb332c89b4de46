/**
 * The topics a classic group member subscribes to: names, regular
 * expressions, or both. Names are fixed; a pattern is matched against the
 * names the cluster lists (a Metadata request for every topic, which creates
 * nothing) when the member starts and then every `topicRefreshMs`. The member
 * compares `version` with the one it joined with and rejoins when the matched
 * set changed, so the leader assigns the new subscription; likewise when a
 * subscribed topic's partition count is not the one it was assigned with.
 */
import { Observable, Subscription, catchError, exhaustMap, map, of, switchMap, timer } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { MetadataApi } from '../protocol/messages/Metadata.js'
import { asRxKafkaError } from './fetcher.js'
import type { RxKafkaError } from '../errors/index.js'

/** What `topics` of `consumeGroup` may hold: names and regular expressions. */
export type TopicSelector = string | RegExp

/** Whether a listed topic is one a pattern may match: internal topics (and every `__` name) only by name. */
export function patternMayMatch(name: string, isInternal: boolean): boolean {
  return !isInternal && !name.startsWith('__')
}

/** A stateless copy of a RegExp: `g` and `y` make `test` remember `lastIndex`, which would skip matches. */
export function statelessPattern(pattern: RegExp): RegExp {
  return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''))
}

/** The sorted union of the named topics and the listed topics a pattern matches. */
export function matchTopics(names: readonly string[], patterns: readonly RegExp[], listed: Iterable<{ name: string; isInternal: boolean }>): string[] {
  const matched = new Set(names)
  for (const t of listed) {
    if (patternMayMatch(t.name, t.isInternal) && patterns.some((p) => p.test(t.name))) matched.add(t.name)
  }
  return [...matched].sort()
}

export class TopicSubscription {
  /** Bumped each time the matched set changes. */
  version = 0
  private matched: readonly string[]
  private refresh: Subscription | undefined
  /** `version` at the last JoinGroup: another one means the matched topics changed, and a rejoin is due. */
  private joinedVersion = 0
  /** Partition counts of the subscribed topics when the last assignment came: a change means a rejoin. */
  private readonly assignedCounts = new Map<string, number>()

  constructor(
    private readonly client: ClusterClient,
    readonly names: readonly string[],
    readonly patterns: readonly RegExp[],
    private readonly refreshMs: number,
  ) {
    this.matched = [...names].sort()
  }

  /** The topics subscribed to now. */
  get topics(): readonly string[] {
    return this.matched
  }

  /** Whether the subscription can change (it has a pattern). */
  get dynamic(): boolean {
    return this.patterns.length > 0
  }

  /**
   * Lists the cluster's topics and matches the patterns (without patterns:
   * the names as they are). Emits the matched set once; errors when no
   * broker answered.
   */
  resolve(): Observable<readonly string[]> {
    if (!this.dynamic) return of(this.matched)
    return this.client
      .request('any', MetadataApi, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false })
      .pipe(
        map((response) => {
          const listed = response.topics
            .filter((t) => t.errorCode === 0 && t.name !== null && t.name !== '')
            .map((t) => ({ name: t.name as string, isInternal: t.isInternal ?? false }))
          const next = matchTopics(this.names, this.patterns, listed)
          if (next.join('\n') !== this.matched.join('\n')) {
            this.matched = next
            this.version++
          }
          return this.matched
        }),
        // The matched topics are followed from now on: their partition counts and leaders stay fresh.
        switchMap((topics) => (topics.length === 0 ? of(topics) : this.client.refreshMetadata(topics).pipe(map(() => topics)))),
      )
  }

  /** Re-matches every `refreshMs` (nothing without a pattern); a failed listing is reported and tried at the next tick. */
  startRefresh(onError: (error: RxKafkaError) => void): void {
    if (!this.dynamic || this.refresh !== undefined || this.refreshMs <= 0) return
    this.refresh = timer(this.refreshMs, this.refreshMs, this.client.scheduler)
      .pipe(
        exhaustMap(() =>
          this.resolve().pipe(
            catchError((error: unknown) => {
              onError(asRxKafkaError(error))
              return of(this.matched)
            }),
          ),
        ),
      )
      .subscribe()
  }

  /** The member sends JoinGroup with the topics subscribed to now. */
  joined(): void {
    this.joinedVersion = this.version
  }

  /** The member has its assignment: the partition counts it was made for are the ones to compare with. */
  assigned(): void {
    const view = this.client.currentView()
    this.assignedCounts.clear()
    for (const topic of this.matched) {
      const count = view.topics.get(topic)?.partitions.length ?? 0
      if (count > 0) this.assignedCounts.set(topic, count)
    }
  }

  /**
   * Whether only a new assignment gives the subscription its due: a pattern
   * matches other topics than at the join, or the metadata now (refreshed on
   * its period and after errors) has another partition count for a subscribed
   * topic (it grew, or was re-created).
   */
  rejoinDue(): boolean {
    if (this.version !== this.joinedVersion) return true
    const view = this.client.currentView()
    for (const topic of this.matched) {
      const count = view.topics.get(topic)?.partitions.length ?? 0
      if (count > 0 && count !== this.assignedCounts.get(topic)) return true
    }
    return false
  }

  stop(): void {
    this.refresh?.unsubscribe()
    this.refresh = undefined
  }
}
