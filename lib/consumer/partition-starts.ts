/**
 * Where newly assigned partitions start, for both group members: the group's
 * committed offsets (OffsetFetch), the side channel's hand-over where it is
 * newer, then the `startingOffset` hook, and ListOffsets where the hook names
 * an end (or a time).
 *
 * The two members ask the hook differently. The KIP-848 member
 * (consumer-protocol-member.ts) starts each partition when its answer comes
 * ({@link startSlots}, a bad answer reported); the classic member
 * (group-member.ts) waits for every answer as one step of its rebalance
 * ({@link startChoices}, a bad answer fatal) and looks the ends up together,
 * one ListOffsets per leader ({@link resolveEnds}).
 */
import { Observable, Subscription, catchError, forkJoin, isObservable, map, of, switchMap, timer } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { partitionInfo } from '../cluster/cluster-view.js'
import type { ResolvedFetchOptions, ResolvedGroupOptions } from './consumer-options.js'
import type { Fetcher } from './fetcher.js'
import { fetchCommittedOffsets, listOffsets } from './offset-requests.js'
import type { PartitionSlot } from './partition-stream.js'
import { checkOffsetSpec, lookupKey, offsetChoice$, type OffsetLookup, type OffsetSpec } from './offset-spec.js'
import type { SidechannelOffsets } from './sidechannel.js'
import type { TopicPartitions } from './assignors.js'

/** What a partition start reports: the slot, its first offset, the committed offset. */
export type SlotStarted = (slot: PartitionSlot, offset: bigint, committed: bigint | null) => void

/** The pieces a start needs from its member. */
export interface PartitionStartContext {
  client: ClusterClient
  group: ResolvedGroupOptions
  fetch: ResolvedFetchOptions
  fetcher: Fetcher
  sidechannel: SidechannelOffsets | undefined
  connectionKey: string
  /** Reports a problem the start recovers from (a ListOffsets retried). */
  nonFatal(error: unknown): void
}

/**
 * The committed offsets of `slots` (with the side channel's newer hand-overs),
 * as one emission. Errors with the coordinator's error.
 */
export function committedStarts(ctx: PartitionStartContext, coordinator: number, slots: readonly PartitionSlot[]): Observable<Map<string, bigint | null>> {
  const committed = fetchCommittedOffsets(ctx.client, coordinator, ctx.group.groupId, groupSlots(slots), ctx.group.rebalanceTimeoutMs, ctx.connectionKey)
  const sidechannel = ctx.sidechannel
  if (sidechannel === undefined) return committed
  return sidechannel.caughtUp().pipe(
    catchError(() => of(undefined)),
    switchMap(() => committed),
    map((offsets) => {
      for (const slot of slots) {
        const handedOver = sidechannel.lookup(slot.topic, slot.partition)
        const c = offsets.get(slot.key) ?? null
        if (handedOver !== undefined && (c === null || handedOver > c)) offsets.set(slot.key, handedOver)
      }
      return offsets
    }),
  )
}

/**
 * Runs the `startingOffset` hook on each slot and starts it, looking up ends
 * with ListOffsets (retried until the slot closes). Throws what the hook
 * throws. The returned subscription cancels the look-ups.
 */
export function startSlots(
  ctx: PartitionStartContext,
  slots: readonly PartitionSlot[],
  committed: ReadonlyMap<string, bigint | null>,
  started: SlotStarted,
): Subscription {
  const lookups = new Subscription()
  ctx.fetcher.hold()
  try {
    for (const slot of slots) {
      const c = committed.get(slot.key) ?? null
      const choice = ctx.group.startingOffset(slot.topic, slot.partition, c)
      const begin = (spec: OffsetSpec): void => {
        if (typeof spec === 'bigint') started(slot, spec, c)
        else lookups.add(resolveEnd(ctx, slot, spec, (offset) => started(slot, offset, c)))
      }
      if (isObservable(choice) || (typeof choice === 'object' && choice !== null && 'then' in choice)) {
        // An answer that comes later starts the slot when it comes; a bad one is reported (this member has no fatal path here).
        lookups.add(offsetChoice$('startingOffset', () => choice).subscribe({ next: begin, error: (error: unknown) => ctx.nonFatal(error) }))
      } else {
        begin(checkOffsetSpec('startingOffset', choice))
      }
    }
  } finally {
    ctx.fetcher.release()
  }
  return lookups
}

/** The hook's answer for one slot, with the committed offset it was asked with. */
export interface StartChoice {
  slot: PartitionSlot
  committed: bigint | null
  spec: OffsetSpec
}

/**
 * Asks the `startingOffset` hook for each slot (its answers may come later: a
 * Promise or an Observable) and emits every answer at once. Errors when the
 * hook throws or answers something that is not a start.
 */
