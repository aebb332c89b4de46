/**
 * Admin code on the virtual cluster: marble specs of `lag$` and
 * `watchTopics$` in virtual time (a running group, records arriving, topics
 * created through the admin's own CreateTopics), and the Promise API over the
 * admin APIs the virtual brokers model (lib/testing/virtual-admin.ts).
 */
import { map, mergeMap, tap } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { createAdmin } from '../../lib/admin/index.js'
import { AdminRouter } from '../../lib/admin/admin-routing.js'
import { createTopics } from '../../lib/admin/topics.js'
import { deleteGroups } from '../../lib/admin/groups.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { createVirtualCluster } from '../../lib/testing/index.js'

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

describe('admin on the virtual cluster, in virtual time', () => {
  it('lag$ emits every period: the lag of a running group, records that arrive, and what it has consumed', () => {
    createScheduler().run(({ expectObservable }) => {
      const cluster = createVirtualCluster({ topics: [{ name: 'orders', partitions: 2 }] })
      cluster.produceDirect('orders', 0, [{ value: 'a' }, { value: 'b' }, { value: 'c' }])
      const admin = createAdmin(cluster)
      const running = consumeGroup({ client: cluster, groupId: 'billing', topics: ['orders'], commitIntervalMs: 100, fromBeginning: true })
      // The group consumes from 2 s on, and stops at 5 s; two more records arrive at 3.5 s.
      const member = running.pipe(mergeMap((p) => p), tap((m) => m.done()))
      const subscription = { current: undefined as { unsubscribe(): void } | undefined }
      cluster.scheduler.schedule(() => { subscription.current = member.subscribe() }, 2_000)
      cluster.scheduler.schedule(() => cluster.produceDirect('orders', 1, [{ value: 'x' }, { value: 'y' }]), 3_500)
      cluster.scheduler.schedule(() => subscription.current?.unsubscribe(), 5_000)
      const lags = admin.lag$('billing', { every: 1_000, topics: ['orders'] }).pipe(map((rows) => rows.map((r) => `${r.partition}:${r.committed ?? '-'}/${r.end}`).join(' ')))
      expectObservable(lags, '^ 5500ms !').toBe('a 999ms a 999ms a 999ms b 999ms c 999ms c', {
        a: '0:-/3 1:-/0',
        b: '0:3/3 1:0/0',
        c: '0:3/3 1:2/2',
      })
    })
  })

  it('watchTopics$ sees topics that CreateTopics adds, and nothing in periods without change', () => {
    createScheduler().run(({ expectObservable }) => {
      const cluster = createVirtualCluster({ brokers: 3, topics: [{ name: 'orders' }] })
      const router = new AdminRouter(cluster)
      cluster.scheduler.schedule(() => createTopics(router, [{ name: 'payments', partitions: 2 }]).subscribe(), 1_500)
      cluster.scheduler.schedule(() => cluster.createTopic('audit', 1), 3_200)
      const changes = createAdmin(cluster).watchTopics$({ every: 1_000 }).pipe(map((c) => `+${c.added.join(',')}`))
      expectObservable(changes, '^ 4500ms !').toBe('a 1999ms b 1999ms c', { a: '+orders', b: '+payments', c: '+audit' })
    })
  })

  it('DeleteGroups of a group with a member: NON_EMPTY_GROUP; once it left, deleted; then GROUP_ID_NOT_FOUND', () => {
    const seen: string[] = []
    createScheduler().run(() => {
      const cluster = createVirtualCluster({ topics: [{ name: 'orders' }] })
      const router = new AdminRouter(cluster)
      const member = consumeGroup({ client: cluster, groupId: 'billing', topics: ['orders'] }).subscribe()
      cluster.scheduler.schedule(() => member.unsubscribe(), 2_000)
      for (const at of [1_000, 3_000, 4_000]) {
        cluster.scheduler.schedule(() => deleteGroups(router, ['billing']).subscribe((r) => seen.push(`${at}:${r[0]!.ok ? 'deleted' : r[0]!.error.code}`)), at)
      }
    })
    expect(seen).toEqual(['1000:NON_EMPTY_GROUP', '3000:deleted', '4000:GROUP_ID_NOT_FOUND'])
  })
})

