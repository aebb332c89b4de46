/**
 * How the classic group member gives partitions up: revoke them (stop
 * fetching, wait for their in-flight messages, commit, hand over, drop: the
 * steps of slot-commits.ts's revokeSlots), lose them all without a commit
 * (fenced or expired: they may already be someone else's), or drop one. The
 * revoke runs as the member's one group step and its error goes back to the
 * member (as with classic-join.ts and classic-assignment.ts).
 */
import type { Observable, SchedulerLike } from 'rxjs'
import type { RxKafkaError } from '../errors/index.js'
import type { Fetcher } from './fetcher.js'
import type { MemberState } from './member-state.js'
import type { PartitionSlot } from './partition-stream.js'
import { revokeSlots, type RevokeSteps } from './slot-commits.js'

/** What giving partitions up reads of its member and tells it. */
export interface RevokingMember {
  /** The partitions it holds, by partitionKey; dropped ones leave it. */
  readonly slots: Map<string, PartitionSlot>
  /** The last committed offset of each held partition, by partitionKey; dropped ones leave it. */
  readonly lastCommitted: Map<string, bigint>
  /** The member's fetcher: a dropped slot is no longer fetched. */
  readonly fetcher: Fetcher
  readonly scheduler: SchedulerLike
  /** How long revoked partitions may take to drain (the group's rebalance timeout). */
  readonly rebalanceTimeoutMs: number
  setState(state: MemberState): void
  /** The member has no generation any more (its partitions are lost). */
  lostGeneration(): void
  /** Commits what is done in `slots` (group-member.ts's commitSlots). */
  commit(slots: readonly PartitionSlot[]): Observable<void>
  /** With a side channel, publishes the commit points of `slots` (never fails). */
  publishHandOver(slots: readonly PartitionSlot[]): Observable<void>
  report(error: RxKafkaError): void
  /** Runs `work` as the member's one group step (group-member.ts's runStep). */
  runStep<T>(work: Observable<T>, next: (value: T) => void, error: (e: unknown) => void): void
  fatal(error: unknown): void
}

/**
 * One classic member's giving up of partitions.
 *
 * @example
 * ```ts
 * const revoker = new ClassicRevoke(member)
 * revoker.revoke([...slots.values()], () => join()) // drained, committed, handed over and dropped, then join
 * revoker.loseAll() // fenced: dropped without a commit
 * ```
 */
export class ClassicRevoke {
  constructor(private readonly member: RevokingMember) {}

  /** Stops fetching the slots, waits for their in-flight messages (bounded), commits, hands over, drops them. */
  revoke(slots: PartitionSlot[], then: () => void): void {
    this.member.setState('revoking')
    this.member.runStep(
      revokeSlots(slots, this.revokeSteps()),
      () => {
        this.member.setState('stable')
        then()
      },
      (error) => this.member.fatal(error),
    )
  }

  private revokeSteps(): RevokeSteps {
    return {
      scheduler: this.member.scheduler,
      rebalanceTimeoutMs: this.member.rebalanceTimeoutMs,
      commit: (slots) => this.member.commit(slots),
      publishHandOver: (slots) => this.member.publishHandOver(slots),
      drop: (slot) => this.dropSlot(slot),
      reportError: (error) => this.member.report(error),
    }
  }

  /** The member lost its partitions (fenced or expired): they may already be someone else's, so no commit. */
  loseAll(): void {
    for (const s of [...this.member.slots.values()]) this.dropSlot(s)
    this.member.lostGeneration()
  }

  dropSlot(slot: PartitionSlot): void {
    slot.close()
    this.member.fetcher.remove(slot)
    this.member.slots.delete(slot.key)
    this.member.lastCommitted.delete(slot.key)
  }
}
