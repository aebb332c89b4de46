/**
 * When a group member commits, beside what it commits (slot-commits.ts): on
 * its own timer every `commitIntervalMs`, at most one commit in flight; and
 * once more when it leaves, retried where the error may pass. The member says
 * when it may commit and what an error means to its membership.
 */
import { Observable, Subscription, catchError, switchMap, timer, type SchedulerLike } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import type { RxKafkaError } from '../errors/index.js'
import { backoffDelay } from '../kit/backoff.js'
import { asRxKafkaError } from './fetcher.js'
import { groupFailureAction } from './group-error-policy.js'

/** What the commit timer asks of its member. */
export interface PeriodicCommitter {
  /** Whether the member may commit now (a generation, a stable state). */
  due(): boolean
  /** Commits what is done; emits once when done. */
  commit(): Observable<void>
  /** A commit failed (the member reports it and mends its membership). */
  failed(error: unknown): void
}

/**
 * Commits every `intervalMs` while the member says it is due, skipping a tick
 * while a commit is still in flight. An interval of 0 commits nothing.
 *
 * @example
 * ```ts
 * const timer = new CommitTimer(client.scheduler, group.commitIntervalMs, { due, commit, failed })
 * timer.start() // the first assignment
 * timer.stop() // the member stops: the commit in flight is dropped too
 * ```
 */
export class CommitTimer {
  private timer: Subscription | undefined
  private inFlight: Subscription | undefined

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly intervalMs: number,
    private readonly committer: PeriodicCommitter,
  ) {}

  start(): void {
    if (this.timer !== undefined || this.intervalMs === 0) return
    this.timer = timer(this.intervalMs, this.intervalMs, this.scheduler).subscribe(() => {
      if (!this.committer.due() || this.inFlight !== undefined) return
      const inFlight = this.committer.commit().subscribe({
        error: (error: unknown) => {
          this.inFlight = undefined
          this.committer.failed(error)
        },
        complete: () => {
          this.inFlight = undefined
        },
      })
      // A commit with nothing to write completes inside subscribe: nothing is in flight then.
      if (!inFlight.closed) this.inFlight = inFlight
    })
  }

  stop(): void {
    this.timer?.unsubscribe()
    this.timer = undefined
    this.inFlight?.unsubscribe()
  }
}

/** What the final commit needs to retry: the coordinator look-up, the backoff, where to report. */
export interface FinalCommitContext {
  readonly client: ClusterClient
  readonly groupId: string
  readonly retryBackoffMs: number
  /** Tries in all (the close timeout bounds them too). */
  readonly attempts: number
  /** An error that is retried. */
  report(error: RxKafkaError): void
  /** The coordinator was looked up again after a coordinator error. */
  coordinatorFound(nodeId: number): void
}

/**
 * The final commit of a member that leaves: retried where the error may pass
 * (a moved coordinator, a timeout, a dropped connection), up to `attempts`
 * tries with the shared backoff (at most 1 s); an error the member cannot mend
 * (fenced, rebalancing) is the returned Observable's error.
 *
 * @example
 * ```ts
 * finalCommit(() => commitSlots(slots, target()), { client, groupId, retryBackoffMs: 100, attempts: 4, report, coordinatorFound })
 * ```
 */
export function finalCommit(commit: () => Observable<void>, ctx: FinalCommitContext): Observable<void> {
  let attempt = 0
  const once = (): Observable<void> =>
    commit().pipe(
      catchError((error: unknown) => {
        const e = asRxKafkaError(error)
        const action = groupFailureAction('step', e)
        if (attempt >= ctx.attempts - 1 || action === 'fatal') throw e
        const delay = backoffDelay(attempt++, { initialMs: ctx.retryBackoffMs, maxMs: 1_000, jitter: 0 })
        ctx.report(e)
        if (action !== 'find-coordinator') return timer(delay, ctx.client.scheduler).pipe(switchMap(once))
        ctx.client.invalidateCoordinator('group', ctx.groupId)
        return timer(delay, ctx.client.scheduler).pipe(
          switchMap(() => ctx.client.findCoordinator('group', ctx.groupId)),
          switchMap((nodeId) => {
            ctx.coordinatorFound(nodeId)
            return once()
          }),
        )
      }),
    )
  return once()
}
