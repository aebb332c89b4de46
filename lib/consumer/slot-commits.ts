/**
 * What both group members (the classic one and the KIP-848 one) do with the commit points of their partition slots:
 * commit those that moved since their last commit, and publish a hand-over on the side channel. One copy, so the two
 * protocols commit alike; each member says only when it may commit (a generation, a member epoch).
 */
import { Observable, catchError, of, race, switchMap, take, timer, type SchedulerLike } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import type { RxKafkaError } from '../errors/index.js'
import { observeCommit } from '../observability/consumer-events.js'
import { asRxKafkaError } from './fetcher.js'
import { commitOffsets, type CommitIdentity, type OffsetToCommit } from './offset-requests.js'
import type { PartitionSlot } from './partition-stream.js'
import type { SidechannelOffsets } from './sidechannel.js'

/** Where and as whom a member commits. */
export interface SlotCommitTarget {
  readonly client: ClusterClient
  /** The group coordinator, or undefined when the member may not commit now (no coordinator, no generation). */
  readonly coordinator: number | undefined
  /** The group, member and generation (or member epoch) the commit is sent as. */
  readonly identity: CommitIdentity
  /** The last offset committed per slot key; updated when a commit is answered. */
  readonly lastCommitted: Map<string, bigint>
  /** The member's commit connection, so commits never queue behind its JoinGroup. */
  readonly connectionKey: string
}

/** Commits the commit points of `slots` that moved since their last commit; emits once (also when there was nothing). */
export function commitSlots(slots: readonly PartitionSlot[], target: SlotCommitTarget): Observable<void> {
  return new Observable<void>((subscriber) => {
    const { coordinator, lastCommitted } = target
    const offsets: (OffsetToCommit & { key: string })[] = []
    if (coordinator !== undefined) {
      for (const s of slots) {
        const point = s.commitPoint
        if (point === undefined) continue
        const last = lastCommitted.get(s.key)
        if (last !== undefined && last >= point) continue
        offsets.push({ topic: s.topic, partition: s.partition, offset: point, leaderEpoch: -1, key: s.key })
      }
    }
    if (offsets.length === 0 || coordinator === undefined) {
      // Always one emission, so callers can chain the next step on it.
      subscriber.next()
      subscriber.complete()
      return
    }
    const { client, identity } = target
    const member = { memberId: identity.memberId, generationId: identity.generationId }
    return commitOffsets(client, coordinator, identity, offsets, 30_000, target.connectionKey)
      .pipe(observeCommit(client.clientId, identity.groupId, member, offsets))
      .subscribe({
        next: () => {
          for (const o of offsets) {
            const last = lastCommitted.get(o.key)
            if (last === undefined || last < o.offset) lastCommitted.set(o.key, o.offset)
          }
          subscriber.next()
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      })
  })
}

/**
 * With a side channel: publishes the commit points of partitions being handed over. Never fails the caller: a
 * failure goes to `reportError` and the hand-over goes on (the next owner falls back to the committed offsets).
 */
export function publishHandOver(
  sidechannel: SidechannelOffsets | undefined,
  memberId: string,
  generationId: number,
  slots: readonly PartitionSlot[],
  reportError: (error: RxKafkaError) => void,
): Observable<void> {
  if (sidechannel === undefined) return of(undefined)
  const offsets = []
  for (const s of slots) {
    const offset = s.commitPoint
    if (offset !== undefined) offsets.push({ topic: s.topic, partition: s.partition, offset })
  }
  return sidechannel.publish(memberId, generationId, offsets).pipe(
    catchError((error: unknown) => {
      reportError(asRxKafkaError(error))
      return of(undefined)
    }),
  )
}

/** Revocation waits this share of the rebalance timeout for in-flight messages, leaving time to commit and rejoin. */
const REVOKE_WAIT_SHARE = 0.8

/** What a member lends the revoke step: its commit, its hand-over, how it drops a slot. */
export interface RevokeSteps {
  readonly scheduler: SchedulerLike
  readonly rebalanceTimeoutMs: number
  commit(slots: readonly PartitionSlot[]): Observable<void>
  publishHandOver(slots: readonly PartitionSlot[]): Observable<void>
  drop(slot: PartitionSlot): void
  reportError(error: RxKafkaError): void
}

/**
 * The revoke step of both group members: stop fetching the slots, wait for their in-flight messages (at most a
 * share of the rebalance timeout), commit (a failed commit is reported, the revoke goes on), publish the hand-over,
 * drop the slots. Emits once when the slots are gone.
 */
export function revokeSlots(slots: readonly PartitionSlot[], steps: RevokeSteps): Observable<void> {
  for (const s of slots) if (s.state === 'assigned') s.state = 'revoking'
  const wait = Math.floor(steps.rebalanceTimeoutMs * REVOKE_WAIT_SHARE)
  return race(whenAllDrained(slots), timer(wait, steps.scheduler).pipe(switchMap(() => of(undefined)))).pipe(
    take(1),
    switchMap(() =>
      steps.commit(slots).pipe(
        catchError((error: unknown) => {
          steps.reportError(asRxKafkaError(error))
          return of(undefined)
        }),
      ),
    ),
    switchMap(() => steps.publishHandOver(slots)),
    switchMap(() => {
      for (const s of slots) steps.drop(s)
      return of(undefined)
    }),
  )
}

/** Emits once when every slot has nothing un-done (at once for none). */
export function whenAllDrained(slots: readonly PartitionSlot[]): Observable<void> {
  return new Observable<void>((subscriber) => {
    let pending = slots.length
    const one = (): void => {
      if (--pending === 0) {
        subscriber.next()
        subscriber.complete()
      }
    }
    if (pending === 0) {
      subscriber.next()
      subscriber.complete()
    }
    for (const s of slots) s.whenDrained(one)
  })
}
