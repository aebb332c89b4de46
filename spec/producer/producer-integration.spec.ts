/**
 * The producer against both peers, librdkafka's mock cluster and Apache Kafka
 * (brokers we did not write), read back with kcat (librdkafka's consumer) and
 * KafkaJS; the fault-injection specs run against the mock. What we write is
 * what a real client reads, for every codec, with headers and null keys, and
 * with idempotence nothing is lost, duplicated or reordered through injected
 * errors, a leader move and a broker going down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { from, lastValueFrom, map, Observable, toArray } from 'rxjs'
import { KafkaCluster } from '../../lib/cluster/kafka-cluster.js'
import { ErrorCode } from '../../lib/protocol/error-codes.js'
import type { RxKafkaError } from '../../lib/errors/index.js'
import { CodecUnavailableError, KafkaBrokerError } from '../../lib/errors/index.js'
import { produce, produceTo, send } from '../../lib/producer/index.js'
import type { ProducerMessage, ProducerResult } from '../../lib/producer/index.js'
import { PEERS, startPeer, uniqueName, type Peer, type PeerName } from '../support/peers.js'
import { Kafka, logLevel } from 'kafkajs'
import { runKcat } from '../testing/mock-helpers.js'

const PRODUCE = 0

/** The peer of the describe block running now (blocks run one after another), and its topics by base name. */
let peer: Peer
let topics = new Map<string, string>()
const clients: KafkaCluster[] = []

const TOPICS: readonly [string, number][] = [
  ['roundtrip', 3],
  ['codec-none', 2],
  ['codec-gzip', 2],
  ['codec-snappy', 2],
  ['codec-lz4', 2],
  ['codec-zstd', 2],
  ['faults', 4],
  ['too-large', 2],
  ['kafkajs-none', 2],
  ['kafkajs-gzip', 2],
]

/** This peer's name for a topic of TOPICS (unique on the shared Kafka). */
function T(base: string): string {
  const name = topics.get(base)
  if (name === undefined) throw new Error(`no topic ${base} in TOPICS`)
  return name
}

function onPeer(name: PeerName): void {
  beforeAll(async () => {
    peer = await startPeer(name)
    topics = new Map(TOPICS.map(([base]) => [base, uniqueName(base)]))
    for (const [base, partitions] of TOPICS) await peer.createTopic(T(base), partitions)
  })
  afterAll(async () => {
    for (const client of clients.splice(0)) await client.close()
    await peer?.stop()
  })
}

function newClient(extra: Partial<ConstructorParameters<typeof KafkaCluster>[0]> = {}): KafkaCluster {
  const client = new KafkaCluster({ ...peer.clientConfig, clientId: 'producer-spec', ...extra })
  clients.push(client)
  return client
}

interface KcatRecord {
  partition: number
  offset: number
  key: string
  value: string
  headers: string
}

/**
 * Runs kcat to completion (killed after `timeoutMs`). Output is decoded once at
 * the end, so a UTF-8 character split across pipe chunks stays whole.
 */
