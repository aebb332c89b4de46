/**
 * A subscribed topic that grows, in virtual time: the member sees the new
 * partition count at a metadata refresh, rejoins, and the new partition is
 * assigned and read (before, nothing turned the change into a rebalance and
 * the new partition was never read).
 */
import { describe, expect, it } from 'vitest'
import { map, mergeMap } from 'rxjs'
import { consumeGroup } from '../../lib/consume-group.js'
import { createVirtualCluster } from '../../lib/testing/index.js'
import { createTestScheduler } from '../testing/virtual-helpers.js'

describe('growing topics', () => {
  it('a topic grown from 2 to 3 partitions at frame 1000: the next metadata refresh leads to a rejoin and partition 2 is read', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders', partitions: 2 }], metadataMaxAgeMs: 2_000 })
      kafka.produceDirect('orders', 0, [{ value: 'a' }])
      kafka.produceDirect('orders', 1, [{ value: 'b' }])
      scheduler.schedule(() => {
        kafka.addPartitions('orders', 3)
        kafka.produceDirect('orders', 2, [{ value: 'c' }])
      }, 1_000)
      const group = consumeGroup({ client: kafka, groupId: 'g', topics: ['orders'], fromBeginning: true, heartbeatIntervalMs: 1_000 })
      const generations: string[] = []
      group.assignments$.subscribe((e) => generations.push(`${scheduler.now()} gen ${e.generationId}: ${e.assigned.flatMap((t) => t.partitions).join(',')}`))
      const values = group.pipe(mergeMap((partition$) => partition$.pipe(map((msg) => (msg.done(), `${msg.partition}/${msg.offset}:${msg.value}`)))))
      // Eager (range) assignor: every partition is given up and assigned again, so 0 and 1 restart from their commits.
      expectObservable(values, '^ 9999ms !').toBe('(xy) 3496ms z', { x: '0/0:a', y: '1/0:b', z: '2/0:c' })
      scheduler.schedule(() => {
        expect(generations).toEqual(['0 gen 1: 0,1', '3000 gen 2: 0,1,2'])
      }, 9_000)
    })
  })
})
