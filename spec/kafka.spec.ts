import { firstValueFrom, map, of, take, timer } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { createKafka, RxKafkaError, send, silentLogger, type Kafka, type KafkaDiagnostics } from '../lib/index.js'
import { createVirtualCluster } from '../lib/testing/index.js'

/** The cluster part of the diagnostics of a client nothing has used yet. */
const IDLE_CLUSTER = {
  users: 0,
  closed: false,
  metadata: { ageMs: undefined, refreshInFlight: false, refreshes: 0, followedTopics: [], brokers: 0, topics: 0, lastError: undefined },
  coordinators: [],
  connections: [],
}

describe('createKafka on any ClusterClient', () => {
  it('binds produceTo and reports the producer in diagnostics', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b))
    scheduler.run(() => {
      const cluster = createVirtualCluster({ topics: [{ name: 't', partitions: 1 }], scheduler })
      const kafka = createKafka({ client: cluster })
      const seen: KafkaDiagnostics[] = []
      const results: bigint[] = []
      const diagnostics = kafka.diagnostics$(1000).subscribe((d) => seen.push(d))
      scheduler.schedule(() => {
        timer(0, 100)
          .pipe(
            take(20), // alive from frame 2500 to about 4500, so the 3000 and 4000 samples see it
            map((i) => ({ value: `m${i}` })),
            kafka.produceTo('t', { name: 'spec-producer' }),
          )
          .subscribe((r) => results.push(r.offset))
      }, 2_500)
      scheduler.schedule(() => diagnostics.unsubscribe(), 5_000)
      scheduler.flush()
      expect(results).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)))
      // frame 0 emits; frames 1000 and 2000 change nothing and emit nothing; the producer's arrival (and
      // its completion) change the snapshot
      expect(seen.length).toBeGreaterThanOrEqual(2)
      expect(seen[0]!.producers).toEqual([])
      // A virtual cluster is a KafkaCluster: idle at first, then with the producer's connections.
      expect(seen[0]!.cluster).toEqual(IDLE_CLUSTER)
      expect(seen.some((d) => d.producers.length > 0 && d.cluster!.connections.some((c) => c.nodeId === 1 && c.state === 'ready'))).toBe(true)
      expect(seen.some((d) => d.producers.some((p) => p.name === 'spec-producer'))).toBe(true)
      for (let i = 1; i < seen.length; i++) expect(JSON.stringify(seen[i], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toBe(JSON.stringify(seen[i - 1], (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))
    })
  })

  it('diagnostics$ emits nothing new while nothing changes', () => {
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b))
    scheduler.run(({ expectObservable }) => {
      const cluster = createVirtualCluster({ topics: [{ name: 't', partitions: 1 }], scheduler })
      const kafka = createKafka({ client: cluster })
      expectObservable(kafka.diagnostics$(1000).pipe(take(1)), '^ 9999ms !').toBe('(a|)', {
        a: { cluster: IDLE_CLUSTER, producers: [], consumers: [] },
      })
      expectObservable(kafka.diagnostics$(1000), '^ 9999ms !').toBe('a', { a: { cluster: IDLE_CLUSTER, producers: [], consumers: [] } })
    })
  })
})

describe('a client closed before its first use', () => {
  /** Settles within `ms`, or says it is still pending. */
  const settled = <T>(promise: Promise<T>, ms = 5_000) =>
    Promise.race([
      promise.then(
        (value) => ({ outcome: 'resolved' as const, value }),
        (error: unknown) => ({ outcome: 'rejected' as const, error }),
      ),
      new Promise<{ outcome: 'pending' }>((resolve) => setTimeout(() => resolve({ outcome: 'pending' }), ms)),
    ])

  const produceToError = async (kafka: Kafka) =>
    settled(firstValueFrom(of({ value: 'x' }).pipe(kafka.produceTo('orders'))))

  it('send() rejects with the same "client is closed" error as produceTo', async () => {
    // Port 1 on loopback: nothing may connect anyway, and a closed client must not try.
    const kafka = createKafka({ brokers: ['127.0.0.1:1'], logger: silentLogger })
    await kafka.close()
    const fromSend = await settled(kafka.send('orders', { value: 'x' }))
    const fromProduceTo = await produceToError(kafka)
    expect(fromProduceTo.outcome).toBe('rejected')
    expect(fromSend.outcome).toBe('rejected')
    const sendError = (fromSend as { error: unknown }).error
    expect(sendError).toBeInstanceOf(RxKafkaError)
    expect((sendError as RxKafkaError).code).toBe('CLOSED')
    expect((sendError as RxKafkaError).message).toBe(((fromProduceTo as { error: unknown }).error as RxKafkaError).message)
    expect((sendError as RxKafkaError).message).toMatch(/the Kafka client is closed/)
  })

  it('every later send() rejects too, concurrent ones included', async () => {
    const kafka = createKafka({ brokers: ['127.0.0.1:1'], logger: silentLogger })
    await kafka.close()
    const outcomes = await Promise.all([settled(kafka.send('a', { value: '1' })), settled(kafka.send('a', { value: '2' })), settled(send(kafka.cluster, 'b', { value: '3' }))])
    expect(outcomes.map((o) => o.outcome)).toEqual(['rejected', 'rejected', 'rejected'])
    expect((await settled(kafka.send('a', { value: '4' }, { acks: 1, random: Math.random }))).outcome).toBe('rejected') // unshared options
  })
})
