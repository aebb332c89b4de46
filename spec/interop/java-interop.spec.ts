/**
 * rxkafka and the Java client (kafka-clients 4.4, the reference
 * implementation) on one Apache Kafka: each reads what the other wrote, both
 * put a key on the same partition, and both share a consumer group.
 */
import { from, lastValueFrom, map, mergeMap, take, tap, toArray, timeout } from 'rxjs'
import { describe, expect, it } from 'vitest'
import { consumePartitions, cooperativeStickyAssignor, rangeAssignor, type ConsumerMessage } from '../../lib/consumer/index.js'
import { consumeGroup } from '../../lib/consume-group.js'
import { registerCodec, zstdAvailable, type CompressionCodecName } from '../../lib/protocol/compression/index.js'
import { produceTo, type ProducerMessage } from '../../lib/producer/index.js'
import { murmur2Partition } from '../../lib/kit/murmur2.js'
import { waitFor } from '../consumer/consumer-helpers.js'
import { JavaPeer, runJava, type JavaRecord } from '../support/java-peer.js'
import { uniqueName } from '../support/peers.js'
import { useJavaSpecFixture } from '../support/java-spec-fixture.js'

const fixture = useJavaSpecFixture('java-interop-spec')
const { subscriptions, newClient } = fixture

async function newTopic(base: string, partitions: number): Promise<string> {
  const topic = uniqueName(base)
  await fixture.peer.createTopic(topic, partitions)
  return topic
}

/** Every message of the topic from the start, until `count` arrived. */
async function readAll(topic: string, count: number, isolationLevel: 'read_committed' | 'read_uncommitted' = 'read_uncommitted'): Promise<ConsumerMessage[]> {
  const messages = consumePartitions({ client: newClient(), topic, from: 'earliest', isolationLevel }).pipe(
    mergeMap((partition$) => partition$),
    tap((m) => m.done()),
    take(count),
    toArray(),
    timeout(60_000),
  )
  return lastValueFrom(messages)
}

const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'))

/**
 * zstd where Node has none (before 22.15): a codec registered from a WebAssembly build, as a user would.
 * On Node 24 (CI runs the specs there too) the built-in one is used.
 */
let zstdReady: Promise<string> | undefined
function ensureZstd(): Promise<string> {
  zstdReady ??= registerZstd()
  return zstdReady
}

async function registerZstd(): Promise<string> {
  if (zstdAvailable()) return `node:zlib on Node ${process.versions.node}`
  const zstd = await import('@bokuweb/zstd-wasm')
  await zstd.init()
  registerCodec({
    id: 4,
    name: 'zstd',
    compress: (bytes) => Buffer.from(zstd.compress(Buffer.from(bytes), 3)),
    decompress: (bytes, maxOutputBytes) => {
      const out = Buffer.from(zstd.decompress(Buffer.from(bytes)))
      if (out.length > maxOutputBytes) throw new RangeError(`zstd output of ${out.length} bytes exceeds ${maxOutputBytes}`)
      return out
    },
  })
  return 'a registered WebAssembly codec'
}

describe('the Java client reads what rxkafka produced', () => {
  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('codec %s: keys, null keys, tombstones, headers and timestamps arrive intact', async (codec: CompressionCodecName) => {
    if (codec === 'zstd') await ensureZstd()
    const topic = await newTopic(`to-java-${codec}`, 3)
    const base = Date.UTC(2026, 0, 1)
    const messages: ProducerMessage<number>[] = Array.from({ length: 300 }, (_, i) => ({
      key: i % 5 === 0 ? null : `key-${i % 23}`,
      value: i % 40 === 9 ? null : `value ${i} ${'xyz'.repeat(i % 30)} ü`,
      headers: i % 3 === 0 ? [] : [{ key: 'i', value: String(i) }, { key: 'kind', value: i % 2 === 0 ? 'even' : 'odd' }],
      timestamp: base + i * 1_000,
      metadata: i,
    }))
    const results = await lastValueFrom(from(messages).pipe(produceTo<number>(topic, { client: newClient(), compression: codec }), toArray()))
    expect(results.filter((r) => r.error !== undefined)).toEqual([])
    if (codec !== 'none') expect(results[0]!.batch.compressedBytes).toBeLessThan(results[0]!.batch.uncompressedBytes)

    const records = (await runJava('consume', { topic, count: 300 })).flatMap((l) => (l.record === undefined ? [] : [l.record]))
    expect(records).toHaveLength(300)
    const byPlace = new Map<string, JavaRecord>(records.map((r) => [`${r.partition}/${r.offset}`, r]))
    for (const result of results) {
      const i = result.metadata!
      const record = byPlace.get(`${result.partition}/${result.offset}`)
      expect(record, `message ${i} at ${result.partition}/${result.offset}`).toBeDefined()
      expect(record!.key).toBe(i % 5 === 0 ? null : `key-${i % 23}`)
      expect(record!.value).toBe(i % 40 === 9 ? null : `value ${i} ${'xyz'.repeat(i % 30)} ü`)
      expect(record!.headers).toEqual(i % 3 === 0 ? {} : { i: String(i), kind: i % 2 === 0 ? 'even' : 'odd' })
      expect(record!.timestamp).toBe(base + i * 1_000)
      expect(record!.timestampType).toBe('CreateTime')
    }
  })
})

