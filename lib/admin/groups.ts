/**
 * Groups: list (every broker, with states and types), describe and delete
 * (each group's coordinator). A group of the consumer protocol (KIP-848) is
 * described with ConsumerGroupDescribe, a classic one with DescribeGroups:
 * ConsumerGroupDescribe is asked first and answers GROUP_ID_NOT_FOUND for a
 * classic group, as Kafka's own admin client does it.
 *
 * Share groups have their describer in share-groups.ts (ShareGroupDescribe);
 * a new group type adds one to `DESCRIBERS` below and a value to
 * {@link GroupType}; list and delete already serve every type.
 */
import { concatMap, forkJoin, from, map, type Observable, of, toArray } from 'rxjs'
import { AdminArgumentError, brokerError } from '../errors/index.js'
import { ErrorCode } from '../protocol/error-codes.js'
import { ConsumerGroupDescribeApi } from '../protocol/messages/ConsumerGroupDescribe.js'
import { ConsumerProtocolAssignmentData } from '../protocol/messages/ConsumerProtocolAssignment.js'
import { DeleteGroupsApi } from '../protocol/messages/DeleteGroups.js'
import { DescribeGroupsApi } from '../protocol/messages/DescribeGroups.js'
import { ListGroupsApi } from '../protocol/messages/ListGroups.js'
import { Reader } from '../protocol/primitives.js'
import { describeNewProtocolGroup } from './describe-new-protocol-group.js'
import { settle, type AdminRouter, type ItemAnswer } from './admin-routing.js'
import type { AdminItem, TopicPartition } from './admin-types.js'
import { describeShareGroup } from './share-groups.js'

/**
 * The kind of group: `classic` (JoinGroup/SyncGroup), `consumer` (KIP-848),
 * or a type this client does not know yet, as the broker names it.
 *
 * @example
 * ```ts
 * await kafka.admin.listGroups({ types: ['consumer'] })
 * ```
 */
export type GroupType = 'classic' | 'consumer' | 'share' | 'streams'

/**
 * A group as ListGroups lists it.
 *
 * @example
 * ```ts
 * for (const g of await kafka.admin.listGroups()) console.log(g.groupId, g.state, g.type)
 * ```
 */
export interface GroupListing {
  /** The group id. */
  groupId: string
  /** `consumer` for consumer groups, `connect` for Connect workers, '' for a group that never had members. */
  protocolType: string
  /** Such as `Stable`, `Empty`, `PreparingRebalance` (classic) or `Assigning`, `Reconciling` (consumer). */
  state: string
  /** The group's type. */
  type: string
  /** The coordinator that listed it. */
  coordinator: number
}

/**
 * Filters of {@link Admin.listGroups}.
 *
 * @example
 * ```ts
 * await kafka.admin.listGroups({ states: ['Empty'], types: ['classic'] })
 * ```
 */
export interface ListGroupsOptions {
  /** Only groups in these states (as the broker spells them, such as `Stable`). */
  states?: readonly string[]
  /** Only groups of these types. */
  types?: readonly GroupType[]
}

/**
 * A member of a described group, with its assignment decoded.
 *
 * @example
 * ```ts
 * const member: GroupMember = { memberId: 'm-1', groupInstanceId: null, clientId: 'billing', clientHost: '/127.0.0.1', assignment: [{ topic: 'orders', partition: 0 }] }
 * ```
 */
export interface GroupMember {
  /** The member id the coordinator gave it. */
  memberId: string
  /** Its static membership id, or null. */
  groupInstanceId: string | null
  /** The client id it connected with. */
  clientId: string
  /** Where it connects from. */
  clientHost: string
  /** Its partitions, sorted (empty when the payload is not the consumer protocol's). */
  assignment: TopicPartition[]
}

/**
 * What a group's description says, whichever protocol it uses.
 *
 * @example
 * ```ts
 * const [g] = await kafka.admin.describeGroups(['billing'])
 * const described: DescribedGroup | undefined = g.ok ? g : undefined
 * ```
 */
export interface DescribedGroup {
  /** The group's type. */
  type: GroupType
  /** Such as `Stable` or `Empty`. */
  state: string
  /** `consumer` for consumer groups. */
  protocolType: string
  /** The assignor in use (`range`, `uniform`, ...), '' when none. */
  assignor: string
  /** Its coordinator. */
  coordinator: number
  /** The members. */
  members: GroupMember[]
}

/**
 * A described group, or why not (GROUP_ID_NOT_FOUND, GROUP_AUTHORIZATION_FAILED).
 *
 * @example
 * ```ts
 * const [g] = await kafka.admin.describeGroups(['billing'])
 * if (g.ok) console.log(g.state, g.members.map((m) => m.assignment))
 * ```
 */
export type GroupDescription = AdminItem<
  {
    /** The group id. */
    groupId: string
  },
  DescribedGroup
>

/**
 * A deleted group, or why not (NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND).
 *
 * @example
 * ```ts
 * const [r] = await kafka.admin.deleteGroups(['billing'])
 * if (!r.ok && r.error.code === 'NON_EMPTY_GROUP') console.log('still has members')
 * ```
 */
export type DeleteGroupResult = AdminItem<{
  /** The group id. */
  groupId: string
}, object>


/**
 * Lists every group of every broker (each broker lists the groups it coordinates).
 *
 * @example
 * ```ts
 * listGroups(router, { types: ['classic'] }).subscribe(console.log)
 * ```
 */
