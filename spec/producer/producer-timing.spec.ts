/**
 * The time-driven parts of the producer in virtual time: linger, full
 * batches, retry backoff, circuit breakers, delivery timeout, flush on
 * completion, unsubscribe. The cluster is a real KafkaCluster over scripted transports whose Produce answers are
 * cold marbles, so every frame below is a millisecond of producer time.
 */
import { describe, expect, it } from 'vitest'
import { map, of } from 'rxjs'
import type { Observable } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { ConnectionError } from '../../lib/errors/index.js'
import { DeliveryTimeoutError, produceTo, producerDiagnostics } from '../../lib/producer/index.js'
import type { ProducerDiagnostics, ProducerResult } from '../../lib/producer/index.js'
import type { ProduceResponse } from '../../lib/protocol/messages/Produce.js'
import { ProducerCluster } from './producer-cluster.js'
import type { ProduceCall } from './producer-cluster.js'

function createScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
}

/** A scripted cluster whose Produce answers are `answer(call, n)` (n counts Produce calls from 1), on the test scheduler. */
function scriptedOn(scheduler: TestScheduler, answer: (call: ProduceCall, n: number, client: ProducerCluster) => Observable<ProduceResponse>): ProducerCluster {
  let n = 0
  const client: ProducerCluster = new ProducerCluster({ scheduler, topics: { t: [1, 2] }, produce: (call) => answer(call, ++n, client) })
  return client
}

const label = (r: ProducerResult<string>): string => (r.error === undefined ? r.metadata! : `${r.metadata}:${(r.error as { code?: string }).code}`)

