import { describe, expect, it } from 'vitest'
import { firstValueFrom, map, type Observable } from 'rxjs'
import type { TestScheduler } from 'rxjs/testing'
import { encodeAssignment, encodeSubscription } from '../../lib/consumer/group-payloads.js'
import type { ClusterClient } from '../../lib/cluster/cluster-client.js'
import { ConnectionError } from '../../lib/errors/index.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { FindCoordinatorApi } from '../../lib/protocol/messages/FindCoordinator.js'
import { HeartbeatApi } from '../../lib/protocol/messages/Heartbeat.js'
import { JoinGroupApi, type JoinGroupResponse } from '../../lib/protocol/messages/JoinGroup.js'
import { LeaveGroupApi } from '../../lib/protocol/messages/LeaveGroup.js'
import { OffsetCommitApi } from '../../lib/protocol/messages/OffsetCommit.js'
import { OffsetFetchApi } from '../../lib/protocol/messages/OffsetFetch.js'
import { SyncGroupApi, type SyncGroupResponse } from '../../lib/protocol/messages/SyncGroup.js'
import { createVirtualCluster, VirtualClusterError, type VirtualCluster } from '../../lib/testing/index.js'
import { createTestScheduler, onlyValue, recordEvents, type Event } from './virtual-helpers.js'

const GROUP = 'billing'
const SESSION_MS = 10_000
const REBALANCE_MS = 20_000

function join(client: ClusterClient, memberId: string, options: { maxVersion?: number; protocols?: string[]; broker?: number } = {}): Observable<JoinGroupResponse> {
  const metadata = encodeSubscription({ topics: ['orders'], userData: null, ownedPartitions: [] })
  return client.request(
    options.broker ?? 1,
    JoinGroupApi,
    (version) => ({
      groupId: GROUP,
      sessionTimeoutMs: SESSION_MS,
      rebalanceTimeoutMs: REBALANCE_MS,
      memberId,
      ...(version >= 5 ? { groupInstanceId: null } : {}),
      protocolType: 'consumer',
      protocols: (options.protocols ?? ['range']).map((name) => ({ name, metadata })),
    }),
    { role: 'group', ...(options.maxVersion !== undefined ? { maxVersion: options.maxVersion } : {}) },
  )
}

function sync(client: ClusterClient, memberId: string, generationId: number, assignments: { memberId: string; partitions: number[] }[] = []): Observable<SyncGroupResponse> {
  return client.request(
    1,
    SyncGroupApi,
    (version) => ({
      groupId: GROUP,
      generationId,
      memberId,
      ...(version >= 3 ? { groupInstanceId: null } : {}),
      ...(version >= 5 ? { protocolType: 'consumer', protocolName: 'range' } : {}),
      assignments: assignments.map((a) => ({
        memberId: a.memberId,
        assignment: encodeAssignment({ assignedPartitions: [{ topic: 'orders', partitions: a.partitions }], userData: null }),
      })),
    }),
    { role: 'group' },
  )
}

function heartbeat(client: ClusterClient, memberId: string, generationId: number): Observable<{ errorCode: number }> {
  return client.request(1, HeartbeatApi, { groupId: GROUP, generationId, memberId, groupInstanceId: null })
}

function commit(client: ClusterClient, memberId: string, generationId: number, offset: bigint): Observable<number> {
  return client
    .request(1, OffsetCommitApi, {
      groupId: GROUP,
      generationIdOrMemberEpoch: generationId,
      memberId,
      groupInstanceId: null,
      topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
    })
    .pipe(map((r) => r.topics[0]!.partitions[0]!.errorCode))
}

/** Joins twice (MEMBER_ID_REQUIRED, then with the given id) at the current frame; the final answer lands in the returned array. */
function joinFully(cluster: VirtualCluster, client: ClusterClient, scheduler: TestScheduler, broker = 1): Event<JoinGroupResponse>[] {
  const answers: Event<JoinGroupResponse>[] = []
  join(client, '', { broker }).subscribe((first) => {
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED)
    join(client, first.memberId, { broker }).subscribe({
      next: (next) => answers.push({ at: scheduler.now(), next }),
      error: (error: unknown) => answers.push({ at: scheduler.now(), error }),
    })
  })
  void cluster
  return answers
}

