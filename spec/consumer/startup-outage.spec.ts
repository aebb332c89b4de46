/**
 * Issue 14.6, the consumer side, in virtual time: every broker is down for
 * 1.5 s when a consumer starts (a container that starts before Kafka does).
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

describe('start-up outage: all brokers down for 1.5 s at start', () => {
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
      }, 1_500)
      const group = consumeGroup({ client: kafka, groupId: 'g', topics: ['orders'], fromBeginning: true })
      const errors: string[] = []
      group.errors$.subscribe((e) => errors.push(`${scheduler.now()} ${e.code}`))
      const values = group.pipe(mergeMap((partition$) => partition$.pipe(map((msg) => (msg.done(), `${msg.offset}:${msg.value}`)))))
      // Retries after 100, 200, 400 and 800 ms of backoff: the fifth look-up, at 1500 ms, finds the brokers back.
      expectObservable(values, '^ 9999ms !').toBe('1500ms (xy)', { x: '0:a', y: '1:b' })
      scheduler.schedule(() => {
        // Two reports at frame 0 (two metadata look-ups start with the member), then one per retry; none after.
        expect(errors).toEqual(['0 CONNECTION', '0 CONNECTION', '100 CONNECTION', '300 CONNECTION', '700 CONNECTION'])
      }, 9_000)
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
      }, 1_500)
      const reader = consumePartitions({ client: kafka, topic: 'orders', from: 'earliest' })
      const errors: string[] = []
      reader.errors$.subscribe((e) => errors.push(`${scheduler.now()} ${e.code}`))
      const values = reader.pipe(mergeMap((partition$) => partition$.pipe(map((msg) => (msg.done(), `${msg.partition}/${msg.offset}:${msg.value}`)))))
      expectObservable(values, '^ 9999ms !').toBe('1500ms (xy)', { x: '0/0:a', y: '1/0:b' })
      scheduler.schedule(() => {
        expect(errors).toEqual(['0 CONNECTION', '100 CONNECTION', '300 CONNECTION', '700 CONNECTION'])
      }, 9_000)
    })
  })
})
