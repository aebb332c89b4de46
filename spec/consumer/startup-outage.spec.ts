/**
 * Issue 14.6, the consumer side, in virtual time: every broker is down for
 * 12 s when a consumer starts (longer than the cluster's own 10 s topic wait) (a container that starts before Kafka does).
 * `consumeGroup` and `consumePartitions` keep trying with the shared backoff,
 * report each failure on `errors$`, and read everything once the brokers are
 * back; their streams never error.
 */
import { describe, expect, it } from 'vitest'
import { map, mergeMap } from 'rxjs'
import { consumePartitions } from '../../lib/consumer/index.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { createVirtualCluster } from '../../lib/testing/index.js'
import { createTestScheduler } from '../testing/virtual-helpers.js'

describe('start-up outage: all brokers down for 12 s at start, longer than the topic wait of the cluster', () => {
  it('consumeGroup rides it out, reports the failures on errors$, and reads everything after', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ brokers: 2, topics: [{ name: 'orders' }] })
      kafka.produceDirect('orders', 0, [{ value: 'a' }, { value: 'b' }])
      kafka.brokerDown(1)
      kafka.brokerDown(2)
      scheduler.schedule(() => {
        kafka.brokerUp(1)
        kafka.brokerUp(2)
      }, 12_000)
      const group = consumeGroup({ client: kafka, groupId: 'g', topics: ['orders'], fromBeginning: true })
      const errors: string[] = []
      group.errors$.subscribe((e) => errors.push(`${scheduler.now()} ${e.code}`))
      const values = group.pipe(mergeMap((partition$) => partition$.pipe(map((msg) => (msg.done(), `${msg.offset}:${msg.value}`)))))
      // The member retries after the topic wait gave up at 10 s (backoff 100, 200, 400, 800, 1600 ms): at 12.6 s the brokers are back.
      expectObservable(values, '^ 29999ms !').toBe('12600ms (xy)', { x: '0:a', y: '1:b' })
      scheduler.schedule(() => {
        // The fetcher's look-up at frame 0, then the cluster's topic wait giving up at 10 s, which the member retries.
        expect(errors).toEqual(['0 CONNECTION', '10000 CONNECTION'])
      }, 29_000)
    })
  })

  it('consumePartitions rides it out too, reporting on its errors$', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ brokers: 2, topics: [{ name: 'orders', partitions: 2 }] })
      kafka.produceDirect('orders', 0, [{ value: 'a' }])
      kafka.produceDirect('orders', 1, [{ value: 'b' }])
      kafka.brokerDown(1)
      kafka.brokerDown(2)
      scheduler.schedule(() => {
        kafka.brokerUp(1)
        kafka.brokerUp(2)
      }, 12_000)
      const reader = consumePartitions({ client: kafka, topic: 'orders', from: 'earliest' })
      const errors: string[] = []
      reader.errors$.subscribe((e) => errors.push(`${scheduler.now()} ${e.code}`))
      const values = reader.pipe(mergeMap((partition$) => partition$.pipe(map((msg) => (msg.done(), `${msg.partition}/${msg.offset}:${msg.value}`)))))
      expectObservable(values, '^ 29999ms !').toBe('12600ms (xy)', { x: '0/0:a', y: '1/0:b' })
      scheduler.schedule(() => {
        // The cluster's topic wait gives up at 10 s; the reader reports it and retries.
        expect(errors).toEqual(['10000 CONNECTION'])
      }, 29_000)
    })
  })
})
