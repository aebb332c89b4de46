import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { RecordBatchBuilder, decodeRecordBatches, type ProducerRecord } from '../../../lib/protocol/records/index.js'

interface FixtureRecord {
  key: string | null
  value: string | null
  headers: Record<string, string>
  timestamp: number
}
interface Fixture {
  records: FixtureRecord[]
  v2: { baseOffset: string; partitionLeaderEpoch: number; producerId: string; producerEpoch: number; baseSequence: number; none: string; gzip: string }
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/records/kafkajs-batches.json', import.meta.url), 'utf8')) as Fixture
const context = { topic: 'interop', partition: 0 }
const utf8 = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'))

describe('batches written by KafkaJS decode to the records it was given', () => {
  for (const codec of ['none', 'gzip'] as const) {
    it(`RecordBatch v2, ${codec}`, () => {
      const { batches, truncated } = decodeRecordBatches(Buffer.from(fixture.v2[codec], 'hex'), context)
      expect(truncated).toBe(false)
      const batch = batches[0]!
      expect(batch.compression).toBe(codec === 'none' ? 0 : 1)
      expect(batch.baseOffset).toBe(BigInt(fixture.v2.baseOffset))
      expect(batch.partitionLeaderEpoch).toBe(fixture.v2.partitionLeaderEpoch)
      expect(batch.producerId).toBe(BigInt(fixture.v2.producerId))
      expect(batch.producerEpoch).toBe(fixture.v2.producerEpoch)
      expect(batch.baseSequence).toBe(fixture.v2.baseSequence)
      const decoded = batch.records()
      expect(
        decoded.map(r => ({
          offset: r.offset,
          key: utf8(r.key),
          value: utf8(r.value),
          headers: Object.fromEntries(r.headers.map(h => [h.key, utf8(h.value)])),
          timestamp: r.timestamp,
        })),
      ).toEqual(fixture.records.map((r, i) => ({ ...r, offset: BigInt(fixture.v2.baseOffset) + BigInt(i) })))
    })
  }
})

// KafkaJS's own decoder (a devDependency, used only here) reads what we write.
const require = createRequire(import.meta.url)
const KafkaJsDecoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => unknown
const decodeKafkaJsBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (decoder: unknown) => Promise<{
  firstOffset: string
  producerId: string
  records: { key: Buffer | null; value: Buffer | null; timestamp: string; offset: string; headers: Record<string, Buffer> }[]
}>

describe('KafkaJS decodes batches we write', () => {
  const records: ProducerRecord[] = fixture.records.map(r => ({
    key: r.key,
    value: r.value,
    headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
    timestamp: r.timestamp,
  }))
  for (const compression of ['none', 'gzip'] as const) {
    it(`RecordBatch v2, ${compression}`, async () => {
      const builder = new RecordBatchBuilder()
      for (const record of records) builder.append(record)
      const sealed = builder.seal({ compression })
      sealed.stampProducerState(77n, 1, 5)
      const batch = await decodeKafkaJsBatch(new KafkaJsDecoder(sealed.bytes))
      expect(batch.producerId).toBe('77')
      expect(
        batch.records.map(r => ({
          key: utf8(r.key),
          value: utf8(r.value),
          headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString('utf8')])),
          timestamp: Number(r.timestamp),
        })),
      ).toEqual(fixture.records)
      expect(batch.records.map(r => r.offset)).toEqual(fixture.records.map((_, i) => String(i)))
    })
  }
})