/** Every record of the topic, read with kcat from the beginning to the end. */
async function readBack(topic: string): Promise<KcatRecord[]> {
  const separator = '\u0001'
  const result = await runKcat(['-b', peer.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-Z', '-f', `%p${separator}%o${separator}%k${separator}%s${separator}%h\n`], undefined, 120_000)
  if (result.code !== 0) throw new Error(`kcat failed (${result.code}): ${result.stderr}`)
  return result.stdout.split('\n').filter((line) => line.length > 0).map((line) => {
    const [partition, offset, key, value, headers] = line.split(separator)
    return { partition: Number(partition), offset: Number(offset), key: key!, value: value!, headers: headers ?? '' }
  })
}

/** Reads `count` records of the topic with KafkaJS (a consumer group from the beginning). */
async function readWithKafkaJs(topic: string, count: number): Promise<KcatRecord[]> {
  const kafka = new Kafka({ brokers: peer.bootstrap.split(','), clientId: 'kafkajs-reader', logLevel: logLevel.NOTHING })
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` })
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    const records: KcatRecord[] = []
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`KafkaJS read ${records.length} of ${count} records of ${topic}`)), 60_000)
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const headers = Object.entries(message.headers ?? {}).map(([k, v]) => `${k}=${v === undefined ? '' : String(v)}`).join(',')
          records.push({ partition, offset: Number(message.offset), key: message.key === null ? 'NULL' : message.key.toString('utf8'), value: message.value === null ? 'NULL' : message.value.toString('utf8'), headers })
          if (records.length === count) {
            clearTimeout(timer)
            resolve()
          }
        },
      }).catch(reject)
    })
    return records
  } finally {
    await consumer.disconnect()
  }
}

describe.each(PEERS)('producer against %s', (name) => {
  onPeer(name)

  it('what we produce (keys, null keys, tombstones, headers) kcat reads back intact, keyed records on the Java partition', async () => {
    const client = newClient()
    const messages: ProducerMessage<number>[] = []
    for (let i = 0; i < 300; i++) {
      messages.push({
        key: i % 3 === 0 ? null : `key-${i % 17}`,
        value: i % 50 === 7 ? null : `value-${i}-é`,
        headers: i % 2 === 0 ? [{ key: 'n', value: String(i) }, { key: 'kind', value: 'even' }] : undefined,
        metadata: i,
      })
    }
    const results = await lastValueFrom(from(messages).pipe(produceTo<number>(T('roundtrip'), { client }), toArray()))
    expect(results).toHaveLength(300)
    expect(results.every((r) => r.error === undefined)).toBe(true)

    const records = await readBack(T('roundtrip'))
    expect(records).toHaveLength(300)
    const byPlace = new Map(records.map((r) => [`${r.partition}/${r.offset}`, r]))
    for (const result of results) {
      const i = result.metadata!
      const record = byPlace.get(`${result.partition}/${result.offset}`)!
      expect(record.value).toBe(i % 50 === 7 ? 'NULL' : `value-${i}-é`)
      expect(record.key).toBe(i % 3 === 0 ? 'NULL' : `key-${i % 17}`)
      expect(record.headers).toBe(i % 2 === 0 ? `n=${i},kind=even` : '')
    }
    // kcat's own murmur2 partitioner (librdkafka's Java-compatible one) agrees with ours.
    const kcatKeyed = await runKcat(['-b', peer.bootstrap, '-P', '-t', T('roundtrip'), '-X', 'topic.partitioner=murmur2', '-K', ':', '-D', '\n'], 'key-5:from-kcat\n', 60_000)
    expect(kcatKeyed.code).toBe(0)
    const ours = results.find((r) => r.metadata === 5)!.partition
    const after = await readBack(T('roundtrip'))
    expect(after.find((r) => r.value === 'from-kcat')!.partition).toBe(ours)
  })

  it.each(['none', 'gzip', 'snappy', 'lz4'] as const)('codec %s: kcat reads back every record', async (codec) => {
    const client = newClient()
    const topic = T(`codec-${codec}`)
    const values = Array.from({ length: 500 }, (_, i) => `${codec} record ${i} ${'abc'.repeat(i % 20)}`)
    const results = await lastValueFrom(from(values).pipe(map((value) => ({ value, key: value.slice(-8) })), produceTo(topic, { client, compression: codec }), toArray()))
    expect(results.every((r) => r.error === undefined)).toBe(true)
    if (codec !== 'none') expect(results[0]!.batch.compressedBytes).toBeLessThan(results[0]!.batch.uncompressedBytes)
    const records = await readBack(topic)
    expect(records.map((r) => r.value).sort()).toEqual([...values].sort())
  })

  // KafkaJS decodes gzip by itself; snappy, lz4 and zstd need codec packages that are not installed here.

  it.each(['none', 'gzip'] as const)('codec %s: KafkaJS reads back keys, null keys, tombstones and headers intact', async (codec) => {
    const client = newClient()
    const topic = T(`kafkajs-${codec}`)
    const messages: ProducerMessage<number>[] = Array.from({ length: 200 }, (_, i) => ({
      key: i % 4 === 0 ? null : `key-${i}`,
      value: i % 25 === 3 ? null : `value ${i} ü`,
      headers: [{ key: 'i', value: String(i) }, { key: 'bin', value: Buffer.from([0x68, 0x69]) }],
      metadata: i,
    }))
    const results = await lastValueFrom(from(messages).pipe(produceTo<number>(topic, { client, compression: codec }), toArray()))
    expect(results.every((r) => r.error === undefined)).toBe(true)
    const records = await readWithKafkaJs(topic, 200)
    const byPlace = new Map(records.map((r) => [`${r.partition}/${r.offset}`, r]))
    for (const result of results) {
      const i = result.metadata!
      const record = byPlace.get(`${result.partition}/${result.offset}`)!
      expect(record.key).toBe(i % 4 === 0 ? 'NULL' : `key-${i}`)
      expect(record.value).toBe(i % 25 === 3 ? 'NULL' : `value ${i} ü`)
      expect(record.headers).toBe(`i=${i},bin=hi`)
    }
  })

  it('codec zstd: produced and read back where the platform has zstd, otherwise a clear non-retried error', async () => {
    const client = newClient()
    const results = await lastValueFrom(from(['z1', 'z2']).pipe(map((value) => ({ value })), produceTo(T('codec-zstd'), { client, compression: 'zstd', errorMode: 'result' }), toArray()))
    const zlib = await import('node:zlib')
    if (typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function') {
      expect(results.every((r) => r.error === undefined)).toBe(true)
      expect((await readBack(T('codec-zstd'))).map((r) => r.value).sort()).toEqual(['z1', 'z2'])
    } else {
      // The codec's own error, not an input error with hints about serializers.
      expect(results.every((r) => r.error instanceof CodecUnavailableError)).toBe(true)
      expect((results[0]!.error as RxKafkaError).code).toBe('CODEC_UNAVAILABLE')
      expect(results[0]!.error!.message).toContain('zstd')
      expect((results[0]!.error as RxKafkaError).hint).not.toMatch(/serializer/i)
      expect((results[0]!.error as RxKafkaError).retriable).toBe(false)
    }
  })

  it('send() produces one message and resolves with its offset', async () => {
    const client = newClient()
    const result = await send(client, T('roundtrip'), { key: 'single', value: 'one-off', metadata: 'x' })
    expect(result.offset).toBeGreaterThanOrEqual(0n)
    expect(result.metadata).toBe('x')
  })
})

describe('producer against the mock: injected errors, leader moves, outages', () => {
  onPeer('mock')

  it('MESSAGE_TOO_LARGE is not retried and fails only its batch; an unknown topic fails only its messages', async () => {
    const client = newClient({ allowAutoTopicCreation: false, topicWaitMs: 500 })
    await peer.mock!.pushRequestErrors(PRODUCE, [ErrorCode.MESSAGE_TOO_LARGE])
    const first = await lastValueFrom(from([{ value: 'big', partition: 0, metadata: 'big' }]).pipe(produceTo<string>(T('too-large'), { client, errorMode: 'result' }), toArray()))
    expect(first[0]!.error).toBeInstanceOf(KafkaBrokerError)
    expect((first[0]!.error as KafkaBrokerError).errorName).toBe('MESSAGE_TOO_LARGE')
    expect(first[0]!.batch.exchanges).toHaveLength(1)

    const results = await lastValueFrom(from([T('too-large'), 'no-such-topic', T('too-large')]).pipe(
      map((topic, i) => ({ topic, value: `m${i}`, metadata: i })),
      produce<number>({ client, errorMode: 'result' }),
      toArray(),
    ))
    const failed = results.filter((r) => r.error !== undefined)
    expect(failed.map((r) => r.metadata)).toEqual([1])
    expect(failed[0]!.error!.message).toContain('no-such-topic')
    expect((failed[0]!.error as RxKafkaError).retriable).toBe(false)
    expect(results.filter((r) => r.error === undefined).map((r) => r.metadata).sort()).toEqual([0, 2])
  })

  it.each([
    ['OUT_OF_ORDER_SEQUENCE_NUMBER', ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER],
    ['UNKNOWN_PRODUCER_ID', ErrorCode.UNKNOWN_PRODUCER_ID],
  ] as const)('%s: the producer bumps its epoch (InitProducerId) and the mock accepts the re-stamped batches', async (_name, code) => {
    const client = newClient()
    const topic = uniqueName(`epoch-${code}`)
    await peer.createTopic(topic, 2)
    const source = new Observable<ProducerMessage<number>>((subscriber) => {
      let i = 0
      const pump = (): void => {
        for (const end = i + 100; i < end; i++) subscriber.next({ value: `m${i}`, partition: i % 2, metadata: i })
        if (i === 300) void peer.mock!.pushRequestErrors(PRODUCE, [code])
        if (i >= 1_000) subscriber.complete()
        else setTimeout(pump, 2)
      }
      pump()
    })
    const results = await lastValueFrom(source.pipe(produceTo<number>(topic, { client, lingerMs: 1, circuitBreaker: false }), toArray()))
    expect(results.filter((r) => r.error !== undefined)).toEqual([])
    const retried = results.filter((r) => r.batch.exchanges.some((e) => (e.error as RxKafkaError | undefined)?.code === _name))
    expect(retried.length).toBeGreaterThan(0)
    const records = await readBack(topic)
    expect(records.map((r) => r.value).sort()).toEqual(results.map((r) => `m${r.metadata}`).sort())
    for (const p of [0, 1]) {
      const inPartition = records.filter((r) => r.partition === p).map((r) => Number(r.value.slice(1)))
      expect(inPartition).toEqual([...inPartition].sort((a, b) => a - b))
      expect(inPartition).toHaveLength(500)
    }
  })

  it('unsubscribing mid-stream releases every socket and timer of the client', async () => {
    const client = newClient()
    await peer.mock!.setBrokerRtt(-1, 200)
    try {
      const seen: ProducerResult[] = []
      const subscription = new Observable<ProducerMessage>((subscriber) => {
        const timer = setInterval(() => subscriber.next({ value: 'tick' }), 5)
        return () => clearInterval(timer)
      }).pipe(produceTo(T('roundtrip'), { client })).subscribe((r) => seen.push(r))
      await new Promise((resolve) => setTimeout(resolve, 600))
      expect(client.diagnostics().connections.length).toBeGreaterThan(0)
      subscription.unsubscribe()
      await new Promise((resolve) => setTimeout(resolve, 50))
      const after = client.diagnostics()
      expect(after.users).toBe(0)
      expect(after.connections).toEqual([])
    } finally {
      await peer.mock!.setBrokerRtt(-1, 0)
    }
  })

  it('the mock answers every Produce with LogAppendTime 1234 (1970), so a result carries that timestamp (docs/mock-cluster.md)', async () => {
    // A quirk of the mock, kept here so the docs learn when librdkafka changes it: a real broker answers -1
    // unless the topic uses LogAppendTime, and the result then carries the CreateTime that was sent.
    const client = newClient()
    const sentAt = Date.now()
    const result = await send(client, T('roundtrip'), { value: 'when?', timestamp: sentAt })
    expect(result.timestamp).toBe(1234)
    expect(new Date(result.timestamp).toISOString()).toBe('1970-01-01T00:00:01.234Z')
  })

  it('idempotent: 100k messages through injected errors, a leader move and a broker outage arrive exactly once and in order per partition', async () => {
    // Partition 0 on broker 2, which goes down mid-stream; partitions 1 and 2 move away from their leaders.
    await peer.mock!.setPartitionLeader(T('faults'), 0, 2)
    const client = newClient()
    const total = 100_000
    const value = (i: number): string => `${i}:`.padEnd(100, '.')
    let emitted = 0
    const faults: Promise<unknown>[] = []
    // Emits in chunks from the event loop, injecting faults as it goes.
    const source = new Observable<ProducerMessage<number>>((subscriber) => {
      let stopped = false
      const pump = (): void => {
        if (stopped) return
        const end = Math.min(total, emitted + 2_000)
        for (; emitted < end; emitted++) subscriber.next({ key: `k${emitted % 64}`, value: value(emitted), metadata: emitted })
        if (emitted === 20_000) faults.push(peer.mock!.pushRequestErrors(PRODUCE, [ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.NOT_LEADER_OR_FOLLOWER]))
        if (emitted === 40_000) faults.push(peer.mock!.setPartitionLeader(T('faults'), 1, 3), peer.mock!.setPartitionLeader(T('faults'), 2, 1))
        if (emitted === 60_000) {
          faults.push(peer.mock!.brokerDown(2).then(() => new Promise((resolve) => setTimeout(resolve, 700))).then(() => peer.mock!.brokerUp(2)))
        }
        if (emitted === 80_000) faults.push(peer.mock!.pushRequestErrors(PRODUCE, [ErrorCode.REQUEST_TIMED_OUT, ErrorCode.NOT_ENOUGH_REPLICAS]))
        if (emitted >= total) {
          subscriber.complete()
          return
        }
        setTimeout(pump, 1)
      }
      pump()
      return () => { stopped = true }
    })
    const results: ProducerResult<number>[] = await lastValueFrom(source.pipe(
      produceTo<number>(T('faults'), { client, lingerMs: 5, circuitBreaker: false, retryBackoff: { initialMs: 50, maxMs: 500 } }),
      toArray(),
    ))
    await Promise.all(faults)
    expect(results).toHaveLength(total)
    expect(results.filter((r) => r.error !== undefined)).toEqual([])
    // The faults happened: attempts failed with each injected error and with the outage.
    const attemptErrors = new Set(results.flatMap((r) => r.batch.exchanges.map((e) => (e.error as RxKafkaError | undefined)?.code)).filter((c) => c !== undefined))
    for (const code of ['NOT_LEADER_OR_FOLLOWER', 'REQUEST_TIMED_OUT', 'NOT_ENOUGH_REPLICAS', 'CONNECTION']) expect(attemptErrors).toContain(code)

    const records = await readBack(T('faults'))
    const seen = records.map((r) => Number(r.value.slice(0, r.value.indexOf(':'))))
    expect(seen).toHaveLength(total)
    expect(new Set(seen).size).toBe(total)
    const lastPerPartition = new Map<number, number>()
    for (const record of records) {
      const i = Number(record.value.slice(0, record.value.indexOf(':')))
      expect(record.key).toBe(`k${i % 64}`)
      const previous = lastPerPartition.get(record.partition) ?? -1
      expect(i).toBeGreaterThan(previous)
      lastPerPartition.set(record.partition, i)
    }
    // The results' offsets are where kcat found the records.
    const where = new Map(records.map((r) => [Number(r.value.slice(0, r.value.indexOf(':'))), `${r.partition}/${r.offset}`]))
    for (const r of results) expect(`${r.partition}/${r.offset}`).toBe(where.get(r.metadata!))
  }, 180_000)
})