describe('rxkafka reads what the Java producer wrote', () => {
  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('codec %s: keys, null keys, tombstones, headers and timestamps arrive intact', async (codec) => {
    if (codec === 'zstd') await ensureZstd()
    const topic = await newTopic(`from-java-${codec}`, 2)
    const base = Date.UTC(2026, 1, 1)
    const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify({
      key: i % 4 === 0 ? null : `k${i}`,
      value: i % 25 === 3 ? null : `java ${i} ${'ab'.repeat(i % 40)} é`,
      timestamp: base + i,
      headers: i % 2 === 0 ? { n: String(i), empty: null } : {},
    }))
    const sent = await runJava('produce', { topic, compression: codec }, lines)
    expect(sent.at(-1)?.done).toBe(200)
    const messages = await readAll(topic, 200)
    const byPlace = new Map(messages.map((m) => [`${m.partition}/${m.offset}`, m]))
    const acknowledged = sent.filter((l) => l.sent !== undefined)
    expect(acknowledged).toHaveLength(200)
    // The callbacks come in send order per partition; find each record by its value.
    const byValue = new Map(messages.map((m) => [text(m.value) ?? `null@${m.partition}/${m.offset}`, m]))
    for (let i = 0; i < 200; i++) {
      if (i % 25 === 3) continue
      const m = byValue.get(`java ${i} ${'ab'.repeat(i % 40)} é`)
      expect(m, `record ${i}`).toBeDefined()
      expect(text(m!.key)).toBe(i % 4 === 0 ? null : `k${i}`)
      expect(m!.timestamp).toBe(base + i)
      expect(m!.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('utf8')])).toEqual(i % 2 === 0 ? [['n', String(i)], ['empty', null]] : [])
    }
    expect(messages.filter((m) => m.value === null)).toHaveLength(8)
    for (const line of acknowledged) expect(byPlace.has(`${line.sent!.partition}/${line.sent!.offset}`)).toBe(true)
  })

  it('transactions: read_committed sees only committed batches, read_uncommitted sees the aborted ones too, control records never', async () => {
    const topic = await newTopic('from-java-txn', 1)
    const batch = (name: string) => Array.from({ length: 10 }, (_, i) => JSON.stringify({ key: `${name}${i}`, value: `${name}-${i}` }))
    const script = [
      JSON.stringify({ op: 'begin' }), ...batch('committed-a'), JSON.stringify({ op: 'commit' }),
      JSON.stringify({ op: 'begin' }), ...batch('aborted-b'), JSON.stringify({ op: 'flush' }), JSON.stringify({ op: 'abort' }),
      JSON.stringify({ op: 'begin' }), ...batch('committed-c'), JSON.stringify({ op: 'commit' }),
    ]
    const sent = await runJava('produce', { topic, 'transactional-id': uniqueName('txn') }, script)
    expect(sent.at(-1)?.done).toBe(30)
    const values = (ms: ConsumerMessage[]) => ms.map((m) => text(m.value))
    const names = (name: string) => Array.from({ length: 10 }, (_, i) => `${name}-${i}`)
    // In log order: A, A's commit marker, B, B's abort marker, C, C's commit marker.
    const committed = await readAll(topic, 20, 'read_committed')
    expect(values(committed)).toEqual([...names('committed-a'), ...names('committed-c')])
    const uncommitted = await readAll(topic, 30, 'read_uncommitted')
    expect(values(uncommitted)).toEqual([...names('committed-a'), ...names('aborted-b'), ...names('committed-c')])
    // Offsets skip the control records (one marker after each transaction).
    expect(uncommitted.map((m) => Number(m.offset))).toEqual([
      ...Array.from({ length: 10 }, (_, i) => i),
      ...Array.from({ length: 10 }, (_, i) => 11 + i),
      ...Array.from({ length: 10 }, (_, i) => 22 + i),
    ])
  })
})

