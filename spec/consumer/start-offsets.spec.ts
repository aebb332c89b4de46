/**
 * Start offsets by time (ListOffsets by timestamp, KIP-79), hooks that answer
 * later, and plain numbers where a bigint offset belongs, in virtual time.
 */
import { describe, expect, it } from 'vitest'
import { firstValueFrom, map, mergeMap, timer } from 'rxjs'
import { consumePartitions, ConsumerOptionError } from '../../lib/consumer/index.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { createVirtualCluster } from '../../lib/testing/index.js'
import { createTestScheduler } from '../testing/virtual-helpers.js'

const atTimes = (kafka: ReturnType<typeof createVirtualCluster>): void => {
  kafka.produceDirect('orders', 0, [
    { value: 'a', timestamp: 1_000 },
    { value: 'b', timestamp: 2_000 },
    { value: 'c', timestamp: 3_000 },
  ])
}

describe('start offsets: times, late answers, numbers', () => {
  it('consumeGroup with startingOffset { timestamp } starts at the first message at or after that time', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
      atTimes(kafka)
      const group = consumeGroup({ client: kafka, groupId: 'g', topics: ['orders'], startingOffset: () => ({ timestamp: 1_500 }) })
      const values = group.pipe(mergeMap((p) => p.pipe(map((msg) => (msg.done(), `${msg.offset}:${msg.value}`)))))
      expectObservable(values, '^ 999ms !').toBe('(xy)', { x: '1:b', y: '2:c' })
    })
  })

  it('a startingOffset hook that answers later (an Observable) starts the partition when it answers', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
      atTimes(kafka)
      const group = consumeGroup({ client: kafka, groupId: 'g', topics: ['orders'], startingOffset: () => timer(100, scheduler).pipe(map(() => 2n)) })
      const values = group.pipe(mergeMap((p) => p.pipe(map((msg) => (msg.done(), `${msg.offset}:${msg.value}`)))))
      expectObservable(values, '^ 999ms !').toBe('100ms x', { x: '2:c' })
    })
  })

  it('consumePartitions from { timestamp } after the newest message starts at the end; before it, at that message', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
      atTimes(kafka)
      scheduler.schedule(() => kafka.produceDirect('orders', 0, [{ value: 'd', timestamp: 9_000 }]), 500)
      const late = consumePartitions({ client: kafka, topic: 'orders', from: { timestamp: 5_000 } }).pipe(mergeMap((p) => p.pipe(map((msg) => `late ${msg.offset}:${msg.value}`))))
      expectObservable(late, '^ 999ms !').toBe('500ms x', { x: 'late 3:d' })
    })
  })

  it('consumePartitions with a from hook that answers with a Promise (wall clock)', async () => {
    const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
    atTimes(kafka)
    try {
      const first = await firstValueFrom(
        consumePartitions({ client: kafka, topic: 'orders', from: () => Promise.resolve({ timestamp: 2_500 }) }).pipe(mergeMap((p) => p.pipe(map((msg) => `${msg.offset}:${msg.value}`)))),
      )
      expect(first).toBe('2:c')
    } finally {
      await kafka.close()
    }
  })

  it('a plain number where a bigint offset belongs is refused with an error that says what to write', () => {
    const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
    const make = () => consumePartitions({ client: kafka, topic: 'orders', from: 300 as unknown as bigint })
    expect(make).toThrow(ConsumerOptionError)
    expect(make).toThrow(/got the number 300.*write 300n for the offset, or \{ timestamp: 300 \}/)
    expect(() => consumePartitions({ client: kafka, topic: 'orders', from: { timestamp: -5 } })).toThrow(/timestamp must be whole milliseconds/)
  })

  it('a hook answering a plain number errors the group with the same clear error', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
      atTimes(kafka)
      const group = consumeGroup({ client: kafka, groupId: 'g', topics: ['orders'], startingOffset: () => 1 as unknown as bigint })
      const values = group.pipe(mergeMap((p) => p.pipe(map((msg) => `${msg.offset}`))))
      expectObservable(values, '^ 999ms !').toBe('#', undefined, new ConsumerOptionError('startingOffset', 'got the number 1, which could be an offset or a time', 'write 1n for the offset, or { timestamp: 1 } for a time in ms'))
    })
  })
})
