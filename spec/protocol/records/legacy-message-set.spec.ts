import { readFileSync } from 'node:fs'
import { crc32 } from 'node:zlib'
import { hash as xxh32 } from 'lz4js/xxh32.js'
import { describe, expect, it } from 'vitest'
import { gzipCodec, lz4Codec, snappyCodec } from '../../../lib/protocol/compression/index.js'
import { CorruptRecordError, RecordBatchBuilder, decodeRecordBatches } from '../../../lib/protocol/records/index.js'

// Legacy messages built by hand from the documented format:
// entry = offset int64, size int32, message; message = crc uint32 (CRC-32 of the
// rest), magic int8, attributes int8, [timestamp int64 if magic 1], key bytes, value bytes.

interface LegacyMessageSpec {
  magic: 0 | 1
  attributes?: number
  timestamp?: number
  key: string | Buffer | null
  value: string | Buffer | null
}

function int32(value: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(value)
  return b
}

function bytesField(data: string | Buffer | null): Buffer {
  if (data === null) return int32(-1)
  const bytes = typeof data === 'string' ? Buffer.from(data) : data
  return Buffer.concat([int32(bytes.length), bytes])
}

function message(spec: LegacyMessageSpec): Buffer {
  const parts: Buffer[] = [Buffer.from([spec.magic, spec.attributes ?? 0])]
  if (spec.magic === 1) {
    const ts = Buffer.alloc(8)
    ts.writeBigInt64BE(BigInt(spec.timestamp ?? -1))
    parts.push(ts)
  }
  parts.push(bytesField(spec.key), bytesField(spec.value))
  const body = Buffer.concat(parts)
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([crc, body])
}

function entry(offset: bigint, spec: LegacyMessageSpec): Buffer {
  const m = message(spec)
  const head = Buffer.alloc(12)
  head.writeBigInt64BE(offset)
  head.writeInt32BE(m.length, 8)
  return Buffer.concat([head, m])
}

const context = { topic: 'old-topic', partition: 1 }
const T = 1_500_000_000_000

