/**
 * The app of virtual-cluster-app.spec.ts under churn: three members joining at
 * different frames, a broker going down and coming back, a leader move, with
 * latency. The exact frames depend on many timers, so this spec checks the
 * outcome (each order written exactly once, everything committed) and that
 * two runs of the same script produce the same frames.
 */
import { describe, expect, it } from 'vitest'
import { map, merge, mergeMap, switchMap, timer, type Observable } from 'rxjs'
import type { ClusterClient } from '../../lib/cluster/cluster-client.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { produceTo } from '../../lib/producer/index.js'
import { createVirtualCluster, type VirtualCluster } from '../../lib/testing/index.js'
import { createTestScheduler } from './virtual-helpers.js'

function shout(client: ClusterClient, member: string): Observable<string> {
  return consumeGroup({ client, groupId: 'upper', topics: ['orders'], fromBeginning: true, sessionTimeoutMs: 10_000, heartbeatIntervalMs: 1_000 }).pipe(
    mergeMap((partition$) => partition$.pipe(map((msg) => ({ key: msg.key, value: msg.value!.toString().toUpperCase(), metadata: msg })))),
    produceTo('shouted', { client, lingerMs: 0, random: () => 0.5 }),
    map((result) => {
      result.metadata!.done()
      return `${member}:${String(result.metadata!.value)}@${result.offset}`
    }),
  )
}

interface Run {
  outputs: string[]
  cluster: VirtualCluster
}

function runScript(latencyMs: number): Run {
  const scheduler = createTestScheduler()
  const outputs: string[] = []
  let cluster: VirtualCluster | undefined
  scheduler.run(() => {
    const kafka = (cluster = createVirtualCluster({ brokers: 3, latencyMs, topics: [{ name: 'orders', partitions: 3 }, { name: 'shouted', partitions: 1 }] }))
    const write = (from: number) => {
      for (let i = from; i < from + 9; i++) kafka.produceDirect('orders', i % 3, [{ value: `v${i}` }])
    }
    write(0)
    scheduler.schedule(() => write(9), 5_000)
    scheduler.schedule(() => kafka.brokerDown(2), 6_000)
    scheduler.schedule(() => kafka.brokerUp(2), 6_500)
    scheduler.schedule(() => kafka.moveLeader('shouted', 0, 2), 6_600)
    scheduler.schedule(() => write(18), 7_000)
    const app = merge(
      shout(kafka, 'A'),
      timer(2_500, scheduler).pipe(switchMap(() => shout(kafka.client('b'), 'B'))),
      timer(3_500, scheduler).pipe(switchMap(() => shout(kafka.client('c'), 'C'))),
    )
    const subscription = app.subscribe({
      next: (line) => outputs.push(`${scheduler.now()} ${line}`),
      error: (error: unknown) => outputs.push(`${scheduler.now()} error ${String(error)}`),
    })
    scheduler.schedule(() => subscription.unsubscribe(), 15_000)
  })
  return { outputs, cluster: cluster! }
}

describe('virtual cluster: the app under churn', () => {
  for (const latencyMs of [0, 1, 7]) {
    it(`latency ${latencyMs} ms: every order is written exactly once and every partition is committed to its end`, () => {
      const { outputs, cluster } = runScript(latencyMs)
      expect(outputs.filter((line) => line.includes('error'))).toEqual([])
      const expected = Array.from({ length: 27 }, (_, i) => `V${i}`).sort()
      expect([...cluster.readValues('shouted')].sort()).toEqual(expected)
      expect(outputs).toHaveLength(27)
      expect(cluster.committedOffsets('upper').map((c) => [c.partition, c.offset])).toEqual([
        [0, 9n],
        [1, 9n],
        [2, 9n],
      ])
      expect(cluster.groupState('upper')).toMatchObject({ state: 'Empty', members: [] })
      // All three members took part at some point.
      expect(new Set(outputs.map((line) => line.split(' ')[1]!.split(':')[0]))).toEqual(new Set(['A', 'B', 'C']))
    })
  }

  it('the same script gives the same outputs at the same frames, run after run', () => {
    const first = runScript(1)
    const second = runScript(1)
    expect(second.outputs).toEqual(first.outputs)
    expect(second.cluster.requests()).toEqual(first.cluster.requests())
  })
})
