import { describe, expect, it } from 'vitest'
import { firstValueFrom, take } from 'rxjs'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import { ProtocolEncodeError, UnsupportedVersionError } from '../../lib/errors/index.js'
import { ApiVersionsApi } from '../../lib/protocol/messages/ApiVersions.js'
import { FetchApi, type FetchRequest } from '../../lib/protocol/messages/Fetch.js'
import { InitProducerIdApi } from '../../lib/protocol/messages/InitProducerId.js'
import { ListOffsetsApi } from '../../lib/protocol/messages/ListOffsets.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import { ProduceApi } from '../../lib/protocol/messages/Produce.js'
import { SaslHandshakeApi } from '../../lib/protocol/messages/SaslHandshake.js'
import { murmur2Partition } from '../../lib/kit/murmur2.js'
import { RecordBatchBuilder } from '../../lib/protocol/records/record-batch-builder.js'
import { createVirtualCluster, type VirtualCluster } from '../../lib/testing/index.js'
import { batchOf, createTestScheduler, decodeValues, onlyValue, recordEvents } from './virtual-helpers.js'

function produce(cluster: VirtualCluster, broker: number, topic: string, partition: number, records: Buffer, acks = -1) {
  return cluster.request(broker, ProduceApi, { transactionalId: null, acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }, { role: 'produce' })
}

function fetchBody(cluster: VirtualCluster, topic: string, partition: number, fetchOffset: bigint, extra: Partial<FetchRequest> & { partitionMaxBytes?: number } = {}) {
  const topicId = cluster.currentView().topics.get(topic)?.topicId
  return (version: number): FetchRequest => {
    if (version >= 13 && topicId === undefined) throw new Error(`test bug: fetch v${version} needs the topic id of ${topic}; refresh metadata first or cap the version at 12`)
    return {
    replicaId: -1,
    maxWaitMs: extra.maxWaitMs ?? 0,
    minBytes: extra.minBytes ?? 1,
    maxBytes: extra.maxBytes ?? 1_000_000,
    isolationLevel: 0,
    topics: [
      {
        ...(version >= 13 ? { topicId: topicId! } : { topic }),
        partitions: [{ partition, fetchOffset, partitionMaxBytes: extra.partitionMaxBytes ?? 1_000_000 }],
      },
    ],
    }
  }
}

function leaderOf(cluster: VirtualCluster, topic: string, partition: number): number {
  return cluster.currentView().topics.get(topic)!.partitions[partition]!.leader
}

