import { describe, expect, it } from 'vitest'
import {
  DecompressedSizeExceededError,
  registerCodec,
  zstdAvailable,
  type CompressionCodecName,
} from '../../../lib/protocol/compression/index.js'
import { RxKafkaError } from '../../../lib/errors/index.js'
import {
  CorruptRecordError,
  RecordBatchBuilder,
  buildControlBatch,
  crc32c,
  decodeRecordBatches,
  parseControlRecord,
  stampProducerState,
  type ConsumedRecord,
  type ProducerRecord,
} from '../../../lib/protocol/records/index.js'

const context = { topic: 'orders', partition: 3 }
const codecs: CompressionCodecName[] = ['none', 'gzip', 'snappy', 'lz4', ...(zstdAvailable() ? (['zstd'] as const) : [])]

const T0 = 1_700_000_000_000

const sampleRecords: ProducerRecord[] = [
  { key: 'k-1', value: 'v-1', timestamp: T0 },
  { key: null, value: 'no key', timestamp: T0 + 1 },
  { value: 'key omitted', timestamp: T0 + 2 },
  { key: 'tombstone', value: null, timestamp: T0 + 3 },
  { key: 'empty', value: '', timestamp: T0 + 4 },
  { key: Buffer.from([0, 1, 2, 255]), value: Buffer.alloc(1000, 0xab), timestamp: T0 - 50 },
  { key: 'ключ-🔑', value: 'значение ✓ '.repeat(20), timestamp: T0 + 2 ** 33 },
  {
    key: 'with-headers',
    value: 'h',
    headers: [
      { key: 'trace-id', value: 'abc' },
      { key: 'binary', value: Buffer.from([9, 8, 7]) },
      { key: 'null', value: null },
      { key: 'заголовок', value: 'ü'.repeat(100) },
      { key: 'trace-id', value: 'repeated keys are allowed' },
    ],
    timestamp: T0 + 10,
  },
  { key: 'x'.repeat(200), value: 'y'.repeat(70_000), timestamp: T0 + 11 },
]

function toBytes(data: Buffer | string | null | undefined): Buffer | null {
  if (data === null || data === undefined) return null
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data
}

function expectSameRecords(decoded: ConsumedRecord[], appended: ProducerRecord[], baseOffset = 0n): void {
  expect(decoded.length).toBe(appended.length)
  decoded.forEach((record, i) => {
    const expected = appended[i]!
    expect(record.offset).toBe(baseOffset + BigInt(i))
    expect(record.timestamp).toBe(expected.timestamp)
    expect(record.key).toEqual(toBytes(expected.key))
    expect(record.value).toEqual(toBytes(expected.value))
    expect(record.headers).toEqual((expected.headers ?? []).map(h => ({ key: h.key, value: toBytes(h.value) })))
  })
}

function build(records: ProducerRecord[], seal: Parameters<RecordBatchBuilder['seal']>[0] = {}) {
  const builder = new RecordBatchBuilder({ initialCapacity: 64 })
  for (const record of records) builder.append(record)
  return builder.seal(seal)
}

function thrown(action: () => unknown): unknown {
  try {
    action()
  } catch (error) {
    return error
  }
  throw new Error('expected an error')
}

