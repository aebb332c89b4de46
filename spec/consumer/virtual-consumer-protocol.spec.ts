/**
 * The consumer group protocol (KIP-848) against the virtual cluster's
 * coordinator (lib/testing/virtual-consumer-group.ts), in virtual time: a
 * member joins and leaves without stopping the others, nothing is lost, and
 * stale epochs are fenced.
 */
import { describe, expect, it } from 'vitest'
import { finalize, map, merge, mergeMap, switchMap, takeUntil, timer } from 'rxjs'
import type { ClusterClient } from '../../lib/cluster/cluster-client.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { ConsumerGroupHeartbeatApi } from '../../lib/protocol/messages/ConsumerGroupHeartbeat.js'
import { OffsetCommitApi } from '../../lib/protocol/messages/OffsetCommit.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { createVirtualCluster } from '../../lib/testing/index.js'
import { createTestScheduler } from '../testing/virtual-helpers.js'

const PARTITIONS = 4

describe('virtual cluster: consumer group protocol (KIP-848)', () => {
  it('C joins at 10 s and leaves at 30 s: A and B never stop reading the partitions they keep, and every record is read', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders', partitions: PARTITIONS }], group: { consumerHeartbeatIntervalMs: 1_000 } })
      // One record per partition every 500 ms, up to 40 s.
      let produced = 0
      for (let at = 0; at < 40_000; at += 500) {
        scheduler.schedule(() => {
          for (let p = 0; p < PARTITIONS; p++) kafka.produceDirect('orders', p, [{ value: `${p}@${at}` }])
          produced += PARTITIONS
        }, at)
      }
      const read: string[] = []
      const lag: { partition: number; producedAt: number; lagMs: number }[] = []
      /** member -> partition -> [start, end] of each partition stream it had. */
      const spans = new Map<string, { partition: number; from: number; to: number }[]>()
      const reader = (client: ClusterClient, member: string) => {
        const group = consumeGroup({ client, groupId: 'kip848', topics: ['orders'], fromBeginning: true, groupProtocol: 'consumer', commitIntervalMs: 1_000 })
        return group.pipe(
          mergeMap((partition$) => {
            const span = { partition: partition$.partition, from: scheduler.now(), to: Number.NaN }
            spans.set(member, [...(spans.get(member) ?? []), span])
            return partition$.pipe(
              map((msg) => {
                read.push(msg.value!.toString())
                lag.push({ partition: msg.partition, producedAt: Number(msg.value!.toString().split('@')[1]), lagMs: scheduler.now() - Number(msg.value!.toString().split('@')[1]) })
                msg.done()
              }),
              finalize(() => (span.to = scheduler.now())),
            )
          }),
        )
      }
      const c$ = timer(10_000, scheduler).pipe(switchMap(() => reader(kafka.client('c'), 'C').pipe(takeUntil(timer(20_000, scheduler)))))
      const running = merge(reader(kafka, 'A'), reader(kafka.client('b'), 'B'), c$).subscribe()
      scheduler.schedule(() => {
        const state = kafka.consumerGroupState('kip848')!
        expect(state.members).toHaveLength(3)
        expect(state.members.flatMap((m) => m.assigned.flatMap((t) => t.partitions)).sort()).toEqual([0, 1, 2, 3])
      }, 20_000)
      scheduler.schedule(() => {
        expect(kafka.consumerGroupState('kip848')!.members).toHaveLength(2)
      }, 45_000)
      scheduler.schedule(() => running.unsubscribe(), 50_000)
      scheduler.flush()

      // Nothing lost: every produced record was read (at least once).
      expect(produced).toBe(PARTITIONS * 80)
      expect(new Set(read).size).toBe(produced)
      // Member ids are random (the client picks them), so which partitions move depends on their order;
      // what holds for every order is checked. Streams opened and closed in the same frame are left out.
      const held = (member: string) => spans.get(member)!.filter((s) => s.to > s.from)
      // C took partitions while it was in, and its streams ended when it left at 30 s.
      expect(held('C').length).toBeGreaterThan(0)
      for (const s of held('C')) expect(s.from).toBeGreaterThanOrEqual(10_000)
      for (const s of held('C')) expect(s.to).toBe(30_000)
      // A and B each kept at least one partition in one stream from the start to the end of the test.
      const kept = ['A', 'B'].map((m) => held(m).filter((s) => s.from <= 1_000 && s.to === 50_000).map((s) => s.partition))
      for (const k of kept) expect(k.length).toBeGreaterThan(0)
      // Incremental: no partition was ever held by two members at once.
      const all = ['A', 'B', 'C'].flatMap((m) => held(m).map((s) => ({ ...s, m })))
      for (const x of all) for (const y of all) if (x !== y && x.partition === y.partition && x.m !== y.m) expect(x.to <= y.from || y.to <= x.from).toBe(true)
      // Never stopped: once the first assignment settled (by 2 s), every record of a kept partition was read
      // within one produce interval of its frame, through C's join and leave.
      for (const p of kept.flat()) {
        const lags = lag.filter((l) => l.partition === p && l.producedAt >= 2_000).map((l) => l.lagMs)
        expect(lags.length).toBeGreaterThan(70)
        expect(Math.max(...lags)).toBeLessThan(500)
      }
      // Everything is committed up to the end of the log.
      expect(kafka.committedOffsets('kip848').map((o) => o.offset)).toEqual(Array.from({ length: PARTITIONS }, () => 80n))
    })
  })

  it('over the wire: join at epoch 0, a partition waits for its old owner to stop listing it, a stale epoch is fenced, a stale commit refused, leave with -1', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const kafka = createVirtualCluster({ topics: [{ name: 't', partitions: 2 }] })
      // One broker: it coordinates every group. The topic id comes with the first assignment.
      let topicId = ''
      const answers: Record<string, { errorCode: number; memberEpoch: number; assigned: number[] | null }> = {}
      const beat = (label: string, memberId: string, memberEpoch: number, owned: number[] | null, at: number) =>
        scheduler.schedule(() => {
          kafka
            .request(1, ConsumerGroupHeartbeatApi, {
              groupId: 'x',
              memberId,
              memberEpoch,
              instanceId: null,
              rackId: null,
              rebalanceTimeoutMs: 30_000,
              subscribedTopicNames: memberEpoch === 0 ? ['t'] : null,
              serverAssignor: null,
              topicPartitions: owned === null ? null : owned.length === 0 ? [] : [{ topicId, partitions: owned }],
            })
            .subscribe((r) => {
              topicId = r.assignment?.topicPartitions[0]?.topicId ?? topicId
              answers[label] = { errorCode: r.errorCode, memberEpoch: r.memberEpoch, assigned: r.assignment?.topicPartitions.flatMap((t) => t.partitions) ?? null }
            })
        }, at)
      const commit = (label: string, memberId: string, epoch: number, at: number) =>
        scheduler.schedule(() => {
          kafka
            .request(1, OffsetCommitApi, {
              groupId: 'x',
              generationIdOrMemberEpoch: epoch,
              memberId,
              groupInstanceId: null,
              topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
            })
            .subscribe((r) => (answers[label] = { errorCode: r.topics[0]!.partitions[0]!.errorCode, memberEpoch: epoch, assigned: null }))
        }, at)
      beat('a joins', 'member-a', 0, [], 10)
      beat('b joins', 'member-b', 0, [], 20)
      // A still lists both partitions: B's share waits.
      beat('b waits', 'member-b', 2, [], 30)
      beat('a revokes', 'member-a', 1, [0, 1], 40)
      // No owned partitions in the request (null) keeps the last report: A is still revoking, at epoch 1.
      beat('a done', 'member-a', 1, null, 50)
      // A stops listing its revoked partition: it moves to epoch 2, and B gets the partition at its next heartbeat.
      beat('a reports', 'member-a', 1, [0], 60)
      beat('b gets it', 'member-b', 2, [], 70)
      beat('a stale', 'member-a', 7, [], 80)
      commit('commit at a future epoch', 'member-b', 9, 90)
      commit('commit at epoch 2', 'member-b', 2, 100)
      beat('b leaves', 'member-b', -1, null, 110)
      let membersAfterLeave: string[] = []
      scheduler.schedule(() => (membersAfterLeave = kafka.consumerGroupState('x')!.members.map((m) => m.memberId)), 120)
      scheduler.flush()
      expect(answers['a joins']).toEqual({ errorCode: 0, memberEpoch: 1, assigned: [0, 1] })
      expect(answers['b joins']).toEqual({ errorCode: 0, memberEpoch: 2, assigned: [] })
      expect(answers['b waits']).toEqual({ errorCode: 0, memberEpoch: 2, assigned: null })
      // Sticky: A keeps partition 0, its share of two members.
      expect(answers['a revokes']).toEqual({ errorCode: 0, memberEpoch: 1, assigned: [0] })
      expect(answers['a done']).toEqual({ errorCode: 0, memberEpoch: 1, assigned: null })
      expect(answers['a reports']).toEqual({ errorCode: 0, memberEpoch: 2, assigned: null })
      expect(answers['b gets it']).toEqual({ errorCode: 0, memberEpoch: 2, assigned: [1] })
      expect(answers['a stale']!.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH)
      expect(answers['commit at a future epoch']!.errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH)
      expect(answers['commit at epoch 2']!.errorCode).toBe(0)
      expect(answers['b leaves']).toEqual({ errorCode: 0, memberEpoch: -1, assigned: null })
      expect(membersAfterLeave).toEqual(['member-a'])
      expect(kafka.committedOffsets('x')).toEqual([{ topic: 't', partition: 0, offset: 1n, leaderEpoch: -1, metadata: null }])
    })
  })
})
