/**
 * The snapshot a group member gives `kafka.diagnostics()`: the member's
 * membership and counters, and the numbers of each partition it holds. Shared
 * by both group members (classic and KIP-848), so the shape is one.
 */
import type { Fetcher, FetchSessionDiagnostics } from './fetcher.js'
import type { MemberState } from './member-state.js'
import type { PartitionSlot } from './partition-stream.js'

/** A partition's numbers in a diagnostics snapshot. */
export interface PartitionDiagnostics {
  /** The topic. */
  topic: string
  /** The partition. */
  partition: number
  /** Its leader's broker id, as the consumer knows it (-1 when unknown). */
  leader: number
  /** Next offset to fetch. */
  position: bigint | null
  /** Offset a commit now would write. */
  commitPoint: bigint | null
  /** The offset last committed by this member, null before its first commit. */
  lastCommitted: bigint | null
  /** The partition's high watermark from the last fetch, null before one. */
  highWatermark: bigint | null
  /** High watermark minus position: messages not yet fetched. */
  lag: bigint | null
  /** Messages delivered and not yet done. */
  undoneMessages: number
  /** Their bytes. */
  undoneBytes: number
  /** Whether fetching is paused because un-done messages reached maxUndoneMessages or maxUndoneBytes. */
  pausedByDemand: boolean
  /** Whether its substream has a subscriber (no subscriber: nothing is fetched). */
  subscribed: boolean
  /** `assigned`, `revoking` (finishing before the hand-over) or `closed`. */
  state: string
}

/** A snapshot of one group member for `kafka.diagnostics()`. */
export interface GroupMemberDiagnostics {
  /** The group id. */
  groupId: string
  /** Where the member is: `stable` when consuming; `joining`/`syncing` during a rebalance. */
  state: MemberState
  /** The member id, empty before the first join. */
  memberId: string
  /** The current generation, -1 before the first. */
  generationId: number
  /** The coordinator's broker id, null until found. */
  coordinator: number | null
  /** The assignor the group agreed on, null before the first assignment. */
  protocol: string | null
  /** Assignments received so far. */
  rebalances: number
  /** Fetch requests sent so far. */
  fetches: number
  /** Messages delivered so far. */
  messages: number
  /** The fetch session (KIP-227) with each broker fetched from. */
  fetchSessions: FetchSessionDiagnostics[]
  /** Every partition it holds. */
  partitions: PartitionDiagnostics[]
}

/** One held partition as a diagnostics snapshot shows it; `lastCommitted` is what this member last committed for it. */
export function slotDiagnostics(slot: PartitionSlot, lastCommitted: bigint | undefined): PartitionDiagnostics {
  const position = slot.position ?? null
  const hw = slot.highWatermark >= 0n ? slot.highWatermark : null
  return {
    topic: slot.topic,
    partition: slot.partition,
    leader: slot.leader,
    position,
    commitPoint: slot.commitPoint ?? null,
    lastCommitted: lastCommitted ?? null,
    highWatermark: hw,
    lag: hw !== null && position !== null ? (hw > position ? hw - position : 0n) : null,
    undoneMessages: slot.tracker?.undoneCount ?? 0,
    undoneBytes: slot.tracker?.undoneBytes ?? 0,
    pausedByDemand: slot.pausedByDemand,
    subscribed: slot.subscriber !== undefined,
    state: slot.state,
  }
}

/** What a member's snapshot is made of: its membership and counters as they are now, its fetcher, what it holds. */
export interface DiagnosedMember {
  groupId: string
  state: MemberState
  memberId: string
  /** The classic generation, or the KIP-848 member epoch. */
  generationId: number
  coordinator: number | undefined
  /** The agreed assignor (classic) or the server-side one asked for (KIP-848). */
  protocol: string | null
  rebalances: number
  fetcher: Pick<Fetcher, 'fetches' | 'messages' | 'sessionDiagnostics'>
  /** The held partitions, by partitionKey. */
  slots: ReadonlyMap<string, PartitionSlot>
  /** What this member last committed for each held partition, by partitionKey. */
  lastCommitted: ReadonlyMap<string, bigint>
}

/**
 * One member's diagnostics snapshot, built the same way for both members.
 *
 * @example
 * ```ts
 * const snapshot = memberDiagnostics({ groupId, state, memberId, generationId, coordinator, protocol, rebalances, fetcher, slots, lastCommitted })
 * snapshot.partitions.map((p) => p.lag)
 * ```
 */
export function memberDiagnostics(member: DiagnosedMember): GroupMemberDiagnostics {
  return {
    groupId: member.groupId,
    state: member.state,
    memberId: member.memberId,
    generationId: member.generationId,
    coordinator: member.coordinator ?? null,
    protocol: member.protocol,
    rebalances: member.rebalances,
    fetches: member.fetcher.fetches,
    messages: member.fetcher.messages,
    fetchSessions: member.fetcher.sessionDiagnostics(),
    partitions: [...member.slots.values()].map((s) => slotDiagnostics(s, member.lastCommitted.get(s.key))),
  }
}
