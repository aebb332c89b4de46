/**
 * The offset APIs the consumer needs, each as a cold Observable that emits
 * once: committed offsets (OffsetFetch), commits (OffsetCommit), and the
 * earliest/latest offsets of partitions (ListOffsets). Broker error codes
 * become typed errors that name the group, topic and partition.
 */
import { map, type Observable } from 'rxjs'
import type { ClusterClient } from '../cluster/cluster-client.js'
import { brokerError } from '../errors/index.js'
import { ListOffsetsApi } from '../protocol/messages/ListOffsets.js'
import { OffsetCommitApi } from '../protocol/messages/OffsetCommit.js'
import { OffsetFetchApi } from '../protocol/messages/OffsetFetch.js'
import type { TopicPartitions } from './assignors.js'
import type { OffsetLookup } from './offset-spec.js'

/** `topic\0partition`, the key of every per-partition map in the consumer. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

/** Committed offsets of the given partitions; null where the group has none. */
export function fetchCommittedOffsets(
  client: ClusterClient,
  coordinator: number,
  groupId: string,
  partitions: readonly TopicPartitions[],
  timeoutMs: number,
  connectionKey?: string,
): Observable<Map<string, bigint | null>> {
  return client
    .request(
      coordinator,
      OffsetFetchApi,
      (version) =>
        version >= 8
          ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: partitions.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })) }], requireStable: true }
          : {
              groupId,
              topics: partitions.map((t) => ({ name: t.topic, partitionIndexes: t.partitions })),
              // Stable offsets (KIP-447): never start behind a transactional commit that is still pending.
              ...(version >= 7 ? { requireStable: true } : {}),
            },
      { timeoutMs, ...(connectionKey === undefined ? {} : { connectionKey }) },
    )
    .pipe(
      map((response) => {
        const result = new Map<string, bigint | null>()
        const group = response.groups?.[0]
        const topLevel = group?.errorCode ?? response.errorCode ?? 0
        if (topLevel !== 0) throw brokerError(topLevel, { api: 'OffsetFetch', broker: coordinator })
        const topics = group?.topics ?? response.topics ?? []
        // Topics come back by name up to OffsetFetch v9, the highest the client negotiates (lib/connection/version-caps.ts).
        for (const { name = '', partitions } of topics) {
          for (const p of partitions) {
            if (p.errorCode !== 0) throw brokerError(p.errorCode, { api: 'OffsetFetch', broker: coordinator, topic: name, partition: p.partitionIndex })
            result.set(partitionKey(name, p.partitionIndex), p.committedOffset < 0n ? null : p.committedOffset)
          }
        }
        return result
      }),
    )
}

/** Who commits: generation and member id fence commits from members that lost their partitions. */
export interface CommitIdentity {
  /** The group id. */
  groupId: string
  /** The generation the member is in, -1 between generations. */
  generationId: number
  /** The member id the coordinator gave, empty before the first join. */
  memberId: string
  /** The static member id (KIP-345), null for a dynamic member. */
  groupInstanceId: string | null
}

/** One offset to commit. */
export interface OffsetToCommit {
  topic: string
  partition: number
  offset: bigint
  leaderEpoch: number
}

/** Commits offsets; errors with the first partition error. */
export function commitOffsets(
  client: ClusterClient,
  coordinator: number,
  identity: CommitIdentity,
  offsets: readonly OffsetToCommit[],
  timeoutMs: number,
  connectionKey?: string,
): Observable<void> {
  const byTopic = new Map<string, OffsetToCommit[]>()
  for (const o of offsets) {
    let list = byTopic.get(o.topic)
    if (list === undefined) byTopic.set(o.topic, (list = []))
    list.push(o)
  }
  return client
    .request(
      coordinator,
      OffsetCommitApi,
      (version) => ({
        groupId: identity.groupId,
        ...(version >= 1 ? { generationIdOrMemberEpoch: identity.generationId, memberId: identity.memberId } : {}),
        ...(version >= 7 ? { groupInstanceId: identity.groupInstanceId } : {}),
        ...(version >= 2 && version <= 4 ? { retentionTimeMs: -1n } : {}),
        topics: [...byTopic].map(([name, list]) => ({
          name,
          partitions: list.map((o) => ({
            partitionIndex: o.partition,
            committedOffset: o.offset,
            ...(version >= 6 ? { committedLeaderEpoch: o.leaderEpoch } : {}),
            ...(version === 1 ? { commitTimestamp: -1n } : {}),
            committedMetadata: null,
          })),
        })),
      }),
      { timeoutMs, ...(connectionKey === undefined ? {} : { connectionKey }) },
    )
    .pipe(
      map((response) => {
        for (const t of response.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) {
              throw brokerError(p.errorCode, { api: 'OffsetCommit', broker: coordinator, topic: t.name, partition: p.partitionIndex })
            }
          }
        }
      }),
    )
}

function lookupTimestamp(which: OffsetLookup): bigint {
  if (which === 'earliest') return EARLIEST_TIMESTAMP
  if (which === 'latest') return LATEST_TIMESTAMP
  return BigInt(which.timestamp)
}

/** Timestamps ListOffsets understands for the two ends of a partition. */
const EARLIEST_TIMESTAMP = -2n
const LATEST_TIMESTAMP = -1n

/**
 * The earliest or latest offset of partitions of one topic led by one broker,
 * or the first offset at or after a time (-1 where no message is that recent).
 */
export function listOffsets(
  client: ClusterClient,
  leader: number,
  topic: string,
  partitions: readonly number[],
  which: OffsetLookup,
  isolationLevel: 0 | 1,
  timeoutMs: number,
): Observable<Map<number, bigint>> {
  return client
    .request(
      leader,
      ListOffsetsApi,
      (version) => ({
        replicaId: -1,
        ...(version >= 2 ? { isolationLevel } : {}),
        topics: [{ name: topic, partitions: partitions.map((p) => ({ partitionIndex: p, timestamp: lookupTimestamp(which), maxNumOffsets: 1 })) }],
      }),
      // By time needs v1 (v0 answers with segment starts, not the offset of a time).
      { timeoutMs, ...(typeof which === 'object' ? { minVersion: 1 } : {}) },
    )
    .pipe(
      map((response) => {
        const result = new Map<number, bigint>()
        for (const t of response.topics) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw brokerError(p.errorCode, { api: 'ListOffsets', broker: leader, topic: t.name, partition: p.partitionIndex })
            const offset = p.offset ?? p.oldStyleOffsets?.[0] ?? -1n
            result.set(p.partitionIndex, offset)
          }
        }
        return result
      }),
    )
}
