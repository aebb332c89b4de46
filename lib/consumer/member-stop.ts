/**
 * The graceful stop of a group member, one copy for both protocols (the
 * classic member, group-member.ts, and the KIP-848 member,
 * consumer-protocol-member.ts): mark the held partitions revoking, wait (with
 * `drainMs` > 0) for their delivered messages to be done, commit what is done
 * (retried, member-commits.ts), publish the hand-over, shut down, complete the
 * member's stream, and leave. The member says only what differs between the
 * protocols: whether it is in the group now, how it leaves (LeaveGroup, the
 * leave heartbeat) and whether it leaves at all (a static classic member
 * stays).
 *
 * A final commit that fails (after its retries) is reported on `errors$` and
 * rejects the stop's promise with the error, once the rest of the stop (the
 * hand-over, the shutdown, the leave) has run: the caller learns that work
 * done since the last commit will be read again. A failed leave is only
 * reported (the coordinator drops the member after its session timeout).
 */
import { Observable, catchError, map, of, race, switchMap, take, timer, type Subscriber } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import type { RxKafkaError } from '../errors/index.js'
import { asRxKafkaError } from './fetcher.js'
import { finalCommit } from './member-commits.js'
import type { PartitionSlot, PartitionStream } from './partition-stream.js'
import { whenAllDrained } from './slot-commits.js'

/** Tries of the final commit of a member that leaves (the close timeout bounds them too). */
const FINAL_COMMIT_ATTEMPTS = 4

/** What the stop asks of its member. */
export interface StoppingMember {
  readonly client: ClusterClient
  readonly groupId: string
  /** The first backoff of the final commit's retries. */
  readonly retryBackoffMs: number
  /** The member's stream of partition streams, completed by the stop. */
  readonly output: Subscriber<PartitionStream>
  /** Whether the member has ended already (a fatal error): there is nothing to stop then. */
  stopped(): boolean
  /**
   * Ends the member's group steps (its state becomes 'leaving') and says what
   * it holds, and whether it is in the group now (a generation or a member
   * epoch, and a coordinator): only then does the stop drain, commit and hand over.
   */
  begin(): { slots: readonly PartitionSlot[]; inGroup: boolean }
  /** One try at committing what is done in `slots`; emits once when done. */
  commit(slots: readonly PartitionSlot[]): Observable<void>
  /** The final commit looked the coordinator up again. */
  coordinatorFound(nodeId: number): void
  /** Publishes the hand-over of `slots` on the side channel, if any (never fails). */
  publishHandOver(slots: readonly PartitionSlot[]): Observable<void>
  /** Asked just before the shutdown: the leave to send after it, or undefined when the member does not leave. */
  leave(): Observable<void> | undefined
  /** Stops every timer, request and fetch of the member and closes its partitions (the state becomes 'stopped'). */
  shutdown(): void
  /** Reports on the member's `errors$`. */
  report(error: RxKafkaError): void
}

/**
 * A member's graceful stop: idempotent (every call gets the same promise),
 * run by the client's `close()` once registered, and detached from its
 * caller, so the commit and the leave still reach the broker after an
 * unsubscribe.
 *
 * @example
 * ```ts
 * const stopper = new MemberStop({ client, groupId, retryBackoffMs, output, stopped, begin, commit, coordinatorFound, publishHandOver, leave, shutdown, report })
 * stopper.register() // the member starts: the client's close() stops it
 * await stopper.stop(5_000) // drain up to 5 s, commit, leave; rejects if the final commit failed
 * ```
 */
export class MemberStop {
  /** The stop, once begun. */
  private stopping: Promise<void> | undefined
  /** Unregisters this stop from the client's close(). */
  private unregisterClose: (() => void) | undefined
  /** Set before anything of the stop runs, since its first steps may run inside stop() itself. */
  private started = false

  constructor(private readonly member: StoppingMember) {}

  /** Whether stop() was called on the running member (also while it is still draining). */
  get begun(): boolean {
    return this.started
  }

  /** The client's close() runs this stop and waits for it. */
  register(): void {
    this.unregisterClose = this.member.client.onClose(() => this.stop())
  }

  /** The member ended another way (a fatal error): the client's close() has nothing to wait for. */
  unregister(): void {
    this.unregisterClose?.()
  }

  /**
   * Stops the member: without a drain (`drainMs` 0, an unsubscribe) the
   * substreams complete at once; with one, the stop waits up to `drainMs` for
   * the delivered messages to be done. Then it commits, hands over, shuts
   * down, completes the stream and leaves. Resolves when the coordinator has
   * the commit and the leave; rejects with the final commit's error.
   */
  stop(drainMs = 0): Promise<void> {
    if (this.stopping !== undefined) return this.stopping
    const m = this.member
    if (m.stopped()) return Promise.resolve()
    this.started = true
    const { slots, inGroup } = m.begin()
    for (const s of slots) if (s.state === 'assigned') s.state = 'revoking'
    // Their commit points stay readable after the substreams complete.
    if (drainMs === 0) for (const s of slots) s.close()
    const drained = drainMs > 0 && inGroup ? race(whenAllDrained(slots), timer(drainMs, m.client.scheduler).pipe(map(() => undefined))).pipe(take(1)) : of(undefined)
    let commitError: RxKafkaError | undefined
    const reported = (error: unknown): Observable<undefined> => {
      m.report(asRxKafkaError(error))
      return of(undefined)
    }
    const work = m.client.use(() =>
      drained.pipe(
        switchMap(() =>
          inGroup
            ? finalCommit(() => m.commit(slots), {
                client: m.client,
                groupId: m.groupId,
                retryBackoffMs: m.retryBackoffMs,
                attempts: FINAL_COMMIT_ATTEMPTS,
                report: (e) => m.report(e),
                coordinatorFound: (nodeId) => m.coordinatorFound(nodeId),
              })
            : of(undefined),
        ),
        catchError((error: unknown) => {
          commitError = asRxKafkaError(error)
          return reported(commitError)
        }),
        switchMap(() => (inGroup ? m.publishHandOver(slots) : of(undefined))),
        switchMap(() => {
          const leave = m.leave()
          m.shutdown()
          if (!m.output.closed) m.output.complete()
          return leave === undefined ? of(undefined) : leave.pipe(catchError(reported))
        }),
        take(1),
      ),
    )
    this.stopping = new Promise<void>((resolve, reject) => {
      // Detached on purpose: after an unsubscribe the caller has gone, but the commit and the leave must still reach the broker.
      work.subscribe({
        complete: () => {
          this.unregister()
          if (commitError === undefined) resolve()
          else reject(commitError)
        },
        error: (error: unknown) => {
          this.unregister()
          reject(asRxKafkaError(error))
        },
      })
    })
    return this.stopping
  }
}
