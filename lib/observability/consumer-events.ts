/**
 * Publishers for the consumer's channels: Fetch answers and the group
 * protocol's steps (join, sync, rebalance, commit, leave). The fetcher and the
 * group member call them in one line each; every payload is built here, and
 * only when someone subscribes.
 */
import diagnostics_channel from 'node:diagnostics_channel'
import { performance } from 'node:perf_hooks'
import { defer, tap, type MonoTypeOperatorFunction, type Observable } from 'rxjs'
import { brokerError } from '../errors/index.js'
import {
  CHANNELS,
  type FetchEvent,
  type FetchPartitionEvent,
  type GroupCommitEvent,
  type GroupJoinEvent,
  type GroupLeaveEvent,
  type GroupRebalanceEvent,
  type GroupSyncEvent,
} from './channels.js'

const fetchChannel = diagnostics_channel.channel(CHANNELS.fetch)
const joinChannel = diagnostics_channel.channel(CHANNELS.groupJoin)
const syncChannel = diagnostics_channel.channel(CHANNELS.groupSync)
const rebalanceChannel = diagnostics_channel.channel(CHANNELS.groupRebalance)
const commitChannel = diagnostics_channel.channel(CHANNELS.groupCommit)
const leaveChannel = diagnostics_channel.channel(CHANNELS.groupLeave)

/** What the publishers read of a group member (GroupMember has these). */
export interface ObservedMember {
  readonly memberId: string
  readonly generationId: number
}

/** What the fetch publisher reads of a Fetch answer (FetchResponse has these). */
export interface ObservedFetchResponse {
  readonly errorCode?: number
  readonly responses: readonly {
    readonly topic?: string
    readonly topicId?: string
    readonly partitions: readonly {
      readonly partitionIndex: number
      readonly errorCode: number
      readonly highWatermark: bigint
      readonly records: Buffer | null
    }[]
  }[]
}

const MEMBER_ID_REQUIRED = 79

/** When each member's current rebalance began (its first JoinGroup since it was last stable). */
const rebalanceStarts = new WeakMap<ObservedMember, number>()

/** @internal A Fetch was answered. `topicNames` maps topic ids to names for answers by id (v13+). */
export function fetchAnswered(
  clientId: string,
  broker: number,
  response: ObservedFetchResponse,
  topicNames: () => ReadonlyMap<string, { readonly name: string; readonly topicId: string }>,
): void {
  if (!fetchChannel.hasSubscribers) return
  let names: Map<string, string> | undefined
  const partitions: FetchPartitionEvent[] = []
  let records = 0
  let bytes = 0
  for (const t of response.responses) {
    let topic = t.topic
    if (topic === undefined || topic === '') {
      if (names === undefined) {
        names = new Map()
        for (const info of topicNames().values()) names.set(info.topicId, info.name)
      }
      topic = names.get(t.topicId ?? '') ?? ''
    }
    for (const p of t.partitions) {
      const size = p.records?.length ?? 0
      const count = p.records === null ? 0 : countRecords(p.records)
      partitions.push({ topic, partition: p.partitionIndex, errorCode: p.errorCode, highWatermark: p.highWatermark, records: count, bytes: size })
      records += count
      bytes += size
    }
  }
  const event: FetchEvent = { clientId, broker, errorCode: response.errorCode ?? 0, partitions, records, bytes }
  fetchChannel.publish(event)
}

/**
 * Records in the whole batches of a Fetch answer's record set, from the batch headers without decoding
 * them: the records count of a v2 batch, one per entry of the legacy formats. A trailing partial batch
 * (cut by the size limit) is not counted.
 */
export function countRecords(set: Buffer): number {
  let count = 0
  let at = 0
  while (at + 17 <= set.length) {
    const size = 12 + set.readInt32BE(at + 8)
    if (size <= 12 || at + size > set.length) break
    const magic = set.readInt8(at + 16)
    count += magic >= 2 && size >= 61 ? set.readInt32BE(at + 57) : 1
    at += size
  }
  return count
}

