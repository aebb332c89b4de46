import { describe, expect, it } from 'vitest'
import { concat, firstValueFrom, from, lastValueFrom, map, NEVER, of, range, Subject, throwError, timer, toArray } from 'rxjs'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { KafkaBrokerError, OperatorOptionError, ConnectionError, UnknownTopicError } from '../../lib/errors/index.js'
import {
  BufferFullError,
  InvalidPartitionError,
  ProducerDeliveryError,
  ProducerInputError,
  murmur2Partition,
  produce,
  produceTo,
  producerDiagnostics,
  send,
} from '../../lib/producer/index.js'
import type { ProducerResult } from '../../lib/producer/index.js'
import { ProducerCluster } from './producer-cluster.js'
import { resolveProducerOptions } from '../../lib/producer/options.js'

const value100 = 'v'.repeat(100)

function run<M>(results$: import('rxjs').Observable<ProducerResult<M>>): Promise<ProducerResult<M>[]> {
  return lastValueFrom(results$.pipe(toArray()))
}

/** Results grouped per partition, as metadata lists. */
function perPartition<M>(results: ProducerResult<M>[]): Map<number, M[]> {
  const grouped = new Map<number, M[]>()
  for (const r of results) {
    const list = grouped.get(r.partition) ?? []
    list.push(r.metadata as M)
    grouped.set(r.partition, list)
  }
  return grouped
}