describe('RecordBatchBuilder and decodeRecordBatches', () => {
  for (const compression of codecs) {
    it(`round-trips keys, values, nulls, empties, unicode, headers and timestamps with ${compression}`, () => {
      const sealed = build(sampleRecords, { compression })
      const { batches, truncated } = decodeRecordBatches(sealed.bytes, context)
      expect(truncated).toBe(false)
      expect(batches.length).toBe(1)
      const batch = batches[0]!
      expect(batch.compression).toBe(sealed.codec)
      expect(batch.recordCount).toBe(sampleRecords.length)
      expect(batch.lastOffsetDelta).toBe(sampleRecords.length - 1)
      expect(batch.baseTimestamp).toBe(T0)
      expect(batch.maxTimestamp).toBe(T0 + 2 ** 33)
      expectSameRecords(batch.records(), sampleRecords)
    })

    it(`round-trips 20 000 small records with ${compression}`, () => {
      const records: ProducerRecord[] = Array.from({ length: 20_000 }, (_, i) => ({
        key: i % 7 === 0 ? null : `key-${i}`,
        value: `value-${i}-${'x'.repeat(i % 50)}`,
        timestamp: T0 + (i % 1000),
      }))
      const sealed = build(records, { compression })
      expect(sealed.recordCount).toBe(20_000)
      expectSameRecords(decodeRecordBatches(sealed.bytes, context).batches[0]!.records(), records)
    })
  }

  it('writes the v2 header: magic 2, lengths, defaults of a non-idempotent batch, a valid CRC-32C', () => {
    const sealed = build(sampleRecords.slice(0, 3))
    const b = sealed.bytes
    expect(b.readBigInt64BE(0)).toBe(0n)
    expect(b.readInt32BE(8)).toBe(b.length - 12)
    expect(b.readInt32BE(12)).toBe(-1)
    expect(b[16]).toBe(2)
    expect(b.readUInt32BE(17)).toBe(crc32c(b, 21))
    expect(b.readInt16BE(21)).toBe(0)
    expect(b.readInt32BE(23)).toBe(2)
    expect(b.readBigInt64BE(27)).toBe(BigInt(T0))
    expect(b.readBigInt64BE(35)).toBe(BigInt(T0 + 2))
    expect(b.readBigInt64BE(43)).toBe(-1n)
    expect(b.readInt16BE(51)).toBe(-1)
    expect(b.readInt32BE(53)).toBe(-1)
    expect(b.readInt32BE(57)).toBe(3)
    const batch = decodeRecordBatches(b, context).batches[0]!
    expect([batch.magic, batch.partitionLeaderEpoch, batch.producerId, batch.producerEpoch, batch.baseSequence]).toEqual([2, -1, -1n, -1, -1])
    expect([batch.isTransactional, batch.isControl, batch.timestampType]).toEqual([false, false, 'create'])
  })

  it('reports its size as it grows, equal to the sealed size when uncompressed', () => {
    const builder = new RecordBatchBuilder({ initialCapacity: 100 })
    expect(builder.sizeInBytes).toBe(61)
    expect(builder.count).toBe(0)
    expect(builder.firstTimestampMs).toBeUndefined()
    let previous = builder.sizeInBytes
    for (let i = 0; i < 50; i++) {
      expect(builder.append({ key: `k${i}`, value: 'v'.repeat(i), timestamp: T0 + 50 - i })).toBe(i)
      expect(builder.sizeInBytes).toBeGreaterThan(previous)
      previous = builder.sizeInBytes
    }
    expect(builder.count).toBe(50)
    expect(builder.firstTimestampMs).toBe(T0 + 50)
    expect(builder.maxTimestampMs).toBe(T0 + 50)
    const sealed = builder.seal()
    expect(sealed.bytes.length).toBe(previous)
    expect(sealed.uncompressedBytes).toBe(previous)
    expect(sealed.compressedBytes).toBe(previous)
  })

  it('reports uncompressed and compressed sizes of a compressed batch', () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ value: 'the same text again and again', timestamp: T0 + i }))
    const sealed = build(records, { compression: 'lz4' })
    expect(sealed.codec).toBe(3)
    expect(sealed.compressedBytes).toBe(sealed.bytes.length)
    expect(sealed.compressedBytes).toBeLessThan(sealed.uncompressedBytes)
    expect(sealed.bytes.readInt16BE(21) & 7).toBe(3)
  })

  it('stamps the current time when no timestamp is given', () => {
    const before = Date.now()
    const sealed = build([{ value: 'now' }])
    const after = Date.now()
    const timestamp = decodeRecordBatches(sealed.bytes, context).batches[0]!.records()[0]!.timestamp
    expect(timestamp).toBeGreaterThanOrEqual(before)
    expect(timestamp).toBeLessThanOrEqual(after)
  })

  it('returns keys, values and header values as views of the input when uncompressed', () => {
    const sealed = build(sampleRecords)
    const record = decodeRecordBatches(sealed.bytes, context).batches[0]!.records()[7]!
    expect(record.key!.buffer).toBe(sealed.bytes.buffer)
    expect(record.value!.buffer).toBe(sealed.bytes.buffer)
    expect(record.headers[0]!.value!.buffer).toBe(sealed.bytes.buffer)
  })

  it('decodes records only when asked, and only once', () => {
    const sealed = build(sampleRecords)
    // Break the first record's length varint but keep the CRC right: the header still parses.
    sealed.bytes[61] = 0x7f
    sealed.bytes.writeUInt32BE(crc32c(sealed.bytes, 21), 17)
    const batch = decodeRecordBatches(sealed.bytes, context).batches[0]!
    expect(batch.recordCount).toBe(sampleRecords.length)
    expect(() => batch.records()).toThrow(CorruptRecordError)
    const good = decodeRecordBatches(build(sampleRecords).bytes, context).batches[0]!
    expect(good.records()).toBe(good.records())
  })

  it('re-stamps producer id, epoch and base sequence after sealing and keeps the CRC valid', () => {
    for (const compression of codecs) {
      const sealed = build(sampleRecords.slice(0, 4), { compression })
      sealed.stampProducerState(123_456_789_012n, 7, 42)
      let batch = decodeRecordBatches(sealed.bytes, context).batches[0]!
      expect([batch.producerId, batch.producerEpoch, batch.baseSequence]).toEqual([123_456_789_012n, 7, 42])
      stampProducerState(sealed.bytes, 5n, 1, 2_000_000_000)
      batch = decodeRecordBatches(sealed.bytes, context).batches[0]!
      expect([batch.producerId, batch.producerEpoch, batch.baseSequence]).toEqual([5n, 1, 2_000_000_000])
      expectSameRecords(batch.records(), sampleRecords.slice(0, 4))
    }
  })

  it('takes producer state, transactional flag, leader epoch and log-append time at seal', () => {
    const records = sampleRecords.slice(0, 3)
    const sealed = build(records, {
      producerId: 99n,
      producerEpoch: 4,
      baseSequence: 10,
      transactional: true,
      partitionLeaderEpoch: 12,
      timestampType: 'log-append',
    })
    const batch = decodeRecordBatches(sealed.bytes, context).batches[0]!
    expect([batch.producerId, batch.producerEpoch, batch.baseSequence, batch.partitionLeaderEpoch]).toEqual([99n, 4, 10, 12])
    expect(batch.isTransactional).toBe(true)
    expect(batch.isControl).toBe(false)
    expect(batch.timestampType).toBe('log-append')
    // With log-append time every record carries the batch's max timestamp, as the broker set it.
    expect(batch.records().map(r => r.timestamp)).toEqual([T0 + 2, T0 + 2, T0 + 2])
  })

  it('builds commit and abort markers as control batches', () => {
    for (const type of ['commit', 'abort'] as const) {
      const sealed = buildControlBatch({ type, coordinatorEpoch: 17, producerId: 3000n, producerEpoch: 2, timestamp: T0 })
      const b = sealed.bytes
      expect(b.readInt16BE(21) & 0x30).toBe(0x30)
      const batch = decodeRecordBatches(b, context).batches[0]!
      expect([batch.isControl, batch.isTransactional, batch.producerId, batch.producerEpoch]).toEqual([true, true, 3000n, 2])
      const record = batch.records()[0]!
      expect([...record.key!]).toEqual([0, 0, 0, type === 'commit' ? 1 : 0])
      expect([...record.value!]).toEqual([0, 0, 0, 0, 0, 17])
      expect(parseControlRecord(record, batch, context)).toEqual({ type, coordinatorEpoch: 17 })
    }
    const data = decodeRecordBatches(build(sampleRecords.slice(0, 1)).bytes, context).batches[0]!
    expect(() => parseControlRecord(data.records()[0]!, data, context)).toThrow(CorruptRecordError)
  })

  it('refuses to seal an empty batch, to append after sealing, and fractional timestamps', () => {
    const builder = new RecordBatchBuilder()
    expect(() => builder.seal()).toThrow(/empty/)
    expect(() => builder.append({ value: 'x', timestamp: 1.5 })).toThrow(/integer/)
    builder.append({ value: 'x', timestamp: T0 })
    builder.seal()
    expect(() => builder.append({ value: 'y' })).toThrow(/sealed/)
    expect(() => builder.seal()).toThrow(/sealed/)
  })

  it('encodes with a user-registered codec and decodes with it', () => {
    const reversing = {
      id: 7,
      name: 'reverse',
      compress: (bytes: Uint8Array) => Buffer.from(bytes).reverse(),
      decompress: (bytes: Uint8Array) => Buffer.from(bytes).reverse(),
    }
    registerCodec(reversing)
    const sealed = build(sampleRecords, { compression: 7 })
    expect(sealed.bytes.readInt16BE(21) & 7).toBe(7)
    expectSameRecords(decodeRecordBatches(sealed.bytes, context).batches[0]!.records(), sampleRecords)
  })
})

