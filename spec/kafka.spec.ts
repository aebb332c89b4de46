import { map, take, timer } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { describe, expect, it } from 'vitest'
import { createKafka, type KafkaDiagnostics } from '../lib/index.js'
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