describe('the admin Promise API on the virtual cluster', () => {
  it('topics, configs, groups and offsets answer per item as a broker would', async () => {
    const cluster = createVirtualCluster({ brokers: 3, topics: [{ name: 'orders', partitions: 2 }] })
    const admin = createAdmin(cluster)
    try {
      const created = await admin.createTopics([{ name: 'payments', partitions: 3, replicationFactor: 3 }, { name: 'orders' }, { name: 'wide', replicationFactor: 4 }])
      expect(created.map((c) => (c.ok ? `${c.name}:${c.partitions}` : `${c.name}:${c.error.code}`))).toEqual(['payments:3', 'orders:TOPIC_ALREADY_EXISTS', 'wide:INVALID_REPLICATION_FACTOR'])
      expect(await admin.listTopics()).toEqual(['orders', 'payments'])
      const [payments, nope] = await admin.describeTopics(['payments', 'nope'])
      expect(payments!.ok && payments!.partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3])
      expect(!nope!.ok && nope!.error.code).toBe('UNKNOWN_TOPIC_OR_PARTITION')
      expect(await admin.listTopics()).not.toContain('nope')
      expect((await admin.createPartitions([{ name: 'orders', count: 4 }, { name: 'orders-typo', count: 2 }])).map((r) => r.ok)).toEqual([true, false])
      expect((await admin.describeTopics(['orders']))[0]).toMatchObject({ ok: true, partitions: [{}, {}, {}, {}] })

      const altered = await admin.alterConfigs([{ type: 'topic', name: 'orders', set: { 'retention.ms': '1000' } }])
      expect(altered[0]!.ok).toBe(true)
      const [bad] = await admin.alterConfigs([{ type: 'topic', name: 'payments', set: { 'cleanup.policy': 'sometimes' } }])
      expect(!bad!.ok && bad!.error.code).toBe('INVALID_CONFIG')
      const [orders] = await admin.describeConfigs([{ type: 'topic', name: 'orders' }], { keys: ['retention.ms', 'cleanup.policy'] })
      expect(orders!.ok && orders!.configs.map((c) => [c.name, c.value, c.source])).toEqual([['cleanup.policy', 'delete', 'default'], ['retention.ms', '1000', 'dynamic-topic']])

      cluster.produceDirect('orders', 0, [{ value: 'a' }, { value: 'b' }])
      expect((await admin.alterOffsets('billing', [{ topic: 'orders', partition: 0, offset: 1n }]))[0]!.ok).toBe(true)
      expect(await admin.groupLag('billing', ['orders'])).toEqual([
        { topic: 'orders', partition: 0, committed: 1n, end: 2n, lag: 1n },
        { topic: 'orders', partition: 1, committed: null, end: 0n, lag: 0n },
        { topic: 'orders', partition: 2, committed: null, end: 0n, lag: 0n },
        { topic: 'orders', partition: 3, committed: null, end: 0n, lag: 0n },
      ])
      expect(await admin.listGroups()).toMatchObject([{ groupId: 'billing', state: 'Empty', type: 'classic' }])
      expect((await admin.describeGroups(['billing']))[0]).toMatchObject({ ok: true, state: 'Empty', members: [] })
      expect((await admin.deleteOffsets('billing', [{ topic: 'orders', partition: 0 }]))[0]!.ok).toBe(true)
      expect(await admin.fetchOffsets('billing')).toEqual([])
      const cluster$ = await admin.describeCluster()
      expect(cluster$.brokers.map((b) => b.nodeId)).toEqual([1, 2, 3])
      await expect(admin.deleteTopics(['payments', 'payments'])).rejects.toMatchObject({ code: 'INVALID_ADMIN_ARGUMENT', argument: 'topics[1]' })
      expect((await admin.deleteTopics(['payments']))[0]!.ok).toBe(true)
      expect(await admin.listTopics()).toEqual(['orders'])
    } finally {
      await cluster.close()
    }
  })
})