describe('legacy message sets (magic 0 and 1)', () => {
  it('decodes uncompressed magic-0 messages: one batch each, no timestamps', () => {
    const bytes = Buffer.concat([
      entry(7n, { magic: 0, key: 'a', value: 'first' }),
      entry(8n, { magic: 0, key: null, value: 'second' }),
      entry(9n, { magic: 0, key: 'c', value: null }),
    ])
    const { batches, truncated } = decodeRecordBatches(bytes, context)
    expect(truncated).toBe(false)
    expect(batches.map(b => [b.magic, b.baseOffset, b.lastOffset, b.recordCount, b.timestampType, b.compression])).toEqual([
      [0, 7n, 7n, 1, 'none', 0],
      [0, 8n, 8n, 1, 'none', 0],
      [0, 9n, 9n, 1, 'none', 0],
    ])
    expect(batches.flatMap(b => b.records())).toEqual([
      { offset: 7n, timestamp: -1, key: Buffer.from('a'), value: Buffer.from('first'), headers: [] },
      { offset: 8n, timestamp: -1, key: null, value: Buffer.from('second'), headers: [] },
      { offset: 9n, timestamp: -1, key: Buffer.from('c'), value: null, headers: [] },
    ])
    const [first] = batches
    expect([first!.producerId, first!.producerEpoch, first!.baseSequence, first!.isControl, first!.isTransactional]).toEqual([-1n, -1, -1, false, false])
  })

  it('decodes uncompressed magic-1 messages with their create times', () => {
    const bytes = Buffer.concat([entry(0n, { magic: 1, timestamp: T, key: 'k', value: 'v' }), entry(1n, { magic: 1, timestamp: T + 9, key: 'k2', value: 'v2' })])
    const records = decodeRecordBatches(bytes, context).batches.flatMap(b => b.records())
    expect(records.map(r => [r.offset, r.timestamp, r.key!.toString(), r.value!.toString()])).toEqual([
      [0n, T, 'k', 'v'],
      [1n, T + 9, 'k2', 'v2'],
    ])
  })

  const innerSpecs: LegacyMessageSpec[] = [
    { magic: 1, timestamp: T + 1, key: 'k0', value: 'v0' },
    { magic: 1, timestamp: T + 2, key: null, value: 'v1' },
    { magic: 1, timestamp: T + 3, key: 'k2', value: Buffer.alloc(5000, 'x') },
  ]

  function innerSet(offsets: bigint[], specs = innerSpecs): Buffer {
    return Buffer.concat(offsets.map((offset, i) => entry(offset, specs[i]!)))
  }

  for (const [name, codec, id] of [
    ['gzip', gzipCodec, 1],
    ['snappy', snappyCodec, 2],
    ['lz4', lz4Codec, 3],
  ] as const) {
    it(`magic-1 ${name} wrapper: relative inner offsets become absolute from the wrapper's (last) offset`, () => {
      const wrapped = codec.compress(innerSet([0n, 1n, 2n]))
      const bytes = entry(52n, { magic: 1, attributes: id, timestamp: T + 3, key: null, value: wrapped })
      const batch = decodeRecordBatches(bytes, context).batches[0]!
      expect([batch.magic, batch.compression, batch.baseOffset, batch.lastOffset, batch.recordCount]).toEqual([1, id, 50n, 52n, 3])
      const records = batch.records()
      expect(records.map(r => r.offset)).toEqual([50n, 51n, 52n])
      expect(records.map(r => r.timestamp)).toEqual([T + 1, T + 2, T + 3])
      expect(records.map(r => r.key?.toString() ?? null)).toEqual(['k0', null, 'k2'])
      expect(records[2]!.value!.equals(Buffer.alloc(5000, 'x'))).toBe(true)
    })
  }

  it('magic-1 wrapper with log-append time gives every inner record the wrapper timestamp', () => {
    const wrapped = gzipCodec.compress(innerSet([0n, 1n, 2n]))
    const bytes = entry(2n, { magic: 1, attributes: 0x08 | 1, timestamp: T + 1000, key: null, value: wrapped })
    const batch = decodeRecordBatches(bytes, context).batches[0]!
    expect(batch.timestampType).toBe('log-append')
    expect(batch.records().map(r => r.timestamp)).toEqual([T + 1000, T + 1000, T + 1000])
  })

  it('magic-0 wrapper keeps absolute inner offsets', () => {
    const specs: LegacyMessageSpec[] = [
      { magic: 0, key: 'a', value: '1' },
      { magic: 0, key: 'b', value: '2' },
    ]
    const wrapped = snappyCodec.compress(innerSet([40n, 41n], specs))
    const batch = decodeRecordBatches(entry(41n, { magic: 0, attributes: 2, key: null, value: wrapped }), context).batches[0]!
    expect(batch.records().map(r => [r.offset, r.timestamp, r.value!.toString()])).toEqual([
      [40n, -1, '1'],
      [41n, -1, '2'],
    ])
  })

  it('reads magic-0 lz4 with the header checksum Kafka 0.8/0.9 wrote (over magic and descriptor)', () => {
    const specs: LegacyMessageSpec[] = [{ magic: 0, key: 'k', value: 'lz4 of old' }]
    const frame = lz4Codec.compress(innerSet([0n], specs))
    frame[6] = (xxh32(0, frame, 0, 6) >>> 8) & 0xff
    const batch = decodeRecordBatches(entry(0n, { magic: 0, attributes: 3, key: null, value: frame }), context).batches[0]!
    expect(batch.records()[0]!.value!.toString()).toBe('lz4 of old')
  })

  it('decodes a mix of magic 0, 1 and 2 in one fetch response', () => {
    const builder = new RecordBatchBuilder()
    builder.append({ key: 'new', value: 'v2 record', timestamp: T + 100 })
    const v2 = builder.seal().bytes
    v2.writeBigInt64BE(3n, 0)
    const bytes = Buffer.concat([
      entry(0n, { magic: 0, key: null, value: 'zero' }),
      entry(2n, { magic: 1, attributes: 1, timestamp: T, key: null, value: gzipCodec.compress(innerSet([0n, 1n], innerSpecs.slice(0, 2))) }),
      v2,
    ])
    const { batches } = decodeRecordBatches(bytes, context)
    expect(batches.map(b => b.magic)).toEqual([0, 1, 2])
    expect(batches.flatMap(b => b.records()).map(r => [r.offset, r.value!.toString()])).toEqual([
      [0n, 'zero'],
      [1n, 'v0'],
      [2n, 'v1'],
      [3n, 'v2 record'],
    ])
  })

  it('reports a legacy message cut short at the end as truncated', () => {
    const whole = Buffer.concat([entry(0n, { magic: 1, timestamp: T, key: 'k', value: 'complete' }), entry(1n, { magic: 1, timestamp: T, key: 'k', value: 'cut short' })])
    const result = decodeRecordBatches(whole.subarray(0, whole.length - 3), context)
    expect(result.batches.length).toBe(1)
    expect(result.truncated).toBe(true)
  })

  it('detects a CRC-32 mismatch, naming topic, partition and offset', () => {
    const bytes = entry(77n, { magic: 1, timestamp: T, key: 'k', value: 'value' })
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1
    expect(() => decodeRecordBatches(bytes, context)).toThrow(/CRC-32 mismatch.*topic old-topic, partition 1, offset 77/)
    expect(decodeRecordBatches(bytes, context, { verifyCrc: false }).batches.length).toBe(1)
  })

  it('rejects nested compression, empty wrappers, impossible key lengths and zstd in a legacy message', () => {
    const nested = gzipCodec.compress(entry(0n, { magic: 1, attributes: 1, timestamp: T, key: null, value: gzipCodec.compress(innerSet([0n])) }))
    expect(() => decodeRecordBatches(entry(0n, { magic: 1, attributes: 1, timestamp: T, key: null, value: nested }), context)).toThrow(/nested/)
    expect(() => decodeRecordBatches(entry(0n, { magic: 1, attributes: 1, timestamp: T, key: null, value: gzipCodec.compress(Buffer.alloc(0)) }), context)).toThrow(/holds no messages/)
    const badKey = entry(0n, { magic: 0, key: 'abc', value: 'v' })
    badKey.writeInt32BE(1000, 12 + 6) // key length field of the message
    expect(() => decodeRecordBatches(badKey, context, { verifyCrc: false })).toThrow(CorruptRecordError)
    expect(() => decodeRecordBatches(entry(0n, { magic: 1, attributes: 4, timestamp: T, key: null, value: 'x' }), context)).toThrow(/codec 4 is not valid/)
  })
})