function anyGroupSubscribers(): boolean {
  return joinChannel.hasSubscribers || syncChannel.hasSubscribers || rebalanceChannel.hasSubscribers
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

/**
 * Times one group request: `publish` gets its duration and its response or error. Does nothing when
 * `listening()` is false at subscription.
 */
function observeStep<T>(listening: () => boolean, onStart: () => void, publish: (durationMs: number, response: T | undefined, error: unknown) => void): MonoTypeOperatorFunction<T> {
  return (source: Observable<T>) =>
    defer(() => {
      if (!listening()) return source
      onStart()
      const startedAt = performance.now()
      return source.pipe(
        tap({
          next: (response) => publish(performance.now() - startedAt, response, undefined),
          error: (error: unknown) => publish(performance.now() - startedAt, undefined, error),
        }),
      )
    })
}

/** @internal Observes a JoinGroup request of `member`; it also marks the start of a rebalance. */
export function observeJoin<T extends { errorCode: number; generationId: number; memberId: string; leader: string; protocolName: string | null }>(
  clientId: string,
  groupId: string,
  member: ObservedMember,
  coordinator: number,
): MonoTypeOperatorFunction<T> {
  return observeStep<T>(
    anyGroupSubscribers,
    () => {
      if (!rebalanceStarts.has(member)) rebalanceStarts.set(member, performance.now())
    },
    (durationMs, response, error) => {
      if (!joinChannel.hasSubscribers) return
      // MEMBER_ID_REQUIRED (KIP-394) is the first half of a normal join: the member id, no generation, no error.
      const code = response?.errorCode ?? 0
      const failure = error !== undefined ? asError(error) : code !== 0 && code !== MEMBER_ID_REQUIRED ? brokerError(code, { api: 'JoinGroup', broker: coordinator }) : undefined
      const ok = failure === undefined
      const event: GroupJoinEvent = {
        clientId,
        groupId,
        memberId: ok ? response!.memberId : member.memberId,
        generationId: ok ? response!.generationId : member.generationId,
        leader: ok && response!.leader === response!.memberId,
        protocol: ok ? response!.protocolName : null,
        durationMs,
      }
      if (failure !== undefined) event.error = failure
      joinChannel.publish(event)
    },
  )
}

/** @internal Observes a SyncGroup request of `member`. */
export function observeSync<T extends { errorCode: number }>(clientId: string, groupId: string, member: ObservedMember, coordinator: number): MonoTypeOperatorFunction<T> {
  return observeStep<T>(
    () => syncChannel.hasSubscribers,
    () => undefined,
    (durationMs, response, error) => {
      const failure = error !== undefined ? asError(error) : response!.errorCode !== 0 ? brokerError(response!.errorCode, { api: 'SyncGroup', broker: coordinator }) : undefined
      const event: GroupSyncEvent = { clientId, groupId, memberId: member.memberId, generationId: member.generationId, durationMs }
      if (failure !== undefined) event.error = failure
      syncChannel.publish(event)
    },
  )
}

/** @internal `member` has its assignment: its rebalance is over. */
export function rebalanced(clientId: string, groupId: string, member: ObservedMember, protocol: string, assigned: readonly { partitions: readonly number[] }[], added: number, revoked: number): void {
  const startedAt = rebalanceStarts.get(member)
  rebalanceStarts.delete(member)
  if (!rebalanceChannel.hasSubscribers) return
  let count = 0
  for (const t of assigned) count += t.partitions.length
  const event: GroupRebalanceEvent = {
    clientId,
    groupId,
    memberId: member.memberId,
    generationId: member.generationId,
    protocol,
    durationMs: startedAt === undefined ? -1 : performance.now() - startedAt,
    assigned: count,
    added,
    revoked,
  }
  rebalanceChannel.publish(event)
}

/** @internal Observes an OffsetCommit of `member`. */
export function observeCommit<T>(
  clientId: string,
  groupId: string,
  member: ObservedMember,
  offsets: readonly { topic: string; partition: number; offset: bigint }[],
): MonoTypeOperatorFunction<T> {
  return observeStep<T>(
    () => commitChannel.hasSubscribers,
    () => undefined,
    (durationMs, _response, error) => {
      const event: GroupCommitEvent = {
        clientId,
        groupId,
        memberId: member.memberId,
        generationId: member.generationId,
        offsets: offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
        durationMs,
      }
      if (error !== undefined) event.error = asError(error)
      commitChannel.publish(event)
    },
  )
}

/** @internal Observes the LeaveGroup of a member (it has stopped: its id and generation are passed as they were). */
export function observeLeave<T>(clientId: string, groupId: string, memberId: string, generationId: number): MonoTypeOperatorFunction<T> {
  return observeStep<T>(
    () => leaveChannel.hasSubscribers,
    () => undefined,
    (durationMs, _response, error) => {
      const event: GroupLeaveEvent = { clientId, groupId, memberId, generationId, durationMs }
      if (error !== undefined) event.error = asError(error)
      leaveChannel.publish(event)
    },
  )
}
