/**
 * The producer on the virtual cluster (in-memory brokers that speak the
 * generated protocol, on the TestScheduler): faults at exact virtual times,
 * then the log read back. Deterministic, so every run exercises the same
 * interleaving.
 */
import { describe, expect, it } from 'vitest'
import { map, take, timer } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { murmur2Partition, produceTo } from '../../lib/producer/index.js'
import type { ProducerResult } from '../../lib/producer/index.js'
import { createVirtualCluster } from '../../lib/testing/index.js'
import type { VirtualCluster } from '../../lib/testing/index.js'

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

describe('producer on the virtual cluster', () => {
  it('idempotent, keyed: injected errors, a leader move and a broker outage; every message exactly once, in order, on its murmur2 partition', () => {
    const scheduler = createScheduler()
    const results: ProducerResult<number>[] = []
    let failure: unknown
    let completedAt = -1
    let cluster: VirtualCluster | undefined
    const total = 3_000
    scheduler.run(() => {
      cluster = createVirtualCluster({ brokers: 3, topics: [{ name: 'orders', partitions: 4 }], latencyMs: 2 })
      const c = cluster
      c.moveLeader('orders', 0, 2)
      scheduler.schedule(() => c.injectError('Produce', ErrorCode.NOT_LEADER_OR_FOLLOWER, { count: 3 }), 500)
      scheduler.schedule(() => c.moveLeader('orders', 1, 3), 1_000)
      scheduler.schedule(() => c.injectError('Produce', ErrorCode.NOT_ENOUGH_REPLICAS, { count: 2 }), 1_200)
      scheduler.schedule(() => c.brokerDown(2), 1_500)
      scheduler.schedule(() => c.brokerUp(2), 2_200)
      scheduler.schedule(() => c.injectError('Produce', ErrorCode.REQUEST_TIMED_OUT, { count: 2 }), 2_500)
      timer(0, 1).pipe(
        take(total),
        map((i) => ({ key: `customer-${i % 50}`, value: `order ${i}`, metadata: i })),
        produceTo<number>('orders', { client: c, lingerMs: 3, circuitBreaker: false, retryBackoff: { initialMs: 20, maxMs: 200, jitter: 0 } }),
      ).subscribe({
        next: (r) => results.push(r),
        error: (e: unknown) => { failure = e },
        complete: () => { completedAt = scheduler.now() },
      })
    })
    expect(failure).toBeUndefined()
    expect(completedAt).toBeGreaterThan(0)
    expect(results).toHaveLength(total)
    const attemptErrors = new Set(results.flatMap((r) => r.batch.exchanges.map((e) => (e.error as { code?: string } | undefined)?.code)).filter((c) => c !== undefined))
    for (const code of ['NOT_LEADER_OR_FOLLOWER', 'NOT_ENOUGH_REPLICAS', 'REQUEST_TIMED_OUT', 'CONNECTION']) expect(attemptErrors).toContain(code)

    const log = cluster!.read('orders')
    const values = log.map((r) => Number(r.value!.toString().slice('order '.length)))
    expect(values).toHaveLength(total)
    expect(new Set(values).size).toBe(total)
    const last = new Map<number, number>()
    for (const record of log) {
      const i = Number(record.value!.toString().slice('order '.length))
      expect(record.partition).toBe(murmur2Partition(Buffer.from(`customer-${i % 50}`), 4))
      expect(i).toBeGreaterThan(last.get(record.partition) ?? -1)
      last.set(record.partition, i)
      expect(record.producerId).toBeGreaterThanOrEqual(0n)
    }
    const where = new Map(log.map((r) => [Number(r.value!.toString().slice('order '.length)), `${r.partition}/${r.offset}`]))
    for (const r of results) expect(`${r.partition}/${r.offset}`).toBe(where.get(r.metadata!))
  })
})
