/**
 * What the classic group member does with an assignment SyncGroup gave it:
 * tell the world (the rebalance event, the `assignments$` event), open a
 * substream for each new partition, find where each starts (OffsetFetch, the
 * `startingOffset` hook, ListOffsets: partition-starts.ts), and, for a
 * cooperative member, revoke what moved away and rejoin. Also the jump of a
 * partition whose offset went out of range. Each request runs as the member's
 * one group step and each error goes back to the member, which alone decides
 * what an error costs it (as with classic-join.ts).
 */
import type { Observable, Subscriber, Subscription } from 'rxjs'
import { rebalanced, type ObservedMember } from '../observability/consumer-events.js'
import type { TopicPartitions } from './assignors.js'
import type { MemberChannels } from './group-events.js'
import type { MemberState } from './member-state.js'
import { offsetChoice$, type OffsetChoice } from './offset-spec.js'
import { partitionKey } from './offset-requests.js'
import { committedStarts, groupSlots, resolveEnd, resolveEnds, startChoices, type PartitionStartContext } from './partition-starts.js'
import { PartitionSlot, type PartitionStream } from './partition-stream.js'

/** What the assignment step reads of its member and tells it. */
export interface AssignedMember {
  /** The member as the observability events key it (its rebalance's duration ends here). */
  readonly observed: ObservedMember
  /** The partitions it holds, by partitionKey; new ones are added here. */
  readonly slots: Map<string, PartitionSlot>
  /** The last committed offset of each held partition, by partitionKey (the start fills it in). */
  readonly lastCommitted: Map<string, bigint>
  state(): MemberState
  coordinator(): number | undefined
  /** The member id and generation the assignment belongs to, and whether the member leads. */
  identity(): { memberId: string; generationId: number; isLeader: boolean }
  /** The assignment came: one more rebalance, and the member is `stable`. */
  stable(): void
  /** What runs between rebalances starts: the subscription's partition counts, heartbeats, periodic commits. */
  running(): void
  /** Finishes, commits and drops `slots`, then `then` (group-member.ts's revoke). */
  revoke(slots: PartitionSlot[], then: () => void): void
  join(): void
  /** Runs `work` as the member's one group step (group-member.ts's runStep). */
  runStep<T>(work: Observable<T>, next: (value: T) => void, error: (e: unknown) => void): void
  /** A step failed without an answer; `retry` repeats it. */
  stepFailed(error: unknown, retry: () => void): void
  fatal(error: unknown): void
}

/**
 * One classic member's assignments; `assigned` takes each one SyncGroup gives.
 *
 * @example
 * ```ts
 * const assignment = new ClassicAssignment(starts, output, channels, lifetime, member)
 * assignment.assigned(protocol.name, partitions) // new substreams on output, each started where it should
 * ```
 */
export class ClassicAssignment {
  constructor(
    /** What partition starts (partition-starts.ts) need of the member; also its fetcher and options. */
    private readonly starts: PartitionStartContext,
    /** The member's stream of substreams. */
    private readonly output: Subscriber<PartitionStream>,
    private readonly channels: MemberChannels,
    /** The member's lifetime: a start or a seek in progress ends with it. */
    private readonly lifetime: Subscription,
    private readonly member: AssignedMember,
  ) {}

  assigned(protocol: string, assigned: TopicPartitions[]): void {
    const { client, group, fetch, fetcher } = this.starts
    const slots = this.member.slots
    const newKeys = new Set<string>()
    for (const t of assigned) for (const p of t.partitions) newKeys.add(partitionKey(t.topic, p))
    const revoked = [...slots.values()].filter((s) => !newKeys.has(s.key))
    const added: { topic: string; partition: number }[] = []
    for (const t of assigned) for (const p of t.partitions) if (!slots.has(partitionKey(t.topic, p))) added.push({ topic: t.topic, partition: p })
    this.member.stable()
    rebalanced(client.clientId, group.groupId, this.member.observed, protocol, assigned, added.length, revoked.length)
    this.member.running()
    const { memberId, generationId: assignedGeneration, isLeader } = this.member.identity()
    this.channels.assignment({
      groupId: group.groupId,
      generationId: assignedGeneration,
      memberId,
      protocol,
      isLeader,
      assigned,
      added: groupSlots(added),
      revoked: groupSlots(revoked),
    })
    const newSlots = added.map(({ topic, partition }) => {
      const slot = new PartitionSlot(topic, partition, assignedGeneration, fetcher, group.inOrderDone, fetch.maxUndoneMessages, fetch.maxUndoneBytes)
      slots.set(slot.key, slot)
      if (!group.noMessages) fetcher.add(slot)
      return slot
    })
    for (const slot of newSlots) {
      if (this.output.closed) return
      this.output.next(slot.stream)
    }
    const generationId = this.member.identity().generationId
    const afterStart = (): void => {
      // A later rebalance may have overtaken this one; its own steps decide then.
      if (this.member.identity().generationId !== generationId || this.member.state() !== 'stable') return
      // Cooperative: partitions that moved away are finished and committed, then we rejoin so their new owner gets them.
      if (revoked.length > 0) this.member.revoke(revoked, () => this.member.join())
    }
    // Kept partitions whose start was cut short by an earlier rebalance (cooperative members keep them) start now too.
    const unstarted = [...slots.values()].filter((s) => newKeys.has(s.key) && s.tracker === undefined && !newSlots.includes(s))
    const toStart = [...newSlots, ...unstarted]
    if (toStart.length > 0) this.startPositions(toStart, afterStart)
    else afterStart()
  }

  /** OffsetFetch (and the side channel's hand-overs), then the startingOffset hook, then ListOffsets where it names an end (partition-starts.ts). */
  private startPositions(slots: PartitionSlot[], then: () => void): void {
    const generationId = this.member.identity().generationId
    this.member.runStep(
      committedStarts(this.starts, this.member.coordinator()!, slots),
      (committed) => {
        for (const slot of slots) {
          const c = committed.get(slot.key) ?? null
          if (c !== null) this.member.lastCommitted.set(slot.key, c)
        }
        // A hook that throws or answers something that is not a start offset is fatal.
        this.member.runStep(
          startChoices(this.starts.group, slots, committed),
          (chosen) => this.lifetime.add(resolveEnds(this.starts, chosen, (slot, offset, c) => this.startSlot(slot, offset, c, generationId), then)),
          (error) => this.member.fatal(error),
        )
      },
      (error) => this.member.stepFailed(error, () => this.startPositions(slots, then)),
    )
  }

  private startSlot(slot: PartitionSlot, offset: bigint, committed: bigint | null, generationId: number): void {
    if (slot.state === 'closed') return
    slot.start(offset)
    this.channels.partitionStart({ topic: slot.topic, partition: slot.partition, offset, committed, generationId })
  }

  /** Out of range or too old: jump where the hook said (now or later); a hook that answers nonsense is fatal. */
  seek(slot: PartitionSlot, choice: OffsetChoice): void {
    this.lifetime.add(
      offsetChoice$('offsetOutOfRange', () => choice).subscribe({
        next: (spec) => {
          if (typeof spec === 'bigint') slot.seek(spec)
          else this.lifetime.add(resolveEnd(this.starts, slot, spec, (offset) => slot.seek(offset)))
        },
        error: (error: unknown) => this.member.fatal(error),
      }),
    )
  }
}
