/**
 * A partition substream's own controls, in virtual time: pause()/resume()
 * beside the demand-driven pausing, seek(offset) on a running substream, and a
 * second subscriber refused with a clear error instead of orphaning the first.
 */
import { describe, expect, it } from 'vitest'
import { map, mergeMap, take, type Observable } from 'rxjs'
import { consumePartitions, type PartitionStream } from '../../lib/consumer/index.js'
import { RxKafkaError } from '../../lib/errors/index.js'
import { createVirtualCluster } from '../../lib/testing/index.js'
import { createTestScheduler } from '../testing/virtual-helpers.js'

describe('partition substream controls', () => {
  it('pause() at 150 holds fetching back until resume() at 600, whatever the demand', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable, cold }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
      kafka.feed('orders', cold('100ms a 99ms b 99ms c', { a: { value: 'a' }, b: { value: 'b' }, c: { value: 'c' } }))
      const values = consumePartitions({ client: kafka, topic: 'orders', from: 'earliest' }).pipe(
        mergeMap((partition$) => {
          scheduler.schedule(() => partition$.pause(), 150)
          scheduler.schedule(() => {
            expect(partition$.paused).toBe(true)
            partition$.resume()
          }, 600)
          return partition$.pipe(map((msg) => (msg.done(), `${msg.offset}:${msg.value}`)))
        }),
      )
      // 'a' before the pause; the long poll in flight at 150 was sent before it, so b still arrives with its answer.
      expectObservable(values, '^ 999ms !').toBe('100ms a 99ms b 399ms c', { a: '0:a', b: '1:b', c: '2:c' })
    })
  })

  it('seek(0n) on a running substream delivers again from offset 0', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
      kafka.produceDirect('orders', 0, [{ value: 'a' }, { value: 'b' }])
      let sought = false
      const values = consumePartitions({ client: kafka, topic: 'orders', from: 'earliest' }).pipe(
        mergeMap((partition$) =>
          partition$.pipe(
            map((msg) => {
              msg.done()
              if (msg.offset === 1n && !sought) {
                sought = true
                scheduler.schedule(() => partition$.seek(0n), 100)
              }
              return `${msg.offset}:${msg.value}`
            }),
            take(4),
          ),
        ),
      )
      // The long poll in flight at the seek (from offset 2) answers at 500 and is dropped; the next fetch reads from 0.
      expectObservable(values, '^ 999ms !').toBe('(ab) 496ms (cd)', { a: '0:a', b: '1:b', c: '0:a', d: '1:b' })
    })
  })

  it('a second subscriber to a partition substream gets PARTITION_STREAM_BUSY; the first keeps reading', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
      kafka.produceDirect('orders', 0, [{ value: 'a' }])
      let stream: PartitionStream | undefined
      const first = consumePartitions({ client: kafka, topic: 'orders', from: 'earliest' }).pipe(
        mergeMap((partition$) => {
          stream = partition$
          return partition$.pipe(map((msg) => msg.value?.toString()))
        }),
      )
      expectObservable(first, '^ 999ms !').toBe('a', { a: 'a' })
      const second = new Promise<unknown>((resolve) => scheduler.schedule(() => (stream as Observable<unknown>).subscribe({ error: resolve }), 10))
      scheduler.schedule(() => {
        void second.then((error) => {
          expect(error).toBeInstanceOf(RxKafkaError)
          expect((error as RxKafkaError).code).toBe('PARTITION_STREAM_BUSY')
        })
      }, 20)
    })
  })

  it('seek refuses a plain number with a clear error', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ expectObservable }) => {
      const kafka = createVirtualCluster({ topics: [{ name: 'orders' }] })
      kafka.produceDirect('orders', 0, [{ value: 'a' }])
      const refused = consumePartitions({ client: kafka, topic: 'orders', from: 'earliest' }).pipe(
        map((partition$) => {
          try {
            partition$.seek(5 as unknown as bigint)
            return 'accepted'
          } catch (e) {
            return String(e)
          }
        }),
      )
      expectObservable(refused, '^ 99ms !').toBe('x', { x: expect.stringMatching(/needs a bigint offset >= 0n, got a number.*partition\$\.seek\(5n\)/) as unknown as string })
    })
  })
})