describe('decodeRecordBatches on a fetch response', () => {
  function fetchedBytes(): { bytes: Buffer; sizes: number[] } {
    const parts = [build(sampleRecords.slice(0, 3)), build(sampleRecords.slice(3, 6), { compression: 'gzip' }), build(sampleRecords.slice(6))]
    let offset = 100n
    for (const part of parts) {
      part.bytes.writeBigInt64BE(offset, 0) // the broker assigns base offsets; not CRC-covered
      offset += BigInt(part.recordCount)
    }
    return { bytes: Buffer.concat(parts.map(p => p.bytes)), sizes: parts.map(p => p.bytes.length) }
  }

  it('decodes a sequence of batches with the broker-assigned offsets', () => {
    const { bytes } = fetchedBytes()
    const result = decodeRecordBatches(bytes, context)
    expect(result.truncated).toBe(false)
    expect(result.bytesConsumed).toBe(bytes.length)
    expect(result.batches.map(b => b.baseOffset)).toEqual([100n, 103n, 106n])
    expect(result.batches.map(b => b.lastOffset)).toEqual([102n, 105n, 108n])
    expectSameRecords(result.batches.flatMap(b => b.records()), sampleRecords, 100n)
  })

  it('treats a batch cut short at the end as "fetch more", at every cut point', () => {
    const { bytes, sizes } = fetchedBytes()
    const firstTwo = sizes[0]! + sizes[1]!
    for (let cut = firstTwo; cut < bytes.length; cut++) {
      const result = decodeRecordBatches(bytes.subarray(0, cut), context)
      expect(result.truncated).toBe(cut > firstTwo)
      expect(result.batches.length).toBe(2)
      expect(result.bytesConsumed).toBe(firstTwo)
      expect(result.truncatedBatchBytes).toBe(cut - firstTwo >= 12 ? sizes[2] : undefined)
    }
    expect(decodeRecordBatches(Buffer.alloc(0), context)).toEqual({ batches: [], truncated: false, truncatedBatchBytes: undefined, bytesConsumed: 0 })
  })

  it('says how large a batch is when not even one fits', () => {
    const { bytes, sizes } = fetchedBytes()
    const result = decodeRecordBatches(bytes.subarray(0, 30), context)
    expect(result).toEqual({ batches: [], truncated: true, truncatedBatchBytes: sizes[0], bytesConsumed: 0 })
  })

  it('detects a CRC mismatch and names topic, partition and offset', () => {
    const { bytes, sizes } = fetchedBytes()
    const corruptAt = sizes[0]! + 70 // inside the second batch's records
    bytes[corruptAt] = bytes[corruptAt]! ^ 0x10
    const error = thrown(() => decodeRecordBatches(bytes, context)) as CorruptRecordError
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect(error).toBeInstanceOf(RxKafkaError)
    expect([error.topic, error.partition, error.offset]).toEqual(['orders', 3, 103n])
    expect(error.message).toMatch(/CRC-32C mismatch.*topic orders, partition 3, offset 103/)
    expect(error.retriable).toBe(false)
  })

  it('skips the CRC check when asked to', () => {
    const sealed = build([{ key: 'k', value: 'abc', timestamp: T0 }])
    const valueAt = sealed.bytes.indexOf('abc')
    sealed.bytes[valueAt] = 'x'.charCodeAt(0)
    expect(() => decodeRecordBatches(sealed.bytes, context)).toThrow(CorruptRecordError)
    const batch = decodeRecordBatches(sealed.bytes, context, { verifyCrc: false }).batches[0]!
    expect(batch.records()[0]!.value!.toString()).toBe('xbc')
  })

  it('rejects an unknown magic, an unknown codec, and impossible lengths with typed errors', () => {
    const fresh = () => Buffer.from(build(sampleRecords.slice(0, 2)).bytes)
    const restamp = (b: Buffer) => {
      b.writeUInt32BE(crc32c(b, 21), 17)
      return b
    }
    let b = fresh()
    b[16] = 3
    expect(() => decodeRecordBatches(b, context)).toThrow(/unknown magic byte 3/)
    b = fresh()
    b.writeInt16BE(6, 21)
    expect(() => decodeRecordBatches(restamp(b), context)).toThrow(/unknown compression codec id 6/)
    b = fresh()
    b.writeInt32BE(-5, 8)
    expect(() => decodeRecordBatches(b, context)).toThrow(/negative batch length/)
    b = fresh()
    b.writeInt32BE(20, 8)
    expect(() => decodeRecordBatches(b, context)).toThrow(/shorter than a v2 batch header/)
    b = fresh()
    b.writeInt32BE(-1, 57)
    expect(() => decodeRecordBatches(restamp(b), context)).toThrow(/negative record count/)
    b = fresh()
    b.writeInt32BE(3, 57) // claims a third record that is not there
    expect(() => decodeRecordBatches(restamp(b), context).batches[0]!.records()).toThrow(CorruptRecordError)
    b = fresh()
    b.writeInt32BE(1, 57) // claims one record but holds two
    expect(() => decodeRecordBatches(restamp(b), context).batches[0]!.records()).toThrow(/bytes left after/)
  })

  it('bounds decompressed records and names where the limit was hit', () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ value: 'z'.repeat(1000), timestamp: T0 + i }))
    const sealed = build(records, { compression: 'gzip' })
    const batch = decodeRecordBatches(sealed.bytes, context, { maxDecompressedBytes: 50_000 }).batches[0]!
    const error = thrown(() => batch.records()) as DecompressedSizeExceededError
    expect(error).toBeInstanceOf(DecompressedSizeExceededError)
    expect([error.topic, error.partition, error.offset, error.maxOutputBytes]).toEqual(['orders', 3, 0n, 50_000])
    expect(decodeRecordBatches(sealed.bytes, context, { maxDecompressedBytes: 200_000 }).batches[0]!.records().length).toBe(100)
  })

  it('turns undecompressable records into CorruptRecordError', () => {
    const sealed = build(sampleRecords.slice(0, 3), { compression: 'lz4' })
    sealed.bytes.fill(0x5a, 61 + 7, 61 + 20) // inside the lz4 frame, after its header
    sealed.bytes.writeUInt32BE(crc32c(sealed.bytes, 21), 17)
    const batch = decodeRecordBatches(sealed.bytes, context).batches[0]!
    const error = thrown(() => batch.records()) as CorruptRecordError
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect(error.message).toMatch(/lz4-compressed records do not decompress/)
  })

  // zstd decodes on every Node now (fzstd where node:zlib lacks it), so a batch marked zstd is decoded, not refused.
  it('a batch marked zstd whose records are not zstd is a CorruptRecordError naming where (any Node)', () => {
    const sealed = build(sampleRecords.slice(0, 1))
    sealed.bytes.writeInt16BE(4, 21)
    sealed.bytes.writeUInt32BE(crc32c(sealed.bytes, 21), 17)
    const batch = decodeRecordBatches(sealed.bytes, context).batches[0]!
    const error = thrown(() => batch.records()) as CorruptRecordError
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect(error.message).toMatch(/zstd-compressed records do not decompress.*topic orders, partition 3, offset 0/)
  })
})