describe('produceTo against a scripted cluster', () => {
  it('flushes everything when the source completes, one result per message, offsets contiguous and in input order per partition', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1, 2, 3, 1] } })
    const results = await run(range(0, 500).pipe(
      map((i) => ({ key: `key-${i % 37}`, value: value100, metadata: i })),
      produceTo<number>('t', { client, lingerMs: 2, batchMessages: 50 }),
    ))
    expect(results).toHaveLength(500)
    expect(results.every((r) => r.error === undefined)).toBe(true)
    for (const [partition, metadata] of perPartition(results)) {
      expect(metadata).toEqual([...metadata].sort((a, b) => a - b))
      const offsets = results.filter((r) => r.partition === partition).map((r) => r.offset)
      expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)))
    }
    for (const r of results) expect(r.partition).toBe(murmur2Partition(Buffer.from(`key-${r.metadata! % 37}`), 4))
    await firstValueFrom(timer(5))
    expect(client.users).toBe(0)
    expect(producerDiagnostics(client)).toEqual([])
  })

  it('offloads compression by default for gzip only, and an explicit offloadCompression wins', () => {
    const client = new ProducerCluster({ topics: { t: [1] } })
    const offload = (o: Parameters<typeof resolveProducerOptions>[1]) => resolveProducerOptions('produceTo', o, client).offloadCompression
    expect(offload({ compression: 'gzip' })).toBe(true)
    expect(offload({ compression: 'gzip', offloadCompression: false })).toBe(false)
    for (const compression of ['none', 'lz4', 'snappy', 'zstd'] as const) expect(offload({ compression }), compression).toBe(false)
    expect(offload({})).toBe(false)
    expect(offload({ compression: 'lz4', offloadCompression: true })).toBe(true)
  })

  it('records the batch life: opened <= sealed <= compressed, sizes, one exchange per attempt with its broker', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [2] } })
    const [result] = await run(of({ value: 'hello', metadata: 'm' }).pipe(produceTo('t', { client, compression: 'gzip' })))
    const life = result!.batch
    expect(life.openedAt).toBeLessThanOrEqual(life.sealedAt)
    expect(life.sealedAt).toBeLessThanOrEqual(life.compressedAt)
    expect(life.records).toBe(1)
    expect(life.uncompressedBytes).toBeGreaterThan(61)
    expect(life.compressedBytes).toBe(client.sentBatches[0]!.bytes.length)
    expect(client.sentBatches[0]!.attributes & 7).toBe(1)
    expect(life.exchanges).toHaveLength(1)
    expect(life.exchanges[0]!.broker).toBe(2)
    expect(life.exchanges[0]!.error).toBeUndefined()
    expect(result!.metadata).toBe('m')
  })

  it('puts the batches of several partitions led by one broker into one Produce request', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1, 1, 1, 1] } })
    await run(from([0, 1, 2, 3]).pipe(map((p) => ({ value: 'x', partition: p })), produceTo('t', { client, lingerMs: 1 })))
    expect(client.produceCalls).toHaveLength(1)
    expect(client.produceCalls[0]!.batches.map((b) => b.partition).sort()).toEqual([0, 1, 2, 3])
  })

  it('splits requests at maxRequestBytes', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1, 1, 1, 1] } })
    await run(from([0, 1, 2, 3]).pipe(map((p) => ({ value: value100, partition: p })), produceTo('t', { client, lingerMs: 1, maxRequestBytes: 300 })))
    expect(client.produceCalls.length).toBeGreaterThanOrEqual(2)
    expect(client.sentBatches).toHaveLength(4)
  })

  it('stamps idempotent batches with the producer id and consecutive sequence numbers per partition', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1, 2] } })
    await run(range(0, 300).pipe(map((i) => ({ value: value100, partition: i % 2 })), produceTo('t', { client, batchMessages: 40 })))
    expect(client.initProducerIdCalls).toHaveLength(1)
    for (const p of [0, 1]) {
      const batches = client.written.get(`t/${p}`)!
      let expected = 0
      for (const b of batches) {
        expect(b.producerId).toBe(1000n)
        expect(b.producerEpoch).toBe(0)
        expect(b.baseSequence).toBe(expected)
        expected += b.records
      }
      expect(expected).toBe(150)
    }
  })

  it('sends without producer state when idempotence is off (acks 1)', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] } })
    await run(of({ value: 'a' }).pipe(produceTo('t', { client, acks: 1 })))
    expect(client.initProducerIdCalls).toHaveLength(0)
    expect(client.sentBatches[0]!.producerId).toBe(-1n)
    expect(client.produceCalls[0]!.request.acks).toBe(1)
  })

  it('acks 0: results without offsets once the request is written', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] } })
    const results = await run(of({ value: 'a', metadata: 1 }, { value: 'b', metadata: 2 }).pipe(produceTo('t', { client, acks: 0 })))
    expect(results.map((r) => [r.metadata, r.offset])).toEqual([[1, -1n], [2, -1n]])
    expect(client.produceCalls[0]!.request.acks).toBe(0)
  })

  it('a source error arrives after the results of what came before it', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] } })
    const seen: unknown[] = []
    const boom = new Error('source broke')
    await new Promise<void>((resolve) => {
      concat(of({ value: 'a', metadata: 1 }, { value: 'b', metadata: 2 }), throwError(() => boom))
        .pipe(produceTo('t', { client }))
        .subscribe({ next: (r) => seen.push(r.metadata), error: (e) => { seen.push(e); resolve() } })
    })
    expect(seen).toEqual([1, 2, boom])
  })

  it('unsubscribing aborts: requests cancelled, client released, no producer left', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] }, produce: () => NEVER })
    const subscription = of({ value: 'a' }).pipe(produceTo('t', { client, lingerMs: 0 })).subscribe()
    await firstValueFrom(timer(20))
    expect(client.activeRequests).toBe(1)
    expect(producerDiagnostics(client)).toHaveLength(1)
    subscription.unsubscribe()
    expect(client.activeRequests).toBe(0)
    expect(client.users).toBe(0)
    expect(producerDiagnostics(client)).toEqual([])
  })

  it('MESSAGE_TOO_LARGE on a batch of many records: split in halves and sent again, in order, the halves taking its sequence numbers', async () => {
    let calls = 0
    const client: ProducerCluster = new ProducerCluster({
      topics: { t: [1] },
      // The broker refuses the first two requests as too large: the batch of 8, then its first half of 4.
      produce: (call) => (++calls <= 2 ? of(client.successFor(call, { 't/0': ErrorCode.MESSAGE_TOO_LARGE })) : undefined),
    })
    const results = await run(range(0, 10).pipe(map((i) => ({ value: `m${i}`, metadata: i })), produceTo('t', { client, batchMessages: 8, errorMode: 'result' })))
    expect(results.filter((r) => r.error !== undefined)).toEqual([])
    expect(results.map((r) => r.metadata)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(results.map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n])
    const written = client.written.get('t/0')!
    expect(written.map((b) => [b.records, b.baseSequence])).toEqual([[2, 0], [2, 2], [4, 4], [2, 8]])
    // The halves' results carry the whole history: the refused attempts, then their own.
    expect(results[0]!.batch.exchanges.map((e) => (e.error as KafkaBrokerError | undefined)?.code)).toEqual(['MESSAGE_TOO_LARGE', 'MESSAGE_TOO_LARGE', undefined])
  })

  it('a single record refused as MESSAGE_TOO_LARGE fails without a retry; other partitions still succeed (errorMode result)', async () => {
    const client: ProducerCluster = new ProducerCluster({
      topics: { t: [1, 2] },
      produce: (call) => (call.broker === 1 ? of(client.successFor(call, { 't/0': ErrorCode.MESSAGE_TOO_LARGE })) : undefined),
    })
    const results = await run(from([0, 1, 1]).pipe(map((p, i) => ({ value: 'x', partition: p, metadata: i })), produceTo('t', { client, errorMode: 'result' })))
    const failed = results.filter((r) => r.error !== undefined)
    expect(failed.map((r) => r.metadata)).toEqual([0])
    expect(failed[0]!.error).toBeInstanceOf(KafkaBrokerError)
    expect((failed[0]!.error as KafkaBrokerError).errorName).toBe('MESSAGE_TOO_LARGE')
    expect(failed[0]!.error!.message).toContain('topic t')
    expect(failed[0]!.batch.exchanges).toHaveLength(1)
    expect(results.filter((r) => r.error === undefined).map((r) => r.metadata)).toEqual([1, 2])
  })

  it('by default a final failure errors the stream with a ProducerDeliveryError naming the message', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] }, produce: (call) => of(client.successFor(call, { 't/0': ErrorCode.MESSAGE_TOO_LARGE })) })
    const error = await run(of({ value: 'x', metadata: 'order-7' }).pipe(produceTo('t', { client }))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProducerDeliveryError)
    const delivery = error as ProducerDeliveryError<string>
    expect(delivery.result.metadata).toBe('order-7')
    expect(delivery.code).toBe('MESSAGE_TOO_LARGE')
    expect(delivery.cause).toBeInstanceOf(KafkaBrokerError)
  })

  it('an unknown topic fails its messages with a clear, non-retried error; other topics succeed', async () => {
    // The brokers do not have 'nope': the cluster's ensureTopics gives up after topicWaitMs with an UnknownTopicError.
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] }, topicWaitMs: 50 })
    const results = await run(from(['t', 'nope', 't', 'nope']).pipe(
      map((topic, i) => ({ topic, value: 'x', metadata: i })),
      produce<number>({ client, errorMode: 'result' }),
    ))
    expect(results.filter((r) => r.error === undefined).map((r) => r.metadata).sort()).toEqual([0, 2])
    const failed = results.filter((r) => r.error !== undefined)
    expect(failed.map((r) => r.metadata).sort()).toEqual([1, 3])
    expect(failed.every((r) => r.error instanceof UnknownTopicError && r.error.topic === 'nope' && r.topic === 'nope')).toBe(true)
    // One lookup failed, and both messages carry its error: the unknown topic was not retried per message.
    expect(failed[0]!.error).toBe(failed[1]!.error)
    expect(client.produceCalls.flatMap((c) => c.batches.map((b) => b.topic))).not.toContain('nope')
  })

  it('retries a retriable error after a backoff and refreshes metadata for a leader error', async () => {
    let calls = 0
    const client: ProducerCluster = new ProducerCluster({
      topics: { t: [1] },
      produce: (call) => (++calls === 1 ? of(client.successFor(call, { 't/0': ErrorCode.NOT_LEADER_OR_FOLLOWER })) : undefined),
    })
    const results = await run(of({ value: 'x' }).pipe(produceTo('t', { client, retryBackoff: { initialMs: 5, jitter: 0 } })))
    expect(results[0]!.error).toBeUndefined()
    expect(results[0]!.batch.exchanges.map((e) => e.error?.message.split(':')[0])).toEqual(['NOT_LEADER_OR_FOLLOWER', undefined])
    expect(client.refreshesWhileSending).toBeGreaterThanOrEqual(1)
    // Same sequence on the retry: the broker dedups if the first attempt was written after all.
    expect(client.sentBatches.map((b) => b.baseSequence)).toEqual([0, 0])
  })

  it('sends to the new leader after a leader move', async () => {
    let calls = 0
    const client: ProducerCluster = new ProducerCluster({
      topics: { t: [1] },
      produce: (call) => {
        if (++calls === 1) {
          client.setLeaders('t', [3])
          return of(client.successFor(call, { 't/0': ErrorCode.NOT_LEADER_OR_FOLLOWER }))
        }
        return undefined
      },
    })
    await run(of({ value: 'x' }).pipe(produceTo('t', { client, retryBackoff: { initialMs: 1 } })))
    expect(client.produceCalls.map((c) => c.broker)).toEqual([1, 3])
  })

  it('a request that fails without an answer is retried with the same sequence; DUPLICATE_SEQUENCE_NUMBER then counts as delivered', async () => {
    let calls = 0
    const client: ProducerCluster = new ProducerCluster({
      topics: { t: [1] },
      produce: (call) => {
        calls++
        if (calls === 1) return throwError(() => new ConnectionError('socket closed', { broker: 1, retriable: true }))
        return of(client.successFor(call, { 't/0': ErrorCode.DUPLICATE_SEQUENCE_NUMBER }))
      },
    })
    const results = await run(of({ value: 'x', metadata: 'a' }).pipe(produceTo('t', { client, retryBackoff: { initialMs: 1 } })))
    expect(results).toHaveLength(1)
    expect(results[0]!.error).toBeUndefined()
    expect(results[0]!.offset).toBe(-1n)
    expect(client.sentBatches.map((b) => [b.producerEpoch, b.baseSequence])).toEqual([[0, 0], [0, 0]])
  })

  it('OUT_OF_ORDER_SEQUENCE_NUMBER bumps the epoch and sends again from sequence 0 under it', async () => {
    let calls = 0
    const client: ProducerCluster = new ProducerCluster({
      topics: { t: [1] },
      produce: (call) => (++calls === 1 ? of(client.successFor(call, { 't/0': ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER })) : undefined),
    })
    const results = await run(of({ value: 'x' }, { value: 'y' }).pipe(produceTo('t', { client, retryBackoff: { initialMs: 1 } })))
    expect(results.every((r) => r.error === undefined)).toBe(true)
    // The first InitProducerId names no producer (the broker reads -1); the bump names the id and epoch.
    expect(client.initProducerIdCalls).toEqual([{ producerId: -1n, producerEpoch: -1 }, { producerId: 1000n, producerEpoch: 0 }])
    expect(client.sentBatches.map((b) => [b.producerEpoch, b.baseSequence])).toEqual([[0, 0], [1, 0]])
  })

  it('an epoch bump the broker refuses falls back to a new producer id, sequences from 0', async () => {
    let calls = 0
    const client: ProducerCluster = new ProducerCluster({
      topics: { t: [1] },
      produce: (call) => (++calls === 1 ? of(client.successFor(call, { 't/0': ErrorCode.UNKNOWN_PRODUCER_ID })) : undefined),
    })
    client.refuseBump = true
    const results = await run(of({ value: 'x' }).pipe(produceTo('t', { client, retryBackoff: { initialMs: 1 } })))
    expect(results[0]!.error).toBeUndefined()
    expect(client.initProducerIdCalls.map((c) => c.producerId)).toEqual([-1n, 1000n, -1n])
    expect(client.sentBatches.map((b) => [b.producerId, b.producerEpoch, b.baseSequence])).toEqual([[1000n, 0, 0], [1001n, 0, 0]])
  })

  it('after a failed batch that the broker refused, later batches of the partition are re-sequenced from its sequence', async () => {
    let calls = 0
    const client: ProducerCluster = new ProducerCluster({
      topics: { t: [1] },
      // INVALID_TIMESTAMP: refused for good, not written (MESSAGE_TOO_LARGE would be split and sent again).
      produce: (call) => (++calls === 1 ? of(client.successFor(call, { 't/0': ErrorCode.INVALID_TIMESTAMP })) : undefined),
    })
    const results = await run(range(0, 30).pipe(map((i) => ({ value: 'x', metadata: i })), produceTo('t', { client, batchMessages: 10, errorMode: 'result' })))
    expect(results.filter((r) => r.error !== undefined).map((r) => r.metadata)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(client.written.get('t/0')!.map((b) => b.baseSequence)).toEqual([0, 10])
  })

  it("onBufferFull 'wait': a synchronous source bigger than maxBufferedBytes is delivered whole, never holding more than the bound", async () => {
    let maxSeen = 0
    const client: ProducerCluster = new ProducerCluster({
      topics: { t: [1, 2] },
      produce: () => {
        for (const d of producerDiagnostics(client)) maxSeen = Math.max(maxSeen, d.bufferedBytes)
        return undefined
      },
    })
    const results = await run(range(0, 2000).pipe(map((i) => ({ value: value100, metadata: i })), produceTo<number>('t', { client, maxBufferedBytes: 20_000, batchBytes: 4_000 })))
    expect(results).toHaveLength(2000)
    expect(results.every((r) => r.error === undefined)).toBe(true)
    expect(maxSeen).toBeGreaterThan(0)
    // One message may overshoot the bound: it is admitted while below it.
    expect(maxSeen).toBeLessThan(20_000 + 200)
    for (const metadata of perPartition(results).values()) expect(metadata).toEqual([...metadata].sort((a, b) => a - b))
  })

  it("onBufferFull 'error': what does not fit fails at once with BufferFullError, the rest is delivered", async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] } })
    // The topic's metadata is known (as on a client that produced to it before), so messages are encoded, or refused, as they come.
    await firstValueFrom(client.ensureTopics(['t']))
    const results = await run(range(0, 500).pipe(map((i) => ({ value: value100, metadata: i })), produceTo('t', { client, maxBufferedBytes: 5_000, onBufferFull: 'error', errorMode: 'result' })))
    const failed = results.filter((r) => r.error !== undefined)
    expect(results).toHaveLength(500)
    expect(failed.length).toBeGreaterThan(0)
    expect(failed.length).toBeLessThan(500)
    expect(failed.every((r) => r.error instanceof BufferFullError)).toBe(true)
  })

  it('bad input becomes a typed error naming the problem: no value, wrong type, serializer failure, bad partition', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1, 1] } })
    const inputs = [
      { value: undefined as unknown as string, metadata: 'no value' },
      { value: 42 as unknown as string, metadata: 'number' },
      { value: 'ok', metadata: 'ok' },
      { value: 'x', partition: 9, metadata: 'partition' },
    ]
    const results = await run(from(inputs).pipe(produceTo<string>('t', { client, errorMode: 'result' })))
    const byMetadata = new Map(results.map((r) => [r.metadata, r.error]))
    expect(byMetadata.get('no value')).toBeInstanceOf(ProducerInputError)
    expect(byMetadata.get('no value')!.message).toContain('no value')
    expect(byMetadata.get('number')!.message).toContain('is number')
    expect(byMetadata.get('ok')).toBeUndefined()
    expect(byMetadata.get('partition')).toBeInstanceOf(InvalidPartitionError)
    const serialized = await run(of({ value: { a: 1 } }).pipe(produceTo('t', {
      client, errorMode: 'result', valueSerializer: () => { throw new Error('cannot') },
    })))
    expect(serialized[0]!.error).toBeInstanceOf(ProducerInputError)
    expect(serialized[0]!.error!.message).toContain('value serializer threw: cannot')
  })

  it('produce(): a message without a topic fails alone with a ProducerInputError', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] } })
    const results = await run(from([{ topic: 't', value: 'a', metadata: 0 }, { topic: '', value: 'b', metadata: 1 }]).pipe(produce<number>({ client, errorMode: 'result' })))
    expect(results.map((r) => [r.metadata, r.error?.constructor.name])).toEqual([[1, 'ProducerInputError'], [0, undefined]])
  })

  it('serializers turn any type into bytes; headers as an object or a list reach the batch', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] } })
    const results = await run(of({ key: 7, value: { n: 1 }, headers: { trace: 'abc', empty: null } }).pipe(produceTo<unknown, number, { n: number }>('t', {
      client, keySerializer: (k) => String(k), valueSerializer: (v) => JSON.stringify(v),
    })))
    expect(results[0]!.error).toBeUndefined()
    const bytes = client.sentBatches[0]!.bytes
    expect(bytes.includes(Buffer.from('{"n":1}'))).toBe(true)
    expect(bytes.includes(Buffer.from('trace'))).toBe(true)
    expect(bytes.includes(Buffer.from('abc'))).toBe(true)
  })

  it('checks options when the operator is created', () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] } })
    expect(() => produceTo('t', { client, acks: 2 as 1 })).toThrow(OperatorOptionError)
    expect(() => produceTo('t', { client, acks: 1, idempotent: true })).toThrow(/idempotent/)
    expect(() => produceTo('t', { client, lingerMs: -1 })).toThrow(/lingerMs/)
    expect(() => produceTo('t', { client, maxInFlight: 6 })).toThrow(/maxInFlight/)
    expect(() => produceTo('t', { client, compression: 'brotli' as 'gzip' })).toThrow(/compression/)
    expect(() => produceTo('', { client })).toThrow(/topic/)
    expect(() => produceTo('t', {} as never)).toThrow(/client/)
  })

  it('send() resolves with the one result, or rejects with the delivery error', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] } })
    const result = await send(client, 't', { value: 'one', metadata: 1 })
    expect(result.offset).toBe(0n)
    expect(result.metadata).toBe(1)
    const failing: ProducerCluster = new ProducerCluster({ topics: { t: [1] }, produce: (call) => of(failing.successFor(call, { 't/0': ErrorCode.MESSAGE_TOO_LARGE })) })
    await expect(send(failing, 't', { value: 'x' })).rejects.toBeInstanceOf(ProducerDeliveryError)
  })

  it('send(): awaited calls one after another keep one producer id; concurrent calls share batches', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] } })
    const first = await send(client, 't', { value: 'a' })
    const second = await send(client, 't', { value: 'b' })
    expect([first.offset, second.offset]).toEqual([0n, 1n])
    expect(client.initProducerIdCalls).toHaveLength(1)
    const together = await Promise.all([0, 1, 2, 3].map((i) => send(client, 't', { value: `c${i}`, metadata: i })))
    expect(together.map((r) => r.metadata)).toEqual([0, 1, 2, 3])
    expect(client.produceCalls.length).toBe(3)
    await firstValueFrom(timer(5))
    expect(client.users).toBe(0)
    await expect(send(client, 't', { value: 'x' }, { acks: 3 as 1 })).rejects.toBeInstanceOf(OperatorOptionError)
    await expect(send(client, 't', { value: 'x' })).resolves.toMatchObject({ offset: 6n })
  })

  it('keyless messages stick to one partition per batch and move on when it is sealed', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1, 1, 1, 1] } })
    let seed = 0
    const random = (): number => ((seed = (seed * 9301 + 49297) % 233280) / 233280)
    const results = await run(range(0, 100).pipe(map((i) => ({ value: 'x', metadata: i })), produceTo<number>('t', { client, batchMessages: 10, random })))
    // Runs of 10 consecutive messages share a partition.
    for (let i = 0; i < 100; i += 10) {
      const run10 = results.filter((r) => r.metadata! >= i && r.metadata! < i + 10).map((r) => r.partition)
      expect(new Set(run10).size).toBe(1)
    }
    expect(new Set(results.map((r) => r.partition)).size).toBeGreaterThan(1)
  })

  it('a message pushed from the result handler (feedback loop) is produced too', async () => {
    const client: ProducerCluster = new ProducerCluster({ topics: { t: [1] } })
    const input = new Subject<{ value: string; metadata: number }>()
    const seen: number[] = []
    const done = lastValueFrom(input.pipe(produceTo<number>('t', { client, lingerMs: 0 }), map((r) => {
      seen.push(r.metadata!)
      if (r.metadata! < 5) input.next({ value: 'x', metadata: r.metadata! + 1 })
      else input.complete()
      return r
    }), toArray()))
    input.next({ value: 'x', metadata: 0 })
    await done
    expect(seen).toEqual([0, 1, 2, 3, 4, 5])
  })
})
