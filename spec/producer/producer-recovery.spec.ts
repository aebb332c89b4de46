/**
 * The producer through faults on the virtual cluster, in virtual time: what
 * wakes a batch that waits (a fail-fast ahead of it, a broker coming back, a
 * leader move), and the defaults that ride out an outage.
 */
import { describe, expect, it } from 'vitest'
import { map, take, timer } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { produceTo } from '../../lib/producer/index.js'
import type { ProducerResult } from '../../lib/producer/index.js'
import { createVirtualCluster } from '../../lib/testing/index.js'
import { ProducerCluster } from './producer-cluster.js'

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

const label = (r: ProducerResult<string>): string => (r.error === undefined ? r.metadata! : `${r.metadata}:${(r.error as { code?: string }).code}`)

describe('producer recovery (virtual cluster, virtual time)', () => {
  it('a fail-fast of the head batch lets the batch lingering behind it go at once, not at the failed batch\'s delivery deadline', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const cluster = createVirtualCluster({ brokers: 1, topics: [{ name: 't', partitions: 1 }], latencyMs: 1 })
      cluster.injectError('Produce', ErrorCode.NOT_ENOUGH_REPLICAS, { count: 1 })
      const v = (m: string) => ({ value: m, partition: 0, metadata: m })
      const source = cold('a 9ms b 199ms c|', { a: v('a'), b: v('b'), c: v('c') })
      const results = source.pipe(produceTo<string>('t', {
        client: cluster, lingerMs: 0, errorMode: 'result', deliveryTimeoutMs: 10_000,
        circuitBreaker: { failureThreshold: 1, resetAfterMs: 100 }, retryBackoff: { initialMs: 50, jitter: 0 },
      }), map(label))
      // a is sent at 0 and refused at 3 (the circuit opens until 103); its retry at 53 fails fast.
      // b, lingering behind a since 10, goes in the same pass: the circuit is still open, so it fails fast too (before
      // the fix nothing looked at b again until c arrived at 210). c, after the circuit half-opened, is delivered.
      expectObservable(results).toBe('53ms (xy) 154ms (z|)', { x: 'a:CIRCUIT_OPEN', y: 'b:CIRCUIT_OPEN', z: 'c' })
    })
  })

  it('when a broker answers again, every batch backing off because it did not answer is retried at once', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const cluster = createVirtualCluster({ brokers: 1, topics: [{ name: 't', partitions: 2 }], latencyMs: 1 })
      scheduler.schedule(() => cluster.brokerDown(1), 25)
      scheduler.schedule(() => cluster.brokerUp(1), 1_510)
      const v = (m: string, partition: number) => ({ value: m, partition, metadata: m })
      const source = cold('x 29ms a 49ms b|', { x: v('x', 0), a: v('a', 0), b: v('b', 1) })
      const results = source.pipe(produceTo<string>('t', { client: cluster, lingerMs: 0, retryBackoff: { initialMs: 100, maxMs: 1_000, jitter: 0 } }), map(label))
      // The broker is down from 25 to 1 510. a (sent at 30) backs off 100, 200, 400, 800 ms: its try at 1 532 is
      // answered at 1 535. b (sent at 80) would try next at 1 582; since the broker answered, it goes at once.
      expectObservable(results).toBe('3ms x 1531ms a (b|)', { x: 'x', a: 'a', b: 'b' })
    })
  })

  it('when metadata names a new leader, a batch backing off after the old leader failed goes to the new one at once', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const cluster = createVirtualCluster({ brokers: 2, topics: [{ name: 't', partitions: 1 }], latencyMs: 1 })
      cluster.moveLeader('t', 0, 1)
      scheduler.schedule(() => cluster.brokerDown(1), 25)
      const v = (m: string) => ({ value: m, partition: 0, metadata: m })
      const source = cold('x 29ms a|', { x: v('x'), a: v('a') })
      const results = source.pipe(produceTo<string>('t', { client: cluster, lingerMs: 0, retryBackoff: { initialMs: 500, jitter: 0 } }), map(label))
      // a goes to broker 1 at 30, which is down; the metadata refresh that failure starts names broker 2, so a goes
      // there at once and is answered at 33, not after its 500 ms backoff (532).
      expectObservable(results).toBe('3ms x 29ms (a|)', { x: 'x', a: 'a' })
    })
  })

  it('start-up outage: with every broker down for 1.5 s when produceTo starts, every message is retried and delivered, in order', () => {
    const scheduler = createScheduler()
    const results: ProducerResult<number>[] = []
    let failure: unknown
    let completedAt = -1
    let written: number[] = []
    scheduler.run(() => {
      const cluster = createVirtualCluster({ brokers: 3, topics: [{ name: 'orders', partitions: 3 }], latencyMs: 1 })
      for (const id of [1, 2, 3]) cluster.brokerDown(id)
      scheduler.schedule(() => { for (const id of [1, 2, 3]) cluster.brokerUp(id) }, 1_500)
      timer(0, 100).pipe(
        take(30),
        map((i) => ({ key: `k${i % 5}`, value: `m${i}`, metadata: i })),
        produceTo<number>('orders', { client: cluster }),
      ).subscribe({ next: (r) => results.push(r), error: (e: unknown) => { failure = e }, complete: () => { completedAt = scheduler.now() } })
      scheduler.schedule(() => { written = cluster.read('orders').map((r) => Number(r.value!.toString().slice(1))) }, 10_000)
    })
    expect(failure).toBeUndefined()
    expect(results.filter((r) => r.error !== undefined)).toEqual([])
    expect(results.map((r) => r.metadata).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 30 }, (_, i) => i))
    expect(new Set(written).size).toBe(30)
    expect(written).toHaveLength(30)
    // The first results come once the brokers are back (the lookup retries at most 1 s apart), not 120 s later.
    expect(Math.min(...results.map((r) => r.batch.exchanges.at(-1)!.answeredAt))).toBeGreaterThanOrEqual(1_500)
    expect(completedAt).toBeLessThan(3_500)
    // Per key, the log holds the messages in the order they were sent.
    const byKey = new Map<number, number[]>()
    for (const i of written) byKey.set(i % 5, [...(byKey.get(i % 5) ?? []), i])
    for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b))
  })

  it('a partition without a leader at first use holds only its own messages; the others are delivered at once', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = new ProducerCluster({ scheduler, topics: { t: [1, -1] } })
      const source = cold('ab|', { a: { value: 'a', partition: 0, metadata: 'a' }, b: { value: 'b', partition: 1, metadata: 'b' } })
      // b (at 1) goes to a partition that never gets a leader: it fails at its delivery timeout (501); a is answered at once.
      expectObservable(source.pipe(produceTo<string>('t', { client, lingerMs: 0, errorMode: 'result', deliveryTimeoutMs: 500 }), map(label)))
        .toBe('a 500ms (b|)', { a: 'a', b: 'b:DELIVERY_TIMEOUT' })
    })
  })
})
