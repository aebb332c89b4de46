/**
 * The diagnostics_channel events against a broker we did not write (librdkafka's
 * mock cluster): one produce and one group consume publish every kind of event,
 * with payloads that agree with what happened; a failing connect publishes its
 * error; and nothing is published (or built) once nobody subscribes.
 */
import diagnostics_channel from 'node:diagnostics_channel'
import { firstValueFrom, from, mergeMap, take, tap, toArray } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BrokerConnection, createKafka, silentLogger, type ProducerResult } from '../../lib/index.js'
import { MetadataApi } from '../../lib/protocol/messages/Metadata.js'
import {
  CHANNELS,
  type BatchAcknowledgedEvent,
  type BatchSealedEvent,
  type CloseEvent,
  type ConnectEvent,
  type FetchEvent,
  type GroupCommitEvent,
  type GroupJoinEvent,
  type GroupLeaveEvent,
  type GroupRebalanceEvent,
  type GroupSyncEvent,
  type MetadataEvent,
  type ReconnectEvent,
  type RequestEvent,
} from '../../lib/observability/channels.js'
import { countRecords } from '../../lib/observability/consumer-events.js'
import { requestWritten } from '../../lib/observability/connection-events.js'
import { startMockCluster, type MockCluster } from '../../lib/testing/index.js'
import { uniqueName } from '../support/peers.js'

type Recorded = Record<string, unknown[]>

/** Subscribes to every channel; returns what arrived, by channel (tracing channels by their sub-channel). */
function recordAll(): { seen: Recorded; stop: () => void } {
  const seen: Recorded = {}
  const stops: (() => void)[] = []
  const push = (key: string) => (message: unknown) => (seen[key] ??= []).push(message)
  for (const [key, name] of Object.entries(CHANNELS)) {
    if (key === 'request' || key === 'metadata') {
      const handlers = {
        start: push(`${key}.start`),
        end: push(`${key}.end`),
        asyncStart: push(`${key}.asyncStart`),
        asyncEnd: push(`${key}.asyncEnd`),
        error: push(`${key}.error`),
      }
      const channel = diagnostics_channel.tracingChannel(name)
      channel.subscribe(handlers)
      stops.push(() => channel.unsubscribe(handlers))
    } else {
      const handler = push(key)
      diagnostics_channel.subscribe(name, handler)
      stops.push(() => diagnostics_channel.unsubscribe(name, handler))
    }
  }
  return { seen, stop: () => stops.forEach((s) => s()) }
}

