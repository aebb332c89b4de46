/**
 * Consumer situations the virtual cluster sets up at exact frames: retention
 * deleting what a member was about to read, a leader moving under a live
 * tail, a group-less reader of every partition, and an incremental
 * (cooperative) rebalance.
 */
import { describe, expect, it } from 'vitest'
import { map, merge, mergeMap, switchMap, timer } from 'rxjs'
import type { ClusterClient } from '../../lib/cluster/cluster-client.js'
import { consumePartitions, cooperativeStickyAssignor } from '../../lib/consumer/index.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { createVirtualCluster } from '../../lib/testing/index.js'
import { createTestScheduler } from '../testing/virtual-helpers.js'

describe('virtual cluster: consumer situations', () => {
  it('retention removed the starting offset: the fetch hears OFFSET_OUT_OF_RANGE and the member restarts where offsetOutOfRange says', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
      for (const value of ['a', 'b', 'c']) kafka.produceDirect('orders', 0, [{ value }])
      kafka.deleteRecordsBefore('orders', 0, 2n)
      const group = consumeGroup({ client: kafka, groupId: 'g', topics: ['orders'], startingOffset: () => 1n, offsetOutOfRange: () => 'earliest' })
      const values = group.pipe(mergeMap((partition$) => partition$.pipe(map((msg) => (msg.done(), `${msg.offset}:${msg.value}`)))))
      expectObservable(values, '^ 999ms !').toBe('x', { x: '2:c' })
    })
  })

  it('a leader moves at frame 1000 under a long-polling member: it follows the partition and misses nothing', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable, cold }) => {
      const kafka = createVirtualCluster({ brokers: 2, topics: [{ name: 'orders' }] })
      kafka.feed('orders', cold('500ms a 999ms b 999ms c', { a: { value: 'a' }, b: { value: 'b' }, c: { value: 'c' } }))
      scheduler.schedule(() => kafka.moveLeader('orders', 0, 2), 1_000)
      const group = consumeGroup({ client: kafka, groupId: 'g', topics: ['orders'] })
      const values = group.pipe(mergeMap((partition$) => partition$.pipe(map((msg) => (msg.done(), `${msg.offset}:${msg.value}`)))))
      expectObservable(values, '^ 2999ms !').toBe('500ms x 999ms y 999ms z', { x: '0:a', y: '1:b', z: '2:c' })
      scheduler.schedule(() => {
        // The fetches after the move went to broker 2.
        expect(new Set(kafka.requests().filter((r) => r.api === 'Fetch' && r.at > 1_000).map((r) => r.broker))).toEqual(new Set([2]))
      }, 2_998)
    })
  })

  it('consumePartitions reads every partition from the earliest offset, then tails new records at their frames', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable, cold }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders', partitions: 2 }] })
      kafka.produceDirect('orders', 0, [{ value: 'a' }, { value: 'b' }])
      kafka.produceDirect('orders', 1, [{ value: 'c' }])
      kafka.feed('orders', cold('250ms d', { d: { value: 'd', partition: 1 } }))
      const values = consumePartitions({ client: kafka, topic: 'orders', from: 'earliest' }).pipe(
        mergeMap((partition$) => partition$.pipe(map((msg) => `${msg.partition}/${msg.offset}:${msg.value}`))),
      )
      expectObservable(values, '^ 499ms !').toBe('(xyz) 245ms w', { x: '0/0:a', y: '0/1:b', z: '1/0:c', w: '1/1:d' })
    })
  })

  it('cooperative-sticky: a member joining at 2000 gets partitions 2 and 3 over two generations while the first never stops reading 0 and 1', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders', partitions: 4 }] })
      for (let p = 0; p < 4; p++) kafka.produceDirect('orders', p, [{ value: 'x' }])
      scheduler.schedule(() => {
        for (let p = 0; p < 4; p++) kafka.produceDirect('orders', p, [{ value: 'y' }])
      }, 5_000)
      const events: string[] = []
      const reader = (client: ClusterClient, member: string) => {
        const group = consumeGroup({ client, groupId: 'coop', topics: ['orders'], fromBeginning: true, heartbeatIntervalMs: 1_000, assignors: [cooperativeStickyAssignor] })
        group.assignments$.subscribe((e) =>
          events.push(`${scheduler.now()} ${member} gen ${e.generationId} +${e.added.flatMap((t) => t.partitions).join(',')} -${e.revoked.flatMap((t) => t.partitions).join(',')}`),
        )
        return group.pipe(mergeMap((partition$) => partition$.pipe(map((msg) => (msg.done(), `${member}:${msg.partition}@${msg.offset}`)))))
      }
      const both = merge(reader(kafka, 'A'), timer(2_000, scheduler).pipe(switchMap(() => reader(kafka.client('b'), 'B'))))
      expectObservable(both, '^ 9999ms !').toBe('(abcd) 4994ms (efgh)', {
        a: 'A:0@0',
        b: 'A:1@0',
        c: 'A:2@0',
        d: 'A:3@0',
        e: 'A:0@1',
        f: 'B:2@1',
        g: 'A:1@1',
        h: 'B:3@1',
      })
      scheduler.schedule(() => {
        // 3000: A hears of B at its heartbeat and gives up 2 and 3 only (generation 2); it rejoins at
        // once, and B, at its own heartbeat at 4000, rejoins into generation 3, which hands them to B.
        expect(events).toEqual(['0 A gen 1 +0,1,2,3 -', '3000 A gen 2 + -2,3', '3000 B gen 2 + -', '4000 A gen 3 + -', '4000 B gen 3 +2,3 -'])
      }, 9_000)
    })
  })
  it('eager (the default range assignor): revoked is always empty and added is all of assigned, since a member gives up everything before it rejoins', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders', partitions: 4 }] })
      const events: { member: string; generationId: number; assigned: string; added: string; revoked: string }[] = []
      const flat = (parts: { topic: string; partitions: number[] }[]) => parts.flatMap((t) => t.partitions).sort().join(',')
      const reader = (client: ClusterClient, member: string) => {
        const group = consumeGroup({ client, groupId: 'eager', topics: ['orders'], fromBeginning: true, heartbeatIntervalMs: 1_000 })
        group.assignments$.subscribe((e) => events.push({ member, generationId: e.generationId, assigned: flat(e.assigned), added: flat(e.added), revoked: flat(e.revoked) }))
        return group.pipe(mergeMap((partition$) => partition$.pipe(map((msg) => msg.done()))))
      }
      const running = merge(reader(kafka, 'A'), timer(2_000, scheduler).pipe(switchMap(() => reader(kafka.client('b'), 'B')))).subscribe()
      scheduler.schedule(() => running.unsubscribe(), 9_000)
      scheduler.flush()
      const a = events.filter((e) => e.member === 'A')
      expect(a[0]).toMatchObject({ assigned: '0,1,2,3', added: '0,1,2,3', revoked: '' })
      // After B joined, A holds two of the four; it gave up all four before rejoining, so nothing is "revoked" here.
      const last = a.at(-1)!
      const b = events.find((e) => e.member === 'B')!
      expect(last.generationId).toBe(2)
      expect(last.assigned.split(',')).toHaveLength(2)
      expect([...last.assigned.split(','), ...b.assigned.split(',')].sort().join(',')).toBe('0,1,2,3')
      for (const e of events) {
        expect(e.revoked).toBe('')
        expect(e.added).toBe(e.assigned)
      }
    })
  })
})