describe('legacy message sets written by KafkaJS', () => {
  const fixture = JSON.parse(readFileSync(new URL('../../fixtures/records/kafkajs-batches.json', import.meta.url), 'utf8')) as {
    records: { key: string | null; value: string | null; timestamp: number }[]
    legacy: { v0: string; v0BaseOffset: string; v1: string; gzipWrapperV1: string; gzipWrapperV1BaseOffset: string }
  }
  const utf8 = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'))

  it('magic 0 and magic 1, uncompressed, CRC-32 checked', () => {
    for (const [hex, withTimestamps] of [
      [fixture.legacy.v0, false],
      [fixture.legacy.v1, true],
    ] as const) {
      const records = decodeRecordBatches(Buffer.from(hex, 'hex'), context).batches.flatMap(b => b.records())
      expect(records.map(r => ({ offset: r.offset, key: utf8(r.key), value: utf8(r.value), timestamp: r.timestamp }))).toEqual(
        fixture.records.map((r, i) => ({ offset: BigInt(fixture.legacy.v0BaseOffset) + BigInt(i), key: r.key, value: r.value, timestamp: withTimestamps ? r.timestamp : -1 })),
      )
    }
  })

  it('magic-1 gzip wrapper with relative inner offsets', () => {
    const batch = decodeRecordBatches(Buffer.from(fixture.legacy.gzipWrapperV1, 'hex'), context).batches[0]!
    expect(batch.records().map(r => ({ offset: r.offset, key: utf8(r.key), value: utf8(r.value), timestamp: r.timestamp }))).toEqual(
      fixture.records.map((r, i) => ({ offset: BigInt(fixture.legacy.gzipWrapperV1BaseOffset) + BigInt(i), key: r.key, value: r.value, timestamp: r.timestamp })),
    )
  })
})
