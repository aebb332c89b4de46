/**
 * Share groups (KIP-932) in the admin client: describing one
 * (ShareGroupDescribe, one of the describers `describeGroups` tries) and the
 * share-partition start offsets of a group (DescribeShareGroupOffsets).
 * Listing needs nothing of its own: `listGroups({ types: ['share'] })`.
 */
import { map, type Observable } from 'rxjs'
import { AdminArgumentError, brokerError } from '../errors/index.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { DescribeShareGroupOffsetsApi } from '../protocol/messages/DescribeShareGroupOffsets.js'
import { ShareGroupDescribeApi } from '../protocol/messages/ShareGroupDescribe.js'
import { describeNewProtocolGroup } from './describe-new-protocol-group.js'
import { settle, type AdminRouter, type ItemAnswer } from './admin-routing.js'
import type { AdminItem, TopicPartition } from './admin-types.js'

/** What the share describer fills in (the shape of a described group). */
interface DescribedShareGroup {
  type: 'share'
  state: string
  protocolType: string
  assignor: string
  coordinator: number
  members: { memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string; assignment: TopicPartition[] }[]
}

/** Describes a share group at its coordinator; undefined when the group is not a share group (or the broker has none). */
export function describeShareGroup(router: AdminRouter, groupId: string): Observable<ItemAnswer<DescribedShareGroup> | undefined> {
  return describeNewProtocolGroup(
    router.once(() => router.toCoordinator('group', groupId, ShareGroupDescribeApi, { groupIds: [groupId], includeAuthorizedOperations: false }, (r) => r.groups[0]?.errorCode ?? 0)),
    (g) => ({
      type: 'share' as const,
      state: g.groupState,
      protocolType: 'share',
      assignor: g.assignorName,
      coordinator: -1,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: null,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: m.assignment.topicPartitions
          .flatMap((t) => t.partitions.map((partition) => ({ topic: t.topicName, partition })))
          .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
      })),
    }),
  )
}

/**
 * Where a share group stands on one partition, or why not.
 *
 * @example
 * ```ts
 * for (const p of await kafka.admin.describeShareGroupOffsets('mailers')) if (p.ok) console.log(p.topic, p.partition, p.startOffset, p.lag)
 * ```
 */
export type ShareGroupOffset = AdminItem<
  TopicPartition,
  {
    /** The share-partition start offset: every record before it is settled for the group (some after it may be too). */
    startOffset: bigint
    /** The leader epoch of the start offset, -1 when unknown. */
    leaderEpoch: number
    /** Records not yet settled by the group (DescribeShareGroupOffsets v1+), null where the broker does not say. */
    lag: bigint | null
  }
>

/**
 * The share-partition start offsets (and lag) of a share group, for the given
 * topics or, without them, every topic the group has state for.
 *
 * @example
 * ```ts
 * describeShareGroupOffsets(router, 'mailers', ['emails']).subscribe(console.log)
 * ```
 */
export function describeShareGroupOffsets(router: AdminRouter, groupId: string, topics?: readonly TopicPartition[]): Observable<ShareGroupOffset[]> {
  if (typeof groupId !== 'string' || groupId.length === 0) throw new AdminArgumentError('describeShareGroupOffsets', 'groupId', 'is not a group id', 'pass a non-empty string')
  const byTopic = new Map<string, number[]>()
  for (const tp of topics ?? []) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition])
  return router
    .once(() =>
      router.toCoordinator(
        'group',
        groupId,
        DescribeShareGroupOffsetsApi,
        { groups: [{ groupId, topics: topics === undefined ? null : [...byTopic].map(([topicName, partitions]) => ({ topicName, partitions })) }] },
        (r) => r.groups[0]?.errorCode ?? 0,
      ),
    )
    .pipe(
      map((response) => {
        const g = response.groups[0]
        if (g === undefined) throw brokerError(ErrorCode.UNKNOWN_SERVER_ERROR, { api: 'DescribeShareGroupOffsets', errorMessage: 'no group in the answer' })
        if (g.errorCode !== 0) throw brokerError(g.errorCode, { api: 'DescribeShareGroupOffsets', errorMessage: g.errorMessage })
        const out: ShareGroupOffset[] = []
        for (const t of g.topics) {
          for (const p of t.partitions) {
            const answer = { errorCode: p.errorCode, errorMessage: p.errorMessage, value: { startOffset: p.startOffset, leaderEpoch: p.leaderEpoch, lag: p.lag === undefined || p.lag < 0n ? null : p.lag } }
            out.push(settle({ topic: t.topicName, partition: p.partitionIndex }, answer, { api: 'DescribeShareGroupOffsets', topic: t.topicName, partition: p.partitionIndex }))
          }
        }
        return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
      }),
    )
}
