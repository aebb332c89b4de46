/**
 * Where a classic group member's coordinator is: found as the member's one
 * group step before it joins (and again, after its backoff, when an error
 * says the coordinator moved), or looked up again beside the running member,
 * between rebalances, without giving up partitions. The member's mend()
 * decides which of the two an error asks for, and what a failed find costs
 * (as with classic-join.ts and classic-revoke.ts).
 */
import type { Observable, Subscription } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import type { RxKafkaError } from '../errors/index.js'
import { asRxKafkaError } from './fetcher.js'

/** What finding the coordinator reads of its member and tells it. */
export interface CoordinatedMember {
  /** Lives as long as the member: a look-up beside the running member ends with it. */
  readonly lifetime: Subscription
  /** The member's state becomes 'finding-coordinator'. */
  finding(): void
  /** The coordinator is `nodeId` now (undefined: not known, the member must find it). */
  found(nodeId: number | undefined): void
  /** Runs `work` as the member's one group step (group-member.ts's runStep). */
  runStep<T>(work: Observable<T>, next: (value: T) => void, error: (e: unknown) => void): void
  /** The coordinator is known: join the group. */
  join(): void
  /** The find failed without an answer; `retry` repeats it. */
  stepFailed(error: unknown, retry: () => void): void
  report(error: RxKafkaError): void
}

/**
 * One classic member's coordinator look-ups.
 *
 * @example
 * ```ts
 * const coordinator = new ClassicCoordinator(client, groupId, member)
 * coordinator.find() // the member's step: FindCoordinator, then member.join()
 * coordinator.forget() // an error says it moved: the next find asks the cluster again
 * coordinator.lookUpAgain() // a heartbeat said NOT_COORDINATOR: look it up, keep the partitions
 * ```
 */
export class ClassicCoordinator {
  constructor(
    private readonly client: ClusterClient,
    private readonly groupId: string,
    private readonly member: CoordinatedMember,
  ) {}

  /** FindCoordinator as the member's one step, then the join. */
  find(): void {
    this.member.finding()
    this.member.runStep(
      this.client.findCoordinator('group', this.groupId),
      (nodeId) => {
        this.member.found(nodeId)
        this.member.join()
      },
      (error) => this.member.stepFailed(error, () => this.find()),
    )
  }

  /** The coordinator moved or went: the client's cached one is dropped and the member has none until it finds it. */
  forget(): void {
    this.client.invalidateCoordinator('group', this.groupId)
    this.member.found(undefined)
  }

  /** Between rebalances: find the moved coordinator without giving up partitions; if it does not know us, the next heartbeat says so. */
  lookUpAgain(): void {
    this.client.invalidateCoordinator('group', this.groupId)
    this.member.lifetime.add(
      this.client.findCoordinator('group', this.groupId).subscribe({
        next: (nodeId) => this.member.found(nodeId),
        error: (error: unknown) => this.member.report(asRxKafkaError(error)),
      }),
    )
  }
}