describe('producer timing (virtual time)', () => {
  it('linger: an open batch waits lingerMs for more messages, then goes in one request; completion flushes at once', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call) => cold('-r|', { r: client.successFor(call) }))
      const source = cold('a-b 10ms c|', { a: { value: 'a', partition: 0, metadata: 'A' }, b: { value: 'b', partition: 0, metadata: 'B' }, c: { value: 'c', partition: 0, metadata: 'C' } })
      // a opens at 0, b joins at 2, the batch is sealed at 5 and answered at 6.
      // c arrives at 13; the source completes at 14, which flushes c without waiting for its linger: answered at 15.
      expectObservable(source.pipe(produceTo<string>('t', { client, lingerMs: 5 }), map((r) => r.metadata))).toBe('6ms (AB) 5ms (C|)')
      scheduler.flush()
      expect(client.produceCalls.map((c) => c.at)).toEqual([5, 14])
    })
  })

  it('a batch that reaches batchMessages is sent at once; the rest waits its linger (and the output stays open with the source)', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call) => cold('-r|', { r: client.successFor(call) }))
      const source = cold('abc', { a: { value: 'a', partition: 0, metadata: 'A' }, b: { value: 'b', partition: 0, metadata: 'B' }, c: { value: 'c', partition: 0, metadata: 'C' } })
      expectObservable(source.pipe(produceTo<string>('t', { client, lingerMs: 5, batchMessages: 2 }), map((r) => r.metadata))).toBe('2ms (AB) 2ms C')
    })
  })

  it('a busy partition keeps filling its open batch past the linger until its batch in flight is answered', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call) => cold('20ms r|', { r: client.successFor(call) }))
      const v = (m: string) => ({ value: m, partition: 0, metadata: m })
      const source = cold('a 4ms b 4ms c 4ms d', { a: v('A'), b: v('B'), c: v('C'), d: v('D') })
      // A is sent at 0 (lingerMs 0); B, C, D pile up while it is in flight, then go as one batch at 20.
      expectObservable(source.pipe(produceTo<string>('t', { client, lingerMs: 0 }), map((r) => r.metadata))).toBe('20ms A 19ms (BCD)')
      scheduler.flush()
      expect(client.sentBatches.map((b) => b.records)).toEqual([1, 3])
    })
  })

  it('retry backoff: a retriable error is retried after initialMs, then initialMs * factor, with the same sequence number', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call, n) => cold('-r|', { r: n <= 2 ? client.successFor(call, { 't/0': ErrorCode.NOT_ENOUGH_REPLICAS }) : client.successFor(call) }))
      const source = cold('a|', { a: { value: 'a', partition: 0, metadata: 'A' } })
      // sent 0, failed 1, resent 101, failed 102, resent 302, answered 303.
      expectObservable(source.pipe(produceTo<string>('t', { client, lingerMs: 0, retryBackoff: { initialMs: 100, factor: 2, jitter: 0 } }), map((r) => r.metadata))).toBe('303ms (A|)')
      scheduler.flush()
      expect(client.produceCalls.map((c) => c.at)).toEqual([0, 101, 302])
      expect(client.sentBatches.map((b) => b.baseSequence)).toEqual([0, 0, 0])
    })
  })

  it('circuit breaker: opens after failureThreshold failures, fails fast while open without a request, lets a probe through after resetAfterMs', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call, n) => cold('-r|', { r: n <= 2 ? client.successFor(call, { 't/0': ErrorCode.NOT_ENOUGH_REPLICAS }) : client.successFor(call) }))
      const v = (m: string) => ({ value: m, partition: 0, metadata: m })
      const source = cold('a 9ms b 9ms c 9ms d 49ms e|', { a: v('a'), b: v('b'), c: v('c'), d: v('d'), e: v('e') })
      const results = source.pipe(produceTo<string>('t', {
        client, acks: 1, lingerMs: 0, retries: 0, errorMode: 'result', circuitBreaker: { failureThreshold: 2, resetAfterMs: 50 },
      }), map(label))
      expectObservable(results).toBe('- x 9ms y 8ms c 9ms d 50ms (e|)', {
        x: 'a:NOT_ENOUGH_REPLICAS', y: 'b:NOT_ENOUGH_REPLICAS', c: 'c:CIRCUIT_OPEN', d: 'd:CIRCUIT_OPEN', e: 'e',
      })
      scheduler.flush()
      expect(client.produceCalls.map((c) => c.at)).toEqual([0, 10, 80])
    })
  })

  it('circuit breaker, not strict: while partition 0 is open, new keyless messages go to another partition', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call) => cold('-r|', { r: client.successFor(call, { 't/0': ErrorCode.NOT_ENOUGH_REPLICAS }) }))
      const source = cold('a 9ms b|', { a: { value: 'a', partition: 0, metadata: 'a' }, b: { value: 'b', metadata: 'b' } })
      const results = source.pipe(produceTo<string>('t', {
        client, acks: 1, lingerMs: 0, retries: 0, errorMode: 'result', strictPartitioning: false,
        circuitBreaker: { failureThreshold: 1, resetAfterMs: 1_000 }, random: () => 0,
      }), map((r) => `${label(r)}@${r.partition}`))
      expectObservable(results).toBe('- x 9ms (y|)', { x: 'a:NOT_ENOUGH_REPLICAS@0', y: 'b@1' })
    })
  })

  it('circuit breaker, not strict: once the circuit half-opens, messages may go to the partition again', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call, n) => cold('-r|', { r: client.successFor(call, n === 1 ? { 't/0': ErrorCode.NOT_ENOUGH_REPLICAS } : {}) }))
      const source = cold('a 9ms b 49ms c|', { a: { value: 'a', metadata: 'a' }, b: { value: 'b', metadata: 'b' }, c: { value: 'c', metadata: 'c' } })
      const results = source.pipe(produceTo<string>('t', {
        client, acks: 1, lingerMs: 0, retries: 0, errorMode: 'result', strictPartitioning: false,
        circuitBreaker: { failureThreshold: 1, resetAfterMs: 50 }, partitioner: () => 0,
      }), map((r) => `${label(r)}@${r.partition}`))
      expectObservable(results).toBe('- x 9ms y 49ms (z|)', { x: 'a:NOT_ENOUGH_REPLICAS@0', y: 'b@1', z: 'c@0' })
    })
  })

  it('circuit breaker, not strict: a sealed batch of a partition whose circuit opened moves to another partition', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call) => cold('5ms r|', { r: client.successFor(call, { 't/0': ErrorCode.NOT_ENOUGH_REPLICAS }) }))
      const source = cold('ab|', { a: { value: 'a', metadata: 'a' }, b: { value: 'b', metadata: 'b' } })
      const results = source.pipe(produceTo<string>('t', {
        client, acks: 1, lingerMs: 0, retries: 0, errorMode: 'result', strictPartitioning: false,
        circuitBreaker: { failureThreshold: 1, resetAfterMs: 1_000 }, partitioner: () => 0,
      }), map((r) => `${label(r)}@${r.partition}`))
      // a fails at 5 and opens partition 0; b, batched behind it, is moved to partition 1 and answered at 10.
      expectObservable(results).toBe('5ms x 4ms (y|)', { x: 'a:NOT_ENOUGH_REPLICAS@0', y: 'b@1' })
      scheduler.flush()
      expect(client.sentBatches.map((b) => b.partition)).toEqual([0, 1])
    })
  })

  it('delivery timeout: retries stop once the next attempt would start after deliveryTimeoutMs; the result carries the last error', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call) => cold('10ms r|', { r: client.successFor(call, { 't/0': ErrorCode.REQUEST_TIMED_OUT }) }))
      const source = cold('a|', { a: { value: 'a', partition: 0, metadata: 'a' } })
      let result: ProducerResult<string> | undefined
      // sent 0, failed 10, resent 30, failed 40, resent 80, failed 90: the next try (170) is past 0 + 100.
      expectObservable(source.pipe(produceTo<string>('t', {
        client, acks: 1, lingerMs: 0, errorMode: 'result', deliveryTimeoutMs: 100, retryBackoff: { initialMs: 20, factor: 2, jitter: 0 },
      }), map((r) => { result = r; return label(r) }))).toBe('90ms (t|)', { t: 'a:DELIVERY_TIMEOUT' })
      scheduler.flush()
      expect(result!.error).toBeInstanceOf(DeliveryTimeoutError)
      expect((result!.error!.cause as { code: string }).code).toBe('REQUEST_TIMED_OUT')
      expect(result!.batch.exchanges.map((e) => e.sentAt)).toEqual([0, 30, 80])
    })
  })

  it('delivery timeout: a partition without a leader holds its batch (refreshing metadata) until deliveryTimeoutMs', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = new ProducerCluster({ scheduler, topics: { t: [1] } })
      // x finds the topic with a leader; at 50 its only partition loses it (the client's view shows it), so a, at 100, is held.
      scheduler.schedule(() => {
        client.setLeaders('t', [-1])
        client.refreshMetadata(['t']).subscribe()
      }, 50)
      const source = cold('x 99ms a|', { x: { value: 'x', metadata: 'x' }, a: { value: 'a', metadata: 'a' } })
      expectObservable(source.pipe(produceTo<string>('t', { client, lingerMs: 0, errorMode: 'result', deliveryTimeoutMs: 500 }), map(label)))
        .toBe('x 599ms (t|)', { x: 'x', t: 'a:DELIVERY_TIMEOUT' })
      scheduler.flush()
      expect(client.produceCalls).toHaveLength(1)
      // While holding a, the producer itself refreshed metadata more than once.
      expect(client.of('Metadata').filter((r) => r.at >= 100).length).toBeGreaterThan(1)
    })
  })

  it('broker circuit: failed requests (no answer) open it for every partition of the broker', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, () => cold('-#', undefined, new ConnectionError('connection reset', { broker: 1 })))
      const v = (m: string) => ({ value: m, partition: 0, metadata: m })
      const source = cold('a 9ms b|', { a: v('a'), b: v('b') })
      const results = source.pipe(produceTo<string>('t', {
        client, acks: 1, lingerMs: 0, retries: 0, errorMode: 'result', circuitBreaker: { failureThreshold: 1, resetAfterMs: 1_000 },
      }), map(label))
      expectObservable(results).toBe('- x 8ms y|', { x: 'a:CONNECTION', y: 'b:CIRCUIT_OPEN' })
      scheduler.flush()
      expect(client.produceCalls).toHaveLength(1)
    })
  })

  it("onBufferFull 'wait': a message waits for buffer space; past deliveryTimeoutMs it fails, naming the full buffer", () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call) => cold('50ms r|', { r: client.successFor(call) }))
      const v = (m: string) => ({ value: m, partition: 0, metadata: m })
      let timedOut: ProducerResult<string> | undefined
      const results = cold('ab|', { a: v('a'), b: v('b') }).pipe(produceTo<string>('t', {
        client, acks: 1, lingerMs: 0, errorMode: 'result', maxBufferedBytes: 1, deliveryTimeoutMs: 30,
      }), map((r) => { if (r.error !== undefined) timedOut = r; return label(r) }))
      // a fills the buffer and is in flight until 50; b waits from 1 and gives up at 31. In flight, a is not expired.
      expectObservable(results).toBe('31ms y 18ms (x|)', { x: 'a', y: 'b:DELIVERY_TIMEOUT' })
      scheduler.flush()
      expect((timedOut!.error!.cause as { code: string }).code).toBe('PRODUCER_BUFFER_FULL')
    })
  })

  it('maxWaitingMessages: beyond it a message fails at once; the waiting one goes when space frees', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call) => cold('50ms r|', { r: client.successFor(call) }))
      const v = (m: string) => ({ value: m, partition: 0, metadata: m })
      const results = cold('abc|', { a: v('a'), b: v('b'), c: v('c') }).pipe(produceTo<string>('t', {
        client, acks: 1, lingerMs: 0, errorMode: 'result', maxBufferedBytes: 1, maxWaitingMessages: 1,
      }), map(label))
      expectObservable(results).toBe('2ms z 47ms x 49ms (y|)', { x: 'a', y: 'b', z: 'c:PRODUCER_BUFFER_FULL' })
    })
  })

  it('diagnostics show what is held: open batch, queued and in-flight batches, buffer, breakers', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = scriptedOn(scheduler, (call) => cold('100ms r|', { r: client.successFor(call) }))
      const v = (m: string) => ({ value: m, partition: 0, metadata: m })
      const snapshots: ProducerDiagnostics[] = []
      scheduler.schedule(() => snapshots.push(...producerDiagnostics(client)), 10)
      expectObservable(cold('a-b', { a: v('a'), b: v('b') }).pipe(produceTo<string>('t', { client, lingerMs: 0, name: 'orders-producer', circuitBreaker: true }), map(label)), '^ 20ms !').toBe('')
      scheduler.flush()
      const [d] = snapshots
      expect(d!.name).toBe('orders-producer')
      expect(d!.partitions).toEqual([expect.objectContaining({
        topic: 't', partition: 0, leader: 1, inFlight: true, queuedBatches: 1, openBatch: expect.objectContaining({ records: 1 }), nextSequence: 1,
        breaker: { state: 'closed', consecutiveFailures: 0, halfOpensAt: undefined },
      })])
      expect(d!.brokers).toEqual([expect.objectContaining({ broker: 1, inFlightRequests: 1, requestsSent: 1 })])
      expect(d!.bufferedBytes).toBeGreaterThan(0)
      expect(d!.producerIdState).toBe('ready')
      expect(producerDiagnostics(client)).toEqual([])
    })
  })

  it('unsubscribe before the answer: nothing is emitted, the request is cancelled, the client released', () => {
    const scheduler = createScheduler()
    let client: ProducerCluster | undefined
    scheduler.run(({ cold, expectObservable }) => {
      client = scriptedOn(scheduler, (call) => cold('10ms r|', { r: client!.successFor(call) }))
      const source = cold('a', { a: { value: 'a', partition: 0, metadata: 'a' } })
      expectObservable(source.pipe(produceTo<string>('t', { client, lingerMs: 0 }), map(label)), '^ 4ms !').toBe('')
    })
    expect(client!.produceCalls).toHaveLength(1)
    expect(client!.activeRequests).toBe(0)
    expect(client!.users).toBe(0)
  })

  it('empty source: completes at once, sends nothing', () => {
    const scheduler = createScheduler()
    scheduler.run(({ cold, expectObservable }) => {
      const client = new ProducerCluster({ scheduler, topics: { t: [1] } })
      expectObservable(cold<{ value: string }>('|').pipe(produceTo('t', { client }))).toBe('|')
      expectObservable(of<{ value: string }>().pipe(produceTo('t', { client }))).toBe('|')
    })
  })
})