export function startChoices(group: ResolvedGroupOptions, slots: readonly PartitionSlot[], committed: ReadonlyMap<string, bigint | null>): Observable<StartChoice[]> {
  return forkJoin(
    slots.map((slot) => {
      const c = committed.get(slot.key) ?? null
      return offsetChoice$('startingOffset', () => group.startingOffset(slot.topic, slot.partition, c)).pipe(map((spec) => ({ slot, committed: c, spec })))
    }),
  )
}

/**
 * Starts the slots whose chosen start is an offset, and looks up the others
 * with ListOffsets: one request per leader, topic and end, so partitions
 * answered together start (and fetch) together; partition by partition, with
 * retries ({@link resolveEnd}), where that fails. `then` runs once every slot
 * has its start. The returned subscription cancels the look-ups.
 */
export function resolveEnds(ctx: PartitionStartContext, chosen: readonly StartChoice[], started: SlotStarted, then: () => void): Subscription {
  const lookups = new Subscription()
  const ends: (StartChoice & { spec: OffsetLookup })[] = []
  ctx.fetcher.hold()
  try {
    for (const choice of chosen) {
      const { slot, committed, spec } = choice
      if (typeof spec === 'bigint') started(slot, spec, committed)
      else ends.push({ slot, committed, spec })
    }
  } finally {
    ctx.fetcher.release()
  }
  if (ends.length === 0) {
    then()
    return lookups
  }
  let pending = ends.length
  const done = (): void => {
    if (--pending === 0) then()
  }
  const view = ctx.client.currentView()
  const groups = new Map<string, { leader: number; topic: string; which: OffsetLookup; ends: typeof ends }>()
  for (const e of ends) {
    const leader = partitionInfo(view, e.slot.topic, e.slot.partition)?.leader ?? -1
    const key = `${leader}\u0000${e.slot.topic}\u0000${lookupKey(e.spec)}`
    let g = groups.get(key)
    if (g === undefined) groups.set(key, (g = { leader, topic: e.slot.topic, which: e.spec, ends: [] }))
    g.ends.push(e)
  }
  const one = (e: (typeof ends)[number]): void => {
    lookups.add(
      resolveEnd(ctx, e.slot, e.spec, (offset) => {
        started(e.slot, offset, e.committed)
        done()
      }),
    )
  }
  for (const g of groups.values()) {
    if (g.leader < 0) {
      for (const e of g.ends) one(e)
      continue
    }
    lookups.add(
      listOffsets(ctx.client, g.leader, g.topic, g.ends.map((e) => e.slot.partition), g.which, ctx.fetch.isolationLevel, 30_000).subscribe({
        next: (offsets) => {
          ctx.fetcher.hold()
          try {
            for (const e of g.ends) {
              const offset = offsets.get(e.slot.partition)
              if (offset === undefined || offset < 0n) {
                one(e)
              } else {
                started(e.slot, offset, e.committed)
                done()
              }
            }
          } finally {
            ctx.fetcher.release()
          }
        },
        // Partition by partition, with retries, when the batch fails (a leader moved, a broker is down).
        error: () => {
          for (const e of g.ends) one(e)
        },
      }),
    )
  }
  return lookups
}

/**
 * Looks up an end (or the offset of a time) of a partition with ListOffsets at
 * its leader, retrying after a pause until it answers or the slot closes. A
 * time after the newest message means the end of the partition, as the Java
 * client's seek to a time does.
 */
export function resolveEnd(ctx: PartitionStartContext, slot: PartitionSlot, which: OffsetLookup, then: (offset: bigint) => void): Subscription {
  const work = new Subscription()
  const attempt = (): void => {
    if (slot.state === 'closed' || work.closed) return
    const leader = partitionInfo(ctx.client.currentView(), slot.topic, slot.partition)?.leader ?? -1
    const retryLater = (error?: unknown): void => {
      if (error !== undefined) ctx.nonFatal(error)
      work.add(
        timer(ctx.fetch.retryBackoffMs, ctx.client.scheduler)
          .pipe(switchMap(() => ctx.client.refreshMetadata([slot.topic])), catchError(() => of(undefined)))
          .subscribe({ complete: attempt }),
      )
    }
    if (leader < 0) {
      retryLater()
      return
    }
    work.add(
      listOffsets(ctx.client, leader, slot.topic, [slot.partition], which, ctx.fetch.isolationLevel, 30_000).subscribe({
        next: (offsets) => {
          const offset = offsets.get(slot.partition)
          // A time after the newest message: the end of the partition.
          if (offset !== undefined && offset < 0n && typeof which === 'object') work.add(resolveEnd(ctx, slot, 'latest', then))
          else if (offset === undefined || offset < 0n) retryLater()
          else then(offset)
        },
        error: retryLater,
      }),
    )
  }
  attempt()
  return work
}

/** Slots grouped by topic, partitions sorted: the shape of OffsetFetch and of assignment events. */
export function groupSlots(slots: Iterable<{ topic: string; partition: number }>): TopicPartitions[] {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of slots) {
    let partitions = byTopic.get(topic)
    if (partitions === undefined) byTopic.set(topic, (partitions = []))
    partitions.push(partition)
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }))
}