describe('virtual cluster: produce, fetch, list offsets', () => {
  it('produce then fetch returns the records with the offsets the log assigned, at the oldest and newest Fetch versions', async () => {
    const cluster = createVirtualCluster({ brokers: 3, topics: [{ name: 'orders', partitions: 2 }] })
    await firstValueFrom(cluster.refreshMetadata(['orders']))
    const leader = leaderOf(cluster, 'orders', 1)
    const first = await firstValueFrom(produce(cluster, leader, 'orders', 1, batchOf(['a', 'b', 'c'])))
    const second = await firstValueFrom(produce(cluster, leader, 'orders', 1, batchOf(['d', 'e'])))
    expect(first.responses[0]!.partitionResponses[0]).toMatchObject({ index: 1, errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n })
    expect(second.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 3n })

    for (const maxVersion of [4, 12, 17]) {
      const response = await firstValueFrom(cluster.request(leader, FetchApi, fetchBody(cluster, 'orders', 1, 1n), { maxVersion }))
      const partition = response.responses[0]!.partitions[0]!
      expect(partition.errorCode).toBe(0)
      expect(partition.highWatermark).toBe(5n)
      // Whole batches: the batch holding offset 1 starts at 0; consumers skip what lies before their offset.
      expect(decodeValues(partition.records)).toEqual([
        { offset: 0n, value: 'a' },
        { offset: 1n, value: 'b' },
        { offset: 2n, value: 'c' },
        { offset: 3n, value: 'd' },
        { offset: 4n, value: 'e' },
      ])
    }
    expect(cluster.readValues('orders', 1)).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(cluster.readValues('orders', 0)).toEqual([])
  })

  it('the stored batch keeps a valid CRC and carries the leader epoch; log-append time is stamped by the broker', async () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
      scheduler.schedule(() => {
        const events = recordEvents(produce(cluster, 1, 't', 0, batchOf(['x'], { timestampType: 'log-append', timestamp: 5 })), scheduler)
        scheduler.schedule(() => {
          expect(onlyValue(events).responses[0]!.partitionResponses[0]!.logAppendTimeMs).toBe(42n)
          // read() decodes with CRC checks on: a broken CRC would throw here.
          expect(cluster.read('t', 0)).toMatchObject([{ offset: 0n, timestamp: 42, value: Buffer.from('x') }])
        }, 1)
      }, 42)
    })
  })

  it('honours maxBytes by whole batches, but always returns at least one batch', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
    await firstValueFrom(cluster.refreshMetadata(['t']))
    for (const v of ['one', 'two', 'three']) await firstValueFrom(produce(cluster, 1, 't', 0, batchOf([v.repeat(20)])))
    const batchBytes = batchOf(['one'.repeat(20)]).length
    const tiny = await firstValueFrom(cluster.request(1, FetchApi, fetchBody(cluster, 't', 0, 0n, { partitionMaxBytes: 1 })))
    expect(decodeValues(tiny.responses[0]!.partitions[0]!.records).map((r) => r.offset)).toEqual([0n])
    const two = await firstValueFrom(cluster.request(1, FetchApi, fetchBody(cluster, 't', 0, 0n, { maxBytes: batchBytes * 2 + 10 })))
    expect(decodeValues(two.responses[0]!.partitions[0]!.records).map((r) => r.offset)).toEqual([0n, 1n])
  })

  it('answers OFFSET_OUT_OF_RANGE beyond the log end and below the log start; fetching at the end is empty', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
    await firstValueFrom(cluster.refreshMetadata(['t']))
    cluster.produceDirect('t', 0, [{ value: 'a' }, { value: 'b' }])
    cluster.produceDirect('t', 0, [{ value: 'c' }])
    const beyond = await firstValueFrom(cluster.request(1, FetchApi, fetchBody(cluster, 't', 0, 4n)))
    expect(beyond.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: 3n })
    const atEnd = await firstValueFrom(cluster.request(1, FetchApi, fetchBody(cluster, 't', 0, 3n)))
    expect(atEnd.responses[0]!.partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 3n })
    expect(decodeValues(atEnd.responses[0]!.partitions[0]!.records)).toEqual([])
    cluster.deleteRecordsBefore('t', 0, 2n)
    const below = await firstValueFrom(cluster.request(1, FetchApi, fetchBody(cluster, 't', 0, 0n)))
    expect(below.responses[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, logStartOffset: 2n })
  })

  it('long poll: an empty fetch waits until data arrives, or answers empty after maxWaitMs of scheduler time', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
      let woken: ReturnType<typeof recordEvents<unknown>> = []
      let expired: ReturnType<typeof recordEvents<unknown>> = []
      scheduler.schedule(() => {
        woken = recordEvents(cluster.request(1, FetchApi, fetchBody(cluster, 't', 0, 0n, { maxWaitMs: 500 }), { role: 'fetch', maxVersion: 12 }), scheduler)
      }, 10)
      scheduler.schedule(() => cluster.produceDirect('t', 0, [{ value: 'late' }]), 120)
      scheduler.schedule(() => {
        expired = recordEvents(cluster.request(1, FetchApi, fetchBody(cluster, 't', 0, 1n, { maxWaitMs: 300 }), { role: 'fetch', maxVersion: 12 }), scheduler)
      }, 200)
      scheduler.flush()
      expect(woken.map((e) => e.at)).toEqual([120, 120])
      expect(decodeValues((onlyValue(woken) as { responses: { partitions: { records: Buffer | null }[] }[] }).responses[0]!.partitions[0]!.records)).toEqual([
        { offset: 0n, value: 'late' },
      ])
      expect(expired.map((e) => e.at)).toEqual([500, 500])
      expect(decodeValues((onlyValue(expired) as { responses: { partitions: { records: Buffer | null }[] }[] }).responses[0]!.partitions[0]!.records)).toEqual([])
    })
  })

  it('ListOffsets: earliest (-2), latest (-1), max timestamp (-3) and by timestamp', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
    cluster.produceDirect('t', 0, [{ value: 'a', timestamp: 100 }, { value: 'b', timestamp: 300 }])
    cluster.produceDirect('t', 0, [{ value: 'c', timestamp: 200 }])
    const ask = (timestamp: bigint) =>
      firstValueFrom(
        cluster.request(1, ListOffsetsApi, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp }] }] }),
      ).then((r) => r.topics[0]!.partitions[0]!)
    expect(await ask(-2n)).toMatchObject({ errorCode: 0, offset: 0n })
    expect(await ask(-1n)).toMatchObject({ errorCode: 0, offset: 3n })
    expect(await ask(-3n)).toMatchObject({ errorCode: 0, offset: 1n, timestamp: 300n })
    expect(await ask(150n)).toMatchObject({ errorCode: 0, offset: 1n, timestamp: 300n })
    expect(await ask(1000n)).toMatchObject({ errorCode: 0, offset: -1n })
    cluster.deleteRecordsBefore('t', 0, 2n)
    expect(await ask(-2n)).toMatchObject({ offset: 2n })
  })

  it('idempotent producer: duplicates of recent batches succeed with the original offset, gaps and replays are refused', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
    const init = await firstValueFrom(cluster.request('any', InitProducerIdApi, { transactionalId: null, transactionTimeoutMs: 60_000 }))
    expect(init).toMatchObject({ errorCode: 0, producerEpoch: 0 })
    const pid = init.producerId
    const send = (values: string[], baseSequence: number, producerEpoch = 0) =>
      firstValueFrom(produce(cluster, 1, 't', 0, batchOf(values, { producerId: pid, producerEpoch, baseSequence }))).then(
        (r) => r.responses[0]!.partitionResponses[0]!,
      )
    expect(await send(['a'], 1)).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER })
    expect(await send(['a', 'b'], 0)).toMatchObject({ errorCode: 0, baseOffset: 0n })
    expect(await send(['a', 'b'], 0)).toMatchObject({ errorCode: 0, baseOffset: 0n })
    expect(await send(['c'], 3)).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER })
    expect(await send(['c'], 2)).toMatchObject({ errorCode: 0, baseOffset: 2n })
    // Sequence 1 alone was never a batch of its own: a replay that is not a recent batch.
    expect(await send(['b'], 1)).toMatchObject({ errorCode: ErrorCode.DUPLICATE_SEQUENCE_NUMBER })
    expect(cluster.readValues('t', 0)).toEqual(['a', 'b', 'c'])

    const bumped = await firstValueFrom(
      cluster.request('any', InitProducerIdApi, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: pid, producerEpoch: 0 }),
    )
    expect(bumped).toMatchObject({ errorCode: 0, producerId: pid, producerEpoch: 1 })
    expect(await send(['d'], 0, 1)).toMatchObject({ errorCode: 0, baseOffset: 3n })
    expect(await send(['e'], 3, 0)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH })
    const other = await firstValueFrom(cluster.request('any', InitProducerIdApi, { transactionalId: null, transactionTimeoutMs: 60_000 }))
    expect(other.producerId).not.toBe(pid)
  })

  it('refuses what a broker refuses: wrong leader, unknown partition, corrupt bytes, bad acks', async () => {
    const cluster = createVirtualCluster({ brokers: 2, topics: [{ name: 't' }] })
    await firstValueFrom(cluster.refreshMetadata(['t']))
    const leader = leaderOf(cluster, 't', 0)
    const follower = leader === 1 ? 2 : 1
    const code = (r: { responses: { partitionResponses: { errorCode: number }[] }[] }) => r.responses[0]!.partitionResponses[0]!.errorCode
    expect(code(await firstValueFrom(produce(cluster, follower, 't', 0, batchOf(['x']))))).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER)
    expect(code(await firstValueFrom(produce(cluster, leader, 't', 7, batchOf(['x']))))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    expect(code(await firstValueFrom(produce(cluster, leader, 'nope', 0, batchOf(['x']))))).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
    const corrupt = batchOf(['x'])
    corrupt[corrupt.length - 1] ^= 0xff
    expect(code(await firstValueFrom(produce(cluster, leader, 't', 0, corrupt)))).toBe(ErrorCode.CORRUPT_MESSAGE)
    expect(code(await firstValueFrom(produce(cluster, leader, 't', 0, batchOf(['x']), 2)))).toBe(ErrorCode.INVALID_REQUIRED_ACKS)
    expect(cluster.readValues('t')).toEqual([])
  })

  it('acks 0 goes through send(): nothing comes back, the record is in the log', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
    await firstValueFrom(
      cluster.send(1, ProduceApi, { transactionalId: null, acks: 0, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records: batchOf(['fire']) }] }] }),
    )
    expect(cluster.readValues('t', 0)).toEqual(['fire'])
  })

  it('metadata: brokers, leaders spread over brokers, leader epochs, stable topic ids; auto-creation only when enabled', async () => {
    const cluster = createVirtualCluster({ brokers: 3, topics: [{ name: 'a', partitions: 3 }] })
    const view = await firstValueFrom(cluster.refreshMetadata(['a', 'missing']))
    expect([...view.brokers.keys()]).toEqual([1, 2, 3])
    const a = view.topics.get('a')!
    expect(a.partitions.map((p) => p.leader).sort()).toEqual([1, 2, 3])
    expect(a.partitions.every((p) => p.leaderEpoch === 0 && p.replicas.length === 3)).toBe(true)
    const again = await firstValueFrom(createVirtualCluster({ topics: [{ name: 'a' }] }).refreshMetadata(['a']))
    expect(again.topics.get('a')!.topicId).toBe(a.topicId)
    expect(a.topicId).not.toBe('AAAAAAAAAAAAAAAAAAAAAA')
    expect(view.topics.get('missing')!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)

    const auto = createVirtualCluster({ autoCreateTopics: true, defaultPartitions: 2 })
    const firstLook = await firstValueFrom(auto.refreshMetadata(['fresh']))
    expect(firstLook.topics.get('fresh')!.errorCode).toBe(ErrorCode.LEADER_NOT_AVAILABLE)
    const secondLook = await firstValueFrom(auto.refreshMetadata(['fresh']))
    expect(secondLook.topics.get('fresh')).toMatchObject({ errorCode: 0 })
    expect(secondLook.topics.get('fresh')!.partitions).toHaveLength(2)
    const ensured = await firstValueFrom(auto.ensureTopics(['other']))
    expect(ensured.topics.get('other')!.partitions).toHaveLength(2)
  })

  it('ensureTopics fails with a typed error naming the topic when it never appears', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ topicWaitMs: 1_000 })
      const events = recordEvents(cluster.ensureTopics(['ghost']), scheduler)
      scheduler.flush()
      expect(events).toHaveLength(1)
      const error = (events[0] as { error: Error & { code: string; topic: string } }).error
      expect(error).toMatchObject({ code: 'UNKNOWN_TOPIC', topic: 'ghost' })
      expect(events[0]!.at).toBe(1_000)
    })
  })

  it('versions: versionFor picks the newest implemented version, the body function receives it, and fields a version cannot carry fail as encode errors', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
    expect(cluster.versionFor(1, ProduceApi)).toBe(11)
    expect(cluster.versionFor(1, FetchApi)).toBe(17)
    expect(cluster.versionFor(1, SaslHandshakeApi)).toBeUndefined()
    const seen: number[] = []
    await firstValueFrom(cluster.request(1, MetadataApi, (version) => (seen.push(version), { topics: [] }), { maxVersion: 9 }))
    expect(seen).toEqual([9])
    await expect(firstValueFrom(cluster.request(1, MetadataApi, { topics: [], includeClusterAuthorizedOperations: true }))).rejects.toBeInstanceOf(
      ProtocolEncodeError,
    )
    await expect(firstValueFrom(cluster.request(1, SaslHandshakeApi, { mechanism: 'PLAIN' }))).rejects.toBeInstanceOf(UnsupportedVersionError)
    const versions = await firstValueFrom(cluster.request(1, ApiVersionsApi, {}))
    expect(versions.apiKeys.find((k) => k.apiKey === ProduceApi.apiKey)).toEqual({ apiKey: 0, minVersion: 3, maxVersion: 11 })
  })

  it('answers after latencyMs of scheduler time, in request order per connection; a long poll holds up its own connection only', () => {
    const scheduler = createTestScheduler()
    scheduler.run(() => {
      const cluster = createVirtualCluster({ topics: [{ name: 't' }], latencyMs: 3 })
      const poll = recordEvents(cluster.request(1, FetchApi, fetchBody(cluster, 't', 0, 0n, { maxWaitMs: 50 }), { role: 'fetch', maxVersion: 12 }), scheduler)
      const queued = recordEvents(cluster.request(1, FetchApi, fetchBody(cluster, 't', 0, 0n, { maxWaitMs: 0 }), { role: 'fetch', maxVersion: 12 }), scheduler)
      const meta = recordEvents(cluster.request(1, MetadataApi, { topics: [] }), scheduler)
      const offsets = recordEvents(
        cluster.request(1, ListOffsetsApi, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] }),
        scheduler,
      )
      scheduler.flush()
      expect(meta.map((e) => e.at)).toEqual([3, 3])
      expect(offsets.map((e) => e.at)).toEqual([3, 3])
      expect(poll.map((e) => e.at)).toEqual([53, 53])
      expect(queued.map((e) => e.at)).toEqual([53, 53])
      expect(cluster.requests().map((r) => `${r.at} ${r.api}/${r.role}`)).toEqual([
        '0 Fetch/fetch',
        '0 Metadata/default',
        '0 ListOffsets/default',
        '50 Fetch/fetch',
      ])
    })
  })

  it('produceDirect without a partition places keyed records like the default partitioner and unkeyed ones round-robin', () => {
    const cluster = createVirtualCluster({ topics: [{ name: 't', partitions: 5 }] })
    const keys = ['', 'a', 'customer-7', 'ünïcödé', 'a much longer key with 37 characters']
    const placed = cluster.produceDirect('t', keys.map((key) => ({ key, value: key })))
    expect(placed.map((p) => p.partition)).toEqual(keys.map((key) => murmur2Partition(Buffer.from(key), 5)))
    const unkeyed = cluster.produceDirect('t', [{ value: '1' }, { value: '2' }, { value: '3' }])
    expect(unkeyed.map((p) => p.partition)).toEqual([0, 1, 2])
    // Offsets count per partition, in input order.
    const same = cluster.produceDirect('t', 4, [{ value: 'x' }, { value: 'y' }])
    expect(same.map((p) => p.offset)).toEqual([same[0]!.offset, same[0]!.offset + 1n])
    expect(cluster.offsets('t', 4).endOffset).toBe(same[1]!.offset + 1n)
    expect(() => cluster.produceDirect('t', 0, [{ value: 42 } as never])).toThrow(/record 0 needs a value/)
    expect(() => cluster.produceDirect('t', 9, [{ value: 'x' }])).toThrow(/no partition 9/)
    expect(() => cluster.produceDirect('t', 0, undefined as never)).toThrow(/array of records/)
  })

  it('refreshes metadata every metadataMaxAgeMs while in use, and stops when the last user unsubscribes', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ cold }) => {
      const cluster = createVirtualCluster({ topics: [{ name: 't' }], metadataMaxAgeMs: 1_000 })
      const views: number[] = []
      // metadata$ is a user of the client too: it takes the first four views and leaves.
      cluster.metadata$.pipe(take(4)).subscribe((view) => views.push(view.receivedAt))
      const first = cluster.use(() => cold('3500ms |')).subscribe()
      const second = cluster.use(() => cold('2500ms |')).subscribe()
      scheduler.flush()
      expect(cluster.requests().filter((r) => r.api === 'Metadata').map((r) => r.at)).toEqual([0, 1_000, 2_000, 3_000])
      expect(views).toEqual([0, 1_000, 2_000, 3_000])
      first.unsubscribe()
      second.unsubscribe()
    })
  })

  it('feed writes what a marble emits, at its frames, where each record says', () => {
    const scheduler = createTestScheduler()
    scheduler.run(({ cold }) => {
      const cluster = createVirtualCluster({ topics: [{ name: 't', partitions: 2 }] })
      const frames: string[] = []
      cluster.feed('t', cold('a 99ms b 49ms c|', { a: { value: 'one' }, b: { value: 'two', partition: 1 }, c: { value: 'three', partition: 1 } }))
      for (const frame of [0, 100, 150]) {
        scheduler.schedule(() => frames.push(`${frame}: ${cluster.readValues('t', 0).join()} | ${cluster.readValues('t', 1).join()}`), frame)
      }
      scheduler.flush()
      expect(frames).toEqual(['0: one | ', '100: one | two', '150: one | two,three'])
      expect(() => cluster.feed('nope', cold('a', { a: { value: 'x' } }))).toThrow(/does not exist/)
    })
  })

  it('stores compressed batches as sent and serves them back; read() decompresses them', async () => {
    const cluster = createVirtualCluster({ topics: [{ name: 't' }] })
    await firstValueFrom(cluster.refreshMetadata(['t']))
    for (const compression of ['gzip', 'snappy', 'lz4'] as const) {
      const builder = new RecordBatchBuilder()
      for (const v of ['x', 'y']) builder.append({ value: `${compression}-${v}`, timestamp: 1 })
      const sealed = builder.seal({ compression })
      const response = await firstValueFrom(produce(cluster, 1, 't', 0, Buffer.from(sealed.bytes)))
      expect(response.responses[0]!.partitionResponses[0]!.errorCode).toBe(0)
    }
    expect(cluster.readValues('t', 0)).toEqual(['gzip-x', 'gzip-y', 'snappy-x', 'snappy-y', 'lz4-x', 'lz4-y'])
    const fetched = await firstValueFrom(cluster.request(1, FetchApi, fetchBody(cluster, 't', 0, 2n)))
    // From offset 2: the snappy batch (offsets 2-3) onwards.
    expect(decodeValues(fetched.responses[0]!.partitions[0]!.records).map((r) => `${r.offset}:${r.value}`)).toEqual(['2:snappy-x', '3:snappy-y', '4:lz4-x', '5:lz4-y'])
  })
})