describe('virtual cluster: group coordinator', () => {
  it('two members: member ids, a first generation, a rebalance when the second joins, leader assignment through SyncGroup', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ topics: [{ name: 'orders', partitions: 4 }] })
      const clientB = cluster.client('b')
      let a1: Event<JoinGroupResponse>[] = []
      let b2: Event<JoinGroupResponse>[] = []
      let a2: Event<JoinGroupResponse>[] = []
      let hbA: Event<{ errorCode: number }>[] = []
      let syncB: Event<SyncGroupResponse>[] = []
      let syncA: Event<SyncGroupResponse>[] = []
      let syncA1: Event<SyncGroupResponse>[] = []
      scheduler.schedule(() => {
        a1 = joinFully(cluster, cluster, scheduler)
      }, 0)
      scheduler.schedule(() => {
        const idA = onlyValue(a1).memberId
        syncA1 = recordEvents(sync(cluster, idA, 1, [{ memberId: idA, partitions: [0, 1, 2, 3] }]), scheduler)
      }, 10)
      scheduler.schedule(() => {
        b2 = joinFully(cluster, clientB, scheduler)
      }, 100)
      scheduler.schedule(() => {
        const idA = onlyValue(a1).memberId
        hbA = recordEvents(heartbeat(cluster, idA, 1), scheduler)
        a2 = recordEvents(join(cluster, idA), scheduler)
      }, 150)
      scheduler.schedule(() => {
        const idB = onlyValue(b2).memberId
        syncB = recordEvents(sync(clientB, idB, 2), scheduler)
      }, 155)
      scheduler.schedule(() => {
        const idA = onlyValue(a2).memberId
        const idB = onlyValue(b2).memberId
        syncA = recordEvents(sync(cluster, idA, 2, [{ memberId: idA, partitions: [0, 1] }, { memberId: idB, partitions: [2, 3] }]), scheduler)
      }, 160)
      let state: ReturnType<VirtualCluster['groupState']>
      scheduler.schedule(() => {
        state = cluster.groupState(GROUP)
      }, 161)
      scheduler.flush()

      const first = onlyValue(a1)
      expect(first).toMatchObject({ errorCode: 0, generationId: 1, leader: first.memberId, protocolName: 'range', protocolType: 'consumer' })
      expect(first.memberId).toBe('rxkafka-1')
      expect(first.members.map((m) => m.memberId)).toEqual(['rxkafka-1'])
      expect(onlyValue(syncA1).errorCode).toBe(0)
      expect(onlyValue(hbA).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
      // B's JoinGroup was parked from frame 100 until A rejoined at 150.
      expect(b2.map((e) => e.at)).toEqual([150])
      const second = onlyValue(b2)
      expect(second).toMatchObject({ errorCode: 0, generationId: 2, leader: 'rxkafka-1', memberId: 'b-2', members: [] })
      expect(onlyValue(a2).members.map((m) => m.memberId).sort()).toEqual(['b-2', 'rxkafka-1'])
      // B's SyncGroup waits for the leader's.
      expect(syncB.map((e) => e.at)).toEqual([160, 160])
      expect(syncA.map((e) => e.at)).toEqual([160, 160])
      expect(state).toMatchObject({ state: 'Stable', generationId: 2, leader: 'rxkafka-1', protocolName: 'range' })
      expect(state!.members.map((m) => [m.memberId, m.clientId, m.assigned])).toEqual([
        ['b-2', 'b', [{ topic: 'orders', partitions: [2, 3] }]],
        ['rxkafka-1', 'rxkafka', [{ topic: 'orders', partitions: [0, 1] }]],
      ])
    })
  })

  it('a member that stops heartbeating is removed exactly one session timeout after its last contact, and the rest rebalance', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ topics: [{ name: 'orders' }] })
      const clientB = cluster.client('b')
      let a: Event<JoinGroupResponse>[] = []
      let b: Event<JoinGroupResponse>[] = []
      const snapshots: { at: number; members: number; state: string }[] = []
      scheduler.schedule(() => {
        a = joinFully(cluster, cluster, scheduler)
        b = joinFully(cluster, clientB, scheduler)
      }, 0)
      scheduler.schedule(() => {
        const idA = onlyValue(a).memberId
        const idB = onlyValue(b).memberId
        sync(cluster, idA, 1, [{ memberId: idA, partitions: [0] }]).subscribe()
        sync(clientB, idB, 1).subscribe()
      }, 5)
      // Only A keeps heartbeating.
      const beats: Event<{ errorCode: number }>[][] = []
      for (const frame of [3_000, 6_000, 9_000, 12_000]) {
        scheduler.schedule(() => beats.push(recordEvents(heartbeat(cluster, onlyValue(a).memberId, 1), scheduler)), frame)
      }
      // The session timer of B's last contact (SyncGroup at 5) fires at 10 005, after anything scheduled earlier for that frame.
      for (const frame of [10_004, 10_005, 10_006]) {
        scheduler.schedule(() => {
          const s = cluster.groupState(GROUP)!
          snapshots.push({ at: frame, members: s.members.length, state: s.state })
        }, frame)
      }
      scheduler.flush()
      expect(onlyValue(a).generationId).toBe(1)
      expect(onlyValue(b).generationId).toBe(1)
      expect(snapshots).toEqual([
        { at: 10_004, members: 2, state: 'Stable' },
        { at: 10_005, members: 2, state: 'Stable' },
        { at: 10_006, members: 1, state: 'PreparingRebalance' },
      ])
      expect(beats.map((e) => ('next' in e[0]! ? e[0].next.errorCode : -99))).toEqual([0, 0, 0, ErrorCode.REBALANCE_IN_PROGRESS])
    })
  })

  it('a member that never rejoins is dropped at the rebalance timeout; the one that did gets the next generation', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ topics: [{ name: 'orders' }] })
      const clientB = cluster.client('b')
      let a: Event<JoinGroupResponse>[] = []
      let b: Event<JoinGroupResponse>[] = []
      let again: Event<JoinGroupResponse>[] = []
      scheduler.schedule(() => {
        a = joinFully(cluster, cluster, scheduler)
        b = joinFully(cluster, clientB, scheduler)
      }, 0)
      scheduler.schedule(() => {
        const idA = onlyValue(a).memberId
        sync(cluster, idA, 1, []).subscribe()
        sync(clientB, onlyValue(b).memberId, 1).subscribe()
        cluster.rebalance(GROUP)
        again = recordEvents(join(cluster, idA), scheduler)
      }, 5)
      // B keeps its session alive with heartbeats but never rejoins.
      for (const frame of [3_000, 6_000, 9_000, 12_000, 15_000, 18_000]) {
        scheduler.schedule(() => heartbeat(clientB, onlyValue(b).memberId, 1).subscribe(), frame)
      }
      let members: string[] = []
      scheduler.schedule(() => {
        members = cluster.groupState(GROUP)!.members.map((m) => m.memberId)
      }, 5 + REBALANCE_MS + 1)
      scheduler.flush()
      expect(again.map((e) => e.at)).toEqual([5 + REBALANCE_MS, 5 + REBALANCE_MS])
      expect(onlyValue(again)).toMatchObject({ generationId: 2, members: [{ memberId: onlyValue(a).memberId }] })
      expect(members).toEqual([onlyValue(a).memberId])
    })
  })

  it('JoinGroup before v4 gets a member id at once; an unknown member id is refused', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 'orders' }] })
    const old = await firstValueFrom(join(cluster, '', { maxVersion: 3 }))
    expect(old).toMatchObject({ errorCode: 0, generationId: 1, memberId: 'rxkafka-1' })
    const unknown = await firstValueFrom(join(cluster.client(), 'who-is-this'))
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    const mismatched = await firstValueFrom(join(cluster.client(), '', { maxVersion: 3, protocols: ['something-else'] }))
    expect(mismatched.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL)
    await cluster.close()
  })

  it('OffsetCommit checks generation and member; OffsetFetch (old and new versions) and committedOffsets return what was stored', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 'orders' }] })
    const joined = await firstValueFrom(join(cluster, '', { maxVersion: 3 }))
    const id = joined.memberId
    expect(await firstValueFrom(commit(cluster, id, 1, 5n))).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    await firstValueFrom(sync(cluster, id, 1, [{ memberId: id, partitions: [0] }]))
    expect(await firstValueFrom(commit(cluster, id, 0, 5n))).toBe(ErrorCode.ILLEGAL_GENERATION)
    expect(await firstValueFrom(commit(cluster, 'stranger', 1, 5n))).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect(cluster.committedOffsets(GROUP)).toEqual([])
    expect(await firstValueFrom(commit(cluster, id, 1, 5n))).toBe(0)
    expect(cluster.committedOffsets(GROUP)).toEqual([{ topic: 'orders', partition: 0, offset: 5n, leaderEpoch: -1, metadata: null }])

    const v9 = await firstValueFrom(
      cluster.request(1, OffsetFetchApi, { groups: [{ groupId: GROUP, memberId: null, memberEpoch: -1, topics: [{ name: 'orders', partitionIndexes: [0] }] }], requireStable: true }),
    )
    expect(v9.groups![0]!.topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: 5n, errorCode: 0 })
    const v7 = await firstValueFrom(cluster.request(1, OffsetFetchApi, { groupId: GROUP, topics: null, requireStable: false }, { maxVersion: 7 }))
    expect(v7.topics![0]).toMatchObject({ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n }] })
    const none = await firstValueFrom(cluster.request(1, OffsetFetchApi, { groupId: 'other', topics: [{ name: 'orders', partitionIndexes: [0] }] }, { maxVersion: 7 }))
    expect(none.topics![0]!.partitions[0]!.committedOffset).toBe(-1n)
    await cluster.close()
  })

  it('LeaveGroup (v3+ member list) removes the member; kickMember forces the same; bad control input is a VirtualClusterError', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 'orders' }] })
    const joined = await firstValueFrom(join(cluster, '', { maxVersion: 3 }))
    const left = await firstValueFrom(cluster.request(1, LeaveGroupApi, { groupId: GROUP, members: [{ memberId: joined.memberId, groupInstanceId: null }, { memberId: 'ghost', groupInstanceId: null }] }))
    expect(left.members!.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID])
    expect(cluster.groupState(GROUP)).toMatchObject({ state: 'Empty', members: [] })
    expect(() => cluster.kickMember(GROUP, joined.memberId)).toThrow(VirtualClusterError)
    expect(() => cluster.rebalance('no-group')).toThrow(VirtualClusterError)
    expect(() => cluster.moveLeader('orders', 3, 1)).toThrow(/no partition 3/)
    expect(() => cluster.brokerDown(9)).toThrow(/no broker 9/)
    expect(() => cluster.produceDirect('typo', [{ value: 'x' }])).toThrow(/does not exist/)
    expect(() => createVirtualCluster({ brokers: 0 })).toThrow(VirtualClusterError)
    await cluster.close()
  })

  it('injected errors answer at the top level of group APIs, for the given count, then the coordinator answers normally', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 'orders' }] })
    const joined = await firstValueFrom(join(cluster, '', { maxVersion: 3 }))
    await firstValueFrom(sync(cluster, joined.memberId, 1, [{ memberId: joined.memberId, partitions: [0] }]))
    cluster.injectError(HeartbeatApi, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, { count: 2 })
    const codes: number[] = []
    for (let i = 0; i < 3; i++) codes.push((await firstValueFrom(heartbeat(cluster, joined.memberId, 1))).errorCode)
    expect(codes).toEqual([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 0])
    cluster.injectError(FindCoordinatorApi, ErrorCode.COORDINATOR_NOT_AVAILABLE)
    const found = await firstValueFrom(cluster.request('any', FindCoordinatorApi, { keyType: 0, coordinatorKeys: [GROUP] }))
    expect(found.coordinators![0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE)
    await cluster.close()
  })

  it('coordinator failover: a JoinGroup parked at the downed coordinator fails with ConnectionError, FindCoordinator names the next broker, the group survives', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ brokers: 3, topics: [{ name: 'orders' }] })
      const clientB = cluster.client('b')
      const coordinators: Event<number>[][] = []
      let a: Event<JoinGroupResponse>[] = []
      let b: Event<JoinGroupResponse>[] = []
      let cachedByB: Event<number>[] = []
      scheduler.schedule(() => {
        coordinators.push(recordEvents(cluster.findCoordinator('group', GROUP), scheduler))
        cachedByB = recordEvents(clientB.findCoordinator('group', GROUP), scheduler)
      }, 0)
      scheduler.schedule(() => {
        a = joinFully(cluster, cluster, scheduler, onlyValue(coordinators[0]!))
      }, 1)
      scheduler.schedule(() => {
        // B's join parks: the coordinator waits for A to rejoin.
        b = joinFully(cluster, clientB, scheduler, onlyValue(coordinators[0]!))
      }, 5)
      scheduler.schedule(() => cluster.brokerDown(onlyValue(coordinators[0]!)), 10)
      let membersAfter: string[] = []
      scheduler.schedule(() => {
        // B's JoinGroup failed with a ConnectionError, so B's client forgot the coordinator it had cached and looks it up again.
        coordinators.push(recordEvents(clientB.findCoordinator('group', GROUP), scheduler))
        membersAfter = cluster.groupState(GROUP)!.members.map((m) => m.memberId)
      }, 20)
      scheduler.flush()
      const original = onlyValue(coordinators[0]!)
      expect(onlyValue(cachedByB)).toBe(original)
      const next = onlyValue(coordinators[1]!)
      expect(next).not.toBe(original)
      expect(onlyValue(a).generationId).toBe(1)
      expect(b).toHaveLength(1)
      expect(b[0]!.at).toBe(10)
      expect((b[0] as { error: unknown }).error).toBeInstanceOf(ConnectionError)
      expect(membersAfter).toEqual(['b-2', 'rxkafka-1'])
      // Nobody rejoined at the new coordinator within the rebalance timeout: the group empties.
      expect(cluster.groupState(GROUP)).toMatchObject({ state: 'Empty', members: [] })
    })
  })

  it('kickMember: the kicked member hears UNKNOWN_MEMBER_ID, the other REBALANCE_IN_PROGRESS at its next heartbeat', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 'orders' }] })
    const clientB = cluster.client('b')
    const a = await firstValueFrom(join(cluster, '', { maxVersion: 3 }))
    await firstValueFrom(sync(cluster, a.memberId, 1, [{ memberId: a.memberId, partitions: [0] }]))
    const bJoin = firstValueFrom(join(clientB, '', { maxVersion: 3 }))
    const aRejoin = await firstValueFrom(heartbeat(cluster, a.memberId, 1)).then(() => firstValueFrom(join(cluster, a.memberId)))
    const b = await bJoin
    expect([aRejoin.generationId, b.generationId]).toEqual([2, 2])
    await Promise.all([firstValueFrom(sync(cluster, a.memberId, 2, [])), firstValueFrom(sync(clientB, b.memberId, 2))])
    cluster.kickMember(GROUP, b.memberId)
    expect((await firstValueFrom(heartbeat(clientB, b.memberId, 2))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID)
    expect((await firstValueFrom(heartbeat(cluster, a.memberId, 2))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    expect(cluster.groupState(GROUP)).toMatchObject({ state: 'PreparingRebalance', members: [{ memberId: a.memberId }] })
    await cluster.close()
  })

  it('static membership (KIP-345): a restarted instance takes its place without a rebalance, its old member id is fenced', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 'orders', partitions: 2 }] })
    const staticClient = cluster.client('static')
    const staticJoin = (memberId: string) =>
      staticClient.request(
        1,
        JoinGroupApi,
        {
          groupId: GROUP,
          sessionTimeoutMs: SESSION_MS,
          rebalanceTimeoutMs: REBALANCE_MS,
          memberId,
          groupInstanceId: 'instance-s',
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: encodeSubscription({ topics: ['orders'], userData: null, ownedPartitions: [] }) }],
        },
        { role: 'group' },
      )
    const staticHeartbeat = (memberId: string) =>
      staticClient.request(1, HeartbeatApi, { groupId: GROUP, generationId: 2, memberId, groupInstanceId: 'instance-s' })

    const leader = await firstValueFrom(join(cluster, '', { maxVersion: 3 }))
    await firstValueFrom(sync(cluster, leader.memberId, 1, [{ memberId: leader.memberId, partitions: [0, 1] }]))
    // The static member needs no MEMBER_ID_REQUIRED round; its join waits for the leader to rejoin.
    const firstJoin = firstValueFrom(staticJoin(''))
    expect((await firstValueFrom(heartbeat(cluster, leader.memberId, 1))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    await firstValueFrom(join(cluster, leader.memberId))
    const s1 = await firstJoin
    expect(s1).toMatchObject({ errorCode: 0, generationId: 2, leader: leader.memberId })
    await Promise.all([
      firstValueFrom(sync(cluster, leader.memberId, 2, [{ memberId: leader.memberId, partitions: [0] }, { memberId: s1.memberId, partitions: [1] }])),
      firstValueFrom(sync(staticClient, s1.memberId, 2)),
    ])

    // The static member restarts: same instance id, no member id.
    const s2 = await firstValueFrom(staticJoin(''))
    expect(s2).toMatchObject({ errorCode: 0, generationId: 2, leader: leader.memberId, members: [] })
    expect(s2.memberId).not.toBe(s1.memberId)
    expect((await firstValueFrom(staticHeartbeat(s1.memberId))).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID)
    expect((await firstValueFrom(staticHeartbeat(s2.memberId))).errorCode).toBe(0)
    expect((await firstValueFrom(heartbeat(cluster, leader.memberId, 2))).errorCode).toBe(0)
    const kept = await firstValueFrom(sync(staticClient, s2.memberId, 2))
    expect(kept.errorCode).toBe(0)
    expect(cluster.groupState(GROUP)).toMatchObject({ state: 'Stable', generationId: 2 })
    expect(cluster.groupState(GROUP)!.members.find((m) => m.memberId === s2.memberId)!.assigned).toEqual([{ topic: 'orders', partitions: [1] }])

    // It may leave by instance id alone; then the group rebalances.
    const left = await firstValueFrom(staticClient.request(1, LeaveGroupApi, { groupId: GROUP, members: [{ memberId: '', groupInstanceId: 'instance-s' }] }))
    expect(left.members!.map((m) => m.errorCode)).toEqual([0])
    expect((await firstValueFrom(heartbeat(cluster, leader.memberId, 2))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS)
    await cluster.close()
  })

  it('a restarted static leader keeps the generation: JoinGroup v9 gives it the members with skipAssignment', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 'orders' }] })
    const staticJoin = (client: ClusterClient) =>
      firstValueFrom(
        client.request(1, JoinGroupApi, {
          groupId: GROUP,
          sessionTimeoutMs: SESSION_MS,
          rebalanceTimeoutMs: REBALANCE_MS,
          memberId: '',
          groupInstanceId: 'instance-l',
          protocolType: 'consumer',
          protocols: [{ name: 'range', metadata: Buffer.from([0, 1]) }],
          reason: null,
        }),
      )
    const first = await staticJoin(cluster)
    await firstValueFrom(sync(cluster, first.memberId, 1, [{ memberId: first.memberId, partitions: [0] }]))
    const restarted = await staticJoin(cluster.client('restarted'))
    expect(restarted).toMatchObject({ errorCode: 0, generationId: 1, leader: restarted.memberId, skipAssignment: true })
    expect(restarted.members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([[restarted.memberId, 'instance-l']])
    expect(cluster.groupState(GROUP)).toMatchObject({ state: 'Stable', generationId: 1 })
    await cluster.close()
  })
})