describe('diagnostics channels on the mock cluster', () => {
  let mock: MockCluster
  beforeAll(async () => {
    mock = await startMockCluster({ brokers: 3 })
    await mock.setGroupInitialRebalanceDelay(0)
  })
  afterAll(async () => {
    await mock?.stop()
  })

  it('a produce and a group consume publish requests, connections, metadata, batches, fetches and group steps', async () => {
    const topic = uniqueName('channels')
    const groupId = uniqueName('channels-group')
    await mock.createTopic(topic, 2)
    const { seen, stop } = recordAll()
    const kafka = createKafka({ ...mock.clientConfig, clientId: 'channels-spec', logger: silentLogger })
    let results: ProducerResult[] = []
    try {
      const messages = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }))
      results = await firstValueFrom(from(messages).pipe(kafka.produceTo(topic, { lingerMs: 0 }), toArray()))
      expect(results).toHaveLength(10)

      const group = kafka.consumeGroup({ groupId, topics: [topic], fromBeginning: true })
      const consumed = await firstValueFrom(
        group.pipe(
          mergeMap((partition$) => partition$.pipe(tap((m) => m.done()))),
          take(10),
          toArray(),
        ),
      )
      expect(consumed).toHaveLength(10)
      // The unsubscribe above commits and leaves in the background; wait for both events.
      const deadline = Date.now() + 10_000
      while ((seen.groupLeave === undefined || seen.groupCommit === undefined) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
    } finally {
      await kafka.close()
      stop()
    }

    // Requests: every start has its end; each names its API, broker and sizes.
    const starts = seen['request.start'] as RequestEvent[]
    const ends = seen['request.asyncEnd'] as RequestEvent[]
    expect(starts.length).toBeGreaterThan(5)
    expect(new Set(ends)).toEqual(new Set(starts))
    expect(seen['request.end']).toHaveLength(starts.length)
    const apis = new Set(ends.map((r) => r.api))
    for (const api of ['ApiVersions', 'Metadata', 'InitProducerId', 'Produce', 'FindCoordinator', 'JoinGroup', 'SyncGroup', 'Fetch', 'OffsetCommit', 'LeaveGroup']) {
      expect(apis, api).toContain(api)
    }
    for (const r of ends) {
      expect(r.clientId).toBe('channels-spec')
      expect(r.broker).toMatch(/^127\.0\.0\.1:\d+$/)
      expect(r.bytes).toBeGreaterThan(12)
      expect(r.durationMs).toBeGreaterThanOrEqual(0)
      if (r.outcome === 'ok') expect(r.responseBytes).toBeGreaterThan(8)
    }
    const produce = ends.filter((r) => r.api === 'Produce')
    expect(produce.every((r) => r.outcome === 'ok' && r.role === 'produce' && r.nodeId >= 0)).toBe(true)
    // A Fetch may be in its long poll at close: it ends as failed (closed) or abandoned, never silently.
    expect(ends.every((r) => r.outcome === 'ok' || r.api === 'Fetch' || r.api === 'Heartbeat')).toBe(true)

    const connects = seen.connect as ConnectEvent[]
    expect(connects.length).toBeGreaterThanOrEqual(2)
    expect(connects.every((c) => c.error === undefined && c.attempt === 1 && c.tls === false && c.durationMs >= 0)).toBe(true)
    const closes = seen.close as CloseEvent[]
    expect(closes.filter((c) => c.reason === 'closed')).toHaveLength(connects.length)

    const metadata = seen['metadata.asyncEnd'] as MetadataEvent[]
    expect(metadata.length).toBeGreaterThanOrEqual(1)
    expect(metadata.every((m) => m.brokers === 3 && m.error === undefined && m.durationMs! >= 0)).toBe(true)
    expect(metadata.some((m) => m.topics?.includes(topic))).toBe(true)

    const sealed = seen.batchSealed as BatchSealedEvent[]
    const acked = seen.batchAcknowledged as BatchAcknowledgedEvent[]
    expect(sealed.reduce((n, b) => n + b.records, 0)).toBe(10)
    expect(acked.reduce((n, b) => n + b.records, 0)).toBe(10)
    for (const b of acked) {
      expect(b).toMatchObject({ clientId: 'channels-spec', topic, attempts: 1 })
      expect(b.error).toBeUndefined()
      expect(b.baseOffset).toBeGreaterThanOrEqual(0n)
      expect(b.bytes).toBeGreaterThan(61)
      expect(b.latencyMs).toBeGreaterThanOrEqual(0)
    }
    // Each result's offset lies in the batch acknowledged for its partition.
    for (const r of results) {
      expect(acked.some((b) => b.partition === r.partition && r.offset >= b.baseOffset && r.offset < b.baseOffset + BigInt(b.records))).toBe(true)
    }

    const fetches = seen.fetch as FetchEvent[]
    expect(fetches.reduce((n, f) => n + f.records, 0)).toBeGreaterThanOrEqual(10)
    const withData = fetches.flatMap((f) => f.partitions).filter((p) => p.records > 0)
    expect(withData.every((p) => p.topic === topic && p.highWatermark > 0n && p.bytes > 61)).toBe(true)

    // A broker may first hand out the member id (KIP-394); that step is no error, and no generation yet.
    const join = (seen.groupJoin as GroupJoinEvent[]).find((j) => j.generationId >= 0)
    expect(join).toMatchObject({ groupId, leader: true })
    expect(join!.error).toBeUndefined()
    expect(join!.generationId).toBeGreaterThanOrEqual(1)
    expect(join!.memberId).not.toBe('')
    const [sync] = seen.groupSync as GroupSyncEvent[]
    expect(sync).toMatchObject({ groupId, generationId: join!.generationId, memberId: join!.memberId })
    expect(sync!.error).toBeUndefined()
    const [rebalance] = seen.groupRebalance as GroupRebalanceEvent[]
    expect(rebalance).toMatchObject({ groupId, generationId: join!.generationId, assigned: 2, added: 2, revoked: 0 })
    expect(rebalance!.durationMs).toBeGreaterThanOrEqual(join!.durationMs)
    const commits = seen.groupCommit as GroupCommitEvent[]
    const committed = new Map<number, bigint>()
    for (const c of commits) for (const o of c.offsets) committed.set(o.partition, o.offset)
    const perPartition = new Map<number, number>()
    for (const m of results) perPartition.set(m.partition, (perPartition.get(m.partition) ?? 0) + 1)
    for (const [partition, count] of perPartition) expect(committed.get(partition)).toBe(BigInt(count))
    const [leave] = seen.groupLeave as GroupLeaveEvent[]
    expect(leave).toMatchObject({ groupId, memberId: join!.memberId })
    expect(leave!.error).toBeUndefined()
  })

  it('a failing connect publishes its error, and the next attempt a reconnect', async () => {
    const { seen, stop } = recordAll()
    // Port 1 on loopback: nothing listens there.
    const connection = new BrokerConnection({ host: '127.0.0.1', port: 1, nodeId: -1 }, { clientId: 'refused', reconnectBackoffMs: 1, reconnectBackoffMaxMs: 1 })
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        await expect(firstValueFrom(connection.request(MetadataApi, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }))).rejects.toThrow(/refused/)
        await new Promise((r) => setTimeout(r, 10))
      }
    } finally {
      connection.close()
      stop()
    }
    const connects = seen.connect as ConnectEvent[]
    expect(connects).toHaveLength(2)
    expect(connects.map((c) => c.attempt)).toEqual([1, 2])
    expect(connects.every((c) => c.broker === '127.0.0.1:1' && c.clientId === 'refused' && c.error?.message.includes('refused') === true)).toBe(true)
    const reconnects = seen.reconnect as ReconnectEvent[]
    expect(reconnects).toHaveLength(1)
    expect(reconnects[0]).toMatchObject({ attempt: 2, failedConnects: 1 })
    expect(reconnects[0]!.lastError).toMatch(/refused/)
    // Nothing was written, so no request was traced.
    expect(seen['request.start']).toBeUndefined()
  })

  it('a metadata refresh no broker answers ends with its error on the tracing channel', async () => {
    const { seen, stop } = recordAll()
    const kafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'refused', logger: silentLogger })
    try {
      await expect(firstValueFrom(kafka.metadata$)).rejects.toThrow(/no broker answered/)
    } finally {
      await kafka.close()
      stop()
    }
    const [failed] = seen['metadata.error'] as MetadataEvent[]
    expect(failed!.error!.message).toMatch(/no broker answered/)
    expect(seen['metadata.asyncEnd']).toEqual([failed])
  })

  it('a batch retried after injected errors reports its attempts; one failed for good reports its error', async () => {
    const topic = uniqueName('channels-faults')
    await mock.createTopic(topic, 1)
    const { seen, stop } = recordAll()
    const kafka = createKafka({ ...mock.clientConfig, clientId: 'channels-faults', logger: silentLogger, retryBackoffMs: 10 })
    try {
      // NOT_LEADER_OR_FOLLOWER twice (retriable), then the Produce goes through.
      await mock.pushRequestErrors(0, [6, 6])
      const ok = await kafka.send(topic, { value: 'retried' }, { retryBackoff: { initialMs: 10, maxMs: 10 } })
      expect(ok.offset).toBe(0n)
      // TOPIC_AUTHORIZATION_FAILED: not retriable.
      await mock.pushRequestErrors(0, [29])
      await expect(kafka.send(topic, { value: 'refused' })).rejects.toThrow()
    } finally {
      await mock.clearRequestErrors(0)
      await kafka.close()
      stop()
    }
    const acked = (seen.batchAcknowledged as BatchAcknowledgedEvent[]).filter((b) => b.topic === topic)
    expect(acked).toHaveLength(2)
    expect(acked[0]).toMatchObject({ records: 1, attempts: 3, baseOffset: 0n })
    expect(acked[0]!.error).toBeUndefined()
    expect(acked[1]).toMatchObject({ records: 1, attempts: 1, baseOffset: -1n })
    expect(acked[1]!.error?.message).toMatch(/TOPIC_AUTHORIZATION_FAILED|authoriz/i)
    // Every Produce attempt was a request that the broker answered (the errors are in the answers).
    const produces = (seen['request.asyncEnd'] as RequestEvent[]).filter((r) => r.api === 'Produce' && r.clientId === 'channels-faults')
    expect(produces).toHaveLength(4)
    expect(produces.every((r) => r.outcome === 'ok')).toBe(true)
  })

  it('publishes nothing, and builds no payload, once nobody subscribes', async () => {
    const { seen, stop } = recordAll()
    stop()
    expect(requestWritten({ clientId: 'c', name: 'h:1', nodeId: 1, role: 'default' }, { name: 'Metadata', apiKey: 3 }, 12, 1, 40, true, false)).toBeUndefined()
    const topic = uniqueName('quiet')
    await mock.createTopic(topic, 1)
    const kafka = createKafka({ ...mock.clientConfig, clientId: 'quiet', logger: silentLogger })
    try {
      await kafka.send(topic, { value: 'x' })
    } finally {
      await kafka.close()
    }
    expect(seen).toEqual({})
  })
})

describe('countRecords', () => {
  it('reads record counts from v2 batch headers, counts legacy entries as one, and skips a partial tail', () => {
    const v2 = (records: number, size = 80) => {
      const b = Buffer.alloc(size)
      b.writeBigInt64BE(0n, 0)
      b.writeInt32BE(size - 12, 8)
      b.writeInt8(2, 16)
      b.writeInt32BE(records, 57)
      return b
    }
    const legacy = Buffer.alloc(40)
    legacy.writeInt32BE(28, 8)
    legacy.writeInt8(1, 16)
    expect(countRecords(Buffer.concat([v2(3), v2(5), legacy]))).toBe(9)
    expect(countRecords(Buffer.concat([v2(3), v2(5).subarray(0, 70)]))).toBe(3)
    expect(countRecords(Buffer.alloc(0))).toBe(0)
  })
})
