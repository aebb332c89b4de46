/**
 * What librdkafka writes, we read: kcat (librdkafka 2.x) produces into
 * librdkafka's mock cluster with each codec, we fetch the raw `records` bytes
 * with a plain Fetch request and decode them. This covers the framings other
 * clients choose (librdkafka's snappy and LZ4F frames), multi-block payloads,
 * headers and keys. The other direction (kcat reads what we produce, every
 * codec) is in spec/producer/producer-mock.spec.ts. zstd decodes on every Node
 * (node:zlib from 22.15, the fzstd path before), so the zstd case runs on Node 20 too.
 */
import { lastValueFrom } from 'rxjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KafkaCluster } from '../../../lib/cluster/kafka-cluster.js'
import { FetchApi } from '../../../lib/protocol/messages/Fetch.js'
import { decodeRecordBatches, type ConsumedRecord } from '../../../lib/protocol/records/index.js'
import { startMockCluster, type MockCluster } from '../../../lib/testing/index.js'
import { runKcat } from '../../testing/mock-helpers.js'

const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const
let mock: MockCluster
let client: KafkaCluster

/** Lines `key-i:value` with values of about 1.5 KiB of text, so a batch spans several 64 KiB lz4 and 32 KiB snappy blocks. */
function lines(count: number): { key: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `key-${i}`,
    value: `record ${i} ` + Array.from({ length: 60 }, (_, j) => `w${(i * 31 + j * 7) % 101}`).join(' ').repeat(4),
  }))
}

async function fetchRaw(topic: string): Promise<Buffer> {
  const response = await lastValueFrom(
    client.request(
      'any',
      FetchApi,
      (version) => ({
        ...(version <= 14 ? { replicaId: -1 } : {}),
        maxWaitMs: 100,
        minBytes: 1,
        ...(version >= 3 ? { maxBytes: 16 * 1024 * 1024 } : {}),
        ...(version >= 4 ? { isolationLevel: 0 } : {}),
        topics: [{ topic, partitions: [{ partition: 0, ...(version >= 9 ? { currentLeaderEpoch: -1 } : {}), fetchOffset: 0n, partitionMaxBytes: 16 * 1024 * 1024 }] }],
      }),
      { maxVersion: 12 },
    ),
  )
  const partition = response.responses[0]!.partitions[0]!
  expect(partition.errorCode).toBe(0)
  return partition.records ?? Buffer.alloc(0)
}

beforeAll(async () => {
  mock = await startMockCluster({ brokers: 1, topics: codecs.map((codec) => ({ name: `from-librdkafka-${codec}`, partitions: 1 })) })
  client = new KafkaCluster({ ...mock.clientConfig, clientId: 'records-interop-spec' })
})

afterAll(async () => {
  await client?.close()
  await mock?.stop()
})

describe('batches librdkafka (kcat) produced decode to what it was given', () => {
  for (const codec of codecs) {
    it(`codec ${codec}`, async () => {
      const topic = `from-librdkafka-${codec}`
      const input = lines(120)
      const produced = await runKcat(
        ['-b', mock.bootstrap, '-P', '-t', topic, '-p', '0', '-z', codec, '-K', ':', '-H', 'origin=kcat', '-H', 'empty=', '-X', 'linger.ms=200', '-X', 'batch.size=1000000'],
        input.map((l) => `${l.key}:${l.value}\n`).join(''),
        60_000,
      )
      expect(produced.stderr).not.toMatch(/error/i)
      expect(produced.code).toBe(0)

      const { batches, truncated } = decodeRecordBatches(await fetchRaw(topic), { topic, partition: 0 })
      expect(truncated).toBe(false)
      expect(batches.length).toBeGreaterThan(0)
      expect(batches.every((b) => b.magic === 2 && b.compression === codecs.indexOf(codec))).toBe(true)
      const records: ConsumedRecord[] = batches.flatMap((b) => b.records())
      expect(records.map((r) => r.offset)).toEqual(input.map((_, i) => BigInt(i)))
      expect(records.map((r) => ({ key: r.key?.toString(), value: r.value?.toString() }))).toEqual(input)
      for (const record of records) {
        expect(record.headers.map((h) => [h.key, h.value?.toString() ?? null])).toEqual([
          ['origin', 'kcat'],
          ['empty', ''],
        ])
      }
    })
  }
})