export function listGroups(router: AdminRouter, options: ListGroupsOptions = {}): Observable<GroupListing[]> {
  return router
    .toEveryBroker(ListGroupsApi, (version) => ({
      ...(version >= 4 ? { statesFilter: [...(options.states ?? [])] } : {}),
      ...(version >= 5 ? { typesFilter: [...(options.types ?? [])] } : {}),
    }))
    .pipe(
      map((answers) => {
        const groups: GroupListing[] = []
        for (const [coordinator, response] of answers) {
          if (response.errorCode !== 0) throw brokerError(response.errorCode, { api: 'ListGroups', broker: coordinator })
          for (const g of response.groups) {
            groups.push({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState ?? '', type: g.groupType ?? 'classic', coordinator })
          }
        }
        return groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
      }),
    )
}

function checkGroupIds(call: string, groupIds: readonly string[]): void {
  if (groupIds.length === 0) throw new AdminArgumentError(call, 'groupIds', 'is empty', 'name at least one group')
  groupIds.forEach((id, i) => {
    if (typeof id !== 'string' || id.length === 0) throw new AdminArgumentError(call, `groupIds[${i}]`, 'is not a group id', 'pass a non-empty string')
  })
}

/** A describer asks one group's coordinator; it answers undefined when the group is not of its type. */
type Describer = (router: AdminRouter, groupId: string) => Observable<ItemAnswer<DescribedGroup> | undefined>

const describeConsumerGroup: Describer = (router, groupId) =>
  describeNewProtocolGroup(
    router.once(() =>
      router.toCoordinator('group', groupId, ConsumerGroupDescribeApi, { groupIds: [groupId], includeAuthorizedOperations: false }, (r) => r.groups[0]?.errorCode ?? 0),
    ),
    (g) => ({
      type: 'consumer' as const,
      state: g.groupState,
      protocolType: 'consumer',
      assignor: g.assignorName,
      coordinator: router.client.currentView().controllerId,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.instanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        assignment: sortTp(m.assignment.topicPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topicName, partition })))),
      })),
    }),
  )

const describeClassicGroup: Describer = (router, groupId) =>
  router
    .once(() => router.toCoordinator('group', groupId, DescribeGroupsApi, { groups: [groupId], includeAuthorizedOperations: false }, (r) => r.groups[0]?.errorCode ?? 0))
    .pipe(
      map((response) => {
        const g = response.groups[0]
        if (g === undefined) return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'no group in the answer' }
        // Before v6 an unknown group is answered "Dead" without an error.
        if (g.errorCode === 0 && g.groupState === 'Dead') return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND }
        return {
          errorCode: g.errorCode,
          errorMessage: g.errorMessage ?? null,
          value: {
            type: 'classic' as const,
            state: g.groupState,
            protocolType: g.protocolType,
            assignor: g.protocolData,
            coordinator: -1,
            members: g.members.map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId ?? null,
              clientId: m.clientId,
              clientHost: m.clientHost,
              assignment: g.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : [],
            })),
          },
        }
      }),
    )

/** Tried in order; the first that recognises the group answers. */
const DESCRIBERS: readonly Describer[] = [describeConsumerGroup, describeShareGroup, describeClassicGroup]

function describeWith(router: AdminRouter, groupId: string, index: number): Observable<ItemAnswer<DescribedGroup> | undefined> {
  const describer = DESCRIBERS[index]
  if (describer === undefined) return of(undefined)
  return describer(router, groupId).pipe(concatMap((answer) => (answer !== undefined ? of(answer) : describeWith(router, groupId, index + 1))))
}

function decodeAssignment(bytes: Buffer): TopicPartition[] {
  if (bytes.length === 0) return []
  try {
    const reader = new Reader(bytes)
    const version = reader.int16()
    const decoded = ConsumerProtocolAssignmentData.decode(reader, Math.min(Math.max(version, 0), ConsumerProtocolAssignmentData.maxVersion))
    return sortTp(decoded.assignedPartitions.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))))
  } catch {
    return []
  }
}

function sortTp(list: TopicPartition[]): TopicPartition[] {
  return list.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
}

/**
 * Describes groups, each at its coordinator: state, type, assignor and members
 * with their assignments decoded.
 *
 * @example
 * ```ts
 * describeGroups(router, ['billing']).subscribe(([g]) => console.log(g))
 * ```
 */
export function describeGroups(router: AdminRouter, groupIds: readonly string[]): Observable<GroupDescription[]> {
  checkGroupIds('describeGroups', groupIds)
  return from(groupIds).pipe(
    concatMap((groupId) =>
      describeWith(router, groupId, 0).pipe(
        concatMap((found) =>
          router.client.findCoordinator('group', groupId).pipe(
            map((coordinator) => {
              const answer = found ?? { errorCode: ErrorCode.GROUP_ID_NOT_FOUND }
              if (answer.value !== undefined) answer.value.coordinator = coordinator
              return settle({ groupId }, answer, { api: 'DescribeGroups' })
            }),
          ),
        ),
      ),
    ),
    toArray(),
  )
}

/**
 * Deletes groups (only empty ones can be), each at its coordinator.
 *
 * @example
 * ```ts
 * deleteGroups(router, ['old-billing']).subscribe(console.log)
 * ```
 */
export function deleteGroups(router: AdminRouter, groupIds: readonly string[]): Observable<DeleteGroupResult[]> {
  checkGroupIds('deleteGroups', groupIds)
  return forkJoin(
    groupIds.map((groupId) =>
      router
        .once(() => router.toCoordinator('group', groupId, DeleteGroupsApi, { groupsNames: [groupId] }, (r) => r.results[0]?.errorCode ?? 0))
        .pipe(
          map((response) => {
            const r = response.results.find((x) => x.groupId === groupId)
            return settle({ groupId }, r === undefined ? undefined : { errorCode: r.errorCode, errorMessage: r.errorMessage ?? null, value: {} }, { api: 'DeleteGroups' })
          }),
        ),
    ),
  )
}
