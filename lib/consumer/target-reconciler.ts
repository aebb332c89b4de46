/**
 * The reconciliation of a KIP-848 member towards its target assignment, one
 * step at a time: a step revokes the held partitions outside the target
 * (their in-flight messages finish, they are committed and dropped), then
 * adds the new ones. A target that arrives during a step waits, and only the
 * newest one runs after it: the coordinator's older targets are stale by then.
 */
import { Subscription, type Observable } from 'rxjs'
import type { PartitionSlot } from './partition-stream.js'
import { targetChange, type TargetChange, type TargetPartition } from './target-assignment.js'

/** What a reconciliation step does to its member. */
export interface ReconcileSteps {
  /** The partitions held now. */
  readonly held: ReadonlyMap<string, PartitionSlot>
  /** A step that changes something begins (the member reports the new assignment). */
  begin(target: readonly TargetPartition[], change: TargetChange): void
  /** Completes when the slots are revoked (it never fails: errors are reported). */
  revoke(slots: PartitionSlot[]): Observable<void>
  /** The revocations are done: start the added partitions and report the new ownership. */
  finish(added: TargetPartition[]): void
}

export class TargetReconciler {
  /** The step in progress (revoke, start), cancelled when fenced. */
  private running: Subscription | undefined
  /** The newest assignment the coordinator sent while a step ran. */
  private pending: TargetPartition[] | undefined

  constructor(private readonly steps: ReconcileSteps) {}

  /** Reconciles towards `target` now, or after the step in progress. */
  reconcile(target: TargetPartition[]): void {
    if (this.running !== undefined) {
      this.pending = target
      return
    }
    const change = targetChange(this.steps.held, target)
    const { revoked, added } = change
    if (revoked.length === 0 && added.length === 0) return
    this.steps.begin(target, change)
    const work = new Subscription()
    this.running = work
    const finish = (): void => {
      if (this.running !== work) return
      this.running = undefined
      this.steps.finish(added)
      const pending = this.pending
      this.pending = undefined
      if (pending !== undefined) this.reconcile(pending)
    }
    if (revoked.length === 0) finish()
    else work.add(this.steps.revoke(revoked).subscribe({ complete: finish }))
  }

  /** Drops the step in progress and any waiting target (fenced, or the end). */
  cancel(): void {
    this.running?.unsubscribe()
    this.running = undefined
    this.pending = undefined
  }
}