describe('murmur2: the same key lands on the same partition from both clients', () => {
  it('10 000 keys: the Java partitioner, rxkafka\'s partitioner, and where each producer\'s records landed', async () => {
    const partitions = 12
    const keys = Array.from({ length: 10_000 }, (_, i) => (i % 7 === 0 ? `ü-${i}-ключ` : `user-${i * 7919}`))
    // What each client's partitioner says, key by key.
    const java = (await runJava('partition', { partitions }, keys)).map((l) => l.partition)
    const ours = keys.map((k) => murmur2Partition(Buffer.from(k, 'utf8'), partitions))
    expect(ours).toEqual(java)
    // And where records really went: the Java producer to one topic, rxkafka to another.
    const javaTopic = await newTopic('murmur-java', partitions)
    const ourTopic = await newTopic('murmur-rxkafka', partitions)
    const sent = await runJava('produce', { topic: javaTopic, 'linger-ms': 20 }, keys.map((key) => JSON.stringify({ key, value: 'j' })))
    expect(sent.at(-1)?.done).toBe(10_000)
    const results = await lastValueFrom(from(keys).pipe(map((key) => ({ key, value: 'r', metadata: key })), produceTo<string>(ourTopic, { client: newClient() }), toArray()))
    const ourPlacement = new Map(results.map((r) => [r.metadata!, r.partition]))
    const javaPlacement = new Map((await readAll(javaTopic, 10_000)).map((m) => [text(m.key)!, m.partition]))
    expect(javaPlacement.size).toBe(10_000)
    let disagreements = 0
    for (const key of keys) if (javaPlacement.get(key) !== ourPlacement.get(key)) disagreements++
    expect(disagreements).toBe(0)
  }, 180_000)
})

describe('one consumer group, a Java member and an rxkafka member', () => {
  it.each([
    ['range', rangeAssignor],
    ['cooperative-sticky', cooperativeStickyAssignor],
  ] as const)('%s: they share the partitions and hand them over on leave, nothing lost', async (assignorName, assignor) => {
    const topic = await newTopic(`mixed-${assignorName}`, 4)
    const groupId = uniqueName(`mixed-${assignorName}`)
    const produceBatch = async (from: number, count: number) => {
      const results = await lastValueFrom(
        rangeOf(from, count).pipe(map((i) => ({ key: `k${i}`, value: `m${i}`, partition: i % 4 })), produceTo(topic, { client: newClient() }), toArray()),
      )
      expect(results.filter((r) => r.error !== undefined)).toEqual([])
    }
    await produceBatch(0, 200)

    // rxkafka alone first: it takes all four partitions.
    const ours = new Map<string, number>()
    const active = new Set<number>()
    const group = consumeGroup({
      client: newClient(), groupId, topics: [topic], assignors: [assignor],
      sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 20_000, commitIntervalMs: 200, fromBeginning: true,
    })
    subscriptions.push(group.pipe(mergeMap((partition$) => {
      active.add(partition$.partition)
      return partition$.pipe(tap({ next: (m) => {
        ours.set(text(m.value)!, (ours.get(text(m.value)!) ?? 0) + 1)
        m.done()
      }, complete: () => active.delete(partition$.partition) }))
    })).subscribe())
    await waitFor('rxkafka read the first 200', () => ours.size === 200, 60_000)
    await waitFor('rxkafka committed them', () => group.diagnostics()[0]?.partitions.every((p) => p.lag === 0n && p.lastCommitted !== null) === true, 30_000)

    // The Java member joins: two partitions each.
    const java = new JavaPeer('group', { topic, group: groupId, assignor: assignorName })
    const javaAssigned = (): number[] => {
      let held = new Set<number>()
      for (const line of java.lines) {
        if (line.assigned !== undefined) held = assignorName === 'range' ? new Set(line.assigned) : new Set([...held, ...line.assigned])
        if (line.revoked !== undefined) for (const p of line.revoked) held.delete(p)
      }
      return [...held].sort()
    }
    await waitFor('the partitions are split two and two', () => active.size === 2 && javaAssigned().length === 2, 60_000)
    expect([...active, ...javaAssigned()].sort()).toEqual([0, 1, 2, 3])
    await produceBatch(200, 200)
    const javaValues = (): string[] => java.records().map((r) => r.value!)
    await waitFor('the next 200 are read, by one member or the other', () => new Set([...ours.keys(), ...javaValues()]).size === 400, 60_000)
    // What Java read is only on its partitions, and none of it is from before it joined (rxkafka committed those).
    const javaHeld = javaAssigned()
    for (const record of java.records()) expect(javaHeld).toContain(record.partition)
    expect(javaValues().every((v) => Number(v.slice(1)) >= 200)).toBe(true)

    // The Java member leaves (commit, LeaveGroup): rxkafka takes its partitions back and reads on from its commits.
    await waitFor('Java committed what it read', () => java.lines.filter((l) => l.committed !== undefined).reduce((n, l) => n + l.committed!, 0) === java.records().length, 30_000)
    java.write('leave')
    await java.finished(60_000)
    expect(java.lines.at(-1)?.closed).toBe(true)
    await waitFor('rxkafka holds all four again', () => active.size === 4, 60_000)
    await produceBatch(400, 200)
    await waitFor('all 600 read', () => new Set([...ours.keys(), ...javaValues()]).size === 600, 60_000)
    // Nothing lost; nothing that Java committed is read again by rxkafka.
    const all = new Set([...ours.keys(), ...javaValues()])
    for (let i = 0; i < 600; i++) expect(all.has(`m${i}`), `m${i}`).toBe(true)
    for (const value of javaValues()) expect(ours.has(value), `${value} was read by both`).toBe(false)
  }, 240_000)
})

function rangeOf(start: number, count: number) {
  return from(Array.from({ length: count }, (_, i) => start + i))
}
