/**
 * flush(): `kafka.flush()` / `flushProducers(client)` and the `flush$` option
 * push out what lingers without ending the stream. The Promise forms run on
 * the wall clock (a Promise settles in a microtask, outside virtual time);
 * the notifier runs in virtual time.
 */
import { describe, expect, it } from 'vitest'
import { map, NEVER, of, Subject } from 'rxjs'
import { TestScheduler } from 'rxjs/testing'
import { createKafka } from '../../lib/kafka.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { flushProducers, produceTo } from '../../lib/producer/index.js'
import type { ProducerMessage, ProducerResult } from '../../lib/producer/index.js'
import { ProducerCluster } from './producer-cluster.js'

const v = (m: string, partition = 0) => ({ value: m, partition, metadata: m })

describe('producer flush', () => {
  it('kafka.flush() sends lingering batches at once and resolves when every message accepted before it has its result; the stream stays open', async () => {
    const client = new ProducerCluster({ topics: { t: [1, 2] } })
    const kafka = createKafka({ client })
    const source = new Subject<ProducerMessage<string>>()
    const results: ProducerResult<string>[] = []
    let completed = false
    const subscription = source.pipe(kafka.produceTo<string>('t', { lingerMs: 60_000 })).subscribe({ next: (r) => results.push(r), complete: () => { completed = true } })
    source.next(v('a', 0))
    source.next(v('b', 1))
    const started = Date.now()
    await kafka.flush()
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(results.map((r) => r.metadata).sort()).toEqual(['a', 'b'])
    expect(completed).toBe(false)
    // Nothing held: resolves at once. Then a third message, flushed on its own.
    await kafka.flush()
    source.next(v('c', 0))
    await kafka.flush()
    expect(results.map((r) => r.metadata).sort()).toEqual(['a', 'b', 'c'])
    // a to broker 1, b to broker 2, then c: three requests, none waiting out the 60 s linger.
    expect(client.produceCalls.length).toBe(3)
    subscription.unsubscribe()
    await client.close()
  })

  it('counts a failed result as settled (errorMode result)', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] }, produce: (call) => of(client.successFor(call, { 't/0': ErrorCode.INVALID_TIMESTAMP })) })
    const source = new Subject<ProducerMessage<string>>()
    const results: ProducerResult<string>[] = []
    const subscription = source.pipe(produceTo<string>('t', { client, lingerMs: 60_000, errorMode: 'result' })).subscribe((r) => results.push(r))
    source.next(v('a'))
    await flushProducers(client)
    expect(results.map((r) => (r.error as { code?: string } | undefined)?.code)).toEqual(['INVALID_TIMESTAMP'])
    subscription.unsubscribe()
    await client.close()
  })

  it('rejects with CLOSED when the stream is unsubscribed before the results are in', async () => {
    const client = new ProducerCluster({ topics: { t: [1] }, produce: () => NEVER })
    const source = new Subject<ProducerMessage<string>>()
    const subscription = source.pipe(produceTo<string>('t', { client, lingerMs: 0 })).subscribe()
    source.next(v('a'))
    const flushed = flushProducers(client)
    setTimeout(() => subscription.unsubscribe(), 20)
    await expect(flushed).rejects.toMatchObject({ code: 'CLOSED' })
    await client.close()
  })

  it('the flush$ option: each emission sends what lingers, without a Promise (virtual time)', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected))
    scheduler.run(({ cold, hot, expectObservable }) => {
      const client: ProducerCluster = new ProducerCluster({ scheduler, topics: { t: [1] }, produce: (call) => cold('-r|', { r: client.successFor(call) }) })
      const flush$ = new Subject<void>()
      scheduler.schedule(() => flush$.next(), 20)
      // a and b linger 5 s; the emission at 20 sends them, answered at 21.
      const source = hot('a 9ms b', { a: v('a'), b: v('b') })
      expectObservable(source.pipe(produceTo<string>('t', { client, lingerMs: 5_000, flush$ }), map((r) => r.metadata)), '^ 100ms !').toBe('21ms (ab)')
    })
  })
})
